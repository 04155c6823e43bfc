"""DICOM helpers: HTJ2K pixel-data decoding for pydicom 3, frames with their
checksum parameters, and HTJ2K transcoding of whole datasets.

Importing this module registers htj2k as a pydicom pixel-data decoder plugin
(label ``"htj2k"``) for the three HTJ2K transfer syntaxes, ahead of pydicom's
own plugins, so ``dataset.pixel_array`` decodes HTJ2K frames with htj2k::

    >>> import htj2k.dicom                      # registers the plugin
    >>> ds = pydicom.dcmread("ct_htj2k.dcm")    # doctest: +SKIP
    >>> ds.pixel_array                          # doctest: +SKIP

    >>> for f in htj2k.dicom.frames(ds):        # doctest: +SKIP
    ...     sums = f.pixel_checksums()          # bit depth = BitsStored, ...

    >>> out = htj2k.dicom.to_htj2k_dataset(ds)  # doctest: +SKIP
    >>> out.save_as("ct_htj2k.dcm", enforce_file_format=True)  # doctest: +SKIP

pydicom (>= 3.0) is required: ``pip install htj2k[dicom]``. pydicom has no
entry point for decoder plugins, so the registration happens on import (or by
calling :func:`register_pydicom_plugin`).

Transfer syntaxes:

* ``1.2.840.10008.1.2.4.201`` HTJ2K Lossless (what :func:`to_htj2k_dataset` writes),
* ``1.2.840.10008.1.2.4.202`` HTJ2K with RPCL Options (Lossless), written when
  the linked OpenJPH can add TLM markers (``htj2k.features()["tlm"]``),
* ``1.2.840.10008.1.2.4.203`` HTJ2K (lossless or lossy; decoded only).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID

from ._codec import decode as _htj2k_decode
from ._codec import info as _htj2k_info
from ._types import LevelChecksum

__all__ = [
    "HTJ2K_LOSSLESS",
    "HTJ2K_LOSSLESS_RPCL",
    "HTJ2K",
    "HTJ2K_TRANSFER_SYNTAXES",
    "PLUGIN_LABEL",
    "DicomImageError",
    "NotAnImageError",
    "DecoderUnavailableError",
    "DicomFrame",
    "ImageParameters",
    "image_parameters",
    "transfer_syntax",
    "frames",
    "to_htj2k_dataset",
    "htj2k_transfer_syntax",
    "register_pydicom_plugin",
    "unregister_pydicom_plugin",
    "is_available",
    "DECODER_DEPENDENCIES",
]

HTJ2K_LOSSLESS = UID("1.2.840.10008.1.2.4.201")
HTJ2K_LOSSLESS_RPCL = UID("1.2.840.10008.1.2.4.202")
HTJ2K = UID("1.2.840.10008.1.2.4.203")
HTJ2K_TRANSFER_SYNTAXES = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)

#: The label of our decoder plugin in pydicom (``decoding_plugin="htj2k"``).
PLUGIN_LABEL = "htj2k"

#: What pydicom shows when the plugin is unavailable (required of plugin modules).
DECODER_DEPENDENCIES = {uid: ("htj2k>=0.1",) for uid in HTJ2K_TRANSFER_SYNTAXES}

_YBR_TO_RGB = ("YBR_RCT", "YBR_ICT")


class DicomImageError(ValueError):
    """A DICOM dataset whose pixel data cannot be used (the message says why)."""


class NotAnImageError(DicomImageError):
    """The dataset has no integer Pixel Data (SR, RT plan, float pixel data, ...)."""


class DecoderUnavailableError(DicomImageError):
    """pydicom has no installed plugin that decodes this transfer syntax."""


# --------------------------------------------------------------------------- pydicom plugin


def is_available(uid: str) -> bool:
    """pydicom plugin hook: ``True`` for the HTJ2K transfer syntaxes."""
    return uid in HTJ2K_TRANSFER_SYNTAXES


def _decode_frame(src: bytes, runner: Any) -> bytearray:
    """pydicom plugin hook: decode one encapsulated HTJ2K frame.

    Returns the samples colour-by-pixel (planar configuration 0), little-endian,
    in the smallest integer container of the codestream's bit depth (the runner's
    *bits_allocated* is set to match, as pydicom's other JPEG 2000 plugins do);
    pydicom then applies its sign correction when the codestream's signedness
    differs from *Pixel Representation*. YBR_RCT/YBR_ICT data come back as RGB
    (the decoder applies the inverse colour transform).
    """
    arr = _htj2k_decode(src)
    rows, cols = int(runner.rows), int(runner.columns)
    spp = int(runner.samples_per_pixel)
    got_spp = 1 if arr.ndim == 2 else arr.shape[2]
    if arr.shape[:2] != (rows, cols) or got_spp != spp:
        raise ValueError(
            f"the HTJ2K frame is {arr.shape[1]}x{arr.shape[0]} with {got_spp} component(s); "
            f"the dataset says {cols}x{rows} with {spp} sample(s) per pixel"
        )
    runner.set_option("bits_allocated", arr.dtype.itemsize * 8)
    if spp > 1:
        runner.set_option("planar_configuration", 0)
        if runner.photometric_interpretation in _YBR_TO_RGB:
            runner.set_option("photometric_interpretation", "RGB")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return bytearray(np.ascontiguousarray(arr).tobytes())


def _decoders() -> List[Any]:
    from pydicom.pixels.decoders import base

    return [base.get_decoder(uid) for uid in HTJ2K_TRANSFER_SYNTAXES]


def register_pydicom_plugin(prefer: bool = True) -> List[str]:
    """Add htj2k (label ``"htj2k"``) to pydicom's decoders of the HTJ2K transfer
    syntaxes. Idempotent; called when :mod:`htj2k.dicom` is imported.

    Args:
        prefer: try htj2k before pydicom's other plugins (e.g. pylibjpeg-openjpeg)
            when no ``decoding_plugin`` is named. pydicom tries plugins in the
            order they were added and has no public way to reorder them, so this
            reorders its private plugin table (skipped if that ever changes).

    Returns:
        The transfer syntax UIDs now served by the plugin.
    """
    done = []
    for dec in _decoders():
        if PLUGIN_LABEL not in dec.available_plugins:
            try:
                dec.add_plugin(PLUGIN_LABEL, (__name__, "_decode_frame"))
            except ValueError:  # already registered as unavailable; replace
                dec.remove_plugin(PLUGIN_LABEL)
                dec.add_plugin(PLUGIN_LABEL, (__name__, "_decode_frame"))
        table = getattr(dec, "_available", None)
        if prefer and isinstance(table, dict) and PLUGIN_LABEL in table:
            ours = table.pop(PLUGIN_LABEL)
            rest = dict(table)
            table.clear()
            table[PLUGIN_LABEL] = ours
            table.update(rest)
        done.append(str(dec.UID))
    return done


def unregister_pydicom_plugin() -> None:
    """Remove the htj2k plugin from pydicom's HTJ2K decoders (if present)."""
    for dec in _decoders():
        try:
            dec.remove_plugin(PLUGIN_LABEL)
        except ValueError:
            pass


