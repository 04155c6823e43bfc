"""OpenJPH 0.9 fails part-way through some valid codestreams (here: 4x4 code-blocks,
8x8 precincts, LRCP, three components without colour transform). decoder="auto"
then decodes again from the start with OpenJPEG; every output path (array,
planes, fused checksums, derived levels) must start over cleanly.

The packet pre-parse (codec/packets.cpp) now names the cause before OpenJPH starts:
at resolution 1 (17x17) the precinct at (16,16) holds one sample and no code-blocks,
and OpenJPH 0.9.0 reads no packet header for it, misreading every packet after it.
The stream is refused for OpenJPH as unsupported and "auto" hands it to OpenJPEG
before any output; the retry from the start remains for streams OpenJPH fails on
part-way (damaged code-block bytes)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import htj2k

pytestmark = pytest.mark.skipif(not htj2k.features()["openjpeg"], reason="built without OpenJPEG")


@pytest.fixture(scope="module")
def case():
    img = np.random.default_rng(0).integers(-128, 128, (17, 17, 3)).astype(np.int8)
    data = htj2k.encode(img, levels=1, block_size=(4, 4), progression="LRCP", colour_transform=False,
                        precincts=[(8, 8)])
    return img, data


def test_openjph_alone_fails(case):
    _, data = case
    if htj2k.openjph_version() != "0.9.0":
        pytest.skip("the failure is specific to OpenJPH 0.9.0")
    with pytest.raises(htj2k.UnsupportedCodestreamError, match="precinct 8: the precinct has no code-blocks; OpenJPH"):
        htj2k.decode(data, decoder="openjph")


def test_auto_retries_with_openjpeg(case):
    img, data = case
    assert np.array_equal(htj2k.decode(data), img)
    out = np.full(img.shape, 77, img.dtype)
    htj2k.decode(data, out=out)
    assert np.array_equal(out, img)
    planes = htj2k.decode_planes(data)
    assert all(np.array_equal(planes[c], img[..., c]) for c in range(3))


def test_checksums_start_over(case):
    img, data = case
    sums = htj2k.checksums(data)
    assert [s.checksum for s in sums] == [zlib.crc32(htj2k.decode(data, level=r).tobytes()) for r in (1, 0)]
    assert sums == htj2k.pixel_checksums(img, 1, colour_transform=False)
    assert htj2k.verify(data, sums).ok


def test_both_failing_reports_both():
    # A byte of code-block data damaged (packet headers intact, so the packet
    # pre-parse lets it through; `case` itself no longer reaches OpenJPH): OpenJPH
    # fails part-way, the retry with OpenJPEG fails too.
    rng = np.random.default_rng(1)
    img = (np.add.outer(np.arange(64), np.arange(64)) * 2).astype(np.uint8)
    img ^= rng.integers(0, 16, img.shape, dtype=np.uint8)
    bad = bytearray(htj2k.encode(img, levels=2))
    bad[(bad.index(b"\xff\x93") + 2 + len(bad) - 2) // 2] = 0
    with pytest.raises(htj2k.InvalidCodestreamError) as e:
        htj2k.decode(bytes(bad))
    assert "OpenJPH" in str(e.value) and "(OpenJPEG:" in str(e.value)
