# Trialsite: `make run` (app + Celery worker and beat) and `make test` on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# Test processes (pytest-xdist); TEST_WORKERS=0 runs the tests in this process.
TEST_WORKERS ?= 2

.PHONY: run test lint bench venv clean reset

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: venv
	PORT=$(PORT) ./bin/run

test: venv
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

reset: venv
	./bin/reset

clean:
	rm -rf var/broker var/broker-gw* var/celerybeat-schedule* var/staticfiles
