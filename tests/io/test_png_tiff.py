"""PNG and TIFF in htj2k.io: files written by Pillow, pypng and tifffile (not by us)
read back sample for sample; ours read by them; bytes, BytesIO and a StreamingBody-like
object (only ``read()``) as sources; what is refused."""

from __future__ import annotations

import io

import numpy as np
import pytest

from htj2k import io as image_io

from PIL import Image  # noqa: E402  (the [images] extra is in the test extra: never skipped)
import tifffile  # noqa: E402
import png  # noqa: E402

ImageFormatError = image_io.ImageFormatError
RNG = np.random.default_rng(7)


class StreamingBody:
    """What boto3's get_image_frame returns, as far as a reader may rely on: read()."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self) -> bytes:
        data, self._data = self._data, b""
        return data


def random(shape, dtype, bits=None):
    top = (1 << bits) - 1 if bits else np.iinfo(dtype).max
    return RNG.integers(0, top, shape, endpoint=True).astype(dtype)


PILLOW_CASES = [((13, 9), np.uint8), ((13, 9, 3), np.uint8), ((13, 9, 4), np.uint8), ((13, 9), np.uint16)]


@pytest.mark.parametrize("shape,dtype", PILLOW_CASES)
def test_png_written_by_pillow(tmp_path, shape, dtype):
    a = random(shape, dtype)
    p = tmp_path / "a.png"
    Image.fromarray(a).save(p)
    b = image_io.read_image(p)
    assert b.dtype == dtype and np.array_equal(a, b)
    assert image_io.image_bit_depth(p) == 8 * np.dtype(dtype).itemsize


@pytest.mark.parametrize("planes,bits", [(3, 16), (4, 16), (2, 16), (1, 4), (1, 2), (1, 12)])
def test_png_pillow_would_change_read_exactly(tmp_path, planes, bits):
    """16-bit colour / grey+alpha and 2/4-bit grey: Pillow scales or truncates them."""
    depth = 16 if bits > 8 else bits
    dtype = np.uint16 if depth > 8 else np.uint8
    a = random((6, 5, planes) if planes > 1 else (6, 5), dtype, bits)
    p = tmp_path / "a.png"
    with open(p, "wb") as f:
        png.Writer(5, 6, greyscale=planes < 3, alpha=planes in (2, 4), bitdepth=depth).write_array(f, a.reshape(-1))
    b = image_io.read_image(p)
    assert b.dtype == dtype and b.shape == a.shape and np.array_equal(a, b)
    assert image_io.image_bit_depth(p) == depth


@pytest.mark.parametrize("shape,dtype", PILLOW_CASES + [((8, 4, 3), np.uint16), ((8, 4, 2), np.uint16)])
def test_png_we_write_is_read_by_pillow_or_pypng(tmp_path, shape, dtype):
    a = random(shape, dtype)
    p = tmp_path / "a.png"
    image_io.write_image(p, a)
    _, _, rows, meta = png.Reader(filename=str(p)).read()
    b = np.vstack([np.asarray(r) for r in rows]).reshape(a.shape)
    assert meta["bitdepth"] == 8 * np.dtype(dtype).itemsize and np.array_equal(a, b)


@pytest.mark.parametrize(
    "shape,dtype,photometric,planar",
    [
        ((13, 9), np.uint8, "minisblack", None),
        ((13, 9), np.uint16, "minisblack", None),
        ((13, 9), np.int16, "minisblack", None),
        ((13, 9, 3), np.uint8, "rgb", "contig"),
        ((13, 9, 3), np.uint16, "rgb", "contig"),
        ((13, 9, 3), np.uint16, "rgb", "separate"),
    ],
)
def test_tiff_written_by_tifffile(tmp_path, shape, dtype, photometric, planar):
    a = random(shape, dtype)
    p = tmp_path / "a.tif"
    data = np.moveaxis(a, 2, 0) if planar == "separate" else a
    tifffile.imwrite(p, data, photometric=photometric, planarconfig=planar, compression="zlib")
    b = image_io.read_image(p)
    assert b.dtype == dtype and b.shape == a.shape and np.array_equal(a, b)
    assert image_io.image_bit_depth(p) == 8 * np.dtype(dtype).itemsize


def test_multipage_tiff_is_frames(tmp_path):
    stack = random((4, 10, 12), np.uint16, 12)
    p = tmp_path / "stack.tiff"
    tifffile.imwrite(p, stack, photometric="minisblack")
    frames = image_io.read_frames(p)
    assert len(frames) == 4 and all(np.array_equal(f, s) for f, s in zip(frames, stack))
    with pytest.raises(ImageFormatError, match="4 pages"):
        image_io.read_image(p)
    out = tmp_path / "out.tif"
    image_io.write_frames(out, frames)
    assert np.array_equal(tifffile.imread(out), stack)
    with pytest.raises(ImageFormatError, match="only TIFF"):
        image_io.write_frames(tmp_path / "out.png", frames)


@pytest.mark.parametrize("dtype,shape", [(np.uint8, (6, 7, 3)), (np.int16, (6, 7)), (np.uint32, (6, 7))])
def test_tiff_we_write_is_read_by_tifffile(tmp_path, dtype, shape):
    a = random(shape, dtype)
    p = tmp_path / "a.tif"
    image_io.write_image(p, a)
    assert np.array_equal(tifffile.imread(p), a)


@pytest.mark.parametrize("ext,writer", [(".png", "pillow"), (".tif", "tifffile"), (".npy", "numpy")])
@pytest.mark.parametrize("wrap", [bytes, io.BytesIO, StreamingBody])
def test_sources_other_than_paths(tmp_path, ext, writer, wrap):
    a = random((9, 11, 3), np.uint8)
    p = tmp_path / f"a{ext}"
    {"pillow": lambda: Image.fromarray(a).save(p), "tifffile": lambda: tifffile.imwrite(p, a),
     "numpy": lambda: np.save(p, a)}[writer]()
    assert np.array_equal(image_io.read_image(wrap(p.read_bytes())), a)
    assert np.array_equal(image_io.read_frames(wrap(p.read_bytes()))[0], a)


def test_refused(tmp_path):
    p = tmp_path / "pal.png"
    Image.fromarray(random((4, 4), np.uint8)).convert("P").save(p)
    with pytest.raises(ImageFormatError, match="palette"):
        image_io.read_image(p)
    for name, arr in (("s.png", np.zeros((2, 2), np.int16)), ("f.png", np.zeros((2, 2), np.float32)),
                      ("w.png", np.zeros((2, 2, 5), np.uint8)), ("f.tif", np.zeros((2, 2), np.float32))):
        with pytest.raises(ImageFormatError, match="use .tif|use .npy"):
            image_io.write_image(tmp_path / name, arr)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
    with pytest.raises(ImageFormatError, match="bad.png"):
        image_io.read_image(bad)
    (tmp_path / "bad.tif").write_bytes(b"II*\0garbage")
    with pytest.raises(ImageFormatError, match="bad.tif"):
        image_io.read_image(tmp_path / "bad.tif")
    with pytest.raises(ImageFormatError, match="not a PNG, TIFF"):
        image_io.read_image(io.BytesIO(b"hello"))
