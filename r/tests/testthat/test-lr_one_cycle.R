test_that("the R documentation example runs as written, with R doubles as counts", {
  skip_if_no_python()
  optimizer <- sgd(lrs = 0.1, momentum = 0.9)
  data_loader <- seq_len(25)
  epochs <- 10
  scheduler <- lr_one_cycle(optimizer,
    max_lr = 0.01, steps_per_epoch = length(data_loader),
    epochs = 10
  )
  for (i in 1:epochs) {
    for (batch in data_loader) scheduler$step()
  }
  expect_identical(scheduler$last_epoch, 250L)
  reference <- python_reference(0.1, "momentum", 250, max_lr = 0.01, total_steps = 250)
  expect_identical(group_values(optimizer), reference[[251]])
})

test_that("an R optimizer gets the Python scheduler's values bitwise at every step", {
  skip_if_no_python()
  cases <- list(
    list(max_lr = c(0.01, 0.05), total_steps = 37, pct_start = 0.25),
    list(max_lr = c(0.3, 0.2, 0.1), total_steps = 20, anneal_strategy = "linear"),
    list(max_lr = 0.02, total_steps = 50, three_phase = TRUE, div_factor = 10),
    list(max_lr = 1, epochs = 3, steps_per_epoch = 7, base_momentum = c(0.8, 0.7),
         max_momentum = 0.99, final_div_factor = 100)
  )
  for (case in cases) {
    lrs <- seq(0.1, by = 0.1, length.out = max(2L, length(case$max_lr)))
    steps <- case$total_steps %||% (case$epochs * case$steps_per_epoch)
    optimizer <- sgd(lrs)
    scheduler <- do.call(lr_one_cycle, c(list(optimizer), case))
    reference <- do.call(python_reference, c(list(lrs, "momentum", steps), case))
    expect_identical(r_run(optimizer, scheduler, steps), reference)
  }
})

test_that("an Adam-like R optimizer cycles betas[1] and keeps betas[2]", {
  skip_if_no_python()
  optimizer <- adam(lrs = c(0.001, 0.002))
  scheduler <- lr_one_cycle(optimizer, max_lr = c(0.01, 0.02), total_steps = 30,
                            anneal_strategy = "linear", three_phase = TRUE)
  rows <- r_run(optimizer, scheduler, 30, key = "betas")
  reference <- python_reference(c(0.001, 0.002), "betas", 30, max_lr = c(0.01, 0.02),
                                total_steps = 30, anneal_strategy = "linear",
                                three_phase = TRUE)
  expect_identical(rows, reference)
  expect_identical(optimizer$param_groups[[2]]$betas[[2]], 0.999)
})

test_that("two groups work with the default max_momentum (R torch's fails there)", {
  skip_if_no_python()
  optimizer <- sgd(lrs = c(0.1, 0.2))
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 10)
  scheduler$step()
  expect_length(scheduler$get_last_lr(), 2L)
  expect_identical(group_values(optimizer)$momentum[[1]], group_values(optimizer)$momentum[[2]])
})

test_that("cycle_momentum = FALSE leaves the momentum alone", {
  skip_if_no_python()
  optimizer <- sgd(lrs = 0.1, momentum = 0.5)
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 10, cycle_momentum = FALSE)
  for (i in 1:5) scheduler$step()
  expect_identical(optimizer$param_groups[[1]]$momentum, 0.5)
})

test_that("a Python torch optimizer matches torch's OneCycleLR on steps 0..T-1", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  make <- function() {
    torch$manual_seed(0L)
    model <- torch$nn$Linear(3L, 1L)
    torch$optim$SGD(list(
      list(params = list(model$weight), lr = 0.1),
      list(params = list(model$bias), lr = 0.2)
    ), lr = 0.1, momentum = 0.9)
  }
  ours_opt <- make()
  torch_opt <- make()
  ours <- lr_one_cycle(ours_opt, max_lr = c(0.01, 0.02), total_steps = 40, pct_start = 0.2)
  theirs <- torch$optim$lr_scheduler$OneCycleLR(torch_opt, max_lr = c(0.01, 0.02),
                                                total_steps = 40L, pct_start = 0.2)
  expect_s3_class(ours, "lronecycle_python_optimizer")
  for (k in 0:39) {
    if (k > 0) {
      ours_opt$step()
      torch_opt$step()
      ours$step()
      theirs$step()
    }
    expect_identical(group_values(ours_opt), group_values(torch_opt))
    expect_identical(ours$get_last_lr(), as.numeric(theirs$get_last_lr()))
  }
  expect_identical(ours$last_epoch, 39L)
})

