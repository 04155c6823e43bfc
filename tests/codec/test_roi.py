"""Regions of interest (RGN, max-shift) in HTJ2K codestreams: neither OpenJPH (which
ignores RGN: wrong pixels) nor OpenJPEG 2.5 (which refuses it with HT code-blocks)
decodes them, so htj2k undoes the shift per code-block while joining the codestream
into one layer (codestream/roi.hpp: each code-block of a component with a shift is
decoded by our HT block decoder, its region coefficients scaled down, and coded again
by our HT block encoder) and hands the result, which has no RGN, to the decoder.

* The seven ISO/IEC 15444-4 RGN cases decode within their limits (tests/conformance
  checks every decoder choice against expected.json); here: the two lossless ones
  (a 2x2-tile PCRL stream whose tile 0 has an RGN shift of 7 in its tile-part
  header, POC, 8 layers) are bit-exact, the lossy ones within their limits at a
  fraction of them, every layer count decodes, and the joined codestream carries no
  RGN and decodes alike with OpenJPH and OpenJPEG.
* Without undoing the shift the pixels are wrong: the same code-blocks with the RGN
  segments cut out (read as OpenJPH reads them) decode far outside the limits.
* Damaged RGN codestreams raise Htj2kError, never crash.
"""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import numpy as np
import pytest

import htj2k
from htj2k import _core

from helpers.codestream import walk_markers
from helpers.openjpeg import read_pgx

RGN = 0xFF5E
# 03/15 b14: every bit-plane of every layer (exact); b11: the background of the region's
# tile coded to bit-plane 1 or 2 in some code-blocks (limits 17 / MSE 0.15)
LOSSLESS_RGN = ("ds0_ht_03_b14.j2k", "ds0_ht_15_b14.j2k")
LOSSY_RGN = ("ds0_ht_03_b11.j2k", "ds0_ht_15_b11.j2k", "ds0_ht_06_b11.j2k", "ds0_ht_06_b15.j2k", "ds0_ht_06_b18.j2k")


def conformance_root(shared_dir: Path) -> Path:
    root = shared_dir / "conformance" / "iso15444-4"
    if not (root / "codestreams").is_dir():
        import os

        if os.environ.get("CI") == "true":
            pytest.fail(f"{root} not found")
        pytest.skip(f"{root} not found")
    return root


def reference(root: Path, name: str, component: int = 0) -> np.ndarray:
    case = "c1p0_" + name.split("_")[2]  # ds0_ht_03_b11.j2k -> c1p0_03
    return read_pgx(str(root / "references" / f"{case}-{component}.pgx"))


def limits(root: Path, name: str):
    cases = {c["codestream"]: c for c in json.loads((root / "manifest.json").read_text())["cases"]}
    return cases[name]["components"]


def rgn_segments(cs: bytes):
    return [m for m in walk_markers(cs) if m.code == RGN]


@pytest.mark.parametrize("name", LOSSLESS_RGN)
def test_lossless_rgn_streams_decode_exactly(shared_dir, name):
    root = conformance_root(shared_dir)
    data = (root / "codestreams" / name).read_bytes()
    assert rgn_segments(data), "the case has an RGN segment"
    ref = reference(root, name)
    out = htj2k.decode(data)
    assert out.shape == ref.shape
    np.testing.assert_array_equal(out.astype(np.int64), ref.astype(np.int64))
    # checksums of the frame are those of its decoded pixels at full resolution
    assert htj2k.checksums(data)[-1].checksum == htj2k.crc32(out.tobytes())


@pytest.mark.parametrize("name", LOSSY_RGN)
def test_lossy_rgn_streams_decode_within_their_limits(shared_dir, name):
    root = conformance_root(shared_dir)
    data = (root / "codestreams" / name).read_bytes()
    planes = htj2k.decode_planes(data)
    for comp in limits(root, name):
        ref = reference(root, name, comp["component"]).astype(np.int64)
        diff = planes[comp["component"]].astype(np.int64) - ref
        assert np.abs(diff).max() <= comp["max_abs_error"], (name, comp)
        assert float(np.mean(diff.astype(np.float64) ** 2)) <= comp["max_mse"], (name, comp)


