# $step() cost from R, for both kinds of optimizer, against torch's own OneCycleLR
# stepped from R through reticulate, measured side by side in this run.
# Run by benchmarks/bench_r.py (or: make bench).
#
# Like for like: every side is a scheduler over the same optimizer kind and groups,
# stepped by calling its step method, fetched once before the loop (a training loop
# that caches `step <- scheduler$step` pays no `$` lookup per step; reticulate's `$` on
# a Python object costs more than a whole step). The collectors stay on (R's and
# Python's); each round times long runs of every case, in an order that alternates
# between rounds; the table gives medians over the rounds with their range, and ratios
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

spread <- function(x, digits = 2) {
  sprintf("%.*f [%.*f, %.*f]", digits, stats::median(x), digits, min(x), digits, max(x))
}
verdict <- function(ok) if (ok) "PASS" else "MISS"

cat(sprintf("%d rounds of %d $step() calls per case, alternating order; collectors on.\n",
            rounds, steps))
cat("Microseconds per $step() from R, median [min, max] over rounds\n")
cat(sprintf("  %-50s %-24s %s\n", "", "CPU time", "wall clock"))
for (name in names(cases)) {
  cat(sprintf("  %-50s %-24s %s\n", name, spread(cpu[, name]), spread(wall[, name])))
}

cat("\nTargets (verdicts on CPU time; wall clock alongside)\n")
torch_case <- function(n) sprintf("torch OneCycleLR, Python optimizer, %d group(s)", n)
for (n in c(1L, 4L)) {
  ours <- sprintf("lr_one_cycle, Python optimizer, %d group(s)", n)
  ratio <- cpu[, ours] / cpu[, torch_case(n)] # within each round
  wall_ratio <- wall[, ours] / wall[, torch_case(n)]
  cat(sprintf("  Python optimizer, %d group(s): ours / torch = %s (target <= 0.5)  %s;  wall %s\n",
              n, spread(ratio), verdict(stats::median(ratio) <= 0.5), spread(wall_ratio)))
}
for (n in c(1L, 4L)) {
  target <- if (n == 1L) 5 else 8
  r_side <- sprintf("lr_one_cycle, R optimizer, %d group(s)", n)
  cat(sprintf("  R optimizer, %d group(s): %s us per step (target <= %g)  %s;  wall %s\n",
              n, spread(cpu[, r_side]), target, verdict(stats::median(cpu[, r_side]) <= target),
              spread(wall[, r_side])))
}
