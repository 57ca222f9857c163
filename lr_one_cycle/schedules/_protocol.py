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
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .. import _validate as v

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Steps = int | float | Any  # a number, or anything numpy makes an array of


class Values(NamedTuple):
    """What a schedule gives at some steps: ``lr`` and, when it cycles one, ``momentum``
    (``None`` otherwise); arrays of shape ``steps.shape + (n_groups,)``."""

    lr: FloatArray
    momentum: FloatArray | None


class Schedule(ABC):
    """The protocol every schedule family implements (see the module docstring).

    Subclasses are frozen dataclasses whose ``__post_init__`` checks their settings,
    and implement :meth:`_evaluate` on a 1-d array of checked steps.
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
        checked = self.check_steps(steps)
        array = np.asarray(checked)
        flat = array.reshape(-1)
        out = self._evaluate(flat, exact)
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
        lr, momentum = self.values(checked, exact=exact)
        if per_group:
            return lr, momentum
        return lr[..., 0], None if momentum is None else momentum[..., 0]

    def at(self, step: int | float) -> tuple[list[float], list[float] | None]:
        """The exact values at one (checked) step: ``(lrs, momentums)``, one per group."""
        out = self._evaluate(np.array([step], np.float64 if self.fractional else np.int64), True)
        momentum = None if out.momentum is None else out.momentum[0].tolist()
        return out.lr[0].tolist(), momentum

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
        array = steps_array(name, value, fractional=self.fractional)
        last = self.last_step
        if last is not None and array.size and array.max() > last:
            raise ValueError(
                f"{name} must be in 0..{last} ({self.range_note()}), got values from "
                f"{array.min():g} to {array.max():g}"
            )
        return array


def steps_array(name: str, values: Any, *, fractional: bool = False) -> npt.NDArray[Any]:
    """``values`` as an array of steps >= 0: int64 (whole numbers; whole floats accepted)
    or, when ``fractional``, float64. Refuses strings, bools and non-numeric arrays."""
    kind = (
        "a number or an array of numbers" if fractional else ("an integer or an array of integers")
    )
    if isinstance(values, (str, bytes, bool)) or values is None:
        raise TypeError(f"{name} must be {kind}, got {type(values).__name__}")
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be {kind}, got an array of {array.dtype}")
    if array.size and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers >= 0")
    if not fractional and array.dtype.kind == "f" and not np.all(array == np.floor(array)):
        raise ValueError(f"{name} must be whole numbers; got non-integer values")
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must be >= 0, got values down to {array.min():g}")
    if array.size and array.max() > v.MAX_COUNT:
        raise ValueError(f"{name} must be <= {v.MAX_COUNT} (2**53), got {array.max():g}")
    return array.astype(np.float64 if fractional else np.int64)
