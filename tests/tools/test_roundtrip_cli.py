"""``htj2k roundtrip`` end to end: real DICOM files (pydicom's wheel, the shared CT
fixture), a tree of good, corrupt, non-image and truncated files, the JSON-lines
report, the manifest, HTJ2K DICOM transcoding, worker crashes and hangs (test hooks),
Ctrl-C and --resume, and a Dask LocalCluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pytest

import htj2k
from helpers.roundtrip_faults import patch_run

from htj2k import cli, profile
from htj2k.tools import roundtrip

pydicom = pytest.importorskip("pydicom")
from pydicom.pixels.decoders.base import get_decoder  # noqa: E402

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
VOLATILE = ("encoded_size", "ratio", "encoded_bytes")  # see test_dask_local_cluster_same_report

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# --------------------------------------------------------------------------- helpers


def pydicom_file(name: str) -> Path:
    p = TEST_FILES / name
    if not p.is_file():
        pytest.skip(f"{name} is not in this pydicom wheel")
    return p


def run_cli(capsys, *args: Any) -> Tuple[int, str, str]:
    """``htj2k roundtrip ARGS`` in this process -> (exit code, stdout, stderr)."""
    code = cli.main(["roundtrip", *[str(a) for a in args]])
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(*args: Any, env: Dict[str, str] = None, timeout: float = 240) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e.pop("HTJ2K_DEBUG", None)
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "htj2k", "roundtrip", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=e,
    )


def load(report: Path) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in report.read_text().splitlines() if line.strip()]


def frames_of(recs: List[Dict[str, Any]]) -> Dict[Tuple[str, int], Dict[str, Any]]:
    return {(Path(r["file"]).name, r["frame"]): r for r in recs if r["record"] == "frame"}


def files_of(recs: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {Path(r["file"]).name: r for r in recs if r["record"] == "file"}


def copy(name: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(pydicom_file(name), dest)
    return dest


@pytest.fixture
def tree(tmp_path) -> Dict[str, Path]:
    """good/, images/, nonimage/, corrupt/, truncated/ under tmp_path/tree."""
    root = tmp_path / "tree"
    copy("CT_small.dcm", root / "good" / "CT_small.dcm")
    copy("MR_small.dcm", root / "good" / "MR_small.dcm")
    copy("SC_rgb_rle_2frame.dcm", root / "good" / "multi" / "SC_rgb_rle_2frame.dcm")
    img = root / "images"
    img.mkdir(parents=True)
    rng = np.random.default_rng(1)
    np.save(img / "a.npy", rng.integers(0, 4096, (40, 56), dtype=np.uint16))
    from htj2k.io import write_image

    write_image(img / "b.ppm", rng.integers(0, 256, (33, 17, 3), dtype=np.uint8))
    (img / "c.j2c").write_bytes(htj2k.encode(rng.integers(-100, 100, (20, 24), dtype=np.int16), bit_depth=9))
    copy("rtplan.dcm", root / "nonimage" / "rtplan.dcm")
    copy("test-SR.dcm", root / "nonimage" / "test-SR.dcm")
    (root / "nonimage" / "notes.txt").write_text("not an image\n")
    bad = root / "corrupt"
    bad.mkdir(parents=True)
    (bad / "garbage.dcm").write_bytes(bytes(rng.integers(0, 256, 2000, dtype=np.uint8)))
    (bad / "bad.npy").write_text("not numpy")
    (bad / "bad.j2c").write_bytes(b"\xff\x4f\xff\x51" + b"\x00" * 10)
    trunc = root / "truncated"
    trunc.mkdir(parents=True)
    ct = pydicom_file("CT_small.dcm").read_bytes()
    (trunc / "CT_pixels_cut.dcm").write_bytes(ct[:20000])  # inside Pixel Data
    (trunc / "CT_header_cut.dcm").write_bytes(ct[:3000])  # before Pixel Data
    return {
        "root": root,
        "good": root / "good",
        "images": img,
        "nonimage": root / "nonimage",
        "corrupt": bad,
        "truncated": trunc,
    }


# --------------------------------------------------------------------------- unit level


def test_levels_rule():
    assert profile.levels_for_size(512, 512) == 5
    assert profile.levels_for_size(512, 375) == 5
    assert profile.levels_for_size(32, 4000) == 5
    assert profile.levels_for_size(31, 100) == 4
    assert profile.levels_for_size(3, 3) == 1
    assert profile.levels_for_size(1, 50) == 0
    p = profile.encode_params()
    assert p["progression"] == "RPCL" and p["block_size"] == (64, 64) and p["reversible"]
    assert p["tlm"] is True and p["tileparts"] == "R"


def test_subcommand_registry_and_help(capsys):
    (cmd,) = [c for c in cli.COMMANDS if c.name == "roundtrip"]
    assert callable(cmd.add_arguments) and callable(cmd.run)
    code = cli.main(["roundtrip", "--help"])
    out = capsys.readouterr().out
    assert code == 0
    for opt in ("--json", "--json-out", "--manifest", "--out-dir", "--transcode-dicom", "--workers", "--timeout", "--dask", "--resume", "--quiet"):
        assert opt in out


def test_usage_errors(capsys, tmp_path):
    code, _, err = run_cli(capsys, tmp_path / "missing")
    assert code == 2 and "no such file" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, tmp_path, "--resume", tmp_path / "nope.jsonl")
    assert code == 2 and "no such report" in err
    code, _, err = run_cli(capsys, tmp_path, "--workers", "-1")
    assert code == 2 and "--workers" in err


# --------------------------------------------------------------------------- the tree


def test_tree_statuses_report_and_exit_code(tree, tmp_path, capsys):
    report = tmp_path / "report.jsonl"
    code, out, err = run_cli(capsys, tree["root"], "--json-out", report, "--workers", "0")
    assert code == 1, out + err  # the truncated pixel data
    assert err == ""  # no progress bar when stderr is not a terminal
    recs = load(report)
    assert recs[0]["record"] == "run" and recs[0]["format"] == roundtrip.REPORT_FORMAT
    assert recs[0]["encoding"]["progression"] == "RPCL"
    assert recs[-1]["record"] == "summary" and recs[-1]["exit_code"] == 1
    body = recs[1:-1]
    assert body == sorted(body, key=roundtrip.report._sort_key)
    frames, files = frames_of(recs), files_of(recs)

    for key in [("CT_small.dcm", 1), ("MR_small.dcm", 1), ("SC_rgb_rle_2frame.dcm", 1), ("SC_rgb_rle_2frame.dcm", 2),
                ("a.npy", 1), ("b.ppm", 1), ("c.j2c", 1)]:
        assert frames[key]["status"] == "ok", frames[key]
        assert frames[key]["error"] is None
    assert {f: files[f]["status"] for f in ("CT_small.dcm", "a.npy", "b.ppm", "c.j2c")} == dict.fromkeys(
        ("CT_small.dcm", "a.npy", "b.ppm", "c.j2c"), "done"
    )
    assert files["SC_rgb_rle_2frame.dcm"]["frames"] == 2

    assert files["rtplan.dcm"]["status"] == "skipped" and "no Pixel Data" in files["rtplan.dcm"]["reason"]
    assert "RT Plan" in files["rtplan.dcm"]["reason"]
    assert files["test-SR.dcm"]["status"] == "skipped" and "no Pixel Data" in files["test-SR.dcm"]["reason"]
    assert files["notes.txt"]["status"] == "skipped" and "not a recognised image file" in files["notes.txt"]["reason"]
    for name in ("garbage.dcm", "bad.npy", "bad.j2c"):
        assert files[name]["status"] == "skipped" and "unreadable" in files[name]["reason"], files[name]
    assert files["CT_header_cut.dcm"]["status"] == "skipped" and "truncated" in files["CT_header_cut.dcm"]["reason"]
    cut = frames[("CT_pixels_cut.dcm", 1)]
    assert cut["status"] == "error" and "less than expected" in cut["error"]
    assert not any(k[0] in ("rtplan.dcm", "garbage.dcm", "notes.txt") for k in frames)

    s = recs[-1]
    assert (s["frames"], s["ok"], s["error"], s["mismatch"]) == (8, 7, 1, 0)
    assert (s["files"], s["files_skipped"], s["files_failed"]) == (14, 7, 0)
    # the summary table names every file
    for name in files:
        assert name in out
    assert "NOT all frames verified" in out


def test_tree_subsets_exit_codes(tree, capsys):
    code, out, _ = run_cli(capsys, tree["good"], tree["images"], tree["nonimage"], tree["corrupt"], "--workers", "0")
    assert code == 0, out
    assert "all frames verified" in out
    code, _, err = run_cli(capsys, tree["nonimage"], tree["corrupt"], "--workers", "0")
    assert code == 2 and "nothing readable" in err
    code, _, _ = run_cli(capsys, tree["truncated"], "--workers", "0")
    assert code == 1
    code, out, _ = run_cli(capsys, tree["good"] / "CT_small.dcm", "--workers", "0", "--quiet")
    assert code == 0 and out == ""


def test_frame_record_content(tree, tmp_path, capsys):
    report = tmp_path / "r.jsonl"
    code, out, _ = run_cli(capsys, tree["good"], tree["images"], "--json-out", report, "--workers", "0", "--verbose")
    assert code == 0
    frames = frames_of(load(report))
    ds = pydicom.dcmread(tree["good"] / "CT_small.dcm")
    r = frames[("CT_small.dcm", 1)]
    px = ds.pixel_array
    want = [c.as_archive_dict() for c in htj2k.pixel_checksums(px, 5, bit_depth=16, signed=True)]
    assert r["checksums"] == want
    assert r["checksums"][-1]["Checksum"] == zlib.crc32(px.astype("<i2").tobytes())
    assert (r["width"], r["height"], r["samples"], r["bit_depth"], r["signed"], r["levels"]) == (128, 128, 1, 16, True, 5)
    assert (r["min"], r["max"]) == (int(px.min()), int(px.max()))
    assert r["sop_instance_uid"] == ds.SOPInstanceUID and r["study_instance_uid"] == ds.StudyInstanceUID
    assert r["transfer_syntax"] == str(ds.file_meta.TransferSyntaxUID)
    assert r["frame_size"] == 128 * 128 * 2 and r["ratio"] == round(r["frame_size"] / r["encoded_size"], 3)
    assert len(r["frame_id"]) == 32 and r["frame_id"] == roundtrip.frame_id(r["file"], 1)
    rgb = frames[("SC_rgb_rle_2frame.dcm", 2)]
    assert rgb["colour_transform"] and rgb["photometric_interpretation"] == "RGB" and rgb["samples"] == 3
    ppm = frames[("b.ppm", 1)]
    assert (ppm["bit_depth"], ppm["samples"], ppm["colour_transform"]) == (8, 3, True)
    npy = frames[("a.npy", 1)]
    assert (npy["bit_depth"], npy["signed"], npy["levels"]) == (16, False, 5)
    j2c = frames[("c.j2c", 1)]
    assert (j2c["bit_depth"], j2c["signed"], j2c["format"]) == (9, True, "codestream")
    assert (j2c["width"], j2c["height"], j2c["levels"]) == (24, 20, 4)
    # --verbose lists frames with their checksums
    assert f"CT_small.dcm#1 128x128 ok" in out and f"{want[-1]['Checksum']:08x}" in out


def test_values_above_bits_stored_are_errors(tmp_path, capsys):
    ds = pydicom.dcmread(pydicom_file("MR_small.dcm"))
    ds.BitsStored, ds.HighBit = 10, 9
    path = tmp_path / "overflow.dcm"
    ds.save_as(path)
    report = tmp_path / "r.jsonl"
    code, out, _ = run_cli(capsys, path, "--json-out", report, "--workers", "0")
    assert code == 1
    r = frames_of(load(report))[("overflow.dcm", 1)]
    assert r["status"] == "error" and "exceed BitsStored 10" in r["error"] and "not clipped" in r["error"]
    assert (r["min"], r["max"]) == (127, 2145)  # the stored values, not masked
    assert r["checksums"] is None


def test_corrupt_frame_in_multiframe_gets_its_own_verdict(tmp_path, capsys):
    """A frame that does not decode is an error; the frames after it are still verified."""
    import htj2k.dicom as hd
    from pydicom.encaps import encapsulate, get_frame

    ds = hd.to_htj2k_dataset(pydicom.dcmread(pydicom_file("SC_rgb_rle_2frame.dcm")))
    f1 = get_frame(ds.PixelData, 0, number_of_frames=2)
    f2 = get_frame(ds.PixelData, 1, number_of_frames=2)
    ds.PixelData = encapsulate([f1, f2[: len(f2) // 2], f2])
    ds["PixelData"].is_undefined_length = True
    ds.NumberOfFrames = 3
    path = tmp_path / "three.dcm"
    ds.save_as(path, enforce_file_format=True)
    report = tmp_path / "r.jsonl"
    code, _, _ = run_cli(capsys, path, "--json-out", report, "--workers", "0")
    assert code == 1
    frames = frames_of(load(report))
    assert [frames[("three.dcm", n)]["status"] for n in (1, 2, 3)] == ["ok", "error", "ok"]
    assert "decoding failed" in frames[("three.dcm", 2)]["error"]
    # .202 (RPCL with TLM) on every release
    assert frames[("three.dcm", 1)]["transfer_syntax"] == str(hd.htj2k_transfer_syntax()) == "1.2.840.10008.1.2.4.202"


# --------------------------------------------------------------------------- real files

# (file, expected frame statuses or "skipped"/None=depends on installed decoders, error text)
PYDICOM_CASES = [
    ("CT_small.dcm", ["ok"], None),
    ("MR_small_RLE.dcm", ["ok"], None),
    ("MR_small_bigendian.dcm", ["ok"], None),
    ("MR_small_implicit.dcm", ["ok"], None),
    ("MR_small_jp2klossless.dcm", ["ok"], None),
    ("JPEG2000.dcm", ["ok"], None),
    ("693_J2KI.dcm", ["ok"], None),  # lossy J2K: the decoded pixels are the source
    ("J2K_pixelrep_mismatch.dcm", ["ok"], None),
    ("SC_rgb_rle_16bit_2frame.dcm", ["ok", "ok"], None),
    ("SC_rgb_small_odd_big_endian.dcm", ["ok"], None),
    ("SC_ybr_full_422_uncompressed.dcm", ["ok"], None),
    ("examples_palette.dcm", ["ok"], None),
    ("liver_1frame.dcm", ["ok"], None),
    ("image_dfl.dcm", ["ok"], None),
    ("ExplVR_BigEndNoMeta.dcm", "skipped", "no Pixel Data"),
    ("rtdose.dcm", ["error"] * 15, "BitsStored 32 exceeds"),  # 32-bit: beyond OpenJPH 0.9.0
    ("SC_rgb_rle_32bit.dcm", ["error"], "BitsStored 32 exceeds"),
    ("MR_truncated.dcm", ["error"], "less than expected"),
    ("rtplan.dcm", "skipped", "no Pixel Data"),
    ("test-SR.dcm", "skipped", "no Pixel Data"),
    ("waveform_ecg.dcm", "skipped", "no Pixel Data"),
    ("badVR.dcm", "skipped", "NumberOfFrames"),
    ("JPEG-lossy.dcm", None, None),
    ("SC_rgb_jpeg_dcmtk.dcm", None, None),
    ("SC_rgb_dcmtk_+eb+cy+np.dcm", None, None),
    ("MR_small_jpeg_ls_lossless.dcm", None, None),
    ("examples_ybr_color.dcm", None, None),
]


def test_pydicom_test_files_with_workers(tmp_path, capsys):
    paths = [pydicom_file(name) for name, _, _ in PYDICOM_CASES]
    report = tmp_path / "r.jsonl"
    code, out, err = run_cli(capsys, *paths, "--json-out", report, "--workers", "2")
    assert code == 1
    recs = load(report)
    frames, files = frames_of(recs), files_of(recs)
    for name, want, text in PYDICOM_CASES:
        got = [frames[(name, n)]["status"] for n in range(1, 100) if (name, n) in frames]
        if want is None:  # JPEG variants: decoded by pydicom when a plugin is installed
            ds = pydicom.dcmread(TEST_FILES / name, stop_before_pixels=True)
            if get_decoder(ds.file_meta.TransferSyntaxUID).is_available:
                nf = int(ds.get("NumberOfFrames", 1))
                # a plugin may claim the syntax and still fail on this file (Pillow
                # and 12-bit JPEG Extended): then the frame is an error saying so
                errs = [frames[(name, n)].get("error") or "" for n in range(1, nf + 1) if (name, n) in frames]
                assert got == ["ok"] * nf or (
                    len(got) == nf and all(e.startswith("decoding failed") for e in errs)
                ), (name, got, errs)
            else:
                assert files[name]["status"] == "skipped", name
                assert "no installed decoder" in files[name]["reason"]
            continue
        if want == "skipped":
            assert got == [] and files[name]["status"] == "skipped", name
            assert text in files[name]["reason"], files[name]
            continue
        assert got == want, (name, got, [frames[(name, n)]["error"] for n in range(1, len(got) + 1)])
        if text:
            assert text in frames[(name, 1)]["error"]
        assert files[name]["status"] == "done"
    ybr = frames[("SC_ybr_full_422_uncompressed.dcm", 1)]
    assert ybr["photometric_interpretation"] == "YBR_FULL" and not ybr["colour_transform"]


def test_shared_ct_fixture(shared_dir, tmp_path, capsys):
    path = shared_dir / "data" / "dicom" / "CT1_UNC.dcm"
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"missing {path}")
        pytest.skip(f"missing {path}")
    report = tmp_path / "r.jsonl"
    code, _, _ = run_cli(capsys, path, "--json-out", report, "--workers", "0")
    assert code == 0
    r = frames_of(load(report))[("CT1_UNC.dcm", 1)]
    px = pydicom.dcmread(path).pixel_array
    assert [(c["Width"], c["Height"]) for c in r["checksums"]] == [(16, 16), (32, 32), (64, 64), (128, 128), (256, 256), (512, 512)]
    assert r["checksums"] == [c.as_archive_dict() for c in htj2k.pixel_checksums(px, 5, bit_depth=16, signed=True)]
    assert r["checksums"][-1]["Checksum"] == zlib.crc32(px.astype("<i2").tobytes())
    assert (r["min"], r["max"]) == (int(px.min()), int(px.max())) == (-2000, 2278)


# --------------------------------------------------------------------------- outputs


def test_manifest_and_out_dir_verify(tree, tmp_path, capsys):
    from htj2k.archive import load_metadata

    manifest, out_dir = tmp_path / "manifest.json.gz", tmp_path / "frames"
    code, _, _ = run_cli(capsys, tree["good"], tree["images"], "--manifest", manifest, "--out-dir", out_dir, "--workers", "0")
    assert code == 0
    recs = load_metadata(manifest)
    assert len(recs) == 7
    assert sorted(r.frame_id + ".jph" for r in recs) == sorted(os.listdir(out_dir))
    ct = pydicom.dcmread(tree["good"] / "CT_small.dcm", stop_before_pixels=True)
    by_instance = {r.instance_uid: r for r in recs}
    e = by_instance[ct.SOPInstanceUID]
    assert e.series_uid == ct.SeriesInstanceUID and e.frame_size_in_bytes == 128 * 128 * 2
    for r in recs:
        v = htj2k.verify(out_dir / f"{r.frame_id}.jph", r.as_dict())
        assert v.ok, (r, v)
    doc = json.loads(__import__("gzip").decompress(manifest.read_bytes()))
    assert isinstance(doc, list) and len(doc) == 4  # 3 DICOM studies + the non-DICOM files
    assert cli.main(["verify", "--metadata", str(manifest), str(out_dir)]) == 0
    capsys.readouterr()


def test_manifest_single_study_is_one_document(tmp_path, capsys):
    manifest = tmp_path / "m.json"
    code, _, _ = run_cli(capsys, pydicom_file("SC_rgb_rle_2frame.dcm"), "--manifest", manifest, "--workers", "0")
    assert code == 0
    doc = json.loads(manifest.read_text())
    assert isinstance(doc, dict) and doc["SchemaVersion"]
    ((series_uid, series),) = doc["Study"]["Series"].items()
    ((sop, inst),) = series["Instances"].items()
    assert [len(f["PixelDataChecksumFromBaseToFullResolution"]) for f in inst["ImageFrames"]] == [6, 6]


def test_transcode_dicom(tmp_path, capsys):
    src = tmp_path / "in"
    names = ["CT_small.dcm", "SC_rgb_rle_2frame.dcm", "SC_ybr_full_422_uncompressed.dcm", "MR_small_bigendian.dcm",
             "liver_1frame.dcm"]
    for n in names:
        copy(n, src / "sub" / n)
    copy("rtplan.dcm", src / "rtplan.dcm")
    copy("MR_truncated.dcm", src / "MR_truncated.dcm")
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    code, _, _ = run_cli(capsys, src, "--transcode-dicom", out, "--json-out", report, "--workers", "2")
    assert code == 1  # MR_truncated
    files = files_of(load(report))
    for n in names:
        dest = out / "sub" / n
        assert files[n]["dicom_output"] == str(dest)
        back = pydicom.dcmread(dest)
        assert back.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.202"
        orig = pydicom.dcmread(src / "sub" / n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = orig.pixel_array
            b = back.pixel_array
        assert np.array_equal(a, b), n
        if int(orig.SamplesPerPixel) == 3:
            assert back.PhotometricInterpretation == ("YBR_FULL" if "ybr" in n else "RGB")
    assert not (out / "rtplan.dcm").exists() and not (out / "MR_truncated.dcm").exists()
    assert files["MR_truncated.dcm"]["dicom_output"] is None
    assert "not transcoded" in files["MR_truncated.dcm"]["reason"]


def test_transcoded_file_that_decodes_differently_is_not_kept(tmp_path, capsys, monkeypatch):
    import htj2k.dicom as hd

    real = hd.to_htj2k_dataset

    def swapped(ds, *, encoded_frames=None, **kw):  # frames in the wrong order
        return real(ds, encoded_frames=list(reversed(encoded_frames)), **kw)

    monkeypatch.setattr(hd, "to_htj2k_dataset", swapped)
    src = copy("SC_rgb_rle_2frame.dcm", tmp_path / "in" / "two.dcm")
    out, report = tmp_path / "out", tmp_path / "r.jsonl"
    code, _, _ = run_cli(capsys, src, "--transcode-dicom", out, "--json-out", report, "--workers", "0")
    assert code == 1
    recs = load(report)
    frames = frames_of(recs)
    assert [frames[("two.dcm", n)]["status"] for n in (1, 2)] == ["mismatch", "mismatch"]
    assert "transcoded DICOM file decodes to other pixels" in frames[("two.dcm", 1)]["error"]
    assert files_of(recs)["two.dcm"]["dicom_output"] is None
    assert not (out / "two.dcm").exists() and os.listdir(out) == []


def test_checksums_that_disagree_with_the_codestream_are_a_mismatch(tmp_path, capsys, monkeypatch):
    """The level checksums the encoder reports (from its own wavelet pass) are checked
    against the decoded codestream's: one wrong level makes the frame a mismatch."""
    from htj2k.tools.roundtrip import verify as rt_verify

    real = rt_verify.encode_frame

    def off_by_one(*a, **kw):
        data, sums = real(*a, **kw)
        sums[0] = htj2k.LevelChecksum(sums[0].level, sums[0].width, sums[0].height, sums[0].checksum ^ 1)
        return htj2k.EncodedFrame(data, sums)

    monkeypatch.setattr(rt_verify, "encode_frame", off_by_one)
    src = copy("CT_small.dcm", tmp_path / "in" / "ct.dcm")
    report = tmp_path / "r.jsonl"
    code, _, _ = run_cli(capsys, src, "--json-out", report, "--workers", "0")
    assert code == 1
    frame = frames_of(load(report))[("ct.dcm", 1)]
    assert frame["status"] == "mismatch"
    assert "pixel checksums differ from the codestream checksums at " in frame["error"]
    assert frame["pixel_checksums"][0]["Checksum"] == frame["checksums"][0]["Checksum"] ^ 1


