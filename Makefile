# Valuegate — see README.md. Every target finds its own Python >= 3.12.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
PG_URL ?= postgres://postgres:postgres@127.0.0.1:5432/valuegate
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: venv run test test-pg test-sqlite lint fmt services clean prod-smoke validate-compose \
	bench bench-small bench-mix fault-pg fuzz mutate otelcol

$(VENV)/.installed: pyproject.toml
	@BASE_PY=$$(bash scripts/find-python.sh) && echo "Using $$BASE_PY" && \
	  { [ -x $(PY) ] || $$BASE_PY -m venv $(VENV); }
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --python $(PY) -q -r pyproject.toml --extra dev
	@touch $@

venv: $(VENV)/.installed

run: venv  ## serve the demo at http://127.0.0.1:8000 with a Celery worker + beat
	bash scripts/run-dev.sh

services:  ## install (if missing) and start PostgreSQL and Redis on 127.0.0.1
	bash scripts/services.sh

prod-smoke: venv  ## the docker-compose shape as real processes: gunicorn + worker + beat, a real flow
	bash scripts/prod-smoke.sh

BENCH_SIZE ?= full
bench: venv  ## generate a portfolio in PostgreSQL (full: 2,000 use cases × 104 weeks) and measure it
	BENCH_SIZE=$(BENCH_SIZE) bash scripts/bench.sh

bench-small: venv  ## the same on a small portfolio: proves the benchmark works (CI)
	BENCH_SIZE=small bash scripts/bench.sh

MIX_RATE ?= 100
MIX_SECONDS ?= 600
bench-mix: venv  ## the mixed load (issue 20): MIX_RATE req/s for MIX_SECONDS s on gunicorn, writes verified
	BENCH_SIZE=$(BENCH_SIZE) BENCH_MIX=1 MIX_RATE=$(MIX_RATE) MIX_SECONDS=$(MIX_SECONDS) bash scripts/bench.sh

FAULT_RATE ?= 6
FAULT_SECONDS ?= 40
FAULT_REDIS_URL ?= redis://127.0.0.1:6379/12
fault-pg: venv services  ## PostgreSQL restarted and crashed under the mixed load (a cluster of its own): 503s, recovery, no write lost
	$(PY) -m benchmarks.pg_restart --rate $(FAULT_RATE) --seconds $(FAULT_SECONDS) --redis-url $(FAULT_REDIS_URL)

validate-compose: venv  ## check docker-compose.yml and the Dockerfile without a Docker engine
	$(PY) scripts/validate_compose.py

FUZZ_EXAMPLES ?= 50
fuzz: venv  ## schemathesis: every coverage case, FUZZ_EXAMPLES fuzzing cases per operation (the suite: 1/4, 5)
	env -u DATABASE_URL VALUEGATE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) VALUEGATE_FUZZ_COVERAGE_EVERY=1 \
	  $(PY) -m pytest tests/security/test_schemathesis.py -q -p no:cacheprovider $(PYTEST_ARGS)

# The two passes run side by side (they share nothing: SQLite's pass has no broker, worker or
# browser); the PostgreSQL pass prints as it goes, the SQLite pass's output follows it.
test: venv services tests/oidc/node_modules $(OTELCOL)  ## the whole suite on PostgreSQL + Redis and on SQLite, side by side
	@mkdir -p var; \
	$(MAKE) --no-print-directory test-sqlite > var/test-sqlite.log 2>&1 & sqlite=$$!; \
	$(MAKE) --no-print-directory test-pg; pg=$$?; \
	wait $$sqlite; sq=$$?; \
	echo "----- the SQLite pass (var/test-sqlite.log):"; cat var/test-sqlite.log; \
	echo "test: PostgreSQL pass exit $$pg, SQLite pass exit $$sq"; \
	[ $$pg -eq 0 ] && [ $$sq -eq 0 ]

tests/oidc/node_modules: tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund

# The OpenTelemetry Collector that runs docs/telemetry.md's config in the suite: built from
# Debian testing's packaged sources, each file checked against the signed archive index.
OTELCOL := var/otelcol/otelcol-valuegate
$(OTELCOL): tests/otelcol/main.go scripts/otelcol.py
	python3 scripts/otelcol.py

otelcol: $(OTELCOL)  ## build the OpenTelemetry Collector the suite runs (core components, ~1 min)

test-pg: venv services tests/oidc/node_modules $(OTELCOL)
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) VALUEGATE_TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) -m pytest $(PYTEST_ARGS)

test-sqlite: venv tests/oidc/node_modules  ## SQLite pass: leaves out browser, worker and PostgreSQL-only tests
	env -u DATABASE_URL CELERY_BROKER_URL=memory:// \
	  $(PY) -m pytest -m "not browser and not worker and not postgres" $(PYTEST_ARGS)

MUTATE_MIN ?= 95
MUTATE_JOBS ?= 2
# The migrated test database every mutant starts from (a copy each): on tmpfs where there is one.
MUTATE_DB ?= $(shell [ -d /dev/shm ] && echo /dev/shm || echo /tmp)/valuegate-mutmut-$(shell id -u).sqlite3
MUTANTS ?=
mutate: venv  ## mutation testing of the rule modules ([tool.mutmut]; slow: run it alone)
	rm -rf mutants
	env -u DATABASE_URL CELERY_BROKER_URL=memory:// VALUEGATE_TEST_DB_TEMPLATE=$(MUTATE_DB) \
	  $(PY) scripts/mutate.py run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(PY) scripts/mutate.py score $(MUTATE_MIN)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var/valuegate.sqlite3* var/celery-broker.sqlite3 var/celerybeat-schedule*
