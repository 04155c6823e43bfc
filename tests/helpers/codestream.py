"""Walking a codestream's markers (for tests that damage chosen bytes)."""

from __future__ import annotations

import dataclasses
import struct
from typing import List


_LENGTHLESS = {0xFF4F, 0xFF93, 0xFFD9, 0xFF92}


@dataclasses.dataclass
class Marker:
    code: int
    offset: int  # of the marker within the codestream
    length: int  # 2 + Lmar for segments, 2 for lengthless markers

    @property
    def end(self) -> int:
        return self.offset + self.length


def walk_markers(cs: bytes) -> List[Marker]:
    """Markers of a bare codestream: main header segments, each SOT, SOD (tile data
    skipped via Psot) and EOC. For well-formed streams only."""
    out: List[Marker] = []
    pos = 0
    n = len(cs)
    while pos + 2 <= n:
        code = struct.unpack(">H", cs[pos : pos + 2])[0]
        if code in _LENGTHLESS:
            out.append(Marker(code, pos, 2))
            if code == 0xFFD9:
                break
            pos += 2
            continue
        lmar = struct.unpack(">H", cs[pos + 2 : pos + 4])[0]
        out.append(Marker(code, pos, 2 + lmar))
        if code == 0xFF90:  # SOT: find SOD inside the tile-part header, then jump by Psot
            psot = struct.unpack(">I", cs[pos + 6 : pos + 10])[0]
            q = pos + 2 + lmar
            while q + 2 <= n:
                m = struct.unpack(">H", cs[q : q + 2])[0]
                if m == 0xFF93:
                    out.append(Marker(m, q, 2))
                    break
                lm = struct.unpack(">H", cs[q + 2 : q + 4])[0]
                out.append(Marker(m, q, 2 + lm))
                q += 2 + lm
            pos = pos + psot if psot else n - 2
            continue
        pos += 2 + lmar
    return out


def find_marker(cs: bytes, code: int) -> Marker:
    for m in walk_markers(cs):
        if m.code == code:
            return m
    raise LookupError(hex(code))


# --------------------------------------------------------------------------- OpenJPEG
