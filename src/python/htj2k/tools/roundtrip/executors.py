"""Where files are processed: crash-isolating worker processes, a Dask cluster, or in-process.

Ctrl-C (SIGINT) is for the main process alone: it raises ``KeyboardInterrupt`` there, and
the local pool then kills its busy workers and stops the idle ones within a bounded time
(``_LocalPool.close``); further Ctrl-C are ignored until that is done (``_interrupt_once``,
around the whole run). The worker processes and the fork server never act on it, although
in a terminal Ctrl-C signals the whole process group: they start with SIGINT blocked
(``_sigint_blocked``) -- the fork server, which would only ignore it after its
seconds-long preload, for its whole life; a worker until it has set it to ignored --
instead of dying with a ``KeyboardInterrupt`` traceback in their start-up code.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from multiprocessing import forkserver, resource_tracker
from multiprocessing.connection import wait
from typing import Any, Deque, Dict, Iterator, List, Optional, Sequence, Tuple

from .process import process_file
from .records import RoundtripOptions, Task, _err, _failed_file
from .report import _Sink


_HAVE_SIGMASK = hasattr(signal, "pthread_sigmask")


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back in this thread (a pending one is delivered when the block ends);
    processes started meanwhile begin with it blocked (the mask is inherited by fork
    and kept by exec)."""
    if not _HAVE_SIGMASK:
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _interrupt_once() -> Iterator[None]:
    """Within: the first SIGINT raises ``KeyboardInterrupt`` (as Python's default handler
    does) and later ones are ignored, so that the shutdown the first one starts (workers
    killed, report closed) is not cut short by a second Ctrl-C, leaving workers running;
    the previous handler is back afterwards. Only replaces Python's default handler, in
    the main thread (the only one SIGINT interrupts): an inherited SIG_IGN or an
    application's own handler is kept."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    interrupted = False

    def first_interrupts(signum: int, frame: Any) -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, first_interrupts)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _worker_main(conn: Any, opts: RoundtripOptions) -> None:
    """A local pool worker: one file at a time from ``conn``; frames are sent back
    as they complete, then the file record."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # then unblock (see _LocalPool._start)
    if _HAVE_SIGMASK:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        import htj2k.dicom  # noqa: F401  (registers the pydicom plugin)
    except ImportError:
        pass
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return

        def emit(rec: Dict[str, Any], _i: int = task.index) -> None:
            conn.send(("frame", _i, rec))

        _, file_rec = process_file(task.path, opts, task.skip, emit, in_worker=True)
        conn.send(("file", task.index, file_rec))


