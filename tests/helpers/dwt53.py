"""Forward reversible 5/3 wavelet transform and RCT in numpy, from 15444-1 (F.4.8:
2D_SD = VER_SD then HOR_SD; 1D_SD lifting with whole-sample symmetric extension,
parity from absolute coordinates; G.2 forward RCT), as an oracle for the subband
coefficients an HT codestream holds (tests/native/test_ht_block.py)."""

from __future__ import annotations

import numpy as np


def _sd_1d(x: np.ndarray, start: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """1D_SD along `axis` of int64 samples at absolute indices start..start+n-1:
    (low band: even indices, high band: odd indices)."""
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    if n == 1:  # F.4.8.2: a single sample at an odd index is doubled
        low, high = (x, x[:0]) if start % 2 == 0 else (x[:0], 2 * x)
        return np.moveaxis(low, 0, axis), np.moveaxis(high, 0, axis)
    # Whole-sample symmetric extension by 2 each side (enough for 5/3), period 2 (n - 1).
    period = 2 * (n - 1)
    j = np.arange(-2, n + 2) % period
    ext = x[np.where(j > n - 1, period - j, j)]
    first = start - 2  # absolute index of ext[0]
    y = ext.copy()
    idx = np.arange(first, first + len(ext))
    odd = np.nonzero((idx % 2 != 0) & (np.arange(len(ext)) > 0) & (np.arange(len(ext)) < len(ext) - 1))[0]
    y[odd] = ext[odd] - np.floor_divide(ext[odd - 1] + ext[odd + 1], 2)
    even = np.nonzero((idx % 2 == 0) & (np.arange(len(ext)) > 0) & (np.arange(len(ext)) < len(ext) - 1))[0]
    y[even] = ext[even] + np.floor_divide(y[even - 1] + y[even + 1] + 2, 4)
    core = y[2:2 + n]
    parity = (np.arange(start, start + n) % 2)
    low, high = core[parity == 0], core[parity == 1]
    return np.moveaxis(low, 0, axis), np.moveaxis(high, 0, axis)


def _support_1d(x: np.ndarray, start: int, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """As _sd_1d for a boolean mask: which outputs depend on a marked input (a low
    output on the inputs 2 either side, a high output on 1 either side, through the
    symmetric extension)."""
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    if n == 1:
        low, high = (x, x[:0]) if start % 2 == 0 else (x[:0], x)
        return np.moveaxis(low, 0, axis), np.moveaxis(high, 0, axis)
    period = 2 * (n - 1)
    j = np.arange(-2, n + 2) % period
    ext = x[np.where(j > n - 1, period - j, j)]
    parity = np.arange(start, start + n) % 2
    out = np.zeros_like(x)
    for k in range(n):
        reach = 2 if parity[k] == 0 else 1
        out[k] = ext[k + 2 - reach:k + 3 + reach].any(axis=0)
    return np.moveaxis(out[parity == 0], 0, axis), np.moveaxis(out[parity == 1], 0, axis)


def forward_53(tile: np.ndarray, x0: int, y0: int, levels: int, support: bool = False) -> dict:
    """Subbands of a tile-component whose top-left sample is at (x0, y0) (absolute
    tile-component coordinates): {(resolution, band): (array, band_x0, band_y0)},
    band 'LL', 'HL', 'LH', 'HH', coordinates in the band's own grid (15444-1 B-15).
    With `support`, `tile` is a boolean mask and the bands say which coefficients
    depend on a marked sample."""
    split = _support_1d if support else _sd_1d
    out = {}
    ll = tile.astype(bool if support else np.int64)
    for lev in range(1, levels + 1):
        r = levels - lev + 1
        lo_v, hi_v = split(ll, y0, 0)
        ll_, hl = split(lo_v, x0, 1)
        lh, hh = split(hi_v, x0, 1)
        lx, hx, ly, hy = -(-x0 // 2), -(-(x0 - 1) // 2), -(-y0 // 2), -(-(y0 - 1) // 2)
        out[(r, "HL")] = (hl, hx, ly)
        out[(r, "LH")] = (lh, lx, hy)
        out[(r, "HH")] = (hh, hx, hy)
        ll, x0, y0 = ll_, lx, ly
    out[(0, "LL")] = (ll, x0, y0)
    return out


def forward_rct(r: np.ndarray, g: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """G.2 forward RCT of DC-shifted components (int64)."""
    r, g, b = (c.astype(np.int64) for c in (r, g, b))
    return np.floor_divide(r + 2 * g + b, 4), b - g, r - g
