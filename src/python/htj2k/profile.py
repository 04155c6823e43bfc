"""The archive encoding profile: how frames are encoded for an imaging archive.

Lossless 5/3, RPCL, 64x64 code-blocks, maximal precincts, one tile, at most
``MAX_LEVELS`` decomposition levels (see :func:`levels_for_size`), a TLM marker
and one tile-part per resolution level (on every OpenJPH: our tile-part writer
where OpenJPH < 0.10 cannot).
``htj2k roundtrip``, the DICOM transcoder and the CLI all take the profile from
here.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

import numpy as np

from ._rules import DEFAULT_LEVELS, max_levels_for_size, sample_dtype
from ._types import EncodedFrame
from .codec import encode, features

__all__ = ["MAX_LEVELS", "BLOCK_SIZE", "PROGRESSION", "levels_for_size", "encode_params", "encode_frame",
           "as_sample_dtype"]

MAX_LEVELS = DEFAULT_LEVELS
BLOCK_SIZE = (64, 64)
PROGRESSION = "RPCL"


def levels_for_size(width: int, height: int, max_levels: int = MAX_LEVELS) -> int:
    """Decomposition levels of the archive-like encoding:
    ``min(max_levels, floor(log2(min(width, height))))`` (0 for a 1-pixel side), so the
    base level is never smaller than 1 pixel and a 512x512 frame gets 5 levels
    (base 16x16), a 100x60 frame 5 (4x2), a 3x3 frame 1."""
    return min(int(max_levels), max_levels_for_size(width, height))


def encode_params() -> Dict[str, Any]:
    """The fixed :func:`htj2k.encode` keyword arguments of the archive-like encoding
    (``levels``, ``bit_depth`` and ``colour_transform`` come from each frame)."""
    feats = features()
    tlm = bool(feats.get("tlm"))  # every release (our tile-part writer before OpenJPH 0.10)
    return {
        "reversible": True,
        "progression": PROGRESSION,
        "block_size": BLOCK_SIZE,
        "tlm": tlm,
        "tileparts": "R" if tlm and feats.get("tileparts") else None,
    }


def as_sample_dtype(pixels: np.ndarray, bit_depth: int, signed: bool) -> np.ndarray:
    """Same values in the smallest native-endian integer dtype of the bit depth (C-contiguous)."""
    if pixels.dtype == np.bool_:
        pixels = pixels.view(np.uint8)
    want = sample_dtype(bit_depth, signed)
    if pixels.dtype != want:
        pixels = pixels.astype(want)
    return np.ascontiguousarray(pixels)


def encode_frame(
    pixels: np.ndarray,
    bit_depth: int,
    signed: bool,
    colour_transform: bool,
    *,
    levels: Optional[int] = None,
    container: str = "j2c",
    params: Optional[Dict[str, Any]] = None,
    checksums: bool = False,
) -> Union[bytes, EncodedFrame]:
    """Encode one frame losslessly with the archive-like parameters (with
    ``checksums``: and its level checksums, as :func:`htj2k.encode` gives them).

    ``pixels`` must fit ``bit_depth``/``signed`` (they are converted, value for
    value, to the smallest integer type of that signedness). ``levels`` defaults to
    :func:`levels_for_size`.
    """
    arr = as_sample_dtype(pixels, bit_depth, signed)
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    if levels is None:
        levels = levels_for_size(arr.shape[1], arr.shape[0])
    kw = dict(params or encode_params())
    return encode(
        arr,
        levels=levels,
        bit_depth=bit_depth,
        colour_transform=bool(colour_transform) if spp >= 3 else None,
        container=container,
        checksums=checksums,
        **kw,
    )
