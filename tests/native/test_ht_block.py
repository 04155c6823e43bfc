"""The core's own HT code-block decoder (block/ht_block_decoder.hpp) and code-block
enumeration (codestream/code_blocks.hpp), through the test-only
``htj2k_testing.ht_block_coefficients``: every code-block of a codestream decoded
and compared, bit-plane by bit-plane, with the subband coefficients it must hold.

- Cleanup pass: lossless encodes with 0 decomposition levels, whose only band holds
  the samples minus the DC offset (hypothesis over sizes, block sizes, dtypes, bit
  depths and image kinds).
- Any level count: lossless 5/3 encodes against a numpy forward 5/3 DWT (and RCT) of
  the image (helpers/dwt53.py).
- SigProp/MagRef: the lossless conformance codestreams (every quality-layer count,
  joined by flatten_layers) against the forward DWT of their exact decode, and the
  lossy ds0_ht_08_b11 away from the samples its decode clipped.
- Damaged segments raise InvalidCodestreamError, never crash (the gtest
  test_ht_block does the same under ASan)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import htj2k
from htj2k import _core
from helpers.dwt53 import forward_53, forward_rct
from helpers import native_build

T = native_build.testing_module()  # test-only module, built by tests/helpers/native_build.py


def _check_block(b: dict, coef: np.ndarray, keep: np.ndarray | None = None) -> None:
    """The block's values against its true coefficients: 2 * mu + the bit of plane
    p - 1 where it was coded, p = Mb - 1 - Zblk the cleanup pass's plane. Only
    where `keep` (default everywhere)."""
    where = f"{b['band']} r{b['resolution']} c{b['component']} t{b['tile']} at ({b['x0']},{b['y0']}), passes {b['passes']}"
    v, ref = b["values"], b["refined"].astype(bool)
    if keep is not None:
        v, ref, coef = v[keep], ref[keep], coef[keep]
    assert v.shape == coef.shape, where
    p = b["mb"] - 1 - b["zblk"]
    assert p >= (1 if b["passes"] > 1 else 0), where
    mag = np.abs(coef)
    np.testing.assert_array_equal(np.abs(v) >> 1, mag >> p, err_msg=f"magnitude bits from plane {p}: {where}")
    nz = v != 0
    np.testing.assert_array_equal(np.sign(v)[nz], np.sign(coef)[nz], err_msg=f"signs: {where}")
    if b["passes"] > 1:
        np.testing.assert_array_equal((np.abs(v) & 1)[ref], ((mag >> (p - 1)) & 1)[ref], err_msg=f"plane {p - 1}: {where}")
    assert not (np.abs(v) & 1)[~ref].any() and (b["passes"] > 1 or not ref.any()), where


def _check_codestream(cs: bytes, bands: dict, complete: bool = True, skip: dict | None = None) -> Counter:
    """Every code-block of `cs` against `bands` ({(tile, component, resolution, band):
    (array, x0, y0)}) except where `skip` (the same keys, boolean arrays) is set;
    with `complete` (all of the data), coefficients in no included code-block must be
    0. Returns the count of blocks per number of passes."""
    covered = {key: np.zeros(arr.shape, bool) for key, (arr, _, _) in bands.items()}
    passes = Counter()
    for b in T.ht_block_coefficients(cs):
        key = (b["tile"], b["component"], b["resolution"], b["band"])
        arr, bx, by = bands[key]
        window = (slice(b["y0"] - by, b["y1"] - by), slice(b["x0"] - bx, b["x1"] - bx))
        _check_block(b, arr[window], None if skip is None else ~skip[key][0][window])
        assert not covered[key][window].any(), "code-blocks overlap"
        covered[key][window] = True
        passes[b["passes"]] += 1
    for key, (arr, _, _) in bands.items():
        assert not complete or not arr[~covered[key]].any(), f"{key}: non-zero coefficients in no included code-block"
    return passes


def _tile_components(img: np.ndarray, info):
    """(tile, component, samples, x0, y0) of every tile-component of `img` (H, W, C)."""
    (tw, th), (tox, toy), (ox, oy) = info.tile_size, info.tile_offset, info.offset
    for t in range(info.tiles[0] * info.tiles[1]):
        tx, ty = t % info.tiles[0], t // info.tiles[0]
        x0, x1 = max(tox + tx * tw, ox), min(tox + (tx + 1) * tw, ox + info.width)
        y0, y1 = max(toy + ty * th, oy), min(toy + (ty + 1) * th, oy + info.height)
        for c, comp in enumerate(info.components):
            dx, dy = comp.subsampling
            cx0, cx1, cy0, cy1 = -(-x0 // dx), -(-x1 // dx), -(-y0 // dy), -(-y1 // dy)
            ix, iy = -(-ox // dx), -(-oy // dy)
            yield t, c, img[cy0 - iy:cy1 - iy, cx0 - ix:cx1 - ix, c], cx0, cy0


def _subbands(img: np.ndarray, info, levels: list[int]) -> dict:
    """The oracle: DC shift, RCT when the codestream has it, then the forward 5/3 DWT
    of each tile-component (`levels` per component)."""
    img = img.astype(np.int64).reshape(img.shape[0], img.shape[1], -1)
    img = img - np.array([0 if c.signed else 1 << (c.bit_depth - 1) for c in info.components])
    if info.colour_transform:
        img = np.stack(forward_rct(img[..., 0], img[..., 1], img[..., 2]) + tuple(np.moveaxis(img[..., 3:], 2, 0)), 2)
    bands = {}
    for t, c, tile, x0, y0 in _tile_components(img, info):
        for (r, band), val in forward_53(tile, x0, y0, levels[c]).items():
            bands[(t, c, r, band)] = val
    return bands


def _clipped_support(img: np.ndarray, info, levels: list[int]) -> dict:
    """Which coefficients of _subbands depend on a sample the decoder clipped to
    its range (there the decode no longer tells the coefficient)."""
    img = img.astype(np.int64).reshape(img.shape[0], img.shape[1], -1)
    lo = np.array([-(1 << (c.bit_depth - 1)) if c.signed else 0 for c in info.components])
    clipped = (img == lo) | (img == lo + (1 << np.array([c.bit_depth for c in info.components])) - 1)
    if info.colour_transform:
        clipped[..., :3] = clipped[..., :3].any(axis=2, keepdims=True)
    bands = {}
    for t, c, tile, x0, y0 in _tile_components(clipped, info):
        for (r, band), val in forward_53(tile, x0, y0, levels[c], support=True).items():
            bands[(t, c, r, band)] = val
    return bands


# --------------------------------------------------------------------------- cleanup pass

def _image(kind: str, h: int, w: int, bits: int, signed: bool, rng) -> np.ndarray:
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if kind == "random":
        a = rng.integers(lo, hi + 1, size=(h, w))
    elif kind == "smooth":
        yy, xx = np.mgrid[0:h, 0:w]
        a = lo + (hi - lo) * (0.5 + 0.5 * np.sin(xx / 7.0 + yy / 11.0))
    elif kind == "constant":
        a = np.full((h, w), int(rng.integers(lo, hi + 1)))
    else:
        a = np.zeros((h, w))
    dtype = (np.int16 if signed else np.uint16) if bits > 8 or signed else np.uint8
    return np.clip(np.rint(a), lo, hi).astype(dtype)


def _check_level0(img: np.ndarray, bits: int, block: tuple[int, int]) -> Counter:
    cs = htj2k.encode(img, levels=0, block_size=block, bit_depth=bits)
    info = htj2k.info(cs)
    passes = _check_codestream(cs, _subbands(img, info, [0]))
    assert set(passes) <= {1}
    return passes


@pytest.mark.parametrize("shape", [(1, 1), (1, 97), (97, 1), (2, 3), (70, 45), (64, 64), (130, 67)])
@pytest.mark.parametrize("block", [(64, 64), (32, 32), (4, 4), (16, 64), (128, 32), (1024, 4)])
def test_cleanup_pass_equals_samples(shape, block):
    rng = np.random.default_rng(shape[0] * 1000 + shape[1] + block[0])
    for bits, signed, kind in [(8, False, "random"), (16, False, "random"), (12, True, "smooth"), (1, False, "random")]:
        _check_level0(_image(kind, *shape, bits, signed, rng), bits, block)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=st.integers(1, 90), w=st.integers(1, 90), bits=st.integers(1, 16), signed=st.booleans(),
       kind=st.sampled_from(["random", "smooth", "constant", "zero"]),
       block=st.sampled_from([(4, 4), (8, 8), (16, 16), (32, 32), (64, 64), (8, 128), (256, 16)]),
       seed=st.integers(0, 2**32 - 1))
def test_cleanup_pass_hypothesis(h, w, bits, signed, kind, block, seed):
    signed = signed and bits > 1
    _check_level0(_image(kind, h, w, bits, signed, np.random.default_rng(seed)), bits, block)


# --------------------------------------------------------------------------- any level count

@pytest.mark.parametrize("levels", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(77, 51), (128, 128), (33, 200)])
def test_subbands_equal_forward_dwt(levels, shape):
    rng = np.random.default_rng(levels * 7 + shape[1])
    for img in (rng.integers(0, 256, size=shape).astype(np.uint8),
                rng.integers(-2000, 2000, size=shape + (3,)).astype(np.int16),
                _image("smooth", *shape, 16, False, rng)):
        cs = htj2k.encode(img, levels=levels, block_size=(32, 32), bit_depth=12 if img.dtype == np.int16 else None,
                          tile_size=(64, 64) if shape == (128, 128) else None)
        info = htj2k.info(cs)
        _check_codestream(cs, _subbands(img, info, [levels] * len(info.components)))


# --------------------------------------------------------------------------- SigProp / MagRef

def _lossless_conformance(shared_dir):
    """(name, data) of the HT reversible conformance codestreams whose references
    are matched exactly (max_abs_error 0), which htj2k decodes."""
    root = shared_dir / "conformance" / "iso15444-4"
    for case in json.loads((root / "manifest.json").read_text())["cases"]:
        data = (root / "codestreams" / case["codestream"]).read_bytes()
        info = htj2k.info(data)
        exact = all(c["max_abs_error"] == 0 for c in case["components"])
        if info.ht and info.reversible and exact and case["reduce"] == 0 and info.supported:
            yield case["codestream"], data


def test_conformance_refinement_passes(shared_dir):
    """Every layer count of every lossless conformance codestream: its code-blocks
    (joined to one HT set each) against the forward DWT of the exact decode. The
    decoder's levels per component come from the code-blocks (COC may change them)."""
    total, names = Counter(), []
    for name, data in _lossless_conformance(shared_dir):
        info = htj2k.info(data)
        def joined(k):
            return _core.flatten_layers(data, k) if info.layers > 1 else data
        levels = _component_levels(joined(info.layers))
        bands = _subbands(htj2k.decode(data), info, [levels.get(c, 0) for c in range(len(info.components))])
        for k in range(1, info.layers + 1):
            total += _check_codestream(joined(k), bands, complete=k == info.layers)
        names.append(name)
    assert {"ds0_ht_10_b11.j2k", "ds0_ht_12_b11.j2k", "ds0_ht_14_b11.j2k"} <= set(names), names
    # Blocks with SigProp and MagRef (3 passes) verified: 12 + 36 (ds0_ht_10, 1 and 2
    # layers), 2 (ds0_ht_12), 11 (ds0_ht_14).
    assert total[3] >= 61, total


