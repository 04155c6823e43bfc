"""Prints the Python requirements `make test` installs, one per line.

Used by scripts/test-debian to fill a wheelhouse for a chroot without PyPI
access: the build requirements and runtime dependencies from pyproject.toml,
its `test` extra, and the tools the Makefile's venv step adds (pip, cmake,
ninja). One source, so the wheelhouse cannot drift from the Makefile.
"""
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib

VENV_TOOLS = ["pip", "cmake>=3.18", "ninja"]

with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)

reqs = list(VENV_TOOLS)
reqs += project["build-system"]["requires"]
reqs += project["project"].get("dependencies", [])
reqs += project["project"]["optional-dependencies"]["test"]
extras = sys.argv[1:]
for extra in extras:
    reqs += project["project"]["optional-dependencies"][extra]
seen = []
for r in reqs:
    if r not in seen:
        seen.append(r)
print("\n".join(seen))
