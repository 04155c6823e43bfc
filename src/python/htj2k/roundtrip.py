"""Round-trip verification of image files through lossless HTJ2K (``htj2k roundtrip``).

For every frame of every input file (DICOM -- every frame of multi-frame
objects --, ``.npy``, PGM/PPM, ``.j2c``/``.j2k``/``.jph`` codestreams):

1. the source pixels are decoded (DICOM by pydicom with the installed plugins;
   HTJ2K transfer syntaxes by htj2k) and checked to fit the declared bit depth
   (DICOM: BitsStored and PixelRepresentation; values are never clipped);
2. checksums of every resolution level are computed from those pixels
   (:func:`htj2k.pixel_checksums`);
3. the frame is encoded losslessly with archive-like parameters
   (:func:`encode_params`), decoded again, and the checksums of every level are
   computed from the codestream (:func:`htj2k.checksums`);
4. the frame *passes* when the decoded pixels equal the source pixels and both
   checksum lists agree.

Files are processed by worker processes (a crash or hang of one marks that
file ``failed`` and the run goes on), in-process (``workers=0``) or on a Dask
cluster. Records stream into a JSON-lines report as they complete, so an
interrupted run leaves a valid partial report that ``resume`` continues. The
report format is documented in ``docs/roundtrip.md``.

Test hooks (documented there too): ``HTJ2K_TEST_CRASH_ON=<substring>`` makes a
worker call :func:`os.abort` on the first frame whose ``<file>#<frame number>``
contains the substring; ``HTJ2K_TEST_HANG_ON=<substring>`` makes it sleep forever
instead. They act only inside worker processes (local pool or Dask).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import sys
import time
import warnings
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np

__all__ = [
    "REPORT_FORMAT",
    "MAX_LEVELS",
    "BLOCK_SIZE",
    "PROGRESSION",
    "levels_for_size",
    "encode_params",
    "encode_frame",
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
    "ENV_CRASH_ON",
    "ENV_HANG_ON",
]

#: ``format`` of the report's first record; bumped on incompatible changes.
REPORT_FORMAT = "htj2k-roundtrip/1"

#: Archive-like encoding: lossless 5/3, RPCL, 64x64 code-blocks, maximal
#: precincts, one tile, at most MAX_LEVELS decomposition levels (see levels_for_size),
#: TLM markers and one tile-part per resolution when OpenJPH can write them.
MAX_LEVELS = 5
BLOCK_SIZE = (64, 64)
PROGRESSION = "RPCL"

STATUS_OK = "ok"
STATUS_MISMATCH = "mismatch"
STATUS_ERROR = "error"
FRAME_STATUSES = (STATUS_OK, STATUS_MISMATCH, STATUS_ERROR)
FILE_DONE = "done"
FILE_SKIPPED = "skipped"
FILE_FAILED = "failed"

ENV_CRASH_ON = "HTJ2K_TEST_CRASH_ON"
ENV_HANG_ON = "HTJ2K_TEST_HANG_ON"

_DICOM_EXTENSIONS = frozenset({".dcm", ".dicom", ".dic"})
_CODESTREAM_EXTENSIONS = frozenset({".j2c", ".j2k", ".jhc", ".jph", ".jp2"})
_PNM_EXTENSIONS = frozenset({".pgm", ".ppm", ".pnm"})


# --------------------------------------------------------------------------- encoding parameters


def levels_for_size(width: int, height: int, max_levels: int = MAX_LEVELS) -> int:
    """Decomposition levels of the archive-like encoding:
    ``min(max_levels, floor(log2(min(width, height))))`` (0 for a 1-pixel side), so the
    base level is never smaller than 1 pixel and a 512x512 frame gets 5 levels
    (base 16x16), a 100x60 frame 5 (4x2), a 3x3 frame 1."""
    side = max(1, min(int(width), int(height)))
    return max(0, min(int(max_levels), int(math.floor(math.log2(side)))))


def encode_params() -> Dict[str, Any]:
    """The fixed :func:`htj2k.encode` keyword arguments of the archive-like encoding
    (``levels``, ``bit_depth`` and ``colour_transform`` come from each frame)."""
    from ._codec import features

    feats = features()
    tlm = bool(feats.get("tlm"))
    return {
        "reversible": True,
        "progression": PROGRESSION,
        "block_size": BLOCK_SIZE,
        "tlm": tlm,
        "tileparts": "R" if tlm and feats.get("tileparts") else None,
    }


def encode_frame(
    pixels: np.ndarray,
    bit_depth: int,
    signed: bool,
    colour_transform: bool,
    *,
    levels: Optional[int] = None,
    container: str = "j2c",
    params: Optional[Dict[str, Any]] = None,
) -> bytes:
    """Encode one frame losslessly with the archive-like parameters.

    ``pixels`` must fit ``bit_depth``/``signed`` (they are converted, value for
    value, to the smallest integer type of that signedness). ``levels`` defaults to
    :func:`levels_for_size`.
    """
    from ._codec import encode

    arr = _normalise(pixels, bit_depth, signed)
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    if levels is None:
        levels = levels_for_size(arr.shape[1], arr.shape[0])
    kw = dict(params or encode_params())
    return encode(
        arr,
        levels=levels,
        bit_depth=bit_depth,
        colour_transform=bool(colour_transform) if spp >= 3 else None,
        container=container,
        **kw,
    )


def _container_bytes(bit_depth: int) -> int:
    return 1 if bit_depth <= 8 else 2 if bit_depth <= 16 else 4


def _normalise(pixels: np.ndarray, bit_depth: int, signed: bool) -> np.ndarray:
    """Same values in the smallest native-endian integer dtype of the bit depth."""
    if pixels.dtype == np.bool_:
        pixels = pixels.view(np.uint8)
    want = np.dtype(f"{'i' if signed else 'u'}{_container_bytes(bit_depth)}")
    if pixels.dtype != want:
        pixels = pixels.astype(want)
    return np.ascontiguousarray(pixels)


def _range_error(pixels: np.ndarray, bit_depth: int, signed: bool, what: str) -> Optional[str]:
    if signed:
        lo, hi = -(1 << (bit_depth - 1)), (1 << (bit_depth - 1)) - 1
    else:
        lo, hi = 0, (1 << bit_depth) - 1
    mn, mx = int(pixels.min()), int(pixels.max())
    if lo <= mn and mx <= hi:
        return None
    kind = "signed" if signed else "unsigned"
    return f"pixel values {mn}..{mx} exceed {what} {bit_depth} ({kind} range {lo}..{hi}); not clipped"


def _jph_codestream(data: bytes) -> bytes:
    """The contiguous codestream box (``jp2c``) of a JPH/JP2 file."""
    pos, n = 0, len(data)
    while pos + 8 <= n:
        lbox = int.from_bytes(data[pos : pos + 4], "big")
        tbox = data[pos + 4 : pos + 8]
        hdr = 8
        if lbox == 1:
            lbox = int.from_bytes(data[pos + 8 : pos + 16], "big")
            hdr = 16
        elif lbox == 0:
            lbox = n - pos
        if tbox == b"jp2c":
            return data[pos + hdr : pos + lbox]
        if lbox < hdr:
            break
        pos += lbox
    raise ValueError("no codestream box in the JPH data")


# --------------------------------------------------------------------------- options and tasks


@dataclass(frozen=True)
class RoundtripOptions:
    """What a worker needs to process a file (picklable; identical for every file)."""

    out_dir: Optional[str] = None  # write <frame ID>.jph here
    transcode_dir: Optional[str] = None  # write HTJ2K DICOM files here
    base_dir: Optional[str] = None  # transcoded files mirror paths relative to this
    crash_on: Optional[str] = None  # test hook (HTJ2K_TEST_CRASH_ON)
    hang_on: Optional[str] = None  # test hook (HTJ2K_TEST_HANG_ON)

    @classmethod
    def with_test_hooks(cls, **kw: Any) -> "RoundtripOptions":
        """Options with the test hooks taken from the environment."""
        kw.setdefault("crash_on", os.environ.get(ENV_CRASH_ON) or None)
        kw.setdefault("hang_on", os.environ.get(ENV_HANG_ON) or None)
        return cls(**kw)


@dataclass(frozen=True)
class Task:
    """One file to process; ``skip`` holds frame numbers already in the report."""

    index: int
    path: str
    skip: Tuple[int, ...] = ()


def frame_id(path: str, frame: int) -> str:
    """The frame's ``ID`` in the manifest and the name of its ``.jph`` file: 32 hex
    digits derived from the file's absolute path and the 1-based frame number
    (the same for local, Dask and resumed runs)."""
    key = f"{os.path.abspath(path)}#{int(frame)}"
    return hashlib.md5(key.encode("utf-8", "surrogateescape")).hexdigest()


# --------------------------------------------------------------------------- discovery


def classify(path: str) -> Tuple[Optional[str], Optional[str]]:
    """(kind, None) with kind ``dicom``/``npy``/``pnm``/``codestream``, or
    (None, reason) for files roundtrip does not read."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        return "npy", None
    if ext in _PNM_EXTENSIONS:
        return "pnm", None
    if ext in _CODESTREAM_EXTENSIONS:
        return "codestream", None
    if ext == ".raw":
        return None, "raw samples need a shape and dtype; convert to .npy to round-trip"
    if ext in _DICOM_EXTENSIONS:
        return "dicom", None
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError as e:
        return None, f"cannot read: {e.strerror or e}"
    if len(head) == 132 and head[128:132] == b"DICM":
        return "dicom", None
    return None, "not a recognised image file (DICOM, .npy, .pgm/.ppm/.pnm, .j2c/.j2k/.jph)"


