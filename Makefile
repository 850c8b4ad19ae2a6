# Learnhub — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
HOST ?= 127.0.0.1
PORT ?= 8000

# The first interpreter >= 3.11 that actually runs (a pyenv shim on PATH may exist and be broken).
PYTHON ?= $(shell for p in python3.11 python3.13 python3.12 python3; do \
	  $$p -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && command -v $$p && break; done)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

.PHONY: uv
uv:
	@command -v uv >/dev/null 2>&1 || { test -n "$(PYTHON)" || { echo "No Python >= 3.11 found"; exit 1; }; \
	  $(PYTHON) -m pip install --quiet --user 'uv>=0.9,<1' || $(PYTHON) -m pip install --quiet 'uv>=0.9,<1'; }

.PHONY: install
install: uv ## Create .venv and install the locked runtime dependencies
	@test -n "$(PYTHON)" || { echo "No Python >= 3.11 interpreter found on PATH"; exit 1; }
	@PATH="$$HOME/.local/bin:$$PATH" uv sync --frozen --no-dev --inexact --python "$(PYTHON)"

.PHONY: install-dev
install-dev: uv
	@test -n "$(PYTHON)" || { echo "No Python >= 3.11 interpreter found on PATH"; exit 1; }
	@PATH="$$HOME/.local/bin:$$PATH" uv sync --frozen --python "$(PYTHON)"

.PHONY: migrate
migrate:
	$(PY) manage.py migrate --no-input

.PHONY: demo
demo: ## Load the demo content (idempotent)
	$(PY) manage.py load_demo_content

.PHONY: run
run: install migrate demo ## Install, migrate, load demo content, serve on http://127.0.0.1:8000 with task workers
	@echo "Serving on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/). Ctrl-C stops everything."
	@trap 'kill 0' INT TERM EXIT; \
	  Q_CLUSTER_NAME=default $(PY) manage.py qcluster & \
	  Q_CLUSTER_NAME=content $(PY) manage.py qcluster & \
	  Q_CLUSTER_NAME=embeddings $(PY) manage.py qcluster & \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT) & \
	  wait

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

.PHONY: test
test: install-dev lint ## Install with dev dependencies, lint, run the test suite
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: bench
bench: install-dev ## Run the benchmarks under bench/
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

.PHONY: clean
clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var static_collected
