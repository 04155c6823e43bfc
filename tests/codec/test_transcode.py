"""``htj2k.transcode``: re-layout without decoding (codestream/transcode.*). Every
target (progression, tile-parts, TLM, PLT) decodes to the pixels of the input at
every level, with OpenJPH and OpenJPEG; the markers say what was asked; composing
two transcodes equals the second alone; what cannot be re-laid out is refused by name.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import htj2k
from htj2k import InvalidCodestreamError, UnsupportedCodestreamError

from helpers.images import make_image

PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")
OPENJPEG = htj2k.features()["openjpeg"]

CASES = [
    ((120, 97), "u2", 12, dict(levels=4)),
    ((67, 45, 3), "u1", 8, dict(levels=3, tile_size=(32, 16))),
    ((96, 96), "u1", 8, dict(levels=3, precincts=[(32, 32), (32, 32)], progression="PCRL")),
    ((64, 64), "i2", 12, dict(levels=3, container="jph", tlm=True, tileparts="R")),
    ((1, 40), "u1", 8, dict(levels=0)),
]


def _levels(data: bytes):
    info = htj2k.info(data)
    return [htj2k.decode(data, level=r) for r in range(len(info.level_sizes))]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{'x'.join(map(str, c[0]))}-{c[1]}{c[2]}-{sorted(c[3])}")
def source(request):
    shape, dt, bits, opts = request.param
    img = make_image(shape, dt, bits, "random", sum(shape))
    data = htj2k.encode(img, bit_depth=bits, **opts)
    return data, _levels(data)


def _fully(prog, tp, tlm, plt):
    return dict(progression=prog, tileparts=tp, tlm=tlm, plt=plt)


def test_every_target_decodes_to_the_same_pixels(source):
    data, ref = source
    for prog, tp, tlm, plt in itertools.product(PROGRESSIONS, ["R", False], [True, False], [True, False]):
        target = _fully(prog, tp, tlm, plt)
        if tp == "R" and prog in ("PCRL", "CPRL"):
            with pytest.raises(UnsupportedCodestreamError, match="tile-part per resolution"):
                htj2k.transcode(data, **target)
            continue
        out = htj2k.transcode(data, **target)
        inf = htj2k.info(out)
        assert (inf.progression, inf.has_tlm, inf.has_plt) == (prog, tlm, plt), target
        assert inf.container == htj2k.info(data).container
        nres = len(ref)
        assert inf.tile_parts == inf.tiles[0] * inf.tiles[1] * (nres if tp == "R" and nres > 1 else 1)
        for r, want in enumerate(ref):
            np.testing.assert_array_equal(htj2k.decode(out, level=r), want, err_msg=f"{target} level {r}")
            if OPENJPEG and inf.container == "j2c":
                np.testing.assert_array_equal(htj2k.decode(out, level=r, decoder="openjpeg"), want,
                                              err_msg=f"OpenJPEG {target} level {r}")
        assert htj2k.checksums(out) == htj2k.checksums(data)


def test_composition_equals_the_second(source):
    data, _ = source
    for a, b in (("LRCP", "RPCL"), ("CPRL", "RLCP"), ("PCRL", "LRCP")):
        second = _fully(b, "R", True, False)
        once = htj2k.transcode(data, **second)
        twice = htj2k.transcode(htj2k.transcode(data, progression=a, tileparts=False, tlm=False, plt=True), **second)
        assert twice == once, (a, b)


def test_keep_everything_by_default(source):
    data, ref = source
    inf = htj2k.info(data)
    if inf.tile_parts > inf.tiles[0] * inf.tiles[1] and inf.progression in ("PCRL", "CPRL"):
        return
    out = htj2k.transcode(data)
    got = htj2k.info(out)
    assert (got.progression, got.has_tlm, got.has_plt, got.tile_parts) == (
        inf.progression, inf.has_tlm, inf.has_plt, inf.tile_parts)
    assert _levels(out)[0].tobytes() == ref[0].tobytes()


def test_archive_layout_from_a_plain_frame_is_progressive():
    """The point of it: existing frames get the archive's layout, and their first
    bytes then decode at reduced resolution."""
    img = make_image((256, 200), "u2", 12, "random", 9)
    plain = htj2k.encode(img, bit_depth=12, levels=4, progression="LRCP")
    out = htj2k.transcode(plain, progression="RPCL", tileparts="R", tlm=True)
    ends = htj2k.info(out).level_ranges
    np.testing.assert_array_equal(htj2k.decode(out[: ends[1]], level=3), htj2k.decode(plain, level=3))
    assert htj2k.split_levels(out)[0] == out[: ends[0]]


def test_refusals_and_arguments():
    img = make_image((32, 32), "u1", 8, "random", 1)
    data = htj2k.encode(img, levels=2)
    with pytest.raises(ValueError, match="progression"):
        htj2k.transcode(data, progression="XYZ")
    with pytest.raises(TypeError, match="tlm"):
        htj2k.transcode(data, tlm="yes")
    with pytest.raises(ValueError, match="tileparts"):
        htj2k.transcode(data, tileparts="X")
    with pytest.raises(UnsupportedCodestreamError, match="component tile-part divisions with RPCL"):
        htj2k.transcode(data, progression="RPCL", tileparts="C")
    with pytest.raises(ValueError, match="layers"):
        htj2k.transcode(data, layers=0)
    with pytest.raises(htj2k.InvalidCodestreamError):
        htj2k.transcode(data[:-10])
    with pytest.raises(htj2k.InvalidCodestreamError):
        htj2k.transcode(b"garbage")
    assert htj2k.transcode(data, layers=1) == htj2k.transcode(data)


def test_several_layers_refused_by_name():
    from helpers.codestream import find_marker

    img = make_image((32, 32), "u1", 8, "random", 1)
    data = bytearray(htj2k.encode(img, levels=2))
    cod = find_marker(bytes(data), 0xFF52).offset
    data[cod + 6 : cod + 8] = (2).to_bytes(2, "big")  # 2 quality layers declared
    with pytest.raises(UnsupportedCodestreamError, match="quality layers"):
        htj2k.transcode(bytes(data))
    with pytest.raises(InvalidCodestreamError):  # joined, the packets of its second layer are missing
        htj2k.transcode(bytes(data), layers=1)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=st.integers(1, 60), w=st.integers(1, 60), comps=st.sampled_from([1, 3]), levels=st.integers(0, 4),
    src=st.sampled_from(PROGRESSIONS), dst=st.sampled_from(PROGRESSIONS), tiles=st.sampled_from([None, (32, 32)]),
    precincts=st.booleans(), tp=st.sampled_from(["R", False, None]), tlm=st.sampled_from([True, False, None]),
    plt=st.sampled_from([True, False, None]), seed=st.integers(0, 50),
)
def test_property_random_targets(h, w, comps, levels, src, dst, tiles, precincts, tp, tlm, plt, seed):
    shape = (h, w) if comps == 1 else (h, w, comps)
    img = make_image(shape, "u1", 8, "random", seed)
    opts = dict(levels=min(levels, htj2k._rules.max_levels_for_size(w, h)), progression=src, tile_size=tiles)
    if precincts and opts["levels"]:
        opts["precincts"] = [(16, 16)] * opts["levels"]
    try:
        data = htj2k.encode(img, **opts)
    except (ValueError, htj2k.EncodeError):
        assume(False)
    try:
        out = htj2k.transcode(data, progression=dst, tileparts=tp, tlm=tlm, plt=plt)
    except UnsupportedCodestreamError as e:
        assert "tile-part per resolution" in str(e) or "without code-blocks" in str(e), e
        return
    for r in range(opts["levels"] + 1):
        np.testing.assert_array_equal(htj2k.decode(out, level=r), htj2k.decode(data, level=r))


@pytest.mark.parametrize("progression,tileparts", [("LRCP", "C"), ("RLCP", "RC"), ("CPRL", "C"), ("LRCP", "R")])
@pytest.mark.parametrize("tiles", [None, (24, 16)])
def test_component_divisions_are_encode_s(progression, tileparts, tiles):
    """transcode divides tile-parts by the same rule as encode (codestream/tileparts.hpp):
    from a plain frame in another order, the same bytes as encoding with the division;
    left as they are (None), the divisions are kept, also when PLT is added."""
    img = make_image((40, 50, 3), "u1", 8, "random", 3)
    kw = dict(levels=2, tile_size=tiles, encoder="htj2k")
    plain = htj2k.encode(img, progression="RPCL", **kw)
    divided = htj2k.encode(img, progression=progression, tileparts=tileparts, tlm=True, **kw)
    out = htj2k.transcode(plain, progression=progression, tileparts=tileparts, tlm=True)
    assert out == divided
    with_plt = htj2k.transcode(divided, plt=True)
    assert htj2k.info(with_plt).tile_parts == htj2k.info(divided).tile_parts
    assert htj2k.transcode(with_plt, plt=False) == divided
    assert htj2k.transcode(divided, tileparts=False, tlm=False, progression="RPCL") == plain
