"""SGDR, stochastic gradient descent with warm restarts (Loshchilov & Hutter, arXiv
1608.03983), as torch 2.13's ``CosineAnnealingWarmRestarts`` computes it.

Cycle ``i`` lasts ``T_i = T_0 * T_mult**i`` steps and starts at
``B_i = T_0 + T_0*T_mult + ...`` (``i`` terms); inside it ``T_cur = t - B_i`` and

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``

in that operation order. Positions ``t`` are epochs and may be fractional (torch's
``step(epoch + i / iters)``). Extensions (the defaults leave torch's values untouched):
a non-integer ``T_mult`` (cycle boundaries may then fall between steps), the amplitude
``(base_lr - eta_min) * decay**i`` of cycle ``i``, and a linear warm-up over the first
``warmup_steps`` of every cycle, from ``eta_min`` to the cycle's peak.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import InitVar, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import (
    FloatArray,
    IntArray,
    Schedule,
    Steps,
    TorchEvaluator,
    Values,
    evaluate,
)
from .anneal import cos


@dataclass(frozen=True)
class WarmRestartsSchedule(Schedule):
    """Checked SGDR settings for one or more parameter groups (``base_lr``: one value
    or one per group, spread over ``n_groups``). Valid positions: any real >= 0.

    Positions are epochs (steps when stepped per batch), fractions allowed; step
    convention: :mod:`lr_one_cycle.schedules._protocol`. Formulas: the module docstring.

    Args:
        base_lr: the lr each cycle starts from, one value or one per group.
        T_0: the first cycle's length (an integer >= 1).
        T_mult: growth of each next cycle (a real >= 1).
        eta_min: the lowest lr.
        decay: each cycle's amplitude relative to the one before, in (0, 1].
        warmup_steps: a linear ramp at every restart, shorter than ``T_0``.
        n_groups_: the number of parameter groups to spread a scalar ``base_lr`` over.

    Raises:
        ValueError, TypeError: a bad setting, naming it.

    References:
        Loshchilov & Hutter, "SGDR", arXiv 1608.03983; torch's
        ``CosineAnnealingWarmRestarts`` (``torch/optim/lr_scheduler.py``).
    """

    base_lr: Any
    T_0: Any
    T_mult: Any = 1
    eta_min: Any = 0.0
    decay: Any = 1.0
    warmup_steps: Any = 0
    n_groups_: InitVar[int | None] = None

    fractional = True
    step_name = "epoch"

    def __post_init__(self, n_groups_: int | None) -> None:
        first = v.as_count("T_0", self.T_0)
        mult = v.as_real("T_mult", self.T_mult, low=1.0)
        warmup = v.as_count("warmup_steps", self.warmup_steps, minimum=0)
        if warmup >= first:
            raise ValueError(
                f"warmup_steps must be smaller than T_0 ({first}): the warm-up is part of "
                f"every cycle, got {warmup}"
            )
        checked = {
            "base_lr": v.per_group("base_lr", self.base_lr, n_groups_, v.as_real),
            "T_0": first,
            # A whole T_mult stays an integer so that cycle bounds are exact, as in torch.
            "T_mult": int(mult) if mult.is_integer() else mult,
            "eta_min": v.as_real("eta_min", self.eta_min),
            # decay > 1 would grow every peak without bound (an inf lr after enough cycles).
            "decay": v.as_real("decay", self.decay, low=0.0, low_open=True, high=1.0),
            "warmup_steps": warmup,
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        if not all(math.isfinite(lr - self.eta_min) for lr in self.base_lr):
            raise v.ArgumentValueError(
                "eta_min", self.eta_min, "a number that keeps base_lr - eta_min finite"
            )

    @property
    def n_groups(self) -> int:
        return len(self.base_lr)

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        return Values(warm_restarts_values(steps.astype(np.float64), self, exact=exact), None)

    @property
    def period(self) -> int | None:
        """``T_0`` when every cycle is alike (``T_mult == 1``, ``decay == 1``)."""
        return int(self.T_0) if self.T_mult == 1 and self.decay == 1.0 else None

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return WarmRestartsOnTensors(self, max_step)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Go on with cycles whose first lasts ``T_0`` steps (and ``warmup_steps``,
        unchanged when not given), at the position with the same cycle index and the
        same fraction of the same phase (warm-up or anneal): the lr carries over up to
        rounding. The position is renumbered (it may become fractional)."""
        unknown = sorted(set(changes) - {"T_0", "warmup_steps"})
        if unknown:
            raise TypeError(f"resume_with() got unexpected arguments: {', '.join(unknown)}")
        if changes.get("warmup_steps") is None:
            changes.pop("warmup_steps", None)
        new = dataclasses.replace(self, **changes)
        position = warm_restarts_resume_position(float(step), self, new)
        return new, int(position) if position.is_integer() else position


