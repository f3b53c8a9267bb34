# make demo / make test work in a fresh clone with only Python 3.11+ (CONTRACT section 1).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck bench startup dist dist-check model fuzz soak clean

# The demo needs only the core package (scan, score, report); the tests need every extra
# ([serve,postgres,redis,spark,train,audio,encoder]) and the tools (pytest, ruff, mypy, build, twine):
# the dev extra pulls them all.
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
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Type checking (config in pyproject.toml: strict where [[tool.mypy.overrides]] says so).
typecheck: $(DEV_STAMP)
	$(BIN)/mypy

lint: $(DEV_STAMP)
	$(BIN)/ruff check clearlive tests bench

bench: $(DEV_STAMP)
	$(BIN)/python bench/scan.py

# Start-up of `clearlive scan` on one event against `python -c pass`, in the same run (bench/startup.py).
startup: $(DEV_STAMP)
	$(BIN)/python bench/startup.py

# The wheel and sdist in dist/ (twine-checked).
dist: $(DEV_STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check dist/*

# The release check: build, then install the wheel alone in a clean venv and run `clearlive demo` there
# (core install only: no extra). Several minutes: the venv downloads the core dependencies.
dist-check: dist
	rm -rf build/dist-check
	$(PYTHON) -m venv build/dist-check/venv
	build/dist-check/venv/bin/pip install --quiet dist/*.whl
	cd build/dist-check && venv/bin/clearlive demo --out demo-output
	test -s build/dist-check/demo-output/report.html

# Coverage-guided fuzzing of every reader, the normaliser and the rule loader (atheris); a crash stops with the input that caused it.
fuzz: $(DEV_STAMP)
	for t in jsonl vtt srt whisper csv parquet adapter normalize rules; do $(BIN)/python bench/fuzz.py $$t -runs=20000 -max_len=4096 || exit 1; done

# A bounded soak test of the live service: 2 minutes at 5,000 events/s; nothing lost, memory flat.
soak: $(DEV_STAMP)
	$(BIN)/python bench/soak.py --seconds 120 --rate 5000

# Rebuild the bundled claims classifier from the labeled sets (never from heldout-3, which measures it).
model: $(DEV_STAMP)
	$(BIN)/clearlive train claims --out clearlive/watch/classifiers/claims-model.npz \
		--data tests/data/eval/set-2 --data tests/data/eval/zh.jsonl --data tests/data/eval/en.jsonl \
		--data tests/data/eval/zh-heldout.jsonl --data tests/data/eval/en-heldout.jsonl \
		--calibrate tests/data/real/dev.jsonl
	$(BIN)/clearlive train verifier --data tests/data/real/dev.jsonl \
		--out clearlive/watch/classifiers/verifier-model.npz

clean:
	rm -rf $(VENV) demo-output build dist *.egg-info
