"""Reading and writing uncompressed images for the ``htj2k`` command line.

Formats, chosen by the file extension (case-insensitive):

* ``.npy``: :func:`numpy.load` / :func:`numpy.save` (no pickles).
* ``.pgm`` ``.ppm`` ``.pnm``: Netpbm. Reads binary P5/P6 and plain (ASCII) P2/P3
  with maxval 1..65535 (two-byte samples are big-endian, as the Netpbm spec says);
  returns uint8 (maxval < 256) or uint16 arrays of shape ``(H, W)`` or ``(H, W, 3)``.
  Writes P5 (one component) or P6 (three components) from uint8/uint16 arrays.
* ``.raw``: headerless samples; reading needs ``shape`` and ``dtype``.
  Little-endian unless the dtype string says otherwise (``'>u2'``).

Codestreams (``.j2c .j2k .jhc .jph .jp2``) are not images here: see
:func:`is_codestream_path`. Problems with a file raise :class:`ImageFormatError`
(a :class:`ValueError`) with a one-line message naming the file.

This module only needs numpy; it does not import the C++ extension.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    "ImageFormatError",
    "PnmHeader",
    "CODESTREAM_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "PNM_EXTENSIONS",
    "is_codestream_path",
    "is_image_path",
    "image_format",
    "read_image",
    "write_image",
    "read_pnm_header",
    "pnm_bit_depth",
    "parse_shape",
    "parse_dtype",
]

PathLike = Union[str, "os.PathLike[str]"]

CODESTREAM_EXTENSIONS = frozenset({".j2c", ".j2k", ".jhc", ".jph", ".jp2"})
PNM_EXTENSIONS = frozenset({".pgm", ".ppm", ".pnm"})
IMAGE_EXTENSIONS = frozenset({".npy", ".raw"} | PNM_EXTENSIONS)

_PNM_MAGICS = {b"P2": (1, False), b"P3": (3, False), b"P5": (1, True), b"P6": (3, True)}
_PNM_MAX_HEADER = 64 * 1024  # a header (with comments) longer than this is refused


class ImageFormatError(ValueError):
    """An image file is malformed, truncated or unsupported, or an array cannot be
    written in the requested format. The message names the file."""


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


def _ext(path: PathLike) -> str:
    return os.path.splitext(os.fspath(path))[1].lower()


def is_codestream_path(path: PathLike) -> bool:
    """True for the extensions of codestreams and JPEG 2000 files (j2c, j2k, jhc, jph, jp2)."""
    return _ext(path) in CODESTREAM_EXTENSIONS


def is_image_path(path: PathLike) -> bool:
    """True for the extensions :func:`read_image`/:func:`write_image` handle."""
    return _ext(path) in IMAGE_EXTENSIONS


def image_format(path: PathLike) -> str:
    """``"npy"``, ``"pnm"`` or ``"raw"`` for ``path``'s extension; else :class:`ImageFormatError`."""
    ext = _ext(path)
    if ext == ".npy":
        return "npy"
    if ext in PNM_EXTENSIONS:
        return "pnm"
    if ext == ".raw":
        return "raw"
    name = os.fspath(path)
    if ext in CODESTREAM_EXTENSIONS:
        raise ImageFormatError(f"{name}: is a codestream ({ext}), not an image file")
    shown = f"extension '{ext}'" if ext else "no extension"
    raise ImageFormatError(f"{name}: unsupported image format ({shown}); use .npy, .pgm/.ppm/.pnm or .raw")


# --------------------------------------------------------------------------- parsing helpers


def parse_shape(text: Union[str, Sequence[int]]) -> Tuple[int, ...]:
    """``"512x512"``, ``"480x640x3"`` (also with ``,`` or ``*``) or a sequence -> a tuple of
    positive ints, 1 to 3 of them (``H``, ``H x W`` or ``H x W x C``)."""
    if isinstance(text, str):
        parts = [p for p in re.split(r"[x,*X\s]+", text.strip()) if p]
        try:
            dims = tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(f"invalid shape {text!r}; expected HxW or HxWxC, e.g. 512x512") from None
    else:
        try:
            dims = tuple(int(d) for d in text)
        except (TypeError, ValueError):
            raise ValueError(f"invalid shape {text!r}; expected a sequence of ints") from None
    if not 1 <= len(dims) <= 3 or any(d <= 0 for d in dims):
        raise ValueError(f"invalid shape {text!r}; expected HxW or HxWxC with positive sizes")
    return dims


def parse_dtype(text: Union[str, np.dtype, type]) -> np.dtype:
    """An integer dtype, little-endian unless the byte order is explicit (``'>u2'``).

    Accepts numpy names (``'uint16'``, ``'int16'``, ``'u2'``, ``'<u2'``, ``'>i2'``).
    """
    try:
        dt = np.dtype(text.strip() if isinstance(text, str) else text)
    except TypeError:
        raise ValueError(f"invalid dtype {text!r}; expected e.g. uint8, uint16, int16, '<u2'") from None
    if isinstance(text, str):
        explicit_order = text.strip()[:1] in ("<", ">", "|")
    else:  # a dtype object: keep a non-native order, default native ones to little-endian
        explicit_order = dt.byteorder in ("<", ">")
    if dt.kind == "b":
        dt = np.dtype(np.uint8)
    if dt.kind not in "ui" or dt.itemsize not in (1, 2, 4, 8):
        raise ValueError(f"unsupported dtype {text!r}; expected an integer type such as uint16 or int16")
    if dt.itemsize > 1 and not explicit_order:
        dt = dt.newbyteorder("<")
    return dt


