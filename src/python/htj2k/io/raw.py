"""``.npy`` (no pickles) and headerless ``.raw`` samples."""

from __future__ import annotations

import os

import numpy as np

from .formats import ImageFormatError, PathLike, one_line, parse_dtype, parse_shape


def read_npy(path: PathLike) -> np.ndarray:
    name = str(getattr(path, "name", "<stream>")) if hasattr(path, "read") else os.fspath(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, EOFError) as e:
        if isinstance(e, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise ImageFormatError(f"{name}: not a valid .npy file ({one_line(e)})") from None
    except ValueError as e:
        msg = one_line(e)
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


def read_raw(path: PathLike, shape, dtype) -> np.ndarray:
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


def write_raw(path: PathLike, array: np.ndarray, dtype=None) -> None:
    arr = np.asarray(array)
    if dtype is not None:
        dt = parse_dtype(dtype)
        arr = arr.astype(dt, copy=False)
    elif arr.dtype.itemsize > 1 and arr.dtype.kind in "uifc":
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(arr).tobytes())
