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

The values do not repeat exactly from cycle to cycle: ``1 + k / total_size`` rounds to
the precision of the cycle number, so ``x`` (and torch's values) drift by an ulp or so
between cycles, unless ``total_size`` is a power of two (then every operation is exact).
:attr:`CyclicSchedule.period` says so; on torch tensors (:class:`CyclicOnTensors`) the
closed form is bitwise equal to the exact path anyway, except ``gamma ** k``.
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
from ._protocol import FloatArray, Schedule, Steps, TorchEvaluator, Values, evaluate
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
    a ``scale_fn`` (a built-in mode implies its own, as in torch). Step ``k`` is torch's
    ``last_epoch = k`` (step convention: :mod:`lr_one_cycle.schedules._protocol`).

    Args:
        base_lr, max_lr: the cycle's bounds, one value or one per group.
        step_size_up, step_size_down: steps rising and falling (``None``: as up).
        mode, gamma, scale_fn, scale_mode: the amplitude's scale, as torch's.
        base_momentum, max_momentum: the momentum's bounds, one value or one per group.
        n_groups_: the number of parameter groups to spread scalars over (None: one,
            or the length of the lists given).

    Raises:
        ValueError, TypeError: a bad setting, naming it.

    References:
        Smith, "Cyclical Learning Rates for Training Neural Networks", arXiv 1506.01186;
        torch's ``CyclicLR`` (``torch/optim/lr_scheduler.py``).
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
        if not math.isfinite(total):
            raise v.ArgumentValueError(
                "step_size_up", up, "a size that keeps step_size_up + step_size_down finite"
            )
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

    @property
    def period(self) -> int | None:
        """``total_size`` for ``"triangular"`` cycles (no ``scale_fn``) when it is a whole
        power of two: only then do the values repeat bit for bit (module docstring)."""
        total = float(self.total_size)  # type: ignore[attr-defined]
        if self.scale_fn is not None or self.mode != "triangular" or not total.is_integer():
            return None
        size = int(total)
        return size if size & (size - 1) == 0 else None

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return CyclicOnTensors(self, max_step)

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


class CyclicOnTensors(TorchEvaluator):
    """:meth:`CyclicSchedule._evaluate` on tensors, in its operation order. Float64 values
    are bitwise equal to the exact path for ``"triangular"``, ``"triangular2"`` (the scale
    ``2.0 ** -(cycle - 1)`` is built from its bits) and a ``scale_fn`` of the cycle
    (``scale_mode="cycle"``: its values listed per cycle, on the host, up to
    ``max_step``'s cycle, which it then needs; later steps give NaN); ``"exp_range"``'s
    ``gamma ** k`` is torch's ``pow``, within an ulp of the C library's.

    A ``scale_fn`` of the step (``scale_mode="iterations"``) is a Python call per step,
    which no tensor operation can stand for: refused with a ``TypeError`` (``exact=True``
    reads a table of the exact values instead).
    """

    def __init__(self, schedule: CyclicSchedule, max_step: int | None) -> None:
        from ._torch import LIST_LIMIT, constant, too_many

        self.n_groups = schedule.n_groups
        self.total = float(schedule.total_size)  # type: ignore[attr-defined]
        self.ratio = float(schedule.step_ratio)  # type: ignore[attr-defined]
        names = ("_base", "_height", "_max_m", "_height_m")
        self.base, self.height, self.max_m, self.height_m = (
            constant(getattr(schedule, name)) for name in names
        )
        self.gamma = float(schedule.gamma)
        fn = schedule.scale_fn
        self.scales: Any = None
        if fn is None:
            self.scale = {"triangular": "", "triangular2": "halving", "exp_range": "gamma"}[
                schedule.mode
            ]
            return
        if schedule.scale_mode == "iterations":
            raise TypeError(
                "scale_fn with scale_mode='iterations' is a Python call per step, which the "
                "closed form on torch tensors cannot make; exact=True reads a table of the "
                "exact values instead (give max_step, the last step it will be asked for)"
            )
        if max_step is None:
            # Listing cycles that the run may never reach would call scale_fn where it
            # may fail (torch's own 1 / 2.0 ** (c - 1) overflows past cycle 1024).
            raise ValueError(
                "max_step must be given for a scale_fn on torch tensors: its values are "
                "listed once per cycle, up to the cycle of max_step, the last step the "
                "tensor path will be asked for"
            )
        cycles = math.floor(1 + max_step / self.total)
        if cycles > LIST_LIMIT:
            raise too_many(f"scale_fn (one value a cycle, {cycles} cycles)", max_step)
        self.last = max_step
        # One call per cycle, with the cycle as an int, as the exact path makes them.
        self.scale = "table"
        self.scales = constant([float(fn(c)) for c in range(1, cycles + 1)])

    def evaluate(self, t: Any) -> Values:
        import torch

        from ._torch import gather_clamped

        q = t / self.total
        cycle = torch.floor(1 + q)
        x = 1.0 + q - cycle
        ratio = self.ratio
        f = torch.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))[:, None]
        up, down = self.height * f, self.height_m * f
        if self.scale:
            if self.scale == "halving":
                scale = _half_powers(cycle)
            elif self.scale == "gamma":
                scale = torch.pow(self.gamma, t)
            else:
                scale = gather_clamped(self.scales, cycle.to(torch.int64) - 1)
            up, down = up * scale[:, None], down * scale[:, None]
        return Values(self.base + up, self.max_m - down)


def _half_powers(cycle: Any) -> Any:
    """``1 / 2.0 ** (cycle - 1)`` exactly, from the bits of the float: ``2**-m`` for
    ``m <= 1023`` (a subnormal at 1023), 0 beyond, as the exact path's ``1 / ldexp``."""
    import torch

    m = torch.clamp(cycle - 1, 0, 1024).to(torch.int64)
    normal = torch.bitwise_left_shift(1023 - m, 52)
    bits = torch.where(m <= 1022, normal, torch.where(m == 1023, 1 << 51, 0))
    return bits.view(torch.float64)


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
            scheduler holds at ``last_epoch = k``. A torch tensor of them gives float64
            tensors on its device (the torch path, :mod:`lr_one_cycle.schedules._protocol`;
            :class:`CyclicOnTensors`). A ``scale_fn`` of the cycle is listed per cycle up
            to the last step, which inside ``torch.compile`` only
            ``CyclicSchedule(...).torch_values(steps, max_step=)`` can give; it crosses
            into the graph by its name, so define it at module level.
        base_lr, max_lr: the cycle's bounds, one value or a list (one per group).
        step_size_up, step_size_down: steps rising and falling (``None``: as up).
        mode, gamma, scale_fn, scale_mode: the amplitude's scale, as torch's.
        base_momentum, max_momentum: the momentum's bounds (at the peak and at the ends).
        exact: arrays bitwise equal to the scalar path (Python's ``**`` for
            ``"exp_range"``) rather than numpy's ``power`` (within a few ulp); for
            tensors, a table of the exact values read by step.

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
    settings = {
        "base_lr": base_lr,
        "max_lr": max_lr,
        "step_size_up": step_size_up,
        "step_size_down": step_size_down,
        "mode": mode,
        "gamma": gamma,
        "scale_fn": scale_fn,
        "scale_mode": scale_mode,
        "base_momentum": base_momentum,
        "max_momentum": max_momentum,
    }
    per_group = group_count(
        None, base_lr=base_lr, max_lr=max_lr, base_momentum=base_momentum,
        max_momentum=max_momentum,
    ) is not None
    return evaluate(CyclicSchedule, settings, steps, exact=exact, per_group=per_group)
