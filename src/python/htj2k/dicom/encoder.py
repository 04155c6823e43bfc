"""htj2k as a pydicom 3 pixel-data *encoder* plugin (label ``"htj2k"``).

After ``import htj2k.dicom``::

    ds.compress(HTJ2KLossless, encoding_plugin="htj2k")       # .201
    ds.compress(HTJ2KLosslessRPCL, encoding_plugin="htj2k")   # .202: RPCL, TLM, a tile-part per level
    ds.compress(HTJ2K, encoding_plugin="htj2k", htj2k_qstep=0.002)  # .203, lossy 9/7

Colour is handled as pydicom's JPEG 2000 encoders do: *Photometric
Interpretation* names the colour space of the *encoded* data and ``compress``
does not change it; ``YBR_RCT`` (lossless) and ``YBR_ICT`` (lossy) mean "RGB
pixels, encoded with the colour transform", ``RGB`` and ``YBR_FULL`` are encoded
as they are. HTJ2K data are stored with Planar Configuration 0 (PS3.5 8.2), which
``compress`` does not set: a dataset with Planar Configuration 1 is refused with the
recipe (``arr = ds.pixel_array; ds.PlanarConfiguration = 0; ds.compress(uid, arr, ...)``).
Samples are encoded at *Bits Stored* bits (signed when *Pixel Representation* is
1); bits above *Bits Stored* in a dataset's own Pixel Data are unused and ignored,
as ``pixel_array`` ignores them.

pydicom 3.0 has encoder objects only for the transfer syntaxes it knows how to
encode; the HTJ2K ones are created here and added to its table of encoders by
:func:`_pydicom_encoder_table` (the one access to a private name of pydicom, tested).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from .._rules import max_levels_for_size
from ..codec import encode
from ..profile import BLOCK_SIZE, PROGRESSION, encode_frame, levels_for_size
from .plugin import PLUGIN_LABEL
from .uids import HTJ2K, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K_TRANSFER_SYNTAXES, RPCL_BASE_MAX, transfer_syntax_of

#: What pydicom shows when the plugin is unavailable (required of plugin modules).
ENCODER_DEPENDENCIES = {uid: ("htj2k>=0.1",) for uid in HTJ2K_TRANSFER_SYNTAXES}

#: The encoding options this plugin reads (``ds.compress(..., htj2k_qstep=...)``).
OPTIONS = {
    "htj2k_qstep": "HTJ2K (.203) only, required there: the quantisation step of the irreversible "
    "9/7 wavelet (e.g. 0.001 near-lossless .. 0.02 strong; smaller is better)",
    "htj2k_levels": "decomposition levels (default: the archive profile, min(5, log2(min(W, H))); "
    ".202 raises it until the base resolution is at most 64 wide or high)",
}

# Photometric Interpretation (of the encoded data) -> (samples per pixel, colour transform,
# transfer syntaxes allowed), after PS3.5 8.2.4 (JPEG 2000) and 8.2.15 (HTJ2K).
_LOSSLESS = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL)
_PROFILES = {
    "MONOCHROME1": (1, False, HTJ2K_TRANSFER_SYNTAXES),
    "MONOCHROME2": (1, False, HTJ2K_TRANSFER_SYNTAXES),
    "PALETTE COLOR": (1, False, _LOSSLESS),
    "RGB": (3, False, HTJ2K_TRANSFER_SYNTAXES),
    "YBR_FULL": (3, False, HTJ2K_TRANSFER_SYNTAXES),
    "YBR_RCT": (3, True, _LOSSLESS),
    "YBR_ICT": (3, True, (HTJ2K,)),
}


def is_available(uid: str) -> bool:
    """pydicom plugin hook: ``True`` for the HTJ2K transfer syntaxes."""
    return uid in HTJ2K_TRANSFER_SYNTAXES


def rpcl_levels(width: int, height: int, levels: Optional[int] = None) -> int:
    """Decomposition levels for HTJ2K Lossless RPCL: at least ``levels`` (default the
    archive profile's) and enough for the base resolution to be at most 64 wide or
    high (PS3.5 10.18), within what the size allows."""
    n = levels_for_size(width, height) if levels is None else int(levels)
    while min(-(-width // (1 << n)), -(-height // (1 << n))) > RPCL_BASE_MAX and n < max_levels_for_size(width, height):
        n += 1
    return n


def _frame_array(src: bytes, runner: Any) -> np.ndarray:
    """One frame of pydicom's little-endian source bytes (1/2/4/8 bytes a sample,
    the smallest holding *Bits Stored*) as ``(rows, columns[, samples])``."""
    bits, signed = int(runner.bits_stored), int(runner.pixel_representation) == 1
    rows, cols, spp = int(runner.rows), int(runner.columns), int(runner.samples_per_pixel)
    size = next(n for n in (1, 2, 4, 8) if bits <= 8 * n)
    arr = np.frombuffer(src, dtype=f"<{'i' if signed else 'u'}{size}")
    if arr.size != rows * cols * spp:
        raise ValueError(f"a frame of {arr.size} samples; the dataset says {rows}x{cols}x{spp}")
    if spp > 1 and int(runner.get_option("planar_configuration", 0) or 0) == 1:
        raise ValueError(
            "Planar Configuration 1: HTJ2K data are stored with Planar Configuration 0 (PS3.5 8.2) "
            "and compress() does not change it; use arr = ds.pixel_array; ds.PlanarConfiguration = 0; "
            "ds.compress(uid, arr, ...)"
        )
    arr = arr.reshape((rows, cols, spp) if spp > 1 else (rows, cols))
    if not runner.is_array and bits < 8 * size:  # unused high bits of the dataset's own Pixel Data
        shift = 8 * size - bits
        arr = (arr << shift) >> shift if signed else arr & ((1 << bits) - 1)
    return np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("=")))


def _colour_transform(runner: Any, ts: str) -> bool:
    pi = str(runner.photometric_interpretation)
    spp = int(runner.samples_per_pixel)
    profile = _PROFILES.get(pi)
    if profile is None:
        raise ValueError(
            f"Photometric Interpretation {pi} cannot be encoded as HTJ2K; use one of {', '.join(_PROFILES)} "
            "(the colour space of the encoded data, set before compress)"
        )
    want_spp, transform, syntaxes = profile
    if spp != want_spp:
        raise ValueError(f"Photometric Interpretation {pi} needs {want_spp} sample(s) per pixel, not {spp}")
    if ts not in syntaxes:
        raise ValueError(f"Photometric Interpretation {pi} is not allowed with {ts.name}")
    return transform


def _encode_frame(src: bytes, runner: Any) -> bytes:
    """pydicom plugin hook: encode one frame of the runner's source as an HTJ2K codestream."""
    ts = runner.transfer_syntax
    arr = _frame_array(src, runner)
    transform = _colour_transform(runner, ts)
    bits, signed = int(runner.bits_stored), int(runner.pixel_representation) == 1
    qstep = runner.get_option("htj2k_qstep")
    levels = runner.get_option("htj2k_levels")
    height, width = arr.shape[:2]
    if ts == HTJ2K:
        if qstep is None:
            raise ValueError("HTJ2K (.203) needs htj2k_qstep=Q (e.g. 0.002); for lossless use HTJ2KLossless")
        return encode(
            arr, qstep=float(qstep), levels=levels_for_size(width, height) if levels is None else int(levels),
            bit_depth=bits, colour_transform=transform if arr.ndim == 3 else None,
            progression=PROGRESSION, block_size=BLOCK_SIZE,
        )
    if qstep is not None:
        raise ValueError(f"htj2k_qstep is a lossy option; {ts.name} is lossless (did you mean HTJ2K?)")
    if ts == HTJ2K_LOSSLESS_RPCL:
        levels = rpcl_levels(width, height, levels)
    data = encode_frame(arr, bits, signed, transform, levels=None if levels is None else int(levels))
    if ts == HTJ2K_LOSSLESS_RPCL and transfer_syntax_of([data]) != HTJ2K_LOSSLESS_RPCL:
        raise ValueError(f"a {width}x{height} frame cannot meet HTJ2K Lossless RPCL (PS3.5 10.18)")
    return data