# --------------------------------------------------------------------------- image parameters


def transfer_syntax(dataset: Dataset) -> UID:
    """The dataset's transfer syntax: *file_meta* TransferSyntaxUID, else the
    encoding it was read with (files without a meta header)."""
    meta = getattr(dataset, "file_meta", None)
    ts = None if meta is None else meta.get("TransferSyntaxUID")
    if ts:
        return UID(str(ts))
    enc = getattr(dataset, "original_encoding", (None, None))
    implicit, little = enc if enc else (None, None)
    if implicit is None:
        raise DicomImageError("no Transfer Syntax UID and no known encoding")
    if implicit:
        return pydicom.uid.ImplicitVRLittleEndian
    return pydicom.uid.ExplicitVRLittleEndian if little else pydicom.uid.ExplicitVRBigEndian


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


# --------------------------------------------------------------------------- frames


def default_levels(width: int, height: int) -> int:
    """Decomposition levels of the archive-like encoding: ``min(5, floor(log2(min(W, H))))``."""
    from .roundtrip import levels_for_size

    return levels_for_size(width, height)


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
        if self.signed:
            return -(1 << (self.bit_depth - 1)), (1 << (self.bit_depth - 1)) - 1
        return 0, (1 << self.bit_depth) - 1

    @property
    def frame_size(self) -> int:
        """Bytes of the frame in the smallest container of ``bit_depth`` (the
        archive's ``FrameSizeInBytes``)."""
        return self.pixels.size * _container_bytes(self.bit_depth)

    def range_error(self) -> Optional[str]:
        """``None`` when every sample fits ``bit_depth``/``signed``, else why not."""
        lo, hi = self.value_range
        mn, mx = int(self.pixels.min()), int(self.pixels.max())
        if lo <= mn and mx <= hi:
            return None
        kind = "signed" if self.signed else "unsigned"
        return (
            f"pixel values {mn}..{mx} exceed BitsStored {self.bit_depth} "
            f"({kind} range {lo}..{hi}); not clipped"
        )

    def pixel_checksums(self, levels: Optional[int] = None) -> List[LevelChecksum]:
        """:func:`htj2k.pixel_checksums` of the frame with its parameters."""
        from .checksums import pixel_checksums

        return pixel_checksums(
            self.pixels,
            self.levels if levels is None else levels,
            bit_depth=self.bit_depth,
            signed=self.signed,
            colour_transform=self.colour_transform if self.samples_per_pixel >= 3 else False,
        )


