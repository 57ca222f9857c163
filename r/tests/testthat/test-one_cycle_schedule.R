test_that("one_cycle_schedule() holds the values the scheduler applies", {
  skip_if_no_python()
  schedule <- one_cycle_schedule(total_steps = 30, max_lr = 0.02, pct_start = 0.4,
                                 anneal_strategy = "linear")
  expect_s3_class(schedule, "data.frame")
  expect_identical(schedule$step, 0:29)
  optimizer <- sgd()
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.02, total_steps = 30, pct_start = 0.4,
                            anneal_strategy = "linear")
  rows <- r_run(optimizer, scheduler, 29)
  expect_identical(schedule$lr, vapply(rows, function(r) r$lr, numeric(1)))
  expect_identical(schedule$momentum, vapply(rows, function(r) r$momentum, numeric(1)))
})

test_that("one_cycle_schedule() takes Python's arguments, steps first", {
  skip_if_no_python()
  expect_identical(names(formals(one_cycle_schedule))[1:3], c("steps", "max_lr", "total_steps"))
  some <- one_cycle_schedule(c(10, 0), max_lr = 0.1, total_steps = 10)
  expect_identical(some$step, c(10, 0))
  all <- one_cycle_schedule(0:10, max_lr = 0.1, total_steps = 10)
  expect_identical(some$lr, all$lr[c(11, 1)])
  reference <- py_package(convert = FALSE)$one_cycle_schedule(
    0:10, max_lr = 0.1, total_steps = 10L, exact = TRUE
  )
  expect_identical(all$lr, as.numeric(reticulate::py_to_r(reference[[0]]$tolist())))
  expect_identical(all$momentum, as.numeric(reticulate::py_to_r(reference[[1]]$tolist())))
  expect_error(one_cycle_schedule(2.5, max_lr = 0.1, total_steps = 10),
               "step must be an integer >= 0, got 2.5", fixed = TRUE,
               class = "lronecycle_error")
  expect_error(one_cycle_schedule(c(1, 2.5), max_lr = 0.1, total_steps = 10),
               "steps must be whole numbers; got non-integer values", fixed = TRUE,
               class = "lronecycle_error")
  expect_error(one_cycle_schedule(max_lr = 0.1, total_steps = 10.5),
               "total_steps must be a positive integer, got 10.5", fixed = TRUE,
               class = "lronecycle_error")
})

test_that("one_cycle_schedule(exact = FALSE) is the vectorised path, within a few ulp", {
  skip_if_no_python()
  exact <- one_cycle_schedule(max_lr = 0.1, total_steps = 1000)
  fast <- one_cycle_schedule(max_lr = 0.1, total_steps = 1000, exact = FALSE)
  expect_equal(fast$lr, exact$lr, tolerance = 1e-14)
  expect_error(one_cycle_schedule(max_lr = 0.1, total_steps = 10, exact = NA),
               "exact must be TRUE or FALSE, got NA", fixed = TRUE)
})

test_that("several groups give one row per step and group", {
  skip_if_no_python()
  schedule <- one_cycle_schedule(c(0, 5, 10), max_lr = c(body = 0.01, head = 0.1),
                                 total_steps = 10)
  expect_identical(schedule$group, rep(1:2, each = 3))
  expect_identical(schedule$step, rep(c(0, 5, 10), 2))
  body <- one_cycle_schedule(c(0, 5, 10), max_lr = 0.01, total_steps = 10)
  head <- one_cycle_schedule(c(0, 5, 10), max_lr = 0.1, total_steps = 10)
  expect_identical(schedule$lr, c(body$lr, head$lr))
  expect_identical(schedule$momentum, c(body$momentum, head$momentum))
})

