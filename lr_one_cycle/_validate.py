"""Argument checks shared by every front end (the schedules, the schedulers, the CLI and
the R package).

Every check returns the normalised value or raises before anything is written. A bad
argument raises :class:`ArgumentValueError` (a ``ValueError``) or
:class:`ArgumentTypeError` (a ``TypeError``): structured errors that carry the argument's
path, the value received and what is accepted, so that each front end can say the same
thing in its own words. Python's sentence is
``total_steps must be a positive integer, got 10.5``; the R package renders the same
parts as R would say them (``NA``, ``TRUE``, ``max_lr[[2]]``). Wrong kinds of value (a
string, a bool where a number is wanted) are type errors; values of the right kind but
out of range are value errors.

Numbers come in many forms: Python numbers, numpy scalars, 0-d numpy arrays and 0-d
torch tensors are all scalars here; where one value per parameter group is accepted, a
list, a tuple or a 1-d array or tensor is. Counts accept whole floats (``100.0``),
because that is what R sends through reticulate, up to :data:`MAX_COUNT`.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

#: The largest count (of steps, events, epochs, ...) accepted: every step index below it is
#: exact as a float64, which is how positions on a schedule are computed.
MAX_COUNT = 2**53

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Accepted:
    """What an argument accepts, in Python's words and, where they differ, R's."""

    python: str
    r: str | None = None

    @property
    def in_r(self) -> str:
        return self.python if self.r is None else self.r


class ArgumentProblem(Exception):
    """A bad argument: ``argument`` (a path such as ``("max_lr", 1)``) must be
    ``accepted``, and ``value`` was received.

    ``note`` is an optional clause that follows the value (``; pass cycle_momentum=False``).
    ``str()`` is Python's sentence; :func:`lr_one_cycle.integrations.r_bridge` hands the
    parts to R, which words them for R users.
    """

    is_type_error = False

    def __init__(self, argument: str | Path, value: Any, accepted: str | Accepted, note: str = ""):
        self.argument: Path = (argument,) if isinstance(argument, str) else tuple(argument)
        self.value = value
        self.accepted = accepted if isinstance(accepted, Accepted) else Accepted(accepted)
        self.note = note
        super().__init__(self.sentence())

    def sentence(self) -> str:
        got = show(self.value)
        if self.is_type_error and not isinstance(self.value, Described):
            got += f" of type {type(self.value).__name__}"
        return f"{python_path(self.argument)} must be {self.accepted.python}, got {got}{self.note}"

    def parts(self) -> dict[str, Any]:
        """The structured parts, as plain values (what the R package renders)."""
        return {
            "argument": list(self.argument),
            "accepted": self.accepted.in_r,
            "note": self.note,
            "python_type": "TypeError" if self.is_type_error else "ValueError",
            "value": None if isinstance(self.value, Described) else _plain_value(self.value),
            "described": str(self.value) if isinstance(self.value, Described) else None,
            "python_message": str(self),
        }


def _plain_value(value: Any) -> Any:
    """The value as reticulate can hand it to R (anything else goes as its text)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return show(value)


class ArgumentValueError(ArgumentProblem, ValueError):
    """A value of the right kind, out of range (a ``ValueError``)."""


class ArgumentTypeError(ArgumentProblem, TypeError):
    """A value of the wrong kind (a ``TypeError``)."""

    is_type_error = True


def python_path(path: Path) -> str:
    """``("max_lr", 1)`` -> ``max_lr[1]``; ``("state_dict", "last_epoch")`` ->
    ``state_dict['last_epoch']``."""
    head, *rest = path
    return str(head) + "".join(f"[{p!r}]" for p in rest)


def item(path: str | Path, value: Any) -> Path:
    """The path of element ``value`` (an index or a key) below ``path``."""
    return ((path,) if isinstance(path, str) else tuple(path)) + (value,)


class Described(str):
    """A description standing for the value received (``2 values``), shown as it is."""


def show(value: Any) -> str:
    if isinstance(value, Described):
        return str(value)
    return repr(value) if isinstance(value, str) else str(value)


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``13th``, ``21st``, ``111th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --------------------------------------------------------------------------- scalars


