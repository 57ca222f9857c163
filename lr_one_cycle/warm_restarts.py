"""``CosineAnnealingWarmRestarts``: SGDR as a torch scheduler over the pure core
(:mod:`lr_one_cycle.schedules.warm_restarts`), following the package's step convention
(:mod:`lr_one_cycle.schedules._protocol`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _validate as v
from ._settings import setting
from .scheduler import Scheduler
from .schedules import Schedule, WarmRestartsSchedule
from .schedules.warm_restarts import restart_positions


class CosineAnnealingWarmRestarts(Scheduler):
    """SGDR (cosine annealing with warm restarts), torch 2.13's
    ``CosineAnnealingWarmRestarts`` bitwise, plus three extensions.

    Cycle ``i`` lasts ``T_0 * T_mult**i`` steps and anneals every group's lr from its
    base lr down to ``eta_min``; formulas in :func:`lr_one_cycle.warm_restarts_schedule`.
    Extensions, off by default:

    - ``T_mult`` may be any real >= 1 (torch wants an integer);
    - ``decay`` in (0, 1]: cycle ``i`` peaks at ``eta_min + (base_lr - eta_min) * decay**i``;
    - ``warmup_steps``: every cycle starts with a linear ramp from ``eta_min`` to its
      peak over that many steps (fewer than ``T_0``).

    Args:
        optimizer: a torch optimizer or any object with a ``param_groups`` list of dicts.
        T_0: the first cycle's length, in steps (or epochs when stepped per epoch).
        T_mult: growth of the cycle length after each restart (a real >= 1).
        eta_min: the lowest lr.
        last_epoch: -1 to start, or the step to resume at.
        decay, warmup_steps: the extensions above.
        base_lr: each group's base lr, one value or one per group. Default: torch's
            ``initial_lr`` of the groups when a torch scheduler left one, else their
            current ``lr``; resuming with ``last_epoch`` needs one or the other, since
            the groups then hold that step's lr, not the base.

    Step convention (:mod:`lr_one_cycle.schedules._protocol`): construction applies step
    0, the ``k``-th ``step()`` applies step ``k``; ``step(epoch)`` jumps to ``epoch``,
    which may be fractional (``scheduler.step(epoch + i / iters)``). ``last_epoch=k``
    resumes at step ``k`` exactly (torch applies ``k + 1``); :meth:`state_dict` /
    :meth:`load_state_dict` need nothing in the groups. Differences from torch:
    ``step(epoch)`` locates the cycle exactly where torch's float logarithm can pick the
    neighbouring one (e.g. ``T_0=1, T_mult=10, epoch=111``), and a ``step()`` after a
    fractional ``step(epoch)`` continues from ``epoch + 1`` computed afresh (torch adds 1
    to its running ``T_cur``: equal up to rounding).

    torch's protocol: once torch is imported, instances also derive from torch's
    ``CosineAnnealingWarmRestarts``, because tools single that class out: ignite's
    ``LRScheduler`` wrapper (and ``create_lr_scheduler_with_warmup``, ``simulate_values``)
    advances it through ``T_cur`` and computes torch's formula itself, giving
    ``0.8536, 0.5, 0.1464, 1.0, ...`` for ``T_0=4`` from the first call on, exactly as
    around torch's class. As in torch's class, the lr follows the position (``T_cur``
    within the cycle ``T_i``), while ``last_epoch`` only counts: tools that move
    ``last_epoch`` (ignite's warm-up helper, torch's ``SequentialLR``) do not move the
    lr, and setting ``T_cur`` moves the position within the current cycle (nothing is
    written until the next ``step()``). Since ignite's formula has no ``decay``, no
    ``warmup_steps`` and an integer ``T_mult``, setting ``T_cur`` on a scheduler that
    uses an extension raises ``ValueError`` instead of letting it compute other values.
    On a torch optimizer a run that starts leaves torch's ``initial_lr`` (the base lr)
    in groups that have none, as torch's class does (see :mod:`lr_one_cycle.scheduler`).

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written.

    References:
        Loshchilov & Hutter, arXiv 1608.03983; torch's ``CosineAnnealingWarmRestarts``.
    """

    _state_settings = ("T_0", "T_mult", "eta_min", "decay", "warmup_steps")
    _torch_base = "CosineAnnealingWarmRestarts"

    def __init__(
        self,
        optimizer: Any,
        T_0: int,
        T_mult: float = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        decay: float = 1.0,
        warmup_steps: int = 0,
        base_lr: float | Sequence[float] | None = None,
    ) -> None:
        groups = v.param_groups_of(optimizer)
        start = v.as_count("last_epoch", last_epoch, minimum=-1)
        schedule = WarmRestartsSchedule(
            base_lr=_base_lrs(groups, start) if base_lr is None else base_lr,
            T_0=T_0,
            T_mult=T_mult,
            eta_min=eta_min,
            decay=decay,
            warmup_steps=warmup_steps,
            n_groups_=len(groups),
        )
        self._start(
            optimizer,
            schedule,
            position=max(start, 0),
            momentum_key=None,
            base_lrs=schedule.base_lr,
            initial_lrs=schedule.base_lr if start == -1 else None,
        )

    def _current_position(self) -> int | float:
        # torch's class computes the lr from T_cur, which last_epoch does not move.
        return self._position

    def step(self, epoch: int | float | None = None) -> None:
        """Apply the next step, or jump to ``epoch`` (see :meth:`Scheduler.step`). As in
        torch's class, ``step()`` also counts ``last_epoch`` up by one from wherever it
        was set, apart from the position."""
        count = self.last_epoch + 1
        super().step(epoch)
        if epoch is None:
            self.last_epoch = count

    @property
    def _sgdr(self) -> WarmRestartsSchedule:
        return self._schedule  # type: ignore[return-value]

    T_0 = setting("T_0", int)
    T_mult = setting("T_mult", lambda x: x)
    eta_min = setting("eta_min", float)
    decay = setting("decay", float)
    warmup_steps = setting("warmup_steps", int)

    @property
    def position(self) -> int | float:
        """The position applied, in steps (or epochs): fractional after ``step(epoch)``."""
        return self._current_position()

    @property
    def T_cur(self) -> float:
        """Steps since the last restart (torch's attribute). Setting it moves the
        position within the current cycle (see the class docstring)."""
        return float(restart_positions(np.array([float(self.position)]), self._sgdr)[1][0])

    @T_cur.setter
    def T_cur(self, value: float) -> None:
        sgdr = self._sgdr
        extensions = [
            f"{name}={current!r}"
            for name, current, plain in (
                ("decay", sgdr.decay, 1.0),
                ("warmup_steps", sgdr.warmup_steps, 0),
            )
            if current != plain
        ]
        if not isinstance(sgdr.T_mult, int):
            extensions.append(f"T_mult={sgdr.T_mult!r}")
        if extensions:
            raise ValueError(
                f"T_cur is set by tools that compute torch's SGDR formula themselves from "
                f"T_cur and T_i (ignite's LRScheduler), which has no {', '.join(extensions)}: "
                "they would apply other values than this scheduler's. Step the scheduler "
                "instead (after each update, e.g. on ignite's Events.ITERATION_COMPLETED)"
            )
        since = v.as_real("T_cur", value, low=0.0)
        position = self.position
        start = position - float(restart_positions(np.array([float(position)]), sgdr)[1][0])
        self._position = sgdr.check_step(start + since, "T_cur")

    @property
    def T_i(self) -> float:
        """Length of the current cycle (torch's attribute, read-only here)."""
        return float(restart_positions(np.array([float(self.position)]), self._sgdr)[2][0])

    def resume_with(self, T_0: int, warmup_steps: int | None = None) -> None:  # type: ignore[override]
        """Go on with cycles whose first lasts ``T_0`` steps (and ``warmup_steps``,
        unchanged when not given) from the same point of the cycle: for a run stepped
        per iteration and resumed with another number of iterations per epoch.

        The scheduler becomes the one built with the new ``T_0`` (other settings kept),
        at the position with the same cycle index and the same fraction of the same
        phase (warm-up or anneal): the lr carries over up to rounding, the current cycle
        ends after its remaining fraction of the new length, and later cycles last
        ``T_0 * T_mult**i``. ``last_epoch`` and ``position`` are renumbered (the position
        may become fractional), and a state saved afterwards loads into a scheduler built
        with the new ``T_0``. Formula:
        :func:`lr_one_cycle.schedules.warm_restarts.warm_restarts_resume_position`. A run
        stepped with fractional epochs (``step(epoch + i / iters)``) needs no resume: its
        positions are already in epochs. Invalid settings, or resuming inside a warm-up
        with ``warmup_steps=0``, raise and change nothing.
        """
        super().resume_with(T_0=T_0, warmup_steps=warmup_steps)

    def _extra_state(self) -> dict[str, Any]:
        return {"position": self.position, "base_lrs": list(self.base_lrs)}

    def _required_state(self) -> tuple[str, ...]:
        return ("last_epoch", "position", "base_lrs", *self._state_settings)

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the saved position, base lrs and ``last_epoch`` (which, as in torch's
        class, counts apart from the position), and re-apply the values; anything else
        is refused with a message naming what differs, and nothing changes."""
        state = v.check_saved_state(state_dict, self._required_state(), type(self).__name__)
        count = v.as_count("state_dict['last_epoch']", state["last_epoch"], minimum=-1)
        super().load_state_dict(state_dict)
        self.last_epoch = count

    def _restored(self, state: Mapping[str, Any]) -> tuple[Schedule, int | float]:
        """Settings must match; the position and base lrs are the saved ones."""
        v.refuse_other_schedule(v.settings_differences(state, self._settings_state()))
        schedule = WarmRestartsSchedule(
            base_lr=v.per_group(
                "state_dict['base_lrs']",
                list(state["base_lrs"]),
                self._sgdr.n_groups,
                v.as_real,
            ),
            T_0=self.T_0,
            T_mult=self.T_mult,
            eta_min=self.eta_min,
            decay=self.decay,
            warmup_steps=self.warmup_steps,
        )
        return schedule, schedule.check_step(state["position"], "state_dict['position']")

    def _adopt(
        self, schedule: Schedule, position: int | float, lrs: list[float] | None = None
    ) -> None:
        super()._adopt(schedule, position, lrs)
        self.base_lrs = list(schedule.base_lr)  # type: ignore[attr-defined]


def _base_lrs(groups: list[dict[str, Any]], start: int) -> list[float]:
    """Each group's base lr: torch's ``initial_lr`` when present (torch keeps the first
    scheduler's), else its current lr; resuming (``start >= 0``) needs ``initial_lr``
    (or the ``base_lr`` argument)."""
    lrs = []
    for i, group in enumerate(groups):
        if "initial_lr" in group:
            value, where = group["initial_lr"], f"optimizer.param_groups[{i}]['initial_lr']"
        elif start >= 0:
            raise ValueError(
                f"last_epoch={start} resumes a schedule, which needs each group's base lr: "
                f"optimizer.param_groups[{i}] has no 'initial_lr' (torch schedulers store "
                "it); pass base_lr, or build with last_epoch=-1 and call load_state_dict()"
            )
        else:
            value, where = group["lr"], f"optimizer.param_groups[{i}]['lr']"
        lrs.append(v.as_real(where, value))
    return lrs
