"""The native boundary of htj2k._core: every function taking a buffer or an array
refuses memory laid out otherwise than C++ reads it (ValueError; a reversed
memoryview once made crc32 read ~1 KB past its buffer), the constants C++ exports,
and the installed package holding no test-only code."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

import htj2k
from htj2k import _core

SRC_PACKAGE = Path(__file__).resolve().parents[2] / "src" / "python" / "htj2k"


@pytest.fixture(scope="module")
def stream() -> bytes:
    img = (np.arange(24 * 20, dtype=np.uint16).reshape(20, 24) * 7) % 4096
    return htj2k.encode(img, bit_depth=12)


def _bad_views(data: bytes):
    """Views of `data`'s bytes that are not C-contiguous (each at least 2 bytes long)."""
    doubled = np.repeat(np.frombuffer(data, np.uint8), 2)
    grid = np.frombuffer(data * 2, np.uint8)[: 2 * (len(data) // 2) * 2].reshape(2, -1)
    return {
        "reversed memoryview": memoryview(data)[::-1],
        "strided memoryview": memoryview(doubled)[::2],
        "reversed numpy": np.frombuffer(data, np.uint8)[::-1],
        "strided numpy": doubled[::2],
        "2-D column slice": grid[:, ::2],
        "transposed numpy": grid.T,
    }


BUFFER_CALLS = {
    "parse_info": lambda d: _core.parse_info(d),
    "select_decoder": lambda d: _core.select_decoder(d, 0, "auto"),
    "decode": lambda d: _core.decode(d),
    "decode_planes": lambda d: _core.decode_planes(d),
    "crc32": lambda d: _core.crc32(d),
    "checksums": lambda d: _core.checksums(d, [0, 1]),
    "transcode": lambda d: _core.transcode(d, 4),
    "flatten_layers": lambda d: _core.flatten_layers(d),
    "wrap_jph": lambda d: _core.wrap_jph(d),
}


@pytest.mark.parametrize("call", sorted(BUFFER_CALLS))
def test_buffer_functions_refuse_non_contiguous_views(call, stream):
    for name, view in _bad_views(stream).items():
        with pytest.raises(ValueError, match="C-contiguous") as info:
            BUFFER_CALLS[call](view)
        assert "data" in str(info.value), (name, str(info.value))


@pytest.mark.parametrize("call", sorted(BUFFER_CALLS))
def test_buffer_functions_accept_contiguous_views(call, stream):
    """Contiguous views (offset slices, numpy arrays, bytearray) are read as they are."""
    padded = b"\0" * 3 + stream
    for view in (memoryview(padded)[3:], np.frombuffer(padded, np.uint8)[3:], bytearray(stream)):
        assert _same(BUFFER_CALLS[call](view), BUFFER_CALLS[call](stream))


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, list) and a and isinstance(a[0], np.ndarray):
        return all(np.array_equal(x, y) for x, y in zip(a, b))
    return a == b


def test_crc32_of_a_reversed_view_never_reads_past_it():
    data = bytes(range(256)) * 4
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.crc32(memoryview(data)[::-1])
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.crc32(memoryview(data)[1::3])
    # a single byte or an empty view has no layout to get wrong
    assert _core.crc32(memoryview(data)[::-1][:1]) == _core.crc32(data[-1:])
    assert _core.crc32(memoryview(data)[::-1][:0]) == 0


def test_batch_functions_refuse_non_contiguous_views_per_item(stream):
    views = list(_bad_views(stream).values())
    out = _core.decode_many([stream, *views], threads=1)
    assert isinstance(out[0], np.ndarray)
    assert all(isinstance(e, ValueError) and "C-contiguous" in str(e) for e in out[1:]), out[1:]
    sums = _core.checksums_many([stream, *views], [[0]], threads=1)
    assert isinstance(sums[0], tuple)
    assert all(isinstance(e, ValueError) and "C-contiguous" in str(e) for e in sums[1:]), sums[1:]


def _bad_arrays():
    base = np.arange(20 * 48 * 3, dtype=np.uint16).reshape(20, 48, 3) % 4096
    grey = np.ascontiguousarray(base[:, :, 0])
    return {
        "step-2 columns": grey[:, ::2],
        "reversed rows": grey[::-1],
        "reversed columns": grey[:, ::-1],
        "transposed": grey.T,
        "component slice": base[:, :, :2],
        "planar (H, W, C) view": np.ascontiguousarray(np.moveaxis(base, 2, 0)).transpose(1, 2, 0),
    }


@pytest.mark.parametrize("name", sorted(_bad_arrays()))
def test_array_functions_refuse_non_contiguous_rows(name):
    arr = _bad_arrays()[name]
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.encode(arr, {"bit_depth": 12})
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.pixel_checksums(arr, 2, 12)
    (slot,) = _core.encode_many([(arr, _encode_options())], threads=1)
    assert isinstance(slot, ValueError) and "C-contiguous" in str(slot)


def _encode_options() -> dict:
    return {"bit_depth": 12}


def test_padded_rows_are_read_through_their_stride():
    """Rows of a wider array (positive row stride) stay in bounds: accepted, same result."""
    wide = (np.arange(20 * 48, dtype=np.uint16).reshape(20, 48) * 5) % 4096
    view = wide[:, :24]
    assert _core.encode(view, {"bit_depth": 12}) == _core.encode(np.ascontiguousarray(view), {"bit_depth": 12})
    assert _core.pixel_checksums(view, 2, 12) == _core.pixel_checksums(np.ascontiguousarray(view), 2, 12)


def test_decode_out_refuses_non_contiguous_arrays(stream):
    for view in (np.zeros((24, 20), np.uint16).T, np.zeros((20, 24), np.uint16)[::-1],
                 np.zeros((20, 48), np.uint16)[:, ::2]):
        with pytest.raises(ValueError, match="out"):
            _core.decode(stream, out=view)
    wide = np.zeros((20, 30), np.uint16)
    _core.decode(stream, out=wide[:, :24])  # padded rows: written through the stride
    assert np.array_equal(wide[:, :24], _core.decode(stream)) and not wide[:, 24:].any()


# --------------------------------------------------------------------------- constants


def test_exported_constants():
    assert _core.PROGRESSIONS == ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")
    assert _core.DEFAULT_LEVELS == 5
    assert _core.MAX_LEVELS == 32
    assert _core.DEFAULT_MAX_PIXELS == htj2k.DEFAULT_MAX_PIXELS == 1 << 31
    assert _core.DEFAULT_MAX_MEMORY == htj2k.DEFAULT_MAX_MEMORY == 2 << 30
    assert _core.MAX_COMPONENTS == 16384 and _core.MAX_TILES == 65535
    assert (_core.MIN_BLOCK_SIDE, _core.MAX_BLOCK_SIDE, _core.MAX_BLOCK_AREA) == (4, 1024, 4096)
    assert (_core.MIN_PRECINCT_SIDE, _core.MAX_PRECINCT_SIDE) == (8, 32768)
    feats = _core.features()
    assert _core.MAX_ENCODE_BIT_DEPTH == feats["max_bit_depth"]
    assert _core.OPENJPH_MAX_DECODE_BIT_DEPTH == feats["openjph_max_decode_bit_depth"]
    # the encoder checks what it exports
    for p in _core.PROGRESSIONS:
        _core.encode(np.zeros((8, 8), np.uint8), {"progression": p})
    with pytest.raises(ValueError, match="progression"):
        _core.encode(np.zeros((8, 8), np.uint8), {"progression": "XXXX"})
    assert htj2k.info(_core.encode(np.zeros((64, 64), np.uint8))).levels == _core.DEFAULT_LEVELS


def test_sample_bytes_and_nominal_range():
    assert [_core.sample_bytes(b) for b in (1, 8, 9, 16, 17, 32)] == [1, 1, 2, 2, 4, 4]
    assert _core.nominal_range(12, False) == (0, 4095)
    assert _core.nominal_range(12, True) == (-2048, 2047)
    assert _core.nominal_range(32, False) == (0, 2**32 - 1)
    assert _core.nominal_range(1, True) == (-1, 0)
    for bad in (0, 33):
        with pytest.raises(ValueError, match="bits"):
            _core.sample_bytes(bad)
        with pytest.raises(ValueError, match="bits"):
            _core.nominal_range(bad, False)
    # decoded arrays use exactly that size
    for bits in (5, 12, 20):
        img = np.zeros((4, 4), np.uint8 if bits <= 8 else np.uint16 if bits <= 16 else np.uint32)
        assert _core.decode(_core.encode(img, {"bit_depth": bits})).itemsize == _core.sample_bytes(bits)


# --------------------------------------------------------------------------- test-only code


def test_installed_core_has_no_test_hooks():
    assert not hasattr(_core, "_kernels")
    assert "check_tiles" not in (_core.encode.__doc__ or "")
    with pytest.raises(TypeError):
        _core.encode(np.zeros((8, 8), np.uint8), {"check_tiles": False})
    assert "htj2k_testing" not in sys.modules or not Path(sys.modules["htj2k_testing"].__file__).is_relative_to(
        Path(htj2k.__file__).parent)


def _files(root: Path) -> set:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            and not any(part.startswith(".") for part in p.relative_to(root).parts)}  # tool caches


def test_installed_package_holds_only_the_expected_files():
    installed = Path(htj2k.__file__).resolve().parent
    if installed == SRC_PACKAGE.resolve():
        pytest.skip("htj2k runs from the source tree, not an installed package")
    files = _files(installed)
    extensions = {f for f in files if f.startswith("_core.") and f.endswith((".so", ".pyd"))}
    assert len(extensions) == 1, files
    assert files - extensions == _files(SRC_PACKAGE), "installed files differ from src/python/htj2k"
    assert "_core.pyi" in files and "py.typed" in files
    assert not any("testing" in f or "kernels" in f for f in files), files


def test_core_stub_names_every_function():
    """_core.pyi documents the whole module: no public name is missing from it."""
    stub = (SRC_PACKAGE / "_core.pyi").read_text()
    public = {n for n in dir(_core) if not n.startswith("_")}
    missing = {n for n in public if f"def {n}(" not in stub and f"{n}:" not in stub}
    assert not missing, missing
    assert inspect.ismodule(_core)
