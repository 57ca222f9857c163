#' Cyclical learning rates (CLR)
#'
#' torch's `CyclicLR`: Smith's cyclical learning rates (arXiv 1506.01186), stepped once
#' per batch. Each group's lr goes from `base_lr` up to `max_lr` in `step_size_up` steps
#' and back in `step_size_down`, the amplitude scaled by `mode` (or `scale_fn`); the
#' momentum (or first beta) goes the opposite way between `max_momentum` and
#' `base_momentum`. The values are computed by the Python package `lr_one_cycle` (its
#' `CyclicLR`: same arguments, same checks) and are bitwise equal to Python's and to
#' torch 2.13's `torch.optim.lr_scheduler.CyclicLR`, for the three modes. Formulas:
#' [cyclic_lr_schedule()].
#'
#' The step convention and the scheduler object are those of [lr_one_cycle()]: the
#' constructor applies step 0, the `k`-th `$step()` applies step `k`. The cycles never
#' end: every `$step()` is defined and `$total_steps` is `NULL`.
#'
#' @section Differences from torch's `CyclicLR`:
#' * `last_epoch = k` resumes at exactly step `k` and needs no `initial_lr` in the
#'   groups (torch applies step `k + 1`).
#' * `gamma` must be in (0, 1] and the step sizes positive; a bad `mode` is refused
#'   even with a `scale_fn`. Nothing but `lr` and the momentum is written into the
#'   groups, apart from torch's `initial_lr` on a Python torch optimizer when a run
#'   starts (torch's `SequentialLR` reads it); an R-side optimizer gets nothing else.
#'
#' @section A custom `scale_fn`:
#' An R function of one number works: Python calls it (through reticulate) with the
#' cycle number, counted from 1 (`scale_mode = "cycle"`, once per cycle), or with the
#' step (`"iterations"`, once per step: slower, some microseconds per step), and it
#' returns the amplitude's scale, a number in \[0, 1\]; anything but one finite number
#' (`NA`, `NULL`, a string, several numbers) is refused, naming `scale_fn`. `mode` is then not used (as in
#' torch). A scheduler with an R `scale_fn` has no state dict (a state dict holds plain
#' values, and Python saves a `scale_fn` by its name): `$state_dict()` and
#' `$load_state_dict()` raise; rebuild it with the same `scale_fn` and `last_epoch = k`
#' to resume at step `k`.
#'
#' @section Resuming with another cycle:
#' `$resume_with(step_size_up = , step_size_down = )` goes on with cycles of the new
#' sizes from the same point of the cycle (same cycle, same fraction of it, to the
#' nearest step), for a run resumed with another number of batches per epoch;
#' `$last_epoch` is renumbered. Same rule as Python's `CyclicLR.resume_with()`.
#'
#' @inheritParams lr_one_cycle
#' @param base_lr,max_lr The cycle's lower and upper learning rate: one value, or one
#'   per parameter group.
#' @param step_size_up Steps from `base_lr` up to `max_lr` (a positive number).
#' @param step_size_down Steps back down; `NULL`: `step_size_up`.
#' @param mode `"triangular"`, `"triangular2"` (the amplitude halves each cycle) or
#'   `"exp_range"` (the amplitude is multiplied by `gamma^step`).
#' @param gamma The `"exp_range"` factor, in (0, 1].
#' @param scale_fn `NULL`, or a function of one number giving the amplitude's scale
#'   (an R function, or a Python one through reticulate), replacing `mode`: see A
#'   custom `scale_fn`.
#' @param scale_mode What `scale_fn` is a function of: `"cycle"` or `"iterations"`.
#' @param cycle_momentum If `TRUE`, the momentum (or first beta) moves opposite to the
#'   learning rate.
#' @param base_momentum,max_momentum The momentum at the peak and at the ends of a
#'   cycle: one value, or one per parameter group.
#' @param last_epoch `-1` to start, or the step to resume at.
#' @return A scheduler object (see [lr_one_cycle()]), of class
#'   `c("lr_cyclic", "lr_scheduler", ...)`.
#' @seealso [cyclic_lr_schedule()] for the values as a data frame.
#' @examplesIf python_available()
#' optimizer <- new.env()
#' optimizer$param_groups <- list(list(lr = 0.001, momentum = 0.9))
#' optimizer$defaults <- list(lr = 0.001, momentum = 0.9)
#' scheduler <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01, step_size_up = 10,
#'   mode = "triangular2"
#' )
#' for (i in 1:10) scheduler$step()
#' optimizer$param_groups[[1]] # at the peak: lr 0.01, momentum 0.8
#' scheduler
#'
#' # The amplitude as an R function of the cycle number:
#' shrinking <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01, step_size_up = 10,
#'   scale_fn = function(cycle) 1 / cycle
#' )
#' @export
lr_cyclic <- function(optimizer,
                      base_lr,
                      max_lr,
                      step_size_up = 2000,
                      step_size_down = NULL,
                      mode = "triangular",
                      gamma = 1,
                      scale_fn = NULL,
                      scale_mode = "cycle",
                      cycle_momentum = TRUE,
                      base_momentum = 0.8,
                      max_momentum = 0.9,
                      last_epoch = -1,
                      verbose = FALSE) {
  settings <- list(
    base_lr = base_lr, max_lr = max_lr, step_size_up = step_size_up,
    step_size_down = step_size_down, mode = mode, gamma = gamma, scale_fn = scale_fn,
    scale_mode = scale_mode, cycle_momentum = cycle_momentum,
    base_momentum = base_momentum, max_momentum = max_momentum, last_epoch = last_epoch,
    verbose = verbose
  )
  shown <- settings
  settings["scale_fn"] <- list(checked_scale_fn(scale_fn))
  scheduler <- new_scheduler("lr_cyclic", optimizer, settings, shown = shown)
  if (is.function(scale_fn)) {
    no_state <- function(...) {
      stop(lronecycle_error(paste(
        "an lr_cyclic() scheduler with an R scale_fn has no state dict: a state dict holds",
        "plain values, and a scale_fn is saved by its Python name, which an R function",
        "has not; build the scheduler again with the same scale_fn and last_epoch =",
        scheduler$last_epoch, "to resume where it is, or use mode = \"triangular2\" or",
        "\"exp_range\""
      ), python_type = "TypeError", argument = "scale_fn"))
    }
    scheduler$state_dict <- no_state
    scheduler$load_state_dict <- no_state
  }
  scheduler
}

