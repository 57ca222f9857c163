"""Joins and CyclicLR against their references, measured side by side in one process.

    .venv/bin/python benchmarks/bench_compose.py [--rounds N] [--wide-steps N]

Targets (issue 11):

- a 3-part ``join_schedules`` (linear warm-up, 1cycle, CyclicLR) evaluated over 1e6
  steps costs <= 1.5x evaluating the three parts alone over their own local steps (the
  same steps, the same values: the join's overhead is finding each step's part and
  assembling the arrays);
- ``CyclicLR.step()`` costs <= 0.3x torch 2.13's ``CyclicLR.step()``, at 1 group and at
  100 groups, on ``torch.optim.SGD`` with momentum cycled, in a long run.

Rules: the same work on both sides (same settings, same values — checked bitwise before
timing), the garbage collector on, long runs (1e6 steps; the 100-group step run defaults
to 2e5 steps, 2e7 group updates, to keep torch's side near a minute), the two sides
alternating block by block in this one process, medians over the blocks with their
spread (min..max), and the target with PASS or MISS printed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch.optim.lr_scheduler import CyclicLR as TorchCyclicLR

from lr_one_cycle import CyclicLR, join_schedules
from lr_one_cycle.schedules import CyclicSchedule, OneCycleSchedule, RampSchedule

warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()" warning


def verdict(ratio: float, target: float) -> str:
    return f"(target <= {target}) {'PASS' if ratio <= target else 'MISS'}"


def summary(times: list[float], scale: float, unit: str) -> str:
    scaled = [t * scale for t in times]
    return (
        f"median {statistics.median(scaled):8.3f} {unit} "
        f"[{min(scaled):.3f} .. {max(scaled):.3f}]"
    )


def alternate(a: Callable[[], object], b: Callable[[], object], rounds: int) -> tuple[list, list]:
    """Time ``a`` and ``b`` in turns (the order swapped every round), GC on."""
    assert gc.isenabled()
    times_a: list[float] = []
    times_b: list[float] = []
    for r in range(rounds):
        for name in ("ab" if r % 2 == 0 else "ba"):
            function, out = (a, times_a) if name == "a" else (b, times_b)
            start = time.perf_counter()
            function()
            out.append(time.perf_counter() - start)
    return times_a, times_b


# --------------------------------------------------------------------------- the join


def bench_join(rounds: int, total: int = 1_000_000) -> None:
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

        together = whole().lr
        assert together.tolist() == np.concatenate([v.lr for v in alone()]).tolist()
        t_join, t_parts = alternate(whole, alone, rounds)
        ratio = statistics.median(t_join) / statistics.median(t_parts)
        print(f"  exact={exact!s:<5} join   {summary(t_join, 1e3, 'ms')}")
        print(f"  {'':11} parts  {summary(t_parts, 1e3, 'ms')}")
        print(f"  {'':11} ratio join / parts {ratio:.3f} {verdict(ratio, 1.5)}")


# --------------------------------------------------------------------------- step()


def optimizer(n_groups: int) -> torch.optim.SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(n_groups)]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def bench_step(n_groups: int, total: int, blocks: int) -> None:
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

    t_ours, t_torch = alternate(run(ours), run(theirs), blocks)
    ratio = statistics.median(t_ours) / statistics.median(t_torch)
    per_step = 1e6 / block
    print(f"  {n_groups:>3} group(s), {total:,} steps each, {blocks} blocks")
    print(f"      torch {summary(t_torch, per_step, 'us/step')}")
    print(f"      ours  {summary(t_ours, per_step, 'us/step')}")
    print(f"      ratio ours / torch {ratio:.3f} {verdict(ratio, 0.3)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds per side (join)")
    parser.add_argument("--steps", type=float, default=1e6, help="steps, 1-group step() run")
    parser.add_argument(
        "--wide-steps", type=float, default=2e5, help="steps, 100-group step() run"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("join_schedules: 3 parts (warm-up ramp, 1cycle, CyclicLR), 1e6 steps, one group")
    bench_join(args.rounds)
    print("CyclicLR.step() against torch's, SGD with momentum cycled, GC on")
    bench_step(1, int(args.steps), 20)
    bench_step(100, int(args.wide_steps), 20)


if __name__ == "__main__":
    main()
