"""Our own lossless encoder (``encode(..., encoder="htj2k")``, src/cpp/encode/ht_encoder.*).

For hypothesis-generated images (1x1 to 70x70, 1xN and Nx1, 1/3/4 components, 1-16
bits signed and unsigned, every pattern of helpers/images.py) and options (levels
0-5, code-block sizes, precincts, every progression, tiles with edge tiles):

* our codestream (tile-part divisions and TLM included) decodes to the image exactly
  with the linked OpenJPH (where our
  decoder choice lets it: ``select_decoder(..., "openjph")``), with OpenJPEG (the
  library; ``opj_decompress`` for a fixed set), and with ``imagecodecs.htj2k_decode``;
* with OpenJPH 0.9 (the release it was measured on) it equals OpenJPH's own codestream
  for the same options, apart from the comment (COM names the encoder): byte for
  byte, or -- where OpenJPH codes a code-block whose coefficients are all 0, which
  ours leaves out -- block by block (every block we code has OpenJPH's bytes, Zblk
  and pass count; every block only OpenJPH codes is all zeros). OpenJPH >= 0.10
  codes lossless encodes differently (docs/releases.md, zero_level_lowest_value_bug);
  there only the decoding is checked;
* ``info()`` reads it as it reads OpenJPH's; 1, 2 and 3 threads give the same bytes;
  a few small encodes have committed digests (the same bytes from every build and
  release); bad input gets the errors encode() gives today.
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict, Optional, Tuple

import imagecodecs
import numpy as np
import pytest
from hypothesis import given

import htj2k
from helpers.codestream import main_header, strip_com
from helpers.encode_cases import assert_same_bytes_for_every_thread_count, encode_cases, sweep_case
from helpers.images import make_image
from helpers.imagecodecs_peer import as_our_layout
from helpers import native_build
from helpers.openjpeg import opj_decompress

IMAGECODECS_HTJ2K = bool(getattr(imagecodecs, "HTJ2K", None) and imagecodecs.HTJ2K.available)

OURS = "htj2k"
EXACT = htj2k.openjph_version().startswith("0.9")
def cases():
    return encode_cases()


def decoders_agree(cs: bytes, img: np.ndarray) -> None:
    np.testing.assert_array_equal(htj2k.decode(cs), img)
    np.testing.assert_array_equal(htj2k.decode(cs, decoder="openjpeg"), img)
    try:
        htj2k._core.select_decoder(cs, 0, "openjph")
        ojph_ok = True
    except htj2k.UnsupportedCodestreamError:
        ojph_ok = False  # a geometry OpenJPH misdecodes (codestream/validate.cpp)
    if ojph_ok:
        try:
            out = htj2k.decode(cs, decoder="openjph")
        except htj2k.UnsupportedCodestreamError as e:  # refused by the packet walk before decoding
            assert "OpenJPH" in str(e)
        else:
            np.testing.assert_array_equal(out, img)
    if not IMAGECODECS_HTJ2K:  # a build without OpenJPH (old manylinux2014 wheels)
        return
    np.testing.assert_array_equal(as_our_layout(imagecodecs.htj2k_decode(cs), img), img.astype(np.int64))


def ours_and_openjph(img: np.ndarray, opts: Dict[str, Any]) -> Tuple[bytes, Optional[bytes]]:
    ours = htj2k.encode(img, encoder=OURS, **opts)
    try:
        ojph = htj2k.encode(img, encoder="openjph", **opts)
    except htj2k.Htj2kError:
        ojph = None
    return ours, ojph


def block_identical(ojph: bytes, ours: bytes) -> Tuple[bool, str]:
    """Every code-block we code has OpenJPH's segment, Zblk and passes; the blocks only
    OpenJPH codes hold zeros alone."""
    walk = native_build.testing_module().ht_block_coefficients

    def key(b):
        return (b["tile"], b["component"], b["resolution"], b["band"], b["x0"], b["y0"])

    theirs = {key(b): b for b in walk(ojph)}
    mine = {key(b): b for b in walk(ours)}
    for k, b in mine.items():
        t = theirs.get(k)
        if t is None:
            return False, f"block {k} only in ours"
        seg = lambda cs, x: cs[x["cleanup"][0] : x["cleanup"][0] + x["cleanup"][1]]  # noqa: E731
        if seg(ours, b) != seg(ojph, t) or b["zblk"] != t["zblk"] or b["passes"] != t["passes"]:
            return False, f"block {k} differs"
    for k, t in theirs.items():
        if k not in mine and np.any(t["values"]):
            return False, f"non-zero block {k} left out"
    return True, ""


def compare_with_openjph(img: np.ndarray, opts: Dict[str, Any]) -> str:
    """'bytes', 'blocks' (identical but for all-zero blocks OpenJPH codes), 'nondeterministic'
    (OpenJPH's own two encodes differ; compared block by block) or 'refused' (OpenJPH
    cannot encode it); asserts on any other difference."""
    ours, ojph = ours_and_openjph(img, opts)
    if ojph is None:
        return "refused"
    again = htj2k.encode(img, encoder="openjph", **opts)
    assert main_header(ours) == main_header(ojph)
    if ojph == again and strip_com(ours) == strip_com(ojph):
        return "bytes"
    same, why = block_identical(ojph, ours)
    assert same, f"{why}: {img.shape} {img.dtype} {opts}"
    return "blocks" if ojph == again else "nondeterministic"


@given(cases())
def test_decodes_exactly_everywhere(case):
    img, opts = case
    cs = htj2k.encode(img, encoder=OURS, **opts)
    decoders_agree(cs, img)


@pytest.mark.skipif(not EXACT, reason="byte identity is measured against OpenJPH 0.9")
@given(cases())
def test_same_as_openjph(case):
    img, opts = case
    compare_with_openjph(img, opts)


@pytest.mark.skipif(not EXACT, reason="byte identity is measured against OpenJPH 0.9")
def test_identity_rate_with_openjph(capsys):
    """A fixed sweep, counted: how often our codestream is OpenJPH's byte for byte."""
    rng = np.random.default_rng(7)
    counts: Dict[str, int] = {}
    for i in range(120):
        img, opts = sweep_case(rng, i)
        if i % 3 == 0:
            h, w = img.shape[:2]
            opts["tile_size"] = (int(rng.integers(1, w + 1)), int(rng.integers(1, h + 1)))
        kind = compare_with_openjph(img, opts)
        counts[kind] = counts.get(kind, 0) + 1
    with capsys.disabled():
        print(f"\nour encoder vs OpenJPH {htj2k.openjph_version()}: {counts}")
    assert counts.get("bytes", 0) > 0


