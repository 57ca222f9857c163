"""The schedule protocol: what every schedule family offers, and the step convention.

Step convention (linked from every front end)
---------------------------------------------
Steps are 0-based. Step ``k`` holds the values in force for the ``(k+1)``-th optimizer
update. A scheduler applies step 0 when it is constructed and step ``k`` after its
``k``-th ``step()`` call; its ``last_epoch`` is the last step it applied. A 1cycle
schedule of ``total_steps = T`` is defined on steps ``0 .. T-1`` (bitwise equal to
``torch.optim.lr_scheduler.OneCycleLR``); step ``T`` — reached by the ``T``-th
``step()`` of a loop that steps after every update — holds the final value (torch
rebounds or goes negative there, pytorch#91765); steps beyond ``T`` are out of range.

Two families count in other units, for parity with their references: ignite's cyclical
schedules count *events* (event ``n`` is the value written by the ``(n+1)``-th handler
call, ignite's convention), and SGDR warm restarts take *epochs*, which may be
fractional (torch's ``step(epoch + i / iters)``). Their pure functions still take the
index as their first argument, ``steps``.

Exactness
---------
Values are absolute functions of the step, never multiplicative updates of the last
value, which is what makes resume, random access and parity exact. The exact path
performs the reference's floating-point operations in the reference's order (Python's
``math.cos`` and ``**`` element by element), so it is bitwise equal to torch and ignite.
The fast array path uses ``numpy.cos`` / ``numpy.power``, which may differ by a few ulp;
schedulers always use the exact path.

The protocol
------------
Every schedule is a frozen object whose constructor checks its settings, with

- :meth:`Schedule.values`: the values at an array of steps, shape ``steps.shape +
  (n_groups,)`` (vectorised; ``exact=True`` for bitwise parity);
- :meth:`Schedule.at`: the exact values at one step, as lists (one value a group);
- :attr:`Schedule.last_step`: the valid steps are ``0 .. last_step`` (None: no end);
- :meth:`Schedule.resumed`: the elastic-resume schedule, and where the run continues.

A schedule gives a learning rate and, where it cycles one, a momentum (:class:`Values`).

The torch path
--------------
:meth:`Schedule.torch_values` evaluates a torch tensor of steps with tensor operations
only, on the tensor's device, in float64: the same steps and shapes as :meth:`values`,
traceable by ``torch.compile(fullgraph=True)`` with the step as data (changing it does
not recompile). Inside a compiled function, steps outside the valid range give NaN
(nothing can be raised there); outside one they raise as :meth:`values` does. torch is
imported only when a tensor arrives (:mod:`lr_one_cycle.schedules._torch`).

- ``exact=True``: a table of the exact path's values (built once, on the host) read by
  step: bitwise equal on every device, for whole steps of a schedule of fixed length or
  of a :attr:`Schedule.period`, or up to ``max_step``. Schedulers' in-graph variant
  (:class:`lr_one_cycle.InGraphScheduler`) uses it by default.
- ``exact=False``: each family's closed form on tensors (:meth:`Schedule._torch_evaluator`,
  the per-family hook), with the exact path's operations in its order. Float64 values
  against the exact path, on the CPU:

  =================================================  ===================================
  family (closed form)                               float64
  =================================================  ===================================
  1cycle ``"linear"``; ignite's linear and           bitwise: no transcendental function
  monotonic cycles; yolo ``"step"``; CyclicLR
  ``"triangular"``, ``"triangular2"`` and a
  ``scale_fn`` of the cycle; ramps and WSD
  ``"linear"``; constants; ramps and WSD
  ``"1-sqrt"`` (the root corrected to the
  correctly rounded one, below)
  1cycle ``"cos"``; ignite's cosine; SGDR; yolo      ``cos``: bitwise where torch's rounds
  ``"cos"``; ramps ``"cos"``, WSD ``"cosine"``,      like the C library's (below)
  ``warmup_cosine_schedule`` after its warm-up
  yolo ``"poly"``; CyclicLR ``"exp_range"``          ``pow``: within 2 ulp
  joins (``join_schedules``, ``with_warmup``,        each step as its part
  ``SequentialLR``, ``WarmupLR``)
  CyclicLR with a ``scale_fn`` of the step           none (``TypeError``): use the tables
  =================================================  ===================================

  torch's ``cos`` rounds like the C library's (which the references call) always in a
  CPU graph compiled from one step (inductor calls the C library's ``cos`` on scalars);
  else it is within 1 ulp of it (measured: it differs on 0.14% of angles in eager
  vectorised code, 1.9% in inductor's), which the references' own ``cos(x) + 1``
  cancellation magnifies near the end of an anneal: the difference is at most 2 ulp of
  the value plus ``amplitude * 2**-53`` (1cycle, 100 000 steps: 42 values differ, by up
  to 8 ulp). Eager CPU torch's float64 ``sqrt`` (MKL's or Sleef's) is within 1 ulp (about 1.4 % of
  roots differ), which ``1 - sqrt(p)`` would magnify to tens of ulp:
  :func:`lr_one_cycle.schedules._torch.sqrt` corrects each root to the correctly rounded
  one (inductor's is already), so the 1-sqrt shapes are bitwise.
  ``pow`` is the C library's in a CPU graph compiled from one step (bitwise), else
  within 1 ulp of it (vectorised), 2 ulp of the value. In float32 every family is
  within 1 ulp of the exact value rounded (rounding the float64 result; no difference
  measured). On CUDA inductor may fuse ``c0 + c1 * x`` into an FMA and divide by
  constants through their reciprocals: use the tables for parity there.

Adding the torch path to a family: implement ``_torch_evaluator(max_step)`` returning a
:class:`TorchEvaluator` subclass whose ``evaluate(t)`` maps a 1-d float64 tensor of
valid positions to :class:`Values` of shape ``(len(t), n_groups)`` with tensor
operations only: no ``.item()``, no Python branch on a tensor's value. Its settings are
plain Python numbers or constant tensors prepared in its constructor (host code, numpy
allowed; torch imported inside the functions, never at module level). Growth that
never repeats (cycles that lengthen, values multiplied every cycle) is listed there up
to ``max_step`` or until it settles (:func:`lr_one_cycle.schedules._torch.listed_up_to`);
a schedule whose values repeat says so with :attr:`Schedule.period`. Add the family to
the cases of ``tests/test_torch_path.py``, which checks it against :meth:`values` with
``exact=True``, compiled and not.
"""

