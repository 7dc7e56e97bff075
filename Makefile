# `make` sets up what is needed and builds content/ into dist/; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: all build test clean

all: build

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

build: $(STAMP)
	$(PY) build.py

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf dist .pytest_cache
