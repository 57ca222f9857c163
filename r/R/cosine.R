#' Cosine annealing with warm restarts (SGDR)
#'
#' torch's `CosineAnnealingWarmRestarts`, computed by the Python package
#' `lr_one_cycle` (bitwise equal to torch with the default `decay` and
#' `warmup_steps`). Cycle `i` lasts `T_0 * T_mult^i` steps and anneals each group's lr
#' from its base lr (its lr at construction, or its `initial_lr`) down to `eta_min`:
#' `eta_min + (base_lr - eta_min) * decay^i * (1 + cos(pi * T_cur / T_i)) / 2`.
#' The step convention and the scheduler object are those of [lr_one_cycle()] (no
#' momentum is cycled, and there is no end: every `$step()` is defined).
#'
#' @inheritParams lr_one_cycle
#' @param T_0 Length of the first cycle, in steps (a whole number).
#' @param T_mult Growth of the cycle length after each restart (a real >= 1).
#' @param eta_min The lowest learning rate.
#' @param last_epoch `-1` to start, or the step to resume at (needs `initial_lr` in
#'   every group, as torch's does).
#' @param decay Each cycle peaks `decay` times lower than the one before.
#' @param warmup_steps Every cycle starts with a linear ramp of that many steps.
#' @return A scheduler object (see [lr_one_cycle()]).
#' @seealso [warm_restarts_schedule()] for the values as a data frame.
#' @examples
#' optimizer <- new.env()
#' optimizer$param_groups <- list(list(lr = 0.1))
#' scheduler <- lr_cosine_annealing_warm_restarts(optimizer, T_0 = 10, T_mult = 2)
#' for (i in 1:15) scheduler$step()
#' scheduler$get_last_lr()
#' @export
lr_cosine_annealing_warm_restarts <- function(optimizer, T_0, T_mult = 1, eta_min = 0,
                                              last_epoch = -1, decay = 1,
                                              warmup_steps = 0) {
  settings <- list(T_0 = T_0, T_mult = T_mult, eta_min = eta_min, last_epoch = last_epoch,
                   decay = decay, warmup_steps = warmup_steps)
  new_scheduler(optimizer, "CosineAnnealingWarmRestarts", settings)
}

#' Cyclical schedules of pytorch-ignite: cosine annealing and linear cycles
#'
#' pytorch-ignite 0.5.5's `CosineAnnealingScheduler` and `LinearCyclicalScheduler`,
#' bitwise, computed by the Python package `lr_one_cycle`. Each cycle of `cycle_size`
#' events goes from `start_value` to `end_value` (cosine: half a cosine wave; linear:
#' there and back, or once with `monotonic = TRUE`); after each cycle the cycle grows
#' by `cycle_mult` and the values are multiplied by `start_value_mult` and
#' `end_value_mult`; `warmup_duration` events go linearly back between cycles.
#'
#' These follow ignite's convention, not [lr_one_cycle()]'s: the constructor writes
#' nothing, and each `$step()` (one per iteration, before the update) writes the value
#' of the next event. `$last_epoch` is the last event written (`-1` before the first
#' `$step()`). The other methods are those of [lr_one_cycle()].
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
#' @param param_group_index `NULL` for every group, or the 0-based index of the one
#'   group to drive (as in Python and in the error messages).
#' @param monotonic For the linear schedule: go from start to end once per cycle.
#' @return A scheduler object.
#' @seealso [cosine_schedule()] for the values as a data frame.
#' @examples
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
  new_scheduler(optimizer, "CosineAnnealingScheduler", settings, entries = param_name)
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
  new_scheduler(optimizer, "LinearCyclicalScheduler", settings, entries = param_name)
}

#' Cosine schedules as data frames
#'
#' `cosine_schedule()`: ignite's cosine annealing at events `0 .. num_events - 1`;
#' `warm_restarts_schedule()`: SGDR at steps `0 .. total_steps - 1`. Same values as
#' [lr_cosine_annealing_scheduler()] and [lr_cosine_annealing_warm_restarts()] write.
#'
#' @inheritParams lr_cosine_annealing_scheduler
#' @inheritParams lr_cosine_annealing_warm_restarts
#' @param num_events Number of events to evaluate.
#' @param total_steps Number of steps to evaluate.
#' @param base_lr The learning rate each cycle starts from.
#' @return A `data.frame(step, lr, momentum)` (momentum `NA`: not scheduled) of class
#'   `lronecycle_schedule`, with a [plot()][plot.lronecycle_schedule] method.
#' @examples
#' plot(cosine_schedule(100, start_value = 0.1, end_value = 0.001, cycle_size = 30,
#'                      cycle_mult = 1.5))
#' plot(warm_restarts_schedule(70, base_lr = 0.1, T_0 = 10, T_mult = 2))
#' @export
cosine_schedule <- function(num_events, start_value, end_value, cycle_size,
                            cycle_mult = 1, start_value_mult = 1, end_value_mult = 1,
                            warmup_duration = 0) {
  args <- py_args(list(
    num_events = num_events, start_value = start_value, end_value = end_value,
    cycle_size = cycle_size, cycle_mult = cycle_mult, start_value_mult = start_value_mult,
    end_value_mult = end_value_mult, warmup_duration = warmup_duration
  ))
  schedule_frame(py_call(do.call(bridge()$cosine_table, args)), "cosine annealing")
}

#' @rdname cosine_schedule
#' @export
warm_restarts_schedule <- function(total_steps, base_lr, T_0, T_mult = 1, eta_min = 0,
                                   decay = 1, warmup_steps = 0) {
  args <- py_args(list(
    total_steps = total_steps, base_lr = base_lr, T_0 = T_0, T_mult = T_mult,
    eta_min = eta_min, decay = decay, warmup_steps = warmup_steps
  ))
  schedule_frame(py_call(do.call(bridge()$warm_restarts_table, args)), "warm restarts")
}
