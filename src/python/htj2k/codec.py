"""Encode, decode and inspect HTJ2K codestreams and JPH files."""

from __future__ import annotations

import functools
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._args import (
    BytesLike,
    as_buffer,
    check_decode_level,
    check_decode_checksums,
    check_decoder,
    check_layers,
    check_max_memory,
    check_max_pixels,
    encode_options,
)
from ._rules import DEFAULT_MAX_MEMORY, DEFAULT_MAX_PIXELS, MAX_SAMPLE_BIT_DEPTH, sample_dtype
from ._types import CodestreamInfo, ComponentInfo, DecodedFrame, EncodedFrame, build_record, checksum_list

__all__ = [
    "encode",
    "decode",
    "decode_planes",
    "info",
    "features",
    "openjph_version",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_MEMORY",
    "BytesLike",
]

def decode(
    data: Union[BytesLike, str, os.PathLike],
    level: Union[int, str] = 0,
    out: Optional[np.ndarray] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decoder: str = "auto",
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
    layers: Optional[int] = None,
    checksums: bool = False,
) -> Union[np.ndarray, DecodedFrame]:
    """Decode an HTJ2K codestream or JPH/JP2 file to a numpy array.

    Args:
        data: the codestream or file bytes (``bytes``, ``bytearray``, ``memoryview``,
            a uint8 array), a path to read, or a binary file-like object (read to the
            end: an open file, ``io.BytesIO``, boto3's ``StreamingBody``).
        level: resolution levels to discard (0 = full resolution); the result is
            ``ceil(W / 2**level)`` wide for an origin-0 image. ``"best"``: the finest
            level the data holds (0 for a whole frame), returned as
            ``(array, level)``. The data may be the first bytes of a frame (see
            "Progressive frames" in the README): a level the bytes hold decodes
            bit-identically to the same level of the whole frame.
        out: optional array to decode into; must have the exact shape and dtype
            the decode produces and C-contiguous rows.
        max_pixels: refuse codestreams declaring more samples than this.
        max_memory: refuse decodes estimated (from the header, before allocating)
            to need more working memory than this many bytes (default 2 GiB; None
            = the default). The estimate counts the output image and the decoding
            library's buffers; the error names it.
        decoder: which library decodes. ``"openjph"``: OpenJPH only (HTJ2K).
            ``"openjpeg"``: OpenJPEG only (JPEG 2000 Part 1 and single-layer HTJ2K;
            needs a build with OpenJPEG, see :func:`features`). ``"auto"`` (default):
            OpenJPH when it can decode the codestream correctly, otherwise OpenJPEG
            when it can (e.g. classic Part 1 JPEG 2000, several quality layers, COC,
            POC, RGN), otherwise :class:`UnsupportedCodestreamError` giving OpenJPH's
            reason and, in parentheses, OpenJPEG's. Either way a codestream is only
            handed to a library after our own header checks found nothing it is known
            to refuse, abort on or decode wrongly; ``info(data).decoder`` tells which
            one ``"auto"`` picks. The output (dtype, clamping, layout) does not depend
            on the decoder.
        layers: quality layers to decode (``None``: all). A codestream with several
            layers (HT code-blocks) is decoded through the equivalent one-layer
            codestream of its first ``layers``, joined without decoding a sample
            (see "Quality layers" in the README); fewer layers give a coarser image.
        checksums: also return every level's checksum (a :class:`DecodedFrame`), as
            :func:`htj2k.checksums` gives them, from the same decode where exact
            (reversible, one tile; else each level is decoded). ``level`` 0 only.

    Returns:
        ``(H, W)`` for one component, ``(H, W, C)`` interleaved otherwise, of the
        smallest of uint8/int8, uint16/int16, uint32/int32 holding the bit depth.
        Samples are clamped to the nominal range of each component's bit depth.
        With ``checksums=True`` a :class:`DecodedFrame` ``(pixels, checksums)``.

    Raises:
        InvalidCodestreamError: the bytes are not a valid codestream.
        IncompleteCodestreamError: the bytes are the first bytes of a frame and do
            not hold ``level`` (``bytes_needed`` says how many would, when TLM tells).
        UnsupportedCodestreamError: a feature the decoder cannot decode correctly
            (the message names it), or components of different sizes (use
            :func:`decode_planes`).
        LimitExceededError: the declared size exceeds ``max_pixels``, or the
            estimated working memory ``max_memory``.
        ValueError: ``level`` beyond the codestream's decomposition levels, or a
            wrong ``out`` array.
    """
    buf = as_buffer(data)
    level, best = check_decode_level(level)
    max_pixels = check_max_pixels(max_pixels)
    max_memory = check_max_memory(max_memory)
    decoder = check_decoder(decoder)
    layers = check_layers(layers)
    if out is not None and not isinstance(out, np.ndarray):
        raise TypeError(f"out: expected a numpy array, got {type(out).__name__}")
    checksums = check_decode_checksums(checksums, level, best)
    result = _core.decode(buf, level, max_pixels, out, decoder, max_memory, best, layers, checksums)
    if checksums:
        return DecodedFrame(result[0], checksum_list(result[1]))
    return result


