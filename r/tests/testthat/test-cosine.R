python_values <- function(make_scheduler, lrs, steps, entry = "lr", call_first = FALSE) {
  core <- reticulate::import("lr_one_cycle._r_bridge")
  optimizer <- core$ROptimizer(lapply(lrs, function(lr) list(lr = lr, momentum = 0.9)), NULL)
  scheduler <- make_scheduler(core, optimizer)
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
                                            param_group_index = 1)
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
               "param_name 'beta' is not an entry of optimizer.param_groups[0]", fixed = TRUE,
               class = "lronecycle_error")
  expect_identical(optimizer$param_groups, before)
})

test_that("cosine_schedule() and warm_restarts_schedule() hold the schedulers' values", {
  skip_if_no_python()
  schedule <- cosine_schedule(25, start_value = 0.1, end_value = 0.001, cycle_size = 10)
  optimizer <- sgd()
  scheduler <- lr_cosine_annealing_scheduler(optimizer, "lr", start_value = 0.1,
                                             end_value = 0.001, cycle_size = 10)
  expect_identical(schedule$lr, unlist(r_values(optimizer, scheduler, 25)))
  expect_true(all(is.na(schedule$momentum)))

  restarts <- warm_restarts_schedule(30, base_lr = 0.1, T_0 = 10)
  optimizer <- sgd()
  scheduler <- lr_cosine_annealing_warm_restarts(optimizer, T_0 = 10)
  expect_identical(restarts$lr, c(0.1, unlist(r_values(optimizer, scheduler, 29))))
  file <- tempfile(fileext = ".pdf")
  grDevices::pdf(file)
  plot(restarts)
  grDevices::dev.off()
  unlink(file)
})
