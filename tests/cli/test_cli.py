"""The ``htj2k`` command line, run as ``python -m htj2k`` in a subprocess."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

htj2k = pytest.importorskip("htj2k")
from htj2k import cli
from htj2k import io as image_io  # noqa: E402

from helpers.cli import ok, run, user_error  # noqa: E402


def _rng():
    return np.random.default_rng(20240601)


def gray12():
    y, x = np.mgrid[0:48, 0:64]
    a = (x * 40 + y * 30 + _rng().integers(0, 200, (48, 64))) % 4096
    return a.astype(np.uint16)


def gray8():
    return _rng().integers(0, 255, (33, 47), dtype=np.uint8, endpoint=True)


def rgb8():
    y, x = np.mgrid[0:40, 0:56]
    base = np.stack([x * 4, y * 6, (x + y) * 2], axis=-1) + _rng().integers(0, 20, (40, 56, 3))
    return np.clip(base, 0, 255).astype(np.uint8)


def signed16():
    return _rng().integers(-32768, 32767, (30, 20), dtype=np.int16, endpoint=True)


ARRAYS = {"gray12": (gray12, 12), "gray8": (gray8, None), "rgb8": (rgb8, None), "signed16": (signed16, None)}

LINE = re.compile(r"^(?P<src>\S+) -> (?P<dst>\S+): (?P<w>\d+)x(?P<h>\d+) x(?P<c>\d+), (?P<b>\d+)-bit( signed)?, "
                  r"(?P<n>\d+) bytes \(ratio [\d.]+:1\)$")


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("ext", [".j2c", ".jph"])
def test_npy_roundtrip(tmp_path, name, ext):
    make, bits = ARRAYS[name]
    a = make()
    src, cs, back = tmp_path / "in.npy", tmp_path / ("out" + ext), tmp_path / "back.npy"
    np.save(src, a)
    args = ["encode", src, cs] + (["--bit-depth", bits] if bits else [])
    p = ok(run(*args))
    m = LINE.match(p.stdout.strip())
    assert m, p.stdout
    h, w = a.shape[:2]
    assert (int(m["w"]), int(m["h"]), int(m["c"])) == (w, h, a.shape[2] if a.ndim == 3 else 1)
    assert int(m["b"]) == (bits or a.dtype.itemsize * 8)
    assert int(m["n"]) == cs.stat().st_size
    assert htj2k.info(cs).container == ("jph" if ext == ".jph" else "j2c")
    ok(run("decode", cs, back))
    b = np.load(back)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_pgm_12bit_roundtrip(tmp_path):
    a = gray12()
    src, cs, back = tmp_path / "ct.pgm", tmp_path / "ct.j2c", tmp_path / "back.pgm"
    image_io.write_image(src, a, bit_depth=12)
    p = ok(run("encode", src, cs))
    assert ", 12-bit," in p.stdout  # bit depth taken from maxval 4095
    inf = htj2k.info(cs)
    assert inf.bit_depth == 12 and not inf.signed and inf.reversible
    ok(run("decode", cs, back))
    assert back.read_bytes().startswith(b"P5\n64 48\n4095\n")
    np.testing.assert_array_equal(image_io.read_image(back), a)
    # and to .npy / .pnm
    ok(run("decode", cs, tmp_path / "back.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "back.npy"), a)
    ok(run("decode", cs, tmp_path / "back.pnm"))
    np.testing.assert_array_equal(image_io.read_image(tmp_path / "back.pnm"), a)


def test_pgm_8bit_and_ascii_input(tmp_path):
    a = gray8()
    src = tmp_path / "g.pgm"
    body = " ".join(str(v) for v in a.ravel())
    src.write_text(f"P2\n# ascii\n{a.shape[1]} {a.shape[0]}\n255\n{body}\n")
    ok(run("encode", src, tmp_path / "g.jph", "-q"))
    ok(run("decode", tmp_path / "g.jph", tmp_path / "g2.pgm", "--quiet"))
    assert (tmp_path / "g2.pgm").read_bytes().startswith(b"P5\n47 33\n255\n")
    np.testing.assert_array_equal(image_io.read_image(tmp_path / "g2.pgm"), a)


def test_ppm_roundtrip(tmp_path):
    a = rgb8()
    src, cs, back = tmp_path / "c.ppm", tmp_path / "c.j2c", tmp_path / "back.ppm"
    image_io.write_image(src, a)
    p = ok(run("encode", src, cs))
    assert ": 56x40 x3, 8-bit," in p.stdout
    assert htj2k.info(cs).colour_transform
    ok(run("decode", cs, back))
    assert back.read_bytes().startswith(b"P6\n56 40\n255\n")
    np.testing.assert_array_equal(image_io.read_image(back), a)


def test_no_colour_transform(tmp_path):
    src = tmp_path / "c.ppm"
    image_io.write_image(src, rgb8())
    ok(run("encode", src, tmp_path / "c.j2c", "--no-colour-transform"))
    assert not htj2k.info(tmp_path / "c.j2c").colour_transform
    ok(run("decode", tmp_path / "c.j2c", tmp_path / "c.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), rgb8())


@pytest.mark.parametrize("dtype", ["uint16", "int16", "uint8"])
def test_raw_roundtrip(tmp_path, dtype):
    a = (gray12() if dtype != "int16" else signed16()).astype(dtype) if dtype != "uint8" else gray8()
    src, cs, back = tmp_path / "in.raw", tmp_path / "out.j2c", tmp_path / "back.raw"
    src.write_bytes(a.astype(np.dtype(dtype).newbyteorder("<")).tobytes())
    shape = "x".join(str(d) for d in a.shape)
    ok(run("encode", src, cs, "--shape", shape, "--dtype", dtype))
    p = ok(run("decode", cs, back))
    # the line names what to pass to read the raw file back
    assert f"--shape {shape} --dtype {dtype}" in p.stdout
    assert back.read_bytes() == a.astype(np.dtype(dtype).newbyteorder("<")).tobytes()
    np.testing.assert_array_equal(image_io.read_image(back, shape=shape, dtype=dtype), a)


def test_raw_big_endian_input(tmp_path):
    a = gray12()
    (tmp_path / "be.raw").write_bytes(a.astype(">u2").tobytes())
    ok(run("encode", tmp_path / "be.raw", tmp_path / "be.j2c", "--shape", "48x64", "--dtype", ">u2", "--bit-depth", "12"))
    ok(run("decode", tmp_path / "be.j2c", tmp_path / "be.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "be.npy"), a)


def test_raw_rgb(tmp_path):
    a = rgb8()
    src = tmp_path / "in.raw"
    src.write_bytes(a.tobytes())
    ok(run("encode", src, tmp_path / "o.j2c", "--shape", "40x56x3", "--dtype", "uint8"))
    ok(run("decode", tmp_path / "o.j2c", tmp_path / "o.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), a)


def test_decode_level(tmp_path):
    a = gray12()
    np.save(tmp_path / "a.npy", a)
    ok(run("encode", tmp_path / "a.npy", tmp_path / "a.j2c", "--bit-depth", "12", "--levels", "3"))
    for level in (1, 2, 3):
        out = tmp_path / f"l{level}.npy"
        ok(run("decode", tmp_path / "a.j2c", out, "--level", level))
        b = np.load(out)
        f = 2**level
        assert b.shape == (-(-48 // f), -(-64 // f))
        np.testing.assert_array_equal(b, htj2k.decode(tmp_path / "a.j2c", level=level))
    ok(run("decode", tmp_path / "a.j2c", tmp_path / "l1.pgm", "--level", "1"))
    assert image_io.read_image(tmp_path / "l1.pgm").shape == (24, 32)
    user_error(run("decode", tmp_path / "a.j2c", tmp_path / "l9.npy", "--level", "9"))


def test_encode_options_reach_the_codestream(tmp_path):
    a = gray12()
    np.save(tmp_path / "a.npy", a)
    cs = tmp_path / "a.j2c"
    ok(run(
        "encode", tmp_path / "a.npy", cs, "--bit-depth", "12", "--levels", "2", "--block-size", "32x16",
        "--progression", "lrcp", "--precincts", "64x64,32x32", "--tile-size", "32x32",
    ))
    inf = htj2k.info(cs)
    assert inf.levels == 2
    assert tuple(inf.block_size) == (32, 16)
    assert inf.progression == "LRCP"
    assert tuple(inf.tile_size) == (32, 32)
    assert tuple(inf.tiles) == (2, 2)
    assert inf.precincts and tuple(inf.precincts[0]) == (64, 64)
    ok(run("decode", cs, tmp_path / "b.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), a)


def test_lossy(tmp_path):
    a = gray12()
    np.save(tmp_path / "a.npy", a)
    ok(run("encode", tmp_path / "a.npy", tmp_path / "a.j2c", "--bit-depth", "12", "--lossy", "--qstep", "0.001"))
    assert not htj2k.info(tmp_path / "a.j2c").reversible
    ok(run("decode", tmp_path / "a.j2c", tmp_path / "b.npy"))
    b = np.load(tmp_path / "b.npy")
    assert b.shape == a.shape and b.dtype == a.dtype
    assert np.abs(b.astype(int) - a.astype(int)).mean() < 50
    ok(run("encode", tmp_path / "a.npy", tmp_path / "c.j2c", "--bit-depth", "12", "--qstep", "0.01"))
    assert not htj2k.info(tmp_path / "c.j2c").reversible


def test_tlm_and_tileparts(tmp_path):
    np.save(tmp_path / "a.npy", gray8())
    # every release (our tile-part writer where OpenJPH < 0.10 cannot divide)
    ok(run("encode", tmp_path / "a.npy", tmp_path / "a.j2c", "--tlm", "--tileparts", "r"))
    inf = htj2k.info(tmp_path / "a.j2c")
    assert inf.has_tlm and inf.tile_parts == inf.levels + 1 > 1
    ok(run("decode", tmp_path / "a.j2c", tmp_path / "b.npy"))
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), gray8())


# --------------------------------------------------------------------------- info


@pytest.fixture
def two_files(tmp_path):
    np.save(tmp_path / "g.npy", gray12())
    np.save(tmp_path / "c.npy", rgb8())
    ok(run("encode", tmp_path / "g.npy", tmp_path / "g.j2c", "--bit-depth", "12", "--levels", "3"))
    ok(run("encode", tmp_path / "c.npy", tmp_path / "c.jph"))
    return tmp_path / "g.j2c", tmp_path / "c.jph"


def test_info_text(two_files):
    g, c = two_files
    p = ok(run("info", g))
    out = p.stdout
    assert out.splitlines()[0] == str(g)
    for words in ("size", "64x48", "1 x 12-bit unsigned", "levels", "3, reversible", "RPCL", "block size",
                  "64x64", "precincts", "tiles", "layers", "TLM", "PLT", "level sizes", "supported", "yes"):
        assert words in out, (words, out)
    sizes = htj2k.info(g).level_sizes
    assert " -> ".join(f"{w}x{h}" for w, h in sizes) in out
    assert "8x6 -> " in out and "-> 64x48" in out


def test_info_several_files(two_files):
    g, c = two_files
    p = ok(run("info", g, c))
    blocks = p.stdout.strip().split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith(str(g)) and blocks[1].startswith(str(c))
    assert "jph" in blocks[1] and "3 x 8-bit unsigned" in blocks[1]


def test_info_json(two_files):
    g, c = two_files
    p = ok(run("info", "--json", g, c))
    data = json.loads(p.stdout)
    assert isinstance(data, list) and len(data) == 2
    assert data[0]["file"] == str(g) and data[1]["file"] == str(c)
    expect = htj2k.info(g).as_dict()
    for key in ("width", "height", "levels", "reversible", "progression", "container", "supported"):
        assert data[0][key] == expect[key]
    assert (data[0]["width"], data[0]["height"]) == (64, 48)
    assert data[0]["components"] == [{"bit_depth": 12, "signed": False, "subsampling": [1, 1]}]
    assert data[1]["container"] == "jph" and len(data[1]["components"]) == 3
    assert [list(s) for s in expect["level_sizes"]] == data[0]["level_sizes"]


def test_info_bad_file_among_good(two_files, tmp_path):
    g, c = two_files
    bad = tmp_path / "bad.j2c"
    bad.write_bytes(b"this is not a codestream at all" * 10)
    p = run("info", g, tmp_path / "missing.j2c", bad, c)
    assert p.returncode == 2  # a missing file: 2, as in every subcommand (the others are still shown)
    assert "Traceback" not in p.stderr
    errs = p.stderr.splitlines()
    assert len(errs) == 2 and all(e.startswith("htj2k: error: ") for e in errs)
    assert "missing.j2c" in errs[0] and "bad.j2c" in errs[1]
    assert str(g) in p.stdout and str(c) in p.stdout
    # --json still lists every file, with an "error" entry for the bad ones
    p = run("info", "--json", g, bad)
    assert p.returncode == 1  # the command ran, one file is not a codestream
    data = json.loads(p.stdout)
    assert data[0]["file"] == str(g) and "width" in data[0]
    assert data[1]["file"] == str(bad) and "error" in data[1]


# --------------------------------------------------------------------------- errors


def test_missing_input(tmp_path):
    user_error(run("encode", tmp_path / "nope.npy", tmp_path / "o.j2c"), words=["nope.npy"])
    user_error(run("decode", tmp_path / "nope.j2c", tmp_path / "o.npy"), words=["nope.j2c"])
    user_error(run("encode", tmp_path / "nope.pgm", tmp_path / "o.j2c"), words=["nope.pgm"])
    assert not (tmp_path / "o.j2c").exists()


def test_garbage_inputs(tmp_path):
    g = tmp_path / "garbage.j2c"
    g.write_bytes(os.urandom(300))
    user_error(run("decode", g, tmp_path / "o.npy"), words=["garbage.j2c"])
    assert not (tmp_path / "o.npy").exists()
    user_error(run("info", g), code=1, words=["garbage.j2c"])
    (tmp_path / "empty.j2c").write_bytes(b"")
    user_error(run("decode", tmp_path / "empty.j2c", tmp_path / "o.npy"), words=["empty"])
    (tmp_path / "bad.pgm").write_bytes(b"P5\n10 10\n255\n" + b"\x00" * 5)
    user_error(run("encode", tmp_path / "bad.pgm", tmp_path / "o.j2c"), words=["bad.pgm", "truncated"])
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    user_error(run("encode", tmp_path / "bad.npy", tmp_path / "o.j2c"), words=["bad.npy"])
    # a truncated codestream
    np.save(tmp_path / "a.npy", gray8())
    ok(run("encode", tmp_path / "a.npy", tmp_path / "a.j2c"))
    (tmp_path / "t.j2c").write_bytes((tmp_path / "a.j2c").read_bytes()[:40])
    user_error(run("decode", tmp_path / "t.j2c", tmp_path / "t.npy"), words=["t.j2c"])


@pytest.mark.parametrize(
    "opts",
    [
        ["--levels", "-1"],
        ["--levels", "abc"],
        ["--block-size", "64x"],
        ["--block-size", "0x64"],
        ["--precincts", "256x256,foo"],
        ["--progression", "XYZ"],
        ["--qstep", "0"],
        ["--qstep", "nan"],
        ["--bit-depth", "0"],
        ["--bit-depth", "40"],
        ["--tileparts", "Q"],
        ["--tile-size", "-5"],
        ["--colour-transform", "--no-colour-transform"],
        ["--no-such-option"],
    ],
)
def test_bad_option_values(tmp_path, opts):
    np.save(tmp_path / "a.npy", gray8())
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "o.j2c", *opts))
    assert not (tmp_path / "o.j2c").exists()


@pytest.mark.parametrize(
    "opts",
    [
        ["--block-size", "128x128"],  # area > 4096
        ["--block-size", "48x48"],  # not a power of two
        ["--bit-depth", "4"],  # values do not fit 4 bits
        ["--bit-depth", "9"],  # does not fit uint8
        ["--levels", "20"],  # too many for 33x47
        ["--colour-transform"],  # one component
    ],
)
def test_values_the_codec_refuses(tmp_path, opts):
    np.save(tmp_path / "a.npy", gray8())
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "o.j2c", *opts))


def test_usage_errors(tmp_path):
    user_error(run())
    user_error(run("frobnicate"))
    user_error(run("encode"))
    user_error(run("encode", "only-one.npy"))
    user_error(run("decode", "a.j2c", "b.npy", "--level", "x"))
    user_error(run("info"))


def test_raw_needs_shape_and_dtype(tmp_path):
    (tmp_path / "a.raw").write_bytes(b"\x00" * 100)
    user_error(run("encode", tmp_path / "a.raw", tmp_path / "o.j2c"), words=["--shape"])
    user_error(run("encode", tmp_path / "a.raw", tmp_path / "o.j2c", "--shape", "10x10"), words=["dtype"])
    user_error(run("encode", tmp_path / "a.raw", tmp_path / "o.j2c", "--shape", "10x10", "--dtype", "uint16"),
               words=["wrong size"])
    user_error(run("encode", tmp_path / "a.raw", tmp_path / "o.j2c", "--shape", "10", "--dtype", "uint8"))
    user_error(run("encode", tmp_path / "a.raw", tmp_path / "o.j2c", "--shape", "10x10", "--dtype", "float32"))
    ok(run("encode", tmp_path / "a.raw", tmp_path / "o.j2c", "--shape", "10x10", "--dtype", "uint8"))
    np.save(tmp_path / "a.npy", gray8())
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "p.j2c", "--shape", "10x10"), words=[".raw"])


def test_decode_int16_to_pgm_refused(tmp_path):
    np.save(tmp_path / "s.npy", signed16())
    ok(run("encode", tmp_path / "s.npy", tmp_path / "s.j2c"))
    line = user_error(run("decode", tmp_path / "s.j2c", tmp_path / "s.pgm"), words=["int16", ".npy"])
    assert "s.pgm" in line
    assert not (tmp_path / "s.pgm").exists()
    # RGB to .pgm and grey to .ppm are refused too
    np.save(tmp_path / "c.npy", rgb8())
    ok(run("encode", tmp_path / "c.npy", tmp_path / "c.j2c"))
    user_error(run("decode", tmp_path / "c.j2c", tmp_path / "c.pgm"), words=[".ppm"])
    np.save(tmp_path / "g.npy", gray8())
    ok(run("encode", tmp_path / "g.npy", tmp_path / "g.j2c"))
    user_error(run("decode", tmp_path / "g.j2c", tmp_path / "g.ppm"), words=[".pgm"])


def test_wrong_extensions(tmp_path):
    np.save(tmp_path / "a.npy", gray8())
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "o.npy"), words=["decode"])
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "o.jp2"), words=["JP2"])
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "o.png"))
    user_error(run("encode", tmp_path / "a.bmp", tmp_path / "o.j2c"), words=["unsupported image format"])
    ok(run("encode", tmp_path / "a.npy", tmp_path / "a.j2c"))
    user_error(run("encode", tmp_path / "a.j2c", tmp_path / "b.j2c"), words=["codestream"])
    user_error(run("decode", tmp_path / "a.j2c", tmp_path / "b.j2c"), words=["codestream"])
    user_error(run("decode", tmp_path / "a.j2c", tmp_path / "b.gif"), words=["unsupported image format"])
    user_error(run("decode", tmp_path / "a.npy", tmp_path / "b.npy"), words=["image file"])


def test_output_directory_missing(tmp_path):
    np.save(tmp_path / "a.npy", gray8())
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "no" / "such" / "o.j2c"), words=["o.j2c"])


def test_debug_env_shows_traceback(tmp_path):
    p = run("decode", tmp_path / "nope.j2c", tmp_path / "o.npy", env_extra={"HTJ2K_DEBUG": "1"})
    assert p.returncode != 0 and "Traceback" in p.stderr


def test_help_and_version():
    p = ok(run("--help"))
    for name in ("encode", "decode", "info"):
        assert name in p.stdout
    assert "--qstep" in ok(run("encode", "--help")).stdout
    p = ok(run("--version"))
    assert p.stdout.startswith("htj2k ")


# --------------------------------------------------------------------------- in-process API of cli


def test_main_returns_int(tmp_path, capsys):
    np.save(tmp_path / "a.npy", gray8())
    assert cli.main(["encode", str(tmp_path / "a.npy"), str(tmp_path / "a.j2c"), "-q"]) == 0
    assert cli.main(["decode", str(tmp_path / "a.j2c"), str(tmp_path / "b.npy"), "-q"]) == 0
    assert cli.main(["decode", str(tmp_path / "x.j2c"), str(tmp_path / "b.npy")]) == 2
    assert cli.main(["encode", "--levels", "q", "a.npy", "b.j2c"]) == 2
    assert cli.main(["--help"]) == 0
    err = capsys.readouterr().err
    assert err.count("htj2k: error:") == 2


def test_command_table(monkeypatch, capsys):
    seen = {}

    def add(p):
        p.add_argument("--n", type=int, default=1)

    def run_cmd(args):
        seen["n"] = args.n
        return 0 if args.n else 5

    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + (cli.Command("zz-test", "a test command", add, run_cmd),))
    assert cli.main(["zz-test", "--n", "4"]) == 0 and seen["n"] == 4
    assert cli.main(["zz-test", "--n", "0"]) == 5
    assert cli.main(["zz-test", "--n", "x"]) == 2
    assert "zz-test" in cli.build_parser().format_help()



def test_unexpected_error_exit_3(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("kaput\nsecond line")

    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + (cli.Command("zz-boom", "fails", lambda p: None, boom),))
    monkeypatch.delenv("HTJ2K_DEBUG", raising=False)
    assert cli.main(["zz-boom"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("htj2k: error: ") and "kaput second line" in err
    monkeypatch.setenv("HTJ2K_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["zz-boom"])


def test_demo_runs_offline():
    p = subprocess.run(
        [sys.executable, "-m", "htj2k.demo", "--repeat", "1"], capture_output=True, text=True, timeout=600
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert "synthetic CT 512x512" in p.stdout and "12u" in p.stdout
    assert "all " in p.stdout and "losslessly" in p.stdout


def test_missing_optional_dependency_is_a_usage_error(monkeypatch, capsys):
    def needs_pydicom(args):
        raise ModuleNotFoundError("No module named 'pydicom'", name="pydicom")

    def broken_import(args):
        raise ModuleNotFoundError("No module named 'htj2k._nothing'", name="htj2k._nothing")

    monkeypatch.delenv("HTJ2K_DEBUG", raising=False)
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + (cli.Command("zz-dcm", "x", lambda p: None, needs_pydicom),
                                                         cli.Command("zz-bug", "x", lambda p: None, broken_import)))
    assert cli.main(["zz-dcm"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'htj2k[dicom]'" in err
    assert cli.main(["zz-bug"]) == 3  # not an optional dependency: a bug, reported as internal
    assert "internal error" in capsys.readouterr().err


def test_lossy_needs_a_step(tmp_path):
    """--lossy alone would write OpenJPH's default step: a "lossy" file larger than
    the lossless one. It is refused, naming --qstep."""
    np.save(tmp_path / "a.npy", gray12())
    user_error(run("encode", tmp_path / "a.npy", tmp_path / "a.j2c", "--bit-depth", "12", "--lossy"),
               words=["--qstep"])
    assert not (tmp_path / "a.j2c").exists()


def test_a_stack_of_frames_is_not_an_image(tmp_path):
    np.save(tmp_path / "stack.npy", np.zeros((20, 16, 16), np.uint8))
    user_error(run("encode", tmp_path / "stack.npy", tmp_path / "s.j2c"), words=["16 components", "encode_many"])


def test_encode_with_our_encoder(tmp_path):
    a = gray12()
    np.save(tmp_path / "a.npy", a)
    for enc in ("htj2k", "openjph"):
        ok(run("encode", tmp_path / "a.npy", tmp_path / f"{enc}.j2c", "--bit-depth", "12", "--encoder", enc,
               "--threads", "2", "-q"))
        np.testing.assert_array_equal(htj2k.decode((tmp_path / f"{enc}.j2c").read_bytes()), a)
    assert htj2k.info(tmp_path / "htj2k.j2c").comments == ("htj2k HT encoder",)
    ok(run("encode", tmp_path / "a.npy", tmp_path / "lossy.j2c", "--bit-depth", "12", "--encoder", "htj2k",
           "--qstep", "0.01", "-q"))
    assert htj2k.info(tmp_path / "lossy.j2c").comments == ("htj2k HT encoder",)
    assert htj2k.info(tmp_path / "lossy.j2c").reversible is False
    np.save(tmp_path / "deep.npy", np.zeros((8, 8), np.uint32))  # what ours refuses: more than 24 bits
    user_error(run("encode", tmp_path / "deep.npy", tmp_path / "x.j2c", "--encoder", "htj2k", "--bit-depth", "25"),
               words=("encoder 'htj2k'", "bit_depth"))


def test_encode_prints_the_level_checksums(tmp_path):
    a = gray12()
    np.save(tmp_path / "a.npy", a)
    out = ok(run("encode", tmp_path / "a.npy", tmp_path / "a.j2c", "--bit-depth", "12", "--checksums", "-q"))
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["frame"] == str(tmp_path / "a.j2c")
    assert line["checksums"] == [c.as_archive_dict() for c in htj2k.checksums(tmp_path / "a.j2c")]
