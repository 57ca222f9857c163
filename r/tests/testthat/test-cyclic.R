# lr_cyclic() and cyclic_lr_schedule(): Python's CyclicLR and cyclic_lr_schedule(), bit
# for bit, and torch's CyclicLR through Python's.

test_that("an R optimizer gets Python's CyclicLR values bitwise, modes, groups and betas", {
  skip_if_no_python()
  cases <- list(
    list(key = "momentum", lrs = c(0.1, 0.2),
         args = list(base_lr = c(0.001, 0.002), max_lr = c(0.01, 0.03), step_size_up = 7,
                     step_size_down = 4)),
    list(key = "momentum", lrs = 0.1,
         args = list(base_lr = 0.001, max_lr = 0.01, step_size_up = 5, mode = "triangular2",
                     base_momentum = 0.7, max_momentum = 0.95)),
    list(key = "betas", lrs = c(0.001, 0.002, 0.003),
         args = list(base_lr = 0.0001, max_lr = c(0.01, 0.02, 0.03), step_size_up = 6,
                     step_size_down = 9, mode = "exp_range", gamma = 0.97)),
    list(key = "momentum", lrs = c(0.1, 0.2),
         args = list(base_lr = 0.001, max_lr = 0.01, step_size_up = 3.5,
                     cycle_momentum = FALSE))
  )
  for (case in cases) {
    optimizer <- if (case$key == "betas") adam(case$lrs) else sgd(case$lrs)
    scheduler <- do.call(lr_cyclic, c(list(optimizer), case$args))
    expect_s3_class(scheduler, "lr_cyclic")
    reference <- python_rows(function(core, opt) do.call(core$CyclicLR, c(list(opt), case$args)),
                             case$lrs, 80, key = case$key)
    expect_identical(r_run(optimizer, scheduler, 80, key = case$key), reference)
  }
  optimizer <- sgd(0.1, momentum = 0.5)
  scheduler <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01, cycle_momentum = FALSE)
  scheduler$step()
  expect_identical(optimizer$param_groups[[1]]$momentum, 0.5)
})

test_that("a Python torch optimizer follows torch's CyclicLR bitwise, SGD and Adam", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  make <- function(kind) {
    groups <- list(list(params = list(torch$zeros(1L)), lr = 0.1),
                   list(params = list(torch$zeros(1L)), lr = 0.2))
    if (kind == "sgd") torch$optim$SGD(groups, lr = 0.1, momentum = 0.9) else
      torch$optim$Adam(groups, lr = 0.1)
  }
  modes <- list(list(mode = "triangular"), list(mode = "triangular2"),
                list(mode = "exp_range", gamma = 0.99))
  for (kind in c("sgd", "adam")) {
    for (mode in modes) {
      ours_opt <- make(kind)
      torch_opt <- make(kind)
      args <- c(list(base_lr = c(0.001, 0.002), max_lr = c(0.01, 0.03), step_size_up = 7,
                     step_size_down = 4), mode)
      ours <- do.call(lr_cyclic, c(list(ours_opt), args))
      torch_args <- utils::modifyList(args, list(step_size_up = 7L, step_size_down = 4L))
      theirs <- do.call(torch$optim$lr_scheduler$CyclicLR, c(list(torch_opt), torch_args))
      key <- if (kind == "sgd") "momentum" else "betas"
      for (k in 1:50) {
        ours_opt$step()
        torch_opt$step()
        ours$step()
        theirs$step()
        expect_identical(group_values(ours_opt, key), group_values(torch_opt, key))
      }
      expect_identical(ours$get_last_lr(), as.numeric(theirs$get_last_lr()))
    }
  }
})

