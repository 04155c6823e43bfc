"""``htj2k verify``: a folder of frames against image-set metadata.

    htj2k verify --metadata metadata.json.gz frames/ --jobs 8 --json-out report.json

Exit codes: 0 when every frame of the metadata is on disk and verified, 1 when a
frame mismatches, is missing or cannot be decoded (and, with ``--strict``, when
FRAMES_DIR holds frames the metadata does not list), 2 for usage errors and
unreadable inputs (see :mod:`htj2k.cli`).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

import htj2k

from .._rules import max_levels_for_size
from ..archive import load_metadata
from ..profile import encode_frame
from . import dicom as dicom_cli
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    Command,
    add_max_memory,
    one_line,
    positive_int,
)

__all__ = ["COMMANDS", "FRAME_EXTENSIONS"]

#: Frame files ``verify`` looks for in FRAMES_DIR (``<ImageFrameID><ext>``), in order of preference.
FRAME_EXTENSIONS = (".jph", ".j2c", ".j2k", ".jhc")
_STATUSES = ("ok", "mismatch", "missing", "incomplete", "undecodable", "unreadable", "no-checksums")


def _default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _add_verify_arguments(p: argparse.ArgumentParser) -> None:
    add_max_memory(p)
    p.add_argument(
        "frames_dir", metavar="FRAMES_DIR|FILE.dcm",
        help="folder of frames named <ImageFrameID>.jph (or .j2c, .j2k, .jhc), or a DICOM file: its frames "
        "against the metadata's frames of its SOP Instance UID (or frame IDs <name>[-N])",
    )
    p.add_argument(
        "--metadata", required=True, metavar="METADATA.json[.gz]",
        help="image-set metadata or import-job manifest (JSON or JSON lines, gzipped or not)",
    )
    p.add_argument("--json", action="store_true", help="print the JSON report to stdout instead of the table")
    p.add_argument("--json-out", metavar="REPORT", help="also write the JSON report to REPORT")
    p.add_argument(
        "--jobs", "-j", type=positive_int, default=_default_jobs(), metavar="N",
        help=f"frames verified in parallel (default {_default_jobs()})",
    )
    p.add_argument(
        "--strict", action="store_true",
        help="frames in FRAMES_DIR that the metadata does not list also fail the run",
    )
    p.add_argument(
        "--partial", action="store_true",
        help="frames may be the first bytes of a frame (a progressive download): check the levels they hold",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="list only frames that did not verify")


@dataclass
class _FrameOutcome:
    record: Any  # FrameRecord
    path: Optional[str]
    status: str  # one of _STATUSES
    matched: int = 0
    listed: int = 0
    details: List[str] = field(default_factory=list)
    verification: Any = None  # htj2k.Verification
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> Dict[str, Any]:
        r = self.record
        v = self.verification
        return {
            "frame_id": r.frame_id,
            "series_uid": r.series_uid,
            "instance_uid": r.instance_uid,
            "image_set_id": r.image_set_id,
            "file": self.path,
            "status": self.status,
            "levels_matched": self.matched,
            "levels_listed": self.listed,
            "levels": [] if v is None else [dict(lr.__dict__) for lr in v.levels],
            "min_pixel_value": None if v is None or v.min_pixel_value is None else list(v.min_pixel_value),
            "max_pixel_value": None if v is None or v.max_pixel_value is None else list(v.max_pixel_value),
            "error": self.error,
            "details": self.details,
        }


def _frame_files(frames_dir: str) -> Dict[str, List[str]]:
    """frame ID -> paths of candidate files, preferred extension first."""
    try:
        names = sorted(os.listdir(frames_dir))
    except OSError as e:
        raise CliError(f"{frames_dir}: cannot list the frames folder: {e.strerror or e}") from None
    rank = {ext: i for i, ext in enumerate(FRAME_EXTENSIONS)}
    found: Dict[str, List[Tuple[int, str]]] = {}
    for n in names:
        stem, ext = os.path.splitext(n)
        ext = ext.lower()
        if ext not in rank or not stem:
            continue
        path = os.path.join(frames_dir, n)
        if not os.path.isfile(path):
            continue
        found.setdefault(stem, []).append((rank[ext], path))
    return {k: [p for _, p in sorted(v)] for k, v in found.items()}


def _hex(v: Optional[int]) -> str:
    return "-" if v is None else f"{v} (0x{v:08x})"


def _read_frame(path: str) -> Union[bytes, str]:
    """The frame's bytes, or why they cannot be read."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        return f"cannot read: {e.strerror or e}"


