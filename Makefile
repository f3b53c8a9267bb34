# make demo / make test work in a fresh clone with only Python 3.11+ (CONTRACT section 1).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/clearlive demo --out demo-output

test: $(STAMP)
	$(BIN)/ruff check clearlive tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check clearlive tests bench

bench: $(STAMP)
	$(BIN)/python bench/scan.py

clean:
	rm -rf $(VENV) demo-output build *.egg-info
