"""What every scheduler adapter shares: writing values into an optimizer's
``param_groups``, the window of values it reads from the core, and the scheduler base.

The only place that touches ``param_groups``. A tensor ``lr``, ``momentum`` or
``betas[0]`` is updated in place (``fill_``) and stays the same tensor, so a
``torch.compile``d optimizer step that guards on it does not recompile as the schedule
moves; plain floats are replaced. Nothing but these values is ever written: the
schedulers keep their settings on themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")

try:  # With torch installed, schedulers are real torch LRSchedulers (Lightning checks).
    from torch.optim.lr_scheduler import LRScheduler as SchedulerBase
except ImportError:  # pragma: no cover - exercised in the no-torch test subprocess

    class SchedulerBase:  # type: ignore[no-redef]
        """Stand-in base when torch is not installed."""


class ValueWindow(Generic[T]):
    """The values of consecutive positions, read from the pure core a window at a time.

    ``fetch(position)`` returns the values of ``position, position + 1, ...`` (one
    vectorised, exact evaluation of the core, at least one position); :meth:`at` then
    costs a list lookup until a position falls outside the window. Pass a bound method
    as ``fetch`` (not a lambda), so that ``copy.deepcopy`` of a scheduler rebinds it to
    the copy. :meth:`clear` after anything that changes the values.
    """

    __slots__ = ("_fetch", "_start", "_values")

    def __init__(self, fetch: Callable[[int], list[T]]) -> None:
        self._fetch = fetch
        self._start = 0
        self._values: list[T] = []

    def at(self, position: int) -> T:
        offset = position - self._start
        values = self._values
        if not 0 <= offset < len(values):
            self._values = values = self._fetch(position)
            self._start, offset = position, 0
        return values[offset]

    def clear(self) -> None:
        self._values = []


def check_group_count(groups: Sequence[Any], expected: int) -> None:
    """Refuse to write into an optimizer whose groups changed since the schedule was built."""
    if len(groups) != expected:
        raise ValueError(
            f"the optimizer has {len(groups)} parameter groups but the schedule was built "
            f"for {expected}"
        )


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
