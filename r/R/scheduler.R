# The scheduler object that lr_one_cycle() and the cosine family return. Every kind
# holds a Python scheduler built by the class Python users build, through the bridge
# (lr_one_cycle.integrations.r_bridge), so arguments, checks, state and values are
# the Python package's. Two kinds of optimizer:
# - a Python torch optimizer (through reticulate): the Python scheduler drives it;
# - an optimizer that lives in R: the Python scheduler drives a stand-in holding the
#   plain lr/momentum/betas (the bridge's ROptimizer); R keeps a column copy of the
#   values the core computed for a window of steps and copies one column into the R
#   lists at each $step(), which makes no Python call. When a step cannot be applied
#   (groups added or removed), the Python scheduler is asked to apply it and raises
#   its own error, so every check and sentence stays Python's.
# The objects are environments of closures rather than R6 classes: R6 methods are not
# byte-compiled, which costs microseconds on every $step().

# `settings` as they cross (R's values, converted here); `shown` as the user gave them,
# for messages.
new_scheduler <- function(kind, optimizer, settings, entries = character(), shown = settings) {
  sent <- py_arguments(settings)
  if (inherits(optimizer, "python.builtin.object")) {
    built <- call_python(bridge()$build, list(kind, optimizer, sent), shown = shown)
    return(python_optimizer_scheduler(kind, built[[1]], isTRUE(built[[2]]), optimizer))
  }
  if (is.list(optimizer) && !is.null(optimizer$param_groups)) {
    stop(lronecycle_error(paste(
      "optimizer must be an environment or an R6 object, got a list: R copies lists,",
      "so a scheduler could not update its param_groups"
    ), python_type = "TypeError", argument = "optimizer"))
  }
  wanted <- unique(c("lr", "momentum", "betas", "initial_lr", entries))
  stand_in <- py_call(shared_stand_in(optimizer, wanted))
  # Python names a group's entries `optimizer.param_groups[i]...`: messages show them as
  # the R optimizer holds them.
  if (is.environment(optimizer)) shown[["optimizer.param_groups"]] <- optimizer$param_groups
  built <- call_python(bridge()$build, list(kind, stand_in, sent), shown = shown)
  r_optimizer_scheduler(kind, built[[1]], isTRUE(built[[2]]), optimizer, wanted)
}

# What Python needs to know of an R optimizer: the `wanted` entries of its groups (the
# ones a scheduler reads or writes) and of its defaults (torch's rule for what to
# cycle), converted like every argument; its R class names it in messages.
r_stand_in <- function(optimizer, wanted) {
  groups <- if (is.environment(optimizer)) optimizer$param_groups
  if (is.null(groups)) {
    return(bridge()$r_optimizer(NULL, NULL, class(optimizer)[[1]]))
  }
  defaults <- plain_entries(optimizer$defaults, wanted, "optimizer$defaults")
  bridge()$r_optimizer(plain_groups(groups, wanted), defaults, class(optimizer)[[1]])
}

# One stand-in per R optimizer, whatever the schedulers built on it: Python's
# SequentialLR and WarmupLR check that their parts drive the very optimizer they are
# given (`part.optimizer is optimizer`), as torch does. The stand-in takes the
# optimizer's current groups before each new scheduler reads them. The registry holds
# weak references (rlang's): it keeps neither the optimizer nor its stand-in alive.
shared_stand_in <- function(optimizer, wanted) {
  if (!is.environment(optimizer) || is.null(optimizer$param_groups)) {
    return(r_stand_in(optimizer, wanted))
  }
  alive <- Filter(function(ref) !is.null(rlang::wref_key(ref)), .py$stand_ins)
  for (ref in alive) {
    if (identical(rlang::wref_key(ref), optimizer)) {
      .py$stand_ins <- alive
      stand_in <- rlang::wref_value(ref)
      fresh <- r_stand_in(optimizer, wanted)
      for (name in c("param_groups", "defaults")) {
        reticulate::py_set_attr(stand_in, name, reticulate::py_get_attr(fresh, name))
      }
      return(stand_in)
    }
  }
  stand_in <- r_stand_in(optimizer, wanted)
  .py$stand_ins <- c(alive, list(rlang::new_weakref(optimizer, value = stand_in)))
  stand_in
}

