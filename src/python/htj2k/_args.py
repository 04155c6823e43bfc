"""Checks of the public API's arguments, each once: Python types and normalisation
(paths read, pairs expanded, None turned into the core's "default"). Value rules
(ranges, allowed names) are the C++ core's; the few checked here are those the
core cannot see (e.g. a ``bool`` passed for an ``int``)."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ._rules import DECODERS, DEFAULT_MAX_MEMORY, PROGRESSIONS

BytesLike = Union[bytes, bytearray, memoryview, np.ndarray]


def as_buffer(data: Any, name: str = "data") -> Any:
    """Bytes-like objects pass through (non-contiguous views are copied: the core reads
    contiguous buffers only); paths are read; binary file-like objects (an open file,
    ``io.BytesIO``, boto3's ``StreamingBody``) are read to the end; anything else is a
    TypeError."""
    if isinstance(data, (bytes, bytearray)):
        return data
    if isinstance(data, memoryview):
        return data if data.contiguous else data.tobytes()
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise TypeError(f"{name}: expected bytes or a uint8 array, got a {data.dtype} array")
        return np.ascontiguousarray(data).reshape(-1)
    if isinstance(data, (str, os.PathLike)):
        with open(data, "rb") as f:
            return f.read()
    read = getattr(data, "read", None)
    if callable(read):
        content = read()
        if not isinstance(content, (bytes, bytearray)):
            raise TypeError(f"{name}: the file-like object returned {type(content).__name__}, not bytes "
                            "(open it in binary mode)")
        return content
    raise TypeError(f"{name}: expected bytes-like data, a path or a binary file, got {type(data).__name__}")


def check_level(level: Any) -> int:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"level: expected an int, got {type(level).__name__}")
    if not 0 <= level <= 32:
        raise ValueError(f"level: must be in 0..32 (resolution levels to discard), got {level}")
    return int(level)




def check_decoder(decoder: Any) -> str:
    if not isinstance(decoder, str):
        raise TypeError(f"decoder: expected a str, got {type(decoder).__name__}")
    if decoder not in DECODERS:
        raise ValueError(f"decoder: expected 'auto', 'openjph' or 'openjpeg', got {decoder!r}")
    return decoder


def check_max_memory(max_memory: Any) -> int:
    if max_memory is None:
        return DEFAULT_MAX_MEMORY
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, np.integer)):
        raise TypeError(f"max_memory: expected an int (bytes) or None, got {type(max_memory).__name__}")
    if not 0 < max_memory < 2**64:
        raise ValueError(f"max_memory: must be in 1..2**64-1 bytes, got {max_memory}")
    return int(max_memory)


def check_max_pixels(max_pixels: Any) -> int:
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)):
        raise TypeError(f"max_pixels: expected an int, got {type(max_pixels).__name__}")
    if not 0 < max_pixels < 2**64:
        raise ValueError(f"max_pixels: must be in 1..2**64-1, got {max_pixels}")
    return int(max_pixels)


def pair(value: Any, name: str) -> Tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected an int or a (width, height) pair, got {value!r}")
    try:
        w, h = value
        return int(w), int(h)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an int or a (width, height) pair, got {value!r}") from None


def encode_options(
    array: np.ndarray,
    *,
    reversible: Optional[bool] = None,
    qstep: Optional[float] = None,
    levels: Optional[int] = None,
    block_size: Union[int, Tuple[int, int]] = (64, 64),
    precincts: Optional[Sequence[Tuple[int, int]]] = None,
    progression: str = "RPCL",
    tile_size: Optional[Union[int, Tuple[int, int]]] = None,
    bit_depth: Optional[int] = None,
    colour_transform: Optional[bool] = None,
    tlm: bool = False,
    tileparts: Optional[str] = None,
    container: str = "j2c",
) -> Tuple[np.ndarray, Dict[str, Any]]:
    """Checks and normalises :func:`encode`'s arguments: the array to hand to
    ``_core.encode`` and its keyword arguments (shared with :func:`encode_many`)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array: expected a numpy array, got {type(array).__name__}")
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
        if bit_depth is None:
            bit_depth = 1
    if array.dtype.kind not in "ui" or array.dtype.itemsize not in (1, 2, 4):
        raise TypeError(
            f"array: dtype {array.dtype} is not supported; use uint8/int8/uint16/int16/uint32/int32"
        )
    if array.ndim not in (2, 3):
        raise ValueError(f"array: expected (H, W) or (H, W, C), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"array: empty image of shape {array.shape}")
    if array.ndim == 3 and array.shape[2] > 16384:
        raise ValueError(f"array: {array.shape[2]} components; at most 16384")
    if array.shape[0] >= 2**32 or array.shape[1] >= 2**32:
        raise ValueError(f"array: shape {array.shape} too large")
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and not np.little_endian):
        array = array.astype(array.dtype.newbyteorder("<"))
    if array.ndim == 3:
        inner_ok = array.strides[2] == array.itemsize and array.strides[1] == array.itemsize * array.shape[2]
    else:
        inner_ok = array.strides[1] == array.itemsize
    if not inner_ok or array.strides[0] < 0:
        array = np.ascontiguousarray(array)

    if qstep is not None:
        if reversible:
            raise ValueError("qstep: only applies to irreversible encoding (reversible=False)")
        if not isinstance(qstep, (int, float, np.floating, np.integer)) or isinstance(qstep, bool):
            raise TypeError(f"qstep: expected a float, got {type(qstep).__name__}")
        if not (0 < float(qstep) <= 2.0):
            raise ValueError(f"qstep: must be in (0, 2], got {qstep}")
        reversible = False
    if reversible is None:
        reversible = True
    if levels is None:
        levels_i = -1
    else:
        if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)):
            raise TypeError(f"levels: expected an int, got {type(levels).__name__}")
        if not 0 <= levels <= 32:
            raise ValueError(f"levels: must be in 0..32, got {levels}")
        levels_i = int(levels)
    bw, bh = pair(block_size, "block_size")
    prec = [] if precincts is None else [pair(p, "precincts") for p in precincts]
    if not isinstance(progression, str) or progression.upper() not in PROGRESSIONS:
        raise ValueError(f"progression: expected one of {', '.join(PROGRESSIONS)}, got {progression!r}")
    tw, th = (0, 0) if tile_size is None else pair(tile_size, "tile_size")
    if tile_size is not None and (tw <= 0 or th <= 0):
        raise ValueError(f"tile_size: must be positive, got {tile_size!r}")
    if bit_depth is None:
        bd = 0
    else:
        if isinstance(bit_depth, bool) or not isinstance(bit_depth, (int, np.integer)):
            raise TypeError(f"bit_depth: expected an int, got {type(bit_depth).__name__}")
        if not 1 <= bit_depth <= array.dtype.itemsize * 8:
            raise ValueError(
                f"bit_depth: {bit_depth} does not fit dtype {array.dtype} (1..{array.dtype.itemsize * 8})"
            )
        bd = int(bit_depth)
    ct = -1 if colour_transform is None else int(bool(colour_transform))
    ncomp = array.shape[2] if array.ndim == 3 else 1
    if colour_transform and ncomp < 3:
        raise ValueError(f"colour_transform: needs at least 3 components, the array has {ncomp}")
    if tileparts is None:
        tileparts = ""
    if not isinstance(tileparts, str) or tileparts.upper() not in ("", "R", "C", "RC", "CR"):
        raise ValueError(f"tileparts: expected 'R', 'C' or 'RC', got {tileparts!r}")
    tileparts = "RC" if tileparts.upper() == "CR" else tileparts.upper()
    if container not in ("j2c", "j2k", "jph"):
        raise ValueError(f"container: expected 'j2c' or 'jph', got {container!r}")
    return array, dict(
        reversible=bool(reversible),
        qstep=float(qstep or 0.0),
        levels=levels_i,
        block_w=bw,
        block_h=bh,
        precincts=prec,
        progression=progression.upper(),
        tile_w=tw,
        tile_h=th,
        bit_depth=bd,
        colour_transform=ct,
        tlm=bool(tlm),
        tileparts=tileparts,
        jph=container == "jph",
    )


