"""The value window every scheduler steps through (see :mod:`lr_one_cycle.scheduler`)."""

from __future__ import annotations

import numpy as np

from .schedules import Schedule


class ValueWindow:
    """The exact values of consecutive steps of ``schedule``, read a window at a time.

    Kept as flat lists of floats (one list per column, whatever the window's length), so
    that nothing the garbage collector tracks lives per step. Windows start at 16 steps
    and double up to ``32768 // n_groups``; a fractional position is computed alone.
    """

    __slots__ = ("_lr", "_momentum", "_n", "_size", "_max", "_start", "_len", "schedule", "last")

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        #: ``schedule.last_step``, read once: ``step()`` checks it every call.
        self.last = schedule.last_step
        self._n = schedule.n_groups
        self._max = max(16, 32768 // self._n)
        self._size = 16
        self._start = 0
        self._len = 0
        self._lr: list[float] = []
        self._momentum: list[float] | None = None

    def at(self, position: int | float) -> tuple[list[float], list[float] | None]:
        """``(lrs, momentums)`` at a checked position, one value a group (new lists)."""
        if type(position) is not int:
            return self.schedule.at(position)
        offset = position - self._start
        if not 0 <= offset < self._len:
            self._fill(position)
            offset = 0
        n = self._n
        i = offset * n
        momentum = self._momentum
        return self._lr[i : i + n], None if momentum is None else momentum[i : i + n]

    def _fill(self, start: int) -> None:
        stop = start + self._size
        last = self.last
        if last is not None:
            stop = min(stop, last + 1)
        lr, momentum = self.schedule.values(np.arange(start, stop, dtype=np.int64), exact=True)
        self._lr = lr.ravel().tolist()
        self._momentum = None if momentum is None else momentum.ravel().tolist()
        self._start = start
        self._len = stop - start
        self._size = min(2 * self._size, self._max)
