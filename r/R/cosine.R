#' Cosine annealing with warm restarts (SGDR)
#'
#' torch's `CosineAnnealingWarmRestarts` (SGDR, Loshchilov & Hutter, arXiv
#' 1608.03983), computed by the Python package `lr_one_cycle` (its
#' `CosineAnnealingWarmRestarts`: same arguments, same checks; bitwise equal to torch
#' with the default `decay` and `warmup_steps`). Cycle `i` lasts `T_0 * T_mult^i` steps
#' and anneals each group's lr from its base lr down to `eta_min`:
#' `eta_min + (base_lr - eta_min) * decay^i * (1 + cos(pi * T_cur / T_i)) / 2`.
#' The step convention and the scheduler object are those of [lr_one_cycle()] (no
#' momentum is cycled, there is no end: every `$step()` is defined, and `$total_steps`
#' is `NULL`).
#'
#' @section Resuming:
#' `last_epoch = k` applies step `k` exactly (torch applies `k + 1`). The groups then
#' hold step `k`'s lr, not the base lr the cycles start from, so pass `base_lr` (for
#' example the `$base_lrs` of the scheduler being resumed): the arguments then define
#' the schedule, as for [lr_one_cycle()], whatever the optimizer holds. Without
#' `base_lr`, each group's `initial_lr` (which torch's schedulers store) is used, and
#' a group without one is refused. `$load_state_dict()` needs neither.
#'
#' @inheritParams lr_one_cycle
#' @param T_0 Length of the first cycle, in steps (a whole number).
#' @param T_mult Growth of the cycle length after each restart (a real >= 1).
#' @param eta_min The lowest learning rate.
#' @param last_epoch `-1` to start, or the step to resume at (see Resuming).
#' @param decay In (0, 1]: each cycle peaks `decay` times lower than the one before.
#' @param warmup_steps Every cycle starts with a linear ramp of that many steps.
#' @param base_lr The learning rate each cycle starts from: one value or one per
#'   group. `NULL`: each group's `initial_lr` when it has one, else its `lr` (only
#'   when starting, `last_epoch = -1`).
#' @return A scheduler object (see [lr_one_cycle()]), of class
#'   `c("lr_cosine_annealing_warm_restarts", "lr_scheduler", ...)`.
#' @seealso [warm_restarts_schedule()] for the values as a data frame.
#' @examplesIf python_available()
#' optimizer <- new.env()
#' optimizer$param_groups <- list(list(lr = 0.1))
#' scheduler <- lr_cosine_annealing_warm_restarts(optimizer, T_0 = 10, T_mult = 2)
#' for (i in 1:15) scheduler$step()
#' scheduler$get_last_lr()
#'
#' # Resume at step 15 of the same schedule, on an optimizer that knows nothing of it:
#' fresh <- new.env()
#' fresh$param_groups <- list(list(lr = 0.5))
#' again <- lr_cosine_annealing_warm_restarts(fresh, T_0 = 10, T_mult = 2,
#'   last_epoch = 15, base_lr = 0.1
#' )
#' identical(again$get_last_lr(), scheduler$get_last_lr())
#' @export
lr_cosine_annealing_warm_restarts <- function(optimizer, T_0, T_mult = 1, eta_min = 0,
                                              last_epoch = -1, decay = 1,
                                              warmup_steps = 0, base_lr = NULL) {
  new_scheduler("lr_cosine_annealing_warm_restarts", optimizer, list(
    T_0 = T_0, T_mult = T_mult, eta_min = eta_min, last_epoch = last_epoch,
    decay = decay, warmup_steps = warmup_steps, base_lr = base_lr
  ))
}

