"""``SequentialLR`` and ``WarmupLR``: schedulers of this package, one after another.

Each is one scheduler over a :class:`~lr_one_cycle.schedules.JoinedSchedule` of the
parts' schedules (:mod:`lr_one_cycle.schedules.compose` states the join convention, and
what momentum a part that cycles none holds): a ``step()`` costs what any scheduler's
does, whatever the parts, and step ``k`` holds exactly part ``i``'s values at its local
step ``k - milestone``. The parts are not stepped; they are brought in step with the
sequence (their schedule and position) whenever the sequence saves, loads or resumes.
Step convention: :mod:`lr_one_cycle.schedules._protocol`.

Differences from ``torch.optim.lr_scheduler.SequentialLR``: the parts must be schedulers
of this package (a torch scheduler's values depend on the optimizer's history, so they
cannot be placed exactly); the milestones are checked (increasing, one fewer than the
parts, no part of fixed length shorter than its span) before anything is written;
``last_epoch=k`` resumes at step ``k``; ``resume_with(total_steps=)`` re-times the rest
of the run; ``state_dict`` holds plain values (the parts' own states included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _validate as v
from ._settings import start_position
from .scheduler import Scheduler
from .schedules import JoinedSchedule, Schedule
from .schedules.compose import WarmupMode, check_join, with_warmup
from .schedules.one_cycle import check_total_steps

_OURS = (
    "a scheduler of lr_one_cycle (OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts, "
    "WarmupStableDecayLR, SequentialLR, WarmupLR)"
)


def _check_part(optimizer: Any, part: Any, path: str | v.Path) -> Scheduler:
    if not isinstance(part, Scheduler):
        kind = type(part)
        raise TypeError(
            f"{v.python_path((path,) if isinstance(path, str) else path)} must be {_OURS}, "
            f"got {kind.__module__}.{kind.__qualname__}; a torch scheduler computes from the "
            "optimizer's history, so it cannot be placed in a sequence exactly"
        )
    if part.optimizer is not optimizer:
        raise ValueError(
            f"{v.python_path((path,) if isinstance(path, str) else path)} drives another "
            "optimizer: build every part on the optimizer given to the sequence"
        )
    return part


class _Sequence(Scheduler):
    """What ``SequentialLR`` and ``WarmupLR`` share: a join whose parts are this
    package's schedulers (kept in step with the sequence) or pure schedules (``None``
    in ``_parts``, such as a warm-up ramp)."""

    _parts: list[Scheduler | None]

    @property
    def _join(self) -> JoinedSchedule:
        return self._schedule  # type: ignore[return-value]

    @property
    def milestones(self) -> list[int]:
        """The step at which each part after the first starts (after ``resume_with``,
        the resumed run's)."""
        return list(self._join.boundaries)

    @property
    def total_steps(self) -> int | None:
        """The run's last step (``None`` when the last part has no end)."""
        return self._join.last_step

    @staticmethod
    def _momentum_key(parts: Sequence[Scheduler | None]) -> str | None:
        keys = [p.momentum_key for p in parts if p is not None and p.momentum_key is not None]
        return keys[0] if keys else None

    def _begin(
        self, optimizer: Any, join: JoinedSchedule, parts: list[Scheduler | None],
        last_epoch: Any, verbose: Any,
    ) -> None:
        start = start_position(join, last_epoch)
        first = next(p for p in parts if p is not None)
        self._parts = parts
        self._start(
            optimizer,
            join,
            position=start,
            momentum_key=self._momentum_key(parts),
            base_lrs=first.base_lrs,
            verbose=verbose,
        )
        self._sync_parts()

    # ------------------------------------------------------------------ the parts

    def _local_positions(self, join: JoinedSchedule, position: int) -> list[int]:
        """Each part's local step at ``position``: its last step in its span once it is
        over, 0 before it starts."""
        starts = [0, *join.boundaries]
        ends = [*join.boundaries, None]
        return [
            max(0, position - a if b is None else min(position, b - 1) - a)
            for a, b in zip(starts, ends)
        ]

    def _sync_parts(self) -> None:
        """Bring every part in step with the sequence: its (possibly resumed) schedule,
        and its local step as its position. Nothing is written."""
        join = self._join
        locals_ = self._local_positions(join, int(self._current_position()))
        for part, schedule, local in zip(self._parts, join.schedules, locals_):
            if part is not None:
                part._adopt(schedule, local)

    def _adopt(
        self, schedule: Schedule, position: int | float, lrs: list[float] | None = None
    ) -> None:
        super()._adopt(schedule, position, lrs)
        self._sync_parts()

    def _restored_parts(self, states: Any, name: str) -> list[Schedule]:
        """The parts' schedules that their saved ``states`` describe (checked by each
        part, nothing changed); pure parts keep theirs."""
        scheduled = [p for p in self._parts if p is not None]
        if not isinstance(states, (list, tuple)) or len(states) != len(scheduled):
            raise ValueError(
                f"{name} must be a list of {len(scheduled)} state dicts (one per scheduler), "
                f"got {states!r:.80}"
            )
        found = iter(states)
        schedules: list[Schedule] = []
        for part, schedule in zip(self._parts, self._join.schedules):
            if part is None:
                schedules.append(schedule)
                continue
            state = next(found)
            where = f"{name}[{len(schedules)}]" if len(scheduled) > 1 else name
            try:
                state = v.check_saved_state(state, part._required_state(), type(part).__name__)
                schedules.append(part._restored(state)[0])
            except (TypeError, ValueError) as error:
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"{where} ({type(part).__name__}): {error}") from error
        return schedules

    def _part_states(self) -> list[dict[str, Any]]:
        self._sync_parts()
        return [p.state_dict() for p in self._parts if p is not None]


