# Two commands do everything on a fresh machine with Python 3.11+:
#   make run    set up, migrate, load demo data on first run, and serve on :8000
#   make check  set up, then lint, format check, type check and every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run check install bench constraints clean

$(BIN)/tracker: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $@

install: $(BIN)/tracker

run: install
	$(BIN)/tracker serve

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tracker tests
	$(BIN)/pytest

bench: install
	$(BIN)/python tests/benchmarks/import_bench.py

constraints: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^parole-tracker' > constraints.txt.new
	( sed -n '1,2p' constraints.txt; cat constraints.txt.new ) > constraints.txt.tmp
	rm constraints.txt.new && mv constraints.txt.tmp constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
