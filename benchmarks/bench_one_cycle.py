"""OneCycleLR and the 1cycle core against their references, by the rules of README.md.

    .venv/bin/python benchmarks/bench_one_cycle.py [--only step,schedule,constructor] [--quick]

Sections and targets (issue 14):

- ``step``: ``step()`` against torch 2.13's ``OneCycleLR.step()``, the collector on, in
  long runs (1e6 steps with 1 group; 5e4 steps, 5e6 group updates, with 100 groups)
  cut into blocks that alternate between the sides: SGD (momentum) and Adam (betas)
  <= 0.30x torch at 1 group, <= 0.12x (SGD) and <= 0.15x (Adam) at 100 groups; tensor
  lrs (``lr=torch.tensor(...)``) at 100 groups <= 0.25x. Short runs (2e4 steps) are
  shown beside them, and the full collections each side set off.
- ``schedule``: the whole schedule, 1e6 and 1e7 steps, ``one_cycle_schedule`` against
  a numpy closed form of the same formula written here (each phase on its own slice,
  in place; its values checked bitwise equal to ours first): <= 1.3x its time and
  <= 1.2x its peak memory; ``exact=True`` <= 3x its time.
- ``constructor``: ``OneCycleLR(total_steps=1e8)`` within 3x torch's constructor.

Graphs compiled over a cycle (``torch.compile``): ``bench_compiled.py``.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from _harness import Report, Stats, alternate, peak_bytes, ratios

warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()" warning


# --------------------------------------------------------------------------- step()


def optimizer(kind: str, n_groups: int, tensor_lr: bool) -> Any:
    import torch

    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(n_groups)]
    lr = torch.tensor(0.1) if tensor_lr else 0.1
    if kind == "SGD":
        return torch.optim.SGD(groups, lr=lr, momentum=0.9)
    return torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999))


def groups_state(opt: Any) -> list[tuple[Any, ...]]:
    key = "betas" if "betas" in opt.param_groups[0] else "momentum"
    return [(float(g["lr"]), g[key]) for g in opt.param_groups]


class Side:
    """One side of a step() comparison: its scheduler, stepped ``block`` steps a call,
    and the full collections (generation 2) that happened during its blocks."""

    def __init__(self, scheduler: Any, block: int) -> None:
        self.step = scheduler.step
        self.block = block
        self.full_collections = 0

    def __call__(self) -> None:
        step = self.step
        before = gc.get_stats()[2]["collections"]
        for _ in range(self.block):
            step()
        self.full_collections += gc.get_stats()[2]["collections"] - before


def bench_step(report: Report, quick: bool) -> None:
    import torch
    from torch.optim.lr_scheduler import OneCycleLR as TorchOneCycleLR

    from lr_one_cycle import OneCycleLR

    torch.set_num_threads(1)
    report.section(
        "step(): ours / torch OneCycleLR.step(), collector on, alternating blocks of one "
        "long run per side"
    )
    cases = [
        ("SGD", 1, False, 0.30, 1_000_000),
        ("Adam", 1, False, 0.30, 1_000_000),
        ("SGD", 100, False, 0.12, 50_000),
        ("Adam", 100, False, 0.15, 50_000),
        ("SGD", 100, True, 0.25, 50_000),
    ]
    blocks = 10
    for kind, n_groups, tensor_lr, limit, steps in cases:
        if quick:
            steps //= 10
        label = f"{kind}, {n_groups} group(s){', tensor lr' if tensor_lr else ''}"
        total = steps + 30_000  # never past the end (checks, short runs, long run)
        ours_opt, torch_opt = (optimizer(kind, n_groups, tensor_lr) for _ in range(2))
        ours = OneCycleLR(ours_opt, max_lr=0.01, total_steps=total)
        theirs = TorchOneCycleLR(torch_opt, max_lr=0.01, total_steps=total)
        for _ in range(500):  # the same work: the same values, bitwise, checked first
            ours.step()
            theirs.step()
        if groups_state(ours_opt) != groups_state(torch_opt):
            raise AssertionError(f"{label}: the two schedulers wrote different values")
        # Short runs: 2e3 steps a call, as a timeit loop would time them (collector on).
        short = {"ours": Side(ours, 2_000), "torch": Side(theirs, 2_000)}
        short_times = alternate(short, 10, warmup=False)
        long_sides = {"ours": Side(ours, steps // blocks), "torch": Side(theirs, steps // blocks)}
        times = alternate(long_sides, blocks, warmup=False)
        per_step = 1e6 / (steps // blocks)
        key = f"step {kind} {n_groups}g{' tensor' if tensor_lr else ''}"
        report.measure(
            f"{key} torch", Stats.of(times["torch"], "us/step", per_step),
            f"{label}: torch, {steps:,} steps",
            full_collections=long_sides["torch"].full_collections,
        )
        report.measure(
            f"{key} ours", Stats.of(times["ours"], "us/step", per_step),
            f"{label}: ours,  {steps:,} steps",
            full_collections=long_sides["ours"].full_collections,
        )
        short_ratio = statistics.median(short_times["ours"]) / statistics.median(
            short_times["torch"]
        )
        each = ratios(short_times["ours"], short_times["torch"])
        report.measure(
            f"{key} short-run ratio", Stats.of(each, "x"),
            f"{label}: short runs (2e3 steps x 10), ratio {short_ratio:.3f}",
        )
        print(
            f"   full collections during the long run: torch "
            f"{long_sides['torch'].full_collections}, ours {long_sides['ours'].full_collections}"
        )
        report.ratio_target(
            f"step() {label}, ours / torch", times["ours"], times["torch"], limit,
            what=f"{steps:,} steps, collector on, {blocks} alternating blocks",
        )


# --------------------------------------------------------------------------- whole schedule


def numpy_one_cycle(
    steps: np.ndarray,
    *,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """torch's OneCycleLR formula (two phases, cosine) in numpy for sorted ``steps``:
    each phase on its own slice, computed in place in the output arrays.

    Per phase from ``start`` to ``end``: ``pct = (step - start) / (end - start)``,
    ``x = cos(pi * pct) + 1``, ``value = e + (s - e) / 2 * x`` (torch's ``_annealing_cos``).
    """
    initial = max_lr / div_factor
    phases = [
        (float(pct_start * total_steps) - 1, initial, max_lr, max_momentum, base_momentum),
        (float(total_steps - 1), max_lr, initial / final_div_factor, base_momentum, max_momentum),
    ]
    lr = np.empty(steps.shape)
    momentum = np.empty(steps.shape)
    lo, start = 0, 0.0
    for i, (end, lr_start, lr_end, m_start, m_end) in enumerate(phases):
        last = i == len(phases) - 1
        hi = len(steps) if last else int(np.searchsorted(steps, end, side="right"))
        x = lr[lo:hi]
        x[...] = steps[lo:hi]
        if last:
            np.minimum(x, total_steps - 1, out=x)  # step T holds the value of T - 1
        x -= start
        x /= end - start
        x *= math.pi
        np.cos(x, out=x)
        x += 1
        m = momentum[lo:hi]
        np.multiply(x, (m_start - m_end) / 2.0, out=m)
        m += m_end
        x *= (lr_start - lr_end) / 2.0
        x += lr_end
        lo, start = hi, end
    return lr, momentum


def bench_schedule(report: Report, quick: bool) -> None:
    from lr_one_cycle import one_cycle_schedule

    report.section(
        "whole schedule: one_cycle_schedule(steps) against the numpy closed form "
        "(numpy_one_cycle, each phase on its own slice, in place)"
    )
    sizes = [(1_000_000, 7), (10_000_000, 3)]
    for total, rounds in sizes[:1] if quick else sizes:
        steps = np.arange(total)
        settings = {"max_lr": 0.01, "total_steps": total}

        def form(s: np.ndarray = steps, k: dict[str, Any] = settings) -> Any:
            return numpy_one_cycle(s, **k)

        def fast(s: np.ndarray = steps, k: dict[str, Any] = settings) -> Any:
            return one_cycle_schedule(s, **k)

        def exact(s: np.ndarray = steps, k: dict[str, Any] = settings) -> Any:
            return one_cycle_schedule(s, exact=True, **k)

        reference = form()
        for name, function in (("fast", fast), ("exact", exact)):
            got = function()
            for a, b in zip(got, reference, strict=True):
                if not np.array_equal(a, b):
                    raise AssertionError(f"{name} values differ from the numpy form at {total}")
        del reference, got
        times = alternate({"numpy form": form, "ours": fast, "ours exact": exact}, rounds)
        label = f"{total:.0e} steps"
        for name in times:
            report.measure(f"schedule {label} {name}", Stats.of(times[name], "ms", 1e3),
                           f"{label}: {name}")
        peaks = {name: peak_bytes(f) for name, f in
                 (("numpy form", form), ("ours", fast), ("ours exact", exact))}
        for name, value in peaks.items():
            report.measure(f"schedule {label} {name} peak", Stats.of([value], "MB", 1e-6),
                           f"{label}: {name}, peak memory")
        report.ratio_target(f"schedule {label}: time, ours / numpy form", times["ours"],
                            times["numpy form"], 1.3)
        report.target(f"schedule {label}: peak memory, ours / numpy form",
                      peaks["ours"] / peaks["numpy form"], 1.2)
        report.ratio_target(f"schedule {label}: time, exact=True / numpy form",
                            times["ours exact"], times["numpy form"], 3.0)


# --------------------------------------------------------------------------- constructor


def bench_constructor(report: Report, quick: bool) -> None:
    import torch
    from torch.optim.lr_scheduler import OneCycleLR as TorchOneCycleLR

    from lr_one_cycle import OneCycleLR

    report.section("constructor, total_steps=1e8, SGD with momentum, 1 group")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    count = 500 if quick else 2000

    def build(cls: Any) -> Callable[[], None]:
        def run() -> None:
            for _ in range(count):
                cls(opt, max_lr=0.01, total_steps=100_000_000)

        return run

    times = alternate({"ours": build(OneCycleLR), "torch": build(TorchOneCycleLR)}, 7)
    for name in times:
        report.measure(f"constructor 1e8 {name}", Stats.of(times[name], "us", 1e6 / count),
                       f"{name}, per constructor")
    report.ratio_target("constructor, total_steps=1e8, ours / torch", times["ours"],
                        times["torch"], 3.0)


# --------------------------------------------------------------------------- main

SECTIONS = {
    "step": bench_step,
    "schedule": bench_schedule,
    "constructor": bench_constructor,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="shorter runs, for a trial")
    args = parser.parse_args()
    report = Report("one_cycle", "OneCycleLR and the 1cycle core (bench_one_cycle.py)")
    for name in args.only.split(","):
        SECTIONS[name](report, args.quick)
    report.write()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
