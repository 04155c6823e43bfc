"""The work on one file: every frame read, verified, optionally written and transcoded."""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from ...profile import encode_params
from .discover import classify
from .records import (
    FILE_DONE,
    FILE_FAILED,
    FILE_SKIPPED,
    STATUS_ERROR,
    STATUS_OK,
    RoundtripOptions,
    _err,
    _frame_record,
)
from .sources import (
    _codestream_sources,
    _dicom_sources,
    _jph_codestream,
    _npy_sources,
    _png_sources,
    _pnm_sources,
    _tiff_sources,
    _Skip,
)
from .transcode import _transcode, _write_atomic
from .verify import _verify


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
    elif kind == "png":
        meta, sources = _png_sources(path)
    elif kind == "tiff":
        meta, sources = _tiff_sources(path)
    else:
        meta, sources = _codestream_sources(path)
    file_rec["sop_instance_uid"] = meta.get("sop_instance_uid")
    transcode = kind == "dicom" and bool(opts.transcode_dir) and ds is not None
    # when transcoding, frame records are emitted after the DICOM file was checked
    # (a failed check turns them into mismatches)
    emit_now = None if transcode else emit
    params = {**encode_params(), "encoder": opts.encoder}
    container = "jph" if opts.out_dir else "j2c"
    encoded: List[Optional[bytes]] = []
    pis: List[Optional[str]] = []
    all_ok = True
    for src in sources:
        if in_worker and opts.frame_hook is not None:
            opts.frame_hook(path, src.number)
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
