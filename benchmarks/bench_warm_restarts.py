"""SGDR (CosineAnnealingWarmRestarts) at 1 000 parameter groups, by the rules of README.md.

    .venv/bin/python benchmarks/bench_warm_restarts.py [--groups 1000] [--steps 5000]

- the constructor, ours and torch 2.13's, alternating (the values of the first step
  checked equal first);
- the window refills: a scheduler reads its values a window at a time (16 steps, then
  doubling up to ``32768 // groups``: 32 steps at 1 000 groups), so every refill is one
  step that computes the next window. Each step of a long run is timed on its own (CPU
  time, collector on); the refill steps are listed apart from the others, with the
  full collections that fell inside them.

Targets (issue 14): the constructor <= 5 ms; no refill step over 2 ms.
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings

from _harness import Report, Stats, alternate

warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()" warning


def main() -> None:
    import torch
    from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts as TorchSGDR

    from lr_one_cycle import CosineAnnealingWarmRestarts

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    report = Report("warm_restarts", f"SGDR at {args.groups} groups (bench_warm_restarts.py)")
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(args.groups)]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9)

    report.section(f"constructor, T_0=100, SGD with {args.groups} groups")
    ours, theirs = CosineAnnealingWarmRestarts(opt, T_0=100), TorchSGDR(opt, T_0=100)
    if ours.get_last_lr() != theirs.get_last_lr():
        raise AssertionError("the two constructors applied different values")
    times = alternate(
        {"ours": lambda: CosineAnnealingWarmRestarts(opt, T_0=100),
         "torch": lambda: TorchSGDR(opt, T_0=100)},
        9,
    )
    for name, t in times.items():
        report.measure(f"constructor {name}", Stats.of(t, "ms", 1e3), f"constructor, {name}")
    median = Stats.of(times["ours"], "ms", 1e3)
    report.target("SGDR constructor at 1 000 groups, ours", median.median, 5.0, unit=" ms",
                  spread=(median.low, median.high))

    report.section(f"step() over {args.steps:,} steps, each timed alone (CPU time)")
    scheduler = CosineAnnealingWarmRestarts(opt, T_0=100)
    window = scheduler._window
    plain: list[float] = []
    refills: list[float] = []
    sizes: list[int] = []
    collected = 0
    clock = time.process_time
    for _ in range(args.steps):
        start = window.start
        before = gc.get_stats()[2]["collections"]
        t0 = clock()
        scheduler.step()
        spent = clock() - t0
        window = scheduler._window
        if window.start != start:
            refills.append(spent)
            sizes.append(window.stop - window.start)
            collected += gc.get_stats()[2]["collections"] - before
        else:
            plain.append(spent)
    report.measure("step, no refill", Stats.of(plain, "ms", 1e3), "step() without a refill")
    report.measure(
        "step, refill", Stats.of(refills, "ms", 1e3),
        f"step() that refills the window ({len(refills)} refills, windows of "
        f"{sorted(set(sizes))} steps, {collected} full collections inside)",
        window_sizes=sorted(set(sizes)),
    )
    report.target("SGDR longest refill step at 1 000 groups", max(refills) * 1e3, 2.0,
                  unit=" ms")
    report.write()


if __name__ == "__main__":
    main()
