"""Source readers: the frames of one file, each with its pixels and bit depth."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional, Set, Tuple

import numpy as np

from ...codec import decode, info
from ...io import DICOM_EXTENSIONS, image_bit_depth, pnm_bit_depth, read_frames, read_image
from .records import _err, _one_line


def _jph_codestream(data: bytes) -> bytes:
    """The contiguous codestream box (``jp2c``) of a JPH/JP2 file."""
    pos, n = 0, len(data)
    while pos + 8 <= n:
        lbox = int.from_bytes(data[pos : pos + 4], "big")
        tbox = data[pos + 4 : pos + 8]
        hdr = 8
        if lbox == 1:
            lbox = int.from_bytes(data[pos + 8 : pos + 16], "big")
            hdr = 16
        elif lbox == 0:
            lbox = n - pos
        if tbox == b"jp2c":
            return data[pos + hdr : pos + lbox]
        if lbox < hdr:
            break
        pos += lbox
    raise ValueError("no codestream box in the JPH data")


class _Skip(Exception):
    """The file is not read (the message is the reason)."""


@dataclass
class _Source:
    """One source frame before verification."""

    number: int
    pixels: Optional[np.ndarray]
    bit_depth: int
    signed: bool
    colour_transform: bool
    photometric_interpretation: Optional[str] = None
    error: Optional[str] = None  # decoding failed


def _npy_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    try:
        arr = read_image(path)
    except Exception as e:
        raise _Skip(f"unreadable: {_err(e)}") from None
    if arr.dtype == np.bool_:
        arr, bits = arr.view(np.uint8), 1
    elif arr.dtype.kind in "ui" and arr.dtype.itemsize in (1, 2, 4):
        bits = arr.dtype.itemsize * 8
    else:
        raise _Skip(f"unsupported: dtype {arr.dtype} (integer images only)")
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise _Skip(f"unsupported: shape {arr.shape} (expected HxW or HxWxC)")
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    src = _Source(1, arr, bits, arr.dtype.kind == "i", spp == 3, "RGB" if spp == 3 else None)
    return {}, iter([src])


def _pnm_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    try:
        arr = read_image(path)
        bits = pnm_bit_depth(path)
    except Exception as e:
        raise _Skip(f"unreadable: {_err(e)}") from None
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    src = _Source(1, arr, bits, False, spp == 3, "RGB" if spp == 3 else "MONOCHROME2")
    return {}, iter([src])


def _frames_sources(path: str, what: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    """Every frame of a PNG/TIFF file, at the bit depth its header declares."""
    try:
        arrays = read_frames(path)
        bits = image_bit_depth(path)
    except ImportError as e:
        raise _Skip(f"{what} needs the optional package {e.name}: pip install 'htj2k[images]'") from None
    except Exception as e:
        raise _Skip(f"unreadable: {_err(e)}") from None
    sources = []
    for number, arr in enumerate(arrays, 1):
        if arr.ndim not in (2, 3) or arr.size == 0:
            raise _Skip(f"unsupported: frame {number} has shape {arr.shape} (expected HxW or HxWxC)")
        spp = 1 if arr.ndim == 2 else arr.shape[2]
        depth = bits if bits is not None else arr.dtype.itemsize * 8
        pi = "RGB" if spp == 3 else "MONOCHROME2" if spp == 1 else None
        sources.append(_Source(number, arr, depth, arr.dtype.kind == "i", spp == 3, pi))
    return {}, iter(sources)


def _png_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    return _frames_sources(path, "PNG")


def _tiff_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    """Every page of a TIFF file is a frame."""
    return _frames_sources(path, "TIFF")


def _codestream_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    try:
        with open(path, "rb") as f:
            data = f.read()
        inf = info(data)
    except Exception as e:
        raise _Skip(f"unreadable: {_err(e)}") from None
    if not inf.supported:
        raise _Skip(f"unsupported: {_one_line(inf.unsupported_reason)}")
    if inf.dtype is None:
        raise _Skip("unsupported: components of different sizes or signedness")

    def gen() -> Iterator[_Source]:
        try:
            arr = decode(data)
        except Exception as e:
            yield _Source(1, None, inf.bit_depth, inf.signed, False, error=f"decoding failed: {_err(e)}")
            return
        spp = inf.num_components
        yield _Source(1, arr, inf.bit_depth, inf.signed, spp >= 3 and inf.colour_transform, "RGB" if spp == 3 else None)

    return {}, gen()


def _dicom_sources(path: str, skip: Set[int]) -> Tuple[Dict[str, Any], Iterator[_Source], Any]:
    try:
        import pydicom
        from pydicom.errors import InvalidDicomError
    except ImportError:
        raise _Skip("pydicom is not installed (pip install htj2k[dicom])") from None
    from ... import dicom as hdicom

    ext = os.path.splitext(path)[1].lower()
    forced = False
    try:
        try:
            ds = pydicom.dcmread(path)
        except InvalidDicomError:
            if ext not in DICOM_EXTENSIONS:
                raise
            forced = True
            ds = pydicom.dcmread(path, force=True)
    except Exception as e:
        raise _Skip(f"unreadable DICOM: {_err(e)}") from None
    if forced and not any(0x0002 <= tag.group <= 0x0028 and not tag.is_private for tag in ds.keys()):
        raise _Skip("unreadable DICOM: no 'DICM' prefix and no recognisable DICOM attributes")
    if not any(kw in ds for kw in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        sop = ds.get("SOPClassUID")
        sop_name = pydicom.uid.UID(str(sop)).name if sop else ""
        if ("Rows" in ds and "Columns" in ds) or "Image Storage" in sop_name:
            what = f"a {sop_name} object" if "Image Storage" in sop_name else "Rows/Columns describe an image"
            raise _Skip(f"no Pixel Data although {what} (truncated file?)")
    try:
        params = hdicom.image_parameters(ds)
        hdicom.pixel_decoder(pydicom.uid.UID(params.transfer_syntax))
    except hdicom.DicomImageError as e:
        raise _Skip(_one_line(e)) from None
    except Exception as e:
        raise _Skip(f"unreadable DICOM: {_err(e)}") from None
    meta = {
        "sop_instance_uid": params.sop_instance_uid,
        "series_instance_uid": params.series_instance_uid,
        "study_instance_uid": params.study_instance_uid,
        "transfer_syntax": params.transfer_syntax,
    }
    indices = [i for i in range(params.number_of_frames) if i + 1 not in skip]

    def source(f: Any) -> _Source:
        return _Source(f.number, f.pixels, f.bit_depth, f.signed, f.colour_transform, f.photometric_interpretation)

    def failed(index: int, e: BaseException) -> _Source:
        return _Source(index + 1, None, params.bits_stored, params.signed, False, error=f"decoding failed: {_err(e)}")

    def gen() -> Iterator[_Source]:
        done: Set[int] = set()
        try:
            for f in hdicom.frames(ds, indices=None if len(indices) == params.number_of_frames else indices):
                done.add(f.index)
                yield source(f)
            return
        except Exception as e:
            first_error = e
        # the frame after the last one decoded failed; try the others one by one so
        # that every frame gets a verdict (encapsulated frames are independent)
        rest = [i for i in indices if i not in done]
        for k, i in enumerate(rest):
            if k == 0:
                yield failed(i, first_error)
                continue
            try:
                (f,) = list(hdicom.frames(ds, indices=[i]))
            except Exception as e:
                yield failed(i, e)
            else:
                yield source(f)

    return meta, gen(), ds