def _outcome(record: Any, path: Optional[str], data: Union[bytes, str, None], v: Any) -> _FrameOutcome:
    """How one listed frame fared: ``data`` is its bytes, why they could not be read,
    or None (no file); ``v`` the :class:`htj2k.Verification` or the exception
    :func:`htj2k.verify_many` returned in its slot."""
    listed = len(record.checksums)
    if path is None:
        return _FrameOutcome(record, None, "missing", 0, listed, ["no frame file in FRAMES_DIR"])
    if isinstance(data, str):
        return _FrameOutcome(record, path, "unreadable", 0, listed, [data], error=data)
    if isinstance(v, BaseException):  # a decoder failure does not stop the other frames
        msg = f"{type(v).__name__}: {one_line(v)}"
        return _FrameOutcome(record, path, "undecodable", 0, listed, [msg], None, msg)
    matched = sum(1 for lr in v.levels if lr.status == "match")
    if v.error is not None:
        return _FrameOutcome(record, path, "undecodable", matched, listed, [one_line(v.error)], v, v.error)
    details = []
    for lr in v.levels:
        if lr.status == "mismatch":
            details.append(
                f"{lr.width}x{lr.height} (level {lr.level}): expected {_hex(lr.expected)}, got {_hex(lr.actual)}"
            )
        elif lr.status == "absent":
            details.append(f"{lr.width}x{lr.height}: no level of that size in the codestream")
    missing = [lr for lr in v.levels if lr.status == "not_in_data"]
    if missing:
        sizes = ", ".join(f"{lr.width}x{lr.height}" for lr in missing)
        details.append(f"not in the file (the first {len(data)} bytes of the frame): {sizes}")
    for what, pair in (("MinPixelValue", v.min_pixel_value), ("MaxPixelValue", v.max_pixel_value)):
        if pair is not None and pair[1] is not None and pair[0] != pair[1]:
            details.append(f"{what}: expected {pair[0]}, got {pair[1]}")
    if not listed:
        details.insert(0, "the metadata lists no checksums for this frame")
        return _FrameOutcome(record, path, "no-checksums", 0, 0, details, v)
    mismatched = any(lr.status in ("mismatch", "absent") for lr in v.levels) or any(
        pair is not None and pair[1] is not None and pair[0] != pair[1]
        for pair in (v.min_pixel_value, v.max_pixel_value)
    )
    status = "ok" if v.ok else "incomplete" if missing and not mismatched else "mismatch"
    return _FrameOutcome(record, path, status, matched, listed, details, v)


def _table(rows: List[List[str]]) -> List[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]
        out.append("  ".join(cells).rstrip())
    return out


def _verify_frames(records: List[Any], files: Dict[str, List[str]], jobs: int,
                   max_memory: Optional[int], partial: bool = False) -> List[_FrameOutcome]:
    """Every listed frame read and verified (on ``jobs`` threads, by :func:`htj2k.verify_many`)."""
    paths = [files[r.frame_id][0] if r.frame_id in files else None for r in records]
    datas: List[Union[bytes, str, None]] = [None if p is None else _read_frame(p) for p in paths]
    return _verify_datas(records, paths, datas, jobs, max_memory, partial)


