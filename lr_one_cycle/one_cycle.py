"""``OneCycleLR`` / ``lr_one_cycle()``: the 1cycle policy as a scheduler object.

A thin adapter over :class:`lr_one_cycle._schedules.OneCycleCurve`: it checks every
argument before touching the optimizer, keeps its settings on itself (never in
``param_groups``), and on each ``step()`` asks the core for the values of the new step
and writes ``lr`` and ``momentum`` (or ``betas[0]``) into the groups. The step
convention is documented once, in :mod:`lr_one_cycle._schedules`.

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
  not recompile; settings are not written into ``param_groups``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _validate as v
from ._groups import (
    SchedulerBase,
    ValueWindow,
    check_group_count,
    write_momentums,
    write_values,
)
from ._schedules import (
    AnnealStrategy,
    OneCycleCurve,
    ResumedCurve,
    ResumeKnots,
    check_max_lr,
    check_momentum,
    check_one_cycle_settings,
    check_resume_knots,
    check_total_steps,
    resume_knots,
)

_CONFIG_KEYS = (
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
_STATE_KEYS = ("last_epoch", *_CONFIG_KEYS)
# Written by state_dict() since resume_with() exists; optional on load, so that states
# saved before it still load (as runs that were never resumed).
_RESUME_KEYS = ("cycle_total_steps", "resume_knots")


class OneCycleLR(SchedulerBase):
    """The 1cycle learning-rate (and momentum) policy of Smith & Topin, stepped per batch.

    Arguments are those of R torch's ``lr_one_cycle()`` plus torch's ``three_phase``;
    see :func:`lr_one_cycle.one_cycle_schedule` for the formulas. ``max_lr``,
    ``base_momentum`` and ``max_momentum`` take one value or one per parameter group.
    The length is ``total_steps``, or ``epochs * steps_per_epoch``.

    Drives any object with a ``param_groups`` list of dicts (torch optimizers and
    duck-typed ones alike); with torch installed it is a
    ``torch.optim.lr_scheduler.LRScheduler``.
    """

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
        n = len(groups)
        total = check_total_steps(total_steps, epochs, steps_per_epoch)
        settings = check_one_cycle_settings(
            total_steps=total,
            pct_start=pct_start,
            anneal_strategy=anneal_strategy,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
            three_phase=three_phase,
        )
        max_lrs = v.per_group("max_lr", max_lr, n, check_max_lr)
        cycle = v.as_bool("cycle_momentum", cycle_momentum)
        base_momentums = v.per_group("base_momentum", base_momentum, n, check_momentum)
        max_momentums = v.per_group("max_momentum", max_momentum, n, check_momentum)
        momentum_key = _momentum_key(optimizer, groups) if cycle else None
        start = v.as_count("last_epoch", last_epoch, minimum=-1)
        if start > total:
            raise ValueError(
                f"last_epoch must be -1 (start) or a step in 0..{total} (total_steps={total}), "
                f"got {start}"
            )
        self.verbose = v.as_bool("verbose", verbose)

        self.optimizer = optimizer
        self.total_steps = total
        self.max_lrs = max_lrs
        self.pct_start = settings.pct_start
        self.anneal_strategy = settings.anneal_strategy
        self.div_factor = settings.div_factor
        self.final_div_factor = settings.final_div_factor
        self.three_phase = settings.three_phase
        self.cycle_momentum = cycle
        self.base_momentums = base_momentums
        self.max_momentums = max_momentums
        self.momentum_key = momentum_key
        self.base_lrs = [m / settings.div_factor for m in max_lrs]  # torch's name for initial lrs
        # The cycle the run follows, and how the run's steps map onto it once
        # resume_with() changed the run's length (no knots: step k is position k).
        self.cycle_total_steps = total
        self._knots: ResumeKnots = ()
        self._cycle = self._build_cycle(total)
        self._curve: OneCycleCurve | ResumedCurve = self._cycle
        # Values come from the core a window of steps at a time (exact, vectorised):
        # a step() then only looks its values up and writes them.
        self._window_size = max(16, min(1024, 32768 // n))
        self._window: ValueWindow[tuple[list[float], list[float]]] = ValueWindow(self._rows_from)
        self.last_epoch = max(start, 0)
        self._apply(self.last_epoch)

    # ------------------------------------------------------------------ stepping

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or jump to step ``epoch``) and write its values.

        Raises ``ValueError`` past step ``total_steps``, leaving ``last_epoch`` as it was.
        """
        if epoch is None:
            target = self.last_epoch + 1
            if target > self.total_steps:
                raise ValueError(
                    f"step() beyond the end of the schedule: total_steps={self.total_steps} "
                    f"were configured and {self.last_epoch} steps have been taken (the "
                    f"{self.total_steps}th step() holds the final value); last_epoch stays "
                    f"{self.last_epoch}"
                )
        else:
            target = self._check_step("epoch", epoch)
        self.last_epoch = target
        self._apply(target)

    def get_last_lr(self) -> list[float]:
        """The learning rates written by the last step, one per group."""
        return list(self._last_lr)

    def get_lr(self) -> list[float]:
        """The learning rates of step ``last_epoch``, one per group.

        Like torch's ``OneCycleLR.get_lr()``, it also writes that step's momentum, so
        wrappers that drive a scheduler through ``get_lr()`` and ``last_epoch`` (ignite's
        ``LRScheduler``) cycle the momentum too. Prefer :meth:`step`.
        """
        step = self._check_step("last_epoch", self.last_epoch)
        lrs, momentums = self._curve.values_at(step)
        write_momentums(self.optimizer.param_groups, self.momentum_key, momentums)
        return lrs

    def _apply(self, step: int) -> None:
        groups = self.optimizer.param_groups
        check_group_count(groups, len(self.max_lrs))
        lrs, momentums = self._window.at(step)
        write_values(groups, lrs, self.momentum_key, momentums)
        self._last_lr = lrs
        if self.verbose:
            for i, lr in enumerate(lrs):
                print(f"Adjusting learning rate of group {i} to {lr:.4e}.")

    def _rows_from(self, step: int) -> list[tuple[list[float], list[float]]]:
        return self._curve.rows(step, min(step + self._window_size, self.total_steps + 1))

    def _check_step(self, name: str, step: Any, total_steps: int | None = None) -> int:
        total = self.total_steps if total_steps is None else total_steps
        value = v.as_count(name, step, minimum=0)
        if value > total:
            raise ValueError(
                f"{name} must be a step in 0..{total} (total_steps={total}), got {value}"
            )
        return value

    def _build_cycle(self, total_steps: int) -> OneCycleCurve:
        return OneCycleCurve.build(
            max_lrs=self.max_lrs,
            total_steps=total_steps,
            pct_start=self.pct_start,
            anneal_strategy=self.anneal_strategy,
            div_factor=self.div_factor,
            final_div_factor=self.final_div_factor,
            three_phase=self.three_phase,
            base_momentums=self.base_momentums,
            max_momentums=self.max_momentums,
        )

    def _follow(self, total_steps: int, cycle_total_steps: int, knots: ResumeKnots) -> None:
        """Switch to the run described by the lengths and knots (all checked)."""
        if cycle_total_steps != self.cycle_total_steps:
            self._cycle = self._build_cycle(cycle_total_steps)
        self.total_steps = total_steps
        self.cycle_total_steps = cycle_total_steps
        self._knots = knots
        self._curve = ResumedCurve(self._cycle, knots) if knots else self._cycle
        self._window.clear()

    # ------------------------------------------------------------------ elastic resume

    def resume_with(
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
        :mod:`lr_one_cycle._schedules` ("elastic resume"); ``docs/elastic_resume.png``
        shows it. The length is ``total_steps`` or ``epochs * steps_per_epoch`` as in the
        constructor; the length in force already changes nothing.

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
        if total == self.total_steps:
            return
        knots = resume_knots(
            self._knots,
            step=self.last_epoch,
            total_steps=total,
            cycle_steps=self.cycle_total_steps,
        )
        self._follow(total, self.cycle_total_steps, knots)
        self._apply(self.last_epoch)

    @property
    def resume_knots(self) -> list[list[float]]:
        """The ``[step, cycle position]`` knots of the run (empty: never resumed)."""
        return [[step, position] for step, position in self._knots]

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Position and settings, as plain Python values (``torch.load(weights_only=True)``
        reads them back)."""
        return {key: _plain(getattr(self, key)) for key in (*_STATE_KEYS, *_RESUME_KEYS)}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the position saved by :meth:`state_dict` and re-apply its values.

        The saved settings must match this scheduler's (same schedule, same kind of
        optimizer); anything else is refused with a message naming what differs, and
        nothing changes. For a run continued by :meth:`resume_with`, ``total_steps`` may
        be the run's original or its new length: the saved run is restored either way.
        """
        v.check_saved_state(state_dict, _STATE_KEYS, "OneCycleLR")
        if state_dict["momentum_key"] != self.momentum_key:
            raise ValueError(
                "state_dict was saved for an optimizer that cycles "
                f"{_momentum_name(state_dict['momentum_key'])}, but this scheduler's optimizer "
                f"cycles {_momentum_name(self.momentum_key)}"
            )
        saved_total = v.as_count("state_dict['total_steps']", state_dict["total_steps"])
        saved_cycle = v.as_count(
            "state_dict['cycle_total_steps']", state_dict.get("cycle_total_steps", saved_total)
        )
        differ = v.settings_differences(
            state_dict, {k: _plain(getattr(self, k)) for k in _CONFIG_KEYS if k != "total_steps"}
        )
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
        knots = check_resume_knots(
            "state_dict['resume_knots']",
            state_dict.get("resume_knots", []),
            total_steps=saved_total,
            cycle_steps=saved_cycle,
        )
        if not knots and saved_cycle != saved_total:
            raise ValueError(
                f"state_dict['resume_knots'] is empty but the run's total_steps ({saved_total}) "
                f"differs from its cycle's ({saved_cycle})"
            )
        step = self._check_step(
            "state_dict['last_epoch']", state_dict["last_epoch"], total_steps=saved_total
        )
        self._follow(saved_total, saved_cycle, knots)
        self.last_epoch = step
        self._apply(step)

    def __repr__(self) -> str:
        return (
            f"OneCycleLR(total_steps={self.total_steps}, max_lr={_short(self.max_lrs)}, "
            f"pct_start={self.pct_start}, anneal_strategy={self.anneal_strategy!r}, "
            f"three_phase={self.three_phase}, cycle_momentum={self.cycle_momentum}, "
            f"last_epoch={self.last_epoch}, last_lr={_short(self._last_lr)})"
        )


def lr_one_cycle(
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
) -> OneCycleLR:
    """R torch's ``lr_one_cycle()`` (plus ``three_phase``): returns a :class:`OneCycleLR`."""
    return OneCycleLR(
        optimizer,
        max_lr,
        total_steps=total_steps,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        pct_start=pct_start,
        anneal_strategy=anneal_strategy,
        cycle_momentum=cycle_momentum,
        base_momentum=base_momentum,
        max_momentum=max_momentum,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        three_phase=three_phase,
        last_epoch=last_epoch,
        verbose=verbose,
    )


def _momentum_key(optimizer: Any, groups: list[dict[str, Any]]) -> str:
    key = v.momentum_key_of(optimizer, groups)
    if key is None:
        raise ValueError(
            f"cycle_momentum=True needs an optimizer with 'momentum' or 'betas' "
            f"({type(optimizer).__name__} has neither); pass cycle_momentum=False"
        )
    if key == "betas":
        for i, group in enumerate(groups):
            if not isinstance(group["betas"], (tuple, list)) or not group["betas"]:
                raise ValueError(
                    f"optimizer.param_groups[{i}]['betas'] must be a tuple of betas, "
                    f"got {group['betas']!r}"
                )
    return key


def _momentum_name(key: str | None) -> str:
    return {"betas": "betas[0] (Adam-like)", "momentum": "'momentum' (SGD-like)"}.get(
        key or "", "no momentum (cycle_momentum=False)"
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _short(values: Sequence[float]) -> str:
    shown = ", ".join(f"{x:.4g}" for x in values[:4])
    return f"[{shown}{', ...' if len(values) > 4 else ''}]"