test_that("plot() takes main, xlab, ylab, type, col, lwd and log", {
  skip_if_no_python()
  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file)
  on.exit(unlink(file))
  grDevices::dev.control("enable")
  schedule <- one_cycle_schedule(max_lr = c(0.01, 0.1), total_steps = 50, three_phase = TRUE)
  expect_identical(plot(schedule, main = c("lr here", "momentum here"), xlab = "batch",
                        ylab = "value", type = "o", col = c("red", "blue"), lwd = 3,
                        log = "y"), schedule)
  # The arguments reach the drawing: read them back from the recorded display list.
  calls <- grDevices::recordPlot()[[1]]
  texts <- unlist(lapply(calls, function(call) Filter(is.character, unlist(call[[2]]))))
  expect_true(all(c("lr here", "momentum here", "batch", "value") %in% texts))
  expect_true(all(c("red", "blue") %in% texts))
  expect_true("y" %in% texts) # log = "y"
  grDevices::dev.off()
  expect_gt(file.size(file), 0)

  cosine <- cosine_annealing_schedule(0:20, start_value = 1, end_value = 0, cycle_size = 10)
  grDevices::pdf(file)
  plot(cosine, main = "one title")
  expect_identical(graphics::par("mfrow"), c(1L, 1L)) # no momentum panel
  grDevices::dev.off()
})

test_that("every schedule function gives a data frame with no rows for no steps", {
  skip_if_no_python()
  calls <- list(
    function(steps, lr) one_cycle_schedule(steps, max_lr = lr, total_steps = 10),
    function(steps, lr) cosine_annealing_schedule(steps, start_value = 0.1, end_value = 0.01,
                                                  cycle_size = 10),
    function(steps, lr) linear_cyclical_schedule(steps, start_value = 0.1, end_value = 0.01,
                                                 cycle_size = 10),
    function(steps, lr) warm_restarts_schedule(steps, base_lr = lr, T_0 = 10),
    function(steps, lr) cyclic_lr_schedule(steps, base_lr = lr / 10, max_lr = lr,
                                           step_size_up = 5),
    function(steps, lr) warmup_stable_decay_schedule(steps, peak_lr = lr, warmup_steps = 2,
                                                     stable_steps = 2, decay_steps = 2),
    function(steps, lr) warmup_cosine_schedule(steps, peak_lr = lr, warmup_steps = 2,
                                               total_steps = 10)
  )
  for (i in seq_along(calls)) {
    for (lr in list(0.1, c(0.1, 0.2))) {
      some <- calls[[i]](0:3, lr)
      for (steps in list(integer(0), numeric(0), (0:9)[0:9 > 20])) {
        none <- calls[[i]](steps, lr)
        expect_s3_class(none, "lronecycle_schedule")
        expect_identical(nrow(none), 0L, info = i)
        expect_identical(names(none), names(some), info = i)
        expect_identical(attr(none, "title"), attr(some, "title"))
        expect_identical(vapply(none[-1], typeof, ""), vapply(some[-1], typeof, ""), info = i)
      }
    }
  }
})

test_that("plot() draws one line per group present, for any subset of a schedule's rows", {
  skip_if_no_python()
  schedule <- one_cycle_schedule(0:50, max_lr = c(0.01, 0.1, 1), total_steps = 50)
  column <- function(rows) as.numeric(rows)
  second <- schedule[schedule$group == 2, ]
  lines <- plot_lines(second)
  expect_identical(lines$groups, 2L)
  expect_identical(lines$step, matrix(column(second$step), ncol = 1))
  expect_identical(lines$lr, matrix(second$lr, ncol = 1))
  expect_identical(lines$momentum, matrix(second$momentum, ncol = 1))
  # Groups 1 and 3, of different lengths: NA pads the shorter.
  uneven <- schedule[schedule$group != 2 & (schedule$group == 3 | schedule$step < 10), ]
  lines <- plot_lines(uneven)
  expect_identical(lines$groups, c(1L, 3L))
  expect_identical(dim(lines$lr), c(51L, 2L))
  expect_identical(lines$lr[, 2], uneven$lr[uneven$group == 3])
  expect_identical(lines$lr[, 1], c(uneven$lr[uneven$group == 1], rep(NA_real_, 41)))
  expect_identical(lines$step[1:10, 1], column(0:9))
  # Drawn without a warning, in the groups' own colours.
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_no_warning(plot(second))
  expect_no_warning(plot(uneven))
  # One group only: the whole schedule as it was.
  single <- one_cycle_schedule(0:20, max_lr = 0.1, total_steps = 20)
  expect_identical(plot_lines(single)$lr, matrix(single$lr, ncol = 1))
})