class SequentialLR(_Sequence):
    """Schedulers of this package one after another, at ``milestones`` (torch's
    ``SequentialLR`` signature; the join of :func:`lr_one_cycle.join_schedules`).

    Build the parts first on the optimizer (each applies its own step 0, as in torch),
    then the sequence: it applies part 0's step 0 again. From milestone ``m_i`` on, the
    optimizer holds exactly what part ``i`` gives at its local step ``k - m_i``, its
    momentum included when it cycles one (a part that does not leaves the momentum as
    the part before it ended, see :mod:`lr_one_cycle.schedules.compose`).

    Args:
        optimizer: the optimizer every part drives.
        schedulers: the parts, schedulers of this package (not torch's) on ``optimizer``.
        milestones: the step at which each part after the first starts: increasing
            integers >= 1, one fewer than the parts; a part of fixed length (1cycle,
            warmup-stable-decay) must last at least until the next milestone.
        last_epoch: -1 to start, or the step to resume at.
        verbose: print each lr applied.

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written.

    References:
        torch's ``SequentialLR``; optax's ``join_schedules``.

    >>> from lr_one_cycle import CyclicLR, OneCycleLR
    >>> class Optimizer:
    ...     param_groups = [{"lr": 0.0, "momentum": 0.0}]
    >>> opt = Optimizer()
    >>> parts = [OneCycleLR(opt, max_lr=1.0, total_steps=10),
    ...          CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=5)]
    >>> scheduler = SequentialLR(opt, parts, milestones=[10])
    >>> for _ in range(10):
    ...     scheduler.step()
    >>> opt.param_groups
    [{'lr': 0.01, 'momentum': 0.9}]
    """

    def __init__(
        self,
        optimizer: Any,
        schedulers: Sequence[Scheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        v.param_groups_of(optimizer)
        if (
            isinstance(schedulers, (str, bytes))
            or not isinstance(schedulers, Sequence)
            or not schedulers
        ):
            raise v.ArgumentTypeError(
                "schedulers", schedulers, "a non-empty list of schedulers of lr_one_cycle"
            )
        parts = [_check_part(optimizer, p, ("schedulers", i)) for i, p in enumerate(schedulers)]
        for i, part in enumerate(parts):
            first = next(j for j, other in enumerate(parts) if other is part)
            if first != i:
                raise ValueError(
                    f"schedulers[{i}] is schedulers[{first}]: give each span its own scheduler"
                )
        schedules, bounds = check_join(
            [p.schedule for p in parts], milestones,
            parts_name="schedulers", boundaries_name="milestones",
        )
        join = JoinedSchedule(
            schedules, bounds, momentum_parts=[p.momentum_key is not None for p in parts]
        )
        self._initial_milestones = list(bounds)
        self._begin(optimizer, join, list(parts), last_epoch, verbose)

    @property
    def schedulers(self) -> list[Scheduler]:
        """The parts (torch's ``_schedulers``)."""
        return [p for p in self._parts if p is not None]

    _schedulers = schedulers
    _milestones = _Sequence.milestones

    def resume_with(  # type: ignore[override]
        self,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
    ) -> None:
        """Continue as a run of ``total_steps`` steps in all (or ``epochs *
        steps_per_epoch``): the steps left are spread over the parts left in proportion
        to what each has left, the milestones ahead move, the part in force continues
        from the current step's values over its new span (its own elastic resume), and
        parts ahead are stretched or squeezed to theirs. Formula:
        :meth:`lr_one_cycle.schedules.JoinedSchedule.resumed`. The last part must have a
        fixed length; a part of fixed length must have an elastic resume (1cycle,
        warmup-stable-decay, a join of them). Raises, changing nothing, when a part
        refuses or would be left no step.
        """
        super().resume_with(total_steps=check_total_steps(total_steps, epochs, steps_per_epoch))

    # ------------------------------------------------------------------ state

    def _extra_state(self) -> dict[str, Any]:
        return {
            "milestones": self.milestones,
            "initial_milestones": list(self._initial_milestones),
            "schedulers": self._part_states(),
        }

    def _required_state(self) -> tuple[str, ...]:
        return ("last_epoch", "milestones", "schedulers")

    def _restored(self, state: Mapping[str, Any]) -> tuple[Schedule, int | float]:
        """The saved run: each part's state is checked by the part; the saved milestones
        are the run's, and this sequence's must be them or the run's before a
        ``resume_with``."""
        saved = state["milestones"]
        initial = self._saved_initial_milestones(state)
        here = self._initial_milestones
        if not any(isinstance(m, (list, tuple)) and list(m) == here for m in (saved, initial)):
            v.refuse_other_schedule([f"milestones (saved {saved!r}, here {here!r})"])
        schedules = self._restored_parts(state["schedulers"], "state_dict['schedulers']")
        parts, bounds = check_join(
            schedules, saved,
            parts_name="state_dict['schedulers']", boundaries_name="state_dict['milestones']",
        )
        join = JoinedSchedule(parts, bounds, self._join.momentum_parts, self._join.elastic)
        return join, join.check_step(state["last_epoch"], "state_dict['last_epoch']")

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the saved run (its parts included) and re-apply its step. The parts
        and milestones must be this sequence's (see :meth:`_restored`); anything else is
        refused with a message naming what differs, and nothing changes."""
        state = v.check_saved_state(state_dict, self._required_state(), type(self).__name__)
        initial = self._saved_initial_milestones(state)  # checked before anything loads
        super().load_state_dict(state_dict)
        self._initial_milestones = initial

    @staticmethod
    def _saved_initial_milestones(state: Mapping[str, Any]) -> list[int]:
        """The milestones the saved run started with (before any ``resume_with``):
        increasing positive integers, as many as ``state_dict['milestones']``."""
        saved = state["milestones"]
        initial = state.get("initial_milestones", saved)
        name = "state_dict['initial_milestones']"
        count = len(saved) if isinstance(saved, (list, tuple)) else None
        accepted = f"a list of {count} increasing milestones, like state_dict['milestones']"
        if not isinstance(initial, (list, tuple)):
            raise v.ArgumentTypeError(name, initial, accepted)
        if count is not None and len(initial) != count:
            raise v.ArgumentValueError(name, initial, accepted)
        checked = [v.as_count(f"{name}[{i}]", m) for i, m in enumerate(initial)]
        if any(b <= a for a, b in zip(checked, checked[1:])):
            raise v.ArgumentValueError(name, initial, "increasing milestones")
        return checked

    def _repr_fields(self) -> dict[str, Any]:
        return {
            "schedulers": [type(p).__name__ for p in self.schedulers],
            "milestones": self.milestones,
        }


class WarmupLR(_Sequence):
    """A warm-up of ``warmup_steps`` steps from ``start_lr`` to the first lr of
    ``scheduler``, then ``scheduler`` (from its step 0): the scheduler form of
    :func:`lr_one_cycle.with_warmup`, whose docstring gives the formulas and the parity
    with ignite's ``create_lr_scheduler_with_warmup`` and torch's ``SequentialLR`` of a
    ``LinearLR``.

    Args:
        optimizer: the optimizer ``scheduler`` drives.
        scheduler: a scheduler of this package, built on ``optimizer`` first.
        warmup_steps: the warm-up's length in steps (>= 1).
        start_lr: the lr of step 0, one value or one per group.
        mode: ``"linear"`` or ``"cos"``.
        last_epoch: -1 to start, or the step to resume at.
        verbose: print each lr applied.

    A momentum the scheduler cycles is held at its step-0 value during the warm-up.
    ``resume_with(total_steps=)`` keeps the warm-up's length and re-times the scheduler.

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written.

    References:
        Goyal et al., arXiv 1706.02677; ignite's ``create_lr_scheduler_with_warmup``.

    >>> from lr_one_cycle import WarmupStableDecayLR
    >>> class Optimizer:
    ...     param_groups = [{"lr": 0.0}]
    >>> opt = Optimizer()
    >>> wsd = WarmupStableDecayLR(opt, peak_lr=1.0, warmup_steps=0, stable_steps=8,
    ...                           decay_steps=2)
    >>> scheduler = WarmupLR(opt, wsd, warmup_steps=4)
    >>> lrs = [opt.param_groups[0]["lr"]]
    >>> for _ in range(5):
    ...     scheduler.step()
    ...     lrs.append(opt.param_groups[0]["lr"])
    >>> lrs
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    _state_settings = ("warmup_steps", "start_lrs", "mode")

    def __init__(
        self,
        optimizer: Any,
        scheduler: Scheduler,
        warmup_steps: int,
        start_lr: float | Sequence[float] = 0.0,
        mode: WarmupMode = "linear",
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        v.param_groups_of(optimizer)
        part = _check_part(optimizer, scheduler, "scheduler")
        steps = v.as_count("warmup_steps", warmup_steps)
        warmed = with_warmup(part.schedule, steps, start_lr, mode)
        assert isinstance(warmed, JoinedSchedule)
        join = JoinedSchedule(
            warmed.schedules,
            warmed.boundaries,
            momentum_parts=(False, part.momentum_key is not None),
            elastic=warmed.elastic,
        )
        self._begin(optimizer, join, [None, part], last_epoch, verbose)

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler after the warm-up."""
        part = self._parts[1]
        assert part is not None
        return part

    @property
    def warmup_steps(self) -> int:
        return int(self._join.boundaries[0])

    @property
    def start_lrs(self) -> list[float]:
        return list(self._join.schedules[0].start)  # type: ignore[attr-defined]

    @property
    def mode(self) -> str:
        return str(self._join.schedules[0].shape)  # type: ignore[attr-defined]

    def resume_with(  # type: ignore[override]
        self,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
    ) -> None:
        """Continue as a run of ``total_steps`` steps in all: the warm-up keeps its
        length and the scheduler after it is re-timed by its own elastic resume (from
        the current step's values once it has started). Raises, changing nothing, when
        the scheduler refuses (or has no fixed length)."""
        super().resume_with(total_steps=check_total_steps(total_steps, epochs, steps_per_epoch))

    def _extra_state(self) -> dict[str, Any]:
        return {"scheduler": self._part_states()[0]}

    def _required_state(self) -> tuple[str, ...]:
        return ("last_epoch", *self._state_settings, "scheduler")

    def _restored(self, state: Mapping[str, Any]) -> tuple[Schedule, int | float]:
        v.refuse_other_schedule(v.settings_differences(state, self._settings_state()))
        schedules = self._restored_parts([state["scheduler"]], "state_dict['scheduler']")
        join = self._join
        restored = JoinedSchedule(schedules, join.boundaries, join.momentum_parts, join.elastic)
        return restored, restored.check_step(state["last_epoch"], "state_dict['last_epoch']")

    def _repr_fields(self) -> dict[str, Any]:
        return {
            "scheduler": type(self.scheduler).__name__,
            "warmup_steps": self.warmup_steps,
            "start_lr": self.start_lrs,
            "mode": self.mode,
        }
