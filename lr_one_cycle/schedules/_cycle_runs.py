"""ignite's cyclical values over runs of events, without per-event gathers.

:func:`lr_one_cycle.schedules.cyclical.cyclical_values` gathers each event's cycle
settings (size, warm-up, start and end values) into arrays as long as the events. Two
common cases need none of that (:func:`in_runs`): cycles all alike (one cycle's values,
repeated), and sorted events that span few cycles (a simulation, a window, a plot),
where each cycle is a contiguous run of events whose settings are plain numbers
(:func:`by_cycle`). Both perform the same operations in the same order, so they give
the same bits.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._protocol import FloatArray, IntArray
from .anneal import cos_in_place, sequential_products

if TYPE_CHECKING:
    from .cyclical import CyclicalSchedule


def in_runs(events: IntArray, settings: CyclicalSchedule, exact: bool) -> FloatArray | None:
    """The values at ``events`` by runs (none for no events), or None where runs do
    not pay."""
    from .cyclical import cycle_positions, cyclical_values

    if not events.size:
        return np.zeros(0)

    period = settings.period
    if period is not None and events.size > period:
        # Every cycle alike: one cycle's values, exactly as computed at those events,
        # read by each event's place in its cycle (consecutive events: the cycle
        # repeated, a copy rather than a gather).
        cycle = cyclical_values(np.arange(period, dtype=np.int64), settings, exact=exact)
        first = int(events[0])
        if int(events[-1]) - first == events.size - 1 and bool(np.all(events[1:] > events[:-1])):
            shift = first % period
            repeats = (shift + events.size) // period + 1
            return np.tile(cycle, repeats)[shift : shift + events.size]
        return np.take(cycle, events % period)
    if events.size > 1 and bool(np.all(events[1:] >= events[:-1])):
        ends = cycle_positions(events[[0, -1]], settings).cycle.tolist()
        if ends[1] - ends[0] < 16 + events.size // 4096:  # few cycles: one at a time
            return by_cycle(events, settings, ends[0], ends[1], exact)
    return None


def by_cycle(
    events: IntArray, settings: CyclicalSchedule, first: int, last: int, exact: bool
) -> FloatArray:
    """Values at sorted ``events`` whose cycles are ``first .. last`` (see the module
    docstring; :func:`~lr_one_cycle.schedules.cyclical.cyclical_values` has the
    formulas)."""
    from .cyclical import cycle_layout

    starts, sizes, warmups = cycle_layout(
        settings.cycle_size, settings.warmup_duration, settings.cycle_mult, int(events[-1])
    )
    s0, e0 = settings.start_value, settings.end_value
    start_values = sequential_products(s0, settings.start_value_mult, last + 2).tolist()
    end_values = sequential_products(e0, settings.end_value_mult, last + 1).tolist()
    out = np.empty(events.size)
    listed_last = starts.size - 1
    for k in range(first, last + 1):
        j = min(k, listed_last)  # past the listed cycles, the last one repeats
        size, warm = int(sizes[j]), int(warmups[j])
        begin = int(starts[j]) + (k - j) * (size + warm)
        lo, hi = np.searchsorted(events, [begin, begin + size + warm]).tolist()
        if hi == lo:
            continue
        local = events[lo:hi] - begin
        # e < C: the shape from S_k; e == C (a warm-up follows): the shape at its end,
        # from S_{k+1}; e > C: the warm-up. (searchsorted: local is sorted too.)
        shape_end, warm_start = np.searchsorted(local, [size, size + 1]).tolist()
        s, s_next, end = start_values[k], start_values[k + 1], end_values[k]
        if shape_end:
            out[lo : lo + shape_end] = _shape(local[:shape_end], size, s, end, settings, exact)
        if warm_start > shape_end:
            out[lo + shape_end : lo + warm_start] = _shape(
                local[shape_end:warm_start], size, s_next, end, settings, exact
            )
        if hi - lo > warm_start:
            x = (local[warm_start:] - size) / max(warm, 1)
            x *= s_next - end
            x += end
            out[lo + warm_start : hi] = x
    return out


def _shape(
    e: IntArray, size: int, s: float, end: float, settings: CyclicalSchedule, exact: bool
) -> FloatArray:
    """The cycle's shape at local events ``e`` (floats: ``s`` and ``end``)."""
    x = e / size
    if settings.shape == "cos":  # s + ((end - s) / 2) * (1 - cos(pi * (e / C)))
        x *= math.pi
        np.subtract(1, cos_in_place(x, exact), out=x)
        x *= (end - s) / 2
        x += s
    elif settings.shape == "linear":  # end + (s - end) * |e / C - 0.5| * 2
        x -= 0.5
        np.abs(x, out=x)
        x *= s - end
        x *= 2
        x += end
    else:  # monotonic: s + (end - s) * (e / C)
        x *= end - s
        x += s
    return x
