"""``get_lr_scheduler()`` / ``set_optimizer_lr()``: the warm-up + decay factory of the
widely copied yolo training scripts (the Chinese cosine-annealing article).

``get_lr_scheduler`` checks its arguments and returns a pure function
``iteration -> lr`` (an :class:`lr_one_cycle._schedules.LrDecay`, where the formulas
live); ``set_optimizer_lr`` writes that function's value into an optimizer, once per
epoch or per iteration, whichever ``total_iters`` counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _validate as v
from ._groups import write
from ._schedules import DECAY_TYPES, DecayType, LrDecay


def get_lr_scheduler(
    lr_decay_type: DecayType,
    lr: float,
    min_lr: float,
    total_iters: int,
    warmup_iters_ratio: float = 0.05,
    warmup_lr_ratio: float = 0.1,
    no_aug_iter_ratio: float = 0.05,
    step_num: int = 10,
) -> LrDecay:
    """A pure function ``iteration -> lr`` for iterations ``0 .. total_iters``.

    ``"cos"`` (YOLOX's ``yolox_warm_cos_lr``): with
    ``w = min(max(warmup_iters_ratio * total_iters, 1), 3)``,
    ``a = min(max(no_aug_iter_ratio * total_iters, 1), 15)`` and
    ``lr0 = max(warmup_lr_ratio * lr, 1e-6)``,

    - ``lr0 + (lr - lr0) * (iteration / w) ** 2`` while ``iteration <= w`` (quadratic
      warm-up),
    - ``min_lr + 0.5 * (lr - min_lr) * (1 + cos(pi * (iteration - w) / (total_iters - w
      - a)))`` after it (cosine decay),
    - ``min_lr`` once ``iteration >= total_iters - a`` (the flat tail, the scripts'
      "no augmentation" iterations).

    The caps of 3 and 15 are the scripts' (they count epochs); values are bitwise equal
    to theirs.

    ``"step"``: ``lr * r ** n`` with ``r = (min_lr / lr) ** (1 / (step_num - 1))`` and
    ``n = iteration // (total_iters / step_num)``: ``step_num`` levels, the last at
    ``min_lr`` (up to rounding); iteration ``total_iters`` stays on the last level.

    ``"poly"``: ``min_lr + (lr - min_lr) * (1 - iteration / total_iters) ** 0.9``.

    The function takes a number (returns a float) or an array (returns an array); an
    iteration outside ``0 .. total_iters`` raises ``ValueError``.
    """
    kind = v.as_choice("lr_decay_type", lr_decay_type, DECAY_TYPES)
    top = v.as_real("lr", lr, low=0.0, low_open=True)
    bottom = v.as_real("min_lr", min_lr, low=0.0, high=top)
    total = v.as_count("total_iters", total_iters)
    warm_ratio = v.as_real("warmup_iters_ratio", warmup_iters_ratio, low=0.0, high=1.0)
    warm_lr_ratio = v.as_real("warmup_lr_ratio", warmup_lr_ratio, low=0.0, high=1.0)
    tail_ratio = v.as_real("no_aug_iter_ratio", no_aug_iter_ratio, low=0.0, high=1.0)
    steps = v.as_count("step_num", step_num, minimum=2)
    if kind == "step":
        if bottom == 0:
            raise ValueError(
                "min_lr must be > 0 for 'step': the decay ratio is "
                "(min_lr / lr) ** (1 / (step_num - 1)), got 0.0"
            )
        if total < steps:
            raise ValueError(
                f"total_iters ({total}) must be >= step_num ({steps}) for 'step': each level "
                "lasts total_iters / step_num >= 1 iterations"
            )
    return LrDecay.build(
        kind,  # type: ignore[arg-type]
        lr=top,
        min_lr=bottom,
        total_iters=total,
        warmup_iters_ratio=warm_ratio,
        warmup_lr_ratio=warm_lr_ratio,
        no_aug_iter_ratio=tail_ratio,
        step_num=steps,
    )


def set_optimizer_lr(
    optimizer: Any, lr_scheduler_func: Callable[[float], float], iteration: float
) -> float:
    """Write ``lr_scheduler_func(iteration)`` into every parameter group's ``lr``
    (tensor lrs in place) and return it. Nothing is written if anything fails."""
    groups = v.param_groups_of(optimizer)
    if not callable(lr_scheduler_func):
        raise TypeError(
            "lr_scheduler_func must be a function iteration -> lr (get_lr_scheduler's "
            f"result), got {type(lr_scheduler_func).__name__}"
        )
    lr = v.as_real("lr_scheduler_func(iteration)", lr_scheduler_func(iteration))
    for group in groups:
        write(group, "lr", lr)
    return lr
