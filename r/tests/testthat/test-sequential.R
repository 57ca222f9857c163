# lr_sequential() and lr_warmup(): Python's SequentialLR and WarmupLR, bit for bit. Parts
# built on one R optimizer share its Python stand-in, as Python's parts share the
# optimizer object.

# 1cycle (cycling the momentum), warmup-stable-decay (lr only), then cyclical.
build_parts <- function(make, peak) {
  list(
    make("OneCycleLR", max_lr = peak, total_steps = 12),
    make("WarmupStableDecayLR", peak_lr = 0.005, warmup_steps = 2, stable_steps = 3,
         decay_steps = 4, min_lr = 0.0005),
    make("CyclicLR", base_lr = 0.0001, max_lr = 0.001, step_size_up = 3)
  )
}
r_kinds <- c(OneCycleLR = "lr_one_cycle", WarmupStableDecayLR = "lr_warmup_stable_decay",
             CyclicLR = "lr_cyclic")

r_sequence <- function(optimizer, milestones = c(12, 20), peak = 0.01, ...) {
  parts <- build_parts(function(kind, ...) get(r_kinds[[kind]])(optimizer, ...), peak)
  lr_sequential(optimizer, parts, milestones = milestones, ...)
}

python_sequence <- function(core, opt, milestones = c(12, 20), peak = 0.01, ...) {
  parts <- build_parts(function(kind, ...) core[[kind]](opt, ...), peak)
  core$SequentialLR(opt, parts, milestones = as.list(milestones), ...)
}

test_that("an R optimizer gets Python's SequentialLR values bitwise, momentum included", {
  skip_if_no_python()
  for (key in c("momentum", "betas")) {
    lrs <- c(0.1, 0.2)
    optimizer <- if (key == "betas") adam(lrs) else sgd(lrs)
    scheduler <- r_sequence(optimizer, peak = c(0.01, 0.02))
    expect_s3_class(scheduler, "lr_sequential")
    expect_null(scheduler$total_steps) # the last part cycles for ever
    expect_identical(r_run(optimizer, scheduler, 60, key = key),
                     python_rows(function(core, opt) {
                       python_sequence(core, opt, peak = c(0.01, 0.02))
                     }, lrs, 60, key = key))
  }
  expect_length(scheduler$schedulers, 3L)
  expect_s3_class(scheduler$schedulers[[2]], "lr_warmup_stable_decay")
})

test_that("from a milestone on, the optimizer holds the part's own values at k - milestone", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- r_sequence(optimizer)
  rows <- r_run(optimizer, scheduler, 40)
  lr <- vapply(rows, function(r) r$lr, numeric(1))
  momentum <- vapply(rows, function(r) r$momentum, numeric(1))
  one_cycle <- one_cycle_schedule(0:11, max_lr = 0.01, total_steps = 12)
  wsd <- warmup_stable_decay_schedule(0:7, peak_lr = 0.005, warmup_steps = 2, stable_steps = 3,
                                      decay_steps = 4, min_lr = 0.0005)
  cyclic <- cyclic_lr_schedule(0:20, base_lr = 0.0001, max_lr = 0.001, step_size_up = 3)
  expect_identical(lr, c(one_cycle$lr, wsd$lr, cyclic$lr))
  # warmup-stable-decay cycles no momentum: it holds what 1cycle ended with.
  expect_identical(momentum, c(one_cycle$momentum, rep(one_cycle$momentum[[12]], 8),
                               cyclic$momentum))
})

test_that("a Python torch optimizer gets Python's SequentialLR values", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  optimizer <- torch$optim$SGD(list(list(params = list(torch$zeros(1L)), lr = 0.1),
                                    list(params = list(torch$zeros(1L)), lr = 0.2)),
                               lr = 0.1, momentum = 0.9)
  scheduler <- r_sequence(optimizer)
  expect_s3_class(scheduler, "lronecycle_python_optimizer")
  rows <- list(group_values(optimizer))
  for (k in 1:45) {
    optimizer$step()
    scheduler$step()
    rows[[k + 1L]] <- group_values(optimizer)
  }
  expect_identical(rows, python_rows(python_sequence, c(0.1, 0.2), 45))
})

test_that("parts built on one R optimizer share its stand-in, and only on it", {
  skip_if_no_python()
  optimizer <- sgd()
  first <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 10)
  second <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01)
  same <- reticulate::py_eval("lambda a, b: a is b")
  expect_true(same(first$python$optimizer, second$python$optimizer))
  other_opt <- sgd()
  other <- lr_cyclic(other_opt, base_lr = 0.001, max_lr = 0.01)
  expect_false(same(first$python$optimizer, other$python$optimizer))
  before <- optimizer$param_groups
  expect_identical(refusal(lr_sequential(optimizer, list(first, other), milestones = 10)),
                   paste("schedulers[[2]] drives another optimizer: build every part on the",
                         "optimizer given to the sequence"))
  expect_identical(refusal(lr_sequential(other_opt, list(first, other), milestones = 10)),
                   paste("schedulers[[1]] drives another optimizer: build every part on the",
                         "optimizer given to the sequence"))
  expect_identical(optimizer$param_groups, before)
  # A new scheduler reads the groups as they are now (here, after 1cycle's step 0).
  optimizer$param_groups[[1]]$lr <- 0.5
  restarts <- lr_cosine_annealing_warm_restarts(optimizer, T_0 = 4)
  expect_identical(restarts$base_lrs, 0.5)
  expect_true(same(first$python$optimizer, restarts$python$optimizer))
})

