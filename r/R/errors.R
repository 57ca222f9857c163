#' Errors raised by lronecycle
#'
#' Bad arguments raise an R error of class `lronecycle_error`, before the optimizer
#' changes. The checks are the Python package's (one set of checks for R and Python);
#' the message says the same thing in R's words: the value is the one you passed, as R
#' prints it (`NA`, `TRUE`, `NULL`, `"a"`), elements are named as in R (`max_lr[[2]]`,
#' `optimizer$param_groups[[1]]`) and vectors by their length.
#'
#' The condition's fields: `python_type`, the Python exception (`"ValueError"`,
#' `"TypeError"`, ...); `argument`, the argument or element refused (`NULL` when the
#' error is not about one argument); `python_message`, Python's own sentence.
#'
#' @examplesIf python_available()
#' err <- tryCatch(
#'   one_cycle_schedule(max_lr = list(0.01, NA), total_steps = 10),
#'   lronecycle_error = function(e) e
#' )
#' conditionMessage(err)
#' err$argument
#' err$python_type
#' err$python_message
#' @name lronecycle_error
NULL

lronecycle_error <- function(message, python_type = NA_character_, argument = NULL,
                             python_message = NULL) {
  structure(
    class = c("lronecycle_error", "error", "condition"),
    list(message = message, call = NULL, python_type = python_type, argument = argument,
         python_message = python_message)
  )
}

# Calls the Python `f` with `args` (already converted by py_arguments()) through the
# bridge's attempt(): a structured argument error comes back as its parts and is worded
# for R, showing the values the user gave (`shown`); any other error is a Python error.
call_python <- function(f, args = list(), shown = list()) {
  out <- py_call(do.call(bridge()$attempt, c(list(f), args)))
  if (!is.null(out$problem)) {
    stop(problem_error(out$problem, shown))
  }
  out$value
}

# Evaluates `expr` (calls into Python) and turns a Python exception into an
# lronecycle_error: Python's message in R's notation. reticulate 1.28 raises Python
# errors as Rcpp exceptions whose message is "Type: message"; py_last_error() holds
# the parts.
py_call <- function(expr) {
  tryCatch(expr, error = python_error)
}

python_error <- function(e) {
  if (inherits(e, "lronecycle_error")) stop(e)
  last <- reticulate::py_last_error()
  if (is.null(last) || !grepl(paste0(last$type, ":"), conditionMessage(e), fixed = TRUE)) {
    stop(e)
  }
  raised <- raised_in_callback(last$value)
  if (!is.null(raised)) stop(raised)
  # The package's structured errors (ArgumentValueError, ...) are ValueError/TypeError.
  stop(lronecycle_error(r_notation(last$value), python_type = sub("^Argument", "", last$type),
                        python_message = last$value))
}

# An R function that Python calls (an R scale_fn) raises `condition` through Python,
# which carries only its message (as a RuntimeError): the condition is kept here, and
# raised_in_callback() gives it back when Python's error is that message.
raise_in_callback <- function(condition) {
  .py$callback_error <- condition
  stop(condition)
}

raised_in_callback <- function(message) {
  kept <- .py$callback_error
  .py$callback_error <- NULL
  if (!is.null(kept) && identical(message, conditionMessage(kept))) kept else NULL
}

# ---------------------------------------------------------------------------- rendering

# The parts of lr_one_cycle._validate.ArgumentProblem as an R sentence:
# "<argument> must be <accepted, R wording>, got <value as R shows it><note>".
problem_error <- function(parts, shown) {
  path <- split_path(as.list(parts$argument))
  where <- r_path(path)
  found <- value_at(shown, path)
  type_error <- identical(parts$python_type, "TypeError")
  # The value as the user gave it, when R can show it; else Python's description of it
  # (a scheduler given as a part is an environment, which says less).
  shown_found <- found$found && (is.null(parts$described) || is.atomic(found$value) ||
                                   (is.list(found$value) && !is.environment(found$value)))
  got <- if (shown_found) {
    r_show(found$value, type_error)
  } else if (!is.null(parts$described)) {
    r_notation(parts$described)
  } else {
    r_show(parts$value, type_error)
  }
  lronecycle_error(
    paste0(where, " must be ", r_notation(parts$accepted), ", got ", got,
           r_notation(parts$note)),
    python_type = parts$python_type, argument = where, python_message = parts$python_message
  )
}

