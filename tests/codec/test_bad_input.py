"""Hostile and wrong input: every bad codestream is an Htj2kError (never a crash,
never pixels), every bad argument a TypeError/ValueError naming the argument,
nothing is printed, and concurrent calls do not interfere.

Decodes of untrusted bytes run in forked children (``isolated``): OpenJPH can
abort() or segfault, and that must fail the test rather than end the run.
"""

from __future__ import annotations

import inspect
import struct
import textwrap
import zlib
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import htj2k
from htj2k import (
    EncodeError,
    Htj2kError,
    IncompleteCodestreamError,
    InvalidCodestreamError,
    LimitExceededError,
    UnsupportedCodestreamError,
)

from helpers.codestream import find_marker, walk_markers
from helpers.images import make_image
from helpers.isolation import run_python

FEATURES = htj2k.features()
# Builds with a second decoder take decoder="openjph" to force OpenJPH.
FORCE_OPENJPH = (
    {"decoder": "openjph"} if "decoder" in inspect.signature(htj2k.decode).parameters else {}
)
SIZ, COD, QCD, SOT, SOD, EOC = 0xFF51, 0xFF52, 0xFF5C, 0xFF90, 0xFF93, 0xFFD9


# --------------------------------------------------------------------------- streams


def stream_grey() -> bytes:
    return htj2k.encode(make_image((24, 32), "u1", 8, "random", 1), levels=2)


def stream_rgb_tiles() -> bytes:
    return htj2k.encode(make_image((40, 36, 3), "u2", 12, "smooth", 2), bit_depth=12, levels=2, tile_size=(16, 16))


def stream_jph() -> bytes:
    return htj2k.encode(make_image((17, 19), "i2", 11, "random", 3), bit_depth=11, levels=3, container="jph")


STREAMS = {"grey": stream_grey, "rgb_tiles": stream_rgb_tiles, "jph": stream_jph}


def patch(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def describe(result: Tuple) -> str:
    if result[0] == "ok":
        return f"returned pixels of shape {result[1]} ({result[2]})"
    e = result[1]
    return f"raised {type(e).__module__}.{type(e).__qualname__}: {e}"


def decode_all(isolated, datas: Sequence[bytes], level: int = 0) -> List[Tuple]:
    """decode each input in forked children (batched; a batch that kills its child
    is redone one input at a time so the killer is named)."""
    results: List[Tuple] = []
    batch = 48
    for i in range(0, len(datas), batch):
        chunk = list(datas[i : i + batch])
        res = isolated.call("decode_each", chunk, level)
        if res.ok:
            results.extend(res.value)
            continue
        for d in chunk:
            one = isolated.call("decode_each", [d], level)
            results.append(one.value[0] if one.ok else ("died", one.summary()))
    return results


def assert_all_rejected(isolated, named: Dict[str, bytes], level: int = 0, cls: type = Htj2kError) -> None:
    names = list(named)
    results = decode_all(isolated, [named[n] for n in names], level)
    bad = []
    for name, r in zip(names, results):
        if r[0] == "raised" and isinstance(r[1], cls):
            continue
        bad.append(f"{name}: {describe(r) if r[0] != 'died' else r[1].splitlines()[0]}")
    assert not bad, f"{len(bad)} of {len(names)} inputs not rejected with {cls.__name__}:\n" + "\n".join(bad[:40])


def assert_cut_streams_safe(isolated, named: Dict[str, bytes], whole: bytes, level: int = 0) -> None:
    """Streams cut short are the first bytes of a frame: each raises
    IncompleteCodestreamError (InvalidCodestreamError when nothing of a codestream
    is left) or decodes to exactly the pixels of the whole stream at that level."""
    expected = zlib.crc32(htj2k.decode(whole, level=level).tobytes())
    names = list(named)
    results = decode_all(isolated, [named[n] for n in names], level)
    bad = []
    for name, r in zip(names, results):
        data = named[name]
        if r[0] == "ok" and r[3] == expected:
            continue
        cls = IncompleteCodestreamError if len(data) and data[0] in (0x00, 0xFF) else InvalidCodestreamError
        if r[0] == "raised" and isinstance(r[1], cls):
            continue
        what = describe(r) + (" (not the whole stream's)" if r[0] == "ok" else "")
        bad.append(f"{name}: {what if r[0] != 'died' else r[1].splitlines()[0]}")
    assert not bad, f"{len(bad)} of {len(names)} cut streams neither refused nor exact:\n" + "\n".join(bad[:40])


# --------------------------------------------------------------------------- garbage


@pytest.mark.parametrize("func", ["decode", "decode_planes", "info"])
@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\x4f", b"\xff\x4f\xff\x51", b"\x00" * 100, b"GIF89a" + b"\x00" * 40])
def test_empty_and_tiny_inputs(func, data):
    with pytest.raises(InvalidCodestreamError):
        getattr(htj2k, func)(data)


def test_empty_inputs_of_every_buffer_kind():
    for empty in (b"", bytearray(), memoryview(b""), np.zeros(0, np.uint8)):
        with pytest.raises(InvalidCodestreamError):
            htj2k.decode(empty)


@given(data=st.binary(max_size=600))
def test_random_bytes(isolated, data):
    (r,) = decode_all(isolated, [data])
    assert r[0] == "raised" and isinstance(r[1], Htj2kError), describe(r) if r[0] != "died" else r[1]


@given(tail=st.binary(min_size=0, max_size=300), prefix=st.sampled_from(["soc_siz", "main_header", "jp2_signature"]))
def test_random_bytes_after_a_valid_prefix(isolated, tail, prefix):
    """Random bytes behind SOC+SIZ, behind a whole main header (up to the first
    SOT), or behind the JP2 signature box reach the deeper parsing stages."""
    base = stream_grey()
    if prefix == "soc_siz":
        head = base[:4]
    elif prefix == "main_header":
        head = base[: find_marker(base, SOT).offset]
    else:
        head = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
    (r,) = decode_all(isolated, [head + tail])
    assert r[0] == "raised" and isinstance(r[1], Htj2kError), describe(r) if r[0] != "died" else r[1]


@given(data=st.data())
def test_mutated_streams_never_crash(isolated, data):
    """Overwrite a few bytes anywhere (headers or coded data) of a valid stream: the
    result is pixels of the declared shape or an Htj2kError -- never a crash or
    another exception type."""
    name = data.draw(st.sampled_from(sorted(STREAMS)))
    base = bytearray(STREAMS[name]())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(base) - 1))
        base[pos] = data.draw(st.integers(0, 255))
    level = data.draw(st.integers(0, 2))
    (r,) = decode_all(isolated, [bytes(base)], level)
    assert r[0] in ("ok", "raised"), r[1]
    if r[0] == "raised":
        assert isinstance(r[1], Htj2kError), describe(r)


