"""Finding the files of a run and the kind of each (DICOM, .npy, PGM/PPM, PNG, TIFF, codestream)."""

from __future__ import annotations

import os
from typing import Iterable, List, Optional, Sequence, Set, Tuple

from ...io import CODESTREAM_EXTENSIONS, DICOM_EXTENSIONS, PNG_EXTENSIONS, PNM_EXTENSIONS, TIFF_EXTENSIONS


def classify(path: str) -> Tuple[Optional[str], Optional[str]]:
    """(kind, None) with kind ``dicom``/``npy``/``pnm``/``png``/``tiff``/``codestream``, or
    (None, reason) for files roundtrip does not read."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        return "npy", None
    if ext in PNM_EXTENSIONS:
        return "pnm", None
    if ext in PNG_EXTENSIONS:
        return "png", None
    if ext in TIFF_EXTENSIONS:
        return "tiff", None
    if ext in CODESTREAM_EXTENSIONS:
        return "codestream", None
    if ext == ".raw":
        return None, "raw samples need a shape and dtype; convert to .npy to round-trip"
    if ext in DICOM_EXTENSIONS:
        return "dicom", None
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError as e:
        return None, f"cannot read: {e.strerror or e}"
    if len(head) == 132 and head[128:132] == b"DICM":
        return "dicom", None
    return None, "not a recognised image file (DICOM, .npy, .png, .tif, .pgm/.ppm/.pnm, .j2c/.j2k/.jph)"


def discover(paths: Sequence[str], exclude: Iterable[str] = ()) -> List[str]:
    """Files under ``paths`` (directories walked recursively, sorted), without the
    paths in ``exclude`` (files, or directories whose contents are left out).

    Raises:
        FileNotFoundError: a path does not exist.
    """
    excluded = {os.path.abspath(p) for p in exclude if p}

    def is_excluded(p: str) -> bool:
        a = os.path.abspath(p)
        return any(a == e or a.startswith(e.rstrip(os.sep) + os.sep) for e in excluded)

    out: List[str] = []
    seen: Set[str] = set()
    for p in paths:
        if not os.path.exists(p):
            raise FileNotFoundError(2, "no such file or directory", p)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                dirs[:] = [d for d in dirs if not is_excluded(os.path.join(root, d))]
                for name in sorted(files):
                    fp = os.path.join(root, name)
                    if is_excluded(fp) or not os.path.isfile(fp):
                        continue
                    a = os.path.abspath(fp)
                    if a not in seen:
                        seen.add(a)
                        out.append(fp)
        else:
            a = os.path.abspath(p)
            if a not in seen and not is_excluded(p):
                seen.add(a)
                out.append(p)
    return out
