"""What the R package ``lronecycle`` (``r/``) calls through reticulate.

The R package is a veneer: it builds the same scheduler classes Python users build (so
R gets the same checks, values and state) and reads values from the same core, the
scheduler's :attr:`~lr_one_cycle.scheduler.Scheduler.schedule`. This module holds no
formula and no argument check, and uses only the public API of the schedulers and the
schedules. It adapts what reticulate 1.28 cannot carry on its own:

- an optimizer that lives in R (R torch's, or any environment shaped like one) is
  described to Python by an :class:`ROptimizer`, holding only the plain ``lr`` /
  ``momentum`` / ``betas`` entries of its groups; R copies the values of a window of
  steps into the R lists, so that an R ``$step()`` makes no Python call;
- structured argument errors (``lr_one_cycle._validate.ArgumentProblem``) reach R only
  as strings through reticulate, so :func:`attempt` hands their parts to R, which words
  them for R users (``NA``, ``TRUE``, ``max_lr[[2]]``);
- NumPy 2 arrays do not convert to R, so values go back as lists of floats;
- every call's result becomes a new R object (about 13 µs), so a Python optimizer's
  step goes through an attribute assignment (:class:`Stepper`, about 5 µs);
- R turns a one-element list into a scalar, so a state dict coming back from R has its
  list-valued entries restored before it is loaded.

The step convention is stated in :mod:`lr_one_cycle.schedules._protocol`.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from .. import ScheduleOverrideWarning
from ..cosine import CosineAnnealingScheduler, LinearCyclicalScheduler
from ..cyclic import CyclicLR
from ..one_cycle import OneCycleLR
from ..schedules import (
    CyclicSchedule,
    OneCycleSchedule,
    WarmupStableDecaySchedule,
    cosine_annealing_schedule,
    cyclic_lr_schedule,
    linear_cyclical_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
    warmup_cosine_schedule,
    warmup_stable_decay_schedule,
)
from ..sequential import SequentialLR, WarmupLR
from ..warm_restarts import CosineAnnealingWarmRestarts
from ..wsd import WarmupStableDecayLR

#: The schedulers R builds, by the name of the R function that builds them.
SCHEDULERS: dict[str, type] = {
    "lr_one_cycle": OneCycleLR,
    "lr_cosine_annealing_warm_restarts": CosineAnnealingWarmRestarts,
    "lr_cosine_annealing_scheduler": CosineAnnealingScheduler,
    "lr_linear_cyclical_scheduler": LinearCyclicalScheduler,
    "lr_cyclic": CyclicLR,
    "lr_sequential": SequentialLR,
    "lr_warmup": WarmupLR,
    "lr_warmup_stable_decay": WarmupStableDecayLR,
}

#: ignite's handlers: nothing written until a call, which writes event ``event_index``.
_IGNITE = (CosineAnnealingScheduler, LinearCyclicalScheduler)


def attempt(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """``{"value": function(*args, **kwargs)}``, or ``{"problem": parts}`` when it raises
    a structured argument error (any error with ``parts()``, the package's
    ``ArgumentProblem``); every other exception propagates."""
    try:
        return {"value": function(*args, **kwargs)}
    except (ValueError, TypeError) as error:
        parts = getattr(error, "parts", None)
        if not callable(parts):
            raise
        return {"problem": parts()}


# --------------------------------------------------------------------------- schedulers


class ROptimizer:
    """Stand-in for an optimizer that lives in R.

    A scheduler built on it checks its arguments, keeps its state and computes its
    values exactly as for a torch optimizer. Its class is renamed after the R class
    (:func:`r_optimizer`), so messages name what the R user passed.
    """

    def __init__(self, param_groups: list[dict[str, Any]], defaults: Mapping[str, Any] | None):
        self.param_groups = param_groups
        self.defaults = defaults


def r_optimizer(param_groups: Any, defaults: Any, r_class: str) -> Any:
    """An :class:`ROptimizer` whose type is named ``r_class``; when R found no
    ``param_groups`` on what it was given, an empty object of that name, so that the
    schedulers' own check names what the R user passed."""
    if param_groups is None:
        return type(r_class, (), {})()
    named = type(r_class, (ROptimizer,), {})
    return named(param_groups, defaults if isinstance(defaults, Mapping) else None)


