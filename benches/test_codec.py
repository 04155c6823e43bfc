"""Per-frame operations, ours against the peers, on every benchmark image:
lossless encode, full decode, decode at level 2, all-level checksums and full
verification of a frame against its checksum list.

Peers:
* imagecodecs ``htj2k_encode``/``htj2k_decode`` (bundling a newer OpenJPH) and
  ``jpeg2k_decode`` (OpenJPEG);
* pylibjpeg-openjpeg ``openjpeg.decode`` (OpenJPEG);
* their verification pipelines: decode each level + ``zlib.crc32`` (imagecodecs
  has ``skipres``; the OpenJPEG wrappers expose no reduced-resolution decode, so
  their pipelines can check the full-resolution entry only -- noted).
The native harness (OpenJPH alone, no wrapper) is in test_native.py.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import htj2k
from conftest import median_time

try:
    import imagecodecs
except ImportError:  # pragma: no cover
    imagecodecs = None
try:
    import openjpeg
except ImportError:  # pragma: no cover
    openjpeg = None


def _need(mod, name):
    if mod is None:
        pytest.skip(f"{name} not installed")


def _paired(ours, peer, turns=3):
    """htj2k and a peer timed alternately (load on the shared machine comes and
    goes): the medians of each side's per-turn medians, for the target ratios."""
    import statistics

    a, b = [], []
    for _ in range(turns):
        a.append(median_time(ours))
        b.append(median_time(peer))
    return {"htj2k_s": statistics.median(a), "peer_s": statistics.median(b)}


def _bench(benchmark, fn, info):
    benchmark.extra_info.update(info)
    benchmark.group = f"{info['op']}:{info['image']}"
    return benchmark(fn)


# ----------------------------------------------------------------- encode


def test_encode_htj2k(benchmark, frame):
    im = frame.image
    out = _bench(benchmark, lambda: htj2k.encode(im.array, bit_depth=im.bit_depth), frame.info("encode", "htj2k"))
    assert out == frame.data


@pytest.mark.parametrize("threads", [1, 2])
def test_encode_ours(benchmark, frame, threads):
    """Our own encoder (encoder="htj2k"), lossless, the settings of test_encode_htj2k."""
    im = frame.image
    out = _bench(
        benchmark,
        lambda: htj2k.encode(im.array, bit_depth=im.bit_depth, encoder="htj2k", threads=threads),
        frame.info("encode", f"htj2k-ours-{threads}t"),
    )
    np.testing.assert_array_equal(htj2k.decode(out), im.array)
    # compressed size against OpenJPH's for the same options (lossless)
    benchmark.extra_info["ours_bytes"] = len(out)
    benchmark.extra_info["openjph_bytes"] = len(htj2k.encode(im.array, bit_depth=im.bit_depth, encoder="openjph"))


def test_encode_checksums(benchmark, frame):
    """encode(..., checksums=True) with our encoder: the level checksums from the
    encode's own wavelet pass; against encode alone, timed alternately in this test."""
    im = frame.image
    fused = lambda: htj2k.encode(im.array, bit_depth=im.bit_depth, encoder="htj2k", checksums=True)  # noqa: E731
    plain = lambda: htj2k.encode(im.array, bit_depth=im.bit_depth, encoder="htj2k")  # noqa: E731
    out = _bench(benchmark, fused, frame.info("encode_checksums", "htj2k"))
    assert out.checksums == frame.checksums
    benchmark.extra_info["paired"] = _paired(fused, plain)


@pytest.mark.parametrize("encoder", ["htj2k", "openjph"])
def test_encode_lossy(benchmark, frame, encoder):
    """Irreversible encode at qstep=0.002, our encoder and the linked OpenJPH (the same
    main header, the same image to float rounding)."""
    im = frame.image
    out = _bench(
        benchmark,
        lambda: htj2k.encode(im.array, bit_depth=im.bit_depth, qstep=0.002, encoder=encoder),
        frame.info("encode_lossy", "htj2k-ours-1t" if encoder == "htj2k" else "openjph"),
    )
    assert htj2k.info(out).reversible is False