@pytest.mark.parametrize("encoder", ["htj2k", "openjph"])
def test_encoder_option(tmp_path, capsys, encoder):
    src = copy("CT_small.dcm", tmp_path / "in" / "ct.dcm")
    report = tmp_path / "r.jsonl"
    code, _, _ = run_cli(capsys, src, "--json-out", report, "--workers", "0", "--encoder", encoder)
    assert code == 0
    recs = load(report)
    assert recs[0]["encoding"]["encoder"] == encoder
    assert frames_of(recs)[("ct.dcm", 1)]["status"] == "ok"
    with pytest.raises(ValueError, match="encoder"):
        roundtrip.run([str(src)], encoder="kakadu")


# --------------------------------------------------------------------------- faults, resume


def test_worker_crash_and_hang_then_resume(tree, tmp_path, capsys, monkeypatch):
    report = tmp_path / "r.jsonl"
    patch_run(monkeypatch, crash_on="MR_small.dcm", hang_on="CT_small.dcm")
    t0 = time.monotonic()
    code, out, _ = run_cli(capsys, tree["good"], tree["images"], "--json-out", report, "--workers", "2", "--timeout", "4")
    assert time.monotonic() - t0 < 60
    assert code == 1
    recs = load(report)
    files, frames = files_of(recs), frames_of(recs)
    assert files["MR_small.dcm"]["status"] == "failed"
    assert "worker crashed" in files["MR_small.dcm"]["reason"] and "SIGABRT" in files["MR_small.dcm"]["reason"]
    assert files["CT_small.dcm"]["status"] == "failed" and "timed out after 4 s" in files["CT_small.dcm"]["reason"]
    assert ("MR_small.dcm", 1) not in frames and ("CT_small.dcm", 1) not in frames
    for key in [("SC_rgb_rle_2frame.dcm", 1), ("SC_rgb_rle_2frame.dcm", 2), ("a.npy", 1), ("b.ppm", 1), ("c.j2c", 1)]:
        assert frames[key]["status"] == "ok"
    assert recs[-1]["files_failed"] == 2 and "failed: worker crashed" in out

    patch_run(monkeypatch)
    code, out, _ = run_cli(capsys, tree["good"], tree["images"], "--json-out", report, "--resume", report, "--workers", "2")
    assert code == 0, out
    recs = load(report)
    keys = [(r["file"], r["frame"]) for r in recs if r["record"] == "frame"]
    assert len(keys) == len(set(keys)) == 7
    files = files_of(recs)
    assert all(f["status"] == "done" for f in files.values())
    assert files["a.npy"]["frames"] == 1 and recs[-1]["exit_code"] == 0