def build(kind: str, optimizer: Any, settings: Mapping[str, Any]) -> tuple[Any, bool]:
    """``SCHEDULERS[kind](optimizer, **settings)`` and whether it is verbose.

    The scheduler checks ``verbose`` like its other arguments; R then reports each step
    itself, in R torch's words through ``message()``, so the Python scheduler is made
    quiet (and what it printed while applying step 0 is dropped).
    """
    with contextlib.redirect_stdout(io.StringIO()):
        scheduler = SCHEDULERS[kind](optimizer, **settings)
    verbose = bool(getattr(scheduler, "verbose", False))
    if verbose:
        scheduler.verbose = False
    return scheduler, verbose


def describe(scheduler: Any) -> dict[str, Any]:
    """How R copies this scheduler's values into an R optimizer.

    ``ahead`` is 1 for schedulers that follow the package's step convention (the
    constructor applies step ``position``, the next ``step()`` applies ``position + 1``)
    and 0 for ignite's handlers (nothing written until a call, which writes event
    ``position``). ``index`` is the one group an ignite handler drives (1-based, or
    None for every group), ``name`` the entry written, ``momentum_key`` the entry
    cycled opposite to the lr (None: none).
    """
    if isinstance(scheduler, _IGNITE):
        index = scheduler.param_group_index
        return {
            "ahead": 0,
            "position": scheduler.event_index,
            "name": scheduler.param_name,
            "index": None if index is None else index + 1,
            "momentum_key": None,
        }
    return {
        "ahead": 1,
        "position": scheduler.last_epoch,
        "name": "lr",
        "index": None,
        "momentum_key": scheduler.momentum_key,
    }


def window(scheduler: Any, start: int, size: int) -> tuple[list[float], list[float]]:
    """Values of positions ``start .. start+size-1`` (clipped to the schedule), each
    group's values position after position (R reads them as matrices with one column
    per position), and the cycled momentum likewise (empty when none is cycled).

    Past the end of a schedule of fixed length it raises ``step()``'s own error.
    """
    schedule = scheduler.schedule
    last = schedule.last_step
    if last is not None and start > last:
        move_to(scheduler, start - 1)
        scheduler.step()  # raises step()'s own error, changing nothing
    stop = start + size if last is None else min(start + size, last + 1)
    # exact=True: bitwise equal to the values the Python schedulers write.
    lr, momentum = schedule.values(np.arange(start, stop, dtype=np.int64), exact=True)
    if isinstance(scheduler, _IGNITE) or momentum is None or scheduler.momentum_key is None:
        return lr.ravel().tolist(), []
    return lr.ravel().tolist(), momentum.ravel().tolist()