def discover(paths: Sequence[str], exclude: Iterable[str] = ()) -> List[str]:
    """Files under ``paths`` (directories walked recursively, sorted), without the
    paths in ``exclude`` (files, or directories whose contents are left out).

    Raises:
        FileNotFoundError: a path does not exist.
    """
    excluded = {os.path.abspath(p) for p in exclude if p}

    def is_excluded(p: str) -> bool:
        a = os.path.abspath(p)
        return any(a == e or a.startswith(e.rstrip(os.sep) + os.sep) for e in excluded)

    out: List[str] = []
    seen: Set[str] = set()
    for p in paths:
        if not os.path.exists(p):
            raise FileNotFoundError(2, "no such file or directory", p)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                dirs[:] = [d for d in dirs if not is_excluded(os.path.join(root, d))]
                for name in sorted(files):
                    fp = os.path.join(root, name)
                    if is_excluded(fp) or not os.path.isfile(fp):
                        continue
                    a = os.path.abspath(fp)
                    if a not in seen:
                        seen.add(a)
                        out.append(fp)
        else:
            a = os.path.abspath(p)
            if a not in seen and not is_excluded(p):
                seen.add(a)
                out.append(p)
    return out


# --------------------------------------------------------------------------- per-file work


class _Skip(Exception):
    """The file is not read (the message is the reason)."""