test_that("state_dict()/load_state_dict() resume bitwise, also after saveRDS()", {
  skip_if_no_python()
  settings <- list(max_lr = c(0.01, 0.03), total_steps = 40, three_phase = TRUE)
  straight_opt <- sgd(c(0.1, 0.2))
  straight <- do.call(lr_one_cycle, c(list(straight_opt), settings))
  expected <- r_run(straight_opt, straight, 40)

  first_opt <- sgd(c(0.1, 0.2))
  first <- do.call(lr_one_cycle, c(list(first_opt), settings))
  for (i in 1:17) first$step()
  file <- tempfile(fileext = ".rds")
  saveRDS(first$state_dict(), file)

  resumed_opt <- sgd(c(0.1, 0.2))
  resumed <- do.call(lr_one_cycle, c(list(resumed_opt), settings))
  resumed$load_state_dict(readRDS(file))
  expect_identical(resumed$last_epoch, 17L)
  expect_identical(r_run(resumed_opt, resumed, 23), expected[18:41])
})

test_that("a state dict with R arrays in it loads", {
  skip_if_no_python()
  first <- lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = c(0.01, 0.02), total_steps = 10)
  for (i in 1:4) first$step()
  state <- first$state_dict()
  state$last_epoch <- array(state$last_epoch)
  state$max_lrs <- array(state$max_lrs)
  second <- lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = c(0.01, 0.02), total_steps = 10)
  second$load_state_dict(state)
  expect_identical(second$last_epoch, 4L)
  expect_identical(second$get_last_lr(), first$get_last_lr())
})

test_that("a single-group state dict survives R's list simplification", {
  skip_if_no_python()
  first <- lr_one_cycle(sgd(), max_lr = 0.01, total_steps = 10)
  first$step()
  state <- first$state_dict()
  expect_identical(state$max_lrs, 0.01)
  second <- lr_one_cycle(sgd(), max_lr = 0.01, total_steps = 10)
  second$load_state_dict(state)
  expect_identical(second$last_epoch, 1L)
})

test_that("state_dict()/load_state_dict() resume a Python torch optimizer", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  make <- function() torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
  first <- lr_one_cycle(make(), max_lr = 0.01, total_steps = 20)
  for (i in 1:9) first$step()
  second_opt <- make()
  second <- lr_one_cycle(second_opt, max_lr = 0.01, total_steps = 20)
  second$load_state_dict(first$state_dict())
  first$step()
  second$step()
  expect_identical(second$last_epoch, 10L)
  expect_identical(second$get_last_lr(), first$get_last_lr())
})

test_that("last_epoch = k resumes exactly at step k", {
  skip_if_no_python()
  straight_opt <- sgd()
  expected <- r_run(straight_opt, lr_one_cycle(straight_opt, max_lr = 0.01, total_steps = 30), 30)
  resumed_opt <- sgd()
  resumed <- lr_one_cycle(resumed_opt, max_lr = 0.01, total_steps = 30, last_epoch = 12)
  expect_identical(resumed$last_epoch, 12L)
  expect_identical(r_run(resumed_opt, resumed, 18), expected[13:31])
})

test_that("the T-th step holds the final value and one more is an error", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 5)
  for (i in 1:5) scheduler$step()
  expect_identical(optimizer$param_groups[[1]]$lr, 0.01 / 25 / 10000)
  before <- optimizer$param_groups
  expect_error(
    scheduler$step(),
    paste0("step() beyond the end of the schedule: total_steps = 5 were configured and 5 ",
           "steps have been taken (the 5th step() holds the final value); last_epoch stays 5"),
    fixed = TRUE, class = "lronecycle_error"
  )
  expect_identical(scheduler$last_epoch, 5L)
  expect_identical(optimizer$param_groups, before)
})

