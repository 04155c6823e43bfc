"""ISO/IEC 15444-4 HTJ2K conformance: every case of the shared manifest, with every
decoder choice, has exactly one of two acceptable outcomes.

* decoded: each listed component within both limits of the case (maximum absolute
  error and MSE against its PGX reference) at the case's ``reduce``;
* refused with UnsupportedCodestreamError naming the feature.

Never acceptable: the process crashing or aborting (each decode runs in a forked
child), a hang (timeout), another exception type, pixels outside the limits, or
anything printed. Which of the two outcomes each case has is recorded per OpenJPH /
OpenJPEG version range in ``expected.json``, so a regression in either direction
(a case no longer decoded, or one decoded that used to be refused) fails too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import htj2k
from htj2k import UnsupportedCodestreamError, _core

from helpers.openjpeg import read_pgx

HERE = Path(__file__).resolve().parent
EXPECTED: Dict[str, List[Dict[str, Any]]] = json.loads((HERE / "expected.json").read_text())["cases"]
CASES = sorted(EXPECTED)
MODES = ("auto", "openjph", "openjpeg")
TIMEOUT = 120.0  # seconds per decode; the biggest case takes well under 5


def _version_matches(spec: str, version: Optional[str]) -> bool:
    if spec == "any":
        return True
    if spec == "none":
        return version is None
    return version is not None and Version(version) in SpecifierSet(spec)


def linked_versions() -> Dict[str, Optional[str]]:
    return {"openjph": htj2k.openjph_version(), "openjpeg": htj2k.features().get("openjpeg_version")}


def expectation(case: str, mode: str) -> Dict[str, Any]:
    """The recorded outcome of `case` for the linked libraries, for decoder=`mode`."""
    v = linked_versions()
    for entry in EXPECTED[case]:
        if _version_matches(entry["openjph"], v["openjph"]) and _version_matches(entry["openjpeg"], v["openjpeg"]):
            return entry if mode == "auto" else entry["forced"][mode]
    pytest.fail(
        f"{case}: no expected outcome recorded for OpenJPH {v['openjph']} / OpenJPEG {v['openjpeg'] or 'none'} "
        f"in {HERE / 'expected.json'}; measure with `.venv/bin/python scripts/conformance_report --json "
        f"--decoder {mode}` and add an entry"
    )


@pytest.fixture(scope="module")
def conformance(shared_dir: Path) -> Dict[str, Any]:
    """The manifest, with its folder."""
    root = shared_dir / "conformance" / "iso15444-4"
    path = root / "manifest.json"
    if not path.is_file():
        import os

        msg = f"{path} not found"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    manifest = json.loads(path.read_text())
    return {"root": root, "cases": {c["codestream"]: c for c in manifest["cases"]}}


def test_every_manifest_case_has_an_expectation(conformance):
    assert sorted(conformance["cases"]) == CASES, (
        "tests/conformance/expected.json and the manifest list different cases"
    )


def _judge(root: Path, case: Dict[str, Any], planes: List[np.ndarray]) -> List[str]:
    """Problems of a decode against the case's references (empty when within limits)."""
    problems = []
    for comp in case["components"]:
        c = int(comp["component"])
        ref = read_pgx(str(root / "references" / comp["reference"])).astype(np.int64)
        if c >= len(planes):
            problems.append(f"component {c} missing ({len(planes)} decoded)")
            continue
        if planes[c].shape != ref.shape:
            problems.append(f"component {c}: shape {planes[c].shape}, reference {ref.shape}")
            continue
        diff = planes[c].astype(np.int64) - ref
        err = int(np.abs(diff).max()) if diff.size else 0
        mse = float(np.mean(diff.astype(np.float64) ** 2)) if diff.size else 0.0
        if err > comp["max_abs_error"] or mse > comp["max_mse"]:
            problems.append(
                f"component {c}: max abs error {err} (limit {comp['max_abs_error']}), "
                f"MSE {mse:.6g} (limit {comp['max_mse']})"
            )
    return problems


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CASES)
def test_conformance_case(isolated, conformance, name, mode):
    case = conformance["cases"].get(name)
    if case is None:
        pytest.fail(f"{name} is in expected.json but not in the manifest")
    exp = expectation(name, mode)
    root = conformance["root"]
    data = (root / "codestreams" / name).read_bytes()
    reduce = int(case.get("reduce", 0))
    where = f"{name} (reduce {reduce}, decoder={mode!r})"

    r = isolated.call("htj2k.decode_planes", data, reduce, decoder=mode, timeout=TIMEOUT)
    if r.kind == "died":
        pytest.fail(f"{where}: {r.describe()}")
    assert r.output == "", f"{where}: the decoder printed {r.output[-1000:]!r}"

    if r.kind == "raised":
        e = r.exception
        if not isinstance(e, UnsupportedCodestreamError):
            pytest.fail(f"{where}: raised {type(e).__name__}: {e} (only UnsupportedCodestreamError is acceptable)")
        if exp["outcome"] != "unsupported":
            pytest.fail(f"{where}: regression: refused ({e}); expected to decode within the limits")
        assert exp["feature"] in str(e), f"{where}: refusal {str(e)!r} does not name {exp['feature']!r}"
        if mode == "auto":
            info = htj2k.info(data)
            assert not info.supported and info.decoder is None and exp["feature"] in (info.unsupported_reason or "")
        return

    planes = r.value
    problems = _judge(root, case, planes)
    if problems:
        pytest.fail(f"{where}: decoded pixels outside the limits: " + "; ".join(problems))
    if exp["outcome"] != "decoded":
        pytest.fail(
            f"{where}: now decodes within the limits but expected.json records it as refused "
            f"({exp.get('feature')!r}); update tests/conformance/expected.json and docs/conformance.md"
        )
    chosen = _core.select_decoder(data, reduce, mode)
    assert chosen == (exp["decoder"] if mode == "auto" else mode), (where, chosen)
    if mode == "auto":
        assert htj2k.info(data).decoder == exp["decoder"]

    # decode() agrees with decode_planes() wherever one array can hold the components
    if len({p.shape for p in planes}) == 1 and htj2k.info(data).dtype is not None:
        arr = isolated.call("htj2k.decode", data, reduce, decoder=mode, timeout=TIMEOUT).unwrap()
        stacked = arr if arr.ndim == 3 else arr[:, :, None]
        for c, p in enumerate(planes):
            np.testing.assert_array_equal(stacked[:, :, c].astype(np.int64), p.astype(np.int64))
