"""Crash and hang injection for the round-trip executors' tests, through
``htj2k.tools.roundtrip.run(frame_hook=...)`` (nothing of this ships in the package).

    hook = faults(crash_on="MR_small.dcm", hang_on="CT_small.dcm#1")
    roundtrip.run(paths, workers=2, frame_hook=hook)

From the command line (a subprocess running ``htj2k roundtrip`` with the hook):

    python -m helpers.roundtrip_faults --crash-on X --hang-on Y -- PATH... [roundtrip options]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from typing import Callable, Optional, Sequence


def crash_or_hang(crash_on: Optional[str], hang_on: Optional[str], path: str, number: int) -> None:
    """In a worker before frame ``number`` of ``path``: ``os.abort()`` when
    ``<path>#<number>`` contains ``crash_on``, sleep forever when it contains ``hang_on``."""
    key = f"{path}#{number}"
    if crash_on and crash_on in key:
        try:  # a test crash should not leave a core file behind
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ImportError, ValueError, OSError):
            pass
        sys.stderr.flush()
        os.abort()
    if hang_on and hang_on in key:
        while True:
            time.sleep(3600)


def faults(crash_on: Optional[str] = None, hang_on: Optional[str] = None) -> Callable[[str, int], None]:
    """A picklable frame hook for :func:`crash_or_hang`."""
    return functools.partial(crash_or_hang, crash_on, hang_on)


def patch_run(monkeypatch, crash_on: Optional[str] = None, hang_on: Optional[str] = None) -> None:
    """Make ``htj2k roundtrip`` (in this process) run with the faults."""
    from htj2k.tools import roundtrip

    monkeypatch.setattr(roundtrip, "run", functools.partial(_unpatched_run(), frame_hook=faults(crash_on, hang_on)))


def _unpatched_run():
    from htj2k.tools import roundtrip

    run = roundtrip.run
    while isinstance(run, functools.partial):
        run = run.func
    return run


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="roundtrip_faults")
    p.add_argument("--crash-on")
    p.add_argument("--hang-on")
    p.add_argument("args", nargs=argparse.REMAINDER)
    ns = p.parse_args(argv)
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    from htj2k import cli
    from htj2k.tools import roundtrip

    roundtrip.run = functools.partial(roundtrip.run, frame_hook=faults(ns.crash_on, ns.hang_on))
    return cli.main(["roundtrip", *args])


if __name__ == "__main__":
    sys.exit(main())