test_that("an R scale_fn is called with R numbers and equals torch's with the same function", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  make <- function() torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
  python_fn <- reticulate::py_eval("lambda x: 1 / (1 + x)")
  seen <- list()
  r_fn <- function(x) {
    seen[[length(seen) + 1L]] <<- x
    1 / (1 + x)
  }
  for (scale_mode in c("cycle", "iterations")) {
    # An R optimizer (the window is computed ahead), and a Python one (step by step).
    r_opt <- sgd()
    on_r <- lr_cyclic(r_opt, base_lr = 0.001, max_lr = 0.01, step_size_up = 3,
                      scale_fn = r_fn, scale_mode = scale_mode)
    ours_opt <- make()
    ours <- lr_cyclic(ours_opt, base_lr = 0.001, max_lr = 0.01, step_size_up = 3,
                      scale_fn = r_fn, scale_mode = scale_mode)
    torch_opt <- make()
    theirs <- torch$optim$lr_scheduler$CyclicLR(torch_opt, base_lr = 0.001, max_lr = 0.01,
                                                step_size_up = 3L, scale_fn = python_fn,
                                                scale_mode = scale_mode)
    for (k in 1:30) {
      ours_opt$step()
      torch_opt$step()
      ours$step()
      on_r$step()
      theirs$step()
      expected <- group_values(torch_opt)
      expect_identical(group_values(ours_opt), expected)
      expect_identical(group_values(r_opt), expected)
    }
  }
  expect_true(all(vapply(seen, function(x) is.numeric(x) && length(x) == 1L, logical(1))))
  expect_output(print(on_r), "scale_fn = a function", fixed = TRUE)
  expect_output(print(on_r), "scale_mode = \"iterations\"", fixed = TRUE)
})

test_that("an R scale_fn has no state dict: R's sentence, and nothing changes", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01, step_size_up = 3,
                         scale_fn = function(cycle) 1 / cycle)
  for (i in 1:4) scheduler$step()
  before <- optimizer$param_groups
  message <- paste(
    "an lr_cyclic() scheduler with an R scale_fn has no state dict: a state dict holds plain",
    "values, and a scale_fn is saved by its Python name, which an R function has not;",
    "build the scheduler again with the same scale_fn and last_epoch = 4 to resume where it",
    "is, or use mode = \"triangular2\" or \"exp_range\""
  )
  expect_identical(refusal(scheduler$state_dict()), message)
  expect_identical(refusal(scheduler$load_state_dict(list(last_epoch = 2))), message)
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$last_epoch, 4L)
  # What the message says works: the same scale_fn and last_epoch resume exactly.
  again_opt <- sgd()
  again <- lr_cyclic(again_opt, base_lr = 0.001, max_lr = 0.01, step_size_up = 3,
                     scale_fn = function(cycle) 1 / cycle, last_epoch = 4)
  expect_identical(r_run(again_opt, again, 10), r_run(optimizer, scheduler, 10))
})

test_that("bad arguments are refused in R's words before the optimizer changes", {
  skip_if_no_python()
  cases <- list(
    list(list(gamma = 1.5), "gamma must be a number in (0, 1], got 1.5"),
    list(list(mode = "triangle"),
         "mode must be \"triangular\" or \"triangular2\" or \"exp_range\", got \"triangle\""),
    list(list(step_size_up = 0), "step_size_up must be a finite number > 0, got 0"),
    list(list(step_size_down = NA), "step_size_down must be a finite number > 0, got NA"),
    list(list(base_lr = c(0.001, 0.002, 0.003)),
         paste("base_lr must be a single value or one value per parameter group (2), got",
               "c(0.001, 0.002, 0.003) (length 3)")),
    list(list(max_lr = list(0.01, NA)), "max_lr[[2]] must be a finite number >= 0, got NA"),
    list(list(scale_fn = "x"), paste("scale_fn must be NULL or a function of one number (the",
                                     "cycle or step), got \"x\" (a character string)")),
    list(list(scale_mode = "step"),
         "scale_mode must be \"cycle\" or \"iterations\", got \"step\""),
    list(list(cycle_momentum = NA), "cycle_momentum must be TRUE or FALSE, got NA"),
    list(list(last_epoch = -2), "last_epoch must be an integer >= -1, got -2"),
    list(list(verbose = "yes"),
         "verbose must be TRUE or FALSE, got \"yes\" (a character string)")
  )
  for (case in cases) {
    optimizer <- sgd(c(0.1, 0.2))
    before <- optimizer$param_groups
    args <- utils::modifyList(list(optimizer, base_lr = 0.001, max_lr = 0.01), case[[1]])
    expect_identical(refusal(do.call(lr_cyclic, args)), case[[2]])
    expect_identical(optimizer$param_groups, before)
  }
  betas <- adam(0.001)
  before <- betas$param_groups
  expect_identical(
    refusal(lr_cyclic(betas, base_lr = 0.001, max_lr = 0.01, max_momentum = 1)),
    paste("max_momentum must be a number in [0, 1) for an optimizer with betas (Adam family:",
          "beta1 = 1 divides by zero in the bias correction), got 1")
  )
  expect_identical(betas$param_groups, before)
})

