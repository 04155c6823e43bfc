"""Decoding and verifying from the first bytes of a frame (codestream/prefix.*):
``info().level_ranges``/``best_level``, ``decode(prefix, level=r | "best")``,
``checksums``/``verify(partial=True)`` on prefixes, ``split_levels``, and
IncompleteCodestreamError one byte short of a level.

The oracle is the whole frame: a level decoded from a prefix must equal the same
level decoded from the whole frame, with OpenJPH and (cross-check) OpenJPEG.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import htj2k
from htj2k import Htj2kError, IncompleteCodestreamError, InvalidCodestreamError

from helpers.images import make_image

# (shape, dtype, bit depth, encode options)
CASES = [
    ((300, 257), "u2", 12, dict(levels=4, progression="RPCL", tlm=True, tileparts="R")),
    ((300, 257), "u2", 12, dict(levels=4, progression="RPCL")),
    ((67, 45, 3), "u1", 8, dict(levels=3, progression="RPCL", tlm=True, tileparts="R")),
    ((67, 45, 3), "u2", 12, dict(levels=4, progression="RPCL", tile_size=(32, 16), tlm=True, tileparts="R")),
    ((100, 80), "u2", 16, dict(levels=5, progression="LRCP", tile_size=(32, 32))),
    ((96, 96), "u1", 8, dict(levels=3, progression="RLCP", precincts=[(32, 32), (32, 32)])),
    ((96, 96), "u1", 8, dict(levels=3, progression="PCRL", precincts=[(32, 32), (32, 32)])),
    ((96, 96, 3), "u1", 8, dict(levels=3, progression="CPRL", precincts=[(32, 32)])),
    ((1, 37), "u1", 8, dict(levels=0)),
    ((64, 64), "i2", 14, dict(levels=5, progression="RPCL", tlm=True, tileparts="R", container="jph")),
    ((64, 48), "u2", 10, dict(levels=2, progression="RPCL", reversible=False, qstep=0.01, tlm=True, tileparts="R")),
]


def _id(case) -> str:
    shape, dt, bits, opts = case
    return f"{'x'.join(map(str, shape))}-{dt}{bits}-" + "-".join(f"{k}={v}" for k, v in sorted(opts.items()))


@pytest.fixture(scope="module", params=CASES, ids=[_id(c) for c in CASES])
def frame(request):
    shape, dt, bits, opts = request.param
    img = make_image(shape, dt, bits, "random", sum(shape) + bits)
    data = htj2k.encode(img, bit_depth=bits, **opts)
    inf = htj2k.info(data)
    levels = len(inf.level_ranges) - 1
    full = {r: htj2k.decode(data, level=r) for r in range(levels + 1)}
    return data, inf, full


def _ends(inf) -> dict:
    """level r -> the leading bytes it needs (level_ranges is base first)."""
    top = len(inf.level_ranges) - 1
    return {top - i: e for i, e in enumerate(inf.level_ranges)}


def test_whole_frame_ranges(frame):
    data, inf, _ = frame
    ends = _ends(inf)
    assert not inf.truncated and inf.best_level == 0 and inf.complete_levels == len(ends)
    assert all(isinstance(e, int) for e in ends.values())
    ordered = [ends[r] for r in sorted(ends, reverse=True)]  # base first
    assert ordered == sorted(ordered), "a finer level cannot need fewer bytes"
    assert 0 < ordered[0] and ordered[-1] <= len(data) - 2  # the full level ends before EOC


def test_each_level_decodes_from_its_range_and_not_one_byte_less(frame):
    data, inf, full = frame
    for r, end in _ends(inf).items():
        np.testing.assert_array_equal(htj2k.decode(data[:end], level=r), full[r], err_msg=f"level {r}")
        with pytest.raises(IncompleteCodestreamError) as e:
            htj2k.decode(data[: end - 1], level=r)
        assert isinstance(e.value, InvalidCodestreamError)
        assert f"level {r}" in str(e.value)
        if inf.has_tlm:  # TLM tells how many bytes the level needs
            assert e.value.bytes_needed == end


def test_prefix_info_and_best_level(frame):
    data, inf, full = frame
    ends = _ends(inf)
    for r, end in ends.items():
        p = htj2k.info(data[:end])
        best = min(q for q, e in ends.items() if e <= end)  # levels may need the same bytes
        assert p.truncated and p.best_level == best and p.complete_levels == len(ends) - best
        assert p.supported, p.unsupported_reason
        got, level = htj2k.decode(data[:end], level="best")
        assert level == best
        np.testing.assert_array_equal(got, full[best])
        held = _ends(p)
        for q in ends:  # held levels are exact; the others known from TLM or not at all
            if q >= best:
                assert held[q] == ends[q]
            else:
                assert held[q] in (None, ends[q])
                if inf.has_tlm and inf.progression == "RPCL":
                    assert held[q] == ends[q]


def test_tile_part_boundaries_decode_bit_identically(frame):
    """Every prefix ending where a tile-part ends decodes at the best level it holds."""
    from helpers.codestream import walk_markers

    data, inf, full = frame
    offset = len(data) - inf.codestream_length
    cs = data[offset:]
    cuts = [m.offset + offset for m in walk_markers(cs) if m.code in (0xFF90, 0xFFD9)]
    for cut in cuts[1:]:
        p = htj2k.info(data[:cut])
        if p.best_level is None:
            with pytest.raises(IncompleteCodestreamError):
                htj2k.decode(data[:cut], level="best")
            continue
        got, level = htj2k.decode(data[:cut], level="best")
        np.testing.assert_array_equal(got, full[level], err_msg=f"cut at {cut}")


def test_checksums_and_verify_on_a_prefix(frame):
    data, inf, _ = frame
    whole = htj2k.checksums(data)
    for r, end in _ends(inf).items():
        best = min(q for q, e in _ends(inf).items() if e <= end)  # levels may need the same bytes
        got = htj2k.checksums(data[:end])
        assert got == whole[: len(whole) - best]  # base first: the levels held
        v = htj2k.verify(data[:end], whole)
        statuses = [lr.status for lr in v.levels]
        assert statuses == ["match"] * (len(whole) - best) + ["not_in_data"] * best
        assert v.ok == (best == 0)
        assert htj2k.verify(data[:end], whole, partial=True).ok
        if best:
            with pytest.raises(IncompleteCodestreamError):
                htj2k.checksums(data[:end], [best - 1])


def test_verify_partial_still_catches_a_mismatch(frame):
    data, inf, _ = frame
    whole = htj2k.checksums(data)
    bad = [htj2k.LevelChecksum(c.level, c.width, c.height, c.checksum ^ 1) if i == 0 else c
           for i, c in enumerate(whole)]
    end = _ends(inf)[min(1, len(whole) - 1)]
    v = htj2k.verify(data[:end], bad, partial=True)
    assert not v.ok and v.levels[0].status == "mismatch"


def test_split_levels(frame):
    data, inf, full = frame
    pieces = htj2k.split_levels(data)
    assert b"".join(pieces) == data and len(pieces) == len(inf.level_ranges)
    top = len(pieces) - 1
    for k in range(1, len(pieces) + 1):
        level = top - k + 1
        np.testing.assert_array_equal(htj2k.decode(b"".join(pieces[:k]), level=level), full[level])
    with pytest.raises(IncompleteCodestreamError):
        htj2k.split_levels(data[:-3])


def test_prefixes_decode_with_openjpeg_too(frame):
    data, inf, full = frame
    if not htj2k.features().get("openjpeg"):
        pytest.skip("built without OpenJPEG")
    if inf.container == "jph" or not inf.reversible:
        return  # OpenJPEG's own reading of these is covered by test_openjpeg_crosscheck
    for r, end in _ends(inf).items():
        try:
            got = htj2k.decode(data[:end], level=r, decoder="openjpeg")
        except htj2k.UnsupportedCodestreamError:
            continue  # what OpenJPEG cannot decode is refused by name, as for whole frames
        np.testing.assert_array_equal(got, full[r], err_msg=f"level {r}")


def test_no_level_and_the_main_header_cut():
    img = make_image((64, 64), "u1", 8, "random", 1)
    data = htj2k.encode(img, levels=3, tlm=True, tileparts="R")
    inf = htj2k.info(data)
    first = inf.level_ranges[0]
    p = htj2k.info(data[: first - 1])
    assert p.best_level is None and p.complete_levels == 0 and not p.supported
    with pytest.raises(IncompleteCodestreamError, match="hold no level"):
        htj2k.decode(data[: first - 1], level="best")
    for n in (10, 50):  # inside the main header
        with pytest.raises(IncompleteCodestreamError):
            htj2k.decode(data[:n])
    v = htj2k.verify(data[: first - 1], htj2k.checksums(data), partial=True)
    assert not v.ok and {lr.status for lr in v.levels} == {"not_in_data"}


def test_level_argument():
    img = make_image((16, 16), "u1", 8, "random", 2)
    data = htj2k.encode(img, levels=2)
    got, level = htj2k.decode(data, level="best")
    assert level == 0 and (got == img).all()
    planes, level = htj2k.decode_planes(data, level="best")
    assert level == 0 and (planes[0] == img).all()
    with pytest.raises(TypeError, match="level"):
        htj2k.decode(data, level="finest")
    with pytest.raises(TypeError):
        htj2k.verify(data, htj2k.checksums(data), partial="yes")


def test_incomplete_error_pickles():
    e = pickle.loads(pickle.dumps(IncompleteCodestreamError("short", 1234)))
    assert isinstance(e, InvalidCodestreamError) and e.bytes_needed == 1234 and str(e) == "short"


def test_damaged_prefixes_never_crash():
    """Flipped bytes in a prefix: a clear error or a decode, never a crash or a hang."""
    img = make_image((80, 72), "u2", 12, "random", 3)
    data = htj2k.encode(img, bit_depth=12, levels=3, tlm=True, tileparts="R")
    rng = np.random.default_rng(0)
    for _ in range(150):
        n = int(rng.integers(1, len(data)))
        b = bytearray(data[:n])
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(0, n))] ^= 1 << int(rng.integers(0, 8))
        for call in (lambda: htj2k.decode(bytes(b), level="best"), lambda: htj2k.info(bytes(b)),
                     lambda: htj2k.checksums(bytes(b))):
            try:
                call()
            except Htj2kError:
                pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=st.integers(1, 70), w=st.integers(1, 70), comps=st.sampled_from([1, 3]), bits=st.sampled_from([8, 12, 16]),
    levels=st.integers(0, 5), prog=st.sampled_from(["RPCL", "LRCP", "RLCP", "PCRL", "CPRL"]),
    tiles=st.sampled_from([None, (32, 32), (64, 16)]), tlm=st.booleans(), cut=st.floats(0, 1), seed=st.integers(0, 99),
)
def test_property_any_cut_decodes_its_best_level(h, w, comps, bits, levels, prog, tiles, tlm, cut, seed):
    shape = (h, w) if comps == 1 else (h, w, comps)
    img = make_image(shape, "u1" if bits == 8 else "u2", bits, "random", seed)
    levels = min(levels, htj2k._rules.max_levels_for_size(w, h))
    opts = dict(bit_depth=bits, levels=levels, progression=prog, tile_size=tiles)
    if tlm and prog in ("RPCL", "RLCP", "LRCP"):
        opts.update(tlm=True, tileparts="R")
    try:
        data = htj2k.encode(img, **opts)
    except (ValueError, htj2k.EncodeError):  # options the image does not allow
        assume(False)
    n = max(1, int(cut * len(data)))  # empty data is no codestream at all
    try:
        inf = htj2k.info(data[:n])
    except IncompleteCodestreamError:  # the main header is cut
        inf = None
    try:
        got, level = htj2k.decode(data[:n], level="best")
    except IncompleteCodestreamError:
        assert inf is None or inf.best_level is None
        return
    assert inf is None or inf.best_level == level
    np.testing.assert_array_equal(got, htj2k.decode(data, level=level))
    if level:
        with pytest.raises(IncompleteCodestreamError):
            htj2k.decode(data[:n], level=level - 1)
