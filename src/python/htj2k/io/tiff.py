"""TIFF files through tifffile (``pip install 'htj2k[images]'``).

tifffile reads every integer TIFF (any bit depth up to 32, signed or not, grey or
RGB, contiguous or separate planes, multi-page, the usual compressions) into
numpy without converting samples, and writes them back; pages are frames.
"""

from __future__ import annotations

import io
import os
from typing import Any, List, Sequence, Tuple, Union

import numpy as np

from .formats import ImageFormatError, PathLike, read_source

TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def _pages(source: Any) -> Tuple[str, Any]:
    import tifffile

    name, data = read_source(source)
    if data[:4] not in TIFF_SIGNATURES:
        raise ImageFormatError(f"{name}: not a TIFF file")
    try:
        tf = tifffile.TiffFile(io.BytesIO(data))
    except Exception as e:
        raise ImageFormatError(f"{name}: unreadable TIFF: {' '.join(str(e).split())}") from None
    return name, tf


def _page_array(page: Any, name: str, number: int) -> np.ndarray:
    try:
        arr = page.asarray()
    except Exception as e:
        raise ImageFormatError(f"{name}: page {number}: unreadable: {' '.join(str(e).split())}") from None
    if arr.ndim == 3 and str(page.axes).startswith("S"):
        arr = arr.transpose(1, 2, 0)  # separate planes
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    if arr.dtype.kind not in "ui" or arr.ndim not in (2, 3):
        raise ImageFormatError(f"{name}: page {number}: {arr.dtype} samples of shape {arr.shape} (integer images only)")
    return np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("=")))


def read_tiff_frames(source: Any) -> List[np.ndarray]:
    """Every page of a TIFF file (a path, bytes or a binary file-like object), in order."""
    name, tf = _pages(source)
    with tf:
        return [_page_array(p, name, i + 1) for i, p in enumerate(tf.pages)]


def tiff_bit_depth(source: Any) -> int:
    """Bits per sample of the first page."""
    name, tf = _pages(source)
    with tf:
        bits = tf.pages[0].bitspersample
    return int(max(bits) if isinstance(bits, tuple) else bits)


def write_tiff(path: PathLike, frames: Union[np.ndarray, Sequence[np.ndarray]]) -> None:
    """Write an image, or a sequence of images as pages (uncompressed; images of one
    shape and dtype as one series, which ``tifffile.imread`` returns as a stack)."""
    import tifffile

    name = os.fspath(path)
    arrays = [frames] if isinstance(frames, np.ndarray) else list(frames)
    for a in arrays:
        comps = 1 if a.ndim == 2 else a.shape[2] if a.ndim == 3 else 0
        if a.dtype.kind not in "uib" or a.dtype.itemsize > 4 or not 1 <= comps <= 4:
            raise ImageFormatError(
                f"{name}: TIFF here holds integer images up to 32 bits with 1 to 4 components, "
                f"not {a.dtype} of shape {a.shape}; use .npy"
            )
    arrays = [a[:, :, 0] if a.ndim == 3 and a.shape[2] == 1 else np.ascontiguousarray(a) for a in arrays]
    same = len(arrays) > 1 and all(a.shape == arrays[0].shape and a.dtype == arrays[0].dtype for a in arrays)
    # (image, samples per pixel): images of one kind as one series of pages
    groups = [(np.stack(arrays), arrays[0])] if same else [(a, a) for a in arrays]
    with tifffile.TiffWriter(path) as tw:
        for data, one in groups:
            comps = 1 if one.ndim == 2 else one.shape[2]
            tw.write(
                data, photometric="rgb" if comps in (3, 4) else "minisblack",
                planarconfig="contig" if comps > 1 else None,
                extrasamples=("unassalpha",) if comps == 4 else None,
            )
