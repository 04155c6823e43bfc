"""Progressive frames: where each resolution level of a frame lies in its bytes.

An imaging archive serves RPCL frames with one tile-part per resolution level and a
TLM index, so that a client can read the first bytes of a frame for a thumbnail and
append more for more resolution. :func:`htj2k.info` gives ``level_ranges`` (how many
leading bytes hold each level), :func:`htj2k.decode` decodes a level from a prefix
that holds it (``level="best"``: the finest held), and :func:`split_levels` cuts a
frame at its level boundaries, as the archive's TLM proxy returns it.
"""

from __future__ import annotations

import os
from typing import List, Union

from . import _core
from ._args import BytesLike, as_buffer
from ._errors import IncompleteCodestreamError, UnsupportedCodestreamError

__all__ = ["split_levels"]


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
