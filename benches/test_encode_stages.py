"""Where our lossless encoder's time goes: one encode (encoder="htj2k", the settings
of test_codec.py::test_encode_ours) timed stage by stage inside the C++ core
(htj2k_testing.encode_stage_times, encode/stage_times.hpp): checks (options, sample
range), header (main header and tile layouts), load (widening, DC shift, colour
transform), dwt (forward 5/3), blocks (HT block coding), packets (Tier-2, tile-parts)
and finish (decodability check, tile-part/TLM/PLT rewrites). Each round is one
encode; extra_info["stages"] holds each stage's median seconds over the rounds.
"""

from __future__ import annotations

import numpy as np
import pytest
from native_build import testing_module  # tests/helpers, on sys.path via benches/conftest.py

STAGES = ["checks", "header", "load", "dwt", "blocks", "packets", "finish"]


@pytest.mark.parametrize("threads", [1, 2])
def test_encode_stages(benchmark, frame, threads):
    T = testing_module()
    im = frame.image
    options = {"bit_depth": im.bit_depth, "threads": threads}
    rounds = []

    def run():
        t = T.encode_stage_times(im.array, options)
        rounds.append(t)
        return t

    benchmark.group = f"encode_stages:{im.name}"
    benchmark(run)
    stages = {s: float(np.median([t[s] for t in rounds])) for s in STAGES}
    benchmark.extra_info.update(frame.info("encode_stages", f"htj2k-ours-{threads}t", stages=stages))
    assert rounds[-1]["bytes"] > 0
