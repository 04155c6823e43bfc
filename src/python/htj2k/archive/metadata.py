"""Image-set metadata and import-job manifests: read and write the per-frame
checksum lists an imaging archive publishes.

The archive's image-set metadata nests frames as ``Study -> Series -> {uid} ->
Instances -> {uid} -> ImageFrames -> [...]``; an import job's output manifest
holds ``ImageFrames`` lists at other depths (one JSON document, or JSON-lines /
concatenated fragments). :func:`load_metadata` walks the whole tree and collects
every ``ImageFrames`` entry wherever it sits::

    {"ID": "0d1c97c5...",
     "PixelDataChecksumFromBaseToFullResolution": [
         {"Width": 256, "Height": 188, "Checksum": 2598394845},
         {"Width": 512, "Height": 375, "Checksum": 1227709180}],
     "MinPixelValue": 451, "MaxPixelValue": 1466, "FrameSizeInBytes": 384000}

(``ImageDataChecksumFromBaseToFullResolution`` is accepted as another spelling).
:func:`frame_entry` and :func:`build_metadata` write the same structure for your
own frames, so they can be verified later (``htj2k verify``)::

    >>> import htj2k
    >>> from htj2k.archive import build_metadata, frame_entry, load_metadata
    >>> entry = frame_entry("f1", [(1, 1, 0x1234)], min_value=0, max_value=9)
    >>> [r.frame_id for r in load_metadata(build_metadata([entry]))]
    ['f1']
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zlib
from dataclasses import dataclass
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)

from .._errors import Htj2kError
from .._types import LevelChecksum
from ..checksums import CHECKSUM_KEYS

__all__ = [
    "MetadataError",
    "FrameRecord",
    "load_metadata",
    "parse_metadata",
    "frame_entry",
    "build_metadata",
    "dump_metadata",
    "uid_from_name",
]

_GZIP_MAGIC = b"\x1f\x8b"


class MetadataError(Htj2kError):
    """Metadata that cannot be read: unreadable file, bad gzip, invalid JSON, or a
    malformed ``ImageFrames`` entry. The message is one line."""


@dataclass(frozen=True)
class FrameRecord:
    """One ``ImageFrames`` entry and where it was found.

    ``checksums`` runs from the base to full resolution as listed. ``series_uid``,
    ``instance_uid``, ``study_uid`` and ``image_set_id`` come from the keys and
    fields along the path to the entry (``None`` when the document does not say).
    """

    frame_id: str
    checksums: Tuple[LevelChecksum, ...]
    min_pixel_value: Optional[int] = None
    max_pixel_value: Optional[int] = None
    frame_size_in_bytes: Optional[int] = None
    series_uid: Optional[str] = None
    instance_uid: Optional[str] = None
    image_set_id: Optional[str] = None
    study_uid: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        """The archive's frame entry (what :func:`frame_entry` builds); also the
        "frame mapping" form :func:`htj2k.verify` accepts (min/max checked too)."""
        return frame_entry(
            self.frame_id,
            self.checksums,
            min_value=self.min_pixel_value,
            max_value=self.max_pixel_value,
            frame_size=self.frame_size_in_bytes,
            sort=False,
        )

    @property
    def expected(self) -> List[Dict[str, int]]:
        """The checksum list as ``[{"Width", "Height", "Checksum"}, ...]``."""
        return [c.as_archive_dict() for c in self.checksums]


# --------------------------------------------------------------------------- reading


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _read_source(source: Any) -> Tuple[bytes, str]:
    """(raw bytes, a name for messages)."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        try:
            with open(name, "rb") as f:
                return f.read(), name
        except IsADirectoryError:
            raise MetadataError(f"{name}: is a directory, not a metadata file") from None
        except OSError as e:
            raise MetadataError(f"{name}: cannot read metadata: {_one_line(e.strerror or e)}") from None
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "metadata"
    if isinstance(source, memoryview):
        return source.tobytes(), "metadata"
    if hasattr(source, "read"):
        name = str(getattr(source, "name", "metadata"))
        try:
            data = source.read()
        except OSError as e:
            raise MetadataError(f"{name}: cannot read metadata: {_one_line(e)}") from None
        if isinstance(data, str):
            data = data.encode("utf-8")
        return bytes(data), name
    raise TypeError(
        "metadata: expected a path, bytes, a file object or parsed JSON (dict/list), "
        f"got {type(source).__name__}"
    )


