"""Smoke test of an installed htj2k wheel (scripts/test-wheel runs it in a clean
chroot without the Debian libraries; any venv with the wheel will do).

    python scripts/wheel_smoke.py [WORKDIR]

Checks that the extension loads the libraries bundled in htj2k.libs/ (none from
the system), that their licences are installed, and encodes, decodes, checks
and verifies a random 12-bit image with both decoders, then runs the `htj2k`
console script on it. Prints one line per check; exits non-zero on the first
failure.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import htj2k

BUNDLED = ("libopenjph", "libisal", "libhwy", "libopenjp2")


def check(what: str, ok: bool, detail: str = "") -> None:
    print(f"{'ok' if ok else 'FAILED'}: {what}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        sys.exit(1)


def check_bundled() -> None:
    """The libraries come from htj2k.libs/, their licences are installed."""
    site = Path(htj2k.__file__).resolve().parent.parent
    check("htj2k imported from the venv", str(site).startswith(sys.prefix), str(htj2k.__file__))

    # Every library htj2k needs beyond the manylinux set comes from htj2k.libs/.
    maps = Path("/proc/self/maps").read_text().splitlines()
    loaded = sorted({line.split()[-1] for line in maps if line.split()[-1].startswith("/")})
    for name in BUNDLED:
        paths = [p for p in loaded if os.path.basename(p).startswith(name + "-") or os.path.basename(p).startswith(name + ".")]
        check(f"{name} loaded from htj2k.libs", bool(paths) and all("/htj2k.libs/" in p for p in paths),
              ", ".join(paths) or "not loaded")

    feats = htj2k.features()
    print(f"  OpenJPH {feats['openjph_version']}, OpenJPEG {feats.get('openjpeg_version')}, "
          f"assert redirect: {feats['assert_redirect']['openjph']}")
    check("OpenJPEG linked", bool(feats.get("openjpeg")))
    check("assert redirect in the bundled libopenjph",
          "htj2k.libs" in feats["assert_redirect"]["openjph"], feats["assert_redirect"]["openjph"])

    dist = md.distribution("htj2k")
    licences = [str(f) for f in (dist.files or []) if "/licenses/bundled/" in str(f)]
    check("licences of the bundled libraries installed",
          any(f.endswith("/copyright") for f in licences) and all((site / f).is_file() for f in licences),
          ", ".join(sorted(f.split("/licenses/bundled/")[1] for f in licences)))


def check_api() -> np.ndarray:
    """Encode, decode (both decoders), info, checksums, verify; returns the image."""
    rng = np.random.default_rng(13)
    img = rng.integers(0, 4096, (300, 413), dtype=np.uint16)
    data = htj2k.encode(img, bit_depth=12, progression="RPCL", tlm=True, tileparts="R", container="jph")
    check("lossless encode", len(data) > 0, f"{img.nbytes} -> {len(data)} bytes")
    for decoder in ("openjph", "openjpeg"):
        back = htj2k.decode(data, decoder=decoder)
        check(f"decode ({decoder}) equals the input", back.dtype == img.dtype and np.array_equal(back, img))
    low = htj2k.decode(data, level=2)
    check("decode at level 2", low.shape == (75, 104), str(low.shape))

    inf = htj2k.info(data)
    check("info", inf.shape[:2] == img.shape and inf.levels == 5 and inf.container == "jph",
          f"shape {inf.shape}, levels {inf.levels}, {inf.container}")
    sums = htj2k.checksums(data)
    expected = htj2k.pixel_checksums(img, 5, bit_depth=12)
    check("checksums == pixel_checksums", list(sums) == list(expected), f"{len(sums)} levels")
    archive = [s.as_archive_dict() for s in expected]
    check("verify", htj2k.verify(data, archive).ok)
    bad = [dict(e) for e in archive]
    bad[-1]["Checksum"] ^= 1
    check("verify reports a wrong checksum", not htj2k.verify(data, bad).ok)
    check("verify a prefix (partial)", htj2k.verify(data[: inf.level_ranges[2]], archive, partial=True).ok)
    lossy = htj2k.decode(htj2k.encode(img, bit_depth=12, qstep=0.002))
    check("lossy round trip", lossy.shape == img.shape and float(np.abs(lossy.astype(float) - img).mean()) < 20)
    try:
        htj2k.decode(data[:40] + bytes(60))
        check("damaged codestream refused", False)
    except htj2k.Htj2kError as e:
        check("damaged codestream refused", True, type(e).__name__)
    return img


def check_cli(img: np.ndarray, work: Path) -> None:
    """The wheel's console script."""
    exe = Path(sys.executable).parent / "htj2k"
    np.save(work / "img.npy", img)

    def cli(*args: str) -> str:
        r = subprocess.run([str(exe), *args], capture_output=True, text=True)
        said = (r.stdout + r.stderr).strip().splitlines()
        check("htj2k " + " ".join(a.replace(str(work) + "/", "") for a in args), r.returncode == 0,
              said[0][:100] if said and r.returncode == 0 else "\n".join(said[-20:]))
        return r.stdout

    cli("--version")
    cli("encode", "--bit-depth", "12", "--tlm", "--tileparts", "R", str(work / "img.npy"), str(work / "img.jph"))
    out = json.loads(cli("info", "--json", str(work / "img.jph")))
    check("htj2k info --json", bool(out), str(out[0].get("shape", ""))[:60])
    cli("decode", str(work / "img.jph"), str(work / "back.npy"))
    check("CLI round trip equal", np.array_equal(np.load(work / "back.npy"), img))
    sums_cli = json.loads(cli("checksums", "--json", str(work / "img.jph")))
    check("htj2k checksums --json", bool(sums_cli))


def main() -> int:
    work = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="htj2k-smoke-"))
    work.mkdir(parents=True, exist_ok=True)
    check_bundled()
    check_cli(check_api(), work)
    print("wheel smoke test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
