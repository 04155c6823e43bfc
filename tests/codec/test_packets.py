"""Our Tier-2 packet-header pre-parse (src/cpp/codec/packets.cpp), run over every
packet before OpenJPH sees the data.

* No false refusals: everything our encoder writes (all progression orders, tiles,
  precincts, code-block sizes, 1/3/4 components, bit depths, levels, lossless and
  lossy, JPH) decodes and equals the source; forcing OpenJPH never meets an
  InvalidCodestreamError. The conformance codestreams OpenJPH decodes are covered by
  tests/conformance/.
* Every malformed packet header is refused with InvalidCodestreamError naming tile,
  component, resolution, precinct, band, code-block and byte, before OpenJPH reads
  it: lengths beyond the tile-part (the OpenJPH 0.9.0 heap overflow), 32-bit length
  overflow, broken bit-stuffing, Lblock or zero bit-planes out of range, missing
  packets, SOP/EPH damage, HT cleanup segments without a valid Scup.

Decodes of crafted or damaged bytes run in forked children (``isolated``).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import htj2k
from htj2k import EncodeError, InvalidCodestreamError, UnsupportedCodestreamError

from helpers.codestream import find_marker, walk_markers
from helpers.images import make_image

HERE = Path(__file__).parent
REGRESSIONS = HERE.parent / "fuzz" / "regressions"
HAVE_OPENJPEG = bool(htj2k.features().get("openjpeg_version"))
SOT, SOD, EOC, SOP, EPH = 0xFF90, 0xFF93, 0xFFD9, 0xFF91, 0xFF92
CONFORMANCE_OPENJPH = ("ds0_ht_01_b11", "ds0_ht_09_b11", "ds0_ht_11_b10", "ds0_ht_12_b11", "ds0_ht_14_b11")


# --------------------------------------------------------------------------- no false refusals


@st.composite
def encodings(draw) -> Tuple[np.ndarray, Dict[str, Any]]:
    h = draw(st.integers(1, 72))
    w = draw(st.integers(1, 72))
    comps = draw(st.sampled_from([1, 3, 4]))
    dtype, depth = draw(
        st.sampled_from([("u1", 8), ("u1", 5), ("u2", 12), ("u2", 16), ("i2", 11), ("u4", 18)])
    )
    pattern = draw(st.sampled_from(["random", "smooth", "constant", "extremes", "ramp"]))
    shape = (h, w) if comps == 1 else (h, w, comps)
    img = make_image(shape, dtype, depth, pattern, seed=draw(st.integers(0, 1000)))
    kw: Dict[str, Any] = {"bit_depth": depth}
    kw["levels"] = draw(st.integers(0, min(6, int(np.log2(min(h, w))))))
    kw["progression"] = draw(st.sampled_from(["LRCP", "RLCP", "RPCL", "PCRL", "CPRL"]))
    sizes = st.sampled_from([8, 16, 32, 64, 128])
    if draw(st.booleans()):
        kw["precincts"] = draw(st.lists(st.tuples(sizes, sizes), min_size=1, max_size=3))
    if draw(st.booleans()):
        bw = draw(st.sampled_from([4, 8, 16, 32, 64]))
        bh = draw(st.sampled_from([b for b in (4, 8, 16, 32, 64) if b * bw <= 4096]))
        kw["block_size"] = (bw, bh)
    if draw(st.integers(0, 3)) == 0:
        kw["tile_size"] = (draw(st.integers(8, 64)), draw(st.integers(8, 64)))
    if draw(st.integers(0, 3)) == 0:
        kw["qstep"] = draw(st.sampled_from([0.002, 0.01, 0.05]))
    if draw(st.integers(0, 4)) == 0:
        kw["container"] = "jph"
    return img, kw


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(case=encodings())
def test_every_encoding_passes_the_packet_check(isolated, case):
    img, kw = case
    try:
        data = htj2k.encode(img, **kw)
    except (EncodeError, ValueError):
        reject()  # options the encoder refuses (levels for a small tile, ...)
    lossless = "qstep" not in kw
    auto = isolated.call("htj2k.decode", data)
    got = auto.unwrap()
    assert got.shape == img.shape
    if lossless:
        np.testing.assert_array_equal(got, img)
    forced = isolated.call("htj2k.decode", data, decoder="openjph")
    if forced.ok:
        np.testing.assert_array_equal(forced.value, got)
    else:
        # Only "OpenJPH cannot read this valid codestream", never "invalid".
        assert forced.kind == "raised" and isinstance(forced.exception, UnsupportedCodestreamError), forced.describe()


@pytest.mark.parametrize("name", CONFORMANCE_OPENJPH)
def test_conformance_codestreams_pass(isolated, shared_dir, name):
    data = (shared_dir / "conformance" / "iso15444-4" / "codestreams" / f"{name}.j2k").read_bytes()
    res = isolated.call("htj2k.decode", data, decoder="openjph")
    assert res.ok, res.describe()


def test_precinct_without_code_blocks_is_unsupported_not_invalid(isolated):
    # 33x33, 2 levels, 16x16 precincts: at resolution 1 (17x17) the last precinct holds
    # one sample, which lands in the next lower resolution, so it has no code-blocks.
    # OpenJPH 0.9.0 reads no header for it (the standard and its own encoder have a
    # byte), so it misreads the packets after it; where it comes last it is harmless.
    img = make_image((33, 33), "u1", 8, "random", 5)
    misread = htj2k.encode(img, levels=2, precincts=[(16, 16)], progression="RPCL")
    res = isolated.call("htj2k.decode", misread, decoder="openjph")
    assert res.kind == "raised" and isinstance(res.exception, UnsupportedCodestreamError), res.describe()
    assert "resolution 1, precinct 3: the precinct has no code-blocks" in str(res.exception)
    if HAVE_OPENJPEG:
        np.testing.assert_array_equal(isolated.call("htj2k.decode", misread).unwrap(), img)
    last = htj2k.encode(img, levels=2, precincts=[(16, 16)], progression="PCRL")  # comes last in the tile
    np.testing.assert_array_equal(isolated.call("htj2k.decode", last, decoder="openjph").unwrap(), img)


@pytest.mark.parametrize("shape, dtype, bits, kw", [
    # found by hypothesis: OpenJPH's shifted reading of the packets after the empty
    # precinct saw "placeholder passes" in the bytes it misread, and the decoder then
    # joined the stream's HT sets again and again (a stack overflow, SIGSEGV)
    ((17, 17, 3), "i2", 16, {"levels": 2, "block_size": (4, 4), "progression": "LRCP", "precincts": [(8, 8)]}),
    ((17, 17), "u1", 8, {"levels": 2, "block_size": (4, 4), "progression": "LRCP", "precincts": [(16, 8)],
                         "qstep": 0.002}),
])
def test_empty_precinct_misread_by_openjph_is_not_taken_for_placeholder_passes(isolated, shape, dtype, bits, kw):
    img = make_image(shape, dtype, bits, "extremes", 0)
    for encoder in ("auto", "openjph"):
        data = htj2k.encode(img, bit_depth=bits, encoder=encoder, **kw)
        res = isolated.call("htj2k.decode", data, decoder="openjph")
        if res.kind != "ok":  # where OpenJPH's reading differs: refused by name, never a crash
            assert res.kind == "raised" and isinstance(res.exception, UnsupportedCodestreamError), res.describe()
            assert "the precinct has no code-blocks" in str(res.exception)
        if HAVE_OPENJPEG:
            out = isolated.call("htj2k.decode", data).unwrap()
            if "qstep" not in kw:
                np.testing.assert_array_equal(out, img)


# --------------------------------------------------------------------------- crafted packets


def pack_header(bits: str) -> bytes:
    """Packet-header bits (B.10.1): MSB first; after a 0xFF byte the next byte carries
    7 bits under a stuffed 0; the last byte padded with 0s (and a 0 byte after 0xFF)."""
    out = bytearray()
    cur, n, cap = 0, 0, 8
    for b in bits:
        cur = (cur << 1) | int(b)
        n += 1
        if n == cap:
            out.append(cur)
            cap = 7 if cur == 0xFF else 8
            cur, n = 0, 0
    if n:
        out.append(cur << (cap - n))
    elif out and out[-1] == 0xFF:
        out.append(0)
    return bytes(out)


def with_packet_data(data: bytes, body: bytes) -> bytes:
    """A one-tile codestream with its packet data replaced and Psot fixed."""
    markers = walk_markers(data)
    sot = next(m for m in markers if m.code == SOT)
    sod = next(m for m in markers if m.code == SOD)
    head = bytearray(data[: sod.end])
    struct.pack_into(">I", head, sot.offset + 6, sod.end - sot.offset + len(body))
    return bytes(head) + body + b"\xff\xd9"


def single_block() -> bytes:
    """8x8, no decomposition, 64x64 code-blocks: one packet with one code-block."""
    return htj2k.encode(make_image((8, 8), "u1", 8, "random", 7), levels=0)


def refusal(isolated, data: bytes, decoder: str = "openjph") -> str:
    res = isolated.call("htj2k.decode", data, decoder=decoder, timeout=60)
    assert res.kind == "raised" and isinstance(res.exception, InvalidCodestreamError), res.describe()
    msg = str(res.exception)
    assert "\n" not in msg
    return msg


# non-empty packet, block included, 0 zero bit-planes, one coding pass
HEAD = "1" + "1" + "1" + "0"


@pytest.mark.parametrize(
    "bits, body, expected",
    [
        # Lblock 32 and a length of 2^32 - 1 bytes: OpenJPH 0.9.0's heap overflow
        (HEAD + "1" * 29 + "0" + "1" * 32, b"\x00" * 64, "code-block declares 4294967295 bytes"),
        # 3 passes: lengths of 31 and 32 bits whose sum wraps a 32-bit count
        ("111" + "1100" + "1" * 28 + "0" + "1" * 31 + "1" * 32, b"\x00" * 64, "declares 6442450942 bytes"),
        (HEAD + "1" * 40, b"", "Lblock grows past 32 bits"),
        ("11" + "0" * 60 + "1", b"", "missing bit-planes"),
        ("1111" + "11" + "11", b"", "runs past the end of the tile-part"),
        (HEAD + "0" + "000", b"", "HT cleanup segment of 0 bytes (at least 2)"),
        (HEAD + "0" + "100", b"\x00" * 4, "ends with Scup 0"),
        (HEAD + "0" + "010", b"", "declares 2 bytes (1 passes, lengths 2); with the code-blocks before it"),
    ],
)
def test_malformed_single_packet(isolated, bits, body, expected):
    data = with_packet_data(single_block(), pack_header(bits) + body)
    msg = refusal(isolated, data)
    assert msg.startswith("packet of tile 0, component 0, resolution 0, precinct 0"), msg
    assert expected in msg
    if "code-block" in expected or "Scup" in expected:
        assert "band LL code-block (0,0) at byte" in msg
    # OpenJPEG >= 2.5.1 is not affected by the pre-parse; before 2.5.1 its HT MEL
    # assert is kept away by our own walk of the packets (codec/ht_checks.hpp),
    # which refuses packet headers it cannot follow
    if HAVE_OPENJPEG:
        res = isolated.call("htj2k.decode", data, decoder="openjpeg", timeout=60)
        opj = tuple(int(x) for x in htj2k.features()["openjpeg_version"].split(".")[:3])
        if opj >= (2, 5, 1):
            assert "packet of tile" not in (str(res.exception) if res.exception else "")
        else:
            assert res.kind == "raised" and isinstance(res.exception, htj2k.Htj2kError), res.describe()


def test_bit_stuffing_violation(isolated):
    msg = refusal(isolated, with_packet_data(single_block(), b"\xff\xff\x00\x00"))
    assert "follows 0xFF without the stuffed 0 bit" in msg


def test_empty_packets_are_not_refused(isolated):
    # All-empty packets are valid: every code-block is zero, the image is mid-grey.
    got = isolated.call("htj2k.decode", with_packet_data(single_block(), b"\x00"), decoder="openjph").unwrap()
    np.testing.assert_array_equal(got, np.full((8, 8), 128, np.uint8))


def test_missing_packets(isolated):
    data = htj2k.encode(make_image((24, 32), "u1", 8, "random", 1), levels=2, progression="LRCP")
    msg = refusal(isolated, with_packet_data(data, b"\x00"))
    assert msg.startswith("tile 0: packet data ends (tile-part 0 ends at byte")
    assert "before packet 2 of 3 (packet of tile 0, component 0, resolution 1, precinct 0)" in msg


def test_length_beyond_tile_part_in_a_real_stream(isolated):
    # The last packet's code-block bytes cut short (Psot consistent): its header
    # declares more than the tile-part holds.
    data = htj2k.encode(make_image((40, 40, 3), "u1", 8, "random", 2), levels=1, progression="RLCP")
    sod = find_marker(data, SOD).end
    body = data[sod : find_marker(data, EOC).offset]
    msg = refusal(isolated, with_packet_data(data, body[:-10]))
    assert msg.startswith("packet of tile 0, component 2, resolution 1, precinct 0"), msg
    assert " are left (tile-part 0 ends at byte " in msg


def test_eph_and_sop_damage(isolated, shared_dir):
    folder = shared_dir / "conformance" / "iso15444-4" / "codestreams"
    eph = bytearray((folder / "ds0_ht_11_b10.j2k").read_bytes())  # Scod: EPH
    i = bytes(eph).index(b"\xff\x92")
    eph[i + 1] = 0x00
    assert "EPH marker expected after the packet header" in refusal(isolated, bytes(eph))
    sop = bytearray((folder / "ds0_ht_12_b11.j2k").read_bytes())  # Scod: SOP
    i = bytes(sop).index(b"\xff\x91")
    sop[i + 3] = 5
    assert "SOP length 5 (must be 4)" in refusal(isolated, bytes(sop))


def single_block_packets(body: bytes) -> list:
    """Splits the packet data of a stream whose every precinct holds one code-block
    (no decomposition) into packets, by reading their headers."""
    packets, pos = [], 0
    while pos < len(body):
        state = {"pos": pos, "avail": 0, "ff": False, "byte": 0}

        def bit() -> int:
            if state["avail"] == 0:
                v = body[state["pos"]]
                state["pos"] += 1
                state["avail"] = 7 if state["ff"] else 8
                state["ff"], state["byte"] = v == 0xFF, v
            state["avail"] -= 1
            return (state["byte"] >> state["avail"]) & 1

        def bits(n: int) -> int:
            v = 0
            for _ in range(n):
                v = (v << 1) | bit()
            return v

        length = 0
        if bit() and bit():  # non-empty, and the code-block is included
            while not bit():  # zero bit-planes
                pass
            passes = 1
            if bit():
                passes = 2
                if bit():
                    passes = 3 + bits(2)
            lblock = 3
            while bit():
                lblock += 1
            length = bits(lblock) + (bits(lblock + (passes == 3)) if passes > 1 else 0)
        if state["ff"]:
            state["pos"] += 1
        end = state["pos"] + length
        packets.append(body[pos:end])
        pos = end
    return packets


def test_packets_continue_across_tile_parts(isolated):
    img = make_image((24, 32), "u1", 8, "random", 8)
    data = htj2k.encode(img, levels=0, precincts=[(8, 8)], progression="LRCP")
    sot, sod, eoc = find_marker(data, SOT), find_marker(data, SOD), find_marker(data, EOC)
    packets = single_block_packets(data[sod.end : eoc.offset])
    assert len(packets) == 12 and b"".join(packets) == data[sod.end : eoc.offset]

    def two_parts(first: bytes, second: bytes) -> bytes:
        part = lambda i, body: struct.pack(">HHHIBB", SOT, 10, 0, 14 + len(body), i, 2) + b"\xff\x93" + body
        return data[: sot.offset] + part(0, first) + part(1, second) + b"\xff\xd9"

    split = two_parts(b"".join(packets[:5]), b"".join(packets[5:]))
    np.testing.assert_array_equal(isolated.call("htj2k.decode", split, decoder="openjph").unwrap(), img)
    whole = b"".join(packets)
    cut = len(b"".join(packets[:5])) + 1  # a packet may not straddle two tile-parts
    msg = refusal(isolated, two_parts(whole[:cut], whole[cut:]))
    assert msg.startswith("packet of tile 0, component 0, resolution 0, precinct 5"), msg


def _with_psot_zero(data: bytes) -> bytes:
    sot = find_marker(data, SOT)
    b = bytearray(data)
    struct.pack_into(">I", b, sot.offset + 6, 0)
    return bytes(b)


def test_psot_zero(isolated):
    # Psot 0 (the last tile-part runs to EOC) is valid; OpenJPH 0.9.0 then scans the
    # packet data for the next SOT or EOC, so a stray SOT code in it is refused first.
    img = make_image((32, 40), "u2", 12, "random", 4)
    data = _with_psot_zero(htj2k.encode(img, bit_depth=12, levels=2))
    np.testing.assert_array_equal(isolated.call("htj2k.decode", data, decoder="openjph").unwrap(), img)
    b = bytearray(data)
    mid = (find_marker(data, SOD).end + len(b)) // 2
    b[mid : mid + 2] = b"\xff\x90"
    msg = refusal(isolated, bytes(b))
    assert msg == (
        f"tile-part 0 of tile 0 (Psot 0, so OpenJPH {htj2k.openjph_version()} scans its packet data for the next "
        f"tile-part): marker 0xFF90 at byte {mid} inside the packet data, where no marker code may be"
    )


def test_unknown_main_header_segment(isolated):
    # OpenJPH 0.9.0 scans through marker segments it does not know: a marker code
    # inside one would be taken for a real marker.
    img = make_image((24, 24), "u1", 8, "random", 6)
    data = htj2k.encode(img, levels=1)
    qcd = find_marker(data, 0xFF5C).offset
    plain = data[:qcd] + b"\xff\x70\x00\x06abcd" + data[qcd:]
    np.testing.assert_array_equal(isolated.call("htj2k.decode", plain, decoder="openjph").unwrap(), img)
    hidden = data[:qcd] + b"\xff\x70\x00\x06\xff\x52\x00\x02" + data[qcd:]
    res = isolated.call("htj2k.decode", hidden, decoder="openjph")
    assert res.kind == "raised" and isinstance(res.exception, UnsupportedCodestreamError), res.describe()
    assert f"finds 0xFF52 at byte {qcd + 4} inside the marker segment 0xFF70 at byte {qcd}" in str(res.exception)


def test_code_block_bytes_are_left_to_the_decoders(isolated):
    # Damage inside a code-block's bytes (not its last two, which hold Scup) passes
    # the pre-parse; OpenJPH reports it part-way and "auto" retries with OpenJPEG.
    img = make_image((64, 64), "u1", 8, "ramp", 1)
    data = bytearray(htj2k.encode(img, levels=2))
    data[(data.index(b"\xff\x93") + 2 + len(data) - 2) // 2] = 0
    res = isolated.call("htj2k.decode", bytes(data), timeout=60)
    if res.kind == "raised":
        assert isinstance(res.exception, InvalidCodestreamError), res.describe()
        assert "packet of tile" not in str(res.exception)
    else:
        assert res.ok and res.value.shape == img.shape


# --------------------------------------------------------------------------- the fuzzer's finds


@pytest.mark.parametrize("decoder", ["openjph", "auto"])
@pytest.mark.parametrize(
    "name, where",
    [
        # once a heap overflow in OpenJPH 0.9.0's mem_elastic_allocator::get_buffer
        ("ojph-heap-overflow-precinct-parse.j2c", "packet of tile 0, component 0, resolution 2, precinct 0"),
        # once a > 20 s spin in OpenJPH 0.9.0's tile::parse_tile_header: Psot 0, and a
        # copy of SOT inside the packet data, where OpenJPH's marker scan finds it
        ("ojph-hang-parse-tile-header.j2c", "tile-part 0 of tile 0 (Psot 0, so OpenJPH"),
    ],
)
def test_known_openjph_packet_defects_refused(isolated, name, where, decoder):
    msg = refusal(isolated, (REGRESSIONS / name).read_bytes(), decoder)
    assert msg.startswith(where), msg
