"""Progressive frames: where each resolution level of a frame lies in its bytes.

An imaging archive serves RPCL frames with one tile-part per resolution level and a
TLM index, so that a client can read the first bytes of a frame for a thumbnail and
append more for more resolution. :func:`htj2k.info` gives ``level_ranges`` (how many
leading bytes hold each level), :func:`htj2k.decode` decodes a level from a prefix
that holds it (``level="best"``: the finest held), and :func:`split_levels` cuts a
frame at its level boundaries, as the archive's TLM proxy returns it.
:func:`transcode` re-lays a frame out (progression, tile-parts, TLM, PLT) without
decoding its pixels, e.g. to give existing frames that layout.
"""

from __future__ import annotations

import os
import struct
from typing import Any, List, Optional, Union

from . import _core
from ._args import BytesLike, as_buffer, check_layers
from ._errors import IncompleteCodestreamError, UnsupportedCodestreamError
from ._rules import PROGRESSIONS

__all__ = ["split_levels", "transcode"]


def split_levels(data: Union[BytesLike, str, os.PathLike]) -> List[bytes]:
    """The frame cut at its resolution-level boundaries, base first.

    Piece ``i`` holds what level ``L - i`` adds to the pieces before it (the first
    also holds the boxes and main header, the last everything up to the end of the
    data), so ``b"".join(pieces)`` is the frame and the first ``k`` pieces decode at
    level ``L - k + 1``. Any progression order works; one that does not keep
    resolutions together (PCRL, CPRL) leaves the first pieces nearly empty and the
    last one nearly everything.

    Raises:
        IncompleteCodestreamError: ``data`` is only the first bytes of a frame.
        UnsupportedCodestreamError: a codestream our packet walk does not read
            (several quality layers, POC, PPM/PPT), naming the feature.
        InvalidCodestreamError: malformed data.
    """
    buf = as_buffer(data)
    d = _core.parse_info(buf)
    ends = d["level_ranges"]  # base first
    if d["truncated"]:
        raise IncompleteCodestreamError(
            f"split_levels: the data ({len(buf)} bytes) ends before the codestream does; it needs the whole frame"
        )
    if not ends or any(e is None for e in ends):
        raise UnsupportedCodestreamError(f"split_levels: {d['level_ranges_error'] or 'level boundaries not known'}")
    view = memoryview(buf).cast("B")
    pieces, start = [], 0
    for end in ends[:-1]:
        pieces.append(bytes(view[start:end]))
        start = end
    pieces.append(bytes(view[start:]))
    return pieces


def _tristate(value: Any, name: str) -> int:
    if value is None:
        return -1
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected True, False or None (keep), got {type(value).__name__}")
    return int(value)


def _tile_parts(value: Any) -> int:
    if value is None:
        return -1
    if value is False or value == "":
        return 0
    if not isinstance(value, str):
        raise TypeError(f"tileparts: expected 'R', 'C', 'RC', False (one per tile) or None (keep), "
                        f"got {type(value).__name__}")
    division = {"R": 1, "C": 2, "RC": 3, "CR": 3}.get(value.upper())  # bits of codestream/transcode.hpp
    if division is None:
        raise ValueError(f"tileparts: expected 'R', 'C' or 'RC' (or False: one per tile), got {value!r}")
    return division


def transcode(
    data: Union[BytesLike, str, os.PathLike],
    *,
    progression: Optional[str] = None,
    tileparts: Union[str, bool, None] = None,
    tlm: Optional[bool] = None,
    plt: Optional[bool] = None,
    layers: Optional[int] = None,
) -> bytes:
    """The frame re-laid out without decoding its pixels: packets reordered into
    ``progression`` ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL") within each tile,
    tile-parts divided as :func:`encode` divides them (``tileparts="R"``: per
    resolution level, ``"C"``: per component, ``"RC"``: both; division-major across
    tiles) or one per tile (``False``), a TLM index and PLT packet lengths
    written (``True``) or dropped (``False``). ``None`` keeps what the input has.
    Packet bytes are carried over unchanged, so the output decodes to the same
    pixels at every level; a JPH/JP2 input gives the same boxes around the new
    codestream.

    ``layers``: quality layers to keep. ``None`` keeps the input's (packets of a
    codestream with several layers are not moved: refused naming the feature);
    ``k`` joins the first ``k`` into one layer first, without decoding a sample
    (SOP/EPH markers are dropped with it; see "Quality layers" in the README).

    Raises:
        UnsupportedCodestreamError: what cannot be re-laid out, named: several
            quality layers without ``layers``, POC, PPM/PPT/PLM, SOP markers when packets move, a
            division the target progression does not keep contiguous (a tile-part per
            resolution with PCRL/CPRL, per component with RPCL/PCRL), ...
        InvalidCodestreamError: malformed or incomplete data.
    """
    if progression is not None:
        if not isinstance(progression, str):
            raise TypeError(f"progression: expected a str, got {type(progression).__name__}")
        if progression.upper() not in PROGRESSIONS:
            raise ValueError(f"progression: expected one of {', '.join(PROGRESSIONS)}, got {progression!r}")
    keep = check_layers(layers)
    buf = as_buffer(data)
    d = _core.parse_info(buf)
    order = -1 if progression is None else PROGRESSIONS.index(progression.upper())
    view = memoryview(buf).cast("B")
    start, length = int(d["codestream_offset"]), int(d["codestream_length"])
    cs = _core.transcode(view[start : start + length], order, _tile_parts(tileparts), _tristate(tlm, "tlm"),
                         _tristate(plt, "plt"), keep)
    if start == 0:
        return cs
    return _rebox(view, start, length, cs)


def _rebox(view: memoryview, start: int, length: int, cs: bytes) -> bytes:
    """The boxes of a JPH/JP2 file around a new codestream (its jp2c box resized)."""
    header = 16 if start >= 16 and bytes(view[start - 12 : start - 8]) == b"jp2c" else 8
    box = start - header
    if header == 16:
        jp2c = struct.pack(">I4sQ", 1, b"jp2c", len(cs) + 16)
    else:
        jp2c = struct.pack(">I4s", len(cs) + 8, b"jp2c")
    return bytes(view[:box]) + jp2c + cs + bytes(view[start + length :])


def to_jph(data: Union[BytesLike, str, os.PathLike]) -> bytes:
    """A bare codestream (``.j2c``, e.g. a frame as DICOM stores it) in a JPH file:
    signature, ``ftyp`` brand ``jph ``, ``jp2h`` with ``ihdr`` (size, components, bit
    depth and signedness from the codestream's SIZ; ``bpcc`` when they differ) and
    ``colr`` (sRGB for 3 or more components, else greyscale), then the codestream,
    byte for byte. A JPH or JP2 input is refused (ValueError)."""
    return _core.wrap_jph(as_buffer(data))

