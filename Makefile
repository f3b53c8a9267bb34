# make demo / make test work in a fresh clone with only Python 3.11+ (CONTRACT section 1).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench model fuzz soak clean

# The demo needs only the package; the tests also need pytest, ruff and PySpark (the Spark scoring test).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/clearlive demo --out demo-output

test: $(DEV_STAMP)
	$(BIN)/ruff check clearlive tests bench
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check clearlive tests bench

bench: $(DEV_STAMP)
	$(BIN)/python bench/scan.py

# Coverage-guided fuzzing of every reader, the normaliser and the rule loader (atheris); a crash stops with the input that caused it.
fuzz: $(DEV_STAMP)
	for t in jsonl vtt srt whisper csv parquet adapter normalize rules; do $(BIN)/python bench/fuzz.py $$t -runs=20000 -max_len=4096 || exit 1; done

# A bounded soak test of the live service: 2 minutes at 5,000 events/s; nothing lost, memory flat.
soak: $(DEV_STAMP)
	$(BIN)/python bench/soak.py --seconds 120 --rate 5000

# Rebuild the bundled claims classifier from the labeled sets (never from heldout-3, which measures it).
model: $(DEV_STAMP)
	$(BIN)/clearlive train claims --out clearlive/classifiers/claims-model.npz \
		--data tests/data/eval/set-2 --data tests/data/eval/zh.jsonl --data tests/data/eval/en.jsonl \
		--data tests/data/eval/zh-heldout.jsonl --data tests/data/eval/en-heldout.jsonl \
		--calibrate tests/data/real/dev.jsonl

clean:
	rm -rf $(VENV) demo-output build *.egg-info
