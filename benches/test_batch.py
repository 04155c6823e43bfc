"""Batch of 100 CT frames (one synthetic 512x512 12-bit series): decode_many,
verify_many and encode_many at 1 and 2 threads, and the peer's way of doing a
batch (imagecodecs in a concurrent.futures thread pool; it releases the GIL)."""

from __future__ import annotations

import concurrent.futures
import zlib

import numpy as np
import pytest

import htj2k
import images

try:
    import imagecodecs
except ImportError:  # pragma: no cover
    imagecodecs = None

N = 100


def _paired_threads(fn, turns=3):
    """fn(threads) at 1 and 2 threads alternately (a few calls per turn): medians of
    each. Load on the shared machine comes and goes; measured back to back, the
    speed-up is not biased by it."""
    import statistics
    import time

    res = {1: [], 2: []}
    for _ in range(turns):
        for t in (1, 2):
            fn(t)
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                fn(t)
                times.append(time.perf_counter() - t0)
            res[t].append(min(times))
    return {"one_s": statistics.median(res[1]), "two_s": statistics.median(res[2])}


class Series:
    def __init__(self):
        self.arrays = images.ct_series(N)
        self.datas = htj2k.encode_many(self.arrays, bit_depth=12, errors="raise")
        self.expected = [[c.as_archive_dict() for c in s] for s in htj2k.checksums_many(self.datas, errors="raise")]
        self.raw_bytes = int(sum(a.nbytes for a in self.arrays))


_SERIES = []


@pytest.fixture(scope="module")
def series():
    if not _SERIES:
        _SERIES.append(Series())
    return _SERIES[0]


def _info(benchmark, op, impl, threads, series, **extra):
    benchmark.extra_info.update(
        {"op": op, "image": f"ct x{N}", "impl": impl, "threads": threads, "raw_bytes": series.raw_bytes, **extra}
    )
    benchmark.group = f"{op}:ct x{N}"


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_decode_many(benchmark, series, threads):
    _info(benchmark, "batch_decode", "htj2k", threads, series)
    if threads == 2:
        benchmark.extra_info["paired"] = _paired_threads(lambda t: htj2k.decode_many(series.datas, threads=t))
    out = benchmark(lambda: htj2k.decode_many(series.datas, threads=threads, errors="raise"))
    np.testing.assert_array_equal(out[N // 2], series.arrays[N // 2])


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_verify_many(benchmark, series, threads):
    _info(benchmark, "batch_verify", "htj2k", threads, series)
    if threads == 2:
        benchmark.extra_info["paired"] = _paired_threads(
            lambda t: htj2k.verify_many(series.datas, series.expected, threads=t)
        )
    out = benchmark(lambda: htj2k.verify_many(series.datas, series.expected, threads=threads, errors="raise"))
    assert all(v.ok for v in out)


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_encode_many(benchmark, series, threads):
    _info(benchmark, "batch_encode", "htj2k", threads, series)
    if threads == 2:
        benchmark.extra_info["paired"] = _paired_threads(
            lambda t: htj2k.encode_many(series.arrays, threads=t, bit_depth=12)
        )
    out = benchmark(lambda: htj2k.encode_many(series.arrays, threads=threads, bit_depth=12, errors="raise"))
    assert out[0] == series.datas[0]


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_decode_imagecodecs(benchmark, series, threads):
    if imagecodecs is None:
        pytest.skip("imagecodecs not installed")
    _info(benchmark, "batch_decode", "imagecodecs", threads, series, note="ThreadPoolExecutor")
    if threads == 1:
        fn = lambda: [imagecodecs.htj2k_decode(d) for d in series.datas]  # noqa: E731
        out = benchmark(fn)
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            out = benchmark(lambda: list(pool.map(imagecodecs.htj2k_decode, series.datas)))
    np.testing.assert_array_equal(out[N // 2], series.arrays[N // 2])


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_verify_imagecodecs(benchmark, series, threads):
    """Peer verification of the batch: every level decoded + zlib.crc32, per frame."""
    if imagecodecs is None:
        pytest.skip("imagecodecs not installed")
    _info(benchmark, "batch_verify", "imagecodecs", threads, series, note="ThreadPoolExecutor; wraps at reduced levels")
    levels = len(series.expected[0])

    def one(i):
        want = {(e["Width"], e["Height"]): e["Checksum"] for e in series.expected[i]}
        ok = True
        for r in range(levels):
            a = imagecodecs.htj2k_decode(series.datas[i], skipres=r)
            ok &= want.get((a.shape[1], a.shape[0])) == zlib.crc32(a)
        return ok

    if threads == 1:
        benchmark(lambda: [one(i) for i in range(N)])
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            benchmark(lambda: list(pool.map(one, range(N))))
