"""The native C++ tests (gtest targets of the CMake build, tests/native) under ASan +
UBSan: the header parser and the OpenJPH gate, the CRC-32 + 5/3 DWT level kernels
against an independent scalar reference and zlib, and the levels against what
OpenJPH and OpenJPEG decode. The build (build/native-asan) is incremental;
ctest's output is the failure message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.native_build import asan_build


def _ctest() -> str:
    for cand in (Path(sys.executable).with_name("ctest"), shutil.which("ctest")):
        if cand and Path(cand).exists():
            return str(cand)
    pytest.fail("ctest not found (the Makefile's set-up installs cmake into the venv)")


@pytest.mark.slow
def test_native_ctest(shared_dir):
    build = asan_build()
    env = dict(os.environ, HTJ2K_CONFORMANCE_DIR=str(shared_dir / "conformance" / "iso15444-4" / "codestreams"))
    run = subprocess.run([_ctest(), "--test-dir", str(build.build_dir), "--output-on-failure", "-j", "2"],
                         capture_output=True, text=True, env=env, timeout=1800)
    assert run.returncode == 0, f"ctest failed:\n{run.stdout[-8000:]}\n{run.stderr[-2000:]}"
    assert "tests passed" in run.stdout, run.stdout[-2000:]
