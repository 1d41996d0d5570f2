# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
# `make test` is the fast set (lint + every test not marked slow); `make test-slow` the
# end-to-end tests marked slow (kernels, JupyterLab, Chromium, PostgreSQL, installs);
# `make test-all` both. The two pytest selections are complements: together, every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

LOCK   := requirements.lock

.PHONY: demo test test-slow test-all lint format lab bench emulator clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per install flavour; re-installs (and so recompiles the bulk JSONL scanner,
# shopsync/_bulk_scan.c) when pyproject.toml, setup.py, the scanner or the lock file changes.
# Every dependency is installed at the exact version requirements.lock pins.
$(VENV)/.installed-base: pyproject.toml setup.py shopsync/_bulk_scan.c $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py shopsync/_bulk_scan.c $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-base

# Refresh the pins (newest releases the floors in pyproject.toml allow), then run `make test`.
lock: $(VENV)/.installed-dev
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --universal --upgrade -o $(LOCK)

demo: $(VENV)/.installed-base
	$(BIN)/shopsync demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m slow

test-all: test test-slow

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# JupyterLab on the notebooks, with the sample shop's emulator on the sample config's URL.
lab: $(VENV)/.installed-dev
	$(BIN)/shopsync emulator --data data/sample --port 8787 & emulator=$$!; \
	trap 'kill $$emulator' EXIT INT TERM; \
	$(BIN)/jupyter lab --ip=127.0.0.1 --LabApp.default_url=/lab/tree/notebooks \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) data/shopsync.db reports runs .pytest_cache .ruff_cache
