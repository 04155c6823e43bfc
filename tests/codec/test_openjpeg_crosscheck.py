"""Every lossless codestream htj2k writes decodes bit-exactly with OpenJPEG too,
and OpenJPEG's reduced-resolution decodes equal ``htj2k.decode(level=r)``.

Two independent OpenJPEG builds are used:

* ``imagecodecs.jpeg2k_decode`` (OpenJPEG 2.5.x bundled with imagecodecs), in
  process, for the full-resolution corpus;
* ``/usr/bin/opj_decompress`` (the system OpenJPEG, 2.5.0 on Debian 12), writing
  PGX, for full and reduced resolutions (``-r``).

Our side (encode and decode) runs in forked children (``isolated``) because
OpenJPH 0.9.0 can abort or crash the process.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any, Dict

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import htj2k
from htj2k import _core

from helpers.images import PATTERNS, make_image
from helpers.openjpeg import OPJ_DECOMPRESS, opj_decompress

PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")
# bits per dtype used in the corpus; 32-bit samples are kept to <= 24 bits here
# (test_roundtrip.test_deep_bit_depths covers deeper ones).
DEPTHS = {"u1": (1, 8), "i1": (2, 8), "u2": (9, 16), "i2": (9, 16), "u4": (17, 23), "i4": (17, 23)}


def _require(ok: bool, reason: str) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def imagecodecs_openjpeg():
    try:
        import imagecodecs
    except ImportError:  # pragma: no cover - part of the test extras
        _require(False, "imagecodecs is not installed (pip install '.[test]')")
    _require(bool(getattr(imagecodecs, "JPEG2K", None)) and imagecodecs.JPEG2K.available,
             "imagecodecs was built without JPEG2K")
    return imagecodecs


@pytest.fixture(scope="module")
def opj():
    _require(OPJ_DECOMPRESS is not None, "opj_decompress not found (Debian package libopenjp2-tools)")
    return opj_decompress


def test_imagecodecs_jpeg2k_is_openjpeg(imagecodecs_openjpeg):
    version = imagecodecs_openjpeg.jpeg2k_version()
    assert version.lower().startswith("openjpeg "), version


def test_opj_decompress_is_openjpeg_2_5(opj):
    proc = subprocess.run([OPJ_DECOMPRESS, "-h"], capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    assert "OpenJPEG" in text and "openjp2 library v2." in text, text[:300]


# --------------------------------------------------------------------------- corpus


@st.composite
def corpus_case(draw) -> Dict[str, Any]:
    dt = draw(st.sampled_from(sorted(DEPTHS)))
    lo_bd, hi_bd = DEPTHS[dt]
    bit_depth = draw(st.one_of(st.just(hi_bd), st.integers(lo_bd, hi_bd), st.just(lo_bd)))
    h = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 2, 3, 17, 33])))
    w = draw(st.one_of(st.integers(1, 40), st.sampled_from([1, 2, 3, 17, 33])))
    nc = draw(st.sampled_from([1, 1, 3, 3, 4]))
    cap = _core.max_levels_for_size(w, h)
    a = draw(st.integers(2, 7))
    b = draw(st.integers(2, min(7, 12 - a)))
    kwargs: Dict[str, Any] = {
        "bit_depth": bit_depth,
        "levels": draw(st.integers(0, cap)),
        "block_size": (1 << a, 1 << b),
        "progression": draw(st.sampled_from(PROGRESSIONS)),
    }
    if nc >= 3:
        kwargs["colour_transform"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        kwargs["tile_size"] = (draw(st.integers(max(1, w // 3), w)), draw(st.integers(max(1, h // 3), h)))
    if draw(st.integers(0, 3)) == 0:
        kwargs["precincts"] = [(1 << draw(st.integers(3, 7)), 1 << draw(st.integers(3, 7)))]
    return {
        "shape": (h, w) if nc == 1 else (h, w, nc),
        "dtype": dt,
        "bit_depth": bit_depth,
        "pattern": draw(st.sampled_from(PATTERNS)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "kwargs": kwargs,
        "reduce": draw(st.integers(0, kwargs["levels"])),
    }


def _diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shapes differ: {a.shape} vs {b.shape}"
    bad = np.argwhere(a.astype(np.int64) != b.astype(np.int64))
    if bad.size == 0:
        return ""
    i = tuple(int(k) for k in bad[0])
    return f"{len(bad)} of {a.size} samples differ; first at {i}: {a[i]} vs {b[i]}"


@given(case=corpus_case())
@example(case={"shape": (2, 2), "dtype": "u1", "bit_depth": 8, "pattern": "random", "seed": 0,
               "kwargs": {"bit_depth": 8, "levels": 1, "tile_size": (1, 1)}, "reduce": 1})
@example(case={"shape": (13, 14), "dtype": "u1", "bit_depth": 8, "pattern": "random", "seed": 0,
               "kwargs": {"bit_depth": 8, "levels": 2, "tile_size": (6, 11)}, "reduce": 0})
def test_openjpeg_decodes_our_lossless_codestreams(isolated, imagecodecs_openjpeg, opj, case):
    img = make_image(case["shape"], case["dtype"], case["bit_depth"], case["pattern"], case["seed"])
    data = isolated.call("htj2k.encode", img, **case["kwargs"]).unwrap()

    # OpenJPEG (imagecodecs build), full resolution: bit-exact.
    theirs = imagecodecs_openjpeg.jpeg2k_decode(data)
    assert not _diff(theirs, img), f"imagecodecs/OpenJPEG: {_diff(theirs, img)}"

    # OpenJPEG (system opj_decompress), full resolution: bit-exact.
    full, diag = opj(data)
    assert full is not None, f"opj_decompress failed on a codestream htj2k wrote: {diag}"
    assert not _diff(full, img), f"opj_decompress: {_diff(full, img)}"

    # Level r (0 = full): OpenJPEG and htj2k agree bit for bit (both clamp).
    r = case["reduce"]
    reduced = full
    if r:
        reduced, diag = opj(data, reduce=r)
        assert reduced is not None, f"opj_decompress -r {r} failed: {diag}"
    ours = isolated.call("htj2k.decode", data, level=r).unwrap()
    assert not _diff(ours, reduced), f"level {r}: htj2k vs opj_decompress: {_diff(ours, reduced)}"


# --------------------------------------------------------------------------- fixed cases


@pytest.mark.parametrize(
    "dt,bit_depth,shape,kwargs",
    [
        ("u2", 12, (61, 47), {"levels": 5}),
        ("i2", 12, (61, 47), {"levels": 5}),
        ("u1", 8, (33, 65, 3), {"levels": 4, "colour_transform": True}),
        ("u1", 8, (33, 65, 3), {"levels": 4, "colour_transform": False}),
        ("i2", 16, (40, 40, 4), {"levels": 3, "colour_transform": True}),
        ("u2", 16, (64, 64), {"levels": 6, "progression": "LRCP", "block_size": (16, 16)}),
        ("u4", 23, (31, 29), {"levels": 4, "progression": "CPRL"}),
        ("i4", 20, (31, 29, 3), {"levels": 2, "progression": "PCRL"}),
        ("u1", 1, (50, 30), {"levels": 3}),
        ("u2", 10, (64, 48), {"levels": 3, "tile_size": (32, 16)}),
        ("u2", 10, (64, 48), {"levels": 3, "precincts": [(32, 32), (16, 16)]}),
    ],
)
def test_reduced_resolutions_match_openjpeg(isolated, opj, dt, bit_depth, shape, kwargs):
    """Every reduction 0..levels of a few typical images, extremes included (the
    reduced levels then overshoot the nominal range and both decoders clamp)."""
    levels = kwargs["levels"]
    failures = []
    for pattern in ("extremes", "smooth", "random"):
        img = make_image(shape, dt, bit_depth, pattern, 1)
        data = isolated.call("htj2k.encode", img, bit_depth=bit_depth, **kwargs).unwrap()
        for r in range(levels + 1):
            theirs, diag = opj(data, reduce=r)
            if theirs is None:
                failures.append(f"{pattern}, level {r}: opj_decompress failed: {diag}")
                continue
            if r == 0 and _diff(theirs, img):
                failures.append(f"{pattern}: opj_decompress full resolution: {_diff(theirs, img)}")
            res = isolated.call("htj2k.decode", data, level=r)
            if not res.ok:
                failures.append(f"{pattern}, level {r}: htj2k.decode {res.summary()}")
            elif _diff(res.value, theirs):
                failures.append(f"{pattern}, level {r}: htj2k vs opj_decompress: {_diff(res.value, theirs)}")
    assert not failures, "\n".join(failures)


def opj_can_decode(bit_depth: int, levels: int) -> bool:
    """OpenJPEG 2.5 decodes code-blocks of at most 30 magnitude bit-planes ("32 bits
    are not enough to decode this codeblock"); OpenJPH writes bit depth + 1 guard bit
    - 1 + the subband gain (1 for HL/LH, 2 for HH; LL alone at 0 levels) planes, one
    more where the encoder codes a bit deeper to dodge OpenJPH's lowest-value defect
    (gate zero_level_lowest_value_bug, encoder.cpp)."""
    widened = 1 if htj2k.features()["openjph_gates"]["zero_level_lowest_value_bug"] else 0
    return bit_depth + widened + min(levels, 2) <= 30


@pytest.mark.parametrize("signed", [False, True])
def test_deep_codestreams_decode_with_openjpeg(isolated, imagecodecs_openjpeg, opj, signed):
    """32-bit samples deeper than the corpus (25 bits up to features()['max_bit_depth']):
    whatever encode returns must decode bit-exactly with both OpenJPEG builds where
    OpenJPEG decodes that many magnitude bit-planes (measured on 2.5.0 and 2.5.3: up
    to 30, i.e. bit depth + min(levels, 2) <= 30; see opj_can_decode); deeper ones
    must fail cleanly there, never decode to other samples. An encode that refuses
    (Htj2kError) is fine here; one that crashes is not."""
    top = int(htj2k.features()["max_bit_depth"])
    dt = "i4" if signed else "u4"
    failures = []
    for bd in range(25, top + 1):
        for lv in (0, 1, 3):
            for pattern in ("random", "extremes"):
                img = make_image((32, 32), dt, bd, pattern, 1)
                label = f"{dt} bit_depth={bd} levels={lv} {pattern}"
                res = isolated.call("htj2k.encode", img, bit_depth=bd, levels=lv)
                if res.kind == "raised" and isinstance(res.exception, htj2k.Htj2kError):
                    continue
                if not res.ok:
                    failures.append(f"{label}: encode {res.summary()}")
                    continue
                must = opj_can_decode(bd, lv)
                full, diag = opj(res.value)
                if full is None:
                    if must:
                        failures.append(f"{label}: opj_decompress cannot decode what encode returned: {diag}")
                elif _diff(full, img):
                    failures.append(f"{label}: opj_decompress: {_diff(full, img)}")
                try:
                    theirs = imagecodecs_openjpeg.jpeg2k_decode(res.value)
                    if _diff(theirs, img):
                        failures.append(f"{label}: imagecodecs/OpenJPEG: {_diff(theirs, img)}")
                except Exception as e:  # noqa: BLE001 - any failure is the finding
                    if must:
                        failures.append(f"{label}: imagecodecs/OpenJPEG cannot decode it: {e}")
    assert not failures, f"{len(failures)} deep codestreams are not what was encoded:\n" + "\n".join(failures)


def test_jph_file_decodes_with_openjpeg(isolated, imagecodecs_openjpeg, opj):
    img = make_image((23, 31, 3), "u2", 12, "random", 9)
    jph = isolated.call("htj2k.encode", img, bit_depth=12, container="jph").unwrap()
    np.testing.assert_array_equal(imagecodecs_openjpeg.jpeg2k_decode(jph), img)
    theirs, diag = opj(jph, suffix=".jp2")  # opj_decompress picks the format by suffix
    assert theirs is not None, diag
    np.testing.assert_array_equal(theirs, img.astype(np.int64))
