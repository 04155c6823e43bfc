"""Batch API (htj2k.batch): decode_many, checksums_many, verify_many, encode_many
on the C++ thread pool -- same results as the single-frame functions, input
order, per-frame errors, thread counts, fork safety."""

from __future__ import annotations

import multiprocessing
import threading
import zlib

import numpy as np
import pytest

import htj2k
from htj2k import _core


def _frames(n=12, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = int(rng.integers(8, 90)), int(rng.integers(8, 90))
        if i % 3 == 0:
            img = rng.integers(0, 4096, (h, w), dtype=np.uint16)
            out.append((img, htj2k.encode(img, bit_depth=12)))
        elif i % 3 == 1:
            img = rng.integers(-2000, 2000, (h, w), dtype=np.int16)
            out.append((img, htj2k.encode(img, bit_depth=12)))
        else:
            img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            out.append((img, htj2k.encode(img)))
    return out


FRAMES = _frames()


@pytest.mark.parametrize("threads", [None, 1, 2, 3, 64])
def test_decode_many_matches_decode(threads):
    datas = [d for _, d in FRAMES]
    got = htj2k.decode_many(datas, threads=threads)
    assert len(got) == len(datas)
    for (img, data), arr in zip(FRAMES, got):
        assert isinstance(arr, np.ndarray)
        assert arr.dtype == img.dtype and arr.shape == img.shape
        np.testing.assert_array_equal(arr, img)
        arr[...] = 0  # the arrays own writable memory


@pytest.mark.parametrize("level", [1, 2])
def test_decode_many_level(level):
    datas = [d for _, d in FRAMES]
    for data, arr in zip(datas, htj2k.decode_many(datas, level, threads=2)):
        np.testing.assert_array_equal(arr, htj2k.decode(data, level))


def test_decode_many_errors_in_place():
    good = FRAMES[0][1]
    datas = [good, b"not a codestream", good[: len(good) // 2], 17, good]
    got = htj2k.decode_many(datas, threads=2)
    assert isinstance(got[0], np.ndarray) and isinstance(got[4], np.ndarray)
    assert isinstance(got[1], htj2k.InvalidCodestreamError) and got[1].index == 1
    try:  # a truncated frame: whatever decode() does, decode_many does in its slot
        htj2k.decode(good[: len(good) // 2])
        single = None
    except Exception as e:
        single = type(e)
    assert (type(got[2]) if isinstance(got[2], Exception) else None) is single
    assert isinstance(got[3], TypeError) and got[3].index == 3


def test_errors_raise_reports_first_failure_after_all_frames():
    good = FRAMES[0][1]
    with pytest.raises(htj2k.InvalidCodestreamError) as info:
        htj2k.decode_many([good, b"junk1", b"junk2"], errors="raise")
    assert info.value.index == 1


def test_same_exception_types_as_single_frame():
    big = htj2k.encode(np.zeros((64, 64), np.uint8))
    got = htj2k.decode_many([big], max_pixels=100)
    assert isinstance(got[0], htj2k.LimitExceededError)
    got = htj2k.decode_many([big], level=9)
    with pytest.raises(type(got[0])):
        htj2k.decode(big, level=9)


def test_decode_many_paths_and_buffers(tmp_path):
    img, data = FRAMES[0]
    p = tmp_path / "f.j2c"
    p.write_bytes(data)
    got = htj2k.decode_many([str(p), p, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)])
    for arr in got:
        np.testing.assert_array_equal(arr, img)
    missing = htj2k.decode_many([tmp_path / "missing.j2c"])
    assert isinstance(missing[0], FileNotFoundError)


def test_empty_and_argument_errors():
    assert htj2k.decode_many([]) == []
    assert htj2k.checksums_many([]) == []
    assert htj2k.verify_many([], []) == []
    assert htj2k.encode_many([]) == []
    with pytest.raises(TypeError):
        htj2k.decode_many(b"single frame bytes")
    with pytest.raises(ValueError):
        htj2k.decode_many([], threads=0)
    with pytest.raises(TypeError):
        htj2k.decode_many([], threads=1.5)
    with pytest.raises(ValueError):
        htj2k.decode_many([], errors="ignore")
    with pytest.raises(ValueError):
        htj2k.verify_many([b"a"], [])
    with pytest.raises(TypeError, match="unknown option"):
        htj2k.encode_many([np.zeros((4, 4), np.uint8)], bitdepth=8)


@pytest.mark.parametrize("levels", [None, [0], [1, 3]])
def test_checksums_many_matches_checksums(levels):
    datas = [d for _, d in FRAMES]
    got = htj2k.checksums_many(datas, levels, threads=2)
    for data, sums in zip(datas, got):
        assert sums == htj2k.checksums(data, levels)
    bad = htj2k.checksums_many([datas[0], b"junk"])
    assert isinstance(bad[1], htj2k.InvalidCodestreamError)


def test_verify_many_matches_verify():
    datas = [d for _, d in FRAMES]
    expecteds = [htj2k.checksums(d) for d in datas]
    # a mismatch, an undecodable frame, a frame mapping with min/max, a malformed entry
    wrong = list(expecteds[1])
    wrong[-1] = htj2k.LevelChecksum(wrong[-1].level, wrong[-1].width, wrong[-1].height, wrong[-1].checksum ^ 1)
    img0 = FRAMES[0][0]
    frame_entry = {
        "PixelDataChecksumFromBaseToFullResolution": [s.as_archive_dict() for s in expecteds[0]],
        "MinPixelValue": int(img0.min()),
        "MaxPixelValue": int(img0.max()) + 1,
    }
    cases_d = datas + [datas[1], b"junk", datas[0], datas[0]]
    cases_e = expecteds + [wrong, expecteds[0], frame_entry, [{"Width": 1}]]
    got = htj2k.verify_many(cases_d, cases_e, threads=2)
    for i, (d, e, v) in enumerate(zip(cases_d, cases_e, got)):
        if i == len(cases_d) - 1:
            assert isinstance(v, ValueError) and v.index == i
            continue
        assert v == htj2k.verify(d, e)
    assert all(v.ok for v in got[: len(datas)])
    assert not got[len(datas)].ok and got[len(datas)].mismatches
    assert not got[len(datas) + 1].ok and got[len(datas) + 1].error
    assert not got[len(datas) + 2].ok and got[len(datas) + 2].max_pixel_value[0] != got[len(datas) + 2].max_pixel_value[1]


def test_encode_many_matches_encode():
    imgs = [img for img, _ in FRAMES if img.dtype == np.uint16]
    got = htj2k.encode_many(imgs, threads=2, bit_depth=12, levels=3)
    for img, data in zip(imgs, got):
        assert data == htj2k.encode(img, bit_depth=12, levels=3)
    mixed = htj2k.encode_many(
        [imgs[0], np.zeros((4, 4), np.float32), np.full((4, 4), 5000, np.uint16), imgs[0][::-1]],
        bit_depth=12,
    )
    assert isinstance(mixed[0], bytes)
    assert isinstance(mixed[1], TypeError) and mixed[1].index == 1
    assert isinstance(mixed[2], htj2k.EncodeError)
    np.testing.assert_array_equal(htj2k.decode(mixed[3]), imgs[0][::-1])


def test_encode_many_stack_and_container():
    stack = np.random.default_rng(3).integers(0, 256, (5, 16, 24), dtype=np.uint8)
    got = htj2k.encode_many(stack, container="jph")
    assert all(isinstance(d, bytes) and htj2k.info(d).container == "jph" for d in got)
    np.testing.assert_array_equal(np.stack(htj2k.decode_many(got)), stack)


def test_many_frames_concurrent_callers():
    """Several Python threads each running batches share the pool without mixing results."""
    datas = [d for _, d in FRAMES] * 4
    expected = [htj2k.decode(d) for d in datas]
    errors = []

    def worker():
        try:
            for _ in range(3):
                for want, arr in zip(expected, htj2k.decode_many(datas, threads=3)):
                    np.testing.assert_array_equal(arr, want)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert 1 <= _core.batch_info()["pool_workers"] <= _core.batch_info()["max_threads"]


def _child_decode(data, q):
    arrs = htj2k.decode_many([data] * 4, threads=2)
    q.put([int(a.sum()) for a in arrs])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_pool_works_after_fork():
    img, data = FRAMES[0]
    htj2k.decode_many([data] * 4, threads=2)  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child_decode, args=(data, q))
    p.start()
    p.join(timeout=60)
    if p.is_alive():
        p.kill()
        pytest.fail("decode_many in a forked child hung")
    assert p.exitcode == 0
    assert q.get(timeout=5) == [int(img.sum())] * 4


# ---------------------------------------------------------------- decoder write paths


@pytest.mark.parametrize(
    "nc,colour", [(2, False), (3, False), (3, True), (4, False), (4, True), (5, True)]
)
@pytest.mark.parametrize("dtype,bits", [(np.uint8, 8), (np.uint16, 12), (np.int16, 16), (np.int32, 20)])
def test_multicomponent_decode_and_checksum_paths(nc, colour, dtype, bits):
    """Row-interleaved pulls (colour transform: the vectorised interleaving path)
    and planar pulls (strided stores), with fused CRC, for odd widths."""
    rng = np.random.default_rng(nc * 7 + bits)
    info = np.iinfo(dtype)
    lo = -(1 << (bits - 1)) if info.min < 0 else 0
    hi = (1 << (bits - 1)) - 1 if info.min < 0 else (1 << bits) - 1
    img = rng.integers(lo, hi + 1, (37, 53, nc), dtype=np.int64).astype(dtype)
    data = htj2k.encode(img, bit_depth=bits, colour_transform=colour, levels=3, components=nc)
    out = htj2k.decode(data)
    np.testing.assert_array_equal(out, img)
    sums = htj2k.checksums(data)
    assert sums[-1].checksum == zlib.crc32(img.tobytes())
    for s in sums[:-1]:
        assert s.checksum == zlib.crc32(htj2k.decode(data, s.level).tobytes())
    (batch,) = htj2k.decode_many([data], threads=1)
    np.testing.assert_array_equal(batch, img)
