# SafeRLHub: one entry point. `make serve` and `make test` are the two commands
# of the README; each sets up whatever is missing first.

VENV    := .venv
PY      := $(VENV)/bin/python
# Run apt-get through sudo only when we are not root already.
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST    ?= 127.0.0.1
PORT    ?= 8000
# Where `make build` writes the site (and the e2e tests read it).
SITE_DIR ?= site
export SITE_DIR
# Test files run in parallel, one pytest-xdist worker per core; TEST_JOBS=0 runs them in
# one process (easier to debug). Each step prints its 15 slowest tests, to show where time goes.
TEST_JOBS ?= auto
PYTEST  := $(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile --durations=15
# The browser tests group by file too, except the one-test-per-page files (tests/e2e/conftest.py).
PYTEST_E2E := $(PY) -m pytest -q -n $(TEST_JOBS) --dist loadgroup --durations=15
# Material prints a long banner about MkDocs 2 on every build; it is not ours to act on.
export NO_MKDOCS_2_WARNING := 1

.PHONY: setup serve build test test-unit test-pyodide test-e2e lint format bench models scoreboard steering chromium clean

setup: $(VENV)/.installed node_modules/.installed  ## Python venv + npm packages, both pinned


$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,export]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's chromium drives the browser tests; Playwright cannot download its own here.
chromium:
	@if [ -n "$$CHROMIUM_PATH" ] || command -v chromium >/dev/null 2>&1; then :; else \
	  echo "Installing Debian's chromium for the browser tests (apt-get)..."; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

serve: setup  ## build and serve the site with live reload
	$(VENV)/bin/mkdocs serve --dev-addr $(HOST):$(PORT)

build: setup  ## the static site in site/, failing on any warning or broken link
	$(VENV)/bin/mkdocs build --strict --site-dir $(SITE_DIR)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test-unit: setup  ## pyscripts, hooks and export/ (incl. the committed models) in CPython
	$(PYTEST) tests/pyscripts tests/hooks tests/export

test-pyodide: setup  ## the same pyscripts tests inside real Pyodide (Node.js), one process per core (at most 2)
	node tests/pyodide/run_pytest.mjs

test-e2e: build chromium  ## the built site in headless Chromium
	$(PYTEST_E2E) tests/e2e

test: lint test-unit test-pyodide test-e2e  ## everything CI runs

bench: build chromium  ## measured figures, each beside a reference from the same run
	$(PY) benchmarks/run.py

models: setup  ## retrain the three maze agents (and the remedy sweep) from their seeds, re-export every ONNX file, then the scoreboard and the steering sweep of the new agents
	$(PY) -m export.build_models
	$(PY) -m export.scoreboard
	$(PY) -m export.steering_sweep

scoreboard: setup  ## the blind detection scoreboard (models/scoreboard.json) from the committed agents, no retraining
	$(PY) -m export.scoreboard

steering: setup  ## the steering sweep (human and trigger vectors, added or clamped) (models/steering.json) from the committed agents, no retraining
	$(PY) -m export.steering_sweep

clean:
	rm -rf site .pytest_cache .ruff_cache
