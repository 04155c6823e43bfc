"""Archive metadata: the per-frame checksum records an imaging archive publishes
(``PixelDataChecksumFromBaseToFullResolution``), read and written as JSON."""

from .metadata import (
    FrameRecord,
    MetadataError,
    build_metadata,
    dump_metadata,
    frame_entry,
    load_metadata,
    parse_metadata,
    uid_from_name,
)

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
