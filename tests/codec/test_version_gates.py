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
import sys
import zlib
from pathlib import Path

import htj2k
import numpy as np
import pytest
from helpers import native_build
from helpers.images import make_image

ROOT = Path(__file__).resolve().parents[2]
GATES = htj2k.features()["openjph_gates"]
VERSION = htj2k.openjph_version()
needs_openjpeg = pytest.mark.skipif(not htj2k.features()["openjpeg"], reason="built without OpenJPEG")


@pytest.fixture(scope="module")
def probe():
    """tests/native/ojph_probe.cpp, built by the one CMake project (testing build)."""
    return native_build.testing_build().probe


def probe_decode(probe, data: bytes, level: int, tmp_path):
    """(returncode, [(w, h, crc)] per component) of OpenJPH decoding `data` alone."""
    path = tmp_path / "in.j2c"
    path.write_bytes(data)
    run = subprocess.run([str(probe), "decode", str(path), str(level)], capture_output=True, text=True, timeout=60)
    rows = []
    if run.returncode == 0:
        for line in run.stdout.split("\n"):
            if line.strip() and not line.startswith("ojph "):  # OpenJPH's own info/warning lines
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
    (2, True, [-2, 1, 0, -2, -1]),
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


@pytest.mark.parametrize("encoder", ["openjph", "htj2k"])  # OpenJPH's path keeps its workaround tested
@pytest.mark.parametrize("depth,signed,samples", ZERO_LEVEL_SAMPLES)
def test_zero_level_encodes_are_lossless(depth, signed, samples, encoder):
    dtype = np.int16 if signed else (np.uint8 if depth <= 8 else np.uint16)
    img = np.array([samples], dtype)
    for shape in (img, np.ascontiguousarray(img.T)):
        data = htj2k.encode(shape, bit_depth=depth, levels=0, encoder=encoder)
        info = htj2k.info(data)
        assert info.components[0].bit_depth == depth and info.components[0].signed == signed
        assert np.array_equal(htj2k.decode(data), shape)
        if htj2k.features()["openjpeg"]:
            assert np.array_equal(htj2k.decode(data, decoder="openjpeg"), shape)
        assert htj2k.checksums(data) == htj2k.pixel_checksums(shape, 0, depth)


# --------------------------------------------------------------------------- COC / QCC

COC_IMG = (np.arange(40 * 48 * 3) % 4000).astype(np.uint16).reshape(40, 48, 3)


def _with_overrides(kind: str) -> bytes:
    """An RGB HT codestream whose main COD (kind "COC": 4 levels instead of 2) or
    QCD (kind "QCC": one guard bit too many) is wrong for the data, followed by a
    COC/QCC for every component restating the right values. A decoder that
    honours the overrides gives back COC_IMG exactly; one that ignores them
    decodes with the wrong main values (or fails)."""
    cs = htj2k.encode(COC_IMG, bit_depth=12, levels=2, colour_transform=False)
    marker = b"\xff\x52" if kind == "COC" else b"\xff\x5c"
    i = cs.find(marker)
    length = int.from_bytes(cs[i + 2 : i + 4], "big")
    seg = cs[i : i + 2 + length]
    if kind == "COC":
        assert seg[4] & 1 == 0  # no precinct list (its length depends on the levels)
        wrong = seg[:9] + bytes([4]) + seg[10:]
        spcod = seg[9:]
        overrides = b"".join(b"\xff\x53" + (4 + len(spcod)).to_bytes(2, "big") + bytes([c, seg[4] & 1]) + spcod
                             for c in range(3))
    else:
        sqcd = seg[4]
        wrong = seg[:4] + bytes([((sqcd >> 5) + 1) << 5 | (sqcd & 0x1F)]) + seg[5:]
        overrides = b"".join(b"\xff\x5d" + (length + 1).to_bytes(2, "big") + bytes([c]) + seg[4:]
                             for c in range(3))
    sot = cs.find(b"\xff\x90")
    return cs[:i] + wrong + cs[i + 2 + length : sot] + overrides + cs[sot:]


@needs_openjpeg
def test_coc_qcc_gate_guards_a_real_defect(probe, tmp_path):
    """Gate honours_coc_qcc: 0.9.0 ignores COC ("COC is not supported yet"; here it
    asserts in param_qcd::get_Kmax), 0.21.2 decodes it exactly."""
    data = _with_overrides("COC")
    want = planes_crc([COC_IMG[..., c] for c in range(3)])
    assert planes_crc(htj2k.decode_planes(data, decoder="openjpeg")) == want
    rc, rows = probe_decode(probe, data, 0, tmp_path)
    if GATES["honours_coc_qcc"]:
        assert rc == 0 and rows == want, f"OpenJPH {VERSION} gets COC wrong (status {rc}): close the gate"
        assert htj2k.info(data).decoder == "openjph"
    else:
        assert rc != 0 or rows != want, f"OpenJPH {VERSION} decodes COC correctly: the gate can be opened"
        assert htj2k.info(data).decoder == "openjpeg"
    assert np.array_equal(htj2k.decode(data), COC_IMG)