from __future__ import annotations

import copy
import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .. import _validate as v

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Steps = int | float | Any  # a number, or anything numpy makes an array of


class Values(NamedTuple):
    """What a schedule gives at some steps: ``lr`` and, when it cycles one, ``momentum``
    (``None`` otherwise); arrays of shape ``steps.shape + (n_groups,)``: numpy float64
    arrays, or float64 tensors on the torch path. (Typed ``Any``: the two array types
    share the operations the families use, and torch is never imported here.)

    Args:
        lr: the learning rates, shape ``steps.shape + (n_groups,)``.
        momentum: the momentums, of the same shape, or ``None`` for a schedule that
            cycles none.

    Raises:
        TypeError: not exactly two fields given (a ``NamedTuple``; nothing is checked).

    References:
        The protocol and the step convention: :mod:`lr_one_cycle.schedules._protocol`.
    """

    lr: Any
    momentum: Any


class Schedule(ABC):
    """The protocol every schedule family implements (see the module docstring).

    Subclasses are frozen dataclasses whose ``__post_init__`` checks their settings,
    and implement :meth:`_evaluate` on a 1-d array of checked steps. Steps are 0-based
    optimizer updates (events for ignite's cycles, epochs for SGDR; see the step
    convention in the module docstring).

    The protocol itself takes no arguments: each family documents its constructor's.

    Raises:
        TypeError: instantiating the abstract protocol itself. Subclasses raise
            ``ValueError`` / ``TypeError`` naming a bad setting; :meth:`values` and
            :meth:`at` raise them for steps out of range or of the wrong kind.

    References:
        optax's schedules (a pure function of the step count); torch's
        ``torch/optim/lr_scheduler.py`` (the values and step counts followed).
    """

    #: Steps may be fractional (SGDR's epochs, the decay factory's iterations).
    fractional: bool = False
    #: The names steps go by in messages: one step, and an array of them.
    step_name: str = "step"
    steps_name: str = "steps"

    @property
    @abstractmethod
    def n_groups(self) -> int:
        """Number of parameter groups the schedule gives values for."""

    @property
    def last_step(self) -> int | None:
        """The last valid step (``None``: every step ``>= 0`` is valid)."""
        return None

    @property
    def cycles_momentum(self) -> bool:
        """Whether :class:`Values` carries a momentum."""
        return False

    def range_note(self) -> str:
        """What sets :attr:`last_step`, for messages (``total_steps=10``)."""
        return f"last step {self.last_step}"

    @abstractmethod
    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        """Values at a 1-d array of checked steps (int64, or float64 when fractional),
        shape ``(len(steps), n_groups)``."""

    def values(self, steps: Steps, *, exact: bool = False) -> Values:
        """Values at ``steps`` (a number or an array): arrays of shape
        ``steps.shape + (n_groups,)``.

        Raises ``ValueError``/``TypeError`` for steps outside ``0 .. last_step`` or of the
        wrong kind, naming them.
        """
        exact = v.as_bool("exact", exact)
        return self._values(np.asarray(self.check_steps(steps)), exact)

    def _values(self, array: npt.NDArray[Any], exact: bool) -> Values:
        """:meth:`values` at an array of checked steps."""
        out = self._evaluate(array.reshape(-1), exact)
        shape = (*array.shape, self.n_groups)
        momentum = None if out.momentum is None else out.momentum.reshape(shape)
        return Values(out.lr.reshape(shape), momentum)

    def evaluate(
        self, steps: Steps, *, exact: bool = False, per_group: bool = False
    ) -> tuple[Any, Any]:
        """What the public pure functions return: ``(lr, momentum)`` (momentum None when
        not cycled). For a number, floats (with ``per_group``, 1-d arrays of one value a
        group); for an array, arrays of the shape of ``steps`` (with ``per_group``, and a
        trailing group axis)."""
        checked = self.check_steps(steps)
        if not isinstance(checked, np.ndarray):
            lrs, momentums = self.at(checked)
            if per_group:
                return np.array(lrs), None if momentums is None else np.array(momentums)
            return lrs[0], None if momentums is None else momentums[0]
        lr, momentum = self._values(checked, v.as_bool("exact", exact))
        if per_group:
            return lr, momentum
        return lr[..., 0], None if momentum is None else momentum[..., 0]

    def at(self, step: int | float) -> tuple[list[float], list[float] | None]:
        """The exact values at one (checked) step: ``(lrs, momentums)``, one per group."""
        out = self._evaluate(np.array([step], np.float64 if self.fractional else np.int64), True)
        momentum = None if out.momentum is None else out.momentum[0].tolist()
        return out.lr[0].tolist(), momentum

    @property
    def period(self) -> int | None:
        """``P`` such that step ``k + P`` has the values of step ``k`` for every whole
        ``k >= 0`` (``None``: the values never repeat, or the schedule has an end)."""
        return None

    def torch_values(
        self, steps: Any, *, exact: bool = False, max_step: int | None = None
    ) -> Values:
        """Values at a torch tensor of ``steps``: float64 tensors on its device, of
        shape ``steps.shape + (n_groups,)`` (the torch path, see the module docstring).

        Args:
            steps: an integer tensor (a floating one for fractional schedules, or of
                whole numbers), any shape.
            exact: read a table of the exact values (bitwise on every device; whole
                steps of a schedule of fixed length, of a :attr:`period`, or up to
                ``max_step``) instead of evaluating the closed form.
            max_step: the largest step that will be asked for, where a schedule grows
                without repeating (cycles that lengthen, values multiplied every
                cycle) beyond what is listed by default; later steps give NaN.

        Raises:
            TypeError: ``steps`` is not a tensor of numbers, or fractional steps with
                ``exact=True``; a family without a torch path.
            ValueError: steps out of range (outside ``torch.compile``), or growth
                that needs ``max_step``.
        """
        from ._torch import schedule_torch_values

        return schedule_torch_values(self, steps, exact=exact, max_step=max_step)

    def torch_evaluator(
        self, *, exact: bool = False, max_step: int | None = None
    ) -> TorchEvaluator:
        """The host-side preparation of the torch path, done once: a
        :class:`TorchEvaluator` whose call maps a tensor of positions to
        :class:`Values` with tensor operations only (what
        :class:`lr_one_cycle.InGraphScheduler` runs inside the compiled step)."""
        from ._torch import build_evaluator

        return build_evaluator(self, exact=exact, max_step=max_step)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        """The family's closed form on tensors (see "Adding the torch path" in the
        module docstring). Families without one raise ``TypeError``."""
        raise TypeError(
            f"{type(self).__name__} has no closed form on torch tensors yet; "
            "exact=True reads a table of its exact values instead"
        )

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Elastic resume: the schedule a run resumed at ``step`` with ``changes`` follows,
        and the step at which it continues. Raises ``ValueError``, changing nothing, for
        a resume the family cannot make."""
        raise TypeError(f"{type(self).__name__} has no elastic resume")

    def check_step(self, step: Any, name: str | None = None) -> int | float:
        """One step in the valid range (fractional only for fractional schedules)."""
        name = self.step_name if name is None else name
        if self.fractional:
            number = v.as_real(name, step, low=0.0)
            whole = v.scalar(step)  # an int past 2**53 would round to a float at or below it
            if number > v.MAX_COUNT or (isinstance(whole, int) and whole > v.MAX_COUNT):
                raise v.ArgumentValueError(name, step, f"a number in [0, {v.MAX_COUNT}] (2**53)")
            value: int | float = int(number) if number.is_integer() else number
        else:
            value = v.as_count(name, step, minimum=0)
        last = self.last_step
        if last is not None and value > last:
            raise ValueError(f"{name} must be in 0..{last} ({self.range_note()}), got {value:g}")
        return value

    def check_steps(self, steps: Any) -> int | float | npt.NDArray[Any]:
        """A step (a number) or an array of steps, each valid (see :meth:`check_step`).

        Arrays come back as int64 (float64 for fractional schedules); numpy scalars,
        0-d arrays and 0-d tensors are numbers.
        """
        name = self.steps_name
        value = v.scalar(steps)
        if v.is_real(value):
            return self.check_step(value)
        return steps_array(name, value, fractional=self.fractional, last=self.last_step,
                           note=self.range_note)


class TorchEvaluator:
    """Values at a tensor of positions, computed with tensor operations only (the
    torch path; built by :meth:`Schedule.torch_evaluator`).

    Built on the host, once; calling it adds only tensor operations to a graph: the
    domain is checked with them (NaN outside ``0 .. last``, since a compiled graph cannot
    raise) and :meth:`evaluate` runs on valid positions. A subclass sets ``last`` (the
    last valid position, ``None``: no end) and ``n_groups``, and implements
    :meth:`evaluate`, importing torch inside it. Attributes that are tensors (or
    evaluators) move with :meth:`to`.
    """

    last: float | None = None
    n_groups: int = 1

    def evaluate(self, t: Any) -> Values:
        """Values at a 1-d float64 tensor of valid positions: ``(len(t), n_groups)``."""
        raise NotImplementedError

    def __call__(self, positions: Any) -> Values:
        """Values at ``positions`` (any shape): float64, shape ``positions.shape +
        (n_groups,)``; NaN where a position is outside ``0 .. last``."""
        import torch

        t = positions.reshape(-1).to(torch.float64)
        limit = float(v.MAX_COUNT) if self.last is None else float(self.last)
        valid = (t >= 0) & (t <= limit)  # False for NaN too
        out = self.evaluate(torch.where(valid, t, 0.0))
        shape = (*positions.shape, self.n_groups)
        nan = torch.tensor(math.nan, dtype=torch.float64, device=t.device)

        def masked(x: Any) -> Any:
            return torch.where(valid[:, None], x, nan).reshape(shape)

        return Values(masked(out.lr), None if out.momentum is None else masked(out.momentum))

    def to(self, device: Any) -> TorchEvaluator:
        """A copy whose tensors (and evaluators, in tuples too) are on ``device``."""
        moved = copy.copy(self)
        for key, value in vars(self).items():
            setattr(moved, key, _moved(value, device))
        return moved


def _moved(value: Any, device: Any) -> Any:
    if is_tensor(value) or isinstance(value, TorchEvaluator):
        return value.to(device)
    if isinstance(value, tuple):
        return tuple(_moved(x, device) for x in value)
    return value


def evaluate(
    cls: type[Schedule],
    settings: dict[str, Any],
    steps: Any,
    *,
    exact: bool = False,
    per_group: bool = False,
) -> tuple[Any, Any]:
    """What a public pure function returns for the schedule ``cls(**settings)`` at
    ``steps``: :meth:`Schedule.evaluate` for numbers and arrays; for a torch tensor,
    tensors of its shape (with a trailing group axis for ``per_group``) from the torch
    path, the schedule built at trace time inside ``torch.compile``."""
    if is_tensor(steps):
        from ._torch import pure_torch_values

        lr, momentum = pure_torch_values(cls, settings, steps, exact=exact)
        if per_group:
            return lr, momentum
        return lr[..., 0], None if momentum is None else momentum[..., 0]
    return cls(**settings).evaluate(steps, exact=exact, per_group=per_group)


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a torch tensor (torch is never imported here: without torch
    in ``sys.modules`` nothing can be one)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def steps_array(
    name: str,
    values: Any,
    *,
    fractional: bool = False,
    last: int | None = None,
    note: Callable[[], str] | None = None,
) -> npt.NDArray[Any]:
    """``values`` as an array of steps in ``0 .. last`` (``last`` None: any step >= 0):
    int64 (whole numbers; whole floats accepted) or, when ``fractional``, float64.
    Refuses strings, bools and non-numeric arrays; ``note()`` says what sets ``last``.

    An int64 array (float64 when ``fractional``) comes back as it is, not copied:
    schedules only read their steps."""
    kind = (
        "a number or an array of numbers" if fractional else ("an integer or an array of integers")
    )
    if isinstance(values, (str, bytes, bool)) or values is None:
        raise v.ArgumentTypeError(name, values, kind)
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be {kind}, got an array of {array.dtype}")
    if not array.size:
        return array.astype(np.float64 if fractional else np.int64)
    low, high = array.min(), array.max()
    if array.dtype.kind == "f":
        if not (math.isfinite(low) and math.isfinite(high)):  # NaN propagates to both
            raise ValueError(f"{name} must be finite numbers >= 0")
        if not fractional and not np.all(array == np.floor(array)):
            raise ValueError(f"{name} must be whole numbers; got non-integer values")
    if low < 0:
        raise ValueError(f"{name} must be >= 0, got values down to {low:g}")
    if high > v.MAX_COUNT:
        shown = int(high) if high < 1e18 and float(high).is_integer() else f"{high:g}"
        raise ValueError(f"{name} must be <= {v.MAX_COUNT} (2**53), got {shown}")
    if last is not None and high > last:
        raise ValueError(
            f"{name} must be in 0..{last} ({note() if note else f'last step {last}'}), "
            f"got values from {low:g} to {high:g}"
        )
    return array.astype(np.float64 if fractional else np.int64, copy=False)