def levels_list(levels: Optional[Iterable[int]]) -> List[int]:
    if levels is None:
        return []
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        levels = [levels]
    out = []
    for r in levels:
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
            raise TypeError(f"levels: expected ints, got {type(r).__name__}")
        if not 0 <= r <= 32:
            raise ValueError(f"levels: each must be in 0..32, got {r}")
        out.append(int(r))
    return out


def check_threads(threads: Any) -> int:
    """0 = all cores (the C++ side's default)."""
    if threads is None:
        return 0
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads: expected an int or None, got {type(threads).__name__}")
    if threads < 1:
        raise ValueError(f"threads: must be >= 1 (or None for all cores), got {threads}")
    return int(threads)


def check_errors(errors: Any) -> str:
    if errors not in ("return", "raise"):
        raise ValueError(f"errors: expected 'return' or 'raise', got {errors!r}")
    return errors


def frame_sequence(items: Any, name: str) -> list:
    if isinstance(items, (bytes, bytearray, memoryview, str, np.ndarray)) and not (
        isinstance(items, np.ndarray) and items.dtype == object
    ):
        raise TypeError(f"{name}: expected a sequence of frames, got a single {type(items).__name__}")
    try:
        return list(items)
    except TypeError:
        raise TypeError(f"{name}: expected a sequence, got {type(items).__name__}") from None

