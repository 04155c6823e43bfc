"""Encode, decode and inspect HTJ2K codestreams and JPH files."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _core
from ._errors import Htj2kError
from ._types import CodestreamInfo, ComponentInfo

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

#: Default ``max_pixels`` guard: total samples (width x height x components) a
#: codestream may declare before decoding is refused without allocating.
DEFAULT_MAX_PIXELS = 1 << 31

#: Default ``max_memory`` budget (2 GiB): the working memory a decode is estimated
#: to need from the header (the output image plus the decoding library's own
#: buffers: OpenJPH's lines and code-block buffers, OpenJPEG's int32 tile and
#: image), checked before anything is allocated.
DEFAULT_MAX_MEMORY = 2 << 30

BytesLike = Union[bytes, bytearray, memoryview, np.ndarray]
_PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")


def _as_buffer(data: Any, name: str = "data") -> Any:
    """Bytes-like objects pass through; paths are read; anything else is a TypeError."""
    if isinstance(data, (bytes, bytearray)):
        return data
    if isinstance(data, memoryview):
        return data if data.contiguous else data.tobytes()
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise TypeError(f"{name}: expected bytes or a uint8 array, got a {data.dtype} array")
        return np.ascontiguousarray(data).reshape(-1)
    if isinstance(data, (str, os.PathLike)):
        with open(data, "rb") as f:
            return f.read()
    raise TypeError(f"{name}: expected bytes-like data or a path, got {type(data).__name__}")


def _check_level(level: Any) -> int:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"level: expected an int, got {type(level).__name__}")
    if not 0 <= level <= 32:
        raise ValueError(f"level: must be in 0..32 (resolution levels to discard), got {level}")
    return int(level)


_DECODERS = ("auto", "openjph", "openjpeg")


def _check_decoder(decoder: Any) -> str:
    if not isinstance(decoder, str):
        raise TypeError(f"decoder: expected a str, got {type(decoder).__name__}")
    if decoder not in _DECODERS:
        raise ValueError(f"decoder: expected 'auto', 'openjph' or 'openjpeg', got {decoder!r}")
    return decoder


def _check_max_memory(max_memory: Any) -> int:
    if max_memory is None:
        return DEFAULT_MAX_MEMORY
    if isinstance(max_memory, bool) or not isinstance(max_memory, (int, np.integer)):
        raise TypeError(f"max_memory: expected an int (bytes) or None, got {type(max_memory).__name__}")
    if not 0 < max_memory < 2**64:
        raise ValueError(f"max_memory: must be in 1..2**64-1 bytes, got {max_memory}")
    return int(max_memory)


def _check_max_pixels(max_pixels: Any) -> int:
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)):
        raise TypeError(f"max_pixels: expected an int, got {type(max_pixels).__name__}")
    if not 0 < max_pixels < 2**64:
        raise ValueError(f"max_pixels: must be in 1..2**64-1, got {max_pixels}")
    return int(max_pixels)


def decode(
    data: Union[BytesLike, str, os.PathLike],
    level: int = 0,
    out: Optional[np.ndarray] = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decoder: str = "auto",
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
) -> np.ndarray:
    """Decode an HTJ2K codestream or JPH/JP2 file to a numpy array.

    Args:
        data: the codestream or file bytes (``bytes``, ``bytearray``, ``memoryview``,
            a uint8 array) or a path to read.
        level: resolution levels to discard (0 = full resolution); the result is
            ``ceil(W / 2**level)`` wide for an origin-0 image.
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

    Returns:
        ``(H, W)`` for one component, ``(H, W, C)`` interleaved otherwise, of the
        smallest of uint8/int8, uint16/int16, uint32/int32 holding the bit depth.
        Samples are clamped to the nominal range of each component's bit depth.

    Raises:
        InvalidCodestreamError: the bytes are not a valid, complete codestream.
        UnsupportedCodestreamError: a feature the decoder cannot decode correctly
            (the message names it), or components of different sizes (use
            :func:`decode_planes`).
        LimitExceededError: the declared size exceeds ``max_pixels``, or the
            estimated working memory ``max_memory``.
        ValueError: ``level`` beyond the codestream's decomposition levels, or a
            wrong ``out`` array.
    """
    buf = _as_buffer(data)
    level = _check_level(level)
    max_pixels = _check_max_pixels(max_pixels)
    max_memory = _check_max_memory(max_memory)
    decoder = _check_decoder(decoder)
    if out is not None and not isinstance(out, np.ndarray):
        raise TypeError(f"out: expected a numpy array, got {type(out).__name__}")
    return _core.decode(buf, level, max_pixels, out, decoder, max_memory)


def decode_planes(
    data: Union[BytesLike, str, os.PathLike],
    level: int = 0,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decoder: str = "auto",
    max_memory: Optional[int] = DEFAULT_MAX_MEMORY,
) -> List[np.ndarray]:
    """Decode every component to its own 2-D array (for subsampled or mixed components).

    Each plane has its own size (after subsampling and ``level``) and the
    smallest dtype holding its bit depth. ``decoder``, ``max_memory`` and errors as
    :func:`decode`.
    """
    buf = _as_buffer(data)
    return _core.decode_planes(
        buf, _check_level(level), _check_max_pixels(max_pixels), _check_decoder(decoder),
        _check_max_memory(max_memory),
    )


def _pair(value: Any, name: str) -> Tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected an int or a (width, height) pair, got {value!r}")
    try:
        w, h = value
        return int(w), int(h)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an int or a (width, height) pair, got {value!r}") from None


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
    container: str = "j2c",
) -> bytes:
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
        tlm: write a TLM marker (OpenJPH >= 0.10; see :func:`features`).
        tileparts: tile-part divisions: "R" (per resolution), "C" (per component),
            "RC" (OpenJPH >= 0.10).
        container: "j2c" for a bare codestream, "jph" for a JPH file.

    Returns:
        The encoded bytes.
    """
    array, kwargs = _encode_args(
        array,
        reversible=reversible,
        qstep=qstep,
        levels=levels,
        block_size=block_size,
        precincts=precincts,
        progression=progression,
        tile_size=tile_size,
        bit_depth=bit_depth,
        colour_transform=colour_transform,
        tlm=tlm,
        tileparts=tileparts,
        container=container,
    )
    return _core.encode(array, **kwargs)


