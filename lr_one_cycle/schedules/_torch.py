"""The torch path of the schedules: values at a tensor of steps, with tensor operations only.

Imported only when a tensor arrives (``import lr_one_cycle`` never imports torch). The
contract and the pattern a family follows are in :mod:`lr_one_cycle.schedules._protocol`
("The torch path"). This module holds what the families share:

- :class:`TableEvaluator`, the ``exact=True`` path of every family: a table of the exact
  values, read by step;
- :func:`schedule_torch_values` / :func:`pure_torch_values`, the entries behind
  :meth:`Schedule.torch_values` and the pure functions. Inside ``torch.compile`` the
  host-side work (checking the settings, listing cycles, building tables) runs once, at
  trace time, in a ``torch._dynamo.nonstrict_trace`` region: dynamo does not trace it
  instruction by instruction, and only the tensor operations on the steps reach the graph.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from .. import _validate as v
from ._protocol import Schedule, TorchEvaluator, Values, is_tensor

#: The most entries a per-cycle list (cycle bounds, multiplied values) holds before the
#: schedule needs ``max_step``: growth that settles or saturates fits well within it.
LIST_LIMIT = 2**16

Tensor = torch.Tensor


# --------------------------------------------------------------------------- evaluators


class TableEvaluator(TorchEvaluator):
    """The exact path: a table of the values of steps ``0 .. P - 1``, read by step.

    A periodic table wraps the steps around (``k mod P``); otherwise it ends at
    ``last = P - 1``. Bitwise equal to :meth:`Schedule.values` with ``exact=True`` on
    every device, since reading a table rounds nothing.
    """

    def __init__(self, lr: Tensor, momentum: Tensor | None, *, periodic: bool) -> None:
        self.lr = lr
        self.momentum = momentum
        self.size = lr.shape[0]
        self.periodic = periodic
        self.last = None if periodic else self.size - 1
        self.n_groups = lr.shape[1]

    def evaluate(self, t: Tensor) -> Values:
        index = t.to(torch.int64)
        if self.periodic:
            index = torch.remainder(index, self.size)
        return Values(self.lr[index], None if self.momentum is None else self.momentum[index])


def build_evaluator(
    schedule: Schedule, *, exact: bool = False, max_step: int | None = None
) -> TorchEvaluator:
    """``schedule``'s evaluator (on the CPU; :meth:`TorchEvaluator.to` moves it): the
    table of exact values with ``exact``, else the family's closed form."""
    exact = v.as_bool("exact", exact)
    bound = None if max_step is None else v.as_count("max_step", max_step, minimum=0)
    if not exact:
        evaluator: TorchEvaluator = schedule._torch_evaluator(bound)
        return evaluator
    last, period = schedule.last_step, schedule.period
    if last is not None:
        size, periodic = (last if bound is None else min(last, bound)) + 1, False
    elif period is not None:
        size, periodic = period, True
    elif bound is not None:
        size, periodic = bound + 1, False
    else:
        raise ValueError(
            f"max_step must be given for exact=True: {type(schedule).__name__} has no last "
            "step and no period from step 0, so the table of exact values needs a last step"
        )
    values = schedule.values(np.arange(size, dtype=np.int64), exact=True)
    momentum = None if values.momentum is None else torch.from_numpy(values.momentum)
    return TableEvaluator(torch.from_numpy(values.lr), momentum, periodic=periodic)


# --------------------------------------------------------------------------- entries


def check_steps_tensor(name: str, steps: Any, exact: bool) -> Tensor:
    """``steps`` as a tensor of numbers, checked for what its dtype says (static)."""
    if not is_tensor(steps):
        raise TypeError(f"{name} must be a torch tensor, got {type(steps).__name__}")
    if steps.dtype == torch.bool or steps.dtype.is_complex:
        raise TypeError(f"{name} must be a tensor of numbers, got {steps.dtype}")
    if exact and steps.dtype.is_floating_point:
        raise TypeError(
            f"{name} must be an integer tensor with exact=True (a table of "
            f"whole steps), got {steps.dtype}; exact=False evaluates any position"
        )
    return steps  # type: ignore[no-any-return]