@pytest.mark.parametrize("name", LOSSLESS_RGN[:1] + LOSSY_RGN[2:3])
def test_joined_stream_has_no_rgn_and_decodes_alike(shared_dir, name):
    root = conformance_root(shared_dir)
    data = (root / "codestreams" / name).read_bytes()
    joined = _core.flatten_layers(data, 0)
    assert not rgn_segments(joined)
    assert _core.flatten_layers(joined, 0) == joined  # a fixed point: nothing left to undo
    planes = htj2k.decode_planes(data)
    for decoder in ("openjph", "openjpeg"):
        try:
            got = htj2k.decode_planes(joined, decoder=decoder)
        except htj2k.UnsupportedCodestreamError as e:  # e.g. COC/QCC with OpenJPH 0.9.0
            assert decoder == "openjph", e
            continue
        if name in LOSSLESS_RGN:
            assert all(np.array_equal(a, b) for a, b in zip(got, planes)), decoder
        else:  # 9/7: the two libraries round the reconstruction differently, both within the limits
            for comp in limits(root, name):
                ref = reference(root, name, comp["component"]).astype(np.int64)
                diff = got[comp["component"]].astype(np.int64) - ref
                assert np.abs(diff).max() <= comp["max_abs_error"], (decoder, comp)
                assert float(np.mean(diff.astype(np.float64) ** 2)) <= comp["max_mse"], (decoder, comp)


def _without_rgn(cs: bytes) -> bytes:
    """The codestream with its RGN segments cut out (Psot of their tile-parts fixed):
    the same code-blocks, read as if there were no region of interest."""
    out = bytearray(cs)
    for seg in reversed(rgn_segments(cs)):
        sot = [m for m in walk_markers(cs) if m.code == 0xFF90 and m.offset < seg.offset]
        del out[seg.offset : seg.end]
        if sot:  # a tile-part header's RGN: its tile-part is shorter now
            at = sot[-1].offset + 6
            struct.pack_into(">I", out, at, struct.unpack(">I", out[at : at + 4])[0] - (seg.end - seg.offset))
    return bytes(out)


@pytest.mark.parametrize("name", LOSSLESS_RGN[:1] + LOSSY_RGN[2:3])
def test_the_shift_is_what_makes_the_region_right(shared_dir, name):
    """Guards the feature: the same code-blocks read without the shift (RGN cut out,
    what OpenJPH does when it ignores RGN) do not fit their bands' bit-planes (refused)
    or decode far outside the case's limits, while undoing it gives the reference."""
    root = conformance_root(shared_dir)
    data = (root / "codestreams" / name).read_bytes()
    ref = reference(root, name).astype(np.int64)
    plain = _without_rgn(data)
    assert not rgn_segments(plain)
    ours = htj2k.decode_planes(data)[0].astype(np.int64)
    err_ours = int(np.abs(ours - ref).max())
    if name in LOSSLESS_RGN:
        assert err_ours == 0
    try:
        ignored = htj2k.decode_planes(plain)[0].astype(np.int64)
    except htj2k.InvalidCodestreamError as e:  # its code-blocks do not fit the band without the shift
        assert "missing bit-planes" in str(e) or "lies below" in str(e), e
        return
    err_ignored = int(np.abs(ignored - ref).max())
    assert err_ignored > 10 * max(err_ours, 1), (err_ours, err_ignored)


@pytest.mark.parametrize("name", LOSSLESS_RGN[:1] + LOSSY_RGN[2:3])
def test_every_layer_count_decodes(shared_dir, name):
    root = conformance_root(shared_dir)
    data = (root / "codestreams" / name).read_bytes()
    layers = htj2k.info(data).layers
    assert layers > 1
    ref = reference(root, name).astype(np.float64)
    errors = []
    for k in range(1, layers + 1):
        out = htj2k.decode_planes(data, layers=k)[0].astype(np.float64)
        errors.append(float(np.mean((out - ref) ** 2)))
    assert errors[-1] <= min(errors) + 1e-9, errors  # all layers are the best
    assert errors[0] >= errors[-1]


def test_damaged_rgn_streams_never_crash(shared_dir, isolated):
    root = conformance_root(shared_dir)
    base = (root / "codestreams" / LOSSLESS_RGN[0]).read_bytes()
    rng = random.Random(11)
    cases = []
    for _ in range(120):
        b = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(200, len(b))] = rng.randrange(256)
        cases.append(bytes(b))
    res = isolated.call("decode_each", cases, 0)
    assert res.ok, res.summary()
    bad = [r for r in res.value if r[0] == "raised" and not isinstance(r[1], htj2k.Htj2kError)]
    assert not bad, bad[:5]
