"""ignite's cyclical schedules: ``simulate_values`` and the array API against
pytorch-ignite 0.5.5, by the rules of README.md.

    .venv/bin/python benchmarks/bench_cosine.py [--events 1e5] [--rounds 9]

For each case, every result is first checked against ignite's (the pairs equal, the
exact array bitwise equal to ignite's values); then, alternating in rounds, with the
collector on:

- ignite's ``simulate_values`` (it steps a scheduler over a fake optimizer);
- ours (``CosineAnnealingScheduler.simulate_values`` and the linear one);
- the floor of ignite's format: the list of ``[event, value]`` pairs built from values
  precomputed in an array (the floats and the lists of the format made, the collector
  paused as ours pauses it: building 1e5 small lists sets off the cyclic collector again
  and again); for scale, the same from Python floats made beforehand, and (apart from
  the rounds) with the collector running;
- the array API: ``cosine_annealing_schedule`` / ``linear_cyclical_schedule`` at its
  default (``numpy.cos``) and with ``exact=True`` (``math.cos`` per value, ignite's bits).

Targets (issue 14): ``simulate_values`` <= 1.3x the floor in every case; the array API
>= 100x faster than ignite's ``simulate_values`` in every case.
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable
from typing import Any

import numpy as np
from _harness import Report, Stats, alternate
from ignite.handlers import param_scheduler as ignite

import lr_one_cycle

CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "cosine, cycle_size=1000",
        "CosineAnnealingScheduler",
        dict(param_name="lr", start_value=1e-1, end_value=1e-4, cycle_size=1000),
    ),
    (
        "cosine, growing cycles, warm-up, multipliers",
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
    (
        "linear, growing cycles, multipliers",
        "LinearCyclicalScheduler",
        dict(
            param_name="lr",
            start_value=1e-3,
            end_value=1e-1,
            cycle_size=50,
            cycle_mult=2.0,
            start_value_mult=0.8,
            end_value_mult=0.9,
        ),
    ),
]


def pairs_floor(values: Any, paused: bool = True) -> Callable[[], list[list[Any]]]:
    """ignite's list of ``[event, value]`` from precomputed values: a numpy array (its
    floats made as the list is built: the format's floor, what any implementation
    pays) or Python floats (made beforehand, for scale). Built the fastest way we
    know, the one ``simulate_values`` uses."""

    def build() -> list[list[Any]]:
        floats = values.tolist() if isinstance(values, np.ndarray) else values
        if not paused:
            return list(map(list, zip(range(len(floats)), floats)))
        gc.disable()
        try:
            return list(map(list, zip(range(len(floats)), floats)))
        finally:
            gc.enable()

    return build


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=float, default=1e5)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    count = int(args.events)
    report = Report("cosine", "ignite's cyclical schedules (bench_cosine.py)")
    events = np.arange(count)
    for title, name, kwargs in CASES:
        report.section(f"{title}: {count:,} events")
        theirs_cls, ours_cls = getattr(ignite, name), getattr(lr_one_cycle, name)
        array = (
            lr_one_cycle.cosine_annealing_schedule
            if name == "CosineAnnealingScheduler"
            else lr_one_cycle.linear_cyclical_schedule
        )
        settings = {k: x for k, x in kwargs.items() if k != "param_name"}
        expected = theirs_cls.simulate_values(count, **kwargs)
        if ours_cls.simulate_values(count, **kwargs) != expected:
            raise AssertionError(f"{title}: simulate_values differs from ignite's")
        if array(events, exact=True, **settings).tolist() != [x for _, x in expected]:
            raise AssertionError(f"{title}: the exact array differs from ignite's values")
        values = [x for _, x in expected]
        sides = {
            "ignite simulate_values": lambda c=theirs_cls, k=kwargs: c.simulate_values(count, **k),
            "ours simulate_values": lambda c=ours_cls, k=kwargs: c.simulate_values(count, **k),
            "floor: pairs from an array": pairs_floor(np.array(values)),
            "pairs from Python floats": pairs_floor(values),
            "array API (numpy.cos)": lambda f=array, k=settings: f(events, **k),
            "array API, exact=True": lambda f=array, k=settings: f(events, exact=True, **k),
        }
        times = alternate(sides, args.rounds)
        for side, t in times.items():
            report.measure(f"{title} | {side}", Stats.of(t, "ms", 1e3), side)
        # For scale only, outside the rounds: the garbage it leaves and the collections
        # it sets off would weigh on whatever ran after it.
        running = alternate({"pairs, collector running": pairs_floor(values, paused=False)}, 3)
        report.measure(f"{title} | pairs from Python floats, collector running",
                       Stats.of(running["pairs, collector running"], "ms", 1e3),
                       "pairs from Python floats, collector running (3 runs, apart)")
        report.ratio_target(
            f"{title}: simulate_values / floor", times["ours simulate_values"],
            times["floor: pairs from an array"], 1.3,
        )
        report.ratio_target(
            f"{title}: ignite simulate_values / array API", times["ignite simulate_values"],
            times["array API (numpy.cos)"], 100, op=">=",
        )
        exact_speedup = np.median(times["ignite simulate_values"]) / np.median(
            times["array API, exact=True"]
        )
        print(f"   (exact=True array: {exact_speedup:.0f}x faster than ignite)")
    report.write()


if __name__ == "__main__":
    main()
