"""``htj2k checksums`` and ``htj2k verify``: per-resolution-level CRC-32 checksums
of frames, and verification of a folder of frames against image-set metadata.

    htj2k checksums frame.jph image.npy --json
    htj2k checksums *.jph --manifest metadata.json.gz
    htj2k verify --metadata metadata.json.gz frames/ --jobs 8 --json-out report.json

Exit codes: ``checksums`` 0 on success; ``verify`` 0 when every frame of the
metadata is on disk and verified, 1 when a frame mismatches, is missing or cannot be
decoded (and, with ``--strict``, when FRAMES_DIR holds frames the metadata does not
list); both 2 for usage errors and unreadable inputs (see :mod:`htj2k.cli`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

import htj2k

from .. import io as image_io
from .._rules import DEFAULT_LEVELS, default_levels, max_levels_for_size, sample_bytes
from ..archive import build_metadata, dump_metadata, frame_entry, load_metadata
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    Command,
    add_max_memory,
    bit_depth_arg,
    error_message,
    nonneg_int,
    one_line,
    positive_int,
)

__all__ = ["COMMANDS", "FRAME_EXTENSIONS"]

#: Frame files ``verify`` looks for in FRAMES_DIR (``<ImageFrameID><ext>``), in order of preference.
FRAME_EXTENSIONS = (".jph", ".j2c", ".j2k", ".jhc")


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
    add_max_memory(p)
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
        "--pixel-levels", type=nonneg_int, metavar="N",
        help=f"decomposition levels of the encode to model (default {DEFAULT_LEVELS}, capped by the image size)",
    )
    g.add_argument(
        "--bit-depth", type=bit_depth_arg, metavar="B",
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



def _codestream_checksums(name: str, levels: Optional[List[int]], want_range: bool,
                          max_memory: Optional[int] = None) -> _FileChecksums:
    with open(name, "rb") as f:
        data = f.read()
    if not data:
        raise CliError(f"{name}: empty file")
    try:
        inf = htj2k.info(data)
        if levels is not None and levels[-1] > inf.levels:
            raise CliError(f"{name}: level {levels[-1]} requested, the codestream has levels 0..{inf.levels}")
        if want_range:
            rows, rng = htj2k.checksums_with_range(data, levels, max_memory=max_memory)
        else:
            rows, rng = htj2k.checksums(data, levels, max_memory=max_memory), None
    except (htj2k.Htj2kError, ValueError) as e:
        raise CliError(f"{name}: {error_message(e)}") from None
    comps = inf.num_components
    signed = " signed" if inf.signed else ""
    kind = "lossless" if inf.reversible else "lossy"
    summary = (
        f"{name}: {inf.width}x{inf.height}, {comps} component{'s' if comps != 1 else ''}, "
        f"{inf.bit_depth}-bit{signed}, {inf.levels} levels, {kind} codestream"
    )
    frame_size = None
    if inf.dtype is not None:
        frame_size = inf.width * inf.height * comps * sample_bytes(inf.bit_depth)
    mn, mx = (None, None) if rng is None else (int(rng[0]), int(rng[1]))
    return _FileChecksums(name, rows, mn, mx, frame_size, summary)


def _pixel_checksums(name: str, args: argparse.Namespace, levels: Optional[List[int]]) -> _FileChecksums:
    fmt = image_io.image_format(name)
    if fmt == "raw":
        if args.shape is None or args.dtype is None:
            raise CliError(f"{name}: .raw input needs --shape and --dtype")
        array = image_io.read_image(name, shape=args.shape, dtype=args.dtype)
    else:
        array = image_io.read_image(name)
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
        default_bits = 1
    else:
        default_bits = array.dtype.itemsize * 8
    bit_depth = args.bit_depth
    if bit_depth is None and fmt == "pnm":
        bit_depth = image_io.pnm_bit_depth(name)
    bits = bit_depth or default_bits
    if array.ndim not in (2, 3) or array.size == 0:
        raise CliError(f"{name}: expected a non-empty (H, W) or (H, W, C) image, got shape {array.shape}")
    h, w = array.shape[:2]
    comps = array.shape[2] if array.ndim == 3 else 1
    cap = max_levels_for_size(w, h)
    if args.pixel_levels is None:
        n = default_levels(w, h)
    else:
        n = args.pixel_levels
        if n > cap:
            raise CliError(f"{name}: --pixel-levels {n} exceeds the {cap} a {w}x{h} image allows")
    if levels is not None and levels[-1] > n:
        raise CliError(f"{name}: level {levels[-1]} requested, the model has levels 0..{n} (see --pixel-levels)")
    colour = args.colour_transform
    if colour is None:
        colour = comps == 3
    try:
        rows = htj2k.pixel_checksums(array, n, bit_depth, colour_transform=colour)
    except (htj2k.Htj2kError, ValueError, TypeError) as e:
        raise CliError(f"{name}: {error_message(e)}") from None
    if levels is not None:
        wanted = set(levels)
        rows = [r for r in rows if r.level in wanted]
    signed = " signed" if array.dtype.kind == "i" else ""
    summary = (
        f"{name}: {w}x{h}, {comps} component{'s' if comps != 1 else ''}, {bits}-bit{signed}, "
        f"{n} levels, from pixels{' (colour transform)' if colour else ''}"
    )
    return _FileChecksums(
        name, rows, int(array.min()), int(array.max()), w * h * comps * sample_bytes(bits), summary
    )


def _file_checksums(name: str, args: argparse.Namespace, want_range: bool) -> _FileChecksums:
    if os.path.isdir(name):
        raise CliError(f"{name}: is a directory")
    if image_io.is_codestream_path(name):
        return _codestream_checksums(name, args.levels, want_range, args.max_memory)
    if image_io.is_image_path(name):
        return _pixel_checksums(name, args, args.levels)
    if _sniff_codestream(name):
        return _codestream_checksums(name, args.levels, want_range, args.max_memory)
    raise CliError(
        f"{name}: unknown file type; expected a codestream (.j2c .j2k .jhc .jph .jp2) "
        "or an image (.npy .pgm .ppm .pnm .raw)"
    )


def _frame_id(name: str) -> str:
    base = os.path.basename(name)
    if base.lower().endswith(".gz"):
        base = base[:-3]
    return os.path.splitext(base)[0]


def _run_checksums(args: argparse.Namespace) -> int:
    want_range = bool(args.json or args.manifest)
    if args.manifest:
        ids: Dict[str, str] = {}
        for name in args.files:
            fid = _frame_id(name)
            if fid in ids:
                raise CliError(f"{name}: frame ID {fid!r} (the file name) is also that of {ids[fid]}")
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
    add_max_memory(p)
    p.add_argument(
        "frames_dir", metavar="FRAMES_DIR",
        help="folder of frames named <ImageFrameID>.jph (or .j2c, .j2k, .jhc)",
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
    records = load_metadata(args.metadata)  # MetadataError: one line, exit 2
    if not records:
        raise CliError(f"{args.metadata}: no ImageFrames entries found")
    if not os.path.isdir(args.frames_dir):
        what = "does not exist" if not os.path.exists(args.frames_dir) else "is not a folder"
        raise CliError(f"{args.frames_dir}: {what}")
    files = _frame_files(args.frames_dir)
    wanted = {r.frame_id for r in records}
    extra = sorted(p for fid, paths in files.items() if fid not in wanted for p in paths)
    # other files with the same frame ID (x.jph and x.j2c): the preferred one is verified
    shadowed = sorted(p for fid, paths in files.items() if fid in wanted for p in paths[1:])

    paths = [files[r.frame_id][0] if r.frame_id in files else None for r in records]
    datas = [None if p is None else _read_frame(p) for p in paths]
    readable = [i for i, d in enumerate(datas) if isinstance(d, bytes)]
    results = htj2k.verify_many(
        [datas[i] for i in readable], [records[i].as_dict() for i in readable],
        threads=args.jobs, max_memory=args.max_memory,
    )
    verifications: List[Any] = [None] * len(records)
    for i, v in zip(readable, results):
        verifications[i] = v
    outcomes = [_outcome(r, p, d, v) for r, p, d, v in zip(records, paths, datas, verifications)]

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

    if args.json or args.json_out:
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
        if args.json_out:
            try:
                with open(args.json_out, "w", encoding="utf-8") as f:
                    f.write(text + "\n")
            except OSError as e:
                raise CliError(f"{args.json_out}: cannot write the report: {e.strerror or e}") from None
        if args.json:
            print(text)
            return EXIT_OK if ok else EXIT_FAILED

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


COMMANDS = (
    Command(
        "checksums",
        "per-resolution-level CRC-32 checksums of codestreams or images",
        _add_checksums_arguments,
        _run_checksums,
        "CRC-32 of each resolution level, base first, as an imaging archive lists them "
        "(PixelDataChecksumFromBaseToFullResolution): from codestreams, or from raw pixels as a "
        "lossless encode would reconstruct them.",
    ),
    Command(
        "verify",
        "verify a folder of frames against image-set metadata checksums",
        _add_verify_arguments,
        _run_verify,
        "Verify every frame listed in image-set metadata (or an import-job manifest) against "
        "its per-level checksums and min/max pixel values. Frames are FRAMES_DIR/<ImageFrameID>.jph "
        "(or .j2c, .j2k, .jhc). Exit 0 all verified, 1 a frame failed or is missing, 2 usage error.",
    ),
)
