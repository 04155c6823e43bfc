"""``htj2k encode``, ``htj2k decode`` and ``htj2k info``."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

import htj2k

from .. import io as image_io
from .._errors import Htj2kError
from .._rules import DEFAULT_LEVELS, ENCODERS, PROGRESSIONS
from . import dicom as dicom_cli
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USER_ERROR,
    CliError,
    Command,
    add_max_memory,
    describe,
    error_message,
    extension,
    float_arg,
    image_shape,
    int_arg,
    nonneg_int,
    one_line,
    positive_int,
    precinct_list,
    raw_dtype,
    read_codestream,
    report_error,
    size_pair,
    upper_choice,
    write_bytes,
)


def _add_encode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="image: .npy, .png, .tif/.tiff (every page), .pgm/.ppm/.pnm (P5/P6/P2/P3), "
                   ".raw (needs --shape/--dtype), or a DICOM file (every frame, at BitsStored)")
    p.add_argument("output", metavar="OUT", help="codestream: .jph for a JPH file, else a bare codestream (.j2c, .jhc, .j2k); "
                   "several frames go to OUT-1.jph, OUT-2.jph, ...")
    p.add_argument("--frame", type=positive_int, metavar="N", help="encode only frame N (1-based) of a DICOM file or TIFF")
    p.add_argument("--levels", type=nonneg_int, metavar="N", help=f"decomposition levels (default {DEFAULT_LEVELS}, capped by the image size)")
    p.add_argument("--lossy", action="store_true", help="irreversible 9/7 wavelet (default: lossless 5/3); needs --qstep")
    p.add_argument("--qstep", type=float_arg, metavar="Q", help="quantisation step for --lossy, e.g. 0.005 (implies --lossy)")
    p.add_argument("--block-size", type=size_pair, metavar="WxH", default=(64, 64), help="code-block size (default 64x64)")
    p.add_argument("--precincts", type=precinct_list, metavar="WxH[,WxH...]", help="precinct sizes from the highest resolution down (default: maximal)")
    p.add_argument("--progression", type=upper_choice(PROGRESSIONS), default="RPCL", metavar="ORDER", help=f"progression order: {', '.join(PROGRESSIONS)} (default RPCL)")
    p.add_argument("--tile-size", type=size_pair, metavar="WxH", help="tile size (default: one tile)")
    p.add_argument("--bit-depth", type=int_arg, metavar="B", help="declared bits per sample (default: DICOM BitsStored, the PGM/PPM maxval, the PNG/TIFF header, else the dtype width)")
    ct = p.add_mutually_exclusive_group()
    ct.add_argument("--colour-transform", "--color-transform", dest="colour_transform", action="store_const", const=True, default=None, help="colour transform on the first 3 components (default for 3 components)")
    ct.add_argument("--no-colour-transform", "--no-color-transform", dest="colour_transform", action="store_const", const=False, help="no colour transform")
    p.add_argument("--tlm", action="store_true", help="write a TLM marker")
    p.add_argument("--plt", action="store_true", help="write PLT packet lengths in every tile-part")
    p.add_argument("--tileparts", type=upper_choice(("R", "C", "RC", "CR")), metavar="R|C|RC", help="tile-part divisions: per resolution, per component or both")
    p.add_argument("--encoder", choices=ENCODERS, default="auto",
                   help="htj2k: our own encoder (lossless); openjph: the linked OpenJPH; auto (default): "
                   "see htj2k.features()['encoder']")
    p.add_argument("--threads", type=nonneg_int, default=1, metavar="N",
                   help="threads our encoder uses within a frame (default 1; 0 = all cores)")
    p.add_argument("--checksums", action="store_true",
                   help="also print each frame's level checksums, base first, as one JSON line "
                   '{"frame": OUT, "checksums": [{"Width", "Height", "Checksum"}, ...]} (from the encode\'s own wavelet pass)')
    p.add_argument("--shape", type=image_shape, metavar="HxW[xC]", help=".raw input: image shape (height first)")
    p.add_argument("--dtype", type=raw_dtype, metavar="D", help=".raw input: sample type, e.g. uint16, int16, '>u2' (little-endian unless given)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


_OTHER_IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".dcm", ".npz", ".pbm", ".pam"})


@dataclass
class _EncodeFrame:
    """One frame to encode: its label in messages, pixels, the bit depth its file
    declares (None: the dtype's width), the default colour transform and signedness."""

    label: str
    number: int
    array: np.ndarray
    bit_depth: Optional[int]
    colour_transform: Optional[bool] = None


def _encode_inputs(args: argparse.Namespace) -> List[_EncodeFrame]:
    """The frames of IN (``--frame N`` picks one): images (every TIFF page) or DICOM."""
    src = args.input
    if image_io.is_codestream_path(src):
        raise CliError(f"{src}: is a codestream; encode reads images (.npy, .png, .tif, .pgm/.ppm/.pnm, .raw) or DICOM")
    if os.path.isfile(src) and dicom_cli.is_dicom(src):
        dcm = dicom_cli.open_dicom(src)
        out = []
        for f in dcm.frames(dcm.indices(args.frame)):
            dicom_cli.frame_range_error(f, src)
            out.append(_EncodeFrame(f"{src} frame {f.number}", f.number, dicom_cli.frame_pixels(f), f.bit_depth,
                                    f.colour_transform if f.samples_per_pixel >= 3 else None))
        return out
    fmt = image_io.image_format(src)
    if fmt != "raw" and (args.shape is not None or args.dtype is not None):
        raise CliError(f"{src}: --shape/--dtype only apply to .raw input")
    if fmt == "raw":
        arrays = [image_io.read_image(src, shape=args.shape, dtype=args.dtype)]
    else:
        arrays = image_io.read_frames(src)
    bits = image_io.image_bit_depth(src)
    frames = [_EncodeFrame(src if len(arrays) == 1 else f"{src} page {i + 1}", i + 1, a, bits)
              for i, a in enumerate(arrays)]
    if args.frame is not None:
        if not 1 <= args.frame <= len(frames):
            raise CliError(f"{src}: --frame {args.frame}: the file has {len(frames)} frame(s)")
        frames = [frames[args.frame - 1]]
    return frames


def _run_encode(args: argparse.Namespace) -> int:
    src, dst = args.input, args.output
    out_ext = extension(dst)
    if image_io.is_image_path(dst):
        raise CliError(f"{dst}: encode writes a codestream (.j2c, .jhc, .j2k) or .jph file; to write an image use 'htj2k decode'")
    if out_ext in _OTHER_IMAGE_EXTENSIONS:
        raise CliError(f"{dst}: encode writes a codestream (.j2c, .jhc, .j2k) or .jph file, not {out_ext}")
    if out_ext == ".jp2":
        raise CliError(f"{dst}: JP2 output is not supported; use .jph (HTJ2K file) or .j2c (codestream)")
    if args.lossy and args.qstep is None:
        # OpenJPH's default step is fine enough that the "lossy" file is larger than the lossless one
        raise CliError("--lossy needs --qstep Q (the quantisation step, e.g. 0.005; smaller is better)")
    frames = _encode_inputs(args)
    for frame in frames:
        out = dicom_cli.numbered_path(dst, frame.number, len(frames))
        _encode_one(args, frame, out)
    return EXIT_OK


def _encode_one(args: argparse.Namespace, frame: _EncodeFrame, dst: str) -> None:
    array = frame.array
    bit_depth = args.bit_depth if args.bit_depth is not None else frame.bit_depth
    colour = args.colour_transform if args.colour_transform is not None else frame.colour_transform
    lossy = args.qstep is not None
    try:
        data = htj2k.encode(
            array,
            reversible=False if lossy else None,
            qstep=args.qstep,
            levels=args.levels,
            block_size=args.block_size,
            precincts=args.precincts,
            progression=args.progression,
            tile_size=args.tile_size,
            bit_depth=bit_depth,
            colour_transform=colour,
            tlm=args.tlm,
            tileparts=args.tileparts,
            plt=args.plt,
            container="jph" if extension(dst) == ".jph" else "j2c",
            encoder=args.encoder,
            threads=args.threads,
            checksums=args.checksums,
        )
    except (Htj2kError, ValueError, TypeError) as e:
        raise CliError(f"{frame.label}: {one_line(e)}") from e
    sums = None
    if args.checksums:
        data, sums = data
    write_bytes(dst, data)

    if not args.quiet:
        height, width = array.shape[:2]
        comps = array.shape[2] if array.ndim == 3 else 1
        bits = bit_depth if bit_depth is not None else (1 if array.dtype == np.bool_ else array.dtype.itemsize * 8)
        ratio = array.nbytes / len(data) if data else float("inf")
        print(
            f"{frame.label} -> {dst}: {describe(width, height, comps, bits, array.dtype.kind == 'i')}, "
            f"{len(data)} bytes (ratio {ratio:.2f}:1)"
        )
    if sums is not None:
        print(json.dumps({"frame": str(dst), "checksums": [c.as_archive_dict() for c in sums]}))


def _add_decode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="codestream or JPH/JP2 file, or a DICOM file (--frame N)")
    p.add_argument("output", metavar="OUT", help="image: .npy, .png (uint8/uint16), .tif, .pgm/.ppm/.pnm (uint8/uint16, 1 or 3 components) or .raw (little-endian samples)")
    p.add_argument("--frame", type=positive_int, metavar="N",
                   help="DICOM input: the frame to decode (1-based; needed when the file has several)")
    p.add_argument("--level", type=_decode_level, default=0, metavar="R|best",
                   help="resolution levels to discard (0 = full resolution); 'best': the finest level IN holds "
                        "(IN may be the first bytes of a frame)")
    p.add_argument("--layers", type=positive_int, metavar="K",
                   help="decode the first K quality layers only (default: all)")
    add_max_memory(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _decode_level(text: str) -> Union[int, str]:
    return "best" if text.strip().lower() == "best" else nonneg_int(text)


def _dicom_decode_input(args: argparse.Namespace) -> Optional[bytes]:
    """The codestream of the HTJ2K frame asked for; for other transfer syntaxes the
    frame is decoded by pydicom and written here (``None`` returned)."""
    src = dicom_cli.open_dicom(args.input)
    if args.frame is None and src.number_of_frames > 1:
        raise CliError(f"{args.input}: {src.number_of_frames} frames; choose one with --frame N (1..{src.number_of_frames})")
    indices = src.indices(args.frame)
    if src.htj2k:
        return next(iter(src.codestreams(indices)))
    if args.level != 0 or args.layers is not None:
        raise CliError(f"{args.input}: --level/--layers need HTJ2K pixel data; this file has {src.transfer_syntax_name}")
    (frame,) = src.frames(indices)
    array = dicom_cli.frame_pixels(frame)
    image_io.write_image(args.output, array)
    if not args.quiet:
        height, width = array.shape[:2]
        print(f"{args.input} frame {frame.number} -> {args.output}: "
              f"{describe(width, height, frame.samples_per_pixel, frame.bit_depth, frame.signed)}")
    return None


def _run_decode(args: argparse.Namespace) -> int:
    src, dst = args.input, args.output
    if image_io.is_codestream_path(dst):
        raise CliError(f"{dst}: decode writes an image (.npy, .png, .tif, .pgm/.ppm/.pnm or .raw), not a codestream")
    fmt = image_io.image_format(dst)
    if dicom_cli.is_dicom(src):
        dicom_data = _dicom_decode_input(args)
        if dicom_data is None:
            return EXIT_OK
        data = dicom_data
    elif args.frame is not None:
        raise CliError(f"{src}: --frame applies to DICOM input")
    else:
        data = read_codestream(src)
    try:
        inf = htj2k.info(data)
    except (Htj2kError, ValueError, TypeError) as e:
        raise CliError(f"{src}: {one_line(e)}") from e
    if fmt == "pnm":
        comps = inf.num_components
        if inf.dtype not in ("uint8", "uint16") or comps not in (1, 3) or inf.bit_depth > 16:
            kind = inf.dtype or "mixed components"
            raise CliError(
                f"{dst}: PGM/PPM holds uint8/uint16 images with 1 or 3 components; "
                f"{src} decodes to {kind} x{comps}; use .npy or .raw"
            )
        if extension(dst) == ".pgm" and comps != 1:
            raise CliError(f"{dst}: .pgm holds one component, {src} has {comps}; use .ppm or .pnm")
        if extension(dst) == ".ppm" and comps != 3:
            raise CliError(f"{dst}: .ppm holds three components, {src} has {comps}; use .pgm or .pnm")
    try:
        array = htj2k.decode(data, level=args.level, max_memory=args.max_memory, layers=args.layers)
    except (Htj2kError, ValueError, TypeError) as e:
        raise CliError(f"{src}: {one_line(e)}") from e
    level = args.level
    if level == "best":
        array, level = array

    if fmt == "pnm":
        image_io.write_image(dst, array, bit_depth=inf.bit_depth)
    else:
        image_io.write_image(dst, array)

    if not args.quiet:
        height, width = array.shape[:2]
        comps = array.shape[2] if array.ndim == 3 else 1
        line = f"{src} -> {dst}: {describe(width, height, comps, inf.bit_depth, inf.signed)}"
        if level or args.level == "best":
            line += f", level {level}"
            if inf.truncated:
                line += f" (the finest of levels {level}..{len(inf.level_ranges) - 1} the file holds)"
        if fmt == "raw":
            shape = "x".join(str(d) for d in array.shape)
            order = " little-endian" if array.dtype.itemsize > 1 else ""
            line += f"; raw{order} samples: --shape {shape} --dtype {array.dtype.name}"
        print(line)
    return EXIT_OK


def _add_info_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="codestream or JPH/JP2 files, or DICOM files (each frame)")
    p.add_argument("--json", action="store_true", help="print a JSON list of the header fields, one object per file")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _pair_text(p: Sequence[int]) -> str:
    return f"{p[0]}x{p[1]}"


