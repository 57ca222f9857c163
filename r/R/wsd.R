#' Warmup-stable-decay learning rates
#'
#' The schedule of recent language-model training (MiniCPM, Hu et al., arXiv
#' 2404.06395; Hägele et al., arXiv 2405.18392): warm up from `min_lr` to `peak_lr` in
#' `warmup_steps` steps, hold `peak_lr` for `stable_steps`, decay to `min_lr` in
#' `decay_steps`. Computed by the Python package `lr_one_cycle` (its
#' `WarmupStableDecayLR`: same arguments, same checks), bitwise equal to Python's, and
#' equal to transformers' `get_wsd_schedule` with `min_lr_ratio = min_lr / peak_lr`
#' within 1e-12 relative. Formulas: [warmup_stable_decay_schedule()]. Only the lr is
#' written (and torch's `initial_lr`, `peak_lr`, on a Python torch optimizer when a
#' run starts).
#'
#' The step convention and the scheduler object are those of [lr_one_cycle()]: step
#' `total_steps = warmup_steps + stable_steps + decay_steps` (the `total_steps`-th
#' `$step()`) holds `min_lr`, and one more raises an error and changes nothing.
#'
#' @section Deciding late when to decay:
#' The point of the schedule is that the decay can start late. Before the decay,
#' `$resume_with(stable_steps = )` (or `decay_steps =`, or `total_steps =`, which sets
#' the stable phase to `total_steps - warmup_steps - decay_steps`) lengthens or
#' shortens the stable phase with no change to the steps taken and no jump in the lr.
#' In the decay, `$resume_with(total_steps = )` spreads the rest of the decay over the
#' steps left, from the current lr. Same rule as Python's
#' `WarmupStableDecayLR.resume_with()`.
#'
#' @inheritParams lr_one_cycle
#' @param peak_lr The stable phase's lr: one value, or one per parameter group.
#' @param warmup_steps,stable_steps,decay_steps The phases' lengths in steps (whole
#'   numbers >= 0, not all 0).
#' @param min_lr Where the warm-up starts and the decay ends, at most `peak_lr`: one
#'   value, or one per parameter group.
#' @param warmup,decay Each phase's shape: `"linear"`, `"cosine"` or `"1-sqrt"`.
#' @param last_epoch `-1` to start, or the step to resume at.
#' @return A scheduler object (see [lr_one_cycle()]), of class
#'   `c("lr_warmup_stable_decay", "lr_scheduler", ...)`.
#' @seealso [warmup_stable_decay_schedule()] for the values as a data frame.
#' @examplesIf python_available()
#' optimizer <- new.env()
#' optimizer$param_groups <- list(list(lr = 0.1))
#' scheduler <- lr_warmup_stable_decay(optimizer, peak_lr = 0.01, warmup_steps = 10,
#'   stable_steps = 80, decay_steps = 10
#' )
#' for (i in 1:50) scheduler$step()
#' # Train longer: the decay starts 100 steps later, the lr does not move now.
#' scheduler$resume_with(stable_steps = 180)
#' scheduler$total_steps
#' scheduler$get_last_lr()
#' @export
lr_warmup_stable_decay <- function(optimizer,
                                   peak_lr,
                                   warmup_steps,
                                   stable_steps,
                                   decay_steps,
                                   min_lr = 0,
                                   warmup = "linear",
                                   decay = "cosine",
                                   last_epoch = -1,
                                   verbose = FALSE) {
  new_scheduler("lr_warmup_stable_decay", optimizer, list(
    peak_lr = peak_lr, warmup_steps = warmup_steps, stable_steps = stable_steps,
    decay_steps = decay_steps, min_lr = min_lr, warmup = warmup, decay = decay,
    last_epoch = last_epoch, verbose = verbose
  ))
}

