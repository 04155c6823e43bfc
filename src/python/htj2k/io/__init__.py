"""Reading and writing uncompressed images (``htj2k.io``) for the command line and the tools.

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
from typing import Optional, Sequence, Union

import numpy as np

from .formats import (
    CODESTREAM_EXTENSIONS,
    IMAGE_EXTENSIONS,
    PNM_EXTENSIONS,
    ImageFormatError,
    PathLike,
    image_format,
    is_codestream_path,
    is_image_path,
    parse_dtype,
    parse_shape,
)
from .netpbm import PnmHeader, pnm_bit_depth, read_pnm, read_pnm_header, write_pnm
from .raw import read_npy, read_raw, write_raw

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
        return read_npy(path)
    if fmt == "pnm":
        return read_pnm(path)
    return read_raw(path, shape, dtype)


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
    else:
        write_raw(path, array, dtype)
