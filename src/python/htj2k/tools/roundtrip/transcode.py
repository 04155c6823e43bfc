"""Writing results: HTJ2K DICOM transcodes, atomically written files and the import manifest."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from typing import Any, Dict, Iterable, List, Optional

from ..._types import LevelChecksum
from ...archive import FrameRecord, build_metadata, uid_from_name
from ...checksums import crc32
from ...profile import as_sample_dtype
from .records import STATUS_MISMATCH, STATUS_OK, RoundtripOptions, _err
from .report import _sort_key


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

    from ... import dicom as hdicom
    base = opts.base_dir or os.path.dirname(os.path.abspath(path))
    rel = os.path.relpath(os.path.abspath(path), base)
    if rel.startswith(os.pardir):
        rel = os.path.basename(path)
    dest = os.path.join(opts.transcode_dir or ".", rel)
    out = hdicom.to_htj2k_dataset(  # the transfer syntax follows from the frames (.202 where they qualify)
        ds,
        encoded_frames=encoded,
        photometric_interpretation=pis[0] if pis else None,
    )
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    tmp = f"{dest}.tmp{os.getpid()}"
    out.save_as(tmp, enforce_file_format=True)
    problems = []
    try:
        back = pydicom.dcmread(tmp)
        full = {}
        for f in hdicom.frames(back):
            arr = as_sample_dtype(f.pixels, f.bit_depth, f.signed)
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


def write_manifest(records: Iterable[Dict[str, Any]], path: str) -> Dict[str, Any]:
    """Write the verified frames (status ``ok``) as the archive's image-set metadata
    (``Study -> Series -> Instances -> ImageFrames``, see :mod:`htj2k.archive`):
    one document when the frames belong to one study (or none), else a JSON list
    with one document per study. ``.gz`` names are gzipped. Returns a summary."""
    groups: Dict[Optional[str], List[Any]] = {}
    for r in sorted((r for r in records if r.get("record") == "frame"), key=_sort_key):
        if r.get("status") != STATUS_OK or not r.get("checksums"):
            continue
        study = r.get("study_instance_uid")
        instance = r.get("sop_instance_uid") or uid_from_name("file:" + os.path.abspath(r["file"]))
        groups.setdefault(study, []).append(
            FrameRecord(
                frame_id=r["frame_id"],
                checksums=tuple(LevelChecksum(None, c["Width"], c["Height"], c["Checksum"]) for c in r["checksums"]),
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
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
            g.write(data)
        data = buf.getvalue()
    _write_atomic(path, data)
    return {"documents": max(1, len(docs)), "frames": sum(len(f) for f in groups.values())}
