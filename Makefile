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

# WeasyPrint's C declarations, precompiled for cffi once instead of parsed at every start (~0.17 s;
# made again when the installed packages change; without it, they are parsed as before).
FFI := pressroom/accel/_weasyprint_ffi.py
$(FFI): $(STAMP)
	$(PY) -m pressroom.accel.ffi

# The editable install leaves pressroom/ uncompiled; compiled once here, it is not compiled again
# on every run when PYTHONDONTWRITEBYTECODE is set (~0.1 s per run).
build: $(STAMP) $(FFI)
	$(PY) -m compileall -q pressroom
	$(PY) build.py

test: $(STAMP) $(FFI)
	$(PY) -m pytest

clean:
	rm -rf dist .pytest_cache