# --------------------------------------------------------------------------- truncation


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_truncated_at_every_marker_boundary(isolated, name):
    data = STREAMS[name]()
    cs_off = 0 if data[:2] == b"\xff\x4f" else data.index(b"\xff\x4f\xff\x51")
    cuts = set()
    for m in walk_markers(data[cs_off:]):
        for edge in (m.offset, m.offset + 1, m.offset + 2, m.offset + 3, m.end - 1, m.end, m.end + 1):
            if 0 <= cs_off + edge < len(data):
                cuts.add(cs_off + edge)
    cuts |= {0, 1, 2, 3, cs_off, len(data) - 2, len(data) - 1}
    cuts = sorted(c for c in cuts if c < len(data))
    assert_cut_streams_safe(isolated, {f"cut at {c} of {len(data)}": data[:c] for c in cuts}, data)


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_truncated_at_many_offsets(isolated, name):
    data = STREAMS[name]()
    n = len(data)
    cuts = sorted(set(range(0, min(n, 160))) | set(range(160, n, 5)) | set(range(max(0, n - 40), n)))
    named = {f"cut at {c} of {n}": data[:c] for c in cuts}
    assert_cut_streams_safe(isolated, named, data)
    # also when only a reduced resolution is asked for
    assert_cut_streams_safe(isolated, {f"cut at {c} of {n}, level 1": data[:c] for c in cuts[::4]}, data, level=1)
    decoded = sum(r[0] == "ok" for r in decode_all(isolated, [data[:c] for c in cuts[::4]], 1))
    assert decoded, "no cut decoded at level 1: the prefix path was not exercised"


def test_psot_past_the_end_reads_as_a_prefix(isolated):
    """A tile-part whose Psot runs past the data looks like the first bytes of a
    longer frame: the levels whose packets are all there decode exactly."""
    base = stream_grey()
    cut = patch(base, find_marker(base, SOT).offset + 6, ">I", 1 << 30)
    assert_cut_streams_safe(isolated, {"Psot past the end": cut}, base)


def test_tile_missing_from_multi_tile_stream(isolated):
    """Drop one whole tile-part (a complete, well-formed stream otherwise)."""
    data = stream_rgb_tiles()
    sots = [m for m in walk_markers(data) if m.code == SOT]
    assert len(sots) >= 4
    psot = struct.unpack(">I", data[sots[1].offset + 6 : sots[1].offset + 10])[0]
    dropped = data[: sots[1].offset] + data[sots[1].offset + psot :]
    assert_all_rejected(isolated, {"tile 1 dropped": dropped}, cls=InvalidCodestreamError)


