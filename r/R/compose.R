#' Schedulers one after another, and a warm-up before any scheduler
#'
#' `lr_sequential()` is torch's `SequentialLR`: `schedulers[[1]]` until
#' `milestones[[1]]`, then `schedulers[[2]]` from its own step 0, and so on.
#' `lr_warmup()` ramps the lr from `start_lr` to the first lr of `scheduler` over
#' `warmup_steps` steps, then runs `scheduler` from its step 0. Both are computed by the
#' Python package `lr_one_cycle` (its `SequentialLR` and `WarmupLR`: same arguments,
#' same checks) and are bitwise equal to Python's; from milestone `m` on, the optimizer
#' holds exactly what the part in force gives at its step `k - m`, momentum included.
#'
#' Build the parts first, on the optimizer given to the sequence (each applies its
#' own step 0, as in torch), then the sequence: it applies step 0 again, and from then
#' on it drives the optimizer. Step the sequence, not the parts. The step convention
#' and the scheduler object are those of [lr_one_cycle()]; `$total_steps` is the run's
#' last step (`NULL` when the last part never ends), `$schedulers` (or `$scheduler`)
#' the parts as given.
#'
#' The parts are schedulers of this package built on the same optimizer:
#' [lr_one_cycle()], [lr_cyclic()], [lr_cosine_annealing_warm_restarts()],
#' [lr_warmup_stable_decay()], and `lr_sequential()` and `lr_warmup()` themselves (R
#' torch's schedulers compute from the optimizer's history, so they cannot be placed
#' exactly; ignite's handlers [lr_cosine_annealing_scheduler()] follow another step
#' convention). Milestones are checked before anything is written: increasing whole
#' numbers >= 1, one fewer than the parts, and a part of fixed length must last until
#' the next milestone.
#'
#' A part that cycles no momentum (a warm-up, warmup-stable-decay) holds the momentum
#' in force when it starts: the one the part before it ended with, or before any part
#' that cycles one, the first such part's value at its step 0.
#'
#' @section Resuming with another length:
#' `$resume_with(total_steps = )` (or `epochs =, steps_per_epoch =`) continues as a run
#' of `total_steps` steps in all. `lr_sequential()` spreads the steps left over the
#' parts left in proportion to what each has left (the milestones ahead move, and the
#' part in force continues from the current values); `lr_warmup()` keeps the warm-up's
#' length and re-times the scheduler after it. The last part must have a fixed length
#' and an elastic resume (1cycle, warmup-stable-decay, a sequence of them). Same rule as
#' Python's `SequentialLR.resume_with()` and `WarmupLR.resume_with()`.
#'
#' @inheritParams lr_one_cycle
#' @param optimizer The optimizer every part drives: a Python torch optimizer or an R
#'   optimizer (see [lr_one_cycle()]).
#' @param schedulers The parts, a list of schedulers of this package built on
#'   `optimizer`.
#' @param milestones The step at which each part after the first starts: increasing
#'   whole numbers >= 1, one fewer than the parts.
#' @param scheduler The scheduler after the warm-up, built on `optimizer` first.
#' @param warmup_steps The warm-up's length in steps (a whole number >= 1).
#' @param start_lr The lr of step 0: one value, or one per parameter group.
#' @param mode The warm-up's shape: `"linear"` or `"cos"` (half a cosine wave).
#' @param last_epoch `-1` to start, or the step to resume at.
#' @return A scheduler object (see [lr_one_cycle()]), of class
#'   `c("lr_sequential", "lr_scheduler", ...)` or `c("lr_warmup", "lr_scheduler", ...)`.
#' @seealso [warmup_cosine_schedule()] for linear warm-up and cosine decay in one call.
#' @references Goyal et al., "Accurate, Large Minibatch SGD", arXiv 1706.02677 (gradual
#'   warm-up); torch's `SequentialLR`; optax's `join_schedules`.
#' @examplesIf python_available()
#' optimizer <- new.env()
#' optimizer$param_groups <- list(list(lr = 0.1, momentum = 0.9))
#' optimizer$defaults <- list(lr = 0.1, momentum = 0.9)
#'
#' # 1cycle over 100 steps, then cycles between 1e-4 and 1e-3:
#' one_cycle <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 100)
#' cyclic <- lr_cyclic(optimizer, base_lr = 1e-4, max_lr = 1e-3, step_size_up = 25)
#' scheduler <- lr_sequential(optimizer, list(one_cycle, cyclic), milestones = 100)
#' for (i in 1:150) scheduler$step()
#' scheduler
#'
#' # A linear warm-up of 10 steps before warmup-free 1cycle:
#' fresh <- new.env()
#' fresh$param_groups <- list(list(lr = 0.1, momentum = 0.9))
#' main <- lr_one_cycle(fresh, max_lr = 0.01, total_steps = 100, pct_start = 0)
#' warm <- lr_warmup(fresh, main, warmup_steps = 10)
#' warm$step()
#' warm$get_last_lr()
#' warm$total_steps
#' @export
lr_sequential <- function(optimizer, schedulers, milestones, last_epoch = -1,
                          verbose = FALSE) {
  parts <- if (is.list(schedulers)) {
    lapply(seq_along(schedulers), function(i) {
      python_part(schedulers[[i]], sprintf("schedulers[[%d]]", i))
    })
  } else if (is.environment(schedulers)) {
    refuse_part(schedulers, "schedulers", "a list of schedulers of lronecycle")
  } else {
    py_value(schedulers, "schedulers")
  }
  # R's one milestone is a number; Python takes a list.
  sent_milestones <- py_value(milestones, "milestones")
  if (is.atomic(sent_milestones) && !is.null(sent_milestones)) {
    sent_milestones <- as.list(sent_milestones)
  }
  scheduler <- new_scheduler("lr_sequential", optimizer, list(
    schedulers = parts, milestones = sent_milestones, last_epoch = last_epoch,
    verbose = verbose
  ), shown = list(schedulers = schedulers, milestones = milestones,
                  last_epoch = last_epoch, verbose = verbose))
  scheduler$schedulers <- schedulers
  scheduler
}

