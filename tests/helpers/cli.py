"""Running the ``htj2k`` command line (``python -m htj2k``) in a subprocess, and
checking its exit status and its one-line errors."""

import os
import subprocess
import sys


def run(*args, cwd=None, env_extra=None):
    env = dict(os.environ)
    env.pop("HTJ2K_DEBUG", None)
    if env_extra:
        env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "htj2k", *[str(a) for a in args]],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def ok(p):
    assert p.returncode == 0, f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    assert "Traceback" not in p.stderr
    return p


def user_error(p, code=2, words=()):
    assert p.returncode == code, f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    assert "Traceback" not in p.stderr, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("htj2k: error: "), p.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]
