"""htj2k: High-Throughput JPEG 2000 (HTJ2K) over OpenJPH, with per-resolution-level
CRC-32 checksums matching an imaging archive's ``PixelDataChecksumFromBaseToFullResolution``.

    >>> import numpy as np, htj2k
    >>> img = (np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) % 4096)
    >>> data = htj2k.encode(img, bit_depth=12)
    >>> bool((htj2k.decode(data) == img).all())
    True
"""

from ._errors import (
    EncodeError,
    Htj2kError,
    IncompleteCodestreamError,
    InvalidCodestreamError,
    LimitExceededError,
    UnsupportedCodestreamError,
)
from ._types import CodestreamInfo, ComponentInfo, DecodedFrame, EncodedFrame, LevelChecksum
from .batch import checksums_many, decode_many, encode_many, verify_many
from .checksums import (
    LevelResult,
    Verification,
    checksums,
    checksums_with_range,
    crc32,
    level_for_size,
    pixel_checksums,
    verify,
)
from .codec import (
    DEFAULT_MAX_MEMORY,
    DEFAULT_MAX_PIXELS,
    decode,
    decode_planes,
    encode,
    features,
    info,
    openjph_version,
)
from .progressive import split_levels, to_jph, transcode

__version__ = "0.1.0"

__all__ = [
    "encode",
    "decode",
    "decode_planes",
    "info",
    "features",
    "openjph_version",
    "split_levels",
    "transcode",
    "to_jph",
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_MAX_PIXELS",
    "CodestreamInfo",
    "ComponentInfo",
    "LevelChecksum",
    "EncodedFrame",
    "DecodedFrame",
    "checksums",
    "checksums_with_range",
    "pixel_checksums",
    "verify",
    "level_for_size",
    "crc32",
    "LevelResult",
    "Verification",
    "decode_many",
    "checksums_many",
    "verify_many",
    "encode_many",
    "Htj2kError",
    "IncompleteCodestreamError",
    "InvalidCodestreamError",
    "UnsupportedCodestreamError",
    "EncodeError",
    "LimitExceededError",
]
