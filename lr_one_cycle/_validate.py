"""Argument checks shared by every front end (Python schedulers, the CLI, the R package).

Every check returns the normalised value or raises before anything is written. Messages
name the argument, the value received and what is accepted, e.g.
``total_steps must be a positive integer, got 10.5``; the R package shows the same
sentence. Wrong kinds of value (a string, a bool where a number is wanted) raise
``TypeError``; values of the right kind but out of range raise ``ValueError``.

Counts accept whole floats (``100.0``) because that is what R sends through reticulate.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def is_real(value: Any) -> bool:
    """A real number that is not a bool (numpy scalars included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def as_count(name: str, value: Any, *, minimum: int = 1) -> int:
    """An integer >= ``minimum``; whole floats such as ``100.0`` are accepted."""
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if not is_real(value):
        raise TypeError(f"{name} must be {what}, got {_show(value)} of type {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    else:
        as_float = float(value)
        if not (math.isfinite(as_float) and as_float.is_integer()):
            raise ValueError(f"{name} must be {what}, got {_show(value)}")
        number = int(as_float)
    if number < minimum:
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    return number


def as_real(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    accepted: str | None = None,
) -> float:
    """A finite float inside [low, high] (either end optionally open)."""
    if accepted is None:
        accepted = _describe_range(low, high, low_open, high_open)
    if not is_real(value):
        raise TypeError(
            f"{name} must be {accepted}, got {_show(value)} of type {type(value).__name__}"
        )
    number = float(value)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if not math.isfinite(number) or too_low or too_high:
        raise ValueError(f"{name} must be {accepted}, got {_show(value)}")
    return number


def _describe_range(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if low == -math.inf and high == math.inf:
        return "a finite number"
    if high == math.inf:
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    if low == -math.inf:
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    return f"a number in {left}{low:g}, {high:g}{right}"


def as_bool(name: str, value: Any) -> bool:
    """``True`` or ``False`` (numpy bools included); 0/1 and strings are refused."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(
        f"{name} must be True or False, got {_show(value)} of type {type(value).__name__}"
    )


def as_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of ``choices`` (strings)."""
    listed = " or ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be {listed}, got {_show(value)} of type {type(value).__name__}"
        )
    if value not in choices:
        raise ValueError(f"{name} must be {listed}, got {value!r}")
    return value


def per_group(name: str, value: Any, n_groups: int, check: Callable[[str, Any], T]) -> list[T]:
    """Spread a scalar over ``n_groups`` groups, or check a list/tuple has one value a group.

    Each element goes through ``check`` under the name ``name[i]`` so that a message
    points at the offending element.
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        values = list(value)
        if len(values) != n_groups:
            raise ValueError(
                f"{name} must be a single value or one value per parameter group "
                f"({n_groups}), got {len(values)} values"
            )
        return [check(f"{name}[{i}]", v) for i, v in enumerate(values)]
    return [check(name, value)] * n_groups


def param_groups_of(optimizer: Any, name: str = "optimizer") -> list[dict[str, Any]]:
    """The optimizer's ``param_groups``: a non-empty list of dicts, each with an ``lr``."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list):
        raise TypeError(
            f"{name} must be an optimizer (an object with a param_groups list of dicts), "
            f"got {type(optimizer).__name__}"
        )
    if not groups:
        raise ValueError(f"{name} has no parameter groups: param_groups is empty")
    for i, group in enumerate(groups):
        if not isinstance(group, Mapping):
            raise TypeError(f"{name}.param_groups[{i}] must be a dict, got {type(group).__name__}")
        if "lr" not in group:
            raise ValueError(f"{name}.param_groups[{i}] has no 'lr' entry")
    return groups


def momentum_key_of(optimizer: Any, groups: list[dict[str, Any]]) -> str | None:
    """Which entry carries the momentum: ``"betas"`` (Adam family), ``"momentum"`` or None.

    As torch does, ``optimizer.defaults`` decides when the optimizer has one (``betas``
    wins when both are present); a duck-typed optimizer without ``defaults`` is read
    from its first group. Every group must then carry that entry.
    """
    defaults = getattr(optimizer, "defaults", None)
    source = defaults if isinstance(defaults, Mapping) else groups[0]
    key = "betas" if "betas" in source else "momentum" if "momentum" in source else None
    if key is not None:
        missing = [i for i, group in enumerate(groups) if key not in group]
        if missing:
            raise ValueError(f"optimizer.param_groups[{missing[0]}] has no {key!r} entry to cycle")
    return key


def check_saved_state(state: Any, keys: Sequence[str], saved_by: str) -> Mapping[str, Any]:
    """A state dict to load: a mapping holding every one of ``keys``.

    ``saved_by`` names the class whose ``state_dict()`` makes such states, for the
    message when keys are missing (a state of another scheduler, or torch's own).
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"state_dict must be a dict, got {type(state).__name__}")
    missing = [k for k in keys if k not in state]
    if missing:
        raise ValueError(
            f"state_dict is missing {', '.join(missing)}: it was not saved by "
            f"lr_one_cycle.{saved_by}.state_dict()"
        )
    return state


def settings_differences(state: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """``"key (saved X, here Y)"`` for each setting whose saved value is not the current one."""
    return [
        f"{k} (saved {state[k]!r}, here {here!r})"
        for k, here in current.items()
        if state[k] != here
    ]


def refuse_other_schedule(differences: Sequence[str], hint: str = "") -> None:
    """Refuse a state saved for another schedule, naming every setting that differs."""
    if differences:
        raise ValueError(
            "state_dict was saved for another schedule; these settings differ: "
            + "; ".join(differences)
            + hint
        )
