"""The ``htj2k`` command line: ``encode``, ``decode`` and ``info``.

    htj2k encode image.pgm image.j2c --levels 5
    htj2k decode image.j2c image.npy --level 1
    htj2k info image.j2c other.jph --json

Exit codes: 0 success; 1 ``info`` could not read some of its files; 2 usage errors
and errors about the input (missing or invalid files, bad option values, codec
errors), reported as one ``htj2k: error: ...`` line on stderr; 3 unexpected
internal errors (set ``HTJ2K_DEBUG=1`` to get the traceback instead).

Adding a subcommand: write a module with an ``add_arguments(parser)`` and a
``run(args) -> int`` and call :func:`register_command` at import; list the module
in :data:`COMMAND_MODULES` so :func:`build_parser` imports it. Raise
:class:`CliError` (or let a :class:`htj2k.Htj2kError`, ``ValueError``,
``OSError`` ... propagate) for errors the user can fix: :func:`main` prints them
as one line and exits 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import imageio
from ._errors import Htj2kError
from .imageio import ImageFormatError

__all__ = [
    "main",
    "build_parser",
    "Command",
    "register_command",
    "COMMAND_MODULES",
    "CliError",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USER_ERROR",
    "EXIT_INTERNAL_ERROR",
    "read_codestream",
    "size_pair",
    "format_info",
]

PROG = "htj2k"
EXIT_OK = 0
EXIT_PARTIAL = 1  # some of several files failed (info)
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 3

#: Modules that register more subcommands when imported (they call
#: :func:`register_command`); :func:`build_parser` imports each one before building
#: the parser. A listed module that does not exist is skipped.
COMMAND_MODULES: List[str] = ["htj2k.cli_checksums", "htj2k.cli_roundtrip"]


class CliError(Exception):
    """An error the user can fix; printed as ``htj2k: error: <message>``, exit 2."""


class _UsageError(CliError):
    """A command-line syntax error from argparse."""


@dataclass(frozen=True)
class Command:
    """A subcommand: ``add_arguments(parser)`` declares its options, ``run(args)``
    does the work and returns the exit code."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: Optional[str] = None


_COMMANDS: Dict[str, Command] = {}


def register_command(
    name: str,
    help: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
    description: Optional[str] = None,
) -> Command:
    """Add (or replace) subcommand ``name``; subcommands are listed in registration order."""
    cmd = Command(name, help, add_arguments, run, description)
    _COMMANDS[name] = cmd
    return cmd


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors raised (one line, exit 2) instead of printed and exited."""

    def error(self, message: str):  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- option value types


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


_MEMORY_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _memory_size(text: str) -> int:
    """--max-memory: bytes, or a number with K/M/G/T (binary units; "KiB", "MB" too)."""
    t = text.strip().upper().replace("IB", "").rstrip("B")
    unit = t[-1:] if t[-1:] in _MEMORY_UNITS else ""
    try:
        v = float(t[: len(t) - len(unit)]) * _MEMORY_UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a size such as 4G, 512M or 1048576, got {text!r}") from None
    if not 1 <= v < 2**64:
        raise argparse.ArgumentTypeError(f"expected a size of at least 1 byte, got {text!r}")
    return int(v)


def _add_max_memory(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-memory", type=_memory_size, default=None, metavar="SIZE",
                   help="refuse frames whose decode is estimated to need more working memory "
                   "(e.g. 4G, 512M; default 2G)")


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return v


def _bit_depth(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if not 1 <= v <= 32:
        raise argparse.ArgumentTypeError(f"expected a bit depth 1..32, got {text!r}")
    return v


def _qstep(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.005, got {text!r}") from None
    if not 0 < v <= 2:
        raise argparse.ArgumentTypeError(f"expected a step in (0, 2], got {text!r}")
    return v


def size_pair(text: str) -> Tuple[int, int]:
    """``"64x32"`` -> ``(64, 32)`` (width, height); ``"64"`` -> ``(64, 64)``."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        nums = []
    if len(nums) == 1:
        nums = nums * 2
    if len(nums) != 2 or min(nums) <= 0:
        raise argparse.ArgumentTypeError(f"expected WxH (e.g. 64x64), got {text!r}")
    return nums[0], nums[1]