def restart_positions(
    t: FloatArray, settings: WarmRestartsSchedule
) -> tuple[IntArray, FloatArray, FloatArray]:
    """``(i, T_cur, T_i)`` at each position ``t``: cycle index, steps since its restart
    and its length.

    ``T_mult == 1`` uses torch's ``t % T_0`` (exact for fractional ``t`` too); otherwise
    the bounds are summed exactly and ``t`` is located among them, where torch's
    ``step(epoch)`` takes a float logarithm that can land in the neighbouring cycle.
    """
    first = settings.T_0
    if settings.T_mult == 1:
        return (t // first).astype(np.int64), t % first, np.full(t.shape, float(first))
    last = float(t.max()) if t.size else 0.0
    bounds: list[int | float] = [0]
    lengths: list[int | float] = [first]
    while bounds[-1] + lengths[-1] <= last:
        bounds.append(bounds[-1] + lengths[-1])
        lengths.append(lengths[-1] * settings.T_mult)
    cycle = np.searchsorted(np.asarray(bounds, np.float64), t, side="right") - 1
    return cycle, t - np.asarray(bounds, np.float64)[cycle], np.asarray(lengths, np.float64)[cycle]


class WarmRestartsOnTensors(TorchEvaluator):
    """SGDR on tensors: :func:`restart_positions` and :func:`warm_restarts_values`'
    operations, in their order, at any position (fractional too). With ``T_mult == 1``
    the restart is found with ``fmod`` (exact, like torch's ``%``); growing cycles are
    listed up to ``max_step`` (by default up to 2**53: they grow geometrically), and
    ``decay**i`` up to ``max_step``'s cycle or until it reaches 0. Float64 values are
    bitwise equal to the exact path wherever torch's ``cos`` rounds like the C
    library's (always in a CPU graph compiled from one step)."""

    def __init__(self, settings: WarmRestartsSchedule, max_step: int | None) -> None:
        from ._torch import LIST_LIMIT, constant, listed_up_to, too_many

        reach = v.MAX_COUNT if max_step is None else max_step
        self.n_groups = settings.n_groups
        self.first, self.mult = settings.T_0, settings.T_mult
        self.eta_min, self.warmup = settings.eta_min, settings.warmup_steps
        self.span = constant([b - settings.eta_min for b in settings.base_lr])
        cycles = None if max_step is None else int(max_step // settings.T_0) + 1
        if settings.T_mult != 1:
            bounds: list[int | float] = [0]
            lengths: list[int | float] = [settings.T_0]
            while bounds[-1] + lengths[-1] <= reach:
                if len(bounds) > LIST_LIMIT:
                    what = f"T_mult={settings.T_mult:g} (cycles that keep growing)"
                    raise too_many(what, max_step)
                bounds.append(bounds[-1] + lengths[-1])
                lengths.append(lengths[-1] * settings.T_mult)
            self.bounds, self.lengths = constant(bounds), constant(lengths)
            self.last = reach
            cycles = len(bounds)
        self.decays = None
        if settings.decay != 1.0:
            decay = settings.decay
            what = f"decay={decay:g} (an amplitude that changes every cycle)"
            powers = listed_up_to(1.0, lambda _, i: _power(decay, i), what, max_step, cycles)
            self.decays = constant(powers)

    def evaluate(self, t: Any) -> Values:
        import torch

        from ._torch import gather_clamped

        if self.mult == 1:
            t_cur = torch.fmod(t, self.first)
            cycle = ((t - t_cur) / self.first).to(torch.int64)
            t_i: Any = float(self.first)
        else:
            cycle = torch.searchsorted(self.bounds, t, right=True) - 1
            t_cur, t_i = t - self.bounds[cycle], self.lengths[cycle]
        amplitude = self.span
        if self.decays is not None:
            amplitude = self.span * gather_clamped(self.decays, cycle)[:, None]
        eta_min, warmup = self.eta_min, self.warmup
        angle = math.pi * (t_cur - warmup) / (t_i - warmup)
        lr = eta_min + amplitude * (1 + torch.cos(angle))[:, None] / 2
        if warmup:
            ramp = eta_min + amplitude * (t_cur / warmup)[:, None]
            lr = torch.where((t_cur < warmup)[:, None], ramp, lr)
        return Values(lr, None)


def _power(base: float, exponent: int) -> float:
    """``base ** exponent`` as the exact path computes it; infinity where that overflows
    (the exact path raises ``OverflowError`` there)."""
    try:
        return float(base**exponent)
    except OverflowError:
        return math.inf


def warm_restarts_values(
    t: FloatArray, settings: WarmRestartsSchedule, *, exact: bool = False
) -> FloatArray:
    """Array ``(len(t), n_groups)`` of the learning rates at positions ``t``."""
    cycle, t_cur, t_i = restart_positions(t, settings)
    eta_min, warmup = settings.eta_min, settings.warmup_steps
    span = np.asarray(settings.base_lr, np.float64) - eta_min
    if settings.decay == 1.0:
        amplitude = np.broadcast_to(span, (t_cur.size, span.size))
    else:
        cycles, where = np.unique(cycle, return_inverse=True)
        factor = np.array([settings.decay ** int(i) for i in cycles.tolist()])[where.ravel()]
        amplitude = span * factor[:, None]
    angle = np.pi * (t_cur - warmup) / (t_i - warmup)
    lr = eta_min + amplitude * (1 + cos(angle, exact))[:, None] / 2
    if warmup:
        ramp = eta_min + amplitude * (t_cur / warmup)[:, None]
        lr = np.where((t_cur < warmup)[:, None], ramp, lr)
    return np.asarray(lr, dtype=np.float64)


def restart_bounds(cycle: int, settings: WarmRestartsSchedule) -> tuple[float, float]:
    """``(B_i, T_i)``: where cycle ``cycle`` starts and how long it lasts, summed as
    :func:`restart_positions` sums them."""
    if settings.T_mult == 1:
        return float(cycle * settings.T_0), float(settings.T_0)
    bound: int | float = 0
    length: int | float = settings.T_0
    for _ in range(cycle):
        bound, length = bound + length, length * settings.T_mult
    return float(bound), float(length)


def warm_restarts_resume_position(
    position: float, old: WarmRestartsSchedule, new: WarmRestartsSchedule
) -> float:
    """The position of ``new``'s cycles at the same point of the cycle as ``position``
    of ``old``'s: the same cycle, the same fraction of its warm-up or of its anneal."""
    cycle, t_cur, t_i = (float(a[0]) for a in restart_positions(np.array([position]), old))
    i = int(cycle)
    bound, length = restart_bounds(i, new)
    warm, new_warm = old.warmup_steps, new.warmup_steps
    if t_cur < warm:
        if new_warm == 0:
            raise ValueError(
                f"warmup_steps must be > 0 to resume inside a warm-up (position {position:g} "
                f"is {t_cur:g} steps into the warm-up of cycle {i}), got 0"
            )
        into = t_cur * new_warm / warm
    else:
        into = new_warm + (t_cur - warm) * (length - new_warm) / (t_i - warm)
    resumed = bound + into
    if restart_positions(np.array([resumed]), new)[0][0] != i:
        # Rounding carried it onto the next restart: stay at the end of this cycle.
        resumed = math.nextafter(bound + length, 0.0)
    return float(resumed)


def warm_restarts_schedule(
    steps: Steps,
    *,
    base_lr: float,
    T_0: int,
    T_mult: float = 1,
    eta_min: float = 0.0,
    decay: float = 1.0,
    warmup_steps: int = 0,
    exact: bool = False,
) -> Any:
    r"""SGDR's learning rate at ``steps`` (epochs, possibly fractional), as torch 2.13's
    ``CosineAnnealingWarmRestarts`` computes it (random access).

    Cycle ``i`` lasts ``T_i = T_0 * T_mult**i``; ``T_cur`` counts from its restart and

    .. math::

        lr = \eta_{min} + (base\_lr - \eta_{min}) \, decay^i \,
             \frac{1 + \cos(\pi \, T_{cur} / T_i)}{2}

    except during the first ``warmup_steps`` of a cycle, where
    ``lr = eta_min + (base_lr - eta_min) * decay**i * (T_cur / warmup_steps)`` and the
    cosine runs over the rest, ``pi * (T_cur - warmup_steps) / (T_i - warmup_steps)``.

    Args:
        steps: a position in epochs (steps when stepped per batch; fractions allowed,
            >= 0), an array or a torch tensor of them (a float64 tensor on its device
            comes back: the torch path, :class:`WarmRestartsOnTensors`). Step convention:
            :mod:`lr_one_cycle.schedules._protocol`.
        base_lr: the lr each cycle starts from (one value, or one per group).
        T_0: the first cycle's length; T_mult: growth of each next cycle (any real >= 1,
            torch takes integers); eta_min: the lowest lr; decay: each cycle's amplitude
            relative to the one before, in (0, 1]; warmup_steps: a linear ramp at every restart.
        exact: arrays bitwise equal to torch (``math.cos`` per element).

    Returns:
        A float for one position, else an array of the shape of ``steps`` (a trailing
        group axis when ``base_lr`` is a list).

    Raises:
        ValueError, TypeError: a bad setting or position, naming it.

    References:
        Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
        arXiv 1608.03983.

    >>> warm_restarts_schedule([0, 1, 2, 3, 4], base_lr=1.0, T_0=4).round(4).tolist()
    [1.0, 0.8536, 0.5, 0.1464, 1.0]
    """
    settings = {
        "base_lr": base_lr, "T_0": T_0, "T_mult": T_mult, "eta_min": eta_min,
        "decay": decay, "warmup_steps": warmup_steps,
    }
    per_group = v.as_sequence("base_lr", base_lr) is not None
    return evaluate(WarmRestartsSchedule, settings, steps, exact=exact, per_group=per_group)[0]