def _component_levels(cs: bytes) -> dict:
    """Decomposition levels per component, as the highest resolution of its blocks."""
    levels = {}
    for b in T.ht_block_coefficients(cs):
        levels[b["component"]] = max(levels.get(b["component"], 0), b["resolution"])
    return levels


@pytest.mark.slow
def test_lossy_conformance_refinement_passes(shared_dir):
    """ds0_ht_08_b11 (30 layers, lossy 5/3, three components of 6, 7 and 8 levels),
    every layer count, against the forward DWT of its decode, away from the samples
    the decoder clipped: the blocks with SigProp alone (2 passes) the lossless
    codestreams lack. Over the 30 layer counts: 1041 blocks of 1 pass, 1141 of 2
    (745k SigProp members checked), 5617 of 3 (7.7M refined samples checked); 15% of
    the coefficients depend on a clipped sample and are not compared."""
    data = (shared_dir / "conformance" / "iso15444-4" / "codestreams" / "ds0_ht_08_b11.j2k").read_bytes()
    info, img = htj2k.info(data), htj2k.decode(data)
    levels = _component_levels(_core.flatten_layers(data, info.layers))
    assert levels == {0: 6, 1: 7, 2: 8}
    bands = _subbands(img, info, [levels[c] for c in range(3)])
    skip = _clipped_support(img, info, [levels[c] for c in range(3)])
    total = Counter()
    for k in range(1, info.layers + 1):
        total += _check_codestream(_core.flatten_layers(data, k), bands, complete=False, skip=skip)
    assert total[2] > 1000 and total[3] > 3000, total


