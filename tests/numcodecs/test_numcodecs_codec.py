"""``htj2k.numcodecs.HTJ2K``: a numcodecs codec (lossless by default, config round trip)
and a zarr array (format 2, what zarr 3 stores numcodecs compressors in) written and read."""

from __future__ import annotations

import numpy as np
import pytest

import htj2k

import numcodecs  # noqa: E402  (in the test extra: never skipped)
import zarr  # noqa: E402
import htj2k.numcodecs as hn  # noqa: E402

RNG = np.random.default_rng(9)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16])
@pytest.mark.parametrize("shape", [(37, 29), (1, 1, 20, 30), (16, 12, 3)])
def test_lossless_round_trip(dtype, shape):
    info = np.iinfo(dtype)
    a = RNG.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    codec = hn.HTJ2K()
    data = codec.encode(a)
    inf = htj2k.info(data)
    assert inf.reversible and inf.bit_depth == 8 * np.dtype(dtype).itemsize
    back = codec.decode(data)
    assert back.dtype == a.dtype and np.array_equal(back.reshape(a.shape), a)
    out = np.empty_like(a)
    codec.decode(data, out=out)
    assert np.array_equal(out, a)


def test_config_and_registry():
    codec = hn.HTJ2K(qstep=0.01, levels=3, tlm=True)
    cfg = codec.get_config()
    assert cfg == {"id": "htj2k", "qstep": 0.01, "levels": 3, "bit_depth": None, "progression": "RPCL", "tlm": True}
    again = numcodecs.get_codec(dict(cfg))
    assert isinstance(again, hn.HTJ2K) and again.get_config() == cfg
    assert hn.HTJ2K.from_config({k: v for k, v in cfg.items() if k != "id"}).get_config() == cfg
    assert isinstance(codec, numcodecs.abc.Codec)
    a = (np.add.outer(np.arange(64), np.arange(64)) * 16).astype(np.uint16)
    lossy = codec.decode(codec.encode(a))
    assert not htj2k.info(codec.encode(a)).reversible and np.abs(lossy.astype(int) - a).max() < 200


def test_refused_chunks():
    with pytest.raises(ValueError, match="not one image"):
        hn.HTJ2K().encode(np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="integer"):
        hn.HTJ2K().encode(np.zeros((8, 8), np.float32))


def test_zarr_array_written_and_read(tmp_path):
    vol = RNG.integers(-1024, 3071, (5, 64, 48), endpoint=True).astype(np.int16)
    path = tmp_path / "ct.zarr"
    if int(zarr.__version__.split(".")[0]) >= 3:
        z = zarr.create_array(path, shape=vol.shape, chunks=(1, 32, 48), dtype=vol.dtype,
                              compressors=hn.HTJ2K(), zarr_format=2)
    else:
        z = zarr.open_array(path, mode="w", shape=vol.shape, chunks=(1, 32, 48), dtype=vol.dtype,
                            compressor=hn.HTJ2K())
    z[:] = vol
    chunk = (path / "0.1.0").read_bytes()
    assert htj2k.info(chunk).shape == (32, 48)  # each chunk is an HTJ2K codestream
    back = zarr.open_array(path, mode="r")
    assert np.array_equal(back[:], vol) and np.array_equal(back[2, 10:40, 5:9], vol[2, 10:40, 5:9])
