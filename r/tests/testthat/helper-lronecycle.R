# The package needs the Python package lr_one_cycle (RETICULATE_PYTHON); without it
# the tests are skipped rather than failed, as in the keras/tensorflow R packages.
skip_if_no_python <- function() {
  if (!python_available()) {
    skip("Python package lr_one_cycle not available (set RETICULATE_PYTHON)")
  }
}

# The Python package and the R bridge, for references computed in Python.
py_package <- function(convert = TRUE) reticulate::import("lr_one_cycle", convert = convert)
py_bridge <- function() reticulate::import("lr_one_cycle.integrations.r_bridge")

skip_if_no_torch <- function() {
  skip_if_no_python()
  if (!reticulate::py_module_available("torch")) skip("Python torch not available")
}

# An optimizer shaped like R torch's optim_sgd()/optim_adam(): an R6 object whose
# param_groups is a list of lists (with a stand-in for the parameters).
FakeOptimizer <- R6::R6Class("fake_optimizer", public = list(
  param_groups = NULL,
  defaults = NULL,
  initialize = function(lrs, momentum = NULL, betas = NULL) {
    extra <- if (!is.null(betas)) list(betas = betas) else list(momentum = momentum)
    self$param_groups <- lapply(lrs, function(lr) c(list(params = list("w"), lr = lr), extra))
    self$defaults <- c(list(lr = lrs[[1]]), extra)
  }
))

sgd <- function(lrs = 0.1, momentum = 0.9) FakeOptimizer$new(lrs, momentum = momentum)
adam <- function(lrs = 0.001, betas = c(0.9, 0.999)) FakeOptimizer$new(lrs, betas = betas)

group_values <- function(optimizer, key = "momentum") {
  groups <- optimizer$param_groups
  list(
    lr = vapply(groups, function(g) g$lr, numeric(1)),
    momentum = vapply(groups, function(g) {
      if (key == "betas") g$betas[[1]] else g$momentum
    }, numeric(1))
  )
}

# Python's own scheduler on a plain Python optimizer with the same groups: the
# reference every R value must equal bit for bit.
python_reference <- function(lrs, key, steps, ...) {
  extra <- if (key == "betas") list(betas = c(0.9, 0.999)) else list(momentum = 0.9)
  groups <- lapply(lrs, function(lr) c(list(lr = lr), extra))
  optimizer <- py_bridge()$ROptimizer(groups, extra)
  scheduler <- py_package()$OneCycleLR(optimizer, ...)
  rows <- vector("list", steps + 1L)
  for (k in 0:steps) {
    if (k > 0) scheduler$step()
    rows[[k + 1L]] <- group_values(optimizer, key)
  }
  rows
}

r_run <- function(optimizer, scheduler, steps, key = "momentum") {
  rows <- vector("list", steps + 1L)
  rows[[1]] <- group_values(optimizer, key)
  for (k in seq_len(steps)) {
    scheduler$step()
    rows[[k + 1L]] <- group_values(optimizer, key)
  }
  rows
}

# What a Python scheduler writes into a plain Python optimizer with the same groups, at
# steps 0..steps: `make(core, optimizer)` builds it (and its parts) with the Python
# package `core`. The reference every R value must equal bit for bit.
python_rows <- function(make, lrs, steps, key = "momentum") {
  extra <- if (key == "betas") list(betas = c(0.9, 0.999)) else list(momentum = 0.9)
  groups <- lapply(lrs, function(lr) c(list(lr = lr), extra))
  optimizer <- py_bridge()$ROptimizer(groups, extra)
  scheduler <- make(py_package(), optimizer)
  rows <- vector("list", steps + 1L)
  for (k in 0:steps) {
    if (k > 0) scheduler$step()
    rows[[k + 1L]] <- group_values(optimizer, key)
  }
  rows
}

# The message of the lronecycle_error `expr` raises ("no error" when it does not).
refusal <- function(expr) {
  tryCatch({
    expr
    "no error"
  }, lronecycle_error = function(e) conditionMessage(e))
}
