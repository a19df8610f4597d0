# teleradlab: `make run` runs the main job, `make test` runs the tests.
# Both set everything up first, on a machine that has only Python >= 3.11 and make.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
KERNEL := teleradlab
# The kernelspec registered inside the venv wins over any user-level one of the same name.
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter

.PHONY: run test test-fast typecheck lab bench install lint clean check-python

run: install
	$(VENV)/bin/teleradlab run

test: install
	$(VENV)/bin/ruff check teleradlab tests benchmarks
	$(PY) -m mypy
	$(PY) -m pytest

# the same checks without the tests marked slow (see pyproject.toml's markers)
test-fast: install
	$(VENV)/bin/ruff check teleradlab tests benchmarks
	$(PY) -m mypy
	$(PY) -m pytest -m "not slow"

typecheck: install
	$(PY) -m mypy

# make lab PORT=8899 BROWSER=no: another port, and no browser opened (print the URL instead).
PORT    ?= 8888
BROWSER ?= yes

lab: install
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --port=$(PORT) \
		$(if $(filter no 0 false,$(BROWSER)),--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root)

bench: install
	@set -e; for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f; done

install: $(STAMP)

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found: install Python 3.11 or newer, or run make PYTHON=/path/to/python3.11"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "error: $$($(PYTHON) -V 2>&1) is too old: teleradlab needs Python 3.11 or newer (make PYTHON=python3.11)"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { echo "error: $(PYTHON) lacks venv/ensurepip: on Debian/Ubuntu install python3-venv"; exit 1; }

$(STAMP): pyproject.toml | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m teleradlab.kernel install >/dev/null   # kernelspec in the venv, kernels on UNIX sockets
	$(PY) -m teleradlab.network.engine_compiled
	@touch $(STAMP)

lint: install
	$(VENV)/bin/ruff check teleradlab tests benchmarks

clean:
	rm -rf build test-artifacts .pytest_cache .ruff_cache .mypy_cache
