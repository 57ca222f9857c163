# The scheduler object that lr_one_cycle() and the cosine family return. Every kind
# holds a Python scheduler, built by the same class Python users build, so arguments,
# state and values are the Python package's. Two kinds of optimizer:
# - a Python torch optimizer (through reticulate): the Python scheduler drives it;
# - an optimizer that lives in R: the Python scheduler drives a stand-in holding the
#   plain lr/momentum/betas (lr_one_cycle._r_bridge.ROptimizer), and R copies the
#   values into the R lists, fetched a window of steps at a time so that $step()
#   makes no Python call.
# The objects are environments of closures rather than R6 classes: R6 instances carry
# their methods without bytecode, which costs several microseconds on every $step().

new_scheduler <- function(optimizer, python_class, settings, entries = character()) {
  if (inherits(optimizer, "python.builtin.object")) {
    py <- py_call(do.call(bridge()[[python_class]], c(list(optimizer), py_args(settings))))
    return(python_optimizer_scheduler(py, optimizer))
  }
  if (is.list(optimizer) && !is.null(optimizer$param_groups)) {
    stop(lronecycle_error(paste(
      "optimizer must be an environment or an R6 object, got a list: R copies lists,",
      "so a scheduler could not update its param_groups"
    ), python_type = "TypeError"))
  }
  stand_in <- py_call(r_stand_in(optimizer, entries))
  py <- py_call(do.call(bridge()[[python_class]], c(list(stand_in), py_args(settings))))
  r_optimizer_scheduler(py, optimizer)
}

# What Python needs to know of an R optimizer: the entries of its groups a scheduler
# reads or writes (lr, momentum, betas, initial_lr, and `entries`), and which of them
# its defaults name (torch's rule for what to cycle).
r_stand_in <- function(optimizer, entries = character()) {
  wanted <- unique(c("lr", "momentum", "betas", "initial_lr", entries))
  plain <- function(x) {
    if (!is.list(x) || is.null(names(x))) {
      return(x)
    }
    keep <- x[intersect(wanted, names(x))]
    if (length(keep) == 0L) reticulate::dict() else keep
  }
  groups <- if (is.environment(optimizer)) optimizer$param_groups
  if (is.null(groups)) {
    return(bridge()$r_optimizer(NULL, NULL, class(optimizer)[[1]]))
  }
  if (is.list(groups)) groups <- lapply(unname(groups), plain)
  bridge()$r_optimizer(groups, plain(optimizer$defaults), class(optimizer)[[1]])
}

# Elastic resume ($resume_with(), see the Python schedulers' resume_with) takes the
# Python method's arguments: total_steps (or epochs and steps_per_epoch) for 1cycle,
# T_0 (and warmup_steps) for warm restarts, cycle_size (and warmup_duration) for
# ignite's cyclical schedulers.

# The parts every kind shares: $optimizer, $python (the Python scheduler, to inspect),
# $state_dict(), $last_epoch and print(). `sync` brings the Python scheduler to the
# position R holds before its state is read.
scheduler_object <- function(py, optimizer, kind, sync, step_index) {
  self <- new.env(parent = emptyenv())
  self$optimizer <- optimizer
  self$python <- py
  self$state_dict <- function() {
    sync()
    py_call(py$state_dict())
  }
  makeActiveBinding("last_epoch", function(value) {
    if (!missing(value)) {
      stop(lronecycle_error(paste(
        "last_epoch is read-only: resume with the last_epoch argument of the",
        "constructor or with $load_state_dict()"
      ), python_type = "AttributeError"))
    }
    step_index()
  }, self)
  structure(self, class = c(kind, "lronecycle_scheduler"), sync = sync)
}

python_optimizer_scheduler <- function(py, optimizer) {
  spec <- bridge()$spec(py)
  # ignite's handlers count calls (event_index); last_epoch is the last event written.
  step_index <- if (spec$ahead == 1L) {
    function() py$last_epoch
  } else {
    function() py$event_index - 1L
  }
  self <- scheduler_object(py, optimizer, "lronecycle_python_optimizer",
                           sync = function() NULL, step_index = step_index)
  py_step <- py$step
  self$step <- function() {
    py_call(py_step())
    invisible(self)
  }
  self$get_last_lr <- function() as.numeric(bridge()$last_values(py))
  self$load_state_dict <- function(state_dict) {
    py_call(bridge()$load_state(py, state_dict))
    invisible(self)
  }
  self$resume_with <- function(...) {
    py_call(do.call(bridge()$resume_with, c(list(py), py_args(list(...)))))
    invisible(self)
  }
  self
}

