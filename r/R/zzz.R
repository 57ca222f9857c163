# The Python side of the package: lr_one_cycle's R-facing module. It is imported on
# first use (delay_load), so library(lronecycle) neither starts Python nor fails
# without it; a failed import becomes instructions instead of reticulate's message.
.py <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
  if (!reticulate::py_available(initialize = FALSE)) {
    .py$bridge <- reticulate::import(
      "lr_one_cycle._r_bridge",
      delay_load = list(on_error = python_missing)
    )
  }
}

# The bridge module; imports it now when .onLoad could not delay it (Python already
# running) or when an earlier import failed.
bridge <- function() {
  if (is.null(.py$bridge)) {
    .py$bridge <- tryCatch(reticulate::import("lr_one_cycle._r_bridge"), error = python_missing)
  }
  .py$bridge
}

python_missing <- function(error) {
  # The next use tries again (after the user fixed the set-up) and reports again.
  .py$bridge <- NULL
  python <- Sys.getenv("RETICULATE_PYTHON", unset = "")
  where <- if (nzchar(python)) {
    sprintf("RETICULATE_PYTHON=%s", python)
  } else {
    "RETICULATE_PYTHON is not set, so reticulate picked its own Python"
  }
  reason <- strsplit(conditionMessage(error), "\n", fixed = TRUE)[[1]][1]
  stop(lronecycle_error(paste0(
    "lronecycle needs the Python package lr_one_cycle, which could not be imported (",
    where, "): ", reason, "\n",
    "Run `make setup` in the lr_one_cycle repository, then set RETICULATE_PYTHON to ",
    "its .venv/bin/python before loading lronecycle (the Makefile sets it for you)."
  ), python_type = "ImportError"))
}
