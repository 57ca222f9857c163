"""The one scheduler base: what every scheduler of the package promises, written once.

A scheduler is a schedule (:mod:`lr_one_cycle.schedules`, the pure core, which also
states the step convention) plus an optimizer to write its values into. The base holds
the contract:

- the value window (:class:`ValueWindow`): the values of consecutive steps, read from
  the core a window at a time (one exact, vectorised evaluation) and kept as flat lists
  of floats, so that a ``step()`` costs a slice and a write, and nothing the garbage
  collector tracks lives per step. Windows start small (a constructor costs about one
  evaluation, however long the schedule) and double up to ``32768 // groups`` steps;
- :func:`write_values`, the one writer into ``param_groups``: a tensor ``lr``,
  ``momentum`` or ``betas[0]`` is updated in place and stays the same tensor (so a
  ``torch.compile``d optimizer step that guards on it does not recompile), plain floats
  are replaced, and nothing else is ever written (settings stay on the scheduler);
- torch's ``LRScheduler`` protocol as the tools around it read it: ``optimizer``,
  ``base_lrs``, ``last_epoch``, ``get_lr()`` computed from ``last_epoch``,
  ``get_last_lr()``, ``_step_count``; ``state_dict`` / ``load_state_dict`` from declared
  keys, with their checks; ``resume_with`` (elastic resume); ``repr``; ``verbose``;
- failure atomicity: every method checks and computes everything first, then commits,
  so a call that raises leaves the scheduler and the optimizer exactly as they were.

torch is not imported by this module. When torch has been imported (always the case
when the optimizer is a torch optimizer), a scheduler is created as an instance of a
subclass that also derives from ``torch.optim.lr_scheduler.LRScheduler``, so
``isinstance`` checks in Lightning, ignite and torch's own wrappers accept it; torch's
``__init__`` is not run (it would write ``initial_lr`` into the groups and wrap
``optimizer.step``), the attributes its methods and the tools read are set instead.
Without torch (the CLI, an optimizer that lives in R), nothing of torch is loaded.

We never wrap ``optimizer.step`` (torch does, to detect a scheduler stepped before the
optimizer): a wrapper changes the optimizer object that the user, ``torch.compile`` and
checkpointing see, and two libraries wrapping it interfere.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from . import _validate as v
from .schedules import Schedule

# --------------------------------------------------------------------------- torch variants

_TORCH_VARIANTS: dict[type, type] = {}


def _torch_scheduler_base() -> type | None:
    if "torch" not in sys.modules:
        return None
    try:
        from torch.optim.lr_scheduler import LRScheduler
    except ImportError:  # pragma: no cover - a broken torch install
        return None
    return LRScheduler


def _variant(cls: type) -> type:
    """``cls``, or its subclass that also derives from torch's ``LRScheduler`` when torch
    is imported (created once per class, named like it)."""
    base = _torch_scheduler_base()
    if base is None or issubclass(cls, base):
        return cls
    variant = _TORCH_VARIANTS.get(cls)
    if variant is None:
        namespace = {
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
            "_public_class": cls,
        }
        variant = type(cls.__name__, (cls, base), namespace)
        _TORCH_VARIANTS[cls] = variant
    return variant


def _rebuild(cls: type) -> Any:
    """Unpickling: an empty instance of ``cls`` (or its torch variant); the state follows."""
    return object.__new__(_variant(cls))


# --------------------------------------------------------------------------- writing


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "fill_") and hasattr(value, "dtype")


def write(group: dict[str, Any], key: str, value: float) -> None:
    """Set ``group[key]`` to ``value``, in place when it holds a tensor."""
    current = group[key]
    if current.__class__ is not float and _is_tensor(current):
        current.fill_(value)
    else:
        group[key] = value


def write_momentum(group: dict[str, Any], key: str, value: float) -> None:
    """Set the momentum: ``group["momentum"]``, or ``betas[0]`` keeping the other betas."""
    if key == "momentum":
        write(group, key, value)
        return
    betas = group["betas"]
    first = betas[0]
    if first.__class__ is not float and _is_tensor(first):
        first.fill_(value)
    else:
        group["betas"] = (value, *betas[1:])


def write_values(
    groups: Sequence[dict[str, Any]],
    lrs: Sequence[float],
    momentum_key: str | None,
    momentums: Sequence[float] | None,
) -> None:
    """Write every group's lr and, unless ``momentum_key`` is None, its momentum.

    One loop per step on the hot path of every scheduler: floats are replaced directly,
    anything else goes through :func:`write` / :func:`write_momentum`.
    """
    if momentum_key is None or momentums is None:
        for group, lr in zip(groups, lrs):
            if group["lr"].__class__ is float:
                group["lr"] = lr
            else:
                write(group, "lr", lr)
        return
    plain_momentum = momentum_key == "momentum"
    for group, lr, m in zip(groups, lrs, momentums):
        if group["lr"].__class__ is float:
            group["lr"] = lr
        else:
            write(group, "lr", lr)
        if plain_momentum and group["momentum"].__class__ is float:
            group["momentum"] = m
        else:
            write_momentum(group, momentum_key, m)


def plain(value: Any) -> Any:
    """A setting as a plain Python value for a state dict (tuples become lists)."""
    return list(value) if isinstance(value, tuple) else value


def short(values: Sequence[float]) -> str:
    shown = ", ".join(f"{x:.4g}" for x in values[:4])
    return f"[{shown}{', ...' if len(values) > 4 else ''}]"


# --------------------------------------------------------------------------- the window


class ValueWindow:
    """The exact values of consecutive steps of ``schedule``, read a window at a time.

    Kept as flat lists of floats (one list per column, whatever the window's length), so
    that nothing the garbage collector tracks lives per step. Windows start at 16 steps
    and double up to ``32768 // n_groups``; a fractional position is computed alone.
    """

    __slots__ = ("_lr", "_momentum", "_n", "_size", "_max", "_start", "_len", "schedule", "last")

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        #: ``schedule.last_step``, read once: ``step()`` checks it every call.
        self.last = schedule.last_step
        self._n = schedule.n_groups
        self._max = max(16, 32768 // self._n)
        self._size = 16
        self._start = 0
        self._len = 0
        self._lr: list[float] = []
        self._momentum: list[float] | None = None

    def at(self, position: int | float) -> tuple[list[float], list[float] | None]:
        """``(lrs, momentums)`` at a checked position, one value a group (new lists)."""
        if type(position) is not int:
            return self.schedule.at(position)
        offset = position - self._start
        if not 0 <= offset < self._len:
            self._fill(position)
            offset = 0
        n = self._n
        i = offset * n
        momentum = self._momentum
        return self._lr[i : i + n], None if momentum is None else momentum[i : i + n]

    def _fill(self, start: int) -> None:
        stop = start + self._size
        last = self.last
        if last is not None:
            stop = min(stop, last + 1)
        lr, momentum = self.schedule.values(np.arange(start, stop, dtype=np.int64), exact=True)
        self._lr = lr.ravel().tolist()
        self._momentum = None if momentum is None else momentum.ravel().tolist()
        self._start = start
        self._len = stop - start
        self._size = min(2 * self._size, self._max)


# --------------------------------------------------------------------------- the base


class Scheduler:
    """The contract every scheduler of the package keeps (see the module docstring).

    A subclass builds its :class:`~lr_one_cycle.schedules.Schedule` from its arguments,
    declares the settings its state dict carries (``_state_settings``, attributes of
    the scheduler), and calls :meth:`_start`. Step convention:
    :mod:`lr_one_cycle.schedules._protocol`.
    """

    #: Settings saved by ``state_dict()`` and compared by ``load_state_dict()``.
    _state_settings: ClassVar[tuple[str, ...]] = ()
    _public_class: ClassVar[type | None] = None

    optimizer: Any
    last_epoch: int
    base_lrs: list[float]
    verbose: bool
    momentum_key: str | None
    _schedule: Schedule
    _position: int | float
    _last_lr: list[float]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(_variant(cls))

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        return (_rebuild, (cls._public_class or cls,), self.__dict__)

    # ------------------------------------------------------------------ set-up

    def _start(
        self,
        optimizer: Any,
        schedule: Schedule,
        *,
        position: int | float,
        momentum_key: str | None,
        base_lrs: Sequence[float],
        verbose: Any = False,
    ) -> None:
        """Apply ``position`` (checked) of ``schedule`` to ``optimizer``; every argument
        was checked by the subclass, nothing was written yet."""
        verbose = v.as_bool("verbose", verbose)
        groups = optimizer.param_groups
        v.check_group_count(groups, schedule.n_groups)
        lrs, momentums = schedule.at(position)
        write_values(groups, lrs, momentum_key, momentums)
        self.optimizer = optimizer
        self.verbose = verbose
        self.momentum_key = momentum_key
        self.base_lrs = list(base_lrs)
        self._use(schedule)
        self._position = position
        self.last_epoch = math.floor(position)
        self._last_lr = lrs
        self._step_count = 1
        self._announce(lrs)

    def _use(self, schedule: Schedule) -> None:
        self._schedule = schedule
        self._window = ValueWindow(schedule)
        last = schedule.last_step
        self._end: float = math.inf if last is None else last

    @property
    def schedule(self) -> Schedule:
        """The schedule being followed (after ``resume_with``, the resumed one)."""
        return self._schedule

    # ------------------------------------------------------------------ values

    def _current_position(self) -> int | float:
        """The position in force: ``last_epoch``, unless it is the whole part of a
        fractional position. Tools that drive torch schedulers set ``last_epoch``."""
        position = self._position
        if position != self.last_epoch and math.floor(position) != self.last_epoch:
            return self.last_epoch
        return position

    # ------------------------------------------------------------------ stepping

    def step(self, epoch: int | float | None = None) -> None:
        """Apply the next step, or jump to step ``epoch``, and write its values.

        Raises ``ValueError`` past the end of a schedule of fixed length, or when the
        optimizer's groups changed, leaving the scheduler and the optimizer as they were.
        """
        if epoch is None:
            position = self._position
            # The usual case inline (this is every training step): a position that tools
            # driving last_epoch have not moved.
            if position != self.last_epoch:
                position = self._current_position()
            target = position + 1
            if target > self._end:
                raise ValueError(self._past_the_end_message())
        else:
            target = self._schedule.check_step(epoch, "epoch")
        self._apply(target)

    def _past_the_end_message(self) -> str:
        last = self._schedule.last_step
        return (
            f"step() beyond the end of the schedule: {self._schedule.range_note()} were "
            f"configured and {self.last_epoch} steps have been taken (the "
            f"{v.ordinal(last or 0)} step() holds the final value); last_epoch stays "
            f"{self.last_epoch}"
        )

    def _apply(self, position: int | float) -> None:
        """Write the values of ``position`` and make it current; nothing changes when
        it raises."""
        lrs, momentums = self._window.at(position)
        groups = self.optimizer.param_groups
        if len(groups) != len(lrs):
            v.check_group_count(groups, len(lrs))
        write_values(groups, lrs, self.momentum_key, momentums)
        self._position = position
        self.last_epoch = position if position.__class__ is int else math.floor(position)
        self._last_lr = lrs
        self._step_count += 1
        if self.verbose:
            self._announce(lrs)

    def _announce(self, lrs: Sequence[float]) -> None:
        if self.verbose:
            for i, lr in enumerate(lrs):
                print(f"Adjusting learning rate of group {i} to {lr:.4e}.")

    def get_lr(self) -> list[float]:
        """The learning rates of the step in force (``last_epoch``), one per group,
        computed from the schedule (torch's protocol: wrappers such as ignite's
        ``LRScheduler`` set ``last_epoch`` and call ``get_lr()``).

        Like torch's ``OneCycleLR.get_lr()``, a scheduler that cycles the momentum also
        writes that step's momentum, so such wrappers cycle it too. Prefer :meth:`step`.
        """
        position = self._current_position()
        lrs, momentums = self._window.at(self._schedule.check_step(position, "last_epoch"))
        if self.momentum_key is not None and momentums is not None:
            groups = self.optimizer.param_groups
            v.check_group_count(groups, len(lrs))
            for group, m in zip(groups, momentums):
                write_momentum(group, self.momentum_key, m)
        return lrs

    def _get_closed_form_lr(self) -> list[float]:
        """torch's closed form (``step(epoch)``): the same as :meth:`get_lr`'s values."""
        return self._window.at(self._schedule.check_step(self._current_position(), "last_epoch"))[0]

    def get_last_lr(self) -> list[Any]:
        """The learning rates written by the last step, one per group: floats, or copies
        of the tensors when the groups hold tensor lrs (as torch's)."""
        groups = self.optimizer.param_groups
        if any(_is_tensor(g["lr"]) for g in groups):
            return [g["lr"].clone() if _is_tensor(g["lr"]) else g["lr"] for g in groups]
        return list(self._last_lr)

    # ------------------------------------------------------------------ elastic resume

    def resume_with(self, **changes: Any) -> None:
        """Elastic resume: follow ``self.schedule.resumed(position, **changes)`` from now
        on (each scheduler documents its arguments). Raises, changing nothing, for a
        resume the schedule refuses."""
        schedule, position = self._schedule.resumed(self._current_position(), **changes)
        self._follow(schedule, position)

    def _follow(self, schedule: Schedule, position: int | float) -> None:
        """Switch to ``schedule`` at ``position`` and apply it; nothing changes on error."""
        lrs, momentums = schedule.at(position)
        groups = self.optimizer.param_groups
        v.check_group_count(groups, len(lrs))
        write_values(groups, lrs, self.momentum_key, momentums)
        self._adopt(schedule, position, lrs)
        if self.verbose:
            self._announce(lrs)

    def _adopt(
        self, schedule: Schedule, position: int | float, lrs: list[float] | None = None
    ) -> None:
        """Follow ``schedule`` from ``position`` (checked) without writing anything: the
        commit step of :meth:`_follow`, and how a ``SequentialLR`` keeps the schedulers
        it joined in step with it. ``lrs``: the values at ``position``, when known."""
        self._use(schedule)
        self._position = position
        self.last_epoch = math.floor(position)
        self._last_lr = schedule.at(position)[0] if lrs is None else lrs

    # ------------------------------------------------------------------ state

    def _settings_state(self) -> dict[str, Any]:
        return {key: plain(getattr(self, key)) for key in self._state_settings}

    def _extra_state(self) -> dict[str, Any]:
        """Entries beyond ``last_epoch`` and the settings (the subclass's position...)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """Position and settings, as plain Python values (``torch.load(weights_only=True)``
        reads them back). The optimizer is not part of it."""
        return {"last_epoch": self.last_epoch, **self._settings_state(), **self._extra_state()}

    def _required_state(self) -> tuple[str, ...]:
        return ("last_epoch", *self._state_settings)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the position saved by :meth:`state_dict` and re-apply its values.

        The saved settings must be this scheduler's; anything else is refused with a
        message naming what differs, and nothing changes.
        """
        state = v.check_saved_state(state_dict, self._required_state(), type(self).__name__)
        schedule, position = self._restored(state)
        self._follow(schedule, position)

    def _restored(self, state: Mapping[str, Any]) -> tuple[Schedule, int | float]:
        """The schedule and position a checked state describes (default: the settings
        must be equal, the schedule is kept, the position is ``last_epoch``)."""
        v.refuse_other_schedule(v.settings_differences(state, self._settings_state()))
        position = self._schedule.check_step(state["last_epoch"], "state_dict['last_epoch']")
        return self._schedule, position

    def _repr_fields(self) -> dict[str, Any]:
        """The settings ``repr`` shows (default: the state settings)."""
        return {key: getattr(self, key) for key in self._state_settings}

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={_repr_value(x)}" for k, x in self._repr_fields().items())
        return (
            f"{type(self).__name__}({settings}, last_epoch={self.last_epoch}, "
            f"last_lr={short(self._last_lr)})"
        )


def _repr_value(value: Any) -> str:
    if isinstance(value, (list, tuple)) and value and all(isinstance(x, float) for x in value):
        return short(list(value))
    return repr(value)
