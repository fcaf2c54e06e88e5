# SP4N-LAPOR! core: two commands on a fresh machine.
#
#   make setup   # once (idempotent): uv + every workspace package and the dev tools in .venv
#   make run     # Kafka + PostgreSQL (embedded) + the four services, until Ctrl-C

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
# uv from PATH, else the one pip put next to $(PYTHON) (setup installs it there when it is missing).
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_PYTHON_DOWNLOADS := never

PYTEST_ARGS ?=
RUN_ARGS ?=
SAMPLES ?= 3

.PHONY: help setup run run-infra test test-unit publish-sample lint schemas clean

help: ## Daftar target / list the targets
	@echo "SP4N-LAPOR! — make <target>"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Siapkan lingkungan / install uv if missing and sync .venv (fast when done)
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || { \
		echo "→ uv tidak ditemukan, memasang uv $(UV_VERSION) / installing uv"; \
		$(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"; }
	@test -f uv.lock || { echo "→ uv.lock belum ada, membuatnya / generating uv.lock"; $(UV) lock; }
	@$(UV) sync --all-packages --frozen --quiet

run: setup ## Jalankan seluruh platform / run Kafka, PostgreSQL and all services (RUN_ARGS="--once" etc.)
	@$(UV) run --frozen python tools/run_platform.py $(RUN_ARGS)

run-infra: setup ## Hanya Kafka + PostgreSQL / only the infrastructure, prints the env vars
	@$(UV) run --frozen python tools/run_platform.py --no-services

test: setup ## Semua tes / all tests (PYTEST_ARGS="..." passes options to pytest)
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-unit: setup ## Tes unit saja / unit tests only
	$(UV) run --frozen pytest -m unit $(PYTEST_ARGS)

publish-sample: setup ## Kirim laporan contoh / publish SAMPLES (default 3) sample complaints to `make run`
	@$(UV) run --frozen python tools/publish_sample.py --count $(SAMPLES)

lint: setup ## Periksa kode / ruff check
	$(UV) run --frozen ruff check .

schemas: setup ## Tulis JSON Schema event / write the event JSON Schemas to docs/events
	$(UV) run --frozen python -m lapor_shared.events.schemas docs/events

clean: ## Hapus .run dan cache / remove .run (embedded data, logs) and caches
	rm -rf .run .pytest_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