#' Warmup-stable-decay and warm-up-then-cosine schedules as data frames
#'
#' The Python package's `warmup_stable_decay_schedule()` and `warmup_cosine_schedule()`,
#' same arguments: the learning rate at any steps (random access), bitwise what
#' [lr_warmup_stable_decay()] applies.
#'
#' Warmup-stable-decay, with `W, S, D` the phases' lengths, `m = min_lr`,
#' `P = peak_lr`: `m + (P - m) * fw(k / W)` for `k < W`, `P` for `W <= k < W + S`,
#' `m + (P - m) * fd((k - W - S) / D)` for `W + S <= k < W + S + D`, and `m` at
#' `k = W + S + D`; the warm-up `fw` is linear `p`, cosine `(1 - cos(pi p)) / 2` or
#' 1-sqrt `1 - sqrt(1 - p)`, the decay `fd` linear `1 - p`, cosine
#' `(1 + cos(pi p)) / 2` or 1-sqrt `1 - sqrt(p)` (transformers' `get_wsd_schedule`).
#'
#' Warm-up then cosine, with `W = warmup_steps`, `T = total_steps`: `peak_lr * k / W`
#' for `k < W`, then `min_lr + (peak_lr - min_lr) * (1 + cos(pi * (k - W) / (T - W))) / 2`
#' up to step `T` (transformers' `get_cosine_with_min_lr_schedule_with_warmup`, within
#' 1e-12 relative). It is [lr_warmup()] of a cosine decay, in one call.
#'
#' @inheritParams lr_warmup_stable_decay
#' @inheritParams one_cycle_schedule
#' @param steps The steps to evaluate (whole numbers from 0 to the run's length), or
#'   `NULL` (the default in R only) for the run's updates `0 .. total_steps - 1`.
#' @param peak_lr The highest lr (the end of the warm-up): one value, or one per group.
#' @param warmup_steps The warm-up's length in steps (`warmup_cosine_schedule()`: 0 to
#'   `total_steps - 1`).
#' @param stable_steps,decay_steps The stable and decay phases' lengths in steps (whole
#'   numbers >= 0; the three phases not all 0).
#' @param total_steps The run's length: step `total_steps` holds `min_lr`.
#' @param min_lr The lowest lr, at most `peak_lr`: one value, or one per group.
#' @return A data frame of class `lronecycle_schedule` with columns `step`, `lr` and
#'   `momentum` (`NA`: not scheduled), and `group` when a setting gives several groups;
#'   [plot()][plot.lronecycle_schedule] draws it.
#' @references Hu et al., "MiniCPM", arXiv 2404.06395; Hägele et al., arXiv
#'   2405.18392; Loshchilov & Hutter, arXiv 1608.03983 (cosine annealing).
#' @examplesIf python_available()
#' plot(warmup_stable_decay_schedule(peak_lr = 0.01, warmup_steps = 100,
#'                                   stable_steps = 700, decay_steps = 200,
#'                                   decay = "1-sqrt"))
#' plot(warmup_cosine_schedule(peak_lr = 0.01, warmup_steps = 50, total_steps = 500,
#'                             min_lr = 0.001))
#' warmup_stable_decay_schedule(c(0, 5, 10), peak_lr = c(0.01, 0.1), warmup_steps = 5,
#'                              stable_steps = 0, decay_steps = 5)
#' @export
warmup_stable_decay_schedule <- function(steps = NULL,
                                         peak_lr,
                                         warmup_steps,
                                         stable_steps,
                                         decay_steps,
                                         min_lr = 0,
                                         warmup = "linear",
                                         decay = "cosine",
                                         exact = TRUE) {
  schedule_table(bridge()$warmup_stable_decay_table, "warmup-stable-decay", list(
    steps = steps, exact = exact, peak_lr = peak_lr, warmup_steps = warmup_steps,
    stable_steps = stable_steps, decay_steps = decay_steps, min_lr = min_lr,
    warmup = warmup, decay = decay
  ))
}

#' @rdname warmup_stable_decay_schedule
#' @export
warmup_cosine_schedule <- function(steps = NULL,
                                   peak_lr,
                                   warmup_steps,
                                   total_steps,
                                   min_lr = 0,
                                   exact = TRUE) {
  schedule_table(bridge()$warmup_cosine_table, "warm-up and cosine", list(
    steps = steps, exact = exact, peak_lr = peak_lr, warmup_steps = warmup_steps,
    total_steps = total_steps, min_lr = min_lr
  ))
}
