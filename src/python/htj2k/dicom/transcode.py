"""HTJ2K transcoding of whole DICOM datasets (every frame, archive encoding profile)."""

from __future__ import annotations

import copy
from typing import List, Optional, Sequence

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import UID

from ..profile import encode_frame
from .errors import DicomImageError
from .frames import frames, image_parameters
from .uids import _YBR_TO_RGB, transfer_syntax_of

_DROP_WITH_PIXELS = ("ExtendedOffsetTable", "ExtendedOffsetTableLengths")


def _copy_without_pixels(dataset: Dataset, ts: UID) -> Dataset:
    """Every element but the pixel data (and what describes its encoding), with a
    file meta header for transfer syntax ``ts``."""
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
    return out


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
            archive-like parameters (:func:`htj2k.profile.encode_frame`).
        photometric_interpretation: of the decoded frames, when passing
            ``encoded_frames`` (default: as :func:`frames` reports it).
        transfer_syntax_uid: override the transfer syntax.

    Raises:
        DicomImageError: no pixel data, or a frame whose values exceed BitsStored.
    """
    params = image_parameters(dataset)
    pi = photometric_interpretation
    if encoded_frames is None:
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
    ts = UID(transfer_syntax_uid) if transfer_syntax_uid else transfer_syntax_of(encoded_frames)

    out = _copy_without_pixels(dataset, ts)
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
