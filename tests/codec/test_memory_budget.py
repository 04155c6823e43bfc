"""The memory budget (max_memory): the working memory a decode needs is estimated
from the header before anything is allocated, and a decode above the budget is
refused with LimitExceededError naming the estimate (default 2 GiB)."""

from __future__ import annotations

import re
import struct
import subprocess
import sys

import numpy as np
import pytest

import htj2k
from helpers.cli import run, user_error

needs_openjpeg = pytest.mark.skipif(not htj2k.features()["openjpeg"], reason="built without OpenJPEG")


def _declaring(width: int, height: int, bit_depth: int = 8) -> bytes:
    """A tiny single-tile codestream whose SIZ declares width x height (Xsiz, Ysiz,
    XTsiz, YTsiz at bytes 8..31: SOC, SIZ marker, Lsiz, Rsiz come first)."""
    dtype = np.uint8 if bit_depth <= 8 else np.uint32
    cs = bytearray(htj2k.encode(np.zeros((64, 64), dtype), levels=0, bit_depth=bit_depth))
    struct.pack_into(">IIIIII", cs, 8, width, height, 0, 0, width, height)
    return bytes(cs)


def _estimate(e: Exception) -> int:
    m = re.search(r"needs an estimated .* of working memory, more than max_memory=(\d+) bytes \((\d+) bytes", str(e))
    assert m, str(e)
    return int(m.group(2))


def _child_peak_mib(code: str) -> float:
    """Peak resident memory (VmHWM) of a fresh interpreter running `code`, in MiB."""
    script = code + "\nprint(int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.split()[-1]) / 1024


@pytest.mark.parametrize("decoder", ["auto", "openjph", pytest.param("openjpeg", marks=needs_openjpeg)])
def test_tiny_file_declaring_a_huge_image_is_refused(decoder):
    data = _declaring(65536, 32768)
    assert len(data) < 6000
    for call in (lambda: htj2k.decode(data, decoder=decoder), lambda: htj2k.decode_planes(data, decoder=decoder)):
        with pytest.raises(htj2k.LimitExceededError) as e:
            call()
        assert _estimate(e.value) > htj2k.DEFAULT_MAX_MEMORY
        assert "output image 2048 MiB" in str(e.value)
    # checksums stream the lines (no output image): only the decoder's own memory
    # counts, small for OpenJPH (the whole 2**31-sample stream checksums in ~45 MB)
    with pytest.raises(htj2k.LimitExceededError) as e:
        htj2k.checksums(data, max_memory=1)
    assert "output image" not in str(e.value)
    assert _estimate(e.value) < 256 << 20


def test_refusal_allocates_nothing():
    """Within max_pixels (2**31 samples) the 65536x32768 declaration used to take
    2.1 GB (10.5 GB with OpenJPEG); refused, the process stays small."""
    base = _child_peak_mib("import htj2k")
    peak = _child_peak_mib(
        "import struct, numpy as np, htj2k\n"
        "cs = bytearray(htj2k.encode(np.zeros((64, 64), np.uint8), levels=0))\n"
        "struct.pack_into('>IIIIII', cs, 8, 65536, 32768, 0, 0, 65536, 32768)\n"
        "for d in ('auto', 'openjpeg'):\n"
        "    try: htj2k.decode(bytes(cs), decoder=d)\n"
        "    except htj2k.LimitExceededError: pass\n"
        "    else: raise SystemExit('decoded')\n")
    assert peak - base < 50, (base, peak)


def test_deep_huge_declaration_is_refused():
    data = _declaring(32768, 32768, bit_depth=20)
    with pytest.raises(htj2k.LimitExceededError) as e:
        htj2k.decode(data)
    assert _estimate(e.value) >= 4 << 30  # 4-byte samples: the output image alone is 4 GiB


