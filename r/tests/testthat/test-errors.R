# Errors mean in R what they mean in Python, worded for R: the checks are Python's
# (structured: argument, value, what is accepted), the sentence is R's.

condition <- function(expr) {
  tryCatch({
    expr
    NULL
  }, lronecycle_error = function(e) e)
}

python_sentence <- function(...) {
  optimizer <- py_bridge()$ROptimizer(
    list(list(lr = 0.1, momentum = 0.9), list(lr = 0.2, momentum = 0.9)), NULL
  )
  tryCatch({
    py_package()$OneCycleLR(optimizer, ...)
    NULL
  }, error = function(e) reticulate::py_last_error()$value)
}

test_that("the messages of issue 13's table are R's", {
  skip_if_no_python()
  cases <- list(
    list(list(total_steps = NA), "total_steps must be a positive integer, got NA"),
    list(list(total_steps = TRUE), "total_steps must be a positive integer, got TRUE"),
    list(list(max_lr = list(.01, "a")),
         "max_lr[[2]] must be a finite number >= 0, got \"a\" (a character string)"),
    list(list(max_lr = list(.01, NA)), "max_lr[[2]] must be a finite number >= 0, got NA"),
    list(list(max_lr = c(1L, NA)), "max_lr[[2]] must be a finite number >= 0, got NA"),
    list(list(total_steps = c(10, 20)),
         "total_steps must be a positive integer, got c(10, 20) (length 2)")
  )
  for (case in cases) {
    optimizer <- sgd(c(0.1, 0.2))
    before <- optimizer$param_groups
    args <- utils::modifyList(list(optimizer, max_lr = 0.01, total_steps = 10), case[[1]])
    error <- condition(do.call(lr_one_cycle, args))
    expect_s3_class(error, "lronecycle_error")
    expect_identical(conditionMessage(error), case[[2]])
    expect_identical(optimizer$param_groups, before)
  }
})

test_that("the condition carries Python's type, the R argument and Python's sentence", {
  skip_if_no_python()
  error <- condition(lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = list(0.01, "a"), total_steps = 10))
  expect_identical(error$python_type, "TypeError")
  expect_identical(error$argument, "max_lr[[2]]")
  expect_identical(error$python_message,
                   python_sentence(max_lr = list(0.01, "a"), total_steps = 10))
  expect_identical(error$python_message, "max_lr[1] must be a finite number >= 0, got 'a' of type str")

  error <- condition(lr_one_cycle(sgd(), max_lr = 0.01, total_steps = 10.5))
  expect_identical(error$python_type, "ValueError")
  expect_identical(error$python_message, "total_steps must be a positive integer, got 10.5")
})

test_that("Python's other sentences use R's notation", {
  skip_if_no_python()
  # 1-based groups, $ for entries, TRUE/FALSE, `x = y`
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_one_cycle(optimizer, max_lr = 0.01, total_steps = 10)
  optimizer$param_groups[[3]] <- optimizer$param_groups[[2]]
  error <- condition(scheduler$step())
  expect_identical(conditionMessage(error), paste(
    "the optimizer has 3 parameter groups but the schedule was built for 2: build a new",
    "scheduler after optimizer$add_param_group() (or give the new group its own scheduler)"
  ))
  expect_identical(error$python_type, "ValueError")

  broken <- new.env()
  broken$param_groups <- list(list(lr = 0.1), list(lr = 0.1, betas = "x"))
  broken$defaults <- list(betas = c(0.9, 0.99))
  expect_identical(
    conditionMessage(condition(lr_one_cycle(broken, max_lr = 0.01, total_steps = 10))),
    "optimizer$param_groups[[1]] has no 'betas' entry to cycle"
  )
})

