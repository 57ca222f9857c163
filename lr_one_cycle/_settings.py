"""The small pieces every scheduler's constructor and attributes use (see
:mod:`lr_one_cycle.scheduler` for the contract they serve)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import _validate as v
from .schedules import Schedule


def plain(value: Any) -> Any:
    """A setting as a plain Python value for a state dict (tuples become lists)."""
    return list(value) if isinstance(value, tuple) else value


def short(values: Sequence[float]) -> str:
    shown = ", ".join(f"{x:.4g}" for x in values[:4])
    return f"[{shown}{', ...' if len(values) > 4 else ''}]"


def cycled_momentum_key(optimizer: Any, groups: list[dict[str, Any]]) -> str:
    """The entry ``cycle_momentum=True`` cycles: ``"momentum"`` or ``"betas"``."""
    key = v.momentum_key_of(optimizer, groups)
    if key is None:
        raise ValueError(
            f"cycle_momentum=True needs an optimizer with 'momentum' or 'betas' "
            f"({type(optimizer).__name__} has neither); pass cycle_momentum=False"
        )
    return key


def start_position(schedule: Schedule, last_epoch: Any) -> int:
    """The step a scheduler built with ``last_epoch`` applies first: step 0 for -1 (a new
    run), else ``last_epoch`` itself (a resumed run), checked against the schedule's end."""
    start = v.as_count("last_epoch", last_epoch, minimum=-1)
    last = schedule.last_step
    if last is not None and start > last:
        raise ValueError(
            f"last_epoch must be -1 (start) or a step in 0..{last} ({schedule.range_note()}), "
            f"got {start}"
        )
    return max(start, 0)


def setting(name: str, kind: Callable[[Any], Any], doc: str | None = None) -> Any:
    """A read-only scheduler attribute: the schedule's setting ``name`` (of the schedule
    the run started from, :meth:`Scheduler._settings_of`), converted by ``kind`` (``list``
    for per-group tuples, ``float``, ``int``, ...)."""

    def read(self: Any) -> Any:
        return kind(getattr(self._settings_of(), name))

    return property(read, doc=doc or f"``{name}`` (read-only).")


def _repr_value(value: Any) -> str:
    if isinstance(value, (list, tuple)) and value and all(isinstance(x, float) for x in value):
        return short(list(value))
    return repr(value)


def start_cycling(
    scheduler: Any,
    optimizer: Any,
    schedule: Schedule,
    *,
    cycle_momentum: Any,
    momentums: Mapping[str, Any],
    last_epoch: Any,
    base_lrs: Sequence[float],
    initial_lrs: Sequence[float] | None = None,
    verbose: Any = False,
) -> None:
    """``scheduler._start`` for a schedule that can cycle the momentum (1cycle, CyclicLR):
    ``cycle_momentum`` picks the entry (``momentum``, or ``betas[0]``, whose bound
    ``< 1`` is checked on the ``momentums`` as given) before anything is written."""
    cycle = v.as_bool("cycle_momentum", cycle_momentum)
    key = cycled_momentum_key(optimizer, optimizer.param_groups) if cycle else None
    v.check_momentums_for(key, **momentums)
    start = start_position(schedule, last_epoch)
    scheduler.cycle_momentum = cycle
    scheduler._start(
        optimizer,
        schedule,
        position=start,
        momentum_key=key,
        base_lrs=base_lrs,
        initial_lrs=initial_lrs,
        verbose=verbose,
    )
