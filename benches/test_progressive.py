"""Progressive frames (archive layout: RPCL, one tile-part per resolution, TLM):
finding where each level lies (``info().level_ranges``, the packet-header walk) and
``split_levels``, against a full decode of the same frame; and a thumbnail decoded
from the first bytes of a frame. Target (issue "Our own codestream layer"): prefix
detection and split_levels <= 5% of a full decode; transcode of a 2560x3328 frame
at least 10x faster than decode + encode; joining the quality layers of a 20-layer
frame <= 10% of its decode."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import htj2k
from conftest import IMAGE_KEYS, get_frame, median_time

_PROGRESSIVE = {}


def progressive(key: str):
    if key not in _PROGRESSIVE:
        f = get_frame(key)
        data = htj2k.encode(f.array, bit_depth=f.image.bit_depth, progression="RPCL", tlm=True, tileparts="R")
        _PROGRESSIVE[key] = (f, data, htj2k.info(data).level_ranges)
    return _PROGRESSIVE[key]


def _bench(benchmark, fn, f, op, data, **extra):
    benchmark.extra_info.update(f.info(op, "htj2k", codestream_bytes=len(data), **extra))
    benchmark.group = f"{op}:{f.image.name}"
    return benchmark(fn)


@pytest.mark.parametrize("key", IMAGE_KEYS)
def test_level_ranges(benchmark, key):
    f, data, _ = progressive(key)
    decode = median_time(lambda: htj2k.decode(data))  # the reference, timed in the same test
    _bench(benchmark, lambda: htj2k.info(data), f, "level_ranges", data, decode_s=decode)


@pytest.mark.parametrize("key", IMAGE_KEYS)
def test_split_levels(benchmark, key):
    f, data, _ = progressive(key)
    decode = median_time(lambda: htj2k.decode(data))
    _bench(benchmark, lambda: htj2k.split_levels(data), f, "split_levels", data, decode_s=decode)


@pytest.mark.parametrize("key", IMAGE_KEYS)
def test_thumbnail_from_prefix(benchmark, key):
    """decode(level="best") from the bytes that hold level 2, against decode(level=2)
    of the whole frame: the cost of completing a prefix."""
    f, data, ranges = progressive(key)
    prefix = data[: ranges[-3]] if len(ranges) >= 3 else data
    whole = median_time(lambda: htj2k.decode(data, level=2))
    _bench(benchmark, lambda: htj2k.decode(prefix, level="best"), f, "decode_prefix_l2", prefix, whole_l2_s=whole)


@pytest.mark.parametrize("key", IMAGE_KEYS)
def test_transcode(benchmark, key):
    """A plain frame (htj2k.encode defaults) to the archive layout, against decoding
    and encoding it again with those options."""
    f = get_frame(key)
    bits = f.image.bit_depth
    opts = dict(progression="RPCL", tileparts="R", tlm=True)
    redo = median_time(lambda: htj2k.encode(htj2k.decode(f.data), bit_depth=bits, **opts))
    _bench(benchmark, lambda: htj2k.transcode(f.data, **opts), f, "transcode", f.data, decode_encode_s=redo)


# Multi-layer frames: the public ISO/IEC 15444-4 HT conformance codestreams (OpenJPH
# writes one layer only). ht_04: 9/7, 3 components, 20 layers; ht_08: 5/3, 30 layers.
LAYERED = {"ht_04_20_layers": "ds0_ht_04_b11.j2k", "ht_08_30_layers": "ds0_ht_08_b11.j2k"}


@pytest.mark.parametrize("key", sorted(LAYERED))
def test_flatten_layers(benchmark, key):
    """Joining every layer into one (codestream/layers.hpp), against the whole decode
    of the frame (decode_planes: joining + the decoder), timed in the same test."""
    shared = Path(os.environ.get("HTJ2K_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
    path = shared / "conformance" / "iso15444-4" / "codestreams" / LAYERED[key]
    if not path.is_file():
        pytest.skip(f"{path} not found (set HTJ2K_SHARED_DIR)")
    data = path.read_bytes()
    decode = median_time(lambda: htj2k.decode_planes(data))
    benchmark.extra_info.update({"op": "flatten_layers", "image": key, "impl": "htj2k",
                                 "codestream_bytes": len(data), "decode_s": decode})
    benchmark.group = f"flatten_layers:{key}"
    benchmark(lambda: htj2k._core.flatten_layers(data))