def _precinct_list(text: str) -> List[Tuple[int, int]]:
    items = [t for t in text.replace(";", ",").split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected WxH[,WxH...] (e.g. 256x256,128x128), got {text!r}")
    try:
        return [size_pair(t.strip()) for t in items]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected WxH[,WxH...] (e.g. 256x256,128x128), got {text!r}"
        ) from None


def _image_shape(text: str) -> Tuple[int, ...]:
    try:
        dims = imageio.parse_shape(text)
    except ValueError:
        dims = ()
    if len(dims) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected HxW or HxWxC (e.g. 512x512), got {text!r}")
    return dims


def _raw_dtype(text: str) -> np.dtype:
    try:
        return imageio.parse_dtype(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer dtype such as uint8, uint16, int16 or '>u2', got {text!r}"
        ) from None


def _upper_choice(choices: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        v = text.upper()
        if v not in choices:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices)}, got {text!r}")
        return v

    return parse


# --------------------------------------------------------------------------- shared helpers


def _ext(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def read_codestream(path: str) -> bytes:
    """The bytes of a codestream/JPH file, refusing image files given by mistake."""
    if imageio.is_image_path(path):
        raise CliError(f"{path}: is an image file, not a codestream (.j2c, .jhc, .j2k, .jph, .jp2)")
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise CliError(f"{path}: empty file")
    return data


def _describe(width: int, height: int, comps: int, bits: int, signed: bool) -> str:
    return f"{width}x{height} x{comps}, {bits}-bit{' signed' if signed else ''}"


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- encode


def _add_encode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="image: .npy, .pgm/.ppm/.pnm (P5/P6/P2/P3) or .raw (needs --shape/--dtype)")
    p.add_argument("output", metavar="OUT", help="codestream: .jph for a JPH file, else a bare codestream (.j2c, .jhc, .j2k)")
    p.add_argument("--levels", type=_nonneg_int, metavar="N", help="decomposition levels (default 5, capped by the image size)")
    p.add_argument("--lossy", action="store_true", help="irreversible 9/7 wavelet (default: lossless 5/3)")
    p.add_argument("--qstep", type=_qstep, metavar="Q", help="quantisation step for --lossy, e.g. 0.005 (implies --lossy)")
    p.add_argument("--block-size", type=size_pair, metavar="WxH", default=(64, 64), help="code-block size (default 64x64)")
    p.add_argument("--precincts", type=_precinct_list, metavar="WxH[,WxH...]", help="precinct sizes from the highest resolution down (default: maximal)")
    p.add_argument("--progression", type=_upper_choice(("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")), default="RPCL", metavar="ORDER", help="progression order: LRCP, RLCP, RPCL (default), PCRL or CPRL")
    p.add_argument("--tile-size", type=size_pair, metavar="WxH", help="tile size (default: one tile)")
    p.add_argument("--bit-depth", type=_bit_depth, metavar="B", help="declared bits per sample (default: from the PGM/PPM maxval, else the dtype width)")
    ct = p.add_mutually_exclusive_group()
    ct.add_argument("--colour-transform", "--color-transform", dest="colour_transform", action="store_const", const=True, default=None, help="colour transform on the first 3 components (default for 3 components)")
    ct.add_argument("--no-colour-transform", "--no-color-transform", dest="colour_transform", action="store_const", const=False, help="no colour transform")
    p.add_argument("--tlm", action="store_true", help="write a TLM marker")
    p.add_argument("--tileparts", type=_upper_choice(("R", "C", "RC", "CR")), metavar="R|C|RC", help="tile-part divisions: per resolution, per component or both")
    p.add_argument("--shape", type=_image_shape, metavar="HxW[xC]", help=".raw input: image shape (height first)")
    p.add_argument("--dtype", type=_raw_dtype, metavar="D", help=".raw input: sample type, e.g. uint16, int16, '>u2' (little-endian unless given)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


_OTHER_IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".dcm", ".npz", ".pbm", ".pam"}
)


