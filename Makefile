# The commands a person types. Each target installs what it needs first
# (scripts/setup.sh is idempotent and fast once everything is in place).
PY := .venv/bin/python
export RETICULATE_PYTHON := $(CURDIR)/.venv/bin/python
export R_LIBS := $(CURDIR)/.rlib

.PHONY: setup demo test test-python test-r test-r-without-python lint bench vignettes clean

setup:
	bash scripts/setup.sh

demo: setup
	$(PY) -m demo

test: setup
	$(PY) -m ruff check lr_one_cycle tests benchmarks demo
	$(PY) -m mypy
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory test-r vignettes

# R CMD check --as-cran, offline (these variables skip the checks that need the network).
R_CHECK := _R_CHECK_CRAN_INCOMING_=false _R_CHECK_CRAN_INCOMING_REMOTE_=false \
  _R_CHECK_SYSTEM_CLOCK_=0 R CMD check --as-cran --no-manual
# R CMD check exits 0 on warnings: a WARNING, or a NOTE about files left in the
# temporary directory, fails the target.
check_clean = ! grep -q "^Status:.*WARNING" $(1)/lronecycle.Rcheck/00check.log \
  || { echo "R CMD check gave a WARNING"; exit 1; }; \
  ! grep -q "checking for detritus in the temp directory \.\.\. NOTE" $(1)/lronecycle.Rcheck/00check.log \
  || { echo "R CMD check left files in the temporary directory"; exit 1; }

# The R package's own tests as R CMD check --as-cran runs them, after it has checked the
# code, the Rd files and the examples (vignettes: see `vignettes`); then the same check
# with a Python that lacks lr_one_cycle (test-r-without-python).
test-r: setup
	rm -rf out/r-check && mkdir -p out/r-check
	cd out/r-check && R CMD build --no-build-vignettes --no-manual $(CURDIR)/r >build.log 2>&1 \
	  || { cat build.log; exit 1; }
	cd out/r-check && $(R_CHECK) --ignore-vignettes lronecycle_*.tar.gz
	@$(call check_clean,out/r-check)
	$(MAKE) --no-print-directory test-r-without-python

# R CMD build and check where reticulate's Python (a bare virtual environment) has no
# lr_one_cycle, as on a machine without it: the examples, tests and the vignette must
# skip, not fail. (Not --as-cran: with the vignette built, that wants qpdf, which the
# set-up does not install.)
test-r-without-python:
	rm -rf out/r-check-bare && mkdir -p out/r-check-bare
	python3 -m venv --without-pip out/r-check-bare/venv
	cd out/r-check-bare && RETICULATE_PYTHON=$(CURDIR)/out/r-check-bare/venv/bin/python \
	  R CMD build --no-manual $(CURDIR)/r >build.log 2>&1 || { cat build.log; exit 1; }
	cd out/r-check-bare && RETICULATE_PYTHON=$(CURDIR)/out/r-check-bare/venv/bin/python \
	  R CMD check --no-manual lronecycle_*.tar.gz
	@$(call check_clean,out/r-check-bare)

# Renders the R package's vignette and the cross-language one to HTML next to their
# sources; a failing chunk (or a value that differs between R and Python) fails it.
vignettes: setup
	Rscript -e 'for (f in c("r/vignettes/lronecycle.Rmd", "vignettes/cross_language.Rmd")) rmarkdown::render(f, quiet = TRUE)'

lint: setup
	$(PY) -m ruff check lr_one_cycle tests benchmarks demo
	$(PY) -m mypy

# Every benchmark script (benchmarks/README.md), then the table of every target;
# everything measured goes to out/bench/results.json.
bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf .venv .rlib out .pytest_cache .hypothesis
