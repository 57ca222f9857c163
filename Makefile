# The commands a person types. Each target installs what it needs first
# (scripts/setup.sh is idempotent and fast once everything is in place).
PY := .venv/bin/python
export RETICULATE_PYTHON := $(CURDIR)/.venv/bin/python
export R_LIBS := $(CURDIR)/.rlib

.PHONY: setup demo test test-python test-r lint bench vignettes clean

setup:
	bash scripts/setup.sh

demo: setup
	$(PY) -m lr_one_cycle demo

test: setup
	$(PY) -m ruff check lr_one_cycle tests benchmarks
	$(PY) -m pytest -q

lint: setup
	$(PY) -m ruff check lr_one_cycle tests benchmarks

bench: setup
	$(PY) benchmarks/bench_one_cycle.py
	$(PY) benchmarks/bench_cosine.py

clean:
	rm -rf .venv .rlib out .pytest_cache .hypothesis