r_optimizer_scheduler <- function(py, optimizer) {
  spec <- bridge()$spec(py)
  n <- length(optimizer$param_groups)
  targets <- as.integer(spec$targets)
  name <- spec$name
  ahead <- as.integer(spec$ahead)
  # 0: no momentum to cycle, 1: "momentum", 2: the first of "betas".
  key <- match(spec$momentum_key %||% "", c("momentum", "betas"), nomatch = 0L)
  verbose <- isTRUE(spec$verbose)
  k <- 0L # R's position: the last step applied, or ignite's event count
  first <- 0L # the position in column 1 of the window
  size <- 0L
  values <- momentum <- last_values <- NULL

  fetch <- function(at) {
    fetched <- py_call(bridge()$window(py, at, max(64L, 65536L %/% length(targets))))
    values <<- matrix(as.numeric(fetched[[1]]), nrow = length(targets))
    if (key > 0L) momentum <<- matrix(as.numeric(fetched[[2]]), nrow = length(targets))
    first <<- as.integer(at)
    size <<- ncol(values)
  }
  apply_column <- function(j) {
    write_step(optimizer, n, targets, name, key, values, momentum, j)
    last_values <<- values[, j]
  }
  # Jumps to position `at`; schedulers following the step convention write its values.
  move <- function(at) {
    if (ahead == 1L) {
      fetch(at)
      apply_column(1L)
    } else {
      size <<- 0L
    }
    k <<- as.integer(at)
  }

  self <- scheduler_object(py, optimizer, "lronecycle_r_optimizer",
                           sync = function() bridge()$move_to(py, k),
                           step_index = function() k - 1L + ahead)
  self$step <- function() {
    at <- k + ahead
    j <- at - first + 1L
    if (j > size) {
      fetch(at)
      j <- 1L
    }
    apply_column(j)
    k <<- k + 1L
    if (verbose) {
      cat(sprintf("Adjusting learning rate of group %d to %.4e.\n", targets - 1L, last_values),
          sep = "")
    }
    invisible(self)
  }
  self$get_last_lr <- function() last_values
  self$load_state_dict <- function(state_dict) {
    py_call(bridge()$load_state(py, state_dict))
    move(bridge()$spec(py)$position)
    invisible(self)
  }
  self$resume_with <- function(...) {
    bridge()$move_to(py, k)
    py_call(do.call(bridge()$resume_with, c(list(py), py_args(list(...)))))
    move(bridge()$spec(py)$position)
    invisible(self)
  }
  move(spec$position)
  self
}

# Column j of the windows into the target groups of the R optimizer.
write_step <- function(optimizer, n, targets, name, key, values, momentum, j) {
  groups <- optimizer$param_groups
  if (length(groups) != n) {
    # The Python scheduler's own check, made here because a step calls no Python.
    stop(lronecycle_error(sprintf(
      "the optimizer has %d parameter groups but the schedule was built for %d",
      length(groups), n
    ), python_type = "ValueError"))
  }
  # One group at a time: modifying a group held in a local is R's cheapest update.
  for (t in seq_along(targets)) {
    i <- targets[[t]]
    group <- groups[[i]]
    group[[name]] <- values[t, j]
    if (key == 1L) {
      group$momentum <- momentum[t, j]
    } else if (key == 2L) {
      group$betas[[1L]] <- momentum[t, j]
    }
    groups[[i]] <- group
  }
  optimizer$param_groups <- groups
}

#' @export
format.lronecycle_scheduler <- function(x, ...) {
  attr(x, "sync")()
  kind <- if (inherits(x, "lronecycle_python_optimizer")) "a Python" else "an R"
  c(
    sprintf("<lronecycle scheduler> driving %s optimizer", kind),
    paste0("  ", py_call(reticulate::py_repr(x$python)))
  )
}

#' @export
print.lronecycle_scheduler <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

`%||%` <- function(x, y) if (is.null(x)) y else x