def test_sigprop_alone_is_the_first_half_of_three_passes(shared_dir):
    """A 3-pass block decoded as 2 passes: SigProp reads the refinement segment
    forward from its start whatever follows, so its members and new significances
    are those of the 3-pass decode, and cleanup-significant samples get no bit."""
    data = (shared_dir / "conformance" / "iso15444-4" / "codestreams" / "ds0_ht_14_b11.j2k").read_bytes()
    seen = 0
    for b in T.ht_block_coefficients(data):
        if b["passes"] != 3:
            continue
        (c0, lc), (r0, lr) = b["cleanup"], b["refine"]
        w, h = b["x1"] - b["x0"], b["y1"] - b["y0"]
        two = T.ht_decode_block(data[c0:c0 + lc], data[r0:r0 + lr], 2, w, h, b["zblk"] + 1, b["causal"])
        one = T.ht_decode_block(data[c0:c0 + lc], b"", 1, w, h, b["zblk"] + 1, b["causal"])
        cleanup_sig = one != 0
        np.testing.assert_array_equal(two[~cleanup_sig], b["values"][~cleanup_sig])
        np.testing.assert_array_equal(two[cleanup_sig], one[cleanup_sig])
        seen += 1
    assert seen == 11


# --------------------------------------------------------------------------- damaged data