@needs_openjpeg
def test_main_header_qcc_is_decoded_exactly(probe, tmp_path):
    """Main-header QCC: every OpenJPH measured (0.9.0 and 0.21.2) reads it; with
    the gate closed htj2k still routes it to OpenJPEG along with COC."""
    data = _with_overrides("QCC")
    want = planes_crc([COC_IMG[..., c] for c in range(3)])
    rc, rows = probe_decode(probe, data, 0, tmp_path)
    assert rc == 0 and rows == want, f"OpenJPH {VERSION} gets main-header QCC wrong (status {rc})"
    assert planes_crc(htj2k.decode_planes(data, decoder="openjpeg")) == want
    assert np.array_equal(htj2k.decode(data), COC_IMG)


# --------------------------------------------------------------------------- signed decodes

def _valgrind():
    exe = shutil.which("valgrind")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("valgrind missing (the Makefile's set-up installs it)")
        pytest.skip("valgrind not installed")
    return exe


def _ojph_errors(valgrind_output: str) -> list[str]:
    """The valgrind error reports whose stack runs through OpenJPH."""
    blocks = [b for b in valgrind_output.split("\n==") if "ojph::" in b]
    return blocks


SIGNED = np.random.default_rng(7).integers(-8192, 8192, size=(37, 29), dtype=np.int16)


