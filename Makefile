# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a helper of those.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -m "not slow" -n 2

bench: $(STAMP)
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/sync_bench.py
	$(BIN)/python bench/cli_bench.py

# Ten minutes of the scheduler daemon against faulty sandboxes: memory, file handles, connections flat.
soak: $(STAMP)
	$(BIN)/python bench/soak.py --minutes 10

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache
