"""Decodes every file named on stdin (one path per line) with every entry point,
printing "ok <index>" after each, so the parent test can tell which input killed
the process if one does. Expected failures are Htj2kError/ValueError; anything
else is printed as "bad <index> <type>: <message>"."""

import sys

import htj2k

for i, line in enumerate(sys.stdin):
    path = line.strip()
    data = open(path, "rb").read()
    for call in (
        lambda: htj2k.info(data),
        lambda: htj2k.decode(data, max_pixels=1 << 22),
        lambda: htj2k.decode(data, level=1, max_pixels=1 << 22),
        lambda: htj2k.decode_planes(data, max_pixels=1 << 22),
        lambda: htj2k.checksums(data, max_pixels=1 << 22),
    ):
        try:
            call()
        except (htj2k.Htj2kError, ValueError):
            pass
        except Exception as e:  # noqa: BLE001 - reported to the parent as a failure
            print(f"bad {i} {type(e).__name__}: {e}", flush=True)
    print(f"ok {i}", flush=True)
