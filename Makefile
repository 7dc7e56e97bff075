# `make` sets up what is needed and builds content/ into dist/; `make test` checks the code and
# runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every package the install pulls in, pinned: a fresh machine installs what the tests passed with.
CONSTRAINTS := constraints.txt

.PHONY: all build test check test-accel-off lock clean node-tools pictures

all: build

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e '.[test]'
	touch $(STAMP)

# After changing a pin in pyproject.toml: install without the old constraints, run the tests,
# then write what the install resolved to (see the README, "Upgrading dependencies").
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PY) -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^pressroom' > $(CONSTRAINTS)
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

# The architecture and code checks: lint, format, types, layering.
check: $(STAMP)
	$(VENV)/bin/ruff check pressroom tests benchmarks
	$(VENV)/bin/ruff format --check pressroom tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The Node checkers the tests run (DAISY Ace with puppeteer, the Nu Html Checker; package.json),
# installed when npm is there, so that no test is skipped; Puppeteer uses Debian's chromium rather
# than downloading its own. Without npm, a note says which tests will be skipped.
NODE_STAMP := node_modules/.pressroom-installed
$(NODE_STAMP): package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

node-tools:
ifneq ($(shell command -v npm 2>/dev/null),)
	@$(MAKE) --no-print-directory $(NODE_STAMP)
else
	@echo "npm not found: the DAISY Ace, Nu Html Checker and browser tests will be skipped (apt-get install npm)"
endif

test: check $(FFI) node-tools
	$(PY) -m pytest

# The suite with every patch of another library's internals turned off (the plain paths).
test-accel-off: $(STAMP) $(FFI)
	PRESSROOM_ACCEL=off $(PY) -m pytest

# The README's pictures of real pages (docs/pictures/*.png), drawn again from the seed article:
# after a change to the layouts, run this and commit the pictures (needs chromium).
pictures: $(STAMP)
	$(PY) docs/pictures.py

clean:
	rm -rf dist .pytest_cache
