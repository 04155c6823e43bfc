"""Netpbm (PGM/PPM): binary P5/P6 and plain P2/P3, maxval 1..65535, two-byte samples big-endian."""

from __future__ import annotations

import os
import re
from typing import NamedTuple, Optional, Tuple

import numpy as np

from .formats import ImageFormatError, PathLike, extension

_PNM_MAGICS = {b"P2": (1, False), b"P3": (3, False), b"P5": (1, True), b"P6": (3, True)}


_PNM_MAX_HEADER = 64 * 1024  # a header (with comments) longer than this is refused


class PnmHeader(NamedTuple):
    """What a Netpbm header declares."""

    magic: str  # "P2", "P3", "P5" or "P6"
    width: int
    height: int
    maxval: int
    components: int  # 1 (PGM) or 3 (PPM)
    offset: int  # where the raster starts

    @property
    def binary(self) -> bool:
        return self.magic in ("P5", "P6")

    @property
    def bit_depth(self) -> int:
        """Bits needed for maxval, e.g. 4095 -> 12, 255 -> 8, 1000 -> 10."""
        return int(self.maxval).bit_length()

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8 if self.maxval < 256 else np.uint16)

    @property
    def shape(self) -> Tuple[int, ...]:
        if self.components == 1:
            return (self.height, self.width)
        return (self.height, self.width, self.components)


def _pnm_tokens(buf: bytes, start: int, count: int, name: str) -> Tuple[list, int]:
    """Read ``count`` whitespace-separated decimal tokens from ``buf[start:]``, skipping
    ``#`` comments. Returns the ints and the position just after the last token."""
    values = []
    pos = start
    n = len(buf)
    while len(values) < count:
        # skip whitespace and comments
        while pos < n:
            c = buf[pos]
            if c in b" \t\r\n\v\f":
                pos += 1
            elif c == 0x23:  # '#': to end of line
                eol = buf.find(b"\n", pos)
                eol2 = buf.find(b"\r", pos)
                ends = [e for e in (eol, eol2) if e >= 0]
                pos = min(ends) + 1 if ends else n
            else:
                break
        if pos >= n:
            raise ImageFormatError(f"{name}: truncated Netpbm header")
        end = pos
        while end < n and 0x30 <= buf[end] <= 0x39:
            end += 1
        if end == pos:
            bad = buf[pos : pos + 10].decode("latin-1")
            raise ImageFormatError(f"{name}: bad Netpbm header: expected a number, found {bad!r}")
        if end - pos > 10:
            raise ImageFormatError(f"{name}: bad Netpbm header: number too large")
        if end < n and buf[end] not in b" \t\r\n\v\f#":
            bad = buf[pos : end + 1].decode("latin-1")
            raise ImageFormatError(f"{name}: bad Netpbm header: expected a number, found {bad!r}")
        values.append(int(buf[pos:end]))
        pos = end
    return values, pos


def _parse_pnm_header(buf: bytes, name: str) -> PnmHeader:
    if len(buf) < 2:
        raise ImageFormatError(f"{name}: empty or truncated file (no Netpbm header)")
    magic = bytes(buf[:2])
    if magic in (b"P1", b"P4"):
        raise ImageFormatError(f"{name}: PBM bitmaps ({magic.decode()}) are not supported; use PGM (P5) or PPM (P6)")
    if magic in (b"P7",):
        raise ImageFormatError(f"{name}: PAM (P7) is not supported; use PGM (P5) or PPM (P6)")
    if magic not in _PNM_MAGICS:
        raise ImageFormatError(f"{name}: bad header: not a PGM/PPM file (starts with {magic!r})")
    components, binary = _PNM_MAGICS[magic]
    if len(buf) > 2 and buf[2] not in b" \t\r\n\v\f#":
        raise ImageFormatError(f"{name}: bad Netpbm header: no whitespace after {magic.decode()}")
    (width, height, maxval), pos = _pnm_tokens(buf, 2, 3, name)
    if width <= 0 or height <= 0:
        raise ImageFormatError(f"{name}: bad Netpbm header: image size {width}x{height}")
    if not 1 <= maxval <= 65535:
        raise ImageFormatError(f"{name}: unsupported maxval {maxval} (must be 1..65535)")
    if binary:
        # exactly one whitespace character separates maxval from the raster
        if pos >= len(buf):
            raise ImageFormatError(f"{name}: truncated file: no pixel data after the header")
        if buf[pos] not in b" \t\r\n\v\f":
            raise ImageFormatError(f"{name}: bad Netpbm header: no whitespace after maxval")
        pos += 1
    return PnmHeader(magic.decode(), width, height, maxval, components, pos)


def read_pnm_header(path: PathLike) -> PnmHeader:
    """Parse a PGM/PPM header (P2, P3, P5, P6) without reading the raster."""
    name = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(_PNM_MAX_HEADER)
    try:
        return _parse_pnm_header(head, name)
    except ImageFormatError as e:
        if "truncated" in str(e) and len(head) == _PNM_MAX_HEADER:
            raise ImageFormatError(f"{name}: bad Netpbm header: longer than {_PNM_MAX_HEADER} bytes") from None
        raise


