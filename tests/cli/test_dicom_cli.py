"""DICOM files as input to the command line (``info``, ``decode --frame``, ``encode``,
``checksums``) and ``htj2k extract``, on pydicom's own files, the shared CT fixture and
HTJ2K DICOM files made with our pydicom encoder plugin."""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import htj2k

import pydicom  # noqa: E402  (in the test extra: never skipped)
import htj2k.dicom as hd  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.uid import HTJ2KLosslessRPCL  # noqa: E402

from helpers.cli import ok, run, user_error  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def pydicom_file(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.fail(f"{name} is not in the pydicom wheel")
    return Path(path)


def shared_ct(shared_dir) -> Path:
    path = shared_dir / "data" / "dicom" / "CT1_UNC.dcm"
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} missing")
        pytest.skip(f"{path} missing")
    return path


def read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


@pytest.fixture(scope="module")
def rgb2(tmp_path_factory):
    """A two-frame RGB HTJ2K Lossless RPCL file and its pixels."""
    ds = read(pydicom_file("SC_rgb_rle_2frame.dcm"))
    ds.decompress()
    pixels = ds.pixel_array.copy()
    ds.compress(HTJ2KLosslessRPCL, encoding_plugin="htj2k")
    path = tmp_path_factory.mktemp("dcm") / "rgb2.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path, pixels


def test_info_htj2k_dicom_per_frame(rgb2):
    path, _ = rgb2
    p = ok(run("info", path))
    assert "1.2.840.10008.1.2.4.202" in p.stdout and "2 frames of 100x100 x3" in p.stdout
    assert "frame 1: HTJ2K codestream" in p.stdout and "frame 2: HTJ2K codestream" in p.stdout
    assert p.stdout.count("progression       RPCL") == 2
    doc = json.loads(ok(run("info", path, "--json")).stdout)[0]
    assert doc["dicom"]["number_of_frames"] == 2 and len(doc["frames"]) == 2
    assert all(f["codestream"]["has_tlm"] and f["codestream"]["levels"] == 5 for f in doc["frames"])


def test_info_native_dicom_and_codestream_together(tmp_path):
    ct = pydicom_file("CT_small.dcm")
    j2c = tmp_path / "a.j2c"
    j2c.write_bytes(htj2k.encode(np.zeros((8, 8), np.uint8)))
    p = ok(run("info", ct, j2c))
    assert "Explicit VR Little Endian" in p.stdout and "frame 1: 128x128" in p.stdout
    assert "16 of 16 bits signed" in p.stdout and f"{j2c}\n  container" in p.stdout


def test_decode_frame(rgb2, tmp_path):
    path, pixels = rgb2
    out = tmp_path / "f2.npy"
    ok(run("decode", path, out, "--frame", "2"))
    assert np.array_equal(np.load(out), pixels[1])
    ok(run("decode", path, tmp_path / "thumb.npy", "--frame", "1", "--level", "2"))
    assert np.load(tmp_path / "thumb.npy").shape == (25, 25, 3)
    user_error(run("decode", path, out), words=("2 frames", "--frame N"))
    user_error(run("decode", path, out, "--frame", "3"), words=("frames 1..2",))


def test_decode_native_dicom(tmp_path, shared_dir):
    ct = shared_ct(shared_dir)
    out = tmp_path / "ct.npy"
    ok(run("decode", ct, out))
    assert np.array_equal(np.load(out), read(ct).pixel_array)
    user_error(run("decode", ct, out, "--level", "1"), words=("HTJ2K pixel data",))


def test_encode_native_dicom_frames(tmp_path):
    mr = pydicom_file("MR_small.dcm")
    ok(run("encode", mr, tmp_path / "mr.jph"))
    data = (tmp_path / "mr.jph").read_bytes()
    inf = htj2k.info(data)
    assert inf.container == "jph" and inf.bit_depth == 16 and inf.signed
    assert np.array_equal(htj2k.decode(data), read(mr).pixel_array)
    ds = read(pydicom_file("SC_rgb_rle_2frame.dcm"))
    p = ok(run("encode", pydicom_file("SC_rgb_rle_2frame.dcm"), tmp_path / "rgb.j2c"))
    assert "frame 2 ->" in p.stdout
    for n in (1, 2):
        assert np.array_equal(htj2k.decode((tmp_path / f"rgb-{n}.j2c").read_bytes()), ds.pixel_array[n - 1])
    ok(run("encode", pydicom_file("SC_rgb_rle_2frame.dcm"), tmp_path / "one.j2c", "--frame", "2"))
    assert np.array_equal(htj2k.decode((tmp_path / "one.j2c").read_bytes()), ds.pixel_array[1])


