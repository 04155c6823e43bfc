"""Every function that takes frame data accepts bytes-like objects, paths and binary
file-like objects (an open file, io.BytesIO, boto3's StreamingBody); verify also takes
a FrameRecord from htj2k.archive."""

from __future__ import annotations

import io

import numpy as np
import pytest

import htj2k
from htj2k.archive import frame_entry, parse_metadata


class StreamingBody:
    """What boto3's get_image_frame returns: read(amt=None), no seek, no buffer protocol."""

    def __init__(self, data: bytes):
        self._data = data
        self._pos = 0

    def read(self, amt=None):
        end = len(self._data) if amt is None else min(len(self._data), self._pos + amt)
        out = self._data[self._pos:end]
        self._pos = end
        return out


@pytest.fixture(scope="module")
def frame():
    img = (np.arange(40 * 56, dtype=np.uint16).reshape(40, 56) * 7) % 4096
    return img, htj2k.encode(img, bit_depth=12, levels=3)


def sources(data: bytes, tmp_path):
    path = tmp_path / "f.j2c"
    path.write_bytes(data)
    yield "bytes", lambda: data
    yield "bytearray", lambda: bytearray(data)
    yield "memoryview", lambda: memoryview(data)
    yield "strided memoryview", lambda: memoryview(bytes(x for b in data for x in (b, 0)))[::2]
    yield "uint8 array", lambda: np.frombuffer(data, np.uint8)
    yield "path", lambda: path
    yield "str path", lambda: str(path)
    yield "open file", lambda: open(path, "rb")
    yield "BytesIO", lambda: io.BytesIO(data)
    yield "StreamingBody", lambda: StreamingBody(data)


def test_every_input_kind_decodes_the_same(frame, tmp_path):
    img, data = frame
    want = htj2k.checksums(data)
    for kind, make in sources(data, tmp_path):
        assert np.array_equal(htj2k.decode(make()), img), kind
        assert htj2k.checksums(make()) == want, kind
        assert htj2k.info(make()).width == 56, kind
        assert htj2k.verify(make(), want).ok, kind
        assert [s.checksum for s in htj2k.checksums_many([make(), make()])[1]] == [s.checksum for s in want], kind


def test_text_file_and_other_objects_are_type_errors(frame, tmp_path):
    _, data = frame
    (tmp_path / "t.txt").write_text("not binary")
    with open(tmp_path / "t.txt") as f, pytest.raises(TypeError, match="binary mode"):
        htj2k.decode(f)
    with pytest.raises(TypeError, match="binary file"):
        htj2k.decode(12345)
    results = htj2k.decode_many([data, object()])
    assert isinstance(results[1], TypeError) and results[1].index == 1


def test_verify_takes_a_frame_record(frame):
    img, data = frame
    sums = htj2k.checksums(data)
    entry = frame_entry("f1", sums, int(img.min()), int(img.max()), img.size * 2)
    (record,) = parse_metadata({"ImageFrames": [entry]})
    assert htj2k.verify(data, record).ok
    assert htj2k.verify_many([data], [record])[0].ok
    bad = frame_entry("f1", sums, int(img.min()), int(img.max()) + 1, img.size * 2)
    (record,) = parse_metadata({"ImageFrames": [bad]})
    v = htj2k.verify(data, record)
    assert not v.ok and v.max_pixel_value == (int(img.max()) + 1, int(img.max()))


@pytest.mark.parametrize("shape", [(5, 8, 8), (64, 64, 100)])
def test_stacks_are_not_encoded_as_many_component_images(shape):
    """(F, H, W) or a volume: more than 4 in the last axis is refused, naming
    encode_many, instead of a silent image of that many components."""
    with pytest.raises(ValueError, match="encode_many"):
        htj2k.encode(np.zeros(shape, np.uint8))
    frames = htj2k.encode_many(np.zeros(shape, np.uint8))  # the frames axis first
    assert len(frames) == shape[0] and htj2k.info(frames[0]).num_components == 1


@pytest.mark.parametrize("comps", [1, 2, 3, 4])
def test_up_to_four_components(comps):
    img = np.arange(6 * 7 * comps, dtype=np.uint8).reshape(6, 7, comps)
    np.testing.assert_array_equal(htj2k.decode(htj2k.encode(img)).reshape(6, 7, comps), img)


def test_many_components_need_the_count():
    img = np.arange(4 * 5 * 6, dtype=np.uint8).reshape(4, 5, 6)
    np.testing.assert_array_equal(htj2k.decode(htj2k.encode(img, components=6)), img)
    with pytest.raises(ValueError, match="components: 5 given"):
        htj2k.encode(img, components=5)
    with pytest.raises(TypeError, match="components"):
        htj2k.encode(img, components=True)


def test_a_dicom_file_is_named_with_the_api_that_reads_it(tmp_path):
    path = tmp_path / "ct.dcm"
    path.write_bytes(b"\0" * 128 + b"DICM" + b"\2\0\0\0" * 8)
    for call in (htj2k.decode, htj2k.info, htj2k.checksums):
        with pytest.raises(htj2k.InvalidCodestreamError, match="a DICOM file.*htj2k.dicom.frames"):
            call(path)
    with open(path, "rb") as f, pytest.raises(htj2k.InvalidCodestreamError, match="DICOM"):
        htj2k.decode(f)


# --------------------------------------------------------------------------- to_jph


@pytest.mark.parametrize("shape,dtype,bits", [((9, 7), np.uint8, 8), ((9, 7, 3), np.uint16, 12), ((5, 6), np.int16, 16)])
def test_to_jph_wraps_a_bare_codestream(shape, dtype, bits):
    """The codestream byte for byte inside JPH boxes whose ihdr says what SIZ says; it
    decodes to the same pixels and equals what encode(container="jph") writes."""
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if info.min < 0 else (0, (1 << bits) - 1)
    img = rng.integers(lo, hi + 1, size=shape).astype(dtype)
    cs = htj2k.encode(img, bit_depth=bits)
    jph = htj2k.to_jph(cs)
    assert jph.endswith(cs) and htj2k.info(jph).container == "jph"
    assert jph == htj2k.encode(img, bit_depth=bits, container="jph")
    np.testing.assert_array_equal(htj2k.decode(jph), img)
    with pytest.raises(ValueError, match="jph file already"):
        htj2k.to_jph(jph)
    with pytest.raises(htj2k.InvalidCodestreamError):
        htj2k.to_jph(cs[:20])
