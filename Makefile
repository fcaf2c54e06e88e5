# SP4N-LAPOR! core: two commands on a fresh machine.
#
#   make setup   # once (idempotent): uv + every workspace package and the dev tools in .venv
#   make run     # Kafka + PostgreSQL (embedded) + the seven services and a mail/SMS sink, until Ctrl-C

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
# uv from PATH, else the project's own in .tools/uv (setup puts it there with `python3 -m tools.bootstrap_uv`, which
# needs only the standard library: Debian's python3 refuses pip into the system, or may have no pip at all).
LOCAL_UV := .tools/uv/bin/uv
UV := $(shell command -v uv 2>/dev/null || echo "$(LOCAL_UV)")
export UV_PYTHON_DOWNLOADS := never

PYTEST_ARGS ?=
RUN_ARGS ?=
SAMPLES ?= 3
# each service and its HTTP port (its settings' default; tests/deploy checks they agree)
SERVICE_PORTS := intake:8001 routing:8002 followup:8003 notify:8004 dashboard:8005 gateway:8006 console:8007
IMAGE_PREFIX ?=
# images are tagged with the commit they were built from (immutable); production pins their digests
# (deploy/k8s/pin_images.py)
IMAGE_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)

# Bytecode is compiled at setup, for the libraries (uv's --compile-bytecode) and for our own code: with
# PYTHONDONTWRITEBYTECODE set (as on our machines) every process would otherwise compile every module it
# imports, half of a service's start-up CPU (a platform of seven was ready in 13.4 s, 7.4 s compiled).
BYTECODE_DIRS := shared services tools tests examples conftest.py

BENCH_ARGS ?=
HISTORY_ARGS ?=
CHAOS_ARGS ?=

.PHONY: help setup run run-infra test test-unit publish-sample lint typecheck schemas asyncapi bench profile bench-statements bench-idle soak bench-history chaos chaos-short clean images deploy-check deadletters replay-deadletter outbox-parked bench-geo

help: ## Daftar target / list the targets
	@echo "SP4N-LAPOR! — make <target>"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Siapkan lingkungan / install uv if missing and sync .venv (fast when done)
	@command -v uv >/dev/null 2>&1 || test -x $(LOCAL_UV) || $(PYTHON) -m tools.bootstrap_uv $(UV_VERSION) >/dev/null
	@test -f uv.lock || { echo "→ uv.lock belum ada, membuatnya / generating uv.lock"; $(UV) lock; }
	@$(UV) sync --all-packages --frozen --quiet --compile-bytecode
	@$(UV) run --frozen --no-sync python -m compileall -q -j 0 -x node_modules $(BYTECODE_DIRS) >/dev/null

run: setup ## Jalankan seluruh platform / run Kafka, PostgreSQL and all services (RUN_ARGS="--once" etc.)
	@$(UV) run --frozen python -m tools.run_platform $(RUN_ARGS)

run-infra: setup ## Hanya Kafka + PostgreSQL / only the infrastructure, prints the env vars
	@$(UV) run --frozen python -m tools.run_platform --no-services

test: setup ## Semua tes / all tests (PYTEST_ARGS="..." passes options to pytest)
	$(UV) run --frozen pytest $(PYTEST_ARGS)

test-unit: setup ## Tes unit saja / unit tests only
	$(UV) run --frozen pytest -m unit $(PYTEST_ARGS)

publish-sample: setup ## Kirim laporan contoh / publish SAMPLES (default 3) sample complaints to `make run`
	@$(UV) run --frozen python -m tools.publish_sample --count $(SAMPLES)

lint: setup ## Periksa gaya kode / ruff check (rules in pyproject.toml)
	$(UV) run --frozen ruff check .

typecheck: setup ## Periksa tipe / mypy: strict on shared/lapor_shared, checked on the services and tools
	$(UV) run --frozen mypy

schemas: setup ## Tulis JSON Schema event / write the event JSON Schemas to docs/events
	$(UV) run --frozen python -m tools.event_schemas docs/events

