"""Writing schedule values into an optimizer's ``param_groups``, and the scheduler base.

The only place that touches ``param_groups``. A tensor ``lr``, ``momentum`` or
``betas[0]`` is updated in place (``fill_``) and stays the same tensor, so a
``torch.compile``d optimizer step that guards on it does not recompile as the schedule
moves; plain floats are replaced. Nothing but these values is ever written: the
schedulers keep their settings on themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

try:  # With torch installed, schedulers are real torch LRSchedulers (Lightning checks).
    from torch.optim.lr_scheduler import LRScheduler as SchedulerBase
except ImportError:  # pragma: no cover - exercised in the no-torch test subprocess

    class SchedulerBase:  # type: ignore[no-redef]
        """Stand-in base when torch is not installed."""


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
    momentums: Sequence[float],
) -> None:
    """Write every group's lr and, unless ``momentum_key`` is None, its momentum.

    One loop per step on the hot path of every scheduler: floats are replaced directly,
    anything else goes through :func:`write` / :func:`write_momentum`.
    """
    if momentum_key is None:
        for group, lr in zip(groups, lrs):
            if group["lr"].__class__ is float:
                group["lr"] = lr
            else:
                write(group, "lr", lr)
        return
    for group, lr, m in zip(groups, lrs, momentums):
        if group["lr"].__class__ is float:
            group["lr"] = lr
        else:
            write(group, "lr", lr)
        if momentum_key == "momentum" and group["momentum"].__class__ is float:
            group["momentum"] = m
        else:
            write_momentum(group, momentum_key, m)


def write_momentums(
    groups: Sequence[dict[str, Any]], momentum_key: str | None, momentums: Sequence[float]
) -> None:
    """Write every group's momentum (``momentum_key`` None: nothing to write)."""
    if momentum_key is not None:
        for group, m in zip(groups, momentums):
            write_momentum(group, momentum_key, m)
