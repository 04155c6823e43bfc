"""imagecodecs as a peer decoder in tests: its output in our (H, W[, C]) layout."""

from __future__ import annotations

import numpy as np


def as_our_layout(decoded: np.ndarray, img: np.ndarray) -> np.ndarray:
    """``imagecodecs.htj2k_decode``'s array laid out as ``img`` (int64). imagecodecs
    returns some small images planar, (C, H, W); where that shape is also (H, W, C)
    (H == W == C) either layout may be meant, and the one equal to ``img`` is taken."""
    decoded = np.asarray(decoded).astype(np.int64)
    if img.ndim == 3 and decoded.shape == (img.shape[2],) + img.shape[:2]:
        planar = np.moveaxis(decoded, 0, -1)
        if decoded.shape != img.shape or np.array_equal(planar, img):
            decoded = planar
    return decoded.reshape(img.shape)