def _run_encode(args: argparse.Namespace) -> int:
    import htj2k

    src, dst = args.input, args.output
    out_ext = _ext(dst)
    if imageio.is_image_path(dst):
        raise CliError(f"{dst}: encode writes a codestream (.j2c, .jhc, .j2k) or .jph file; to write an image use 'htj2k decode'")
    if out_ext in _OTHER_IMAGE_EXTENSIONS:
        raise CliError(f"{dst}: encode writes a codestream (.j2c, .jhc, .j2k) or .jph file, not {out_ext}")
    if out_ext == ".jp2":
        raise CliError(f"{dst}: JP2 output is not supported; use .jph (HTJ2K file) or .j2c (codestream)")
    if imageio.is_codestream_path(src):
        raise CliError(f"{src}: is a codestream; encode reads .npy, .pgm/.ppm/.pnm or .raw images")
    fmt = imageio.image_format(src)
    if fmt != "raw" and (args.shape is not None or args.dtype is not None):
        raise CliError(f"{src}: --shape/--dtype only apply to .raw input")
    array = imageio.read_image(src, shape=args.shape, dtype=args.dtype)

    bit_depth = args.bit_depth
    if bit_depth is None and fmt == "pnm":
        bit_depth = imageio.pnm_bit_depth(src)
    lossy = args.lossy or args.qstep is not None
    container = "jph" if out_ext == ".jph" else "j2c"
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
            colour_transform=args.colour_transform,
            tlm=args.tlm,
            tileparts=args.tileparts,
            container=container,
        )
    except (Htj2kError, ValueError, TypeError) as e:
        raise CliError(f"{src}: {_one_line(e)}") from e
    _write_bytes(dst, data)

    if not args.quiet:
        height, width = array.shape[:2]
        comps = array.shape[2] if array.ndim == 3 else 1
        bits = bit_depth if bit_depth is not None else (1 if array.dtype == np.bool_ else array.dtype.itemsize * 8)
        ratio = array.nbytes / len(data) if data else float("inf")
        print(
            f"{src} -> {dst}: {_describe(width, height, comps, bits, array.dtype.kind == 'i')}, "
            f"{len(data)} bytes (ratio {ratio:.2f}:1)"
        )
    return EXIT_OK


# --------------------------------------------------------------------------- decode


def _add_decode_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="codestream or JPH/JP2 file")
    p.add_argument("output", metavar="OUT", help="image: .npy, .pgm/.ppm/.pnm (uint8/uint16, 1 or 3 components) or .raw (little-endian samples)")
    p.add_argument("--level", type=_nonneg_int, default=0, metavar="R", help="resolution levels to discard (0 = full resolution)")
    _add_max_memory(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _run_decode(args: argparse.Namespace) -> int:
    import htj2k

    src, dst = args.input, args.output
    if imageio.is_codestream_path(dst):
        raise CliError(f"{dst}: decode writes an image (.npy, .pgm/.ppm/.pnm or .raw), not a codestream")
    fmt = imageio.image_format(dst)
    data = read_codestream(src)
    try:
        inf = htj2k.info(data)
    except (Htj2kError, ValueError, TypeError) as e:
        raise CliError(f"{src}: {_one_line(e)}") from e
    if fmt == "pnm":
        comps = inf.num_components
        if inf.dtype not in ("uint8", "uint16") or comps not in (1, 3) or inf.bit_depth > 16:
            kind = inf.dtype or "mixed components"
            raise CliError(
                f"{dst}: PGM/PPM holds uint8/uint16 images with 1 or 3 components; "
                f"{src} decodes to {kind} x{comps}; use .npy or .raw"
            )
        if _ext(dst) == ".pgm" and comps != 1:
            raise CliError(f"{dst}: .pgm holds one component, {src} has {comps}; use .ppm or .pnm")
        if _ext(dst) == ".ppm" and comps != 3:
            raise CliError(f"{dst}: .ppm holds three components, {src} has {comps}; use .pgm or .pnm")
    try:
        array = htj2k.decode(data, level=args.level, max_memory=args.max_memory)
    except (Htj2kError, ValueError, TypeError) as e:
        raise CliError(f"{src}: {_one_line(e)}") from e

    if fmt == "pnm":
        imageio.write_image(dst, array, bit_depth=inf.bit_depth)
    else:
        imageio.write_image(dst, array)

    if not args.quiet:
        height, width = array.shape[:2]
        comps = array.shape[2] if array.ndim == 3 else 1
        line = f"{src} -> {dst}: {_describe(width, height, comps, inf.bit_depth, inf.signed)}"
        if args.level:
            line += f", level {args.level}"
        if fmt == "raw":
            shape = "x".join(str(d) for d in array.shape)
            order = " little-endian" if array.dtype.itemsize > 1 else ""
            line += f"; raw{order} samples: --shape {shape} --dtype {array.dtype.name}"
        print(line)
    return EXIT_OK


# --------------------------------------------------------------------------- info


def _add_info_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="codestream or JPH/JP2 files")
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
    if inf.features:
        rows.append(("features", ", ".join(inf.features)))
    for c in inf.comments:
        rows.append(("comment", _one_line(repr(c))))
    rows.append(("supported", "yes" if inf.supported else f"no: {_one_line(inf.unsupported_reason or '')}"))
    width = max(len(k) for k, _ in rows)
    return "\n".join([name] + [f"  {k.ljust(width)}  {v}" for k, v in rows])


