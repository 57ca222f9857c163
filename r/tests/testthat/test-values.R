# Every kind of R value a user passes is converted in R before it crosses to Python
# (reticulate 1.28 with NumPy 2 crashes on R arrays), and means what it means in R.

lrs_after <- function(max_lr, total_steps = 10, steps = 3) {
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_one_cycle(optimizer, max_lr = max_lr, total_steps = total_steps)
  for (i in seq_len(steps)) scheduler$step()
  group_values(optimizer)$lr
}

test_that("numbers, integers, named vectors, lists, named lists and 1-d arrays are accepted", {
  skip_if_no_python()
  expected <- lrs_after(c(0.01, 0.1))
  expect_identical(lrs_after(list(0.01, 0.1)), expected)
  expect_identical(lrs_after(c(body = 0.01, head = 0.1)), expected)
  expect_identical(lrs_after(list(body = 0.01, head = 0.1)), expected) # as R torch takes it
  expect_identical(lrs_after(array(c(0.01, 0.1))), expected)
  expect_identical(lrs_after(matrix(c(0.01, 0.1), ncol = 1)), expected)
  expect_identical(lrs_after(tapply(c(0.01, 0.1), c("a", "b"), sum)), expected)
  # counts: a double, an integer, a 1-d array, a tapply() result
  expect_identical(lrs_after(c(0.01, 0.1), total_steps = 10L), expected)
  expect_identical(lrs_after(c(0.01, 0.1), total_steps = array(10)), expected)
  expect_identical(lrs_after(c(0.01, 0.1), total_steps = tapply(c(4, 6), c(1, 1), sum)),
                   expected)
  expect_identical(lrs_after(1L), lrs_after(1))
})

test_that("1-d arrays cross in the schedule functions and the steps", {
  skip_if_no_python()
  plain <- one_cycle_schedule(0:3, max_lr = 0.1, total_steps = 10)
  arrays <- one_cycle_schedule(array(0:3), max_lr = array(0.1), total_steps = array(10))
  expect_identical(arrays, plain)
  restarts <- warm_restarts_schedule(array(c(0, 1.5)), base_lr = array(0.1), T_0 = array(3))
  expect_identical(restarts$lr, warm_restarts_schedule(c(0, 1.5), base_lr = 0.1, T_0 = 3)$lr)
})

test_that("matrices with several columns and factors are refused, naming the argument", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  before <- optimizer$param_groups
  expect_identical(
    refusal(lr_one_cycle(optimizer, max_lr = matrix(c(0.01, 0.1, 0.01, 0.1), 2), total_steps = 10)),
    "max_lr must be a vector, got a 2 x 2 matrix: pass one column, e.g. max_lr[, 1]"
  )
  expect_identical(
    refusal(lr_one_cycle(optimizer, max_lr = 0.1, total_steps = array(10, c(1, 1, 2)))),
    "total_steps must be a vector, got a 1 x 1 x 2 array: pass one column, e.g. total_steps[, 1]"
  )
  expect_identical(
    refusal(lr_one_cycle(optimizer, max_lr = list(0.1, matrix(1:4, 2)), total_steps = 10)),
    "max_lr[[2]] must be a vector, got a 2 x 2 matrix: pass one column, e.g. max_lr[[2]][, 1]"
  )
  expect_identical(
    refusal(lr_one_cycle(optimizer, max_lr = factor(c("0.01", "0.1")), total_steps = 10)),
    paste("max_lr must not be a factor (it would cross as its level codes): pass",
          "as.character(max_lr) or as.numeric(as.character(max_lr))")
  )
  expect_identical(
    refusal(one_cycle_schedule(factor(1:3), max_lr = 0.1, total_steps = 10)),
    paste("steps must not be a factor (it would cross as its level codes): pass",
          "as.character(steps) or as.numeric(as.character(steps))")
  )
  expect_identical(optimizer$param_groups, before)
})

