"""``get_lr_scheduler()`` / ``set_optimizer_lr()``: the warm-up + decay factory of the
widely copied yolo training scripts (the Chinese cosine-annealing article).

``get_lr_scheduler`` returns a pure function ``iteration -> lr`` (an
:class:`lr_one_cycle.schedules.LrDecay`, which checks the settings and holds the
formulas); ``set_optimizer_lr`` writes that function's value into an optimizer, once per
epoch or per iteration, whichever ``total_iters`` counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _validate as v
from ._param_groups import write
from .schedules import DecayType, LrDecay


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

    Args:
        lr_decay_type: ``"cos"``, ``"step"`` or ``"poly"``.
        lr: the peak lr (> 0).
        min_lr: the final lr, in ``[0, lr]`` (> 0 for ``"step"``).
        total_iters: the run's length (an integer >= 1; >= ``step_num`` for ``"step"``),
            in iterations, or in epochs when ``set_optimizer_lr`` is called once an
            epoch: the function takes the same unit (iteration ``total_iters`` holds the
            final value; step convention: :mod:`lr_one_cycle.schedules._protocol`).
        warmup_iters_ratio, warmup_lr_ratio, no_aug_iter_ratio: fractions in [0, 1].
        step_num: the number of levels of ``"step"`` (an integer >= 2).

    Returns:
        A function that takes a number (returns a float) or an array (returns an array
        of its shape); an iteration outside ``0 .. total_iters`` raises ``ValueError``.

    Raises:
        ValueError, TypeError: a bad setting, naming it.

    References:
        YOLOX's ``yolox_warm_cos_lr`` (``yolox/utils/lr_scheduler.py``) and the yolo
        training scripts' ``get_lr_scheduler`` that copy it (module docstring).

    >>> get_lr_scheduler("poly", 0.1, 0.0, 100)(50) == 0.1 * 0.5 ** 0.9
    True
    """
    return LrDecay(
        lr_decay_type,
        lr,
        min_lr,
        total_iters,
        warmup_iters_ratio=warmup_iters_ratio,
        warmup_lr_ratio=warmup_lr_ratio,
        no_aug_iter_ratio=no_aug_iter_ratio,
        step_num=step_num,
    )


def set_optimizer_lr(
    optimizer: Any, lr_scheduler_func: Callable[[float], float], iteration: float
) -> float:
    """Write ``lr_scheduler_func(iteration)`` into every parameter group's ``lr``
    (tensor lrs in place) and return it.

    Args:
        optimizer: a torch optimizer, or any object with a ``param_groups`` list of dicts.
        lr_scheduler_func: a function ``iteration -> lr``, e.g. :func:`get_lr_scheduler`'s.
        iteration: the iteration (or epoch, whichever the function counts) to apply.

    Returns:
        The lr written, a float.

    Raises:
        ValueError, TypeError: when the function's value is not a finite number >= 0
            (torch's optimizers refuse a negative lr), before anything is written; a
            ``TypeError`` for an optimizer without ``param_groups`` or a function that is
            not callable. What the function raises (an iteration out of range) passes on.

    References:
        The yolo training scripts' ``set_optimizer_lr`` (module docstring).
    """
    groups = v.param_groups_of(optimizer)
    if not callable(lr_scheduler_func):
        raise TypeError(
            "lr_scheduler_func must be a function iteration -> lr (get_lr_scheduler's "
            f"result), got {type(lr_scheduler_func).__name__}"
        )
    lr = v.as_real("lr_scheduler_func(iteration)", lr_scheduler_func(iteration), low=0.0)
    for group in groups:
        write(group, "lr", lr)
    return lr