#' Cyclical schedules of pytorch-ignite: cosine annealing and linear cycles
#'
#' pytorch-ignite 0.5.5's `CosineAnnealingScheduler` and `LinearCyclicalScheduler`,
#' bitwise, computed by the Python package `lr_one_cycle` (its classes of the same
#' names: same arguments, same checks). Each cycle of `cycle_size` events goes from
#' `start_value` to `end_value` (cosine: half a cosine wave; linear: there and back, or
#' once with `monotonic = TRUE`); after each cycle the cycle grows by `cycle_mult` and
#' the values are multiplied by `start_value_mult` and `end_value_mult`;
#' `warmup_duration` events go linearly back between cycles.
#'
#' These follow ignite's convention, not [lr_one_cycle()]'s: the constructor writes
#' nothing, and each `$step()` (one per iteration, before the update) writes the value
#' of the next event. `$last_epoch` is the last event written (`-1` before the first
#' `$step()`); `$get_lr()` is that event's value; `$base_lrs` and `$total_steps` are
#' `NULL`. The other methods are those of [lr_one_cycle()]; `$resume_with()` takes
#' `cycle_size` (and `warmup_duration`).
#'
#' @inheritParams lr_one_cycle
#' @param param_name The group entry to schedule (`"lr"`, `"momentum"`, ...); it must
#'   exist in the driven groups.
#' @param start_value,end_value The values at the start and the end of a cycle.
#' @param cycle_size Events per cycle (a whole number >= 2).
#' @param cycle_mult Growth of the cycle after each cycle (>= 1).
#' @param start_value_mult,end_value_mult Multipliers of the start and end values
#'   after each cycle.
#' @param warmup_duration Events spent going back to the start value between cycles.
#' @param param_group_index `NULL` for every group, or the index of the one group to
#'   drive, counted from 1 as R counts (`optimizer$param_groups[[param_group_index]]`).
#' @param monotonic For the linear schedule: go from start to end once per cycle.
#' @return A scheduler object, of class `c("lr_cosine_annealing_scheduler",
#'   "lr_scheduler", ...)` or `c("lr_linear_cyclical_scheduler", "lr_scheduler", ...)`.
#' @seealso [cosine_annealing_schedule()] and [linear_cyclical_schedule()] for the
#'   values as a data frame.
#' @examplesIf python_available()
#' optimizer <- new.env()
#' optimizer$param_groups <- list(list(lr = 0.1))
#' scheduler <- lr_cosine_annealing_scheduler(optimizer, "lr",
#'   start_value = 0.1, end_value = 0.001, cycle_size = 20
#' )
#' for (i in 1:10) scheduler$step()
#' scheduler$get_last_lr()
#' @export
lr_cosine_annealing_scheduler <- function(optimizer, param_name = "lr", start_value,
                                          end_value, cycle_size, cycle_mult = 1,
                                          start_value_mult = 1, end_value_mult = 1,
                                          warmup_duration = 0, param_group_index = NULL) {
  settings <- list(
    param_name = param_name, start_value = start_value, end_value = end_value,
    cycle_size = cycle_size, cycle_mult = cycle_mult, start_value_mult = start_value_mult,
    end_value_mult = end_value_mult, warmup_duration = warmup_duration,
    param_group_index = param_group_index
  )
  ignite_scheduler("lr_cosine_annealing_scheduler", optimizer, settings)
}

#' @rdname lr_cosine_annealing_scheduler
#' @export
lr_linear_cyclical_scheduler <- function(optimizer, param_name = "lr", start_value,
                                         end_value, cycle_size, cycle_mult = 1,
                                         start_value_mult = 1, end_value_mult = 1,
                                         warmup_duration = 0, param_group_index = NULL,
                                         monotonic = FALSE) {
  settings <- list(
    param_name = param_name, start_value = start_value, end_value = end_value,
    cycle_size = cycle_size, cycle_mult = cycle_mult, start_value_mult = start_value_mult,
    end_value_mult = end_value_mult, warmup_duration = warmup_duration,
    param_group_index = param_group_index, monotonic = monotonic
  )
  ignite_scheduler("lr_linear_cyclical_scheduler", optimizer, settings)
}

# R counts groups from 1, Python from 0: param_group_index is converted as every
# argument is (a 1-d array or one-column matrix is its vector, a list of one value that
# value) and then, when it is one number, shifted before it crosses; messages show the
# R value the user gave.
ignite_scheduler <- function(kind, optimizer, settings) {
  shown <- settings
  index <- py_value(settings$param_group_index, "param_group_index")
  if (is.list(index) && length(index) == 1L && is.numeric(index[[1]])) {
    index <- index[[1]]
  }
  if (is.numeric(index) && length(index) == 1L && !is.na(index)) {
    index <- index - 1
  }
  settings["param_group_index"] <- list(index)
  entries <- if (is.character(settings$param_name)) settings$param_name else character()
  new_scheduler(kind, optimizer, settings, entries = entries, shown = shown)
}
