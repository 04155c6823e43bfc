"""Type stub of htj2k._core, the C++ extension (src/cpp/bindings). Private: the public
API is htj2k's Python modules. Every function releases the GIL while C++ works.

Buffers (``data``): bytes, bytearray, a C-contiguous memoryview or numpy array;
a strided or reversed view is refused with ValueError (never read past its end).
Arrays (``array``, ``out``): 2-D (H, W) or 3-D (H, W, C) numpy arrays of uint8, int8,
uint16, int16, uint32, int32 (bool as uint8) whose rows are C-contiguous and follow
each other at a positive stride (row padding is allowed); anything else is ValueError.

Errors: ValueError for bad argument values; htj2k.InvalidCodestreamError,
UnsupportedCodestreamError, EncodeError, LimitExceededError, Htj2kError otherwise.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

_Bytes = Union[bytes, bytearray, memoryview, np.ndarray]
# (level, width, height, crc32), base (level 0) first
_Row = Tuple[int, int, int, int]
# (rows, (min, max) of the samples or None)
_Checksums = Tuple[List[_Row], Optional[Tuple[int, int]]]

# ---- rules of the C++ core (one home; Python reads them from here) -------------
PROGRESSIONS: Tuple[str, ...]  # by their COD code: ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")
DEFAULT_LEVELS: int  # decomposition levels encode() writes by default (capped by the size)
MAX_LEVELS: int  # 32 (15444-1)
DEFAULT_MAX_PIXELS: int  # 2**31 samples
DEFAULT_MAX_MEMORY: int  # 2 GiB
MAX_COMPONENTS: int  # 16384
MAX_TILES: int  # 65535
MIN_BLOCK_SIDE: int
MAX_BLOCK_SIDE: int
MAX_BLOCK_AREA: int
MIN_PRECINCT_SIDE: int
MAX_PRECINCT_SIDE: int
MAX_SAMPLE_BIT_DEPTH: int  # 32
MAX_ENCODE_BIT_DEPTH: int  # deepest samples encode() writes with the linked OpenJPH
OPENJPH_MAX_DECODE_BIT_DEPTH: int  # deeper codestreams are decoded by OpenJPEG ("auto")

def sample_bytes(bits: int) -> int:
    """1, 2 or 4: the smallest little-endian integer holding `bits` (1..32)."""

def nominal_range(bits: int, signed: bool) -> Tuple[int, int]:
    """(lo, hi) of a `bits`-bit component."""

# ---- codec ---------------------------------------------------------------------
def openjph_version() -> Tuple[int, int, int]: ...
def features() -> Dict[str, Any]: ...
def parse_info(data: _Bytes, with_decoder: bool = False) -> Dict[str, Any]:
    """Header fields, and where each level lies: level_ranges (base first, None unknown),
    best_level, level_ranges_error; with_decoder: also decoder ("openjph"/"openjpeg", at
    the best level of a prefix) or None with unsupported_reason."""
def select_decoder(data: _Bytes, level: int = 0, decoder: str = "auto") -> str:
    """"openjph" or "openjpeg": the decoder decode() would use; raises what it would raise."""

def decode(
    data: _Bytes,
    level: int = 0,
    max_pixels: int = ...,
    out: Optional[np.ndarray] = None,
    decoder: str = "auto",
    max_memory: int = ...,
    best: bool = False,
    layers: int = 0,
    checksums: bool = False,
) -> Union[np.ndarray, Tuple[np.ndarray, int], Tuple[np.ndarray, List[Tuple[int, int, int, int]]]]:
    """best: the finest level the data holds, returned as (array, level); checksums:
    (array, (level, width, height, crc) rows of every level, base first)."""
def decode_planes(
    data: _Bytes, level: int = 0, max_pixels: int = ..., decoder: str = "auto", max_memory: int = ...,
    best: bool = False, layers: int = 0,
) -> Union[List[np.ndarray], Tuple[List[np.ndarray], int]]: ...
def transcode(
    data: _Bytes, progression: int = -1, tile_parts: int = -1, tlm: int = -1, plt: int = -1, layers: int = 0,
) -> bytes:
    """A bare codestream re-laid out without decoding (-1 keeps what it has; progression 0..4;
    layers k > 0 joins the first k quality layers into one first)."""
def wrap_jph(data: _Bytes) -> bytes:
    """A bare codestream in a JPH file (size, depths and colour from its header)."""
def flatten_layers(data: _Bytes, layers: int = 0) -> bytes:
    """The bare one-layer codestream of the first `layers` quality layers (0: all)."""
def encode(
    array: np.ndarray, options: Dict[str, Any] = ...
) -> Union[bytes, Tuple[bytes, List[Tuple[int, int, int, int]]]]:
    """options: encode()'s keyword options by their Python names (None = the default);
    with checksums=True: (bytes, (level, width, height, crc) rows base first)."""
    ...
def max_levels_for_size(w: int, h: int) -> int: ...

# ---- checksums -----------------------------------------------------------------
def crc32(data: _Bytes, crc: int = 0) -> int: ...
def checksums(
    data: _Bytes, levels: Sequence[int], max_pixels: int = ..., with_range: bool = False, max_memory: int = ...
) -> _Checksums: ...
def pixel_checksums(
    array: np.ndarray, max_level: int, bit_depth: int = 0, is_signed: int = -1, rct: bool = False
) -> List[_Row]: ...

# ---- batch: one result or exception object per item, in input order -------------
def decode_many(
    datas: Sequence[_Bytes],
    level: int = 0,
    max_pixels: int = ...,
    decoder: str = "auto",
    threads: int = 0,
    max_memory: int = ...,
) -> List[Union[np.ndarray, BaseException]]: ...
def checksums_many(
    datas: Sequence[_Bytes],
    levels: Sequence[Sequence[int]],
    max_pixels: int = ...,
    with_range: Sequence[bool] = ...,
    threads: int = 0,
    max_memory: int = ...,
) -> List[Union[_Checksums, BaseException]]: ...
def encode_many(
    items: Sequence[Tuple[np.ndarray, Dict[str, Any]]], threads: int = 0
) -> List[Union[bytes, Tuple[bytes, List[Tuple[int, int, int, int]]], BaseException]]: ...
def batch_info() -> Dict[str, int]: ...