# A path whose head is written in Python's notation ("optimizer.param_groups[0]
# ['initial_lr']") as its parts ("optimizer.param_groups", 0, "initial_lr"), so that
# the value is found among the R values shown.
split_path <- function(path) {
  head <- path[[1]]
  pattern <- "^([A-Za-z_][A-Za-z0-9_.]*)((\\[[0-9]+\\]|\\['[A-Za-z_][A-Za-z0-9_]*'\\])+)$"
  if (!is.character(head) || !grepl(pattern, head, perl = TRUE)) {
    return(path)
  }
  name <- sub(pattern, "\\1", head, perl = TRUE)
  rest <- regmatches(head, gregexpr("\\[[^]]+\\]", head, perl = TRUE))[[1]]
  parts <- lapply(rest, function(part) {
    inside <- substr(part, 2L, nchar(part) - 1L)
    if (startsWith(inside, "'")) substr(inside, 2L, nchar(inside) - 1L) else as.integer(inside)
  })
  c(list(name), parts, path[-1])
}

# ("max_lr", 1) -> max_lr[[2]] (Python counts from 0); ("state", "x") -> state$x.
r_path <- function(path) {
  out <- r_notation(as.character(path[[1]]))
  for (part in path[-1]) {
    out <- if (is.numeric(part)) sprintf("%s[[%d]]", out, as.integer(part) + 1L) else {
      paste0(out, "$", part)
    }
  }
  out
}

# The R value at a Python path into the R arguments `shown`, if it is there.
value_at <- function(shown, path) {
  head <- path[[1]]
  if (!is.character(head) || !head %in% names(shown)) {
    return(list(found = FALSE))
  }
  x <- shown[[head]]
  for (part in path[-1]) {
    if (is.numeric(part) && (is.atomic(x) || is.list(x)) && length(x) > part) {
      x <- x[[as.integer(part) + 1L]]
    } else if (is.character(part) && is.list(x) && part %in% names(x)) {
      x <- x[[part]]
    } else {
      return(list(found = FALSE))
    }
  }
  list(found = TRUE, value = x)
}

# A value as R prints it, with its length when it has several elements and, for a
# value of the wrong type, what kind of value it is.
r_show <- function(x, type_error = FALSE) {
  shown <- r_literal(x)
  n <- length(x)
  if (is.character(x) && n == 1L && !is.na(x) && type_error) {
    paste0(shown, " (a character string)")
  } else if ((is.atomic(x) || is.list(x)) && n > 1L) {
    sprintf("%s (length %d)", shown, n)
  } else {
    shown
  }
}

r_literal <- function(x, limit = 4L) {
  if (is.null(x)) {
    return("NULL")
  }
  if (inherits(x, "python.builtin.object")) {
    return(sprintf("a Python %s", sub("^python\\.builtin\\.", "", class(x)[[1]])))
  }
  if (is.function(x)) {
    return("a function")
  }
  if (is.environment(x)) {
    return(sprintf("an environment (%s)", class(x)[[1]]))
  }
  if (is.factor(x)) {
    return(sprintf("a factor with levels %s", r_literal(levels(x))))
  }
  if (!is.atomic(x) && !is.list(x)) {
    return(sprintf("an object of class %s", class(x)[[1]]))
  }
  if (length(x) == 0L) {
    return(if (is.list(x)) "list()" else sprintf("%s(0)", class(x)[[1]]))
  }
  if (is.atomic(x) && length(x) == 1L && is.null(names(x))) {
    return(r_scalar(x))
  }
  items <- vapply(seq_len(min(length(x), limit)), function(i) r_literal(x[[i]]), "")
  labels <- names(x)[seq_along(items)]
  if (!is.null(labels)) {
    items <- ifelse(nzchar(labels), paste(labels, "=", items), items)
  }
  paste0(if (is.list(x)) "list(" else "c(", paste(items, collapse = ", "),
         if (length(x) > limit) ", ..." else "", ")")
}