def _components_text(inf: Any) -> str:
    def one(c: Any) -> str:
        s = f"{c.bit_depth}-bit {'signed' if c.signed else 'unsigned'}"
        if tuple(c.subsampling) != (1, 1):
            s += f", subsampled {_pair_text(c.subsampling)}"
        return s

    comps = inf.components
    if all(c == comps[0] for c in comps):
        return f"{len(comps)} x {one(comps[0])}"
    return f"{len(comps)}: " + "; ".join(one(c) for c in comps)


def format_info(name: str, inf: Any) -> str:
    """Human-readable lines describing a :class:`htj2k.CodestreamInfo`."""
    rows: List[Tuple[str, str]] = []
    size = f"{inf.width}x{inf.height}"
    if tuple(inf.offset) != (0, 0):
        size += f" (origin {inf.offset[0]},{inf.offset[1]})"
    rows.append(("container", f"{inf.container}, codestream {inf.codestream_length} bytes"))
    rows.append(("size", size))
    rows.append(("components", _components_text(inf)))
    rows.append(("decodes to", f"{inf.dtype or 'planes (use decode_planes)'} {inf.shape}"))
    wavelet = "reversible 5/3 (lossless)" if inf.reversible else "irreversible 9/7 (lossy)"
    rows.append(("levels", f"{inf.levels}, {wavelet}"))
    rows.append(("colour transform", _yes(inf.colour_transform)))
    rows.append(("quantization", inf.quantization))
    rows.append(("progression", inf.progression))
    rows.append(("block size", _pair_text(inf.block_size)))
    rows.append(("precincts", ", ".join(_pair_text(p) for p in inf.precincts) if inf.precincts else "maximal"))
    tiles = f"{_pair_text(inf.tiles)} of {_pair_text(inf.tile_size)}"
    if tuple(inf.tile_offset) != (0, 0):
        tiles += f" (origin {inf.tile_offset[0]},{inf.tile_offset[1]})"
    tiles += f", {inf.tile_parts} tile-part{'s' if inf.tile_parts != 1 else ''}"
    rows.append(("tiles", tiles))
    rows.append(("layers", str(inf.layers)))
    rows.append(("HT block coder", _yes(inf.ht)))
    rows.append(
        ("markers", f"TLM {_yes(inf.has_tlm)}, PLT {_yes(inf.has_plt)}, PLM {_yes(inf.has_plm)}, CAP {_yes(inf.has_cap)}")
    )
    rows.append(("level sizes", " -> ".join(_pair_text(s) for s in inf.level_sizes) + "  (base -> full)"))
    if inf.level_ranges:
        ends = ", ".join("?" if e is None else str(e) for e in inf.level_ranges)
        rows.append(("level ends", f"{ends}  (leading bytes each level needs, base -> full)"))
    if inf.truncated:
        held = "none" if inf.best_level is None else f"levels {inf.best_level}..{len(inf.level_ranges) - 1}"
        rows.append(("truncated", f"yes: the data ends before the codestream; it holds {held}"))
    if inf.features:
        rows.append(("features", ", ".join(inf.features)))
    for c in inf.comments:
        rows.append(("comment", one_line(repr(c))))
    rows.append(("supported", "yes" if inf.supported else f"no: {one_line(inf.unsupported_reason or '')}"))
    width = max(len(k) for k, _ in rows)
    return "\n".join([name] + [f"  {k.ljust(width)}  {v}" for k, v in rows])


