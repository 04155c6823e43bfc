"""PNG files through Pillow, and pypng for what Pillow changes.

Pillow (``pip install 'htj2k[images]'``) reads and writes 1-bit, 8-bit grey, grey +
alpha, RGB and RGBA and 16-bit grey PNGs quickly; it reads 16-bit colour and
grey + alpha PNGs as 8 bits and scales 2- and 4-bit grey to 0..255, which a
lossless codec must not do, so those go through pypng (pure Python, the whole PNG
specification, slower). Palette PNGs are refused (they hold indices into a
colour table). Samples come back as PNG stores them: uint8 (bit depth <= 8; 0/1
for 1-bit) or uint16, ``(H, W)`` or ``(H, W, C)`` with C = 2 (grey + alpha), 3 or 4.
"""

from __future__ import annotations

import io
import os
import struct
from typing import Any, Tuple

import numpy as np

from .formats import ImageFormatError, PathLike, read_source

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (3: palette)


def png_header(data: bytes, name: str) -> Tuple[int, int, int, int]:
    """``(width, height, bit_depth, colour_type)`` from the IHDR chunk."""
    if data[:8] != PNG_SIGNATURE:
        raise ImageFormatError(f"{name}: not a PNG file")
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageFormatError(f"{name}: truncated PNG (no IHDR chunk)")
    width, height, bits, colour = struct.unpack(">IIBB", data[16:26])
    if colour == 3:
        raise ImageFormatError(f"{name}: palette PNG (indices into a colour table); convert it to RGB first")
    if colour not in _CHANNELS or bits not in (1, 2, 4, 8, 16):
        raise ImageFormatError(f"{name}: invalid PNG header (colour type {colour}, bit depth {bits})")
    return width, height, bits, colour


def png_bit_depth(source: Any) -> int:
    """Bits per sample of a PNG file (IHDR)."""
    name, data = read_source(source)
    return png_header(data, name)[2]


def read_png(source: Any) -> np.ndarray:
    """The samples of a PNG file (a path, bytes or a binary file-like object)."""
    name, data = read_source(source)
    _, _, bits, colour = png_header(data, name)
    try:
        if bits in (2, 4) or (bits == 16 and colour != 0):
            return _read_pypng(data)
        return _read_pillow(data)
    except ImportError:
        raise
    except Exception as e:
        raise ImageFormatError(f"{name}: unreadable PNG: {' '.join(str(e).split())}") from None


def _read_pillow(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        arr = np.asarray(im)
    if arr.dtype == np.bool_:  # 1-bit
        arr = arr.astype(np.uint8)
    elif arr.dtype.kind in "iu" and arr.dtype.itemsize > 2:  # 16-bit grey opened as mode "I"
        arr = arr.astype(np.uint16)
    elif arr.dtype.itemsize == 2:
        arr = arr.astype(np.uint16)
    return np.ascontiguousarray(arr)


def _read_pypng(data: bytes) -> np.ndarray:
    import png

    width, height, rows, meta = png.Reader(bytes=data).read()
    planes = int(meta["planes"])
    dtype = np.uint16 if int(meta["bitdepth"]) > 8 else np.uint8
    arr = np.vstack([np.asarray(r, dtype=dtype) for r in rows]) if height else np.zeros((0, width * planes), dtype)
    return arr.reshape((height, width, planes) if planes > 1 else (height, width))


def write_png(path: PathLike, array: np.ndarray) -> None:
    """Write uint8/bool or uint16 samples, ``(H, W)`` or ``(H, W, C)`` with C 1..4."""
    name = os.fspath(path)
    arr = array[:, :, 0] if array.ndim == 3 and array.shape[2] == 1 else array
    comps = 1 if arr.ndim == 2 else arr.shape[2] if arr.ndim == 3 else 0
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255 if comps != 1 else arr
    if arr.dtype not in (np.bool_, np.uint8, np.uint16) or not 1 <= comps <= 4:
        raise ImageFormatError(
            f"{name}: PNG holds uint8/uint16 images with 1 to 4 components, not {arr.dtype} "
            f"of shape {array.shape}; use .tif or .npy"
        )
    arr = np.ascontiguousarray(arr)
    if arr.dtype == np.uint16 and comps > 1:
        import png

        h, w = arr.shape[:2]
        writer = png.Writer(w, h, greyscale=comps < 3, alpha=comps in (2, 4), bitdepth=16)
        with open(path, "wb") as f:
            writer.write_array(f, arr.reshape(-1))
        return
    from PIL import Image

    Image.fromarray(arr).save(path, format="PNG")
