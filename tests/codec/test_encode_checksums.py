"""``encode(..., checksums=True)``: the level checksums of what the encoded bytes
decode to, from the same wavelet pass as the encode (our lossless encoder), from
the samples or by decoding (OpenJPH, lossy); ``encode_many`` likewise.

Oracles: ``htj2k.checksums`` of the bytes (a decoder's view), ``pixel_checksums``
(one tile), and for tiled images an independent numpy 5/3 per tile
(tests/helpers/dwt53.py) put together as a decoder rebuilds the levels.
"""

from __future__ import annotations

import zlib
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import htj2k
from helpers.dwt53 import forward_53, forward_rct
from helpers.images import make_image, nominal_range


@st.composite
def cases(draw) -> Tuple[np.ndarray, Dict[str, Any]]:
    h = draw(st.sampled_from([1, 2, 3, 5, 8, 17, 33, 64, 70]))
    w = draw(st.sampled_from([1, 2, 3, 4, 7, 13, 31, 64, 65]))
    nc = draw(st.sampled_from([1, 1, 2, 3, 4]))
    bits = draw(st.integers(1, 16))
    signed = draw(st.booleans())
    dtype = ("i" if signed else "u") + ("1" if bits <= 8 else "2")
    shape = (h, w) if nc == 1 else (h, w, nc)
    img = make_image(shape, dtype, bits, draw(st.sampled_from(["random", "extremes", "smooth", "ramp"])),
                     draw(st.integers(0, 99)))
    cap = htj2k._core.max_levels_for_size(w, h)
    opts: Dict[str, Any] = {"bit_depth": bits, "levels": draw(st.integers(0, min(5, cap))),
                            "progression": draw(st.sampled_from(["LRCP", "RPCL", "CPRL"]))}
    if draw(st.booleans()):
        opts["tile_size"] = (draw(st.integers(1, w + 2)), draw(st.integers(1, h + 2)))
    if nc >= 3 and draw(st.booleans()):
        opts["colour_transform"] = False
    return img, opts


def one_tile(img: np.ndarray, opts: Dict[str, Any]) -> bool:
    ts = opts.get("tile_size")
    return ts is None or (ts[0] >= img.shape[1] and ts[1] >= img.shape[0])