plain_groups <- function(groups, wanted) {
  if (!is.list(groups)) {
    return(groups)
  }
  groups <- unname(groups)
  for (i in seq_along(groups)) {
    # `[<-`: a NULL group stays (as None, which Python refuses, naming it); `[[<-` would
    # drop it, and the groups R holds would no longer be the groups Python was given.
    groups[i] <- list(plain_entries(groups[[i]], wanted,
                                    sprintf("optimizer$param_groups[[%d]]", i)))
  }
  groups
}

plain_entries <- function(x, wanted, path) {
  if (!is.list(x) || is.null(names(x))) {
    return(x)
  }
  keep <- x[intersect(wanted, names(x))]
  if (length(keep) == 0L) {
    return(reticulate::dict())
  }
  for (name in names(keep)) {
    value <- py_value(keep[[name]], paste0(path, "$", name))
    keep[name] <- list(value)
  }
  keep
}

# ---------------------------------------------------------------------------- the object

# What every kind shares. `position()` is the position the scheduler holds (the last
# step applied, or ignite's count of events); `sync()` brings the Python scheduler
# there before its state is read or changed.
scheduler_object <- function(kind, py, optimizer, on_python, position, sync) {
  self <- new.env(parent = emptyenv())
  self$optimizer <- optimizer
  self$python <- py
  ignite <- kind %in% ignite_kinds
  last_epoch <- if (ignite) function() position() - 1L else position
  read_only <- function(name, hint) {
    stop(lronecycle_error(sprintf("%s is read-only%s", name, hint),
                          python_type = "AttributeError", argument = name))
  }
  makeActiveBinding("last_epoch", function(value) {
    if (!missing(value)) {
      read_only("last_epoch", paste(
        ": resume with the last_epoch argument of the constructor or with",
        "$load_state_dict()"
      ))
    }
    last_epoch()
  }, self)
  makeActiveBinding("base_lrs", function(value) {
    if (!missing(value)) read_only("base_lrs", "")
    if (ignite) NULL else as.numeric(unlist(py_call(py$base_lrs)))
  }, self)
  makeActiveBinding("total_steps", function(value) {
    if (!missing(value)) read_only("total_steps", ": use $resume_with(total_steps = )")
    if (kind %in% with_length) py_call(py$total_steps) else NULL
  }, self)
  self$state_dict <- function() {
    sync()
    py_call(py$state_dict())
  }
  self$get_lr <- function() {
    sync()
    as.numeric(unlist(call_python(bridge()$lr_at_last_epoch, list(py))))
  }
  structure(self, class = c(kind, "lr_scheduler", "lronecycle_scheduler",
                            if (on_python) "lronecycle_python_optimizer" else
                              "lronecycle_r_optimizer"))
}

# ignite's handlers: nothing written until a call, which writes the next event.
ignite_kinds <- c("lr_cosine_annealing_scheduler", "lr_linear_cyclical_scheduler")

# The kinds with a `total_steps` (a sequence's is NULL when its last part has no end).
with_length <- c("lr_one_cycle", "lr_warmup_stable_decay", "lr_sequential", "lr_warmup")

# "Adjusting learning rate of group 1 to 0.0004", as R torch says it, as messages.
announce <- function(lrs, groups = seq_along(lrs)) {
  for (i in seq_along(lrs)) {
    message(sprintf("Adjusting learning rate of group %d to %.4f", groups[[i]], lrs[[i]]))
  }
}

