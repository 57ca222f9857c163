#' 1cycle schedule as a data frame
#'
#' The Python package's `one_cycle_schedule()`, same arguments: the learning rate and
#' momentum at `steps`, computed by the same core as [lr_one_cycle()] (bitwise equal
#' to what the scheduler applies). Step convention: see [lr_one_cycle()].
#'
#' @inheritParams lr_one_cycle
#' @param steps The steps to evaluate (whole numbers in `0 .. total_steps`), or `NULL`
#'   (the default in R only) for the run's `total_steps` updates `0 .. total_steps - 1`.
#' @param exact `TRUE` (the default in R; Python's default is `FALSE`): the values the
#'   schedulers apply, bit for bit. `FALSE`: a vectorised cosine, within a few ulp.
#' @return A data frame of class `lronecycle_schedule` with columns `step`, `lr` and
#'   `momentum`, one row per step, and a column `group` (counted from 1) when
#'   `max_lr` gives several groups; [plot()][plot.lronecycle_schedule] draws it.
#' @examplesIf python_available()
#' schedule <- one_cycle_schedule(max_lr = 0.01, total_steps = 100)
#' head(schedule)
#' plot(schedule)
#' one_cycle_schedule(c(0, 50, 100), max_lr = c(body = 0.01, head = 0.1), total_steps = 100)
#' @export
one_cycle_schedule <- function(steps = NULL,
                               max_lr,
                               total_steps,
                               pct_start = 0.3,
                               anneal_strategy = "cos",
                               div_factor = 25,
                               final_div_factor = 10000,
                               three_phase = FALSE,
                               base_momentum = 0.85,
                               max_momentum = 0.95,
                               exact = TRUE) {
  schedule_table(bridge()$one_cycle_table, "1cycle", list(
    steps = steps, exact = exact, max_lr = max_lr, total_steps = total_steps,
    pct_start = pct_start, anneal_strategy = anneal_strategy, div_factor = div_factor,
    final_div_factor = final_div_factor, three_phase = three_phase,
    base_momentum = base_momentum, max_momentum = max_momentum
  ))
}

#' Cyclical and warm-restart schedules as data frames
#'
#' The Python package's `cosine_annealing_schedule()`, `linear_cyclical_schedule()`
#' and `warm_restarts_schedule()`, same arguments: the values that
#' [lr_cosine_annealing_scheduler()], [lr_linear_cyclical_scheduler()] and
#' [lr_cosine_annealing_warm_restarts()] write, at any steps (random access).
#'
#' `steps` are ignite's events for the cyclical schedules (event `n` is what the
#' `(n+1)`-th `$step()` writes) and SGDR's epochs for warm restarts, which may be
#' fractional (`epoch + i / iterations`).
#'
#' @inheritParams lr_cosine_annealing_scheduler
#' @inheritParams lr_cosine_annealing_warm_restarts
#' @inheritParams one_cycle_schedule
#' @param steps The events (cyclical) or positions (warm restarts) to evaluate, >= 0.
#' @param base_lr The learning rate each cycle starts from: one value or one per group.
#' @return A data frame of class `lronecycle_schedule` with columns `step`, `lr` and
#'   `momentum` (`NA`: not scheduled), and `group` when `base_lr` gives several;
#'   [plot()][plot.lronecycle_schedule] draws it.
#' @examplesIf python_available()
#' plot(cosine_annealing_schedule(0:99, start_value = 0.1, end_value = 0.001,
#'                                cycle_size = 30, cycle_mult = 1.5))
#' plot(linear_cyclical_schedule(0:59, start_value = 0.95, end_value = 0.85,
#'                               cycle_size = 20), ylab = "momentum")
#' plot(warm_restarts_schedule(0:69, base_lr = 0.1, T_0 = 10, T_mult = 2))
#' @export
cosine_annealing_schedule <- function(steps, start_value, end_value, cycle_size,
                                      cycle_mult = 1, start_value_mult = 1,
                                      end_value_mult = 1, warmup_duration = 0,
                                      exact = TRUE) {
  schedule_table(bridge()$cosine_annealing_table, "cosine annealing", list(
    steps = steps, exact = exact, start_value = start_value, end_value = end_value,
    cycle_size = cycle_size, cycle_mult = cycle_mult, start_value_mult = start_value_mult,
    end_value_mult = end_value_mult, warmup_duration = warmup_duration
  ))
}

#' @rdname cosine_annealing_schedule
#' @export
linear_cyclical_schedule <- function(steps, start_value, end_value, cycle_size,
                                     cycle_mult = 1, start_value_mult = 1,
                                     end_value_mult = 1, warmup_duration = 0,
                                     monotonic = FALSE, exact = TRUE) {
  schedule_table(bridge()$linear_cyclical_table, "linear cycles", list(
    steps = steps, exact = exact, start_value = start_value, end_value = end_value,
    cycle_size = cycle_size, cycle_mult = cycle_mult, start_value_mult = start_value_mult,
    end_value_mult = end_value_mult, warmup_duration = warmup_duration,
    monotonic = monotonic
  ))
}