# --------------------------------------------------------------------------- Netpbm


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


def _read_pnm(path: PathLike) -> np.ndarray:
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


def _write_pnm(path: PathLike, array: np.ndarray, bit_depth: Optional[int], maxval: Optional[int]) -> None:
    name = os.fspath(path)
    ext = _ext(path)
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


# --------------------------------------------------------------------------- npy, raw


def _read_npy(path: PathLike) -> np.ndarray:
    name = os.fspath(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, EOFError) as e:
        if isinstance(e, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise ImageFormatError(f"{name}: not a valid .npy file ({_one_line(e)})") from None
    except ValueError as e:
        msg = _one_line(e)
        if "pickle" in msg.lower():
            raise ImageFormatError(f"{name}: .npy holds Python objects (pickles are not loaded)") from None
        raise ImageFormatError(f"{name}: not a valid .npy file ({msg})") from None
    if not isinstance(arr, np.ndarray):  # an .npz archive saved as .npy
        try:
            arr.close()
        except Exception:
            pass
        raise ImageFormatError(f"{name}: is an .npz archive, not a single .npy array")
    return arr


def _read_raw(path: PathLike, shape, dtype) -> np.ndarray:
    name = os.fspath(path)
    if shape is None or dtype is None:
        missing = " and ".join(w for w, v in (("shape", shape), ("dtype", dtype)) if v is None)
        raise ImageFormatError(f"{name}: .raw input needs its {missing} (--shape HxW[xC] --dtype uint16)")
    try:
        dims = parse_shape(shape)
        dt = parse_dtype(dtype)
    except ValueError as e:
        raise ImageFormatError(f"{name}: {e}") from None
    need = int(np.prod(dims, dtype=np.int64)) * dt.itemsize
    have = os.path.getsize(path)
    if have != need:
        shown = "x".join(str(d) for d in dims)
        raise ImageFormatError(
            f"{name}: wrong size for shape {shown} {dt.name}: file has {have} bytes, expected {need}"
        )
    arr = np.fromfile(path, dtype=dt, count=int(np.prod(dims, dtype=np.int64)))
    if arr.size * dt.itemsize != need:  # the file changed under us
        raise ImageFormatError(f"{name}: truncated file: read {arr.size * dt.itemsize} of {need} bytes")
    return arr.astype(dt.newbyteorder("="), copy=False).reshape(dims)


def _write_raw(path: PathLike, array: np.ndarray, dtype=None) -> None:
    arr = np.asarray(array)
    if dtype is not None:
        dt = parse_dtype(dtype)
        arr = arr.astype(dt, copy=False)
    elif arr.dtype.itemsize > 1 and arr.dtype.kind in "uifc":
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(arr).tobytes())


# --------------------------------------------------------------------------- public


def read_image(
    path: PathLike,
    *,
    shape: Optional[Union[str, Sequence[int]]] = None,
    dtype: Optional[Union[str, np.dtype, type]] = None,
) -> np.ndarray:
    """Read an image file into a numpy array, by extension (see the module doc).

    Args:
        path: a ``.npy``, ``.pgm``/``.ppm``/``.pnm`` or ``.raw`` file.
        shape: ``.raw`` only (required there): ``(H, W)``/``(H, W, C)`` or ``"HxW[xC]"``.
        dtype: ``.raw`` only (required there): e.g. ``"uint16"``, ``"<u2"``, ``"int16"``;
            little-endian unless given as ``">..."``.

    Raises:
        ImageFormatError: malformed, truncated or unsupported file, or wrong arguments.
        OSError: the file cannot be opened.
    """
    fmt = image_format(path)
    if fmt != "raw" and (shape is not None or dtype is not None):
        raise ImageFormatError(f"{os.fspath(path)}: shape and dtype only apply to .raw files")
    if fmt == "npy":
        return _read_npy(path)
    if fmt == "pnm":
        return _read_pnm(path)
    return _read_raw(path, shape, dtype)


def write_image(
    path: PathLike,
    array: np.ndarray,
    *,
    bit_depth: Optional[int] = None,
    maxval: Optional[int] = None,
    dtype: Optional[Union[str, np.dtype, type]] = None,
) -> None:
    """Write ``array`` to ``path`` in the format its extension names.

    Args:
        bit_depth: PGM/PPM only: write maxval ``2**bit_depth - 1`` (default 255 for
            uint8, 65535 for uint16).
        maxval: PGM/PPM only: an explicit maxval instead of ``bit_depth``.
        dtype: ``.raw`` only: convert to this dtype first (default: the array's
            dtype, little-endian).

    Raises:
        ImageFormatError: the array cannot be stored in that format (e.g. int16 to PGM).
    """
    name = os.fspath(path)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array: expected a numpy array, got {type(array).__name__}")
    fmt = image_format(path)
    if fmt != "pnm" and (bit_depth is not None or maxval is not None):
        raise ImageFormatError(f"{name}: bit_depth/maxval only apply to PGM/PPM files")
    if fmt != "raw" and dtype is not None:
        raise ImageFormatError(f"{name}: dtype only applies to .raw files")
    if fmt == "npy":
        if array.dtype.hasobject:
            raise ImageFormatError(f"{name}: cannot write an object array")
        with open(path, "wb") as f:
            np.save(f, array, allow_pickle=False)
    elif fmt == "pnm":
        _write_pnm(path, array, bit_depth, maxval)
    else:
        _write_raw(path, array, dtype)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__