# --------------------------------------------------------------------------- corrupted headers


def header_offsets(data: bytes) -> Tuple[int, int]:
    return find_marker(data, SIZ).offset, find_marker(data, COD).offset


def invalid_headers() -> Dict[str, bytes]:
    base = stream_grey()
    siz, cod = header_offsets(base)
    return {
        "Xsiz 0": patch(base, siz + 6, ">I", 0),
        "Ysiz 0": patch(base, siz + 10, ">I", 0),
        "XOsiz >= Xsiz": patch(base, siz + 14, ">I", 32),
        "XTsiz 0": patch(base, siz + 22, ">I", 0),
        "YTsiz 0": patch(base, siz + 26, ">I", 0),
        "XTOsiz > XOsiz": patch(base, siz + 30, ">I", 1),
        "Csiz 0": patch(base, siz + 38, ">H", 0),
        "Csiz 2 with one component's Lsiz": patch(base, siz + 38, ">H", 2),
        "Lsiz too short": patch(base, siz + 2, ">H", 20),
        "bit depth 39 (Ssiz 38)": patch(base, siz + 40, "B", 38),
        "bit depth 128 (Ssiz 0x7F)": patch(base, siz + 40, "B", 0x7F),
        "XRsiz 0": patch(base, siz + 41, "B", 0),
        "YRsiz 0": patch(base, siz + 42, "B", 0),
        "33 decomposition levels": patch(base, cod + 9, "B", 33),
        "32 levels, QCD steps for 2": patch(base, cod + 9, "B", 32),
        "code-block width exponent 11": patch(base, cod + 10, "B", 9),
        "code-block height exponent 11": patch(base, cod + 11, "B", 9),
        "code-block 128x128 (sum 14)": patch(patch(base, cod + 10, "B", 5), cod + 11, "B", 5),
        "progression order 5": patch(base, cod + 5, "B", 5),
        "0 quality layers": patch(base, cod + 6, ">H", 0),
        "wavelet transform 2": patch(base, cod + 13, "B", 2),
        "9/7 without quantization": patch(base, cod + 13, "B", 0),
        "Lcod too long": patch(base, cod + 2, ">H", 0xFFF0),
        "SOT index beyond tiles": patch(base, find_marker(base, SOT).offset + 4, ">H", 5),
        "Psot 5": patch(base, find_marker(base, SOT).offset + 6, ">I", 5),
        "no EOC (replaced)": base[:-2] + b"\x00\x00",
        "SIZ not after SOC": base[:2] + b"\xff\x52" + base[4:],
    }


def test_invalid_header_fields(isolated):
    assert_all_rejected(isolated, invalid_headers(), cls=InvalidCodestreamError)


def test_invalid_header_fields_info(isolated):
    """info() reads the same headers: malformed ones raise InvalidCodestreamError too."""
    named = {k: v for k, v in invalid_headers().items() if not k.startswith(("Psot", "no EOC", "SOT", "9/7"))}
    bad = []
    for name, data in named.items():
        r = isolated.call("htj2k.info", data)
        if not (r.kind == "raised" and isinstance(r.exception, InvalidCodestreamError)):
            bad.append(f"{name}: {r.describe()}")
    assert not bad, "\n".join(bad)


def test_unsupported_header_values(isolated):
    """Valid values the linked decoder cannot decode: UnsupportedCodestreamError (or,
    if a future build decodes them, pixels) -- never a crash or a foreign exception."""
    base = stream_grey()
    siz, cod = header_offsets(base)
    named = {
        "bit depth 38": patch(base, siz + 40, "B", 37),
        "bit depth 32": patch(base, siz + 40, "B", 31),
    }
    results = decode_all(isolated, list(named.values()))
    for name, r in zip(named, results):
        assert r[0] != "died", f"{name}: {r[1]}"
        if r[0] == "raised":
            assert isinstance(r[1], UnsupportedCodestreamError), f"{name}: {describe(r)}"


