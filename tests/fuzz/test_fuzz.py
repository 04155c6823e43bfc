"""Bounded fuzzing in CI: hypothesis-driven mutations and truncations of valid
codestreams of several kinds. Inputs are decoded in a child process so an abort
or a hang fails the test (naming the input) instead of killing the run. Inputs
that once broke something live in tests/fuzz/regressions/ and are replayed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import htj2k

HERE = Path(__file__).parent
REGRESSIONS = HERE / "regressions"
BATCH_TIMEOUT = 120  # seconds for one batch of inputs; a hang fails the test
BATCH = 250  # inputs per child process; 12 batches = 3000 inputs per run


def _seeds() -> list[bytes]:
    rng = np.random.default_rng(1234)
    yy, xx = np.mgrid[0:48, 0:40]
    smooth = (2000 + 1500 * np.sin(xx / 7.0) * np.cos(yy / 5.0)).astype(np.uint16)
    noisy = (smooth + rng.integers(0, 64, smooth.shape)).astype(np.uint16)
    rgb = rng.integers(0, 256, (33, 29, 3), dtype=np.uint8)
    signed = (noisy.astype(np.int32) - 2048).astype(np.int16)
    return [
        htj2k.encode(noisy, bit_depth=12),
        htj2k.encode(noisy, bit_depth=12, levels=2, progression="LRCP", block_size=(16, 16)),
        htj2k.encode(signed, bit_depth=13, tile_size=(16, 16), levels=2),
        htj2k.encode(rgb),
        htj2k.encode(rgb, colour_transform=False, precincts=[(16, 16), (8, 8)], levels=3),
        htj2k.encode(noisy, bit_depth=12, qstep=0.01),
        htj2k.encode(noisy.astype(np.uint8) & 0x7F, bit_depth=7, container="jph"),
        # tiled, several components, 1-row and 1-column frames: where SIZ mutations bite
        htj2k.encode(rgb, tile_size=(8, 8), levels=1),
        htj2k.encode(rgb[:1], colour_transform=False),
        htj2k.encode(np.arange(64, dtype=np.uint8).reshape(1, 64), levels=0, tile_size=(8, 8)),
        htj2k.encode(rgb[:16, :16], levels=0),
        htj2k.encode(np.stack([noisy[:20, :20]] * 4, axis=-1), bit_depth=12, tile_size=(7, 9), levels=2),
    ]


def _conformance_seeds() -> list[bytes]:
    shared = Path(os.environ.get("HTJ2K_SHARED_DIR", HERE.parents[2] / "shared"))
    folder = shared / "conformance" / "iso15444-4" / "codestreams"
    if not folder.is_dir():
        return []
    # small ones only: they are mutated many times
    return [p.read_bytes() for p in sorted(folder.glob("*.j2k")) if p.stat().st_size < 200_000][:6]


SEEDS = _seeds() + _conformance_seeds()


def _marker_offsets(data: bytes) -> list[int]:
    return [i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] >= 0x4F]


def _siz(data: bytearray) -> int:
    """Offset of the SIZ marker segment (FF51), or -1."""
    return bytes(data).find(b"\xff\x4f\xff\x51") + 2 if b"\xff\x4f\xff\x51" in data else -1


def mutate_siz(data: bytearray, rng: random.Random, kind: str) -> bytearray:
    """Structured SIZ mutations, the classes behind past crashes and hangs:
    component subsampling (XRsiz/YRsiz), component count (Csiz with a consistent
    Lsiz: entries dropped or duplicated) and tile geometry (XTsiz/YTsiz/XTOsiz/YTOsiz)."""
    siz = _siz(data)
    if siz < 0:
        return data
    be = lambda off, n: int.from_bytes(data[siz + off : siz + off + n], "big")  # noqa: E731
    put = lambda off, n, v: data.__setitem__(slice(siz + off, siz + off + n), int(v).to_bytes(n, "big"))  # noqa: E731
    csiz = be(38, 2)
    if csiz == 0 or siz + 40 + 3 * csiz > len(data):
        return data
    if kind == "subsampling":
        for _ in range(rng.randint(1, 3)):
            c = rng.randrange(csiz)
            put(40 + 3 * c + rng.randint(1, 2), 1, rng.choice([0, 1, 2, 3, 4, 5, 7, 8, 10, 16, 255]))
    elif kind == "components":
        entries = [bytes(data[siz + 40 + 3 * c : siz + 43 + 3 * c]) for c in range(csiz)]
        if rng.random() < 0.5 and len(entries) > 1:
            del entries[rng.randrange(len(entries))]
        else:
            for _ in range(rng.randint(1, 3)):
                entries.insert(rng.randrange(len(entries) + 1), rng.choice(entries))
        body = b"".join(entries)
        data[siz + 40 : siz + 40 + 3 * csiz] = body
        put(38, 2, len(entries))
        put(2, 2, 38 + len(body))
    else:  # tiles
        xsiz, ysiz, x0, y0 = be(6, 4), be(10, 4), be(14, 4), be(18, 4)
        for off, full, origin in ((22, xsiz, x0), (26, ysiz, y0)):
            put(off, 4, rng.choice([1, 2, 3, 7, 8, 13, 16, 37, max(1, full // 2), full, full + 5]))
            put(off + 8, 4, rng.randint(0, origin) if origin else 0)
        if rng.random() < 0.3:  # move the image origin too
            put(14, 4, rng.randint(0, 9))
            put(18, 4, rng.randint(0, 9))
    return data


def mutate(rng: random.Random) -> bytes:
    """One mutated input: bit flips, header bytes, truncations, cuts at markers,
    splices of two seeds, zeroed runs, duplicated runs, and structured SIZ changes."""
    data = bytearray(rng.choice(SEEDS))
    kind = rng.choice(["flip", "header", "truncate", "marker_cut", "splice", "zero", "dup",
                       "subsampling", "components", "tiles"])
    if kind in ("subsampling", "components", "tiles"):
        data = mutate_siz(data, rng, kind)
    elif kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "header":  # the main header, where the parser and OpenJPH's asserts live
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(min(len(data), 200))] = rng.randrange(256)
    elif kind == "truncate":
        data = data[: rng.randint(0, len(data))]
    elif kind == "marker_cut":
        offs = _marker_offsets(bytes(data)) or [0]
        data = data[: rng.choice(offs) + rng.randint(0, 3)]
    elif kind == "splice":
        other = rng.choice(SEEDS)
        data = data[: rng.randint(0, len(data))] + other[rng.randint(0, len(other)) :]
    elif kind == "zero":
        i, n = rng.randrange(len(data)), rng.randint(1, 64)
        data[i : i + n] = bytes(len(data[i : i + n]))
    else:
        i, n = rng.randrange(len(data)), rng.randint(1, 32)
        data = data[:i] + data[i : i + n] * rng.randint(2, 4) + data[i + n :]
    return bytes(data)


def run_inputs(inputs: list[bytes], tmp_path: Path) -> None:
    paths = []
    for i, data in enumerate(inputs):
        p = tmp_path / f"in{i:05d}.j2c"
        p.write_bytes(data)
        paths.append(str(p))
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / "fuzz_worker.py")],
            input="\n".join(paths) + "\n",
            capture_output=True,
            text=True,
            timeout=BATCH_TIMEOUT,
        )
    except subprocess.TimeoutExpired as e:
        done = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        n = done.count("ok ")
        pytest.fail(f"decoder hung on input {paths[n] if n < len(paths) else '?'}")
    done = proc.stdout.count("ok ")
    bad = [line for line in proc.stdout.splitlines() if line.startswith("bad ")]
    if proc.returncode != 0:
        culprit = paths[done] if done < len(paths) else "?"
        if done < len(paths):
            (REGRESSIONS.parent / "last-failure.j2c").write_bytes(inputs[done])
        pytest.fail(
            f"decoder process died (status {proc.returncode}) on {culprit}; "
            f"stderr: {proc.stderr.strip()[-500:]}"
        )
    if bad:
        first = int(bad[0].split()[1])
        culprit = REGRESSIONS.parent / "last-failure.j2c"
        culprit.write_bytes(inputs[first])
        pytest.fail(f"unexpected exception types ({len(bad)}): {bad[:3]}; first input kept at {culprit}")
    assert done == len(paths)


@settings(
    max_examples=12,
    deadline=None,
    # batches are large; shrinking them is slow and the culprit is named anyway
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(seed=st.integers(0, 2**64 - 1))
def test_mutated_codestreams_never_crash(seed, tmp_path_factory):
    # hypothesis picks the seeds (and replays failing ones from its database);
    # each seed expands to a batch decoded in one child process.
    rng = random.Random(seed)
    run_inputs([mutate(rng) for _ in range(BATCH)], tmp_path_factory.mktemp("fuzz"))


def test_every_prefix_of_each_seed(tmp_path):
    """Truncation at every marker boundary (and one byte either side) of every seed."""
    inputs = []
    for seed in SEEDS:
        for off in _marker_offsets(seed):
            for d in (-1, 0, 1, 2):
                if 0 <= off + d < len(seed):
                    inputs.append(seed[: off + d])
    run_inputs(inputs, tmp_path)


def test_regression_inputs(tmp_path):
    """Inputs that once crashed, hung or mis-decoded: all must now be handled."""
    inputs = [p.read_bytes() for p in sorted(REGRESSIONS.glob("*")) if p.is_file() and p.name != "README.md"]
    if not inputs:
        pytest.skip("no regression inputs recorded")
    run_inputs(inputs, tmp_path)