def test_crash_mid_file_resume_processes_only_remaining_frames(tmp_path, capsys, monkeypatch):
    src = copy("SC_rgb_rle_16bit_2frame.dcm", tmp_path / "in" / "multi.dcm")
    report = tmp_path / "r.jsonl"
    patch_run(monkeypatch, crash_on="multi.dcm#2")
    code, _, _ = run_cli(capsys, src, "--json-out", report, "--workers", "1")
    assert code == 1
    recs = load(report)
    assert [r["frame"] for r in recs if r["record"] == "frame"] == [1]
    assert files_of(recs)["multi.dcm"]["status"] == "failed"
    patch_run(monkeypatch)
    new_report = tmp_path / "r2.jsonl"
    code, _, _ = run_cli(capsys, src, "--json-out", new_report, "--resume", report, "--workers", "1")
    assert code == 0
    recs = load(new_report)
    assert [r["frame"] for r in recs if r["record"] == "frame"] == [1, 2]
    assert files_of(recs)["multi.dcm"]["frames"] == 1  # only frame 2 was processed again
    assert recs[-1]["frames"] == 2 and recs[-1]["ok"] == 2


def test_in_process_mode_runs_no_frame_hook(tmp_path, capsys, monkeypatch):
    patch_run(monkeypatch, crash_on="CT_small")
    code, _, _ = run_cli(capsys, pydicom_file("CT_small.dcm"), "--workers", "0")
    assert code == 0


