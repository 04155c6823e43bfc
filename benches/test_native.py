"""The native harness (benches/native/htj2k_native_bench.cpp): OpenJPH alone,
from memory into a buffer, linked to the same OpenJPH as htj2k. It times itself
(median of >= 5 rounds and >= 1 s); these tests run it in a subprocess and store
its timings in ``extra_info["native"]`` -- report.py reads those, not the
pytest-benchmark placeholder timing of the no-op below.

The machine is shared, so load comes and goes during a session. For the
wrapper-overhead ratios each test also times the same htj2k call in this process
in alternation with the harness (3 rounds each way, ~0.3 s per turn) and stores
both medians as ``extra_info["paired"]``: htj2k and the harness measured back to
back, which report.py uses for the overhead targets.
"""

from __future__ import annotations

import statistics

import pytest

import htj2k
from conftest import median_time, run_native


def _paired(native_bench, args, fn, turns=3):
    """Harness and htj2k alternately: medians of each side's per-turn medians."""
    ours, theirs = [], []
    for _ in range(turns):
        theirs.append(run_native(native_bench, args, min_time=0.3)["median_s"])
        ours.append(median_time(fn, seconds=0.3, min_rounds=5))
    return {"htj2k_s": statistics.median(ours), "native_s": statistics.median(theirs)}

DTYPES = {"uint8": "u8", "int8": "i8", "uint16": "u16", "int16": "i16", "uint32": "u32", "int32": "i32"}


def _record(benchmark, frame, op, timings, impl="native", paired=None):
    info = frame.info(op, impl, native=timings)
    if paired:
        info["paired"] = paired
    if op == "decode_l2":
        info["raw_bytes"] = timings["output_bytes"]
    benchmark.extra_info.update(info)
    benchmark.group = f"{op}:{frame.image.name}"
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


def test_native_decode(benchmark, frame, native_bench):
    args = ["decode", str(frame.path)]
    t = run_native(native_bench, args)
    assert t["output_bytes"] == frame.image.nbytes
    paired = _paired(native_bench, args, lambda: htj2k.decode(frame.data))
    _record(benchmark, frame, "decode", t, paired=paired)


def test_native_decode_pull_only(benchmark, frame, native_bench):
    """OpenJPH's own cost: lines pulled and dropped, no output buffer."""
    args = ["decode", str(frame.path), "--discard", "1"]
    t = run_native(native_bench, args)
    paired = _paired(native_bench, args, lambda: htj2k.decode(frame.data))
    _record(benchmark, frame, "decode", t, impl="native-pull", paired=paired)


def test_native_decode_level2(benchmark, frame, native_bench):
    t = run_native(native_bench, ["decode", str(frame.path), "--level", "2"])
    _record(benchmark, frame, "decode_l2", t)


def test_native_encode(benchmark, frame, native_bench):
    im = frame.image
    a = im.array
    args = [
        "encode",
        str(frame.raw_path),
        "--width",
        str(a.shape[1]),
        "--height",
        str(a.shape[0]),
        "--components",
        str(a.shape[2] if a.ndim == 3 else 1),
        "--dtype",
        DTYPES[a.dtype.name],
        "--bit-depth",
        str(im.bit_depth),
        "--levels",
        "5",
    ]
    t = run_native(native_bench, args)
    # the wrapper's overhead over OpenJPH: htj2k's OpenJPH path (our own encoder, the
    # default, is compared with the peers in test_codec.py)
    ours = htj2k.encode(im.array, bit_depth=im.bit_depth, encoder="openjph")
    if t["output_bytes"] != len(ours):
        pytest.fail(f"native encode made {t['output_bytes']} bytes, htj2k.encode(encoder='openjph') {len(ours)}")
    paired = _paired(native_bench, args, lambda: htj2k.encode(im.array, bit_depth=im.bit_depth, encoder="openjph"))
    _record(benchmark, frame, "encode", t, paired=paired)