def test_damaged_segments_raise_or_decode(shared_dir):
    """Bytes flipped, segments cut: InvalidCodestreamError or some decode, never a
    crash or another error."""
    data = (shared_dir / "conformance" / "iso15444-4" / "codestreams" / "ds0_ht_14_b11.j2k").read_bytes()
    rng = np.random.default_rng(5)
    outcomes = Counter()
    for b in T.ht_block_coefficients(data):
        (c0, lc), (r0, lr) = b["cleanup"], b["refine"]
        w, h = b["x1"] - b["x0"], b["y1"] - b["y0"]
        for trial in range(40):
            cleanup, refine = bytearray(data[c0:c0 + lc]), bytearray(data[r0:r0 + lr])
            seg = cleanup if not refine or trial % 3 else refine
            if trial % 4 == 0:
                del seg[int(rng.integers(0, len(seg))):]
            else:
                seg[int(rng.integers(0, len(seg)))] ^= int(rng.integers(1, 256))
            try:
                T.ht_decode_block(bytes(cleanup), bytes(refine), b["passes"], w, h, b["zblk"] + 1, b["causal"])
                outcomes["decoded"] += 1
            except htj2k.InvalidCodestreamError:
                outcomes["refused"] += 1
    assert outcomes["refused"] > 0 and outcomes["decoded"] > 0, outcomes


def test_bad_arguments():
    ok = bytes([0xF2, 0x00])  # Scup 2, MEL all 1s: every quad insignificant
    assert not T.ht_decode_block(ok, b"", 1, 64, 64, 8).any()
    for args in [(ok, b"", 0, 4, 4, 8), (ok, b"", 4, 4, 4, 8), (ok, b"", 1, 0, 4, 8), (ok, b"", 1, 128, 64, 8),
                 (ok, b"", 1, 4, 4, 0), (ok, b"", 1, 4, 4, 61)]:
        with pytest.raises(ValueError) as err:
            T.ht_decode_block(*args)
        assert not isinstance(err.value, htj2k.InvalidCodestreamError), err.value
    for seg in [b"", b"\x02", bytes([0x01, 0x00]), bytes([0x03, 0x00]), bytes([0x0F, 0xFF])]:
        with pytest.raises(htj2k.InvalidCodestreamError, match="HT cleanup segment"):
            T.ht_decode_block(seg, b"", 1, 4, 4, 8)


def test_refusals(shared_dir):
    """Several quality layers are for flatten_layers first."""
    data = (shared_dir / "conformance" / "iso15444-4" / "codestreams" / "ds0_ht_10_b11.j2k").read_bytes()
    with pytest.raises(htj2k.UnsupportedCodestreamError, match="2 quality layers: join them first"):
        T.ht_block_coefficients(data)
    assert len(T.ht_block_coefficients(_core.flatten_layers(data, 2))) == 120


def test_every_joinable_conformance_codestream_decodes(shared_dir):
    """Irreversible, RGN (ds0_ht_15), placeholder-pass and many-layer codestreams:
    every code-block of every HT conformance codestream flatten_layers joins decodes
    (no exact oracle for the lossy ones: test_lossy_conformance_refinement_passes)."""
    blocks = Counter()
    for path in sorted((shared_dir / "conformance" / "iso15444-4" / "codestreams").glob("ds0_ht_*.j2k")):
        data = path.read_bytes()
        layers = htj2k.info(data).layers
        for b in T.ht_block_coefficients(_core.flatten_layers(data, layers) if layers > 1 else data):
            blocks[b["passes"]] += 1
    assert blocks[1] > 3000 and blocks[2] > 1000 and blocks[3] > 3000, blocks