@dataclass
class _Source:
    """One source frame before verification."""

    number: int
    pixels: Optional[np.ndarray]
    bit_depth: int
    signed: bool
    colour_transform: bool
    photometric_interpretation: Optional[str] = None
    error: Optional[str] = None  # decoding failed


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _err(e: BaseException) -> str:
    msg = _one_line(e) or type(e).__name__
    return f"{type(e).__name__}: {msg}"


def _frame_record(path: str, kind: str, number: int, meta: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "record": "frame",
        "file": path,
        "format": kind,
        "sop_instance_uid": meta.get("sop_instance_uid"),
        "series_instance_uid": meta.get("series_instance_uid"),
        "study_instance_uid": meta.get("study_instance_uid"),
        "transfer_syntax": meta.get("transfer_syntax"),
        "frame": number,
        "frame_id": frame_id(path, number),
        "width": None,
        "height": None,
        "samples": None,
        "bit_depth": None,
        "signed": None,
        "photometric_interpretation": None,
        "colour_transform": None,
        "levels": None,
        "frame_size": None,
        "encoded_size": None,
        "ratio": None,
        "checksums": None,
        "min": None,
        "max": None,
        "status": STATUS_ERROR,
        "error": None,
    }


def _test_hooks(opts: RoundtripOptions, path: str, number: int) -> None:
    key = f"{path}#{number}"
    if opts.crash_on and opts.crash_on in key:
        try:  # a test crash should not leave a core file behind
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ImportError, ValueError, OSError):
            pass
        sys.stderr.flush()
        os.abort()
    if opts.hang_on and opts.hang_on in key:
        while True:
            time.sleep(3600)


def _verify(src: _Source, rec: Dict[str, Any], params: Dict[str, Any], container: str) -> Optional[bytes]:
    """Fill ``rec`` for one frame; returns the codestream (j2c) when encoded."""
    from ._codec import decode
    from .checksums import checksums, pixel_checksums

    pixels = src.pixels
    assert pixels is not None
    h, w = int(pixels.shape[0]), int(pixels.shape[1])
    spp = 1 if pixels.ndim == 2 else int(pixels.shape[2])
    ct = bool(src.colour_transform) and spp >= 3
    levels = levels_for_size(w, h)
    rec.update(
        width=w,
        height=h,
        samples=spp,
        bit_depth=src.bit_depth,
        signed=src.signed,
        photometric_interpretation=src.photometric_interpretation,
        colour_transform=ct,
        levels=levels,
        frame_size=int(pixels.size) * _container_bytes(src.bit_depth),
    )
    if pixels.size:
        rec["min"], rec["max"] = int(pixels.min()), int(pixels.max())
    what = "BitsStored" if rec["format"] == "dicom" else "bit depth"
    bad = _range_error(pixels, src.bit_depth, src.signed, what)
    if bad:
        rec["error"] = bad
        return None
    from ._codec import features

    max_bits = int(features().get("max_bit_depth", 32))
    if src.bit_depth > max_bits:
        rec["error"] = (
            f"unsupported: {what} {src.bit_depth} exceeds the {max_bits} bits per sample "
            "the linked OpenJPH can encode"
        )
        return None
    arr = _normalise(pixels, src.bit_depth, src.signed)
    expected = pixel_checksums(arr, levels, bit_depth=src.bit_depth, signed=src.signed, colour_transform=ct)
    data = encode_frame(arr, src.bit_depth, src.signed, ct, levels=levels, container=container, params=params)
    codestream = _jph_codestream(data) if container == "jph" else data
    rec["encoded_size"] = len(codestream)
    rec["ratio"] = round(rec["frame_size"] / len(codestream), 3) if codestream else None
    decoded = decode(codestream)
    got = checksums(codestream)
    rec["checksums"] = [c.as_archive_dict() for c in got]
    problems = []
    if decoded.shape != arr.shape:
        problems.append(f"decoded shape {decoded.shape} != source {arr.shape}")
    elif not np.array_equal(decoded, arr):
        n = int(np.count_nonzero(decoded != arr))
        problems.append(f"decoded pixels differ from the source ({n} samples)")
    exp = [c.as_archive_dict() for c in expected]
    if exp != rec["checksums"]:
        bad_levels = [
            f"{e['Width']}x{e['Height']}"
            for e, g in zip(exp, rec["checksums"])
            if e != g
        ] or ["level count"]
        problems.append(
            "pixel checksums differ from the codestream checksums at " + ", ".join(bad_levels)
        )
        rec["pixel_checksums"] = exp
    if problems:
        rec["status"] = STATUS_MISMATCH
        rec["error"] = "; ".join(problems)
    else:
        rec["status"] = STATUS_OK
    return data


