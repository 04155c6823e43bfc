"""The HTJ2K transfer syntaxes and how a dataset's transfer syntax is read."""

from __future__ import annotations

from typing import Optional, Sequence

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID

from ..codec import features, info
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


#: PS3.5 10.18: the base resolution of an HTJ2K Lossless RPCL frame is at most this
#: wide or high (enough decompositions for a thumbnail).
RPCL_BASE_MAX = 64


def transfer_syntax_of(codestreams: Sequence[bytes]) -> UID:
    """The transfer syntax encoded frames qualify for, from the frames themselves:
    HTJ2K Lossless RPCL (``.202``) when every one is reversible, RPCL, carries TLM
    markers and has enough decompositions for its base resolution to be at most
    64 wide or high (PS3.5 10.18); else HTJ2K Lossless (``.201``) when every one is
    reversible; else HTJ2K (``.203``)."""
    infos = [info(c) for c in codestreams]
    if not infos or not all(i.reversible for i in infos):
        return HTJ2K
    rpcl = all(
        i.progression == "RPCL" and i.has_tlm and min(i.level_sizes[0]) <= RPCL_BASE_MAX for i in infos
    )
    return HTJ2K_LOSSLESS_RPCL if rpcl else HTJ2K_LOSSLESS