"""The JSON-lines report (streamed, resumable), run results and exit codes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ... import __version__, openjph_version
from ...profile import MAX_LEVELS, encode_params
from .records import (
    FILE_DONE,
    FILE_SKIPPED,
    FRAME_STATUSES,
    REPORT_FORMAT,
    STATUS_OK,
    RoundtripOptions,
)


def _header(opts: RoundtripOptions) -> Dict[str, Any]:
    p = encode_params()
    return {
        "record": "run",
        "format": REPORT_FORMAT,
        "htj2k": __version__,
        "openjph": openjph_version(),
        "encoding": {
            "reversible": True,
            "progression": p["progression"],
            "block_size": list(p["block_size"]),
            "max_levels": MAX_LEVELS,
            "levels_rule": f"min({MAX_LEVELS}, floor(log2(min(width, height))))",
            "tlm": p["tlm"],
            "tileparts": p["tileparts"],
            "encoder": opts.encoder,
        },
    }


def load_report(path: str) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, Any]]]:
    """(run header, records) of a JSON-lines report; a line cut short by an
    interruption is ignored. ``summary`` records are dropped."""
    header = None
    records: List[Dict[str, Any]] = []
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(rec, dict):
                continue
            kind = rec.get("record")
            if kind == "run":
                header = header or rec
            elif kind in ("frame", "file"):
                records.append(rec)
    return header, records


def _sort_key(rec: Dict[str, Any]) -> Tuple[Any, ...]:
    if rec.get("record") == "frame":
        return (rec.get("file") or "", 0, int(rec.get("frame") or 0))
    return (rec.get("file") or "", 1, 0)


class _Report:
    """The JSON-lines report: each record is one line, written and flushed as it
    arrives (a valid partial report at any time); sorted with a summary at the end."""

    def __init__(self, path: str, header: Dict[str, Any], kept: List[Dict[str, Any]]):
        self.path = path
        self.header = header
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        self._rewrite([header] + kept)
        self.f = open(path, "a", encoding="utf-8")

    def _rewrite(self, recs: List[Dict[str, Any]]) -> None:
        tmp = f"{self.path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def write(self, rec: Dict[str, Any]) -> None:
        self.f.write(json.dumps(rec) + "\n")
        self.f.flush()

    def finish(self, records: List[Dict[str, Any]], summary: Dict[str, Any]) -> None:
        self.f.close()
        self._rewrite([self.header] + sorted(records, key=_sort_key) + [summary])

    def close(self) -> None:
        if not self.f.closed:
            self.f.close()


@dataclass
class RunResult:
    """Outcome of :func:`run`: every record (resumed ones included), counts and
    the exit code (0 all verified, 1 any mismatch/error/failed file, 2 nothing readable)."""

    records: List[Dict[str, Any]]
    counts: Dict[str, int]
    exit_code: int
    elapsed: float
    interrupted: bool = False
    manifest: Optional[Dict[str, Any]] = None
    resumed_frames: int = 0  # frame records taken over from the resumed report (not processed now)

    @property
    def frames_per_second(self) -> float:
        """Frames processed by this run (not those resumed) per second of it."""
        done = self.counts.get("frames", 0) - self.resumed_frames
        return done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def frames(self) -> List[Dict[str, Any]]:
        return [r for r in self.records if r.get("record") == "frame"]

    @property
    def files(self) -> List[Dict[str, Any]]:
        return [r for r in self.records if r.get("record") == "file"]


def _counts(records: Iterable[Dict[str, Any]]) -> Dict[str, int]:
    c = {
        "files": 0,
        "files_done": 0,
        "files_skipped": 0,
        "files_failed": 0,
        "frames": 0,
        "ok": 0,
        "mismatch": 0,
        "error": 0,
        "frame_bytes": 0,
        "encoded_bytes": 0,
    }
    for r in records:
        if r.get("record") == "frame":
            c["frames"] += 1
            st = r.get("status")
            c[st if st in FRAME_STATUSES else "error"] += 1
            if st == STATUS_OK:
                c["frame_bytes"] += int(r.get("frame_size") or 0)
                c["encoded_bytes"] += int(r.get("encoded_size") or 0)
        elif r.get("record") == "file":
            c["files"] += 1
            key = {FILE_DONE: "files_done", FILE_SKIPPED: "files_skipped"}.get(r.get("status"), "files_failed")
            c[key] += 1
    return c


def exit_code_for(counts: Dict[str, int]) -> int:
    """0 every frame verified; 1 any mismatch, frame error or failed file; 2 nothing readable."""
    if counts["frames"] == 0 and counts["files_failed"] == 0:
        return 2
    if counts["mismatch"] or counts["error"] or counts["files_failed"]:
        return 1
    return 0


class _Sink:
    """Collects records from any executor: report lines, counters, progress."""

    def __init__(self, report: Optional[_Report], progress: Optional[Any], records: List[Dict[str, Any]]):
        self.report = report
        self.progress = progress
        self.records = records
        self.frames = 0
        self.files = 0

    def frame(self, rec: Dict[str, Any]) -> None:
        self.records.append(rec)
        self.frames += 1
        if self.report:
            self.report.write(rec)
        if self.progress:
            self.progress.update(frames=self.frames)

    def file(self, rec: Dict[str, Any]) -> None:
        self.records.append(rec)
        self.files += 1
        if self.report:
            self.report.write(rec)
        if self.progress:
            self.progress.update(files=self.files, frames=self.frames)

    def tick(self) -> None:
        if self.progress:
            self.progress.update(frames=self.frames)


def _resume_state(records: List[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], Set[str], Dict[str, Set[int]]]:
    """Records to keep, files done (absolute paths) and frames done per file.
    Files that failed (crash, timeout) are retried; their recorded frames are kept."""
    kept: List[Dict[str, Any]] = []
    done_files: Set[str] = set()
    done_frames: Dict[str, Set[int]] = {}
    for r in records:
        path = os.path.abspath(str(r.get("file", "")))
        if r.get("record") == "file":
            if r.get("status") in (FILE_DONE, FILE_SKIPPED):
                kept.append(r)
                done_files.add(path)
        elif r.get("record") == "frame" and r.get("status") in FRAME_STATUSES:
            kept.append(r)
            done_frames.setdefault(path, set()).add(int(r.get("frame") or 0))
    return kept, done_files, done_frames