# ---- sources


def _npy_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    from .imageio import read_image

    try:
        arr = read_image(path)
    except Exception as e:
        raise _Skip(f"unreadable: {_err(e)}") from None
    if arr.dtype == np.bool_:
        arr, bits = arr.view(np.uint8), 1
    elif arr.dtype.kind in "ui" and arr.dtype.itemsize in (1, 2, 4):
        bits = arr.dtype.itemsize * 8
    else:
        raise _Skip(f"unsupported: dtype {arr.dtype} (integer images only)")
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise _Skip(f"unsupported: shape {arr.shape} (expected HxW or HxWxC)")
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    src = _Source(1, arr, bits, arr.dtype.kind == "i", spp == 3, "RGB" if spp == 3 else None)
    return {}, iter([src])


def _pnm_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    from .imageio import pnm_bit_depth, read_image

    try:
        arr = read_image(path)
        bits = pnm_bit_depth(path)
    except Exception as e:
        raise _Skip(f"unreadable: {_err(e)}") from None
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    src = _Source(1, arr, bits, False, spp == 3, "RGB" if spp == 3 else "MONOCHROME2")
    return {}, iter([src])


def _codestream_sources(path: str) -> Tuple[Dict[str, Any], Iterator[_Source]]:
    from ._codec import decode, info

    try:
        with open(path, "rb") as f:
            data = f.read()
        inf = info(data)
    except Exception as e:
        raise _Skip(f"unreadable: {_err(e)}") from None
    if not inf.supported:
        raise _Skip(f"unsupported: {_one_line(inf.unsupported_reason)}")
    if inf.dtype is None:
        raise _Skip("unsupported: components of different sizes or signedness")

    def gen() -> Iterator[_Source]:
        try:
            arr = decode(data)
        except Exception as e:
            yield _Source(1, None, inf.bit_depth, inf.signed, False, error=f"decoding failed: {_err(e)}")
            return
        spp = inf.num_components
        yield _Source(1, arr, inf.bit_depth, inf.signed, spp >= 3 and inf.colour_transform, "RGB" if spp == 3 else None)

    return {}, gen()


