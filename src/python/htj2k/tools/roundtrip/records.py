"""Record vocabulary of a round-trip run: statuses, options, tasks and frame IDs."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from .discover import classify

#: ``format`` of the report's first record; bumped on incompatible changes.
REPORT_FORMAT = "htj2k-roundtrip/1"


STATUS_OK = "ok"


STATUS_MISMATCH = "mismatch"


STATUS_ERROR = "error"


FRAME_STATUSES = (STATUS_OK, STATUS_MISMATCH, STATUS_ERROR)


FILE_DONE = "done"


FILE_SKIPPED = "skipped"


FILE_FAILED = "failed"






@dataclass(frozen=True)
class RoundtripOptions:
    """What a worker needs to process a file (picklable; identical for every file)."""

    out_dir: Optional[str] = None  # write <frame ID>.jph here
    transcode_dir: Optional[str] = None  # write HTJ2K DICOM files here
    base_dir: Optional[str] = None  # transcoded files mirror paths relative to this
    # called as frame_hook(path, frame_number) in a worker process before each frame
    # (picklable: a module-level function or a functools.partial of one)
    frame_hook: Optional[Callable[[str, int], None]] = None
    encoder: str = "auto"  # encode()'s encoder= for every frame


@dataclass(frozen=True)
class Task:
    """One file to process; ``skip`` holds frame numbers already in the report."""

    index: int
    path: str
    skip: Tuple[int, ...] = ()


def frame_id(path: str, frame: int) -> str:
    """The frame's ``ID`` in the manifest and the name of its ``.jph`` file: 32 hex
    digits derived from the file's absolute path and the 1-based frame number
    (the same for local, Dask and resumed runs)."""
    key = f"{os.path.abspath(path)}#{int(frame)}"
    return hashlib.md5(key.encode("utf-8", "surrogateescape")).hexdigest()


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _err(e: BaseException) -> str:
    msg = _one_line(e) or type(e).__name__
    return f"{type(e).__name__}: {msg}"


def _frame_record(path: str, kind: str, number: int, meta: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "record": "frame",
        "file": path,
        "format": kind,
        "sop_instance_uid": meta.get("sop_instance_uid"),
        "series_instance_uid": meta.get("series_instance_uid"),
        "study_instance_uid": meta.get("study_instance_uid"),
        "transfer_syntax": meta.get("transfer_syntax"),
        "frame": number,
        "frame_id": frame_id(path, number),
        "width": None,
        "height": None,
        "samples": None,
        "bit_depth": None,
        "signed": None,
        "photometric_interpretation": None,
        "colour_transform": None,
        "levels": None,
        "frame_size": None,
        "encoded_size": None,
        "ratio": None,
        "checksums": None,
        "min": None,
        "max": None,
        "status": STATUS_ERROR,
        "error": None,
    }


def _failed_file(path: str, reason: str) -> Dict[str, Any]:
    kind, _ = classify(path) if os.path.exists(path) else (None, None)
    return {
        "record": "file",
        "file": path,
        "format": kind,
        "status": FILE_FAILED,
        "reason": reason,
        "frames": 0,
        "sop_instance_uid": None,
        "dicom_output": None,
    }