images: ## Bangun image Docker / build the service images, tagged with the commit id (needs a Docker engine; IMAGE_PREFIX, IMAGE_TAG)
	@docker info >/dev/null 2>&1 || { \
		echo "✗ Docker engine tidak tersedia / no Docker engine answers 'docker info'." >&2; \
		echo "  Build the images on a machine with Docker (see deploy/README.md); here, 'make deploy-check'" >&2; \
		echo "  validates the Dockerfile, compose and Kubernetes files without one." >&2; \
		exit 1; }
	@for pair in $(SERVICE_PORTS); do \
		svc=$${pair%%:*}; port=$${pair##*:}; \
		echo "→ $(IMAGE_PREFIX)lapor-$$svc:$(IMAGE_TAG)"; \
		docker build -f deploy/docker/Dockerfile --build-arg SERVICE=$$svc --build-arg PORT=$$port \
			-t "$(IMAGE_PREFIX)lapor-$$svc:$(IMAGE_TAG)" . || exit 1; \
	done

deploy-check: setup ## Periksa berkas deploy / check the Dockerfile, compose and Kubernetes manifests (no engine needed)
	$(UV) run --frozen python deploy/k8s/generate_topics.py --check
	$(UV) run --frozen python deploy/k8s/generate_principals.py --check
	$(UV) run --frozen pytest tests/deploy -q $(PYTEST_ARGS)

asyncapi: setup ## Tulis dokumen AsyncAPI / write docs/asyncapi/<service>.json (a test fails when they drift)
	$(UV) run --frozen python -m tools.asyncapi_docs

bench: setup ## Ukur kinerja / benchmark the whole pipeline (BENCH_ARGS="--complaints 20000"); results/ + docs/performance.md
	$(UV) run --frozen python -m tools.bench $(BENCH_ARGS)

profile: setup ## Di mana waktunya / py-spy samples of every service at maximum load: results/profile-*.txt (speedscope) + a table
	$(UV) run --frozen python -m tools.profile_services $(PROFILE_ARGS)

bench-statements: setup ## Hitung pernyataan / statements, transactions and Kafka records per complaint, per service (counts, not timings)
	$(UV) run --frozen python -m tools.bench_statements $(STATEMENTS_ARGS)

bench-idle: setup ## CPU saat diam / the platform's CPU over 60 s with no traffic (issue 17: ≤ 10% of one core)
	$(UV) run --frozen python -m tools.bench_idle $(IDLE_ARGS)

soak: setup ## Uji lama 10 menit / a 10-minute soak at 80% of the measured maximum
	$(UV) run --frozen python -m tools.bench --soak-seconds 600 $(BENCH_ARGS)

bench-history: setup ## Biaya vs riwayat / hot look-ups timed with 0, 100k and 1M complaints stored (fails if they grow)
	$(UV) run --frozen python -m tools.bench_history $(HISTORY_ARGS)

bench-geo: setup ## Biaya lokasi titik / cost of routing by a point: index load, look-ups inside, near and at sea
	$(UV) run --frozen python -m tools.bench_geo $(BENCH_ARGS)

chaos-short: setup ## Uji ketahanan singkat / the short chaos run (300 complaints, one kill per service)
	$(UV) run --frozen pytest -m chaos $(PYTEST_ARGS)

chaos: setup ## Uji ketahanan / 3,000 complaints while every service is SIGKILLed 3x and PostgreSQL restarts; every planned message counted at the sinks
	$(UV) run --frozen python -m tools.chaos $(CHAOS_ARGS)

ARGS ?=

deadletters: setup ## Surat mati / dead letters of a service (ARGS="list --service intake"); see docs/operations.md
	@$(UV) run --frozen python -m lapor_shared.operator dead-letters $(ARGS)

replay-deadletter: setup ## Putar ulang surat mati / replay dead letters after a fix (ARGS="--service S --id N [--dry-run]")
	@$(UV) run --frozen python -m lapor_shared.operator dead-letters replay $(ARGS)

outbox-parked: setup ## Baris outbox diparkir / outbox rows the broker refused, per service (ARGS="--service S")
	@$(UV) run --frozen python -m lapor_shared.operator outbox parked $(ARGS)

clean: ## Hapus .run dan cache / remove .run (embedded data, logs) and caches
	rm -rf .run .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find . -path ./.venv -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
