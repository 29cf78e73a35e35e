# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run    install what the product needs, migrate, load demo data on first run, serve
#   make check  install that and the dev tools, then lint, format check, type check, every test
# Both install exact versions from constraints.txt, with uv (itself pinned there), which the
# first step puts in .venv from PyPI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
INSTALL := $(UV) pip install --quiet --python $(BIN)/python -c constraints.txt
# Stamps: what was installed, redone when the project or the pins change.
PRODUCT := $(VENV)/.product-installed
DEV := $(VENV)/.dev-installed

.PHONY: run check install install-dev bench constraints clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt uv

$(PRODUCT): pyproject.toml constraints.txt | $(UV)
	$(INSTALL) -e .
	touch $@

$(DEV): $(PRODUCT)
	$(INSTALL) -e ".[dev]"
	touch $@

install: $(PRODUCT)

install-dev: $(DEV)

run: install
	$(BIN)/tracker serve

check: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy tracker tests
	$(BIN)/lint-imports
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python tests/benchmarks/import_bench.py

# Re-pin every package of both sets (product and dev) after changing dependencies.
constraints: install-dev
	$(UV) pip freeze --python $(BIN)/python --exclude-editable | grep -v '^parole-tracker' > constraints.txt.new
	( sed -n '1,3p' constraints.txt; cat constraints.txt.new ) > constraints.txt.tmp
	rm constraints.txt.new && mv constraints.txt.tmp constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
