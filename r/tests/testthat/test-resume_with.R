# Elastic resume from R: $resume_with() goes through the same Python method, so the
# resumed values are Python's, bit for bit, for both kinds of optimizer.

python_resumed <- function(lrs, at, total, new_total) {
  optimizer <- py_bridge()$ROptimizer(lapply(lrs, function(lr) list(lr = lr, momentum = 0.9)),
                                      list(momentum = 0.9))
  scheduler <- py_package()$OneCycleLR(optimizer, max_lr = lrs, total_steps = total)
  for (k in seq_len(at)) scheduler$step()
  scheduler$resume_with(total_steps = new_total)
  rows <- list(vapply(optimizer$param_groups, function(g) g$lr, numeric(1)))
  for (k in seq_len(new_total - at)) {
    scheduler$step()
    rows[[length(rows) + 1L]] <- vapply(optimizer$param_groups, function(g) g$lr, numeric(1))
  }
  rows
}

test_that("an R optimizer resumed with a longer run follows Python's resumed schedule", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.1))
  scheduler <- lr_one_cycle(optimizer, max_lr = c(0.01, 0.02), total_steps = 100)
  for (k in 1:30) scheduler$step()
  before <- scheduler$get_last_lr()
  scheduler$resume_with(total_steps = 150)
  expect_identical(scheduler$get_last_lr(), before) # no jump at the switch
  rows <- list(group_values(optimizer)$lr)
  for (k in 1:120) {
    scheduler$step()
    rows[[length(rows) + 1L]] <- group_values(optimizer)$lr
  }
  expect_identical(rows, python_resumed(c(0.01, 0.02), 30, 100, 150))
  expect_identical(scheduler$last_epoch, 150L)
  expect_error(scheduler$step(), class = "lronecycle_error")
})

test_that("a resumed R scheduler's state dict loads back into a fresh one", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 100)
  for (k in 1:40) scheduler$step()
  scheduler$resume_with(total_steps = 60)
  for (k in 1:5) scheduler$step()
  state <- scheduler$state_dict()
  other <- lr_one_cycle(sgd(), max_lr = 0.01, total_steps = 60)
  other$load_state_dict(state)
  expect_identical(other$get_last_lr(), scheduler$get_last_lr())
  scheduler$step()
  other$step()
  expect_identical(other$get_last_lr(), scheduler$get_last_lr())
})

test_that("a shorter run than the steps taken is refused with Python's sentence, nothing moves", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 100)
  for (k in 1:50) scheduler$step()
  before <- optimizer$param_groups
  err <- tryCatch(scheduler$resume_with(total_steps = 40), lronecycle_error = function(e) e)
  expect_s3_class(err, "lronecycle_error")
  reference <- py_package()$OneCycleLR(
    py_bridge()$ROptimizer(list(list(lr = 0.1, momentum = 0.9)), NULL),
    max_lr = 0.01, total_steps = 100
  )
  for (k in 1:50) reference$step()
  python_message <- tryCatch(reference$resume_with(total_steps = 40L),
                             error = function(e) reticulate::py_last_error()$value)
  expect_identical(err$python_message, python_message)
  expect_identical(conditionMessage(err),
                   paste("total_steps must be >= 52, the steps already taken (last_epoch = 50) and 2 more",
                         "to finish the cycle; got 40"))
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$last_epoch, 50L)
})

test_that("ignite-style cyclical schedulers resume from R with another cycle size", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_cosine_annealing_scheduler(optimizer, "lr", 0.1, 0.001, cycle_size = 20)
  for (k in 1:25) scheduler$step()
  scheduler$resume_with(cycle_size = 40)
  r_lrs <- numeric()
  for (k in 1:50) {
    scheduler$step()
    r_lrs <- c(r_lrs, optimizer$param_groups[[1]]$lr)
  }
  py_optimizer <- py_bridge()$ROptimizer(list(list(lr = 0.1, momentum = 0.9)), NULL)
  reference <- py_package()$CosineAnnealingScheduler(py_optimizer, "lr", 0.1, 0.001,
                                                     cycle_size = 20L)
  for (k in 1:25) reference$step()
  reference$resume_with(cycle_size = 40L)
  py_lrs <- numeric()
  for (k in 1:50) {
    reference$step()
    py_lrs <- c(py_lrs, py_optimizer$param_groups[[1]]$lr)
  }
  expect_identical(r_lrs, py_lrs)
})

test_that("a warm-restart resume landing between two steps is refused for an R optimizer", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_cosine_annealing_warm_restarts(optimizer, T_0 = 10)
  for (k in 1:3) scheduler$step()
  before <- optimizer$param_groups
  err <- tryCatch(scheduler$resume_with(T_0 = 7), lronecycle_error = function(e) e)
  expect_s3_class(err, "lronecycle_error")
  expect_match(conditionMessage(err), "would continue between two steps (position 2.1)",
               fixed = TRUE)
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$last_epoch, 3L)
  scheduler$resume_with(T_0 = 20) # lands on step 6: fine
  expect_identical(scheduler$last_epoch, 6L)
  scheduler$step()
  expect_identical(optimizer$param_groups[[1]]$lr, scheduler$get_last_lr())
})

test_that("$resume_with() converts its arguments like every other function", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 100)
  for (k in 1:10) scheduler$step()
  scheduler$resume_with(array(150))
  expect_identical(scheduler$total_steps, 150L)
  expect_error(scheduler$resume_with(total_steps = NA),
               "total_steps must be a positive integer, got NA", fixed = TRUE,
               class = "lronecycle_error")
  expect_identical(scheduler$total_steps, 150L)
})
