"""SIMD conversion kernels (Highway, runtime dispatch) against their scalar
versions, and CRC-32 throughput (ISA-L against zlib).

Kernels run on one 4096-sample row (a large image row; in L1/L2 as in the
decoder, which converts each line right after OpenJPH produced it), `REPEAT`
times per call with the GIL released, so Python call overhead is < 0.1 %.
Buffers start on 64-byte boundaries, as OpenJPH's line buffers and the rows of
numpy images of common widths do (a 64-byte vector store that straddles two
cache lines costs about twice as much).
"""

from __future__ import annotations

import zlib

import images
import numpy as np
import pytest
from dwt53 import forward_53  # tests/helpers, as native_build
from native_build import kernels  # tests/helpers, on sys.path via benches/conftest.py
from native_build import testing_module as _testing_module

K = kernels()
N = 4096
REPEAT = 500

# (kernel, dtype, stride / components)
CASES = [
    ("store_clamped", np.uint8, 1),
    ("store_clamped", np.uint16, 1),
    ("store_clamped", np.int16, 1),
    ("store_clamped", np.int32, 1),
    ("store_clamped_interleaved", np.uint8, 3),
    ("store_clamped_interleaved", np.uint16, 3),
    ("load_widen", np.uint8, 1),
    ("load_widen", np.uint16, 1),
    ("load_widen", np.int16, 1),
    ("load_widen", np.uint8, 3),
    ("load_widen", np.uint16, 3),
    ("min_max", np.uint8, 1),
    ("min_max", np.uint16, 1),
    ("min_max", np.int16, 1),
    ("min_max", np.int32, 1),
]


def _aligned(n, dtype, align=64):
    dtype = np.dtype(dtype)
    buf = np.empty(n * dtype.itemsize + align, np.uint8)
    off = (-buf.ctypes.data) % align
    return buf[off : off + n * dtype.itemsize].view(dtype)


def _filled(values, dtype):
    out = _aligned(len(values), dtype)
    out[:] = values
    return out


def _case_id(case):
    kernel, dtype, k = case
    return f"{kernel}-{np.dtype(dtype).name}-{k}"


def _runner(kernel, dtype, k, target):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    bits = min(info.bits, 12)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if info.min < 0 else (0, (1 << bits) - 1)
    if kernel == "store_clamped":
        src = _filled(rng.integers(lo - 50, hi + 50, N), np.int32)
        dst = _aligned(N, dtype)
        return lambda: K.store_clamped(target, src, dst, 1, lo, hi, REPEAT)
    if kernel == "store_clamped_interleaved":
        srcs = [_filled(rng.integers(lo - 50, hi + 50, N), np.int32) for _ in range(k)]
        dst = _aligned(N * k, dtype)
        return lambda: K.store_clamped_interleaved(target, srcs, dst, [lo] * k, [hi] * k, REPEAT)
    if kernel == "load_widen":
        src = _filled(rng.integers(lo, hi + 1, N * k), dtype)
        dst = _aligned(N, np.int32)
        return lambda: K.load_widen(target, src, N, k, dst, REPEAT)
    src = _filled(rng.integers(lo, hi + 1, N), dtype)
    return lambda: K.min_max(target, src, N, 1, REPEAT)


