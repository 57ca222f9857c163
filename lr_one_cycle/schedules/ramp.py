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
:mod:`lr_one_cycle.schedules._protocol`. On torch tensors (:class:`RampOnTensors`) the
linear shape is bitwise equal to the exact path, the cos shape wherever torch's ``cos``
rounds like the C library's, the 1-sqrt shape wherever its ``sqrt`` is correctly rounded
(inductor's CPU code; eager CPU torch's is within 1 ulp): see the table in
:mod:`lr_one_cycle.schedules._protocol`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import InitVar, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, TorchEvaluator, Values
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
    :func:`lr_one_cycle.warmup_cosine_schedule`. Formulas: :mod:`.ramp`; step
    convention: :mod:`lr_one_cycle.schedules._protocol`.

    Args:
        start, end: the lr at step 0 and from step ``steps`` on (finite, >= 0), one
            value or one per group.
        steps: the ramp's length in steps (an integer >= 1).
        shape: ``"linear"``, ``"cos"`` or ``"1-sqrt"``.
        n_groups_: the number of parameter groups to spread scalars over.

    Raises:
        ValueError, TypeError: a bad setting, naming it.

    References:
        ignite's ``PiecewiseLinear``; transformers' ``optimization.py``
        (``get_wsd_schedule``, ``get_cosine_with_min_lr_schedule_with_warmup``).

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

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return RampOnTensors(self._start, self._end, self.steps, self.shape)  # type: ignore[attr-defined]

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Continue from ``step`` as a ramp of ``total_steps`` steps in all (elastic
        resume, :mod:`lr_one_cycle.schedules.resume`)."""
        return retime(self, (), self.steps, int(step), **changes)


@dataclass(frozen=True)
class ConstantSchedule(Schedule):
    """``lr`` at every step (one value or one per group): a flat tail or head of a join.

    Args:
        lr: the lr (finite, >= 0), one value or one per group.
        n_groups_: the number of parameter groups to spread a scalar over.

    Raises:
        ValueError, TypeError: a bad ``lr``, naming it.

    References:
        torch's ``ConstantLR`` with ``factor=1``; optax's ``constant_schedule``.

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

    @property
    def period(self) -> int:
        """1: every step holds ``lr``."""
        return 1

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        return Values(np.broadcast_to(np.array(self.lr), (len(steps), self.n_groups)).copy(), None)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return ConstantOnTensors(self.lr)


class RampOnTensors(TorchEvaluator):
    """A ramp on tensors: :func:`ramp_values`' operations, in its order, at positions
    ``0 .. steps`` (``end`` from ``steps`` on, as :class:`RampSchedule`). Also the
    phases of the warmup-stable-decay schedule."""

    def __init__(self, start: FloatArray, end: FloatArray, steps: int, shape: RampShape) -> None:
        import torch

        from ._torch import constant

        self.last = self.steps = steps
        self.n_groups = len(start)
        self.shape = shape
        self.start, self.end = constant(start), constant(end)
        # The differences the exact path computes per call, once: the same bits.
        self.rise, self.fall = constant(end - start), constant(start - end)
        self.rising = constant(start <= end, dtype=torch.bool)

    def evaluate(self, t: Any) -> Values:
        import torch

        steps = self.steps
        k = torch.clamp_max(t, steps)[:, None]
        if self.shape == "linear":
            up = self.start + (self.rise * k) / steps
            down = self.end + self.fall * (1.0 - k / steps)
        else:
            p = k / steps
            if self.shape == "cos":
                c = torch.cos(math.pi * p)
                f_up, f_down = 0.5 * (1.0 - c), 0.5 * (1.0 + c)
            else:
                from ._torch import sqrt  # correctly rounded, as math.sqrt

                f_up, f_down = 1.0 - sqrt(1.0 - p), 1.0 - sqrt(p)
            up, down = self.start + self.rise * f_up, self.end + self.fall * f_down
        ramp = torch.where(self.rising, up, down)
        return Values(torch.where((t >= steps)[:, None], self.end, ramp), None)


class ConstantOnTensors(TorchEvaluator):
    """:class:`ConstantSchedule` on tensors: ``lr`` at every position."""

    def __init__(self, lr: Sequence[float]) -> None:
        from ._torch import constant

        self.lr = constant(lr)
        self.n_groups = len(lr)

    def evaluate(self, t: Any) -> Values:
        return Values(self.lr.expand(t.shape[0], self.n_groups), None)
