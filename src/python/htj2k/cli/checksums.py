"""``htj2k checksums``: per-resolution-level CRC-32 checksums of frames, from
codestreams or (as a lossless encode would give them) from image pixels.

    htj2k checksums frame.jph image.npy --json
    htj2k checksums *.jph --manifest metadata.json.gz

Exit codes: 0 on success, 2 for usage errors and unreadable inputs (see :mod:`htj2k.cli`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import numpy as np

import htj2k

from .. import io as image_io
from .._rules import DEFAULT_LEVELS, default_levels, max_levels_for_size, sample_bytes
from ..archive import build_metadata, dump_metadata, frame_entry
from ._common import (
    EXIT_OK,
    CliError,
    Command,
    add_max_memory,
    error_message,
    int_arg,
    nonneg_int,
    positive_int,
)
from . import dicom as dicom_cli

__all__ = ["COMMANDS"]



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
        help="codestreams/JPH files (.j2c .j2k .jhc .jph .jp2), images (.npy, .png, .tif, .pgm/.ppm/.pnm, .raw) "
        "whose checksums are computed from the pixels as a lossless encode would give them, or DICOM files "
        "(every frame: HTJ2K from the codestream, others from the stored pixels at BitsStored)",
    )
    p.add_argument("--frame", type=positive_int, metavar="N", help="DICOM or multi-page TIFF input: only frame N (1-based)")
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
        "--bit-depth", type=int_arg, metavar="B",
        help="bits per sample (default: the PGM/PPM maxval, the PNG/TIFF header, else the dtype width)",
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
    frame_id: Optional[str] = None  # --manifest: default the file name without extension


def _sniff_codestream(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(12)
    return head[:4] == b"\xff\x4f\xff\x51" or head == b"\x00\x00\x00\x0cjP  \r\n\x87\n"



def _codestream_checksums(name: str, levels: Optional[List[int]], want_range: bool,
                          max_memory: Optional[int] = None, data: Optional[bytes] = None) -> _FileChecksums:
    if data is None:
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


def _image_checksums(name: str, args: argparse.Namespace) -> List[_FileChecksums]:
    """Every frame of an image file (every page of a TIFF file; ``--frame`` picks one)."""
    fmt = image_io.image_format(name)
    if fmt == "raw":
        if args.shape is None or args.dtype is None:
            raise CliError(f"{name}: .raw input needs --shape and --dtype")
        arrays = [image_io.read_image(name, shape=args.shape, dtype=args.dtype)]
    else:
        arrays = image_io.read_frames(name)
    numbers = list(range(1, len(arrays) + 1))
    if args.frame is not None:
        if args.frame > len(arrays):
            raise CliError(f"{name}: --frame {args.frame}: the file has {len(arrays)} frame(s)")
        numbers = [args.frame]
    if len(arrays) == 1:
        return [_pixel_checksums(name, arrays[0], args, args.levels)]
    out = []
    for k in numbers:
        r = _pixel_checksums(f"{name}#{k}", arrays[k - 1], args, args.levels, bits_of=name)
        r.frame_id = f"{_frame_id(name)}-{k}"
        out.append(r)
    return out


def _pixel_checksums(name: str, array: np.ndarray, args: argparse.Namespace, levels: Optional[List[int]],
                     bits_of: Optional[str] = None) -> _FileChecksums:
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
        default_bits = 1
    else:
        default_bits = array.dtype.itemsize * 8
    bit_depth = args.bit_depth
    if bit_depth is None:
        bit_depth = image_io.image_bit_depth(bits_of or name)
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


def _dicom_checksums(name: str, args: argparse.Namespace, want_range: bool) -> List[_FileChecksums]:
    """Every frame of a DICOM file: HTJ2K frames from their codestreams, others from
    the stored pixels at BitsStored/PixelRepresentation (values beyond them refused)."""
    src = dicom_cli.open_dicom(name)
    stem = _frame_id(name)
    indices = src.indices(args.frame)
    many = src.number_of_frames > 1

    def fid(number: int) -> str:
        return f"{stem}-{number}" if many else stem

    out: List[_FileChecksums] = []
    if src.htj2k:
        for i, cs in zip(indices, src.codestreams(indices)):
            r = _codestream_checksums(f"{name}#{i + 1}", args.levels, want_range, args.max_memory, data=cs)
            r.summary += f" ({src.transfer_syntax_name})"
            r.frame_id = fid(i + 1)
            out.append(r)
        return out
    for f in src.frames(indices):
        dicom_cli.frame_range_error(f, name)
        n = f.levels if args.pixel_levels is None else args.pixel_levels
        label = f"{name}#{f.number}"
        if n > max_levels_for_size(f.width, f.height):
            raise CliError(f"{label}: --pixel-levels {n} exceeds what a {f.width}x{f.height} frame allows")
        if args.levels is not None and args.levels[-1] > n:
            raise CliError(f"{label}: level {args.levels[-1]} requested, the model has levels 0..{n}")
        try:
            rows = f.pixel_checksums(n)
        except (htj2k.Htj2kError, ValueError, TypeError) as e:
            raise CliError(f"{label}: {error_message(e)}") from None
        if args.levels is not None:
            rows = [r for r in rows if r.level in set(args.levels)]
        px = dicom_cli.frame_pixels(f)
        signed = " signed" if f.signed else ""
        summary = (f"{label}: {f.width}x{f.height}, {f.samples_per_pixel} sample(s), {f.bit_depth}-bit{signed} "
                   f"(BitsStored), {n} levels, from pixels ({src.transfer_syntax_name})")
        out.append(_FileChecksums(label, rows, int(px.min()), int(px.max()), f.frame_size, summary, fid(f.number)))
    return out


def _file_results(name: str, args: argparse.Namespace, want_range: bool) -> List[_FileChecksums]:
    """One result per frame of ``name`` (several for a multi-frame DICOM file)."""
    if not os.path.isdir(name) and dicom_cli.is_dicom(name):
        return _dicom_checksums(name, args, want_range)
    if not os.path.isdir(name) and image_io.is_image_path(name):
        return _image_checksums(name, args)
    if args.frame is not None:
        raise CliError(f"{name}: --frame applies to DICOM and image input")
    return [_file_checksums(name, args, want_range)]


def _file_checksums(name: str, args: argparse.Namespace, want_range: bool) -> _FileChecksums:
    if os.path.isdir(name):
        raise CliError(f"{name}: is a directory")
    if image_io.is_codestream_path(name):
        return _codestream_checksums(name, args.levels, want_range, args.max_memory)
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
    for name in args.files:
        for res in _file_results(name, args, want_range):
            if not args.json:
                if results:
                    print()
                print(res.summary)
                for r in res.rows:
                    print(f"  {r.level:>2}  {f'{r.width}x{r.height}':>11}  {r.checksum:>10}  0x{r.checksum:08x}")
                sys.stdout.flush()
            results.append(res)
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
            frame_entry(r.frame_id or _frame_id(r.name), r.rows, r.min_value, r.max_value, r.frame_size)
            for r in results
        ]
        doc = build_metadata(entries, image_set_id=args.image_set_id)
        dump_metadata(doc, args.manifest)
        if not args.json:
            print(f"\nwrote {args.manifest}: {len(entries)} frame{'s' if len(entries) != 1 else ''}")
    return EXIT_OK


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
)
