"""The imageio v3 plugin: ``iio.imread/imwrite(..., plugin="htj2k")`` with paths, bytes,
BytesIO and a StreamingBody-like object; registration through imageio's registry."""

from __future__ import annotations

import io

import numpy as np
import pytest

import htj2k

import imageio.v3 as iio  # noqa: E402  (in the test extra: never skipped)
import htj2k.imageio as hio  # noqa: E402

RNG = np.random.default_rng(5)


class StreamingBody:
    """boto3's StreamingBody as imageio sees it: imageio's Request takes file-like
    objects with read() and close() (the real one has both); no seek, no name."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self, size: int = -1) -> bytes:
        data, self._data = self._data, b""
        return data

    def close(self) -> None:
        pass


@pytest.mark.parametrize("shape,dtype,bits", [((40, 50), np.uint16, 12), ((33, 21, 3), np.uint8, None),
                                              ((16, 16), np.int16, None)])
def test_write_and_read_a_file(tmp_path, shape, dtype, bits):
    info_ = np.iinfo(dtype)
    top = (1 << (bits - 1 if info_.min else bits)) - 1 if bits else info_.max
    a = RNG.integers(info_.min if not bits else 0, top, shape, endpoint=True).astype(dtype)
    path = tmp_path / "x.jph"
    iio.imwrite(path, a, plugin="htj2k", **({"bit_depth": bits} if bits else {}))
    data = path.read_bytes()
    assert htj2k.info(data).container == "jph" and np.array_equal(htj2k.decode(data), a)
    assert np.array_equal(iio.imread(path, plugin="htj2k"), a)
    assert np.array_equal(iio.imread(path), a)  # .jph: found without plugin=
    props = iio.improps(path, plugin="htj2k")
    assert props.shape == a.shape and props.dtype == a.dtype
    assert iio.immeta(path, plugin="htj2k")["levels"] == htj2k.info(data).levels


def test_bytes_and_streams():
    a = RNG.integers(0, 255, (24, 20), endpoint=True).astype(np.uint8)
    data = iio.imwrite("<bytes>", a, plugin="htj2k", extension=".j2c", levels=3)
    assert htj2k.info(data).container == "j2c" and htj2k.info(data).levels == 3
    for src in (data, io.BytesIO(data)):
        assert np.array_equal(iio.imread(src, plugin="htj2k"), a)
    assert np.array_equal(iio.imread(StreamingBody(data), plugin="htj2k"), a)
    assert iio.imread(data, plugin="htj2k", level=2).shape == (6, 5)


def test_not_htj2k_and_unknown_extension(tmp_path):
    with pytest.raises(OSError):
        iio.imread(b"definitely not a codestream", plugin="htj2k")
    with pytest.raises(OSError):
        iio.imwrite(tmp_path / "x.png", np.zeros((4, 4), np.uint8), plugin="htj2k")


def test_registered_through_imageio_registry():
    from imageio.config import known_extensions, known_plugins

    hio.register()
    hio.register()
    assert known_plugins["htj2k"].plugin_class is hio.HTJ2KPlugin
    assert [e.priority for e in known_extensions[".jph"]].count(["htj2k"]) == 1
    from imageio.core.v3_plugin_api import PluginV3

    assert issubclass(hio.HTJ2KPlugin, PluginV3)
