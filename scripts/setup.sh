#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine (and a no-op on a ready one):
#   1. Debian packages: R, reticulate, rlang, testthat, R6, knitr, rmarkdown, pandoc, and
#      roxygen2 (regenerates r/man and r/NAMESPACE from the R sources);
#   2. a virtual environment in .venv: torch 2.13.0 (CPU wheel) first, then the
#      package and its test/demo extras, all constrained to that torch so that
#      nothing pulls a CUDA build;
#   3. the R package from r/ installed into .rlib.
# Each step leaves a stamp that records what it installed; a stamp that still
# matches its inputs skips the step.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

apt_packages=(r-base-core r-cran-reticulate r-cran-rlang r-cran-testthat r-cran-r6
              r-cran-knitr r-cran-rmarkdown pandoc r-cran-roxygen2)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

py_inputs=$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$py_inputs" ]; then
  echo "setup: building .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade "pip>=23"
  # torch first, from the pinned CPU wheel; every later install is held to it.
  .venv/bin/python -m pip install -q -c requirements/constraints.txt torch
  .venv/bin/python -m pip install -q -c requirements/constraints.txt -e ".[dev]"
  echo "$py_inputs" > .venv/.setup-stamp
fi

if [ -d r ] && [ -f r/DESCRIPTION ]; then
  r_inputs=$(find r -type f -not -path '*/.Rproj.user/*' -not -name '*.html' | sort | xargs cat | sha256sum | cut -c1-16)
  if [ "$(cat .rlib/.setup-stamp 2>/dev/null)" != "$r_inputs" ]; then
    echo "setup: installing the R package into .rlib"
    mkdir -p .rlib
    R_LIBS="$root/.rlib" R CMD INSTALL --no-multiarch --library="$root/.rlib" r >/tmp/lronecycle-install.log 2>&1 \
      || { cat /tmp/lronecycle-install.log; exit 1; }
    echo "$r_inputs" > .rlib/.setup-stamp
  fi
fi
echo "setup: ready (.venv, .rlib)"