def test_encode_respects_bits_stored(tmp_path):
    ds = read(pydicom_file("examples_overlay.dcm"))  # 12 of 16 bits
    assert ds.BitsStored == 12
    path = tmp_path / "twelve.dcm"
    ds.save_as(path)
    ok(run("encode", path, tmp_path / "t.j2c"))
    assert htj2k.info((tmp_path / "t.j2c").read_bytes()).bit_depth == 12
    ds.BitsStored, ds.HighBit = 10, 9  # stored values now exceed BitsStored: refused, not clipped
    ds.save_as(path)
    user_error(run("encode", path, tmp_path / "t.j2c"), words=("BitsStored",))


def test_checksums_native_equal_checksums_of_the_encoded_frame(tmp_path, shared_dir):
    ct = shared_ct(shared_dir)
    native = json.loads(ok(run("checksums", ct, "--json")).stdout)
    ok(run("encode", ct, tmp_path / "ct.j2c"))
    coded = json.loads(ok(run("checksums", tmp_path / "ct.j2c", "--json")).stdout)
    assert native[0]["Checksums"] == coded[0]["Checksums"]
    px = read(ct).pixel_array
    assert (native[0]["MinPixelValue"], native[0]["MaxPixelValue"]) == (int(px.min()), int(px.max()))


def test_checksums_htj2k_dicom_from_the_codestream(rgb2, tmp_path):
    path, pixels = rgb2
    doc = json.loads(ok(run("checksums", path, "--json")).stdout)
    assert [d["file"] for d in doc] == [f"{path}#1", f"{path}#2"]
    ds = read(path)
    for i, d in enumerate(doc):
        cs = pydicom.encaps.get_frame(ds.PixelData, i, number_of_frames=2)
        assert d["Checksums"] == [c.as_archive_dict() for c in htj2k.checksums(cs)]
    manifest = tmp_path / "m.json"
    ok(run("checksums", path, "--manifest", manifest))
    from htj2k.archive import load_metadata

    assert [r.frame_id for r in load_metadata(manifest)] == ["rgb2-1", "rgb2-2"]


def test_checksums_signed_bits_stored(tmp_path):
    """Signed 12-bit data in 16-bit words: checksummed at 12 bits, signed."""
    ds = read(pydicom_file("CT_small.dcm"))
    px = np.clip(ds.pixel_array, -2048, 2047).astype("<i2")
    ds.BitsStored, ds.HighBit = 12, 11
    ds.PixelData = px.tobytes()
    path = tmp_path / "s12.dcm"
    ds.save_as(path)
    doc = json.loads(ok(run("checksums", path, "--json")).stdout)[0]
    want = htj2k.pixel_checksums(px, 5, bit_depth=12, signed=True)
    assert [c["Checksum"] for c in doc["Checksums"]] == [c.checksum for c in want]


def test_extract(rgb2, tmp_path):
    path, pixels = rgb2
    out = tmp_path / "frames"
    p = ok(run("extract", path, out))
    assert "frame 2 ->" in p.stdout
    ds = read(path)
    for n in (1, 2):
        data = (out / f"rgb2-{n}.j2c").read_bytes()
        assert data == pydicom.encaps.get_frame(ds.PixelData, n - 1, number_of_frames=2)
        assert np.array_equal(htj2k.decode(data), pixels[n - 1])
    ok(run("extract", path, out, "--frame", "1", "--prefix", "x", "-q"))
    assert (out / "x-1.j2c").is_file() and not (out / "x-2.j2c").exists()
    ok(run("extract", path, out, "--jph", "-q"))
    for n in (1, 2):
        jph = (out / f"rgb2-{n}.jph").read_bytes()
        assert htj2k.info(jph).container == "jph"
        assert jph.endswith((out / f"rgb2-{n}.j2c").read_bytes())  # the codestream, byte for byte
        assert np.array_equal(htj2k.decode(jph), pixels[n - 1])
    user_error(run("extract", pydicom_file("CT_small.dcm"), out), words=("not HTJ2K",))
    user_error(run("extract", tmp_path / "nope.dcm", out), words=("nope.dcm",))


