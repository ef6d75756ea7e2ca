# The two commands a newcomer needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint fmt install seed bench bench-smoke bench-sweep soak messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: embedded portal on http://127.0.0.1:8000 (SQLite, eager Celery, demo data)
run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py seed_demo
	@DEBUG=1 $(BIN)/python manage.py demo_accounts
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: lint, type check, catalogue check, the benchmark smoke run, then the whole suite on PostgreSQL and Redis
test: $(STAMP)
	bash scripts/services.sh
	bash scripts/ensure_tools.sh
	$(MAKE) lint
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python scripts/check_messages.py
	$(MAKE) bench-smoke
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: the benchmark suite on 100,000 and 1,000,000 suggestions (bench/README.md); under 30 minutes
bench: $(STAMP)
	$(BIN)/python -m bench.run

## make bench-smoke: the same scenarios on 10,000 suggestions, 2 s each (CI); fails on error responses, not timings
bench-smoke: $(STAMP)
	$(BIN)/python -m bench.run --smoke

## make bench-sweep: the deadline sweep on 100,000 open suggestions, 10,000 due, in a scratch PostgreSQL database
bench-sweep: $(STAMP)
	bash scripts/services.sh
	DATABASE_URL=$(TEST_DATABASE_URL) SECRET_KEY=bench-sweep-only $(BIN)/python manage.py bench_sweep

## make soak: 10 minutes of staff + voter + API load with Redis stopped 60 s and PostgreSQL restarted, on its own services
soak: $(STAMP)
	$(BIN)/python -m bench.soak

## make messages: refresh the Chinese catalogue from the code and the translation memory
messages: $(STAMP)
	$(BIN)/python scripts/translations.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