def _info_dict(name: str, inf: Any) -> Dict[str, Any]:
    d: Dict[str, Any] = {"file": name}
    d.update(inf.as_dict())
    for key in ("shape", "num_components", "bit_depth", "signed"):
        d.setdefault(key, getattr(inf, key))
    return d


def _dicom_info(name: str) -> Tuple[str, Dict[str, Any]]:
    """Text and JSON of a DICOM file: its pixel attributes, then each frame (with the
    codestream header of HTJ2K frames)."""
    src = dicom_cli.open_dicom(name)
    p = src.params
    signed = " signed" if p.signed else ""
    lines = [
        name,
        f"  DICOM  {src.transfer_syntax_name}, {p.number_of_frames} frame{'s' if p.number_of_frames != 1 else ''} "
        f"of {p.columns}x{p.rows} x{p.samples_per_pixel}, {p.bits_stored} of {p.bits_allocated} bits{signed}, "
        f"{p.photometric_interpretation}",
    ]
    doc: Dict[str, Any] = {"file": name, "dicom": dict(p.__dict__), "frames": []}
    indices = list(range(p.number_of_frames))
    streams = src.codestreams(indices) if src.htj2k else iter([None] * len(indices))
    for i, cs in zip(indices, streams):
        entry: Dict[str, Any] = {"frame": i + 1, "width": p.columns, "height": p.rows}
        if cs is None:
            lines.append(f"  frame {i + 1}: {p.columns}x{p.rows}, {src.transfer_syntax_name}")
        else:
            inf = htj2k.info(cs)
            entry["codestream"] = _info_dict(f"{name}#{i + 1}", inf)
            body = format_info("", inf).splitlines()[1:]
            lines.append(f"  frame {i + 1}: HTJ2K codestream, {len(cs)} bytes")
            lines.extend("  " + b for b in body)
        doc["frames"].append(entry)
    return "\n".join(lines), doc


