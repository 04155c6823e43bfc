"""htj2k.archive: reading image-set metadata / import-job manifests (plain, gzipped,
JSON lines, any nesting) and writing the same structure (frame_entry, build_metadata)."""

from __future__ import annotations

import copy
import gzip
import json
import re

import numpy as np
import pytest

from htj2k import LevelChecksum
from hypothesis import given
from hypothesis import strategies as st

import htj2k
from htj2k.archive import (
    FrameRecord,
    MetadataError,
    build_metadata,
    dump_metadata,
    frame_entry,
    load_metadata,
    uid_from_name,
)

SERIES = "1.2.840.113619.2.30.1.1762295590.1623.978668949.887"
INSTANCE = "1.2.840.113619.2.30.1.1762295590.1623.978668949.888"
IMAGESET_EXAMPLE = "imageset-metadata-example.json"
MANIFEST_EXAMPLE = "job-output-manifest-fragment-example.json"


@pytest.fixture
def examples(shared_dir):
    d = shared_dir / "data" / "healthimaging"
    for name in (IMAGESET_EXAMPLE, MANIFEST_EXAMPLE):
        if not (d / name).is_file():
            pytest.fail(f"{d / name} missing from the shared folder")
    return d


def _frame(fid="f", checks=((2, 2, 1), (4, 3, 2)), **extra):
    e = {
        "ID": fid,
        "PixelDataChecksumFromBaseToFullResolution": [
            {"Width": w, "Height": h, "Checksum": c} for w, h, c in checks
        ],
    }
    e.update(extra)
    return e


# --------------------------------------------------------------------------- the shared examples


def test_imageset_example(examples):
    records = load_metadata(examples / IMAGESET_EXAMPLE)
    assert records == [
        FrameRecord(
            frame_id="0d1c97c51b773198a3df44383a5fd306",
            checksums=(LevelChecksum(None, 256, 188, 2598394845), LevelChecksum(None, 512, 375, 1227709180)),
            min_pixel_value=451,
            max_pixel_value=1466,
            frame_size_in_bytes=384000,
            series_uid=SERIES,
            instance_uid=INSTANCE,
            image_set_id="46923b66d5522e4241615ecd64637584",
        )
    ]
    r = records[0]
    # LevelChecksum entries; the archive's lists do not say the level
    c = r.checksums[0]
    assert (c.level, c.width, c.height, c.checksum) == (None, 256, 188, 2598394845)
    assert r.expected == [
        {"Width": 256, "Height": 188, "Checksum": 2598394845},
        {"Width": 512, "Height": 375, "Checksum": 1227709180},
    ]


def test_manifest_fragment_example(examples):
    records = load_metadata(examples / MANIFEST_EXAMPLE)
    assert len(records) == 1
    r = records[0]
    assert r.frame_id == "67890678906789012345123451234512"
    assert [(c.width, c.height, c.checksum) for c in r.checksums] == [
        (128, 128, 2928338830),
        (256, 256, 1362274918),
        (512, 512, 2510355201),
    ]
    assert (r.min_pixel_value, r.max_pixel_value, r.frame_size_in_bytes) == (None, None, None)
    assert (r.series_uid, r.instance_uid, r.image_set_id) == (None, None, None)


def test_examples_as_bytes_file_object_and_parsed_json(examples):
    path = examples / IMAGESET_EXAMPLE
    want = load_metadata(path)
    raw = path.read_bytes()
    assert load_metadata(raw) == want
    assert load_metadata(bytearray(raw)) == want
    assert load_metadata(memoryview(raw)) == want
    assert load_metadata(str(path)) == want
    with open(path, "rb") as f:
        assert load_metadata(f) == want
    assert load_metadata(json.loads(raw)) == want


# --------------------------------------------------------------------------- gzip and JSON lines


def test_gzip_detected_by_magic_not_name(examples, tmp_path):
    raw = (examples / IMAGESET_EXAMPLE).read_bytes()
    want = load_metadata(raw)
    gz = gzip.compress(raw)
    assert load_metadata(gz) == want
    p = tmp_path / "metadata.json"  # gzipped, but named .json
    p.write_bytes(gz)
    assert load_metadata(p) == want
    q = tmp_path / "metadata.json.gz"  # plain, but named .gz
    q.write_bytes(raw)
    assert load_metadata(q) == want
    # several gzip members (as `cat a.gz b.gz` makes) are one stream
    lines = (examples / MANIFEST_EXAMPLE).read_bytes()
    both = load_metadata(gzip.compress(raw) + gzip.compress(lines))
    assert [r.frame_id for r in both] == [want[0].frame_id, "67890678906789012345123451234512"]