def _verify_datas(records: List[Any], paths: List[Optional[str]], datas: List[Union[bytes, str, None]], jobs: int,
                  max_memory: Optional[int], partial: bool) -> List[_FrameOutcome]:
    """``datas[i]`` (bytes, why they could not be read, or None: no file) verified against ``records[i]``."""
    readable = [i for i, d in enumerate(datas) if isinstance(d, bytes)]
    results = htj2k.verify_many(
        [datas[i] for i in readable], [records[i].as_dict() for i in readable],
        threads=jobs, max_memory=max_memory, partial=partial,
    )
    verifications: List[Any] = [None] * len(records)
    for i, v in zip(readable, results):
        verifications[i] = v
    return [_outcome(r, p, d, v) for r, p, d, v in zip(records, paths, datas, verifications)]


def _dicom_frames(path: str, records: List[Any]) -> Tuple[List[Any], List[Optional[str]], List[Union[bytes, str, None]]]:
    """The records of a DICOM file's frames and each frame's codestream: HTJ2K frames as
    stored, other frames encoded losslessly (the archive profile, as many levels as the
    record lists; lossless checksums are those of the pixels). Records belong to the
    file by SOP Instance UID (in the order listed: frame 1, 2, ...), else by frame ID
    ``<name>`` / ``<name>-<frame>`` (what ``checksums --manifest`` writes)."""
    src = dicom_cli.open_dicom(path)
    n = src.number_of_frames
    mine = [r for r in records if src.params.sop_instance_uid and r.instance_uid == src.params.sop_instance_uid]
    if mine:
        numbers = list(range(1, len(mine) + 1))
    else:
        stem = os.path.splitext(os.path.basename(path))[0]
        ids = {stem: 1} if n == 1 else {f"{stem}-{k}": k for k in range(1, n + 1)}
        mine = [r for r in records if r.frame_id in ids]
        numbers = [ids[r.frame_id] for r in mine]
    if not mine:
        raise CliError(f"{path}: no frame of the metadata belongs to this file "
                       f"(SOP Instance UID {src.params.sop_instance_uid}, or frame IDs {stem}[-N])")
    present = [k for k in numbers if k <= n]
    labels: List[Optional[str]] = [f"{path}#{k}" if k <= n else None for k in numbers]
    datas: List[Union[bytes, str, None]] = [None] * len(mine)
    if src.htj2k:
        streams = iter(src.codestreams([k - 1 for k in present]))
    else:
        streams = iter(_encoded(src, mine, numbers, present))
    for j, k in enumerate(numbers):
        if k <= n:
            datas[j] = next(streams)
    return mine, labels, datas


def _encoded(src: Any, records: List[Any], numbers: List[int], present: List[int]) -> List[Union[bytes, str]]:
    levels = {k: len(r.checksums) - 1 for r, k in zip(records, numbers)}
    out: List[Union[bytes, str]] = []
    for f in src.frames([k - 1 for k in present]):
        err = f.range_error()
        if err:
            out.append(f"frame {f.number}: {err}")
            continue
        out.append(encode_frame(dicom_cli.frame_pixels(f), f.bit_depth, f.signed, f.colour_transform,
                                levels=max(0, min(levels[f.number], max_levels_for_size(f.width, f.height)))))
    return out


