# Two commands on a fresh machine: `make demo` and `make test`.
# The developer's loop: `make check` (lint + fast tests) while working, `make test` before
# pushing (it is what CI runs). See CONTRIBUTING.md.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: test check lint typecheck fast slow demo install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the package metadata or the compiled module changes (setup.py builds it).
$(STAMP): $(BIN)/python setup.cfg pyproject.toml setup.py qualcode/coding/keywords/_windows.pyx
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Everything: the linter, the type checker and every test, the slow ones included (CI: .ci/run).
test: lint typecheck $(STAMP)
	$(BIN)/python -m pytest

# While working: the linter, the type checker and the tests that take less than about 1.5 s each.
check: lint typecheck fast

lint: $(STAMP)
	$(BIN)/ruff check .

fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

typecheck: $(STAMP)
	$(BIN)/python -m mypy

demo: $(STAMP)
	$(BIN)/qualcode demo --out demo-output

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_autocode.py --words 200000

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