def schedule_torch_values(
    schedule: Schedule, steps: Any, *, exact: bool = False, max_step: int | None = None
) -> Values:
    """:meth:`Schedule.torch_values` (see there)."""
    exact = v.as_bool("exact", exact)
    steps = check_steps_tensor(schedule.steps_name, steps, exact)
    if torch.compiler.is_compiling():
        return _traced_values(spec_of(schedule), steps, exact, max_step)
    bound = None if max_step is None else v.as_count("max_step", max_step, minimum=0)
    host = steps.detach().cpu().numpy()
    checked = np.asarray(schedule.check_steps(host))
    if bound is not None and checked.size and checked.max() > bound:
        raise ValueError(
            f"{schedule.steps_name} must be <= max_step ({bound}), got values up to "
            f"{checked.max():g}"
        )
    if exact:
        lr, momentum = schedule.values(checked, exact=True)
        return Values(
            torch.from_numpy(lr).to(steps.device),
            None if momentum is None else torch.from_numpy(momentum).to(steps.device),
        )
    # The steps are known here: list growing cycles only as far as they reach.
    reach = int(math.ceil(checked.max())) if checked.size else 0
    evaluator = build_evaluator(schedule, max_step=reach if bound is None else bound)
    return evaluator.to(steps.device)(steps)


def pure_torch_values(
    cls: type[Schedule],
    settings: dict[str, Any],
    steps: Any,
    *,
    exact: bool = False,
    max_step: int | None = None,
) -> Values:
    """The tensor branch of a pure function: ``cls(**settings).torch_values(steps)``,
    with the schedule built at trace time inside ``torch.compile``."""
    if torch.compiler.is_compiling():
        exact = v.as_bool("exact", exact)
        steps = check_steps_tensor(cls.steps_name, steps, exact)
        return _traced_values(_spec(cls, settings), steps, exact, max_step)
    return schedule_torch_values(cls(**settings), steps, exact=exact, max_step=max_step)


# A schedule crosses into the nonstrict region as a spec of plain values (its class and
# constructor arguments, nested for a schedule inside a schedule): dynamo passes only
# such values in (not None: a marker stands for it; a function, such as CyclicLR's
# scale_fn, by its module and name), and specialises the compiled code on them.
Spec = tuple[str, str, tuple[tuple[str, Any], ...]]
_SCHEDULE, _NONE, _FUNCTION = "<schedule>", "<None>", "<function>"


def _spec(cls: type, settings: dict[str, Any]) -> Spec:
    items = tuple((key, _plain(value, key)) for key, value in settings.items())
    return _SCHEDULE, f"{cls.__module__}:{cls.__qualname__}", items


def _plain(value: Any, name: str) -> Any:
    if isinstance(value, Schedule):
        return spec_of(value)
    if isinstance(value, (list, tuple)):
        return tuple(_plain(x, name) for x in value)
    if callable(value):
        found = _function_name(value)
        if not found:
            raise TypeError(
                f"{name} must be a function defined at module level to cross into "
                f"torch.compile (a schedule crosses as plain values), got {value!r}; or build "
                "the evaluator outside the compiled function (schedule.torch_evaluator()) "
                "and call it inside"
            )
        module, _, qualname = found.partition(":")
        return _FUNCTION, module, qualname
    return _NONE if value is None else value