def test_encode_imagecodecs(benchmark, frame):
    _need(imagecodecs, "imagecodecs")
    im = frame.image
    # lossless, 5 levels, 64x64 blocks, RPCL: the same codestream settings as ours,
    # except that imagecodecs declares the dtype's full bit depth
    out = _bench(
        benchmark,
        lambda: imagecodecs.htj2k_encode(im.array, reversible=True),
        frame.info("encode", "imagecodecs", note="declares the dtype's bit depth"),
    )
    np.testing.assert_array_equal(htj2k.decode(out), im.array)


# ----------------------------------------------------------------- decode


def test_decode_htj2k(benchmark, frame):
    out = _bench(benchmark, lambda: htj2k.decode(frame.data), frame.info("decode", "htj2k"))
    np.testing.assert_array_equal(out, frame.array)


def test_decode_checksums(benchmark, frame):
    """decode(..., checksums=True): pixels and every level's checksum in one pass;
    against decode() + checksums(), timed alternately in this test."""
    both = lambda: htj2k.decode(frame.data, checksums=True)  # noqa: E731
    apart = lambda: (htj2k.decode(frame.data), htj2k.checksums(frame.data))  # noqa: E731
    out = _bench(benchmark, both, frame.info("decode_checksums", "htj2k"))
    assert out.checksums == frame.checksums
    benchmark.extra_info["paired"] = _paired(both, apart)


def test_decode_imagecodecs(benchmark, frame):
    _need(imagecodecs, "imagecodecs")
    out = _bench(benchmark, lambda: imagecodecs.htj2k_decode(frame.data), frame.info("decode", "imagecodecs"))
    np.testing.assert_array_equal(out, frame.array)


def test_decode_imagecodecs_openjpeg(benchmark, frame):
    _need(imagecodecs, "imagecodecs")
    out = _bench(
        benchmark, lambda: imagecodecs.jpeg2k_decode(frame.data), frame.info("decode", "imagecodecs-openjpeg")
    )
    np.testing.assert_array_equal(out, frame.array)


def test_decode_pylibjpeg_openjpeg(benchmark, frame):
    _need(openjpeg, "pylibjpeg-openjpeg")
    out = _bench(benchmark, lambda: openjpeg.decode(frame.data), frame.info("decode", "pylibjpeg-openjpeg"))
    np.testing.assert_array_equal(out, frame.array)


