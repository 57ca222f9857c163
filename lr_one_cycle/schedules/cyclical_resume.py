"""Elastic resume of ignite's cyclical schedules
(:meth:`lr_one_cycle.schedules.cyclical.CyclicalSchedule.resumed`).

The cycles never end, so a run of another length has no "rest of the run" to fit: what
changes is the length of the cycles (in events), given as the new first cycle
(``cycle_size``, with ``cycle_mult`` growth as before). The resumed schedule is the one
the new run builds, entered at the same point of the cycle: the same cycle index (so
the same value multipliers) and the same fraction of the same phase. Events are whole,
so the event is the nearest one, within half an event's change.
"""

from __future__ import annotations

import math

import numpy as np

from .cyclical import CyclicalSchedule, cycle_layout, cycle_positions


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def cycle_bounds(cycle: int, settings: CyclicalSchedule) -> tuple[int, int, int]:
    """``(first event, size, warm-up)`` of cycle ``cycle`` (see :func:`cycle_layout`)."""
    limit = 1
    while True:
        starts, sizes, warmups = cycle_layout(
            settings.cycle_size, settings.warmup_duration, settings.cycle_mult, limit
        )
        size, warm = int(sizes[-1]), int(warmups[-1])
        settled = (int(size * settings.cycle_mult), int(warm * settings.cycle_mult)) == (
            size,
            warm,
        )
        if cycle < starts.size or settled:
            break
        limit *= 2
    listed = min(cycle, starts.size - 1)  # past the listed cycles the last one repeats
    size, warm = int(sizes[listed]), int(warmups[listed])
    return int(starts[listed]) + (cycle - listed) * (size + warm), size, warm


def cyclical_resume_event(event: int, old: CyclicalSchedule, new: CyclicalSchedule) -> int:
    """The event of ``new``'s cycles at the same point of the cycle as ``event`` of ``old``'s.

    Inside the shape (``e < C_k``) the fraction ``e / C_k`` is kept; inside the warm-up
    (``C_k <= e``) the fraction ``(e - C_k) / W_k`` of it, which needs a warm-up in
    ``new`` as well. The nearest event is taken, never leaving the phase.
    """
    at = cycle_positions(np.array([event], dtype=np.int64), old)
    cycle, local = int(at.cycle[0]), int(at.local[0])
    size, warm = int(at.sizes[at.listed[0]]), int(at.warmups[at.listed[0]])
    start, new_size, new_warm = cycle_bounds(cycle, new)
    if local < size:
        return start + min(_round_half_up(local * new_size / size), new_size - 1)
    if new_warm == 0:
        raise ValueError(
            f"warmup_duration must be > 0 to resume inside a warm-up (event {event} is "
            f"{local - size} events into the warm-up of cycle {cycle}), got 0"
        )
    into = min(_round_half_up((local - size) * new_warm / warm), new_warm - 1)
    return start + new_size + into