def test_plausible_but_wrong_header_values(isolated):
    """Headers that are valid but do not match the coded data: pixels or an
    Htj2kError, never a crash or another exception type."""
    base = stream_grey()
    siz, cod = header_offsets(base)
    named = {
        "bit depth 1": patch(base, siz + 40, "B", 0),
        "bit depth 16": patch(base, siz + 40, "B", 15),
        "signed": patch(base, siz + 40, "B", 0x87),
        "XRsiz 2": patch(base, siz + 41, "B", 2),
        "1 level instead of 2": patch(base, cod + 9, "B", 1),
        "image offset 5": patch(base, siz + 14, ">I", 5),
        "Part 1 code-blocks": patch(base, cod + 12, "B", 0),
        "MCT on one component": patch(base, cod + 8, "B", 1),
        "Rsiz 0": patch(base, siz + 4, ">H", 0),
        "16x16 code-blocks": patch(patch(base, cod + 10, "B", 2), cod + 11, "B", 2),
        "2 quality layers (data for 1)": patch(base, cod + 6, ">H", 2),  # read as layers: packets missing
    }
    results = decode_all(isolated, list(named.values()))
    bad = [f"{n}: {describe(r) if r[0] != 'died' else r[1].splitlines()[0]}"
           for n, r in zip(named, results) if not (r[0] == "ok" or isinstance(r[1], Htj2kError))]
    assert not bad, "\n".join(bad)


def test_huge_declared_size_is_refused_before_allocation():
    """60000 x 60000 x 4 (14.4 G samples): LimitExceededError naming max_pixels,
    raised without allocating (peak RSS of the process stays small)."""
    code = """
    import resource, struct, numpy as np, htj2k
    img = np.zeros((8, 8, 4), np.uint8)
    data = bytearray(htj2k.encode(img, levels=1))
    siz = bytes(data).index(b"\\xff\\x51")
    for off in (6, 10, 22, 26):  # Xsiz, Ysiz, XTsiz, YTsiz
        struct.pack_into(">I", data, siz + off, 60000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for fn in (htj2k.decode, htj2k.decode_planes):
        try:
            fn(bytes(data))
            print("RETURNED")
        except htj2k.LimitExceededError as e:
            print("LIMIT", e)
        except BaseException as e:
            print("OTHER", type(e).__name__, e)
    info = htj2k.info(bytes(data))
    print("INFO", info.width, info.height, info.num_components)
    print("GROWTH_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """
    rc, out, err = run_python(code)
    assert rc == 0, f"exit {rc}: {err[-2000:]}"
    lines = out.splitlines()
    limit = [l for l in lines if l.startswith("LIMIT")]
    assert len(limit) == 2, out
    assert all("max_pixels" in l for l in limit), out
    assert "INFO 60000 60000 4" in lines, out
    growth = int([l for l in lines if l.startswith("GROWTH_KB")][0].split()[1])
    assert growth < 200_000, f"peak RSS grew by {growth} kB while refusing"


def test_max_pixels_guard():
    data = htj2k.encode(make_image((30, 40, 3), "u1", 8, "random", 0))
    with pytest.raises(LimitExceededError, match="max_pixels"):
        htj2k.decode(data, max_pixels=30 * 40 * 3 - 1)
    assert htj2k.decode(data, max_pixels=30 * 40 * 3).shape == (30, 40, 3)
    with pytest.raises(LimitExceededError):
        htj2k.decode_planes(data, max_pixels=100)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="max_pixels"):
            htj2k.decode(data, max_pixels=bad)
    for bad in (True, 1.5, "10"):
        with pytest.raises(TypeError, match="max_pixels"):
            htj2k.decode(data, max_pixels=bad)


def test_broken_jph_boxes(isolated):
    jph = stream_jph()
    j2c_at = jph.index(b"jp2c")
    named = {
        "signature only": jph[:12],
        "bad box length 3": jph[:12] + struct.pack(">I", 3) + jph[16:],
        "box longer than file": jph[:12] + struct.pack(">I", 1 << 30) + jph[16:],
        "no jp2c box": jph[: j2c_at - 4],
        "jp2c payload not SOC": jph[: j2c_at + 4] + b"\x00\x00" + jph[j2c_at + 6 :],
        "jp2c cut inside codestream": jph[: j2c_at + 60],
        "XLBox length 9": jph[:12] + struct.pack(">I", 1) + b"ftyp" + struct.pack(">Q", 9) + jph[16:],
    }
    assert_all_rejected(isolated, named, cls=InvalidCodestreamError)


def test_non_ascii_box_type_is_an_invalid_codestream():
    """Error messages quote box types; bytes that are not UTF-8 must still give an
    InvalidCodestreamError (not a UnicodeDecodeError from the message)."""
    sig = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
    for data in (sig + b"\x00\x00\x00\x01\x01\x01\x01\x80",  # XLBox cut short, type 01 01 01 80
                 sig + b"\x00\x00\x00\x04\xff\xfe\xfd\xfc",  # box length 4 (< 8)
                 sig + b"\x00\x10\x00\x00\xe9t\xe9\xe0"):  # box longer than the file
        for fn in (htj2k.decode, htj2k.info):
            with pytest.raises(InvalidCodestreamError):
                fn(data)


