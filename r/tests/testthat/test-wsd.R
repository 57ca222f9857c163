# lr_warmup_stable_decay(), warmup_stable_decay_schedule() and warmup_cosine_schedule():
# Python's WarmupStableDecayLR and schedules, bit for bit.

wsd_args <- list(peak_lr = c(0.01, 0.02), warmup_steps = 5, stable_steps = 10,
                 decay_steps = 7, min_lr = 0.001)

python_wsd <- function(core, opt, ...) do.call(core$WarmupStableDecayLR, c(list(opt), list(...)))

test_that("an R optimizer gets Python's warmup-stable-decay values bitwise, every shape", {
  skip_if_no_python()
  for (warmup in c("linear", "cosine", "1-sqrt")) {
    for (decay in c("linear", "cosine", "1-sqrt")) {
      args <- c(wsd_args, list(warmup = warmup, decay = decay))
      optimizer <- sgd(c(0.1, 0.2))
      scheduler <- do.call(lr_warmup_stable_decay, c(list(optimizer), args))
      reference <- python_rows(function(core, opt) do.call(python_wsd, c(list(core, opt), args)),
                               c(0.1, 0.2), 22)
      expect_identical(r_run(optimizer, scheduler, 22), reference)
    }
  }
  # Only the lr is written; the momentum stays.
  expect_identical(optimizer$param_groups[[1]]$momentum, 0.9)
  expect_identical(group_values(optimizer)$lr, c(0.001, 0.001))
  expect_identical(scheduler$total_steps, 22L)
  expect_identical(scheduler$base_lrs, c(0.01, 0.02))
})

test_that("a Python torch optimizer gets the Python scheduler's values", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  optimizer <- torch$optim$AdamW(list(torch$zeros(1L)), lr = 0.5)
  scheduler <- lr_warmup_stable_decay(optimizer, peak_lr = 0.01, warmup_steps = 3,
                                      stable_steps = 4, decay_steps = 5, decay = "1-sqrt")
  lrs <- optimizer$param_groups[[1]]$lr
  for (i in 1:12) {
    optimizer$step()
    scheduler$step()
    lrs <- c(lrs, optimizer$param_groups[[1]]$lr)
  }
  expect_identical(lrs, warmup_stable_decay_schedule(0:12, peak_lr = 0.01, warmup_steps = 3,
                                                     stable_steps = 4, decay_steps = 5,
                                                     decay = "1-sqrt")$lr)
  expect_s3_class(scheduler, "lronecycle_python_optimizer")
})

test_that("the decay starts late: $resume_with() lengthens the stable phase, no jump", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- do.call(lr_warmup_stable_decay, c(list(optimizer), wsd_args))
  for (i in 1:9) scheduler$step()
  before <- scheduler$get_last_lr()
  scheduler$resume_with(stable_steps = 30)
  expect_identical(scheduler$get_last_lr(), before)
  expect_identical(scheduler$total_steps, 42L)
  expect_identical(scheduler$last_epoch, 9L)
  rows <- r_run(optimizer, scheduler, 33)
  reference <- python_rows(function(core, opt) {
    python <- do.call(python_wsd, c(list(core, opt), wsd_args))
    for (i in 1:9) python$step()
    python$resume_with(stable_steps = 30)
    python
  }, c(0.1, 0.2), 33)
  expect_identical(rows, reference)
  # The same run as one built with the longer stable phase from the start.
  longer <- utils::modifyList(wsd_args, list(stable_steps = 30))
  expect_identical(rows[[34]]$lr, c(0.001, 0.001))
  expect_identical(
    lapply(rows, function(r) r$lr),
    lapply(python_rows(function(core, opt) do.call(python_wsd, c(list(core, opt), longer)),
                       c(0.1, 0.2), 42)[10:43], function(r) r$lr)
  )
})

test_that("in the decay only total_steps changes; refusals change nothing", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_warmup_stable_decay(optimizer, peak_lr = 0.01, warmup_steps = 2,
                                      stable_steps = 4, decay_steps = 4)
  for (i in 1:7) scheduler$step()
  before <- optimizer$param_groups
  expect_identical(refusal(scheduler$resume_with(stable_steps = 10)), paste(
    "the decay began at step 6 and step 7 is in it: stable_steps can no longer change; give",
    "total_steps to spread the rest of the decay over a new length"
  ))
  expect_match(refusal(scheduler$resume_with(total_steps = 7)), "total_steps must be >= 8",
               fixed = TRUE)
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$total_steps, 10L)
  scheduler$resume_with(total_steps = 20)
  expect_identical(scheduler$get_last_lr(), before[[1]]$lr)
  for (i in 1:13) scheduler$step()
  expect_identical(scheduler$get_last_lr(), 0)
  # R's 20 arrives as 20.0; the resume takes it as the count 20.
  expect_identical(refusal(scheduler$step()), paste(
    "step() beyond the end of the schedule: total_steps = 20 were configured and 20 steps",
    "have been taken (the 20th step() holds the final value); last_epoch stays 20"
  ))
  expect_identical(scheduler$last_epoch, 20L)
  expect_identical(scheduler$total_steps, 20L)
})

