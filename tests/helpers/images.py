"""Test images: ``make_image`` patterns and the expected dtype and nominal range
(written independently of the package, as an oracle)."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np


def nominal_range(bit_depth: int, signed: bool) -> Tuple[int, int]:
    if signed:
        return -(1 << (bit_depth - 1)), (1 << (bit_depth - 1)) - 1
    return 0, (1 << bit_depth) - 1


def expected_dtype(bit_depth: int, signed: bool) -> np.dtype:
    """The dtype htj2k.decode returns: the smallest of 8/16/32 bits holding the depth."""
    size = 1 if bit_depth <= 8 else 2 if bit_depth <= 16 else 4
    return np.dtype(f"{'i' if signed else 'u'}{size}")


PATTERNS = ("random", "extremes", "smooth", "constant", "ramp")


def make_image(
    shape: Tuple[int, ...], dtype: Any, bit_depth: int, pattern: str = "random", seed: int = 0
) -> np.ndarray:
    """A test image filling the nominal range of ``bit_depth`` in ``dtype``.

    ``extremes`` is a checkerboard of the minimum and maximum (the hardest case for
    the wavelet's dynamic range), ``smooth`` a low-frequency field, ``ramp`` a
    wrapping ramp, ``constant`` the maximum.
    """
    dtype = np.dtype(dtype)
    lo, hi = nominal_range(bit_depth, dtype.kind == "i")
    rng = np.random.default_rng(seed)
    h, w = shape[0], shape[1]
    if pattern == "random":
        img = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64)
    elif pattern == "extremes":
        yy, xx = np.indices(shape[:2])
        board = ((yy + xx) % 2).astype(bool)
        if len(shape) == 3:
            board = np.repeat(board[:, :, None], shape[2], axis=2)
            board[:, :, 1::2] = ~board[:, :, 1::2]
        img = np.where(board, hi, lo).astype(np.int64)
    elif pattern == "smooth":
        yy, xx = np.indices(shape[:2]).astype(np.float64)
        f = 0.5 + 0.45 * np.sin(xx / max(w, 2) * 3.1 + 0.3) * np.cos(yy / max(h, 2) * 2.3)
        if len(shape) == 3:
            f = np.stack([np.roll(f, c, axis=1) for c in range(shape[2])], axis=-1)
        img = np.round(lo + f * (hi - lo)).astype(np.int64)
    elif pattern == "constant":
        img = np.full(shape, hi, dtype=np.int64)
    elif pattern == "ramp":
        img = lo + (np.arange(int(np.prod(shape)), dtype=np.int64) * 7919) % (hi - lo + 1)
        img = img.reshape(shape)
    else:
        raise ValueError(pattern)
    return np.clip(img, lo, hi).astype(dtype)


# --------------------------------------------------------------------------- codestreams


def psnr(a: np.ndarray, b: np.ndarray, bit_depth: int) -> float:
    """PSNR in dB with the bit depth's peak (2**B - 1); inf for equal images."""
    assert a.shape == b.shape, (a.shape, b.shape)
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    if mse == 0:
        return float("inf")
    return 10 * np.log10(((1 << bit_depth) - 1) ** 2 / mse)


def smooth_field(h: int, w: int, bit_depth: int, nc: int, signed: bool = False) -> np.ndarray:
    """A smooth synthetic field (a slow sinusoid plus a ramp) filling most of the
    bit depth's range: the lossy tests' image."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = [
        0.5 + 0.25 * np.sin(2 * np.pi * x / (w / 1.5) + c) * np.cos(2 * np.pi * y / (h / 2.0))
        + 0.2 * (x + y) / (w + h) - 0.1
        for c in range(nc)
    ]
    v = chans[0] if nc == 1 else np.stack(chans, axis=-1)
    img = np.round(v * ((1 << bit_depth) - 1))
    if signed:
        img -= 1 << (bit_depth - 1)
    size = 1 if bit_depth <= 8 else 2
    return img.astype(f"{'i' if signed else 'u'}{size}")
