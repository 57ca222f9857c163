"""Glue for the R package ``lronecycle`` (``r/``): what R sends in, plain values out.

No formula and no argument check lives here, and only public API is used. The R package
builds the same scheduler classes Python users build (so R gets the same checks and the
same error sentences) and reads values from the same core, the scheduler's ``schedule``.
This module only adapts the edges that reticulate 1.28 cannot cross on its own:

- an optimizer that lives in R (R torch's, or any environment shaped like one) is
  described to Python by :class:`ROptimizer`, which holds only the plain ``lr`` /
  ``momentum`` / ``betas`` entries of its groups;
- NumPy 2 arrays do not convert to R, so values go back as lists of floats;
- R turns a one-element list into a scalar, so a state dict coming back from R has its
  list-valued entries restored before it is loaded.

The step convention is stated in :mod:`lr_one_cycle.schedules._protocol`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _validate as v
from .cosine import (  # noqa: F401 (the classes R builds, reached as bridge attributes)
    CosineAnnealingScheduler,
    CosineAnnealingWarmRestarts,
    LinearCyclicalScheduler,
    _CyclicalScheduler,
)
from .one_cycle import OneCycleLR  # noqa: F401
from .schedules import cosine_annealing_schedule, one_cycle_schedule, warm_restarts_schedule


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


def spec(scheduler: Any) -> dict[str, Any]:
    """How R copies this scheduler's values into an R optimizer.

    ``ahead`` is 1 for schedulers that follow the package's step convention (the
    constructor applies step ``position``, the next ``step()`` applies ``position + 1``)
    and 0 for ignite's handlers (nothing written until a call, which writes event
    ``position``). ``targets`` are the 1-based groups written, ``name`` the entry.
    """
    n = len(scheduler.optimizer.param_groups)
    if isinstance(scheduler, _CyclicalScheduler):
        index = scheduler.param_group_index
        return {
            "ahead": 0,
            "position": scheduler.event_index,
            "name": scheduler.param_name,
            "targets": list(range(1, n + 1)) if index is None else [index + 1],
            "momentum_key": None,
            "verbose": False,
        }
    return {
        "ahead": 1,
        "position": scheduler.last_epoch,
        "name": "lr",
        "targets": list(range(1, n + 1)),
        "momentum_key": getattr(scheduler, "momentum_key", None),
        "verbose": getattr(scheduler, "verbose", False),
    }


def window(scheduler: Any, start: int, size: int) -> tuple[list[float], list[float]]:
    """Values of positions ``start .. start+size-1`` (clipped to the schedule) for each
    target group, flat, position after position (R reads them as matrices with one
    column per position), and the momentum likewise (empty when none is cycled).

    Past the end of a 1cycle schedule it raises ``step()``'s own error, as the Python
    scheduler would at that point.
    """
    first = v.as_count("start", start, minimum=0)
    count = v.as_count("size", size)
    schedule = scheduler.schedule
    last = schedule.last_step
    if last is not None and first > last:
        scheduler.step(first - 1)
        scheduler.step()  # raises step()'s own error, changing nothing
    stop = first + count if last is None else min(first + count, last + 1)
    # exact=True: bitwise equal to the values the Python schedulers write.
    lr, momentum = schedule.values(np.arange(first, stop, dtype=np.int64), exact=True)
    if isinstance(scheduler, _CyclicalScheduler):
        n_targets = len(scheduler.optimizer_param_groups)
        return np.repeat(lr[:, 0], n_targets).tolist(), []
    return lr.ravel().tolist(), [] if momentum is None else momentum.ravel().tolist()


def move_to(scheduler: Any, position: int) -> None:
    """Tell the Python scheduler that the R side has reached ``position`` (before its
    ``state_dict()`` or ``repr`` is read). Nothing is written: R holds the values."""
    at = v.as_count("position", position, minimum=0)
    if isinstance(scheduler, _CyclicalScheduler):
        scheduler.event_index = at
    elif at != scheduler.last_epoch:
        scheduler.step(at)


def last_values(scheduler: Any) -> list[float]:
    """The values the last step wrote, one per driven group (``get_last_lr()`` where the
    scheduler has one; ignite's handlers have none, so their groups are read)."""
    if isinstance(scheduler, _CyclicalScheduler):
        return [float(g[scheduler.param_name]) for g in scheduler.optimizer_param_groups]
    return list(scheduler.get_last_lr())


def load_state(scheduler: Any, state: Any) -> None:
    """``scheduler.load_state_dict(state)`` for a state dict that went through R."""
    if isinstance(state, Mapping):
        own = scheduler.state_dict()
        state = {
            key: [value] if isinstance(own.get(key), list) and v.is_real(value) else value
            for key, value in state.items()
        }
    scheduler.load_state_dict(state)


def resume_with(scheduler: Any, **settings: Any) -> None:
    """``scheduler.resume_with(**settings)`` for R.

    R copies values into an optimizer that lives in R at whole positions only, so a
    warm-restart resume that would land between two steps (see
    ``CosineAnnealingWarmRestarts.resume_with``) is refused there, before anything
    changes: it is tried on a copy first.
    """
    if isinstance(scheduler, CosineAnnealingWarmRestarts) and isinstance(
        scheduler.optimizer, ROptimizer
    ):
        trial = copy.deepcopy(scheduler)
        trial.resume_with(**settings)
        if not float(trial.position).is_integer():
            raise ValueError(
                f"resume_with({_call_args(settings)}) would continue between two steps "
                f"(position {trial.position:g}), which an optimizer that lives in R cannot "
                "follow: choose T_0 so that the current cycle's remaining fraction is a whole "
                "number of steps, or drive a Python optimizer"
            )
    scheduler.resume_with(**settings)


def _call_args(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in settings.items())


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
        "lr": np.asarray(lr).tolist(),
        "momentum": np.asarray(momentum).tolist(),
    }


def cosine_table(num_events: Any, **settings: Any) -> dict[str, list[float] | list[int]]:
    """:func:`lr_one_cycle.cosine_annealing_schedule` at events ``0 .. num_events-1``."""
    events = np.arange(v.as_count("num_events", num_events), dtype=np.int64)
    values = cosine_annealing_schedule(events, exact=True, **settings)
    return {"step": events.tolist(), "lr": np.asarray(values).tolist()}


def warm_restarts_table(total_steps: Any, **settings: Any) -> dict[str, list[float] | list[int]]:
    """:func:`lr_one_cycle.warm_restarts_schedule` at steps ``0 .. total_steps-1``."""
    steps = np.arange(v.as_count("total_steps", total_steps), dtype=np.int64)
    values = warm_restarts_schedule(steps.astype(np.float64), exact=True, **settings)
    return {"step": steps.tolist(), "lr": np.asarray(values).tolist()}
