"""Readers and writers of htj2k.io (pure Python: no C++ extension needed)."""

import os

import numpy as np
import pytest

from htj2k import io as image_io

ImageFormatError = image_io.ImageFormatError
read_image = image_io.read_image
write_image = image_io.write_image


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _assert_one_line_naming(exc_info, path):
    msg = str(exc_info.value)
    assert "\n" not in msg
    assert os.fspath(path) in msg
    return msg


# --------------------------------------------------------------------------- npy


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32])
@pytest.mark.parametrize("shape", [(7, 5), (4, 6, 3)])
def test_npy_roundtrip(tmp_path, dtype, shape):
    rng = np.random.default_rng(1)
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    p = tmp_path / "a.npy"
    write_image(p, a)
    b = read_image(p)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_npy_path_without_appended_suffix(tmp_path):
    p = tmp_path / "A.NPY"  # upper-case extension is accepted and not renamed
    write_image(p, np.zeros((2, 2), np.uint8))
    assert p.exists() and not (tmp_path / "A.NPY.npy").exists()
    assert read_image(p).shape == (2, 2)


def test_npy_object_array_refused(tmp_path):
    p = tmp_path / "obj.npy"
    np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ImageFormatError) as e:
        read_image(p)
    assert "pickle" in _assert_one_line_naming(e, p)


@pytest.mark.parametrize("data", [b"", b"garbage not npy", b"\x93NUMPY\x01\x00"])
def test_npy_garbage(tmp_path, data):
    p = _write(tmp_path / "bad.npy", data)
    with pytest.raises(ImageFormatError) as e:
        read_image(p)
    _assert_one_line_naming(e, p)


def test_npy_truncated(tmp_path):
    p = tmp_path / "t.npy"
    np.save(p, np.arange(1000, dtype=np.uint16))
    p.write_bytes(p.read_bytes()[:-10])
    with pytest.raises(ImageFormatError) as e:
        read_image(p)
    _assert_one_line_naming(e, p)


def test_npz_refused(tmp_path):
    p = tmp_path / "x.npy"
    with open(p, "wb") as f:
        np.savez(f, a=np.zeros(3))
    with pytest.raises(ImageFormatError):
        read_image(p)


# --------------------------------------------------------------------------- PNM reading


