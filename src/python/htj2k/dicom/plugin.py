"""htj2k as a pydicom 3 pixel-data decoder plugin (label ``"htj2k"``)."""

from __future__ import annotations

from typing import Any, List

import numpy as np
from pydicom.pixels.decoders import base

from ..codec import decode as _htj2k_decode
from .uids import _YBR_TO_RGB, HTJ2K_TRANSFER_SYNTAXES

#: The label of our decoder plugin in pydicom (``decoding_plugin="htj2k"``).
PLUGIN_LABEL = "htj2k"


#: What pydicom shows when the plugin is unavailable (required of plugin modules).
DECODER_DEPENDENCIES = {uid: ("htj2k>=0.1",) for uid in HTJ2K_TRANSFER_SYNTAXES}


def is_available(uid: str) -> bool:
    """pydicom plugin hook: ``True`` for the HTJ2K transfer syntaxes."""
    return uid in HTJ2K_TRANSFER_SYNTAXES


def _decode_frame(src: bytes, runner: Any) -> bytearray:
    """pydicom plugin hook: decode one encapsulated HTJ2K frame.

    Returns the samples colour-by-pixel (planar configuration 0), little-endian,
    in the smallest integer container of the codestream's bit depth (the runner's
    *bits_allocated* is set to match, as pydicom's other JPEG 2000 plugins do);
    pydicom then applies its sign correction when the codestream's signedness
    differs from *Pixel Representation*. YBR_RCT/YBR_ICT data come back as RGB
    (the decoder applies the inverse colour transform).
    """
    arr = _htj2k_decode(src)
    rows, cols = int(runner.rows), int(runner.columns)
    spp = int(runner.samples_per_pixel)
    got_spp = 1 if arr.ndim == 2 else arr.shape[2]
    if arr.shape[:2] != (rows, cols) or got_spp != spp:
        raise ValueError(
            f"the HTJ2K frame is {arr.shape[1]}x{arr.shape[0]} with {got_spp} component(s); "
            f"the dataset says {cols}x{rows} with {spp} sample(s) per pixel"
        )
    runner.set_option("bits_allocated", arr.dtype.itemsize * 8)
    if spp > 1:
        runner.set_option("planar_configuration", 0)
        if runner.photometric_interpretation in _YBR_TO_RGB:
            runner.set_option("photometric_interpretation", "RGB")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return bytearray(np.ascontiguousarray(arr).tobytes())


def _decoders() -> List[Any]:
    return [base.get_decoder(uid) for uid in HTJ2K_TRANSFER_SYNTAXES]


def register_pydicom_plugin() -> List[str]:
    """Add htj2k (label ``"htj2k"``) to pydicom's decoders of the HTJ2K transfer
    syntaxes, through pydicom's public plugin API (``Decoder.add_plugin``).
    Idempotent; called when :mod:`htj2k.dicom` is imported.

    pydicom tries the plugins of a decoder in the order they were added (its own
    first, e.g. pylibjpeg-openjpeg) and has no public way to reorder them: name
    ours with ``decoding_plugin="htj2k"`` (``ds.pixel_array_options(...)``,
    ``pixel_array(..., decoding_plugin=...)``) to use it whatever else is installed;
    :func:`htj2k.dicom.frames` does.

    Returns:
        The transfer syntax UIDs now served by the plugin.
    """
    done = []
    for dec in _decoders():
        if PLUGIN_LABEL not in dec.available_plugins:
            try:
                dec.add_plugin(PLUGIN_LABEL, (__name__, "_decode_frame"))
            except ValueError:  # already registered as unavailable; replace
                dec.remove_plugin(PLUGIN_LABEL)
                dec.add_plugin(PLUGIN_LABEL, (__name__, "_decode_frame"))
        done.append(str(dec.UID))
    return done


def unregister_pydicom_plugin() -> None:
    """Remove the htj2k plugin from pydicom's HTJ2K decoders (if present)."""
    for dec in _decoders():
        try:
            dec.remove_plugin(PLUGIN_LABEL)
        except ValueError:
            pass