def _sigint_default() -> None:  # preexec_fn: in the child, before exec
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_faults_cli(*args: Any) -> subprocess.Popen:
    """``python -m helpers.roundtrip_faults ARGS`` (``htj2k roundtrip`` with crash/hang
    injection), started as from an interactive shell: in a session of its own (so that a
    test can signal its process group, as Ctrl-C in a terminal does, and kill whatever is
    left of it), and with SIGINT at its default disposition even when this test run
    inherited it ignored -- a background job of a non-interactive shell (``make test &``)
    ignores SIGINT, a Python started so never raises KeyboardInterrupt, and a test that
    sends SIGINT would wait for an exit that never comes."""
    env = dict(os.environ)
    env.pop("HTJ2K_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "helpers.roundtrip_faults", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=_sigint_default,
    )


def _signal_state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "?"
    return " ".join(line.replace("\t", "") for line in status.splitlines() if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def _kill_session(proc: subprocess.Popen) -> None:
    """SIGKILL to everything left of the run (the fork server, workers) -- a failed test
    must not leave a hung worker behind."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def communicate_after_interrupt(proc: subprocess.Popen, timeout: float = 60) -> Tuple[str, str]:
    """(stdout, stderr) once the interrupted run has exited and every process it started
    has closed its stdout and stderr; fails with what it was doing when that takes longer
    than ``timeout``."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        state = "exited" if proc.poll() is not None else f"still running ({_signal_state(proc.pid)})"
        ps = subprocess.run(["ps", "-o", "pid,ppid,stat,etime,args", "-s", str(proc.pid)], capture_output=True, text=True).stdout
        _kill_session(proc)
        out, err = proc.communicate()
        pytest.fail(f"no prompt exit {timeout:g} s after SIGINT: main process {state}\n{ps}\nstderr:\n{err[-3000:]}")


def load_partial(report: Path) -> List[Dict[str, Any]]:
    """The records of a report being written: a last line cut short is not one yet."""
    recs = []
    for line in report.read_text().splitlines():
        try:
            recs.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return recs


def assert_interrupted(proc: subprocess.Popen, err: str, report: Path) -> List[Dict[str, Any]]:
    """Exit 130, one line on stderr that names --resume, a valid partial report."""
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0] and "--resume" in lines[0], err
    recs = [json.loads(line) for line in report.read_text().splitlines()]  # every line is valid JSON
    assert recs[0]["record"] == "run" and all(r["record"] != "summary" for r in recs)
    return recs


