python_values <- function(make_scheduler, lrs, steps, entry = "lr", call_first = FALSE) {
  optimizer <- py_bridge()$ROptimizer(lapply(lrs, function(lr) list(lr = lr, momentum = 0.9)),
                                      NULL)
  scheduler <- make_scheduler(py_package(), optimizer)
  rows <- list()
  for (k in seq_len(steps)) {
    scheduler$step()
    rows[[k]] <- vapply(optimizer$param_groups, function(g) g[[entry]], numeric(1))
  }
  rows
}

r_values <- function(optimizer, scheduler, steps, entry = "lr") {
  rows <- list()
  for (k in seq_len(steps)) {
    scheduler$step()
    rows[[k]] <- vapply(optimizer$param_groups, function(g) g[[entry]], numeric(1))
  }
  rows
}

test_that("warm restarts on an R optimizer equal the Python scheduler bitwise", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.05))
  scheduler <- lr_cosine_annealing_warm_restarts(optimizer, T_0 = 7, T_mult = 2,
                                                 eta_min = 0.001, decay = 0.5)
  expected <- python_values(function(core, opt) {
    core$CosineAnnealingWarmRestarts(opt, T_0 = 7, T_mult = 2, eta_min = 0.001, decay = 0.5)
  }, c(0.1, 0.05), 60)
  expect_identical(r_values(optimizer, scheduler, 60), expected)
  expect_identical(scheduler$last_epoch, 60L)
  expect_identical(optimizer$param_groups[[1]]$momentum, 0.9)
})

test_that("warm restarts on a Python torch optimizer equal torch's", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  make <- function() torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
  ours_opt <- make()
  torch_opt <- make()
  ours <- lr_cosine_annealing_warm_restarts(ours_opt, T_0 = 5, T_mult = 3, eta_min = 0.01)
  theirs <- torch$optim$lr_scheduler$CosineAnnealingWarmRestarts(torch_opt, T_0 = 5L,
                                                                  T_mult = 3L, eta_min = 0.01)
  for (k in 1:40) {
    ours_opt$step()
    torch_opt$step()
    ours$step()
    theirs$step()
    expect_identical(ours$get_last_lr(), as.numeric(theirs$get_last_lr()))
  }
})

test_that("ignite's cosine and linear cycles on an R optimizer equal Python's bitwise", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_cosine_annealing_scheduler(optimizer, "lr", start_value = 0.1,
                                             end_value = 0.001, cycle_size = 9,
                                             cycle_mult = 1.5, warmup_duration = 2)
  expect_identical(scheduler$last_epoch, -1L)
  expect_identical(optimizer$param_groups[[1]]$lr, 0.1) # nothing written before a call
  expected <- python_values(function(core, opt) {
    core$CosineAnnealingScheduler(opt, "lr", start_value = 0.1, end_value = 0.001,
                                  cycle_size = 9, cycle_mult = 1.5, warmup_duration = 2)
  }, c(0.1, 0.2), 70)
  expect_identical(r_values(optimizer, scheduler, 70), expected)

  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_linear_cyclical_scheduler(optimizer, "momentum", start_value = 0.95,
                                            end_value = 0.85, cycle_size = 6,
                                            param_group_index = 2) # R counts from 1
  expected <- python_values(function(core, opt) {
    core$LinearCyclicalScheduler(opt, "momentum", start_value = 0.95, end_value = 0.85,
                                 cycle_size = 6, param_group_index = 1)
  }, c(0.1, 0.2), 20, entry = "momentum")
  expect_identical(r_values(optimizer, scheduler, 20, entry = "momentum"), expected)
  expect_identical(optimizer$param_groups[[1]]$momentum, 0.9) # group 0 not driven
})

