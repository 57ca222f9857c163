"""simulate_values for 1e5 events: lr_one_cycle against pytorch-ignite 0.5.5, same run.

Prints, per case, each side's best time over a few repeats and two ratios (target:
>= 50x): ``simulate_values`` itself, which must build ignite's ``[[event, value], ...]``
(num_events Python lists: on a small machine that alone costs more than computing the
values), and the same values as one numpy array from the pure core
(``cosine_annealing_schedule`` / ``linear_cyclical_schedule`` with ``exact=True``).
Every result is checked bitwise against ignite's first.
Run: ``.venv/bin/python benchmarks/bench_cosine.py [num_events]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
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
    print(f"{num_events:,} events, best times; ignite 0.5.5 simulate_values vs lr_one_cycle")
    print(f"  {'case':<46} {'ignite':>9} {'simulate_values':>22} {'array (pure core)':>22}")
    events = np.arange(num_events)
    for title, name, kwargs in CASES:
        theirs_cls, ours_cls = getattr(ignite, name), getattr(lr_one_cycle, name)
        pure = (
            lr_one_cycle.cosine_annealing_schedule
            if name == "CosineAnnealingScheduler"
            else lr_one_cycle.linear_cyclical_schedule
        )
        settings = {k: val for k, val in kwargs.items() if k != "param_name"}
        expected = theirs_cls.simulate_values(num_events, **kwargs)
        assert ours_cls.simulate_values(num_events, **kwargs) == expected, title
        assert pure(events, exact=True, **settings).tolist() == [x for _, x in expected], title
        t_theirs = best_time(lambda c=theirs_cls, k=kwargs: c.simulate_values(num_events, **k), 3)
        t_ours = best_time(lambda c=ours_cls, k=kwargs: c.simulate_values(num_events, **k), 7)
        t_pure = best_time(lambda f=pure, k=settings: f(events, exact=True, **k), 7)
        print(
            f"  {title:<46} {t_theirs * 1e3:6.1f} ms "
            f"{t_ours * 1e3:7.1f} ms {t_theirs / t_ours:6.1f}x faster "
            f"{t_pure * 1e3:7.1f} ms {t_theirs / t_pure:6.1f}x faster"
        )


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000)
