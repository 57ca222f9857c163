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
	$(MAKE) --no-print-directory test-r vignettes

# The R package's own tests as R CMD check runs them, after it has checked the code,
# the Rd files and the examples (vignettes: see `vignettes`).
test-r: setup
	rm -rf out/r-check && mkdir -p out/r-check
	cd out/r-check && R CMD build --no-build-vignettes --no-manual $(CURDIR)/r >build.log 2>&1 \
	  || { cat build.log; exit 1; }
	cd out/r-check && R CMD check --no-manual --ignore-vignettes lronecycle_*.tar.gz

# Renders the R package's vignette and the cross-language one to HTML next to their
# sources; a failing chunk (or a value that differs between R and Python) fails it.
vignettes: setup
	Rscript -e 'for (f in c("r/vignettes/lronecycle.Rmd", "vignettes/cross_language.Rmd")) rmarkdown::render(f, quiet = TRUE)'

lint: setup
	$(PY) -m ruff check lr_one_cycle tests benchmarks

bench: setup
	$(PY) benchmarks/bench_one_cycle.py
	$(PY) benchmarks/bench_cosine.py
	$(PY) benchmarks/bench_compiled.py
	$(PY) benchmarks/bench_r.py

clean:
	rm -rf .venv .rlib out .pytest_cache .hypothesis