def test_read_p5_8bit(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    p = _write(tmp_path / "a.pgm", b"P5\n4 3\n255\n" + a.tobytes())
    b = read_image(p)
    assert b.dtype == np.uint8 and b.shape == (3, 4)
    np.testing.assert_array_equal(a, b)
    assert image_io.pnm_bit_depth(p) == 8


def test_read_p5_16bit_big_endian(tmp_path):
    a = np.array([[0, 1, 256], [4095, 4094, 1000]], dtype=np.uint16)
    p = _write(tmp_path / "a.pgm", b"P5 3 2 4095\n" + a.astype(">u2").tobytes())
    b = read_image(p)
    assert b.dtype == np.uint16 and b.dtype.isnative
    np.testing.assert_array_equal(a, b)
    assert image_io.pnm_bit_depth(p) == 12
    h = image_io.read_pnm_header(p)
    assert (h.magic, h.width, h.height, h.maxval, h.components) == ("P5", 3, 2, 4095, 1)


def test_read_p6(tmp_path):
    a = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    p = _write(tmp_path / "a.ppm", b"P6\n3 2\n255\n" + a.tobytes())
    b = read_image(p)
    assert b.shape == (2, 3, 3)
    np.testing.assert_array_equal(a, b)


def test_read_p6_16bit(tmp_path):
    a = (np.arange(2 * 2 * 3, dtype=np.uint16).reshape(2, 2, 3) * 5000)
    p = _write(tmp_path / "a.ppm", b"P6\n2 2\n65535\n" + a.astype(">u2").tobytes())
    np.testing.assert_array_equal(read_image(p), a)


def test_read_comments_and_whitespace(tmp_path):
    a = np.array([[1, 2], [3, 4]], dtype=np.uint8)
    hdr = b"P5 # comment after magic\n# full-line comment\n2\t2 # size\n\n  15\r" + a.tobytes()
    p = _write(tmp_path / "c.pnm", hdr)
    np.testing.assert_array_equal(read_image(p), a)
    assert image_io.pnm_bit_depth(p) == 4


def test_raster_may_start_with_whitespace_or_hash_byte(tmp_path):
    # after the single whitespace following maxval, bytes are samples even if they
    # look like whitespace or '#'
    a = np.array([[ord("\n"), ord("#"), ord(" "), 0]], dtype=np.uint8)
    p = _write(tmp_path / "w.pgm", b"P5\n4 1\n255\n" + a.tobytes())
    np.testing.assert_array_equal(read_image(p), a)


def test_trailing_data_ignored(tmp_path):
    a = np.array([[9, 8]], dtype=np.uint8)
    p = _write(tmp_path / "t.pgm", b"P5\n2 1\n255\n" + a.tobytes() + b"P5\n1 1\n255\n\x00")
    np.testing.assert_array_equal(read_image(p), a)


def test_read_p2_ascii(tmp_path):
    p = _write(tmp_path / "a.pgm", b"P2\n# ascii\n3 2\n1023\n0 1 2\n1023 # c\n 5\n6\n")
    b = read_image(p)
    assert b.dtype == np.uint16
    np.testing.assert_array_equal(b, [[0, 1, 2], [1023, 5, 6]])
    assert image_io.pnm_bit_depth(p) == 10


def test_read_p3_ascii(tmp_path):
    p = _write(tmp_path / "a.ppm", b"P3 2 1 255  255 0 0   0 255 7")
    b = read_image(p)
    assert b.dtype == np.uint8 and b.shape == (1, 2, 3)
    np.testing.assert_array_equal(b, [[[255, 0, 0], [0, 255, 7]]])


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "truncated"),
        (b"P", "truncated"),
        (b"XY\n2 2\n255\n....", "not a PGM/PPM"),
        (b"\x89PNG\r\n\x1a\n", "not a PGM/PPM"),
        (b"P4\n2 2\n\x00\x00", "PBM"),
        (b"P1\n2 2\n0 1 1 0", "PBM"),
        (b"P7\nWIDTH 2\n", "PAM"),
        (b"P5\n2 2\n", "truncated"),
        (b"P5\n2\n", "truncated"),
        (b"P5\nab 2\n255\n....", "expected a number"),
        (b"P5\n2 2x\n255\n....", "expected a number"),
        (b"P5\n-2 2\n255\n....", "expected a number"),
        (b"P5\n0 2\n255\n", "size"),
        (b"P5\n2 2\n0\n....", "maxval"),
        (b"P5\n2 2\n65536\n........", "maxval"),
        (b"P5\n2 2\n99999999999999\n....", "too large"),
        (b"P52 2 255\n....", "whitespace"),
        (b"P5\n2 2\n255", "truncated"),
        (b"P5\n2 2\n255x...", "expected a number"),
    ],
)
def test_malformed_pnm_headers(tmp_path, data, words):
    p = _write(tmp_path / "bad.pgm", data)
    with pytest.raises(ImageFormatError) as e:
        read_image(p)
    msg = _assert_one_line_naming(e, p)
    assert words in msg


@pytest.mark.parametrize(
    "data",
    [
        b"P5\n4 4\n255\n" + b"\x00" * 15,
        b"P5\n2 2\n4095\n" + b"\x00" * 7,
        b"P6\n2 2\n255\n" + b"\x00" * 11,
        b"P6\n100000 100000\n65535\n" + b"\x00" * 16,  # huge declared size: no huge allocation
        b"P2\n2 2\n255\n1 2 3",
        b"P3\n1 1\n255\n1 2",
    ],
)
def test_truncated_pnm(tmp_path, data):
    p = _write(tmp_path / "t.ppm", data)
    with pytest.raises(ImageFormatError) as e:
        read_image(p)
    assert "truncated" in _assert_one_line_naming(e, p)


def test_sample_above_maxval(tmp_path):
    p = _write(tmp_path / "m.pgm", b"P5\n2 1\n100\n\x05\xc8")
    with pytest.raises(ImageFormatError, match="exceeds maxval"):
        read_image(p)
    p2 = _write(tmp_path / "m2.pgm", b"P2\n2 1\n100\n5 101\n")
    with pytest.raises(ImageFormatError, match="exceeds maxval"):
        read_image(p2)


def test_bad_ascii_sample(tmp_path):
    p = _write(tmp_path / "a.pgm", b"P2\n2 1\n255\n5 x1\n")
    with pytest.raises(ImageFormatError, match="not a sample value"):
        read_image(p)


def test_missing_file_is_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_image(tmp_path / "nope.pgm")


# --------------------------------------------------------------------------- PNM writing


@pytest.mark.parametrize("ext", [".pgm", ".pnm"])
def test_write_p5_roundtrip_8bit(tmp_path, ext):
    a = np.random.default_rng(2).integers(0, 255, (13, 17), dtype=np.uint8, endpoint=True)
    p = tmp_path / ("g" + ext)
    write_image(p, a)
    assert p.read_bytes().startswith(b"P5\n17 13\n255\n")
    assert len(p.read_bytes()) == len(b"P5\n17 13\n255\n") + a.size
    np.testing.assert_array_equal(read_image(p), a)