test_that("state_dict() round trips through saveRDS(), and last_epoch = k resumes", {
  skip_if_no_python()
  settings <- list(base_lr = 0.001, max_lr = 0.01, step_size_up = 4, mode = "triangular2")
  straight_opt <- sgd()
  expected <- r_run(straight_opt, do.call(lr_cyclic, c(list(straight_opt), settings)), 40)
  first <- do.call(lr_cyclic, c(list(sgd()), settings))
  for (i in 1:13) first$step()
  file <- tempfile(fileext = ".rds")
  on.exit(unlink(file))
  saveRDS(first$state_dict(), file)
  resumed_opt <- sgd()
  resumed <- do.call(lr_cyclic, c(list(resumed_opt), settings))
  resumed$load_state_dict(readRDS(file))
  expect_identical(resumed$last_epoch, 13L)
  expect_identical(r_run(resumed_opt, resumed, 27), expected[14:41])
  again_opt <- sgd()
  again <- do.call(lr_cyclic, c(list(again_opt), settings, list(last_epoch = 13)))
  expect_identical(r_run(again_opt, again, 27), expected[14:41])
  other <- lr_cyclic(sgd(), base_lr = 0.001, max_lr = 0.02, step_size_up = 4)
  expect_identical(refusal(other$load_state_dict(readRDS(file))), paste(
    "state_dict was saved for another schedule; these settings differ: max_lrs (saved",
    "0.01, here 0.02); mode (saved \"triangular2\", here \"triangular\")"
  ))
  expect_identical(other$last_epoch, 0L)
})

test_that("$resume_with(step_size_up = ) goes on as Python's, from the same point of the cycle", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = c(0.01, 0.02), step_size_up = 4,
                         mode = "triangular2")
  for (i in 1:11) scheduler$step()
  scheduler$resume_with(step_size_up = 8)
  expect_identical(scheduler$last_epoch, 22L) # renumbered: cycle 2, 3/8 of the way
  rows <- r_run(optimizer, scheduler, 30)
  reference <- python_rows(function(core, opt) {
    python <- core$CyclicLR(opt, base_lr = 0.001, max_lr = c(0.01, 0.02), step_size_up = 4,
                            mode = "triangular2")
    for (i in 1:11) python$step()
    python$resume_with(step_size_up = 8)
    python
  }, c(0.1, 0.2), 30)
  expect_identical(rows, reference)
  before <- optimizer$param_groups
  expect_identical(refusal(scheduler$resume_with(step_size_up = -1)),
                   "step_size_up must be a finite number > 0, got -1")
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$last_epoch, 52L)
})

test_that("cyclic_lr_schedule() holds what the scheduler applies, and Python's values", {
  skip_if_no_python()
  schedule <- cyclic_lr_schedule(base_lr = 0.001, max_lr = 0.01, step_size_up = 5,
                                 step_size_down = 3, mode = "exp_range", gamma = 0.9)
  expect_s3_class(schedule, "lronecycle_schedule")
  expect_identical(schedule$step, 0:16) # two cycles, by default
  optimizer <- sgd()
  scheduler <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01, step_size_up = 5,
                         step_size_down = 3, mode = "exp_range", gamma = 0.9)
  rows <- r_run(optimizer, scheduler, 16)
  expect_identical(schedule$lr, vapply(rows, function(r) r$lr, numeric(1)))
  expect_identical(schedule$momentum, vapply(rows, function(r) r$momentum, numeric(1)))

  steps <- c(0, 7, 100, 3)
  groups <- cyclic_lr_schedule(steps, base_lr = 0.001, max_lr = c(0.01, 0.1),
                               step_size_up = 10, mode = "triangular2")
  reference <- py_package(convert = FALSE)$cyclic_lr_schedule(
    steps, base_lr = 0.001, max_lr = c(0.01, 0.1), step_size_up = 10, mode = "triangular2",
    exact = TRUE
  )
  expect_identical(groups$group, rep(1:2, each = 4))
  expect_identical(groups$lr, unlist(reticulate::py_to_r(reference[[0]]$T$tolist())))
  expect_identical(groups$momentum, unlist(reticulate::py_to_r(reference[[1]]$T$tolist())))
  expect_identical(refusal(cyclic_lr_schedule(c(1, 2.5), base_lr = 0.001, max_lr = 0.01)),
                   "steps must be whole numbers; got non-integer values")
  expect_identical(refusal(cyclic_lr_schedule(-1, base_lr = 0.001, max_lr = 0.01)),
                   "step must be an integer >= 0, got -1")
  scaled <- cyclic_lr_schedule(0:12, base_lr = 0, max_lr = 1, step_size_up = 2,
                               scale_fn = function(cycle) 1 / cycle)
  expect_identical(scaled$lr[c(3, 7, 11)], c(1, 1 / 2, 1 / 3))
})

