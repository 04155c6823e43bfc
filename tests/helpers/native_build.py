"""Builds and locates the native test build of the one CMake project.

``testing_build()`` configures and builds ``build/testing`` (Release, ``-j2``,
incremental: CMake rebuilds only what changed) once per process and returns its
paths; ``asan_build()`` does the same for ``build/native-asan`` (the gtest targets
under ASan + UBSan). Neither is installed: the test-only module ``htj2k_testing``
(SIMD kernels per target, ``encode_unchecked``) lives only in the build directory.
``HTJ2K_TESTING_BUILD`` names another build directory (e.g. one a CI job made).
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class NativeBuild:
    build_dir: Path   # the CMake build directory; ctest runs here
    module_dir: Path  # holds htj2k_testing*.so (testing build only)
    probe: Path       # ojph_probe (tests/native/ojph_probe.cpp)


class NativeBuildError(RuntimeError):
    """Configuring or building failed; the message holds CMake's output."""


def _cmake() -> str:
    for cand in (Path(sys.executable).with_name("cmake"), shutil.which("cmake")):
        if cand and Path(cand).exists():
            return str(cand)
    raise NativeBuildError("cmake not found (the Makefile's set-up installs it into the venv)")


def _run(cmd: list, what: str) -> None:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # ninja
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise NativeBuildError(f"{what} failed ({' '.join(map(str, cmd))}):\n{run.stdout[-6000:]}\n{run.stderr[-4000:]}")


def _build(build_dir: Path, *options: str) -> Path:
    cmake = _cmake()
    if not (build_dir / "CMakeCache.txt").exists():
        args = [cmake, "-S", str(ROOT), "-B", str(build_dir), *options,
                f"-DPython_EXECUTABLE={sys.executable}"]
        if shutil.which("ninja") or Path(sys.executable).with_name("ninja").exists():
            args += ["-G", "Ninja"]
        try:
            import pybind11

            args.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
        except ImportError:
            pass
        shared = os.environ.get("HTJ2K_SHARED_DIR")
        if shared:
            args.append(f"-DHTJ2K_SHARED_DIR={Path(shared).resolve()}")
        _run(args, "cmake configure")
    _run([cmake, "--build", str(build_dir), "-j", "2"], "cmake build")
    return build_dir


@functools.lru_cache(maxsize=None)
def testing_build() -> NativeBuild:
    """build/testing: htj2k_testing, the gtest targets and ojph_probe (Release)."""
    given = os.environ.get("HTJ2K_TESTING_BUILD")
    d = Path(given) if given else _build(ROOT / "build" / "testing", "-DCMAKE_BUILD_TYPE=Release",
                                         "-DHTJ2K_BUILD_PYTHON=OFF", "-DHTJ2K_BUILD_TESTING=ON")
    return NativeBuild(build_dir=d, module_dir=d, probe=d / "ojph_probe")


@functools.lru_cache(maxsize=None)
def asan_build() -> NativeBuild:
    """build/native-asan: the gtest targets under ASan + UBSan (RelWithDebInfo)."""
    d = _build(ROOT / "build" / "native-asan", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
               "-DHTJ2K_BUILD_PYTHON=OFF", "-DHTJ2K_BUILD_TESTING=ON", "-DHTJ2K_SANITIZE=ON")
    return NativeBuild(build_dir=d, module_dir=d, probe=d / "ojph_probe")


@functools.lru_cache(maxsize=None)
def testing_module() -> Any:
    """The test-only extension htj2k_testing (SIMD kernels: ``.kernels``)."""
    d = str(testing_build().module_dir)
    if d not in sys.path:
        sys.path.insert(0, d)
    return importlib.import_module("htj2k_testing")


def kernels() -> Any:
    """htj2k_testing.kernels: the SIMD kernels per Highway target and their scalar twins."""
    return testing_module().kernels


_ENCODE_CHILD = """
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
import htj2k_testing
kw = dict(np.load(sys.argv[2], allow_pickle=False))
img = kw.pop("array")
out = htj2k_testing.encode_unchecked(img, {k: v.item() if v.ndim == 0 else tuple(v.tolist()) for k, v in kw.items()})
open(sys.argv[3], "wb").write(out)
"""


def encode_unchecked(array: Any, **options: Any) -> bytes:
    """``_core.encode`` without its edge-tile check (writes tiles that vanish at a
    reduced level, as other encoders may), with encode()'s keyword options. Runs in a child interpreter: htj2k_testing holds its
    own copy of the core, whose OpenJPH message handlers (process-global in
    libopenjph) must never replace those of the htj2k._core under test."""
    import numpy as np

    d = testing_build().module_dir
    with tempfile.TemporaryDirectory() as tmp:
        args, out = Path(tmp) / "args.npz", Path(tmp) / "out.j2c"
        np.savez(args, array=array, **{k: np.asarray(v) for k, v in options.items()})
        run = subprocess.run([sys.executable, "-c", _ENCODE_CHILD, str(d), str(args), str(out)],
                             capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            raise NativeBuildError(f"encode_unchecked failed:\n{run.stderr[-3000:]}")
        return out.read_bytes()
