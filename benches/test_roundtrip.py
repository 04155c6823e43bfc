"""``htj2k roundtrip`` throughput on the pydicom test files plus the shared DICOM
set, in this process (``workers=0``), against the frame pipeline it had before our
encoder (issue 12): checksums from the pixels (``pixel_checksums``), encode with
the linked OpenJPH, then ``decode`` and ``checksums`` of the codestream, each by
itself. That pipeline is put back for the comparison by swapping the two calls
the frame verification makes (``encode_frame`` and ``decode``) for their earlier
equivalents; file discovery, DICOM reading and source decoding are the same code.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time

import pytest

import htj2k
from htj2k.tools import roundtrip
from htj2k.tools.roundtrip import verify as rt_verify

pydicom = pytest.importorskip("pydicom")


def _paths():
    import pydicom.data

    shared = os.environ.get("HTJ2K_SHARED_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "shared")
    paths = [os.path.dirname(pydicom.data.get_testdata_file("CT_small.dcm"))]
    dicom = os.path.join(shared, "data", "dicom")
    if os.path.isdir(dicom):
        paths.append(dicom)
    return paths


@contextlib.contextmanager
def _earlier_pipeline():
    """The frame pipeline before issue 12 (see the module doc)."""
    enc, dec = rt_verify.encode_frame, rt_verify.decode

    def encode_frame(arr, bit_depth, signed, ct, *, levels, container, params, checksums):
        sums = htj2k.pixel_checksums(arr, levels, bit_depth=bit_depth, signed=signed, colour_transform=ct)
        data = enc(arr, bit_depth, signed, ct, levels=levels, container=container,
                   params={**params, "encoder": "openjph"})
        return htj2k.EncodedFrame(data, sums)

    def decode(codestream, checksums):
        return htj2k.DecodedFrame(dec(codestream), htj2k.checksums(codestream))

    rt_verify.encode_frame, rt_verify.decode = encode_frame, decode
    try:
        yield
    finally:
        rt_verify.encode_frame, rt_verify.decode = enc, dec


def _run(paths, earlier: bool):
    with _earlier_pipeline() if earlier else contextlib.nullcontext():
        return roundtrip.run(paths, workers=0)


def test_roundtrip_throughput(benchmark):
    paths = _paths()
    ref = _run(paths, earlier=True)
    now = _run(paths, earlier=False)
    for r in (ref, now):
        assert r.counts["mismatch"] == 0 and r.counts["ok"] > 0, r.counts
    assert (ref.counts["ok"], ref.counts["error"]) == (now.counts["ok"], now.counts["error"])
    # alternately, back to back: the earlier pipeline, then today's
    times = {True: [], False: []}
    for _ in range(3):
        for earlier in (True, False):
            t0 = time.perf_counter()
            _run(paths, earlier)
            times[earlier].append(time.perf_counter() - t0)
    benchmark.extra_info.update({
        "op": "roundtrip",
        "image": "pydicom+shared",
        "impl": "htj2k",
        "raw_bytes": int(now.counts["frame_bytes"]),
        "frames": int(now.counts["ok"]),
        "files": int(now.counts["files"]),
        "paired": {"htj2k_s": statistics.median(times[False]), "earlier_s": statistics.median(times[True])},
    })
    benchmark.group = "roundtrip"
    benchmark.pedantic(lambda: _run(paths, False), rounds=3, iterations=1)
