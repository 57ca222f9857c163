# The surface R torch's schedulers have, and luz's callback relies on.

test_that("every scheduler has R torch's classes, fields and methods", {
  skip_if_no_python()
  shared <- sgd()
  schedulers <- list(
    lr_one_cycle = lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = c(0.01, 0.1), total_steps = 20),
    lr_cosine_annealing_warm_restarts = lr_cosine_annealing_warm_restarts(sgd(), T_0 = 5),
    lr_cosine_annealing_scheduler = lr_cosine_annealing_scheduler(sgd(), "lr", 0.1, 0.01, 10),
    lr_linear_cyclical_scheduler = lr_linear_cyclical_scheduler(sgd(), "lr", 0.1, 0.01, 10),
    lr_cyclic = lr_cyclic(sgd(), base_lr = 0.001, max_lr = 0.01, step_size_up = 5),
    lr_warmup_stable_decay = lr_warmup_stable_decay(sgd(), peak_lr = 0.01, warmup_steps = 2,
                                                    stable_steps = 3, decay_steps = 4),
    lr_sequential = lr_sequential(shared, list(
      lr_one_cycle(shared, max_lr = 0.01, total_steps = 10),
      lr_cyclic(shared, base_lr = 0.001, max_lr = 0.01)
    ), milestones = 10),
    lr_warmup = lr_warmup(shared, lr_one_cycle(shared, max_lr = 0.01, total_steps = 10),
                          warmup_steps = 3)
  )
  for (kind in names(schedulers)) {
    scheduler <- schedulers[[kind]]
    expect_identical(class(scheduler)[1:2], c(kind, "lr_scheduler"))
    for (method in c("step", "get_lr", "get_last_lr", "state_dict", "load_state_dict",
                     "resume_with")) {
      expect_true(is.function(scheduler[[method]]), info = paste(kind, method))
    }
    scheduler$step()
    expect_type(scheduler$last_epoch, "integer")
    expect_identical(scheduler$get_lr(), scheduler$get_last_lr(), info = kind)
  }
  one_cycle <- schedulers$lr_one_cycle
  expect_identical(one_cycle$total_steps, 20L)
  expect_identical(one_cycle$base_lrs, c(0.01, 0.1) / 25)
  expect_error(one_cycle$total_steps <- 30, "total_steps is read-only", class = "lronecycle_error")
  expect_error(one_cycle$last_epoch <- 5, "last_epoch is read-only", class = "lronecycle_error")
  expect_identical(schedulers$lr_cosine_annealing_warm_restarts$base_lrs, 0.1)
  expect_null(schedulers$lr_cosine_annealing_warm_restarts$total_steps)
  expect_null(schedulers$lr_cosine_annealing_scheduler$base_lrs)
  expect_identical(schedulers$lr_cosine_annealing_scheduler$last_epoch, 0L)
  expect_null(schedulers$lr_cyclic$total_steps)
  expect_identical(schedulers$lr_cyclic$base_lrs, 0.001)
  expect_identical(schedulers$lr_warmup_stable_decay$total_steps, 9L)
  expect_null(schedulers$lr_sequential$total_steps)
  expect_identical(schedulers$lr_warmup$total_steps, 13L)
  expect_error(schedulers$lr_warmup$total_steps <- 30, "total_steps is read-only",
               class = "lronecycle_error")
})

test_that("$get_lr() is the schedule's value at $last_epoch, after a resume too", {
  skip_if_no_python()
  scheduler <- lr_one_cycle(sgd(), max_lr = 0.01, total_steps = 30, last_epoch = 7)
  expect_identical(scheduler$get_lr(),
                   one_cycle_schedule(7, max_lr = 0.01, total_steps = 30)$lr)
  for (i in 1:5) scheduler$step()
  expect_identical(scheduler$get_lr(),
                   one_cycle_schedule(12, max_lr = 0.01, total_steps = 30)$lr)
  cosine <- lr_cosine_annealing_scheduler(sgd(c(0.1, 0.2)), "lr", 0.1, 0.01, 10)
  expect_error(cosine$get_lr(), "event must be an integer >= 0, got -1", fixed = TRUE)
  for (i in 1:4) cosine$step()
  expect_identical(cosine$get_lr(), rep(cosine_annealing_schedule(
    3, start_value = 0.1, end_value = 0.01, cycle_size = 10)$lr, 2))
})

