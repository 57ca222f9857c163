"""simulate_values for 1e5 events: lr_one_cycle against pytorch-ignite 0.5.5, same run.

Prints each side's best time over a few repeats and the ratio (target: ours >= 50x
faster). Run: ``.venv/bin/python benchmarks/bench_cosine.py [num_events]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from ignite.handlers import param_scheduler as ignite

import lr_one_cycle

CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "cosine, cycle_size=1000",
        "CosineAnnealingScheduler",
        dict(param_name="lr", start_value=1e-1, end_value=1e-4, cycle_size=1000),
    ),
    (
        "cosine, cycle_mult=1.5, warm-up, multipliers",
        "CosineAnnealingScheduler",
        dict(
            param_name="lr",
            start_value=1e-1,
            end_value=1e-4,
            cycle_size=100,
            cycle_mult=1.5,
            start_value_mult=0.9,
            end_value_mult=0.5,
            warmup_duration=10,
        ),
    ),
    (
        "linear, cycle_size=200",
        "LinearCyclicalScheduler",
        dict(param_name="lr", start_value=1e-3, end_value=1e-1, cycle_size=200),
    ),
]


def best_time(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main(num_events: int = 100_000) -> None:
    print(f"simulate_values({num_events:,} events): ignite 0.5.5 vs lr_one_cycle (best times)")
    for title, name, kwargs in CASES:
        theirs_cls, ours_cls = getattr(ignite, name), getattr(lr_one_cycle, name)
        theirs = theirs_cls.simulate_values(num_events, **kwargs)
        ours = ours_cls.simulate_values(num_events, **kwargs)
        assert ours == theirs, f"{title}: values differ from ignite's"
        t_theirs = best_time(lambda c=theirs_cls, k=kwargs: c.simulate_values(num_events, **k), 2)
        t_ours = best_time(lambda c=ours_cls, k=kwargs: c.simulate_values(num_events, **k), 5)
        print(
            f"  {title:<46} ignite {t_theirs * 1e3:8.1f} ms   ours {t_ours * 1e3:6.1f} ms   "
            f"{t_theirs / t_ours:6.1f}x faster (bitwise equal)"
        )


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000)
