"""Reading and writing uncompressed images (``htj2k.io``) for the command line and the tools.

Formats, chosen by the file extension (case-insensitive):

* ``.npy``: :func:`numpy.load` / :func:`numpy.save` (no pickles).
* ``.pgm`` ``.ppm`` ``.pnm``: Netpbm. Reads binary P5/P6 and plain (ASCII) P2/P3
  with maxval 1..65535 (two-byte samples are big-endian, as the Netpbm spec says);
  returns uint8 (maxval < 256) or uint16 arrays of shape ``(H, W)`` or ``(H, W, 3)``.
  Writes P5 (one component) or P6 (three components) from uint8/uint16 arrays.
* ``.raw``: headerless samples; reading needs ``shape`` and ``dtype``.
  Little-endian unless the dtype string says otherwise (``'>u2'``).
* ``.png``: 1/2/4/8/16-bit grey, grey + alpha, RGB, RGBA (:mod:`.png`: Pillow, and
  pypng for 16-bit colour and 2/4-bit grey, which Pillow converts).
* ``.tif`` ``.tiff``: integer TIFF through tifffile (:mod:`.tiff`); every page is a
  frame (:func:`read_frames`); :func:`read_image` refuses a multi-page file.

PNG and TIFF need the optional packages of ``pip install 'htj2k[images]'``
(imported when first used: a missing one raises ``ImportError``). They (and
``.npy``) are also read from bytes or a binary file-like object, the format
then told by the first bytes.

Codestreams (``.j2c .j2k .jhc .jph .jp2``) are not images here: see
:func:`is_codestream_path`. Problems with a file raise :class:`ImageFormatError`
(a :class:`ValueError`) with a one-line message naming the file.

This module only needs numpy; it does not import the C++ extension.
"""

from __future__ import annotations

import io
import os
from typing import List, Optional, Sequence, Union

import numpy as np

from .formats import (
    CODESTREAM_EXTENSIONS,
    DICOM_EXTENSIONS,
    IMAGE_EXTENSIONS,
    PNG_EXTENSIONS,
    PNM_EXTENSIONS,
    TIFF_EXTENSIONS,
    ImageFormatError,
    PathLike,
    image_format,
    is_codestream_path,
    is_dicom_path,
    is_image_path,
    parse_dtype,
    parse_shape,
    read_source,
    sniff_format,
)
from .netpbm import PnmHeader, pnm_bit_depth, read_pnm, read_pnm_header, write_pnm
from .png import png_bit_depth, read_png, write_png
from .raw import read_npy, read_raw, write_raw
from .tiff import read_tiff_frames, tiff_bit_depth, write_tiff

__all__ = [
    "ImageFormatError",
    "PnmHeader",
    "CODESTREAM_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "PNM_EXTENSIONS",
    "PNG_EXTENSIONS",
    "TIFF_EXTENSIONS",
    "read_frames",
    "image_bit_depth",
    "write_frames",
    "is_codestream_path",
    "is_dicom_path",
    "DICOM_EXTENSIONS",
    "is_image_path",
    "image_format",
    "read_image",
    "write_image",
    "read_pnm_header",
    "pnm_bit_depth",
    "parse_shape",
    "parse_dtype",
]


def read_image(
    path: PathLike,
    *,
    shape: Optional[Union[str, Sequence[int]]] = None,
    dtype: Optional[Union[str, np.dtype, type]] = None,
) -> np.ndarray:
    """Read an image file into a numpy array, by extension (see the module doc).

    Args:
        path: a ``.npy``, ``.png``, ``.tif``, ``.pgm``/``.ppm``/``.pnm`` or ``.raw`` file;
            or bytes / a binary file-like object holding a PNG, TIFF or ``.npy`` file.
        shape: ``.raw`` only (required there): ``(H, W)``/``(H, W, C)`` or ``"HxW[xC]"``.
        dtype: ``.raw`` only (required there): e.g. ``"uint16"``, ``"<u2"``, ``"int16"``;
            little-endian unless given as ``">..."``.

    Raises:
        ImageFormatError: malformed, truncated or unsupported file, or wrong arguments.
        OSError: the file cannot be opened.
    """
    if _is_data(path):
        frames = read_frames(path)
        name = "<stream>"
    else:
        fmt = image_format(path)
        name = os.fspath(path)
        if fmt != "raw" and (shape is not None or dtype is not None):
            raise ImageFormatError(f"{name}: shape and dtype only apply to .raw files")
        if fmt == "raw":
            return read_raw(path, shape, dtype)
        frames = read_frames(path)
    if len(frames) != 1:
        raise ImageFormatError(f"{name}: {len(frames)} pages; read them as frames (read_frames)")
    return frames[0]


def _is_data(source: object) -> bool:
    return isinstance(source, (bytes, bytearray, memoryview)) or hasattr(source, "read")


def read_frames(source: object) -> List[np.ndarray]:
    """The frames of an image file: every page of a TIFF file, the one image of
    the other formats (not ``.raw``). ``source`` is a path, bytes or a binary
    file-like object (format told by the first bytes)."""
    if _is_data(source):
        name, data = read_source(source)
        fmt = sniff_format(data)
        if fmt is None or fmt == "pnm":
            raise ImageFormatError(f"{name}: not a PNG, TIFF or .npy file")
        source = data
    else:
        fmt = image_format(source)  # type: ignore[arg-type]
    if fmt == "tiff":
        return read_tiff_frames(source)
    if fmt == "png":
        return [read_png(source)]
    if fmt == "npy":
        return [read_npy(source if not isinstance(source, bytes) else io.BytesIO(source))]
    if fmt == "pnm":
        return [read_pnm(source)]  # type: ignore[arg-type]
    raise ImageFormatError(f"{os.fspath(source)}: raw samples need a shape and dtype (read_image)")  # type: ignore


def image_bit_depth(path: PathLike) -> Optional[int]:
    """Bits per sample the file declares (PGM/PPM maxval, PNG and TIFF headers), or
    ``None`` for formats that declare none (``.npy``, ``.raw``: the dtype's width)."""
    fmt = image_format(path)
    if fmt == "pnm":
        return pnm_bit_depth(path)
    if fmt == "png":
        return png_bit_depth(path)
    if fmt == "tiff":
        return tiff_bit_depth(path)
    return None


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
        write_pnm(path, array, bit_depth, maxval)
    elif fmt == "png":
        write_png(path, array)
    elif fmt == "tiff":
        write_tiff(path, array)
    else:
        write_raw(path, array, dtype)


def write_frames(path: PathLike, frames: Sequence[np.ndarray]) -> None:
    """Write several images to one file: pages of a TIFF file (the only format here
    holding several); one frame goes to any format (:func:`write_image`)."""
    frames = list(frames)
    if len(frames) == 1:
        write_image(path, frames[0])
    elif image_format(path) == "tiff":
        write_tiff(path, frames)
    else:
        raise ImageFormatError(f"{os.fspath(path)}: {len(frames)} frames; only TIFF holds several (use .tif)")