def test_write_p5_16bit_with_bit_depth(tmp_path):
    a = np.random.default_rng(3).integers(0, 4095, (9, 11), dtype=np.uint16, endpoint=True)
    p = tmp_path / "g.pgm"
    write_image(p, a, bit_depth=12)
    raw = p.read_bytes()
    hdr = b"P5\n11 9\n4095\n"
    assert raw.startswith(hdr)
    assert raw[len(hdr):] == a.astype(">u2").tobytes()  # big-endian samples
    assert image_io.pnm_bit_depth(p) == 12
    b = read_image(p)
    assert b.dtype == np.uint16
    np.testing.assert_array_equal(b, a)


def test_write_default_maxval_16bit(tmp_path):
    a = np.array([[0, 65535]], dtype=np.uint16)
    p = tmp_path / "g.pgm"
    write_image(p, a)
    assert p.read_bytes().startswith(b"P5\n2 1\n65535\n")
    np.testing.assert_array_equal(read_image(p), a)


def test_write_uint16_with_8bit_depth_uses_single_bytes(tmp_path):
    a = np.array([[0, 200, 255]], dtype=np.uint16)
    p = tmp_path / "g.pgm"
    write_image(p, a, bit_depth=8)
    assert p.read_bytes() == b"P5\n3 1\n255\n" + bytes([0, 200, 255])
    b = read_image(p)
    assert b.dtype == np.uint8
    np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("dtype, bits", [(np.uint8, None), (np.uint16, 16), (np.uint16, 10)])
def test_write_p6_roundtrip(tmp_path, dtype, bits):
    hi = (1 << (bits or np.dtype(dtype).itemsize * 8)) - 1
    a = np.random.default_rng(4).integers(0, hi, (5, 7, 3), dtype=dtype, endpoint=True)
    p = tmp_path / "c.ppm"
    write_image(p, a, bit_depth=bits)
    assert p.read_bytes().startswith(f"P6\n7 5\n{hi}\n".encode())
    np.testing.assert_array_equal(read_image(p), a)


def test_write_hx_wx1_as_p5(tmp_path):
    a = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)
    p = tmp_path / "g.pgm"
    write_image(p, a)
    np.testing.assert_array_equal(read_image(p), a[:, :, 0])


def test_write_non_contiguous(tmp_path):
    a = np.arange(64, dtype=np.uint8).reshape(8, 8)[::2, ::3]
    p = tmp_path / "g.pgm"
    write_image(p, a)
    np.testing.assert_array_equal(read_image(p), a)


@pytest.mark.parametrize(
    "name, array, kwargs, words",
    [
        ("a.pgm", np.zeros((2, 2), np.int16), {}, "int16"),
        ("a.pgm", np.zeros((2, 2), np.uint32), {}, "uint32"),
        ("a.pgm", np.zeros((2, 2), np.float32), {}, "float32"),
        ("a.pgm", np.zeros((2, 2, 3), np.uint8), {}, "one component"),
        ("a.ppm", np.zeros((2, 2), np.uint8), {}, "three components"),
        ("a.pnm", np.zeros((2, 2, 4), np.uint8), {}, "1 or 3 components"),
        ("a.pnm", np.zeros((2,), np.uint8), {}, "1 or 3 components"),
        ("a.pgm", np.full((2, 2), 300, np.uint16), {"bit_depth": 8}, "exceeds maxval"),
        ("a.pgm", np.zeros((2, 2), np.uint16), {"bit_depth": 17}, "bit depth"),
        ("a.pgm", np.zeros((0, 2), np.uint8), {}, "empty"),
    ],
)
def test_write_pnm_refused(tmp_path, name, array, kwargs, words):
    p = tmp_path / name
    with pytest.raises(ImageFormatError) as e:
        write_image(p, array, **kwargs)
    assert words in _assert_one_line_naming(e, p)
    assert not p.exists()


# --------------------------------------------------------------------------- raw


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16", "<u2", "u4", "int32"])
def test_raw_roundtrip_little_endian(tmp_path, dtype):
    dt = np.dtype(dtype)
    info = np.iinfo(dt)
    a = np.random.default_rng(5).integers(info.min, info.max, (6, 4, 3), dtype=dt, endpoint=True)
    p = tmp_path / "a.raw"
    write_image(p, a)
    assert p.read_bytes() == a.astype(dt.newbyteorder("<")).tobytes()
    b = read_image(p, shape=(6, 4, 3), dtype=dtype)
    assert b.dtype == dt.newbyteorder("=") and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_raw_shape_string_and_big_endian(tmp_path):
    a = np.array([[1, 258], [513, 65535]], dtype=np.uint16)
    p = _write(tmp_path / "b.raw", a.astype(">u2").tobytes())
    b = read_image(p, shape="2x2", dtype=">u2")
    np.testing.assert_array_equal(a, b)
    # default is little-endian
    c = read_image(p, shape="2x2", dtype="uint16")
    np.testing.assert_array_equal(c, a.byteswap())