def _describe_exit(code: Optional[int]) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class _LocalPool:
    """Worker processes managed one file at a time each, so a crash or a hang is
    attributed to the file that caused it and the others go on."""

    def __init__(self, workers: int, opts: RoundtripOptions, timeout: Optional[float]):
        methods = mp.get_all_start_methods()
        self.method = "forkserver" if "forkserver" in methods else "spawn"
        self.ctx = mp.get_context(self.method)
        if self.method == "forkserver":
            self.ctx.set_forkserver_preload(["htj2k.tools.roundtrip", "htj2k.dicom"])
        self.n = max(1, int(workers))
        self.opts = opts
        self.timeout = timeout
        self.workers: List[Dict[str, Any]] = []

    def _start(self) -> Dict[str, Any]:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=_worker_main, args=(child, self.opts), daemon=True, name="htj2k-roundtrip")
        try:
            if _HAVE_SIGMASK:
                # multiprocessing's resource tracker process first: starting it unblocks
                # SIGINT (unconditionally), which must not happen inside _sigint_blocked
                resource_tracker.ensure_running()
            if self.method == "forkserver":
                # The fork server (started here the first time; only spawned, not waited
                # for) and so every worker it forks begin with SIGINT blocked. Starting the
                # worker itself is not inside the block: it waits for the fork server's
                # preload, which must stay interruptible.
                with _sigint_blocked():
                    forkserver.ensure_running()
                proc.start()
            else:
                with _sigint_blocked():  # spawn: fork + exec, nothing waited for
                    proc.start()
        finally:
            child.close()
        w = {"proc": proc, "conn": parent, "task": None, "started": 0.0}
        self.workers.append(w)
        return w

    def _retire(self, w: Dict[str, Any], kill: bool) -> None:
        proc = w["proc"]
        if kill and proc.is_alive():
            proc.kill()
        proc.join(5)
        self._forget(w)

    def _forget(self, w: Dict[str, Any]) -> None:
        """Closes the worker's pipe and drops it from the pool (its process is done)."""
        try:
            w["conn"].close()
        except OSError:
            pass
        if w in self.workers:
            self.workers.remove(w)

    def run(self, tasks: Sequence[Task], sink: "_Sink") -> None:
        pending: Deque[Task] = deque(tasks)
        try:
            while pending or any(w["task"] is not None for w in self.workers):
                for w in list(self.workers):  # a worker that died between files
                    if w["task"] is None and not w["proc"].is_alive():
                        self._retire(w, kill=False)
                while pending and len(self.workers) < min(self.n, len(pending) + self._busy()):
                    self._start()
                for w in list(self.workers):
                    if w["task"] is None and pending:
                        t = pending.popleft()
                        try:
                            w["conn"].send(t)
                        except OSError:  # died just now: give the file to another worker
                            pending.appendleft(t)
                            self._retire(w, kill=True)
                            continue
                        w["task"], w["started"] = t, time.monotonic()
                busy = [w for w in self.workers if w["task"] is not None]
                if not busy:
                    continue
                wait_for = 0.5
                if self.timeout:
                    now = time.monotonic()
                    left = min(w["started"] + self.timeout - now for w in busy)
                    wait_for = max(0.0, min(wait_for, left))
                handles = [w["conn"] for w in busy] + [w["proc"].sentinel for w in busy]
                ready = set(wait(handles, timeout=wait_for))
                now = time.monotonic()
                for w in busy:
                    if w["conn"] in ready or w["proc"].sentinel in ready:
                        self._drain(w, sink)
                    if w["task"] is None:
                        continue
                    if not w["proc"].is_alive():
                        self._drain(w, sink)
                        if w["task"] is not None:
                            t = w["task"]
                            w["task"] = None
                            sink.file(_failed_file(t.path, f"worker crashed ({_describe_exit(w['proc'].exitcode)})"))
                        self._retire(w, kill=False)
                    elif self.timeout and now - w["started"] >= self.timeout:
                        self._drain(w, sink)
                        if w["task"] is not None:
                            t = w["task"]
                            w["task"] = None
                            self._retire(w, kill=True)
                            sink.file(_failed_file(t.path, f"timed out after {self.timeout:g} s"))
                sink.tick()
        except BaseException:
            self.close(kill_busy=True)
            raise
        self.close()

    def _busy(self) -> int:
        return sum(1 for w in self.workers if w["task"] is not None)

    def _drain(self, w: Dict[str, Any], sink: "_Sink") -> None:
        conn = w["conn"]
        while True:
            try:
                if not conn.poll():
                    return
                kind, _, rec = conn.recv()
            except (EOFError, OSError, ValueError, TypeError):
                return
            except Exception:  # a message cut short by a crash
                return
            if kind == "frame":
                sink.frame(rec)
            else:
                w["task"] = None
                sink.file(rec)

    def close(self, kill_busy: bool = False, grace: float = 2.0) -> None:
        """Stops every worker, in at most ``grace`` + 5 seconds whatever their state and
        number: busy ones are killed at once when ``kill_busy`` (an interrupted or failed
        run), idle ones are told to exit and killed when still running after ``grace``
        (a worker that was sent a file just as the run was interrupted is busy too).
        Never raises (it runs while an interrupt propagates)."""
        workers = list(self.workers)
        for w in workers:
            try:
                if w["task"] is not None and kill_busy:
                    _kill(w["proc"])
                elif w["proc"].is_alive():
                    w["conn"].send(None)
            except (OSError, ValueError):
                pass
        _join_all(workers, grace)
        for w in workers:
            _kill(w["proc"])
        _join_all(workers, 5.0)
        for w in workers:
            self._forget(w)


def _kill(proc: Any) -> None:
    try:
        if proc.is_alive():
            proc.kill()
    except (OSError, ValueError, AssertionError):  # already reaped, or never started
        pass


def _join_all(workers: Sequence[Dict[str, Any]], seconds: float) -> None:
    """Joins the workers' processes with one deadline for all of them."""
    deadline = time.monotonic() + seconds
    for w in workers:
        try:
            w["proc"].join(max(0.0, deadline - time.monotonic()))
        except (OSError, ValueError, AssertionError):
            pass


def _dask_task(path: str, skip: Tuple[int, ...], opts: RoundtripOptions) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """The per-file task run on Dask workers (same work as a local worker)."""
    try:
        import htj2k.dicom  # noqa: F401
    except ImportError:
        pass
    return process_file(path, opts, skip, in_worker=True)


def _run_dask(address: str, workers: int, tasks: Sequence[Task], opts: RoundtripOptions, sink: "_Sink") -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError("--dask needs dask.distributed: pip install 'htj2k[roundtrip]'") from None
    cluster = None
    client = None
    try:
        if address == "local":
            cluster = LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=50,
            )
            client = Client(cluster)
        else:
            client = Client(address)
        futures = {}
        for t in tasks:
            fut = client.submit(_dask_task, t.path, t.skip, opts, pure=False, key=f"htj2k-roundtrip-{t.index}-{os.getpid()}-{time.time_ns()}")
            futures[fut] = t
        for fut in as_completed(list(futures)):
            t = futures.pop(fut)
            try:
                frames, file_rec = fut.result()
            except Exception as e:
                name = type(e).__name__
                if name == "KilledWorker":
                    why = "worker crashed (Dask KilledWorker: the task's workers died)"
                else:
                    why = f"task failed: {_err(e)}"
                sink.file(_failed_file(t.path, why))
                continue
            for rec in frames:
                sink.frame(rec)
            sink.file(file_rec)
            sink.tick()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _run_inprocess(tasks: Sequence[Task], opts: RoundtripOptions, sink: "_Sink") -> None:
    try:
        import htj2k.dicom  # noqa: F401
    except ImportError:
        pass
    for t in tasks:
        _, file_rec = process_file(t.path, opts, t.skip, sink.frame, in_worker=False)
        sink.file(file_rec)
        sink.tick()