test_that("cosine schedulers resume through state_dict()", {
  skip_if_no_python()
  first <- lr_cosine_annealing_scheduler(sgd(), "lr", start_value = 0.1, end_value = 0.01,
                                         cycle_size = 10)
  for (i in 1:13) first$step()
  second_opt <- sgd()
  second <- lr_cosine_annealing_scheduler(second_opt, "lr", start_value = 0.1,
                                          end_value = 0.01, cycle_size = 10)
  second$load_state_dict(first$state_dict())
  expect_identical(second$last_epoch, 12L)
  first$step()
  second$step()
  expect_identical(second$get_last_lr(), first$get_last_lr())

  sgdr <- lr_cosine_annealing_warm_restarts(sgd(), T_0 = 4)
  for (i in 1:9) sgdr$step()
  again_opt <- sgd()
  again <- lr_cosine_annealing_warm_restarts(again_opt, T_0 = 4)
  again$load_state_dict(sgdr$state_dict())
  expect_identical(again$last_epoch, 9L)
  expect_identical(again$get_last_lr(), sgdr$get_last_lr())
  expect_identical(again_opt$param_groups[[1]]$lr, sgdr$get_last_lr())
})

test_that("cosine arguments are checked by Python, before the optimizer changes", {
  skip_if_no_python()
  optimizer <- sgd()
  before <- optimizer$param_groups
  expect_error(lr_cosine_annealing_warm_restarts(optimizer, T_0 = 2.5),
               "T_0 must be a positive integer, got 2.5", fixed = TRUE,
               class = "lronecycle_error")
  expect_error(lr_cosine_annealing_scheduler(optimizer, "beta", start_value = 1,
                                             end_value = 0, cycle_size = 10),
               "param_name 'beta' is not an entry of optimizer$param_groups[[1]]", fixed = TRUE,
               class = "lronecycle_error")
  expect_identical(optimizer$param_groups, before)
})

test_that("the schedule functions hold the schedulers' values", {
  skip_if_no_python()
  schedule <- cosine_annealing_schedule(0:24, start_value = 0.1, end_value = 0.001,
                                        cycle_size = 10)
  optimizer <- sgd()
  scheduler <- lr_cosine_annealing_scheduler(optimizer, "lr", start_value = 0.1,
                                             end_value = 0.001, cycle_size = 10)
  expect_identical(schedule$lr, unlist(r_values(optimizer, scheduler, 25)))
  expect_true(all(is.na(schedule$momentum)))

  linear <- linear_cyclical_schedule(0:19, start_value = 0.95, end_value = 0.85,
                                     cycle_size = 6, monotonic = TRUE, warmup_duration = 2)
  optimizer <- sgd()
  scheduler <- lr_linear_cyclical_scheduler(optimizer, "momentum", start_value = 0.95,
                                            end_value = 0.85, cycle_size = 6,
                                            monotonic = TRUE, warmup_duration = 2)
  expect_identical(linear$lr, unlist(r_values(optimizer, scheduler, 20, entry = "momentum")))

  restarts <- warm_restarts_schedule(0:29, base_lr = 0.1, T_0 = 10)
  optimizer <- sgd()
  scheduler <- lr_cosine_annealing_warm_restarts(optimizer, T_0 = 10)
  expect_identical(restarts$lr, c(0.1, unlist(r_values(optimizer, scheduler, 29))))
})

test_that("warm_restarts_schedule() takes fractional epochs, as Python's does", {
  skip_if_no_python()
  epochs <- c(0, 0.25, 3.5, 7, 12.75)
  schedule <- warm_restarts_schedule(epochs, base_lr = c(0.1, 0.2), T_0 = 4, T_mult = 2)
  reference <- py_package(convert = FALSE)$warm_restarts_schedule(
    epochs, base_lr = c(0.1, 0.2), T_0 = 4, T_mult = 2, exact = TRUE
  )
  expect_identical(schedule$step, rep(epochs, 2))
  expect_identical(schedule$group, rep(1:2, each = 5))
  expect_identical(schedule$lr, unlist(reticulate::py_to_r(reference$T$tolist())))
})