def decode_planes(
    data: Union[BytesLike, str, os.PathLike],
    level: Union[int, str] = 0,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decoder: str = "auto",
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
    layers: Optional[int] = None,
) -> List[np.ndarray]:
    """Decode every component to its own 2-D array (for subsampled or mixed components).

    Each plane has its own size (after subsampling and ``level``) and the
    smallest dtype holding its bit depth. ``level`` (``"best"`` returns
    ``(planes, level)``), ``decoder``, ``max_memory``, ``layers`` and errors as :func:`decode`.
    """
    buf = as_buffer(data)
    level, best = check_decode_level(level)
    return _core.decode_planes(
        buf, level, check_max_pixels(max_pixels), check_decoder(decoder), check_max_memory(max_memory), best,
        check_layers(layers),
    )


def encode(
    array: np.ndarray,
    *,
    reversible: Optional[bool] = None,
    qstep: Optional[float] = None,
    levels: Optional[int] = None,
    block_size: Union[int, Tuple[int, int]] = (64, 64),
    precincts: Optional[Sequence[Tuple[int, int]]] = None,
    progression: str = "RPCL",
    tile_size: Optional[Union[int, Tuple[int, int]]] = None,
    bit_depth: Optional[int] = None,
    colour_transform: Optional[bool] = None,
    tlm: bool = False,
    tileparts: Optional[str] = None,
    plt: bool = False,
    container: str = "j2c",
    components: Optional[int] = None,
    encoder: str = "auto",
    threads: int = 1,
    checksums: bool = False,
) -> Union[bytes, EncodedFrame]:
    """Encode a numpy image to HTJ2K.

    Args:
        array: ``(H, W)`` or ``(H, W, C)`` of uint8/int8/uint16/int16/uint32/int32
            (bool is taken as 1-bit). Signedness comes from the dtype.
        reversible: lossless 5/3 wavelet (default), or irreversible 9/7 when False
            or when ``qstep`` is given.
        qstep: quantisation step of the irreversible path (e.g. 0.005; smaller is better).
        levels: decomposition levels; default 5, capped to what the size allows
            (``floor(log2(min(H, W)))``). 0 is allowed; more than the cap is an error.
        block_size: code-block ``(width, height)``, powers of two, area <= 4096.
        precincts: precinct sizes ``(w, h)`` from the highest resolution down; the
            last repeats for lower resolutions. ``None`` = maximal precincts.
        progression: LRCP, RLCP, RPCL (default), PCRL or CPRL.
        tile_size: ``(width, height)`` of tiles; ``None`` = one tile.
        bit_depth: declared bits per sample (e.g. 12 in uint16); values outside the
            range are an :class:`EncodeError`, never clipped. Default: the dtype's width.
        colour_transform: reversible/irreversible colour transform on the first three
            components; default on for exactly 3 components.
        tlm: write a TLM marker (every OpenJPH; before 0.10 our tile-part writer adds it).
        tileparts: tile-part divisions, on every OpenJPH (our tile-part writer; OpenJPH's
            own from 0.10): a new tile-part wherever, in progression order, the packet's
            resolution ("R"), component ("C") or either ("RC") changes. "R" with RPCL, RLCP
            or LRCP; "C"/"RC" with LRCP or RLCP (one tile-part per resolution and
            component: "C" divides resolutions too) and "C" with CPRL; other combinations
            would mean a tile-part per precinct and are a ``ValueError``. Tile-parts are
            division-major across tiles (every tile's first, then every tile's second, ...).
        plt: write PLT packet lengths in every tile-part (our codestream writer, on
            every OpenJPH, with any ``tileparts``).
        container: "j2c" for a bare codestream, "jph" for a JPH file.
        components: the number of components the array holds; needed (as a check)
            for more than 4 in the last axis, which is otherwise refused as far more
            likely a stack of frames (use :func:`encode_many` for those).
        encoder: "htj2k" (our own encoder: lossless and lossy, up to 24 bits; an option it does
            not support yet raises :class:`UnsupportedCodestreamError` naming it),
            "openjph" (the linked OpenJPH), or "auto" (``features()["encoder"]["auto"]``
            says which it picks).
        threads: threads our encoder uses within the frame (code-blocks in parallel;
            0 = all cores); the bytes are the same for every count. OpenJPH uses one.
        checksums: also return the checksums of every resolution level of what the
            bytes decode to (an :class:`EncodedFrame`), equal to
            :func:`htj2k.checksums` of them. Our lossless encoder takes them from its
            own wavelet pass (one tile: equal to :func:`htj2k.pixel_checksums`; with
            tiles, the mosaic of the tiles' levels a decoder rebuilds); otherwise they
            come from the samples (lossless, one tile) or from decoding the result.

    Returns:
        The encoded bytes; with ``checksums=True`` an :class:`EncodedFrame`
        ``(data, checksums)``.
    """
    options = dict(locals())  # the keyword options, exactly as given
    array = options.pop("array")
    array, checked = encode_options(array, options)
    result = _core.encode(array, checked)
    if checksums:
        return EncodedFrame(result[0], checksum_list(result[1]))
    return result


