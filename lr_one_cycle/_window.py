"""The value window every scheduler steps through (see :mod:`lr_one_cycle.scheduler`)."""

from __future__ import annotations

import numpy as np

from . import _validate as v
from .schedules import Schedule


class ValueWindow:
    """The exact values of consecutive steps of ``schedule``, read a window at a time.

    Kept as flat lists of floats (one list per column, whatever the window's length), so
    that nothing the garbage collector tracks lives per step: step ``start + k`` holds
    ``lr[k * n_groups : (k + 1) * n_groups]`` (and the same slice of ``momentum``) for
    ``start <= start + k < stop`` (``Scheduler.step`` reads them there itself). Windows start at 16
    steps and double up to ``32768 // n_groups``; a fractional position is computed alone.
    """

    __slots__ = ("lr", "momentum", "n_groups", "start", "stop", "_next", "_max", "schedule", "last")

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        #: ``schedule.last_step``, read once: ``step()`` checks it every call.
        self.last = schedule.last_step
        self.n_groups = schedule.n_groups
        self._max = max(16, 32768 // self.n_groups)
        self._next = 16  # the size of the next window
        self.start = 0
        self.stop = 0
        self.lr: list[float] = []
        self.momentum: list[float] | None = None

    def at(self, position: int | float) -> tuple[list[float], list[float] | None]:
        """``(lrs, momentums)`` at a checked position, one value a group (new lists)."""
        if type(position) is not int:
            return self.schedule.at(position)
        if not self.start <= position < self.stop:
            self._fill(position)
        offset = position - self.start
        n = self.n_groups
        i = offset * n
        momentum = self.momentum
        return self.lr[i : i + n], None if momentum is None else momentum[i : i + n]

    def _fill(self, start: int) -> None:
        stop = start + self._next
        last = self.last
        # Steps beyond 2**53 are refused (as check_step refuses them): never list one.
        stop = min(stop, (v.MAX_COUNT if last is None else last) + 1)
        lr, momentum = self.schedule.values(np.arange(start, stop, dtype=np.int64), exact=True)
        self.lr = lr.ravel().tolist()
        self.momentum = None if momentum is None else momentum.ravel().tolist()
        self.start = start
        self.stop = stop
        self._next = min(2 * self._next, self._max)
