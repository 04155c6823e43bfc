"""Checks of the public API's arguments, each once: Python types and normalisation
(paths read, pairs expanded, None turned into the core's "default"). Value rules
(ranges, allowed names) are the C++ core's; the few checked here are those the
core cannot see (e.g. a ``bool`` passed for an ``int``)."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np

from ._errors import InvalidCodestreamError
from ._rules import DECODERS, DEFAULT_MAX_MEMORY, ENCODERS, MAX_ARRAY_COMPONENTS, MAX_LEVELS

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
            return _not_dicom(f.read(), os.fspath(data))
    read = getattr(data, "read", None)
    if callable(read):
        content = read()
        if not isinstance(content, (bytes, bytearray)):
            raise TypeError(f"{name}: the file-like object returned {type(content).__name__}, not bytes "
                            "(open it in binary mode)")
        return _not_dicom(content, str(getattr(data, "name", name)))
    raise TypeError(f"{name}: expected bytes-like data, a path or a binary file, got {type(data).__name__}")


def _not_dicom(content: Any, what: str) -> Any:
    """A file's bytes, unless they are a DICOM file (whose frames are read with htj2k.dicom)."""
    if content[128:132] == b"DICM":
        raise InvalidCodestreamError(
            f"{what}: a DICOM file, not a codestream; read its frames with htj2k.dicom.frames() "
            "or htj2k.dicom.codestreams()"
        )
    return content