def test_signed_decode_gate_guards_a_real_defect(probe, tmp_path):
    signed = tmp_path / "s.j2c"
    signed.write_bytes(htj2k.encode(SIGNED, bit_depth=14, levels=2))
    unsigned = tmp_path / "u.j2c"
    unsigned.write_bytes(htj2k.encode((SIGNED.astype(np.int32) + 8192).astype(np.uint16), bit_depth=14, levels=2))
    found = {}
    for name, path in (("signed", signed), ("unsigned", unsigned)):
        run = subprocess.run([_valgrind(), "-q", str(probe), "decode", str(path), "0"],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        found[name] = _ojph_errors(run.stderr)
    assert not found["unsigned"], found["unsigned"][:1]
    if GATES["signed_decode_uninitialised"]:
        assert found["signed"], f"OpenJPH {VERSION} decodes signed components cleanly: narrow the gate"
    else:
        assert not found["signed"], found["signed"][:1]


def test_signed_decodes_read_no_uninitialised_memory(tmp_path):
    """htj2k's own decode of signed components, under valgrind: nothing OpenJPH
    does on that path may depend on uninitialised memory (the gate's workaround)."""
    path = tmp_path / "s.j2c"
    path.write_bytes(htj2k.encode(SIGNED, bit_depth=14, levels=2))
    script = ("import sys, numpy as np, htj2k; d = open(sys.argv[1], 'rb').read(); "
              "a = htj2k.decode(d); p = htj2k.decode_planes(d, level=1); c = htj2k.checksums(d); "
              "assert a.dtype == np.int16 and c[-1].checksum == __import__('zlib').crc32(a.astype('<i2').tobytes())")
    env = dict(os.environ, PYTHONMALLOC="malloc")
    run = subprocess.run([_valgrind(), "-q", sys.executable, "-c", script, str(path)],
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    errors = _ojph_errors(run.stderr)
    assert not errors, errors[0][:2000]


def test_signed_decodes_are_exact():
    for depth, dtype in ((8, np.int8), (14, np.int16), (23, np.int32)):
        lo, hi = -(1 << (depth - 1)), (1 << (depth - 1)) - 1
        img = np.random.default_rng(depth).integers(lo, hi + 1, size=(21, 17, 3)).astype(dtype)
        img[0, 0] = lo
        img[-1, -1] = hi
        for levels in (0, 1, 3):
            data = htj2k.encode(img, bit_depth=depth, levels=levels)
            assert np.array_equal(htj2k.decode(data), img)
            assert [p.tolist() for p in htj2k.decode_planes(data)] == [img[..., c].tolist() for c in range(3)]
            assert htj2k.checksums(data) == htj2k.pixel_checksums(img, levels, depth)
            if htj2k.features()["openjpeg"] and depth <= 23:
                assert np.array_equal(htj2k.decode(data, level=levels, decoder="openjpeg"),
                                      htj2k.decode(data, level=levels))


@pytest.mark.parametrize("encoder", ["openjph", "htj2k"])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("tile_size,levels", [((9, 1), 1), ((1, 9), 1), ((27, 19), 2), ((9, 9), 3), ((28, 20), 0)])
def test_degenerate_tiles_are_lossless(signed, tile_size, levels, encoder):
    """1x1 and 1-sample-wide tiles of a checkerboard of extremes: OpenJPH 0.21.2
    alone writes the lowest value as the mid value there (measured); with the
    workaround every sample comes back, through every decoder that can read it."""
    lo, hi = (-128, 127) if signed else (0, 255)
    row = [lo, hi] * 14
    img = np.array([row if r % 2 == 0 else row[::-1] for r in range(20)], np.int8 if signed else np.uint8)
    data = htj2k.encode(img, levels=levels, tile_size=tile_size, encoder=encoder)
    assert np.array_equal(htj2k.decode(data), img)
    if htj2k.features()["openjpeg"]:
        assert np.array_equal(htj2k.decode(data, decoder="openjpeg"), img)
    assert htj2k.checksums(data) == htj2k.pixel_checksums(img, levels, 8)


# --------------------------------------------------------------------------- prefixes


def test_openjph_decodes_a_prefix_without_error_to_wrong_pixels(probe, tmp_path):
    """Why a prefix of a frame is never handed to OpenJPH as is (codestream/prefix.hpp):
    given the first bytes of a frame, without the tile-parts full resolution needs,
    OpenJPH (every release we link) decodes without any error -- 0.9.0 prints an
    info message, "File terminated early", and reads the missing code-blocks as
    zeros -- or ends by a signal. htj2k refuses the level with
    IncompleteCodestreamError and decodes the levels the bytes hold bit-exactly."""
    img = make_image((96, 80), "u2", 12, "random", 11)
    data = htj2k.encode(img, bit_depth=12, levels=3, progression="RPCL", tlm=True, tileparts="R")
    ends = htj2k.info(data).level_ranges  # base first
    prefix = data[: ends[-2]]  # every level but full resolution
    rc, rows = probe_decode(probe, prefix, 0, tmp_path)
    full = planes_crc([img])
    assert rc != 0 or rows != full, "OpenJPH now notices the missing tile-part: the prefix path could trust it"
    if rc == 0:
        assert rows[0][:2] == full[0][:2]  # the full size, no error, other pixels
    with pytest.raises(htj2k.IncompleteCodestreamError):
        htj2k.decode(prefix)
    np.testing.assert_array_equal(htj2k.decode(prefix, level=1), htj2k.decode(data, level=1))


# --------------------------------------------------------------------------- quality layers


def _shared_codestream(name: str) -> bytes:
    shared = Path(os.environ.get("HTJ2K_SHARED_DIR", ROOT.parent / "shared"))
    path = shared / "conformance" / "iso15444-4" / "codestreams" / name
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} not found")
        pytest.skip(f"{path} not found")
    return path.read_bytes()


def test_openjph_reads_one_quality_layer(probe, tmp_path):
    """Why several layers are joined into one before any decoder sees them
    (codestream/layers.hpp): OpenJPH (every release we link) fails on a codestream
    with several layers ("exceeds Kmax", "supports 1 quality layer only") or
    decodes it wrongly; the joined codestream it decodes exactly as OpenJPEG does."""
    data = _shared_codestream("ds0_ht_16_b11.j2k")  # 3 layers, one component, lossless
    joined = htj2k._core.flatten_layers(data)
    rc, rows = probe_decode(probe, joined, 0, tmp_path)
    want = planes_crc(htj2k.decode_planes(data))
    assert rc == 0 and rows == want
    rc, rows = probe_decode(probe, data, 0, tmp_path)
    assert rc != 0 or rows != want, f"OpenJPH {VERSION} decodes several quality layers: a decoder could be trusted"


@needs_openjpeg
def test_derived_qcc_gate_guards_a_real_defect(probe, tmp_path):
    """Gate decodes_scalar_derived_qcc (closed on every release): a QCC with
    scalar-derived quantization makes 0.21.2 fail ("Scalar derived quantization is
    not supported yet in QCC marker"; 0.9.0 asserts on any derived quantization);
    htj2k routes it to OpenJPEG."""
    data = htj2k._core.flatten_layers(_shared_codestream("ds0_ht_05_b11.j2k"))  # derived QCD and QCC
    assert not GATES["decodes_scalar_derived_qcc"]
    why = openjph_gets_it_wrong(probe, data, 0, tmp_path)
    assert why, f"OpenJPH {VERSION} decodes scalar-derived QCC correctly: the gate can be opened"
    with pytest.raises(htj2k.UnsupportedCodestreamError, match="scalar-derived quantization"):
        htj2k.decode_planes(data, decoder="openjph")
    assert htj2k.info(data).decoder == "openjpeg"


def test_placeholder_passes_gate_guards_a_real_defect(probe, tmp_path):
    """Gate reads_placeholder_passes (closed): OpenJPH reads the segment lengths of a
    code-block with HT placeholder passes as if it had at most 3 passes (wrong
    pixels or an error); htj2k decodes through one HT set per code-block."""
    from helpers.ht_block_packet import with_placeholder_passes

    img = make_image((20, 24), "u1", 4, "random", 1)
    data = with_placeholder_passes(htj2k.encode(img, levels=0, bit_depth=8))
    assert not GATES["reads_placeholder_passes"]
    rc, rows = probe_decode(probe, data, 0, tmp_path)
    assert rc != 0 or rows != planes_crc([img]), f"OpenJPH {VERSION} reads placeholder passes: the gate can be opened"
    np.testing.assert_array_equal(htj2k.decode(data, decoder="openjph"), img)