#' Cyclical learning rates as a data frame
#'
#' The Python package's `cyclic_lr_schedule()`, same arguments: the learning rate and
#' momentum of [lr_cyclic()] at any steps (random access), bitwise what the scheduler
#' applies (and what torch's `CyclicLR` holds at `last_epoch = step`).
#'
#' With `S = step_size_up + step_size_down`, `u = step_size_up / S`, the cycle
#' `c = floor(1 + k / S)` and `x = 1 + k / S - c`, step `k` holds
#' `lr = base_lr + (max_lr - base_lr) * f * scale` and
#' `momentum = max_momentum - (max_momentum - base_momentum) * f * scale`, where
#' `f = x / u` while rising (`x <= u`), else `(x - 1) / (u - 1)`, and `scale` is 1
#' (`"triangular"`), `1 / 2^(c - 1)` (`"triangular2"`), `gamma^k` (`"exp_range"`), or
#' `scale_fn(c)` / `scale_fn(k)`.
#'
#' @inheritParams lr_cyclic
#' @inheritParams one_cycle_schedule
#' @param steps The steps to evaluate (whole numbers >= 0), or `NULL` (the default in
#'   R only) for the first two cycles, steps `0 .. 2 * (step_size_up + step_size_down)`.
#' @return A data frame of class `lronecycle_schedule` with columns `step`, `lr` and
#'   `momentum`, and `group` (counted from 1) when a setting gives several groups;
#'   [plot()][plot.lronecycle_schedule] draws it.
#' @references Smith, "Cyclical Learning Rates for Training Neural Networks", arXiv
#'   1506.01186.
#' @examplesIf python_available()
#' plot(cyclic_lr_schedule(base_lr = 0.001, max_lr = 0.01, step_size_up = 20,
#'                         mode = "triangular2"))
#' cyclic_lr_schedule(c(0, 5, 10), base_lr = 0.001, max_lr = c(0.01, 0.1),
#'                    step_size_up = 10)
#' @export
cyclic_lr_schedule <- function(steps = NULL,
                               base_lr,
                               max_lr,
                               step_size_up = 2000,
                               step_size_down = NULL,
                               mode = "triangular",
                               gamma = 1,
                               scale_fn = NULL,
                               scale_mode = "cycle",
                               base_momentum = 0.8,
                               max_momentum = 0.9,
                               exact = TRUE) {
  args <- list(
    steps = steps, exact = exact, base_lr = base_lr, max_lr = max_lr,
    step_size_up = step_size_up, step_size_down = step_size_down, mode = mode,
    gamma = gamma, scale_fn = scale_fn, scale_mode = scale_mode,
    base_momentum = base_momentum, max_momentum = max_momentum
  )
  sent <- args
  sent["scale_fn"] <- list(checked_scale_fn(scale_fn))
  schedule_table(bridge()$cyclic_lr_table, "cyclical", sent, shown = args)
}