test_that("NA, NULL, character, logical and Inf are refused in R's words", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  before <- optimizer$param_groups
  cases <- list(
    list(list(max_lr = NA), "max_lr must be a finite number >= 0, got NA"),
    list(list(max_lr = NA_real_), "max_lr must be a finite number >= 0, got NA"),
    list(list(max_lr = NA_character_), "max_lr must be a finite number >= 0, got NA"),
    list(list(max_lr = NULL), "max_lr must be a finite number >= 0, got NULL"),
    list(list(max_lr = "0.1"), "max_lr must be a finite number >= 0, got \"0.1\" (a character string)"),
    list(list(max_lr = TRUE), "max_lr must be a finite number >= 0, got TRUE"),
    list(list(max_lr = Inf), "max_lr must be a finite number >= 0, got Inf"),
    list(list(max_lr = c(0.1, -Inf)), "max_lr[[2]] must be a finite number >= 0, got -Inf"),
    list(list(max_lr = c(0.1, NaN)), "max_lr[[2]] must be a finite number >= 0, got NaN"),
    list(list(max_lr = numeric(0)),
         "max_lr must be a single value or one value per parameter group (2), got numeric(0)"),
    list(list(max_lr = list()),
         "max_lr must be a single value or one value per parameter group (2), got list()"),
    list(list(max_lr = list(body = 0.1, head = "a")),
         "max_lr[[2]] must be a finite number >= 0, got \"a\" (a character string)"),
    list(list(max_lr = list(0.1, c(0.1, 0.2))),
         "max_lr[[2]] must be a finite number >= 0, got c(0.1, 0.2) (length 2)"),
    list(list(total_steps = NA_integer_), "total_steps must be a positive integer, got NA"),
    list(list(total_steps = Inf), "total_steps must be a positive integer, got Inf"),
    list(list(total_steps = FALSE), "total_steps must be a positive integer, got FALSE"),
    list(list(total_steps = 10, cycle_momentum = "TRUE"),
         "cycle_momentum must be TRUE or FALSE, got \"TRUE\" (a character string)"),
    list(list(total_steps = 10, cycle_momentum = 1), "cycle_momentum must be TRUE or FALSE, got 1"),
    list(list(total_steps = 10, anneal_strategy = NA),
         "anneal_strategy must be \"cos\" or \"linear\", got NA"),
    list(list(total_steps = 10, anneal_strategy = c("cos", "linear")),
         "anneal_strategy must be \"cos\" or \"linear\", got c(\"cos\", \"linear\") (length 2)"),
    list(list(total_steps = 10, div_factor = function(x) x),
         "div_factor must be a finite number > 0, got a function")
  )
  for (case in cases) {
    args <- utils::modifyList(list(optimizer, max_lr = 0.01, total_steps = 10), case[[1]])
    if ("max_lr" %in% names(case[[1]]) && is.null(case[[1]]$max_lr)) args["max_lr"] <- list(NULL)
    expect_identical(refusal(do.call(lr_one_cycle, args)), case[[2]])
    expect_identical(optimizer$param_groups, before)
  }
})

test_that("the schedule functions refuse empty per-group values in R's words", {
  skip_if_no_python()
  expect_identical(refusal(one_cycle_schedule(max_lr = numeric(0), total_steps = 10)),
                   "max_lr must be a single value or a non-empty vector, got numeric(0)")
  expect_identical(
    refusal(warm_restarts_schedule(0:3, base_lr = list(), T_0 = 2)),
    "base_lr must be a single value or a non-empty vector, got list()"
  )
})

test_that("values inside an R optimizer's groups are converted too", {
  skip_if_no_python()
  optimizer <- new.env()
  optimizer$param_groups <- list(list(lr = array(0.1), momentum = array(0.9)))
  optimizer$defaults <- list(lr = 0.1, momentum = array(0.9))
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 10)
  scheduler$step()
  expect_identical(scheduler$get_last_lr(), lrs_after(0.01, steps = 1)[[1]])
})

test_that("an environment or a formula as an argument is refused in R, naming it", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  before <- optimizer$param_groups
  accepted <- "must be a value (a number, a string, TRUE or FALSE, a vector or a list), got"
  fake <- FakeOptimizer$new(0.1)
  cases <- list(
    list(function() one_cycle_schedule(max_lr = new.env(), total_steps = 10), "max_lr",
         "an environment (environment)"),
    list(function() lr_one_cycle(optimizer, max_lr = 0.1, total_steps = fake), "total_steps",
         "an environment (fake_optimizer)"),
    list(function() lr_one_cycle(optimizer, max_lr = list(0.1, new.env()), total_steps = 10),
         "max_lr[[2]]", "an environment (environment)"),
    list(function() warm_restarts_schedule(0:3, base_lr = 0.1, T_0 = y ~ x), "T_0",
         "an object of class formula")
  )
  for (case in cases) {
    err <- tryCatch(case[[1]](), error = function(e) e)
    expect_s3_class(err, "lronecycle_error")
    expect_identical(conditionMessage(err), paste(case[[2]], accepted, case[[3]]))
    expect_identical(err$argument, case[[2]])
    expect_identical(err$python_type, "TypeError")
  }
  expect_identical(optimizer$param_groups, before)
  # A scheduler's resume_with() and a state dict likewise.
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.1, total_steps = 10)
  expect_identical(refusal(scheduler$resume_with(total_steps = new.env())),
                   paste("total_steps", accepted, "an environment (environment)"))
  expect_identical(refusal(scheduler$load_state_dict(list(last_epoch = new.env()))),
                   paste("state_dict$last_epoch", accepted, "an environment (environment)"))
  expect_identical(scheduler$last_epoch, 0L)
})