def _dicom_sources(path: str, skip: Set[int]) -> Tuple[Dict[str, Any], Iterator[_Source], Any]:
    try:
        import pydicom
        from pydicom.errors import InvalidDicomError
    except ImportError:
        raise _Skip("pydicom is not installed (pip install htj2k[dicom])") from None
    from . import dicom as hdicom

    ext = os.path.splitext(path)[1].lower()
    forced = False
    try:
        try:
            ds = pydicom.dcmread(path)
        except InvalidDicomError:
            if ext not in _DICOM_EXTENSIONS:
                raise
            forced = True
            ds = pydicom.dcmread(path, force=True)
    except Exception as e:
        raise _Skip(f"unreadable DICOM: {_err(e)}") from None
    if forced and not any(0x0002 <= tag.group <= 0x0028 and not tag.is_private for tag in ds.keys()):
        raise _Skip("unreadable DICOM: no 'DICM' prefix and no recognisable DICOM attributes")
    if not any(kw in ds for kw in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        sop = ds.get("SOPClassUID")
        sop_name = pydicom.uid.UID(str(sop)).name if sop else ""
        if ("Rows" in ds and "Columns" in ds) or "Image Storage" in sop_name:
            what = f"a {sop_name} object" if "Image Storage" in sop_name else "Rows/Columns describe an image"
            raise _Skip(f"no Pixel Data although {what} (truncated file?)")
    try:
        params = hdicom.image_parameters(ds)
        hdicom._decoder_for(pydicom.uid.UID(params.transfer_syntax))
    except hdicom.DicomImageError as e:
        raise _Skip(_one_line(e)) from None
    except Exception as e:
        raise _Skip(f"unreadable DICOM: {_err(e)}") from None
    meta = {
        "sop_instance_uid": params.sop_instance_uid,
        "series_instance_uid": params.series_instance_uid,
        "study_instance_uid": params.study_instance_uid,
        "transfer_syntax": params.transfer_syntax,
    }
    indices = [i for i in range(params.number_of_frames) if i + 1 not in skip]

    def source(f: Any) -> _Source:
        return _Source(f.number, f.pixels, f.bit_depth, f.signed, f.colour_transform, f.photometric_interpretation)

    def failed(index: int, e: BaseException) -> _Source:
        return _Source(index + 1, None, params.bits_stored, params.signed, False, error=f"decoding failed: {_err(e)}")

    def gen() -> Iterator[_Source]:
        done: Set[int] = set()
        try:
            for f in hdicom.frames(ds, indices=None if len(indices) == params.number_of_frames else indices):
                done.add(f.index)
                yield source(f)
            return
        except Exception as e:
            first_error = e
        # the frame after the last one decoded failed; try the others one by one so
        # that every frame gets a verdict (encapsulated frames are independent)
        rest = [i for i in indices if i not in done]
        for k, i in enumerate(rest):
            if k == 0:
                yield failed(i, first_error)
                continue
            try:
                (f,) = list(hdicom.frames(ds, indices=[i]))
            except Exception as e:
                yield failed(i, e)
            else:
                yield source(f)

    return meta, gen(), ds


def process_file(
    path: str,
    opts: RoundtripOptions,
    skip: Iterable[int] = (),
    emit: Optional[Callable[[Dict[str, Any]], None]] = None,
    *,
    in_worker: bool = False,
) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Round-trip every frame of ``path``.

    Frame records are passed to ``emit`` as each frame completes (and returned);
    the file record comes last. Frames whose numbers are in ``skip`` are not
    reported again (with ``transcode_dir`` they are still encoded, since the
    DICOM file needs every frame). Never raises for a bad file.
    """
    skip_set = {int(s) for s in skip}
    records: List[Dict[str, Any]] = []
    file_rec: Dict[str, Any] = {
        "record": "file",
        "file": path,
        "format": None,
        "status": FILE_DONE,
        "reason": None,
        "frames": 0,
        "sop_instance_uid": None,
        "dicom_output": None,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _process(path, opts, skip_set, records, file_rec, emit, in_worker)
        except _Skip as e:
            file_rec["status"] = FILE_SKIPPED
            file_rec["reason"] = str(e)
        except MemoryError as e:
            file_rec["status"] = FILE_FAILED
            file_rec["reason"] = f"out of memory: {_err(e)}"
        except Exception as e:  # a bug or an unexpected library error: report, go on
            file_rec["status"] = FILE_FAILED
            file_rec["reason"] = f"internal error: {_err(e)}"
    return records, file_rec


def _process(
    path: str,
    opts: RoundtripOptions,
    skip: Set[int],
    records: List[Dict[str, Any]],
    file_rec: Dict[str, Any],
    emit: Optional[Callable[[Dict[str, Any]], None]],
    in_worker: bool,
) -> None:
    kind, reason = classify(path)
    file_rec["format"] = kind
    if kind is None:
        raise _Skip(reason)
    ds = None
    if kind == "dicom":
        want_dicom = bool(opts.transcode_dir)
        meta, sources, ds = _dicom_sources(path, set() if want_dicom else skip)
    elif kind == "npy":
        meta, sources = _npy_sources(path)
    elif kind == "pnm":
        meta, sources = _pnm_sources(path)
    else:
        meta, sources = _codestream_sources(path)
    file_rec["sop_instance_uid"] = meta.get("sop_instance_uid")
    transcode = kind == "dicom" and bool(opts.transcode_dir) and ds is not None
    # when transcoding, frame records are emitted after the DICOM file was checked
    # (a failed check turns them into mismatches)
    emit_now = None if transcode else emit
    params = encode_params()
    container = "jph" if opts.out_dir else "j2c"
    encoded: List[Optional[bytes]] = []
    pis: List[Optional[str]] = []
    all_ok = True
    for src in sources:
        if in_worker:
            _test_hooks(opts, path, src.number)
        rec = _frame_record(path, kind, src.number, meta)
        data = None
        if src.error:
            rec["bit_depth"], rec["signed"] = src.bit_depth, src.signed
            rec["error"] = src.error
        else:
            try:
                data = _verify(src, rec, params, container)
            except MemoryError:
                raise
            except Exception as e:
                rec["status"] = STATUS_ERROR
                rec["error"] = rec["error"] or _err(e)
        if rec["status"] == STATUS_OK and opts.out_dir and data is not None:
            try:
                _write_atomic(os.path.join(opts.out_dir, rec["frame_id"] + ".jph"), data)
                rec["output"] = os.path.join(opts.out_dir, rec["frame_id"] + ".jph")
            except OSError as e:
                rec["status"] = STATUS_ERROR
                rec["error"] = f"cannot write the .jph file: {_err(e)}"
        all_ok = all_ok and rec["status"] == STATUS_OK
        if transcode:
            codestream = None if data is None else (_jph_codestream(data) if container == "jph" else data)
            encoded.append(codestream)
            pis.append(src.photometric_interpretation)
        if src.number in skip:
            continue
        file_rec["frames"] += 1
        records.append(rec)
        if emit_now is not None:
            emit_now(rec)
    if transcode:
        if all_ok and encoded and all(e is not None for e in encoded):
            file_rec["dicom_output"] = _transcode(ds, path, [e for e in encoded if e is not None], pis, records, opts)
        else:
            file_rec["reason"] = "not transcoded: not every frame verified"
        if emit is not None:
            for rec in records:
                emit(rec)


def _transcode(
    ds: Any,
    path: str,
    encoded: List[bytes],
    pis: List[Optional[str]],
    records: List[Dict[str, Any]],
    opts: RoundtripOptions,
) -> Optional[str]:
    """Write the HTJ2K DICOM file and check it decodes (via pydicom) to the source
    pixels: the CRC-32 of each frame must equal its full-resolution checksum."""
    import pydicom

    from . import dicom as hdicom
    from .checksums import crc32

    base = opts.base_dir or os.path.dirname(os.path.abspath(path))
    rel = os.path.relpath(os.path.abspath(path), base)
    if rel.startswith(os.pardir):
        rel = os.path.basename(path)
    dest = os.path.join(opts.transcode_dir or ".", rel)
    tlm = bool(encode_params()["tlm"])
    out = hdicom.to_htj2k_dataset(
        ds,
        encoded_frames=encoded,
        photometric_interpretation=pis[0] if pis else None,
        transfer_syntax_uid=str(hdicom.htj2k_transfer_syntax(tlm)),
    )
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    tmp = f"{dest}.tmp{os.getpid()}"
    out.save_as(tmp, enforce_file_format=True)
    problems = []
    try:
        back = pydicom.dcmread(tmp)
        full = {}
        for f in hdicom.frames(back):
            arr = _normalise(f.pixels, f.bit_depth, f.signed)
            full[f.number] = crc32(arr.tobytes() if sys.byteorder == "little" else arr.byteswap().tobytes())
    except Exception as e:
        problems.append(f"the transcoded DICOM file does not decode: {_err(e)}")
        full = {}
    for rec in records:
        if problems:
            break
        want = rec["checksums"][-1]["Checksum"] if rec.get("checksums") else None
        if full.get(rec["frame"]) != want:
            problems.append(f"frame {rec['frame']} of the transcoded DICOM file decodes to other pixels")
    if problems:
        os.unlink(tmp)
        for rec in records:
            rec["status"] = STATUS_MISMATCH
            rec["error"] = "; ".join(problems)
        return None
    os.replace(tmp, dest)
    return dest


def _write_atomic(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _failed_file(path: str, reason: str) -> Dict[str, Any]:
    kind, _ = classify(path) if os.path.exists(path) else (None, None)
    return {
        "record": "file",
        "file": path,
        "format": kind,
        "status": FILE_FAILED,
        "reason": reason,
        "frames": 0,
        "sop_instance_uid": None,
        "dicom_output": None,
    }


# --------------------------------------------------------------------------- executors


def _worker_main(conn: Any, opts: RoundtripOptions) -> None:
    """A local pool worker: one file at a time from ``conn``; frames are sent back
    as they complete, then the file record."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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
        import multiprocessing as mp

        methods = mp.get_all_start_methods()
        method = "forkserver" if "forkserver" in methods else "spawn"
        self.ctx = mp.get_context(method)
        if method == "forkserver":
            self.ctx.set_forkserver_preload(["htj2k.roundtrip", "htj2k.dicom"])
        self.n = max(1, int(workers))
        self.opts = opts
        self.timeout = timeout
        self.workers: List[Dict[str, Any]] = []

    def _start(self) -> Dict[str, Any]:
        parent, child = self.ctx.Pipe(duplex=True)
        proc = self.ctx.Process(target=_worker_main, args=(child, self.opts), daemon=True, name="htj2k-roundtrip")
        proc.start()
        child.close()
        w = {"proc": proc, "conn": parent, "task": None, "started": 0.0}
        self.workers.append(w)
        return w

    def _retire(self, w: Dict[str, Any], kill: bool) -> None:
        proc = w["proc"]
        if kill and proc.is_alive():
            proc.kill()
        proc.join(5)
        try:
            w["conn"].close()
        except OSError:
            pass
        if w in self.workers:
            self.workers.remove(w)

    def run(self, tasks: Sequence[Task], sink: "_Sink") -> None:
        from multiprocessing.connection import wait

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

    def close(self, kill_busy: bool = False) -> None:
        for w in list(self.workers):
            if w["task"] is not None and kill_busy:
                self._retire(w, kill=True)
            elif w["proc"].is_alive():
                try:
                    w["conn"].send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + 2
        for w in list(self.workers):
            w["proc"].join(max(0.0, deadline - time.monotonic()))
            self._retire(w, kill=True)


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


# --------------------------------------------------------------------------- report


def _header(opts: RoundtripOptions) -> Dict[str, Any]:
    from . import __version__, openjph_version

    p = encode_params()
    return {
        "record": "run",
        "format": REPORT_FORMAT,
        "htj2k": __version__,
        "openjph": openjph_version(),
        "encoding": {
            "reversible": True,
            "progression": p["progression"],
            "block_size": list(p["block_size"]),
            "max_levels": MAX_LEVELS,
            "levels_rule": f"min({MAX_LEVELS}, floor(log2(min(width, height))))",
            "tlm": p["tlm"],
            "tileparts": p["tileparts"],
        },
    }


def load_report(path: str) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, Any]]]:
    """(run header, records) of a JSON-lines report; a line cut short by an
    interruption is ignored. ``summary`` records are dropped."""
    header = None
    records: List[Dict[str, Any]] = []
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(rec, dict):
                continue
            kind = rec.get("record")
            if kind == "run":
                header = header or rec
            elif kind in ("frame", "file"):
                records.append(rec)
    return header, records


