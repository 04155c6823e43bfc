"""Benchmark images: synthetic frames with realistic structure (smooth
anatomy-like intensity fields, edges, texture and noise at the bit depths of
each modality) plus the real CT slice in shared/data/dicom/CT1_UNC.dcm.

Pure-noise images would make every codec look slow and every ratio look the
same; flat images would make them look absurdly fast. These sit in between:
their lossless compression ratios are in the range of clinical images
(reported by the benchmarks).

Images are cached as .npy under build/bench/images (regenerated when this file
changes).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "build" / "bench" / "images"


@dataclass(frozen=True)
class BenchImage:
    name: str  # short key used in benchmark names ("ct", "mr", ...)
    title: str  # for the report
    array: np.ndarray  # (H, W) or (H, W, C)
    bit_depth: int
    signed: bool

    @property
    def nbytes(self) -> int:
        return int(self.array.nbytes)

    @property
    def shape_text(self) -> str:
        h, w = self.array.shape[:2]
        c = f"x{self.array.shape[2]}" if self.array.ndim == 3 else ""
        return f"{w}x{h}{c}"


# ----------------------------------------------------------------- building blocks


def _grid(h: int, w: int):
    y = (np.arange(h, dtype=np.float32) + 0.5) / h * 2 - 1
    x = (np.arange(w, dtype=np.float32) + 0.5) / w * 2 - 1
    return y[:, None], x[None, :]


def smooth_noise(rng: np.random.Generator, shape, beta: float = 3.0, cutoff: float = 2.0) -> np.ndarray:
    """Zero-mean, unit-variance random field with a 1/f^beta power spectrum
    (anatomical texture); `cutoff` (cycles per image) flattens the lowest frequencies."""
    h, w = shape
    noise = rng.standard_normal((h, w)).astype(np.float32)
    f = np.fft.rfft2(noise)
    fy = np.fft.fftfreq(h)[:, None] * h
    fx = np.fft.rfftfreq(w)[None, :] * w
    r = np.sqrt(fy * fy + fx * fx) + cutoff
    f *= (r ** (-beta / 2)).astype(np.float32)
    out = np.fft.irfft2(f, s=(h, w)).astype(np.float32)
    out -= out.mean()
    out /= out.std() + 1e-12
    return out


def _ellipse(y, x, cy, cx, ry, rx, angle=0.0):
    c, s = np.cos(angle), np.sin(angle)
    yy = (y - cy) * c - (x - cx) * s
    xx = (y - cy) * s + (x - cx) * c
    return (yy / ry) ** 2 + (xx / rx) ** 2


def _soft(d: np.ndarray, width: float) -> np.ndarray:
    """1 inside (d < 1), 0 outside, with a smooth edge (partial volume)."""
    return np.clip((1 - d) / width, 0, 1).astype(np.float32)


def _quantise(v: np.ndarray, bits: int, signed: bool, dtype) -> np.ndarray:
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return np.clip(np.rint(v), lo, hi).astype(dtype)


# ----------------------------------------------------------------- modalities


def ct_slice(rng: np.random.Generator, h: int = 512, w: int = 512, z: float = 0.0) -> np.ndarray:
    """Axial CT, 12-bit stored (HU + 1024): air, body, fat, muscle, lungs, spine,
    ribs, table, quantum noise. `z` moves the anatomy slightly (series of slices)."""
    y, x = _grid(h, w)
    hu = np.full((h, w), -1000.0, np.float32)
    body = _soft(_ellipse(y, x, 0.05, 0, 0.72, 0.88), 0.02)
    fat = _soft(_ellipse(y, x, 0.05, 0, 0.66, 0.82), 0.03)
    hu = hu * (1 - body) + body * (-100.0)
    hu = hu * (1 - fat) + fat * (40.0 + 25 * smooth_noise(rng, (h, w), 3.0, 4.0))
    for sx in (-0.38, 0.38):  # lungs
        lung = _soft(_ellipse(y, x, -0.05 + 0.03 * z, sx, 0.45 - 0.02 * z, 0.26, 0.15 * np.sign(sx)), 0.05)
        vessels = np.clip(smooth_noise(rng, (h, w), 2.0, 8.0), 0, None) * 120
        hu = hu * (1 - lung) + lung * (-860.0 + vessels)
    heart = _soft(_ellipse(y, x, 0.0, 0.08, 0.25, 0.22), 0.04)
    hu = hu * (1 - heart) + heart * 45.0
    spine = _soft(_ellipse(y, x, 0.5, 0, 0.11, 0.09), 0.05)
    cord = _soft(_ellipse(y, x, 0.47, 0, 0.04, 0.035), 0.2)
    hu = hu * (1 - spine) + spine * (700.0 - 660 * cord)
    ang = np.arctan2(y - 0.05, x)
    rad = np.sqrt(((y - 0.05) / 0.66) ** 2 + (x / 0.82) ** 2)
    ribs = _soft(np.abs(rad - 0.93) / 0.03, 0.3) * (np.cos(ang * 9 + z) > 0.2)
    hu = hu + ribs * 900.0
    table = ((y > 0.86) & (y < 0.9) & (np.abs(x) < 0.9)).astype(np.float32)
    hu = hu * (1 - table) + table * 200.0
    hu += rng.normal(0, 12.0, (h, w)).astype(np.float32) * (body > 0.5) + rng.normal(0, 3.0, (h, w)).astype(np.float32)
    return _quantise(hu + 1024, 12, False, np.uint16)


def mr_slice(rng: np.random.Generator, h: int = 256, w: int = 256) -> np.ndarray:
    """Brain MR, 16-bit: head, grey/white matter folds, ventricles, bias field,
    Rician background noise."""
    y, x = _grid(h, w)
    head = _soft(_ellipse(y, x, 0, 0, 0.88, 0.74), 0.03)
    brain = _soft(_ellipse(y, x, 0.02, 0, 0.78, 0.64), 0.03)
    folds = smooth_noise(rng, (h, w), 3.0, 6.0)
    wm = np.clip((folds - 0.1) * 4 + 0.5, 0, 1).astype(np.float32)
    vent = _soft(_ellipse(y, x, -0.05, 0, 0.18, 0.12), 0.2)
    s = head * 9000.0
    s = s * (1 - brain) + brain * (16000 + 9000 * wm + 1500 * folds)
    s = s * (1 - vent) + vent * 5000.0
    bias = 1 + 0.25 * smooth_noise(rng, (h, w), 4.0, 1.0)
    s = s * bias
    n1 = rng.normal(0, 90, (h, w)).astype(np.float32)
    n2 = rng.normal(0, 90, (h, w)).astype(np.float32)
    s = np.sqrt((s + n1) ** 2 + n2**2)
    return _quantise(s, 16, False, np.uint16)


def dx_chest(rng: np.random.Generator, h: int = 3000, w: int = 2500) -> np.ndarray:
    """Chest radiograph, 14-bit: collimated field, lungs, mediastinum, ribs,
    soft-tissue texture, quantum noise growing with signal."""
    y, x = _grid(h, w)
    v = 3000 + 1500 * (1 - y * y) * (1 - 0.3 * x * x)
    for sx in (-0.45, 0.45):
        lung = _soft(_ellipse(y, x, -0.05, sx, 0.62, 0.3), 0.08)
        v = v + lung * 5200
    med = _soft(_ellipse(y, x, 0.05, 0, 0.7, 0.16), 0.15)
    v = v - med * 2500
    ang = y * 14 + 3 * x * x
    ribs = (0.5 + 0.5 * np.cos(ang * np.pi)) ** 6 * (np.abs(x) > 0.12) * (np.abs(y) < 0.7)
    v = v - ribs * 1400
    v = v + 300 * smooth_noise(rng, (h, w), 3.0, 6.0)
    field = ((np.abs(x) < 0.93) & (np.abs(y) < 0.95)).astype(np.float32)
    v = v * field + (1 - field) * 300
    v = v + rng.normal(0, 1, (h, w)).astype(np.float32) * np.sqrt(np.maximum(v, 1)) * 0.35
    return _quantise(v, 14, False, np.uint16)


def mammogram(rng: np.random.Generator, h: int = 3328, w: int = 2560) -> np.ndarray:
    """Mammogram (MLO-like), 14-bit: breast against a flat background,
    fibroglandular texture, skin line, pectoral muscle, calcification specks, noise."""
    y, x = _grid(h, w)
    d = ((x + 1.05) / 1.55) ** 2 + (y / 0.95) ** 2
    breast = _soft(d, 0.02)
    thickness = np.sqrt(np.clip(1 - d, 0, 1))
    tex = smooth_noise(rng, (h, w), 3.2, 5.0)
    dense = np.clip(tex * 0.5 + 0.3, 0, 1) * thickness
    v = 600 + breast * (5200 + 3800 * thickness + 2600 * dense)
    pect = ((x + 1) < 0.55 * (1 - (y + 1) / 1.2)).astype(np.float32) * breast
    v = v + pect * 1800
    calc = (rng.random((h, w)) > 0.99995).astype(np.float32)
    v = v + calc * 2500 * breast
    v = v + rng.normal(0, 1, (h, w)).astype(np.float32) * np.sqrt(v) * 0.35
    return _quantise(v, 14, False, np.uint16)


def rgb_photo(rng: np.random.Generator, h: int = 768, w: int = 1024) -> np.ndarray:
    """8-bit RGB (endoscopy / photo-like): smooth colour fields, shaded blobs,
    edges, sensor noise."""
    y, x = _grid(h, w)
    img = np.empty((h, w, 3), np.float32)
    base = [150 + 60 * smooth_noise(rng, (h, w), 3.5, 1.5) for _ in range(3)]
    for c in range(3):
        img[..., c] = base[c]
    for _ in range(12):
        cy, cx = rng.uniform(-0.9, 0.9, 2)
        ry, rx = rng.uniform(0.05, 0.35, 2)
        m = _soft(_ellipse(y, x, cy, cx, ry, rx, rng.uniform(0, 3)), 0.1)
        col = rng.uniform(20, 235, 3)
        shade = 1 - 0.35 * np.clip(_ellipse(y, x, cy - ry / 2, cx - rx / 2, ry, rx), 0, 1)
        for c in range(3):
            img[..., c] = img[..., c] * (1 - m) + m * col[c] * shade
    img += 10 * smooth_noise(rng, (h, w), 1.5, 20.0)[..., None]
    img += rng.normal(0, 2.5, (h, w, 3)).astype(np.float32)
    return _quantise(img, 8, False, np.uint8)


# ----------------------------------------------------------------- the set


def _shared_dir() -> Path:
    env = os.environ.get("HTJ2K_SHARED_DIR")
    return Path(env) if env else REPO.parent / "shared"


def real_ct() -> Optional[BenchImage]:
    """The real CT slice from shared/, as stored (signed 16-bit container)."""
    path = _shared_dir() / "data" / "dicom" / "CT1_UNC.dcm"
    if not path.is_file():
        return None
    import pydicom

    ds = pydicom.dcmread(str(path))
    arr = ds.pixel_array
    signed = int(ds.PixelRepresentation) == 1
    bits = int(ds.BitsStored)
    arr = np.ascontiguousarray(arr.astype(np.int16 if signed else np.uint16))
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    if arr.min() < lo or arr.max() > hi:  # values beyond BitsStored: keep the container depth
        bits = 16
    return BenchImage("ct_real", f"CT1_UNC.dcm (real CT, {bits}-bit {'signed' if signed else 'unsigned'})", arr, bits, signed)


_SPECS: Dict[str, tuple] = {
    # name: (title, generator, bit depth, signed, seed)
    "ct": ("CT 512x512, 12-bit (synthetic)", ct_slice, 12, False, 1),
    "mr": ("MR 256x256, 16-bit (synthetic)", mr_slice, 16, False, 2),
    "dx": ("DX 2500x3000, 14-bit (synthetic)", dx_chest, 14, False, 3),
    "mg": ("Mammography 2560x3328, 14-bit (synthetic)", mammogram, 14, False, 4),
    "rgb": ("RGB 1024x768, 8-bit (synthetic)", rgb_photo, 8, False, 5),
}


def _source_hash() -> str:
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:10]


def _cached(key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{key}-{_source_hash()}.npy"
    if path.is_file():
        return np.load(path)
    arr = make()
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, arr)
    os.replace(tmp, path)
    return arr


def synthetic(name: str) -> BenchImage:
    title, gen, bits, signed, seed = _SPECS[name]
    arr = _cached(name, lambda: gen(np.random.default_rng(seed)))
    return BenchImage(name, title, arr, bits, signed)


def all_images() -> List[BenchImage]:
    out = [synthetic(n) for n in _SPECS]
    real = real_ct()
    if real is not None:
        out.insert(1, real)
    return out


def ct_series(n: int = 100) -> List[np.ndarray]:
    """n CT slices of one synthetic series (anatomy moving slowly, fresh noise)."""
    def make():
        rng = np.random.default_rng(100)
        return np.stack([ct_slice(rng, z=i / n) for i in range(n)])

    return list(_cached(f"ct_series{n}", make))
