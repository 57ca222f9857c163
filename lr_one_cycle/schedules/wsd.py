"""Warmup-stable-decay (WSD): warm up to ``peak_lr``, hold it, then decay to ``min_lr``.

The schedule of recent language-model training (MiniCPM, Hu et al., arXiv 2404.06395;
Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
Durations", arXiv 2405.18392). Its point is that the decay can start late: a run that
has not begun to decay can be lengthened (:meth:`WarmupStableDecaySchedule.resumed`)
without any change to the steps already taken or a jump in the lr.

With ``W, S, D`` the phase lengths and ``T = W + S + D``, step ``k`` holds

- ``k < W``: the warm-up ramp from ``min_lr`` to ``peak_lr`` at progress ``k / W``;
- ``W <= k < W + S``: ``peak_lr``;
- ``W + S <= k < T``: the decay ramp from ``peak_lr`` to ``min_lr`` at progress
  ``(k - W - S) / D``;
- ``k = T``: ``min_lr`` (the final value, as 1cycle's step ``T``).

Ramps (:mod:`lr_one_cycle.schedules.ramp`) are ``min_lr + (peak_lr - min_lr) * f``
with transformers' factors ``f`` (``get_wsd_schedule``): linear ``p`` / ``1 - p``, cosine
``(1 - cos(pi p)) / 2`` / ``(1 + cos(pi p)) / 2``, 1-sqrt ``1 - sqrt(1 - p)`` /
``1 - sqrt(p)`` (warm-up / decay). Step convention: :mod:`.._protocol`. On torch
tensors (:class:`WarmupStableDecayOnTensors`) the shapes are as exact as the ramps'
(:mod:`lr_one_cycle.schedules.ramp`): linear bitwise, cosine and 1-sqrt wherever torch's
``cos`` and ``sqrt`` round like the C library's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, Steps, TorchEvaluator, Values, evaluate
from .cyclic import group_count
from .ramp import RampOnTensors, RampShape, check_lr, ramp_values
from .resume import retime

WsdShape = Literal["linear", "cosine", "1-sqrt"]
WSD_SHAPES: tuple[WsdShape, ...] = ("linear", "cosine", "1-sqrt")
_RAMP: dict[str, RampShape] = {"linear": "linear", "cosine": "cos", "1-sqrt": "1-sqrt"}


@dataclass(frozen=True)
class WarmupStableDecaySchedule(Schedule):
    """Checked WSD settings (one value or one per group for the lrs) and their curve
    (module docstring). Valid steps ``0 .. total_steps`` (``W + S + D``; optimizer
    updates, step convention: :mod:`lr_one_cycle.schedules._protocol`).

    Args:
        peak_lr: the lr of the stable phase (finite, >= 0), one value or one per group.
        warmup_steps, stable_steps, decay_steps: the phase lengths in steps (>= 0, not
            all three 0).
        min_lr: the lr the warm-up starts from and the decay ends at, in
            ``[0, peak_lr]``, one value or one per group.
        warmup, decay: the ramps' shapes, ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        n_groups_: the number of parameter groups to spread scalars over.

    Raises:
        ValueError, TypeError: a bad setting, naming it: negative phase lengths, all
            three zero, ``min_lr`` above ``peak_lr``, an unknown shape.

    References:
        Hu et al. (MiniCPM), arXiv 2404.06395; Hägele et al., arXiv 2405.18392;
        transformers' ``optimization.py`` (``get_wsd_schedule``).
    """

    peak_lr: Any
    warmup_steps: Any
    stable_steps: Any
    decay_steps: Any
    min_lr: Any = 0.0
    warmup: Any = "linear"
    decay: Any = "cosine"
    n_groups_: InitVar[int | None] = None

    def __post_init__(self, n_groups_: int | None) -> None:
        n = group_count(n_groups_, peak_lr=self.peak_lr, min_lr=self.min_lr)
        peak = v.per_group("peak_lr", self.peak_lr, n, check_lr)
        low = v.per_group("min_lr", self.min_lr, len(peak), check_lr)
        for i, (p, m) in enumerate(zip(peak, low)):
            if m > p:
                path = "min_lr" if len(low) == 1 else ("min_lr", i)
                raise v.ArgumentValueError(path, m, f"a number in [0, peak_lr] ([0, {p:g}])")
        checked = {
            "peak_lr": peak,
            "min_lr": low,
            "warmup_steps": v.as_count("warmup_steps", self.warmup_steps, minimum=0),
            "stable_steps": v.as_count("stable_steps", self.stable_steps, minimum=0),
            "decay_steps": v.as_count("decay_steps", self.decay_steps, minimum=0),
            "warmup": v.as_choice("warmup", self.warmup, WSD_SHAPES),
            "decay": v.as_choice("decay", self.decay, WSD_SHAPES),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        if self.total_steps < 1:
            raise ValueError(
                "warmup_steps + stable_steps + decay_steps must be >= 1, got 0 (all three 0)"
            )
        if self.total_steps > v.MAX_COUNT:
            raise ValueError(
                f"warmup_steps + stable_steps + decay_steps must be <= {v.MAX_COUNT} (2**53), "
                f"got {self.total_steps}"
            )
        object.__setattr__(self, "_peak", np.array(peak, np.float64))
        object.__setattr__(self, "_min", np.array(low, np.float64))

    @property
    def total_steps(self) -> int:
        """``warmup_steps + stable_steps + decay_steps``; step ``total_steps`` holds ``min_lr``."""
        return int(self.warmup_steps + self.stable_steps + self.decay_steps)

    @property
    def decay_start(self) -> int:
        """The first step of the decay, ``warmup_steps + stable_steps``."""
        return int(self.warmup_steps + self.stable_steps)

    @property
    def n_groups(self) -> int:
        return len(self.peak_lr)

    @property
    def last_step(self) -> int:
        return self.total_steps

    def range_note(self) -> str:
        return (
            f"total_steps={self.total_steps} = {self.warmup_steps} warm-up + "
            f"{self.stable_steps} stable + {self.decay_steps} decay steps"
        )

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        k = np.asarray(steps, np.float64)
        peak, low = self._peak, self._min  # type: ignore[attr-defined]
        w, d, start = self.warmup_steps, self.decay_steps, self.decay_start
        lr = np.where((k >= self.total_steps)[:, None], low, peak)
        warming = k < w
        if np.any(warming):
            lr[warming] = ramp_values(low, peak, k[warming], w, _RAMP[self.warmup], exact=exact)
        decaying = (k >= start) & (k < self.total_steps)
        if np.any(decaying):
            lr[decaying] = ramp_values(
                peak, low, k[decaying] - start, d, _RAMP[self.decay], exact=exact
            )
        return Values(lr, None)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return WarmupStableDecayOnTensors(self)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """The run continued from ``step`` with new phase lengths.

        Before the decay has begun (``step < warmup_steps + stable_steps``),
        ``stable_steps`` and ``decay_steps`` may change, and ``total_steps`` sets the
        stable phase to ``total_steps - warmup_steps - decay_steps``: the run so far,
        and the lr at ``step``, are unchanged, and the decay starts where the new
        lengths put it (at least one step after ``step``). Once the decay has begun,
        only ``total_steps`` may change: the rest of the decay is spread evenly over the
        steps left (elastic resume, :mod:`lr_one_cycle.schedules.resume`), from the lr
        at ``step``.

        Raises ``ValueError``/``TypeError``, changing nothing, for lengths that would
        move the decay's start to ``step`` or before, or disagree.
        """
        allowed = {"total_steps", "stable_steps", "decay_steps"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise TypeError(f"resume_with() got unexpected arguments: {', '.join(unknown)}")
        given = {key: value for key, value in changes.items() if value is not None}
        k = int(step)
        if k >= self.decay_start:
            return self._resumed_in_decay(k, given)
        decay = v.as_count("decay_steps", given.get("decay_steps", self.decay_steps), minimum=0)
        stable = self.stable_steps
        if "stable_steps" in given:
            stable = v.as_count("stable_steps", given["stable_steps"], minimum=0)
        if "total_steps" in given:
            total = v.as_count("total_steps", given["total_steps"])
            from_total = total - self.warmup_steps - decay
            if "stable_steps" in given and stable != from_total:
                raise ValueError(
                    f"total_steps={total} disagrees with warmup_steps + stable_steps + "
                    f"decay_steps = {self.warmup_steps + stable + decay}; give one or the other"
                )
            stable = from_total
        if self.warmup_steps + stable <= k:
            shortest = k + 1 - self.warmup_steps
            raise ValueError(
                f"stable_steps must be >= {shortest} to keep step {k} before the decay "
                f"(total_steps >= {self.warmup_steps + shortest + decay}); got {stable}"
            )
        return dataclasses.replace(
            self, stable_steps=stable, decay_steps=decay, n_groups_=self.n_groups
        ), k

    def _resumed_in_decay(self, k: int, given: dict[str, Any]) -> tuple[Schedule, int]:
        if set(given) - {"total_steps"}:
            raise ValueError(
                f"the decay began at step {self.decay_start} and step {k} is in it: "
                f"{' and '.join(sorted(set(given) - {'total_steps'}))} can no longer change; "
                "give total_steps to spread the rest of the decay over a new length"
            )
        if "total_steps" not in given:
            return self, k
        return retime(self, (), self.total_steps, k, total_steps=given["total_steps"])


class WarmupStableDecayOnTensors(TorchEvaluator):
    """:meth:`WarmupStableDecaySchedule._evaluate` on tensors: the phase by the step, each
    ramp's operations in the exact path's order (:class:`RampOnTensors`)."""

    def __init__(self, schedule: WarmupStableDecaySchedule) -> None:
        from ._torch import constant

        peak, low = schedule._peak, schedule._min  # type: ignore[attr-defined]
        self.last = self.total = schedule.total_steps
        self.n_groups = schedule.n_groups
        self.peak, self.low = constant(peak), constant(low)
        self.warmup_steps, self.decay_start = schedule.warmup_steps, schedule.decay_start
        self.warm: RampOnTensors | None = None
        if schedule.warmup_steps:
            self.warm = RampOnTensors(low, peak, schedule.warmup_steps, _RAMP[schedule.warmup])
        self.decay: RampOnTensors | None = None
        if schedule.decay_steps:
            self.decay = RampOnTensors(peak, low, schedule.decay_steps, _RAMP[schedule.decay])

    def evaluate(self, t: Any) -> Values:
        import torch

        lr = torch.where((t >= self.total)[:, None], self.low, self.peak)
        if self.warm is not None:
            warm = self.warm.evaluate(torch.clamp_max(t, self.warmup_steps)).lr
            lr = torch.where((t < self.warmup_steps)[:, None], warm, lr)
        if self.decay is not None:
            local = torch.clamp_min(t - self.decay_start, 0.0)
            decay = self.decay.evaluate(local).lr
            decaying = (t >= self.decay_start) & (t < self.total)
            lr = torch.where(decaying[:, None], decay, lr)
        return Values(lr, None)


def warmup_stable_decay_schedule(
    steps: Steps,
    *,
    peak_lr: float,
    warmup_steps: int,
    stable_steps: int,
    decay_steps: int,
    min_lr: float = 0.0,
    warmup: WsdShape = "linear",
    decay: WsdShape = "cosine",
    exact: bool = False,
) -> float | FloatArray:
    r"""The warmup-stable-decay learning rate at ``steps`` (random access).

    With ``W, S, D`` the phase lengths, ``m = min_lr``, ``P = peak_lr``:

    .. math::

        lr(k) = \begin{cases}
            m + (P - m)\, f_w(k / W) & k < W \\
            P & W \le k < W + S \\
            m + (P - m)\, f_d((k - W - S) / D) & W + S \le k < W + S + D \\
            m & k = W + S + D
        \end{cases}

    with ``f_w`` linear ``p``, cosine ``(1 - \cos \pi p)/2`` or 1-sqrt ``1 - \sqrt{1-p}``
    and ``f_d`` linear ``1 - p``, cosine ``(1 + \cos \pi p)/2`` or 1-sqrt
    ``1 - \sqrt{p}``. Equal, within 1e-12 relative, to transformers'
    ``get_wsd_schedule(optimizer with lr=peak_lr, W, D, num_stable_steps=S,
    warmup_type=warmup, decay_type=decay, min_lr_ratio=min_lr / peak_lr)``.

    Args:
        steps: a step (int) or an array of steps in ``0 .. W + S + D``, or a torch
            tensor of them: a float64 tensor on its device comes back (the torch path,
            :mod:`lr_one_cycle.schedules._protocol`; :class:`WarmupStableDecayOnTensors`).
        peak_lr: the lr of the stable phase; one value or one per group.
        warmup_steps, stable_steps, decay_steps: the phase lengths, in steps (>= 0,
            not all 0).
        min_lr: where the warm-up starts and the decay ends, at most ``peak_lr``; one
            value or one per group.
        warmup, decay: ``"linear"``, ``"cosine"`` or ``"1-sqrt"`` (each phase's shape).
        exact: arrays bitwise equal to the scalar path (``math.cos`` per element); for
            tensors, a table of the exact values read by step.

    Returns:
        A float for an int step, else an array of the shape of ``steps`` (a trailing
        group axis when ``peak_lr`` or ``min_lr`` is a list).

    Raises:
        ValueError, TypeError: a bad setting or step, naming it.

    References:
        Hu et al., "MiniCPM", arXiv 2404.06395; Hägele et al., arXiv 2405.18392;
        transformers' ``get_wsd_schedule``.

    >>> warmup_stable_decay_schedule([0, 1, 2, 5, 6, 7, 8], peak_lr=1.0, warmup_steps=2,
    ...     stable_steps=4, decay_steps=2, decay="linear").tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0]
    """
    settings = {
        "peak_lr": peak_lr,
        "warmup_steps": warmup_steps,
        "stable_steps": stable_steps,
        "decay_steps": decay_steps,
        "min_lr": min_lr,
        "warmup": warmup,
        "decay": decay,
    }
    per_group = group_count(None, peak_lr=peak_lr, min_lr=min_lr) is not None
    lr = evaluate(WarmupStableDecaySchedule, settings, steps, exact=exact, per_group=per_group)[0]
    return lr  # type: ignore[no-any-return]
