"""The same bytes give the same pixels and checksums on every call and every thread
count, and checksums(data)[-1] == crc32(decode(data)) whenever both succeed: for
valid frames of every kind we encode and for damaged ones (where OpenJPH may fail
part-way and OpenJPEG take over). Each example runs in a forked child (`isolated`)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import htj2k
from helpers.images import make_image

FORMATS = [("u1", 8), ("i1", 8), ("u2", 12), ("i2", 12), ("u2", 16), ("i2", 16), ("i4", 20)]


@st.composite
def frames(draw, damaged: bool):
    dt, bd = draw(st.sampled_from(FORMATS))
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    nc = draw(st.sampled_from([1, 1, 2, 3]))
    shape = (h, w) if nc == 1 else (h, w, nc)
    img = make_image(shape, dt, bd, draw(st.sampled_from(["random", "extremes", "smooth"])), draw(st.integers(0, 9)))
    kwargs = {"bit_depth": bd, "levels": draw(st.integers(0, min(3, int(np.log2(min(h, w))) if min(h, w) > 1 else 0)))}
    if draw(st.booleans()):
        kwargs["tile_size"] = (draw(st.integers(8, 48)), draw(st.integers(8, 48)))
    if draw(st.booleans()):
        kwargs["progression"] = draw(st.sampled_from(["LRCP", "RLCP", "RPCL", "PCRL", "CPRL"]))
    if nc >= 3 and draw(st.booleans()):
        kwargs["colour_transform"] = False
    try:
        data = bytearray(htj2k.encode(img, **kwargs))
    except htj2k.Htj2kError:
        data = bytearray(htj2k.encode(img, bit_depth=bd))
    if damaged:
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(len(data) // 4, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
    return bytes(data)


def _check(isolated, data):
    res = isolated.call("determinism", data)
    assert res.kind == "ok", res.describe()
    problems, _kinds = res.value
    assert not problems, problems


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(damaged=False))
def test_valid_frames_are_deterministic(isolated, data):
    _check(isolated, data)
    # and valid frames decode
    assert isolated.call("htj2k.decode", data).kind == "ok"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=frames(damaged=True))
def test_damaged_frames_are_deterministic(isolated, data):
    _check(isolated, data)
