"""The frames of a DICOM dataset with the parameters their checksums need (BitsStored, PixelRepresentation, photometric interpretation)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from .._rules import nominal_range, range_problem, sample_bytes
from .._types import LevelChecksum
from ..checksums import pixel_checksums
from ..codec import info as _htj2k_info
from ..io import is_dicom_path
from ..profile import levels_for_size
from .errors import DecoderUnavailableError, DicomImageError, NotAnImageError
from .plugin import PLUGIN_LABEL
from .uids import _YBR_TO_RGB, HTJ2K_TRANSFER_SYNTAXES, transfer_syntax


def _int_attr(ds: Dataset, keyword: str, default: Optional[int] = None) -> int:
    v = ds.get(keyword, default)
    if v is None or v == "":
        if default is None:
            raise DicomImageError(f"missing {keyword}")
        return default
    try:
        return int(v)
    except (TypeError, ValueError):
        raise DicomImageError(f"{keyword} is {v!r}, not an integer") from None


@dataclass(frozen=True)
class ImageParameters:
    """The Image Pixel attributes that decide how frames are decoded and checked."""

    transfer_syntax: str
    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    number_of_frames: int
    photometric_interpretation: str
    planar_configuration: Optional[int]
    sop_instance_uid: Optional[str]
    series_instance_uid: Optional[str]
    study_instance_uid: Optional[str]

    @property
    def signed(self) -> bool:
        return self.pixel_representation == 1


def image_parameters(dataset: Dataset) -> ImageParameters:
    """Validated Image Pixel attributes of ``dataset``.

    Raises:
        NotAnImageError: no (integer) Pixel Data, e.g. SR, RT plan, RT structure set.
        DicomImageError: Image Pixel attributes missing or invalid.
    """
    if "PixelData" not in dataset:
        for kw in ("FloatPixelData", "DoubleFloatPixelData"):
            if kw in dataset:
                raise NotAnImageError(f"{kw}: floating-point pixel data cannot be encoded as HTJ2K")
        sop = dataset.get("SOPClassUID")
        what = f" ({UID(str(sop)).name})" if sop else ""
        raise NotAnImageError(f"no Pixel Data: not an image{what}")
    ts = transfer_syntax(dataset)
    rows = _int_attr(dataset, "Rows")
    cols = _int_attr(dataset, "Columns")
    spp = _int_attr(dataset, "SamplesPerPixel", 1)
    ba = _int_attr(dataset, "BitsAllocated")
    bs = _int_attr(dataset, "BitsStored", ba)
    pr = _int_attr(dataset, "PixelRepresentation", 0)
    nf = _int_attr(dataset, "NumberOfFrames", 1)
    if rows <= 0 or cols <= 0:
        raise DicomImageError(f"empty image: Rows {rows}, Columns {cols}")
    if nf <= 0:
        raise DicomImageError(f"NumberOfFrames is {nf}")
    if not 1 <= bs <= max(ba, 1):
        raise DicomImageError(f"BitsStored {bs} does not fit BitsAllocated {ba}")
    if pr not in (0, 1):
        raise DicomImageError(f"PixelRepresentation is {pr}")
    pc = dataset.get("PlanarConfiguration")

    def uid(kw: str) -> Optional[str]:
        v = dataset.get(kw)
        return str(v) if v else None

    return ImageParameters(
        transfer_syntax=str(ts),
        rows=rows,
        columns=cols,
        samples_per_pixel=spp,
        bits_allocated=ba,
        bits_stored=bs,
        pixel_representation=pr,
        number_of_frames=nf,
        photometric_interpretation=str(dataset.get("PhotometricInterpretation", "") or "").strip(),
        planar_configuration=None if pc is None else int(pc),
        sop_instance_uid=uid("SOPInstanceUID"),
        series_instance_uid=uid("SeriesInstanceUID"),
        study_instance_uid=uid("StudyInstanceUID"),
    )


@dataclass
class DicomFrame:
    """One decoded frame and the parameters its checksums are computed with.

    ``pixels`` is ``(rows, columns)`` or ``(rows, columns, samples)``, exactly as
    decoded (never clipped to ``bit_depth``: see :meth:`range_error`).
    ``bit_depth`` is BitsStored, ``signed`` PixelRepresentation == 1,
    ``colour_transform`` whether the HTJ2K encoding uses the reversible colour
    transform (3-sample RGB data; for HTJ2K sources, what the codestream uses).
    ``levels`` is the source codestream's decomposition levels for HTJ2K sources,
    else the archive-like rule (:func:`default_levels`).
    ``photometric_interpretation`` describes ``pixels`` (e.g. ``"RGB"`` for JPEG
    YBR_FULL_422 data a decoder converted, ``"YBR_FULL"`` for native YBR data).
    """

    index: int
    pixels: np.ndarray
    bit_depth: int
    signed: bool
    colour_transform: bool
    levels: int
    photometric_interpretation: str
    codestream: Optional[bytes] = field(default=None, repr=False)

    @property
    def number(self) -> int:
        """1-based frame number (as in the archive's frame lists)."""
        return self.index + 1

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def samples_per_pixel(self) -> int:
        return 1 if self.pixels.ndim == 2 else int(self.pixels.shape[2])

    @property
    def value_range(self) -> Tuple[int, int]:
        """The nominal range of ``bit_depth`` / ``signed``."""
        return nominal_range(self.bit_depth, self.signed)

    @property
    def frame_size(self) -> int:
        """Bytes of the frame in the smallest container of ``bit_depth`` (the
        archive's ``FrameSizeInBytes``)."""
        return self.pixels.size * sample_bytes(self.bit_depth)

    def range_error(self) -> Optional[str]:
        """``None`` when every sample fits ``bit_depth``/``signed``, else why not."""
        return range_problem(self.pixels, self.bit_depth, self.signed, "BitsStored")

    def pixel_checksums(self, levels: Optional[int] = None) -> List[LevelChecksum]:
        """:func:`htj2k.pixel_checksums` of the frame with its parameters."""
        return pixel_checksums(
            self.pixels,
            self.levels if levels is None else levels,
            bit_depth=self.bit_depth,
            signed=self.signed,
            colour_transform=self.colour_transform if self.samples_per_pixel >= 3 else False,
        )


def _colour_transform_for(pi: str, spp: int) -> bool:
    return spp == 3 and pi in ("RGB",)


def pixel_decoder(ts: UID) -> Any:
    """pydicom's decoder of transfer syntax ``ts``; DecoderUnavailableError when no
    installed plugin serves it."""
    try:
        dec = get_decoder(ts)
    except NotImplementedError:
        raise DecoderUnavailableError(f"no pixel data decoder for transfer syntax {ts} ({ts.name})") from None
    if not dec.is_available:
        missing = "; ".join(dec.missing_dependencies) or "no plugin"
        raise DecoderUnavailableError(f"no installed decoder for {ts.name}: {missing}")
    return dec


def read_dataset(source: Any) -> Dataset:
    """A DICOM dataset from a path, bytes or a binary file-like object (an open
    file, ``io.BytesIO``, a ``StreamingBody``: read to the end) through
    :func:`pydicom.dcmread`. A dataset is returned as it is. A file without the
    ``DICM`` prefix is read if its name has a DICOM extension (.dcm, .dicom, .dic).

    Raises:
        DicomImageError: not a DICOM file.
    """
    if isinstance(source, Dataset):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif hasattr(source, "read") and not hasattr(source, "seek"):
        source = io.BytesIO(source.read())  # dcmread seeks
    name = source if not hasattr(source, "read") else getattr(source, "name", "<stream>")
    try:
        try:
            return dcmread(source)
        except InvalidDicomError:
            if not (isinstance(name, (str, os.PathLike)) and is_dicom_path(name, sniff=False)):
                raise
            if hasattr(source, "seek"):
                source.seek(0)
            return dcmread(source, force=True)
    except InvalidDicomError as e:
        raise DicomImageError(f"{os.fspath(name) if not hasattr(name, 'read') else name}: not a DICOM file ({e})") from None


def codestreams(source: Any, indices: Optional[Iterable[int]] = None) -> Iterator[bytes]:
    """The HTJ2K codestreams of an HTJ2K dataset (a dataset, or what
    :func:`read_dataset` reads), as stored, without decoding: every frame in
    order, or the 0-based ``indices``.

    Raises:
        DicomImageError: the transfer syntax is not HTJ2K (or no pixel data).
    """
    dataset = read_dataset(source)
    params = image_parameters(dataset)
    ts = UID(params.transfer_syntax)
    if ts not in HTJ2K_TRANSFER_SYNTAXES:
        raise DicomImageError(f"the transfer syntax is {ts.name}, not HTJ2K")
    n = params.number_of_frames
    for i in _frame_order(n, indices):
        yield bytes(get_frame(dataset.PixelData, i, number_of_frames=n))


def _frame_order(count: int, indices: Optional[Iterable[int]]) -> List[int]:
    """The 0-based frame indices asked for (all by default), each checked."""
    if indices is None:
        return list(range(count))
    order = [int(i) for i in indices]
    for i in order:
        if not 0 <= i < count:
            raise IndexError(f"frame index {i} outside 0..{count - 1}")
    return order


def frames(
    source: Any,
    *,
    indices: Optional[Iterable[int]] = None,
    decoding_plugin: str = "",
) -> Iterator[DicomFrame]:
    """Yield the frames of a dataset (every frame of a multi-frame object).

    ``source`` is a :class:`pydicom.dataset.Dataset` or what :func:`read_dataset`
    reads (a path, bytes, a binary file-like object).

    Pixels are decoded by pydicom with the installed plugins (HTJ2K transfer
    syntaxes by htj2k), without colour-space conversion (``as_rgb=False``) and
    without masking bits above BitsStored (``correct_unused_bits=False``), so a
    frame whose stored values exceed BitsStored shows it (:meth:`DicomFrame.range_error`).
    Multi-sample frames are ``(rows, columns, samples)`` whatever the Planar
    Configuration.

    Args:
        indices: 0-based frame indices to decode (default: all, in order).
        decoding_plugin: a pydicom plugin label to force (e.g. ``"pylibjpeg"``).

    Raises:
        NotAnImageError, DecoderUnavailableError, DicomImageError: before the
            first frame; pydicom's errors (e.g. truncated pixel data) while decoding.
    """
    dataset = read_dataset(source)
    params = image_parameters(dataset)
    ts = UID(params.transfer_syntax)
    dec = pixel_decoder(ts)
    is_htj2k = ts in HTJ2K_TRANSFER_SYNTAXES
    if is_htj2k and not decoding_plugin and PLUGIN_LABEL in dec.available_plugins:
        decoding_plugin = PLUGIN_LABEL
    opts: Dict[str, Any] = {"as_rgb": False, "decoding_plugin": decoding_plugin}
    if not ts.is_encapsulated:
        opts["correct_unused_bits"] = False
    order = _frame_order(params.number_of_frames, indices)
    if not order:
        return
    indices = None if indices is None else order
    codestreams: Optional[Iterator[bytes]] = None
    if is_htj2k:
        def _codestreams() -> Iterator[bytes]:
            for i in order:
                yield get_frame(dataset.PixelData, i, number_of_frames=params.number_of_frames)

        codestreams = _codestreams()
    it = dec.iter_array(dataset, indices=indices, **opts)
    for pos, (arr, props) in enumerate(it):
        if pos >= len(order):  # excess JPEG frames beyond NumberOfFrames
            break
        index = order[pos]
        spp = int(props.get("samples_per_pixel", params.samples_per_pixel))
        pi = str(props.get("photometric_interpretation", params.photometric_interpretation))
        if spp > 1 and pi in _YBR_TO_RGB:
            pi = "RGB"
        levels = levels_for_size(params.columns, params.rows)
        ct = _colour_transform_for(pi, spp)
        cs = None
        if codestreams is not None:
            cs = bytes(next(codestreams))
            try:
                inf = _htj2k_info(cs)
                levels = inf.levels
                ct = bool(inf.colour_transform)
            except Exception:  # the frame decoded; its header is readable in practice
                pass
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        yield DicomFrame(
            index=index,
            pixels=arr,
            bit_depth=params.bits_stored,
            signed=params.signed,
            colour_transform=ct,
            levels=levels,
            photometric_interpretation=pi,
            codestream=cs,
        )