def test_raw_write_big_endian_input_as_little(tmp_path):
    a = np.array([[1, 2]], dtype=">i2")
    p = tmp_path / "x.raw"
    write_image(p, a)
    assert p.read_bytes() == b"\x01\x00\x02\x00"


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({}, "shape and dtype"),
        ({"shape": (2, 2)}, "dtype"),
        ({"dtype": "uint8"}, "shape"),
        ({"shape": (3, 3), "dtype": "uint8"}, "wrong size"),
        ({"shape": (2, 2), "dtype": "uint16"}, "wrong size"),
        ({"shape": "2xfoo", "dtype": "uint8"}, "invalid shape"),
        ({"shape": (2, 0), "dtype": "uint8"}, "invalid shape"),
        ({"shape": (2, 2), "dtype": "float32"}, "dtype"),
        ({"shape": (2, 2), "dtype": "nonsense"}, "dtype"),
    ],
)
def test_raw_errors(tmp_path, kwargs, words):
    p = _write(tmp_path / "a.raw", b"\x00" * 4)
    with pytest.raises(ImageFormatError) as e:
        read_image(p, **kwargs)
    assert words in _assert_one_line_naming(e, p)


def test_shape_dtype_only_for_raw(tmp_path):
    p = tmp_path / "a.npy"
    np.save(p, np.zeros((2, 2), np.uint8))
    with pytest.raises(ImageFormatError, match="only apply to .raw"):
        read_image(p, shape=(2, 2), dtype="uint8")


# --------------------------------------------------------------------------- extensions, helpers


@pytest.mark.parametrize("name", ["a.j2c", "a.J2K", "a.jph", "a.jp2", "a.jhc"])
def test_codestream_paths(tmp_path, name):
    assert image_io.is_codestream_path(name)
    assert not image_io.is_image_path(name)
    with pytest.raises(ImageFormatError, match="codestream"):
        read_image(tmp_path / name)
    with pytest.raises(ImageFormatError, match="codestream"):
        write_image(tmp_path / name, np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("name", ["a.bmp", "a.gif", "noext"])
def test_unknown_extensions(tmp_path, name):
    assert not image_io.is_codestream_path(name)
    with pytest.raises(ImageFormatError, match="unsupported image format"):
        read_image(tmp_path / name)


@pytest.mark.parametrize("name", ["a.npy", "a.PGM", "a.ppm", "a.pnm", "a.raw", "a.png", "a.TIF", "a.tiff"])
def test_image_paths(name):
    assert image_io.is_image_path(name) and not image_io.is_codestream_path(name)


def test_parse_shape_and_dtype():
    assert image_io.parse_shape("512x256") == (512, 256)
    assert image_io.parse_shape("480X640x3") == (480, 640, 3)
    assert image_io.parse_shape("4,5") == (4, 5)
    assert image_io.parse_shape([3, 4]) == (3, 4)
    for bad in ("", "x", "1x2x3x4", "0x5", "axb"):
        with pytest.raises(ValueError):
            image_io.parse_shape(bad)
    assert image_io.parse_dtype("uint16") == np.dtype("<u2")
    assert image_io.parse_dtype("int16").byteorder in ("<", "=")
    assert image_io.parse_dtype(">u2") == np.dtype(">u2")
    assert image_io.parse_dtype("uint8") == np.uint8
    # dtype objects keep an explicit non-native order (the CLI passes parsed dtypes on)
    assert image_io.parse_dtype(np.dtype(">u2")) == np.dtype(">u2")
    assert image_io.parse_dtype(np.dtype("<i2")) == np.dtype("<i2")
    assert image_io.parse_dtype(np.uint16) == np.dtype("<u2")
    assert image_io.parse_dtype(image_io.parse_dtype(">i4")) == np.dtype(">i4")
    with pytest.raises(ValueError):
        image_io.parse_dtype("float64")


@pytest.mark.parametrize("maxval, bits", [(1, 1), (255, 8), (256, 9), (1000, 10), (4095, 12), (65535, 16)])
def test_pnm_bit_depth(tmp_path, maxval, bits):
    sample = b"\x00" if maxval < 256 else b"\x00\x00"
    p = _write(tmp_path / "a.pgm", b"P5\n1 1\n%d\n" % maxval + sample)
    assert image_io.pnm_bit_depth(p) == bits
    assert read_image(p).dtype == (np.uint8 if maxval < 256 else np.uint16)


def test_image_format_error_is_value_error():
    assert issubclass(ImageFormatError, ValueError)