def scalar(value: Any) -> Any:
    """``value`` as a Python scalar when it is a numpy scalar, a 0-d numpy array or a 0-d
    tensor (any array type with ``item()``, so torch is never imported here); anything
    else unchanged."""
    if value.__class__ is float or value.__class__ is int:  # the usual case, first
        return value
    if isinstance(value, np.generic):
        return value.item()
    ndim = getattr(value, "ndim", None)
    if ndim == 0 and hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def is_real(value: Any) -> bool:
    """A real number that is not a bool (numpy scalars included)."""
    if value.__class__ is float or value.__class__ is int:  # the usual case, first
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def as_count(name: str | Path, value: Any, *, minimum: int = 1, maximum: int = MAX_COUNT) -> int:
    """An integer in ``minimum .. maximum``; whole floats such as ``100.0`` are accepted."""
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    value = scalar(value)
    if not is_real(value):
        raise ArgumentTypeError(name, value, what)
    if value.__class__ is int:  # the usual case, first
        number = value
    elif isinstance(value, numbers.Integral):
        number = int(value)
    else:
        as_float = float(value)
        if not (math.isfinite(as_float) and as_float.is_integer()):
            raise ArgumentValueError(name, value, what)
        number = int(as_float)
    if number < minimum:
        raise ArgumentValueError(name, value, what)
    if number > maximum:
        largest = f"{maximum}{_power_of_two(maximum)}"
        within = (
            f"a positive integer <= {largest}"
            if minimum == 1
            else (f"an integer in {minimum}..{largest}")
        )
        raise ArgumentValueError(name, value, within)
    return number


def _power_of_two(n: int) -> str:
    return f" (2**{n.bit_length() - 1})" if n > 1024 and n & (n - 1) == 0 else ""


def as_real(
    name: str | Path,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    accepted: str | None = None,
) -> float:
    """A finite float inside [low, high] (either end optionally open)."""
    value = scalar(value)
    if not is_real(value):
        raise ArgumentTypeError(name, value, _accepted(low, high, low_open, high_open, accepted))
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        raise ArgumentValueError(
            name, value, _accepted(low, high, low_open, high_open, accepted)
        ) from None
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if not math.isfinite(number) or too_low or too_high:
        raise ArgumentValueError(name, value, _accepted(low, high, low_open, high_open, accepted))
    return number


def _accepted(
    low: float, high: float, low_open: bool, high_open: bool, accepted: str | None
) -> str:
    """What :func:`as_real` accepts, worded only when a value is refused."""
    return _describe_range(low, high, low_open, high_open) if accepted is None else accepted


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


BOOL = Accepted("True or False", "TRUE or FALSE")