test_that("bad arguments raise Python's check in R's words before the optimizer changes", {
  skip_if_no_python()
  cases <- list(
    list(list(total_steps = 100.5), "total_steps must be a positive integer, got 100.5"),
    list(list(total_steps = 0), "total_steps must be a positive integer, got 0"),
    list(list(total_steps = "10"),
         "total_steps must be a positive integer, got \"10\" (a character string)"),
    list(list(), paste("the schedule length is missing: give total_steps, or both epochs",
                       "and steps_per_epoch (epochs and steps_per_epoch not given)")),
    list(list(epochs = 2), paste("the schedule length is missing: give total_steps, or both",
                                 "epochs and steps_per_epoch (steps_per_epoch not given)")),
    list(list(total_steps = 10, epochs = 2, steps_per_epoch = 4),
         "total_steps (10) disagrees with epochs * steps_per_epoch (8); give one or the other"),
    list(list(total_steps = 10, pct_start = 1.5), "pct_start must be a number in [0, 1], got 1.5"),
    list(list(total_steps = 10, anneal_strategy = "cosine"),
         "anneal_strategy must be \"cos\" or \"linear\", got \"cosine\""),
    list(list(total_steps = 10, max_lr = c(0.1, 0.2, 0.3)),
         paste("max_lr must be a single value or one value per parameter group (2),",
               "got c(0.1, 0.2, 0.3) (length 3)")),
    list(list(total_steps = 10, max_momentum = -1.5),
         "max_momentum must be a finite number >= 0, got -1.5"),
    list(list(total_steps = 10, three_phase = NA), "three_phase must be TRUE or FALSE, got NA"),
    list(list(total_steps = 10, verbose = "yes"),
         "verbose must be TRUE or FALSE, got \"yes\" (a character string)"),
    list(list(total_steps = 10, last_epoch = 11),
         "last_epoch must be -1 (start) or a step in 0..10 (total_steps = 10), got 11")
  )
  for (case in cases) {
    optimizer <- sgd(c(0.1, 0.2))
    before <- optimizer$param_groups
    args <- utils::modifyList(list(optimizer, max_lr = 0.01), case[[1]])
    expect_error(do.call(lr_one_cycle, args), case[[2]], fixed = TRUE,
                 class = "lronecycle_error")
    expect_identical(optimizer$param_groups, before)
  }
})

test_that("the error is a classed condition with Python's parts, and the session carries on", {
  skip_if_no_python()
  error <- tryCatch(lr_one_cycle(sgd(), max_lr = -1, total_steps = 10),
                    lronecycle_error = function(e) e)
  expect_identical(conditionMessage(error), "max_lr must be a finite number >= 0, got -1")
  expect_identical(error$python_type, "ValueError")
  expect_identical(error$argument, "max_lr")
  expect_identical(error$python_message, "max_lr must be a finite number >= 0, got -1.0")
  expect_false(grepl("Traceback", conditionMessage(error), fixed = TRUE))
  expect_s3_class(lr_one_cycle(sgd(), max_lr = 1, total_steps = 10), "lronecycle_scheduler")
})

test_that("optimizers R cannot drive are refused, named as R names them", {
  skip_if_no_python()
  expect_error(lr_one_cycle(new.env(), max_lr = 0.1, total_steps = 10),
    "optimizer must be an optimizer (an object with a param_groups list of named lists), got environment",
    fixed = TRUE, class = "lronecycle_error")
  expect_error(lr_one_cycle(list(param_groups = list(list(lr = 0.1))), 0.1, 10),
    "optimizer must be an environment or an R6 object, got a list", fixed = TRUE,
    class = "lronecycle_error")
  missing_lr <- new.env()
  missing_lr$param_groups <- list(list(lr = 0.1, momentum = 0.9), list(momentum = 0.9))
  expect_error(lr_one_cycle(missing_lr, max_lr = 0.1, total_steps = 10),
    "optimizer$param_groups[[2]] has no 'lr' entry", fixed = TRUE, class = "lronecycle_error")
  no_momentum <- FakeOptimizer$new(0.1)
  no_momentum$defaults <- list(lr = 0.1)
  expect_error(lr_one_cycle(no_momentum, max_lr = 0.1, total_steps = 10),
    paste("cycle_momentum = TRUE needs an optimizer with 'momentum' or 'betas'",
          "(fake_optimizer has neither); pass cycle_momentum = FALSE"),
    fixed = TRUE, class = "lronecycle_error")
})