def _sort_key(rec: Dict[str, Any]) -> Tuple[Any, ...]:
    if rec.get("record") == "frame":
        return (rec.get("file") or "", 0, int(rec.get("frame") or 0))
    return (rec.get("file") or "", 1, 0)


class _Report:
    """The JSON-lines report: each record is one line, written and flushed as it
    arrives (a valid partial report at any time); sorted with a summary at the end."""

    def __init__(self, path: str, header: Dict[str, Any], kept: List[Dict[str, Any]]):
        self.path = path
        self.header = header
        d = os.path.dirname(os.path.abspath(path))
        os.makedirs(d, exist_ok=True)
        self._rewrite([header] + kept)
        self.f = open(path, "a", encoding="utf-8")

    def _rewrite(self, recs: List[Dict[str, Any]]) -> None:
        tmp = f"{self.path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def write(self, rec: Dict[str, Any]) -> None:
        self.f.write(json.dumps(rec) + "\n")
        self.f.flush()

    def finish(self, records: List[Dict[str, Any]], summary: Dict[str, Any]) -> None:
        self.f.close()
        self._rewrite([self.header] + sorted(records, key=_sort_key) + [summary])

    def close(self) -> None:
        if not self.f.closed:
            self.f.close()


# --------------------------------------------------------------------------- manifest


