"""Round-trip verification of image files through lossless HTJ2K (``htj2k roundtrip``).

Modules: ``discover`` (files and their kinds), ``sources`` (readers), ``verify``
(one frame), ``process`` (one file), ``transcode`` (DICOM output, manifest),
``executors`` (worker processes, Dask, in-process), ``report`` (JSON lines,
resume, results); ``records`` holds the vocabulary they share.

For every frame of every input file (DICOM -- every frame of multi-frame
objects --, ``.npy``, PGM/PPM, ``.j2c``/``.j2k``/``.jph`` codestreams):

1. the source pixels are decoded (DICOM by pydicom with the installed plugins;
   HTJ2K transfer syntaxes by htj2k) and checked to fit the declared bit depth
   (DICOM: BitsStored and PixelRepresentation; values are never clipped);
2. checksums of every resolution level are computed from those pixels
   (:func:`htj2k.pixel_checksums`);
3. the frame is encoded losslessly with archive-like parameters
   (:func:`htj2k.profile.encode_params`), decoded again, and the checksums of every level are
   computed from the codestream (:func:`htj2k.checksums`);
4. the frame *passes* when the decoded pixels equal the source pixels and both
   checksum lists agree.

Files are processed by worker processes (a crash or hang of one marks that
file ``failed`` and the run goes on), in-process (``workers=0``) or on a Dask
cluster. Records stream into a JSON-lines report as they complete, so an
interrupted run leaves a valid partial report that ``resume`` continues. The
report format is documented in ``docs/roundtrip.md``.

``run(frame_hook=...)`` calls a function in the worker before each frame
(instrumentation; the tests use it to crash or hang a worker on purpose).
"""

from __future__ import annotations

import os
import time
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
)

from ..._args import check_encoder
from .discover import classify, discover
from .executors import _interrupt_once, _LocalPool, _run_dask, _run_inprocess
from .process import process_file
from .records import (
    FILE_DONE,
    FILE_FAILED,
    FILE_SKIPPED,
    REPORT_FORMAT,
    STATUS_ERROR,
    STATUS_MISMATCH,
    STATUS_OK,
    RoundtripOptions,
    Task,
    frame_id,
)
from .report import (
    RunResult,
    _counts,
    _header,
    _Report,
    _resume_state,
    _Sink,
    exit_code_for,
    load_report,
)
from .transcode import write_manifest

__all__ = [
    "REPORT_FORMAT",
    "RoundtripOptions",
    "RunResult",
    "Task",
    "discover",
    "classify",
    "process_file",
    "run",
    "load_report",
    "write_manifest",
    "frame_id",
    "STATUS_OK",
    "STATUS_MISMATCH",
    "STATUS_ERROR",
    "FILE_DONE",
    "FILE_SKIPPED",
    "FILE_FAILED",
]


def _pending(files: List[str], resume: Optional[str]) -> Tuple[List[Dict[str, Any]], List[Task]]:
    """The records a resumed report keeps, and the files (with frames to skip) still to do."""
    kept: List[Dict[str, Any]] = []
    done_files: Set[str] = set()
    done_frames: Dict[str, Set[int]] = {}
    if resume:
        _, old = load_report(resume)
        kept, done_files, done_frames = _resume_state(old)
    tasks = []
    for f in files:
        a = os.path.abspath(f)
        if a in done_files:
            continue
        tasks.append(Task(len(tasks), f, tuple(sorted(done_frames.get(a, ())))))
    return kept, tasks


def _execute(tasks: List[Task], opts: RoundtripOptions, sink: Any, rep: Any, progress: Any, *,
             dask: Optional[str], workers: int, timeout: Optional[float]) -> bool:
    """Runs the tasks on the chosen executor; True when interrupted (Ctrl-C: only the first
    one interrupts, later ones are ignored until the shutdown it starts is done)."""
    interrupted = False
    with _interrupt_once():
        if progress is not None:
            progress.start(len(tasks))
        try:
            if not tasks:
                pass
            elif dask:
                _run_dask(dask, workers or (os.cpu_count() or 1), tasks, opts, sink)
            elif workers and workers > 0:
                _LocalPool(min(workers, len(tasks)), opts, timeout).run(tasks, sink)
            else:
                _run_inprocess(tasks, opts, sink)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if progress is not None:
                progress.stop()
            if rep is not None and interrupted:
                rep.close()
    return interrupted


def run(
    paths: Sequence[str],
    *,
    report: Optional[str] = None,
    manifest: Optional[str] = None,
    out_dir: Optional[str] = None,
    transcode_dir: Optional[str] = None,
    workers: int = 0,
    timeout: Optional[float] = None,
    dask: Optional[str] = None,
    resume: Optional[str] = None,
    progress: Optional[Any] = None,
    frame_hook: Optional[Callable[[str, int], None]] = None,
    encoder: str = "auto",
) -> RunResult:
    """Round-trip every file under ``paths``; see the module doc and docs/roundtrip.md.

    Args:
        report: JSON-lines report to write (with ``resume`` naming the same file,
            it is continued).
        manifest: write the verified frames' checksums as image-set metadata.
        out_dir: write each verified frame as ``<frame_id>.jph``.
        transcode_dir: write DICOM inputs with HTJ2K pixel data (paths mirrored
            relative to the inputs' common directory).
        workers: local worker processes; 0 processes files in this process (no
            crash/timeout isolation).
        timeout: seconds one file may take in a local worker.
        dask: a scheduler address, or ``"local"`` for a LocalCluster of ``workers``
            processes (at least 1).
        resume: a previous report; frames and files it holds are not processed again.
        progress: an object with ``start(total_files)``, ``update(files=, frames=)``
            and ``stop()`` (the CLI's progress bar).
        frame_hook: called as ``frame_hook(path, frame_number)`` in the worker
            process before each frame (local workers and Dask; must be picklable):
            instrumentation, or the crash/hang injection of the tests.
        encoder: the encoder whose round trips are verified (:func:`htj2k.encode`'s
            ``encoder=``: "auto", "htj2k" or "openjph").

    Raises:
        FileNotFoundError: a path does not exist. OSError: the report cannot be written.
    """
    start = time.monotonic()
    if resume and not report:
        report = resume
    exclude = [p for p in (report, manifest, out_dir, transcode_dir) if p]
    files = discover(paths, exclude=exclude)
    dirs = [os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in paths]
    base = os.path.commonpath(dirs) if dirs else os.getcwd()
    encoder = check_encoder(encoder)
    opts = RoundtripOptions(out_dir=out_dir, transcode_dir=transcode_dir, base_dir=base, frame_hook=frame_hook,
                            encoder=encoder)

    kept, tasks = _pending(files, resume)
    for d in (out_dir, transcode_dir):
        if d:
            os.makedirs(d, exist_ok=True)

    records: List[Dict[str, Any]] = list(kept)
    rep = _Report(report, _header(opts), kept) if report else None
    sink = _Sink(rep, progress, records)
    interrupted = _execute(tasks, opts, sink, rep, progress, dask=dask, workers=workers, timeout=timeout)
    counts = _counts(records)
    code = exit_code_for(counts)
    elapsed = time.monotonic() - start
    resumed = sum(1 for r in kept if r.get("record") == "frame")
    result = RunResult(records=records, counts=counts, exit_code=code, elapsed=elapsed, interrupted=interrupted,
                       resumed_frames=resumed)
    if interrupted:
        return result
    if manifest:
        result.manifest = write_manifest(records, manifest)
    if rep is not None:
        summary = {"record": "summary", **counts, "exit_code": code}
        rep.finish(records, summary)
    return result