def _unplain(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 3 and value[0] == _SCHEDULE:
        return from_spec(value)
    if isinstance(value, tuple) and len(value) == 3 and value[0] == _FUNCTION:
        found: Any = importlib.import_module(value[1])
        for part in value[2].split("."):
            found = getattr(found, part)
        return found
    if isinstance(value, tuple):
        return tuple(_unplain(x) for x in value)
    return None if value == _NONE else value


@torch._dynamo.assume_constant_result  # type: ignore[untyped-decorator]
def _function_name(function: Any) -> str:
    """``"module:qualname"`` of a function found again by them (``""`` when it cannot
    be: a lambda, a nested function). Run for real at trace time: dynamo cannot read a
    function's ``__qualname__``."""
    from .cyclic import scale_fn_name

    if scale_fn_name(function) is None:
        return ""
    return f"{function.__module__}:{function.__qualname__}"


def spec_of(schedule: Schedule) -> Spec:
    """``schedule``'s class and the constructor arguments that rebuild it (its fields
    that the constructor takes; derived ones are rebuilt)."""
    fields = [f for f in dataclasses.fields(schedule) if f.init]  # type: ignore[arg-type]
    return _spec(type(schedule), {f.name: getattr(schedule, f.name) for f in fields})


def from_spec(spec: Spec) -> Schedule:
    """The schedule a :func:`spec_of` describes (its constructor checks it again)."""
    _, path, items = spec
    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(**{key: _unplain(value) for key, value in items})  # type: ignore[no-any-return]


def _traced_values(spec: Spec, steps: Tensor, exact: bool, max_step: int | None) -> Values:
    # None cannot cross into the region: -1 stands for it.
    out = _nonstrict_values(steps, spec, exact, -1 if max_step is None else max_step)
    return Values(out[0], out[1] if len(out) > 1 else None)


@torch._dynamo.nonstrict_trace
def _nonstrict_values(steps: Tensor, spec: Spec, exact: bool, max_step: int) -> tuple[Tensor, ...]:
    # Runs for real at trace time (settings checked, tables built); the graph keeps
    # the tensor operations on ``steps`` and the evaluator's constants.
    schedule = from_spec(spec)
    bound = None if max_step == -1 else max_step
    evaluator = build_evaluator(schedule, exact=exact, max_step=bound).to(steps.device)
    lr, momentum = evaluator(steps)
    return (lr,) if momentum is None else (lr, momentum)


# --------------------------------------------------------------------------- helpers


def first_phase(s: Tensor, ends: Sequence[float], count: int) -> Tensor:
    """The index of the first of ``count`` phases whose end ``s`` does not pass (the
    last phase when it passes them all): 1cycle's rule, for any order of the ends."""
    phase = torch.full(s.shape, count - 1, dtype=torch.int64, device=s.device)
    for i in range(count - 2, -1, -1):
        phase = torch.where(s <= ends[i], i, phase)
    return phase


def constant(values: Any, device: Any = None, dtype: torch.dtype = torch.float64) -> Tensor:
    """A constant tensor of the evaluator (float64 unless said)."""
    return torch.as_tensor(np.asarray(values), dtype=dtype, device=device)


def too_many(what: str, max_step: int | None) -> ValueError:
    """The error for growth that lists more than :data:`LIST_LIMIT` entries."""
    reach = "every step (2**53)" if max_step is None else f"max_step={max_step}"
    return ValueError(
        f"max_step must be given, and small enough: {what} lists more than {LIST_LIMIT} "
        f"entries up to {reach}; give max_step, the last step the tensor path will be "
        "asked for"
    )


def listed_up_to(
    first: float, following: Callable[[float, int], float], what: str, max_step: int | None,
    count: int | None = None,
) -> list[float]:
    """``first, following(first, 1), following(that, 2), ...``: ``count`` entries, or,
    with ``count`` None, until an entry equals the one before (it then stays: a value
    that reached 0 or infinity, a multiplier of 1). Raises :func:`too_many` past
    :data:`LIST_LIMIT` entries."""
    entries = [first]
    while count is None or len(entries) < count:
        if len(entries) > LIST_LIMIT:
            raise too_many(what, max_step)
        nxt = following(entries[-1], len(entries))
        if count is None and nxt == entries[-1]:
            break
        entries.append(nxt)
    return entries


def gather_clamped(table: Tensor, index: Tensor) -> Tensor:
    """``table[index]`` with the index held to the table (past the end: the last entry,
    which :func:`listed_up_to` lists until it stays)."""
    return table[torch.clamp(index, 0, table.shape[0] - 1)]


def floor_divide(a: Tensor, b: float) -> Tensor:
    """``a // b`` for ``a >= 0``, ``b > 0`` as numpy and Python divide floats (from the
    exact ``fmod``, then to the nearest whole quotient), where ``floor(a / b)`` can round
    up across a whole number."""
    div = (a - torch.fmod(a, b)) / b
    whole = torch.floor(div)
    return torch.where(div - whole > 0.5, whole + 1, whole)


def sqrt(x: Tensor) -> Tensor:
    """``sqrt`` correctly rounded, as IEEE 754 (and Python's ``math.sqrt``) give it, for
    ``x >= 0`` in float64.

    torch's eager CPU kernel for long float64 tensors (MKL's or Sleef's vector sqrt) is
    up to 1 ulp off on about 1.4 % of inputs; ``1 - sqrt(p)`` then cancels that into
    tens of ulp. The candidate is checked against ``x`` with its square computed exactly
    (Dekker's product, Veltkamp's split: no FMA needed) and moved by one ulp where the
    square says it is not the nearest: ``r`` is when ``|x - r**2| <= r*u + u*u/4``,
    ``u`` its ulp. Compiled graphs already use the hardware's correctly rounded sqrt,
    where this costs a few elementwise operations more.
    """
    r = torch.sqrt(x)
    c = r * 134217729.0  # 2**27 + 1: Veltkamp's split of r into r_hi + r_lo, 26 bits each
    r_hi = c - (c - r)
    r_lo = r - r_hi
    square = r * r
    error = ((r_hi * r_hi - square) + 2.0 * r_hi * r_lo) + r_lo * r_lo  # r*r = square + error
    residual = (x - square) - error  # x - r**2: x - square is exact (Sterbenz)
    up = torch.nextafter(r, torch.full_like(r, math.inf))
    u = up - r
    bound = r * u + u * u / 4.0
    down = torch.nextafter(r, torch.zeros_like(r))
    fixed = torch.where(residual > bound, up, torch.where(residual < -bound, down, r))
    return torch.where(x > 0.0, fixed, r)  # 0, inf and NaN as torch.sqrt gives them
