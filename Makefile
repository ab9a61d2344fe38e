# Two commands: `make run` starts everything, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# The PostgreSQL server the tests use (this kind of machine runs one locally). Set it empty
# to skip the PostgreSQL tests on a machine without one.
COMPLAINTS_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export COMPLAINTS_TEST_POSTGRES_URL

.PHONY: install run demo test lint fmt bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) scripts/devstack.py

demo: install
	$(PY) scripts/demo.py

test: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

bench: install
	$(PY) bench/intake.py

fmt: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
