"""Benchmark fixtures (pytest-benchmark). Run with ``make bench``, which builds the
native harness, runs everything in one session, writes build/bench/results.json
and turns it into docs/performance.md + docs/performance.png (benches/report.py).

Every benchmark records ``extra_info``: ``op`` (operation), ``image`` (key of
benches/images.py), ``impl`` (who does the work), ``raw_bytes`` (size of the
decoded image, for throughput) and, where a peer cannot do exactly the same
work, a ``note``. Native-harness benchmarks carry the harness's own timings in
``native`` (their pytest-benchmark timing is a placeholder).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))  # native_build (after benches/: both have images.py)

import images  # noqa: E402

import htj2k  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "bench"
_START = {"time": time.time(), "loadavg": os.getloadavg()}


# ----------------------------------------------------------------- images


IMAGE_KEYS = ["ct", "ct_real", "mr", "dx", "mg", "rgb"]


class Frame:
    """A benchmark image and its lossless HTJ2K codestream (htj2k.encode defaults)."""

    def __init__(self, image: images.BenchImage):
        self.image = image
        self.array = image.array
        self.data = htj2k.encode(image.array, bit_depth=image.bit_depth)
        self.checksums = htj2k.checksums(self.data)
        self.expected = [c.as_archive_dict() for c in self.checksums]
        self.levels = len(self.checksums) - 1
        WORK.mkdir(parents=True, exist_ok=True)
        self.path = WORK / f"{image.name}.j2c"
        self.path.write_bytes(self.data)
        self.raw_path = WORK / f"{image.name}.raw"
        self.raw_path.write_bytes(np.ascontiguousarray(image.array).astype(image.array.dtype.newbyteorder("<")).tobytes())

    def info(self, op: str, impl: str, **extra) -> Dict:
        d = {
            "op": op,
            "image": self.image.name,
            "impl": impl,
            "raw_bytes": self.image.nbytes,
            "codestream_bytes": len(self.data),
        }
        d.update(extra)
        return d


_FRAMES: Dict[str, Frame] = {}


def get_frame(key: str) -> Frame:
    if key not in _FRAMES:
        if key == "ct_real":
            img = images.real_ct()
            if img is None:
                pytest.skip("shared/data/dicom/CT1_UNC.dcm not found (set HTJ2K_SHARED_DIR)")
        else:
            img = images.synthetic(key)
        _FRAMES[key] = Frame(img)
    return _FRAMES[key]


@pytest.fixture(params=IMAGE_KEYS)
def frame(request) -> Frame:
    return get_frame(request.param)


# ----------------------------------------------------------------- native harness


def native_binary() -> Path:
    env = os.environ.get("HTJ2K_NATIVE_BENCH")
    return Path(env) if env else WORK / "native" / "htj2k_native_bench"


@pytest.fixture(scope="session")
def native_bench():
    path = native_binary()
    if not path.is_file():
        pytest.skip(f"native harness {path} not built (make bench builds it)")
    return path


def run_native(binary: Path, args: List[str], min_time: float = 1.0) -> Dict:
    """Runs the harness, returns its JSON timings."""
    import json

    cmd = [str(binary)] + args + ["--min-time", str(min_time), "--min-rounds", "5"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


# ----------------------------------------------------------------- run metadata


def _cpu_model_and_flags():
    model, flags = platform.processor() or "", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and not model.strip():
                    model = line.split(":", 1)[1].strip()
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    break
    except OSError:
        pass
    keep = ("sse", "ssse", "avx", "fma", "bmi", "pclmul", "vpclmul", "gfni", "vaes", "sha_ni", "popcnt")
    return model, sorted(f for f in flags if f.startswith(keep))


def _versions() -> Dict[str, str]:
    v = {"python": platform.python_version(), "numpy": np.__version__, "htj2k": htj2k.__version__}
    v["openjph (htj2k)"] = htj2k.openjph_version()
    feats = htj2k.features()
    if feats.get("openjpeg_version"):
        v["openjpeg (htj2k)"] = str(feats["openjpeg_version"])
    try:
        import imagecodecs

        v["imagecodecs"] = imagecodecs.__version__
        v["openjph (imagecodecs)"] = imagecodecs.htj2k_version().split()[-1]
        v["openjpeg (imagecodecs)"] = imagecodecs.jpeg2k_version().split()[-1]
    except Exception:  # pragma: no cover - peer missing
        pass
    try:
        import openjpeg

        v["pylibjpeg-openjpeg"] = openjpeg.__version__
        from openjpeg.utils import get_openjpeg_version

        v["openjpeg (pylibjpeg-openjpeg)"] = ".".join(str(x) for x in get_openjpeg_version())
    except Exception:  # pragma: no cover - peer missing
        pass
    for dist in ("pydicom", "pylibjpeg"):
        try:
            v[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - peer missing
            pass
    for pkg in ("libisal2", "libhwy1", "libopenjph0.9"):
        try:
            out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
            if out.returncode == 0:
                v[pkg] = out.stdout.strip()
        except OSError:
            pass
    try:
        out = subprocess.run(["c++", "--version"], capture_output=True, text=True)
        v["compiler"] = out.stdout.splitlines()[0]
    except (OSError, IndexError):
        pass
    return {k: val for k, val in v.items() if val}


def pytest_benchmark_update_json(config, benchmarks, output_json):
    from native_build import kernels

    model, flags = _cpu_model_and_flags()
    output_json["htj2k_run"] = {
        "cpu_model": model,
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "simd_target": kernels().active(),
        "simd_targets": kernels().targets(),
        "versions": _versions(),
        "loadavg_start": list(_START["loadavg"]),
        "loadavg_end": list(os.getloadavg()),
        "wall_seconds": time.time() - _START["time"],
        "kernel": platform.release(),
    }


def median_time(fn, seconds=0.2, min_rounds=3):
    """Median wall time of fn() over at least min_rounds calls and `seconds` (after one warm-up)."""
    import statistics
    import time

    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_rounds or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
