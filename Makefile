# Trialsite: `make run` (app + Celery worker and beat) and `make test` on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# Test processes (pytest-xdist); TEST_WORKERS=0 runs the tests in this process.
TEST_WORKERS ?= 2

MO     := locale/zh_Hans/LC_MESSAGES/django.mo

.PHONY: run test lint bench venv clean reset messages

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The Chinese catalogue is compiled from its .po (gettext's msgfmt); the .mo is not kept in git.
messages: $(MO)

$(MO): locale/zh_Hans/LC_MESSAGES/django.po | venv
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

run: venv messages
	PORT=$(PORT) ./bin/run

test: venv messages
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

reset: venv messages
	./bin/reset

clean:
	rm -rf var/broker var/broker-gw* var/celerybeat-schedule* var/staticfiles