def test_json_lines_and_concatenated_fragments(examples):
    a = json.loads((examples / IMAGESET_EXAMPLE).read_text())
    b = json.loads((examples / MANIFEST_EXAMPLE).read_text())
    ids = ["0d1c97c51b773198a3df44383a5fd306", "67890678906789012345123451234512"]
    jsonl = (json.dumps(a) + "\n" + json.dumps(b) + "\n\n").encode()
    assert [r.frame_id for r in load_metadata(jsonl)] == ids
    pretty = (json.dumps(a, indent=2) + json.dumps(b, indent=4)).encode()  # no separator at all
    assert [r.frame_id for r in load_metadata(pretty)] == ids
    crlf = (json.dumps(a) + "\r\n" + json.dumps(b)).encode()
    assert [r.frame_id for r in load_metadata(crlf)] == ids
    # UIDs stay with their own fragment
    recs = load_metadata(jsonl)
    assert recs[0].series_uid == SERIES and recs[1].series_uid is None
    # a UTF-8 byte order mark is fine
    assert [r.frame_id for r in load_metadata(b"\xef\xbb\xbf" + jsonl)] == ids


# --------------------------------------------------------------------------- nesting variations


def test_series_and_instances_as_lists_with_uid_fields():
    doc = {
        "ImageSetID": "set1",
        "Study": {
            "DICOM": {"StudyInstanceUID": "1.2.3"},
            "Series": [
                {
                    "DICOM": {"SeriesInstanceUID": "1.2.3.4"},
                    "Instances": [
                        {"SOPInstanceUID": "1.2.3.4.5", "ImageFrames": [_frame("a")]},
                        {"DICOM": {"SOPInstanceUID": "1.2.3.4.6"}, "ImageFrames": [_frame("b"), _frame("c")]},
                    ],
                },
                {"SeriesInstanceUID": "1.2.3.7", "ImageFrames": [_frame("d")]},  # no instance level
            ],
        },
    }
    recs = load_metadata(doc)
    got = [(r.frame_id, r.series_uid, r.instance_uid, r.image_set_id, r.study_uid) for r in recs]
    assert got == [
        ("a", "1.2.3.4", "1.2.3.4.5", "set1", "1.2.3"),
        ("b", "1.2.3.4", "1.2.3.4.6", "set1", "1.2.3"),
        ("c", "1.2.3.4", "1.2.3.4.6", "set1", "1.2.3"),
        ("d", "1.2.3.7", None, "set1", "1.2.3"),
    ]


def test_missing_levels_and_deep_wrappers():
    # Series at the top (no Study), frames wrapped by arbitrary objects and lists
    doc = {
        "jobSummary": {"status": "done"},
        "results": [
            {
                "importResponse": {
                    "imageSetId": "set9",
                    "metadata": {"Series": {"9.8": {"Instances": {"9.8.7": {"ImageFrames": [_frame("x")]}}}}},
                }
            },
            [[{"ImageFrames": [_frame("y")]}]],
        ],
    }
    recs = load_metadata(doc)
    assert [(r.frame_id, r.series_uid, r.instance_uid, r.image_set_id) for r in recs] == [
        ("x", "9.8", "9.8.7", "set9"),
        ("y", None, None, None),
    ]


def test_uid_fields_take_precedence_over_keys_and_context_does_not_leak():
    doc = {
        "Study": {
            "Series": {
                "key-series": {
                    "DICOM": {"SeriesInstanceUID": "field-series"},
                    "Instances": {"key-inst": {"ImageFrames": [_frame("a")]}},
                },
                "s2": {"ImageFrames": [_frame("b")]},
            }
        }
    }
    recs = load_metadata(doc)
    assert [(r.frame_id, r.series_uid, r.instance_uid) for r in recs] == [
        ("a", "field-series", "key-inst"),
        ("b", "s2", None),
    ]


def test_single_series_and_instance_objects_not_keyed_by_uid():
    doc = {
        "Series": {
            "SeriesInstanceUID": "7.7",
            "Instances": {"DICOM": {"SOPInstanceUID": "7.7.1"}, "ImageFrames": [_frame("a")]},
        }
    }
    (r,) = load_metadata(doc)
    assert (r.series_uid, r.instance_uid) == ("7.7", "7.7.1")


