"""Crash and hang injection for the round-trip executors' tests, through
``htj2k.tools.roundtrip.run(frame_hook=...)`` (nothing of this ships in the package).

    hook = faults(crash_on="MR_small.dcm", hang_on="CT_small.dcm#1")
    roundtrip.run(paths, workers=2, frame_hook=hook)

From the command line (a subprocess running ``htj2k roundtrip`` with the hook):

    python -m helpers.roundtrip_faults --crash-on X --hang-on Y -- PATH... [roundtrip options]
    python -m helpers.roundtrip_faults --slow-start 3 --start-marker M -- PATH... [options]

``--slow-start SECONDS`` makes the worker pool's start-up slow: the fork server also
preloads this module, whose import there creates ``--start-marker`` and sleeps (so a
test can interrupt the run while the fork server is still starting, deterministically).
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


_SLOW_START_ENV = "HTJ2K_TEST_ROUNDTRIP_SLOW_START"  # "SECONDS:MARKER", for the fork server only


def _slow_preload() -> None:
    """Module import in the fork server (``--slow-start``): create the marker, then sleep."""
    value = os.environ.get(_SLOW_START_ENV)
    if not value:
        return
    seconds, marker = value.split(":", 1)
    with open(marker, "w") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(float(seconds))


def _preload_this_module_in_forkserver(seconds: float, marker: str) -> None:
    import multiprocessing.forkserver as forkserver

    os.environ[_SLOW_START_ENV] = f"{seconds}:{marker}"
    # the workers then find this module (their __main__, run with -m) already imported:
    # runpy warns about that, which is this set-up's doing, not the run's
    ignore = f"ignore:'{__spec__.name}' found in sys.modules:RuntimeWarning"
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), ignore]))
    real = forkserver.set_forkserver_preload
    forkserver.set_forkserver_preload = lambda names: real([*names, "helpers.roundtrip_faults"])


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="roundtrip_faults")
    p.add_argument("--crash-on")
    p.add_argument("--hang-on")
    p.add_argument("--slow-start", type=float, metavar="SECONDS")
    p.add_argument("--start-marker", metavar="PATH")
    p.add_argument("args", nargs=argparse.REMAINDER)
    ns = p.parse_args(argv)
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    from htj2k import cli
    from htj2k.tools import roundtrip

    if ns.slow_start:
        if not ns.start_marker:
            p.error("--slow-start needs --start-marker")
        _preload_this_module_in_forkserver(ns.slow_start, ns.start_marker)
    roundtrip.run = functools.partial(roundtrip.run, frame_hook=faults(ns.crash_on, ns.hang_on))
    return cli.main(["roundtrip", *args])


if __name__ == "__main__":
    sys.exit(main())
elif __name__ == "helpers.roundtrip_faults":  # preloaded by the fork server (--slow-start)
    _slow_preload()
