"""Shared test configuration and helpers for the htj2k codec suite.

* Hypothesis profiles: ``ci`` (default; no deadline, a moderate number of
  examples so the suite stays within a few minutes on 2 cores) and ``dev``
  (more examples). Select with ``HYPOTHESIS_PROFILE``.
* ``shared_dir``: the read-only ``shared/`` folder beside the checkout
  (``HTJ2K_SHARED_DIR`` overrides). Missing: a failure on CI, a skip elsewhere.
* ``run_python(code)``: run a snippet in a fresh interpreter -> (returncode, stdout, stderr).
* ``isolated``: a fork server that runs one call per forked child, so an input
  that makes OpenJPH ``abort()`` or segfault fails the test instead of killing
  the pytest run. Each call reports its result, the exception it raised, or how
  the child died, plus everything the child wrote to stdout/stderr.
* Plain helpers (``make_image``, ``expected_dtype``, ``nominal_range``,
  ``walk_markers``, ``read_pgx``, ``opj_decompress``) imported by the test modules.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import pickle
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- hypothesis

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=300,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --------------------------------------------------------------------------- shared dir


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's read-only ``shared/`` folder (conformance data, fixtures)."""
    env = os.environ.get("HTJ2K_SHARED_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared"
    if not path.is_dir():
        how = f"HTJ2K_SHARED_DIR={env!r}" if env else f"default {path} (../shared beside the checkout)"
        msg = f"shared data folder not found: {how}; set HTJ2K_SHARED_DIR to the shared/ folder"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


# --------------------------------------------------------------------------- subprocesses


def _child_env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    env["PYTHONFAULTHANDLER"] = "1"
    return env


def run_python(code: str, *, timeout: float = 120.0, args: Tuple[str, ...] = ()) -> Tuple[int, str, str]:
    """Run ``code`` in a fresh interpreter (this venv) -> (returncode, stdout, stderr).

    A negative return code is the signal that killed it (e.g. -6 for SIGABRT).
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        timeout=timeout,
        cwd=str(REPO_ROOT),
        env=_child_env(),
    )
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


@pytest.fixture(scope="session")
def python_subprocess():
    """Fixture form of :func:`run_python`."""
    return run_python


# The fork server. It imports numpy and htj2k once; every call is run by a
# freshly forked child whose stdout and stderr (file descriptors 1 and 2, so
# C-level prints too) go to a per-call file, and whose result comes back over a
# pipe. The protocol with the test process is length-prefixed pickles on the
# server's original stdin/stdout; the server's own fd 1 is moved away so nothing
# printed can corrupt it.
_SERVER = r'''
import os, sys, pickle, struct, tempfile, traceback
proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(devnull, 0)
os.dup2(2, 1)
import numpy as np
import htj2k
from htj2k import _core


def roundtrip(array, kwargs, levels=(), out=False, planes=False):
    """encode, decode at full resolution and at `levels`, optionally via out= / decode_planes."""
    data = htj2k.encode(array, **kwargs)
    res = {"data": data, "info": htj2k.info(data), "full": htj2k.decode(data)}
    if out:
        buf = np.full(res["full"].shape, 0x5A, dtype=res["full"].dtype)
        ret = htj2k.decode(data, out=buf)
        res["out"] = buf
        res["out_is_buf"] = ret is buf
    if planes:
        res["planes"] = htj2k.decode_planes(data)
    res["levels"] = {r: htj2k.decode(data, level=r) for r in levels}
    return res


def decode_levels(data, levels):
    return {r: htj2k.decode(data, level=r) for r in levels}


def decode_each(datas, level=0):
    """decode every input; per input ("ok", shape, dtype) or ("raised", exception)."""
    out = []
    for d in datas:
        try:
            a = htj2k.decode(d, level=level)
            out.append(("ok", a.shape, str(a.dtype)))
        except Exception as e:
            try:
                pickle.dumps(e)
            except Exception:
                e = RuntimeError("unpicklable %s: %s" % (type(e).__name__, e))
            out.append(("raised", e))
    return out


def determinism(data, threads=(1, 2, 3)):
    """Every way of reading `data` twice and on several thread counts; returns the
    list of disagreements (empty when deterministic) and the outcome kinds."""
    import zlib

    problems = []

    def attempt(f):
        try:
            return ("ok", f())
        except (htj2k.Htj2kError, ValueError) as e:  # ValueError: level 1 of a 1-pixel side
            return ("raised", type(e).__name__ + ": " + str(e))

    def same(a, b):
        if a[0] != b[0]:
            return False
        if a[0] == "raised":
            return a[1] == b[1]
        x, y = a[1], b[1]
        if isinstance(x, np.ndarray):
            return x.dtype == y.dtype and np.array_equal(x, y)
        if isinstance(x, list) and x and isinstance(x[0], np.ndarray):
            return len(x) == len(y) and all(p.dtype == q.dtype and np.array_equal(p, q) for p, q in zip(x, y))
        return x == y

    calls = {
        "decode": lambda: htj2k.decode(data),
        "decode level 1": lambda: htj2k.decode(data, level=1),
        "decode_planes": lambda: htj2k.decode_planes(data),
        "checksums": lambda: htj2k.checksums(data),
    }
    first = {}
    for name, f in calls.items():
        a, b = attempt(f), attempt(f)
        first[name] = a
        if not same(a, b):
            problems.append(name + " differs between two calls")
    dec, cks = first["decode"], first["checksums"]
    if dec[0] == "ok" and cks[0] == "ok":
        crc = zlib.crc32(dec[1].astype(dec[1].dtype.newbyteorder("<")).tobytes())
        if cks[1][-1].checksum != crc:
            problems.append("checksums()[-1] != crc32(decode())")
    batches = (("decode_many", htj2k.decode_many, dec, "decode"),
               ("checksums_many", htj2k.checksums_many, cks, "checksums"))
    for t in threads:
        for name, many, single, single_name in batches:
            for m in many([data] * 3, threads=t):
                got = ("raised", type(m).__name__ + ": " + str(m)) if isinstance(m, Exception) else ("ok", m)
                if not same(got, single):
                    problems.append("%s(threads=%d) differs from %s" % (name, t, single_name))
                    break
    return problems, {k: v[0] for k, v in first.items()}


NS = {"htj2k": htj2k, "np": np, "_core": _core, "roundtrip": roundtrip, "decode_levels": decode_levels,
      "decode_each": decode_each, "determinism": determinism}


def read_exact(f, n):
    b = b""
    while len(b) < n:
        chunk = f.read(n - len(b))
        if not chunk:
            return None
        b += chunk
    return b


def send(obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    proto_out.write(struct.pack("<Q", len(data)) + data)


send(("ready", os.getpid()))
while True:
    head = read_exact(proto_in, 8)
    if head is None:
        break
    req = pickle.loads(read_exact(proto_in, struct.unpack("<Q", head)[0]))
    fname, args, kwargs = req
    out_fd, out_path = tempfile.mkstemp(prefix="htj2k-iso-")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.dup2(out_fd, 1)
            os.dup2(out_fd, 2)
            sys.stdout = os.fdopen(1, "w", buffering=1)
            sys.stderr = os.fdopen(2, "w", buffering=1)
            try:
                value = eval(fname, NS)(*args, **kwargs)
                result = ("ok", value, None)
            except BaseException as e:
                tb = traceback.format_exc()
                try:
                    pickle.dumps(e)
                    result = ("raised", e, tb)
                except Exception:
                    result = ("raised", RuntimeError("unpicklable %s: %s" % (type(e).__name__, e)), tb)
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as wf:
                wf.write(data)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    with os.fdopen(r, "rb") as rf:
        while True:
            c = rf.read(1 << 20)
            if not c:
                break
            chunks.append(c)
    _, status = os.waitpid(pid, 0)
    os.close(out_fd)
    with open(out_path, "rb") as f:
        output = f.read()
    os.unlink(out_path)
    payload = b"".join(chunks)
    if os.WIFSIGNALED(status):
        send(("died", -os.WTERMSIG(status), output))
    elif not payload:
        send(("died", os.WEXITSTATUS(status), output))
    else:
        try:
            kind, value, tb = pickle.loads(payload)
        except Exception as e:
            send(("raised", RuntimeError("result not unpicklable: %r" % (e,)), "", output))
            continue
        send((kind, value, tb, output))
'''


@dataclasses.dataclass
class CallResult:
    """What an isolated call did: ``kind`` is ``ok``, ``raised`` or ``died``."""

    kind: str
    value: Any = None
    exception: Optional[BaseException] = None
    traceback: str = ""
    returncode: int = 0
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def describe(self) -> str:
        if self.kind == "ok":
            return "returned normally"
        if self.kind == "raised":
            return f"raised {type(self.exception).__module__}.{type(self.exception).__qualname__}: {self.exception}"
        rc = self.returncode
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = str(-rc)
            how = f"was killed by {name}"
        else:
            how = f"exited with status {rc} without a result"
        tail = self.output.strip()[-1500:]
        return f"the process {how}" + (f"; its output:\n{tail}" if tail else "")

    def summary(self) -> str:
        """One line: what happened, with the most telling line of a dead child's output."""
        if self.kind != "died":
            return self.describe().splitlines()[0]
        how = self.describe().split(";")[0]
        lines = [l.strip() for l in self.output.splitlines() if l.strip()]
        key = [l for l in lines if "Assertion" in l or "error" in l.lower()]
        detail = key[0] if key else (lines[0] if lines else "")
        return how + (f" ({detail})" if detail else "")

    def unwrap(self) -> Any:
        """The return value; anything else fails the test with a precise description."""
        if self.kind != "ok":
            raise AssertionError(f"isolated call {self.describe()}\n{self.traceback}")
        return self.value


class IsolatedRunner:
    """Client of the fork server; restarts it if it ever goes away."""

    def __init__(self) -> None:
        self._proc: Optional[subprocess.Popen] = None

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=str(REPO_ROOT),
            env=_child_env(),
        )
        kind, _pid = self._recv(60.0)
        assert kind == "ready"

    def _recv(self, timeout: float) -> Any:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout

        def read_exact(n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("isolated call did not finish")
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(fd, n - len(buf))
                if not chunk:
                    raise EOFError("fork server went away")
                buf += chunk
            return buf

        (n,) = struct.unpack("<Q", read_exact(8))
        return pickle.loads(read_exact(n))

    def call(self, func: str, *args: Any, timeout: float = 300.0, **kwargs: Any) -> CallResult:
        """Run ``func(*args, **kwargs)`` in a forked child.

        ``func`` is evaluated in a namespace holding ``htj2k``, ``np``, ``_core`` and
        the helpers ``roundtrip``, ``decode_levels`` and ``decode_each`` (e.g.
        ``"htj2k.decode"``).
        """
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        assert self._proc is not None and self._proc.stdin is not None
        data = pickle.dumps((func, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._proc.stdin.write(struct.pack("<Q", len(data)) + data)
            self._proc.stdin.flush()
            reply = self._recv(timeout)
        except (TimeoutError, EOFError, BrokenPipeError) as e:
            self.close()
            return CallResult("died", returncode=1, output=f"fork server: {e!r}")
        if reply[0] == "died":
            _, rc, output = reply
            return CallResult("died", returncode=rc, output=output.decode("utf-8", "replace"))
        kind, value, tb, output = reply
        out = output.decode("utf-8", "replace")
        if kind == "ok":
            return CallResult("ok", value=value, output=out)
        return CallResult("raised", exception=value, traceback=tb, output=out)

    def close(self) -> None:
        if self._proc is not None:
            try:
                if self._proc.stdin:
                    self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except Exception:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


@pytest.fixture(scope="session")
def isolated():
    """Run calls in forked children of a long-lived server (see :class:`IsolatedRunner`)."""
    runner = IsolatedRunner()
    yield runner
    runner.close()


# --------------------------------------------------------------------------- images


def nominal_range(bit_depth: int, signed: bool) -> Tuple[int, int]:
    if signed:
        return -(1 << (bit_depth - 1)), (1 << (bit_depth - 1)) - 1
    return 0, (1 << bit_depth) - 1


def expected_dtype(bit_depth: int, signed: bool) -> np.dtype:
    """The dtype htj2k.decode returns: the smallest of 8/16/32 bits holding the depth."""
    size = 1 if bit_depth <= 8 else 2 if bit_depth <= 16 else 4
    return np.dtype(f"{'i' if signed else 'u'}{size}")


PATTERNS = ("random", "extremes", "smooth", "constant", "ramp")


def make_image(
    shape: Tuple[int, ...], dtype: Any, bit_depth: int, pattern: str = "random", seed: int = 0
) -> np.ndarray:
    """A test image filling the nominal range of ``bit_depth`` in ``dtype``.

    ``extremes`` is a checkerboard of the minimum and maximum (the hardest case for
    the wavelet's dynamic range), ``smooth`` a low-frequency field, ``ramp`` a
    wrapping ramp, ``constant`` the maximum.
    """
    dtype = np.dtype(dtype)
    lo, hi = nominal_range(bit_depth, dtype.kind == "i")
    rng = np.random.default_rng(seed)
    h, w = shape[0], shape[1]
    if pattern == "random":
        img = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64)
    elif pattern == "extremes":
        yy, xx = np.indices(shape[:2])
        board = ((yy + xx) % 2).astype(bool)
        if len(shape) == 3:
            board = np.repeat(board[:, :, None], shape[2], axis=2)
            board[:, :, 1::2] = ~board[:, :, 1::2]
        img = np.where(board, hi, lo).astype(np.int64)
    elif pattern == "smooth":
        yy, xx = np.indices(shape[:2]).astype(np.float64)
        f = 0.5 + 0.45 * np.sin(xx / max(w, 2) * 3.1 + 0.3) * np.cos(yy / max(h, 2) * 2.3)
        if len(shape) == 3:
            f = np.stack([np.roll(f, c, axis=1) for c in range(shape[2])], axis=-1)
        img = np.round(lo + f * (hi - lo)).astype(np.int64)
    elif pattern == "constant":
        img = np.full(shape, hi, dtype=np.int64)
    elif pattern == "ramp":
        img = lo + (np.arange(int(np.prod(shape)), dtype=np.int64) * 7919) % (hi - lo + 1)
        img = img.reshape(shape)
    else:
        raise ValueError(pattern)
    return np.clip(img, lo, hi).astype(dtype)


# --------------------------------------------------------------------------- codestreams

_LENGTHLESS = {0xFF4F, 0xFF93, 0xFFD9, 0xFF92}


@dataclasses.dataclass
class Marker:
    code: int
    offset: int  # of the marker within the codestream
    length: int  # 2 + Lmar for segments, 2 for lengthless markers

    @property
    def end(self) -> int:
        return self.offset + self.length


def walk_markers(cs: bytes) -> List[Marker]:
    """Markers of a bare codestream: main header segments, each SOT, SOD (tile data
    skipped via Psot) and EOC. For well-formed streams only."""
    out: List[Marker] = []
    pos = 0
    n = len(cs)
    while pos + 2 <= n:
        code = struct.unpack(">H", cs[pos : pos + 2])[0]
        if code in _LENGTHLESS:
            out.append(Marker(code, pos, 2))
            if code == 0xFFD9:
                break
            pos += 2
            continue
        lmar = struct.unpack(">H", cs[pos + 2 : pos + 4])[0]
        out.append(Marker(code, pos, 2 + lmar))
        if code == 0xFF90:  # SOT: find SOD inside the tile-part header, then jump by Psot
            psot = struct.unpack(">I", cs[pos + 6 : pos + 10])[0]
            q = pos + 2 + lmar
            while q + 2 <= n:
                m = struct.unpack(">H", cs[q : q + 2])[0]
                if m == 0xFF93:
                    out.append(Marker(m, q, 2))
                    break
                lm = struct.unpack(">H", cs[q + 2 : q + 4])[0]
                out.append(Marker(m, q, 2 + lm))
                q += 2 + lm
            pos = pos + psot if psot else n - 2
            continue
        pos += 2 + lmar
    return out


def find_marker(cs: bytes, code: int) -> Marker:
    for m in walk_markers(cs):
        if m.code == code:
            return m
    raise LookupError(hex(code))


# --------------------------------------------------------------------------- OpenJPEG


def read_pgx(path: str) -> np.ndarray:
    """A PGX file: ``PG <ML|LM> [+|-]<depth> <w> <h>\\n`` then raw samples."""
    raw = Path(path).read_bytes()
    nl = raw.index(b"\n")
    m = re.fullmatch(rb"PG[ \t]+(ML|LM)[ \t]*([+-]?)[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\d+)[ \t]*", raw[:nl])
    if not m:
        raise ValueError(f"{path}: bad PGX header {raw[:nl]!r}")
    order, sign, depth, w, h = m.groups()
    depth, w, h = int(depth), int(w), int(h)
    size = 1 if depth <= 8 else 2 if depth <= 16 else 4
    dt = np.dtype(("<" if order == b"LM" else ">") + ("i" if sign == b"-" else "u") + str(size))
    body = raw[nl + 1 :]
    if len(body) != w * h * size:
        raise ValueError(f"{path}: {len(body)} sample bytes for {w}x{h}x{size}")
    return np.frombuffer(body, dt).reshape(h, w)


OPJ_DECOMPRESS = shutil.which("opj_decompress")


def opj_decompress(data: bytes, reduce: int = 0, suffix: str = ".j2k") -> Tuple[Optional[np.ndarray], str]:
    """Decode with OpenJPEG's opj_decompress to PGX -> (array as int64 or None, diagnostics).

    Components are stacked on the last axis (``(H, W)`` for one component).
    """
    if OPJ_DECOMPRESS is None:
        return None, "opj_decompress not installed"
    with tempfile.TemporaryDirectory(prefix="htj2k-opj-") as tmp:
        src = os.path.join(tmp, "in" + suffix)
        Path(src).write_bytes(data)
        cmd = [OPJ_DECOMPRESS, "-i", src, "-o", os.path.join(tmp, "out.pgx"), "-quiet"]
        if reduce:
            cmd += ["-r", str(reduce)]
        proc = subprocess.run(cmd, capture_output=True, timeout=120)
        files = glob.glob(os.path.join(tmp, "out*.pgx"))

        def index(p: str) -> int:
            m = re.search(r"_(\d+)\.pgx$", p)
            return int(m.group(1)) if m else -1

        files.sort(key=index)
        diag = f"{' '.join(cmd[1:])}: exit {proc.returncode} {proc.stderr.decode('utf-8', 'replace').strip()[-800:]}"
        if proc.returncode != 0 or not files:
            return None, diag
        planes = [read_pgx(f).astype(np.int64) for f in files]
        if len(planes) == 1:
            return planes[0], diag
        return np.stack(planes, axis=-1), diag
