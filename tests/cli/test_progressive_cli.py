"""``htj2k levels``, ``htj2k decode --level best`` and ``htj2k verify --partial`` on
whole frames and on their first bytes (the library side: tests/codec/test_prefix.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import htj2k
from htj2k.archive import build_metadata, dump_metadata, frame_entry

from helpers.cli import ok, run, user_error
from helpers.images import make_image


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    img = make_image((120, 100), "u2", 12, "random", 5)
    data = htj2k.encode(img, bit_depth=12, levels=3, progression="RPCL", tlm=True, tileparts="R")
    d = tmp_path_factory.mktemp("progressive")
    (d / "whole.j2c").write_bytes(data)
    ends = htj2k.info(data).level_ranges  # base first
    (d / "first.j2c").write_bytes(data[: ends[1]])  # levels 2 and 3
    return d, img, data, ends


def test_levels_text_and_json(frame):
    d, _, data, ends = frame
    p = ok(run("levels", d / "whole.j2c", d / "first.j2c"))
    assert "RPCL" in p.stdout and "not in the data" in p.stdout
    rows = json.loads(ok(run("levels", d / "whole.j2c", d / "first.j2c", "--json")).stdout)
    whole, first = rows
    assert [r["end"] for r in whole["levels"]] == list(ends)
    assert [r["level"] for r in whole["levels"]] == [3, 2, 1, 0]
    assert sum(r["bytes"] for r in whole["levels"]) == ends[-1]
    assert first["truncated"] and first["best_level"] == 2
    assert [r["in_data"] for r in first["levels"]] == [True, True, False, False]


def test_levels_split(frame, tmp_path):
    d, _, data, _ = frame
    ok(run("levels", d / "whole.j2c", "--split", tmp_path / "piece"))
    pieces = [(tmp_path / f"piece.level{r}").read_bytes() for r in (3, 2, 1, 0)]
    assert b"".join(pieces) == data
    p = run("levels", d / "first.j2c", "--split", tmp_path / "x")
    assert p.returncode == 1 and "whole frame" in p.stderr
    user_error(run("levels", d / "whole.j2c", d / "first.j2c", "--split", tmp_path / "y"), words=["one file"])
    user_error(run("levels", d / "missing.j2c"))


def test_decode_best(frame, tmp_path):
    d, img, data, _ = frame
    p = ok(run("decode", d / "first.j2c", tmp_path / "t.npy", "--level", "best"))
    assert "level 2" in p.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), htj2k.decode(data, level=2))
    user_error(run("decode", d / "first.j2c", tmp_path / "u.npy"), words=["do not hold level 0"])
    ok(run("decode", d / "whole.j2c", tmp_path / "w.npy", "--level", "best"))
    np.testing.assert_array_equal(np.load(tmp_path / "w.npy"), img)


def test_verify_partial(frame, tmp_path):
    d, img, data, ends = frame
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "f1.jph").write_bytes(data[: ends[1]])
    entry = frame_entry("f1", htj2k.pixel_checksums(img, 3, 12), int(img.min()), int(img.max()))
    meta = tmp_path / "m.json"
    dump_metadata(build_metadata([entry]), meta)
    p = run("verify", "--metadata", meta, frames, "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["frames"][0]["status"] == "incomplete"
    p = ok(run("verify", "--metadata", meta, frames, "--partial", "--json"))
    report = json.loads(p.stdout)["frames"][0]
    assert report["status"] == "ok"
    assert [lv["status"] for lv in report["levels"]] == ["match", "match", "not_in_data", "not_in_data"]
    assert report["max_pixel_value"] == [int(img.max()), None]


def test_transcode(frame, tmp_path):
    d, img, data, _ = frame
    plain = htj2k.encode(img, bit_depth=12, levels=3, progression="LRCP")
    (tmp_path / "plain.j2c").write_bytes(plain)
    p = ok(run("transcode", tmp_path / "plain.j2c", tmp_path / "p.j2c", "--progression", "rpcl", "--tileparts", "R",
               "--tlm", "--plt"))
    assert "RPCL, 4 tile-parts, TLM, PLT" in p.stdout
    out = (tmp_path / "p.j2c").read_bytes()
    assert out == htj2k.transcode(plain, progression="RPCL", tileparts="R", tlm=True, plt=True)
    np.testing.assert_array_equal(htj2k.decode(out), img)
    ok(run("transcode", tmp_path / "p.j2c", tmp_path / "q.j2c", "--no-tileparts", "--no-tlm", "--no-plt", "-q"))
    inf = htj2k.info((tmp_path / "q.j2c").read_bytes())
    assert (inf.tile_parts, inf.has_tlm, inf.has_plt) == (1, False, False)
    user_error(run("transcode", tmp_path / "p.j2c", tmp_path / "r.j2c", "--progression", "PCRL"),
               words=["tile-part per resolution"])
    user_error(run("transcode", tmp_path / "missing.j2c", tmp_path / "r.j2c"))


def test_quality_layers(shared_dir, tmp_path):
    """`decode --layers K` and `transcode --layers K` on a 3-layer conformance frame."""
    src = shared_dir / "conformance" / "iso15444-4" / "codestreams" / "ds0_ht_16_b11.j2k"
    if not src.is_file():
        import os

        if os.environ.get("CI") == "true":
            pytest.fail(f"{src} not found")
        pytest.skip(f"{src} not found")
    data = src.read_bytes()
    ok(run("decode", src, tmp_path / "one.npy", "--layers", "1", "-q"))
    np.testing.assert_array_equal(np.load(tmp_path / "one.npy"), htj2k.decode(data, layers=1))
    ok(run("decode", src, tmp_path / "all.npy", "-q"))
    np.testing.assert_array_equal(np.load(tmp_path / "all.npy"), htj2k.decode(data))
    p = ok(run("transcode", src, tmp_path / "two.j2c", "--layers", "2", "--progression", "RPCL", "--tileparts", "R",
               "--tlm"))
    assert "RPCL" in p.stdout and "TLM" in p.stdout
    out = (tmp_path / "two.j2c").read_bytes()
    assert htj2k.info(out).layers == 1
    np.testing.assert_array_equal(htj2k.decode(out), htj2k.decode(data, layers=2))
    user_error(run("transcode", src, tmp_path / "x.j2c"), words=["quality layers"])
    user_error(run("decode", src, tmp_path / "x.npy", "--layers", "0"))


def test_encode_plt(tmp_path):
    img = make_image((40, 50), "u1", 8, "random", 2)
    np.save(tmp_path / "in.npy", img)
    ok(run("encode", tmp_path / "in.npy", tmp_path / "out.j2c", "--plt", "--tlm", "--tileparts", "R", "-q"))
    out = (tmp_path / "out.j2c").read_bytes()
    inf = htj2k.info(out)
    assert inf.has_plt and inf.has_tlm
    np.testing.assert_array_equal(htj2k.decode(out), img)
