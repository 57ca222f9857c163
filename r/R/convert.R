# R values as Python takes them. Every argument of every exported function goes through
# py_arguments() before it crosses: reticulate 1.28 with NumPy 2 crashes on any R array
# or matrix (a tapply() result, array(c(.01, .1))), turns a logical NA into True, an
# integer NA into -2147483648 and a character NA into "NA", and a named list into a
# dict. What a value means is then checked by Python, once, for R and Python alike.

# `args`: a list of R values, named by argument (or unnamed, positional).
py_arguments <- function(args) {
  labels <- names(args) %||% character(length(args))
  for (i in seq_along(args)) {
    label <- if (nzchar(labels[[i]])) labels[[i]] else sprintf("argument %d", i)
    value <- py_value(args[[i]], label)
    # `args[i] <- list(value)` keeps a NULL argument (Python's None).
    args[i] <- list(value)
  }
  args
}

# A state dict (a named list) as Python takes it: a dict of converted entries. Named
# lists inside it (the parts' states in a sequence's) cross as dicts too, at any depth.
py_state <- function(state_dict, path = "state_dict") {
  if (!is.list(state_dict) || is.data.frame(state_dict)) {
    return(py_value(state_dict, path))
  }
  labels <- names(state_dict)
  if (is.null(labels)) {
    state_dict <- unname(state_dict)
  }
  for (i in seq_along(state_dict)) {
    label <- if (is.null(labels)) "" else labels[[i]]
    where <- if (nzchar(label)) paste0(path, "$", label) else sprintf("%s[[%d]]", path, i)
    value <- py_state(state_dict[[i]], where)
    state_dict[i] <- list(value)
  }
  state_dict
}

# One R value as Python takes it:
# - NULL and Python objects cross as they are;
# - a function crosses as a Python function that hands its arguments to R as R values
#   (reticulate's own conversion hands them as Python objects);
# - a 1-d array or a one-column matrix is its vector (R's own `dim` has no meaning
#   for Python); a matrix with more columns, or an array of higher rank, is refused;
# - a factor is refused (it would cross as its level codes), and so is what is neither
#   a vector nor a list (an environment, a formula), which reticulate cannot convert;
# - a list (named or not) crosses as a Python list of its converted elements, so
#   `list(body = .01, head = .1)` means what `c(body = .01, head = .1)` means;
# - NA (logical, integer, double or character) crosses as NaN, which every Python
#   check refuses; the R side shows the user's NA in the message.
py_value <- function(x, path) {
  if (is.null(x) || inherits(x, "python.builtin.object")) {
    return(x)
  }
  if (is.function(x)) {
    return(reticulate::r_to_py(x, convert = TRUE))
  }
  if (is.factor(x)) {
    stop(lronecycle_error(sprintf(
      "%s must not be a factor (it would cross as its level codes): pass as.character(%s) or as.numeric(as.character(%s))",
      path, path, path
    ), python_type = "TypeError", argument = path))
  }
  if (is.list(x) && !is.data.frame(x)) {
    x <- unname(x)
    for (i in seq_along(x)) {
      value <- py_value(x[[i]], sprintf("%s[[%d]]", path, i))
      x[i] <- list(value)
    }
    return(x)
  }
  if (!is.atomic(x)) {
    # An environment (an R6 object), a formula, an S4 object...: nothing Python takes
    # (reticulate would fail with "Unable to convert R object to Python type").
    stop(lronecycle_error(sprintf(
      "%s must be a value (a number, a string, TRUE or FALSE, a vector or a list), got %s",
      path, r_literal(x)
    ), python_type = "TypeError", argument = path))
  }
  shape <- dim(x)
  if (!is.null(shape)) {
    if (length(shape) > 2L || (length(shape) == 2L && shape[[2]] != 1L)) {
      stop(lronecycle_error(sprintf(
        "%s must be a vector, got %s: pass one column, e.g. %s[, 1]",
        path, describe_array(shape), path
      ), python_type = "TypeError", argument = path))
    }
    x <- as.vector(x)
  }
  x <- unname(x)
  if (anyNA(x)) {
    if (length(x) == 1L) {
      return(NaN)
    }
    x <- as.list(x)
    x[vapply(x, is.na, logical(1))] <- list(NaN)
  }
  x
}

describe_array <- function(shape) {
  kind <- if (length(shape) == 2L) "matrix" else "array"
  sprintf("a %s %s", paste(shape, collapse = " x "), kind)
}

# An R scale_fn as Python calls it: its result is converted in R before it crosses (a
# 1-d array or a 1 x 1 matrix is its number: reticulate would crash on it) and anything
# but one finite number is refused in R's words, naming scale_fn (reticulate would take a
# logical NA as True, and a numeric NA would write NaN learning rates). A Python
# function is left as it is.
checked_scale_fn <- function(fn) {
  if (!is.function(fn) || inherits(fn, "python.builtin.object")) {
    return(fn)
  }
  force(fn)
  function(x) {
    value <- fn(x)
    if (is.atomic(value) && !is.null(dim(value)) && length(value) == 1L) {
      value <- as.vector(value)
    }
    if (!is.numeric(value) || is.factor(value) || length(value) != 1L || !is.finite(value)) {
      one_number <- is.numeric(value) && !is.factor(value) && length(value) == 1L
      raise_in_callback(lronecycle_error(
        paste0("scale_fn must return one finite number, got ", r_show(unname(value), TRUE)),
        python_type = if (one_number) "ValueError" else "TypeError", argument = "scale_fn"
      ))
    }
    as.double(value)
  }
}
