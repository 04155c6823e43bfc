"""``htj2k checksums`` and ``htj2k verify``: per-resolution-level CRC-32 checksums
of frames, and verification of a folder of frames against image-set metadata.

    htj2k checksums frame.jph image.npy --json
    htj2k checksums *.jph --manifest metadata.json.gz
    htj2k verify --metadata metadata.json.gz frames/ --jobs 8 --json report.json

Each subcommand is a ``(name, help, add_arguments(parser), run(args) -> int)``
entry of :data:`SUBCOMMANDS`; importing this module also registers them with
:mod:`htj2k.cli` (list ``"htj2k.cli_checksums"`` in ``htj2k.cli.COMMAND_MODULES``).
``python -m htj2k.cli_checksums ...`` runs them on their own.

Exit codes: ``checksums`` 0 on success; ``verify`` 0 when every frame of the
metadata is on disk and verified, 1 when a frame mismatches, is missing or cannot be
decoded (and, with ``--strict``, when FRAMES_DIR holds frames the metadata does not
list); both 2 for usage errors and unreadable inputs, reported as one
``htj2k: error: ...`` line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .cli import (  # shared with the other subcommands
    _add_max_memory,
    _bit_depth,
    _error_message,
    _nonneg_int,
    _one_line,
    _positive_int,
)

__all__ = ["SUBCOMMANDS", "main", "FRAME_EXTENSIONS"]

PROG = "htj2k"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

#: Frame files ``verify`` looks for in FRAMES_DIR (``<ImageFrameID><ext>``), in order of preference.
FRAME_EXTENSIONS = (".jph", ".j2c", ".j2k", ".jhc")


class _Fail(Exception):
    """One-line error: ``htj2k: error: <message>``, exit 2."""


def _error(msg: str) -> int:
    sys.stdout.flush()
    print(f"{PROG}: error: {_one_line(msg)}", file=sys.stderr)
    sys.stderr.flush()
    return EXIT_USAGE



def _handled_errors() -> Tuple[type, ...]:
    from ._errors import Htj2kError

    return (_Fail, Htj2kError, ValueError, TypeError, OSError)


def _guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run ``command``; user-fixable errors become one ``htj2k: error:`` line and exit 2.
    A closed stdout (``| head``) is left to the dispatcher."""
    try:
        return command(args)
    except BrokenPipeError:
        raise
    except _handled_errors() as e:
        return _error(_error_message(e))


# --------------------------------------------------------------------------- option types


def _levels_spec(text: str) -> Optional[List[int]]:
    if text.strip().lower() == "all":
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    try:
        levels = sorted({int(t) for t in items})
    except ValueError:
        levels = []
    if not levels or levels[0] < 0:
        raise argparse.ArgumentTypeError(f"expected 'all' or levels such as 0,1,2, got {text!r}")
    return levels








# --------------------------------------------------------------------------- checksums


def _add_checksums_arguments(p: argparse.ArgumentParser) -> None:
    _add_max_memory(p)
    p.add_argument(
        "files", nargs="+", metavar="FILE",
        help="codestreams/JPH files (.j2c .j2k .jhc .jph .jp2), or images (.npy, .pgm/.ppm/.pnm, .raw) "
        "whose checksums are computed from the pixels as a lossless encode would give them",
    )
    p.add_argument(
        "--levels", type=_levels_spec, default=None, metavar="R,R,...|all",
        help="resolution levels to list (R = levels discarded, 0 = full resolution; default all)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list in the archive's layout")
    p.add_argument(
        "--manifest", metavar="OUT.json",
        help="write image-set metadata for the files (frame IDs = file names without extension; "
        "gzipped when OUT ends in .gz), for 'htj2k verify' later",
    )
    p.add_argument("--image-set-id", metavar="ID", help="--manifest: the ImageSetID to write")
    g = p.add_argument_group("image inputs")
    g.add_argument(
        "--pixel-levels", type=_nonneg_int, metavar="N",
        help="decomposition levels of the encode to model (default 5, capped by the image size)",
    )
    g.add_argument(
        "--bit-depth", type=_bit_depth, metavar="B",
        help="bits per sample (default: from the PGM/PPM maxval, else the dtype width)",
    )
    g.add_argument(
        "--no-colour-transform", "--no-color-transform", dest="colour_transform", action="store_const",
        const=False, default=None, help="no reversible colour transform (default: on for 3 components)",
    )
    g.add_argument("--shape", metavar="HxW[xC]", help=".raw input: image shape (height first)")
    g.add_argument("--dtype", metavar="D", help=".raw input: sample type, e.g. uint16, int16, '>u2'")


