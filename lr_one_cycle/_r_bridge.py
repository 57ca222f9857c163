"""Glue for the R package ``lronecycle`` (``r/``): what R sends in, plain values out.

No formula and no argument check lives here. The R package builds the same scheduler
classes Python users build (so R gets the same checks and the same error sentences) and
reads values from the same core, :class:`lr_one_cycle._schedules.OneCycleCurve`.
This module only adapts the edges that reticulate 1.28 cannot cross on its own:

- an optimizer that lives in R (R torch's, or any environment shaped like one) is
  described to Python by :class:`ROptimizer`, which holds only the plain ``lr`` /
  ``momentum`` / ``betas`` entries of its groups;
- NumPy 2 arrays do not convert to R, so values go back as lists of floats;
- R turns a one-element list into a scalar, so a state dict coming back from R has its
  list-valued entries restored before it is loaded.

The step convention is stated in :mod:`lr_one_cycle._schedules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _validate as v
from ._schedules import one_cycle_schedule
from .one_cycle import OneCycleLR


class ROptimizer:
    """Stand-in for an optimizer that lives in R.

    A scheduler built on it validates, keeps its state and computes its values exactly
    as for a torch optimizer; the R package copies those values into the R lists (a
    window of steps at a time, so that an R ``step()`` makes no Python call).
    """

    def __init__(self, param_groups: list[dict[str, Any]], defaults: Mapping[str, Any] | None):
        self.param_groups = param_groups
        self.defaults = defaults


def r_optimizer(param_groups: Any, defaults: Any, r_class: str) -> Any:
    """An :class:`ROptimizer`, or, when R found no ``param_groups`` on what it was given,
    an empty object whose type is named after the R class, so that the shared check
    (:func:`lr_one_cycle._validate.param_groups_of`) names what the R user passed."""
    if param_groups is None:
        return type(r_class, (), {})()
    return ROptimizer(param_groups, defaults if isinstance(defaults, Mapping) else None)


def one_cycle_window(
    scheduler: OneCycleLR, start: int, size: int
) -> tuple[list[float], list[float]]:
    """lr and momentum of steps ``start .. start+size-1`` (clipped to the schedule), flat,
    step after step: R reads them as matrices with one column per step.

    Past the end of the schedule it raises ``step()``'s own error, as the Python
    scheduler would at that point.
    """
    first = v.as_count("start", start, minimum=0)
    if first > scheduler.total_steps:
        scheduler.last_epoch = first - 1
        scheduler.step()
    stop = min(first + v.as_count("size", size), scheduler.total_steps + 1)
    steps = np.arange(first, stop, dtype=np.int64)
    # exact=True: bitwise equal to the values the Python scheduler writes.
    lr, momentum = scheduler._curve.values_table(steps, exact=True)
    return lr.ravel().tolist(), momentum.ravel().tolist()


def load_state(scheduler: Any, state: Any) -> None:
    """``scheduler.load_state_dict(state)`` for a state dict that went through R."""
    if isinstance(state, Mapping):
        own = scheduler.state_dict()
        state = {
            key: [value] if isinstance(own.get(key), list) and v.is_real(value) else value
            for key, value in state.items()
        }
    scheduler.load_state_dict(state)


def one_cycle_table(
    total_steps: Any, max_lr: Any, steps: Any = None, **settings: Any
) -> dict[str, list[float] | list[int]]:
    """:func:`lr_one_cycle.one_cycle_schedule` as columns ``step``, ``lr``, ``momentum``
    (exact values); ``steps`` defaults to the ``total_steps`` updates ``0 .. T-1``."""
    if steps is None:
        steps = np.arange(v.as_count("total_steps", total_steps), dtype=np.int64)
    elif v.is_real(steps):
        steps = [steps]
    lr, momentum = one_cycle_schedule(
        steps, max_lr=max_lr, total_steps=total_steps, exact=True, **settings
    )
    return {
        "step": np.asarray(steps, dtype=np.int64).tolist(),
        "lr": lr.tolist(),
        "momentum": momentum.tolist(),
    }


def move_to(scheduler: OneCycleLR, step: int) -> None:
    """Tell the Python scheduler that the R side has reached ``step`` (before its
    ``state_dict()`` or ``repr`` is read). Nothing is written: R holds the values."""
    scheduler.last_epoch = v.as_count("step", step, minimum=0)
    scheduler._last_lr = scheduler._curve.values_at(scheduler.last_epoch)[0]