def _pydicom_encoder_table() -> Dict[Any, Any]:
    """pydicom's table of pixel-data encoders, ``{UID: (Encoder, version added)}``.

    The one access to a private name of pydicom: 3.0 has no public way to add an
    encoder for a transfer syntax it has none for (its plugin API adds plugins to
    existing encoders only). ``tests/dicom/test_encoder.py`` fails if it changes.
    """
    from pydicom.pixels.encoders import base

    table = getattr(base, "_PIXEL_DATA_ENCODERS", None)
    if not isinstance(table, dict):
        raise RuntimeError(
            "pydicom.pixels.encoders.base._PIXEL_DATA_ENCODERS is gone: this pydicom "
            "cannot take htj2k's HTJ2K encoders (please report it)"
        )
    return table


def register_pydicom_encoder() -> List[str]:
    """Make pydicom encode the HTJ2K transfer syntaxes with htj2k (plugin ``"htj2k"``).

    Through pydicom's public plugin API (``Encoder.add_plugin``) on its encoder of
    each syntax; where pydicom has none (3.0), an ``Encoder`` is created and put in
    its table (:func:`_pydicom_encoder_table`). Idempotent; called when
    :mod:`htj2k.dicom` is imported. Returns the UIDs served.
    """
    from pydicom.pixels.encoders.base import Encoder, get_encoder

    done = []
    for uid in HTJ2K_TRANSFER_SYNTAXES:
        try:
            enc = get_encoder(uid)
        except NotImplementedError:
            enc = Encoder(uid)
            _pydicom_encoder_table()[uid] = (enc, "htj2k")
        if PLUGIN_LABEL not in enc.available_plugins:
            enc.add_plugin(PLUGIN_LABEL, (__name__, "_encode_frame"))
        done.append(str(uid))
    return done