def as_bool(name: str | Path, value: Any) -> bool:
    """``True`` or ``False`` (numpy bools and 0-d bool arrays included); 0/1 and strings
    are refused."""
    if value is True or value is False:
        return value
    value = scalar(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ArgumentTypeError(name, value, BOOL)


def as_choice(name: str | Path, value: Any, choices: Sequence[str]) -> str:
    """One of ``choices`` (strings)."""
    if value.__class__ is str and value in choices:  # the usual case, first
        return value
    what = Accepted(" or ".join(repr(c) for c in choices), " or ".join(f'"{c}"' for c in choices))
    if not isinstance(value, str):
        raise ArgumentTypeError(name, value, what)
    if value not in choices:
        raise ArgumentValueError(name, value, what)
    return value


def as_sequence(name: str | Path, value: Any) -> list[Any] | None:
    """The elements of a per-group value (a list, a tuple, a 1-d array or tensor), or
    None when ``value`` is a scalar; a multi-dimensional array is refused."""
    if isinstance(value, (list, tuple)):
        return list(value)
    ndim = getattr(value, "ndim", None)
    if isinstance(ndim, int) and hasattr(value, "tolist") and not isinstance(value, np.generic):
        if ndim == 0:
            return None
        if ndim == 1:
            return list(value.tolist())
        shape = "x".join(str(n) for n in value.shape)
        raise ArgumentValueError(
            name,
            Described(f"an array of shape {shape}"),
            Accepted("a single value or a 1-d list of values", "a single value or a vector"),
        )
    return None


def per_group(
    name: str, value: Any, n_groups: int | None, check: Callable[[Any, Any], T]
) -> tuple[T, ...]:
    """Spread a scalar over ``n_groups`` groups, or check a per-group value has one value
    a group (torch's ``_format_param``).

    With ``n_groups`` None, a scalar gives one value and a list as many as it has. Each
    element goes through ``check`` under the path ``(name, i)`` so that a message points
    at the offending element.
    """
    if value.__class__ is float or value.__class__ is int:  # the usual case, first
        return (check(name, value),) * (n_groups or 1)
    values = as_sequence(name, value)
    if values is None:
        return (check(name, value),) * (n_groups or 1)
    if n_groups is not None and len(values) != n_groups:
        raise ArgumentValueError(
            name,
            Described(f"{len(values)} values"),
            f"a single value or one value per parameter group ({n_groups})",
        )
    if not values:
        raise ArgumentValueError(
            name,
            Described("an empty list"),
            Accepted("a single value or a non-empty list", "a single value or a non-empty vector"),
        )
    return tuple(check(item(name, i), v) for i, v in enumerate(values))


# --------------------------------------------------------------------------- optimizers


#: What a parameter group and a state dict must be, in Python's words and R's.
DICT = Accepted("a dict", "a named list")
#: What ``betas`` must be.
BETAS = Accepted("a tuple of betas", "a vector of betas")


def _shown_with_type(value: Any) -> Any:
    """``value`` itself when every front end can show it (None, a number, a string), else
    its (short) repr with its type, as a type error shows a value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return Described(f"{reprlib.repr(value)} of type {type(value).__name__}")


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
        if group.__class__ is not dict and not isinstance(group, Mapping):
            raise ArgumentTypeError((f"{name}.param_groups", i), _shown_with_type(group), DICT)
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
    source = defaults if defaults.__class__ is dict or isinstance(defaults, Mapping) else groups[0]
    key = "betas" if "betas" in source else "momentum" if "momentum" in source else None
    if key is not None:
        missing = [i for i, group in enumerate(groups) if key not in group]
        if missing:
            raise ValueError(f"optimizer.param_groups[{missing[0]}] has no {key!r} entry to cycle")
    if key == "betas":
        for i, group in enumerate(groups):
            if not isinstance(group["betas"], (tuple, list)) or not group["betas"]:
                raise ArgumentValueError(
                    ("optimizer.param_groups", i, "betas"),
                    group["betas"],
                    BETAS,
                )
    return key


def check_momentums_for(key: str | None, **momentums: Any) -> None:
    """Momentums (as given: one value or one per group) as the optimizer takes them:
    ``betas[0]`` in [0, 1) for the Adam family (beta1 = 1 divides by zero in Adam's bias
    correction); ``momentum`` (SGD, RMSprop) any finite value >= 0, which the settings
    already checked."""
    if key != "betas":
        return
    for name, given in momentums.items():
        values = as_sequence(name, given)
        for i, m in enumerate([scalar(given)] if values is None else values):
            if not m < 1.0:
                raise ArgumentValueError(
                    name if values is None else (name, i),
                    m,
                    "a number in [0, 1) for an optimizer with betas (Adam family: beta1 = 1 "
                    "divides by zero in the bias correction)",
                )


def check_group_count(groups: Sequence[Any], expected: int) -> None:
    """Refuse to write into an optimizer whose groups changed since the schedule was built."""
    if len(groups) != expected:
        raise ValueError(
            f"the optimizer has {len(groups)} parameter groups but the schedule was built "
            f"for {expected}: build a new scheduler after optimizer.add_param_group() (or "
            "give the new group its own scheduler)"
        )


# --------------------------------------------------------------------------- state dicts


def check_saved_state(state: Any, keys: Sequence[str], saved_by: str) -> Mapping[str, Any]:
    """A state dict to load: a mapping holding every one of ``keys``.

    ``saved_by`` names the class whose ``state_dict()`` makes such states, for the
    message when keys are missing (a state of another scheduler, or torch's own).
    """
    if not isinstance(state, Mapping):
        # Python's sentence names the type ("got list"); R shows the value it was given.
        raise ArgumentTypeError("state_dict", Described(type(state).__name__), DICT)
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
