"""Batch operations: many frames at once on a C++ thread pool.

Each function takes a sequence of frames and returns a list with one result per
frame, **in input order**. The work runs in C++ worker threads with the GIL
released, so other Python threads keep running and ``threads`` cores are used.

``threads``: ``None`` (default) uses every core (``os.cpu_count()`` as C++ sees
it); ``1`` runs in the calling thread; more than the number of frames is capped.

Errors are per frame: one bad frame never loses the others.

* ``errors="return"`` (default): the slot of a frame that failed holds the
  exception object the single-frame function would have raised (e.g. an
  :class:`~htj2k.InvalidCodestreamError`), so check with
  ``isinstance(result, Exception)``.
* ``errors="raise"``: every frame is still processed, then the first failure in
  input order is raised.

Either way the exception gets an ``index`` attribute: the position of its frame.

    >>> import numpy as np, htj2k
    >>> frames = [htj2k.encode(np.full((8, 8), v, np.uint8)) for v in range(3)]
    >>> [int(a[0, 0]) for a in htj2k.decode_many(frames + [b"junk"])[:3]]
    [0, 1, 2]
    >>> type(htj2k.decode_many([b"junk"])[0]).__name__
    'InvalidCodestreamError'
"""

from __future__ import annotations

import os
from typing import Any, Iterable, List, Optional, Union

import numpy as np

from . import _core
from ._args import (
    ENCODE_OPTIONS,
    BytesLike,
    as_buffer,
    check_decoder,
    check_errors,
    check_level,
    check_max_memory,
    check_max_pixels,
    check_threads,
    encode_options,
    frame_sequence,
    levels_list,
)
from ._rules import DEFAULT_MAX_MEMORY, DEFAULT_MAX_PIXELS
from ._types import EncodedFrame, LevelChecksum, checksum_list
from .checksums import _VERIFY_ERRORS, Verification, _verify_plan

__all__ = ["decode_many", "checksums_many", "verify_many", "encode_many"]

Frame = Union[BytesLike, str, os.PathLike]




def _buffers(datas: list) -> list:
    """Bytes of each frame (paths read); an exception object where that failed."""
    out = []
    for d in datas:
        try:
            out.append(as_buffer(d))
        except (TypeError, OSError) as e:
            out.append(e)
    return out


def _run(bufs: list, call) -> list:
    """Runs call(list of good buffers) and slots its results back among the failures."""
    good = [i for i, b in enumerate(bufs) if not isinstance(b, BaseException)]
    results: List[Any] = list(bufs)
    if good:
        for i, r in zip(good, call([bufs[i] for i in good])):
            results[i] = r
    return results


def _finish(results: List[Any], errors: str) -> List[Any]:
    first = None
    for i, r in enumerate(results):
        if isinstance(r, BaseException):
            try:
                r.index = i
            except AttributeError:  # pragma: no cover - exceptions take attributes
                pass
            if first is None:
                first = r
    if errors == "raise" and first is not None:
        raise first
    return results


def decode_many(
    datas: Iterable[Frame],
    level: int = 0,
    threads: Optional[int] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decoder: str = "auto",
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
    errors: str = "return",
) -> List[Union[np.ndarray, Exception]]:
    """Decode every frame, as :func:`htj2k.decode` (``level``, ``max_pixels``,
    ``decoder``, ``max_memory``: per frame) would, on up to ``threads`` threads.

    Returns a list of arrays in input order; see the module docstring for
    ``threads`` and ``errors``.
    """
    datas = frame_sequence(datas, "datas")
    level = check_level(level)
    max_pixels = check_max_pixels(max_pixels)
    max_memory = check_max_memory(max_memory)
    decoder = check_decoder(decoder)
    nthreads = check_threads(threads)
    errors = check_errors(errors)
    results = _run(_buffers(datas),
                   lambda bufs: _core.decode_many(bufs, level, max_pixels, decoder, nthreads, max_memory))
    return _finish(results, errors)


