"""``htj2k roundtrip``: verify that files survive lossless HTJ2K encoding, frame by frame.

    htj2k roundtrip data/ --json-out report.jsonl --manifest metadata.json --out-dir frames/
    htj2k roundtrip study/ --transcode-dicom htj2k-study/ --workers 4 --timeout 120
    htj2k roundtrip study/ --json-out report.jsonl --resume report.jsonl   # continue a run
    htj2k roundtrip study/ --dask local          # or --dask tcp://scheduler:8786

Exit codes: 0 every frame verified; 1 any mismatch, frame error or failed file;
2 usage error, or nothing readable (no frame found); 130 interrupted (the
report holds what was done; ``--resume`` continues).

See docs/roundtrip.md for the report and manifest formats.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Dict, List, Optional

from .._rules import ENCODERS
from ..tools import roundtrip
from ._common import CliError, Command, number_arg, one_line, report_error

__all__ = ["COMMANDS", "format_summary"]

_NAME = "roundtrip"
_HELP = "verify lossless HTJ2K round trips of DICOM, .npy, PGM/PPM and codestream files"
_DESCRIPTION = (
    "Decode every frame of the given files (directories are walked recursively), compute "
    "per-resolution-level CRC-32 checksums from the pixels, encode losslessly with archive-like "
    "parameters (RPCL, 64x64 blocks, min(5, floor(log2(min(W, H)))) levels), decode again and "
    "compare pixels and checksums. Exit 0 when every frame verified, 1 on any mismatch, error or "
    "failed file, 2 on usage errors or when nothing readable was found."
)


_positive_seconds = number_arg(float, "a positive number of seconds", above=0)
_workers = number_arg(int, "a number of worker processes >= 0", minimum=0)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Declare the ``roundtrip`` options on ``p``."""
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories (walked recursively)")
    p.add_argument("--json", action="store_true", help="print the run's totals as JSON to stdout instead of the summary")
    p.add_argument("--json-out", metavar="REPORT", help="write a JSON-lines report: one record per frame and per file (see docs/roundtrip.md)")
    p.add_argument("--manifest", metavar="OUT", help="write the verified frames' checksums as image-set metadata (ImageFrames; .gz to compress)")
    p.add_argument("--out-dir", metavar="DIR", help="write each verified frame as DIR/<frame ID>.jph")
    p.add_argument("--transcode-dicom", metavar="DIR", help="write DICOM inputs with HTJ2K Lossless pixel data under DIR (paths mirrored)")
    p.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        default=None,
        help="worker processes (default: the number of CPUs; 0 = in this process, no crash isolation)",
    )
    p.add_argument("--encoder", choices=ENCODERS, default="auto",
                   help="the encoder whose round trips are verified (default auto: ours where it supports the options)")
    p.add_argument("--timeout", type=_positive_seconds, metavar="SECONDS", help="mark a file failed when a worker spends longer on it (local workers)")
    p.add_argument("--dask", metavar="ADDRESS", help="run the per-file tasks on a Dask cluster: a scheduler address, or 'local' for a LocalCluster of --workers processes")
    p.add_argument("--resume", metavar="REPORT", help="skip the frames and files a previous report holds; new records go to --json-out (default: REPORT itself)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary (errors only)")
    p.add_argument("-v", "--verbose", action="store_true", help="list every frame in the summary")


