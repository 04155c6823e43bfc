"""SIMD conversion kernels (simd/convert.cpp, Highway) against their scalar
references (simd/convert_scalar.cpp), through the test-only ``htj2k_testing.kernels``:
every target this CPU supports plus the dispatched entry points, on random data
with unaligned starts, odd lengths, every stride the kernels specialise, every
sample type and edge bounds; the 5/3 lifting and RCT rows (simd/dwt53.hpp); and
the HT block encoder's kernels (block/ht_encoder_kernels.hpp), compared through
the bytes of whole encoded blocks (``htj2k_testing.encode_ht_block``). No timing
here (benches/ times them)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.native_build import kernels
from helpers.native_build import testing_module as _testing_module

K = kernels()  # test-only module, built by tests/helpers/native_build.py
TARGETS = [t for t in K.targets() if t != "scalar"] + ["dispatch"]
DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32]
# Lengths around vector sizes (4..64 lanes) and odd ones; offsets make unaligned starts.
LENGTHS = [0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 257, 1000, 4099]
OFFSETS = [0, 1, 3, 5]


def _bounds(dtype, rng):
    """A few (lo, hi) pairs: nominal ranges of random bit depths, the type's full
    range, and bounds outside the type (the scalar fallback must serve those)."""
    info = np.iinfo(dtype)
    bits = info.bits
    out = [(int(info.min), int(info.max))]
    for _ in range(2):
        b = int(rng.integers(1, bits + 1))
        out.append((-(1 << (b - 1)), (1 << (b - 1)) - 1) if info.min < 0 else (0, (1 << b) - 1))
    out.append((int(info.min) - 5, int(info.max) + 5))
    out.append((-(1 << 40), 1 << 40))
    out.append((7, 7))
    return out


def _random_int32(rng, n):
    """Values spread over all magnitudes (so clamping happens at both ends)."""
    v = rng.integers(-(2**31), 2**31, size=n + 8, dtype=np.int64).astype(np.int32)
    shifts = rng.integers(0, 32, size=n + 8).astype(np.int32)
    return (v >> shifts).astype(np.int32)


def _sliced(buf, offset, n):
    """n elements starting at an element offset (an unaligned start)."""
    return buf[offset : offset + n]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_store_clamped_matches_scalar(target, dtype):
    rng = np.random.default_rng(hash((target, np.dtype(dtype).name)) & 0xFFFF)
    for n in LENGTHS:
        for stride in (1, 2, 3, 4, 5):
            for lo, hi in _bounds(dtype, rng):
                off = int(rng.choice(OFFSETS))
                src = _sliced(_random_int32(rng, n + 8), off, n)
                size = max(1, (n - 1) * stride + 1) + 3
                fill = rng.integers(0, 256, size=(size + 8) * 4, dtype=np.uint8).view(dtype)
                got = fill.copy()
                want = fill.copy()
                K.store_clamped(target, src, got[off : off + size], stride, lo, hi)
                K.store_clamped("scalar", src, want[off : off + size], stride, lo, hi)
                np.testing.assert_array_equal(got, want, err_msg=f"n={n} stride={stride} lo={lo} hi={hi}")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("nc", [1, 2, 3, 4, 5])
def test_store_clamped_interleaved_matches_scalar(target, dtype, nc):
    rng = np.random.default_rng(nc * 1000 + DTYPES.index(dtype))
    for n in LENGTHS:
        bounds = _bounds(dtype, rng)
        for k in range(3):
            off = int(rng.choice(OFFSETS))
            srcs = [_sliced(_random_int32(rng, n + 8), int(rng.choice(OFFSETS)), n) for _ in range(nc)]
            # different bounds per component (mixed bit depths)
            picks = [bounds[int(rng.integers(0, len(bounds)))] for _ in range(nc)]
            lo = [p[0] for p in picks]
            hi = [p[1] for p in picks]
            size = n * nc + 3
            fill = rng.integers(0, 256, size=(size + 8) * 4, dtype=np.uint8).view(dtype)
            got = fill.copy()
            want = fill.copy()
            K.store_clamped_interleaved(target, srcs, got[off : off + size], lo, hi)
            K.store_clamped_interleaved("scalar", srcs, want[off : off + size], lo, hi)
            np.testing.assert_array_equal(got, want, err_msg=f"n={n} nc={nc} lo={lo} hi={hi}")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_load_widen_matches_scalar(target, dtype):
    rng = np.random.default_rng(77 + DTYPES.index(dtype))
    for n in LENGTHS:
        for stride in (1, 2, 3, 4, 5):
            off = int(rng.choice(OFFSETS))
            valid = max(0, (n - 1) * stride + 1)
            raw = rng.integers(0, 256, size=(valid + off + 8) * 4, dtype=np.uint8).view(dtype)
            # exactly the elements the kernel may read: a read past them would
            # fetch bytes outside the view (caught by ASan builds, see make asan)
            src = raw[off : off + valid].copy() if valid else raw[:0].copy()
            got = np.full(n + 4, 12345, np.int32)
            want = got.copy()
            K.load_widen(target, src, n, stride, got)
            K.load_widen("scalar", src, n, stride, want)
            np.testing.assert_array_equal(got, want, err_msg=f"n={n} stride={stride}")
            if n:
                np.testing.assert_array_equal(want[:n], src[::stride][:n].astype(np.int32))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_min_max_matches_scalar(target, dtype):
    rng = np.random.default_rng(99 + DTYPES.index(dtype))
    info = np.iinfo(dtype)
    for n in LENGTHS:
        for stride in (1, 2, 3):
            off = int(rng.choice(OFFSETS))
            valid = max(0, (n - 1) * stride + 1)
            raw = rng.integers(info.min, int(info.max) + 1, size=valid + off + 8, dtype=np.int64).astype(dtype)
            if n > 2 and rng.random() < 0.5:  # extremes at the very ends
                raw[off] = info.max
                raw[off + valid - 1] = info.min
            src = raw[off : off + valid]
            got = K.min_max(target, src, n, stride)
            want = K.min_max("scalar", src, n, stride)
            assert got == want, f"n={n} stride={stride}"
            if n:
                assert want == (int(src[::stride][:n].min()), int(src[::stride][:n].max()))


def test_targets_reported():
    targets = K.targets()
    assert targets[-1] == "scalar"
    assert K.active() in targets


def test_unknown_target_is_an_error():
    with pytest.raises(ValueError, match="not available"):
        K.min_max("NEON9000", np.zeros(4, np.uint8), 4, 1)


def test_crc32_hook_matches_zlib():
    import zlib

    data = np.random.default_rng(1).integers(0, 256, 100_003, dtype=np.uint8)
    assert K.crc32(data) == zlib.crc32(data.tobytes())


# ---------------------------------------------------------------- 5/3 lifting rows


@pytest.mark.parametrize("target", TARGETS)
def test_dwt53_kernels_match_scalar(target):
    rng = np.random.default_rng(5)
    for n in LENGTHS:
        for bits in (8, 16, 26):  # values as in the level derivation (<= 24-bit samples, grown)
            arrs = [_sliced(rng.integers(-(1 << bits), 1 << bits, n + 16).astype(np.int32), int(rng.choice(OFFSETS)), n)
                    for _ in range(3)]
            x, a, b = arrs
            for kernel in ("dwt53_predict", "dwt53_update"):
                got = np.full(n + 3, 7, np.int32)
                want = got.copy()
                getattr(K, kernel)(target, got[1 : n + 1], x, a, b)
                getattr(K, kernel)("scalar", want[1 : n + 1], x, a, b)
                np.testing.assert_array_equal(got, want, err_msg=f"{kernel} n={n}")
                a64, b64, x64 = (v.astype(np.int64) for v in (a, b, x))
                ref = x64 - ((a64 + b64) >> 1) if kernel == "dwt53_predict" else x64 + ((a64 + b64 + 2) >> 2)
                np.testing.assert_array_equal(want[1 : n + 1], ref)
            # in place (update's out == x) and a == b (mirrored neighbours)
            inplace = x.copy()
            K.dwt53_update(target, inplace, inplace, a, a)
            np.testing.assert_array_equal(inplace, x + ((a.astype(np.int64) * 2 + 2) >> 2))
        src = _sliced(rng.integers(-(1 << 20), 1 << 20, n + 16).astype(np.int32), int(rng.choice(OFFSETS)), n)
        e, o = np.zeros(n // 2 + 1, np.int32), np.zeros(n // 2 + 1, np.int32)
        K.dwt53_split(target, src, e, o)
        np.testing.assert_array_equal(e[: n // 2], src[0 : 2 * (n // 2) : 2])
        np.testing.assert_array_equal(o[: n // 2], src[1 : 2 * (n // 2) : 2])


@pytest.mark.parametrize("target", TARGETS)
def test_rct_kernels_match_scalar(target):
    rng = np.random.default_rng(9)
    for n in LENGTHS:
        rows = [rng.integers(-(1 << 24), 1 << 24, n).astype(np.int32) for _ in range(3)]
        for inverse in (False, True):
            got = [r.copy() for r in rows]
            want = [r.copy() for r in rows]
            K.rct(target, inverse, *got)
            K.rct("scalar", inverse, *want)
            for g, w_ in zip(got, want):
                np.testing.assert_array_equal(g, w_, err_msg=f"n={n} inverse={inverse}")
        # forward then inverse is the identity
        back = [r.copy() for r in rows]
        K.rct(target, False, *back)
        K.rct(target, True, *back)
        for b, r in zip(back, rows):
            np.testing.assert_array_equal(b, r)


# ---------------------------------------------------------------- HT block encoder

T = _testing_module()
HT_TARGETS = [t for t in T.ht_encode_targets() if t != "scalar"] + ["dispatch"]
HT_SHAPES = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 5), (5, 3), (1, 64), (64, 1), (7, 9), (16, 16), (17, 33),
             (33, 17), (31, 64), (64, 31), (63, 63), (64, 64), (4, 1024), (1024, 4), (3, 1023)]


def _ht_block(rng, kind: str, shape, kmax: int) -> np.ndarray:
    """Coefficients with |v| < 2^kmax: the kinds stress the exponents (every bit
    length, the largest), the contexts (sparse, runs of zeros) and the tails."""
    lim = (1 << kmax) - 1
    if kind == "random":
        v = rng.integers(-lim, lim + 1, size=shape)
    elif kind == "spread":  # every magnitude class, many small values
        v = rng.integers(-lim, lim + 1, size=shape) >> rng.integers(0, kmax + 1, size=shape)
    elif kind == "sparse":
        v = np.where(rng.random(shape) < rng.uniform(0.01, 0.3), rng.integers(-lim, lim + 1, size=shape), 0)
    elif kind == "extremes":
        v = np.clip(rng.choice([-lim, lim, 0, 1, -1, 2, -2], size=shape), -lim, lim)
    else:  # smooth: a ramp plus noise, clipped (DWT-like low band)
        h, w = shape
        ramp = np.add.outer(np.arange(h) * rng.uniform(-4, 4), np.arange(w) * rng.uniform(-4, 4))
        v = np.clip(np.round(ramp + rng.normal(0, 3, size=shape)), -lim, lim)
    return v.astype(np.int32)


HT_KINDS = ["random", "spread", "sparse", "extremes", "smooth"]


@pytest.mark.parametrize("target", HT_TARGETS)
def test_ht_block_encoder_matches_scalar(target):
    """The bytes of encode_ht_block with each target's kernels (and, from AVX2 on,
    the BMI2 build of the serial quad loop) equal the scalar twins' (int32 and
    int64 blocks, strided rows), and the encoder refuses the same out-of-range
    blocks."""
    rng = np.random.default_rng(12)
    for shape in HT_SHAPES:
        for kind in HT_KINDS:
            for kmax in sorted({1, 2, int(rng.integers(3, 31)), 31}):
                v = _ht_block(rng, kind, shape, kmax)
                want = T.encode_ht_block(v, kmax, 1, "scalar")
                assert T.encode_ht_block(v, kmax, 1, target) == want, f"{shape} {kind} kmax={kmax}"
                # rows at a stride above the width, and the int64 path
                wide = np.zeros((shape[0], shape[1] + 5), np.int32)
                wide[:, : shape[1]] = v
                assert T.encode_ht_block(wide[:, : shape[1]], kmax, 1, target) == want
                assert T.encode_ht_block(v.astype(np.int64), kmax, 1, target) == want
    for shape in HT_SHAPES[::3]:  # int64 beyond 31 bits: exponents up to 62 in the preparation kernel
        for kmax in (40, 62):
            v = rng.integers(-(1 << kmax) + 1, 1 << kmax, size=shape) >> rng.integers(0, kmax + 1, size=shape)
            assert T.encode_ht_block(v, kmax, 1, target) == T.encode_ht_block(v, kmax, 1, "scalar"), f"{shape} {kmax}"
    for bad in (np.full((4, 4), -(1 << 12), np.int32), np.full((3, 9), np.iinfo(np.int32).min, np.int32)):
        bad[1, 1] = 5
        with pytest.raises(ValueError, match="2\\^kmax"):
            T.encode_ht_block(bad, 12, 1, target)


def test_ht_encode_targets_reported():
    targets = T.ht_encode_targets()
    assert targets[-1] == "scalar"
    assert T.ht_encode_active() in targets
    with pytest.raises(ValueError, match="not available"):
        T.encode_ht_block(np.ones((4, 4), np.int32), 8, 1, "NEON9000")
