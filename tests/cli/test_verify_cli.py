"""``htj2k verify`` and ``htj2k checksums`` end to end, in a subprocess
(``python -m htj2k ...``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import htj2k
from htj2k.archive import build_metadata, dump_metadata, frame_entry, load_metadata



@pytest.fixture(scope="module")
def cli_prefix():
    return [sys.executable, "-m", "htj2k"]


@pytest.fixture
def run(cli_prefix, tmp_path):
    def go(*args, cwd=None):
        env = dict(os.environ)
        env.pop("HTJ2K_DEBUG", None)
        proc = subprocess.run(
            [*cli_prefix, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd or tmp_path, env=env
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    return go


def test_subcommands_in_the_command_table():
    from htj2k import cli

    names = [c.name for c in cli.COMMANDS]
    assert names[-3:] == ["checksums", "verify", "roundtrip"]
    for c in cli.COMMANDS:
        assert isinstance(c.help, str) and c.help
        assert callable(c.add_arguments) and callable(c.run)


# --------------------------------------------------------------------------- a folder of frames


def _image(shape, dtype, bits, seed):
    """Random samples filling the nominal range of ``bits``."""
    if np.dtype(dtype).kind == "i":
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        lo, hi = 0, (1 << bits) - 1
    return np.random.default_rng(seed).integers(lo, hi, size=shape, endpoint=True).astype(dtype)


FRAMES = {
    # frame ID: (shape, dtype, bit depth, encode options)
    "0d1c97c51b773198a3df44383a5fd306": ((45, 67), np.uint16, 12, {}),
    "5b2b6dca63b1f1e04c6e2e1a0f2cf3a1": ((40, 64, 3), np.uint8, 8, {}),
    "7c1e4e3c1b8c4f9f9a0e6d5c4b3a2910": ((33, 31), np.int16, 16, {"levels": 3}),
    "8f3d2c1b0a9e8d7c6b5a493827161504": ((64, 48), np.uint16, 16, {"qstep": 0.01}),
    "a1b2c3d4e5f60718293a4b5c6d7e8f90": ((50, 50), np.uint16, 12, {"tile_size": (32, 32), "levels": 2}),
}
SERIES = ["1.2.840.1.1", "1.2.840.1.2"]


def _write_frames(folder: Path, ext: str = ".jph"):
    folder.mkdir()
    entries = []
    for i, (fid, (shape, dtype, bits, kw)) in enumerate(FRAMES.items()):
        img = _image(shape, dtype, bits, i)
        container = "jph" if ext == ".jph" else "j2c"
        data = htj2k.encode(img, bit_depth=bits, container=container, **kw)
        (folder / f"{fid}{ext}").write_bytes(data)
        dec = htj2k.decode(data)
        entries.append(frame_entry(fid, htj2k.checksums(data), int(dec.min()), int(dec.max()), dec.nbytes))
    return entries


@pytest.fixture
def archive(tmp_path):
    """frames/<ID>.jph and metadata.json.gz (two series, gzipped)."""
    frames = tmp_path / "frames"
    entries = _write_frames(frames)
    from htj2k.archive import FrameRecord

    recs = []
    for i, e in enumerate(entries):
        (rec,) = load_metadata({"ImageFrames": [e]})
        recs.append(FrameRecord(**{**rec.__dict__, "series_uid": SERIES[i % 2], "instance_uid": f"{SERIES[i % 2]}.{i}"}))
    doc = build_metadata(recs, image_set_id="46923b66d5522e4241615ecd64637584")
    meta = tmp_path / "metadata.json.gz"
    dump_metadata(doc, meta)
    return tmp_path, frames, meta, doc


def _report(proc):
    return json.loads(proc.stdout)


def _statuses(report):
    return {f["frame_id"]: f["status"] for f in report["frames"]}


def test_all_frames_verify(archive, run):
    tmp, frames, meta, _ = archive
    assert meta.read_bytes()[:2] == b"\x1f\x8b"
    p = run("verify", "--metadata", meta, frames)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    lines = p.stdout.splitlines()
    assert lines[0].split()[:5] == ["FRAME", "SERIES", "STATUS", "LEVELS", "DETAILS"]
    for fid, (shape, *_rest) in FRAMES.items():
        (row,) = [ln for ln in lines if ln.startswith(fid)]
        assert " ok " in row
    assert "5 frames in the metadata: 5 ok, 0 mismatch, 0 missing" in lines[-1] and lines[-1].endswith("OK")
    # the JSON report
    p = run("verify", "--metadata", meta, frames, "--json")
    assert p.returncode == 0
    rep = _report(p)
    assert rep["ok"] is True and set(_statuses(rep).values()) == {"ok"}
    assert rep["missing"] == [] and rep["extra_files"] == []
    first = rep["frames"][0]
    assert first["series_uid"] == SERIES[0] and first["levels_matched"] == first["levels_listed"] == 6
    # report file + table
    p = run("verify", "--metadata", meta, frames, "--json-out", tmp / "report.json", "--jobs", "3")
    assert p.returncode == 0 and "FRAME" in p.stdout
    assert json.loads((tmp / "report.json").read_text())["ok"] is True


def test_plain_metadata_and_codestream_extensions(tmp_path, run):
    frames = tmp_path / "frames"
    entries = _write_frames(frames, ext=".j2c")
    meta = tmp_path / "m.json"
    meta.write_text(json.dumps(build_metadata(entries)))
    p = run("verify", "--metadata", meta, frames)
    assert p.returncode == 0, p.stdout + p.stderr
    # a JSON-lines manifest of fragments works too
    jl = tmp_path / "manifest.jsonl"
    jl.write_text("\n".join(json.dumps({"ImageFrames": [e]}) for e in entries) + "\n")
    p = run("verify", "--metadata", jl, frames, "-q")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "FRAME" not in p.stdout  # -q: only failures are listed


def test_corrupted_frame_and_checksum_are_reported(archive, run):
    tmp, frames, meta, doc = archive
    ids = list(FRAMES)
    # frame 1: other pixels of the same size (re-encoded)
    shape, dtype, bits, kw = FRAMES[ids[1]]
    other = _image(shape, dtype, bits, 99)
    (frames / f"{ids[1]}.jph").write_bytes(htj2k.encode(other, bit_depth=bits, container="jph", **kw))
    # frame 3: one checksum in the metadata flipped
    doc = json.loads(json.dumps(doc))
    target = None
    for s in doc["Study"]["Series"].values():
        for inst in s["Instances"].values():
            for e in inst["ImageFrames"]:
                if e["ID"] == ids[3]:
                    target = e
    target["PixelDataChecksumFromBaseToFullResolution"][2]["Checksum"] ^= 0x80
    flipped = target["PixelDataChecksumFromBaseToFullResolution"][2]
    bad_meta = tmp / "bad.json.gz"
    dump_metadata(doc, bad_meta)

    p = run("verify", "--metadata", bad_meta, frames, "--json")
    assert p.returncode == 1, p.stdout + p.stderr
    rep = _report(p)
    st = _statuses(rep)
    assert {k for k, v in st.items() if v != "ok"} == {ids[1], ids[3]}
    assert st[ids[1]] == "mismatch" and st[ids[3]] == "mismatch"
    f3 = next(f for f in rep["frames"] if f["frame_id"] == ids[3])
    assert f3["levels_matched"] == f3["levels_listed"] - 1
    (bad_level,) = [lv for lv in f3["levels"] if lv["status"] != "match"]
    assert (bad_level["width"], bad_level["height"]) == (flipped["Width"], flipped["Height"])
    assert bad_level["expected"] == flipped["Checksum"]
    assert bad_level["actual"] == flipped["Checksum"] ^ 0x80
    f1 = next(f for f in rep["frames"] if f["frame_id"] == ids[1])
    assert f1["levels_matched"] < f1["levels_listed"]
    assert f1["max_pixel_value"] is not None
    assert rep["summary"]["mismatch"] == 2 and rep["summary"]["ok"] == 3

    # the table names the two frames, the level and both checksums
    p = run("verify", "--metadata", bad_meta, frames)
    assert p.returncode == 1
    rows = {ln.split()[0]: ln for ln in p.stdout.splitlines() if ln[:1].isalnum() and not ln.startswith("FRAME")}
    assert "mismatch" in rows[ids[1]] and "mismatch" in rows[ids[3]]
    assert f"{flipped['Width']}x{flipped['Height']}" in rows[ids[3]]
    assert f"0x{flipped['Checksum']:08x}" in rows[ids[3]]
    assert f"0x{flipped['Checksum'] ^ 0x80:08x}" in rows[ids[3]]
    for fid in (ids[0], ids[2], ids[4]):
        assert " ok " in rows[fid]
    assert "FAILED" in p.stdout.splitlines()[-1]

    # delete one frame, add one the metadata does not list
    (frames / f"{ids[4]}.jph").unlink()
    (frames / "ffffffffffffffffffffffffffffffff.jph").write_bytes((frames / f"{ids[0]}.jph").read_bytes())
    (frames / "notes.txt").write_text("not a frame")
    p = run("verify", "--metadata", bad_meta, frames, "--json", "--jobs", "4")
    assert p.returncode == 1
    rep = _report(p)
    st = _statuses(rep)
    assert {k for k, v in st.items() if v != "ok"} == {ids[1], ids[3], ids[4]}
    assert st[ids[4]] == "missing"
    assert rep["missing"] == [ids[4]]
    assert [Path(x).name for x in rep["extra_files"]] == ["ffffffffffffffffffffffffffffffff.jph"]
    p = run("verify", "--metadata", bad_meta, frames)
    assert "frames missing from" in p.stdout and ids[4] in p.stdout.split("frames missing from")[1]
    assert "not in the metadata (1)" in p.stdout and "ffffffffffffffffffffffffffffffff.jph" in p.stdout


def test_extra_files_only_fail_with_strict(archive, run):
    _, frames, meta, _ = archive
    (frames / "ffffffffffffffffffffffffffffffff.j2c").write_bytes(b"x")
    p = run("verify", "--metadata", meta, frames)
    assert p.returncode == 0, p.stdout
    assert "ffffffffffffffffffffffffffffffff.j2c" in p.stdout
    p = run("verify", "--metadata", meta, frames, "--strict")
    assert p.returncode == 1


def test_undecodable_and_byte_flipped_frames(archive, run):
    _, frames, meta, _ = archive
    ids = list(FRAMES)
    (frames / f"{ids[0]}.jph").write_bytes(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"garbage" * 10)
    body = bytearray((frames / f"{ids[2]}.jph").read_bytes())
    for i in range(len(body) // 2, len(body) // 2 + 24):
        body[i] ^= 0x5A
    (frames / f"{ids[2]}.jph").write_bytes(bytes(body))
    p = run("verify", "--metadata", meta, frames, "--json", "--jobs", "2")
    assert p.returncode == 1, p.stderr
    st = _statuses(_report(p))
    assert st[ids[0]] == "undecodable"
    assert st[ids[2]] in ("mismatch", "undecodable")
    assert {k for k, v in st.items() if v != "ok"} == {ids[0], ids[2]}
    f0 = next(f for f in _report(p)["frames"] if f["frame_id"] == ids[0])
    assert f0["error"]


def test_jobs_give_the_same_report(archive, run):
    _, frames, meta, _ = archive
    (frames / f"{list(FRAMES)[1]}.jph").unlink()
    reports = []
    for jobs in (1, 4):
        p = run("verify", "--metadata", meta, frames, "--json", "--jobs", jobs)
        assert p.returncode == 1
        reports.append(_report(p)["frames"])
    assert reports[0] == reports[1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["verify", "--metadata", "nope.json", "frames"], "nope.json"),
        (["verify", "--metadata", "broken.json", "frames"], "invalid JSON"),
        (["verify", "--metadata", "empty.json", "frames"], "no ImageFrames"),
        (["verify", "--metadata", "metadata.json.gz", "no-such-dir"], "no-such-dir"),
        (["verify", "--metadata", "metadata.json.gz", "metadata.json.gz"], "not a folder"),
        (["verify", "frames"], "--metadata"),
        (["verify", "--metadata", "metadata.json.gz", "frames", "--jobs", "0"], "--jobs"),
        (["verify", "--metadata", "metadata.json.gz"], "FRAMES_DIR"),
    ],
)
def test_usage_and_input_errors_exit_2(archive, run, args, message):
    tmp, _, _, _ = archive
    (tmp / "broken.json").write_text('{"ImageFrames": [')
    (tmp / "empty.json").write_text('{"SchemaVersion": "1.1"}')
    p = run(*args, cwd=tmp)
    assert p.returncode == 2, p.stdout + p.stderr
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("htj2k: error:"), p.stderr
    assert message in err[0]


# --------------------------------------------------------------------------- checksums


def test_checksums_text_and_json(archive, run):
    _, frames, _, _ = archive
    fid = list(FRAMES)[0]
    path = frames / f"{fid}.jph"
    want = htj2k.checksums(path.read_bytes())
    p = run("checksums", path)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith(str(path))
    rows = [ln.split() for ln in lines[1:]]
    assert rows == [[str(c.level), f"{c.width}x{c.height}", str(c.checksum), f"0x{c.checksum:08x}"] for c in want]
    p = run("checksums", path, "--json")
    (obj,) = json.loads(p.stdout)
    dec = htj2k.decode(path.read_bytes())
    assert obj == {
        "file": str(path),
        "Checksums": [c.as_archive_dict() for c in want],
        "MinPixelValue": int(dec.min()),
        "MaxPixelValue": int(dec.max()),
    }
    p = run("checksums", path, "--json", "--levels", "0,2")
    (obj,) = json.loads(p.stdout)
    assert obj["Checksums"] == [want[-3].as_archive_dict(), want[-1].as_archive_dict()]
    p = run("checksums", path, "--levels", "all")
    assert p.stdout.splitlines() == lines


def test_checksums_of_pixel_inputs_equal_those_of_the_encoded_frames(tmp_path, run):
    from htj2k import io as image_io

    grey = _image((37, 50), np.uint16, 12, 1)
    rgb = _image((21, 34, 3), np.uint8, 8, 2)
    np.save(tmp_path / "grey.npy", grey)
    image_io.write_image(tmp_path / "grey.pgm", grey, bit_depth=12)
    image_io.write_image(tmp_path / "rgb.ppm", rgb)
    (tmp_path / "grey.raw").write_bytes(grey.astype("<u2").tobytes())
    p = run("checksums", "grey.npy", "--bit-depth", "12", "--json")
    assert p.returncode == 0, p.stderr
    want = htj2k.checksums(htj2k.encode(grey, bit_depth=12))
    assert json.loads(p.stdout)[0]["Checksums"] == [c.as_archive_dict() for c in want]
    assert json.loads(p.stdout)[0]["MinPixelValue"] == int(grey.min())
    # PGM: the bit depth comes from maxval; raw needs --shape/--dtype
    p = run("checksums", "grey.pgm", "grey.raw", "--shape", "37x50", "--dtype", "uint16", "--bit-depth", "12", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert [o["Checksums"] for o in out] == [[c.as_archive_dict() for c in want]] * 2
    # colour: with and without the colour transform, 2 levels
    p = run("checksums", "rgb.ppm", "--pixel-levels", "2", "--json")
    want_rgb = htj2k.checksums(htj2k.encode(rgb, levels=2))
    assert json.loads(p.stdout)[0]["Checksums"] == [c.as_archive_dict() for c in want_rgb]
    p = run("checksums", "rgb.ppm", "--pixel-levels", "2", "--no-colour-transform", "--json")
    want_plain = htj2k.checksums(htj2k.encode(rgb, levels=2, colour_transform=False))
    assert json.loads(p.stdout)[0]["Checksums"] == [c.as_archive_dict() for c in want_plain]
    # default: 5 levels capped by the size (21 rows -> 4)
    p = run("checksums", "rgb.ppm")
    assert len(p.stdout.splitlines()) == 1 + 5
    for args, msg in [
        (["grey.raw"], "--shape"),
        (["rgb.ppm", "--pixel-levels", "9"], "--pixel-levels"),
        (["grey.npy", "--levels", "6"], "level 6"),
        (["grey.npy", "--bit-depth", "8"], "grey.npy"),
        (["nothing.jph"], "nothing.jph"),
        (["grey.npy", "--levels", "x"], "--levels"),
    ]:
        p = run("checksums", *args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        err = p.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("htj2k: error:") and msg in err[0], (args, p.stderr)


def test_checksums_manifest_then_verify(tmp_path, run):
    frames = tmp_path / "frames"
    _write_frames(frames)
    files = sorted(frames.glob("*.jph"))
    p = run("checksums", *files, "--manifest", tmp_path / "manifest.json.gz", "--image-set-id", "set-1")
    assert p.returncode == 0, p.stderr
    recs = load_metadata(tmp_path / "manifest.json.gz")
    assert sorted(r.frame_id for r in recs) == sorted(FRAMES)
    for r in recs:
        data = (frames / f"{r.frame_id}.jph").read_bytes()
        dec = htj2k.decode(data)
        assert [(c.width, c.height, c.checksum) for c in r.checksums] == [(c.width, c.height, c.checksum) for c in htj2k.checksums(data)]
        assert (r.min_pixel_value, r.max_pixel_value, r.frame_size_in_bytes) == (int(dec.min()), int(dec.max()), dec.nbytes)
        assert r.image_set_id == "set-1"
    p = run("verify", "--metadata", tmp_path / "manifest.json.gz", frames)
    assert p.returncode == 0, p.stdout + p.stderr
    # a manifest from raw pixels verifies the encoded frames too
    img = _image((30, 40), np.uint16, 10, 5)
    np.save(tmp_path / "px.npy", img)
    (frames / "px.jph").write_bytes(htj2k.encode(img, bit_depth=10, container="jph"))
    p = run("checksums", tmp_path / "px.npy", "--bit-depth", "10", "--manifest", tmp_path / "px.json")
    assert p.returncode == 0, p.stderr
    p = run("verify", "--metadata", tmp_path / "px.json", frames, "--json")
    rep = _report(p)
    assert _statuses(rep) == {"px": "ok"} and len(rep["extra_files"]) == len(FRAMES)
    assert p.returncode == 0
    # two files with one frame ID cannot go into one manifest
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "px.npy").write_bytes((tmp_path / "px.npy").read_bytes())
    p = run("checksums", tmp_path / "px.npy", tmp_path / "other" / "px.npy", "--manifest", tmp_path / "dup.json")
    assert p.returncode == 2 and "frame ID" in p.stderr


def test_in_process_main(archive, capsys):
    """htj2k.cli.main runs the subcommands in-process with the same exit codes and messages."""
    from htj2k import cli

    tmp, frames, meta, _ = archive
    assert cli.main(["verify", "--metadata", str(meta), str(frames), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert cli.main(["verify", "--metadata", str(tmp / "missing.json"), str(frames)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("htj2k: error:") and err.count("\n") == 1
    assert cli.main(["verify", "--metadata", str(meta), str(frames)]) == 0
    assert cli.main(["verify"]) == 2