@pytest.mark.parametrize("target", ["main process", "process group"])
def test_interrupt_leaves_valid_partial_report_and_resume(tree, tmp_path, target):
    """SIGINT while a worker hangs, to the main process or, as Ctrl-C in a terminal, to
    every process of the run (the workers and the fork server must not react)."""
    report = tmp_path / "r.jsonl"
    proc = start_faults_cli("--hang-on", "SC_rgb_rle_2frame.dcm#2", "--",
                            tree["good"], tree["images"], "--json-out", report, "--workers", "2")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # wait for frame 1 of the hanging file and the other files
            if report.exists():
                recs = load_partial(report)
                done = {Path(r["file"]).name for r in recs if r["record"] == "file"}
                if ("SC_rgb_rle_2frame.dcm", 1) in frames_of(recs) and len(done) >= 5:
                    break
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it was interrupted (exit {proc.returncode}): {proc.communicate()[1]}")
            time.sleep(0.2)
        else:
            pytest.fail("the run did not progress")
        if target == "main process":
            proc.send_signal(signal.SIGINT)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        out, err = communicate_after_interrupt(proc)
    finally:
        _kill_session(proc)
    recs = assert_interrupted(proc, err, report)
    assert ("SC_rgb_rle_2frame.dcm", 2) not in frames_of(recs)

    res = run_subprocess(tree["good"], tree["images"], "--json-out", report, "--resume", report, "--workers", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    recs = load(report)
    keys = [(r["file"], r["frame"]) for r in recs if r["record"] == "frame"]
    assert len(keys) == len(set(keys)) == 7 and recs[-1]["record"] == "summary"


def test_second_ctrl_c_during_shutdown_still_stops_every_worker(tree, tmp_path, monkeypatch):
    """Ctrl-C while the main process handles a record, then Ctrl-C again just as the pool
    shuts down: the second one must not cut the shutdown short (it did: its
    KeyboardInterrupt left the hung worker running after the run had returned)."""
    from helpers.roundtrip_faults import faults
    from htj2k.tools.roundtrip import executors

    started: List[Any] = []
    real_start, real_close = executors._LocalPool._start, executors._LocalPool.close

    def start(self):
        w = real_start(self)
        started.append(w["proc"])
        return w

    def close(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C
        return real_close(self, *args, **kwargs)

    class CtrlCAfterFiveFiles:  # the progress object: called in the main process per record
        def start(self, total): pass
        def stop(self): pass
        def update(self, files=None, frames=None):
            if files == 5:  # every file but the hanging one
                os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(executors._LocalPool, "_start", start)
    monkeypatch.setattr(executors._LocalPool, "close", close)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # even if this run ignores SIGINT
    try:
        result = roundtrip.run([tree["good"], tree["images"]], report=str(tmp_path / "r.jsonl"), workers=2,
                               timeout=120,  # the run ends even if Ctrl-C is not acted on: a failure, not a hang
                               progress=CtrlCAfterFiveFiles(), frame_hook=faults(hang_on="SC_rgb_rle_2frame.dcm#2"))
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
        left = [p for p in started if p.is_alive()]
        for p in left:
            p.kill()
            p.join(5)
    assert result.interrupted
    assert not left, "worker processes still running after the interrupted run returned"
    assert handler_after is signal.default_int_handler  # run() put it back
    assert ("SC_rgb_rle_2frame.dcm", 2) not in frames_of(load(tmp_path / "r.jsonl"))


def test_ctrl_c_while_the_worker_pool_starts(tree, tmp_path):
    """Ctrl-C in a terminal (SIGINT to the whole process group) while the fork server is
    still preloading its modules -- seconds on a loaded machine, made long here: the fork
    server only ignores SIGINT after that, and the workers it forks get Python's handler
    back; they must not die with a KeyboardInterrupt traceback. The run exits 130 with
    its one line and a valid (header-only) report."""
    report = tmp_path / "r.jsonl"
    marker = tmp_path / "forkserver-preloading"
    proc = start_faults_cli("--slow-start", "3", "--start-marker", marker, "--",
                            tree["good"], tree["images"], "--json-out", report, "--workers", "2")
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the fork server did not start (exit {proc.poll()}): {proc.communicate(timeout=60)[1]}")
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = communicate_after_interrupt(proc)
    finally:
        _kill_session(proc)
    recs = assert_interrupted(proc, err, report)
    assert [r["record"] for r in recs] == ["run"]


# --------------------------------------------------------------------------- dask


def _comparable(recs: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    # OpenJPH 0.9.0 may emit a few bytes more or less for some colour frames depending on
    # what the process encoded before (equally lossless); everything else must be equal.
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in recs]


@pytest.mark.timeout(300)
def test_dask_local_cluster_same_report(tree, tmp_path, capsys):
    pytest.importorskip("distributed")
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    paths = [tree["good"], tree["images"], tree["nonimage"], tree["truncated"]]
    code_l, _, _ = run_cli(capsys, *paths, "--json-out", local, "--workers", "2")
    code_d, out, err = run_cli(capsys, *paths, "--json-out", dask, "--dask", "local", "--workers", "2")
    assert code_l == code_d == 1, out + err
    a, b = load(local), load(dask)
    assert len(a) == len(b) == 1 + 8 + 11 + 1
    assert _comparable(a) == _comparable(b)


@pytest.mark.timeout(300)
def test_dask_worker_crash_marks_file_failed(tree, tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    patch_run(monkeypatch, crash_on="MR_small.dcm")
    report = tmp_path / "r.jsonl"
    code, out, err = run_cli(capsys, tree["good"], "--json-out", report, "--dask", "local", "--workers", "2")
    assert code == 1, out + err
    files = files_of(load(report))
    assert files["MR_small.dcm"]["status"] == "failed" and "worker crashed" in files["MR_small.dcm"]["reason"]
    assert files["CT_small.dcm"]["status"] == "done" and files["SC_rgb_rle_2frame.dcm"]["status"] == "done"


def test_rich_summary_shows_file_names_as_they_are(tmp_path, capsys, monkeypatch):
    pytest.importorskip("rich")
    from htj2k.cli.roundtrip import _print_rich_summary

    odd = tmp_path / "CT [contrast]" / "img[" / "x].npy"  # the path holds "[contrast]" and "[/x]"
    odd.parent.mkdir(parents=True)
    np.save(odd, np.arange(64, dtype=np.uint8).reshape(8, 8))
    monkeypatch.chdir(tmp_path)
    result = roundtrip.run(["."], workers=0)
    assert result.exit_code == 0
    capsys.readouterr()
    assert _print_rich_summary(result, verbose=False)  # no MarkupError
    out = capsys.readouterr().out
    assert "CT [contrast]/img[/x].npy" in out


def test_frames_per_second_counts_only_frames_processed_now(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        np.save(src / f"{i}.npy", np.full((8, 8), i, np.uint8))
    report = tmp_path / "r.jsonl"
    first = roundtrip.run([str(src)], report=str(report), workers=0)
    assert first.resumed_frames == 0 and first.counts["frames"] == 3
    np.save(src / "3.npy", np.full((8, 8), 3, np.uint8))
    again = roundtrip.run([str(src)], report=str(report), resume=str(report), workers=0)
    assert again.counts["frames"] == 4 and again.resumed_frames == 3
    assert again.frames_per_second == pytest.approx(1 / again.elapsed)
