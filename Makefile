# The commands the README names. Everything installs into .venv from the lock
# files, so a fresh clone needs only Python 3.11+, make and the package index.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export PATRON_VAR_DIR ?= $(CURDIR)/var

.PHONY: run test lint layers typecheck pytest bench lock clean install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: $(BIN)/python requirements/base.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements/base.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.base-installed requirements/dev.lock
	$(BIN)/pip install --quiet -r requirements/dev.lock
	touch $@

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

## make run: install, migrate, load demo data once, serve web + task worker
run: install
	@mkdir -p $(PATRON_VAR_DIR)
	$(BIN)/patron migrate --no-input -v0
	$(BIN)/patron sync-roles -v0
	$(BIN)/patron seed-demo --if-empty
	$(BIN)/patron collectstatic --no-input -v0
	$(BIN)/patron serve --port $(PORT)

## make test: lint, type checks and every test
test: install-dev lint layers typecheck pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make layers: the import contracts of DESIGN.md's layer table (pyproject.toml)
layers: install-dev
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy patron

pytest: install-dev
	@mkdir -p $(PATRON_VAR_DIR)
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

## make bench: benchmarks on PostgreSQL; figures go to docs/benchmarks.md
bench: install-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make lock: refresh the lock files after changing pyproject.toml
lock: $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile -q pyproject.toml -o requirements/base.lock --python-version 3.11
	$(BIN)/uv pip compile -q pyproject.toml --extra dev -o requirements/dev.lock --python-version 3.11

clean:
	rm -rf $(VENV) var
