# athar: `make run` serves the API, `make test` runs the whole suite. Both install what is
# missing first (PostgreSQL + PostGIS via apt, a .venv with athar installed editable).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ATHAR := $(BIN)/athar
STAMP := $(VENV)/.athar-installed
# npm writes this file on every install; newer than package-lock.json means up to date.
WEB_STAMP := api/web/node_modules/.package-lock.json
PG_VERSION ?= 15

.PHONY: help run test setup system lint clean

help:
	@echo "make run    install what is missing, start PostGIS, migrate, load data, serve :8000"
	@echo "make test   install what is missing, start PostGIS, run the test suite"
	@echo "make lint   ruff and mypy"

run: setup
	@$(ATHAR) db up
	@$(ATHAR) migrate
	@$(ATHAR) load
	@$(ATHAR) serve

# The browser test of the web map drives Debian's chromium: `make test` installs it.
test: WITH_BROWSER := 1
test: setup
	@$(ATHAR) db up
	@$(BIN)/pytest

lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

setup: system $(STAMP) $(WEB_STAMP)

# System packages: a PostgreSQL server with PostGIS (unless DATABASE_URL points elsewhere),
# docker-compose, whose `config` check validates docker-compose.yml offline in the tests,
# Node.js and npm for the web map's libraries, and for `make test` chromium with a font that
# has Arabic (the web map's browser test).
system:
	@need=(); \
	if [ -z "$${DATABASE_URL:-}" ] && ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then \
	  need+=(postgresql-$(PG_VERSION) postgresql-$(PG_VERSION)-postgis-3); \
	fi; \
	command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose); \
	command -v npm >/dev/null 2>&1 || need+=(nodejs npm); \
	optional=(); \
	if [ -n "$(WITH_BROWSER)" ] && [ ! -x /usr/bin/chromium ]; then optional+=(chromium fonts-dejavu-core); fi; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv); \
	if [ $${#need[@]} -eq 0 ] && [ $${#optional[@]} -eq 0 ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	elif [ $${#need[@]} -eq 0 ]; then \
	  echo "Not installing $${optional[*]} (needs root): the web map's browser test will be skipped." >&2; \
	  exit 0; \
	else \
	  echo "athar needs these system packages: $${need[*]}" >&2; \
	  echo "Install them as root (apt-get install $${need[*]}), or run make as root or with" >&2; \
	  echo "passwordless sudo; or set DATABASE_URL to an existing PostGIS database." >&2; \
	  exit 1; \
	fi; \
	need+=("$${optional[@]}"); \
	echo "Installing system packages: $${need[*]}"; \
	$$sudo apt-get update -qq; \
	if ! apt-cache show "postgresql-$(PG_VERSION)-postgis-3" >/dev/null 2>&1; then \
	  other=$$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$$' | cut -d' ' -f1 | sort -V | tail -n1); \
	  if [ -n "$$other" ]; then \
	    ver=$${other#postgresql-}; ver=$${ver%%-*}; \
	    echo "PostgreSQL $(PG_VERSION) is not packaged here; using PostgreSQL $$ver."; \
	    need=("$${need[@]/postgresql-$(PG_VERSION)-postgis-3/$$other}"); \
	    need=("$${need[@]/postgresql-$(PG_VERSION)/postgresql-$$ver}"); \
	  fi; \
	fi; \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends "$${need[@]}" >/dev/null

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "athar needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The web map's MapLibre and pmtiles, from the npm registry, exactly as package-lock.json says.
$(WEB_STAMP): api/web/package.json api/web/package-lock.json
	@npm ci --prefix api/web --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	@echo "The embedded database in .athar/ is kept; remove it with: athar db destroy"
