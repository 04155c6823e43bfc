"""What every subcommand shares: exit codes, the error type, argument types, file helpers."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .. import io as image_io

PROG = "htj2k"
EXIT_OK = 0
EXIT_FAILED = 1  # the command ran; some item failed (a file info could not read, a frame that did not verify)
EXIT_USER_ERROR = 2  # usage, unreadable or invalid input, missing optional dependency
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130

#: Optional dependencies by top-level module name -> the extra that installs them.
OPTIONAL_DEPENDENCIES = {
    "pydicom": "dicom",
    "rich": "roundtrip",
    "dask": "roundtrip",
    "distributed": "roundtrip",
    "PIL": "images",
    "png": "images",
    "tifffile": "images",
}


def missing_dependency_message(e: ImportError) -> Optional[str]:
    """``"<what> needs <module>: pip install 'htj2k[extra]'"`` for a missing optional
    dependency, ``None`` for any other import failure (a bug)."""
    name = (getattr(e, "name", None) or "").split(".")[0]
    extra = OPTIONAL_DEPENDENCIES.get(name)
    if extra is None:
        return None
    return f"this needs the optional package {name}: pip install 'htj2k[{extra}]'"


class CliError(Exception):
    """An error the user can fix; printed as ``htj2k: error: <message>``, exit 2."""


class UsageError(CliError):
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


class Parser(argparse.ArgumentParser):
    """argparse with usage errors raised (one line, exit 2) instead of printed and exited."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


def number_arg(cast: Callable[[str], Any], what: str, minimum: Optional[float] = None,
               above: Optional[float] = None) -> Callable[[str], Any]:
    """An argparse type: ``cast(text)``, at least ``minimum`` / greater than ``above``.
    Only what the command line itself means is checked here (counts, seconds); codec
    options are checked by the library, once."""

    def parse(text: str) -> Any:
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if (minimum is not None and not v >= minimum) or (above is not None and not v > above):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v

    return parse


positive_int = number_arg(int, "a positive integer", minimum=1)
nonneg_int = number_arg(int, "an integer >= 0", minimum=0)
int_arg = number_arg(int, "an integer")
float_arg = number_arg(float, "a number")


_MEMORY_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def memory_size(text: str) -> int:
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


def add_max_memory(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-memory", type=memory_size, default=None, metavar="SIZE",
                   help="refuse frames whose decode is estimated to need more working memory "
                   "(e.g. 4G, 512M; default 2G)")


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


def precinct_list(text: str) -> List[Tuple[int, int]]:
    items = [t for t in text.replace(";", ",").split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected WxH[,WxH...] (e.g. 256x256,128x128), got {text!r}")
    try:
        return [size_pair(t.strip()) for t in items]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected WxH[,WxH...] (e.g. 256x256,128x128), got {text!r}"
        ) from None


def image_shape(text: str) -> Tuple[int, ...]:
    try:
        dims = image_io.parse_shape(text)
    except ValueError:
        dims = ()
    if len(dims) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected HxW or HxWxC (e.g. 512x512), got {text!r}")
    return dims


def raw_dtype(text: str) -> np.dtype:
    try:
        return image_io.parse_dtype(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer dtype such as uint8, uint16, int16 or '>u2', got {text!r}"
        ) from None


def upper_choice(choices: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        v = text.upper()
        if v not in choices:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices)}, got {text!r}")
        return v

    return parse


def extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def read_codestream(path: str) -> bytes:
    """The bytes of a codestream/JPH file, refusing image files given by mistake."""
    if image_io.is_image_path(path):
        raise CliError(f"{path}: is an image file, not a codestream (.j2c, .jhc, .j2k, .jph, .jp2)")
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise CliError(f"{path}: empty file")
    return data


def describe(width: int, height: int, comps: int, bits: int, signed: bool) -> str:
    return f"{width}x{height} x{comps}, {bits}-bit{' signed' if signed else ''}"


def write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_message(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        msg = f"{e.filename}: {e.strerror or e}"
    else:
        msg = str(e) or type(e).__name__
    return one_line(msg)


def report_error(message: str) -> None:
    """``htj2k: error: <message>`` on stderr, after what stdout holds so far; for
    errors that do not end the command (main reports the ones that do)."""
    sys.stdout.flush()
    print(f"{PROG}: error: {one_line(message)}", file=sys.stderr)
    sys.stderr.flush()


def debug_enabled() -> bool:
    return os.environ.get("HTJ2K_DEBUG", "").strip() not in ("", "0")
