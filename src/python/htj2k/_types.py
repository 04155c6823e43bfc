"""Result types of the htj2k API (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

__all__ = ["ComponentInfo", "CodestreamInfo", "LevelChecksum", "EncodedFrame", "DecodedFrame"]


@dataclass(frozen=True)
class ComponentInfo:
    """One image component as declared in SIZ."""

    bit_depth: int
    signed: bool
    subsampling: Tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class CodestreamInfo:
    """What a codestream's headers declare (no pixels are decoded to get it).

    Sizes are ``(width, height)`` pairs. ``level_sizes`` runs from the base
    (all decomposition levels discarded) to full resolution, for component 0.
    ``precincts`` runs from the highest resolution down, as :func:`htj2k.encode`
    takes them; empty when the codestream uses maximal precincts.
    """

    container: str
    width: int
    height: int
    offset: Tuple[int, int]
    components: Tuple[ComponentInfo, ...]
    levels: int
    reversible: bool
    colour_transform: bool
    progression: str
    block_size: Tuple[int, int]
    precincts: Tuple[Tuple[int, int], ...]
    tile_size: Tuple[int, int]
    tile_offset: Tuple[int, int]
    tiles: Tuple[int, int]
    layers: int
    quantization: str
    ht: bool
    has_cap: bool
    has_tlm: bool
    has_plt: bool
    has_plm: bool
    tile_parts: int
    level_sizes: Tuple[Tuple[int, int], ...]
    codestream_length: int
    dtype: Optional[str]
    features: Tuple[str, ...] = ()
    comments: Tuple[str, ...] = ()
    supported: bool = True
    unsupported_reason: Optional[str] = None
    #: Which library ``htj2k.decode(data, decoder="auto")`` uses at full resolution:
    #: ``"openjph"`` or ``"openjpeg"``; ``None`` when not supported (or not known).
    decoder: Optional[str] = None
    #: True when the data ends before the codestream does (the first bytes of a
    #: frame): :func:`htj2k.decode` decodes the levels it holds.
    truncated: bool = False
    #: Base first, as ``level_sizes``: for each resolution level, how many leading
    #: bytes of the data (boxes included) hold everything decoding it needs, the
    #: offset an HTTP range request for that level ends at; ``None`` where not
    #: known (a prefix without TLM that ends before the level, or a codestream the
    #: packet walk does not read: several quality layers, POC, PPM/PPT).
    level_ranges: Tuple[Optional[int], ...] = ()
    #: The finest level (resolution levels discarded) the data holds: 0 for a
    #: whole frame, ``None`` when a prefix holds none.
    best_level: Optional[int] = 0
    #: How many resolution levels, from the base up, the data holds.
    complete_levels: int = 0

    @property
    def num_components(self) -> int:
        """Number of components (1 grey, 3 colour, ...)."""
        return len(self.components)

    @property
    def shape(self) -> Tuple[int, ...]:
        """Shape of the array :func:`htj2k.decode` returns at full resolution."""
        if self.num_components == 1:
            return (self.height, self.width)
        return (self.height, self.width, self.num_components)

    @property
    def bit_depth(self) -> int:
        """Largest component bit depth."""
        return max(c.bit_depth for c in self.components)

    @property
    def signed(self) -> bool:
        """True when component 0 is signed."""
        return self.components[0].signed

    def as_dict(self) -> dict:
        """Plain-JSON form (lists for tuples)."""
        return asdict(self)


@dataclass(frozen=True)
class LevelChecksum:
    """CRC-32 of one resolution level, in the archive's ``{Width, Height, Checksum}`` form.

    ``level`` is the number of resolution levels discarded (0 = full resolution),
    or ``None`` for an entry read from archive metadata, whose lists say only the
    size (entries are matched to levels by size)."""

    level: Optional[int]
    width: int
    height: int
    checksum: int

    def as_archive_dict(self) -> dict:
        """``{"Width": w, "Height": h, "Checksum": c}`` as the archive lists it."""
        return {"Width": self.width, "Height": self.height, "Checksum": self.checksum}


def checksum_list(rows: Sequence[Tuple[int, int, int, int]]) -> List[LevelChecksum]:
    """LevelChecksums of the C++ core's ``(level, width, height, crc)`` rows, in their order.
    Built without the frozen dataclass's ``__init__`` (which sets each field through
    ``object.__setattr__``): 2 us instead of 4 for six levels, a tenth of what asking
    ``encode`` for the checksums of a small frame costs."""
    out = []
    for r, w, h, c in rows:
        item = _new(LevelChecksum)
        item.__dict__.update(level=r, width=w, height=h, checksum=c)
        out.append(item)
    return out


_new = object.__new__


class EncodedFrame(NamedTuple):
    """What ``encode(..., checksums=True)`` returns: the encoded bytes and the checksums
    of every resolution level of what they decode to, base first (as
    :func:`htj2k.checksums` of ``data`` gives them). Unpacks as ``data, sums = ...``."""

    data: bytes
    checksums: List[LevelChecksum]


class DecodedFrame(NamedTuple):
    """What ``decode(..., checksums=True)`` returns: the full-resolution pixels and the
    checksums of every resolution level, base first (as :func:`htj2k.checksums` gives
    them). Unpacks as ``pixels, sums = ...``."""

    pixels: Any  # numpy.ndarray
    checksums: List[LevelChecksum]


_DEFAULTS: Dict[type, Tuple[Dict[str, Any], frozenset]] = {}


def build_record(cls: type, **values: Any) -> Any:
    """An instance of the frozen dataclass ``cls`` from ``values`` (a field left out takes
    its default), built in one step: the generated ``__init__`` of a frozen dataclass sets
    each field through ``object.__setattr__`` -- 4 us for CodestreamInfo's 34 fields, a
    fifth of ``info()``. Unknown or missing fields raise TypeError as ``__init__`` would."""
    known = _DEFAULTS.get(cls)
    if known is None:
        every = {f.name: f.default for f in fields(cls)}
        known = _DEFAULTS[cls] = (
            {k: v for k, v in every.items() if v is not MISSING},
            frozenset(k for k, v in every.items() if v is MISSING),
        )
    defaults, required = known
    names = values.keys()
    if not required <= names or not names <= defaults.keys() | required:
        raise TypeError(f"{cls.__name__}: missing fields {sorted(required - names)}, "
                        f"unknown fields {sorted(names - defaults.keys() - required)}")
    record = object.__new__(cls)
    record.__dict__.update(defaults)
    record.__dict__.update(values)
    return record