def _encode_args(
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
    container: str = "j2c",
) -> Tuple[np.ndarray, Dict[str, Any]]:
    """Checks and normalises :func:`encode`'s arguments: the array to hand to
    ``_core.encode`` and its keyword arguments (shared with :func:`encode_many`)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"array: expected a numpy array, got {type(array).__name__}")
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
        if bit_depth is None:
            bit_depth = 1
    if array.dtype.kind not in "ui" or array.dtype.itemsize not in (1, 2, 4):
        raise TypeError(
            f"array: dtype {array.dtype} is not supported; use uint8/int8/uint16/int16/uint32/int32"
        )
    if array.ndim not in (2, 3):
        raise ValueError(f"array: expected (H, W) or (H, W, C), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"array: empty image of shape {array.shape}")
    if array.ndim == 3 and array.shape[2] > 16384:
        raise ValueError(f"array: {array.shape[2]} components; at most 16384")
    if array.shape[0] >= 2**32 or array.shape[1] >= 2**32:
        raise ValueError(f"array: shape {array.shape} too large")
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and not np.little_endian):
        array = array.astype(array.dtype.newbyteorder("<"))
    if array.ndim == 3:
        inner_ok = array.strides[2] == array.itemsize and array.strides[1] == array.itemsize * array.shape[2]
    else:
        inner_ok = array.strides[1] == array.itemsize
    if not inner_ok or array.strides[0] < 0:
        array = np.ascontiguousarray(array)

    if qstep is not None:
        if reversible:
            raise ValueError("qstep: only applies to irreversible encoding (reversible=False)")
        if not isinstance(qstep, (int, float, np.floating, np.integer)) or isinstance(qstep, bool):
            raise TypeError(f"qstep: expected a float, got {type(qstep).__name__}")
        if not (0 < float(qstep) <= 2.0):
            raise ValueError(f"qstep: must be in (0, 2], got {qstep}")
        reversible = False
    if reversible is None:
        reversible = True
    if levels is None:
        levels_i = -1
    else:
        if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)):
            raise TypeError(f"levels: expected an int, got {type(levels).__name__}")
        if not 0 <= levels <= 32:
            raise ValueError(f"levels: must be in 0..32, got {levels}")
        levels_i = int(levels)
    bw, bh = _pair(block_size, "block_size")
    prec = [] if precincts is None else [_pair(p, "precincts") for p in precincts]
    if not isinstance(progression, str) or progression.upper() not in _PROGRESSIONS:
        raise ValueError(f"progression: expected one of {', '.join(_PROGRESSIONS)}, got {progression!r}")
    tw, th = (0, 0) if tile_size is None else _pair(tile_size, "tile_size")
    if tile_size is not None and (tw <= 0 or th <= 0):
        raise ValueError(f"tile_size: must be positive, got {tile_size!r}")
    if bit_depth is None:
        bd = 0
    else:
        if isinstance(bit_depth, bool) or not isinstance(bit_depth, (int, np.integer)):
            raise TypeError(f"bit_depth: expected an int, got {type(bit_depth).__name__}")
        if not 1 <= bit_depth <= array.dtype.itemsize * 8:
            raise ValueError(
                f"bit_depth: {bit_depth} does not fit dtype {array.dtype} (1..{array.dtype.itemsize * 8})"
            )
        bd = int(bit_depth)
    ct = -1 if colour_transform is None else int(bool(colour_transform))
    ncomp = array.shape[2] if array.ndim == 3 else 1
    if colour_transform and ncomp < 3:
        raise ValueError(f"colour_transform: needs at least 3 components, the array has {ncomp}")
    if tileparts is None:
        tileparts = ""
    if not isinstance(tileparts, str) or tileparts.upper() not in ("", "R", "C", "RC", "CR"):
        raise ValueError(f"tileparts: expected 'R', 'C' or 'RC', got {tileparts!r}")
    tileparts = "RC" if tileparts.upper() == "CR" else tileparts.upper()
    if container not in ("j2c", "j2k", "jph"):
        raise ValueError(f"container: expected 'j2c' or 'jph', got {container!r}")
    return array, dict(
        reversible=bool(reversible),
        qstep=float(qstep or 0.0),
        levels=levels_i,
        block_w=bw,
        block_h=bh,
        precincts=prec,
        progression=progression.upper(),
        tile_w=tw,
        tile_h=th,
        bit_depth=bd,
        colour_transform=ct,
        tlm=bool(tlm),
        tileparts=tileparts,
        jph=container == "jph",
    )


_QUANT = {0: "none", 1: "scalar derived", 2: "scalar expounded"}


def _info_from_dict(d: Dict[str, Any]) -> CodestreamInfo:
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
        size = 8 if bits <= 8 else 16 if bits <= 16 else 32
        dtype = f"{'int' if comps[0].signed else 'uint'}{size}"
    precincts = tuple(reversed([tuple(p) for p in cod["precincts"]])) if cod["user_precincts"] else ()
    block_styles = [cod["block_style"]] + [o["cod"]["block_style"] for o in d["overrides"] if o["cod"]]
    return CodestreamInfo(
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
    )


def info(data: Union[BytesLike, str, os.PathLike]) -> CodestreamInfo:
    """Read a codestream's headers (no pixels decoded).

    ``supported``/``unsupported_reason`` tell whether :func:`decode` can decode it
    and, if not, which feature stops it; ``decoder`` names the library
    ``decode(data, decoder="auto")`` uses (``"openjph"`` or ``"openjpeg"``), or is
    ``None`` when it is not supported.

    Raises:
        InvalidCodestreamError: malformed headers.
    """
    buf = _as_buffer(data)
    d = _core.parse_info(buf)
    result = _info_from_dict(d)
    from dataclasses import replace

    try:
        result = replace(result, decoder=_core.select_decoder(buf, 0, "auto"))
    except Htj2kError as e:
        result = replace(result, supported=False, unsupported_reason=str(e))
    return result


def features() -> Dict[str, Any]:
    """What the linked libraries support: ``tlm``, ``tileparts``, ``scalar_derived_quantization``,
    ``coc_qcc``, ``max_bit_depth``, ``openjpeg`` (built with the OpenJPEG fallback
    decoder), ``openjpeg_version`` (``None`` without it), and ``openjph_version``."""
    d = dict(_core.features())
    d["openjph_version"] = openjph_version()
    return d


def openjph_version() -> str:
    """Version of the OpenJPH library htj2k was built against, e.g. ``"0.9.0"``."""
    return ".".join(str(v) for v in _core.openjph_version())