@dataclass
class _FileChecksums:
    name: str
    rows: List[Any]  # LevelChecksum, base first
    min_value: Optional[int]
    max_value: Optional[int]
    frame_size: Optional[int]
    summary: str


def _sniff_codestream(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(12)
    return head[:4] == b"\xff\x4f\xff\x51" or head == b"\x00\x00\x00\x0cjP  \r\n\x87\n"


def _bytes_for_bits(bits: int) -> int:
    return 1 if bits <= 8 else 2 if bits <= 16 else 4


def _codestream_checksums(name: str, levels: Optional[List[int]], want_range: bool,
                          max_memory: Optional[int] = None) -> _FileChecksums:
    import htj2k
    from . import _core
    from ._codec import DEFAULT_MAX_PIXELS, _check_max_memory
    from .checksums import _levels_arg, _to_checksums

    with open(name, "rb") as f:
        data = f.read()
    if not data:
        raise _Fail(f"{name}: empty file")
    try:
        inf = htj2k.info(data)
        if levels is not None and levels[-1] > inf.levels:
            raise _Fail(f"{name}: level {levels[-1]} requested, the codestream has levels 0..{inf.levels}")
        if want_range:
            raw, rng = _core.checksums(data, _levels_arg(levels), DEFAULT_MAX_PIXELS, True,
                                       _check_max_memory(max_memory))
            rows = _to_checksums(raw)
        else:
            rows, rng = htj2k.checksums(data, levels, max_memory=max_memory), None
    except (htj2k.Htj2kError, ValueError, RuntimeError) as e:  # RuntimeError: a decoder failure
        raise _Fail(f"{name}: {_error_message(e)}") from None
    comps = inf.num_components
    signed = " signed" if inf.signed else ""
    kind = "lossless" if inf.reversible else "lossy"
    summary = (
        f"{name}: {inf.width}x{inf.height}, {comps} component{'s' if comps != 1 else ''}, "
        f"{inf.bit_depth}-bit{signed}, {inf.levels} levels, {kind} codestream"
    )
    frame_size = None
    if inf.dtype is not None:
        frame_size = inf.width * inf.height * comps * _bytes_for_bits(inf.bit_depth)
    mn, mx = (None, None) if rng is None else (int(rng[0]), int(rng[1]))
    return _FileChecksums(name, rows, mn, mx, frame_size, summary)


def _pixel_checksums(name: str, args: argparse.Namespace, levels: Optional[List[int]]) -> _FileChecksums:
    import numpy as np

    import htj2k
    from . import _core, imageio  # imported here: imageio is optional for the rest of the module

    fmt = imageio.image_format(name)
    if fmt == "raw":
        if args.shape is None or args.dtype is None:
            raise _Fail(f"{name}: .raw input needs --shape and --dtype")
        array = imageio.read_image(name, shape=args.shape, dtype=args.dtype)
    else:
        array = imageio.read_image(name)
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
        default_bits = 1
    else:
        default_bits = array.dtype.itemsize * 8
    bit_depth = args.bit_depth
    if bit_depth is None and fmt == "pnm":
        bit_depth = imageio.pnm_bit_depth(name)
    bits = bit_depth or default_bits
    if array.ndim not in (2, 3) or array.size == 0:
        raise _Fail(f"{name}: expected a non-empty (H, W) or (H, W, C) image, got shape {array.shape}")
    h, w = array.shape[:2]
    comps = array.shape[2] if array.ndim == 3 else 1
    cap = int(_core.max_levels_for_size(w, h))
    if args.pixel_levels is None:
        n = min(5, cap)
    else:
        n = args.pixel_levels
        if n > cap:
            raise _Fail(f"{name}: --pixel-levels {n} exceeds the {cap} a {w}x{h} image allows")
    if levels is not None and levels[-1] > n:
        raise _Fail(f"{name}: level {levels[-1]} requested, the model has levels 0..{n} (see --pixel-levels)")
    colour = args.colour_transform
    if colour is None:
        colour = comps == 3
    try:
        rows = htj2k.pixel_checksums(array, n, bit_depth, colour_transform=colour)
    except (htj2k.Htj2kError, ValueError, TypeError) as e:
        raise _Fail(f"{name}: {_error_message(e)}") from None
    if levels is not None:
        wanted = set(levels)
        rows = [r for r in rows if r.level in wanted]
    signed = " signed" if array.dtype.kind == "i" else ""
    summary = (
        f"{name}: {w}x{h}, {comps} component{'s' if comps != 1 else ''}, {bits}-bit{signed}, "
        f"{n} levels, from pixels{' (colour transform)' if colour else ''}"
    )
    return _FileChecksums(
        name, rows, int(array.min()), int(array.max()), w * h * comps * _bytes_for_bits(bits), summary
    )


def _file_checksums(name: str, args: argparse.Namespace, want_range: bool) -> _FileChecksums:
    from . import imageio

    if os.path.isdir(name):
        raise _Fail(f"{name}: is a directory")
    if imageio.is_codestream_path(name):
        return _codestream_checksums(name, args.levels, want_range, args.max_memory)
    if imageio.is_image_path(name):
        return _pixel_checksums(name, args, args.levels)
    if _sniff_codestream(name):
        return _codestream_checksums(name, args.levels, want_range, args.max_memory)
    raise _Fail(
        f"{name}: unknown file type; expected a codestream (.j2c .j2k .jhc .jph .jp2) "
        "or an image (.npy .pgm .ppm .pnm .raw)"
    )


def _frame_id(name: str) -> str:
    base = os.path.basename(name)
    if base.lower().endswith(".gz"):
        base = base[:-3]
    return os.path.splitext(base)[0]


def _run_checksums(args: argparse.Namespace) -> int:
    return _guarded(_checksums_command, args)


def _checksums_command(args: argparse.Namespace) -> int:
    from .metadata import build_metadata, dump_metadata, frame_entry

    want_range = bool(args.json or args.manifest)
    if args.manifest:
        ids: Dict[str, str] = {}
        for name in args.files:
            fid = _frame_id(name)
            if fid in ids:
                raise _Fail(f"{name}: frame ID {fid!r} (the file name) is also that of {ids[fid]}")
            ids[fid] = name
    results: List[_FileChecksums] = []
    for i, name in enumerate(args.files):
        res = _file_checksums(name, args, want_range)
        results.append(res)
        if not args.json:
            if i:
                print()
            print(res.summary)
            for r in res.rows:
                print(f"  {r.level:>2}  {f'{r.width}x{r.height}':>11}  {r.checksum:>10}  0x{r.checksum:08x}")
            sys.stdout.flush()
    if args.json:
        out = [
            {
                "file": r.name,
                "Checksums": [c.as_archive_dict() for c in r.rows],
                "MinPixelValue": r.min_value,
                "MaxPixelValue": r.max_value,
            }
            for r in results
        ]
        print(json.dumps(out, indent=2))
    if args.manifest:
        entries = [
            frame_entry(_frame_id(r.name), r.rows, r.min_value, r.max_value, r.frame_size) for r in results
        ]
        doc = build_metadata(entries, image_set_id=args.image_set_id)
        dump_metadata(doc, args.manifest)
        if not args.json:
            print(f"\nwrote {args.manifest}: {len(entries)} frame{'s' if len(entries) != 1 else ''}")
    return EXIT_OK


# --------------------------------------------------------------------------- verify


def _default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _add_verify_arguments(p: argparse.ArgumentParser) -> None:
    _add_max_memory(p)
    p.add_argument(
        "frames_dir", metavar="FRAMES_DIR",
        help="folder of frames named <ImageFrameID>.jph (or .j2c, .j2k, .jhc)",
    )
    p.add_argument(
        "--metadata", required=True, metavar="METADATA.json[.gz]",
        help="image-set metadata or import-job manifest (JSON or JSON lines, gzipped or not)",
    )
    p.add_argument(
        "--json", dest="json_report", metavar="REPORT|-",
        help="also write a JSON report to REPORT ('-': print only the JSON report)",
    )
    p.add_argument(
        "--jobs", "-j", type=_positive_int, default=_default_jobs(), metavar="N",
        help=f"frames verified in parallel (default {_default_jobs()})",
    )
    p.add_argument(
        "--strict", action="store_true",
        help="frames in FRAMES_DIR that the metadata does not list also fail the run",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="list only frames that did not verify")


@dataclass
class _FrameOutcome:
    record: Any  # FrameRecord
    path: Optional[str]
    status: str  # ok, mismatch, missing, undecodable, unreadable, no-checksums
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
        raise _Fail(f"{frames_dir}: cannot list the frames folder: {e.strerror or e}") from None
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


def _verify_one(record: Any, path: Optional[str], max_memory: Optional[int] = None) -> _FrameOutcome:
    import htj2k

    listed = len(record.checksums)
    if path is None:
        return _FrameOutcome(record, None, "missing", 0, listed, ["no frame file in FRAMES_DIR"])
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        msg = f"cannot read: {e.strerror or e}"
        return _FrameOutcome(record, path, "unreadable", 0, listed, [msg], error=msg)
    try:
        v = htj2k.verify(data, record.as_dict(), max_memory=max_memory)
    except Exception as e:  # a decoder failure must not stop the other frames
        msg = f"{type(e).__name__}: {_one_line(e)}"
        return _FrameOutcome(record, path, "undecodable", 0, listed, [msg], None, msg)
    matched = sum(1 for lr in v.levels if lr.status == "match")
    if v.error is not None:
        return _FrameOutcome(record, path, "undecodable", matched, listed, [_one_line(v.error)], v, v.error)
    details = []
    for lr in v.levels:
        if lr.status == "mismatch":
            details.append(
                f"{lr.width}x{lr.height} (level {lr.level}): expected {_hex(lr.expected)}, got {_hex(lr.actual)}"
            )
        elif lr.status == "absent":
            details.append(f"{lr.width}x{lr.height}: no level of that size in the codestream")
    for what, pair in (("MinPixelValue", v.min_pixel_value), ("MaxPixelValue", v.max_pixel_value)):
        if pair is not None and pair[0] != pair[1]:
            details.append(f"{what}: expected {pair[0]}, got {pair[1]}")
    if not listed:
        details.insert(0, "the metadata lists no checksums for this frame")
        return _FrameOutcome(record, path, "no-checksums", 0, 0, details, v)
    status = "ok" if v.ok else "mismatch"
    return _FrameOutcome(record, path, status, matched, listed, details, v)


def _table(rows: List[List[str]]) -> List[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]
        out.append("  ".join(cells).rstrip())
    return out


def _run_verify(args: argparse.Namespace) -> int:
    return _guarded(_verify_command, args)


def _verify_command(args: argparse.Namespace) -> int:
    from .metadata import load_metadata

    records = load_metadata(args.metadata)  # MetadataError: one line, exit 2
    if not records:
        raise _Fail(f"{args.metadata}: no ImageFrames entries found")
    if not os.path.isdir(args.frames_dir):
        what = "does not exist" if not os.path.exists(args.frames_dir) else "is not a folder"
        raise _Fail(f"{args.frames_dir}: {what}")
    files = _frame_files(args.frames_dir)
    wanted = {r.frame_id for r in records}
    extra = sorted(p for fid, paths in files.items() if fid not in wanted for p in paths)
    # other files with the same frame ID (x.jph and x.j2c): the preferred one is verified
    shadowed = sorted(p for fid, paths in files.items() if fid in wanted for p in paths[1:])

    def task(rec: Any) -> _FrameOutcome:
        paths = files.get(rec.frame_id)
        return _verify_one(rec, paths[0] if paths else None, args.max_memory)

    if args.jobs > 1 and len(records) > 1:
        with ThreadPoolExecutor(max_workers=min(args.jobs, len(records))) as pool:
            outcomes = list(pool.map(task, records))
    else:
        outcomes = [task(r) for r in records]

    counts: Dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    failed = sum(1 for o in outcomes if not o.ok)
    ok = failed == 0 and not (args.strict and extra)
    missing = [o.record.frame_id for o in outcomes if o.status == "missing"]

    order = ("ok", "mismatch", "missing", "undecodable", "unreadable", "no-checksums")
    parts = [f"{counts.get(s, 0)} {s}" for s in order if counts.get(s, 0) or s in ("ok", "mismatch", "missing")]
    summary = (
        f"{len(outcomes)} frame{'s' if len(outcomes) != 1 else ''} in the metadata: {', '.join(parts)}; "
        f"{len(extra)} file{'s' if len(extra) != 1 else ''} not in the metadata"
        f" -- {'OK' if ok else 'FAILED'}"
    )

    if args.json_report:
        report = {
            "metadata": os.fspath(args.metadata),
            "frames_dir": os.fspath(args.frames_dir),
            "ok": ok,
            "summary": {
                "frames": len(outcomes),
                **{s: counts.get(s, 0) for s in order},
                "extra_files": len(extra),
            },
            "frames": [o.as_dict() for o in outcomes],
            "missing": missing,
            "extra_files": extra,
            "shadowed_files": shadowed,
        }
        text = json.dumps(report, indent=2)
        if args.json_report == "-":
            print(text)
            return EXIT_OK if ok else EXIT_FAILED
        try:
            with open(args.json_report, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        except OSError as e:
            raise _Fail(f"{args.json_report}: cannot write the report: {e.strerror or e}") from None

    rows = [["FRAME", "SERIES", "STATUS", "LEVELS", "DETAILS"]]
    for o in outcomes:
        if args.quiet and o.ok:
            continue
        levels = f"{o.matched}/{o.listed}" if o.status != "missing" else f"-/{o.listed}"
        rows.append([o.record.frame_id, o.record.series_uid or "-", o.status, levels, "; ".join(o.details)])
    if len(rows) > 1:
        for line in _table(rows):
            print(line)
    if missing:
        print(f"\nframes missing from {args.frames_dir} ({len(missing)}):")
        for fid in missing:
            print(f"  {fid}")
    if extra:
        print(f"\nfiles in {args.frames_dir} not in the metadata ({len(extra)}):")
        for p in extra:
            print(f"  {p}")
    if shadowed:
        print(f"\nfiles not verified: another file of the same frame ID was preferred ({len(shadowed)}):")
        for p in shadowed:
            print(f"  {p}")
    print(("\n" if len(rows) > 1 or missing or extra or shadowed else "") + summary)
    return EXIT_OK if ok else EXIT_FAILED


# --------------------------------------------------------------------------- registry

SUBCOMMANDS: List[Tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = [
    (
        "checksums",
        "per-resolution-level CRC-32 checksums of codestreams or images",
        _add_checksums_arguments,
        _run_checksums,
    ),
    (
        "verify",
        "verify a folder of frames against image-set metadata checksums",
        _add_verify_arguments,
        _run_verify,
    ),
]

_DESCRIPTIONS = {
    "checksums": "CRC-32 of each resolution level, base first, as an imaging archive lists them "
    "(PixelDataChecksumFromBaseToFullResolution): from codestreams, or from raw pixels as a "
    "lossless encode would reconstruct them.",
    "verify": "Verify every frame listed in image-set metadata (or an import-job manifest) against "
    "its per-level checksums and min/max pixel values. Frames are FRAMES_DIR/<ImageFrameID>.jph "
    "(or .j2c, .j2k, .jhc). Exit 0 all verified, 1 a frame failed or is missing, 2 usage error.",
}


def _register_with_cli() -> None:
    """Add the subcommands to :mod:`htj2k.cli`'s registry, when it has one."""
    try:
        from . import cli
    except Exception:  # pragma: no cover - the CLI module is optional here
        return
    register = getattr(cli, "register_command", None)
    if register is None:
        return
    for name, help_text, add_arguments, run in SUBCOMMANDS:
        try:
            register(name, help_text, add_arguments, run, _DESCRIPTIONS.get(name))
        except TypeError:  # an older signature without a description
            register(name, help_text, add_arguments, run)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise _Fail(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """A parser holding only these subcommands (``python -m htj2k.cli_checksums``)."""
    parser = _Parser(prog=PROG, description="htj2k checksums and verify")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, help_text, add_arguments, run in SUBCOMMANDS:
        p = sub.add_parser(name, help=help_text, description=_DESCRIPTIONS.get(name, help_text))
        add_arguments(p)
        p.set_defaults(_run=run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``checksums``/``verify`` on their own; returns the exit code."""
    try:
        try:
            args = build_parser().parse_args(None if argv is None else list(argv))
        except SystemExit as e:  # --help
            return e.code if isinstance(e.code, int) else EXIT_OK
        run = getattr(args, "_run", None)
        if run is None:
            raise _Fail("missing command; choose from checksums, verify")
        return int(run(args))
    except _Fail as e:
        return _error(str(e))
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except Exception:
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


_register_with_cli()

if __name__ == "__main__":
    sys.exit(main())