def test_not_dicom_with_dicom_extension(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not a dicom file at all")
    user_error(run("info", bad), code=1, words=("bad.dcm",))
    user_error(run("decode", bad, tmp_path / "o.npy"), words=("bad.dcm",))


def test_api_frames_from_path_bytes_and_stream(rgb2):
    path, pixels = rgb2
    data = path.read_bytes()

    class StreamingBody:
        def __init__(self, b):
            self.b = b

        def read(self):
            return self.b

    for source in (path, str(path), data, StreamingBody(data)):
        fs = list(hd.frames(source))
        assert [f.number for f in fs] == [1, 2]
        assert all(np.array_equal(f.pixels, pixels[i]) for i, f in enumerate(fs))
        assert all(f.codestream and htj2k.verify(f.codestream, [c.as_archive_dict() for c in f.pixel_checksums()]).ok
                   for f in fs)
    assert list(hd.codestreams(data, [1]))[0] == pydicom.encaps.get_frame(read(path).PixelData, 1, number_of_frames=2)
    with pytest.raises(hd.DicomImageError, match="not HTJ2K"):
        list(hd.codestreams(pydicom_file("CT_small.dcm")))
    with pytest.raises(hd.DicomImageError):
        hd.read_dataset(b"garbage")


# --------------------------------------------------------------------------- verify


def _archive_metadata(tmp_path, path, instance_uid, corrupt_frame=None):
    """Metadata as the archive nests it: the frames of one instance, by its UID, with
    opaque frame IDs (the archive's hashes), from the checksums of our own command."""
    from htj2k.archive import FrameRecord, build_metadata, dump_metadata, load_metadata

    manifest = tmp_path / "m.json"
    ok(run("checksums", path, "--manifest", manifest))
    recs = []
    for i, r in enumerate(load_metadata(manifest)):
        sums = r.checksums
        if corrupt_frame == i + 1:
            last = sums[-1]
            sums = sums[:-1] + (type(last)(last.level, last.width, last.height, last.checksum ^ 1),)
        recs.append(FrameRecord(**{**r.__dict__, "frame_id": f"{i:032x}", "checksums": sums,
                                   "series_uid": "1.2.3", "instance_uid": instance_uid}))
    meta = tmp_path / "archive.json.gz"
    dump_metadata(build_metadata(recs, image_set_id="46923b66d5522e4241615ecd64637584"), meta)
    return manifest, meta


def test_verify_htj2k_dicom_against_metadata(rgb2, tmp_path):
    path, _ = rgb2
    uid = str(read(path).SOPInstanceUID)
    manifest, meta = _archive_metadata(tmp_path, path, uid)
    rep = json.loads(ok(run("verify", "--metadata", manifest, path, "--json")).stdout)  # by frame IDs
    assert rep["ok"] and [f["file"] for f in rep["frames"]] == [f"{path}#1", f"{path}#2"]
    rep = json.loads(ok(run("verify", "--metadata", meta, path, "--json")).stdout)  # by SOP Instance UID
    assert rep["ok"] and rep["summary"]["ok"] == 2
    _, bad = _archive_metadata(tmp_path, path, uid, corrupt_frame=2)
    p = run("verify", "--metadata", bad, path)
    assert p.returncode == 1 and "mismatch" in p.stdout and f"{path}#2" not in p.stderr


def test_verify_native_dicom_against_metadata(tmp_path, shared_dir):
    ct = shared_ct(shared_dir)
    _, meta = _archive_metadata(tmp_path, ct, str(read(ct).SOPInstanceUID))
    rep = json.loads(ok(run("verify", "--metadata", meta, ct, "--json")).stdout)
    assert rep["ok"] and rep["frames"][0]["levels_matched"] == 6
    other = pydicom_file("CT_small.dcm")
    user_error(run("verify", "--metadata", meta, other), words=("no frame of the metadata",))