test_that("load_state_dict() refuses another schedule and changes nothing", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 20)
  scheduler$step()
  before <- optimizer$param_groups
  other <- lr_one_cycle(sgd(), max_lr = 0.02, total_steps = 20)
  expect_error(scheduler$load_state_dict(other$state_dict()),
    "state_dict was saved for another schedule; these settings differ: max_lrs",
    fixed = TRUE, class = "lronecycle_error")
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$last_epoch, 1L)
})

test_that("?lr_one_cycle's numbers: torch rebounds to 8.46e-07 at step 250, we hold min_lr", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  warnings <- reticulate::import("warnings")
  optimizer <- torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
  # R torch's lr_one_cycle() computes what Python torch's OneCycleLR computes.
  theirs <- torch$optim$lr_scheduler$OneCycleLR(optimizer, max_lr = 0.01, epochs = 10L,
                                                steps_per_epoch = 25L)
  warnings$simplefilter("ignore")
  for (i in 1:250) theirs$step()
  expect_identical(signif(theirs$get_last_lr()[[1]], 3), 8.46e-07)
  ours <- one_cycle_schedule(250, max_lr = 0.01, total_steps = 250)
  expect_identical(ours$lr, 0.01 / 25 / 10000)
  expect_identical(signif(ours$lr, 3), 4e-08)
})

test_that("last_epoch = k needs nothing in the groups, and param_groups get no extra entries", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  fresh <- torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
  scheduler <- lr_one_cycle(fresh, max_lr = 0.01, total_steps = 30, last_epoch = 12)
  expect_identical(scheduler$get_last_lr(),
                   one_cycle_schedule(12, max_lr = 0.01, total_steps = 30)$lr)
  entries <- names(fresh$param_groups[[1]])
  expect_false(any(c("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum") %in%
                     entries))
  r_optimizer <- sgd()
  lr_one_cycle(r_optimizer, max_lr = 0.01, total_steps = 30)
  expect_identical(names(r_optimizer$param_groups[[1]]), c("params", "lr", "momentum"))
})

test_that("a group of an R optimizer that is not a named list is refused, naming it", {
  skip_if_no_python()
  cases <- list(
    list(NULL, "NULL"),
    list("a", "\"a\" (a character string)"),
    list(list(0.1), "list(0.1)")
  )
  for (case in cases) {
    optimizer <- new.env()
    optimizer$param_groups <- list(list(lr = 0.1, momentum = 0.9), case[[1]])
    before <- optimizer$param_groups
    err <- tryCatch(lr_one_cycle(optimizer, max_lr = 0.1, total_steps = 10),
                    error = function(e) e)
    expect_s3_class(err, "lronecycle_error")
    expect_identical(conditionMessage(err), paste(
      "optimizer$param_groups[[2]] must be a named list, got", case[[2]]
    ))
    expect_identical(err$argument, "optimizer$param_groups[[2]]")
    expect_identical(err$python_type, "TypeError")
    expect_identical(optimizer$param_groups, before)
  }
  optimizer <- new.env()
  optimizer$param_groups <- list(list(lr = 0.1, betas = NA))
  optimizer$defaults <- list(lr = 0.1, betas = c(0.9, 0.999))
  expect_error(lr_one_cycle(optimizer, max_lr = 0.1, total_steps = 10),
               "optimizer$param_groups[[1]]$betas must be a vector of betas, got NA",
               fixed = TRUE, class = "lronecycle_error")
})
