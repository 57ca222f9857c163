"""The schedules the demo compares, one entry each in :data:`SCHEDULES`.

Every entry builds, for an optimizer, a peak lr and a budget of ``steps`` updates,
something with a ``step()`` that the training loop calls after each ``optimizer.step()``
(the step convention of :mod:`lr_one_cycle`: building it applies step 0's values, the
``k``-th ``step()`` applies step ``k``). An entry may need a function that only newer
versions of ``lr_one_cycle`` have (``requires``); without it the entry is left out of the
default list and refused by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import lr_one_cycle


class Constant:
    """No schedule: the lr stays at the peak the optimizer was built with."""

    def step(self) -> None:
        pass


class Precomputed:
    """Writes ``lrs[k]`` into every parameter group at step ``k`` (step 0 on building):
    a pure schedule function of :mod:`lr_one_cycle` driving the optimizer."""

    def __init__(self, optimizer: Any, lrs: np.ndarray) -> None:
        self.optimizer = optimizer
        self.lrs = lrs.tolist()
        self.last_step = 0
        self._write()

    def _write(self) -> None:
        lr = self.lrs[self.last_step]
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self) -> None:
        self.last_step += 1
        self._write()


def _values(result: Any) -> np.ndarray:
    """The lr array of a pure schedule function (some return ``(lr, momentum)``)."""
    return np.asarray(result[0] if isinstance(result, tuple) else result, dtype=np.float64)


def _one_cycle(optimizer: Any, peak: float, steps: int) -> Any:
    return lr_one_cycle.OneCycleLR(optimizer, max_lr=peak, total_steps=steps)


def _constant(optimizer: Any, peak: float, steps: int) -> Any:
    return Constant()


def _cosine(optimizer: Any, peak: float, steps: int) -> Any:
    import torch

    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)


def restart_period(steps: int) -> int:
    """SGDR's first period for a budget: three cycles (``T_mult=2``) of ``T_0``,
    ``2 T_0`` and ``4 T_0`` steps cover the budget, the last ending on it or at most 6
    steps after, so every run finishes near the bottom of a cycle."""
    return math.ceil(steps / 7)


def _warm_restarts(optimizer: Any, peak: float, steps: int) -> Any:
    return lr_one_cycle.CosineAnnealingWarmRestarts(optimizer, T_0=restart_period(steps), T_mult=2)


def warmup_steps(steps: int) -> int:
    """5 % of the budget (at least one step) for the schedules with a linear warm-up."""
    return max(1, round(0.05 * steps))


def _warmup_cosine(optimizer: Any, peak: float, steps: int) -> Any:
    values = lr_one_cycle.warmup_cosine_schedule(
        np.arange(steps), peak_lr=peak, warmup_steps=warmup_steps(steps), total_steps=steps
    )
    return Precomputed(optimizer, _values(values))


def _wsd(optimizer: Any, peak: float, steps: int) -> Any:
    # The last 20 % decays (Hägele et al., arXiv 2405.18392, find ~20 % cool-down enough).
    warmup = warmup_steps(steps)
    decay = max(1, round(0.2 * steps))
    values = lr_one_cycle.warmup_stable_decay_schedule(
        np.arange(steps),
        peak_lr=peak,
        warmup_steps=warmup,
        stable_steps=steps - warmup - decay,
        decay_steps=decay,
    )
    return Precomputed(optimizer, _values(values))


@dataclass(frozen=True)
class Schedule:
    """One schedule of the comparison: its name (``--schedules``), a description for
    the report, how to build it, and the ``lr_one_cycle`` name it needs, if any."""

    name: str
    description: str
    build: Callable[[Any, float, int], Any]
    requires: str | None = None

    @property
    def available(self) -> bool:
        return self.requires is None or hasattr(lr_one_cycle, self.requires)


SCHEDULES: tuple[Schedule, ...] = (
    Schedule(
        "1cycle",
        "lr_one_cycle.OneCycleLR (max_lr = peak; its defaults: 30 % warm-up from peak / 25, "
        "cosine annealing to peak / 2.5e5, momentum cycled 0.95 -> 0.85 -> 0.95; the other "
        "schedules keep SGD's momentum at 0.9)",
        _one_cycle,
    ),
    Schedule("constant", "the peak lr throughout", _constant),
    Schedule("cosine", "torch.optim.lr_scheduler.CosineAnnealingLR(T_max = budget)", _cosine),
    Schedule(
        "warm-restarts",
        "lr_one_cycle.CosineAnnealingWarmRestarts (SGDR: T_0 = ceil(budget / 7), T_mult = 2)",
        _warm_restarts,
    ),
    Schedule(
        "warmup-cosine",
        "lr_one_cycle.warmup_cosine_schedule (linear warm-up over 5 % of the budget, "
        "then cosine to 0)",
        _warmup_cosine,
        requires="warmup_cosine_schedule",
    ),
    Schedule(
        "wsd",
        "lr_one_cycle.warmup_stable_decay_schedule (warm-up 5 %, stable, decay over the last 20 %)",
        _wsd,
        requires="warmup_stable_decay_schedule",
    ),
)
BY_NAME: dict[str, Schedule] = {s.name: s for s in SCHEDULES}


def default_schedules() -> list[str]:
    """Every schedule this ``lr_one_cycle`` can build, in :data:`SCHEDULES` order."""
    return [s.name for s in SCHEDULES if s.available]
