"""Joins and CyclicLR against their references, measured side by side in one process.

    .venv/bin/python benchmarks/bench_compose.py [--rounds N] [--steps N] [--wide-steps N]

Targets (issue 11):

- a 3-part ``join_schedules`` (linear warm-up, 1cycle, CyclicLR) evaluated over 1e6
  steps costs <= 1.5x evaluating the three parts alone over their own local steps (the
  same steps, the same values: the join's overhead is finding each step's part and
  assembling the arrays);
- ``CyclicLR.step()`` costs <= 0.3x torch 2.13's ``CyclicLR.step()``, at 1 group and at
  100 groups, on ``torch.optim.SGD`` with momentum cycled, in a long run.

Rules (README.md): the same work on both sides (same settings, same values — checked
bitwise before timing), the garbage collector on, long runs (1e6 steps; the 100-group
step run defaults to 5e4 steps, 5e6 group updates, to keep ``make bench`` within its
budget), the two sides alternating block by block in this one process, medians over the
blocks with their spread (min..max), and the target with PASS or MISS printed.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable

import numpy as np
import torch
from _harness import Report, Stats, alternate
from torch.optim.lr_scheduler import CyclicLR as TorchCyclicLR

from lr_one_cycle import CyclicLR, join_schedules
from lr_one_cycle.schedules import CyclicSchedule, OneCycleSchedule, RampSchedule

warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()" warning


# --------------------------------------------------------------------------- the join


def bench_join(report: Report, rounds: int, total: int = 1_000_000) -> None:
    warm, cycle = total // 10, 6 * total // 10
    parts = [
        RampSchedule(start=0.0, end=0.004, steps=warm),
        OneCycleSchedule(max_lr=0.1, total_steps=cycle),
        CyclicSchedule(base_lr=0.001, max_lr=0.01, step_size_up=5000, mode="exp_range",
                       gamma=0.99999),
    ]
    boundaries = [warm, warm + cycle]
    joined = join_schedules(parts, boundaries)
    steps = np.arange(total)
    local = [np.arange(warm), np.arange(cycle), np.arange(total - warm - cycle)]

    for exact in (False, True):
        def whole(e: bool = exact) -> object:
            return joined.values(steps, exact=e)

        def alone(e: bool = exact) -> object:
            return [p.values(s, exact=e) for p, s in zip(parts, local)]

        together = whole().lr  # type: ignore[attr-defined]
        assert together.tolist() == np.concatenate([v.lr for v in alone()]).tolist()
        times = alternate({"join": whole, "parts": alone}, rounds)
        for name, t in times.items():
            report.measure(f"join exact={exact} {name}", Stats.of(t, "ms", 1e3),
                           f"exact={exact}: {name}")
        report.ratio_target(f"join_schedules (exact={exact}) / its parts alone",
                            times["join"], times["parts"], 1.5)


# --------------------------------------------------------------------------- step()


def optimizer(n_groups: int) -> torch.optim.SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(n_groups)]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def bench_step(report: Report, n_groups: int, total: int, blocks: int) -> None:
    kwargs = dict(base_lr=0.001, max_lr=0.01, step_size_up=2000, mode="triangular2")
    ours_opt, torch_opt = optimizer(n_groups), optimizer(n_groups)
    ours, theirs = CyclicLR(ours_opt, **kwargs), TorchCyclicLR(torch_opt, **kwargs)
    for _ in range(3000):  # the same values, bitwise, before anything is timed
        ours.step()
        theirs.step()
    assert [(g["lr"], g["momentum"]) for g in ours_opt.param_groups] == [
        (g["lr"], g["momentum"]) for g in torch_opt.param_groups
    ]
    block = total // blocks

    def run(scheduler: object) -> Callable[[], None]:
        step = scheduler.step  # type: ignore[attr-defined]

        def steps() -> None:
            for _ in range(block):
                step()

        return steps

    times = alternate({"ours": run(ours), "torch": run(theirs)}, blocks, warmup=False)
    per_step = 1e6 / block
    label = f"{n_groups} group(s), {total:,} steps"
    for name, t in times.items():
        report.measure(f"CyclicLR step {n_groups}g {name}", Stats.of(t, "us/step", per_step),
                       f"{label}: {name}")
    report.ratio_target(f"CyclicLR.step() {n_groups} group(s), ours / torch", times["ours"],
                        times["torch"], 0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per side (join)")
    parser.add_argument("--steps", type=float, default=1e6, help="steps, 1-group step() run")
    parser.add_argument(
        "--wide-steps", type=float, default=5e4, help="steps, 100-group step() run"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    report = Report("compose", "joins and CyclicLR (bench_compose.py)")
    report.section("join_schedules: 3 parts (warm-up ramp, 1cycle, CyclicLR), 1e6 steps")
    bench_join(report, args.rounds)
    report.section("CyclicLR.step() against torch's, SGD with momentum cycled, GC on")
    bench_step(report, 1, int(args.steps), 10)
    bench_step(report, 100, int(args.wide_steps), 10)
    report.write()


if __name__ == "__main__":
    main()