def check_count(value: Any, name: str) -> int:
    """An int >= 0 (the core takes unsigned values; their upper bounds are its own)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if not 0 <= value < 2**32:
        raise ValueError(f"{name}: must be a non-negative 32-bit value, got {value}")
    return int(value)


def check_level(level: Any) -> int:
    """Resolution levels to discard (0 = full resolution)."""
    level = check_count(level, "level")
    if level > MAX_LEVELS:
        raise ValueError(f"level: must be in 0..{MAX_LEVELS} (resolution levels to discard), got {level}")
    return level




def check_decode_level(level: Any) -> Tuple[int, bool]:
    """decode()'s level: a count, or ``"best"`` (the finest level the data holds).

    Returns ``(level, best)``."""
    if isinstance(level, str):
        if level != "best":
            raise TypeError(f"level: expected an int (levels to discard) or 'best', got {level!r}")
        return 0, True
    return check_level(level), False


def check_layers(layers: Any) -> int:
    """Quality layers to decode or keep: ``None`` (all; returned as 0) or a count >= 1."""
    if layers is None:
        return 0
    if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)):
        raise TypeError(f"layers: expected an int (quality layers to keep) or None, got {type(layers).__name__}")
    if not 1 <= layers <= 65535:
        raise ValueError(f"layers: must be in 1..65535, got {layers}")
    return int(layers)


def _choice(value: Any, name: str, choices: Tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a str, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_decoder(decoder: Any) -> str:
    return _choice(decoder, "decoder", DECODERS)


def check_decode_checksums(checksums: Any, level: int, best: bool) -> bool:
    """decode(checksums=...): a bool; the checksums come with a full-resolution decode."""
    if not isinstance(checksums, (bool, np.bool_)):
        raise TypeError(f"checksums: expected a bool, got {type(checksums).__name__}")
    if checksums and (best or level):
        raise ValueError("checksums: the level checksums come with a full-resolution decode (level 0)")
    return bool(checksums)


def check_encoder(encoder: Any) -> str:
    return _choice(encoder, "encoder", ENCODERS)


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


def _optional(check):
    def run(value: Any, name: str) -> Any:
        return None if value is None else check(value, name)

    return run


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    return int(value)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a float, got {type(value).__name__}")
    return float(value)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_, int, np.integer)):
        raise TypeError(f"{name}: expected a bool, got {type(value).__name__}")
    return bool(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a str, got {value!r}")
    return value


def _pairs(value: Any, name: str) -> List[Tuple[int, int]]:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected a list of (width, height) pairs, got {value!r}")
    return [pair(p, name) for p in value]


#: encode()'s keyword options and the type each takes (the optional ones take None:
#: the core's default).
#: The values are checked by the C++ core (bindings/encode_options.hpp, check_options).
ENCODE_OPTIONS = {
    "reversible": _optional(_flag),
    "qstep": _optional(_number),
    "levels": _optional(_integer),
    "block_size": pair,
    "precincts": _optional(_pairs),
    "progression": _text,
    "tile_size": _optional(pair),
    "bit_depth": _optional(_integer),
    "colour_transform": _optional(_flag),
    "tlm": _flag,
    "tileparts": _optional(_text),
    "plt": _flag,
    "container": _text,
    "encoder": _text,
    "threads": _integer,
    "checksums": _flag,
}


def encode_array(array: Any, components: Optional[int] = None) -> Tuple[np.ndarray, Optional[int]]:
    """The array as ``_core.encode`` reads it (integer samples, little-endian, rows
    C-contiguous at a positive stride) and the bit depth a bool array implies."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array: expected a numpy array, got {type(array).__name__}")
    implied = None
    if array.dtype == np.bool_:
        array, implied = array.view(np.uint8), 1
    if array.dtype.kind not in "ui" or array.dtype.itemsize not in (1, 2, 4):
        raise TypeError(f"array: dtype {array.dtype} is not supported; use uint8/int8/uint16/int16/uint32/int32")
    if array.ndim not in (2, 3):
        raise ValueError(f"array: expected (H, W) or (H, W, C), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"array: empty image of shape {array.shape}")
    held = array.shape[2] if array.ndim == 3 else 1
    if components is not None:
        if isinstance(components, bool) or not isinstance(components, (int, np.integer)):
            raise TypeError(f"components: expected an int or None, got {type(components).__name__}")
        if components != held:
            raise ValueError(f"components: {components} given, the array of shape {array.shape} holds {held}")
    elif held > MAX_ARRAY_COMPONENTS:
        raise ValueError(
            f"array: shape {array.shape} would be an image of {held} components (more than "
            f"{MAX_ARRAY_COMPONENTS} in the last axis: grey, RGB, RGBA need no more); for a stack of frames "
            f"(F, H, W) use htj2k.encode_many(stack), for a multi-component image pass components={held}")
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and not np.little_endian):
        array = array.astype(array.dtype.newbyteorder("<"))
    if array.ndim == 3:
        inner_ok = array.strides[2] == array.itemsize and array.strides[1] == array.itemsize * array.shape[2]
    else:
        inner_ok = array.strides[1] == array.itemsize
    if not inner_ok or array.strides[0] < 0:
        array = np.ascontiguousarray(array)
    return array, implied


def encode_options(array: Any, options: Dict[str, Any]) -> Tuple[np.ndarray, Dict[str, Any]]:
    """The array and options dict to hand to ``_core.encode`` (shared with
    :func:`htj2k.encode_many`); an unknown option is a TypeError."""
    unknown = sorted(set(options) - set(ENCODE_OPTIONS) - {"components"})
    if unknown:
        raise TypeError(f"encode: unknown option(s) {', '.join(unknown)}")
    options = dict(options)
    array, implied_depth = encode_array(array, options.pop("components", None))
    checked = {k: ENCODE_OPTIONS[k](v, k) for k, v in options.items()}
    if checked.get("bit_depth") is None and implied_depth is not None:
        checked["bit_depth"] = implied_depth
    return array, checked


def levels_list(levels: Optional[Iterable[int]]) -> List[int]:
    if levels is None:
        return []
    if isinstance(levels, (int, np.integer)) and not isinstance(levels, bool):
        levels = [levels]
    out = []
    for r in levels:
        if isinstance(r, bool) or not isinstance(r, (int, np.integer)):
            raise TypeError(f"levels: expected ints, got {type(r).__name__}")
        if not 0 <= r <= MAX_LEVELS:
            raise ValueError(f"levels: each must be in 0..{MAX_LEVELS}, got {r}")
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