test_that("print() speaks R: c(), TRUE, quotes, groups counted from 1", {
  skip_if_no_python()
  scheduler <- lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = c(0.01, 0.1), total_steps = 20,
                            three_phase = TRUE)
  for (i in 1:3) scheduler$step()
  shown <- paste(capture.output(print(scheduler)), collapse = "\n")
  expect_match(shown, "<lr_one_cycle> driving an R optimizer", fixed = TRUE)
  expect_match(shown, "max_lr = c(0.01, 0.1), total_steps = 20", fixed = TRUE)
  expect_match(shown, "anneal_strategy = \"cos\"", fixed = TRUE)
  expect_match(shown, "three_phase = TRUE", fixed = TRUE)
  expect_match(shown, sprintf("last_epoch = 3, last lr = %s (groups 1, 2)",
                              r_literal(signif(scheduler$get_last_lr(), 6))), fixed = TRUE)
  expect_false(grepl("True|False|\\[0", shown))
})

test_that("print() of the new schedulers names their settings and parts in R's terms", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  cyclic <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = c(0.01, 0.02), step_size_up = 4,
                      mode = "exp_range", gamma = 0.9)
  expect_identical(capture.output(print(cyclic)), c(
    "<lr_cyclic> driving an R optimizer",
    "  base_lr = c(0.001, 0.001), max_lr = c(0.01, 0.02), step_size_up = 4,",
    "  step_size_down = 4, mode = \"exp_range\", gamma = 0.9, cycle_momentum = TRUE,",
    "  base_momentum = c(0.8, 0.8), max_momentum = c(0.9, 0.9)",
    "  last_epoch = 0, last lr = c(0.001, 0.001) (groups 1, 2)"
  ))
  wsd <- lr_warmup_stable_decay(optimizer, peak_lr = 0.01, warmup_steps = 2, stable_steps = 3,
                                decay_steps = 4, decay = "1-sqrt")
  expect_identical(capture.output(print(wsd)), c(
    "<lr_warmup_stable_decay> driving an R optimizer",
    "  peak_lr = c(0.01, 0.01), warmup_steps = 2, stable_steps = 3, decay_steps = 4,",
    "  min_lr = c(0, 0), warmup = \"linear\", decay = \"1-sqrt\"",
    "  last_epoch = 0, last lr = c(0, 0) (groups 1, 2)"
  ))
  sequence <- lr_sequential(optimizer, list(wsd, cyclic), milestones = 9)
  for (i in 1:10) sequence$step()
  expect_identical(capture.output(print(sequence)), c(
    "<lr_sequential> driving an R optimizer",
    "  schedulers = c(\"lr_warmup_stable_decay\", \"lr_cyclic\"), milestones = 9",
    sprintf("  last_epoch = 10, last lr = %s (groups 1, 2)",
            r_literal(signif(sequence$get_last_lr(), 6)))
  ))
  warm <- lr_warmup(optimizer, lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 10),
                    warmup_steps = 3, mode = "cos")
  expect_match(paste(capture.output(print(warm)), collapse = "\n"), paste0(
    "  scheduler = \"lr_one_cycle\", warmup_steps = 3, start_lr = c(0, 0), mode = \"cos\"\n"
  ), fixed = TRUE)
})

# The messages `expr` emits (muffled), and its value.
messages_of <- function(expr) {
  messages <- character()
  value <- withCallingHandlers(expr, message = function(m) {
    messages <<- c(messages, conditionMessage(m))
    invokeRestart("muffleMessage")
  })
  list(value = value, messages = messages)
}

adjusting <- function(lrs) sprintf("Adjusting learning rate of group %d to %.4f\n",
                                   seq_along(lrs), lrs)

test_that("verbose = TRUE reports each lr as R torch does, through message()", {
  skip_if_no_python()
  built <- messages_of(lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = 0.01, total_steps = 20,
                                    verbose = TRUE))
  expect_identical(built$messages, c("Adjusting learning rate of group 1 to 0.0004\n",
                                     "Adjusting learning rate of group 2 to 0.0004\n"))
  scheduler <- built$value
  stepped <- messages_of(scheduler$step())
  expect_identical(stepped$messages, adjusting(scheduler$get_last_lr()))
  expect_silent(suppressMessages(scheduler$step()))
  expect_silent(lr_one_cycle(sgd(), max_lr = 0.01, total_steps = 20)$step())
})

