"""Each version gate in src/cpp/codec/openjph_compat.hpp is a measured defect of
the linked OpenJPH. These tests drive OpenJPH directly (tests/native/ojph_probe.cpp,
none of htj2k's validation in front of it) and show the defect on the releases a
gate is on for, and its absence where it is off; then that htj2k, with the gate,
gives the right answer. A release that fixes a defect makes its test fail: narrow
the gate then, with the new measurement."""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

import htj2k

ROOT = Path(__file__).resolve().parents[1]
GATES = htj2k.features()["openjph_gates"]
VERSION = htj2k.openjph_version()
needs_openjpeg = pytest.mark.skipif(not htj2k.features()["openjpeg"], reason="built without OpenJPEG")


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    cxx = shutil.which(os.environ.get("CXX", "g++"))
    if cxx is None:
        pytest.fail("no C++ compiler found (g++); the Makefile's set-up installs it")
    exe = tmp_path_factory.mktemp("probe") / "ojph_probe"
    build = subprocess.run([cxx, "-std=c++17", "-O1", f"-I{ROOT / 'src' / 'cpp'}",
                            str(ROOT / "tests" / "native" / "ojph_probe.cpp"), "-lopenjph", "-lz", "-o", str(exe)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    return exe


def probe_decode(probe, data: bytes, level: int, tmp_path):
    """(returncode, [(w, h, crc)] per component) of OpenJPH decoding `data` alone."""
    path = tmp_path / "in.j2c"
    path.write_bytes(data)
    run = subprocess.run([str(probe), "decode", str(path), str(level)], capture_output=True, text=True, timeout=60)
    rows = []
    if run.returncode == 0:
        for line in run.stdout.split("\n"):
            if line.strip():
                size, crc = line.split()
                w, h = size.split("x")
                rows.append((int(w), int(h), int(crc)))
    return run.returncode, rows


def planes_crc(planes):
    """The probe's per-component CRC: samples as little-endian int32."""
    return [(p.shape[1], p.shape[0], zlib.crc32(p.astype("<i4").tobytes())) for p in planes]


def openjph_gets_it_wrong(probe, data: bytes, level: int, tmp_path) -> str:
    """Why OpenJPH alone fails on `data` at `level` (crash, assertion, wrong pixels
    against OpenJPEG), or '' when it decodes it correctly."""
    rc, rows = probe_decode(probe, data, level, tmp_path)
    if rc < 0:
        return f"killed by signal {-rc}"
    if rc != 0:
        return f"exit status {rc}"
    try:
        want = planes_crc(htj2k.decode_planes(data, level=level, decoder="openjpeg"))
    except htj2k.Htj2kError as e:
        return f"decoded although OpenJPEG refuses it ({e})"
    return "" if rows == want else f"wrong pixels: {rows} != OpenJPEG's {want}"


# --------------------------------------------------------------------------- small bands

def _small_band_cases():
    empty_tile = htj2k.encode(np.zeros((18, 39), np.uint16), bit_depth=12, tile_size=(37, 42), levels=3)
    sub = bytearray(htj2k.encode(np.arange(64, dtype=np.uint8).reshape(1, 64), levels=0, tile_size=(8, 8)))
    sub[43] = 10  # XRsiz of component 0: tile 4's tile-component is empty
    return [("tile 1 empty at level 3", empty_tile, 3), ("empty tile-component (XRsiz 10)", bytes(sub), 0)]


@needs_openjpeg
def test_small_band_gate_guards_a_real_defect(probe, tmp_path):
    reasons = []
    for name, data, level in _small_band_cases():
        why = openjph_gets_it_wrong(probe, data, level, tmp_path)
        if why:
            reasons.append(f"{name}: {why}")
    if GATES["small_band_bugs"]:
        assert reasons, f"OpenJPH {VERSION} decodes every small-band case correctly: narrow the gate"
    else:
        assert not reasons, reasons


@pytest.mark.parametrize("case", range(2))
def test_small_band_cases_never_crash(case, isolated):
    name, data, level = _small_band_cases()[case]
    res = isolated.call("htj2k.decode", data, level=level)
    assert res.kind in ("ok", "raised"), f"{name}: {res.describe()}"
    if res.kind == "raised":
        assert isinstance(res.exception, htj2k.Htj2kError), res.describe()


# --------------------------------------------------------------------------- 0-level encodes

ZERO_LEVEL_SAMPLES = [  # (bit depth, signed, samples) with the lowest value of the range
    (8, False, [0, 1, 255, 0, 7]),
    (12, True, [-2048, 5, 2047, -2048, 0]),
    (1, False, [0, 1, 1, 0, 1]),
]


@needs_openjpeg
@pytest.mark.parametrize("depth,signed,samples", ZERO_LEVEL_SAMPLES)
def test_zero_level_gate_guards_a_real_defect(probe, tmp_path, depth, signed, samples):
    out = tmp_path / "z.j2c"
    run = subprocess.run([str(probe), "encode", str(out), str(len(samples)), "1", str(depth), str(int(signed)), "0",
                          *map(str, samples)], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        broken = f"OpenJPH's encoder died (status {run.returncode}: {run.stderr.strip()[-200:]})"
    else:
        got = htj2k.decode(out.read_bytes(), decoder="openjpeg").ravel().tolist()
        broken = "" if got == samples else f"written as {got}"
    if GATES["zero_level_lowest_value_bug"]:
        assert broken, f"OpenJPH {VERSION} encodes 0-level {depth}-bit images correctly: narrow the gate"
    else:
        assert not broken, broken


@pytest.mark.parametrize("depth,signed,samples", ZERO_LEVEL_SAMPLES)
def test_zero_level_encodes_are_lossless(depth, signed, samples):
    dtype = np.int16 if signed else (np.uint8 if depth <= 8 else np.uint16)
    img = np.array([samples], dtype)
    for shape in (img, np.ascontiguousarray(img.T)):
        data = htj2k.encode(shape, bit_depth=depth, levels=0)
        info = htj2k.info(data)
        assert info.components[0].bit_depth == depth and info.components[0].signed == signed
        assert np.array_equal(htj2k.decode(data), shape)
        if htj2k.features()["openjpeg"]:
            assert np.array_equal(htj2k.decode(data, decoder="openjpeg"), shape)
        assert htj2k.checksums(data) == htj2k.pixel_checksums(shape, 0, depth)
