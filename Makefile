# The README's commands. Each sets up what is missing (Debian packages, a
# virtual environment, the package with its test extras) and then runs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SRC    := $(shell find src CMakeLists.txt pyproject.toml -type f -not -name '*.pyc' 2>/dev/null)
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup demo test test-debian wheel test-wheel bench fuzz asan clean

setup: $(STAMP)

$(VENV)/.system: scripts/setup-system
	@bash scripts/setup-system
	@mkdir -p $(VENV) && touch $@

$(VENV)/.venv: $(VENV)/.system
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" numpy "cmake>=3.18" ninja
	@touch $@

# Rebuilds only when sources change; the CMake build dir is kept (build/), so
# rebuilds are incremental.
$(STAMP): $(VENV)/.venv $(SRC)
	@echo "setup: building and installing htj2k"
	@$(PY) -m pip install -q --no-build-isolation ".[test]"
	@touch $@

demo: setup
	@$(PY) -m htj2k.demo

test: setup
	@$(PY) -m pytest -q $(PYTEST_ARGS)

# The same suite inside a cached debootstrap chroot of another Debian release
# (RELEASE=trixie or bookworm): its OpenJPH, OpenJPEG, Python and compiler.
RELEASE ?=
test-debian:
	@RELEASE=$(RELEASE) PYTEST_ARGS="$(PYTEST_ARGS)" bash scripts/test-debian

# A self-contained wheel for this machine's Python in dist/: auditwheel bundles
# libopenjph, libisal, libhwy and libopenjp2 (with their Debian copyright files)
# and tags it manylinux (scripts/build-wheel).
wheel: $(VENV)/.venv
	@VENV=$(VENV) bash scripts/build-wheel

# That wheel for another Debian release's Python, built and repaired in the
# test-debian chroot, then installed and smoke-tested in a clean minimal chroot
# of the same release without the libraries (scripts/test-wheel).
test-wheel:
	@RELEASE=$(RELEASE) bash scripts/test-wheel

# Benchmarks (benches/): installs the bench extra (peers, matplotlib), builds the
# native OpenJPH harness in its own CMake build dir, runs every benchmark in one
# pytest session and writes docs/performance.md + docs/performance.png.
BENCH_DIR   := build/bench
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS  ?= --benchmark-min-rounds=7 --benchmark-max-time=1.0 --benchmark-warmup=on \
               --benchmark-warmup-iterations=1 --benchmark-disable-gc

$(BENCH_STAMP): $(STAMP)
	@$(PY) -m pip install -q --no-build-isolation ".[test,bench]"
	@touch $@

bench: $(BENCH_STAMP)
	@mkdir -p $(BENCH_DIR)
	@cmake -S . -B $(BENCH_DIR)/native -DCMAKE_BUILD_TYPE=Release -DHTJ2K_BUILD_PYTHON=OFF \
	  -DHTJ2K_BUILD_NATIVE_TOOLS=ON > $(BENCH_DIR)/cmake.log 2>&1 || (cat $(BENCH_DIR)/cmake.log; exit 1)
	@cmake --build $(BENCH_DIR)/native --target htj2k_native_bench -j 2 > $(BENCH_DIR)/build.log 2>&1 \
	  || (cat $(BENCH_DIR)/build.log; exit 1)
	@HTJ2K_NATIVE_BENCH=$(BENCH_DIR)/native/htj2k_native_bench $(PY) -m pytest benches -q -p no:cacheprovider \
	  --benchmark-only --benchmark-json=$(BENCH_DIR)/results.json --benchmark-columns=median,iqr,rounds \
	  $(BENCH_ARGS) $(PYTEST_ARGS)
	@$(PY) benches/report.py $(BENCH_DIR)/results.json

# Coverage-guided libFuzzer run on the C++ decode path (FUZZ_SECONDS, default 600).
fuzz: setup
	@bash scripts/fuzz

# The test suite against an ASan + UBSan build of the extension (.venv-asan).
asan:
	@bash scripts/asan $(PYTEST_ARGS)

clean:
	rm -rf build dist $(VENV) .pytest_cache .hypothesis