class _Progress:
    """rich progress bar on stderr: files done / total, frames, frames/s, ETA."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._p = Progress(
            TextColumn("[bold]roundtrip"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TextColumn("{task.fields[frames]} frames, {task.fields[fps]:.1f} frames/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task: Any = None
        self._t0 = time.monotonic()
        self._files = 0
        self._frames = 0

    def start(self, total: int) -> None:
        self._t0 = time.monotonic()
        self._p.start()
        self._task = self._p.add_task("roundtrip", total=max(total, 0), frames=0, fps=0.0)

    def update(self, files: Optional[int] = None, frames: Optional[int] = None) -> None:
        if self._task is None:
            return
        if files is not None:
            self._files = files
        if frames is not None:
            self._frames = frames
        dt = max(time.monotonic() - self._t0, 1e-6)
        self._p.update(self._task, completed=self._files, frames=self._frames, fps=self._frames / dt)

    def stop(self) -> None:
        self._p.stop()


def _make_progress(quiet: bool) -> Optional[_Progress]:
    if quiet or not sys.stderr.isatty():
        return None
    try:
        return _Progress()
    except ImportError:
        return None


# --------------------------------------------------------------------------- summary



def _file_rows(records: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows: Dict[str, Dict[str, Any]] = {}
    order: List[str] = []

    def row(name: str) -> Dict[str, Any]:
        if name not in rows:
            rows[name] = {"file": name, "frames": 0, "ok": 0, "in": 0, "out": 0, "status": "ok", "note": "", "file_status": None}
            order.append(name)
        return rows[name]

    for r in sorted(records, key=lambda r: (r.get("file") or "", 0 if r.get("record") == "frame" else 1, r.get("frame") or 0)):
        name = r.get("file") or "?"
        x = row(name)
        if r.get("record") == "frame":
            x["frames"] += 1
            st = r.get("status")
            if st == "ok":
                x["ok"] += 1
                x["in"] += int(r.get("frame_size") or 0)
                x["out"] += int(r.get("encoded_size") or 0)
            elif x["status"] in ("ok",) or (x["status"] == "error" and st == "mismatch"):
                x["status"] = st or "error"
                x["note"] = f"frame {r.get('frame')}: {one_line(r.get('error') or '')}"
        else:
            fs = r.get("status")
            x["file_status"] = fs
            if fs in ("skipped", "failed"):
                x["status"] = fs
                x["note"] = one_line(r.get("reason") or "")
    return [rows[n] for n in order]


def _not_listed(rows: List[Dict[str, Any]], shown: List[Dict[str, Any]]) -> str:
    ok = sum(1 for r in rows if r["status"] == "ok")
    other = len(rows) - ok - len(shown)
    text = f"({ok} files verified ok"
    if other > 0:
        text += f" and {other} more with problems"
    return text + " not listed; see the --json-out report)"


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def format_summary(result: Any, *, verbose: bool = False, limit: int = 50, table: bool = True) -> str:
    """The plain-text summary: a table of files (all when there are at most
    ``limit``, else only those with problems), then totals."""
    rows = _file_rows(result.records)
    shown = rows if len(rows) <= limit else [r for r in rows if r["status"] != "ok"][:limit]
    lines: List[str] = []
    if shown and table:
        width = min(max(len(r["file"]) for r in shown), 60)
        head = f"{'FILE'.ljust(width)}  {'FRAMES':>6}  {'OK':>6}  {'BYTES':>11}  {'HTJ2K':>10}  {'RATIO':>6}  STATUS"
        lines.append(head)
        for r in shown:
            name = r["file"] if len(r["file"]) <= width else "..." + r["file"][-(width - 3):]
            status = r["status"] + (f": {r['note']}" if r["note"] else "")
            frames = str(r["frames"]) if r["frames"] or r["status"] != "skipped" else "-"
            ok = str(r["ok"]) if r["frames"] else "-"
            lines.append(
                f"{name.ljust(width)}  {frames:>6}  {ok:>6}  {r['in'] or '-':>11}  {r['out'] or '-':>10}  "
                f"{_ratio(r['in'], r['out']):>6}  {status}"
            )
        if len(shown) < len(rows):
            lines.append(_not_listed(rows, shown))
    if verbose:
        lines.append("")
        for r in sorted(result.frames, key=lambda r: (r.get("file") or "", r.get("frame") or 0)):
            sums = " ".join(f"{c['Width']}x{c['Height']}:{c['Checksum']:08x}" for c in (r.get("checksums") or []))
            err = f" {r['error']}" if r.get("error") else ""
            lines.append(
                f"{r['file']}#{r['frame']} {r.get('width')}x{r.get('height')} {r['status']} "
                f"min {r.get('min')} max {r.get('max')} {sums}{err}"
            )
    c = result.counts
    lines.append("")
    lines.append(
        f"{c['files']} files ({c['files_done']} read, {c['files_skipped']} skipped, {c['files_failed']} failed); "
        f"{c['frames']} frames: {c['ok']} ok, {c['mismatch']} mismatch, {c['error']} error"
    )
    if c["encoded_bytes"]:
        lines.append(
            f"verified frames: {c['frame_bytes']} bytes -> {c['encoded_bytes']} bytes HTJ2K "
            f"(ratio {_ratio(c['frame_bytes'], c['encoded_bytes'])}:1)"
        )
    resumed = f", {result.resumed_frames} frames from the resumed report" if result.resumed_frames else ""
    lines.append(f"{result.elapsed:.1f} s ({result.frames_per_second:.1f} frames/s{resumed})")
    verdict = {0: "all frames verified", 1: "NOT all frames verified", 2: "nothing readable"}[result.exit_code]
    if result.interrupted:
        verdict = "interrupted: partial results"
    lines.append(verdict)
    return "\n".join(lines)


def _print_rich_summary(result: Any, verbose: bool) -> bool:
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:
        return False
    console = Console()
    rows = _file_rows(result.records)
    limit = 50
    shown = rows if len(rows) <= limit else [r for r in rows if r["status"] != "ok"][:limit]
    if shown:
        t = Table(title="htj2k roundtrip")
        for col, just in (("file", "left"), ("frames", "right"), ("ok", "right"), ("bytes", "right"), ("HTJ2K", "right"), ("ratio", "right"), ("status", "left")):
            t.add_column(col, justify=just, overflow="fold")
        style = {"ok": "green", "mismatch": "bold red", "error": "red", "failed": "bold red", "skipped": "yellow"}
        for r in shown:
            status = r["status"] + (f": {r['note']}" if r["note"] else "")
            t.add_row(  # Text: file names and notes are shown as they are, never parsed as markup
                Text(r["file"]),
                str(r["frames"]) if r["frames"] or r["status"] != "skipped" else "-",
                str(r["ok"]) if r["frames"] else "-",
                str(r["in"] or "-"),
                str(r["out"] or "-"),
                _ratio(r["in"], r["out"]),
                Text(status, style=style.get(r["status"], "white")),
            )
        console.print(t)
        if len(shown) < len(rows):
            console.print(_not_listed(rows, shown), highlight=False, markup=False)
    text = format_summary(result, verbose=verbose, table=False)
    console.print(text.lstrip("\n"), highlight=False, markup=False)
    return True


# --------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> int:
    """Run ``htj2k roundtrip``; returns the exit code."""
    for p in args.paths:
        if not os.path.exists(p):
            raise CliError(f"{p}: no such file or directory")
    if args.resume and not os.path.isfile(args.resume):
        raise CliError(f"--resume {args.resume}: no such report")
    if args.dask and args.timeout:
        print("htj2k: note: --timeout applies to local workers only, not to --dask", file=sys.stderr)
    workers = args.workers
    if workers is None:
        workers = os.cpu_count() or 1
    if args.dask == "local" and workers == 0:
        workers = 1
    if args.dask and args.dask != "local":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise CliError("--dask needs dask.distributed: pip install 'htj2k[roundtrip]'") from None
    progress = _make_progress(args.quiet)
    result = roundtrip.run(
        args.paths,
        report=args.json_out,
        manifest=args.manifest,
        out_dir=args.out_dir,
        transcode_dir=args.transcode_dicom,
        workers=workers,
        timeout=args.timeout,
        dask=args.dask,
        resume=args.resume,
        progress=progress,
        encoder=args.encoder,
    )
    if result.interrupted:
        if not args.quiet:
            print(format_summary(result, verbose=False, table=False))
        report = args.json_out or args.resume
        report_error("interrupted" + (f"; the report {report} holds the completed frames (continue with --resume)" if report else ""))
        return 130
    if args.json:
        print(json.dumps({"counts": result.counts, "exit_code": result.exit_code, "elapsed": round(result.elapsed, 3),
                          "interrupted": result.interrupted, "report": args.json_out}, indent=2))
    elif not args.quiet:
        if not (sys.stdout.isatty() and _print_rich_summary(result, args.verbose)):
            print(format_summary(result, verbose=args.verbose))
    if result.exit_code == 2 and not args.quiet:
        report_error("nothing readable: no image frame found under " + ", ".join(args.paths))
    return result.exit_code


COMMANDS = (Command(_NAME, _HELP, add_arguments, run, _DESCRIPTION),)