def test_image_frames_as_dict_keyed_by_id_or_single_entry():
    entry = _frame("ignored")
    del entry["ID"]
    recs = load_metadata({"ImageFrames": {"frame-1": entry, "frame-2": _frame("frame-2-own-id")}})
    assert [r.frame_id for r in recs] == ["frame-1", "frame-2-own-id"]
    recs = load_metadata({"ImageFrames": _frame("solo")})
    assert [r.frame_id for r in recs] == ["solo"]


def test_checksum_spellings_and_value_forms():
    doc = {
        "ImageFrames": [
            {
                "ID": "a",
                "ImageDataChecksumFromBaseToFullResolution": [
                    {"Width": 1, "Height": 1, "Checksum": -1},  # signed 32-bit form
                    {"Width": "2", "Height": 2.0, "Checksum": "4294967295"},
                ],
                "MinPixelValue": -5,
                "MaxPixelValue": "70",
                "FrameSizeInBytes": 8.0,
            },
            {"ID": "b"},  # no checksums at all
            {"id": "c", "pixeldatachecksumfrombasetofullresolution": [], "minpixelvalue": None},
        ]
    }
    a, b, c = load_metadata(doc)
    assert a.checksums == (LevelChecksum(None, 1, 1, 0xFFFFFFFF), LevelChecksum(None, 2, 2, 0xFFFFFFFF))
    assert (a.min_pixel_value, a.max_pixel_value, a.frame_size_in_bytes) == (-5, 70, 8)
    assert b.checksums == () and b.min_pixel_value is None
    assert c.frame_id == "c" and c.checksums == ()


def test_documents_without_frames():
    assert load_metadata(b'{"SchemaVersion": "1.1", "Study": {}}') == []
    assert load_metadata(b"[]") == []
    assert load_metadata(b"42") == []


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "data, pattern",
    [
        (b'{"ImageFrames": [', r"invalid JSON at line 1 column"),
        (b'{"a": 1}\n{"b": }', r"invalid JSON at line 2 column"),
        (b"{'single': 'quotes'}", r"invalid JSON"),
        (b"", r"empty metadata"),
        (b"   \n\t", r"empty metadata"),
        (b"\xff\xfe{\x00", r"not UTF-8"),
        (gzip.compress(b'{"ImageFrames": []}')[:-6], r"gzip"),
        (b"\x1f\x8bnot really gzip", r"gzip"),
        (b'{"ImageFrames": [{"PixelDataChecksumFromBaseToFullResolution": []}]}', r"without an ID"),
        (b'{"ImageFrames": [{"ID": "a", "PixelDataChecksumFromBaseToFullResolution": [{"Width": 1}]}]}', r"frame a.*Height"),
        (b'{"ImageFrames": [{"ID": "a", "PixelDataChecksumFromBaseToFullResolution": [{"Width": 1, "Height": 1, "Checksum": "x"}]}]}', r"Checksum"),
        (b'{"ImageFrames": [{"ID": "a", "PixelDataChecksumFromBaseToFullResolution": [{"Width": 0, "Height": 1, "Checksum": 1}]}]}', r"not positive"),
        (b'{"ImageFrames": [{"ID": "a", "PixelDataChecksumFromBaseToFullResolution": [{"Width": 1, "Height": 1, "Checksum": 8589934592}]}]}', r"32-bit"),
        (b'{"ImageFrames": [{"ID": "a", "PixelDataChecksumFromBaseToFullResolution": {"Width": 1}}]}', r"expected a list"),
        (b'{"ImageFrames": [{"ID": "a", "MinPixelValue": true}]}', r"MinPixelValue"),
        (b'{"ImageFrames": [{"ID": "a", "MaxPixelValue": [1]}]}', r"MaxPixelValue"),
        (b'{"ImageFrames": ["a"]}', r"expected an object"),
        (b'{"ImageFrames": 3}', r"expected a list"),
    ],
)
def test_malformed_metadata(data, pattern):
    with pytest.raises(MetadataError, match=pattern) as ei:
        load_metadata(data)
    msg = str(ei.value)
    assert "\n" not in msg and msg
    assert isinstance(ei.value, htj2k.Htj2kError)