def _decompress(data: bytes, name: str) -> bytes:
    """Gunzip when the bytes start with the gzip magic (whatever the file is called)."""
    if not data.startswith(_GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise MetadataError(f"{name}: corrupt or truncated gzip data: {_one_line(e)}") from None


def _parse_documents(text: str, name: str) -> List[Any]:
    """One JSON document, or several (JSON lines, or concatenated fragments)."""
    decoder = json.JSONDecoder()
    docs: List[Any] = []
    pos, n = 0, len(text)
    ws = " \t\r\n"
    while True:
        while pos < n and text[pos] in ws:
            pos += 1
        if pos >= n:
            break
        try:
            doc, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise MetadataError(
                f"{name}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
            ) from None
        except RecursionError:
            raise MetadataError(f"{name}: invalid JSON: nested too deeply") from None
        docs.append(doc)
    if not docs:
        raise MetadataError(f"{name}: empty metadata (no JSON document)")
    return docs


def _lower_keys(d: Mapping[str, Any]) -> Dict[str, str]:
    """lower-case key -> actual key (first spelling wins)."""
    out: Dict[str, str] = {}
    for k in d:
        if isinstance(k, str):
            out.setdefault(k.lower(), k)
    return out


def _get(d: Mapping[str, Any], *names: str) -> Any:
    """Value of the first of ``names`` present (case-insensitive), else None."""
    lk = _lower_keys(d)
    for n in names:
        k = lk.get(n.lower())
        if k is not None:
            return d[k]
    return None


def _as_uid(v: Any) -> Optional[str]:
    if isinstance(v, str) and v.strip():
        return v.strip()
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return str(v)
    return None


def _as_int(v: Any, what: str, where: str, *, allow_none: bool = True) -> Optional[int]:
    if v is None and allow_none:
        return None
    if isinstance(v, bool):
        raise MetadataError(f"{where}: {what} is {json.dumps(v)}, expected an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip(), 0) if v.strip().lower().startswith("0x") else int(v.strip())
        except ValueError:
            pass
    raise MetadataError(f"{where}: {what} is {_one_line(json.dumps(v, default=str))[:60]}, expected an integer")


def _parse_checksums(value: Any, where: str) -> Tuple[LevelChecksum, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise MetadataError(f"{where}: checksum list is a {type(value).__name__}, expected a list")
    out = []
    for i, e in enumerate(value):
        w = f"{where} checksum [{i}]"
        if isinstance(e, LevelChecksum):
            out.append(LevelChecksum(None, e.width, e.height, e.checksum & 0xFFFFFFFF))
            continue
        if not isinstance(e, Mapping):
            raise MetadataError(f"{w}: expected an object with Width, Height, Checksum")
        width = _as_int(_get(e, "Width"), "Width", w, allow_none=False)
        height = _as_int(_get(e, "Height"), "Height", w, allow_none=False)
        crc = _as_int(_get(e, "Checksum"), "Checksum", w, allow_none=False)
        if width <= 0 or height <= 0:
            raise MetadataError(f"{w}: size {width}x{height} is not positive")
        if not -(1 << 31) <= crc < (1 << 32):
            raise MetadataError(f"{w}: Checksum {crc} is not a 32-bit value")
        out.append(LevelChecksum(None, width, height, crc & 0xFFFFFFFF))
    return tuple(out)


def _frame_record(entry: Any, ctx: Dict[str, Optional[str]], where: str, key_id: Optional[str]) -> FrameRecord:
    if not isinstance(entry, Mapping):
        raise MetadataError(f"{where}: an ImageFrames entry is a {type(entry).__name__}, expected an object")
    frame_id = _as_uid(_get(entry, "ID", "ImageFrameID", "ImageFrameId")) or key_id
    if frame_id is None:
        raise MetadataError(f"{where}: ImageFrames entry without an ID")
    here = f"{where} (frame {frame_id})"
    lk = _lower_keys(entry)
    checks: Tuple[LevelChecksum, ...] = ()
    for key in CHECKSUM_KEYS:
        k = lk.get(key.lower())
        if k is not None:
            checks = _parse_checksums(entry[k], here)
            break
    return FrameRecord(
        frame_id=frame_id,
        checksums=checks,
        min_pixel_value=_as_int(_get(entry, "MinPixelValue"), "MinPixelValue", here),
        max_pixel_value=_as_int(_get(entry, "MaxPixelValue"), "MaxPixelValue", here),
        frame_size_in_bytes=_as_int(_get(entry, "FrameSizeInBytes"), "FrameSizeInBytes", here),
        series_uid=ctx.get("series"),
        instance_uid=ctx.get("instance"),
        image_set_id=ctx.get("image_set"),
        study_uid=ctx.get("study"),
    )


def _frame_entries(value: Any, where: str) -> Iterator[Tuple[Optional[str], Any]]:
    """(key used as ID fallback, entry) for each frame of an ``ImageFrames`` value."""
    if isinstance(value, list):
        for e in value:
            yield None, e
    elif isinstance(value, Mapping):
        lk = _lower_keys(value)
        if "id" in lk or any(k.lower() in lk for k in CHECKSUM_KEYS):
            yield None, value  # a single entry
        else:
            for k, e in value.items():  # keyed by frame ID
                yield (k if isinstance(k, str) else None), e
    elif value is not None:
        raise MetadataError(f"{where}: ImageFrames is a {type(value).__name__}, expected a list")


#: (context role, lower-case field) read from an object or its DICOM block
_UID_FIELDS = (
    ("image_set", "imagesetid"),
    ("study", "studyinstanceuid"),
    ("series", "seriesinstanceuid"),
    ("instance", "sopinstanceuid"),
)

#: keys whose dict value is keyed by UIDs of that role ("Study" holds one study, not a dict of them)
_CONTAINERS = {"series": "series", "instances": "instance", "studies": "study"}


_STRUCTURAL_KEYS = frozenset(
    {"dicom", "instances", "imageframes", "series", "seriesinstanceuid", "sopinstanceuid", "studyinstanceuid"}
)


def _is_object(d: Mapping[str, Any]) -> bool:
    """A series/instance object itself rather than a dict keyed by UID."""
    return any(isinstance(k, str) and k.lower() in _STRUCTURAL_KEYS for k in d)


def _walk(doc: Any, name: str) -> List[FrameRecord]:
    """Collect every ImageFrames entry under ``doc`` (iterative, depth-first, in order)."""
    records: List[FrameRecord] = []
    # stack of (node, context, path, role-of-keys-if-node-is-a-uid-keyed-container)
    stack: List[Tuple[Any, Dict[str, Optional[str]], str, Optional[str]]] = [(doc, {}, "$", None)]
    while stack:
        node, ctx, path, key_role = stack.pop()
        if isinstance(node, Mapping):
            ctx = dict(ctx)
            lk = _lower_keys(node)
            dicom = node[lk["dicom"]] if "dicom" in lk else None
            dlk = _lower_keys(dicom) if isinstance(dicom, Mapping) else {}
            for role, field in _UID_FIELDS:
                v = _as_uid(node[lk[field]]) if field in lk else None
                if v is None and field in dlk:
                    v = _as_uid(dicom[dlk[field]])
                if v is not None:
                    ctx[role] = v
            children = []
            for k, v in node.items():
                kl = k.lower() if isinstance(k, str) else ""
                child_path = f"{path}.{k}"
                if kl == "imageframes":
                    where = f"{name}: {child_path}"
                    for key_id, entry in _frame_entries(v, where):
                        records.append(_frame_record(entry, ctx, where, key_id))
                    continue
                if not isinstance(v, (Mapping, list)):
                    continue
                child_ctx = ctx
                if key_role is not None and isinstance(k, str):
                    child_ctx = dict(ctx)
                    child_ctx[key_role] = k
                role = _CONTAINERS.get(kl)
                # a container's dict children are keyed by UID -- unless the dict is
                # itself one series/instance object; a list holds objects carrying
                # their UID fields (read when they are visited)
                if role is not None and (not isinstance(v, Mapping) or _is_object(v)):
                    role = None
                children.append((v, child_ctx, child_path, role))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(
                reversed([(v, ctx, f"{path}[{i}]", None) for i, v in enumerate(node) if isinstance(v, (Mapping, list))])
            )
    return records


def parse_metadata(documents: Any, name: str = "metadata") -> List[FrameRecord]:
    """Frame records of already-parsed JSON (one document, or a list of fragments)."""
    return _walk(documents, name)


def load_metadata(source: Any) -> List[FrameRecord]:
    """Every ``ImageFrames`` entry of image-set metadata or an import-job manifest.

    Args:
        source: a path; the file's bytes (gzipped or not: detected from the
            magic bytes, whatever the name); a binary file object; or parsed JSON
            (a dict/list, e.g. what :func:`build_metadata` returns).

    The text may be one JSON document, JSON lines, or concatenated JSON
    fragments. Frames are returned in document order; an entry's
    ``series_uid``/``instance_uid`` come from the ``Series``/``Instances`` keys
    along its path or from ``SeriesInstanceUID``/``SOPInstanceUID`` fields.
    A document without any ``ImageFrames`` gives ``[]``.

    Raises:
        MetadataError: unreadable file, corrupt gzip, invalid UTF-8 or JSON, or a
            malformed frame entry (no ID, checksum entries without integer
            Width/Height/Checksum, non-integer min/max).
    """
    if isinstance(source, (Mapping, list)):
        return parse_metadata(source)
    data, name = _read_source(source)
    data = _decompress(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise MetadataError(f"{name}: not UTF-8 text (byte {e.start}): not JSON metadata") from None
    docs = _parse_documents(text, name)
    return parse_metadata(docs[0] if len(docs) == 1 else docs, name)


# --------------------------------------------------------------------------- writing


def uid_from_name(name: str) -> str:
    """A DICOM UID (``2.25.<integer>``) derived deterministically from ``name``."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()[:16]
    return "2.25." + str(int.from_bytes(digest, "big"))


def _entry_tuple(c: Any) -> Tuple[int, int, int]:
    if isinstance(c, LevelChecksum):
        return int(c.width), int(c.height), int(c.checksum) & 0xFFFFFFFF
    if isinstance(c, Mapping):
        try:
            return int(c["Width"]), int(c["Height"]), int(c["Checksum"]) & 0xFFFFFFFF
        except (KeyError, TypeError, ValueError, OverflowError):
            raise ValueError(f"checksums: entry {c!r} lacks integer Width/Height/Checksum") from None
    try:
        w, h, crc = c
        return int(w), int(h), int(crc) & 0xFFFFFFFF
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"checksums: entry {c!r} is not a LevelChecksum, a {{Width, Height, Checksum}} mapping "
            "or a (width, height, checksum) tuple"
        ) from None


def frame_entry(
    frame_id: str,
    checksums: Iterable[Any],
    min_value: Optional[int] = None,
    max_value: Optional[int] = None,
    frame_size: Optional[int] = None,
    *,
    sort: bool = True,
) -> Dict[str, Any]:
    """One ``ImageFrames`` entry as the archive writes it.

    Args:
        frame_id: the frame's ``ID`` (name your frame files ``<ID>.jph``).
        checksums: :class:`htj2k.LevelChecksum` results (``htj2k.checksums`` /
            ``htj2k.pixel_checksums``), ``{"Width", "Height", "Checksum"}``
            mappings or ``(width, height, checksum)`` tuples.
        min_value, max_value: ``MinPixelValue``/``MaxPixelValue`` (omitted when None).
        frame_size: ``FrameSizeInBytes`` (omitted when None).
        sort: order the list from the base (smallest) to full resolution.
    """
    if not isinstance(frame_id, str) or not frame_id:
        raise ValueError(f"frame_id: expected a non-empty string, got {frame_id!r}")
    rows = [_entry_tuple(c) for c in checksums]
    if sort:
        rows = sorted(rows, key=lambda t: (t[0] * t[1], t[0], t[1]))
    entry: Dict[str, Any] = {
        "ID": frame_id,
        "PixelDataChecksumFromBaseToFullResolution": [
            {"Width": w, "Height": h, "Checksum": crc} for w, h, crc in rows
        ],
    }
    if min_value is not None:
        entry["MinPixelValue"] = int(min_value)
    if max_value is not None:
        entry["MaxPixelValue"] = int(max_value)
    if frame_size is not None:
        entry["FrameSizeInBytes"] = int(frame_size)
    return entry


def build_metadata(
    frames: Iterable[Any],
    *,
    image_set_id: Optional[str] = None,
    study_uid: Optional[str] = None,
    series_uid: Optional[str] = None,
    instance_uid: Optional[str] = None,
    datastore_id: Optional[str] = None,
    schema_version: str = "1.1",
) -> Dict[str, Any]:
    """Image-set metadata for ``frames``, nested as the archive does:
    ``Study -> Series -> {uid} -> Instances -> {uid} -> ImageFrames``.

    Args:
        frames: :class:`FrameRecord` objects (their own series/instance/study
            UIDs and image-set ID are kept) or frame-entry dicts from
            :func:`frame_entry`.
        image_set_id: ``ImageSetID`` (default: the records' common one, if any).
        study_uid: ``StudyInstanceUID`` (default: the records' common one, if any).
        series_uid: series of frames that do not name one (default: one series
            with a UID derived from the frame IDs).
        instance_uid: instance of frames that do not name one (default: one
            instance per frame, with a UID derived from its ID).

    ``load_metadata(build_metadata(records))`` gives back ``records`` (in series
    and instance order) when they carry their UIDs; frames without them get the
    defaults above.

    Raises:
        ValueError: records from several image sets or studies, duplicate frame IDs
            or malformed entries.
    """
    items: List[Tuple[Dict[str, Any], Optional[str], Optional[str], Optional[str], Optional[str]]] = []
    for f in frames:
        if isinstance(f, FrameRecord):
            items.append((f.as_dict(), f.series_uid, f.instance_uid, f.image_set_id, f.study_uid))
        elif isinstance(f, Mapping):
            recs = parse_metadata({"ImageFrames": [f]}, "frames")
            items.append((recs[0].as_dict(), None, None, None, None))
        else:
            raise TypeError(f"frames: expected FrameRecord objects or frame-entry dicts, got {type(f).__name__}")
    seen = set()
    for e, *_ in items:
        if e["ID"] in seen:
            raise ValueError(f"frames: duplicate frame ID {e['ID']!r}")
        seen.add(e["ID"])

    def common(values: Iterable[Optional[str]], what: str) -> Optional[str]:
        vs = {v for v in values if v is not None}
        if len(vs) > 1:
            raise ValueError(f"frames: records from several {what}s ({', '.join(sorted(vs))}); build one metadata per {what}")
        return vs.pop() if vs else None

    if image_set_id is None:
        image_set_id = common((i[3] for i in items), "image set")
    if study_uid is None:
        study_uid = common((i[4] for i in items), "study")
    default_series = series_uid or uid_from_name("series:" + "\n".join(e["ID"] for e, *_ in items))

    series: Dict[str, Any] = {}
    for entry, s_uid, i_uid, _, _ in items:
        s_uid = s_uid or default_series
        i_uid = i_uid or instance_uid or uid_from_name("instance:" + entry["ID"])
        s = series.setdefault(s_uid, {"DICOM": {"SeriesInstanceUID": s_uid}, "Instances": {}})
        inst = s["Instances"].setdefault(i_uid, {"DICOM": {"SOPInstanceUID": i_uid}, "ImageFrames": []})
        inst["ImageFrames"].append(entry)

    doc: Dict[str, Any] = {"SchemaVersion": schema_version}
    if datastore_id is not None:
        doc["DatastoreID"] = datastore_id
    if image_set_id is not None:
        doc["ImageSetID"] = image_set_id
    study: Dict[str, Any] = {"DICOM": {}}
    if study_uid is not None:
        study["DICOM"]["StudyInstanceUID"] = study_uid
    study["Series"] = series
    doc["Study"] = study
    return doc


def dump_metadata(doc: Any, path: Union[str, "os.PathLike[str]"], *, gzipped: Optional[bool] = None) -> None:
    """Write metadata JSON to ``path``; gzipped when ``gzipped`` (default: the
    name ends in ``.gz``)."""
    text = json.dumps(doc, indent=2) + "\n"
    data = text.encode("utf-8")
    name = os.fspath(path)
    if gzipped is None:
        gzipped = name.lower().endswith(".gz")
    if gzipped:
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
            g.write(data)
        data = buf.getvalue()
    with open(name, "wb") as f:
        f.write(data)
