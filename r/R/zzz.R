# The Python side of the package: lr_one_cycle's R bridge. It is imported on first use
# (delay_load), so library(lronecycle) neither starts Python nor fails without it; a
# failed import becomes instructions instead of reticulate's message.
.py <- new.env(parent = emptyenv())
bridge_module <- "lr_one_cycle.integrations.r_bridge"

.onLoad <- function(libname, pkgname) {
  if (!reticulate::py_available(initialize = FALSE)) {
    .py$bridge <- reticulate::import(bridge_module, delay_load = list(on_error = python_missing))
  }
}

# The bridge module; imports it now when .onLoad could not delay it (Python already
# running) or when an earlier import failed.
bridge <- function() {
  if (is.null(.py$bridge)) {
    .py$bridge <- tryCatch(reticulate::import(bridge_module), error = python_missing)
  }
  .py$bridge
}

#' Is the Python package lr_one_cycle available?
#'
#' `TRUE` when reticulate's Python can import the Python package `lr_one_cycle`, which
#' computes every value of this package. Asking starts Python (reticulate binds one
#' Python per R session, for good): see [lronecycle_error] for what to do when it is
#' `FALSE`. Examples and vignettes run only when it is `TRUE`.
#'
#' @return `TRUE` or `FALSE`.
#' @examples
#' python_available()
#' @export
python_available <- function() {
  isTRUE(tryCatch(reticulate::py_module_available(bridge_module), error = function(e) FALSE))
}

python_missing <- function(error) {
  # The next use tries again (after the user fixed the set-up) and reports again.
  .py$bridge <- NULL
  config <- tryCatch(reticulate::py_config(), error = function(e) NULL)
  bound <- if (is.null(config)) "no Python (reticulate found none)" else config$python
  reason <- strsplit(conditionMessage(error), "\n", fixed = TRUE)[[1]][1]
  chosen <- Sys.getenv("RETICULATE_PYTHON", unset = "")
  stop(lronecycle_error(paste0(
    "lronecycle needs the Python package lr_one_cycle, which could not be imported ",
    "from the Python this R session uses, ", bound, ": ", reason, "\n",
    "* Install it into that Python, or build the repository's .venv with `make setup` ",
    "(it installs lr_one_cycle there).\n",
    "* Point reticulate at a Python that has it before anything starts Python: ",
    "Sys.setenv(RETICULATE_PYTHON = \"<repository>/.venv/bin/python\") or ",
    "reticulate::use_virtualenv(\"<repository>/.venv\", required = TRUE)",
    if (nzchar(chosen)) paste0(" (RETICULATE_PYTHON is ", chosen, " now)") else "", ".\n",
    "* reticulate binds one Python per R session for good: this session is bound to ",
    bound, ", so restart R after choosing another."
  ), python_type = "ImportError"))
}
