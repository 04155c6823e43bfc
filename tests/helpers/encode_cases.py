"""Hypothesis images and encode() options for our encoder's tests (lossless and lossy):
1x1 to 70x70, 1xN and Nx1, 1/3/4 components, 1-16 bits signed and unsigned, every
pattern of helpers/images.py; levels 0-5, code-block sizes, precincts, every
progression, tiles with edge tiles, tile-part divisions with TLM."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import htj2k
from helpers.images import make_image

PROGRESSIONS = ["LRCP", "RLCP", "RPCL", "PCRL", "CPRL"]
BLOCKS = [(64, 64), (4, 4), (8, 16), (32, 32), (16, 64), (4, 1024), (1024, 4)]
PRECINCTS = [None, [(8, 8)], [(16, 16), (8, 8)], [(32, 16)], [(64, 64), (32, 32)]]
# tile-part divisions where the progression keeps them contiguous (codestream/tileparts.hpp)
DIVISIONS = {"LRCP": ["R", "C", "RC"], "RLCP": ["R", "C", "RC"], "RPCL": ["R"], "PCRL": [], "CPRL": ["C"]}


def edge_tiles_survive(w: int, h: int, tile: Optional[Tuple[int, int]], levels: int) -> bool:
    """encode()'s rule for lossy tiles (encoder.cpp): the last tile row and column keep
    at least one sample at every reduced resolution."""
    if tile is None:
        return True
    for extent, t in ((w, tile[0]), (h, tile[1])):
        x0 = (-(-extent // t) - 1) * t
        for k in range(1, levels + 1):
            if -(-extent // (1 << k)) == -(-x0 // (1 << k)):
                return False
    return True


def sweep_case(rng: np.random.Generator, i: int) -> Tuple[np.ndarray, Dict[str, Any]]:
    """Case i of a fixed, counted sweep (an image up to 79x79 and its bit depth, levels,
    progression and code-block size), drawn from ``rng`` in a fixed order."""
    h, w = int(rng.integers(1, 80)), int(rng.integers(1, 80))
    nc = int(rng.choice([1, 3, 4]))
    bits = int(rng.integers(1, 17))
    dt = ("i" if rng.random() < 0.3 else "u") + ("1" if bits <= 8 else "2")
    patterns = ["random", "extremes", "smooth", "constant", "ramp"]
    img = make_image((h, w) if nc == 1 else (h, w, nc), dt, bits, patterns[i % 5], i)
    opts = {"bit_depth": bits, "levels": int(rng.integers(0, min(5, htj2k._core.max_levels_for_size(w, h)) + 1)),
            "progression": PROGRESSIONS[i % 5], "block_size": BLOCKS[i % len(BLOCKS)]}
    return img, opts


def assert_same_bytes_for_every_thread_count(img: np.ndarray, **opts: Any) -> None:
    """``encode`` with ``opts`` gives the same bytes on 1, 2, 3 and all threads, and so
    does ``encode_many`` on 2."""
    outs = {t: htj2k.encode(img, threads=t, **opts) for t in (1, 2, 3, 0)}
    assert len(set(outs.values())) == 1
    assert htj2k.encode_many([img, img], threads=2, **opts) == [outs[1], outs[1]]


@st.composite
def encode_cases(draw, qsteps: Optional[Sequence[Optional[float]]] = None) -> Tuple[np.ndarray, Dict[str, Any]]:
    """(image, encode() options); with ``qsteps`` irreversible, ``qstep`` drawn from them
    (None: the default step) and tiles kept to those lossy encodes accept."""
    h = draw(st.sampled_from([1, 2, 3, 5, 8, 16, 17, 33, 64, 70]))
    w = draw(st.sampled_from([1, 2, 3, 4, 7, 13, 31, 64, 65]))
    nc = draw(st.sampled_from([1, 1, 3, 4]))
    bits = draw(st.integers(1, 16))
    signed = draw(st.booleans())
    dtype = ("i" if signed else "u") + ("1" if bits <= 8 else "2")
    shape = (h, w) if nc == 1 else (h, w, nc)
    img = make_image(shape, dtype, bits, draw(st.sampled_from(["random", "extremes", "smooth", "constant", "ramp"])),
                     draw(st.integers(0, 99)))
    cap = htj2k._core.max_levels_for_size(w, h)
    opts: Dict[str, Any] = {"bit_depth": bits, "levels": draw(st.integers(0, min(5, cap))),
                            "progression": draw(st.sampled_from(PROGRESSIONS)),
                            "block_size": draw(st.sampled_from(BLOCKS))}
    if qsteps is not None:
        opts["reversible"] = False
        q = draw(st.sampled_from(list(qsteps)))
        if q is not None:
            opts["qstep"] = q
    precincts = draw(st.sampled_from(PRECINCTS))
    if precincts:
        opts["precincts"] = precincts
    if draw(st.booleans()):
        opts["tile_size"] = (draw(st.integers(1, w + 2)), draw(st.integers(1, h + 2)))
    if qsteps is not None:
        assume(edge_tiles_survive(w, h, opts.get("tile_size"), opts["levels"]))
    if nc >= 3 and draw(st.booleans()):
        opts["colour_transform"] = False
    tileparts = draw(st.sampled_from([None, None] + DIVISIONS[opts["progression"]]))
    if tileparts:
        opts["tileparts"] = tileparts
        opts["tlm"] = draw(st.booleans())
    return img, opts