test_that("a resumed run's state dict loads into a scheduler built like the original", {
  skip_if_no_python()
  optimizer <- sgd()
  scheduler <- lr_warmup_stable_decay(optimizer, peak_lr = 0.01, warmup_steps = 2,
                                      stable_steps = 4, decay_steps = 4)
  for (i in 1:5) scheduler$step()
  scheduler$resume_with(total_steps = 30)
  for (i in 1:20) scheduler$step()
  file <- tempfile(fileext = ".rds")
  on.exit(unlink(file))
  saveRDS(scheduler$state_dict(), file)
  again_opt <- sgd()
  again <- lr_warmup_stable_decay(again_opt, peak_lr = 0.01, warmup_steps = 2,
                                  stable_steps = 4, decay_steps = 4)
  again$load_state_dict(readRDS(file))
  expect_identical(again$last_epoch, 25L)
  expect_identical(again$total_steps, 30L)
  expect_identical(r_run(again_opt, again, 5), r_run(optimizer, scheduler, 5))
})

test_that("bad arguments are refused in R's words before the optimizer changes", {
  skip_if_no_python()
  cases <- list(
    list(list(warmup_steps = 0, stable_steps = 0, decay_steps = 0),
         "warmup_steps + stable_steps + decay_steps must be >= 1, got 0 (all three 0)"),
    list(list(warmup_steps = 1.5), "warmup_steps must be an integer >= 0, got 1.5"),
    list(list(min_lr = 0.1), "min_lr[[1]] must be a number in [0, peak_lr] ([0, 0.01]), got 0.1"),
    list(list(decay = "cos"),
         "decay must be \"linear\" or \"cosine\" or \"1-sqrt\", got \"cos\""),
    list(list(peak_lr = c(0.01, NA)), "peak_lr[[2]] must be a finite number >= 0, got NA"),
    list(list(last_epoch = 12), paste(
      "last_epoch must be -1 (start) or a step in 0..11 (total_steps = 11 = 1 warm-up + 5",
      "stable + 5 decay steps), got 12"
    ))
  )
  for (case in cases) {
    optimizer <- sgd(c(0.1, 0.2))
    before <- optimizer$param_groups
    args <- utils::modifyList(list(optimizer, peak_lr = 0.01, warmup_steps = 1,
                                   stable_steps = 5, decay_steps = 5), case[[1]])
    expect_identical(refusal(do.call(lr_warmup_stable_decay, args)), case[[2]])
    expect_identical(optimizer$param_groups, before)
  }
})

test_that("the schedule functions hold the scheduler's values and Python's", {
  skip_if_no_python()
  schedule <- do.call(warmup_stable_decay_schedule, c(wsd_args, list(decay = "linear")))
  expect_identical(schedule$step, rep(0:21, 2)) # the run's updates, by default
  expect_identical(schedule$group, rep(1:2, each = 22))
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- do.call(lr_warmup_stable_decay, c(list(optimizer), wsd_args,
                                                 list(decay = "linear")))
  rows <- r_run(optimizer, scheduler, 21)
  expect_identical(schedule$lr, as.vector(t(sapply(rows, function(r) r$lr))))
  expect_true(all(is.na(schedule$momentum)))

  steps <- c(0, 3, 10, 20)
  reference <- py_package(convert = FALSE)$warmup_cosine_schedule(
    steps, peak_lr = 0.01, warmup_steps = 4, total_steps = 20, min_lr = 0.001, exact = TRUE
  )
  cosine <- warmup_cosine_schedule(steps, peak_lr = 0.01, warmup_steps = 4, total_steps = 20,
                                   min_lr = 0.001)
  expect_identical(cosine$lr, unlist(reticulate::py_to_r(reference$tolist())))
  expect_identical(warmup_cosine_schedule(peak_lr = 1, warmup_steps = 2, total_steps = 6)$step,
                   0:5)
  # It is lr_warmup() of a cosine decay (a one-phase warmup-stable-decay).
  optimizer <- sgd()
  decay <- lr_warmup_stable_decay(optimizer, peak_lr = 0.01, warmup_steps = 0,
                                  stable_steps = 0, decay_steps = 16, min_lr = 0.001)
  warm <- lr_warmup(optimizer, decay, warmup_steps = 4)
  expect_identical(vapply(r_run(optimizer, warm, 20), function(r) r$lr, numeric(1)),
                   warmup_cosine_schedule(0:20, peak_lr = 0.01, warmup_steps = 4,
                                          total_steps = 20, min_lr = 0.001)$lr)

  expect_identical(refusal(warmup_cosine_schedule(peak_lr = 0.01, warmup_steps = 10,
                                                  total_steps = 10)),
                   "warmup_steps must be an integer in 0..9 (below total_steps = 10), got 10")
  expect_identical(refusal(warmup_cosine_schedule(11, peak_lr = 0.01, warmup_steps = 1,
                                                  total_steps = 10)),
                   "step must be in 0..10 (total_steps = 10), got 11")
  expect_identical(refusal(warmup_stable_decay_schedule(peak_lr = 0.01, warmup_steps = 1,
                                                        stable_steps = NA, decay_steps = 1)),
                   "stable_steps must be an integer >= 0, got NA")
})