r_scalar <- function(x) {
  if (is.na(x) && !is.nan(x)) {
    return("NA")
  }
  if (is.character(x)) {
    return(encodeString(x, quote = "\""))
  }
  if (is.double(x)) {
    return(format(x, digits = 15))
  }
  as.character(x)
}

# Python's notation in a plain Python sentence, as R writes it: `optimizer$param_groups
# [[1]]` for `optimizer.param_groups[0]`, `schedulers[[2]]` for `schedulers[1]` (an
# index right after a name or another index), `$key` for `['key']`, `x = TRUE` for
# `x=True`, NULL for None.
r_notation <- function(text) {
  if (is.null(text) || !nzchar(text)) {
    return(if (is.null(text)) "" else text)
  }
  text <- r_values(text)  # first: a shown list ['x'] is not a key lookup
  text <- gsub("\\boptimizer\\.", "optimizer$", text, perl = TRUE)
  text <- gsub("\\['([A-Za-z_][A-Za-z0-9_]*)'\\]", "$\\1", text, perl = TRUE)
  indices <- gregexpr("(?<=[A-Za-z0-9_\\]])\\[[0-9]+\\]", text, perl = TRUE)
  regmatches(text, indices) <- lapply(regmatches(text, indices), function(found) {
    sprintf("[[%d]]", as.integer(gsub("[^0-9]", "", found)) + 1L)
  })
  text <- gsub("\\b([A-Za-z_][A-Za-z0-9_]*)=(?!=)", "\\1 = ", text, perl = TRUE)
  text <- gsub("\\bTrue\\b", "TRUE", text, perl = TRUE)
  text <- gsub("\\bFalse\\b", "FALSE", text, perl = TRUE)
  gsub("\\bNone\\b", "NULL", text, perl = TRUE)
}

# Python values in a plain Python sentence, after "saved", "here" or "got" (where a
# sentence shows a value, not an interval such as [0, 1]): a list `[0.5, 1.0, nan]` as
# `c(0.5, 1, NA)`, `nan` as NA, a string 'cos' as "cos"; and Python's words for kinds
# and calls as R's (a dict is a named list; an unexpected keyword is an unused argument).
r_values <- function(text) {
  item <- function(x) {
    x <- trimws(x)
    x <- sub("^'(.*)'$", "\"\\1\"", x, perl = TRUE)
    x <- sub("^(-?[0-9]+)\\.0$", "\\1", x, perl = TRUE)
    if (identical(x, "nan")) "NA" else x
  }
  lists <- gregexpr("(?<=\\bsaved |\\bhere |\\bgot )\\[[^][]*\\]", text, perl = TRUE)
  regmatches(text, lists) <- lapply(regmatches(text, lists), function(found) {
    vapply(found, function(one) {
      inner <- substr(one, 2L, nchar(one) - 1L)
      items <- if (nzchar(trimws(inner))) strsplit(inner, ",", fixed = TRUE)[[1]] else character()
      shown <- vapply(items, item, "", USE.NAMES = FALSE)
      if (length(shown) == 1L) shown else paste0("c(", paste(shown, collapse = ", "), ")")
    }, "")
  })
  text <- gsub("\\b(saved|here|got) nan\\b", "\\1 NA", text, perl = TRUE)
  text <- gsub("\\b(saved|here|got) '([^']*)'", "\\1 \"\\2\"", text, perl = TRUE)
  text <- gsub("\\blist of dicts\\b", "list of named lists", text, perl = TRUE)
  text <- gsub("\\bmust be a dict\\b", "must be a named list", text, perl = TRUE)
  text <- gsub("\\ban array of bool\\b", "a logical vector", text, perl = TRUE)
  unexpected <- "^[A-Za-z_]\\w*\\.(\\w+)\\(\\) got an unexpected keyword argument '([^']*)'"
  sub(unexpected, "$\\1(): unused argument (\\2)", text, perl = TRUE)
}
