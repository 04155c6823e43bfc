"""Per-resolution-level CRC-32 checksums and frame verification.

The checksum of resolution level ``r`` (``r`` levels discarded) is zlib's CRC-32 of
the level-``r`` image, samples clamped to the nominal range of the bit depth,
little-endian in the smallest integer type holding it (1, 2 or 4 bytes; signed
for signed components), components interleaved -- what an imaging archive
publishes as ``PixelDataChecksumFromBaseToFullResolution``. Lists run from the
base (most levels discarded) to full resolution.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._args import (
    BytesLike,
    as_buffer,
    check_count,
    check_max_memory,
    check_max_pixels,
    encode_array,
    levels_list,
)
from ._errors import Htj2kError
from ._rules import DEFAULT_MAX_MEMORY, DEFAULT_MAX_PIXELS
from ._types import LevelChecksum, checksum_list
from .codec import info

__all__ = [
    "checksums",
    "checksums_with_range",
    "pixel_checksums",
    "verify",
    "level_for_size",
    "crc32",
    "LevelResult",
    "Verification",
    "CHECKSUM_KEYS",
]

#: Spellings of the checksum list in archive metadata.
CHECKSUM_KEYS = ("PixelDataChecksumFromBaseToFullResolution", "ImageDataChecksumFromBaseToFullResolution")


def crc32(data: BytesLike, crc: int = 0) -> int:
    """zlib-compatible CRC-32 (ISA-L); ``crc`` continues a previous value."""
    return _core.crc32(as_buffer(data), crc)


def checksums(
    data: Union[BytesLike, str, os.PathLike],
    levels: Optional[Iterable[int]] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
) -> List[LevelChecksum]:
    """Checksums of a codestream's resolution levels, base first.

    Args:
        data: codestream or JPH bytes, or a path.
        levels: levels to compute (``r`` = levels discarded); ``None`` = all
            (decomposition levels + 1), or for the first bytes of a frame every
            level they hold (see :func:`htj2k.info`'s ``best_level``); a requested
            level they do not hold raises :class:`IncompleteCodestreamError`.

    For a reversible single-tile codestream the full resolution is decoded once
    and lower levels derived by the forward 5/3 DWT (exact); otherwise each
    level is decoded. Either way each entry equals
    ``zlib.crc32(decode(data, level=r).tobytes())`` (little-endian host).
    ``max_pixels`` and ``max_memory`` as :func:`htj2k.decode`.
    """
    rows, _ = _core.checksums(as_buffer(data), levels_list(levels), check_max_pixels(max_pixels), False,
                              check_max_memory(max_memory))
    return checksum_list(rows)


def checksums_with_range(
    data: Union[BytesLike, str, os.PathLike],
    levels: Optional[Iterable[int]] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
) -> Tuple[List[LevelChecksum], Tuple[int, int]]:
    """:func:`checksums` and the ``(min, max)`` sample value of the full-resolution
    image over every component (the archive's ``MinPixelValue``/``MaxPixelValue``),
    from the same decode."""
    rows, rng = _core.checksums(as_buffer(data), levels_list(levels), check_max_pixels(max_pixels), True,
                                check_max_memory(max_memory))
    return checksum_list(rows), (int(rng[0]), int(rng[1]))


def pixel_checksums(
    array: np.ndarray,
    levels: int,
    bit_depth: Optional[int] = None,
    signed: Optional[bool] = None,
    *,
    colour_transform: Optional[bool] = None,
) -> List[LevelChecksum]:
    """Checksums of levels ``levels..0`` computed from raw pixels, base first.

    Equal to ``checksums(encode(array, levels=levels, bit_depth=bit_depth))`` for
    every lossless encode of those pixels, without encoding: the forward 5/3 DWT
    with symmetric extension (after the reversible colour transform for 3
    components when ``colour_transform`` is on -- default as in :func:`encode`:
    on for exactly 3 components), clamped to the nominal range.

    Args:
        array: ``(H, W)`` or ``(H, W, C)`` uint8/int8/uint16/int16/uint32/int32.
        levels: number of decomposition levels (0 = full resolution only).
        bit_depth: declared bits per sample; default the dtype's width.
        signed: default from the dtype. Values must lie in the declared range.
    """
    array, implied_depth = encode_array(array)  # the same images encode() takes
    levels = check_count(levels, "levels")
    bit_depth = implied_depth if bit_depth is None else check_count(bit_depth, "bit_depth")
    ncomp = array.shape[2] if array.ndim == 3 else 1
    rct = (ncomp == 3) if colour_transform is None else bool(colour_transform)
    rows = _core.pixel_checksums(
        array, int(levels), int(bit_depth or 0), -1 if signed is None else int(bool(signed)), rct
    )
    return checksum_list(rows)


def level_for_size(data: Union[BytesLike, str, os.PathLike], width: int, height: int) -> Optional[int]:
    """The resolution level (levels discarded) whose size is ``width x height``, or None."""
    sizes = info(data).level_sizes  # base first
    for i, (w, h) in enumerate(sizes):
        if (w, h) == (width, height):
            return len(sizes) - 1 - i
    return None


@dataclass(frozen=True)
class LevelResult:
    """Outcome for one expected ``{Width, Height, Checksum}`` entry.

    ``status`` is ``"match"``, ``"mismatch"``, ``"absent"`` (no level of the
    codestream has that size) or ``"not_in_data"`` (the data is the first bytes of
    the frame and does not hold that level: neither a match nor a mismatch).
    """

    width: int
    height: int
    expected: int
    actual: Optional[int]
    level: Optional[int]
    status: str


@dataclass(frozen=True)
class Verification:
    """Result of :func:`verify`. ``ok`` when every listed level matches, the
    min/max checks (if any) pass, and the frame decoded; with ``partial=True``
    when every listed level the data holds matches (at least one), and the min/max
    checks pass where the data holds full resolution. ``min_pixel_value`` and
    ``max_pixel_value`` are ``(expected, actual)``, actual ``None`` when the data
    does not hold full resolution."""

    ok: bool
    levels: Tuple[LevelResult, ...]
    min_pixel_value: Optional[Tuple[int, Optional[int]]] = None  # (expected, actual)
    max_pixel_value: Optional[Tuple[int, Optional[int]]] = None
    error: Optional[str] = None

    @property
    def mismatches(self) -> Tuple[LevelResult, ...]:
        """Entries that did not match (mismatch or absent)."""
        return tuple(r for r in self.levels if r.status != "match")

    def as_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "ok": self.ok,
            "error": self.error,
            "levels": [r.__dict__ for r in self.levels],
            "min_pixel_value": None if self.min_pixel_value is None else list(self.min_pixel_value),
            "max_pixel_value": None if self.max_pixel_value is None else list(self.max_pixel_value),
        }


def _expected_int(v: Any, what: str) -> int:
    """An integer from expected metadata: ints, and floats that are whole and finite
    (JSON numbers); anything else (inf, nan, 1.5, "x", True) is a ValueError."""
    if isinstance(v, bool):
        raise ValueError(f"expected: {what} is {v!r}, not an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    raise ValueError(f"expected: {what} is {v!r}, not an integer")


def _expected_entries(expected: Any) -> Tuple[List[Tuple[int, int, int]], Optional[int], Optional[int]]:
    """Accepts a list of {Width, Height, Checksum} / LevelChecksum, a frame mapping, or a
    :class:`htj2k.archive.FrameRecord` (anything with ``as_dict()`` giving a frame mapping)."""
    mn = mx = None
    as_dict = getattr(expected, "as_dict", None)
    if callable(as_dict) and not isinstance(expected, Mapping):
        expected = as_dict()
    if isinstance(expected, Mapping):
        mn = expected.get("MinPixelValue")
        mx = expected.get("MaxPixelValue")
        mn = None if mn is None else _expected_int(mn, "MinPixelValue")
        mx = None if mx is None else _expected_int(mx, "MaxPixelValue")
        for key in CHECKSUM_KEYS:
            if key in expected:
                expected = expected[key]
                break
        else:
            raise ValueError(f"expected: a frame mapping needs one of {', '.join(CHECKSUM_KEYS)}")
    if isinstance(expected, (str, bytes)) or not isinstance(expected, Iterable):
        raise TypeError("expected: a list of {Width, Height, Checksum} entries or a frame mapping")
    entries = []
    for e in expected:
        if isinstance(e, LevelChecksum):
            entries.append((e.width, e.height, e.checksum))
        elif isinstance(e, Mapping):
            try:
                w, h, c = (_expected_int(e[k], k) for k in ("Width", "Height", "Checksum"))
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"expected: entry {e!r} lacks integer Width/Height/Checksum") from None
            entries.append((w, h, c & 0xFFFFFFFF))
        else:
            raise TypeError(f"expected: entry {e!r} is neither a mapping nor a LevelChecksum")
    return entries, mn, mx


def verify(
    data: Union[BytesLike, str, os.PathLike],
    expected: Any,
    *,
    min_pixel_value: Optional[int] = None,
    max_pixel_value: Optional[int] = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
    partial: bool = False,
) -> Verification:
    """Verify a frame against an expected checksum list.

    ``expected`` is the archive's ``PixelDataChecksumFromBaseToFullResolution``
    list (``[{"Width", "Height", "Checksum"}, ...]``), our own
    :func:`checksums` result, or a whole frame entry of the metadata (then its
    ``MinPixelValue``/``MaxPixelValue`` are checked too). Entries are matched to
    levels by size. A mismatch is a result, not an exception; a frame that
    cannot be decoded gives ``ok=False`` with ``error`` set.

    ``data`` may be the first bytes of a frame (a progressive download): the
    levels it holds are checked, the others reported as ``"not_in_data"``; ``ok``
    stays False for such data unless ``partial=True``.
    """
    plan = _verify_plan(data, expected, min_pixel_value, max_pixel_value, max_pixels, max_memory, partial)
    if plan.early_result is None and plan.levels is not None:
        try:
            rows, rng = _core.checksums(plan.buf, plan.levels, plan.max_pixels, plan.want_range, plan.max_memory)
        except _VERIFY_ERRORS as e:
            return plan.failed(e)
        return plan.finish(rows, rng)
    return plan.finish([], None)


# Errors that make a frame fail verification (a result) rather than raise.
_VERIFY_ERRORS = (Htj2kError, ValueError, OSError)


class _VerifyPlan:
    """What :func:`verify` needs decoded for one frame, and how to judge the result
    (shared with :func:`htj2k.verify_many`, which runs the checksums in a batch)."""

    __slots__ = ("entries", "mn", "mx", "want_range", "buf", "by_size", "levels", "max_pixels", "max_memory",
                 "early_result", "partial", "held")

    def __init__(self, entries, mn, mx, partial=False):
        self.partial = bool(partial)
        self.held = None  # for the first bytes of a frame: the levels they hold
        self.entries = entries
        self.mn = mn
        self.mx = mx
        self.want_range = mn is not None or mx is not None
        self.buf = None
        self.by_size = {}
        self.levels = None  # levels to checksum, or None when nothing needs decoding
        self.max_pixels = DEFAULT_MAX_PIXELS
        self.max_memory = DEFAULT_MAX_MEMORY
        self.early_result = None  # the Verification of a frame that failed before decoding

    def failed(self, e: BaseException) -> Verification:
        results = tuple(LevelResult(w, h, c, None, None, "absent") for w, h, c in self.entries)
        return Verification(ok=False, levels=results, error=f"{type(e).__name__}: {e}")

    def finish(self, rows, rng) -> Verification:
        if self.early_result is not None:
            return self.early_result
        actual = {r: c for r, _, _, c in rows}
        results = []
        for w, h, c in self.entries:
            r = self.by_size.get((w, h))
            if r is None:
                results.append(LevelResult(w, h, c, None, None, "absent"))
            elif self.held is not None and r not in self.held:
                results.append(LevelResult(w, h, c, None, r, "not_in_data"))
            else:
                a = actual[r]
                results.append(LevelResult(w, h, c, a, r, "match" if a == c else "mismatch"))
        checked = [r for r in results if r.status != "not_in_data"]
        if self.partial:
            ok = bool(checked) and all(r.status == "match" for r in checked)
        else:
            ok = bool(results) and all(r.status == "match" for r in results)
        minv = maxv = None
        have_range = rng is not None and (self.held is None or 0 in self.held)
        for which, expected in ((0, self.mn), (1, self.mx)):
            if expected is None:
                continue
            pair = (int(expected), int(rng[which]) if have_range else None)
            ok = ok and (pair[0] == pair[1] if have_range else self.partial)
            if which == 0:
                minv = pair
            else:
                maxv = pair
        return Verification(ok=ok, levels=tuple(results), min_pixel_value=minv, max_pixel_value=maxv)


def _verify_plan(
    data: Any,
    expected: Any,
    min_pixel_value: Optional[int] = None,
    max_pixel_value: Optional[int] = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
    partial: bool = False,
) -> _VerifyPlan:
    """Parses ``expected`` (raising TypeError/ValueError when malformed) and the
    frame's headers; a frame that cannot be read gives a plan whose ``error`` is set."""
    entries, mn, mx = _expected_entries(expected)
    mn = _expected_int(min_pixel_value, "min_pixel_value") if min_pixel_value is not None else mn
    mx = _expected_int(max_pixel_value, "max_pixel_value") if max_pixel_value is not None else mx
    if not isinstance(partial, bool):
        raise TypeError(f"partial: expected a bool, got {type(partial).__name__}")
    plan = _VerifyPlan(entries, mn, mx, partial)
    plan.max_memory = check_max_memory(max_memory)
    try:
        plan.buf = as_buffer(data)
        plan.max_pixels = check_max_pixels(max_pixels)
        header = _core.parse_info(plan.buf)
        sizes = header["level_sizes"][0]  # base first, component 0
        by_size = plan.by_size
        for i, s in enumerate(sizes):  # a size seen twice maps to the finer level
            by_size[tuple(s)] = len(sizes) - 1 - i
        wanted = sorted({by_size[(w, h)] for w, h, _ in entries if (w, h) in by_size})
        want_range = plan.want_range
        if header["truncated"]:  # the first bytes of a frame: what they hold
            best = header["best_level"]
            plan.held = set() if best is None else set(range(best, len(header["level_ranges"])))
            wanted = [r for r in wanted if r in plan.held]
            want_range = want_range and 0 in plan.held
            plan.want_range = want_range
        if wanted or want_range:
            plan.levels = wanted or [0]
    except _VERIFY_ERRORS as e:
        plan.early_result = plan.failed(e)
    return plan