# --------------------------------------------------------------------------- encode: wrong arrays


@pytest.mark.parametrize(
    "dtype", [np.float32, np.float64, np.float16, np.complex64, np.int64, np.uint64, object, "U3", "datetime64[s]"]
)
def test_encode_unsupported_dtypes(dtype):
    arr = np.zeros((4, 5), dtype=dtype)
    with pytest.raises(TypeError, match="dtype"):
        htj2k.encode(arr)


def test_encode_not_an_array():
    for bad in ([[1, 2], [3, 4]], b"\x00" * 16, None, 3):
        with pytest.raises(TypeError, match="array"):
            htj2k.encode(bad)


@pytest.mark.parametrize(
    "shape", [(5,), (2, 3, 4, 1), (1, 1, 1, 1), (), (0, 4), (4, 0), (0, 0), (3, 3, 0)]
)
def test_encode_wrong_shapes(shape):
    arr = np.zeros(shape, np.uint8)
    with pytest.raises(ValueError, match="array"):
        htj2k.encode(arr)


@pytest.mark.parametrize(
    "view",
    ["fortran", "transposed", "step2_cols", "step2_rows", "reversed_rows", "reversed_cols", "padded_rows",
     "planar_3d", "big_endian"],
)
def test_encode_non_contiguous_arrays(view):
    """Non-contiguous inputs are copied (or read via their row stride): same codestream
    pixels as the contiguous equivalent."""
    base = make_image((24, 34, 3), "u2", 16, "random", 11)
    grey = np.ascontiguousarray(base[:, :, 0])
    arr = {
        "fortran": np.asfortranarray(grey),
        "transposed": grey.T,
        "step2_cols": grey[:, ::2],
        "step2_rows": grey[::2, :],
        "reversed_rows": grey[::-1],
        "reversed_cols": grey[:, ::-1],
        "padded_rows": grey[:, :20],
        "planar_3d": np.ascontiguousarray(np.moveaxis(base, 2, 0)).transpose(1, 2, 0),
        "big_endian": grey.astype(">u2"),
    }[view]
    data = htj2k.encode(arr)
    out = htj2k.decode(data)
    np.testing.assert_array_equal(out, np.ascontiguousarray(arr).astype(out.dtype))
    assert out.shape == arr.shape


def test_encode_bool_with_explicit_depth():
    img = np.eye(6, dtype=bool)
    np.testing.assert_array_equal(htj2k.decode(htj2k.encode(img, bit_depth=1)), img.astype(np.uint8))
    # a wider declared depth is fine too; values 0/1 fit
    assert htj2k.info(htj2k.encode(img, bit_depth=8)).bit_depth == 8


# --------------------------------------------------------------------------- encode: values vs bit depth


@pytest.mark.parametrize(
    "dt,bit_depth,value",
    [
        ("u2", 12, 4096),
        ("u2", 12, 65535),
        ("i2", 12, 2048),
        ("i2", 12, -2049),
        ("i2", 12, -32768),
        ("u1", 1, 2),
        ("i1", 1, 1),
        ("i1", 1, -2),
        ("u1", 7, 128),
        ("i1", 5, -17),
        ("u4", 20, 1 << 20),
        ("i4", 20, -(1 << 19) - 1),
        ("u2", 9, 512),
    ],
)
@pytest.mark.parametrize("where", ["first", "last", "last_component"])
def test_values_outside_declared_depth_are_an_error(dt, bit_depth, value, where):
    shape = (9, 11, 3)
    img = make_image(shape, dt, bit_depth, "random", 5)
    idx = {"first": (0, 0, 0), "last": (8, 10, 2), "last_component": (4, 5, 2)}[where]
    img[idx] = value
    with pytest.raises(EncodeError, match=str(bit_depth)) as exc:
        htj2k.encode(img, bit_depth=bit_depth)
    assert str(value) in str(exc.value), f"message should name the offending value: {exc.value}"
    grey = np.ascontiguousarray(img[:, :, idx[2]])
    with pytest.raises(EncodeError):
        htj2k.encode(grey, bit_depth=bit_depth)


def test_values_at_the_limits_are_accepted(isolated):
    for dt, bd in (("u2", 12), ("i2", 12), ("u1", 1), ("i1", 1), ("u4", 20), ("i4", 23)):
        img = make_image((6, 7), dt, bd, "extremes")
        res = isolated.call("encode_decode", img, {"bit_depth": bd})
        assert res.ok, f"{dt} bit_depth={bd}, min/max checkerboard: {res.summary()}"
        np.testing.assert_array_equal(res.value["full"], img, err_msg=f"{dt} bit_depth={bd}")


