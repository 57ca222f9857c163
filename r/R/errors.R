#' Errors raised by lronecycle
#'
#' Bad arguments raise an R error of class `lronecycle_error` whose message is the
#' sentence the Python package raises for the same arguments (no Python traceback),
#' raised before the optimizer changes. Its `python_type` field names the Python
#' exception (`"ValueError"` or `"TypeError"`).
#'
#' @examples
#' err <- tryCatch(
#'   one_cycle_schedule(total_steps = 10.5, max_lr = 0.1),
#'   lronecycle_error = function(e) e
#' )
#' conditionMessage(err)
#' err$python_type
#' @name lronecycle_error
NULL

lronecycle_error <- function(message, python_type = NA_character_) {
  structure(
    class = c("lronecycle_error", "error", "condition"),
    list(message = message, call = NULL, python_type = python_type)
  )
}

# Evaluates `expr` (calls into Python) and turns a Python exception into an
# lronecycle_error carrying Python's own message. reticulate 1.28 raises Python errors
# as Rcpp exceptions whose message is "Type: message"; py_last_error() holds the parts.
py_call <- function(expr) {
  tryCatch(expr, error = function(e) {
    if (inherits(e, "lronecycle_error")) stop(e)
    last <- reticulate::py_last_error()
    if (is.null(last) || !grepl(paste0(last$type, ":"), conditionMessage(e), fixed = TRUE)) {
      stop(e)
    }
    # The package's structured errors (ArgumentValueError, ...) are ValueError/TypeError.
    stop(lronecycle_error(last$value, python_type = sub("^Argument", "", last$type)))
  })
}

# R arguments as Python should see them. reticulate turns a logical NA into True, so
# a missing value is sent as NaN, which every Python check refuses.
py_args <- function(args) {
  lapply(args, function(x) {
    if (is.atomic(x) && length(x) == 1L && is.na(x)) NaN else x
  })
}
