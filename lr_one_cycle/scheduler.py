"""The one scheduler base: what every scheduler of the package promises, written once.

A scheduler is a schedule (:mod:`lr_one_cycle.schedules`, the pure core, which also
states the step convention) plus an optimizer to write its values into. The base holds
the contract:

- the value window (:class:`ValueWindow`): the values of consecutive steps, read from
  the core a window at a time (one exact, vectorised evaluation) and kept as flat lists
  of floats, so that a ``step()`` costs a slice and a write, and nothing the garbage
  collector tracks lives per step. Windows start small (a constructor costs about one
  evaluation, however long the schedule) and double up to ``32768 // groups`` steps;
- the one writer into ``param_groups`` (:mod:`lr_one_cycle._param_groups`): a tensor
  ``lr``, ``momentum`` or ``betas[0]`` is updated in place and stays the same tensor (so a
  ``torch.compile``d optimizer step that guards on it does not recompile), plain floats
  are replaced, and none of the scheduler's settings is ever written (they stay on the
  scheduler; the one other entry is torch's ``initial_lr``, see below);
- torch's ``LRScheduler`` protocol as the tools around it use it: ``optimizer``,
  ``base_lrs``, ``last_epoch``, ``get_lr()`` and ``_get_closed_form_lr()`` computed from
  ``last_epoch`` (ignite's ``LRScheduler`` wrapper sets it and calls ``get_lr()``),
  ``get_last_lr()`` (tensors when the groups hold tensor lrs), ``_step_count``,
  ``_initial_step()`` and ``_update_lr(epoch)`` (torch's ``SequentialLR`` calls them),
  torch's warning when ``step()`` comes before the first ``optimizer.step()``;
  ``state_dict`` / ``load_state_dict`` from declared keys, with their checks;
  ``resume_with`` (elastic resume); ``repr``; ``verbose``;
- failure atomicity: every method checks and computes everything first, then commits,
  so a call that raises leaves the scheduler and the optimizer exactly as they were.

torch is not imported by this module. When torch has been imported (always the case
when the optimizer is a torch optimizer), a scheduler is created as an instance of a
subclass that also derives from a torch class (``torch.optim.lr_scheduler.LRScheduler``,
or the class it mirrors where tools single that class out), so ``isinstance`` checks in
Lightning, ignite and torch's own wrappers accept it; torch's ``__init__`` is not run
(it would wrap ``optimizer.step``), the attributes its methods and the tools read are
set instead. Without torch (the CLI, an optimizer that lives in R), nothing of torch is
loaded.

Composing with torch's and ignite's wrappers
--------------------------------------------
Every scheduler writes absolute values: the values of step ``k`` are a function of
``k`` alone, never a multiple of the lr found in the groups. That decides which
compositions are exact:

- **Hand-over compositions are exact.** torch's ``SequentialLR`` runs one scheduler at
  a time and starts the next at its step 0 (``_initial_step()``, ``_update_lr(0)``);
  ignite's ``ConcatScheduler`` and ``create_lr_scheduler_with_warmup`` do the same
  around ignite's ``LRScheduler`` wrapper. Around these schedulers they apply exactly
  what they apply around torch's own classes.
- **Multiplicative compositions cannot be.** torch's ``ChainedScheduler`` steps every
  scheduler on the same lr and counts on each one multiplying what the previous one
  left ("chainable" schedulers such as ``MultiStepLR``). An absolute scheduler
  overwrites that product, so the other factors are lost (torch's own ``OneCycleLR``
  and ``CosineAnnealingWarmRestarts`` lose them silently). Here a ``step()`` that finds
  another lr in a group than the one it wrote last issues a
  :class:`ScheduleOverrideWarning` naming the group and both values, before it
  overwrites it. The same warning catches any other writer of ``group["lr"]`` between
  two steps (``ReduceLROnPlateau``, code that sets the lr by hand). A tensor lr on an
  accelerator is not read for it (that would wait for the device at every step).
- To compose schedules, join them: ``SequentialLR`` with these schedulers, or
  ``join_schedules`` (:mod:`lr_one_cycle.schedules.compose`), which builds one schedule
  out of several, switching at given steps, with the exact values of each.

``initial_lr``: torch's ``SequentialLR`` resets every group's lr to
``group["initial_lr"]`` when it is built (``KeyError`` without it), and torch schedulers
built after ours read it as their base lr. So, on a torch optimizer and only when a run
starts (``last_epoch=-1``), each scheduler leaves there exactly what the torch class it
mirrors leaves (:attr:`Scheduler._initial_lrs`); the schedulers themselves never read it
(except as the documented default base lr of ``CosineAnnealingWarmRestarts``).

We never wrap ``optimizer.step`` (torch does, to detect a scheduler stepped before the
optimizer): a wrapper changes the optimizer object that the user, ``torch.compile`` and
checkpointing see, and two libraries wrapping it interfere. Applied updates are counted
by a hook registered with torch's public ``optimizer.register_step_post_hook`` instead
(one per optimizer, shared by its schedulers), which ``GradScaler``'s skipped updates do
not run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from . import _validate as v
from ._param_groups import (
    GroupWriter,
    is_tensor,
    replaced_lr,
    restore,
    warn_if_lr_replaced,
    write_momentum,
)
from ._settings import _repr_value, plain, short
from ._torch import (
    UpdateRecord,
    is_torch_optimizer,
    rebuild,
    update_record,
    variant,
    warn_if_no_update_yet,
)
from ._window import ValueWindow
from .schedules import Retimed, Schedule

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
    #: The torch class the torch variant derives from (see the module docstring).
    _torch_base: ClassVar[str] = "LRScheduler"
    #: Whether ``initial_lr`` replaces what is in the groups (torch's ``OneCycleLR``)
    #: or only fills it in where it is missing (torch's base class).
    _replaces_initial_lr: ClassVar[bool] = False

    optimizer: Any
    last_epoch: int
    base_lrs: list[float]
    verbose: bool
    momentum_key: str | None
    _schedule: Schedule
    _position: int | float
    _last_lr: list[float]
    _step_count: int
    _updates: UpdateRecord | None
    _writer: GroupWriter

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(variant(cls))

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        return (rebuild, (cls._public_class or cls,), self.__getstate__())

    def __getstate__(self) -> dict[str, Any]:
        # The update record is a hook of the optimizer: a copy watches its own optimizer.
        # The writer holds views of the optimizer's tensors: a copy starts a new one.
        return {k: x for k, x in self.__dict__.items() if k not in ("_updates", "_writer")}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self.__dict__.update(state)
        optimizer = state.get("optimizer")
        self._updates = None if optimizer is None else update_record(optimizer)
        self._writer = GroupWriter(state.get("momentum_key"))

    # ------------------------------------------------------------------ set-up

    def _start(
        self,
        optimizer: Any,
        schedule: Schedule,
        *,
        position: int | float,
        momentum_key: str | None,
        base_lrs: Sequence[float],
        initial_lrs: Sequence[float] | None = None,
        verbose: Any = False,
    ) -> None:
        """Apply ``position`` (checked) of ``schedule`` to ``optimizer``; every argument
        was checked by the subclass, nothing was written yet. ``initial_lrs``: what
        torch's ``initial_lr`` entry gets when a run starts on a torch optimizer (None
        when resuming), see the module docstring."""
        verbose = v.as_bool("verbose", verbose)
        groups = optimizer.param_groups
        v.check_group_count(groups, schedule.n_groups)
        lrs, momentums = schedule.at(position)
        writer = GroupWriter(momentum_key)
        writer.write(groups, lrs, momentum_key, momentums)
        if initial_lrs is not None and is_torch_optimizer(optimizer):
            for group, lr in zip(groups, initial_lrs):
                if self._replaces_initial_lr:
                    group["initial_lr"] = lr
                else:
                    group.setdefault("initial_lr", lr)
        self.optimizer = optimizer
        self._writer = writer
        self.verbose = verbose
        self.momentum_key = momentum_key
        self.base_lrs = list(base_lrs)
        self._use(schedule)
        self._position = position
        self.last_epoch = math.floor(position)
        self._last_lr = lrs
        self._step_count = 1
        self._updates = update_record(optimizer)
        self._announce(lrs)

    def _use(self, schedule: Schedule) -> None:
        self._schedule = schedule
        self._window = ValueWindow(schedule)
        last = schedule.last_step
        self._end: float = math.inf if last is None else last

    def _settings_of(self) -> Schedule:
        """The schedule whose settings the scheduler's attributes show: the one the run
        started from (a run re-timed by ``resume_with`` keeps its settings)."""
        schedule = self._schedule
        return schedule.original if isinstance(schedule, Retimed) else schedule

    @property
    def resume_knots(self) -> list[list[float]]:
        """The ``[step, position]`` knots of a run re-timed by :meth:`resume_with` (empty:
        never re-timed; :mod:`lr_one_cycle.schedules.resume`)."""
        schedule = self._schedule
        knots = schedule.knots if isinstance(schedule, Retimed) else ()
        return [[step, position] for step, position in knots]

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

        Call it after ``optimizer.step()``. Warns, like torch, when the first
        ``step()`` comes before any update was applied (unless the update was one
        ``GradScaler`` skipped: then :class:`~lr_one_cycle.ScheduleDriftWarning` says
        so), and with :class:`ScheduleOverrideWarning` when a group's lr is not the one
        this scheduler wrote last (see "Composing" in the module docstring).

        Raises ``ValueError`` past the end of a schedule of fixed length, or when the
        optimizer's groups changed, leaving the scheduler and the optimizer as they were
        (warnings come before anything is written, so a filter that turns them into
        errors changes nothing either).
        """
        # The hot path of every training loop: _update_lr(), _apply(), ValueWindow.at()
        # written out (steps in the window are valid: the end is checked outside it).
        if epoch is None:
            position = self._position
            if position != self.last_epoch:  # tools that drive last_epoch moved it
                position = self._current_position()
            target = position + 1
        else:
            target = self._schedule.check_step(epoch, "epoch")
        window = self._window
        if target.__class__ is int and window.start <= target < window.stop:
            n = window.n_groups
            i = (target - window.start) * n
            lrs = window.lr[i : i + n]
            momentums = window.momentum
            if momentums is not None:
                momentums = momentums[i : i + n]
            last_epoch = target
        else:
            if target > self._end:
                raise ValueError(self._past_the_end_message())
            lrs, momentums = window.at(target)
            last_epoch = math.floor(target)
        groups = self.optimizer.param_groups
        if self._step_count == 1:
            if len(groups) != len(lrs):
                v.check_group_count(groups, len(lrs))
            warn_if_no_update_yet(self._updates, self.optimizer)
        # Usually each group still holds the very float of _last_lr and the momentum
        # written last: one loop checks and writes each (write_held's case written out:
        # a call costs a tenth of a step; the groups written before one found changed
        # get back what they held). Else write_held; else, in torch's order, the group
        # count, the values compared (ScheduleOverrideWarning), the write.
        writer, key, left = self._writer, self.momentum_key, self._last_lr
        other = writer.momentum
        old = None if other is None or other.key != key else other.floats
        done = False  # written
        if old is not None and momentums is not None and len(left) == len(groups):
            rest = other.rest  # type: ignore[union-attr]
            new: list[Any] = momentums if rest is None else []  # betas: (m, beta2)
            i = 0
            try:
                for group in groups:
                    if group["lr"] is not left[i] or group[key] is not old[i]:
                        restore(groups, i, "lr", left)
                        restore(groups, i, key, old)  # type: ignore[arg-type]
                        break
                    group["lr"] = lrs[i]
                    if rest is None:
                        group[key] = momentums[i]
                    else:
                        pair = (momentums[i], rest[i])
                        group[key] = pair
                        new.append(pair)
                    i += 1
                else:
                    other.floats = new  # type: ignore[union-attr]
                    done = True
            except KeyError:  # a group lost an entry: the checked write below names it
                restore(groups, i, "lr", left)
                restore(groups, i, key, old)  # type: ignore[arg-type]
        if not done and not writer.write_held(groups, lrs, left, key, momentums):
            if len(groups) != len(lrs):
                v.check_group_count(groups, len(lrs))
            warn_if_lr_replaced(type(self).__name__, groups, left, key, momentums)
            writer.write(groups, lrs, key, momentums, checked=True)
        self._position = target
        self.last_epoch = last_epoch
        self._last_lr = lrs
        self._step_count += 1
        if self.verbose:
            self._announce(lrs)

    def _initial_step(self) -> None:
        """torch's protocol: torch's ``SequentialLR`` calls it on the scheduler that runs
        first, after setting every lr to ``initial_lr``. Applies step 0 again, as the
        constructor did, and counts as the constructor's step (``_step_count`` 1)."""
        self._apply(0)
        self._step_count = 1

    def _update_lr(self, epoch: int | float | None = None) -> None:
        """torch's protocol: torch's ``SequentialLR`` calls ``_update_lr(0)`` on the
        scheduler it hands over to at a milestone. Applies step ``epoch`` (the next step
        when None) through the one writer, momentum included, without the checks of
        :meth:`step` (a hand-over replaces the previous scheduler's values by design)."""
        if epoch is not None:
            self._apply(self._schedule.check_step(epoch, "epoch"))
            return
        target = self._current_position() + 1
        if target > self._end:
            raise ValueError(self._past_the_end_message())
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
        self._writer.write(groups, lrs, self.momentum_key, momentums)
        self._position = position
        self.last_epoch = position if position.__class__ is int else math.floor(position)
        self._last_lr = lrs
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
        if any(is_tensor(g["lr"]) for g in groups):
            return [g["lr"].clone() if is_tensor(g["lr"]) else g["lr"] for g in groups]
        return list(self._last_lr)

    # ------------------------------------------------------------------ elastic resume

    def resume_with(self, **changes: Any) -> None:
        """Elastic resume: follow ``self.schedule.resumed(position, **changes)`` from now
        on (each scheduler documents its arguments). Raises, changing nothing, for a
        resume the schedule refuses."""
        schedule, position = self._schedule.resumed(self._current_position(), **changes)
        self._follow(schedule, position)

    def _follow(self, schedule: Schedule, position: int | float, *, write: bool = True) -> None:
        """Switch to ``schedule`` at ``position`` and apply it (``write=False``: only
        follow it, writing nothing); nothing changes on error."""
        lrs, momentums = schedule.at(position)
        groups = self.optimizer.param_groups
        v.check_group_count(groups, len(lrs))
        if write:
            self._writer.write(groups, lrs, self.momentum_key, momentums)
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
        # The lrs to find in the groups at the next step are these, written or not.
        self._writer.forget()

    # ------------------------------------------------------------------ state

    def _settings_state(self) -> dict[str, Any]:
        return {key: plain(getattr(self, key)) for key in self._state_settings}

    def _extra_state(self) -> dict[str, Any]:
        """Entries beyond ``last_epoch`` and the settings (the subclass's position...)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """Position and settings, as plain Python values (``torch.load(weights_only=True)``
        reads them back). The optimizer is not part of it. ``in_force``: whether the
        groups hold the lrs this scheduler wrote last (False for a scheduler that torch's
        ``SequentialLR`` has handed over from, or whose lrs something else replaced)."""
        return {
            "last_epoch": self.last_epoch,
            **self._settings_state(),
            **self._extra_state(),
            "in_force": self._in_force(),
        }

    def _in_force(self) -> bool:
        groups = self.optimizer.param_groups
        return len(groups) == len(self._last_lr) and all(
            g["lr"] is last or replaced_lr(g["lr"], last) is None
            for g, last in zip(groups, self._last_lr)
        )

    def _required_state(self) -> tuple[str, ...]:
        return ("last_epoch", *self._state_settings)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the position saved by :meth:`state_dict` and re-apply its values.

        The saved settings must be this scheduler's; anything else is refused with a
        message naming what differs, and nothing changes.

        Values are re-applied only when they were in force when saved (``in_force``;
        states saved without it count as in force): loading the state of a scheduler
        that torch's ``SequentialLR`` handed over from, or has not handed over to yet
        (``last_epoch`` -1: it takes one step back from every scheduler it joins),
        writes nothing, so that loading the composite leaves the values of the
        scheduler in force (restored with the optimizer's state).
        """
        state = v.check_saved_state(state_dict, self._required_state(), type(self).__name__)
        in_force = v.as_bool("state_dict['in_force']", state.get("in_force", True))
        pending = state["last_epoch"] == -1 and not isinstance(state["last_epoch"], bool)
        schedule, position = self._restored({**state, "last_epoch": 0} if pending else state)
        self._follow(schedule, position, write=in_force and not pending)
        if pending:
            self.last_epoch = -1

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
