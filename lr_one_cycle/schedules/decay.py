"""The warm-up + decay factory of the widely copied yolo training scripts (the Chinese
cosine-annealing article): "cos" is YOLOX's ``yolox_warm_cos_lr``, "step" decays by a
constant ratio, "poly" is the usual power-0.9 polynomial decay. Operation orders follow
the scripts, so values are bitwise equal to them (scalars; arrays with ``exact``).
Iterations may be fractional; iteration ``total_iters`` holds the final value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, TorchEvaluator, Values, is_tensor
from .anneal import cos, power
from .resume import retime

DecayType = Literal["cos", "step", "poly"]
DECAY_TYPES: tuple[DecayType, ...] = ("cos", "step", "poly")
POLY_POWER = 0.9


@dataclass(frozen=True)
class LrDecay(Schedule):
    """A warm-up/decay schedule as a pure function ``iteration -> lr``.

    The constructor checks the settings (it is what ``lr_one_cycle.get_lr_scheduler``
    returns, whose docstring gives the formulas) and derives what the scripts derive:

    - ``"cos"``: a warm-up of ``min(max(warmup_iters_ratio * total_iters, 1), 3)``
      iterations from ``max(warmup_lr_ratio * lr, 1e-6)``, and a flat tail of
      ``min(max(no_aug_iter_ratio * total_iters, 1), 15)`` iterations (the scripts
      count epochs, hence the caps of 3 and 15);
    - ``"step"``: ``decay_rate = (min_lr / lr) ** (1 / (step_num - 1))`` every
      ``step_size = total_iters / step_num`` iterations;
    - ``"poly"``: nothing derived.

    Call it with an iteration in ``0 .. total_iters`` (fractions allowed) or an array:
    a float, or an array of the same shape. Units: iterations, or epochs when it is
    stepped once an epoch, whichever ``total_iters`` counts (step convention:
    :mod:`lr_one_cycle.schedules._protocol`; iteration ``total_iters`` holds the final
    value).

    Args:
        lr_decay_type: ``"cos"``, ``"step"`` or ``"poly"``.
        lr: the peak lr (> 0); min_lr: the final lr, in ``[0, lr]`` (> 0 for ``"step"``).
        total_iters: the run's length in iterations (an integer >= 1; >= ``step_num``
            for ``"step"``).
        warmup_iters_ratio, warmup_lr_ratio, no_aug_iter_ratio: fractions in [0, 1].
        step_num: the number of levels of ``"step"`` (an integer >= 2).

    Raises:
        ValueError, TypeError: a bad setting, naming it.

    References:
        YOLOX's ``yolox_warm_cos_lr`` (``yolox/utils/lr_scheduler.py``) and the yolo
        training scripts' ``get_lr_scheduler`` that copy it (module docstring).
    """

    lr_decay_type: Any
    lr: Any
    min_lr: Any
    total_iters: Any
    warmup_iters_ratio: Any = 0.05
    warmup_lr_ratio: Any = 0.1
    no_aug_iter_ratio: Any = 0.05
    step_num: Any = 10

    fractional = True
    step_name = steps_name = "iteration"

    def __post_init__(self) -> None:
        kind = v.as_choice("lr_decay_type", self.lr_decay_type, DECAY_TYPES)
        top = v.as_real("lr", self.lr, low=0.0, low_open=True)
        bottom = v.as_real("min_lr", self.min_lr, low=0.0, high=top)
        total = v.as_count("total_iters", self.total_iters)
        checked = {
            "lr_decay_type": kind,
            "lr": top,
            "min_lr": bottom,
            "total_iters": total,
            "warmup_iters_ratio": v.as_real(
                "warmup_iters_ratio", self.warmup_iters_ratio, low=0.0, high=1.0
            ),
            "warmup_lr_ratio": v.as_real(
                "warmup_lr_ratio", self.warmup_lr_ratio, low=0.0, high=1.0
            ),
            "no_aug_iter_ratio": v.as_real(
                "no_aug_iter_ratio", self.no_aug_iter_ratio, low=0.0, high=1.0
            ),
            "step_num": v.as_count("step_num", self.step_num, minimum=2),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        if kind == "step":
            if bottom == 0:
                raise ValueError(
                    "min_lr must be > 0 for 'step': the decay ratio is "
                    "(min_lr / lr) ** (1 / (step_num - 1)), got 0.0"
                )
            if total < self.step_num:
                raise ValueError(
                    f"total_iters ({total}) must be >= step_num ({self.step_num}) for 'step': "
                    "each level lasts total_iters / step_num >= 1 iterations"
                )
        derived = {
            "warmup_total_iters": min(max(self.warmup_iters_ratio * total, 1), 3),
            "warmup_lr_start": max(self.warmup_lr_ratio * top, 1e-6),
            "no_aug_iter": min(max(self.no_aug_iter_ratio * total, 1), 15),
            "decay_rate": (bottom / top) ** (1 / (self.step_num - 1)) if kind == "step" else 1.0,
            "step_size": total / self.step_num,
        }
        for key, value in derived.items():
            object.__setattr__(self, key, value)

    @property
    def n_groups(self) -> int:
        return 1

    @property
    def last_step(self) -> int:
        return int(self.total_iters)

    def range_note(self) -> str:
        return f"total_iters={self.total_iters}"

    def __call__(self, iteration: Any, *, exact: bool = False) -> Any:
        """The lr at ``iteration``: a float for a number (bitwise the scripts'), an array
        of the same shape for an array (bitwise too with ``exact=True``, else numpy's
        cos/power), a float64 tensor on its device for a tensor (the torch path,
        :class:`LrDecayOnTensors`). Raises ``ValueError`` outside ``0 .. total_iters``."""
        if is_tensor(iteration):
            return self.torch_values(iteration, exact=exact).lr[..., 0]
        return self.evaluate(iteration, exact=exact)[0]

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        return Values(self._lr(steps.astype(np.float64), exact)[:, None], None)

    def _lr(self, iters: FloatArray, exact: bool) -> FloatArray:
        """The learning rate at each iteration (``0 <= iters <= total_iters``).

        - ``"cos"``, with ``w = warmup_total_iters``, ``a = no_aug_iter``, ``T = total_iters``:
          ``(lr - warmup_lr_start) * (iters / w) ** 2 + warmup_lr_start`` while
          ``iters <= w``; ``min_lr`` once ``iters >= T - a``; in between
          ``min_lr + 0.5 * (lr - min_lr) * (1 + cos(pi * (iters - w) / (T - w - a)))``.
        - ``"step"``: ``lr * decay_rate ** n`` with ``n = iters // step_size``, capped at
          ``step_num - 1`` so that iteration ``T`` stays at ``min_lr`` (up to rounding).
        - ``"poly"``: ``min_lr + (lr - min_lr) * (1 - iters / T) ** 0.9``.
        """
        lr, min_lr, total = self.lr, self.min_lr, self.total_iters
        if self.lr_decay_type == "cos":
            w, tail = self.warmup_total_iters, self.no_aug_iter  # type: ignore[attr-defined]
            start = self.warmup_lr_start  # type: ignore[attr-defined]
            value = np.full(iters.shape, min_lr)
            warming = iters <= w
            value[warming] = (lr - start) * power(iters[warming] / float(w), 2, exact) + start
            # Only between warm-up and tail: short runs leave no room (zero denominator).
            middle = ~warming & (iters < total - tail)
            angle = np.pi * (iters[middle] - w) / (total - w - tail)
            value[middle] = min_lr + 0.5 * (lr - min_lr) * (1.0 + cos(angle, exact))
            return value
        if self.lr_decay_type == "step":
            n = np.minimum(iters // self.step_size, self.step_num - 1)  # type: ignore[attr-defined]
            rate = np.full(n.shape, self.decay_rate)  # type: ignore[attr-defined]
            return np.asarray(lr * power(rate, n, exact), dtype=np.float64)
        return np.asarray(min_lr + (lr - min_lr) * power(1 - iters / total, POLY_POWER, exact))

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Continue from iteration ``step`` as a run of ``total_steps`` iterations in all
        (elastic resume, :mod:`lr_one_cycle.schedules.resume`)."""
        return retime(self, (), self.total_iters, int(step), **changes)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return LrDecayOnTensors(self)


class LrDecayOnTensors(TorchEvaluator):
    """:meth:`LrDecay._lr` on tensors, in its operation order. ``"step"`` reads
    ``decay_rate ** n`` from a table of the ``step_num`` powers and divides as numpy's
    ``//`` does, so it is bitwise equal to the exact path; ``"cos"`` is wherever torch's
    ``cos`` rounds like the C library's, and ``"poly"`` wherever its ``pow`` does."""

    def __init__(self, schedule: LrDecay) -> None:
        from ._torch import constant

        self.last = schedule.total_iters
        self.kind = schedule.lr_decay_type
        self.lr, self.min_lr, self.total = schedule.lr, schedule.min_lr, schedule.total_iters
        self.w = schedule.warmup_total_iters  # type: ignore[attr-defined]
        self.tail = schedule.no_aug_iter  # type: ignore[attr-defined]
        self.start = schedule.warmup_lr_start  # type: ignore[attr-defined]
        self.step_size = schedule.step_size  # type: ignore[attr-defined]
        self.step_num = schedule.step_num
        rate = schedule.decay_rate  # type: ignore[attr-defined]
        self.powers = constant([pow(rate, float(n)) for n in range(schedule.step_num)])

    def evaluate(self, t: Any) -> Values:
        import torch

        from ._torch import floor_divide

        lr, min_lr, total = self.lr, self.min_lr, self.total
        if self.kind == "cos":
            w, tail, start = self.w, self.tail, self.start
            warm = (lr - start) * torch.pow(t / float(w), 2) + start
            angle = math.pi * (t - w) / (total - w - tail)
            middle = min_lr + 0.5 * (lr - min_lr) * (1.0 + torch.cos(angle))
            value = torch.where(t < total - tail, middle, min_lr)
            value = torch.where(t <= w, warm, value)
        elif self.kind == "step":
            n = torch.clamp_max(floor_divide(t, self.step_size), self.step_num - 1)
            value = lr * self.powers[n.to(torch.int64)]
        else:
            value = min_lr + (lr - min_lr) * torch.pow(1 - t / total, POLY_POWER)
        return Values(value[:, None], None)
