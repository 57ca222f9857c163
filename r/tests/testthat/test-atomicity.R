# A failed call changes nothing (issue 9): after the optimizer's groups changed, $step()
# raises Python's sentence, and the position and every value stay as they were.

group_count_message <- paste(
  "the optimizer has 2 parameter groups but the schedule was built for 1: build a new",
  "scheduler after optimizer$add_param_group() (or give the new group its own scheduler)"
)

snapshot <- function(scheduler, groups) {
  list(last_epoch = scheduler$last_epoch, last_lr = scheduler$get_last_lr(), groups = groups(),
       state = scheduler$state_dict())
}

test_that("an R optimizer with a group added: $step() raises and nothing moves", {
  skip_if_no_python()
  makers <- list(
    function(o) lr_one_cycle(o, max_lr = 0.01, total_steps = 20),
    function(o) lr_cosine_annealing_warm_restarts(o, T_0 = 3),
    function(o) lr_cyclic(o, base_lr = 0.001, max_lr = 0.01, step_size_up = 3),
    function(o) lr_warmup_stable_decay(o, peak_lr = 0.01, warmup_steps = 2, stable_steps = 5,
                                       decay_steps = 5),
    function(o) lr_sequential(o, list(lr_one_cycle(o, max_lr = 0.01, total_steps = 3),
                                      lr_cyclic(o, base_lr = 0.001, max_lr = 0.01)),
                              milestones = 3),
    function(o) lr_warmup(o, lr_cyclic(o, base_lr = 0.001, max_lr = 0.01), warmup_steps = 2)
  )
  for (make in makers) {
    optimizer <- sgd()
    scheduler <- make(optimizer)
    for (i in 1:4) scheduler$step()
    optimizer$param_groups[[2]] <- list(params = list("b"), lr = 0.5, momentum = 0.9)
    before <- snapshot(scheduler, function() optimizer$param_groups)
    for (attempt in 1:2) { # a retry fails the same way: nothing advanced
      expect_error(scheduler$step(), group_count_message, fixed = TRUE,
                   class = "lronecycle_error")
    }
    expect_identical(snapshot(scheduler, function() optimizer$param_groups), before)
    expect_error(scheduler$load_state_dict(before$state), group_count_message, fixed = TRUE)
    expect_identical(snapshot(scheduler, function() optimizer$param_groups), before)
    # With the group removed again, the run goes on where it was.
    optimizer$param_groups[[2]] <- NULL
    scheduler$step()
    expect_identical(scheduler$last_epoch, before$last_epoch + 1L)
  }
})

test_that("an R optimizer losing the group an ignite handler drives: nothing moves", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_cosine_annealing_scheduler(optimizer, "lr", 1, 0, 10, param_group_index = 2)
  for (i in 1:3) scheduler$step()
  optimizer$param_groups[[2]] <- NULL
  before <- snapshot(scheduler, function() optimizer$param_groups)
  expect_error(scheduler$step(), paste(
    "param_group_index must be a group index in 1..1 (the optimizer has 1 parameter group),",
    "got 2; build a new scheduler after changing the optimizer's groups"
  ), fixed = TRUE, class = "lronecycle_error")
  expect_identical(snapshot(scheduler, function() optimizer$param_groups), before)

  # Every group, and one of them lost its entry.
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_linear_cyclical_scheduler(optimizer, "momentum", 0.95, 0.85, 10)
  scheduler$step()
  optimizer$param_groups[[2]]$momentum <- NULL
  before <- optimizer$param_groups
  expect_error(scheduler$step(),
               "param_name 'momentum' is not an entry of optimizer$param_groups[[2]] any more",
               fixed = TRUE, class = "lronecycle_error")
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$last_epoch, 0L)
})

test_that("a Python optimizer with a group added: $step() raises and nothing moves", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  makers <- list(
    function(o) lr_one_cycle(o, max_lr = 0.01, total_steps = 20),
    function(o) lr_cosine_annealing_warm_restarts(o, T_0 = 3),
    function(o) lr_cyclic(o, base_lr = 0.001, max_lr = 0.01, step_size_up = 3),
    function(o) lr_warmup(o, lr_warmup_stable_decay(o, peak_lr = 0.01, warmup_steps = 0,
                                                    stable_steps = 5, decay_steps = 5),
                          warmup_steps = 2)
  )
  for (make in makers) {
    optimizer <- torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
    scheduler <- make(optimizer)
    for (i in 1:4) scheduler$step()
    optimizer$add_param_group(list(params = list(torch$zeros(1L)), lr = 0.5))
    lrs <- function() vapply(optimizer$param_groups, function(g) g$lr, numeric(1))
    before <- snapshot(scheduler, lrs)
    for (attempt in 1:2) {
      expect_error(scheduler$step(), group_count_message, fixed = TRUE,
                   class = "lronecycle_error")
    }
    expect_identical(snapshot(scheduler, lrs), before)
  }
})

test_that("a Python optimizer's step past the end raises Python's sentence and stays put", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  optimizer <- torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 3)
  for (i in 1:3) scheduler$step()
  expect_error(scheduler$step(), paste0(
    "step() beyond the end of the schedule: total_steps = 3 were configured and 3 steps ",
    "have been taken (the 3rd step() holds the final value); last_epoch stays 3"
  ), fixed = TRUE, class = "lronecycle_error")
  expect_identical(scheduler$last_epoch, 3L)
  expect_identical(scheduler$get_last_lr(), 0.01 / 25 / 10000)
  expect_output(print(scheduler), "<lr_one_cycle> driving a Python optimizer", fixed = TRUE)
  expect_output(print(scheduler), "last_epoch = 3, last lr = 4e-08 (group 1)", fixed = TRUE)
})