def _container_bytes(bit_depth: int) -> int:
    return 1 if bit_depth <= 8 else 2 if bit_depth <= 16 else 4


def _smallest_dtype(bit_depth: int, signed: bool) -> np.dtype:
    return np.dtype(f"{'i' if signed else 'u'}{_container_bytes(bit_depth)}")


def _colour_transform_for(pi: str, spp: int) -> bool:
    return spp == 3 and pi in ("RGB",)


def _decoder_for(ts: UID) -> Any:
    from pydicom.pixels import get_decoder

    try:
        dec = get_decoder(ts)
    except NotImplementedError:
        raise DecoderUnavailableError(f"no pixel data decoder for transfer syntax {ts} ({ts.name})") from None
    if not dec.is_available:
        missing = "; ".join(dec.missing_dependencies) or "no plugin"
        raise DecoderUnavailableError(f"no installed decoder for {ts.name}: {missing}")
    return dec


def frames(
    dataset: Dataset,
    *,
    indices: Optional[Iterable[int]] = None,
    decoding_plugin: str = "",
) -> Iterator[DicomFrame]:
    """Yield the frames of ``dataset`` (every frame of a multi-frame object).

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
    params = image_parameters(dataset)
    ts = UID(params.transfer_syntax)
    dec = _decoder_for(ts)
    is_htj2k = ts in HTJ2K_TRANSFER_SYNTAXES
    if is_htj2k and not decoding_plugin and PLUGIN_LABEL in dec.available_plugins:
        decoding_plugin = PLUGIN_LABEL
    opts: Dict[str, Any] = {"as_rgb": False, "decoding_plugin": decoding_plugin}
    if not ts.is_encapsulated:
        opts["correct_unused_bits"] = False
    if indices is not None:
        indices = [int(i) for i in indices]
        if not indices:
            return
        for i in indices:
            if not 0 <= i < params.number_of_frames:
                raise IndexError(f"frame index {i} outside 0..{params.number_of_frames - 1}")
    order = list(range(params.number_of_frames)) if indices is None else indices
    codestreams: Optional[Iterator[bytes]] = None
    if is_htj2k:
        from pydicom.encaps import get_frame

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
        levels = default_levels(params.columns, params.rows)
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


# --------------------------------------------------------------------------- transcoding


def htj2k_transfer_syntax(tlm: Optional[bool] = None) -> UID:
    """The transfer syntax our lossless RPCL frames qualify for: HTJ2K with RPCL
    Options (``.202``) when they carry TLM markers, else HTJ2K Lossless (``.201``).
    ``tlm=None`` asks the linked OpenJPH (``htj2k.features()["tlm"]``)."""
    if tlm is None:
        from ._codec import features

        tlm = bool(features().get("tlm"))
    return HTJ2K_LOSSLESS_RPCL if tlm else HTJ2K_LOSSLESS


_DROP_WITH_PIXELS = ("ExtendedOffsetTable", "ExtendedOffsetTableLengths")


def to_htj2k_dataset(
    dataset: Dataset,
    *,
    encoded_frames: Optional[Sequence[bytes]] = None,
    photometric_interpretation: Optional[str] = None,
    transfer_syntax_uid: Optional[str] = None,
) -> Dataset:
    """A copy of ``dataset`` with its Pixel Data encoded as lossless HTJ2K.

    Every attribute is kept except those describing the pixel encoding:
    *Transfer Syntax UID* (``.201``, or ``.202`` when TLM markers are written),
    encapsulated *Pixel Data* (with a Basic Offset Table), *Photometric
    Interpretation* (``RGB`` for colour decoded to RGB -- the colour transform is
    signalled in the codestream; ``YBR_FULL`` for native YBR data, whose
    subsampled ``YBR_FULL_422`` form is stored at full resolution),
    *Planar Configuration* (0 for colour, removed for one sample), *Bits Allocated*
    (8 instead of 1 for bit-packed data), and an Extended Offset Table is removed.

    Args:
        encoded_frames: codestreams already encoded for every frame (in order),
            e.g. by ``htj2k roundtrip``; default: encode them here with the
            archive-like parameters (:func:`htj2k.roundtrip.encode_frame`).
        photometric_interpretation: of the decoded frames, when passing
            ``encoded_frames`` (default: as :func:`frames` reports it).
        transfer_syntax_uid: override the transfer syntax.

    Raises:
        DicomImageError: no pixel data, or a frame whose values exceed BitsStored.
    """
    from pydicom.encaps import encapsulate

    params = image_parameters(dataset)
    pi = photometric_interpretation
    if encoded_frames is None:
        from .roundtrip import encode_frame

        encoded: List[bytes] = []
        for f in frames(dataset):
            err = f.range_error()
            if err:
                raise DicomImageError(f"frame {f.number}: {err}")
            encoded.append(encode_frame(f.pixels, f.bit_depth, f.signed, f.colour_transform))
            pi = f.photometric_interpretation
        encoded_frames = encoded
    else:
        encoded_frames = [bytes(b) for b in encoded_frames]
        if len(encoded_frames) != params.number_of_frames:
            raise ValueError(
                f"encoded_frames: {len(encoded_frames)} frames for a dataset of {params.number_of_frames}"
            )
    if pi is None:
        pi = params.photometric_interpretation
    if params.samples_per_pixel > 1 and pi in _YBR_TO_RGB:
        pi = "RGB"
    if pi == "YBR_FULL_422":  # decoders return it upsampled
        pi = "YBR_FULL"
    ts = UID(transfer_syntax_uid) if transfer_syntax_uid else htj2k_transfer_syntax()

    out = Dataset()
    for elem in dataset:
        if elem.tag == 0x7FE00010 or elem.keyword in _DROP_WITH_PIXELS:
            continue
        out.add(copy.deepcopy(elem))
    meta = FileMetaDataset()
    old_meta = getattr(dataset, "file_meta", None)
    if old_meta is not None:
        for elem in old_meta:
            meta.add(copy.deepcopy(elem))
    meta.TransferSyntaxUID = ts
    if "SOPClassUID" in out:
        meta.MediaStorageSOPClassUID = out.SOPClassUID
    if "SOPInstanceUID" in out:
        meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
    for kw in ("ImplementationClassUID", "ImplementationVersionName"):
        if kw in meta:
            del meta[kw]
    out.file_meta = meta
    out.PixelData = encapsulate(list(encoded_frames), has_bot=True)
    out["PixelData"].VR = "OB"
    out["PixelData"].is_undefined_length = True
    out.PhotometricInterpretation = pi
    if params.samples_per_pixel > 1:
        out.PlanarConfiguration = 0
    elif "PlanarConfiguration" in out:
        del out.PlanarConfiguration
    if params.bits_allocated == 1:
        out.BitsAllocated = 8
    return out


register_pydicom_plugin()
