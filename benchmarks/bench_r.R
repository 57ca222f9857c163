# $step() cost from R, for both kinds of optimizer, against torch's own OneCycleLR
# stepped from R through reticulate, measured side by side in this run.
# Run by benchmarks/bench_r.py (or: make bench), which reads the times this script
# writes and reports them.
#
# Like for like: every side is a scheduler over the same optimizer kind and groups,
# writing the same values (checked first, below),
# stepped by calling its step method, fetched once before the loop (a training loop
# that caches `step <- scheduler$step` pays no `$` lookup per step; reticulate's `$` on
# a Python object costs more than a whole step). The collectors stay on (R's and
# Python's); each round times long runs of every case, in an order that alternates
# between rounds; bench_r.py gives medians over the rounds with their range, and ratios
# taken within each round.
#
# Targets (issue 13): a Python torch optimizer's $step() at most 0.5x torch's
# OneCycleLR; an optimizer that lives in R at most 5 us per step with 1 group and
# 8 us with 4.
suppressPackageStartupMessages(library(lronecycle))
torch <- reticulate::import("torch")

steps <- as.integer(Sys.getenv("BENCH_STEPS", "20000"))
rounds <- as.integer(Sys.getenv("BENCH_ROUNDS", "7"))

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

# torch warns when its scheduler steps before the optimizer has: silence the warning
# once, outside the timed loop (the warning filter is not part of the step cost).
warnings <- reticulate::import("warnings")
warnings$filterwarnings("ignore", message = ".*lr_scheduler.step\\(\\).*")

# The same work on every side: before anything is timed, the three kinds of scheduler
# write the same lr and momentum into every group for the first 200 steps.
applied <- function(optimizer) {
  groups <- optimizer$param_groups
  unlist(lapply(seq_along(groups), function(g) c(groups[[g]]$lr, groups[[g]]$momentum)))
}
for (n in c(1L, 4L)) {
  optimizers <- list(torch = python_optimizer(n), python = python_optimizer(n),
                     r = r_optimizer(n))
  schedulers <- list(
    torch = torch$optim$lr_scheduler$OneCycleLR(optimizers$torch, max_lr = 0.01,
                                                total_steps = steps + 1L),
    python = lr_one_cycle(optimizers$python, max_lr = 0.01, total_steps = steps + 1L),
    r = lr_one_cycle(optimizers$r, max_lr = 0.01, total_steps = steps + 1L)
  )
  for (k in 1:200) {
    seen <- lapply(optimizers, applied)
    if (!identical(seen$torch, seen$python) || !identical(seen$torch, seen$r)) {
      stop(sprintf("the schedulers differ at step %d with %d group(s)", k - 1L, n))
    }
    for (scheduler in schedulers) scheduler$step()
  }
}

# Each case builds a fresh scheduler whose run is longer than the timed loop.
cases <- list()
for (n_groups in c(1L, 4L)) {
  local({
    n <- n_groups
    cases[[sprintf("torch OneCycleLR, Python optimizer, %d group(s)", n)]] <<- function() {
      torch$optim$lr_scheduler$OneCycleLR(python_optimizer(n), max_lr = 0.01,
                                          total_steps = steps + 1L)$step
    }
    cases[[sprintf("lr_one_cycle, Python optimizer, %d group(s)", n)]] <<- function() {
      lr_one_cycle(python_optimizer(n), max_lr = 0.01, total_steps = steps + 1L)$step
    }
    cases[[sprintf("lr_one_cycle, R optimizer, %d group(s)", n)]] <<- function() {
      lr_one_cycle(r_optimizer(n), max_lr = 0.01, total_steps = steps + 1L)$step
    }
  })
}

# Microseconds per call of `step`, over `steps` calls, collectors on: wall clock, and
# the process's CPU time (user + system), which another load on a shared machine does
# not inflate.
time_steps <- function(step) {
  used <- system.time(for (i in seq_len(steps)) step(), gcFirst = FALSE)
  c(wall = used[["elapsed"]], cpu = used[["user.self"]] + used[["sys.self"]]) / steps * 1e6
}

wall <- cpu <- matrix(NA_real_, nrow = rounds, ncol = length(cases),
                      dimnames = list(NULL, names(cases)))
for (round in seq_len(rounds)) {
  order <- if (round %% 2L == 1L) seq_along(cases) else rev(seq_along(cases))
  for (i in order) {
    used <- time_steps(cases[[i]]())
    wall[round, i] <- used[["wall"]]
    cpu[round, i] <- used[["cpu"]]
  }
}

# The times go to bench_r.py, which prints the table and the targets and writes the JSON
# (benchmarks/_harness.py): one row per round and case, microseconds per step.
out <- Sys.getenv("BENCH_R_OUT")
rows <- do.call(rbind, lapply(names(cases), function(name) {
  data.frame(round = seq_len(rounds), case = name, cpu = cpu[, name], wall = wall[, name])
}))
if (nzchar(out)) utils::write.csv(rows, out, row.names = FALSE) else print(rows)
