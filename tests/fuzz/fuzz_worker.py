"""Decodes every file named on stdin (one path per line) with every entry point,
printing "ok <index>" after each, so the parent test can tell which input killed
the process if one does. The only acceptable failure on bad bytes is an
Htj2kError (a plain ValueError, OverflowError, ... is a bug); anything else, and
any nondeterminism (checksums differing between calls, or the full-resolution
checksum differing from the CRC-32 of the decoded image), is printed as
"bad <index> <what>"."""

import sys
import zlib

import numpy as np

import htj2k

LIMIT = dict(max_pixels=1 << 22)


def check(i, name, call, accept=(htj2k.Htj2kError,)):
    try:
        return call()
    except accept:
        return None
    except Exception as e:  # noqa: BLE001 - reported to the parent as a failure
        print(f"bad {i} {name} {type(e).__name__}: {e}", flush=True)
        return None


for i, line in enumerate(sys.stdin):
    path = line.strip()
    data = open(path, "rb").read()
    check(i, "info", lambda: htj2k.info(data))
    full = check(i, "decode", lambda: htj2k.decode(data, **LIMIT))
    # (a level the frame does not have is a bad argument: ValueError)
    check(i, "decode(level=1)", lambda: htj2k.decode(data, level=1, **LIMIT), (htj2k.Htj2kError, ValueError))
    check(i, "decode_planes", lambda: htj2k.decode_planes(data, **LIMIT))
    # the first bytes of a frame: the finest level held, and the same as asking for it
    best = check(i, "decode(level='best')", lambda: htj2k.decode(data, level="best", **LIMIT))
    if best is not None:
        same = check(i, "decode(level=best)", lambda: htj2k.decode(data, level=best[1], **LIMIT))
        if same is not None and not np.array_equal(same, best[0]):
            print(f"bad {i} decode(level='best') differs from decode(level={best[1]})", flush=True)
    moved = check(i, "transcode", lambda: htj2k.transcode(data, progression="CPRL", tlm=True, plt=True))
    if moved is not None and full is not None:
        again = check(i, "decode(transcode)", lambda: htj2k.decode(moved, **LIMIT))
        if again is not None and not np.array_equal(again, full):
            print(f"bad {i} transcode changed the pixels", flush=True)
    if full is not None:
        joined = check(i, "flatten_layers", lambda: htj2k._core.flatten_layers(data))
        if joined is not None:
            again = check(i, "decode(flatten_layers)", lambda: htj2k.decode(joined, **LIMIT))
            if again is not None and not np.array_equal(again, full):
                print(f"bad {i} joining the layers changed the pixels", flush=True)
    pieces = check(i, "split_levels", lambda: htj2k.split_levels(data))
    if pieces is not None and b"".join(pieces) != data:
        print(f"bad {i} split_levels pieces do not join to the input", flush=True)
    first = check(i, "checksums", lambda: htj2k.checksums(data, **LIMIT))
    if first is not None:
        again = check(i, "checksums", lambda: htj2k.checksums(data, **LIMIT))
        if again is not None and again != first:
            print(f"bad {i} nondeterministic checksums: {first} then {again}", flush=True)
        if full is not None:
            crc = zlib.crc32(np.ascontiguousarray(full).tobytes())
            if first[-1].checksum != crc:
                print(f"bad {i} checksums()[-1] {first[-1].checksum} != crc32(decode) {crc}", flush=True)
        record = [{"Width": s.width, "Height": s.height, "Checksum": s.checksum} for s in first]
        v = check(i, "verify", lambda: htj2k.verify(data, record, **LIMIT))
        if v is not None and not v.ok:
            print(f"bad {i} verify against its own checksums failed: {v.error or v.levels}", flush=True)
    if full is not None:
        again = check(i, "decode", lambda: htj2k.decode(data, **LIMIT))
        if again is not None and not np.array_equal(again, full):
            print(f"bad {i} nondeterministic decode", flush=True)
    print(f"ok {i}", flush=True)
