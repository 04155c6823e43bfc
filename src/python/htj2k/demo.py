"""Lossless round trips of sample images: ``python -m htj2k.demo`` (``make demo``).

Encodes and decodes synthetic medical-like images and, when pydicom is installed,
the small DICOM files that ship inside the pydicom package (never downloaded),
then prints sizes, compression ratios, timings and whether the round trip is
exact. Exits 0 when every image round-trips losslessly.

    python -m htj2k.demo                 # the built-in samples
    python -m htj2k.demo img.npy a.dcm   # plus your own files (.npy, .pgm/.ppm, .dcm)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

import htj2k
from htj2k._rules import range_problem

from . import io as image_io

__all__ = ["Sample", "synthetic_samples", "dicom_samples", "run", "main"]

#: DICOM files looked up in pydicom's own test_files directory (no downloads).
DICOM_FILES = (
    "CT_small.dcm",
    "MR_small.dcm",
    "SC_rgb.dcm",
    "SC_rgb_small_odd.dcm",
    "examples_rgb_color.dcm",
    "SC_rgb_rle_16bit.dcm",
)


@dataclass
class Sample:
    """An image to round-trip: ``bit_depth`` is what is declared to the encoder."""

    name: str
    array: np.ndarray
    bit_depth: int
    note: str = ""

    @property
    def bits_text(self) -> str:
        return f"{self.bit_depth}{'s' if self.array.dtype.kind == 'i' else 'u'}"


@dataclass
class Result:
    sample: Sample
    raw_bytes: int
    compressed_bytes: int
    encode_ms: float
    decode_ms: float
    lossless: bool
    error: Optional[str] = None

    @property
    def ratio(self) -> float:
        return self.raw_bytes / self.compressed_bytes if self.compressed_bytes else float("nan")


# --------------------------------------------------------------------------- synthetic images


def _ct_like(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """A 12-bit CT-like slice: air, a body ellipse of soft tissue with organs, a spine
    and ribs of bone, lungs, smooth shading and noise (stored values 0..4095,
    water ~1024 as with a rescale intercept of -1024)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size - 0.5
    img = np.zeros((size, size))

    def ellipse(cx, cy, rx, ry, angle=0.0):
        c, s = np.cos(angle), np.sin(angle)
        u = ((x - cx) * c + (y - cy) * s) / rx
        v = (-(x - cx) * s + (y - cy) * c) / ry
        return u * u + v * v <= 1.0

    def gauss(cx, cy, sx, sy):
        return np.exp(-(((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2) / 2)

    body = ellipse(0, 0.02, 0.44, 0.34)
    img[body] = 1040.0  # soft tissue
    img[ellipse(0, 0.02, 0.42, 0.32) & ~ellipse(0, 0.02, 0.40, 0.30)] = 950.0  # fat layer
    for side in (-1, 1):
        img[ellipse(0.19 * side, -0.02, 0.15, 0.21, 0.2 * side)] = 200.0  # lungs
        for k in range(5):  # ribs
            a = -0.9 + k * 0.45
            img[ellipse(side * 0.36 * np.cos(a) * 0.95, 0.02 + 0.27 * np.sin(a), 0.025, 0.018)] = 2100.0
    img[ellipse(0.0, 0.24, 0.05, 0.045)] = 2300.0  # vertebra
    img[ellipse(0.0, 0.24, 0.025, 0.022)] = 1100.0  # spinal canal
    img[ellipse(-0.04, -0.08, 0.09, 0.08)] = 1080.0  # heart
    img[ellipse(0.02, 0.12, 0.03, 0.03)] = 1200.0  # aorta with contrast
    shading = 60 * gauss(-0.1, 0.0, 0.2, 0.3) - 30 * gauss(0.15, 0.1, 0.1, 0.1)
    img += np.where(body, shading, 0)
    # vessels in the lungs
    for _ in range(40):
        cx, cy = rng.uniform(-0.3, 0.3), rng.uniform(-0.2, 0.2)
        img += 300 * gauss(cx, cy, 0.004, 0.004) * (img < 400)
    img += rng.normal(0, 12, img.shape) * (img > 100)  # quantum noise inside the body
    img += rng.normal(0, 3, img.shape)
    return np.clip(np.rint(img), 0, 4095).astype(np.uint16)


def _mr_like(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """A 16-bit signed MR-like slice: smooth head-like field with a coil sensitivity
    bias, Rician-ish noise and a few negative values (e.g. a phase/difference map)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size - 0.5
    r = np.hypot(x / 0.42, y / 0.48)
    head = r < 1
    img = np.where(head, 9000.0, 0.0)
    img += np.where(r < 0.93, 6000 * np.cos(6 * x) * np.cos(5 * y), 0)  # grey/white matter contrast
    for _ in range(12):
        cx, cy, s = rng.uniform(-0.25, 0.25), rng.uniform(-0.3, 0.3), rng.uniform(0.02, 0.08)
        img += rng.uniform(-5000, 8000) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))
    img *= 1.0 + 0.6 * (x + 0.5)  # coil bias
    img -= 3000  # signed: background below zero
    img += rng.normal(0, 150, img.shape)
    return np.clip(np.rint(img), -32768, 32767).astype(np.int16)


def _photo_like(rng: np.random.Generator, width: int = 640, height: int = 480) -> np.ndarray:
    """An 8-bit RGB photo-like image: sky gradient, hills, textured ground and a sun."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    img = np.empty((height, width, 3))
    img[..., 0] = 90 + 80 * v
    img[..., 1] = 140 + 60 * v
    img[..., 2] = 230 - 40 * v
    horizon = 0.55 + 0.08 * np.sin(u * 9) + 0.04 * np.sin(u * 23 + 1)
    ground = v > horizon
    texture = 25 * np.sin(x * 0.31 + 3 * np.sin(y * 0.07)) * np.cos(y * 0.23) + rng.normal(0, 10, u.shape)
    for c, base in enumerate((70, 120, 40)):
        img[..., c] = np.where(ground, base + 60 * (v - horizon) + texture, img[..., c])
    sun = (u - 0.8) ** 2 + ((v - 0.18) * height / width) ** 2 < 0.004
    img[sun] = (255, 240, 190)
    img += rng.normal(0, 2.5, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _strip(rng: np.random.Generator, width: int = 1000) -> np.ndarray:
    """A 1000x1 strip (one row): a noisy 10-bit ramp, e.g. a detector line."""
    ramp = np.linspace(0, 1023, width) + rng.normal(0, 8, width)
    return np.clip(np.rint(ramp), 0, 1023).astype(np.uint16).reshape(1, width)


def synthetic_samples(seed: int = 1) -> List[Sample]:
    rng = np.random.default_rng(seed)
    return [
        Sample("synthetic CT 512x512", _ct_like(rng), 12),
        Sample("synthetic MR 256x256", _mr_like(rng), 16),
        Sample("synthetic RGB 640x480", _photo_like(rng), 8),
        Sample("synthetic strip 1000x1", _strip(rng), 10),
    ]


# --------------------------------------------------------------------------- DICOM


def _pydicom_test_dir() -> Optional[str]:
    try:
        import pydicom.data
    except Exception:
        return None
    return os.path.join(os.path.dirname(pydicom.data.__file__), "test_files")


def dicom_sample(path: str) -> Sample:
    """A :class:`Sample` from a DICOM file: BitsStored as the bit depth, PixelRepresentation
    as the signedness (first frame of multi-frame files)."""
    import pydicom

    ds = pydicom.dcmread(path)
    a = np.asarray(ds.pixel_array)
    notes = []
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples_per_pixel = int(ds.get("SamplesPerPixel", 1) or 1)
    if frames > 1:
        a = a[0]
        notes.append(f"frame 1 of {frames}")
    if a.ndim == 3 and samples_per_pixel == 1:
        a = a[0]
    bits = int(ds.get("BitsStored", a.dtype.itemsize * 8))
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    width = a.dtype.itemsize * 8
    target = np.dtype(f"{'i' if signed else 'u'}{a.dtype.itemsize}")
    if a.dtype != target:
        if a.dtype.kind in "ui" and range_problem(a, width, signed) is None:
            a = a.astype(target)
        else:
            a = a.view(target)  # same bits, reinterpreted as PixelRepresentation says
            notes.append(f"reinterpreted as {target}")
    if a.dtype.kind not in "ui" or a.dtype.itemsize not in (1, 2, 4):
        raise ValueError(f"unsupported pixel dtype {a.dtype}")
    if not 1 <= bits <= width or range_problem(a, bits, signed) is not None:
        notes.append(f"values exceed BitsStored={bits}; using {width} bits")
        bits = width
    return Sample(os.path.basename(path), np.ascontiguousarray(a), bits, ", ".join(notes))


def dicom_samples(names: Sequence[str] = DICOM_FILES) -> Tuple[List[Sample], List[str]]:
    """Samples from pydicom's bundled test files; the second list holds messages
    about what was skipped."""
    messages: List[str] = []
    folder = _pydicom_test_dir()
    if folder is None:
        return [], ["pydicom is not installed: only synthetic images (pip install pydicom)"]
    samples: List[Sample] = []
    missing = []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            missing.append(name)
            continue
        try:
            samples.append(dicom_sample(path))
        except Exception as e:  # a pixel format pydicom cannot decode here
            messages.append(f"skipped {name}: {' '.join(str(e).split())}")
    if missing:
        messages.append(f"not bundled with this pydicom (not downloaded): {', '.join(missing)}")
    return samples, messages


def file_sample(path: str) -> Sample:
    """A sample from a user file: DICOM (.dcm or a DICM preamble) or an image htj2k.io reads."""
    with open(path, "rb") as f:
        head = f.read(132)
    if path.lower().endswith(".dcm") or head[128:132] == b"DICM":
        return dicom_sample(path)
    a = image_io.read_image(path)
    bits = image_io.pnm_bit_depth(path) if os.path.splitext(path)[1].lower() in image_io.PNM_EXTENSIONS else None
    if a.dtype == np.bool_:
        a, bits = a.astype(np.uint8), 1
    return Sample(os.path.basename(path), a, bits or a.dtype.itemsize * 8)


# --------------------------------------------------------------------------- round trips


def _best_ms(fn: Callable[[], object], repeat: int) -> Tuple[float, object]:
    result = fn()  # warm-up, and the result we check
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000.0, result


def roundtrip(sample: Sample, repeat: int = 3) -> Result:
    a = sample.array
    try:
        enc_ms, data = _best_ms(lambda: htj2k.encode(a, bit_depth=sample.bit_depth), repeat)
        dec_ms, back = _best_ms(lambda: htj2k.decode(data), repeat)
    except Exception as e:
        return Result(sample, a.nbytes, 0, float("nan"), float("nan"), False, f"{type(e).__name__}: {e}")
    lossless = back.dtype == a.dtype and np.array_equal(back, a)
    return Result(sample, a.nbytes, len(data), enc_ms, dec_ms, lossless)


def _shape_text(a: np.ndarray) -> str:
    return "x".join(str(d) for d in a.shape)


def format_table(results: Sequence[Result]) -> str:
    headers = ("image", "shape", "bits", "raw bytes", "compressed", "ratio", "enc ms", "dec ms", "lossless")
    rows = []
    for r in results:
        rows.append((
            r.sample.name,
            _shape_text(r.sample.array),
            r.sample.bits_text,
            str(r.raw_bytes),
            str(r.compressed_bytes) if not r.error else "-",
            f"{r.ratio:.2f}" if not r.error else "-",
            f"{r.encode_ms:.2f}" if not r.error else "-",
            f"{r.decode_ms:.2f}" if not r.error else "-",
            "yes" if r.lossless else ("ERROR" if r.error else "NO"),
        ))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    left = {0, 1, 2, 8}

    def fmt(cells):
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(row) for row in rows]
    return "\n".join(lines)


def run(samples: Sequence[Sample], repeat: int = 3, out=None) -> List[Result]:
    out = out or sys.stdout
    results = [roundtrip(s, repeat) for s in samples]
    print(format_table(results), file=out)
    notes = [(r.sample.name, r.sample.note) for r in results if r.sample.note]
    notes += [(r.sample.name, r.error) for r in results if r.error]
    for name, note in notes:
        print(f"  {name}: {note}", file=out)
    return results


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m htj2k.demo",
        description="Lossless HTJ2K round trips of sample images (no network access).",
    )
    parser.add_argument("files", nargs="*", help="more images to round-trip: .dcm, .npy, .pgm/.ppm")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per image; the best is shown (default 3)")
    parser.add_argument("--no-dicom", action="store_true", help="skip pydicom's bundled DICOM files")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)

    print(f"htj2k {htj2k.__version__}, OpenJPH {htj2k.openjph_version()}")
    samples = synthetic_samples()
    messages: List[str] = []
    if not args.no_dicom:
        dicoms, messages = dicom_samples()
        samples += dicoms
    for path in args.files:
        try:
            samples.append(file_sample(path))
        except Exception as e:
            messages.append(f"skipped {path}: {' '.join(str(e).split())}")
    results = run(samples, repeat)
    for m in messages:
        print(f"note: {m}")
    bad = [r for r in results if not r.lossless]
    if bad:
        print(f"FAILED: {len(bad)} of {len(results)} images did not round-trip losslessly", file=sys.stderr)
        return 1
    print(f"all {len(results)} images round-trip losslessly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