#' @rdname cosine_annealing_schedule
#' @export
warm_restarts_schedule <- function(steps, base_lr, T_0, T_mult = 1, eta_min = 0, decay = 1,
                                   warmup_steps = 0, exact = TRUE) {
  schedule_table(bridge()$warm_restarts_table, "warm restarts", list(
    steps = steps, exact = exact, base_lr = base_lr, T_0 = T_0, T_mult = T_mult,
    eta_min = eta_min, decay = decay, warmup_steps = warmup_steps
  ))
}

schedule_table <- function(table, title, args, shown = args) {
  columns <- call_python(table, py_arguments(args), shown = shown)
  step <- unlist(columns$step)
  if (is.null(step)) {
    # No steps: a data frame with no rows, its step column of the type given.
    step <- if (is.double(args$steps)) numeric() else integer()
  }
  groups <- as.integer(columns$groups)
  by_group <- function(values) {
    if (is.null(values)) {
      return(rep(NA_real_, length(step) * groups))
    }
    # The bridge sends step after step, one value per group: rows are groups.
    as.vector(t(matrix(as.numeric(unlist(values)), nrow = groups)))
  }
  frame <- if (groups == 1L) {
    data.frame(step = step, lr = by_group(columns$lr), momentum = by_group(columns$momentum))
  } else {
    data.frame(step = rep(step, groups), group = rep(seq_len(groups), each = length(step)),
               lr = by_group(columns$lr), momentum = by_group(columns$momentum))
  }
  structure(frame, class = c("lronecycle_schedule", "data.frame"), title = title)
}

#' Plot a schedule
#'
#' Base-graphics plot of the learning rate and, when it varies, the momentum against
#' the step, one line per parameter group.
#'
#' @param x A schedule from [one_cycle_schedule()], [cosine_annealing_schedule()],
#'   [linear_cyclical_schedule()], [warm_restarts_schedule()], [cyclic_lr_schedule()],
#'   [warmup_stable_decay_schedule()] or [warmup_cosine_schedule()].
#' @param main,ylab Titles and y-axis labels: one value, or one for the learning-rate
#'   panel and one for the momentum panel. `NULL`: the schedule's own.
#' @param xlab The x-axis label.
#' @param type,col,lwd,log As in [graphics::plot()] (`col`: one colour per group).
#' @param ... Passed to [graphics::matplot()] for both panels.
#' @return `x`, invisibly.
#' @examplesIf python_available()
#' plot(one_cycle_schedule(max_lr = 0.01, total_steps = 100, three_phase = TRUE),
#'      main = "three phases", col = "darkred", lwd = 2)
#' plot(warm_restarts_schedule(0:99, base_lr = c(0.1, 0.01), T_0 = 20), log = "y")
#' @export
plot.lronecycle_schedule <- function(x, main = NULL, xlab = "step", ylab = NULL,
                                     type = "l", col = NULL, lwd = 1, log = "", ...) {
  title <- attr(x, "title")
  with_momentum <- any(!is.na(x$momentum)) && length(unique(x$momentum)) > 1L
  panels <- if (with_momentum) 2L else 1L
  main <- rep_len(main %||% paste(title, c("learning rate", "momentum")), panels)
  ylab <- rep_len(ylab %||% c("learning rate", "momentum"), panels)
  lines <- plot_lines(x)
  col <- col %||% lines$groups
  if (with_momentum) {
    old <- graphics::par(mfrow = c(2L, 1L), mar = c(4, 4, 2, 1))
    on.exit(graphics::par(old))
  }
  draw <- function(values, panel) {
    graphics::matplot(lines$step, values, type = type, lty = 1, col = col, lwd = lwd,
                      log = log, main = main[[panel]], xlab = xlab, ylab = ylab[[panel]],
                      ...)
  }
  draw(lines$lr, 1L)
  if (with_momentum) draw(lines$momentum, 2L)
  invisible(x)
}

# What plot() draws: one column per group present in `x` (a subset of a schedule's rows
# may hold some groups only, or groups of different lengths), padded with NA, where
# matplot draws nothing; `groups`, the groups present (each keeps its colour).
plot_lines <- function(x) {
  groups <- if (is.null(x$group)) rep(1L, nrow(x)) else x$group
  present <- sort(unique(groups))
  rows <- lapply(present, function(g) which(groups == g))
  longest <- max(c(0L, lengths(rows)))
  by_group <- function(values) {
    values <- as.numeric(values)
    columns <- lapply(rows, function(i) c(values[i], rep(NA_real_, longest - length(i))))
    matrix(unlist(columns), nrow = longest, ncol = length(rows))
  }
  list(groups = present, step = by_group(x$step), lr = by_group(x$lr),
       momentum = by_group(x$momentum))
}