test_that("state_dict() round trips through saveRDS(), and last_epoch = k resumes", {
  skip_if_no_python()
  straight_opt <- sgd()
  expected <- r_run(straight_opt, r_sequence(straight_opt), 50)
  first <- r_sequence(sgd())
  for (i in 1:17) first$step()
  file <- tempfile(fileext = ".rds")
  on.exit(unlink(file))
  saveRDS(first$state_dict(), file) # one group: R makes one-element lists scalars
  resumed_opt <- sgd()
  resumed <- r_sequence(resumed_opt)
  resumed$load_state_dict(readRDS(file))
  expect_identical(resumed$last_epoch, 17L)
  expect_identical(r_run(resumed_opt, resumed, 33), expected[18:51])
  again_opt <- sgd()
  again <- r_sequence(again_opt, last_epoch = 17)
  expect_identical(r_run(again_opt, again, 33), expected[18:51])

  other_opt <- sgd()
  other <- r_sequence(other_opt, milestones = c(12, 21))
  before <- other_opt$param_groups
  expect_identical(refusal(other$load_state_dict(readRDS(file))), paste(
    "state_dict was saved for another schedule; these settings differ: milestones (saved",
    "c(12, 20), here c(12, 21))"
  ))
  expect_identical(other_opt$param_groups, before)
  expect_identical(other$last_epoch, 0L)
})

test_that("$resume_with(total_steps = ) re-times the parts left as Python's does", {
  skip_if_no_python()
  make_parts <- function(make) {
    list(make("OneCycleLR", max_lr = 0.01, total_steps = 10),
         make("WarmupStableDecayLR", peak_lr = 0.005, warmup_steps = 0, stable_steps = 5,
              decay_steps = 10))
  }
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_sequential(optimizer, make_parts(function(kind, ...) {
    get(r_kinds[[kind]])(optimizer, ...)
  }), milestones = 10)
  expect_identical(scheduler$total_steps, 25L)
  for (i in 1:14) scheduler$step()
  before <- scheduler$get_last_lr()
  scheduler$resume_with(total_steps = 40)
  expect_identical(scheduler$get_last_lr(), before)
  expect_identical(scheduler$total_steps, 40L)
  rows <- r_run(optimizer, scheduler, 26)
  reference <- python_rows(function(core, opt) {
    python <- core$SequentialLR(opt, make_parts(function(kind, ...) core[[kind]](opt, ...)),
                                milestones = list(10))
    for (i in 1:14) python$step()
    python$resume_with(total_steps = 40)
    python
  }, c(0.1, 0.2), 26)
  expect_identical(rows, reference)
  expect_match(refusal(scheduler$step()), "step() beyond the end of the schedule", fixed = TRUE)

  cycling <- r_sequence(sgd())
  expect_identical(refusal(cycling$resume_with(total_steps = 100)), paste(
    "total_steps cannot change: the last part has no end (CyclicSchedule); a join of fixed",
    "length ends with a schedule of fixed length"
  ))
})

test_that("lr_warmup() is Python's WarmupLR bitwise, and keeps its length on resume", {
  skip_if_no_python()
  for (mode in c("linear", "cos")) {
    optimizer <- sgd(c(0.1, 0.2))
    main <- lr_one_cycle(optimizer, max_lr = c(0.01, 0.02), total_steps = 20, pct_start = 0)
    scheduler <- lr_warmup(optimizer, main, warmup_steps = 6, start_lr = c(0, 0.001),
                           mode = mode)
    expect_s3_class(scheduler, "lr_warmup")
    expect_identical(scheduler$total_steps, 26L)
    expect_identical(scheduler$scheduler, main)
    for (i in 1:10) scheduler$step()
    scheduler$resume_with(total_steps = 36)
    rows <- r_run(optimizer, scheduler, 26)
    reference <- python_rows(function(core, opt) {
      python <- core$WarmupLR(opt, core$OneCycleLR(opt, max_lr = c(0.01, 0.02),
                                                   total_steps = 20, pct_start = 0),
                              warmup_steps = 6, start_lr = c(0, 0.001), mode = mode)
      for (i in 1:10) python$step()
      python$resume_with(total_steps = 36)
      python
    }, c(0.1, 0.2), 26)
    expect_identical(rows, reference)
  }
  # The warm-up reaches the scheduler's first lr, which then runs from its step 0.
  optimizer <- sgd()
  cyclic <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01, step_size_up = 4)
  warm <- lr_warmup(optimizer, cyclic, warmup_steps = 4)
  lrs <- vapply(r_run(optimizer, warm, 12), function(r) r$lr, numeric(1))
  expect_identical(lrs[1:4], c(0, 0.25, 0.5, 0.75) * 0.001)
  expect_identical(lrs[5:13], cyclic_lr_schedule(0:8, base_lr = 0.001, max_lr = 0.01,
                                                 step_size_up = 4)$lr)
})