test_that("warm restarts resume at last_epoch = k with base_lr, without initial_lr", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  make <- function(lr) {
    torch$optim$SGD(list(list(params = list(torch$zeros(1L)), lr = lr),
                         list(params = list(torch$zeros(1L)), lr = lr / 2)),
                    lr = lr, momentum = 0.9)
  }
  straight_opt <- make(0.1)
  straight <- lr_cosine_annealing_warm_restarts(straight_opt, T_0 = 5, T_mult = 2,
                                                eta_min = 0.001)
  expected <- list()
  for (k in 1:30) {
    straight$step()
    if (k >= 12) expected[[length(expected) + 1L]] <- straight$get_last_lr()
  }
  # A restored optimizer holds whatever lr it was saved with, and no initial_lr.
  restored <- make(0.0123)
  expect_false("initial_lr" %in% names(restored$param_groups[[1]]))
  expect_error(
    lr_cosine_annealing_warm_restarts(restored, T_0 = 5, T_mult = 2, eta_min = 0.001,
                                      last_epoch = 12),
    "optimizer$param_groups[[1]] has no 'initial_lr'", fixed = TRUE,
    class = "lronecycle_error"
  )
  resumed <- lr_cosine_annealing_warm_restarts(restored, T_0 = 5, T_mult = 2,
                                               eta_min = 0.001, last_epoch = 12,
                                               base_lr = straight$base_lrs)
  expect_identical(resumed$last_epoch, 12L)
  got <- list(resumed$get_last_lr())
  for (k in 13:30) {
    resumed$step()
    got[[length(got) + 1L]] <- resumed$get_last_lr()
  }
  expect_identical(got, expected)
  expect_identical(resumed$base_lrs, c(0.1, 0.05))

  # The same on an optimizer that lives in R.
  r_opt <- sgd(c(0.5, 0.5))
  r_resumed <- lr_cosine_annealing_warm_restarts(r_opt, T_0 = 5, T_mult = 2,
                                                 eta_min = 0.001, last_epoch = 12,
                                                 base_lr = c(0.1, 0.05))
  expect_identical(group_values(r_opt)$lr, expected[[1]])
})

test_that("param_group_index counts from 1 in R, in arguments and messages", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  expect_error(
    lr_cosine_annealing_scheduler(optimizer, "lr", 1, 0, 10, param_group_index = 3),
    paste("param_group_index must be NULL or a group index in 1..2 (the optimizer has 2",
          "parameter groups), got 3"),
    fixed = TRUE, class = "lronecycle_error"
  )
  expect_error(
    lr_cosine_annealing_scheduler(optimizer, "lr", 1, 0, 10, param_group_index = 0),
    "in 1..2 (the optimizer has 2 parameter groups), got 0", fixed = TRUE
  )
  expect_error(
    lr_cosine_annealing_scheduler(optimizer, "lr", 1, 0, 10, param_group_index = "2"),
    "param_group_index must be NULL or a group index in 1..2 (the optimizer has 2 parameter groups), got \"2\" (a character string)",
    fixed = TRUE
  )
  scheduler <- lr_cosine_annealing_scheduler(optimizer, "lr", 1, 0, 10, param_group_index = 2)
  scheduler$step()
  expect_identical(group_values(optimizer)$lr, c(0.1, 1))
  expect_output(print(scheduler), "param_group_index = 2", fixed = TRUE)
})

test_that("param_group_index as a 1-d array, a one-column matrix or a list of one number counts from 1", {
  skip_if_no_python()
  forms <- list(array(1), matrix(1), list(1), array(2), matrix(2L), list(2))
  for (index in forms) {
    for (build in list(lr_cosine_annealing_scheduler, lr_linear_cyclical_scheduler)) {
      optimizer <- sgd(c(0.1, 0.2))
      scheduler <- build(optimizer, "lr", start_value = 1, end_value = 0, cycle_size = 10,
                         param_group_index = index)
      scheduler$step()
      expected <- c(0.1, 0.2)
      expected[[index[[1]]]] <- 1
      expect_identical(group_values(optimizer)$lr, expected, info = r_literal(index))
      expect_output(print(scheduler), paste("param_group_index =", index[[1]]), fixed = TRUE)
    }
  }
  # Out of range, the message shows the value as given, counted from 1.
  expect_error(
    lr_cosine_annealing_scheduler(sgd(c(0.1, 0.2)), "lr", 1, 0, 10, param_group_index = array(3)),
    "in 1..2 (the optimizer has 2 parameter groups), got 3", fixed = TRUE,
    class = "lronecycle_error"
  )
  expect_error(
    lr_cosine_annealing_scheduler(sgd(c(0.1, 0.2)), "lr", 1, 0, 10, param_group_index = matrix(1:2)),
    "param_group_index must be NULL or a group index", fixed = TRUE, class = "lronecycle_error"
  )
})
