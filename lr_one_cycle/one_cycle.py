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
from ._groups import SchedulerBase, write_momentums, write_values
from ._schedules import (
    AnnealStrategy,
    OneCycleCurve,
    check_max_lr,
    check_momentum,
    check_one_cycle_settings,
    check_total_steps,
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
        self._curve = OneCycleCurve.build(
            max_lrs=max_lrs,
            base_momentums=base_momentums,
            max_momentums=max_momentums,
            **settings.__dict__,
        )
        # Values come from the core a window of steps at a time (exact, vectorised):
        # a step() then only looks its values up and writes them.
        self._window_size = max(16, min(1024, 32768 // n))
        self._window_start = 0
        self._window: list[tuple[list[float], list[float]]] = []
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
        if len(groups) != len(self.max_lrs):
            raise ValueError(
                f"the optimizer has {len(groups)} parameter groups but the schedule was built "
                f"for {len(self.max_lrs)}"
            )
        offset = step - self._window_start
        if not 0 <= offset < len(self._window):
            self._window_start = step
            self._window = self._curve.rows(
                step, min(step + self._window_size, self.total_steps + 1)
            )
            offset = 0
        lrs, momentums = self._window[offset]
        write_values(groups, lrs, self.momentum_key, momentums)
        self._last_lr = lrs
        if self.verbose:
            for i, lr in enumerate(lrs):
                print(f"Adjusting learning rate of group {i} to {lr:.4e}.")

    def _check_step(self, name: str, step: Any) -> int:
        value = v.as_count(name, step, minimum=0)
        if value > self.total_steps:
            raise ValueError(
                f"{name} must be a step in 0..{self.total_steps} "
                f"(total_steps={self.total_steps}), got {value}"
            )
        return value

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Position and settings, as plain Python values (``torch.load(weights_only=True)``
        reads them back)."""
        return {key: _plain(getattr(self, key)) for key in _STATE_KEYS}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the position saved by :meth:`state_dict` and re-apply its values.

        The saved settings must match this scheduler's (same schedule, same kind of
        optimizer); anything else is refused with a message naming what differs, and
        nothing changes.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        missing = [k for k in _STATE_KEYS if k not in state_dict]
        if missing:
            raise ValueError(
                f"state_dict is missing {', '.join(missing)}: it was not saved by "
                "lr_one_cycle.OneCycleLR.state_dict()"
            )
        if state_dict["momentum_key"] != self.momentum_key:
            raise ValueError(
                "state_dict was saved for an optimizer that cycles "
                f"{_momentum_name(state_dict['momentum_key'])}, but this scheduler's optimizer "
                f"cycles {_momentum_name(self.momentum_key)}"
            )
        differ = [
            f"{k} (saved {state_dict[k]!r}, here {_plain(getattr(self, k))!r})"
            for k in _CONFIG_KEYS
            if state_dict[k] != _plain(getattr(self, k))
        ]
        if differ:
            raise ValueError(
                "state_dict was saved for another schedule; these settings differ: "
                + "; ".join(differ)
            )
        step = self._check_step("state_dict['last_epoch']", state_dict["last_epoch"])
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