test_that("bad parts and milestones are refused in R's words; nothing changes", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  one_cycle <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 10)
  cyclic <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01)
  other_cyclic <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.02)
  before <- optimizer$param_groups
  kinds <- paste("lr_one_cycle(), lr_cyclic(), lr_cosine_annealing_warm_restarts(),",
                 "lr_warmup_stable_decay(), lr_sequential(), lr_warmup()")
  r_torch_like <- structure(new.env(), class = c("lr_step", "lr_scheduler", "R6"))
  ignite <- lr_cosine_annealing_scheduler(optimizer, "lr", 0.1, 0.01, 10)
  cases <- list(
    list(list(list(one_cycle, cyclic), c(10, 12)),
         "milestones must be one value between each two schedulers (1), got c(10, 12) (length 2)"),
    list(list(list(one_cycle, cyclic), 12), paste(
      "schedulers[[1]] must be a schedule covering its span, steps 0..11 (12 steps), got one",
      "of steps 0..10 (total_steps = 10); end its span at 11 or lengthen it"
    )),
    list(list(list(one_cycle, cyclic), 0), "milestones[[1]] must be a positive integer, got 0"),
    list(list(list(one_cycle, cyclic), NA), "milestones[[1]] must be a positive integer, got NA"),
    list(list(list(cyclic, one_cycle, other_cyclic), c(5, 3)),
         "milestones[[2]] must be an integer > 5 (milestones[[1]]): they must increase, got 3"),
    list(list(list(cyclic, one_cycle, cyclic), c(5, 15)),
         "schedulers[[3]] is schedulers[[1]]: give each span its own scheduler"),
    list(list(list(), numeric(0)),
         "schedulers must be a non-empty list of schedulers of lr_one_cycle, got list()"),
    list(list(list(one_cycle, 3), 10),
         sprintf("schedulers[[2]] must be a scheduler of lronecycle (%s), got 3", kinds)),
    list(list(list(one_cycle, r_torch_like), 10), sprintf(paste0(
      "schedulers[[2]] must be a scheduler of lronecycle (%s), got an environment (lr_step); ",
      "a scheduler of R torch computes from the optimizer's history, so it cannot be placed ",
      "in a sequence exactly"), kinds)),
    list(list(list(one_cycle, ignite), 10), sprintf(paste0(
      "schedulers[[2]] must be a scheduler of lronecycle (%s), got an environment ",
      "(lr_cosine_annealing_scheduler): ignite's handlers follow ignite's step convention ",
      "(nothing written before the first call), not the one a sequence joins"), kinds)),
    list(list(one_cycle, 10), sprintf(paste0(
      "schedulers must be a list of schedulers of lronecycle (%s), got an environment ",
      "(lr_one_cycle): pass list(schedulers)"), kinds)),
    list(list(list(one_cycle, cyclic), 10, last_epoch = 2.5),
         "last_epoch must be an integer >= -1, got 2.5")
  )
  for (case in cases) {
    expect_identical(refusal(do.call(lr_sequential, c(list(optimizer), case[[1]]))), case[[2]])
    expect_identical(optimizer$param_groups, before)
  }
  expect_identical(refusal(lr_warmup(optimizer, one_cycle, warmup_steps = 0)),
                   "warmup_steps must be a positive integer, got 0")
  expect_identical(refusal(lr_warmup(optimizer, one_cycle, 3, mode = "cosine")),
                   "mode must be \"linear\" or \"cos\", got \"cosine\"")
  expect_identical(refusal(lr_warmup(optimizer, one_cycle, 3, start_lr = c(1, 2, 3))), paste(
    "start_lr must be a single value or one value per parameter group (2), got c(1, 2, 3)",
    "(length 3)"
  ))
  expect_identical(refusal(lr_warmup(optimizer, "one_cycle", 3)), sprintf(
    "scheduler must be a scheduler of lronecycle (%s), got \"one_cycle\" (a character string)",
    kinds
  ))
  expect_identical(optimizer$param_groups, before)
})

test_that("the stand-in registry keeps neither an R optimizer nor its stand-in alive", {
  skip_if_no_python()
  collected <- FALSE
  local({
    optimizer <- sgd()
    reg.finalizer(optimizer, function(e) collected <<- TRUE)
    scheduler <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01)
    scheduler$step()
  })
  invisible(gc())
  expect_true(collected)
  lr_cyclic(sgd(), base_lr = 0.001, max_lr = 0.01) # a new registration prunes the dead
  keys <- lapply(.py$stand_ins, rlang::wref_key)
  expect_false(any(vapply(keys, is.null, logical(1))))
})
