"""File formats by extension, the error they raise and argument parsers (shape, dtype)."""

from __future__ import annotations

import os
import re
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


CODESTREAM_EXTENSIONS = frozenset({".j2c", ".j2k", ".jhc", ".jph", ".jp2"})


PNM_EXTENSIONS = frozenset({".pgm", ".ppm", ".pnm"})


DICOM_EXTENSIONS = frozenset({".dcm", ".dicom", ".dic"})


PNG_EXTENSIONS = frozenset({".png"})


TIFF_EXTENSIONS = frozenset({".tif", ".tiff"})


IMAGE_EXTENSIONS = frozenset({".npy", ".raw"} | PNM_EXTENSIONS | PNG_EXTENSIONS | TIFF_EXTENSIONS)


class ImageFormatError(ValueError):
    """An image file is malformed, truncated or unsupported, or an array cannot be
    written in the requested format. The message names the file."""


def extension(path: PathLike) -> str:
    return os.path.splitext(os.fspath(path))[1].lower()


def is_codestream_path(path: PathLike) -> bool:
    """True for the extensions of codestreams and JPEG 2000 files (j2c, j2k, jhc, jph, jp2)."""
    return extension(path) in CODESTREAM_EXTENSIONS


def is_dicom_path(path: PathLike, sniff: bool = True) -> bool:
    """True for a DICOM extension (.dcm, .dicom, .dic) or, with ``sniff``, a file
    with the ``DICM`` prefix after its 128-byte preamble (any name)."""
    if extension(path) in DICOM_EXTENSIONS:
        return True
    if not sniff or extension(path) in CODESTREAM_EXTENSIONS | IMAGE_EXTENSIONS:
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def is_image_path(path: PathLike) -> bool:
    """True for the extensions :func:`read_image`/:func:`write_image` handle."""
    return extension(path) in IMAGE_EXTENSIONS


def read_source(source: Any) -> Tuple[str, bytes]:
    """``(name, bytes)`` of a path, a bytes-like object or a binary file-like object
    (anything with ``read()``, e.g. an open file, ``io.BytesIO`` or boto3's
    ``StreamingBody``; read to the end)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>", bytes(source)
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"source: read() returned {type(data).__name__}, not bytes (open the file in binary mode)")
        return str(getattr(source, "name", "<stream>")), bytes(data)
    name = os.fspath(source)
    with open(name, "rb") as f:
        return name, f.read()


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
    (b"\x93NUMPY", "npy"),
)


def sniff_format(data: bytes) -> Optional[str]:
    """``"png"``, ``"tiff"``, ``"npy"`` or ``"pnm"`` from the first bytes, else ``None``."""
    for sig, fmt in _SIGNATURES:
        if data.startswith(sig):
            return fmt
    if data[:1] == b"P" and data[1:2] in (b"2", b"3", b"5", b"6") and data[2:3].isspace():
        return "pnm"
    return None


def image_format(path: PathLike) -> str:
    """``"npy"``, ``"pnm"``, ``"png"``, ``"tiff"`` or ``"raw"`` for ``path``'s extension;
    else :class:`ImageFormatError`."""
    ext = extension(path)
    if ext in PNG_EXTENSIONS:
        return "png"
    if ext in TIFF_EXTENSIONS:
        return "tiff"
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
    raise ImageFormatError(f"{name}: unsupported image format ({shown}); use .npy, .png, .tif, .pgm/.ppm/.pnm or .raw")


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


def one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__