python_optimizer_scheduler <- function(kind, py, verbose, optimizer) {
  ignite <- kind %in% ignite_kinds
  position <- if (ignite) function() py_call(py$event_index) else function() py_call(py$last_epoch)
  self <- scheduler_object(kind, py, optimizer, on_python = TRUE, position = position,
                           sync = function() NULL)
  last_values <- function() as.numeric(unlist(py_call(bridge()$last_values(py))))
  # An attribute assignment steps the Python scheduler, and a failing step reports its
  # error here instead of raising (see the bridge's Stepper): no handler is set up per
  # step.
  failure <- NULL
  report <- function(type, message, parts) {
    failure <<- list(type = type, message = message, parts = parts)
  }
  raise_failure <- function() {
    failed <- failure
    failure <<- NULL
    if (!is.null(failed$parts)) stop(problem_error(failed$parts, list()))
    raised <- raised_in_callback(failed$message)
    if (!is.null(raised)) stop(raised)
    stop(lronecycle_error(r_notation(failed$message),
                          python_type = sub("^Argument", "", failed$type),
                          python_message = failed$message))
  }
  stepper <- bridge()$Stepper(py, report)
  set_attr <- reticulate::py_set_attr
  self$step <- function() {
    set_attr(stepper, "step", NULL)
    if (!is.null(failure)) raise_failure()
    if (verbose) announce(last_values())
    invisible(self)
  }
  self$get_last_lr <- last_values
  self$load_state_dict <- function(state_dict) {
    call_python(bridge()$load_state, list(py, py_state(state_dict)),
                shown = list(state_dict = state_dict))
    invisible(self)
  }
  self$resume_with <- function(...) {
    args <- list(...)
    call_python(py$resume_with, py_arguments(args), shown = args)
    invisible(self)
  }
  if (verbose) announce(last_values())
  self
}

r_optimizer_scheduler <- function(kind, py, verbose, optimizer, wanted) {
  spec <- bridge()$describe(py)
  ahead <- as.integer(spec$ahead)
  name <- spec$name
  index <- spec$index # ignite's one driven group (1-based), or NULL for all
  # 0: no momentum to cycle, 1: "momentum", 2: the first of "betas".
  key <- match(spec$momentum_key %||% "", c("momentum", "betas"), nomatch = 0L)
  n <- length(optimizer$param_groups)
  k <- 0L # the position: the last step applied, or ignite's count of events
  first <- 0L # the position in column 1 of the window
  size <- 0L # the window's columns
  lr <- momentum <- last_lr <- NULL

  fetch <- function(at) {
    fetched <- call_python(bridge()$window, list(py, at, max(64L, 65536L %/% n)))
    rows <- if (ahead == 1L) n else 1L
    lr <<- matrix(as.numeric(fetched[[1]]), nrow = rows)
    if (key > 0L) momentum <<- matrix(as.numeric(fetched[[2]]), nrow = rows)
    first <<- at
    size <<- ncol(lr)
  }
  # Python applies `at` with the R optimizer's current groups, for its own error.
  refuse_groups <- function(at) {
    groups <- plain_groups(optimizer$param_groups, wanted)
    call_python(bridge()$step_with_groups, list(py, groups, at),
                shown = list(param_group_index = index))
  }

  # Applies step k + 1 (or raises Python's error when the groups changed; nothing moves).
  step_lr <- function() {
    at <- k + 1L
    j <- at - first + 1L
    if (j > size) {
      fetch(at)
      j <- 1L
    }
    # .subset2(): an R6 optimizer's `$` goes through S3 dispatch first (0.4 us).
    groups <- .subset2(optimizer, "param_groups")
    if (length(groups) != n) refuse_groups(at)
    # One group at a time: modifying a group held in a local is R's cheapest update.
    for (i in seq_len(n)) {
      group <- groups[[i]]
      group$lr <- lr[i, j]
      if (key == 1L) {
        group$momentum <- momentum[i, j]
      } else if (key == 2L) {
        group$betas[[1L]] <- momentum[i, j]
      }
      groups[[i]] <- group
    }
    optimizer$param_groups <- groups
    k <<- at
    last_lr <<- lr[, j]
    if (verbose) announce(last_lr)
    invisible(self)
  }
  step_ignite <- function() {
    at <- k
    j <- at - first + 1L
    if (j > size) {
      fetch(at)
      j <- 1L
    }
    groups <- .subset2(optimizer, "param_groups")
    targets <- if (is.null(index)) seq_along(groups) else index
    if (!is.null(index) && index > length(groups)) refuse_groups(at)
    value <- lr[1L, j]
    for (i in targets) {
      group <- groups[[i]]
      if (is.null(group[[name]])) refuse_groups(at)
      group[[name]] <- value
      groups[[i]] <- group
    }
    optimizer$param_groups <- groups
    k <<- at + 1L
    last_lr <<- rep(value, length(targets))
    invisible(self)
  }
  # Python's error when the R optimizer's groups no longer fit, before anything moves.
  check_groups <- function() {
    count <- length(optimizer$param_groups)
    if (if (ahead == 1L) count != n else !is.null(index) && index > count) refuse_groups(k)
  }
  # Jumps to position `at` (the groups fit); schedulers following the step convention
  # write its values.
  move <- function(at) {
    at <- as.integer(at)
    size <<- 0L
    if (ahead == 1L) {
      k <<- at - 1L
      step_lr()
    } else {
      # ignite's handlers write nothing until a call: the last values are the groups'.
      k <<- at
      groups <- optimizer$param_groups
      driven <- groups[if (is.null(index)) seq_along(groups) else index]
      last_lr <<- vapply(driven, function(group) as.numeric(group[[name]]), numeric(1))
    }
  }
  sync <- function() py_call(bridge()$move_to(py, k))

  self <- scheduler_object(kind, py, optimizer, on_python = FALSE,
                           position = function() k, sync = sync)
  self$step <- if (ahead == 1L) step_lr else step_ignite
  self$get_last_lr <- function() last_lr
  self$load_state_dict <- function(state_dict) {
    check_groups()
    call_python(bridge()$load_state, list(py, py_state(state_dict)),
                shown = list(state_dict = state_dict))
    move(bridge()$describe(py)$position)
    invisible(self)
  }
  self$resume_with <- function(...) {
    args <- list(...)
    sent <- py_arguments(args)
    check_groups()
    sync()
    if (kind == "lr_cosine_annealing_warm_restarts") refuse_between_steps(py, sent, args)
    call_python(py$resume_with, sent, shown = args)
    move(bridge()$describe(py)$position)
    invisible(self)
  }
  move(spec$position)
  self
}