def _run_info(args: argparse.Namespace) -> int:
    results: List[Dict[str, Any]] = []
    failed = unreadable = 0
    first = True
    for name in args.files:
        dicom_text: Optional[str] = None
        try:
            if dicom_cli.is_dicom(name):
                dicom_text, doc = _dicom_info(name)
            else:
                inf = htj2k.info(read_codestream(name))
        except (CliError, Htj2kError, ValueError, TypeError, OSError) as e:
            failed += 1
            unreadable += isinstance(e, OSError)  # a missing file is a usage error (2), as everywhere
            msg = error_message(e)
            if not msg.startswith(name):
                msg = f"{name}: {msg}"
            report_error(msg)
            if args.json:
                results.append({"file": name, "error": msg})
            continue
        if dicom_text is not None:
            results.append(doc)
            if not args.json:
                print(("" if first else "\n") + dicom_text)
            first = False
            continue
        if args.json:
            results.append(_info_dict(name, inf))
        else:
            if not first:
                print()
            first = False
            print(format_info(name, inf))
    if args.json:
        print(json.dumps(results, indent=2))
    return EXIT_USER_ERROR if unreadable else EXIT_FAILED if failed else EXIT_OK


COMMANDS = (
    Command(
        "encode",
        "encode an image (.npy, .png, .tif, .pgm/.ppm, .raw) or DICOM frames to HTJ2K",
        _add_encode_arguments,
        _run_encode,
        "Encode an image file to an HTJ2K codestream (.j2c) or JPH file (.jph); lossless by default.",
    ),
    Command(
        "decode",
        "decode an HTJ2K codestream, JPH file or DICOM frame to an image",
        _add_decode_arguments,
        _run_decode,
        "Decode a codestream/JPH file (or a frame of a DICOM file) to .npy, .png, .tif, .pgm/.ppm/.pnm "
        "or .raw (little-endian), by OUT's extension.",
    ),
    Command(
        "info",
        "show what codestream headers declare",
        _add_info_arguments,
        _run_info,
        "Show the header fields of codestreams / JPH files (no pixels are decoded).",
    ),
)
