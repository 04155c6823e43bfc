"""Running code where a crash cannot take the test run down: ``run_python`` (a fresh
interpreter) and ``IsolatedRunner`` (a fork server, one forked child per call)."""

from __future__ import annotations

import dataclasses
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Optional, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]

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


def encode_decode(array, kwargs, levels=(), out=False, planes=False):
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
    """decode every input; per input ("ok", shape, dtype, CRC-32 of the pixels) or
    ("raised", exception)."""
    import zlib

    out = []
    for d in datas:
        try:
            a = htj2k.decode(d, level=level)
            out.append(("ok", a.shape, str(a.dtype), zlib.crc32(a.tobytes())))
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


NS = {"htj2k": htj2k, "np": np, "_core": _core, "encode_decode": encode_decode, "decode_levels": decode_levels,
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
        the helpers ``encode_decode``, ``decode_levels`` and ``decode_each`` (e.g.
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