test_that("verbose = TRUE works the same for the new schedulers, both kinds of optimizer", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  builders <- list(
    function(o) lr_cyclic(o, base_lr = 0.001, max_lr = 0.01, step_size_up = 3, verbose = TRUE),
    function(o) lr_warmup_stable_decay(o, peak_lr = 0.01, warmup_steps = 2, stable_steps = 3,
                                       decay_steps = 4, verbose = TRUE),
    function(o) lr_sequential(o, list(lr_one_cycle(o, max_lr = 0.01, total_steps = 5),
                                      lr_cyclic(o, base_lr = 0.001, max_lr = 0.01)),
                              milestones = 5, verbose = TRUE),
    function(o) lr_warmup(o, lr_cyclic(o, base_lr = 0.001, max_lr = 0.01), warmup_steps = 2,
                          start_lr = 0.0005, verbose = TRUE)
  )
  for (build in builders) {
    built <- messages_of(build(optimizer))
    scheduler <- built$value
    expect_identical(built$messages, adjusting(scheduler$get_last_lr()))
    for (i in 1:6) {
      stepped <- messages_of(scheduler$step())
      expect_identical(stepped$messages, adjusting(scheduler$get_last_lr()))
    }
  }
  quiet <- lr_cyclic(optimizer, base_lr = 0.001, max_lr = 0.01)
  expect_silent(quiet$step())
})

test_that("verbose = TRUE on a Python optimizer reports in R, not in Python", {
  skip_if_no_torch()
  torch <- reticulate::import("torch")
  optimizer <- torch$optim$SGD(list(torch$zeros(1L)), lr = 0.1, momentum = 0.9)
  # Python's own report (0-based groups, %.4e) is not printed.
  printed <- reticulate::py_capture_output(
    built <- messages_of(lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 20,
                                      verbose = TRUE))
  )
  expect_identical(printed, "")
  expect_identical(built$messages, "Adjusting learning rate of group 1 to 0.0004\n")
  # (After the optimizer's step, as in training: torch warns otherwise, in Python.)
  optimizer$step()
  printed <- reticulate::py_capture_output(stepped <- messages_of(built$value$step()))
  expect_identical(printed, "")
  expect_identical(stepped$messages,
                   adjusting(one_cycle_schedule(1, max_lr = 0.01, total_steps = 20)$lr))
})

# luz's luz_callback_lr_scheduler() (mlverse/luz, R/callbacks.R), as an R6 class that
# does what it does: build the scheduler from the generator with the optimizer and
# the `...` arguments at on_fit_begin, call $step() at `call_on` (passing the loss only
# when $step() has a `metrics` argument), and save/restore it through
# $state_dict()/$load_state_dict().
LuzLrSchedulerCallback <- R6::R6Class("lr_scheduler_callback", lock_objects = FALSE,
  public = list(
    ctx = NULL,
    initialize = function(lr_scheduler, ..., call_on = "on_epoch_end", opt_name = NULL) {
      self$lr_scheduler_fn <- function(optimizer) lr_scheduler(optimizer, ...)
      self[[call_on]] <- function() {
        if ("metrics" %in% names(formals(self$scheduler$step))) {
          self$scheduler$step(self$ctx$loss[[self$opt_name]])
        } else {
          self$scheduler$step()
        }
      }
      self$opt_name <- opt_name
    },
    on_fit_begin = function() {
      if (is.null(self$opt_name) && length(self$ctx$optimizers) == 1) {
        self$opt_name <- names(self$ctx$optimizers)
      }
      self$scheduler <- self$lr_scheduler_fn(self$ctx$optimizers[[self$opt_name]])
    },
    state_dict = function() self$scheduler$state_dict(),
    load_state_dict = function(state_dict) self$scheduler$load_state_dict(state_dict)
  )
)

# A fit loop calling the callback's breakpoints as luz does.
luz_fit <- function(callback, optimizer, epochs, batches) {
  callback$ctx <- list(optimizers = list(opt = optimizer), loss = list(opt = 1))
  callback$on_fit_begin()
  lrs <- numeric()
  for (epoch in seq_len(epochs)) {
    for (batch in seq_len(batches)) {
      lrs <- c(lrs, optimizer$param_groups[[1]]$lr)
      # ... forward, backward, optimizer$step() ...
      if (!is.null(callback$on_batch_end)) callback$on_batch_end()
    }
    if (!is.null(callback$on_epoch_end)) callback$on_epoch_end()
  }
  lrs
}