# --------------------------------------------------------------------------- encode: options


def _img():
    return make_image((64, 64), "u2", 16, "random", 0)


@pytest.mark.parametrize(
    "kwargs,exc,name",
    [
        ({"levels": 7}, ValueError, "levels"),
        ({"levels": 33}, ValueError, "levels"),
        ({"levels": -1}, ValueError, "levels"),
        ({"levels": 1.5}, TypeError, "levels"),
        ({"levels": "3"}, TypeError, "levels"),
        ({"levels": True}, TypeError, "levels"),
        ({"block_size": (3, 4)}, ValueError, "block_size"),
        ({"block_size": (128, 64)}, ValueError, "block_size"),
        ({"block_size": (2, 4)}, ValueError, "block_size"),
        ({"block_size": (2048, 2)}, ValueError, "block_size"),
        ({"block_size": 0}, ValueError, "block_size"),
        ({"block_size": "64"}, TypeError, "block_size"),
        ({"block_size": (64, 64, 64)}, TypeError, "block_size"),
        ({"block_size": None}, TypeError, "block_size"),
        ({"precincts": [(3, 4)]}, ValueError, "precincts"),
        ({"precincts": [(65536, 64)]}, ValueError, "precincts"),
        ({"precincts": [(1, 1)], "levels": 2}, ValueError, "precincts"),
        ({"precincts": [(64, 64), (1, 2)], "levels": 2}, ValueError, "precincts"),
        ({"progression": "XYZ"}, ValueError, "progression"),
        ({"progression": 2}, TypeError, "progression"),  # a type, not a value
        ({"tile_size": 0}, ValueError, "tile_size"),
        ({"tile_size": (16, -1)}, ValueError, "tile_size"),
        ({"tile_size": "16"}, TypeError, "tile_size"),
        ({"bit_depth": 0}, ValueError, "bit_depth"),
        ({"bit_depth": 17}, ValueError, "bit_depth"),
        ({"bit_depth": 12.0}, TypeError, "bit_depth"),
        ({"colour_transform": True}, ValueError, "colour_transform"),
        ({"qstep": 0.01, "reversible": True}, ValueError, "qstep"),
        ({"qstep": 0}, ValueError, "qstep"),
        ({"qstep": -0.5}, ValueError, "qstep"),
        ({"qstep": float("nan")}, ValueError, "qstep"),
        ({"qstep": float("inf")}, ValueError, "qstep"),
        ({"qstep": "0.1"}, TypeError, "qstep"),
        ({"container": "png"}, ValueError, "container"),
        ({"tileparts": "X"}, ValueError, "tileparts"),
    ],
)
def test_encode_bad_options(isolated, kwargs, exc, name):
    res = isolated.call("htj2k.encode", _img(), **kwargs)
    assert res.kind == "raised", f"encode({kwargs}) {res.describe()}"
    assert isinstance(res.exception, exc), f"encode({kwargs}) {res.describe()}; expected {exc.__name__}"
    assert name in str(res.exception), f"encode({kwargs}): message should name {name!r}: {res.exception}"


def test_too_many_tiles_is_a_value_error(isolated):
    """300 x 300 in 1 x 1 tiles = 90000 tiles > 65535 (the SIZ limit)."""
    res = isolated.call("htj2k.encode", np.zeros((300, 300), np.uint8), tile_size=(1, 1))
    assert res.kind == "raised", res.describe()
    assert isinstance(res.exception, ValueError) and "tile" in str(res.exception), res.describe()


@pytest.mark.parametrize("encoder", ["auto", "htj2k", "openjph"])
@pytest.mark.parametrize("kwargs", [{"tileparts": "C", "progression": "CPRL"},
                                    {"tileparts": "RC", "progression": "LRCP"}, {"tileparts": "C", "progression": "RLCP"}])
def test_component_tileparts_on_every_openjph(kwargs, encoder):
    """TLM and every tile-part division work on every OpenJPH: our tile-part writer
    after our encoder, and after OpenJPH before 0.10 (tests/codec/test_tileparts.py);
    OpenJPH's own from 0.10."""
    img = make_image((32, 32), "u1", 8, "random", 0)
    assert FEATURES["tlm"] is True and FEATURES["tileparts"] is True
    assert FEATURES["tilepart_divisions"] == ["R", "C", "RC"]
    data = htj2k.encode(img, encoder=encoder, **kwargs)
    assert htj2k.info(data).tile_parts == (1 if kwargs["progression"] == "CPRL" else htj2k.info(data).levels + 1)
    np.testing.assert_array_equal(htj2k.decode(data), img)