def pnm_bit_depth(path: PathLike) -> int:
    """Bit depth a PGM/PPM file's maxval implies: ``maxval.bit_length()`` (4095 -> 12)."""
    return read_pnm_header(path).bit_depth


def read_pnm(path: PathLike) -> np.ndarray:
    name = os.fspath(path)
    with open(path, "rb") as f:
        buf = f.read()
    h = _parse_pnm_header(buf, name)
    count = h.width * h.height * h.components
    if h.binary:
        sample_bytes = 1 if h.maxval < 256 else 2
        need = count * sample_bytes
        have = len(buf) - h.offset
        if have < need:
            raise ImageFormatError(
                f"{name}: truncated {h.magic} data: {h.width}x{h.height}x{h.components} "
                f"needs {need} bytes, file has {have}"
            )
        # trailing bytes are allowed (Netpbm files may hold several images; we read the first)
        dt = np.dtype(np.uint8) if sample_bytes == 1 else np.dtype(">u2")
        arr = np.frombuffer(buf, dtype=dt, count=count, offset=h.offset)
        arr = arr.astype(h.dtype)  # native byte order, and a writable copy
    else:
        text = re.sub(rb"#[^\r\n]*", b" ", buf[h.offset :])
        tokens = text.split()
        if len(tokens) < count:
            raise ImageFormatError(
                f"{name}: truncated {h.magic} data: {h.width}x{h.height}x{h.components} "
                f"needs {count} samples, file has {len(tokens)}"
            )
        tokens = tokens[:count]
        if not all(t.isdigit() for t in tokens):
            bad = next(t for t in tokens if not t.isdigit())
            raise ImageFormatError(f"{name}: bad {h.magic} data: {bad[:20].decode('latin-1')!r} is not a sample value")
        values = np.array([int(t) for t in tokens], dtype=np.int64)
        if values.size and int(values.max()) > h.maxval:
            raise ImageFormatError(f"{name}: sample value {int(values.max())} exceeds maxval {h.maxval}")
        arr = values.astype(h.dtype)
    arr = arr.reshape(h.shape)
    if h.binary and h.maxval not in (255, 65535) and arr.size:
        top = int(arr.max())
        if top > h.maxval:
            raise ImageFormatError(f"{name}: sample value {top} exceeds maxval {h.maxval}")
    return arr


def write_pnm(path: PathLike, array: np.ndarray, bit_depth: Optional[int], maxval: Optional[int]) -> None:
    name = os.fspath(path)
    ext = extension(path)
    arr = np.asarray(array)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    comps = 1 if arr.ndim == 2 else arr.shape[2] if arr.ndim == 3 else 0
    if comps not in (1, 3):
        raise ImageFormatError(
            f"{name}: PGM/PPM holds 1 or 3 components, the image has shape {arr.shape}; use .npy or .raw"
        )
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
        if bit_depth is None and maxval is None:
            maxval = 1
    if arr.dtype not in (np.uint8, np.uint16):
        raise ImageFormatError(
            f"{name}: PGM/PPM holds uint8 or uint16 samples, the image is {arr.dtype}; use .npy or .raw"
        )
    if ext == ".pgm" and comps != 1:
        raise ImageFormatError(f"{name}: .pgm holds one component, the image has {comps}; use .ppm or .pnm")
    if ext == ".ppm" and comps != 3:
        raise ImageFormatError(f"{name}: .ppm holds three components, the image has {comps}; use .pgm or .pnm")
    if arr.size == 0:
        raise ImageFormatError(f"{name}: cannot write an empty image of shape {arr.shape}")
    if bit_depth is not None and maxval is not None:
        raise ValueError("give bit_depth or maxval, not both")
    if bit_depth is not None:
        if isinstance(bit_depth, bool) or not 1 <= int(bit_depth) <= 16:
            raise ImageFormatError(f"{name}: bit depth {bit_depth} cannot be written to PGM/PPM (1..16)")
        maxval = (1 << int(bit_depth)) - 1
    elif maxval is None:
        maxval = 255 if arr.dtype == np.uint8 else 65535
    maxval = int(maxval)
    if not 1 <= maxval <= 65535:
        raise ImageFormatError(f"{name}: unsupported maxval {maxval} (must be 1..65535)")
    top = int(arr.max())
    if top > maxval:
        raise ImageFormatError(f"{name}: sample value {top} exceeds maxval {maxval}")
    magic = "P5" if comps == 1 else "P6"
    height, width = arr.shape[:2]
    header = f"{magic}\n{width} {height}\n{maxval}\n".encode("ascii")
    data = arr.astype(np.uint8 if maxval < 256 else ">u2", copy=False)
    with open(path, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(data).tobytes())