def test_unreadable_paths(tmp_path):
    with pytest.raises(MetadataError, match="cannot read metadata.*No such file") as ei:
        load_metadata(tmp_path / "nope.json")
    assert str(tmp_path / "nope.json") in str(ei.value)
    with pytest.raises(MetadataError, match="is a directory"):
        load_metadata(tmp_path)
    p = tmp_path / "bad.json"
    p.write_text('{"ImageFrames": [}')
    with pytest.raises(MetadataError, match=re.escape(str(p)) + ": invalid JSON at line 1 column 18"):
        load_metadata(p)
    with pytest.raises(TypeError):
        load_metadata(12)


def test_deeply_nested_json_is_an_error_not_a_crash():
    with pytest.raises(MetadataError):
        load_metadata(b"[" * 100000 + b"]" * 100000)


# --------------------------------------------------------------------------- writing


def test_frame_entry_forms():
    img = (np.arange(40 * 24, dtype=np.uint16).reshape(24, 40) * 37) % 4096
    data = htj2k.encode(img, bit_depth=12, levels=3)
    cs = htj2k.checksums(data)
    e = frame_entry("f1", cs, int(img.min()), int(img.max()), img.nbytes)
    assert e == {
        "ID": "f1",
        "PixelDataChecksumFromBaseToFullResolution": [c.as_archive_dict() for c in cs],
        "MinPixelValue": int(img.min()),
        "MaxPixelValue": int(img.max()),
        "FrameSizeInBytes": img.nbytes,
    }
    assert list(e) == ["ID", "PixelDataChecksumFromBaseToFullResolution", "MinPixelValue", "MaxPixelValue", "FrameSizeInBytes"]
    # other input forms, in any order: sorted base first
    tuples = [(c.width, c.height, c.checksum) for c in reversed(cs)]
    dicts = [c.as_archive_dict() for c in reversed(cs)]
    assert frame_entry("f1", tuples)["PixelDataChecksumFromBaseToFullResolution"] == e["PixelDataChecksumFromBaseToFullResolution"]
    assert frame_entry("f1", dicts)["PixelDataChecksumFromBaseToFullResolution"] == e["PixelDataChecksumFromBaseToFullResolution"]
    # optional fields are left out
    assert set(frame_entry("f1", cs)) == {"ID", "PixelDataChecksumFromBaseToFullResolution"}
    # the entry is what verify() takes as a frame mapping
    assert htj2k.verify(data, e).ok
    with pytest.raises(ValueError):
        frame_entry("", cs)
    with pytest.raises(ValueError):
        frame_entry("x", [(1, 2)])


def test_build_metadata_mirrors_the_archive_nesting(examples):
    example = json.loads((examples / IMAGESET_EXAMPLE).read_text())
    recs = load_metadata(example)
    doc = build_metadata(recs)
    assert doc["ImageSetID"] == example["ImageSetID"]
    inst = doc["Study"]["Series"][SERIES]["Instances"][INSTANCE]
    want = example["Study"]["Series"][SERIES]["Instances"][INSTANCE]["ImageFrames"]
    assert inst["ImageFrames"] == want
    assert load_metadata(doc) == recs
    assert load_metadata(json.dumps(doc).encode()) == recs


def test_round_trip_with_uids_several_series_and_instances():
    recs = [
        FrameRecord("a", (LevelChecksum(None, 2, 2, 5), LevelChecksum(None, 3, 3, 6)), 0, 9, 18, "1.1", "1.1.1", "set", "1"),
        FrameRecord("b", (LevelChecksum(None, 3, 3, 7),), None, None, None, "1.1", "1.1.1", "set", "1"),
        FrameRecord("c", (), -4, 4, None, "1.1", "1.1.2", "set", "1"),
        FrameRecord("d", (LevelChecksum(None, 1, 1, 0xFFFFFFFF),), None, 3, None, "1.2", "1.2.1", "set", "1"),
    ]
    doc = build_metadata(recs)
    assert set(doc["Study"]["Series"]) == {"1.1", "1.2"}
    assert set(doc["Study"]["Series"]["1.1"]["Instances"]) == {"1.1.1", "1.1.2"}
    assert doc["Study"]["DICOM"]["StudyInstanceUID"] == "1"
    assert load_metadata(doc) == recs
    assert load_metadata(gzip.compress(json.dumps(doc).encode())) == recs