@pytest.mark.parametrize("progression,tileparts", [("RPCL", "C"), ("RPCL", "RC"), ("PCRL", "R"), ("PCRL", "C"),
                                                   ("PCRL", "RC"), ("CPRL", "R"), ("CPRL", "RC")])
def test_tileparts_that_do_not_fit_the_progression_are_refused(progression, tileparts):
    """A tile-part per precinct is what these would mean; OpenJPH >= 0.10 drops them
    with a warning. Refused up front with the same ValueError on every version."""
    img = make_image((32, 32), "u1", 8, "random", 0)
    with pytest.raises(ValueError, match=f"tileparts: '{tileparts}' with {progression}"):
        htj2k.encode(img, progression=progression, tileparts=tileparts)


# --------------------------------------------------------------------------- decode: arguments


def _small():
    img = make_image((20, 24), "u2", 12, "random", 0)
    return img, htj2k.encode(img, bit_depth=12, levels=2)


@pytest.mark.parametrize("func", ["decode", "decode_planes"])
def test_level_argument(func):
    _, data = _small()
    fn = getattr(htj2k, func)
    for bad in ("1", 1.0, None, True, [1]):
        with pytest.raises(TypeError, match="level"):
            fn(data, level=bad)
    for bad in (-1, -100):
        with pytest.raises(ValueError, match="level"):
            fn(data, level=bad)
    for bad in (3, 4, 33, 2**40):
        with pytest.raises(ValueError, match="level"):
            fn(data, level=bad)
    fn(data, level=np.int64(2))


def test_data_argument_types(tmp_path):
    _, data = _small()
    with pytest.raises(TypeError, match="data"):
        htj2k.decode(np.frombuffer(data, np.uint8).astype(np.uint16))
    with pytest.raises(TypeError, match="data"):
        htj2k.decode(12345)
    with pytest.raises(TypeError, match="data"):
        htj2k.decode([1, 2, 3])
    with pytest.raises(FileNotFoundError):
        htj2k.decode(tmp_path / "missing.j2c")
    # a non-contiguous byte view is read correctly
    doubled = np.repeat(np.frombuffer(data, np.uint8), 2)
    np.testing.assert_array_equal(htj2k.decode(doubled[::2]), htj2k.decode(data))
    np.testing.assert_array_equal(htj2k.decode(memoryview(doubled)[::2]), htj2k.decode(data))


def test_out_argument():
    img, data = _small()
    with pytest.raises(ValueError, match="out"):
        htj2k.decode(data, out=np.zeros(img.shape, np.uint8))
    with pytest.raises(ValueError, match="out"):
        htj2k.decode(data, out=np.zeros(img.shape, np.int16))
    with pytest.raises(ValueError, match="out"):
        htj2k.decode(data, out=np.zeros((20, 25), np.uint16))
    with pytest.raises(ValueError, match="out"):
        htj2k.decode(data, out=np.zeros((20, 24, 1), np.uint16))
    with pytest.raises(ValueError, match="out"):
        htj2k.decode(data, level=1, out=np.zeros(img.shape, np.uint16))
    ro = np.zeros(img.shape, np.uint16)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        htj2k.decode(data, out=ro)
    assert not ro.any()
    for view in (np.zeros((24, 20), np.uint16).T, np.zeros(img.shape, np.uint16)[::-1],
                 np.zeros((20, 48), np.uint16)[:, ::2]):
        with pytest.raises(ValueError, match="out"):
            htj2k.decode(data, out=view)
    for bad in ([[0]], b"\x00" * 960, 3):
        with pytest.raises(TypeError, match="out"):
            htj2k.decode(data, out=bad)
    good = np.zeros((10, 12), np.uint16)
    assert htj2k.decode(data, level=1, out=good) is good


# --------------------------------------------------------------------------- silence


def _message_stream_code() -> str:
    """Python that builds a stream with a byte of code-block data overwritten (in
    the middle of the packet data; packet headers are checked by our pre-parse, code-
    block bytes are not): OpenJPH 0.9.0 then reports an error ("Error decoding a
    codeblock") through its message handlers."""
    return """
    import numpy as np, htj2k
    rng = np.random.default_rng(1)
    img = (np.add.outer(np.arange(64), np.arange(64)) * 2).astype(np.uint8)
    img ^= rng.integers(0, 16, img.shape, dtype=np.uint8)
    bad = bytearray(htj2k.encode(img, levels=2))
    bad[(bad.index(b"\\xff\\x93") + 2 + len(bad) - 2) // 2] = 0
    bad = bytes(bad)
    """


