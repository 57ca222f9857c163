"""Ramps and constants: the pieces warm-ups and joins are made of.

A ramp goes from ``start`` to ``end`` over ``steps`` steps (step ``k`` at progress
``p = k / steps``) and holds ``end`` from step ``steps`` on. Each shape is written the way
its reference computes it, so that values agree with the reference bit for bit or within
a few ulp, including where the value approaches zero (the ``1 - p`` and ``1 + cos`` terms
round the same way as the reference's):

=========  ==========================================  ===================================
shape      rising (``start <= end``)                    falling (``start > end``)
=========  ==========================================  ===================================
linear     ``start + ((end - start) * k) / steps``     ``end + (start - end) * (1 - p)``
           (ignite's ``PiecewiseLinear``)              (transformers' linear decay)
cos        ``start + (end - start) * f``,               ``end + (start - end) * f``,
           ``f = 0.5 * (1 - cos(pi * p))``              ``f = 0.5 * (1 + cos(pi * p))``
1-sqrt     ``f = 1 - sqrt(1 - p)``                      ``f = 1 - sqrt(p)``
=========  ==========================================  ===================================

The cos and 1-sqrt shapes are those of transformers' ``get_wsd_schedule`` (warm-up and
decay) and ``get_cosine_with_min_lr_schedule_with_warmup``; step convention:
:mod:`lr_one_cycle.schedules._protocol`.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, Values
from .anneal import cos
from .resume import retime

RampShape = Literal["linear", "cos", "1-sqrt"]
RAMP_SHAPES: tuple[RampShape, ...] = ("linear", "cos", "1-sqrt")


def ramp_values(
    start: FloatArray,
    end: FloatArray,
    k: FloatArray,
    steps: int,
    shape: RampShape,
    *,
    exact: bool,
) -> FloatArray:
    """The ramp from ``start`` to ``end`` (per group, shape ``(G,)``) at local steps ``k``
    (shape ``(n,)``, ``0 <= k < steps``): shape ``(n, G)``, formulas in the module
    docstring. ``exact`` uses ``math.cos`` (the references') element by element."""
    k = np.asarray(k, np.float64)[:, None]
    rising = start <= end
    if shape == "linear":
        up = start + ((end - start) * k) / steps
        down = end + (start - end) * (1.0 - k / steps)
        return np.where(rising, up, down)
    p = k / steps
    if shape == "cos":
        c = cos(np.pi * p, exact)
        f_up, f_down = 0.5 * (1.0 - c), 0.5 * (1.0 + c)
    else:
        f_up, f_down = 1.0 - np.sqrt(1.0 - p), 1.0 - np.sqrt(p)
    return np.where(rising, start + (end - start) * f_up, end + (start - end) * f_down)


def check_lr(name: Any, value: object) -> float:
    return v.as_real(name, value, low=0.0)


@dataclass(frozen=True)
class RampSchedule(Schedule):
    """From ``start`` to ``end`` over ``steps`` steps, then ``end`` (one value or one per
    group each; ``n_groups_`` spreads scalars over that many groups).

    Valid steps ``0 .. steps`` (step ``steps`` holds ``end``, as step ``T`` of 1cycle holds
    its final value); the warm-up of :func:`lr_one_cycle.with_warmup` and the pieces of
    :func:`lr_one_cycle.warmup_cosine_schedule`. Formulas: :mod:`.ramp`.

    Raises ``ValueError`` / ``TypeError`` naming a bad setting.

    >>> RampSchedule(start=0.0, end=1.0, steps=4).values([0, 1, 2, 4]).lr[:, 0].tolist()
    [0.0, 0.25, 0.5, 1.0]
    """

    start: Any
    end: Any
    steps: Any
    shape: Any = "linear"
    n_groups_: InitVar[int | None] = None

    def __post_init__(self, n_groups_: int | None) -> None:
        n = n_groups_
        if n is None:
            lists = [v.as_sequence(k, x) for k, x in (("start", self.start), ("end", self.end))]
            n = next((len(x) for x in lists if x is not None), None)
        checked = {
            "start": v.per_group("start", self.start, n, check_lr),
            "end": v.per_group("end", self.end, n, check_lr),
            "steps": v.as_count("steps", self.steps),
            "shape": v.as_choice("shape", self.shape, RAMP_SHAPES),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_start", np.array(self.start, np.float64))
        object.__setattr__(self, "_end", np.array(self.end, np.float64))

    @property
    def n_groups(self) -> int:
        return len(self.start)

    @property
    def last_step(self) -> int:
        return self.steps  # type: ignore[no-any-return]

    def range_note(self) -> str:
        return f"steps={self.steps}"

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        end = self._end  # type: ignore[attr-defined]
        k = np.asarray(steps, np.float64)
        ramp = ramp_values(
            self._start, end, np.minimum(k, self.steps), self.steps, self.shape, exact=exact  # type: ignore[attr-defined]
        )
        return Values(np.where((k >= self.steps)[:, None], end, ramp), None)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Continue from ``step`` as a ramp of ``total_steps`` steps in all (elastic
        resume, :mod:`lr_one_cycle.schedules.resume`)."""
        return retime(self, (), self.steps, int(step), **changes)


@dataclass(frozen=True)
class ConstantSchedule(Schedule):
    """``lr`` at every step (one value or one per group): a flat tail or head of a join.

    >>> ConstantSchedule(lr=0.1).at(10**6)
    ([0.1], None)
    """

    lr: Any
    n_groups_: InitVar[int | None] = None

    def __post_init__(self, n_groups_: int | None) -> None:
        object.__setattr__(self, "lr", v.per_group("lr", self.lr, n_groups_, check_lr))

    @property
    def n_groups(self) -> int:
        return len(self.lr)

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        return Values(np.broadcast_to(np.array(self.lr), (len(steps), self.n_groups)).copy(), None)
