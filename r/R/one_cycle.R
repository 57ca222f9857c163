#' 1cycle learning-rate (and momentum) scheduler
#'
#' R torch's `lr_one_cycle()`, plus torch's `three_phase`: the 1cycle policy of
#' Smith & Topin (arXiv 1708.07120; Smith, arXiv 1803.09820), stepped once per batch.
#' The values are computed by the Python package `lr_one_cycle` (its `OneCycleLR`,
#' same arguments, same checks) and are bitwise equal to Python's and, on steps
#' `0 .. total_steps - 1`, to `torch.optim.lr_scheduler.OneCycleLR` (and to R torch's
#' `lr_one_cycle()` on its documentation example below).
#'
#' The step convention is the Python package's, stated once in
#' `lr_one_cycle/schedules/_protocol.py`: step `k` holds the values of the `(k+1)`-th
#' optimizer update; the constructor applies step 0, the `k`-th `$step()` applies step
#' `k`, and `$last_epoch` is the last step applied. The `total_steps`-th `$step()`
#' holds the final value; one more raises an error and changes nothing.
#'
#' @section Differences from R torch's `lr_one_cycle()` (torch 0.17.0):
#' * Step `total_steps` (the `total_steps`-th `$step()`, which a loop stepping after
#'   every batch reaches) holds `min_lr`, the final value. R torch, like Python torch,
#'   rebounds there: in the example below (`max_lr = 0.01`, 250 steps) its last
#'   `$step()` sets the lr to 8.46e-07 instead of `min_lr` = 4e-08.
#' * `last_epoch = k` resumes at exactly step `k` (the `$last_epoch` of the scheduler
#'   being resumed) and needs nothing in the optimizer's groups: the arguments define
#'   the schedule. R torch applies step `k + 1` and, on a fresh optimizer, stops with
#'   the error `param 'inital_lr' not is not specified.` (R torch's wording, typos
#'   included: its `LRScheduler` looks for an `initial_lr` entry in every group).
#' * The optimizer's `param_groups` get only `lr` and the cycled momentum written (a
#'   Python torch optimizer also gets torch's `initial_lr` when a run starts, which
#'   torch's `SequentialLR` reads); R torch also adds `initial_lr`, `max_lr`, `min_lr`,
#'   `max_momentum` and `base_momentum` entries to every group.
#' * `three_phase = TRUE` gives the paper's three phases (R torch has only two).
#' * `anneal_strategy = "linear"` anneals linearly. In R torch 0.17.0 it fails with
#'   "attempt to apply non-function" (the annealing function was assigned to
#'   `self.anneal_func`, not `self$anneal_func`, since `lr_one_cycle()` was added in
#'   2020); mlverse/torch fixed it after 0.17.0 (pull request #1474).
#' * Several groups work with the default `max_momentum`; bad arguments are refused
#'   before anything is written, with messages naming them (see [lronecycle_error]).
#'
#' @section Optimizers:
#' * A Python torch optimizer reached through reticulate
#'   (`torch <- reticulate::import("torch")`): the Python scheduler drives it.
#' * An optimizer that lives in R, shaped like R torch's (R torch's own optimizers
#'   included): an R6 object or an environment whose `param_groups` is a list of
#'   lists, each with `lr` and, to cycle the momentum, `momentum` or `betas` (the
#'   first beta is cycled); `defaults`, when present, decides which of the two is
#'   cycled, as in torch. The values are written into those lists; `$step()` makes no
#'   call into Python (R keeps a copy of the values of a window of steps).
#'
#' @section The scheduler object:
#' Like R torch's schedulers, it has class `c("lr_one_cycle", "lr_scheduler", ...)`
#' and works as the generator of luz's
#' `luz_callback_lr_scheduler(lr_one_cycle, max_lr = , epochs = , steps_per_epoch = ,
#' call_on = "on_batch_end")`.
#' * `$step()` applies the next step (returns the scheduler, invisibly). When the
#'   optimizer's groups changed since the scheduler was built, it raises and changes
#'   nothing.
#' * `$get_last_lr()`: the learning rates of the last step, one per group.
#' * `$get_lr()`: the learning rates of step `$last_epoch`, computed by the schedule.
#' * `$last_epoch`, `$base_lrs` (each group's `max_lr / div_factor`), `$total_steps`:
#'   read-only.
#' * `$state_dict()` gives the position and settings as a named list (it can be
#'   saved with `saveRDS()`); `$load_state_dict(state)` restores it after checking
#'   it was saved for the same schedule, and re-applies that step's values.
#' * `$resume_with(total_steps = )` (or `epochs =, steps_per_epoch =`): elastic
#'   resume for a run whose length changed (more workers, another batch size). The
#'   current step keeps its values and the rest of the cycle is spread over the
#'   remaining steps, ending at the final lr; a length shorter than the steps taken is
#'   refused. Same rule as Python's `OneCycleLR.resume_with()`.
#' * `print()` shows the settings and the position in R's terms.
#' * `$python` is the Python scheduler, to inspect.
#'
#' @param optimizer A Python torch optimizer, or an R optimizer (see Optimizers).
#' @param max_lr Peak learning rate: one value, or one per parameter group (a vector
#'   or a list, named or not).
#' @param total_steps Length of the schedule (a whole number), or `NULL` to use
#'   `epochs * steps_per_epoch`. When all three are given they must agree.
#' @param epochs,steps_per_epoch Whole numbers whose product is the length, used
#'   when `total_steps` is `NULL`.
#' @param pct_start Fraction of the steps spent increasing the learning rate.
#' @param anneal_strategy `"cos"` or `"linear"`.
#' @param cycle_momentum If `TRUE`, the momentum (or first beta) moves opposite to
#'   the learning rate between `max_momentum` and `base_momentum`.
#' @param base_momentum,max_momentum Momentum at the peak and at the ends of the
#'   cycle: one value, or one per parameter group.
#' @param div_factor `initial_lr = max_lr / div_factor`.
#' @param final_div_factor `min_lr = initial_lr / final_div_factor`.
#' @param last_epoch `-1` to start, or the step to resume at (the `$last_epoch` of
#'   the scheduler being resumed).
#' @param verbose If `TRUE`, report each learning rate applied as R torch does
#'   ("Adjusting learning rate of group 1 to 0.0004"), through [message()].
#' @param three_phase If `TRUE`, the paper's three phases (warm-up, mirror-image
#'   cool-down, annihilation) instead of fastai's two.
#' @return A scheduler object (see The scheduler object).
#' @seealso [one_cycle_schedule()] for the values as a data frame,
#'   [lronecycle_error] for the errors.
#' @examplesIf python_available()
#' # An R optimizer shaped like R torch's optim_sgd(lr = 0.1, momentum = 0.9):
#' optimizer <- new.env()
#' optimizer$param_groups <- list(list(lr = 0.1, momentum = 0.9))
#' optimizer$defaults <- list(lr = 0.1, momentum = 0.9)
#' data_loader <- seq_len(25)
#' scheduler <- lr_one_cycle(optimizer,
#'   max_lr = 0.01, steps_per_epoch = length(data_loader), epochs = 10
#' )
#' for (epoch in 1:10) {
#'   for (batch in data_loader) {
#'     scheduler$step()
#'   }
#' }
#' scheduler
#' optimizer$param_groups[[1]]$lr # min_lr, 4e-08
#' @export
lr_one_cycle <- function(optimizer,
                         max_lr,
                         total_steps = NULL,
                         epochs = NULL,
                         steps_per_epoch = NULL,
                         pct_start = 0.3,
                         anneal_strategy = "cos",
                         cycle_momentum = TRUE,
                         base_momentum = 0.85,
                         max_momentum = 0.95,
                         div_factor = 25,
                         final_div_factor = 10000,
                         last_epoch = -1,
                         verbose = FALSE,
                         three_phase = FALSE) {
  new_scheduler("lr_one_cycle", optimizer, list(
    max_lr = max_lr, total_steps = total_steps, epochs = epochs,
    steps_per_epoch = steps_per_epoch, pct_start = pct_start,
    anneal_strategy = anneal_strategy, cycle_momentum = cycle_momentum,
    base_momentum = base_momentum, max_momentum = max_momentum,
    div_factor = div_factor, final_div_factor = final_div_factor,
    three_phase = three_phase, last_epoch = last_epoch, verbose = verbose
  ))
}