_QUANT = {0: "none", 1: "scalar derived", 2: "scalar expounded"}


@functools.lru_cache(maxsize=None)
def _dtype_name(bits: int, signed: bool) -> str:
    return sample_dtype(bits, signed).name  # numpy's dtype.name costs more than the header parse


def _info_from_dict(d: Dict[str, Any], **status: Any) -> CodestreamInfo:
    """The record of a parse_info() dict; ``status``: decoder / supported /
    unsupported_reason (one construction: dataclasses.replace costs more than the parse)."""
    comps = tuple(ComponentInfo(int(b), bool(s), (int(dx), int(dy))) for b, s, dx, dy in d["components"])
    cod = d["cod"]
    x1, y1 = d["size"]
    x0, y0 = d["origin"]
    same = all(c.subsampling == comps[0].subsampling for c in comps) and all(
        c.signed == comps[0].signed for c in comps
    )
    dtype = None
    if same:
        bits = max(c.bit_depth for c in comps)
        if bits <= MAX_SAMPLE_BIT_DEPTH:  # deeper codestreams parse but decode to nothing
            dtype = _dtype_name(bits, comps[0].signed)
    precincts = tuple(reversed([tuple(p) for p in cod["precincts"]])) if cod["user_precincts"] else ()
    block_styles = [cod["block_style"]] + [o["cod"]["block_style"] for o in d["overrides"] if o["cod"]]
    return build_record(
        CodestreamInfo,
        container=d["container"],
        width=x1 - x0,
        height=y1 - y0,
        offset=(x0, y0),
        components=comps,
        levels=int(cod["levels"]),
        reversible=bool(cod["reversible"]),
        colour_transform=bool(cod["mct"]) and len(comps) >= 3,
        progression=cod["progression"],
        block_size=tuple(cod["block_size"]),
        precincts=precincts,
        tile_size=tuple(d["tile_size"]),
        tile_offset=tuple(d["tile_origin"]),
        tiles=tuple(d["num_tiles"]),
        layers=int(cod["layers"]),
        quantization=_QUANT.get(d["qcd"]["style"], str(d["qcd"]["style"])),
        ht=all(s & 0x40 for s in block_styles),
        has_cap=bool(d["has_cap"]),
        has_tlm=bool(d["has_tlm"]),
        has_plt=bool(d["has_plt"]),
        has_plm=bool(d["has_plm"]),
        tile_parts=int(d["num_tile_parts"]),
        level_sizes=tuple(tuple(s) for s in d["level_sizes"][0]),
        codestream_length=int(d["codestream_length"]),
        dtype=dtype,
        features=tuple(d["features"]),
        comments=tuple(d["comments"]),
        truncated=bool(d["truncated"]),
        level_ranges=tuple(d["level_ranges"]),
        best_level=d["best_level"],
        complete_levels=_complete_levels(d, int(cod["levels"])),
        **status,
    )


def _complete_levels(d: Dict[str, Any], levels: int) -> int:
    best = d["best_level"]
    if best is None:
        return 0
    decodable = len(d["level_ranges"]) or levels + 1  # every component's levels
    return decodable - int(best)


def info(data: Union[BytesLike, str, os.PathLike]) -> CodestreamInfo:
    """Read a codestream's headers (no pixels decoded).

    ``supported``/``unsupported_reason`` tell whether :func:`decode` can decode it
    and, if not, which feature stops it; ``decoder`` names the library
    ``decode(data, decoder="auto")`` uses (``"openjph"`` or ``"openjpeg"``), or is
    ``None`` when it is not supported.

    Raises:
        InvalidCodestreamError: malformed headers.
    """
    d = _core.parse_info(as_buffer(data), True)  # the decoder choice included: one parse
    if d["decoder"] is None:
        return _info_from_dict(d, supported=False, unsupported_reason=d["unsupported_reason"])
    return _info_from_dict(d, decoder=d["decoder"])


def features() -> Dict[str, Any]:
    """What the linked libraries support: ``tlm``, ``tileparts``, ``tilepart_divisions``
    (``["R", "C", "RC"]`` on every OpenJPH), ``scalar_derived_quantization``,
    ``coc_qcc``, ``max_bit_depth``, ``openjpeg`` (built with the OpenJPEG fallback
    decoder), ``openjpeg_version`` (``None`` without it), and ``openjph_version``."""
    d = dict(_core.features())
    d["openjph_version"] = openjph_version()
    return d


def openjph_version() -> str:
    """Version of the OpenJPH library htj2k was built against, e.g. ``"0.9.0"``."""
    return ".".join(str(v) for v in _core.openjph_version())