def test_build_metadata_defaults_for_plain_entries():
    entries = [_frame("a"), _frame("b")]
    doc = build_metadata(entries, image_set_id="set1")
    recs = load_metadata(doc)
    assert [r.frame_id for r in recs] == ["a", "b"]
    assert all(r.image_set_id == "set1" for r in recs)
    # one series, one instance per frame; valid DICOM UIDs, stable across calls
    assert len({r.series_uid for r in recs}) == 1
    assert len({r.instance_uid for r in recs}) == 2
    for r in recs:
        for uid in (r.series_uid, r.instance_uid):
            assert re.fullmatch(r"[0-9]+(\.[0-9]+)*", uid) and len(uid) <= 64
    assert build_metadata(entries, image_set_id="set1") == doc
    assert recs[0].instance_uid == uid_from_name("instance:a")
    # explicit grouping
    recs = load_metadata(build_metadata(entries, series_uid="5.5", instance_uid="5.5.5"))
    assert [(r.series_uid, r.instance_uid) for r in recs] == [("5.5", "5.5.5")] * 2
    assert "ImageSetID" not in build_metadata(entries)


def test_build_metadata_errors():
    with pytest.raises(ValueError, match="duplicate frame ID"):
        build_metadata([_frame("a"), _frame("a")])
    recs = [FrameRecord("a", (), image_set_id="s1"), FrameRecord("b", (), image_set_id="s2")]
    with pytest.raises(ValueError, match="several image sets"):
        build_metadata(recs)
    assert len(load_metadata(build_metadata(recs, image_set_id="s3"))) == 2
    with pytest.raises(MetadataError):
        build_metadata([{"PixelDataChecksumFromBaseToFullResolution": []}])  # no ID
    with pytest.raises(TypeError):
        build_metadata(["a"])


def test_dump_metadata(tmp_path):
    recs = [FrameRecord("a", (LevelChecksum(None, 2, 2, 5),), 0, 1, 4, "1.1", "1.1.1", "set")]
    doc = build_metadata(recs)
    gz = tmp_path / "m.json.gz"
    dump_metadata(doc, gz)
    assert gz.read_bytes()[:2] == b"\x1f\x8b"
    assert load_metadata(gz) == recs
    plain = tmp_path / "m.json"
    dump_metadata(doc, plain)
    assert json.loads(plain.read_text()) == doc
    forced = tmp_path / "m2.json"
    dump_metadata(doc, forced, gzipped=True)
    assert load_metadata(forced) == recs


def test_record_as_dict_does_not_share_state():
    r = FrameRecord("a", (LevelChecksum(None, 2, 2, 5),), 1, 2, 3)
    d = r.as_dict()
    d2 = copy.deepcopy(d)
    d["PixelDataChecksumFromBaseToFullResolution"].clear()
    assert r.as_dict() == d2


uids = st.from_regex(r"[1-9][0-9]{0,3}(\.[0-9]{1,4}){1,4}", fullmatch=True)
checks = st.lists(
    st.builds(
        LevelChecksum,
        st.none(),
        st.integers(1, 1 << 16),
        st.integers(1, 1 << 16),
        st.integers(0, 0xFFFFFFFF),
    ),
    max_size=6,
).map(lambda cs: tuple(sorted(cs, key=lambda c: (c.width * c.height, c.width, c.height))))
maybe_int = st.none() | st.integers(-(1 << 31), (1 << 32) - 1)


@given(
    st.lists(
        st.tuples(checks, maybe_int, maybe_int, st.none() | st.integers(0, 1 << 40), uids, uids),
        min_size=1,
        max_size=8,
    ),
    st.none() | st.text("0123456789abcdef", min_size=32, max_size=32),
)
def test_round_trip_property(rows, image_set_id):
    # group by series then instance, as load_metadata reports them in document order
    recs = [
        FrameRecord(f"frame{i}", c, mn, mx, size, s, inst, image_set_id)
        for i, (c, mn, mx, size, s, inst) in enumerate(rows)
    ]
    order = {}
    for r in recs:
        order.setdefault(r.series_uid, {}).setdefault(r.instance_uid, []).append(r)
    expected = [r for insts in order.values() for rs in insts.values() for r in rs]
    assert load_metadata(build_metadata(recs)) == expected
    assert load_metadata(json.dumps(build_metadata(recs)).encode()) == expected