def checksums_many(
    datas: Iterable[Frame],
    levels: Optional[Iterable[int]] = None,
    threads: Optional[int] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
    errors: str = "return",
) -> List[Union[List[LevelChecksum], Exception]]:
    """:func:`htj2k.checksums` of every frame (the same ``levels`` for all;
    ``None`` = every level of each frame), on up to ``threads`` threads.

    Returns one checksum list (base first) per frame, in input order.
    """
    datas = frame_sequence(datas, "datas")
    lv = levels_list(levels)
    max_pixels = check_max_pixels(max_pixels)
    max_memory = check_max_memory(max_memory)
    nthreads = check_threads(threads)
    errors = check_errors(errors)

    def call(bufs):
        out = _core.checksums_many(bufs, [lv], max_pixels, [False], nthreads, max_memory)
        return [r if isinstance(r, BaseException) else checksum_list(r[0]) for r in out]

    return _finish(_run(_buffers(datas), call), errors)


def verify_many(
    datas: Iterable[Frame],
    expecteds: Iterable[Any],
    threads: Optional[int] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
    errors: str = "return",
    partial: bool = False,
) -> List[Union[Verification, Exception]]:
    """:func:`htj2k.verify` of every frame against its expected checksums
    (``expecteds[i]`` for ``datas[i]``: a checksum list or a frame mapping, as
    for :func:`htj2k.verify`), the decoding on up to ``threads`` threads.

    As with :func:`htj2k.verify`, a frame that does not match or cannot be
    decoded gives a :class:`~htj2k.Verification` with ``ok=False``; only a
    malformed ``expected`` entry is an error (``errors`` decides how it is reported).
    ``partial`` as for :func:`htj2k.verify` (frames that are the first bytes of a frame).
    """
    datas = frame_sequence(datas, "datas")
    expecteds = frame_sequence(expecteds, "expecteds")
    if len(datas) != len(expecteds):
        raise ValueError(f"expecteds: {len(expecteds)} entries for {len(datas)} frames")
    max_pixels = check_max_pixels(max_pixels)
    max_memory = check_max_memory(max_memory)
    nthreads = check_threads(threads)
    errors = check_errors(errors)

    results: List[Any] = []
    todo = []  # (slot, plan) of frames that need checksums
    for i, (data, expected) in enumerate(zip(datas, expecteds)):
        try:
            plan = _verify_plan(data, expected, max_pixels=max_pixels, max_memory=max_memory, partial=partial)
        except (TypeError, ValueError) as e:
            results.append(e)
            continue
        results.append(plan)
        if plan.early_result is None and plan.levels is not None:
            todo.append((i, plan))
    if todo:
        sums = _core.checksums_many(
            [p.buf for _, p in todo],
            [p.levels for _, p in todo],
            max_pixels,
            [p.want_range for _, p in todo],
            nthreads,
            max_memory,
        )
        for (i, plan), r in zip(todo, sums):
            if isinstance(r, _VERIFY_ERRORS):
                results[i] = plan.failed(r)
            elif isinstance(r, BaseException):
                results[i] = r
            else:
                results[i] = plan.finish(r[0], r[1])
    for i, r in enumerate(results):
        if not isinstance(r, (BaseException, Verification)):
            results[i] = r.finish([], None)
    return _finish(results, errors)


def encode_many(
    arrays: Iterable[np.ndarray],
    threads: Optional[int] = None,
    *,
    errors: str = "return",
    **options: Any,
) -> List[Union[bytes, EncodedFrame, Exception]]:
    """Encode every array with the same :func:`htj2k.encode` keyword ``options``
    (``bit_depth``, ``levels``, ``container``, ``checksums``, ...), on up to
    ``threads`` threads.

    Returns the encoded bytes of each array (an :class:`EncodedFrame` with
    ``checksums=True``), in input order. An unknown option raises ``TypeError`` at
    once (it would fail every frame).
    """
    arrays = frame_sequence(arrays, "arrays") if not isinstance(arrays, np.ndarray) else list(arrays)
    nthreads = check_threads(threads)
    errors = check_errors(errors)
    unknown = sorted(set(options) - set(ENCODE_OPTIONS) - {"components"})
    if unknown:
        raise TypeError(f"encode_many: unknown option(s) {', '.join(unknown)}")
    items: List[Any] = []
    for a in arrays:
        try:
            items.append(encode_options(a, options))
        except (TypeError, ValueError) as e:
            items.append(e)
    results = _run(items, lambda good: _core.encode_many(good, nthreads))
    if options.get("checksums"):
        results = [r if isinstance(r, BaseException) else EncodedFrame(r[0], checksum_list(r[1])) for r in results]
    return _finish(results, errors)