def _run_verify(args: argparse.Namespace) -> int:
    records = load_metadata(args.metadata)  # MetadataError: one line, exit 2
    if not records:
        raise CliError(f"{args.metadata}: no ImageFrames entries found")
    if os.path.isfile(args.frames_dir) and dicom_cli.is_dicom(args.frames_dir):
        mine, labels, datas = _dicom_frames(args.frames_dir, records)
        outcomes = _verify_datas(mine, labels, datas, args.jobs, args.max_memory, args.partial)
        extra: List[str] = []
        shadowed: List[str] = []
    else:
        if not os.path.isdir(args.frames_dir):
            what = "does not exist" if not os.path.exists(args.frames_dir) else "is not a folder"
            raise CliError(f"{args.frames_dir}: {what}")
        files = _frame_files(args.frames_dir)
        wanted = {r.frame_id for r in records}
        extra = sorted(p for fid, paths in files.items() if fid not in wanted for p in paths)
        # other files with the same frame ID (x.jph and x.j2c): the preferred one is verified
        shadowed = sorted(p for fid, paths in files.items() if fid in wanted for p in paths[1:])
        outcomes = _verify_frames(records, files, args.jobs, args.max_memory, args.partial)

    counts: Dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    failed = sum(1 for o in outcomes if not o.ok)
    ok = failed == 0 and not (args.strict and extra)
    missing = [o.record.frame_id for o in outcomes if o.status == "missing"]

    parts = [f"{counts.get(s, 0)} {s}" for s in _STATUSES if counts.get(s, 0) or s in ("ok", "mismatch", "missing")]
    summary = (
        f"{len(outcomes)} frame{'s' if len(outcomes) != 1 else ''} in the metadata: {', '.join(parts)}; "
        f"{len(extra)} file{'s' if len(extra) != 1 else ''} not in the metadata"
        f" -- {'OK' if ok else 'FAILED'}"
    )

    if args.json or args.json_out:
        report = {
            "metadata": os.fspath(args.metadata),
            "frames_dir": os.fspath(args.frames_dir),
            "ok": ok,
            "summary": {"frames": len(outcomes), **{s: counts.get(s, 0) for s in _STATUSES}, "extra_files": len(extra)},
            "frames": [o.as_dict() for o in outcomes],
            "missing": missing,
            "extra_files": extra,
            "shadowed_files": shadowed,
        }
        _json_outputs(report, args.json, args.json_out)
        if args.json:
            return EXIT_OK if ok else EXIT_FAILED
    _print_outcomes(outcomes, missing, extra, shadowed, args.frames_dir, args.quiet, summary)
    return EXIT_OK if ok else EXIT_FAILED


def _json_outputs(report: Dict[str, Any], to_stdout: bool, path: Optional[str]) -> None:
    text = json.dumps(report, indent=2)
    if path:
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        except OSError as e:
            raise CliError(f"{path}: cannot write the report: {e.strerror or e}") from None
    if to_stdout:
        print(text)


def _print_outcomes(outcomes: List[_FrameOutcome], missing: List[str], extra: List[str], shadowed: List[str],
                    frames_dir: str, quiet: bool, summary: str) -> None:
    rows = [["FRAME", "SERIES", "STATUS", "LEVELS", "DETAILS"]]
    for o in outcomes:
        if quiet and o.ok:
            continue
        levels = f"{o.matched}/{o.listed}" if o.status != "missing" else f"-/{o.listed}"
        rows.append([o.record.frame_id, o.record.series_uid or "-", o.status, levels, "; ".join(o.details)])
    if len(rows) > 1:
        for line in _table(rows):
            print(line)
    if missing:
        print(f"\nframes missing from {frames_dir} ({len(missing)}):")
        for fid in missing:
            print(f"  {fid}")
    if extra:
        print(f"\nfiles in {frames_dir} not in the metadata ({len(extra)}):")
        for p in extra:
            print(f"  {p}")
    if shadowed:
        print(f"\nfiles not verified: another file of the same frame ID was preferred ({len(shadowed)}):")
        for p in shadowed:
            print(f"  {p}")
    print(("\n" if len(rows) > 1 or missing or extra or shadowed else "") + summary)


COMMANDS = (
    Command(
        "verify",
        "verify a folder of frames against image-set metadata checksums",
        _add_verify_arguments,
        _run_verify,
        "Verify every frame listed in image-set metadata (or an import-job manifest) against "
        "its per-level checksums and min/max pixel values. Frames are FRAMES_DIR/<ImageFrameID>.jph "
        "(or .j2c, .j2k, .jhc); with --partial a file may be the first bytes of its frame. "
        "Exit 0 all verified, 1 a frame failed, is missing or incomplete, 2 usage error.",
    ),
)
