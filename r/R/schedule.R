#' 1cycle schedule as a data frame
#'
#' The learning rate and momentum of one parameter group at each step, from the same
#' Python core as [lr_one_cycle()] (bitwise equal to what the scheduler applies).
#'
#' @inheritParams lr_one_cycle
#' @param steps The steps to evaluate (whole numbers in `0 .. total_steps`), or
#'   `NULL` for the `total_steps` updates `0 .. total_steps - 1`.
#' @return A `data.frame(step, lr, momentum)` of class `lronecycle_schedule`, with a
#'   [plot()][plot.lronecycle_schedule] method.
#' @examples
#' schedule <- one_cycle_schedule(total_steps = 100, max_lr = 0.01)
#' head(schedule)
#' plot(schedule)
#' @export
one_cycle_schedule <- function(total_steps,
                               max_lr,
                               steps = NULL,
                               pct_start = 0.3,
                               anneal_strategy = "cos",
                               base_momentum = 0.85,
                               max_momentum = 0.95,
                               div_factor = 25,
                               final_div_factor = 10000,
                               three_phase = FALSE) {
  args <- py_args(list(
    total_steps = total_steps, max_lr = max_lr, steps = steps, pct_start = pct_start,
    anneal_strategy = anneal_strategy, base_momentum = base_momentum,
    max_momentum = max_momentum, div_factor = div_factor,
    final_div_factor = final_div_factor, three_phase = three_phase
  ))
  schedule_frame(py_call(do.call(bridge()$one_cycle_table, args)), "1cycle")
}

schedule_frame <- function(columns, title) {
  frame <- data.frame(
    step = as.integer(unlist(columns$step)),
    lr = as.numeric(unlist(columns$lr)),
    momentum = if (is.null(columns$momentum)) NA_real_ else as.numeric(unlist(columns$momentum))
  )
  structure(frame, class = c("lronecycle_schedule", "data.frame"), title = title)
}

#' Plot a schedule
#'
#' Base-graphics plot of the learning rate and, when it varies, the momentum against
#' the step.
#'
#' @param x A schedule from [one_cycle_schedule()], [cosine_schedule()] or
#'   [warm_restarts_schedule()].
#' @param ... Passed to [graphics::plot()] for both panels.
#' @return `x`, invisibly.
#' @examples
#' plot(one_cycle_schedule(total_steps = 100, max_lr = 0.01, three_phase = TRUE))
#' @export
plot.lronecycle_schedule <- function(x, ...) {
  title <- attr(x, "title")
  with_momentum <- any(!is.na(x$momentum)) && length(unique(x$momentum)) > 1L
  if (with_momentum) {
    old <- graphics::par(mfrow = c(2L, 1L), mar = c(4, 4, 2, 1))
    on.exit(graphics::par(old))
  }
  graphics::plot(x$step, x$lr, type = "l", xlab = "step", ylab = "learning rate",
                 main = paste(title, "learning rate"), ...)
  if (with_momentum) {
    graphics::plot(x$step, x$momentum, type = "l", xlab = "step", ylab = "momentum",
                   main = paste(title, "momentum"), ...)
  }
  invisible(x)
}