@contextlib.contextmanager
def _on_stand_in() -> Iterator[None]:
    """Steps applied to a stand-in, which the schedulers built on one R optimizer share
    (as Python's schedulers share their optimizer; ``SequentialLR`` checks it): each
    finds in it what another one or R put there last, and its
    :class:`~lr_one_cycle.ScheduleOverrideWarning` would report that. What is in the
    stand-in is not read (R holds the values), so the warning is silenced here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScheduleOverrideWarning)
        yield


def move_to(scheduler: Any, position: int) -> None:
    """Tell the Python scheduler that the R side has reached ``position`` (before its
    state is read or changed). What it writes into the stand-in is not read: R holds
    the values."""
    if isinstance(scheduler, _IGNITE):
        scheduler.event_index = position
    elif position != scheduler.last_epoch:
        with _on_stand_in():
            scheduler.step(position)


def step_with_groups(scheduler: Any, param_groups: list[dict[str, Any]], position: int) -> None:
    """Apply ``position`` with the R optimizer's current groups in the stand-in, for the
    scheduler's own error when they no longer fit (groups added or removed). A failing
    step changes nothing (every scheduler's promise); the stand-in keeps its groups."""
    optimizer = scheduler.optimizer
    kept = optimizer.param_groups
    optimizer.param_groups = param_groups
    try:
        if isinstance(scheduler, _IGNITE):
            scheduler.event_index = position
            scheduler()
        else:
            with _on_stand_in():
                scheduler.step(position)
    finally:
        optimizer.param_groups = kept


def last_values(scheduler: Any) -> list[float]:
    """The values the last step wrote, one per driven group, as floats
    (``get_last_lr()``; ignite's handlers have none, so their groups are read)."""
    if isinstance(scheduler, _IGNITE):
        return [float(g[scheduler.param_name]) for g in scheduler.optimizer_param_groups]
    return [float(lr) for lr in scheduler.get_last_lr()]


def lr_at_last_epoch(scheduler: Any) -> list[float]:
    """torch's ``get_lr()``: the lrs of step ``last_epoch``, computed by the schedule (a
    scheduler cycling the momentum also writes that step's momentum, as torch's
    ``OneCycleLR`` does); for ignite's handlers, the value of the last event written,
    for each driven group."""
    if isinstance(scheduler, _IGNITE):
        value = scheduler.schedule.values(scheduler.event_index - 1, exact=True).lr
        return [float(value[0])] * len(scheduler.optimizer_param_groups)
    return [float(lr) for lr in scheduler.get_lr()]


def load_state(scheduler: Any, state: Any) -> None:
    """``scheduler.load_state_dict(state)`` for a state dict that went through R."""
    if isinstance(state, Mapping):
        state = _as_saved(scheduler.state_dict(), state)
    scheduler.load_state_dict(state)


def _as_saved(own: Any, value: Any) -> Any:
    """``value``, an entry of a state dict that went through R, with the lists R made
    into scalars restored where the scheduler's ``own`` entry is a list, at any depth
    (the parts' states inside a sequence's)."""
    if isinstance(own, Mapping) and isinstance(value, Mapping):
        return {key: _as_saved(own.get(key), item) for key, item in value.items()}
    if isinstance(own, list):
        if isinstance(value, (numbers.Real, Mapping)):
            value = [value]
        if isinstance(value, list) and len(value) == len(own):
            return [_as_saved(mine, item) for mine, item in zip(own, value)]
    return value


class Stepper:
    """``scheduler.step()`` run by an attribute assignment, ``stepper.step = None``.

    reticulate 1.28 wraps the result of every call, ``None`` included, in a new R object
    with a finalizer; that costs more than a whole ``step()``. Assigning an attribute
    (``reticulate::py_set_attr``) returns nothing, so R steps a Python optimizer's
    scheduler through this object. Catching an error in R costs as much again
    (``tryCatch`` sets up handlers at every call), so a failing step does not raise:
    ``report(type, message, parts)`` (an R function) receives the exception's type
    name, message and, for a structured argument error, its parts; R then raises it.
    """

    __slots__ = ("_step", "_report")
    _step: Callable[[], Any]
    _report: Callable[[str, str, Any], Any]

    def __init__(self, scheduler: Any, report: Callable[[str, str, Any], Any]) -> None:
        object.__setattr__(self, "_step", scheduler.step)
        object.__setattr__(self, "_report", report)

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "step":
            raise AttributeError(f"Stepper has only 'step' to assign, not {name!r}")
        try:
            self._step()
        except Exception as error:  # every scheduler's step() changes nothing when it raises
            parts = getattr(error, "parts", None)
            self._report(type(error).__name__, str(error), parts() if callable(parts) else None)


# --------------------------------------------------------------------------- schedules


def _table(steps: Any, lr: Any, momentum: Any) -> dict[str, Any]:
    """Columns for R: the steps evaluated, and the values as flat lists, step after step
    with one value per group (``groups`` of them). No steps: no values, and the groups
    the schedule has (a schedule's values at no steps are ``(0, groups)``, or ``(0,)``
    for one group)."""
    lr = np.asarray(lr, dtype=np.float64)
    count = np.asarray(steps).size
    if count:
        lr = lr.reshape(count, -1)
    else:
        lr = lr.reshape(0, lr.shape[1] if lr.ndim == 2 else 1)
    return {
        "step": np.asarray(steps).reshape(-1).tolist(),
        "groups": lr.shape[1],
        "lr": lr.ravel().tolist(),
        "momentum": None if momentum is None else np.asarray(momentum).ravel().tolist(),
    }


def one_cycle_table(steps: Any, exact: Any, **settings: Any) -> dict[str, Any]:
    """:func:`lr_one_cycle.one_cycle_schedule`; ``steps`` None stands for the run's
    updates ``0 .. total_steps - 1`` (R's default)."""
    if steps is None:
        steps = np.arange(OneCycleSchedule(**settings).last_step, dtype=np.int64)
    lr, momentum = one_cycle_schedule(steps, exact=exact, **settings)
    return _table(steps, lr, momentum)


def cosine_annealing_table(steps: Any, exact: Any, **settings: Any) -> dict[str, Any]:
    """:func:`lr_one_cycle.cosine_annealing_schedule` at ``steps`` (events)."""
    return _table(steps, cosine_annealing_schedule(steps, exact=exact, **settings), None)


def linear_cyclical_table(steps: Any, exact: Any, **settings: Any) -> dict[str, Any]:
    """:func:`lr_one_cycle.linear_cyclical_schedule` at ``steps`` (events)."""
    return _table(steps, linear_cyclical_schedule(steps, exact=exact, **settings), None)


def warm_restarts_table(steps: Any, exact: Any, **settings: Any) -> dict[str, Any]:
    """:func:`lr_one_cycle.warm_restarts_schedule` at ``steps`` (epochs, may be
    fractional)."""
    return _table(steps, warm_restarts_schedule(steps, exact=exact, **settings), None)


def cyclic_lr_table(steps: Any, exact: Any, **settings: Any) -> dict[str, Any]:
    """:func:`lr_one_cycle.cyclic_lr_schedule`; ``steps`` None stands for the first two
    cycles, steps ``0 .. 2 * (step_size_up + step_size_down)`` (R's default: the modes
    differ from the second cycle on)."""
    if steps is None:
        checked = CyclicSchedule(**settings)
        size = checked.step_size_up + checked.step_size_down
        steps = np.arange(int(2 * size) + 1, dtype=np.int64)
    lr, momentum = cyclic_lr_schedule(steps, exact=exact, **settings)
    return _table(steps, lr, momentum)


def warmup_stable_decay_table(steps: Any, exact: Any, **settings: Any) -> dict[str, Any]:
    """:func:`lr_one_cycle.warmup_stable_decay_schedule`; ``steps`` None stands for the
    run's updates ``0 .. total_steps - 1`` (R's default)."""
    if steps is None:
        steps = np.arange(WarmupStableDecaySchedule(**settings).total_steps, dtype=np.int64)
    return _table(steps, warmup_stable_decay_schedule(steps, exact=exact, **settings), None)


def warmup_cosine_table(steps: Any, exact: Any, **settings: Any) -> dict[str, Any]:
    """:func:`lr_one_cycle.warmup_cosine_schedule`; ``steps`` None stands for the run's
    updates ``0 .. total_steps - 1`` (R's default)."""
    if steps is None:
        warmup_cosine_schedule(0, exact=exact, **settings)  # its checks, before the range
        steps = np.arange(int(settings["total_steps"]), dtype=np.int64)
    return _table(steps, warmup_cosine_schedule(steps, exact=exact, **settings), None)
