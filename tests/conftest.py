"""Fixtures and configuration only; shared test code lives in ``tests/helpers``.

* Hypothesis profiles: ``ci`` (default; no deadline, a moderate number of
  examples so the suite stays within a few minutes on 2 cores) and ``dev``
  (more examples). Select with ``HYPOTHESIS_PROFILE``.
* ``shared_dir``: the read-only ``shared/`` folder beside the checkout
  (``HTJ2K_SHARED_DIR`` overrides). Missing: a failure on CI, a skip elsewhere.
* ``python_subprocess``: :func:`helpers.isolation.run_python`.
* ``isolated``: :class:`helpers.isolation.IsolatedRunner`, a fork server that runs
  one call per forked child, so an input that makes OpenJPH ``abort()`` or
  segfault fails the test instead of killing the pytest run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from helpers.isolation import IsolatedRunner, run_python

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


@pytest.fixture(scope="session")
def python_subprocess():
    """Fixture form of :func:`run_python`."""
    return run_python


@pytest.fixture(scope="session")
def isolated():
    """Run calls in forked children of a long-lived server (see :class:`IsolatedRunner`)."""
    runner = IsolatedRunner()
    yield runner
    runner.close()
