"""The native harness (benches/native/htj2k_native_bench.cpp): OpenJPH alone,
from memory into a buffer, linked to the same OpenJPH as htj2k. It times itself
(median of >= 5 rounds and >= 1 s); these tests run it in a subprocess and store
its timings in ``extra_info["native"]`` -- report.py reads those, not the
pytest-benchmark placeholder timing of the no-op below. Both sides run in the
same session, so the wrapper-overhead ratios compare measurements of one run.
"""

from __future__ import annotations

import pytest

from conftest import run_native

DTYPES = {"uint8": "u8", "int8": "i8", "uint16": "u16", "int16": "i16", "uint32": "u32", "int32": "i32"}


def _record(benchmark, frame, op, timings):
    benchmark.extra_info.update(frame.info(op, "native", native=timings))
    benchmark.group = f"{op}:{frame.image.name}"
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


def test_native_decode(benchmark, frame, native_bench):
    t = run_native(native_bench, ["decode", str(frame.path)])
    assert t["output_bytes"] == frame.image.nbytes
    _record(benchmark, frame, "decode", t)


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
    if t["output_bytes"] != len(frame.data):
        pytest.fail(f"native encode made {t['output_bytes']} bytes, htj2k.encode {len(frame.data)}")
    _record(benchmark, frame, "encode", t)
