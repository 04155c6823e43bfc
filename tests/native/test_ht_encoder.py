"""Our HT cleanup-pass block encoder (src/cpp/block/, through the test-only
``htj2k_testing.encode_ht_block``) against OpenJPH's, one code-block at a time.

An image that fits one code-block, encoded losslessly by OpenJPH with 0
decomposition levels, is a codestream with one packet holding one code-block whose
coefficients are the samples minus the DC offset 2^(B-1) (unsigned) or the samples
themselves (signed); Mb (kmax) comes from its QCD. For such images (hypothesis and a
fixed sweep: random, smooth, sparse, constant, zero, extreme, small; u8/i8/u16/i16
at every bit depth 1..16, u32/i32 up to 23; blocks from 4x4 to 1024x4 and 4x1024,
images from 1x1 to the block's size):

* our Zblk is kmax - 1 and our pass count 1 (0 for a block of zeros); with the
  linked OpenJPH 0.9 both equal its packet header's and our segment equals its
  segment byte for byte (``test_sweep_matches_openjph`` prints the counts). The one
  kind of difference: a block whose coefficients are all 0 we leave out, OpenJPH
  0.9 sometimes codes it (every quad insignificant, 3-4 bytes; whether it does
  depends on memory it reads past the block's width, so it varies between runs);
* the codestream with OUR segment in that packet decodes to the image exactly with
  OpenJPH (up to its decode gate, 18 bits on 0.9), OpenJPEG and imagecodecs (its
  OpenJPH and its OpenJPEG).

No timing here: the block encoder's speed is measured in benches/test_kernels.py.
"""

from __future__ import annotations

from typing import Tuple

import imagecodecs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import htj2k
from helpers.ht_block_packet import kmax_of, read_block_packet, with_segment
from helpers.native_build import testing_module as _testing_module

T = _testing_module()  # test-only module, built by tests/helpers/native_build.py
# Bit depths per dtype: 32-bit samples up to 23 bits (what OpenJPH 0.9 encodes).
BITS = {np.uint8: 8, np.int8: 8, np.uint16: 16, np.int16: 16,
        np.uint32: min(23, htj2k.features()["max_bit_depth"]), np.int32: min(23, htj2k.features()["max_bit_depth"])}
OPENJPH_DECODES = htj2k.features()["openjph_max_decode_bit_depth"]
IMAGECODECS_HTJ2K = bool(getattr(imagecodecs, "HTJ2K", None) and imagecodecs.HTJ2K.available)
BLOCKS = [(4, 4), (8, 8), (16, 16), (32, 32), (64, 64), (32, 8), (8, 32), (128, 32), (32, 128),
          (1024, 4), (4, 1024), (256, 16), (16, 256)]
KINDS = ["random", "smooth", "sparse", "constant", "zero", "extremes", "small"]
# Byte (and Zblk) identity is a claim about the OpenJPH release it was measured with;
# elsewhere only our segment's decoding is checked.
EXACT = htj2k.openjph_version().startswith("0.9.")


