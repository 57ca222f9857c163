"""``OneCycleLR`` / ``lr_one_cycle()``: the 1cycle policy as a scheduler object.

Its settings and what it writes, over the scheduler base (:mod:`lr_one_cycle.scheduler`)
and the pure core (:class:`lr_one_cycle.schedules.OneCycleSchedule`). The step
convention is stated once, in :mod:`lr_one_cycle.schedules._protocol`.

Differences from ``torch.optim.lr_scheduler.OneCycleLR`` (values on steps ``0..T-1`` are
bitwise equal):

- the ``T``-th ``step()`` holds the final value (torch rebounds with ``"cos"`` and goes
  negative with ``"linear"``, pytorch#91765);
- a ``step()`` beyond that raises ``ValueError`` and leaves ``last_epoch`` unchanged
  (torch advances it first, so every retry fails too);
- ``last_epoch=k`` resumes exactly at step ``k`` (the value a saved scheduler reports),
  and needs no ``initial_lr`` in the groups (torch applies step ``k + 1``);
- phases of zero length give a finite schedule (torch divides by zero);
- ``load_state_dict`` checks what it loads, and re-applies the restored step;
- tensor ``lr`` / ``betas[0]`` are updated in place, so a compiled optimizer step does
  not recompile; settings are not written into ``param_groups`` (only torch's
  ``initial_lr``, which torch's ``SequentialLR`` reads, see :mod:`lr_one_cycle.scheduler`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from . import _validate as v
from ._settings import setting, start_cycling
from .scheduler import Scheduler
from .schedules import OneCycleSchedule, Retimed, Schedule
from .schedules.anneal import AnnealStrategy
from .schedules.one_cycle import check_total_steps
from .schedules.resume import check_resume_knots


class OneCycleLR(Scheduler):
    """The 1cycle learning-rate (and momentum) policy of Smith & Topin, stepped per batch.

    Arguments are those of R torch's ``lr_one_cycle()`` plus torch's ``three_phase``;
    formulas in :func:`lr_one_cycle.one_cycle_schedule`.

    Args:
        optimizer: a torch optimizer, or any object with a ``param_groups`` list of
            dicts holding ``lr`` (and ``momentum`` or ``betas`` to cycle).
        max_lr: peak lr, one value or one per parameter group.
        total_steps: the number of optimizer updates, or None to use
            ``epochs * steps_per_epoch`` (when all three are given they must agree).
        pct_start: fraction of the steps spent raising the lr.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        cycle_momentum: cycle ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam family)
            opposite to the lr.
        base_momentum, max_momentum: momentum at the peak and at the ends, one value or
            one per group; finite and >= 0, and below 1 for ``betas[0]``.
        div_factor: ``initial_lr = max_lr / div_factor``.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``.
        three_phase: the paper's three phases instead of fastai's two.
        last_epoch: -1 to start, or the step to resume at.
        verbose: print each lr applied.

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written.

    References:
        Smith & Topin, arXiv 1708.07120; Smith, arXiv 1803.09820; torch's ``OneCycleLR``.
    """

    # torch's OneCycleLR sets initial_lr = max_lr / div_factor in every group (see
    # "initial_lr" in lr_one_cycle.scheduler): what torch's SequentialLR resets to.
    _replaces_initial_lr = True
    cycle_momentum: bool  #: whether the momentum (or betas[0]) is cycled
    _state_settings = (
        "total_steps",
        "max_lrs",
        "pct_start",
        "anneal_strategy",
        "div_factor",
        "final_div_factor",
        "three_phase",
        "cycle_momentum",
        "base_momentums",
        "max_momentums",
        "momentum_key",
    )

    def __init__(
        self,
        optimizer: Any,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: AnnealStrategy = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        # Every check comes before the first write into the optimizer.
        groups = v.param_groups_of(optimizer)
        schedule = OneCycleSchedule(
            max_lr=max_lr,
            total_steps=check_total_steps(total_steps, epochs, steps_per_epoch),
            pct_start=pct_start,
            anneal_strategy=anneal_strategy,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
            three_phase=three_phase,
            base_momentum=base_momentum,
            max_momentum=max_momentum,
            n_groups_=len(groups),
        )
        initial = schedule.initial_lr
        start_cycling(
            self,
            optimizer,
            schedule,
            cycle_momentum=cycle_momentum,
            momentums={"base_momentum": base_momentum, "max_momentum": max_momentum},
            last_epoch=last_epoch,
            base_lrs=initial,
            initial_lrs=initial if v.scalar(last_epoch) == -1 else None,
            verbose=verbose,
        )

    def _repr_fields(self) -> dict[str, Any]:
        return {
            "total_steps": self.total_steps,
            "max_lr": self.max_lrs,
            "pct_start": self.pct_start,
            "anneal_strategy": self.anneal_strategy,
            "three_phase": self.three_phase,
            "cycle_momentum": self.cycle_momentum,
        }

    # ------------------------------------------------------------------ settings

    @property
    def _cycle(self) -> OneCycleSchedule:
        return self._settings_of()  # type: ignore[return-value]

    @property
    def total_steps(self) -> int:
        """The run's length (after :meth:`resume_with`, the new one)."""
        return self._schedule.last_step  # type: ignore[return-value]

    cycle_total_steps = setting(
        "total_steps", int, "The length of the cycle the run follows (its first total_steps)."
    )
    max_lrs = setting("max_lr", list)
    base_momentums = setting("base_momentum", list)
    max_momentums = setting("max_momentum", list)
    pct_start = setting("pct_start", float)
    anneal_strategy = setting("anneal_strategy", str)
    div_factor = setting("div_factor", float)
    final_div_factor = setting("final_div_factor", float)
    three_phase = setting("three_phase", bool)

    # ------------------------------------------------------------------ elastic resume

    def resume_with(  # type: ignore[override]
        self,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
    ) -> None:
        """Continue the cycle from the current step as a run of ``total_steps`` steps in all.

        For a run whose length changed (more workers, another batch size): the current
        step keeps its lr and momentum bit for bit, and the rest of the cycle is spread
        evenly over the steps ``last_epoch .. total_steps - 1``, so the schedule goes on
        from the same point of the cycle (same phase, same fraction of it), without a
        jump, passes the peak once, and the last update gets the final lr (``min_lr``).
        Steps already taken keep their values. The formula and why it was chosen are in
        :mod:`lr_one_cycle.schedules.resume`; ``docs/elastic_resume.png`` shows it. The
        length is ``total_steps`` or ``epochs * steps_per_epoch`` as in the constructor;
        the length in force already changes nothing.

        ``state_dict()`` records the resumed run, and a scheduler built with either the
        original or the new ``total_steps`` loads it exactly::

            scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)
            scheduler.load_state_dict(checkpoint["scheduler"])  # saved at step 300
            scheduler.resume_with(total_steps=1500)  # e.g. half the workers now

        A method rather than an argument of ``load_state_dict``: it works on a live
        scheduler as well (a run extended midway), and ``load_state_dict`` stays an
        exact restore, which is what frameworks calling it expect.

        Raises ``ValueError``, changing nothing, when ``total_steps`` is below the steps
        already taken, or leaves no step after the current one to reach the final value.
        """
        total = check_total_steps(total_steps, epochs, steps_per_epoch)
        super().resume_with(total_steps=total)

    # ------------------------------------------------------------------ state

    def _extra_state(self) -> dict[str, Any]:
        return {"cycle_total_steps": self.cycle_total_steps, "resume_knots": self.resume_knots}

    def _restored(self, state: Mapping[str, Any]) -> tuple[Schedule, int | float]:
        """The saved run: settings must match (same schedule, same kind of optimizer);
        for a run continued by :meth:`resume_with`, ``total_steps`` may be the run's
        original or its new length. ``cycle_total_steps`` and ``resume_knots`` are
        optional (states saved before ``resume_with`` existed load as never resumed)."""
        if state["momentum_key"] != self.momentum_key:
            raise ValueError(
                "state_dict was saved for an optimizer that cycles "
                f"{_momentum_name(state['momentum_key'])}, but this scheduler's optimizer "
                f"cycles {_momentum_name(self.momentum_key)}"
            )
        saved_total = v.as_count("state_dict['total_steps']", state["total_steps"])
        saved_cycle = v.as_count(
            "state_dict['cycle_total_steps']", state.get("cycle_total_steps", saved_total)
        )
        here = {k: v_ for k, v_ in self._settings_state().items() if k != "total_steps"}
        differ = v.settings_differences(state, here)
        if self.total_steps not in (saved_total, saved_cycle):
            saved = f"{saved_total}" + (
                f", resumed from {saved_cycle}" if saved_cycle != saved_total else ""
            )
            differ.insert(0, f"total_steps (saved {saved}, here {self.total_steps})")
        hint = (
            f"; to continue the saved run over {self.total_steps} steps, build the "
            f"scheduler with total_steps={saved_total}, load the state, then call "
            f"resume_with(total_steps={self.total_steps})"
            if len(differ) == 1 and differ[0].startswith("total_steps")
            else ""
        )
        v.refuse_other_schedule(differ, hint)
        cycle = self._cycle
        if saved_cycle != cycle.total_steps:
            cycle = dataclasses.replace(cycle, total_steps=saved_cycle)
        knots = check_resume_knots(
            "state_dict['resume_knots']",
            state.get("resume_knots", []),
            total_steps=saved_total,
            final=float(saved_cycle - 1),
        )
        if not knots and saved_cycle != saved_total:
            raise ValueError(
                f"state_dict['resume_knots'] is empty but the run's total_steps ({saved_total}) "
                f"differs from its cycle's ({saved_cycle})"
            )
        schedule: Schedule = Retimed(cycle, knots, saved_total) if knots else cycle
        return schedule, schedule.check_step(state["last_epoch"], "state_dict['last_epoch']")


#: R torch's ``lr_one_cycle()`` (plus ``three_phase``): the same class under R torch's
#: name, so the arguments, defaults and errors cannot drift apart.
lr_one_cycle = OneCycleLR


def _momentum_name(key: str | None) -> str:
    return {"betas": "betas[0] (Adam-like)", "momentum": "'momentum' (SGD-like)"}.get(
        key or "", "no momentum (cycle_momentum=False)"
    )
