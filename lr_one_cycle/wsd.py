"""``WarmupStableDecayLR``: warmup-stable-decay as a scheduler object.

Its settings and what it writes (the lr only; and, when a run starts on a torch
optimizer, torch's ``initial_lr`` = ``peak_lr``, which torch's ``SequentialLR`` reads and
which transformers' ``get_wsd_schedule``, a ``LambdaLR`` over the peak, leaves too; see
:mod:`lr_one_cycle.scheduler`), over the scheduler base
(:mod:`lr_one_cycle.scheduler`) and the pure core
(:class:`lr_one_cycle.schedules.WarmupStableDecaySchedule`, whose module gives the
formulas). Step convention: :mod:`lr_one_cycle.schedules._protocol`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _validate as v
from ._settings import setting, start_position
from .scheduler import Scheduler
from .schedules import Retimed, Schedule, WarmupStableDecaySchedule
from .schedules.resume import check_resume_knots
from .schedules.wsd import WsdShape


class WarmupStableDecayLR(Scheduler):
    """Warm up to ``peak_lr``, hold it, decay to ``min_lr``; transformers'
    ``get_wsd_schedule`` with ``min_lr_ratio = min_lr / peak_lr`` (within 1e-12
    relative). Formulas: :func:`lr_one_cycle.warmup_stable_decay_schedule`.

    Its point is that the decay can start late: :meth:`resume_with` lengthens (or
    shortens) the stable phase of a run that has not begun to decay, with no change to
    the steps taken and no jump in the lr.

    Args:
        optimizer: a torch optimizer, or any object with a ``param_groups`` list of
            dicts holding ``lr``.
        peak_lr: the stable phase's lr, one value or one per group.
        warmup_steps, stable_steps, decay_steps: the phases' lengths in steps (>= 0, not
            all 0); step ``warmup_steps + stable_steps + decay_steps`` (``total_steps``)
            holds ``min_lr``.
        min_lr: where the warm-up starts and the decay ends, one value or one per group.
        warmup, decay: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        last_epoch: -1 to start, or the step to resume at.
        verbose: print each lr applied.

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written.

    References:
        Hu et al., "MiniCPM", arXiv 2404.06395; Hägele et al., arXiv 2405.18392;
        transformers' ``get_wsd_schedule``.

    >>> class Optimizer:
    ...     param_groups = [{"lr": 0.0}]
    >>> opt = Optimizer()
    >>> scheduler = WarmupStableDecayLR(
    ...     opt, peak_lr=1.0, warmup_steps=2, stable_steps=2, decay_steps=2)
    >>> scheduler.step(); scheduler.step(); opt.param_groups
    [{'lr': 1.0}]
    >>> scheduler.resume_with(stable_steps=10)  # no decay before step 12 now
    >>> scheduler.total_steps
    14
    """

    _state_settings = ("peak_lrs", "min_lrs", "warmup_steps", "warmup", "decay")

    def __init__(
        self,
        optimizer: Any,
        peak_lr: float | Sequence[float],
        warmup_steps: int,
        stable_steps: int,
        decay_steps: int,
        min_lr: float | Sequence[float] = 0.0,
        warmup: WsdShape = "linear",
        decay: WsdShape = "cosine",
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        groups = v.param_groups_of(optimizer)
        schedule = WarmupStableDecaySchedule(
            peak_lr=peak_lr,
            warmup_steps=warmup_steps,
            stable_steps=stable_steps,
            decay_steps=decay_steps,
            min_lr=min_lr,
            warmup=warmup,
            decay=decay,
            n_groups_=len(groups),
        )
        start = start_position(schedule, last_epoch)
        self._initial_lengths = (schedule.stable_steps, schedule.decay_steps)
        self._start(
            optimizer,
            schedule,
            position=start,
            momentum_key=None,
            base_lrs=schedule.peak_lr,
            # transformers' get_wsd_schedule is torch's LambdaLR over the optimizer's lr
            # (the peak), which its base class keeps as initial_lr (setdefault): torch's
            # SequentialLR needs it.
            initial_lrs=schedule.peak_lr if v.scalar(last_epoch) == -1 else None,
            verbose=verbose,
        )

    # ------------------------------------------------------------------ settings

    @property
    def _wsd(self) -> WarmupStableDecaySchedule:
        return self._settings_of()  # type: ignore[return-value]

    peak_lrs = setting("peak_lr", list)
    min_lrs = setting("min_lr", list)
    warmup_steps = setting("warmup_steps", int)
    stable_steps = setting("stable_steps", int)
    decay_steps = setting("decay_steps", int)
    warmup = setting("warmup", str)
    decay = setting("decay", str)

    @property
    def total_steps(self) -> int:
        """The run's length (after :meth:`resume_with`, the new one)."""
        return self._schedule.last_step  # type: ignore[return-value]

    # ------------------------------------------------------------------ elastic resume

    def resume_with(  # type: ignore[override]
        self,
        total_steps: int | None = None,
        stable_steps: int | None = None,
        decay_steps: int | None = None,
    ) -> None:
        """Change the run's length from the current step on.

        Before the decay: ``stable_steps`` / ``decay_steps`` set those phases, and
        ``total_steps`` sets the stable phase to ``total_steps - warmup_steps -
        decay_steps``; the steps taken and the current lr are unchanged, and the decay
        starts later (or earlier, never at or before the current step). In the decay:
        ``total_steps`` spreads the rest of the decay evenly over the steps left, from
        the current lr. Formula:
        :meth:`lr_one_cycle.schedules.WarmupStableDecaySchedule.resumed`.

        Raises ``ValueError``/``TypeError``, changing nothing, for lengths it cannot
        take (naming the shortest accepted).
        """
        changes = {
            key: value
            for key, value in (
                ("total_steps", total_steps),
                ("stable_steps", stable_steps),
                ("decay_steps", decay_steps),
            )
            if value is not None
        }
        if isinstance(self._schedule, Retimed) and set(changes) - {"total_steps"}:
            raise ValueError(
                f"the decay began at step {self._wsd.decay_start} and was re-timed: only "
                "total_steps can change now"
            )
        super().resume_with(**changes)

    # ------------------------------------------------------------------ state

    def _extra_state(self) -> dict[str, Any]:
        return {
            "stable_steps": self.stable_steps,
            "decay_steps": self.decay_steps,
            "total_steps": self.total_steps,
            "resume_knots": self.resume_knots,
            "initial_stable_steps": self._initial_lengths[0],
            "initial_decay_steps": self._initial_lengths[1],
        }

    def _required_state(self) -> tuple[str, ...]:
        return (*super()._required_state(), "stable_steps", "decay_steps")

    def _restored(self, state: Mapping[str, Any]) -> tuple[Schedule, int | float]:
        """The saved run. Its shape settings must be this scheduler's; its phase lengths
        may be the run's now or those it started with (a run lengthened by
        :meth:`resume_with` loads into a scheduler built like the original)."""
        differ = v.settings_differences(state, self._settings_state())
        saved = (state["stable_steps"], state["decay_steps"])
        initial = (
            state.get("initial_stable_steps", saved[0]),
            state.get("initial_decay_steps", saved[1]),
        )
        here = self._initial_lengths
        if here not in (saved, initial):
            differ += [
                f"{name} (saved {s!r}, here {h!r})"
                for name, s, h in zip(("stable_steps", "decay_steps"), initial, here)
                if s != h
            ]
        v.refuse_other_schedule(differ)
        wsd = WarmupStableDecaySchedule(
            peak_lr=self.peak_lrs,
            warmup_steps=self.warmup_steps,
            stable_steps=v.as_count("state_dict['stable_steps']", saved[0], minimum=0),
            decay_steps=v.as_count("state_dict['decay_steps']", saved[1], minimum=0),
            min_lr=self.min_lrs,
            warmup=self.warmup,
            decay=self.decay,
        )
        total = v.as_count("state_dict['total_steps']", state.get("total_steps", wsd.total_steps))
        knots = check_resume_knots(
            "state_dict['resume_knots']",
            state.get("resume_knots", []),
            total_steps=total,
            final=float(wsd.total_steps),
        )
        if not knots and total != wsd.total_steps:
            raise ValueError(
                f"state_dict['resume_knots'] is empty but the run's total_steps ({total}) "
                f"differs from its phases' ({wsd.total_steps})"
            )
        schedule: Schedule = Retimed(wsd, knots, total) if knots else wsd
        return schedule, schedule.check_step(state["last_epoch"], "state_dict['last_epoch']")

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the saved run (see :meth:`_restored`) and re-apply its step; anything
        else is refused with a message naming what differs, and nothing changes."""
        # Checked before anything loads, so that a bad entry leaves everything as it was.
        state = v.check_saved_state(state_dict, self._required_state(), type(self).__name__)
        stable, decay = (
            v.as_count(
                f"state_dict['initial_{key}']", state.get(f"initial_{key}", state[key]), minimum=0
            )
            for key in ("stable_steps", "decay_steps")
        )
        super().load_state_dict(state_dict)
        self._initial_lengths = (stable, decay)

    def _repr_fields(self) -> dict[str, Any]:
        return {
            "peak_lr": self.peak_lrs,
            "warmup_steps": self.warmup_steps,
            "stable_steps": self.stable_steps,
            "decay_steps": self.decay_steps,
            "min_lr": self.min_lrs,
            "warmup": self.warmup,
            "decay": self.decay,
        }