def _info_dict(name: str, inf: Any) -> Dict[str, Any]:
    d: Dict[str, Any] = {"file": name}
    d.update(inf.as_dict())
    for key in ("shape", "num_components", "bit_depth", "signed"):
        d.setdefault(key, getattr(inf, key))
    return d


def _run_info(args: argparse.Namespace) -> int:
    import htj2k

    results: List[Dict[str, Any]] = []
    failed = 0
    first = True
    for name in args.files:
        try:
            data = read_codestream(name)
            inf = htj2k.info(data)
        except (CliError, Htj2kError, ValueError, TypeError, OSError) as e:
            failed += 1
            msg = _error_message(e)
            if not msg.startswith(name):
                msg = f"{name}: {msg}"
            sys.stdout.flush()
            print(f"{PROG}: error: {msg}", file=sys.stderr)
            sys.stderr.flush()
            if args.json:
                results.append({"file": name, "error": msg})
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
    return EXIT_PARTIAL if failed else EXIT_OK


# --------------------------------------------------------------------------- registry and main

register_command(
    "encode",
    "encode an image (.npy, .pgm/.ppm, .raw) to HTJ2K",
    _add_encode_arguments,
    _run_encode,
    "Encode an image file to an HTJ2K codestream (.j2c) or JPH file (.jph); lossless by default.",
)
register_command(
    "decode",
    "decode an HTJ2K codestream or JPH file to an image",
    _add_decode_arguments,
    _run_decode,
    "Decode a codestream/JPH file to .npy, .pgm/.ppm/.pnm or .raw (little-endian).",
)
register_command(
    "info",
    "show what codestream headers declare",
    _add_info_arguments,
    _run_info,
    "Show the header fields of codestreams / JPH files (no pixels are decoded).",
)


def _version_text() -> str:
    try:
        from . import __version__, openjph_version

        return f"{PROG} {__version__} (OpenJPH {openjph_version()})"
    except Exception:  # pragma: no cover - version lookup must never break the CLI
        return PROG


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand (imports :data:`COMMAND_MODULES`)."""
    for module in COMMAND_MODULES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        # a module may also just list SUBCOMMANDS = [(name, help, add_arguments, run), ...]
        for name, help_text, add_arguments, run in getattr(mod, "SUBCOMMANDS", ()):
            if name not in _COMMANDS:
                register_command(name, help_text, add_arguments, run)
    parser = _Parser(
        prog=PROG,
        description="High-Throughput JPEG 2000 (HTJ2K) encoder, decoder and inspector.",
        epilog="Run 'htj2k COMMAND --help' for a command's options. HTJ2K_DEBUG=1 shows tracebacks.",
    )
    parser.add_argument("--version", action="version", version=_version_text())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for cmd in _COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.description or cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _error_message(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        msg = f"{e.filename}: {e.strerror or e}"
    else:
        msg = str(e) or type(e).__name__
    return _one_line(msg)


def _debug() -> bool:
    return os.environ.get("HTJ2K_DEBUG", "").strip() not in ("", "0")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(None if argv is None else list(argv))
        except SystemExit as e:  # --help / --version
            return e.code if isinstance(e.code, int) else EXIT_OK
        run = getattr(args, "_run", None)
        if run is None:
            names = ", ".join(_COMMANDS)
            raise _UsageError(f"missing command; choose from {names} (see '{PROG} --help')")
        code = run(args)
        sys.stdout.flush()
        return EXIT_OK if code is None else int(code)
    except BrokenPipeError:
        # output piped into e.g. `head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except Exception:
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        if _debug():
            raise
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
    except (CliError, Htj2kError, ImageFormatError, ValueError, TypeError, OSError) as e:
        if _debug():
            raise
        print(f"{PROG}: error: {_error_message(e)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception as e:
        if _debug():
            raise
        print(
            f"{PROG}: error: internal error: {type(e).__name__}: {_error_message(e)} "
            "(set HTJ2K_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