@pytest.mark.parametrize("opts", [{}, {"levels": 0}, {"tile_size": (24, 20), "progression": "CPRL"},
                                  {"precincts": [(16, 16), (8, 8)], "block_size": (8, 8), "progression": "PCRL"}])
@pytest.mark.parametrize("shape,dtype,bits", [((40, 50), "u2", 12), ((33, 31, 3), "u1", 8), ((20, 9, 4), "i2", 16)])
def test_opj_decompress_and_info(shape, dtype, bits, opts):
    img = make_image(shape, dtype, bits, "smooth", 3)
    ours, ojph = ours_and_openjph(img, dict(opts, bit_depth=bits))
    out, diag = opj_decompress(ours)
    if out is not None:
        np.testing.assert_array_equal(out, img.astype(np.int64), err_msg=diag)
    mine, theirs = htj2k.info(ours), htj2k.info(ojph)
    skip = {"comments", "codestream_length", "level_ranges"}
    for field in mine.__dataclass_fields__:
        if field not in skip:
            assert getattr(mine, field) == getattr(theirs, field), field
    assert mine.comments == ("htj2k HT encoder",)


@pytest.mark.parametrize("opts", [{}, {"tile_size": (16, 16)}, {"block_size": (8, 8), "precincts": [(16, 16)]}])
def test_same_bytes_for_every_thread_count(opts):
    img = make_image((70, 90, 3), "u2", 12, "random", 1)
    assert_same_bytes_for_every_thread_count(img, encoder=OURS, bit_depth=12, **opts)


