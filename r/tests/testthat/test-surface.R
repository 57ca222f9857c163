# The surface R torch's schedulers have, and luz's callback relies on.

test_that("every scheduler has R torch's classes, fields and methods", {
  skip_if_no_python()
  schedulers <- list(
    lr_one_cycle = lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = c(0.01, 0.1), total_steps = 20),
    lr_cosine_annealing_warm_restarts = lr_cosine_annealing_warm_restarts(sgd(), T_0 = 5),
    lr_cosine_annealing_scheduler = lr_cosine_annealing_scheduler(sgd(), "lr", 0.1, 0.01, 10),
    lr_linear_cyclical_scheduler = lr_linear_cyclical_scheduler(sgd(), "lr", 0.1, 0.01, 10)
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
