# Two commands on a fresh machine with Python 3.11 (and Node 20 for the front-end assets):
#   make run    set up, migrate, load the demo data into an empty database, serve on PORT
#   make test   set up, lint the front end, run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: setup run test lint migrate clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The technician PWA (static/pwa/src → static/pwa/dist), rebuilt when its sources change.
PWA_SOURCES := static/pwa/build.mjs $(wildcard static/pwa/src/* static/pwa/src/views/* static/pwa/src/console/* static/pwa/public/* static/pwa/public/icons/*)
static/pwa/dist/build.json: node_modules/.installed $(PWA_SOURCES)
	npm run --silent build

setup: $(VENV)/.installed node_modules/.installed static/pwa/dist/build.json
	mkdir -p var

migrate: setup
	$(PY) cli.py migrate

# --no-proxy-headers: the app believes X-Forwarded-For only from TRUSTED_PROXIES (settings.py).
run: migrate
	APP_MODE=demo $(PY) cli.py seed-demo
	APP_MODE=demo $(VENV)/bin/uvicorn app:app --host $(HOST) --port $(PORT) --timeout-graceful-shutdown 5 --no-proxy-headers

# eslint's recommended rules on the PWA and the console (eslint.config.mjs).
lint: $(VENV)/.installed node_modules/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	npm run --silent lint

# The test files spread over TEST_WORKERS processes (pytest-xdist; a file stays on one worker, so
# its browser and servers start once; each worker has its own PostgreSQL database); the two long
# simulations start first (tests/conftest.py). 2, as CI runs; 0 runs everything in this process.
TEST_WORKERS ?= 2
test: setup lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules var/*.db var/*.db-*