def test_openjph_messages_are_never_printed():
    """Nothing reaches stdout/stderr while OpenJPH reports problems (the handlers
    must capture them); the caller gets an Htj2kError (or pixels), nothing else.
    Runs in a fresh interpreter so its output is exactly what htj2k printed."""
    code = _message_stream_code() + f"""
    import sys
    results = []
    for level in (0, 1, 0):
        try:
            a = htj2k.decode(bad, level=level, **{FORCE_OPENJPH!r})
            results.append("pixels %s" % (a.shape,))
        except htj2k.Htj2kError as e:
            results.append("Htj2kError" + (" quoting OpenJPH" if "OpenJPH" in str(e) else ""))
        except BaseException as e:
            results.append("FOREIGN %s: %s" % (type(e).__name__, e))
    # encoder-side message: a precinct size OpenJPH rejects
    try:
        htj2k.encode(img, levels=2, precincts=[(1, 1)])
        results.append("encoded")
    except (htj2k.Htj2kError, ValueError):
        results.append("refused")
    except BaseException as e:
        results.append("FOREIGN %s: %s" % (type(e).__name__, e))
    sys.stdout.flush()
    sys.stderr.flush()
    open(sys.argv[1], "w").write("\\n".join(results))
    """
    import tempfile, os

    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.txt")
        rc, out, err = run_python(code, args=(report,))
        assert rc == 0, f"exit {rc}: {err[-2000:]}"
        results = open(report).read().splitlines()
    assert out == "" and err == "", f"htj2k printed:\nstdout: {out!r}\nstderr: {err!r}"
    assert not [r for r in results if r.startswith("FOREIGN")], results
    if FORCE_OPENJPH:
        # the stream really makes OpenJPH report (its text is quoted in the error)
        assert results[0] == "Htj2kError quoting OpenJPH", results


def test_openjph_errors_are_htj2k_errors(isolated):
    """The same stream in process: the decode error is an Htj2kError subclass."""
    code_ns: Dict[str, Any] = {}
    exec(textwrap.dedent(_message_stream_code()), code_ns)
    for level in (0, 1):
        r = isolated.call("htj2k.decode", code_ns["bad"], level=level, **FORCE_OPENJPH)
        assert r.kind != "died", r.describe()
        if r.kind == "raised":
            assert isinstance(r.exception, Htj2kError), r.describe()


# --------------------------------------------------------------------------- threads


def test_concurrent_encode_decode_from_four_threads():
    """4 threads encoding and decoding different images at once give exactly the
    single-threaded results; one more thread keeps decoding a stream that makes
    OpenJPH report errors, which must not leak into the others (per-thread message
    state). In a subprocess, so a crash fails this test only."""
    code = _message_stream_code() + f"""
    force = {FORCE_OPENJPH!r}
    import threading, zlib
    from concurrent.futures import ThreadPoolExecutor

    def job(k):
        rng = np.random.default_rng(k)
        shape = [(64, 48), (33, 65, 3), (40, 40, 4), (17, 90)][k % 4]
        dt = [np.uint8, np.uint16, np.int16, np.uint16][k % 4]
        bd = [8, 12, 11, 16][k % 4]
        lo, hi = (-(1 << (bd - 1)), (1 << (bd - 1)) - 1) if dt == np.int16 else (0, (1 << bd) - 1)
        img = rng.integers(lo, hi, shape, endpoint=True).astype(dt)
        data = htj2k.encode(img, bit_depth=bd, levels=3)
        full = htj2k.decode(data)
        low = htj2k.decode(data, level=2)
        assert (full == img).all(), "lossless round trip failed"
        return zlib.crc32(data), zlib.crc32(full.tobytes()), zlib.crc32(low.tobytes())

    expected = [job(k) for k in range(8)]
    stop = threading.Event()
    bad_outcomes = set()

    def noisy():
        while not stop.is_set():
            try:
                htj2k.decode(bad, **force)
                bad_outcomes.add("pixels")
            except Exception as e:  # the type must not depend on other threads' work
                bad_outcomes.add(type(e).__name__)

    t = threading.Thread(target=noisy)
    t.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            for rep in range(6):
                got = list(pool.map(job, range(8)))
                assert got == expected, "round %d: results differ from single-threaded ones" % rep
    finally:
        stop.set()
        t.join()
    print("OK", len(bad_outcomes), sorted(bad_outcomes)[:3])
    """
    rc, out, err = run_python(code, timeout=300)
    assert rc == 0, f"exit {rc}\nstdout: {out[-1000:]}\nstderr: {err[-3000:]}"
    assert "OK 1 " in out, f"the failing stream's outcome (exception type) varied between calls: {out}"
