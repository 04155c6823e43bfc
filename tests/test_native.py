"""Builds and runs the native C++ tests (tests/native) under ASan + UBSan:
the header parser / OpenJPH gate, and the CRC-32 + 5/3 DWT level kernels
against an independent scalar reference and zlib."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CPP = ROOT / "src" / "cpp"
SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"]

NATIVE_TESTS = {
    "test_header": (["codestream/header.cpp", "codestream/validate.cpp"], ["-lopenjph"]),
    "test_levels": (["checksum/crc32.cpp", "checksum/levels.cpp"], ["-lisal", "-lz"]),
}


@pytest.fixture(scope="module")
def cxx():
    compiler = shutil.which(os.environ.get("CXX", "g++"))
    if compiler is None:
        pytest.fail("no C++ compiler found (g++); the Makefile's set-up installs it")
    return compiler


@pytest.mark.parametrize("name", sorted(NATIVE_TESTS))
def test_native(name, cxx, tmp_path, shared_dir):
    sources, libs = NATIVE_TESTS[name]
    exe = tmp_path / name
    cmd = [cxx, "-std=c++17", "-O1", "-g", *SAN, f"-I{CPP}", *[str(CPP / s) for s in sources],
           str(ROOT / "tests" / "native" / f"{name}.cpp"), *libs, "-o", str(exe)]
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, f"build failed:\n{build.stderr[-3000:]}"
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
               HTJ2K_CONFORMANCE_DIR=str(shared_dir / "conformance" / "iso15444-4" / "codestreams"))
    args = [str(exe)] + (["--no-timing"] if name == "test_levels" else [])
    run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, f"{name} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
