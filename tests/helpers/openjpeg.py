"""OpenJPEG's command-line decoder as an independent check, and PGX reading."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Tuple

import numpy as np


def read_pgx(path: str) -> np.ndarray:
    """A PGX file: ``PG <ML|LM> [+|-]<depth> <w> <h>\\n`` then raw samples."""
    raw = Path(path).read_bytes()
    nl = raw.index(b"\n")
    m = re.fullmatch(rb"PG[ \t]+(ML|LM)[ \t]*([+-]?)[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\d+)[ \t]*", raw[:nl])
    if not m:
        raise ValueError(f"{path}: bad PGX header {raw[:nl]!r}")
    order, sign, depth, w, h = m.groups()
    depth, w, h = int(depth), int(w), int(h)
    size = 1 if depth <= 8 else 2 if depth <= 16 else 4
    dt = np.dtype(("<" if order == b"LM" else ">") + ("i" if sign == b"-" else "u") + str(size))
    body = raw[nl + 1 :]
    if len(body) != w * h * size:
        raise ValueError(f"{path}: {len(body)} sample bytes for {w}x{h}x{size}")
    return np.frombuffer(body, dt).reshape(h, w)


OPJ_DECOMPRESS = shutil.which("opj_decompress")


def opj_decompress(data: bytes, reduce: int = 0, suffix: str = ".j2k") -> Tuple[Optional[np.ndarray], str]:
    """Decode with OpenJPEG's opj_decompress to PGX -> (array as int64 or None, diagnostics).

    Components are stacked on the last axis (``(H, W)`` for one component).
    """
    if OPJ_DECOMPRESS is None:
        return None, "opj_decompress not installed"
    with tempfile.TemporaryDirectory(prefix="htj2k-opj-") as tmp:
        src = os.path.join(tmp, "in" + suffix)
        Path(src).write_bytes(data)
        cmd = [OPJ_DECOMPRESS, "-i", src, "-o", os.path.join(tmp, "out.pgx"), "-quiet"]
        if reduce:
            cmd += ["-r", str(reduce)]
        proc = subprocess.run(cmd, capture_output=True, timeout=120)
        files = glob.glob(os.path.join(tmp, "out*.pgx"))

        def index(p: str) -> int:
            m = re.search(r"_(\d+)\.pgx$", p)
            return int(m.group(1)) if m else -1

        files.sort(key=index)
        diag = f"{' '.join(cmd[1:])}: exit {proc.returncode} {proc.stderr.decode('utf-8', 'replace').strip()[-800:]}"
        if proc.returncode != 0 or not files:
            return None, diag
        planes = [read_pgx(f).astype(np.int64) for f in files]
        if len(planes) == 1:
            return planes[0], diag
        return np.stack(planes, axis=-1), diag
