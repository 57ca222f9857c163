# $step() cost from R, for both kinds of optimizer, against calling torch's own
# OneCycleLR from R through reticulate, measured side by side in this run.
# Run by benchmarks/bench_r.py (or: make bench-r).
suppressPackageStartupMessages(library(lronecycle))
torch <- reticulate::import("torch")

steps <- as.integer(Sys.getenv("BENCH_STEPS", "20000"))
repeats <- 3L

r_optimizer <- function(n_groups) {
  optimizer <- new.env()
  optimizer$param_groups <- rep(list(list(lr = 0.1, momentum = 0.9)), n_groups)
  optimizer$defaults <- list(lr = 0.1, momentum = 0.9)
  optimizer
}
python_optimizer <- function(n_groups) {
  groups <- lapply(seq_len(n_groups), function(i) list(params = list(torch$zeros(1L))))
  torch$optim$SGD(groups, lr = 0.1, momentum = 0.9)
}

# Best of `repeats` runs of `steps` calls to $step(), in microseconds per call, written
# as a training loop writes it (for a Python object, `$` itself goes through reticulate).
per_step <- function(make_scheduler) {
  best <- Inf
  for (r in seq_len(repeats)) {
    scheduler <- make_scheduler()
    elapsed <- system.time(for (i in seq_len(steps - 1L)) scheduler$step())[["elapsed"]]
    best <- min(best, elapsed / (steps - 1L) * 1e6)
  }
  best
}

# torch warns when its scheduler steps before the optimizer has: silence the warning
# once, outside the timed loop (the warning filter is not part of the step cost).
warnings <- reticulate::import("warnings")
warnings$filterwarnings("ignore", message = ".*lr_scheduler.step\\(\\).*")

cat(sprintf("%d steps, best of %d; microseconds per $step() call from R\n", steps, repeats))
cat(sprintf("%-8s %12s %14s %14s %10s %10s\n", "groups", "torch (ref)",
            "R optimizer", "Py optimizer", "ref/R", "ref/Py"))
for (n_groups in c(1L, 4L)) {
  reference <- per_step(function() {
    torch$optim$lr_scheduler$OneCycleLR(python_optimizer(n_groups), max_lr = 0.01,
                                        total_steps = steps)
  })
  r_side <- per_step(function() lr_one_cycle(r_optimizer(n_groups), max_lr = 0.01,
                                             total_steps = steps))
  py_side <- per_step(function() lr_one_cycle(python_optimizer(n_groups), max_lr = 0.01,
                                              total_steps = steps))
  cat(sprintf("%-8d %12.1f %14.1f %14.1f %9.1fx %9.1fx\n", n_groups, reference, r_side,
              py_side, reference / r_side, reference / py_side))
}
