"""Cosine decay after a linear warm-up, in one call: :func:`warmup_cosine_schedule`, the
schedule of most transformer training recipes (transformers'
``get_cosine_with_min_lr_schedule_with_warmup``).

:class:`WarmupCosineSchedule` holds the plain settings and builds the join of its two
ramps (:func:`lr_one_cycle.schedules.compose.with_warmup`), so that it is rebuilt from
plain values inside ``torch.compile`` (the torch path,
:mod:`lr_one_cycle.schedules._protocol`). Step convention: :mod:`.._protocol`.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, Steps, TorchEvaluator, Values, evaluate
from .compose import with_warmup
from .cyclic import group_count
from .ramp import RampSchedule, check_lr


@dataclass(frozen=True)
class WarmupCosineSchedule(Schedule):
    """Checked settings of :func:`warmup_cosine_schedule` (one value or one per group for
    the lrs) and their curve: ``with_warmup(RampSchedule(peak_lr, min_lr, total_steps -
    warmup_steps, "cos"), warmup_steps)``, whose values, torch path and elastic resume it
    gives. Valid steps ``0 .. total_steps`` (optimizer updates; step convention:
    :mod:`lr_one_cycle.schedules._protocol`).

    Args:
        peak_lr: the lr at the end of the warm-up, one value or one per group.
        warmup_steps: the warm-up's length in steps (``0 .. total_steps - 1``).
        total_steps: the run's length in steps; step ``total_steps`` holds ``min_lr``.
        min_lr: the final lr, in ``[0, peak_lr]``, one value or one per group.
        n_groups_: the number of parameter groups to spread scalars over.

    Raises:
        ValueError, TypeError: a bad setting, naming it: ``warmup_steps`` not below
            ``total_steps``, ``min_lr`` outside ``[0, peak_lr]``.

    References:
        Loshchilov & Hutter, arXiv 1608.03983 (cosine annealing); Goyal et al., arXiv
        1706.02677 (warm-up); transformers' ``optimization.py``
        (``get_cosine_with_min_lr_schedule_with_warmup``).
    """

    peak_lr: Any
    warmup_steps: Any
    total_steps: Any
    min_lr: Any = 0.0
    n_groups_: InitVar[int | None] = None
    _joined: Schedule = field(init=False, repr=False, compare=False)

    def __post_init__(self, n_groups_: int | None) -> None:
        total = v.as_count("total_steps", self.total_steps)
        warm = v.as_count("warmup_steps", self.warmup_steps, minimum=0)
        if warm >= total:
            raise v.ArgumentValueError(
                "warmup_steps", warm, f"an integer in 0..{total - 1} (below total_steps={total})"
            )
        n = group_count(n_groups_, peak_lr=self.peak_lr, min_lr=self.min_lr)
        peak = v.per_group("peak_lr", self.peak_lr, n, check_lr)
        low = v.per_group("min_lr", self.min_lr, len(peak), check_lr)
        for i, (p, m) in enumerate(zip(peak, low)):
            if not 0.0 <= m <= p:
                path = "min_lr" if len(low) == 1 else ("min_lr", i)
                raise v.ArgumentValueError(path, m, f"a number in [0, peak_lr] ([0, {p:g}])")
        checked = {"peak_lr": peak, "warmup_steps": warm, "total_steps": total, "min_lr": low}
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        decay = RampSchedule(start=list(peak), end=list(low), steps=total - warm, shape="cos")
        object.__setattr__(self, "_joined", with_warmup(decay, warm, start_lr=0.0))

    @property
    def n_groups(self) -> int:
        return len(self.peak_lr)

    @property
    def last_step(self) -> int:
        return int(self.total_steps)

    def range_note(self) -> str:
        return f"total_steps={self.total_steps}"

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        return self._joined._evaluate(steps, exact)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return self._joined._torch_evaluator(max_step)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """The join's elastic resume (the warm-up keeps its length)."""
        return self._joined.resumed(step, **changes)


def warmup_cosine_schedule(
    steps: Steps,
    *,
    peak_lr: float,
    warmup_steps: int,
    total_steps: int,
    min_lr: float = 0.0,
    exact: bool = False,
) -> float | FloatArray:
    r"""Linear warm-up from 0 to ``peak_lr`` over ``warmup_steps`` steps, then half a
    cosine down to ``min_lr`` at step ``total_steps``.

    With ``W = warmup_steps``, ``T = total_steps``, ``p = (k - W) / (T - W)``:

    .. math::

        lr(k) = \begin{cases}
            peak\_lr \cdot k / W & k < W \\
            min\_lr + (peak\_lr - min\_lr) \cdot \tfrac12 (1 + \cos \pi p) & W \le k \le T
        \end{cases}

    Equal to ``join_schedules([RampSchedule(0, peak_lr, W), RampSchedule(peak_lr,
    min_lr, T - W, "cos")], [W])`` bit for bit, and to transformers'
    ``get_cosine_with_min_lr_schedule_with_warmup(optimizer with lr=peak_lr, W, T,
    min_lr=min_lr)`` within 1e-12 relative on steps ``0 .. T``.

    Args:
        steps: a step (int) or an array of steps in ``0 .. total_steps``, or a torch
            tensor of them: a float64 tensor on its device comes back (the torch path,
            :mod:`lr_one_cycle.schedules._protocol`; bitwise with the linear warm-up,
            within the cosine's rounding after it).
        peak_lr: the lr at the end of the warm-up; one value or one per group.
        warmup_steps: the warm-up's length (0: start at the peak), < ``total_steps``.
        total_steps: the run's length; step ``total_steps`` holds ``min_lr``.
        min_lr: the final lr (one value or one per group), at most ``peak_lr``.
        exact: arrays bitwise equal to the scalar path (``math.cos`` per element); for
            tensors, a table of the exact values read by step.

    Returns:
        A float for an int step, else an array of the shape of ``steps`` (a trailing
        group axis when ``peak_lr`` or ``min_lr`` is a list).

    Raises:
        ValueError, TypeError: a bad setting or step, naming it.

    References:
        Loshchilov & Hutter, arXiv 1608.03983 (cosine annealing); Goyal et al., arXiv
        1706.02677 (warm-up); transformers' ``optimization.py``.

    >>> lr = warmup_cosine_schedule(range(7), peak_lr=1.0, warmup_steps=2, total_steps=6)
    >>> [round(x, 4) for x in lr.tolist()]
    [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """
    settings = {
        "peak_lr": peak_lr, "warmup_steps": warmup_steps, "total_steps": total_steps,
        "min_lr": min_lr,
    }
    per_group = group_count(None, peak_lr=peak_lr, min_lr=min_lr) is not None
    lr = evaluate(WarmupCosineSchedule, settings, steps, exact=exact, per_group=per_group)[0]
    return lr  # type: ignore[no-any-return]
