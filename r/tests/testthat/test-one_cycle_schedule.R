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

test_that("one_cycle_schedule() evaluates chosen steps and checks them", {
  skip_if_no_python()
  some <- one_cycle_schedule(total_steps = 10, max_lr = 0.1, steps = c(10, 0))
  expect_identical(some$step, c(10L, 0L))
  all <- one_cycle_schedule(total_steps = 10, max_lr = 0.1, steps = 0:10)
  expect_identical(some$lr, all$lr[c(11, 1)])
  expect_error(one_cycle_schedule(total_steps = 10, max_lr = 0.1, steps = 2.5),
               "steps must be whole numbers; got non-integer values", fixed = TRUE,
               class = "lronecycle_error")
  expect_error(one_cycle_schedule(total_steps = 10.5, max_lr = 0.1),
               "total_steps must be a positive integer, got 10.5", fixed = TRUE,
               class = "lronecycle_error")
})

test_that("plot() draws a schedule with base graphics", {
  skip_if_no_python()
  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file)
  on.exit(unlink(file))
  schedule <- one_cycle_schedule(total_steps = 50, max_lr = 0.01, three_phase = TRUE)
  expect_identical(plot(schedule), schedule)
  grDevices::dev.off()
  expect_gt(file.size(file), 0)
})