def write_manifest(records: Iterable[Dict[str, Any]], path: str) -> Dict[str, Any]:
    """Write the verified frames (status ``ok``) as the archive's image-set metadata
    (``Study -> Series -> Instances -> ImageFrames``, see :mod:`htj2k.metadata`):
    one document when the frames belong to one study (or none), else a JSON list
    with one document per study. ``.gz`` names are gzipped. Returns a summary."""
    from .metadata import ExpectedChecksum, FrameRecord, build_metadata, uid_from_name

    groups: Dict[Optional[str], List[Any]] = {}
    for r in sorted((r for r in records if r.get("record") == "frame"), key=_sort_key):
        if r.get("status") != STATUS_OK or not r.get("checksums"):
            continue
        study = r.get("study_instance_uid")
        instance = r.get("sop_instance_uid") or uid_from_name("file:" + os.path.abspath(r["file"]))
        groups.setdefault(study, []).append(
            FrameRecord(
                frame_id=r["frame_id"],
                checksums=tuple(ExpectedChecksum(c["Width"], c["Height"], c["Checksum"]) for c in r["checksums"]),
                min_pixel_value=r.get("min"),
                max_pixel_value=r.get("max"),
                frame_size_in_bytes=r.get("frame_size"),
                series_uid=r.get("series_instance_uid"),
                instance_uid=instance,
                study_uid=study,
            )
        )
    docs = [build_metadata(frames) for _, frames in sorted(groups.items(), key=lambda kv: kv[0] or "")]
    doc: Any = docs[0] if len(docs) == 1 else docs
    if not docs:
        doc = build_metadata([])
    text = json.dumps(doc, indent=2) + "\n"
    data = text.encode("utf-8")
    if path.lower().endswith(".gz"):
        import gzip
        import io

        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
            g.write(data)
        data = buf.getvalue()
    _write_atomic(path, data)
    return {"documents": max(1, len(docs)), "frames": sum(len(f) for f in groups.values())}


