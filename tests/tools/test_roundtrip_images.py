"""``htj2k roundtrip`` on PNG and TIFF files written by Pillow and tifffile: every
frame (every TIFF page) verified at the bit depth the file declares."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import htj2k
from htj2k import cli

from PIL import Image  # noqa: E402  (in the test extra: never skipped)
import tifffile  # noqa: E402


def test_png_and_multipage_tiff(tmp_path, capsys):
    rng = np.random.default_rng(3)
    grey16 = rng.integers(0, 65535, (40, 50), endpoint=True).astype(np.uint16)
    rgb8 = rng.integers(0, 255, (33, 21, 3), endpoint=True).astype(np.uint8)
    stack = rng.integers(0, 4095, (3, 24, 20), endpoint=True).astype(np.uint16)
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    Image.fromarray(rgb8).save(tmp_path / "rgb8.png")
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    tifffile.imwrite(tmp_path / "rgb.tiff", rgb8, photometric="rgb")
    report, out_dir = tmp_path / "r.jsonl", tmp_path / "out"
    code = cli.main(["roundtrip", str(tmp_path), "--json-out", str(report), "--workers", "0",
                     "--out-dir", str(out_dir)])
    capsys.readouterr()
    assert code == 0
    recs = [json.loads(line) for line in report.read_text().splitlines()]
    frames = {(Path(r["file"]).name, r["frame"]): r for r in recs if r["record"] == "frame"}
    assert set(frames) == {("grey16.png", 1), ("rgb8.png", 1), ("stack.tif", 1), ("stack.tif", 2),
                           ("stack.tif", 3), ("rgb.tiff", 1)}
    assert all(r["status"] == "ok" for r in frames.values())
    files = {Path(r["file"]).name: r for r in recs if r["record"] == "file"}
    assert files["stack.tif"]["format"] == "tiff" and files["grey16.png"]["format"] == "png"
    for n in range(3):
        jph = Path(frames[("stack.tif", n + 1)]["output"])
        assert np.array_equal(htj2k.decode(jph.read_bytes()), stack[n])
        assert htj2k.info(jph.read_bytes()).bit_depth == 16  # what the TIFF declares
    want = htj2k.pixel_checksums(grey16, 5, bit_depth=16)
    assert [c["Checksum"] for c in frames[("grey16.png", 1)]["checksums"]] == [c.checksum for c in want]
