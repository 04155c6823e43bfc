"""PNG and TIFF on the command line: encode from files written by Pillow and tifffile
(every TIFF page a frame), decode to PNG/TIFF by the output extension, checksums of
PNG pixels, and a missing optional package named in one line with exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

import htj2k

from helpers.cli import ok, run, user_error

from PIL import Image  # noqa: E402  (in the test extra: never skipped)
import tifffile  # noqa: E402
RNG = np.random.default_rng(11)


def test_encode_png_and_decode_back_to_png(tmp_path):
    a = RNG.integers(0, 65535, (30, 41), endpoint=True).astype(np.uint16)
    Image.fromarray(a).save(tmp_path / "g16.png")
    ok(run("encode", tmp_path / "g16.png", tmp_path / "g16.jph"))
    data = (tmp_path / "g16.jph").read_bytes()
    assert htj2k.info(data).bit_depth == 16 and np.array_equal(htj2k.decode(data), a)
    ok(run("decode", tmp_path / "g16.jph", tmp_path / "back.png"))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "back.png")), a)


def test_encode_rgb_png_at_its_bit_depth(tmp_path):
    rgb = RNG.integers(0, 255, (20, 17, 3), endpoint=True).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    ok(run("encode", tmp_path / "rgb.png", tmp_path / "rgb.j2c", "--lossy", "--qstep", "0.001"))
    inf = htj2k.info((tmp_path / "rgb.j2c").read_bytes())
    assert inf.bit_depth == 8 and inf.colour_transform and not inf.reversible


def test_multipage_tiff_to_frames_and_decode_to_tiff(tmp_path):
    stack = RNG.integers(0, 4095, (3, 16, 24), endpoint=True).astype(np.uint16)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    p = ok(run("encode", tmp_path / "s.tif", tmp_path / "s.j2c"))
    assert "page 3 ->" in p.stdout
    for n in range(3):
        assert np.array_equal(htj2k.decode((tmp_path / f"s-{n + 1}.j2c").read_bytes()), stack[n])
    ok(run("encode", tmp_path / "s.tif", tmp_path / "two.j2c", "--frame", "2"))
    assert np.array_equal(htj2k.decode((tmp_path / "two.j2c").read_bytes()), stack[1])
    ok(run("decode", tmp_path / "s-2.j2c", tmp_path / "p2.tiff"))
    assert np.array_equal(tifffile.imread(tmp_path / "p2.tiff"), stack[1])


def test_signed_decode_to_tiff_not_png(tmp_path):
    a = RNG.integers(-2000, 2000, (12, 10)).astype(np.int16)
    (tmp_path / "s.j2c").write_bytes(htj2k.encode(a))
    ok(run("decode", tmp_path / "s.j2c", tmp_path / "s.tif"))
    assert np.array_equal(tifffile.imread(tmp_path / "s.tif"), a)
    user_error(run("decode", tmp_path / "s.j2c", tmp_path / "s.png"), words=("PNG holds", "use .tif"))


def test_checksums_of_png_pixels(tmp_path):
    a = RNG.integers(0, 255, (64, 48), endpoint=True).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "g.png")
    doc = json.loads(ok(run("checksums", tmp_path / "g.png", "--json")).stdout)[0]
    assert [c["Checksum"] for c in doc["Checksums"]] == [c.checksum for c in htj2k.pixel_checksums(a, 5, bit_depth=8)]


@pytest.mark.parametrize("module,args", [
    ("tifffile", ("encode", "s.tif", "o.j2c")),
    ("PIL", ("decode", "a.j2c", "o.png")),
])
def test_missing_optional_package_one_line_exit_2(tmp_path, module, args):
    blocker = tmp_path / "blocked"
    (blocker / module).mkdir(parents=True)
    (blocker / module / "__init__.py").write_text(
        f"raise ModuleNotFoundError(\"No module named '{module}'\", name={module!r})\n")
    tifffile.imwrite(tmp_path / "s.tif", np.zeros((4, 4), np.uint8))
    (tmp_path / "a.j2c").write_bytes(htj2k.encode(np.zeros((4, 4), np.uint8)))
    p = run(*[tmp_path / a if "." in a else a for a in args], env_extra={"PYTHONPATH": str(blocker)})
    user_error(p, words=(f"optional package {module}", "pip install 'htj2k[images]'"))


def test_checksums_of_every_tiff_page(tmp_path):
    stack = RNG.integers(0, 4095, (3, 32, 40), endpoint=True).astype(np.uint16)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    doc = json.loads(ok(run("checksums", tmp_path / "s.tif", "--json")).stdout)
    assert [d["file"] for d in doc] == [f"{tmp_path / 's.tif'}#{k}" for k in (1, 2, 3)]
    for d, page in zip(doc, stack):
        want = htj2k.pixel_checksums(page, 5, bit_depth=16)
        assert [c["Checksum"] for c in d["Checksums"]] == [c.checksum for c in want]
    one = json.loads(ok(run("checksums", tmp_path / "s.tif", "--frame", "2", "--json")).stdout)
    assert one == [doc[1]]
    ok(run("checksums", tmp_path / "s.tif", "--manifest", tmp_path / "m.json"))
    from htj2k.archive import load_metadata

    assert [r.frame_id for r in load_metadata(tmp_path / "m.json")] == ["s-1", "s-2", "s-3"]
