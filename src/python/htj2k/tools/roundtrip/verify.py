"""Verification of one frame: pixel checksums, lossless encode, decode, compare."""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ..._rules import range_problem, sample_bytes
from ...codec import decode, features
from ...profile import as_sample_dtype, encode_frame, levels_for_size
from .records import STATUS_MISMATCH, STATUS_OK
from .sources import _jph_codestream, _Source


def _verify(src: _Source, rec: Dict[str, Any], params: Dict[str, Any], container: str) -> Optional[bytes]:
    """Fill ``rec`` for one frame; returns the codestream (j2c) when encoded."""
    pixels = src.pixels
    assert pixels is not None
    h, w = int(pixels.shape[0]), int(pixels.shape[1])
    spp = 1 if pixels.ndim == 2 else int(pixels.shape[2])
    ct = bool(src.colour_transform) and spp >= 3
    levels = levels_for_size(w, h)
    rec.update(
        width=w,
        height=h,
        samples=spp,
        bit_depth=src.bit_depth,
        signed=src.signed,
        photometric_interpretation=src.photometric_interpretation,
        colour_transform=ct,
        levels=levels,
        frame_size=int(pixels.size) * sample_bytes(src.bit_depth),
    )
    if pixels.size:
        rec["min"], rec["max"] = int(pixels.min()), int(pixels.max())
    what = "BitsStored" if rec["format"] == "dicom" else "bit depth"
    bad = range_problem(pixels, src.bit_depth, src.signed, what)
    if bad:
        rec["error"] = bad
        return None
    max_bits = int(features().get("max_bit_depth", 32))
    if src.bit_depth > max_bits:
        rec["error"] = (
            f"unsupported: {what} {src.bit_depth} exceeds the {max_bits} bits per sample "
            "the linked OpenJPH can encode"
        )
        return None
    arr = as_sample_dtype(pixels, src.bit_depth, src.signed)
    # The pixels' level checksums from the encoder's own wavelet pass (our encoder;
    # from the samples for OpenJPH), checked below against the decoded codestream's.
    data, expected = encode_frame(arr, src.bit_depth, src.signed, ct, levels=levels, container=container,
                                  params=params, checksums=True)
    codestream = _jph_codestream(data) if container == "jph" else data
    rec["encoded_size"] = len(codestream)
    rec["ratio"] = round(rec["frame_size"] / len(codestream), 3) if codestream else None
    # the decoded pixels and the codestream's level checksums from one decode
    decoded, got = decode(codestream, checksums=True)
    rec["checksums"] = [c.as_archive_dict() for c in got]
    problems = []
    if decoded.shape != arr.shape:
        problems.append(f"decoded shape {decoded.shape} != source {arr.shape}")
    elif not np.array_equal(decoded, arr):
        n = int(np.count_nonzero(decoded != arr))
        problems.append(f"decoded pixels differ from the source ({n} samples)")
    exp = [c.as_archive_dict() for c in expected]
    if exp != rec["checksums"]:
        bad_levels = [
            f"{e['Width']}x{e['Height']}"
            for e, g in zip(exp, rec["checksums"])
            if e != g
        ] or ["level count"]
        problems.append(
            "pixel checksums differ from the codestream checksums at " + ", ".join(bad_levels)
        )
        rec["pixel_checksums"] = exp
    if problems:
        rec["status"] = STATUS_MISMATCH
        rec["error"] = "; ".join(problems)
    else:
        rec["status"] = STATUS_OK
    return data