# sha256 of our codestreams for these small encodes: the same bytes from every build,
# release and platform (a change here is a change of the encoder's output).
DIGESTS = {
    "grey12": "323cf91f797934a24adc97c4b75b340b0e89d6692a7324491f19709d9fff15d8",
    "rgb8_tiles": "0d123227ca7020c1d4c5a40751762945c0371218c5d556551f9b3badf3902f22",
    "signed16_cprl": "cc82674311ca0bbffb74b9dba9909a433c6bdecb9c73c5ef991be30ce3de1bf7",
    "rgba_precincts": "87f60bd128327cc81e49dd07e8dbe088def0e61e67d61ed8458a5ec63abc33eb",
}


def digest_cases():
    yield "grey12", make_image((37, 41), "u2", 12, "smooth", 0), {"bit_depth": 12}
    yield "rgb8_tiles", make_image((30, 27, 3), "u1", 8, "random", 1), {"tile_size": (16, 12), "levels": 2}
    yield "signed16_cprl", make_image((19, 23), "i2", 16, "ramp", 2), {"progression": "CPRL", "levels": 3}
    yield "rgba_precincts", make_image((24, 24, 4), "u1", 5, "random", 3), {
        "bit_depth": 5, "precincts": [(16, 16), (8, 8)], "block_size": (8, 8)}


@pytest.mark.parametrize("name,img,opts", list(digest_cases()), ids=[c[0] for c in digest_cases()])
def test_committed_digests(name, img, opts):
    assert hashlib.sha256(htj2k.encode(img, encoder=OURS, **opts)).hexdigest() == DIGESTS[name]


@pytest.mark.parametrize("opts", [{"tileparts": "R", "tlm": True}, {"plt": True}, {"tileparts": "R", "plt": True},
                                  {"container": "jph"}, {"tlm": True, "tile_size": (16, 16)},
                                  {"tileparts": "C", "progression": "CPRL", "tlm": True, "plt": True},
                                  {"tileparts": "RC", "progression": "LRCP", "tile_size": (16, 16), "tlm": True},
                                  {"tileparts": "C", "progression": "RLCP", "plt": True, "container": "jph"}])
def test_tile_parts_tlm_plt_jph(opts):
    img = make_image((40, 36, 3), "u1", 8, "smooth", 4)
    cs = htj2k.encode(img, encoder=OURS, **opts)
    np.testing.assert_array_equal(htj2k.decode(cs), img)
    np.testing.assert_array_equal(htj2k.decode(cs, decoder="openjpeg"), img)
    info = htj2k.info(cs)
    assert info.has_tlm == bool(opts.get("tlm")) and info.has_plt == bool(opts.get("plt"))
    per_tile = {None: 1, "R": info.levels + 1, "C": 3, "RC": 3 * (info.levels + 1)}[opts.get("tileparts")]
    if opts.get("progression") in ("LRCP", "RLCP") and opts.get("tileparts") == "C":
        per_tile = 3 * (info.levels + 1)  # a component division divides resolutions too
    assert info.tile_parts == per_tile * info.tiles[0] * info.tiles[1]
    assert info.container == opts.get("container", "j2c")


def test_values_outside_the_bit_depth():
    img = np.array([[0, 4096]], np.uint16)
    with pytest.raises(htj2k.EncodeError, match="exceed the declared 12-bit"):
        htj2k.encode(img, encoder=OURS, bit_depth=12)