test_that("every scheduler works as the generator of luz's lr scheduler callback", {
  skip_if_no_python()
  callback <- LuzLrSchedulerCallback$new(lr_one_cycle, max_lr = 0.01, epochs = 3,
                                         steps_per_epoch = 7, call_on = "on_batch_end")
  optimizer <- sgd()
  lrs <- luz_fit(callback, optimizer, epochs = 3, batches = 7)
  expect_identical(lrs, one_cycle_schedule(max_lr = 0.01, total_steps = 21)$lr)
  expect_identical(callback$scheduler$last_epoch, 21L)

  # luz's checkpoints save and restore the callback's state.
  state <- callback$state_dict()
  again <- LuzLrSchedulerCallback$new(lr_one_cycle, max_lr = 0.01, epochs = 3,
                                      steps_per_epoch = 7, call_on = "on_batch_end")
  again$ctx <- list(optimizers = list(opt = sgd()))
  again$on_fit_begin()
  again$load_state_dict(state)
  expect_identical(again$scheduler$last_epoch, 21L)

  # Schedulers stepped per epoch: the lr changes between epochs only.
  epoch_values <- function(lrs) {
    expect_identical(lrs[c(TRUE, FALSE)], lrs[c(FALSE, TRUE)])
    lrs[c(TRUE, FALSE)]
  }
  callback <- LuzLrSchedulerCallback$new(lr_cosine_annealing_warm_restarts, T_0 = 2)
  lrs <- luz_fit(callback, sgd(), epochs = 5, batches = 2)
  expect_identical(epoch_values(lrs), warm_restarts_schedule(0:4, base_lr = 0.1, T_0 = 2)$lr)
  expect_identical(callback$scheduler$last_epoch, 5L)
  cyclical <- list(
    lr_cosine_annealing_scheduler = cosine_annealing_schedule,
    lr_linear_cyclical_scheduler = linear_cyclical_schedule
  )
  for (kind in names(cyclical)) {
    callback <- LuzLrSchedulerCallback$new(get(kind), param_name = "lr", start_value = 0.2,
                                           end_value = 0.01, cycle_size = 4)
    lrs <- luz_fit(callback, sgd(), epochs = 5, batches = 2)
    # ignite's convention: each $step() writes the next event; nothing before.
    expected <- c(0.1, cyclical[[kind]](0:3, start_value = 0.2, end_value = 0.01,
                                        cycle_size = 4)$lr)
    expect_identical(epoch_values(lrs), expected)
    expect_identical(callback$scheduler$last_epoch, 4L)
  }
})

test_that("the new schedulers work as luz's generator, a sequence through a function", {
  skip_if_no_python()
  callback <- LuzLrSchedulerCallback$new(lr_cyclic, base_lr = 0.001, max_lr = 0.01,
                                         step_size_up = 5, call_on = "on_batch_end")
  lrs <- luz_fit(callback, sgd(), epochs = 3, batches = 7)
  expect_identical(lrs, cyclic_lr_schedule(0:20, base_lr = 0.001, max_lr = 0.01,
                                           step_size_up = 5)$lr)

  callback <- LuzLrSchedulerCallback$new(lr_warmup_stable_decay, peak_lr = 0.01,
                                         warmup_steps = 3, stable_steps = 10, decay_steps = 8,
                                         call_on = "on_batch_end")
  lrs <- luz_fit(callback, sgd(), epochs = 3, batches = 7)
  expect_identical(lrs, warmup_stable_decay_schedule(peak_lr = 0.01, warmup_steps = 3,
                                                     stable_steps = 10, decay_steps = 8)$lr)
  # luz's checkpoints save and restore the callback's state.
  state <- callback$state_dict()
  again <- LuzLrSchedulerCallback$new(lr_warmup_stable_decay, peak_lr = 0.01,
                                      warmup_steps = 3, stable_steps = 10, decay_steps = 8,
                                      call_on = "on_batch_end")
  again$ctx <- list(optimizers = list(opt = sgd()))
  again$on_fit_begin()
  again$load_state_dict(state)
  expect_identical(again$scheduler$last_epoch, 21L)

  # A warm-up in front of 1cycle: the generator builds both parts on luz's optimizer.
  warm_one_cycle <- function(optimizer, warmup_steps, ...) {
    lr_warmup(optimizer, lr_one_cycle(optimizer, ...), warmup_steps = warmup_steps)
  }
  callback <- LuzLrSchedulerCallback$new(warm_one_cycle, warmup_steps = 4, max_lr = 0.01,
                                         total_steps = 17, pct_start = 0,
                                         call_on = "on_batch_end")
  optimizer <- sgd()
  lrs <- luz_fit(callback, optimizer, epochs = 3, batches = 7)
  first <- one_cycle_schedule(0, max_lr = 0.01, total_steps = 17, pct_start = 0)$lr
  expect_identical(lrs[1:4], first * c(0, 1, 2, 3) / 4)
  expect_identical(lrs[5:21], one_cycle_schedule(max_lr = 0.01, total_steps = 17,
                                                 pct_start = 0)$lr)
  state <- callback$state_dict()
  again <- LuzLrSchedulerCallback$new(warm_one_cycle, warmup_steps = 4, max_lr = 0.01,
                                      total_steps = 17, pct_start = 0, call_on = "on_batch_end")
  again$ctx <- list(optimizers = list(opt = sgd()))
  again$on_fit_begin()
  again$load_state_dict(state)
  expect_identical(again$scheduler$get_last_lr(), callback$scheduler$get_last_lr())
})