def mosaic_checksums(img: np.ndarray, opts: Dict[str, Any]) -> List[htj2k.LevelChecksum]:
    """Levels L..0 of a tiled lossless encode, as a decoder rebuilds them: each
    tile's LL band after d levels of the 5/3 (after the RCT), placed at the tile's
    reduced origin, inverse RCT, un-shifted, clamped, serialised little-endian."""
    bits, levels = opts["bit_depth"], opts["levels"]
    signed = img.dtype.kind == "i"
    lo, hi = nominal_range(bits, signed)
    shift = 0 if signed else 1 << (bits - 1)
    planes = img.reshape(img.shape[0], img.shape[1], -1).astype(np.int64) - shift
    nc = planes.shape[2]
    rct = opts.get("colour_transform", nc == 3) and nc >= 3
    H, W = img.shape[:2]
    tw, th = opts.get("tile_size") or (W, H)
    out_dtype = np.dtype(("<i" if signed else "<u") + str(1 if bits <= 8 else 2))
    sums = []
    for d in range(levels, -1, -1):
        ceil = lambda v: -(-v // (1 << d))  # noqa: E731
        level = np.zeros((ceil(H), ceil(W), nc), np.int64)
        for ty in range(0, H, th):
            for tx in range(0, W, tw):
                tile = planes[ty : ty + th, tx : tx + tw]
                comps = [tile[..., c] for c in range(nc)]
                if rct:
                    comps[:3] = forward_rct(*comps[:3])
                for c in range(nc):
                    ll, x, y = comps[c], tx, ty
                    for _ in range(d):
                        if ll.size:  # an empty band stays empty
                            ll, x, y = forward_53(ll, x, y, 1)[(0, "LL")]
                    if ll.size:
                        level[ceil(ty) : ceil(ty) + ll.shape[0], ceil(tx) : ceil(tx) + ll.shape[1], c] = ll
        if rct:
            y, cb, cr = level[..., 0], level[..., 1], level[..., 2]
            g = y - np.floor_divide(cb + cr, 4)
            level[..., 0], level[..., 1], level[..., 2] = cr + g, g, cb + g
        level = np.clip(level + shift, lo, hi).astype(out_dtype)
        sums.append(htj2k.LevelChecksum(d, level.shape[1], level.shape[0], zlib.crc32(level.tobytes())))
    return sums


@settings(max_examples=150, deadline=None)
@given(cases(), st.sampled_from(["auto", "htj2k", "openjph"]))
def test_checksums_of_what_the_bytes_decode_to(case, encoder):
    img, opts = case
    try:
        plain = htj2k.encode(img, encoder=encoder, **opts)
    except htj2k.UnsupportedCodestreamError:
        with pytest.raises(htj2k.UnsupportedCodestreamError):
            htj2k.encode(img, encoder=encoder, checksums=True, **opts)
        return
    result = htj2k.encode(img, encoder=encoder, checksums=True, **opts)
    assert isinstance(result, htj2k.EncodedFrame)
    data, sums = result
    if encoder != "openjph":  # OpenJPH 0.9's bytes vary from call to call (docs/releases.md)
        assert data == plain  # asking for checksums changes no byte
    assert sums == htj2k.checksums(data)
    assert [s.level for s in sums] == list(range(opts["levels"], -1, -1))
    if one_tile(img, opts):
        ct = opts.get("colour_transform")
        assert sums == htj2k.pixel_checksums(img, opts["levels"], opts["bit_depth"], colour_transform=ct)


@pytest.mark.parametrize("shape, dtype, bits, tile, levels, ct", [
    ((64, 70), "u2", 12, (16, 24), 3, None),
    ((64, 70), "i2", 10, (33, 17), 4, None),
    ((48, 50, 3), "u1", 8, (20, 20), 2, None),
    ((48, 50, 4), "u2", 16, (32, 17), 3, None),
    ((48, 50, 3), "i1", 7, (13, 48), 2, False),
    ((40, 40), "u1", 8, (3, 40), 3, None),  # an edge tile of 1 column: empty at every reduced level
])
def test_tiles_give_the_mosaic_a_decoder_rebuilds(shape, dtype, bits, tile, levels, ct):
    img = make_image(shape, dtype, bits, "random", 7)
    opts = {"bit_depth": bits, "tile_size": tile, "levels": levels}
    if ct is not None:
        opts["colour_transform"] = ct
    data, sums = htj2k.encode(img, encoder="htj2k", checksums=True, **opts)
    assert sums == mosaic_checksums(img, opts)
    assert sums == htj2k.checksums(data)
    # ... which is not one DWT over the whole image: the tiles' levels are load-bearing
    assert sums != htj2k.pixel_checksums(img, levels, bits, colour_transform=ct)


@pytest.mark.parametrize("opts", [
    {"qstep": 0.01},
    {"qstep": 0.1, "levels": 3},
    {"encoder": "openjph"},
    {"encoder": "openjph", "tile_size": (32, 32)},
    {"container": "jph", "tlm": True, "tileparts": "R", "plt": True},
])
def test_other_paths(opts):
    img = make_image((96, 80, 3), "u1", 8, "smooth", 3)
    data, sums = htj2k.encode(img, checksums=True, **opts)
    assert sums == htj2k.checksums(data)
    if "qstep" in opts:  # lossy: the decoded levels, not the pixels'
        assert sums[-1] != htj2k.pixel_checksums(img, htj2k.info(data).levels)[-1]


def test_checksums_false_returns_bytes_and_bad_values_are_refused():
    img = make_image((16, 16), "u1", 8)
    assert isinstance(htj2k.encode(img, checksums=False), bytes)
    with pytest.raises(TypeError, match="checksums"):
        htj2k.encode(img, checksums="yes")
    with pytest.raises(htj2k.EncodeError):  # the same error as without checksums
        htj2k.encode(img, bit_depth=4, checksums=True)


def test_every_thread_count_gives_the_same_checksums():
    img = make_image((300, 260, 3), "u2", 12, "smooth", 5)
    ref = htj2k.encode(img, bit_depth=12, checksums=True, threads=1)
    for threads in (2, 3, 0):
        assert htj2k.encode(img, bit_depth=12, checksums=True, threads=threads) == ref


def test_encode_many_with_checksums():
    imgs = [make_image((40 + i, 50, 3), "u1", 8, "random", i) for i in range(4)] + [np.zeros((2, 2, 2, 2), "u1")]
    out = htj2k.encode_many(imgs, threads=2, checksums=True)
    for img, r in zip(imgs[:4], out):
        assert isinstance(r, htj2k.EncodedFrame)
        assert r == htj2k.encode(img, checksums=True)
    assert isinstance(out[4], ValueError)
    assert all(isinstance(b, bytes) for b in htj2k.encode_many(imgs[:4], threads=2))


# ----------------------------------------------------------------- decode(..., checksums=True)


@settings(max_examples=100, deadline=None)
@given(cases(), st.sampled_from([None, 0.02]), st.sampled_from(["auto", "openjph", "openjpeg"]))
def test_decode_with_checksums_equals_decode_and_checksums(case, qstep, decoder):
    img, opts = case
    if qstep is not None:
        opts = {**opts, "qstep": qstep}
        opts.pop("tile_size", None)  # lossy edge tiles that vanish at a level are refused
    try:
        data = htj2k.encode(img, **opts)
        expected = htj2k.decode(data, decoder=decoder)
    except (htj2k.UnsupportedCodestreamError, ValueError):
        return  # a decoder that cannot decode this stream (tested elsewhere)
    try:
        pixels, sums = htj2k.decode(data, checksums=True, decoder=decoder)
    except htj2k.UnsupportedCodestreamError:
        # only where that decoder cannot decode some level (each is decoded by itself)
        levels = htj2k.info(data).levels
        with pytest.raises(htj2k.UnsupportedCodestreamError):
            for r in range(1, levels + 1):
                htj2k.decode(data, level=r, decoder=decoder)
        return
    np.testing.assert_array_equal(pixels, expected)
    assert sums[-1].checksum == zlib.crc32(expected.astype(expected.dtype.newbyteorder("<")).tobytes())
    if qstep is None or decoder == "auto":  # lossy: OpenJPH and OpenJPEG round the 9/7 differently
        assert sums == htj2k.checksums(data)


def test_decode_with_checksums_of_every_conformance_kind(shared_dir):
    """Layers, tiles, precincts, lossy, colour: whatever decode() reads."""
    import glob
    import os

    files = sorted(glob.glob(os.path.join(shared_dir, "conformance", "**", "*.j2k"), recursive=True))
    done = 0
    for path in files:
        try:
            expected = htj2k.decode(path)
        except htj2k.Htj2kError:
            continue
        pixels, sums = htj2k.decode(path, checksums=True)
        np.testing.assert_array_equal(pixels, expected)
        assert sums == htj2k.checksums(path), path
        done += 1
    assert done >= 10


def test_decode_with_checksums_refusals():
    data = htj2k.encode(make_image((32, 32), "u1", 8))
    with pytest.raises(ValueError, match="level 0"):
        htj2k.decode(data, level=1, checksums=True)
    with pytest.raises(ValueError, match="level 0"):
        htj2k.decode(data, level="best", checksums=True)
    with pytest.raises(TypeError, match="checksums"):
        htj2k.decode(data, checksums=1)
    out = np.empty((32, 32), np.uint8)
    pixels, sums = htj2k.decode(data, out=out, checksums=True)
    assert pixels is out and sums == htj2k.checksums(data)
