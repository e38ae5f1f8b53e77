# Two commands for a fresh clone: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall when the dependency list changes.
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint format bench bench-quick load fuzz

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED)

run: install
	@scripts/run

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks on PostgreSQL (BENCH_ADMIN_DATABASE_URL, default the local server); see
# docs/performance.md. The full data set is built once into a template database (minutes).
bench: install
	$(BIN)/python -m bench.run --size full

bench-quick: install
	$(BIN)/python -m bench.run --size quick

# Reliability under load on PostgreSQL: a fixed-rate mix of reads and writes by several agencies'
# editors against gunicorn, reminder sweeps at the same time, then no errors and no lost writes
# (docs/reliability.md). A few minutes; pass options with LOAD_ARGS="--rate 40 --seconds 30".
load: install
	$(BIN)/python -m bench.reliability_load $(LOAD_ARGS)

# Schema fuzzing of every API operation, as an editor and anonymously (thousands of cases).
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-30} $(BIN)/pytest tests/contracts/test_fuzz.py
