# The README's commands. Each sets up what is missing (Debian packages, a
# virtual environment, the package with its test extras) and then runs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SRC    := $(shell find src CMakeLists.txt pyproject.toml -type f -not -name '*.pyc' 2>/dev/null)
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup demo test bench fuzz asan clean

setup: $(STAMP)

$(VENV)/.system: scripts/setup-system
	@bash scripts/setup-system
	@mkdir -p $(VENV) && touch $@

$(VENV)/.venv: $(VENV)/.system
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" numpy
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

bench: setup
	@$(PY) -m pytest benches -q --benchmark-only $(PYTEST_ARGS)

# Coverage-guided libFuzzer run on the C++ decode path (FUZZ_SECONDS, default 600).
fuzz: setup
	@bash scripts/fuzz

# The test suite against an ASan + UBSan build of the extension (.venv-asan).
asan:
	@bash scripts/asan $(PYTEST_ARGS)

clean:
	rm -rf build $(VENV) .pytest_cache .hypothesis