# R copies values into an optimizer that lives in R at whole positions only, so a
# warm-restart resume that would continue between two steps (see Python's
# CosineAnnealingWarmRestarts.resume_with) is refused, before anything changes: it is
# tried on a copy first.
refuse_between_steps <- function(py, sent, args) {
  trial <- reticulate::import("copy")$deepcopy(py)
  call_python(trial$resume_with, sent, shown = args)
  position <- py_call(trial$position)
  if (position != floor(position)) {
    shown <- paste(names(args), vapply(args, r_literal, ""), sep = " = ", collapse = ", ")
    stop(lronecycle_error(paste0(
      "$resume_with(", shown, ") would continue between two steps (position ",
      format(position, digits = 6), "), which an optimizer that lives in R cannot follow: ",
      "choose T_0 so that the current cycle's remaining fraction is a whole number of ",
      "steps, or drive a Python optimizer"
    ), python_type = "ValueError"))
  }
}

# ---------------------------------------------------------------------------- printing

# The settings print() shows, as the Python scheduler holds them (R's names on the
# left, the Python attribute on the right).
shown_settings <- list(
  lr_one_cycle = c(max_lr = "max_lrs", total_steps = "total_steps", pct_start = "pct_start",
                   anneal_strategy = "anneal_strategy", div_factor = "div_factor",
                   final_div_factor = "final_div_factor", three_phase = "three_phase",
                   cycle_momentum = "cycle_momentum", base_momentum = "base_momentums",
                   max_momentum = "max_momentums"),
  lr_cosine_annealing_warm_restarts = c(T_0 = "T_0", T_mult = "T_mult", eta_min = "eta_min",
                                        decay = "decay", warmup_steps = "warmup_steps",
                                        base_lr = "base_lrs"),
  lr_cosine_annealing_scheduler = c(param_name = "param_name", start_value = "start_value",
                                    end_value = "end_value", cycle_size = "cycle_size",
                                    cycle_mult = "cycle_mult",
                                    start_value_mult = "start_value_mult",
                                    end_value_mult = "end_value_mult",
                                    warmup_duration = "warmup_duration",
                                    param_group_index = "param_group_index")
)
shown_settings$lr_linear_cyclical_scheduler <- c(shown_settings$lr_cosine_annealing_scheduler,
                                                 monotonic = "monotonic")
