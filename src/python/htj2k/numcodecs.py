"""A numcodecs codec storing array chunks as HTJ2K codestreams (``pip install 'htj2k[numcodecs]'``).

    >>> import zarr, htj2k.numcodecs                    # doctest: +SKIP
    >>> z = zarr.create_array("ct.zarr", shape=(64, 512, 512), chunks=(1, 512, 512),
    ...                       dtype="int16", compressors=htj2k.numcodecs.HTJ2K(),
    ...                       zarr_format=2)            # doctest: +SKIP

Importing this module registers the codec with numcodecs (``id = "htj2k"``), so
a store written with it is read by any process that imports ``htj2k.numcodecs``.

A chunk is encoded as one image: its leading axes of length 1 are dropped and
what is left must be ``(H, W)`` or ``(H, W, C)`` with C <= 4 (so a volume
``(z, y, x)`` is chunked ``(1, y, x)``; 3 components get the colour transform).
Lossless by default, at the dtype's full width, so a chunk decodes to the same
dtype and values (uint8/int8/uint16/int16, and wider integers up to the bit depth
``htj2k.features()["max_bit_depth"]``); ``qstep=`` selects the lossy 9/7 path.
zarr 3 uses numcodecs codecs as ``compressors`` of zarr format 2 arrays (its
format 3 codecs have an API of their own).
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional

import numpy as np

from .codec import decode, encode

__all__ = ["HTJ2K", "CODEC_ID", "register"]

CODEC_ID = "htj2k"


def _image(buf: Any) -> np.ndarray:
    arr = np.asarray(buf)
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 1 or arr.ndim > 3 or (arr.ndim == 3 and arr.shape[2] > 4):
        raise ValueError(
            f"htj2k codec: a chunk of shape {np.shape(buf)} is not one image; chunk arrays as "
            "(1, ..., H, W) or (H, W[, C <= 4])"
        )
    if arr.dtype.kind not in "uib":
        raise ValueError(f"htj2k codec: {arr.dtype} chunks cannot be encoded (integer samples only)")
    return np.ascontiguousarray(arr)


def _encode_chunk(codec: Any, buf: Any) -> bytes:
    arr = _image(buf)
    bits = codec.bit_depth if codec.bit_depth is not None else (1 if arr.dtype == np.bool_ else arr.dtype.itemsize * 8)
    return encode(
        arr, qstep=codec.qstep, reversible=False if codec.qstep is not None else None, levels=codec.levels,
        bit_depth=bits, progression=codec.progression, tlm=codec.tlm,
    )


def _decode_chunk(buf: Any, out: Any = None) -> Any:
    from numcodecs.compat import ensure_contiguous_ndarray, ndarray_copy

    arr = decode(ensure_contiguous_ndarray(buf).view(np.uint8))
    return arr if out is None else ndarray_copy(arr, out)


@functools.lru_cache(maxsize=None)
def _codec_class() -> type:
    from numcodecs.abc import Codec

    class HTJ2K(Codec):  # type: ignore[misc, valid-type]
        """HTJ2K chunks: lossless by default; ``qstep`` for lossy, ``levels`` (default 5,
        capped by the chunk size), ``bit_depth`` (default the dtype's width),
        ``progression`` and ``tlm`` as in :func:`htj2k.encode`."""

        codec_id = CODEC_ID

        def __init__(self, qstep: Optional[float] = None, levels: Optional[int] = None,
                     bit_depth: Optional[int] = None, progression: str = "RPCL", tlm: bool = False) -> None:
            self.qstep = None if qstep is None else float(qstep)
            self.levels = None if levels is None else int(levels)
            self.bit_depth = None if bit_depth is None else int(bit_depth)
            self.progression = str(progression)
            self.tlm = bool(tlm)

        def encode(self, buf: Any) -> bytes:
            return _encode_chunk(self, buf)

        def decode(self, buf: Any, out: Any = None) -> Any:
            return _decode_chunk(buf, out)

        def get_config(self) -> Dict[str, Any]:
            return {"id": CODEC_ID, "qstep": self.qstep, "levels": self.levels, "bit_depth": self.bit_depth,
                    "progression": self.progression, "tlm": self.tlm}

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "id")
            return f"HTJ2K({args})"

    HTJ2K.__module__ = __name__
    HTJ2K.__qualname__ = "HTJ2K"
    return HTJ2K


def register() -> type:
    """Register the codec with numcodecs (``numcodecs.get_codec({"id": "htj2k"})``);
    done on import. Returns the codec class."""
    from numcodecs.registry import register_codec

    cls = _codec_class()
    register_codec(cls)
    return cls


def __getattr__(name: str) -> Any:
    if name == "HTJ2K":  # a numcodecs.abc.Codec subclass, made when first asked for
        return _codec_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


register()
