# Two commands matter: `make demo` and `make test`. Each sets up what it needs first:
# the demo only the package and its runtime dependencies, the tests everything else too
# (dev tools, the MicroPython VM, the MicroPython stubs, Debian's chromium).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-runtime
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
BROWSER_STAMP := $(VENV)/.chromium
PG_STAMP := $(VENV)/.postgresql
STUBS_STAMP := .stubs/.installed
MP_STUBS := 1.27.0.post1

.PHONY: setup test demo bench lint typecheck clean

setup: $(STAMP) $(NODE_STAMP) $(STUBS_STAMP) $(BROWSER_STAMP) $(PG_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# What `wearlog demo` needs: the package and its runtime dependencies, nothing more.
$(RUNTIME_STAMP): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(RUNTIME_STAMP) $@

# The MicroPython VM for firmware tests, pinned by package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# MicroPython API stubs live apart from the venv: they shadow CPython's stdlib.
# rp2 uses the Pico W build's stubs: the generic micropython-rp2-stubs has no
# `bluetooth` (the plain Pico has no radio), and no 1.27 Pico W set exists.
$(STUBS_STAMP): Makefile | $(PY)
	rm -rf .stubs
	$(PY) -m pip install --quiet --no-deps --target .stubs/esp32 micropython-esp32-stubs==$(MP_STUBS) micropython-stdlib-stubs==1.27.0.post2
	$(PY) -m pip install --quiet --no-deps --target .stubs/rp2 micropython-rp2-rpi-pico-w-stubs==1.28.0.post4 micropython-stdlib-stubs==1.28.0.post4
	touch $@

# Debian's Chromium for the real-browser dashboard tests (Playwright drives it; it
# never downloads a browser of its own).
$(BROWSER_STAMP): | $(PY)
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends chromium; \
	fi
	touch $@

# Debian's PostgreSQL server for the tests that run every store, upload and dashboard
# suite on both backends: each test process starts a throwaway cluster of its own
# (tests/pgserver.py), as an unprivileged user when run as root.
$(PG_STAMP): | $(PY)
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing Debian's postgresql for the PostgreSQL backend tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends postgresql; \
	fi
	touch $@

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: setup
	$(PY) tools/typecheck_firmware.py
	$(VENV)/bin/mypy

test: setup lint typecheck
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

demo: $(RUNTIME_STAMP)
	$(VENV)/bin/wearlog demo $(DEMO_ARGS)

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules .stubs .pytest_cache .mypy_cache .ruff_cache