@pytest.mark.parametrize("target", ["dispatch", "scalar"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_kernel(benchmark, case, target):
    kernel, dtype, k = case
    benchmark.group = f"kernel:{_case_id(case)}"
    benchmark.extra_info.update(
        {
            "op": "kernel",
            "image": _case_id(case),
            "impl": "simd" if target == "dispatch" else "scalar",
            "simd_target": K.active(),
            "samples": N * REPEAT * (k if kernel == "store_clamped_interleaved" else 1),
            "raw_bytes": N * REPEAT * np.dtype(dtype).itemsize * (k if kernel == "store_clamped_interleaved" else 1),
        }
    )
    benchmark(_runner(kernel, dtype, k, target))


DWT_CASES = ["dwt53_predict", "dwt53_update", "dwt53_split", "rct"]


@pytest.mark.parametrize("target", ["dispatch", "scalar"])
@pytest.mark.parametrize("kernel", DWT_CASES)
def test_dwt_kernel(benchmark, kernel, target):
    """The 5/3 lifting and RCT row kernels of the streamed level checksums."""
    rng = np.random.default_rng(2)
    rows = [_filled(rng.integers(-4096, 4096, N + 1), np.int32) for _ in range(4)]
    benchmark.group = f"dwt_kernel:{kernel}"
    benchmark.extra_info.update(
        {
            "op": "dwt_kernel",
            "image": kernel,
            "impl": "simd" if target == "dispatch" else "scalar",
            "samples": N * REPEAT,
            "raw_bytes": N * REPEAT * 4,
        }
    )
    o, x, a, b = rows
    if kernel == "dwt53_split":
        fn = lambda: K.dwt53_split(target, x[: 2 * (N // 2)], a, b, REPEAT)  # noqa: E731
    elif kernel == "rct":  # forward and inverse alternately
        fn = lambda: K.rct(target, False, x[:N], a[:N], b[:N], REPEAT)  # noqa: E731
    else:
        fn = lambda: getattr(K, kernel)(target, o[:N], x[:N], a[:N], b[:N], REPEAT)  # noqa: E731
    benchmark(fn)


CRC_SIZES = {"1MiB": 1 << 20, "64MiB": 64 << 20}


@pytest.mark.parametrize("size", list(CRC_SIZES))
@pytest.mark.parametrize("impl", ["isa-l", "zlib"])
def test_crc32(benchmark, size, impl):
    n = CRC_SIZES[size]
    data = np.random.default_rng(1).integers(0, 256, n, dtype=np.uint8)
    repeat = max(1, (256 << 20) // n)  # 256 MiB hashed per call
    benchmark.group = f"crc32:{size}"
    benchmark.extra_info.update({"op": "crc32", "image": size, "impl": impl, "raw_bytes": n * repeat})
    if impl == "isa-l":
        crc = benchmark(lambda: K.crc32(data, repeat))
    else:
        def zl():
            c = 0
            for _ in range(repeat):
                c = zlib.crc32(data)
            return c

        crc = benchmark(zl)
    assert crc == zlib.crc32(data)


# ---------------------------------------------------------------- HT block encoder

T = _testing_module()
HT_REPEAT = 20


def _ht_blocks(case) -> np.ndarray:
    """A stack of different 64x64 int32 code-blocks (one block repeated would let
    the branch predictors learn it): 16 of random 12-bit coefficients, or every
    full code-block of the synthetic CT slice's 5-level 5/3 transform (a smooth
    image: mostly small high-band coefficients)."""
    if case == "random12":
        return np.random.default_rng(0).integers(-2048, 2048, size=(16, 64, 64)).astype(np.int32)
    ct = images.synthetic("ct").array.astype(np.int64) - 2048
    out = []
    for band, _x, _y in forward_53(ct, 0, 0, 5).values():
        for y in range(0, band.shape[0] - 63, 64):
            for x in range(0, band.shape[1] - 63, 64):
                out.append(band[y : y + 64, x : x + 64])
    return np.ascontiguousarray(np.stack(out), dtype=np.int32)


def _ht_bench_info(benchmark, op, image, target, blocks, sample_bytes, group=None):
    """Group and report fields of an HT block-encoder bench over `blocks` (HT_REPEAT
    passes; `sample_bytes` per sample counted as raw bytes)."""
    benchmark.group = f"{group or op}:{image}"
    benchmark.extra_info.update(
        {
            "op": op,
            "image": image,
            "impl": "simd" if target == "dispatch" else "scalar",
            "simd_target": T.ht_encode_active(),
            "samples": blocks.size * HT_REPEAT,
            "raw_bytes": blocks.size * HT_REPEAT * sample_bytes,
        }
    )


@pytest.mark.parametrize("target", ["dispatch", "scalar"])
@pytest.mark.parametrize("case", ["random12", "ct_blocks"])
def test_ht_block_encoder(benchmark, case, target):
    """Our HT cleanup-pass block encoder (block/): its load and quad-preparation
    kernels dispatched (with, from AVX2 on, the BMI2 build of the serial coding
    loop), or the scalar twins (with its baseline build)."""
    blocks = _ht_blocks(case)
    _ht_bench_info(benchmark, "ht_block_encoder", case, target, blocks, 2)
    benchmark(lambda: T.encode_ht_blocks(blocks, 16, HT_REPEAT, target))


@pytest.mark.parametrize("target", ["dispatch", "scalar"])
@pytest.mark.parametrize("kernel", ["magnitudes_or", "load_pair", "prepare_quads"])
def test_ht_encoder_kernel(benchmark, kernel, target):
    """Each data-parallel kernel of the HT block encoder (block/ht_encoder_kernels.*)
    against its scalar twin, over the CT slice's code-blocks as the encoder runs it."""
    blocks = _ht_blocks("ct_blocks")
    _ht_bench_info(benchmark, "ht_kernel", kernel, target, blocks, 4, group="ht_encoder_kernel")
    sums = {t: T.ht_encode_kernel(kernel, blocks, 1, t) for t in ("dispatch", "scalar")}
    assert sums["dispatch"] == sums["scalar"]
    benchmark(lambda: T.ht_encode_kernel(kernel, blocks, HT_REPEAT, target))
