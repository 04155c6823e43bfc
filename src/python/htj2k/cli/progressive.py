"""``htj2k levels``: where each resolution level of a frame lies in its bytes;
``htj2k transcode``: a frame re-laid out without decoding its pixels.

    htj2k levels frame.jph
    htj2k levels frame.jph --json
    htj2k levels frame.jph --split out/frame   # out/frame.level4 ... out/frame.level0
    htj2k transcode plain.j2c progressive.j2c --progression RPCL --tileparts R --tlm

Exit codes as everywhere (see :mod:`htj2k.cli`): 0 success, 1 a file could not
be read as a frame, 2 usage errors and missing files.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict, List

import htj2k

from .._errors import Htj2kError
from .._rules import PROGRESSIONS
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    Command,
    error_message,
    one_line,
    positive_int,
    read_codestream,
    report_error,
    upper_choice,
    write_bytes,
)

__all__ = ["COMMANDS"]


def _add_levels_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="codestream or JPH files (whole frames or their first bytes)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per file")
    p.add_argument("--split", metavar="PREFIX",
                   help="also write the pieces of a whole frame: PREFIX.levelR, base first (one file only)")


def _levels_of(name: str, data: bytes) -> Dict[str, Any]:
    """Each level's size and the byte range it adds, base first."""
    inf = htj2k.info(data)
    top = len(inf.level_ranges) - 1
    rows: List[Dict[str, Any]] = []
    start = 0
    for i, end in enumerate(inf.level_ranges):
        level = top - i
        held = inf.best_level is not None and level >= inf.best_level
        w, h = inf.level_sizes[i]
        rows.append({"level": level, "width": w, "height": h, "start": start if end is not None else None,
                     "end": end, "bytes": None if end is None else end - start, "in_data": held})
        if end is not None:
            start = end
    return {"file": name, "size": len(data), "truncated": inf.truncated, "best_level": inf.best_level,
            "progression": inf.progression, "tlm": inf.has_tlm, "tile_parts": inf.tile_parts, "levels": rows}


def _format(d: Dict[str, Any]) -> str:
    head = f"{d['file']}: {d['size']} bytes, {d['progression']}, {d['tile_parts']} tile-part"
    head += ("s" if d["tile_parts"] != 1 else "") + (", TLM" if d["tlm"] else "")
    if d["truncated"]:
        held = "no level" if d["best_level"] is None else f"levels {d['best_level']}.."
        head += f"; the first bytes of a frame, holding {held}"
    lines = [head, "  LEVEL  SIZE         BYTES       RANGE"]
    for r in d["levels"]:
        size = f"{r['width']}x{r['height']}"
        if r["end"] is None:
            span, count = "not known from these bytes", "?"
        else:
            span, count = f"[{r['start']}, {r['end']})", str(r["bytes"])
        mark = "" if r["in_data"] else "  (not in the data)"
        lines.append(f"  {r['level']:>5}  {size:<11}  {count:>10}  {span}{mark}")
    return "\n".join(lines)


def _run_levels(args: argparse.Namespace) -> int:
    if args.split and len(args.files) != 1:
        raise CliError("--split takes one file")
    results: List[Dict[str, Any]] = []
    failed = 0
    for name in args.files:
        data = read_codestream(name)  # a missing file: exit 2, as everywhere
        try:
            d = _levels_of(name, data)
            pieces = htj2k.split_levels(data) if args.split else None
        except (Htj2kError, ValueError) as e:
            failed += 1
            msg = f"{name}: {error_message(e)}"
            report_error(msg)
            results.append({"file": name, "error": msg})
            continue
        if pieces is not None:
            top = len(pieces) - 1
            for i, piece in enumerate(pieces):
                write_bytes(f"{args.split}.level{top - i}", piece)
        results.append(d)
        if not args.json:
            print(_format(d))
    if args.json:
        print(json.dumps(results, indent=2))
    return EXIT_FAILED if failed else EXIT_OK


def _add_transcode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="codestream or JPH/JP2 file")
    p.add_argument("output", metavar="OUT", help="where to write the re-laid-out frame (same container as IN)")
    p.add_argument("--progression", type=upper_choice(PROGRESSIONS), metavar="ORDER",
                   help=f"progression order: {', '.join(PROGRESSIONS)} (default: keep)")
    tp = p.add_mutually_exclusive_group()
    tp.add_argument("--tileparts", type=upper_choice(("R", "C", "RC", "CR")), metavar="R|C|RC",
                    help="tile-part divisions: per resolution level, per component or both")
    tp.add_argument("--no-tileparts", dest="tileparts", action="store_const", const=False, help="one tile-part per tile")
    for name, what in (("tlm", "a TLM index of the tile-parts"), ("plt", "PLT packet lengths in every tile-part")):
        g = p.add_mutually_exclusive_group()
        g.add_argument(f"--{name}", dest=name, action="store_const", const=True, help=f"write {what}")
        g.add_argument(f"--no-{name}", dest=name, action="store_const", const=False, help=f"drop {what}")
    p.add_argument("--layers", type=positive_int, metavar="K",
                   help="keep the first K quality layers, joined into one (default: keep the input's)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _run_transcode(args: argparse.Namespace) -> int:
    data = read_codestream(args.input)
    try:
        out = htj2k.transcode(data, progression=args.progression, tileparts=args.tileparts, tlm=args.tlm,
                              plt=args.plt, layers=args.layers)
    except (Htj2kError, ValueError) as e:
        raise CliError(f"{args.input}: {one_line(e)}") from e
    write_bytes(args.output, out)
    if not args.quiet:
        inf = htj2k.info(out)
        marks = ", ".join(m for m, on in (("TLM", inf.has_tlm), ("PLT", inf.has_plt)) if on) or "no TLM/PLT"
        print(f"{args.input} -> {args.output}: {inf.progression}, {inf.tile_parts} tile-part"
              f"{'s' if inf.tile_parts != 1 else ''}, {marks}; {len(data)} -> {len(out)} bytes")
    return EXIT_OK


COMMANDS = (
    Command(
        "levels",
        "show where each resolution level of a frame lies in its bytes",
        _add_levels_arguments,
        _run_levels,
        "For each resolution level (base first): its size and the byte range it adds, i.e. how many "
        "leading bytes of the frame a client must fetch to decode it (from TLM and the packet headers). "
        "FILE may be the first bytes of a frame; --split writes the pieces of a whole frame.",
    ),
    Command(
        "transcode",
        "re-lay out a frame (progression, tile-parts, TLM, PLT) without decoding",
        _add_transcode_arguments,
        _run_transcode,
        "Rewrite a codestream/JPH file with another progression order, tile-part division, TLM or PLT, "
        "moving its packets without decoding them: the pixels are the same at every level. Options left "
        "out keep what IN has.",
    ),
)