#' @rdname lr_sequential
#' @export
lr_warmup <- function(optimizer, scheduler, warmup_steps, start_lr = 0, mode = "linear",
                      last_epoch = -1, verbose = FALSE) {
  part <- python_part(scheduler, "scheduler")
  warm <- new_scheduler("lr_warmup", optimizer, list(
    scheduler = part, warmup_steps = warmup_steps, start_lr = start_lr, mode = mode,
    last_epoch = last_epoch, verbose = verbose
  ), shown = list(scheduler = scheduler, warmup_steps = warmup_steps,
                  start_lr = start_lr, mode = mode, last_epoch = last_epoch,
                  verbose = verbose))
  warm$scheduler <- scheduler
  warm
}

# A part of a sequence as Python takes it: an lronecycle scheduler is its Python
# scheduler (which Python checks: one of its kinds, on the sequence's optimizer).
# Nothing else R holds can stand for one.
python_part <- function(x, path) {
  if (inherits(x, ignite_kinds)) {
    refuse_part(x, path, "a scheduler of lronecycle")
  }
  if (inherits(x, "lronecycle_scheduler")) {
    return(x$python)
  }
  if (inherits(x, "python.builtin.object")) {
    return(x)
  }
  refuse_part(x, path, "a scheduler of lronecycle")
}

refuse_part <- function(x, path, what) {
  kinds <- paste(c("lr_one_cycle()", "lr_cyclic()", "lr_cosine_annealing_warm_restarts()",
                   "lr_warmup_stable_decay()", "lr_sequential()", "lr_warmup()"),
                 collapse = ", ")
  why <- if (inherits(x, ignite_kinds)) {
    paste0(": ignite's handlers follow ignite's step convention (nothing written before ",
           "the first call), not the one a sequence joins")
  } else if (inherits(x, "lronecycle_scheduler")) {
    paste0(": pass list(", path, ")")
  } else if (inherits(x, "lr_scheduler")) {
    paste0("; a scheduler of R torch computes from the optimizer's history, so it cannot ",
           "be placed in a sequence exactly")
  } else {
    ""
  }
  stop(lronecycle_error(
    sprintf("%s must be %s (%s), got %s%s", path, what, kinds, r_show(x, TRUE), why),
    python_type = "TypeError", argument = path
  ))
}
