"""DICOM helpers: HTJ2K pixel-data decoding and encoding for pydicom 3, frames
with their checksum parameters, and HTJ2K transcoding of whole datasets.

Importing this module registers htj2k as a pydicom pixel-data decoder and
encoder plugin (label ``"htj2k"``) for the three HTJ2K transfer syntaxes::

    >>> import htj2k.dicom                      # registers the plugins
    >>> ds = pydicom.dcmread("ct_htj2k.dcm")    # doctest: +SKIP
    >>> ds.pixel_array_options(decoding_plugin="htj2k")  # doctest: +SKIP
    >>> ds.pixel_array                          # doctest: +SKIP
    >>> ct.compress(HTJ2KLosslessRPCL, encoding_plugin="htj2k")  # doctest: +SKIP

    >>> for f in htj2k.dicom.frames(ds):        # doctest: +SKIP
    ...     sums = f.pixel_checksums()          # bit depth = BitsStored, ...

    >>> out = htj2k.dicom.to_htj2k_dataset(ds)  # doctest: +SKIP
    >>> out.save_as("ct_htj2k.dcm", enforce_file_format=True)  # doctest: +SKIP

pydicom (>= 3.0) is required: ``pip install htj2k[dicom]``. pydicom has no
entry point for its plugins (pylibjpeg's entry points serve only the transfer
syntaxes pydicom's ``pylibjpeg`` plugin knows, not HTJ2K encoding), so the
registration happens on import (or by calling :func:`register_pydicom_plugin`
and :func:`register_pydicom_encoder`).

Transfer syntaxes:

* ``1.2.840.10008.1.2.4.201`` HTJ2K Lossless (what :func:`to_htj2k_dataset` writes),
* ``1.2.840.10008.1.2.4.202`` HTJ2K with RPCL Options (Lossless), written when
  TLM markers are written (``htj2k.features()["tlm"]``: every release),
* ``1.2.840.10008.1.2.4.203`` HTJ2K (lossless or lossy; encoded lossy, ``htj2k_qstep``).
"""

from __future__ import annotations

import warnings

from .encoder import register_pydicom_encoder, rpcl_levels
from .errors import DecoderUnavailableError, DicomImageError, NotAnImageError
from .frames import (
    DicomFrame,
    ImageParameters,
    codestreams,
    frames,
    read_dataset,
    image_parameters,
    pixel_decoder,
)
from .plugin import (
    DECODER_DEPENDENCIES,
    PLUGIN_LABEL,
    is_available,
    register_pydicom_plugin,
    unregister_pydicom_plugin,
)
from .transcode import (
    to_htj2k_dataset,
)
from .uids import (
    HTJ2K,
    HTJ2K_LOSSLESS,
    HTJ2K_LOSSLESS_RPCL,
    HTJ2K_TRANSFER_SYNTAXES,
    htj2k_transfer_syntax,
    transfer_syntax,
    transfer_syntax_of,
)

__all__ = [
    "HTJ2K_LOSSLESS",
    "HTJ2K_LOSSLESS_RPCL",
    "HTJ2K",
    "HTJ2K_TRANSFER_SYNTAXES",
    "PLUGIN_LABEL",
    "DicomImageError",
    "NotAnImageError",
    "DecoderUnavailableError",
    "DicomFrame",
    "ImageParameters",
    "image_parameters",
    "pixel_decoder",
    "transfer_syntax",
    "frames",
    "read_dataset",
    "codestreams",
    "to_htj2k_dataset",
    "htj2k_transfer_syntax",
    "transfer_syntax_of",
    "register_pydicom_plugin",
    "unregister_pydicom_plugin",
    "is_available",
    "DECODER_DEPENDENCIES",
    "register_pydicom_encoder",
    "rpcl_levels",
]

register_pydicom_plugin()
try:
    register_pydicom_encoder()
except RuntimeError as _e:  # a pydicom without the table: decoding still works
    warnings.warn(f"htj2k.dicom: HTJ2K encoding through pydicom unavailable: {_e}", RuntimeWarning, stacklevel=2)
