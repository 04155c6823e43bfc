"""The rules the Python layer needs to know, each defined once.

Sample sizes, nominal ranges, progression orders and default levels are
decided by the C++ core; this module is the one place the Python side reads
them from, so that argparse choices, numpy dtypes and messages agree with what
``_core`` accepts.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from . import _core

#: Progression orders the encoder accepts (ISO/IEC 15444-1 Table A.16).
PROGRESSIONS: Tuple[str, ...] = tuple(_core.PROGRESSIONS)
#: Decomposition levels of an encode when none are given (capped by the image size).
DEFAULT_LEVELS: int = int(_core.DEFAULT_LEVELS)
#: The deepest samples a decoded array holds (32-bit integers).
MAX_SAMPLE_BIT_DEPTH: int = int(_core.MAX_SAMPLE_BIT_DEPTH)
#: The most decomposition levels a codestream may have (15444-1).
MAX_LEVELS: int = int(_core.MAX_LEVELS)
#: Default ``max_pixels`` guard: total samples (width x height x components) a
#: codestream may declare before decoding is refused without allocating.
DEFAULT_MAX_PIXELS: int = int(_core.DEFAULT_MAX_PIXELS)
#: Default ``max_memory`` budget (2 GiB): the working memory a decode is estimated
#: to need from the header (the output image plus the decoding library's own
#: buffers: OpenJPH's lines and code-block buffers, OpenJPEG's int32 tile and
#: image), checked before anything is allocated.
DEFAULT_MAX_MEMORY: int = int(_core.DEFAULT_MAX_MEMORY)
#: The most components an (H, W, C) array given to encode() may have: grey, grey +
#: alpha, RGB, RGBA. More in the last axis is far likelier a stack of frames or
#: volume slices (F, H, W) than an image (encode_many encodes a stack as frames).
MAX_ARRAY_COMPONENTS: int = 4
#: Decoder names of decode(decoder=...).
DECODERS: Tuple[str, ...] = ("auto", "openjph", "openjpeg")
#: Encoder names of encode(encoder=...), as the C++ core parses them.
ENCODERS: Tuple[str, ...] = tuple(_core.features()["encoder"]["encoders"])


def sample_bytes(bit_depth: int) -> int:
    """Bytes of the smallest little-endian integer holding ``bit_depth`` bits (1, 2 or 4):
    the size of a sample in decoded arrays and in checksummed data."""
    return int(_core.sample_bytes(int(bit_depth)))


def sample_dtype(bit_depth: int, signed: bool) -> np.dtype:
    """The numpy dtype of decoded samples of that depth and signedness."""
    return np.dtype(f"{'i' if signed else 'u'}{sample_bytes(bit_depth)}")


def nominal_range(bit_depth: int, signed: bool) -> Tuple[int, int]:
    """``(lowest, highest)`` value of ``bit_depth`` bits: ``0..2^B-1`` or ``-2^(B-1)..2^(B-1)-1``."""
    lo, hi = _core.nominal_range(int(bit_depth), bool(signed))
    return int(lo), int(hi)


def range_problem(pixels: np.ndarray, bit_depth: int, signed: bool, what: str = "bit depth") -> Optional[str]:
    """``None`` when every sample of ``pixels`` fits the nominal range, else a one-line
    reason naming ``what`` declared the depth (values are never clipped)."""
    lo, hi = nominal_range(bit_depth, signed)
    if pixels.size == 0:
        return None
    mn, mx = int(pixels.min()), int(pixels.max())
    if lo <= mn and mx <= hi:
        return None
    kind = "signed" if signed else "unsigned"
    return f"pixel values {mn}..{mx} exceed {what} {bit_depth} ({kind} range {lo}..{hi}); not clipped"


def max_levels_for_size(width: int, height: int) -> int:
    """The most decomposition levels an image of that size can have: ``floor(log2(min(W, H)))``."""
    return int(_core.max_levels_for_size(int(width), int(height)))


def default_levels(width: int, height: int) -> int:
    """Decomposition levels of an encode that names none: ``DEFAULT_LEVELS`` capped by the size."""
    return min(DEFAULT_LEVELS, max_levels_for_size(width, height))