# --------------------------------------------------------------------------- running


@dataclass
class RunResult:
    """Outcome of :func:`run`: every record (resumed ones included), counts and
    the exit code (0 all verified, 1 any mismatch/error/failed file, 2 nothing readable)."""

    records: List[Dict[str, Any]]
    counts: Dict[str, int]
    exit_code: int
    elapsed: float
    interrupted: bool = False
    manifest: Optional[Dict[str, Any]] = None

    @property
    def frames(self) -> List[Dict[str, Any]]:
        return [r for r in self.records if r.get("record") == "frame"]

    @property
    def files(self) -> List[Dict[str, Any]]:
        return [r for r in self.records if r.get("record") == "file"]


def _counts(records: Iterable[Dict[str, Any]]) -> Dict[str, int]:
    c = {
        "files": 0,
        "files_done": 0,
        "files_skipped": 0,
        "files_failed": 0,
        "frames": 0,
        "ok": 0,
        "mismatch": 0,
        "error": 0,
        "frame_bytes": 0,
        "encoded_bytes": 0,
    }
    for r in records:
        if r.get("record") == "frame":
            c["frames"] += 1
            st = r.get("status")
            c[st if st in FRAME_STATUSES else "error"] += 1
            if st == STATUS_OK:
                c["frame_bytes"] += int(r.get("frame_size") or 0)
                c["encoded_bytes"] += int(r.get("encoded_size") or 0)
        elif r.get("record") == "file":
            c["files"] += 1
            key = {FILE_DONE: "files_done", FILE_SKIPPED: "files_skipped"}.get(r.get("status"), "files_failed")
            c[key] += 1
    return c


def exit_code_for(counts: Dict[str, int]) -> int:
    """0 every frame verified; 1 any mismatch, frame error or failed file; 2 nothing readable."""
    if counts["frames"] == 0 and counts["files_failed"] == 0:
        return 2
    if counts["mismatch"] or counts["error"] or counts["files_failed"]:
        return 1
    return 0


class _Sink:
    """Collects records from any executor: report lines, counters, progress."""

    def __init__(self, report: Optional[_Report], progress: Optional[Any], records: List[Dict[str, Any]]):
        self.report = report
        self.progress = progress
        self.records = records
        self.frames = 0
        self.files = 0

    def frame(self, rec: Dict[str, Any]) -> None:
        self.records.append(rec)
        self.frames += 1
        if self.report:
            self.report.write(rec)
        if self.progress:
            self.progress.update(frames=self.frames)

    def file(self, rec: Dict[str, Any]) -> None:
        self.records.append(rec)
        self.files += 1
        if self.report:
            self.report.write(rec)
        if self.progress:
            self.progress.update(files=self.files, frames=self.frames)

    def tick(self) -> None:
        if self.progress:
            self.progress.update(frames=self.frames)


def _resume_state(records: List[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], Set[str], Dict[str, Set[int]]]:
    """Records to keep, files done (absolute paths) and frames done per file.
    Files that failed (crash, timeout) are retried; their recorded frames are kept."""
    kept: List[Dict[str, Any]] = []
    done_files: Set[str] = set()
    done_frames: Dict[str, Set[int]] = {}
    for r in records:
        path = os.path.abspath(str(r.get("file", "")))
        if r.get("record") == "file":
            if r.get("status") in (FILE_DONE, FILE_SKIPPED):
                kept.append(r)
                done_files.add(path)
        elif r.get("record") == "frame" and r.get("status") in FRAME_STATUSES:
            kept.append(r)
            done_frames.setdefault(path, set()).add(int(r.get("frame") or 0))
    return kept, done_files, done_frames


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
    opts = RoundtripOptions.with_test_hooks(out_dir=out_dir, transcode_dir=transcode_dir, base_dir=base)

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
    for d in (out_dir, transcode_dir):
        if d:
            os.makedirs(d, exist_ok=True)

    records: List[Dict[str, Any]] = list(kept)
    rep = _Report(report, _header(opts), kept) if report else None
    sink = _Sink(rep, progress, records)
    interrupted = False
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
    counts = _counts(records)
    code = exit_code_for(counts)
    elapsed = time.monotonic() - start
    result = RunResult(records=records, counts=counts, exit_code=code, elapsed=elapsed, interrupted=interrupted)
    if interrupted:
        return result
    if manifest:
        result.manifest = write_manifest(records, manifest)
    if rep is not None:
        summary = {"record": "summary", **counts, "exit_code": code}
        rep.finish(records, summary)
    return result
