# The two commands a fresh machine needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench load clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# peers (pyrankvote, pref_voting, abcvoting, pabutools, votekit) are installed for the differential tests.
$(TEST_STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench,peers]'
	touch $@

run: $(APP_STAMP)
	$(BIN)/flask --app consult demo
	$(BIN)/flask --app consult run --host 127.0.0.1 --port 5000

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(TEST_STAMP) lint
	$(BIN)/pytest -q

bench: $(TEST_STAMP)
	$(BIN)/pytest benchmarks -q --benchmark-only -p no:cacheprovider

# The load run (benchmarks/load): gunicorn + locust on loopback, SQLite then PostgreSQL, ~2 min each.
load: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
