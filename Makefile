PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_BRIEF ?= examples/briefs/paper-boat.md

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/director run $(DEMO_BRIEF) --out projects/demo --yes

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python bench/foundation.py
	$(BIN)/python bench/concurrency.py
	$(BIN)/python bench/qc_cost.py

clean:
	rm -rf $(VENV) projects .pytest_cache
