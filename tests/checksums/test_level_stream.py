"""Streamed level checksums (checksum/level_stream.cpp: single-component frames,
lower levels derived on the fly while decoding) against the two independent
references: decoding each level and CRC-ing it, and the whole-image pyramid of
pixel_checksums (checksum/levels.cpp)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import htj2k


def _image(rng, h, w, bits, signed):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    dtype = {8: np.int8, 16: np.int16, 32: np.int32}[8 if bits <= 8 else 16 if bits <= 16 else 32]
    if not signed:
        dtype = np.dtype(dtype).newbyteorder("=").str.replace("i", "u")
    y, x = np.mgrid[0:h, 0:w]
    smooth = (np.sin(x / 5.0) + np.cos(y / 7.0)) * (hi - lo) / 5 + (lo + hi) / 2
    img = smooth + rng.normal(0, max(1, (hi - lo) / 50), (h, w))
    if rng.random() < 0.3:  # extremes: the low band overshoots and must be clamped
        img[rng.random((h, w)) < 0.2] = lo
        img[rng.random((h, w)) < 0.2] = hi
    return np.clip(np.rint(img), lo, hi).astype(dtype)


CASES = [(1, 1), (1, 7), (7, 1), (2, 2), (3, 3), (2, 9), (9, 2), (5, 64), (33, 17), (64, 65), (127, 40), (100, 100)]


@pytest.mark.parametrize("shape", CASES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("bits,signed", [(1, False), (8, False), (8, True), (12, False), (16, True), (16, False), (20, False), (23, True)])
def test_streamed_levels_match_references(shape, bits, signed):
    h, w = shape
    rng = np.random.default_rng(h * 1000 + w + bits)
    img = _image(rng, h, w, bits, signed)
    cap = htj2k._core.max_levels_for_size(w, h)
    for levels in sorted({0, min(1, cap), min(3, cap), cap}):
        data = htj2k.encode(img, levels=levels, bit_depth=bits)
        sums = htj2k.checksums(data)
        assert [s.level for s in sums] == list(range(levels, -1, -1))
        for s in sums:
            want = zlib.crc32(htj2k.decode(data, s.level).tobytes())
            assert s.checksum == want, f"level {s.level} of {levels}"
        assert sums == htj2k.pixel_checksums(img, levels, bits, signed)
        if levels >= 2:  # a subset: the stream hashes only the wanted levels
            sub = htj2k.checksums(data, [0, 2])
            assert sub == [s for s in sums if s.level in (0, 2)]


def test_streamed_verify_with_range():
    rng = np.random.default_rng(3)
    img = _image(rng, 61, 77, 12, False)
    data = htj2k.encode(img, bit_depth=12)
    entry = {
        "PixelDataChecksumFromBaseToFullResolution": [s.as_archive_dict() for s in htj2k.checksums(data)],
        "MinPixelValue": int(img.min()),
        "MaxPixelValue": int(img.max()),
    }
    assert htj2k.verify(data, entry).ok
    entry["MaxPixelValue"] += 1
    assert not htj2k.verify(data, entry).ok


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (5, 8), (33, 17), (64, 65), (100, 101)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("nc,bits,signed", [(3, 8, False), (3, 12, False), (3, 16, True), (4, 8, False), (4, 20, False)])
def test_streamed_levels_colour_transform(shape, nc, bits, signed):
    """Colour-transformed frames: components of each row together, forward RCT on
    the decoded rows, inverse RCT of each level (components past the third as they are)."""
    h, w = shape
    rng = np.random.default_rng(h * 31 + w + nc + bits)
    img = np.stack([_image(rng, h, w, bits, signed) for _ in range(nc)], axis=-1)
    cap = htj2k._core.max_levels_for_size(w, h)
    for levels in sorted({0, min(2, cap), cap}):
        data = htj2k.encode(img, levels=levels, bit_depth=bits, colour_transform=True)
        sums = htj2k.checksums(data)
        for s in sums:
            assert s.checksum == zlib.crc32(htj2k.decode(data, s.level).tobytes()), f"level {s.level}"
        assert sums == htj2k.pixel_checksums(img, levels, bits, signed, colour_transform=True)