test_that("r_notation() rewrites Python's notation only", {
  expect_identical(
    r_notation("optimizer.param_groups[0]['initial_lr'] and param_groups[11], [0, 1]"),
    "optimizer$param_groups[[1]]$initial_lr and param_groups[[12]], [0, 1]"
  )
  expect_identical(r_notation("pass cycle_momentum=False, not None or True; a == b"),
                   "pass cycle_momentum = FALSE, not NULL or TRUE; a == b")
  expect_identical(r_notation("torch's Trueness"), "torch's Trueness")
  expect_identical(
    r_notation("schedulers[2] is schedulers[0]; state_dict['schedulers'][1]['max_lrs'][0]"),
    "schedulers[[3]] is schedulers[[1]]; state_dict$schedulers[[2]]$max_lrs[[1]]"
  )
  expect_identical(r_notation("a number in [0, 1] or [0.5, 1)"), "a number in [0, 1] or [0.5, 1)")
  # Values the sentence shows (after saved, here, got) in R's notation.
  expect_identical(
    r_notation("differ: max_lrs (saved [0.5, 1.0], here [0.01, nan]); milestones (saved [5], here ['x'])"),
    "differ: max_lrs (saved c(0.5, 1), here c(0.01, NA)); milestones (saved 5, here \"x\")"
  )
  expect_identical(r_notation("anneal_strategy (saved nan, here 'cos')"),
                   "anneal_strategy (saved NA, here \"cos\")")
  expect_identical(r_notation("a param_groups list of dicts; state_dict must be a dict"),
                   "a param_groups list of named lists; state_dict must be a named list")
  expect_identical(r_notation("OneCycleLR.resume_with() got an unexpected keyword argument 'foo'"),
                   "$resume_with(): unused argument (foo)")
  expect_identical(r_notation("steps must be ..., got an array of bool"),
                   "steps must be ..., got a logical vector")
})

test_that("a state of another schedule names what differs in R's notation", {
  skip_if_no_python()
  state <- lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = c(0.5, 0.5), total_steps = 10)$state_dict()
  scheduler <- lr_one_cycle(sgd(c(0.1, 0.2)), max_lr = c(0.01, 0.1), total_steps = 10)
  error <- condition(scheduler$load_state_dict(state))
  expect_s3_class(error, "lronecycle_error")
  expect_identical(conditionMessage(error), paste(
    "state_dict was saved for another schedule; these settings differ: max_lrs",
    "(saved c(0.5, 0.5), here c(0.01, 0.1))"
  ))
  error <- condition(scheduler$resume_with(foo = 1))
  expect_identical(conditionMessage(error), "$resume_with(): unused argument (foo)")
})

test_that("values are shown as R prints them", {
  expect_identical(r_show(NA), "NA")
  expect_identical(r_show(NULL), "NULL")
  expect_identical(r_show(TRUE), "TRUE")
  expect_identical(r_show(1e-4), "1e-04")
  expect_identical(r_show(10L), "10")
  expect_identical(r_show("a"), "\"a\"")
  expect_identical(r_show("a", type_error = TRUE), "\"a\" (a character string)")
  expect_identical(r_show(c(a = 1, b = 2)), "c(a = 1, b = 2) (length 2)")
  expect_identical(r_show(1:6), "c(1, 2, 3, 4, ...) (length 6)")
  expect_identical(r_show(list(1, "x", NULL)), "list(1, \"x\", NULL) (length 3)")
  expect_identical(r_show(character(0)), "character(0)")
  expect_identical(r_path(list("max_lr", 1L)), "max_lr[[2]]")
  expect_identical(r_path(list("state_dict['last_epoch']")), "state_dict$last_epoch")
})

test_that("state dicts and groups refused in R's words: the values as R holds them", {
  skip_if_no_python()
  optimizer <- sgd(c(0.1, 0.2))
  scheduler <- lr_one_cycle(optimizer, max_lr = c(0.01, 0.1), total_steps = 10)
  scheduler$step()
  before <- optimizer$param_groups
  bad_epoch <- scheduler$state_dict()
  bad_epoch$last_epoch <- NA
  cases <- list(
    list(NULL, "state_dict must be a named list, got NULL"),
    list("x", "state_dict must be a named list, got \"x\" (a character string)"),
    list(bad_epoch, "state_dict$last_epoch must be an integer >= 0, got NA")
  )
  for (case in cases) {
    err <- tryCatch(scheduler$load_state_dict(case[[1]]), error = function(e) e)
    expect_s3_class(err, "lronecycle_error")
    expect_identical(conditionMessage(err), case[[2]])
  }
  expect_identical(optimizer$param_groups, before)
  expect_identical(scheduler$last_epoch, 1L)
  # A path Python writes in its own notation is found among the R values.
  resumed <- new.env()
  resumed$param_groups <- list(list(lr = 0.1, initial_lr = NA))
  expect_error(lr_cosine_annealing_warm_restarts(resumed, T_0 = 3, last_epoch = 2),
               "optimizer$param_groups[[1]]$initial_lr must be a finite number, got NA",
               fixed = TRUE, class = "lronecycle_error")
  expect_identical(split_path(list("optimizer.param_groups[0]['initial_lr']")),
                   list("optimizer.param_groups", 0L, "initial_lr"))
  expect_identical(split_path(list("max_lr", 1L)), list("max_lr", 1L))
})
