"""Benchmarks of the 1cycle core and scheduler against torch 2.13's OneCycleLR, measured
side by side in one run; prints ratios (ours / torch's time, or torch's / ours speed-up).

    .venv/bin/python benchmarks/bench_one_cycle.py [--skip-compile]

Targets (issue 2): step() ratio <= 0.5 with 1 group and <= 0.25 with 100 groups; the whole
1e6-step schedule from one_cycle_schedule >= 50x faster than stepping torch's scheduler
through it; a compiled AdamW loop that compiles once where torch's recompiles.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import timeit
import warnings

import numpy as np
import torch
from torch.optim.lr_scheduler import OneCycleLR as TorchOneCycleLR

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from lr_one_cycle import OneCycleLR, one_cycle_schedule  # noqa: E402

warnings.simplefilter("ignore")


def per_step_seconds(cls, n_groups: int, number: int) -> float:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(n_groups)]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    scheduler = cls(opt, max_lr=0.01, total_steps=10 * number * 7)
    return min(timeit.repeat(scheduler.step, number=number, repeat=5)) / number


def bench_step() -> None:
    print("step() on torch.optim.SGD (best of 5)")
    for n_groups, number, target in ((1, 20_000, 0.5), (100, 1_000, 0.25)):
        theirs = per_step_seconds(TorchOneCycleLR, n_groups, number)
        ours = per_step_seconds(OneCycleLR, n_groups, number)
        ratio = ours / theirs
        print(
            f"  {n_groups:>3} group(s): torch {theirs * 1e6:8.2f} us  ours {ours * 1e6:8.2f} us  "
            f"ratio {ratio:.3f}  (target <= {target}) {'OK' if ratio <= target else 'MISSED'}"
        )


def bench_whole_schedule(total: int = 1_000_000) -> None:
    print(f"whole {total:,}-step schedule")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    torch_scheduler = TorchOneCycleLR(opt, max_lr=0.01, total_steps=total)
    start = time.perf_counter()
    for _ in range(total - 1):
        torch_scheduler.step()
    theirs = time.perf_counter() - start
    steps = np.arange(total)
    for exact in (False, True):
        ours = min(
            timeit.repeat(
                lambda e=exact: one_cycle_schedule(steps, max_lr=0.01, total_steps=total, exact=e),
                number=1,
                repeat=3,
            )
        )
        verdict = (
            f"(target >= 50x) {'OK' if theirs / ours >= 50 else 'MISSED'}"
            if not exact
            else "(bitwise path, no target)"
        )
        print(
            f"  torch stepping {theirs:6.2f} s  "
            f"one_cycle_schedule(exact={exact}) {ours * 1e3:7.1f} ms  "
            f"speed-up {theirs / ours:6.0f}x  {verdict}"
        )


def bench_compile(total: int = 30) -> None:
    from test_compile import compiled_run

    print(f"compiled AdamW step (inductor, tensor lr and betas), {total}-step cycle, cold cache")
    walls = {}
    for name, cls in (("torch OneCycleLR", TorchOneCycleLR), ("ours", OneCycleLR)):
        with tempfile.TemporaryDirectory() as cache:
            os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
            start = time.perf_counter()
            graphs, _ = compiled_run(cls, total)
            walls[name] = time.perf_counter() - start
        print(f"  {name:<17} graphs compiled {graphs:>2}   wall {walls[name]:6.1f} s")
    print(f"  wall ratio ours/torch {walls['ours'] / walls['torch OneCycleLR']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--skip-compile", action="store_true", help="skip the torch.compile benchmark"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    bench_step()
    bench_whole_schedule()
    if not args.skip_compile:
        bench_compile()


if __name__ == "__main__":
    main()