test_that("an R scale_fn's result is converted in R, and anything but one finite number is refused", {
  skip_if_no_python()
  # A 1-d array or a 1 x 1 matrix is its number (reticulate would crash on it).
  plain <- cyclic_lr_schedule(0:9, base_lr = 0.01, max_lr = 0.1, step_size_up = 2,
                              scale_fn = function(cycle) 0.5)
  for (wrapped in list(function(cycle) array(0.5), function(cycle) matrix(0.5))) {
    expect_identical(cyclic_lr_schedule(0:9, base_lr = 0.01, max_lr = 0.1, step_size_up = 2,
                                        scale_fn = wrapped), plain)
    optimizer <- sgd()
    scheduler <- lr_cyclic(optimizer, base_lr = 0.01, max_lr = 0.1, step_size_up = 2,
                           scale_fn = wrapped)
    for (i in 1:3) scheduler$step()
    expect_identical(optimizer$param_groups[[1]]$lr, plain$lr[[4]])
  }
  cases <- list(
    list(function(cycle) NA, "NA", "TypeError"),
    list(function(cycle) NA_real_, "NA", "ValueError"),
    list(function(cycle) NaN, "NaN", "ValueError"),
    list(function(cycle) Inf, "Inf", "ValueError"),
    list(function(cycle) NULL, "NULL", "TypeError"),
    list(function(cycle) c(1, 2), "c(1, 2) (length 2)", "TypeError"),
    list(function(cycle) "a", "\"a\" (a character string)", "TypeError"),
    list(function(cycle) TRUE, "TRUE", "TypeError"),
    list(function(cycle) matrix(c(0.5, 0.5)), "c(0.5, 0.5) (length 2)", "TypeError")
  )
  for (case in cases) {
    message <- paste("scale_fn must return one finite number, got", case[[2]])
    for (run in list(
      function() cyclic_lr_schedule(0:5, base_lr = 0.01, max_lr = 0.1, step_size_up = 2,
                                    scale_fn = case[[1]]),
      function() lr_cyclic(sgd(), base_lr = 0.01, max_lr = 0.1, step_size_up = 2,
                           scale_fn = case[[1]])
    )) {
      err <- tryCatch(run(), error = function(e) e)
      expect_s3_class(err, "lronecycle_error")
      expect_identical(conditionMessage(err), message)
      expect_identical(err$argument, "scale_fn")
      expect_identical(err$python_type, case[[3]])
    }
  }
  # On a Python optimizer, a scheduler whose scale_fn fails changes nothing.
  groups <- list(reticulate::dict(lr = 0.1, momentum = 0.9))
  optimizer <- py_bridge()$ROptimizer(groups, reticulate::dict(lr = 0.1, momentum = 0.9))
  before <- optimizer$param_groups
  err <- tryCatch(lr_cyclic(optimizer, base_lr = 0.01, max_lr = 0.1, step_size_up = 2,
                            scale_fn = function(cycle) NA_real_), error = function(e) e)
  expect_identical(conditionMessage(err), "scale_fn must return one finite number, got NA")
  expect_identical(err$argument, "scale_fn")
  expect_identical(optimizer$param_groups, before)
})
