"""The HTJ2K transfer syntaxes and how a dataset's transfer syntax is read."""

from __future__ import annotations

from typing import Optional

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID

from ..codec import features
from .errors import DicomImageError

HTJ2K_LOSSLESS = UID("1.2.840.10008.1.2.4.201")


HTJ2K_LOSSLESS_RPCL = UID("1.2.840.10008.1.2.4.202")


HTJ2K = UID("1.2.840.10008.1.2.4.203")


HTJ2K_TRANSFER_SYNTAXES = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)


_YBR_TO_RGB = ("YBR_RCT", "YBR_ICT")


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


def htj2k_transfer_syntax(tlm: Optional[bool] = None) -> UID:
    """The transfer syntax our lossless RPCL frames qualify for: HTJ2K with RPCL
    Options (``.202``) when they carry TLM markers, else HTJ2K Lossless (``.201``).
    ``tlm=None`` asks :func:`htj2k.features` (``"tlm"``: True on every release, our
    tile-part writer adding TLM where OpenJPH cannot)."""
    if tlm is None:
        tlm = bool(features().get("tlm"))
    return HTJ2K_LOSSLESS_RPCL if tlm else HTJ2K_LOSSLESS