def make_image(kind: str, h: int, w: int, dtype, bits: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    signed = np.iinfo(dtype).min < 0
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    dc = 0 if signed else 1 << (bits - 1)  # the sample whose coefficient is 0
    if kind == "random":
        img = rng.integers(lo, hi + 1, size=(h, w))
    elif kind == "smooth":
        ramp = np.add.outer(np.arange(h) * rng.uniform(-3, 3), np.arange(w) * rng.uniform(-3, 3))
        img = np.round(ramp + rng.normal(0, 1, size=(h, w)) + rng.integers(lo, hi + 1))
    elif kind == "sparse":
        img = np.full((h, w), dc)
        hit = rng.random((h, w)) < rng.uniform(0.001, 0.1)
        img[hit] = rng.integers(lo, hi + 1, size=int(hit.sum()))
    elif kind == "constant":
        img = np.full((h, w), rng.integers(lo, hi + 1))
    elif kind == "zero":
        img = np.full((h, w), dc)
    elif kind == "extremes":
        img = rng.choice([lo, hi], size=(h, w))
    else:  # small: coefficients of a few bits around 0
        img = dc + rng.integers(-3, 4, size=(h, w))
    return np.clip(img, lo, hi).astype(dtype)


def coefficients(img: np.ndarray, bits: int) -> np.ndarray:
    signed = np.iinfo(img.dtype).min < 0
    return img.astype(np.int32) - (0 if signed else 1 << (bits - 1))


def decoders(cs: bytes, bits: int):
    if bits <= OPENJPH_DECODES:  # deeper ones the linked OpenJPH refuses (a version gate)
        yield "openjph", htj2k.decode(cs, decoder="openjph")
    yield "openjpeg", htj2k.decode(cs, decoder="openjpeg")
    if IMAGECODECS_HTJ2K:  # imagecodecs builds without OpenJPH exist (old manylinux2014 wheels)
        yield "imagecodecs.htj2k_decode", imagecodecs.htj2k_decode(cs)
    yield "imagecodecs.jpeg2k_decode", imagecodecs.jpeg2k_decode(cs)


def check_block(img: np.ndarray, bits: int, block) -> Tuple[str, int, int]:
    """Compares our segment with OpenJPH's for `img` and checks that the
    codestream with ours decodes to `img`. Returns what was found: "same" (the
    same bytes), "empty" (neither codes the all-zero block), "zero-included"
    (all coefficients 0: we leave the block out, OpenJPH codes every quad
    insignificant) or "other" (tolerated only where OpenJPH is not reproducible);
    and the two segments' lengths (ours, OpenJPH's)."""
    cs = htj2k.encode(img, levels=0, block_size=block, bit_depth=bits)
    pkt = read_block_packet(cs)
    kmax = kmax_of(cs)
    coef = coefficients(img, bits)
    seg, zblk, passes = T.encode_ht_block(coef, kmax)
    assert zblk == kmax - 1
    if not coef.any():
        assert passes == 0 and seg == b""
        found = "zero-included" if pkt.included else "empty"
    else:
        assert passes == pkt.passes == 1
        if EXACT:  # (any Zblk of OpenJPH's is valid for its segment; ours must be kmax - 1)
            assert zblk == pkt.zblk
        found = "same" if seg == pkt.segment else "other"
    if EXACT and found == "other":  # tolerated only if OpenJPH's own bytes are not reproducible
        again = read_block_packet(htj2k.encode(img, levels=0, block_size=block, bit_depth=bits))
        assert again.segment != pkt.segment, (
            f"our segment differs from OpenJPH's ({len(seg)} vs {len(pkt.segment)} bytes)\n"
            f"ours    {seg.hex()}\nopenjph {pkt.segment.hex()}")
    ours = with_segment(cs, seg, zblk)
    if EXACT and found in ("same", "empty"):
        assert ours == cs  # our packet-header rewrite is OpenJPH's own
    for name, out in decoders(ours, bits):
        # (values only: a u16 image of 8 bits or fewer decodes as u8)
        np.testing.assert_array_equal(out.reshape(img.shape).astype(np.int64), img.astype(np.int64), err_msg=name)
    return found, len(seg), len(pkt.segment)


@st.composite
def block_images(draw):
    dtype = draw(st.sampled_from(list(BITS)))
    bits = draw(st.integers(1, BITS[dtype]))
    bw, bh = draw(st.sampled_from(BLOCKS))
    w = draw(st.one_of(st.integers(1, bw), st.sampled_from([1, bw])))
    h = draw(st.one_of(st.integers(1, bh), st.sampled_from([1, bh])))
    kind = draw(st.sampled_from(KINDS))
    seed = draw(st.integers(0, 2**32 - 1))
    return make_image(kind, h, w, dtype, bits, seed), bits, (bw, bh)


@settings(max_examples=150, deadline=None)
@given(block_images())
def test_block_matches_openjph_and_decodes(case):
    img, bits, block = case
    check_block(img, bits, block)


SWEEP_SHAPES = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (4, 4), (1, 64), (64, 1), (5, 7), (7, 5),
                (8, 32), (32, 8), (17, 33), (33, 17), (63, 64), (64, 63), (64, 64)]


def test_sweep_matches_openjph():
    """A fixed set: every kind, dtype, a spread of bit depths, every shape above
    in a 64x64 block plus 1024x4 and 4x1024 blocks. Prints the identity rate, the
    kinds of difference and the sizes (ours vs OpenJPH's, coded blocks only)."""
    found = {"same": 0, "empty": 0, "zero-included": 0, "other": 0}
    ours = theirs = 0
    cases = [((h, w), (64, 64)) for h, w in SWEEP_SHAPES]
    cases += [((4, 1024), (1024, 4)), ((3, 999), (1024, 4)), ((1024, 4), (4, 1024)), ((1000, 1), (4, 1024))]
    seed = 0
    for (h, w), block in cases:
        for dtype, top in BITS.items():
            for bits in sorted({1, 2, 5, top // 2 + 1, top}):
                for kind in KINDS:
                    seed += 1
                    what, n_ours, n_theirs = check_block(make_image(kind, h, w, dtype, bits, seed), bits, block)
                    found[what] += 1
                    ours, theirs = ours + n_ours, theirs + n_theirs
    print(f"\nHT block encoder vs OpenJPH {htj2k.openjph_version()}: {sum(found.values())} blocks, {found}; "
          f"segment bytes ours {ours} vs OpenJPH {theirs}")
    if EXACT:
        assert found["other"] == 0


def test_refusals():
    with pytest.raises(ValueError, match="code-block of 65x64"):
        T.encode_ht_block(np.zeros((64, 65), np.int32), 8)
    with pytest.raises(ValueError, match="kmax"):
        T.encode_ht_block(np.zeros((4, 4), np.int32), 32)
    with pytest.raises(ValueError, match="2\\^kmax"):
        T.encode_ht_block(np.full((4, 4), -256, np.int32), 8)
    assert T.encode_ht_block(np.full((4, 4), -255, np.int32), 8)[2] == 1
    assert T.encode_ht_block(np.zeros((3, 5), np.int32), 8) == (b"", 7, 0)


def test_int64_path_equals_int32_path():
    rng = np.random.default_rng(5)
    for shape in [(64, 64), (5, 9), (1, 100), (100, 1)]:
        v = (rng.integers(-(2**30), 2**30, size=shape) >> rng.integers(0, 31, size=shape)).astype(np.int32)
        assert T.encode_ht_block(v, 31) == T.encode_ht_block(v.astype(np.int64), 31)
