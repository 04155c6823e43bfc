"""DICOM helpers: HTJ2K pixel-data decoding for pydicom 3, frames with their
checksum parameters, and HTJ2K transcoding of whole datasets.

Importing this module registers htj2k as a pydicom pixel-data decoder plugin
(label ``"htj2k"``) for the three HTJ2K transfer syntaxes, ahead of pydicom's
own plugins, so ``dataset.pixel_array`` decodes HTJ2K frames with htj2k::

    >>> import htj2k.dicom                      # registers the plugin
    >>> ds = pydicom.dcmread("ct_htj2k.dcm")    # doctest: +SKIP
    >>> ds.pixel_array                          # doctest: +SKIP

    >>> for f in htj2k.dicom.frames(ds):        # doctest: +SKIP
    ...     sums = f.pixel_checksums()          # bit depth = BitsStored, ...

    >>> out = htj2k.dicom.to_htj2k_dataset(ds)  # doctest: +SKIP
    >>> out.save_as("ct_htj2k.dcm", enforce_file_format=True)  # doctest: +SKIP

pydicom (>= 3.0) is required: ``pip install htj2k[dicom]``. pydicom has no
entry point for decoder plugins, so the registration happens on import (or by
calling :func:`register_pydicom_plugin`).

Transfer syntaxes:

* ``1.2.840.10008.1.2.4.201`` HTJ2K Lossless (what :func:`to_htj2k_dataset` writes),
* ``1.2.840.10008.1.2.4.202`` HTJ2K with RPCL Options (Lossless), written when
  TLM markers are written (``htj2k.features()["tlm"]``: every release),
* ``1.2.840.10008.1.2.4.203`` HTJ2K (lossless or lossy; decoded only).
"""

from __future__ import annotations

from .errors import DecoderUnavailableError, DicomImageError, NotAnImageError
from .frames import (
    DicomFrame,
    ImageParameters,
    frames,
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
    "to_htj2k_dataset",
    "htj2k_transfer_syntax",
    "transfer_syntax_of",
    "register_pydicom_plugin",
    "unregister_pydicom_plugin",
    "is_available",
    "DECODER_DEPENDENCIES",
]

register_pydicom_plugin()
