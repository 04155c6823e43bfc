"""The one packet of a one-code-block codestream (one tile, one component, 0
decomposition levels, one layer, a block as large as the image): read its header
and cleanup segment, and write the codestream again with another segment in it.
For the HT block-encoder tests (tests/native/test_ht_encoder.py) and the HT
placeholder-pass tests (tests/codec/test_layers.py, test_version_gates.py)."""

from __future__ import annotations

import dataclasses
import struct
from typing import Optional

from helpers.codestream import _Bits, find_marker, walk_markers


@dataclasses.dataclass
class BlockPacket:
    included: bool             # False: an empty packet, or the block not included
    zblk: Optional[int]        # missing MSBs (the Zblk tag tree of one leaf)
    passes: Optional[int]
    segment: bytes             # the codeword segment (Lcup bytes), b"" when not included
    header_start: int          # offset of the packet header (after SOD)
    body_end: int              # offset after the packet body (= the tile-part's end)


def kmax_of(cs: bytes) -> int:
    """Mb of the one band: guard bits + exponent - 1 (15444-1 E.1, reversible QCD)."""
    qcd = find_marker(cs, 0xFF5C)
    sqcd = cs[qcd.offset + 4]
    assert sqcd & 0x1F == 0, "expected no quantization (reversible)"
    return (sqcd >> 5) + (cs[qcd.offset + 5] >> 3) - 1


def _passes(b: _Bits) -> int:
    """Number of coding passes (15444-1 Table B.4)."""
    if not b.get():
        return 1
    if not b.get():
        return 2
    v = b.get_n(2)
    if v < 3:
        return 3 + v
    v = b.get_n(5)
    if v < 31:
        return 6 + v
    return 37 + b.get_n(7)


def read_block_packet(cs: bytes) -> BlockPacket:
    """The packet header of the one code-block (15444-1 B.10): inclusion (a
    one-node tag tree: "1" at layer 0), Zblk (zeros then 1), the pass count,
    Lblock increments and the segment length; then the segment itself."""
    ms = walk_markers(cs)
    sot = next(m for m in ms if m.code == 0xFF90)
    sod = next(m for m in ms if m.code == 0xFF93)
    psot = struct.unpack(">I", cs[sot.offset + 6 : sot.offset + 10])[0]
    end = sot.offset + psot
    b = _Bits(cs, sod.end)
    if not b.get() or not b.get():
        return BlockPacket(False, None, None, b"", sod.end, end)
    zblk = 0
    while not b.get():
        zblk += 1
    passes = _passes(b)
    lblock = 3
    while b.get():
        lblock += 1
    length = b.get_n(lblock + (passes.bit_length() - 1))
    body = b.end_of_header()
    assert body + length == end, "expected the packet to end the tile-part"
    return BlockPacket(True, zblk, passes, bytes(cs[body:end]), sod.end, end)


def with_segment(cs: bytes, segment: bytes, zblk: int, passes: int = 1) -> bytes:
    """The codestream with its one packet rewritten: the block included with
    `zblk` missing MSBs, `passes` coding passes and `segment` as their one codeword
    segment, or an empty packet when `segment` is empty; Psot follows."""
    pkt = read_block_packet(cs)
    w = _Bits()
    if not segment:
        w.put(0)
        return _replace_packet(cs, pkt, w.finish(), segment)
    w.put(1), w.put(1)
    for _ in range(zblk):
        w.put(0)
    w.put(1)
    _put_passes(w, passes)
    extra = passes.bit_length() - 1  # the length field has Lblock + floor(log2(passes)) bits
    lblock = max(3, len(segment).bit_length() - extra)
    for _ in range(lblock - 3):
        w.put(1)
    w.put(0)
    w.put_n(len(segment), lblock + extra)
    return _replace_packet(cs, pkt, w.finish(), segment)


def _put_passes(w: _Bits, n: int) -> None:
    """Number of coding passes (15444-1 Table B.4)."""
    if n == 1:
        w.put(0)
    elif n == 2:
        w.put_n(0b10, 2)
    elif n <= 5:
        w.put_n(0b1100 | (n - 3), 4)
    elif n <= 36:
        w.put_n(0b1111 << 5 | (n - 6), 9)
    else:
        w.put_n(0b111111111 << 7 | (n - 37), 16)


def with_placeholder_passes(data: bytes) -> bytes:
    """A one-code-block, one-packet codestream (OpenJPH's, 1 cleanup pass) with its
    code-block re-signalled as 3 placeholder passes and the cleanup, one missing
    bit-plane fewer (15444-15): the same samples, in a form OpenJPH misreads."""
    pkt = read_block_packet(data)
    assert pkt.included and pkt.passes == 1 and pkt.zblk >= 1, "expected one cleanup pass below a missing bit-plane"
    return with_segment(data, pkt.segment, pkt.zblk - 1, passes=4)


def _replace_packet(cs: bytes, pkt: BlockPacket, header: bytes, segment: bytes) -> bytes:
    out = bytearray(cs[: pkt.header_start] + header + segment + cs[pkt.body_end :])
    sot = find_marker(cs, 0xFF90)
    struct.pack_into(">I", out, sot.offset + 6, pkt.header_start + len(header) + len(segment) - sot.offset)
    return bytes(out)