@pytest.mark.parametrize("opts,error,match", [
    ({"qstep": 1e-9}, ValueError, "qstep: 1e-09 is too small"),  # lossy: tests/codec/test_our_encoder_lossy.py
    ({"tileparts": "R", "progression": "PCRL"}, ValueError, "tileparts: 'R' with PCRL"),
    ({"tileparts": "RC", "progression": "CPRL"}, ValueError, "tileparts: 'RC' with CPRL"),
    ({"tileparts": "C", "progression": "RPCL"}, ValueError, "tileparts: 'C' with RPCL"),
    ({"encoder": "kakadu"}, ValueError, "encoder"),
    ({"threads": -1}, ValueError, "threads"),
    ({"threads": "2"}, TypeError, "threads"),
    ({"levels": 9}, ValueError, "levels"),
    ({"block_size": (3, 64)}, ValueError, "block_size"),
    ({"progression": "XYZ"}, ValueError, "progression"),
])
def test_bad_options(opts, error, match):
    kwargs = {"encoder": OURS, **opts}
    with pytest.raises(error, match=match):
        htj2k.encode(np.zeros((20, 20), np.uint8), **kwargs)


def test_deep_samples_refused_by_name():
    with pytest.raises(htj2k.UnsupportedCodestreamError, match="bit_depth"):
        htj2k.encode(np.zeros((8, 8), np.uint32), encoder=OURS, bit_depth=25)


def test_features_say_what_ours_supports():
    f = htj2k.features()["encoder"]
    assert f["encoders"] == ("auto", "htj2k", "openjph")
    assert f["htj2k"]["reversible"] and f["htj2k"]["irreversible"]
    assert f["htj2k"]["colour_transforms"] == ("RCT", "ICT")
    assert f["htj2k"]["max_bit_depth"] >= 16


def test_auto_picks_ours_where_it_can():
    img = make_image((32, 32), "u2", 12, "smooth", 5)
    assert htj2k.features()["encoder"]["auto"].startswith("htj2k")
    assert htj2k.info(htj2k.encode(img, bit_depth=12)).comments == ("htj2k HT encoder",)
    assert htj2k.encode(img, bit_depth=12) == htj2k.encode(img, bit_depth=12, encoder=OURS)
    lossy = htj2k.encode(img, bit_depth=12, qstep=0.01)  # lossy too
    assert htj2k.info(lossy).comments == ("htj2k HT encoder",)
    assert htj2k.info(htj2k.encode(img, bit_depth=12, qstep=0.01, encoder="openjph")).comments != (
        "htj2k HT encoder",)


@pytest.mark.parametrize("bits", range(17, htj2k.features()["encoder"]["htj2k"]["max_bit_depth"] + 1))
@pytest.mark.parametrize("dtype", ["u4", "i4"])
def test_deep_samples(bits, dtype):
    for pattern in ("random", "extremes", "smooth"):
        img = make_image((37, 29, 3), dtype, bits, pattern, bits)
        cs = htj2k.encode(img, encoder=OURS, bit_depth=bits, levels=3)
        np.testing.assert_array_equal(htj2k.decode(cs), img)
        if IMAGECODECS_HTJ2K:
            np.testing.assert_array_equal(imagecodecs.htj2k_decode(cs).astype(np.int64), img.astype(np.int64))
        if EXACT and bits <= htj2k.features()["max_bit_depth"]:
            compare_with_openjph(img, {"bit_depth": bits, "levels": 3})


@pytest.mark.skipif(not EXACT, reason="byte identity is measured against OpenJPH 0.9")
@pytest.mark.parametrize("shape,dtype,bits,opts", [
    ((513, 517), "u2", 16, {}),
    ((300, 211, 3), "u1", 8, {"progression": "CPRL", "tile_size": (128, 100)}),
    ((256, 300), "i2", 12, {"precincts": [(128, 128), (64, 64)], "block_size": (32, 32), "progression": "PCRL"}),
    ((1000, 3, 4), "u2", 10, {"levels": 1}),
])
def test_larger_images(shape, dtype, bits, opts):
    for pattern in ("random", "smooth", "extremes"):
        img = make_image(shape, dtype, bits, pattern, 9)
        cs = htj2k.encode(img, encoder=OURS, bit_depth=bits, **opts)
        decoders_agree(cs, img)
        compare_with_openjph(img, dict(opts, bit_depth=bits))