shown_settings$lr_cyclic <- c(base_lr = "base_lrs", max_lr = "max_lrs",
                              step_size_up = "step_size_up", step_size_down = "step_size_down",
                              mode = "mode", gamma = "gamma", scale_mode = "scale_mode",
                              cycle_momentum = "cycle_momentum",
                              base_momentum = "base_momentums", max_momentum = "max_momentums")
shown_settings$lr_warmup_stable_decay <- c(peak_lr = "peak_lrs", warmup_steps = "warmup_steps",
                                           stable_steps = "stable_steps",
                                           decay_steps = "decay_steps", min_lr = "min_lrs",
                                           warmup = "warmup", decay = "decay")
shown_settings$lr_sequential <- c(milestones = "milestones")
shown_settings$lr_warmup <- c(warmup_steps = "warmup_steps", start_lr = "start_lrs",
                              mode = "mode")

# What print() shows of the settings, "name = value" in R's terms.
shown_items <- function(x, kind) {
  fields <- shown_settings[[kind]]
  values <- lapply(fields, function(field) {
    value <- py_call(reticulate::py_get_attr(x$python, field, silent = TRUE))
    value <- if (inherits(value, "python.builtin.object")) reticulate::py_to_r(value) else value
    if (field == "param_group_index" && !is.null(value)) value + 1L else unlist(value)
  })
  extra <- character()
  if (kind == "lr_cyclic") {
    # As Python's repr: gamma for "exp_range" only; scale_mode with a scale_fn only.
    custom <- !is.null(py_call(x$python$schedule$scale_fn))
    if (values$mode != "exp_range") values$gamma <- NULL
    if (custom) extra <- "scale_fn = a function" else values$scale_mode <- NULL
  }
  items <- paste(names(values), vapply(values, r_literal, ""), sep = " = ")
  parts <- switch(kind,
    lr_sequential = paste0("schedulers = ", r_literal(vapply(x$schedulers, kind_of, ""))),
    lr_warmup = paste0("scheduler = ", r_literal(kind_of(x$scheduler))),
    character()
  )
  list(items = c(parts, items, extra), values = values)
}

kind_of <- function(scheduler) class(scheduler)[[1]]

#' @export
format.lronecycle_scheduler <- function(x, ...) {
  kind <- class(x)[[1]]
  shown <- shown_items(x, kind)
  values <- shown$values
  settings <- shown$items
  last <- x$get_last_lr()
  ignite <- "param_name" %in% names(values)
  groups <- if (ignite && !is.null(values$param_group_index)) {
    values$param_group_index
  } else {
    seq_along(last)
  }
  where <- if (inherits(x, "lronecycle_python_optimizer")) "a Python" else "an R"
  c(
    sprintf("<%s> driving %s optimizer", kind, where),
    wrap_items(settings, prefix = "  ", width = 88),
    sprintf("  last_epoch = %d, last %s = %s (group%s %s)", x$last_epoch,
            if (ignite) values$param_name else "lr", r_literal(signif(last, 6)),
            if (length(groups) == 1L) "" else "s", paste(groups, collapse = ", "))
  )
}

# "a = 1, b = 2, ..." over lines of at most `width` characters, breaking only between
# items.
wrap_items <- function(items, prefix, width) {
  lines <- character()
  line <- ""
  for (item in items) {
    candidate <- if (nzchar(line)) paste0(line, ", ", item) else item
    if (nzchar(line) && nchar(prefix) + nchar(candidate) + 1L > width) {
      lines <- c(lines, paste0(prefix, line, ","))
      line <- item
    } else {
      line <- candidate
    }
  }
  c(lines, paste0(prefix, line))
}

#' @export
print.lronecycle_scheduler <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

`%||%` <- function(x, y) if (is.null(x)) y else x
