"""The ``htj2k`` command line, built on the public API only.

    htj2k encode image.pgm image.j2c --levels 5
    htj2k decode image.j2c image.npy --level 1
    htj2k info image.j2c other.jph ct.dcm --json
    htj2k extract ct_htj2k.dcm frames/
    htj2k levels frame.jph --json
    htj2k checksums frame.jph image.npy --json
    htj2k verify --metadata metadata.json.gz frames/ --json-out report.json
    htj2k roundtrip archive/ --json-out report.jsonl

The same conventions in every subcommand:

* ``--json`` prints JSON to stdout (instead of the text output); ``--json-out PATH``
  writes a JSON report to PATH (and the text output still goes to stdout).
* Exit codes: 0 success; 1 the command ran but some item failed (a file ``info``
  could not read, a frame that did not verify); 2 usage errors and errors about
  the input (missing or invalid files, bad option values, codec errors, a missing
  optional dependency -- with the ``pip install`` command), reported as one
  ``htj2k: error: ...`` line on stderr; 3 unexpected internal errors (set
  ``HTJ2K_DEBUG=1`` to get the traceback instead); 130 interrupted.
* Sizes are written ``WxH`` (width first); shapes of arrays ``HxW[xC]``.

Adding a subcommand: give a module of this package a ``COMMANDS`` tuple of
:class:`Command` and list it in :data:`COMMANDS` below. Raise :class:`CliError`
(or let a :class:`htj2k.Htj2kError`, ``ValueError``, ``OSError`` ... propagate)
for errors the user can fix: :func:`main` prints them as one line and exits 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence, Tuple

from .. import __version__, openjph_version
from .._errors import Htj2kError
from . import checksums, codec, dicom, progressive, roundtrip, verify
from ._common import (
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    PROG,
    CliError,
    Command,
    Parser,
    UsageError,
    debug_enabled,
    error_message,
    missing_dependency_message,
    report_error,
)

__all__ = ["main", "build_parser", "COMMANDS", "Command", "CliError"]

#: Every subcommand, in the order ``htj2k --help`` lists them.
COMMANDS: Tuple[Command, ...] = (
    codec.COMMANDS + dicom.COMMANDS + progressive.COMMANDS + checksums.COMMANDS + verify.COMMANDS
    + roundtrip.COMMANDS
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMANDS`."""
    parser = Parser(
        prog=PROG,
        description="High-Throughput JPEG 2000 (HTJ2K) encoder, decoder, inspector and verifier.",
        epilog="Run 'htj2k COMMAND --help' for a command's options. HTJ2K_DEBUG=1 shows tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__} (OpenJPH {openjph_version()})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.description or cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _silence_stdout() -> None:
    """Output piped into e.g. ``head`` was closed: stop writing quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except Exception:
        pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it).
    The one place where errors become messages and exit codes."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(None if argv is None else list(argv))
        except SystemExit as e:  # --help / --version
            return e.code if isinstance(e.code, int) else EXIT_OK
        run = getattr(args, "_run", None)
        if run is None:
            names = ", ".join(c.name for c in COMMANDS)
            raise UsageError(f"missing command; choose from {names} (see '{PROG} --help')")
        code = run(args)
        sys.stdout.flush()
        return EXIT_OK if code is None else int(code)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        report_error("interrupted")
        return EXIT_INTERRUPTED
    except ImportError as e:
        message = missing_dependency_message(e)
        if debug_enabled():
            raise
        if message is None:
            report_error(f"internal error: {type(e).__name__}: {error_message(e)} (set HTJ2K_DEBUG=1 for a traceback)")
            return EXIT_INTERNAL_ERROR
        report_error(message)
        return EXIT_USER_ERROR
    except (CliError, Htj2kError, ValueError, TypeError, OSError) as e:
        if debug_enabled():
            raise
        report_error(error_message(e))
        return EXIT_USER_ERROR
    except Exception as e:
        if debug_enabled():
            raise
        report_error(f"internal error: {type(e).__name__}: {error_message(e)} (set HTJ2K_DEBUG=1 for a traceback)")
        return EXIT_INTERNAL_ERROR
