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


def plt_packet_ends(cs: bytes) -> List[List[int]]:
    """Per tile-part, in codestream order: the absolute offsets where its packets end,
    read from its PLT segments (15444-1 A.7.3: Zplt, then each packet length in 7-bit
    groups, most significant first, bit 7 set on every byte but the last); and the
    tile-part's end as the last entry. For tests of PLT writers: the lengths must add
    up to the tile-part's packet data. A tile-part without PLT gives [its end]."""
    parts: List[List[int]] = []
    markers = walk_markers(cs)
    for i, m in enumerate(markers):
        if m.code != 0xFF90:
            continue
        psot = struct.unpack(">I", cs[m.offset + 6 : m.offset + 10])[0]
        end = m.offset + psot if psot else len(cs) - 2
        lengths: List[int] = []
        sod = None
        for h in markers[i + 1 :]:
            if h.code == 0xFF58:
                value = 0
                for b in cs[h.offset + 5 : h.end]:  # after Lplt and Zplt
                    value = (value << 7) | (b & 0x7F)
                    if not b & 0x80:
                        lengths.append(value)
                        value = 0
            if h.code == 0xFF93:
                sod = h.end
                break
        assert sod is not None, f"no SOD after SOT at {m.offset}"
        ends, pos = [], sod
        for n in lengths:
            pos += n
            ends.append(pos)
        ends.append(end)
        parts.append(ends)
    return parts


class _Bits:
    """Packet-header bits (15444-1 B.10.1: after 0xFF, 7 bits below a stuffed 0)."""

    def __init__(self, data: bytes = b"", pos: int = 0):
        self.data, self.pos, self.avail, self.byte, self.ff = data, pos, 0, 0, False
        self.out, self.acc, self.n, self.cap = bytearray(), 0, 0, 8

    def get(self) -> int:
        if self.avail == 0:
            self.byte = self.data[self.pos]
            self.avail = 7 if self.ff else 8
            self.ff = self.byte == 0xFF
            self.pos += 1
        self.avail -= 1
        return (self.byte >> self.avail) & 1

    def get_n(self, n: int) -> int:
        v = 0
        for _ in range(n):
            v = (v << 1) | self.get()
        return v

    def end_of_header(self) -> int:
        if self.ff:
            self.pos += 1
        return self.pos

    def put(self, bit: int) -> None:
        self.acc, self.n = (self.acc << 1) | bit, self.n + 1
        if self.n == self.cap:
            self.out.append(self.acc)
            self.cap, self.acc, self.n = (7 if self.acc == 0xFF else 8), 0, 0

    def put_n(self, v: int, n: int) -> None:
        for k in range(n - 1, -1, -1):
            self.put((v >> k) & 1)

    def finish(self) -> bytes:
        if self.n:
            self.acc <<= self.cap - self.n
            self.out.append(self.acc)
            self.cap = 7 if self.acc == 0xFF else 8
        if self.cap == 7:
            self.out.append(0)
        return bytes(self.out)


def strip_com(cs: bytes) -> bytes:
    """The codestream without its COM segment (ours names our encoder, OpenJPH's itself)."""
    i = cs.index(b"\xff\x64")
    return cs[:i] + cs[i + 2 + int.from_bytes(cs[i + 2 : i + 4], "big") :]


def main_header(cs: bytes) -> bytes:
    """The main header without COM, and without TLM (whose Ptlm are the tile-parts'
    lengths, which differ where OpenJPH codes all-zero code-blocks ours leaves out)."""
    head = strip_com(cs)[: strip_com(cs).index(b"\xff\x90")]
    out, i = head[:2], 2
    while i < len(head):
        n = 2 + int.from_bytes(head[i + 2 : i + 4], "big")
        if head[i : i + 2] != b"\xff\x55":
            out += head[i : i + n]
        i += n
    return out
