"""Smith's cyclical learning rates (CLR, "Cyclical Learning Rates for Training Neural
Networks", arXiv 1506.01186) as torch 2.13's ``CyclicLR`` computes them, in closed form.

A cycle lasts ``step_size_up + step_size_down`` steps: the lr rises linearly from
``base_lr`` to ``max_lr`` over the first ``step_size_up`` and falls back over the rest,
with the amplitude scaled by ``scale_fn``; the momentum moves the opposite way between
``max_momentum`` and ``base_momentum``. torch's operations, in torch's order:

.. code-block:: text

    cycle = floor(1 + k / total_size)          # total_size = float(up) + float(down)
    x = 1.0 + k / total_size - cycle
    f = x / step_ratio if x <= step_ratio else (x - 1) / (step_ratio - 1)
    lr = base_lr + ((max_lr - base_lr) * f) * scale
    momentum = max_momentum - ((max_momentum - base_momentum) * f) * scale

with ``scale = scale_fn(cycle)`` (``scale_mode="cycle"``) or ``scale_fn(k)``
(``"iterations"``): 1 for ``"triangular"``, ``1 / 2.0 ** (cycle - 1)`` for
``"triangular2"``, ``gamma ** k`` for ``"exp_range"``. No value depends on the one
before, so any step is computed directly. Step convention:
:mod:`lr_one_cycle.schedules._protocol` (step ``k`` is torch's ``last_epoch = k``).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable
from dataclasses import InitVar, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, Steps, Values
from .anneal import power

CyclicMode = Literal["triangular", "triangular2", "exp_range"]
CYCLIC_MODES: tuple[CyclicMode, ...] = ("triangular", "triangular2", "exp_range")
ScaleMode = Literal["cycle", "iterations"]
SCALE_MODES: tuple[ScaleMode, ...] = ("cycle", "iterations")
#: The scale mode each built-in mode implies (torch overrides ``scale_mode`` with it).
MODE_SCALE: dict[str, ScaleMode] = {
    "triangular": "cycle",
    "triangular2": "cycle",
    "exp_range": "iterations",
}


def _check_lr(name: Any, value: object) -> float:
    return v.as_real(name, value, low=0.0)


def _check_size(name: str, value: object) -> float:
    # torch takes float(step_size): any positive number; 0 divides by zero.
    return v.as_real(name, value, low=0.0, low_open=True)


def group_count(n_groups: int | None, **values: Any) -> int | None:
    """``n_groups``, else the length of the first per-group list among ``values``."""
    if n_groups is not None:
        return n_groups
    lists = [v.as_sequence(name, value) for name, value in values.items()]
    return next((len(x) for x in lists if x is not None), None)


def scale_fn_name(scale_fn: Callable[..., Any]) -> str | None:
    """``module.qualname`` of a function that can be found again by that name (defined
    at module level or as a class attribute), else None (a lambda, a nested function,
    a callable object): what a state dict of plain values can hold for it."""
    module = sys.modules.get(getattr(scale_fn, "__module__", None) or "")
    qualname = getattr(scale_fn, "__qualname__", None)
    if module is None or not isinstance(qualname, str) or "<" in qualname:
        return None
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return f"{module.__name__}.{qualname}" if found is scale_fn else None


@dataclass(frozen=True)
class CyclicSchedule(Schedule):
    """Checked ``CyclicLR`` settings (torch's arguments), one value or one per group for
    the lrs and momentums, and their curve (formulas: :mod:`.cyclic`).

    Valid steps: every ``k >= 0`` (the cycles never end). ``mode`` is checked even with
    a ``scale_fn`` (which then replaces it, as in torch); ``scale_mode`` only applies to
    a ``scale_fn`` (a built-in mode implies its own, as in torch).

    Raises ``ValueError`` / ``TypeError`` naming a bad setting.
    """

    base_lr: Any
    max_lr: Any
    step_size_up: Any = 2000
    step_size_down: Any = None
    mode: Any = "triangular"
    gamma: Any = 1.0
    scale_fn: Any = None
    scale_mode: Any = "cycle"
    base_momentum: Any = 0.8
    max_momentum: Any = 0.9
    n_groups_: InitVar[int | None] = None

    def __post_init__(self, n_groups_: int | None) -> None:
        n = group_count(
            n_groups_,
            base_lr=self.base_lr,
            max_lr=self.max_lr,
            base_momentum=self.base_momentum,
            max_momentum=self.max_momentum,
        )
        base = v.per_group("base_lr", self.base_lr, n, _check_lr)
        n = len(base)
        up = _check_size("step_size_up", self.step_size_up)
        down = up if self.step_size_down is None else _check_size(
            "step_size_down", self.step_size_down
        )
        if self.scale_fn is not None and not callable(self.scale_fn):
            raise v.ArgumentTypeError(
                "scale_fn", self.scale_fn, "None or a function of one number (the cycle or step)"
            )
        checked = {
            "base_lr": base,
            "max_lr": v.per_group("max_lr", self.max_lr, n, _check_lr),
            "step_size_up": up,
            "step_size_down": down,
            "mode": v.as_choice("mode", self.mode, CYCLIC_MODES),
            # gamma > 1 would grow the amplitude past max_lr (and overflow).
            "gamma": v.as_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True),
            "scale_mode": v.as_choice("scale_mode", self.scale_mode, SCALE_MODES),
            "base_momentum": v.per_group("base_momentum", self.base_momentum, n, _check_lr),
            "max_momentum": v.per_group("max_momentum", self.max_momentum, n, _check_lr),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        total = up + down
        derived = {
            "total_size": total,
            "step_ratio": up / total,
            "_base": np.array(base, np.float64),
            "_height": np.array([m - b for m, b in zip(self.max_lr, base)], np.float64),
            "_max_m": np.array(self.max_momentum, np.float64),
            "_height_m": np.array(
                [m - b for m, b in zip(self.max_momentum, self.base_momentum)], np.float64
            ),
        }
        for key, value in derived.items():
            object.__setattr__(self, key, value)

    @property
    def n_groups(self) -> int:
        return len(self.base_lr)

    @property
    def cycles_momentum(self) -> bool:
        return True

    @property
    def effective_scale_mode(self) -> ScaleMode:
        """What the scale is a function of: ``scale_mode`` with a ``scale_fn``, else the
        mode's own (torch's rule)."""
        return self.scale_mode if self.scale_fn is not None else MODE_SCALE[self.mode]

    def _scale(self, k: npt.NDArray[np.int64], cycle: FloatArray, exact: bool) -> FloatArray | None:
        """The amplitude's scale per step (None: 1, which leaves every product exact)."""
        fn = self.scale_fn
        if fn is None:
            if self.mode == "triangular":
                return None
            if self.mode == "triangular2":
                # 2.0 ** (c - 1) is a power of two, exact either way; past 2**1023 torch's
                # ** raises OverflowError, ldexp gives inf and the scale its limit, 0.
                with np.errstate(over="ignore"):
                    return 1 / np.ldexp(1.0, np.minimum(cycle - 1, 2048).astype(np.int32))
            return power(np.full(k.shape, float(self.gamma)), k.astype(np.float64), exact)
        if self.scale_mode == "cycle":
            # torch passes the cycle as an int; one call per distinct cycle.
            cycles, where = np.unique(cycle.astype(np.int64), return_inverse=True)
            table = np.array([float(fn(c)) for c in cycles.tolist()], np.float64)
            return table[where.reshape(-1)]
        return np.fromiter((float(fn(i)) for i in k.tolist()), np.float64, k.size)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Go on with cycles of ``step_size_up`` (and ``step_size_down``, unchanged when
        not given) from the same point of the cycle: the same cycle (so the same
        ``triangular2``/``scale_fn`` amplitude) and the same fraction of it, to the
        nearest step, never leaving the cycle; for a run resumed with another number of
        iterations per epoch. The step is renumbered for the new sizes. With
        ``scale_mode="iterations"`` the scale follows the new step count."""
        unknown = sorted(set(changes) - {"step_size_up", "step_size_down"})
        if unknown:
            raise TypeError(f"resume_with() got unexpected arguments: {', '.join(unknown)}")
        if changes.get("step_size_down") is None:
            changes["step_size_down"] = (
                changes["step_size_up"] if "step_size_up" in changes else self.step_size_down
            )
        new = dataclasses.replace(self, **changes)
        q = int(step) / self.total_size  # type: ignore[attr-defined]
        cycle = math.floor(1 + q)
        fraction = 1.0 + q - cycle
        size = new.total_size  # type: ignore[attr-defined]
        start = (cycle - 1) * size
        # The nearest step of the same cycle: cycle c covers [(c-1)*size, c*size).
        target = math.floor(start + fraction * size + 0.5)
        last_of_cycle = math.ceil(cycle * size) - 1
        return new, max(math.ceil(start), min(target, last_of_cycle))

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        k = np.asarray(steps, np.int64)
        q = k / self.total_size  # type: ignore[attr-defined]
        cycle = np.floor(1 + q)
        x = 1.0 + q - cycle
        ratio = self.step_ratio  # type: ignore[attr-defined]
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))[:, None]
        scale = self._scale(k, cycle, exact)
        up = self._height * f  # type: ignore[attr-defined]
        down = self._height_m * f  # type: ignore[attr-defined]
        if scale is not None:
            up = up * scale[:, None]
            down = down * scale[:, None]
        return Values(self._base + up, self._max_m - down)  # type: ignore[attr-defined]


def cyclic_lr_schedule(
    steps: Steps,
    *,
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: CyclicMode = "triangular",
    gamma: float = 1.0,
    scale_fn: Callable[[float], float] | None = None,
    scale_mode: ScaleMode = "cycle",
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    exact: bool = False,
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    r"""The cyclical learning rate and momentum at ``steps`` (torch's ``CyclicLR``, random
    access).

    With ``S = step_size_up + step_size_down``, ``r = step_size_up / S``, cycle
    ``c = \lfloor 1 + k / S \rfloor`` and ``x = 1 + k / S - c`` (the position in it),

    .. math::

        f = \begin{cases} x / r & x \le r \\ (x - 1) / (r - 1) & x > r \end{cases}
        \qquad lr = base\_lr + (max\_lr - base\_lr)\, f\, \sigma

    and ``momentum = max_momentum - (max_momentum - base_momentum) f \sigma``, where the
    scale ``\sigma`` is 1 (``"triangular"``), ``1 / 2^{c-1}`` (``"triangular2"``),
    ``gamma^k`` (``"exp_range"``) or ``scale_fn(c)`` / ``scale_fn(k)``.

    Args:
        steps: a step (int >= 0) or an array of steps; step ``k`` is the value torch's
            scheduler holds at ``last_epoch = k``.
        base_lr, max_lr: the cycle's bounds, one value or a list (one per group).
        step_size_up, step_size_down: steps rising and falling (``None``: as up).
        mode, gamma, scale_fn, scale_mode: the amplitude's scale, as torch's.
        base_momentum, max_momentum: the momentum's bounds (at the peak and at the ends).
        exact: arrays bitwise equal to the scalar path (Python's ``**`` for
            ``"exp_range"``) rather than numpy's ``power`` (within a few ulp).

    Returns:
        ``(lr, momentum)``: floats for an int step; arrays of the shape of ``steps``
        otherwise (a trailing group axis when a setting is a list). Scalars are bitwise
        equal to torch 2.13's ``CyclicLR``.

    Raises:
        ValueError, TypeError: a bad setting or step, naming it.

    References:
        Smith, "Cyclical Learning Rates for Training Neural Networks", arXiv 1506.01186;
        torch's ``CyclicLR`` (after bckenstler/CLR).

    >>> cyclic_lr_schedule([0, 1, 2, 3, 4], base_lr=0.1, max_lr=1.0, step_size_up=2)[0]
    array([0.1 , 0.55, 1.  , 0.55, 0.1 ])
    """
    schedule = CyclicSchedule(
        base_lr=base_lr,
        max_lr=max_lr,
        step_size_up=step_size_up,
        step_size_down=step_size_down,
        mode=mode,
        gamma=gamma,
        scale_fn=scale_fn,
        scale_mode=scale_mode,
        base_momentum=base_momentum,
        max_momentum=max_momentum,
    )
    per_group = group_count(
        None, base_lr=base_lr, max_lr=max_lr, base_momentum=base_momentum,
        max_momentum=max_momentum,
    ) is not None
    return schedule.evaluate(steps, exact=exact, per_group=per_group)