def _level2_bytes(frame):
    """Size of the level-2 image: throughput of reduced decodes counts what they output."""
    h, w = (-(-s // 4) for s in frame.array.shape[:2])
    c = frame.array.shape[2] if frame.array.ndim == 3 else 1
    return h * w * c * frame.array.itemsize


def test_decode_level2_htj2k(benchmark, frame):
    info = frame.info("decode_l2", "htj2k", raw_bytes=_level2_bytes(frame))
    out = _bench(benchmark, lambda: htj2k.decode(frame.data, 2), info)
    assert out.shape[:2] == tuple(-(-s // 4) for s in frame.array.shape[:2])


def test_decode_level2_imagecodecs(benchmark, frame):
    _need(imagecodecs, "imagecodecs")
    info = frame.info("decode_l2", "imagecodecs", raw_bytes=_level2_bytes(frame))
    out = _bench(benchmark, lambda: imagecodecs.htj2k_decode(frame.data, skipres=2), info)
    assert out.shape[:2] == tuple(-(-s // 4) for s in frame.array.shape[:2])


# ----------------------------------------------------------------- checksums and verification


def _peer_level_crcs(decode_level, frame, levels):
    """The peers' pipeline: decode each level, CRC-32 of its bytes (numpy arrays
    are C-contiguous little-endian here, the archive's serialisation)."""
    return {r: zlib.crc32(decode_level(frame.data, r)) for r in levels}


def _matching(frame, crcs):
    by_level = {c.level: c.checksum for c in frame.checksums}
    return sum(1 for r, c in crcs.items() if by_level[r] == c), len(crcs)


def test_checksums_htj2k(benchmark, frame):
    out = _bench(benchmark, lambda: htj2k.checksums(frame.data), frame.info("checksums", "htj2k"))
    assert out == frame.checksums


def test_checksums_imagecodecs(benchmark, frame):
    _need(imagecodecs, "imagecodecs")
    levels = list(range(frame.levels + 1))
    dec = lambda d, r: imagecodecs.htj2k_decode(d, skipres=r)  # noqa: E731
    info = frame.info("checksums", "imagecodecs")
    crcs = _bench(benchmark, lambda: _peer_level_crcs(dec, frame, levels), info)
    ok, n = _matching(frame, crcs)
    benchmark.extra_info["levels_matching"] = f"{ok}/{n}"
    if ok < n:
        benchmark.extra_info["note"] = "reduced levels wrap instead of clamping: wrong CRCs"


def test_checksums_pylibjpeg_openjpeg(benchmark, frame):
    _need(openjpeg, "pylibjpeg-openjpeg")
    dec = lambda d, r: openjpeg.decode(d)  # noqa: E731
    info = frame.info("checksums", "pylibjpeg-openjpeg", note="full resolution only (no reduced decode)")
    crcs = _bench(benchmark, lambda: _peer_level_crcs(dec, frame, [0]), info)
    ok, n = _matching(frame, crcs)
    benchmark.extra_info["levels_matching"] = f"{ok}/{n}"


def _peer_verify(decode_level, frame, levels):
    """Verification as a peer user writes it: decode every level the checksum list
    covers, CRC it, compare with the expected entry."""
    expected = {(e["Width"], e["Height"]): e["Checksum"] for e in frame.expected}
    ok = True
    for r in levels:
        arr = decode_level(frame.data, r)
        h, w = arr.shape[:2]
        ok &= expected.get((w, h)) == zlib.crc32(arr)
    return ok


def test_verify_htj2k(benchmark, frame):
    out = _bench(benchmark, lambda: htj2k.verify(frame.data, frame.expected), frame.info("verify", "htj2k"))
    assert out.ok


def test_verify_imagecodecs(benchmark, frame):
    _need(imagecodecs, "imagecodecs")
    levels = list(range(frame.levels + 1))
    dec = lambda d, r: imagecodecs.htj2k_decode(d, skipres=r)  # noqa: E731
    peer = lambda: _peer_verify(dec, frame, levels)  # noqa: E731
    ok = _bench(benchmark, peer, frame.info("verify", "imagecodecs"))
    benchmark.extra_info["verified"] = bool(ok)
    benchmark.extra_info["paired"] = _paired(lambda: htj2k.verify(frame.data, frame.expected), peer)
    if not ok:
        benchmark.extra_info["note"] = "reports a mismatch: reduced levels wrap instead of clamping"


def test_verify_imagecodecs_openjpeg(benchmark, frame):
    _need(imagecodecs, "imagecodecs")
    dec = lambda d, r: imagecodecs.jpeg2k_decode(d)  # noqa: E731
    info = frame.info("verify", "imagecodecs-openjpeg", note="full-resolution entry only")
    ok = _bench(benchmark, lambda: _peer_verify(dec, frame, [0]), info)
    benchmark.extra_info["verified"] = bool(ok)


def test_verify_pylibjpeg_openjpeg(benchmark, frame):
    _need(openjpeg, "pylibjpeg-openjpeg")
    dec = lambda d, r: openjpeg.decode(d)  # noqa: E731
    info = frame.info("verify", "pylibjpeg-openjpeg", note="full-resolution entry only")
    peer = lambda: _peer_verify(dec, frame, [0])  # noqa: E731
    ok = _bench(benchmark, peer, info)
    benchmark.extra_info["verified"] = bool(ok)
    benchmark.extra_info["paired"] = _paired(lambda: htj2k.verify(frame.data, frame.expected), peer)