def test_budget_is_configurable_around_the_estimate():
    img = np.random.default_rng(0).integers(0, 4096, (300, 200)).astype(np.uint16)
    data = htj2k.encode(img, bit_depth=12)
    assert np.array_equal(htj2k.decode(data), img)
    with pytest.raises(htj2k.LimitExceededError) as e:
        htj2k.decode(data, max_memory=1)
    need = _estimate(e.value)
    assert img.nbytes < need < 64 * img.nbytes
    assert np.array_equal(htj2k.decode(data, max_memory=need), img)
    with pytest.raises(htj2k.LimitExceededError):
        htj2k.decode(data, max_memory=need - 1)
    with pytest.raises(htj2k.LimitExceededError):
        htj2k.checksums(data, max_memory=need // 4)
    assert htj2k.checksums(data, max_memory=need) == htj2k.checksums(data)
    assert htj2k.decode_many([data], max_memory=need)[0].shape == img.shape
    assert isinstance(htj2k.decode_many([data], max_memory=need - 1)[0], htj2k.LimitExceededError)
    assert isinstance(htj2k.checksums_many([data], max_memory=need // 4)[0], htj2k.LimitExceededError)
    good = htj2k.checksums(data)
    assert htj2k.verify(data, good, max_memory=need).ok
    v = htj2k.verify(data, good, max_memory=need // 4)
    assert not v.ok and "LimitExceededError" in v.error
    assert not htj2k.verify_many([data], [good], max_memory=need // 4)[0].ok


@needs_openjpeg
def test_estimate_is_above_the_measured_peak():
    """The estimate over-counts (within a small factor), never under-counts: the
    peak resident memory a real decode adds stays below it."""
    img = np.random.default_rng(1).integers(0, 65536, (1024, 1024)).astype(np.uint16)
    data = htj2k.encode(img)
    for decoder in ("openjph", "openjpeg"):
        with pytest.raises(htj2k.LimitExceededError) as e:
            htj2k.decode(data, decoder=decoder, max_memory=1)
        need_mib = _estimate(e.value) / 2**20
        code = (f"import htj2k\nd = open({str(_tmp_file(data))!r}, 'rb').read()\n"
                "h = lambda: int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])\n"
                f"b = h(); htj2k.decode(d, decoder={decoder!r}); print((h() - b) // 1024)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        used_mib = int(out.stdout.split()[0])
        assert used_mib <= need_mib <= 4 * max(used_mib, 8), (decoder, used_mib, need_mib)


def _tmp_file(data: bytes):
    import tempfile
    from pathlib import Path

    f = tempfile.NamedTemporaryFile(suffix=".j2c", delete=False)
    f.write(data)
    f.close()
    return Path(f.name)


@pytest.mark.parametrize("bad,exc", [(0, ValueError), (-5, ValueError), (2**64, ValueError),
                                     (True, TypeError), (1.5, TypeError), ("1G", TypeError)])
def test_bad_max_memory_values(bad, exc):
    data = htj2k.encode(np.zeros((8, 8), np.uint8))
    for f in (htj2k.decode, htj2k.decode_planes, htj2k.checksums):
        with pytest.raises(exc):
            f(data, max_memory=bad)
    with pytest.raises(exc):
        htj2k.decode_many([data], max_memory=bad)
    with pytest.raises(exc):
        htj2k.verify(data, htj2k.checksums(data), max_memory=bad)


def test_cli_max_memory(tmp_path):
    src = tmp_path / "a.j2c"
    src.write_bytes(htj2k.encode(np.random.default_rng(0).integers(0, 256, (64, 64)).astype(np.uint8)))
    user_error(run("decode", src, tmp_path / "a.npy", "--max-memory", "1K"),
               words=("max_memory=1024", "working memory"))
    assert run("decode", src, tmp_path / "a.npy", "--max-memory", "1G").returncode == 0
    user_error(run("decode", src, tmp_path / "a.npy", "--max-memory", "lots"), words=("--max-memory",))
    bad = run("checksums", src, "--max-memory", "1K")
    assert bad.returncode != 0 and "max_memory=1024" in bad.stderr and "Traceback" not in bad.stderr
    assert run("checksums", src, "--max-memory", "64M").returncode == 0
    huge = tmp_path / "huge.j2c"
    huge.write_bytes(_declaring(65536, 32768))
    out = run("decode", huge, tmp_path / "h.npy")
    assert out.returncode != 0 and "working memory" in out.stderr and "Traceback" not in out.stderr


def _need(call) -> tuple:
    """(estimate in bytes, message) of `call` refused with max_memory=1."""
    with pytest.raises(htj2k.LimitExceededError) as e:
        call(1)
    return _estimate(e.value), str(e.value)


@needs_openjpeg
def test_deep_23_bit_huge_declaration_is_refused():
    data = _declaring(32768, 32768, bit_depth=23)
    for decoder in ("auto", "openjpeg"):
        with pytest.raises(htj2k.LimitExceededError) as e:
            htj2k.decode(data, decoder=decoder)
        # 4 GiB output, + OpenJPEG's int32 image where OpenJPEG decodes (23 bits go
        # to OpenJPEG with OpenJPH 0.9.0; 0.21.2 decodes them itself under auto)
        assert _estimate(e.value) >= (8 << 30 if "openjpeg" in (decoder, htj2k.info(data).decoder) else 4 << 30)


def test_streamed_checksums_are_budgeted_without_the_output_image():
    img = np.random.default_rng(2).integers(0, 4096, (512, 512)).astype(np.uint16)
    data = htj2k.encode(img, bit_depth=12)  # one component: level 0 streamed, lower levels derived
    decode_need, _ = _need(lambda m: htj2k.decode(data, max_memory=m))
    sums_need, msg = _need(lambda m: htj2k.checksums(data, max_memory=m))
    assert "output image" not in msg
    assert sums_need <= decode_need - img.nbytes
    assert htj2k.checksums(data, max_memory=sums_need) == htj2k.checksums(data)
    with pytest.raises(htj2k.LimitExceededError):
        htj2k.decode(data, max_memory=sums_need)


def test_checksums_keeping_the_image_count_it_and_the_pyramid():
    # two components without colour transform: decoded whole, lower levels derived
    # from a 32-bit copy (the level pyramid), checked before either is allocated
    img = np.random.default_rng(3).integers(0, 256, (256, 256, 2)).astype(np.uint8)
    data = htj2k.encode(img)
    first, _ = _need(lambda m: htj2k.checksums(data, max_memory=m))
    with pytest.raises(htj2k.LimitExceededError) as e:
        htj2k.checksums(data, max_memory=first)
    assert str(e.value).startswith("checksumming needs") and "level pyramid" in str(e.value)
    whole = _estimate(e.value)
    assert whole >= first + img.nbytes + 4 * img.size - max(first, 4 * img.size)
    assert htj2k.checksums(data, max_memory=whole) == htj2k.pixel_checksums(img, 5, colour_transform=False)


@needs_openjpeg
def test_auto_does_not_retry_with_openjpeg_beyond_the_budget():
    """OpenJPH fails part-way on damaged code-block bytes and "auto" decodes again
    with OpenJPEG; when OpenJPEG's estimate exceeds the budget (and OpenJPH's does
    not) the stream is decoded with OpenJPH alone and its own error reported."""
    rng = np.random.default_rng(1)
    img = (np.add.outer(np.arange(512), np.arange(512)) // 2).astype(np.uint8)
    img ^= rng.integers(0, 16, img.shape, dtype=np.uint8)
    bad = bytearray(htj2k.encode(img, levels=2))
    sod = bad.index(b"\xff\x93") + 2
    bad[sod + int((len(bad) - sod) * 0.9)] = 0
    bad = bytes(bad)
    with pytest.raises(htj2k.InvalidCodestreamError) as e:
        htj2k.decode(bad)
    if "(OpenJPEG:" not in str(e.value):
        pytest.skip("the linked OpenJPH does not fail part-way on this stream")
    ojph, _ = _need(lambda m: htj2k.decode(bad, decoder="openjph", max_memory=m))
    opj, _ = _need(lambda m: htj2k.decode(bad, decoder="openjpeg", max_memory=m))
    assert ojph < opj
    with pytest.raises(htj2k.InvalidCodestreamError) as e:
        htj2k.decode(bad, max_memory=(ojph + opj) // 2)
    assert "OpenJPH" in str(e.value) and "(OpenJPEG:" not in str(e.value)
    good = htj2k.encode(img, levels=2)  # fits with OpenJPH: not refused for the fallback
    assert np.array_equal(htj2k.decode(good, max_memory=(ojph + opj) // 2), img)


@needs_openjpeg
def test_openjpeg_taking_over_beyond_the_budget_is_refused():
    """A stream the packet pre-parse finds OpenJPH would misread goes to OpenJPEG
    under "auto"; beyond the budget that is a LimitExceededError naming both."""
    img = np.random.default_rng(0).integers(-128, 128, (513, 513, 3)).astype(np.int8)
    data = htj2k.encode(img, levels=1, block_size=(4, 4), progression="LRCP", colour_transform=False,
                        precincts=[(8, 8)])
    try:
        htj2k.decode(data, decoder="openjph", max_memory=1 << 40)
        pytest.skip("the linked OpenJPH decodes this stream")
    except htj2k.UnsupportedCodestreamError:
        pass
    ojph, _ = _need(lambda m: htj2k.decode(data, decoder="openjph", max_memory=m))
    opj, _ = _need(lambda m: htj2k.decode(data, decoder="openjpeg", max_memory=m))
    assert ojph < opj
    with pytest.raises(htj2k.LimitExceededError) as e:
        htj2k.decode(data, max_memory=(ojph + opj) // 2)
    assert str(e.value).startswith("decoding with OpenJPEG (packet of tile 0")
    assert _estimate(e.value) == opj
    assert np.array_equal(htj2k.decode(data, max_memory=opj), img)


def test_cli_verify_and_checksums_max_memory(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    src = frames / "f1.j2c"
    src.write_bytes(htj2k.encode(np.random.default_rng(0).integers(0, 256, (64, 64)).astype(np.uint8)))
    meta = tmp_path / "meta.json"
    assert run("checksums", src, "--manifest", meta).returncode == 0
    user_error(run("checksums", src, "--max-memory", "1K"), words=("max_memory=1024", "working memory"))
    assert run("verify", "--metadata", meta, frames, "--max-memory", "512M").returncode == 0
    out = run("verify", "--metadata", meta, frames, "--max-memory", "1K")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "undecodable" in out.stdout and "max_memory=1024" in out.stdout
    for bad in ("0", "-1", "4X", ""):
        user_error(run("decode", src, tmp_path / "a.npy", "--max-memory", bad), words=("--max-memory",))
