# Learnhub — `make help` lists the targets. Every target can be run again, and beside a running `make run`:
# a healthy .venv is synced in place, never deleted.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(HOME)/.local/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
HOST ?= 127.0.0.1
PORT ?= 8000
UV_VERSION := uv>=0.10,<1

# The interpreter for a new .venv: the real path of the first Python >= 3.11 that runs. A pyenv shim's own path
# would make uv think .venv was built from another interpreter and recreate it on every target.
PYTHON ?= $(shell for p in python3.11 python3.13 python3.12 python3; do \
	  $$p -c 'import sys; assert sys.version_info >= (3, 11); print(sys.executable)' 2>/dev/null && break; done)

# uv sync into .venv: with no interpreter request while .venv's own works (so uv keeps it), else with $(PYTHON).
define uv_sync
	@if $(PY) -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1; then \
	  uv sync --frozen --quiet $(1); \
	else \
	  test -n "$(PYTHON)" || { echo "No Python >= 3.11 found on PATH: install one (python3.11 or newer)"; exit 1; }; \
	  echo "Creating $(VENV) with $(PYTHON)"; \
	  uv sync --frozen --quiet --python "$(PYTHON)" $(1); \
	fi
endef

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

.PHONY: uv
uv: # uv >= 0.10 (it reads [tool.uv] exclude-dependencies), installed with pip --user when missing or older
	@v=$$(uv --version 2>/dev/null | cut -d' ' -f2); \
	if [ -z "$$v" ] || [ "$$(printf '%s\n' 0.10 "$$v" | sort -V | head -n1)" != 0.10 ]; then \
	  test -n "$(PYTHON)" || { echo "No Python >= 3.11 found on PATH"; exit 1; }; \
	  echo "Installing $(UV_VERSION) into ~/.local/bin"; \
	  $(PYTHON) -m pip install --quiet --user '$(UV_VERSION)' 2>/dev/null || $(PYTHON) -m pip install --quiet '$(UV_VERSION)'; \
	fi

.PHONY: install
install: uv ## Install the locked runtime dependencies into .venv (keeps dev tools already there)
	$(call uv_sync,--no-dev --inexact)

.PHONY: install-dev
install-dev: uv ## Install the runtime and dev dependencies into .venv
	$(call uv_sync,)

.PHONY: migrate
migrate: install ## Apply the database migrations
	$(PY) manage.py migrate --no-input

.PHONY: setup
setup: migrate ## Migrate and create the default schedules (what a deploy's release step runs)
	$(PY) manage.py setup

.PHONY: demo
demo: migrate ## Load the demo content and the default schedules (idempotent)
	$(PY) manage.py load_demo_content

.PHONY: admin
admin: install ## Set a new password for the demo admin and print it (DEMO_ADMIN_PASSWORD if set)
	@$(PY) manage.py demo_admin

.PHONY: run
run: install ## Migrate, load the demo content, serve http://127.0.0.1:8000 with a worker per queue (Ctrl-C stops)
	@$(PY) scripts/run.py --host $(HOST) --port $(PORT) $(if $(VERBOSE),--verbose)

.PHONY: lint
lint: ## ruff check, ruff format --check, manage.py check, makemigrations --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py makemigrations --check --dry-run

.PHONY: format
format: ## Format and autofix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: browser-deps
browser-deps: ## Install Debian's chromium for the browser tests (apt-get, as root or with sudo) when it is missing
	@if command -v chromium >/dev/null 2>&1 || [ -n "$$LEARNHUB_CHROMIUM" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; \
	elif sudo -n true 2>/dev/null; then sudo apt-get install -y -qq chromium >/dev/null || { sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; }; \
	else echo "The browser tests need Debian's chromium: apt-get install chromium (as root), or set LEARNHUB_CHROMIUM"; exit 1; fi; \
	echo "Installed $$(chromium --version)"

.PHONY: test-browser
test-browser: install-dev browser-deps ## Run the browser tests alone (Playwright + chromium, tests/browser/)
	$(VENV)/bin/pytest tests/browser $(PYTEST_ARGS)

.PHONY: test
test: install-dev browser-deps lint ## Install with dev dependencies and chromium, lint, run the test suite
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: bench
bench: install-dev ## Run the benchmarks under bench/
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

.PHONY: clean
clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var static_collected
