"""The 1cycle policy (Smith & Topin, "Super-Convergence", arXiv 1708.07120; Smith, "A
disciplined approach to neural network hyper-parameters", arXiv 1803.09820), as
torch's ``OneCycleLR`` computes it.

Phases (two by default, fastai's; three with ``three_phase``, the paper's) anneal the lr
between ``initial_lr = max_lr / div_factor``, ``max_lr`` and
``min_lr = initial_lr / final_div_factor``, and the momentum the opposite way between
``max_momentum`` and ``base_momentum``. Step convention: :mod:`lr_one_cycle.schedules`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, Steps, TorchEvaluator, Values, evaluate
from .anneal import (
    ANNEAL_STRATEGIES,
    AnnealStrategy,
    anneal_shape,
    coefficient_columns,
    cos_in_place,
)
from .resume import retime


def check_total_steps(total_steps: object, epochs: object, steps_per_epoch: object) -> int:
    """``total_steps``, or ``epochs * steps_per_epoch`` when it is not given.

    When all three are given they must agree: torch silently ignores the product.
    """
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            missing = " and ".join(
                n
                for n, val in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch))
                if val is None
            )
            raise ValueError(
                "the schedule length is missing: give total_steps, or both epochs and "
                f"steps_per_epoch ({missing} not given)"
            )
        return _product(epochs, steps_per_epoch)
    total = v.as_count("total_steps", total_steps)
    if epochs is not None and steps_per_epoch is not None:
        product = _product(epochs, steps_per_epoch)
        if product != total:
            raise ValueError(
                f"total_steps ({total}) disagrees with epochs * steps_per_epoch ({product}); "
                "give one or the other"
            )
    return total


def _product(epochs: object, steps_per_epoch: object) -> int:
    product = v.as_count("epochs", epochs) * v.as_count("steps_per_epoch", steps_per_epoch)
    if product > v.MAX_COUNT:
        raise ValueError(
            f"epochs * steps_per_epoch must be <= {v.MAX_COUNT} (2**53), got {product}"
        )
    return product


def check_max_lr(name: Any, value: object) -> float:
    return v.as_real(name, value, low=0.0)


def check_momentum(name: Any, value: object) -> float:
    """A momentum as torch's optimizers take it: finite and >= 0 (the Adam family's
    ``betas[0] < 1`` is checked where the optimizer is known)."""
    return v.as_real(name, value, low=0.0)


def phase_ends(total_steps: int, pct_start: float, three_phase: bool) -> tuple[float, ...]:
    """The step at which each phase ends, as torch's OneCycleLR computes them.

    Two phases: warm-up ends at ``pct_start * T - 1``, annealing at ``T - 1``. Three
    phases: warm-up, a mirror-image cool-down ending at ``2 * pct_start * T - 2``, then
    annihilation to ``min_lr`` at ``T - 1``.
    """
    up = float(pct_start * total_steps) - 1
    last = float(total_steps - 1)
    if three_phase:
        return (up, float(2 * pct_start * total_steps) - 2, last)
    return (up, last)


def phase_positions(
    positions: FloatArray, ends: tuple[float, ...], total_steps: int
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """``(phase, pct)`` of each position: which phase it falls in and how far through.

    A position belongs to the first phase whose end it does not pass (torch's rule). A
    zero-length phase (``pct_start * T == 1``, say: torch divides 0 by 0 there) counts as
    completed, ``pct = 1``, like any position landing on a phase's end. Positions past
    ``T - 1`` hold the value of ``T - 1``. Exact: no transcendental function.
    """
    s = np.minimum(positions, total_steps - 1).astype(np.float64)
    end = np.asarray(ends, dtype=np.float64)
    phase = np.full(s.shape, len(end) - 1, dtype=np.intp)
    for i in range(len(end) - 2, -1, -1):  # the earliest matching phase wins
        phase[s <= end[i]] = i
    starts = np.concatenate(([0.0], end[:-1]))
    span = end[phase] - starts[phase]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(span != 0, (s - starts[phase]) / span, 1.0)
    return phase, pct


#: Per phase: the lr's c0 and c1, then the momentum's, one float per group each.
Coefficients = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...], tuple[float, ...]]


def _table(coefficients: tuple[Coefficients, ...], first: int) -> tuple[FloatArray, FloatArray]:
    c0 = np.array([phase[first] for phase in coefficients], dtype=np.float64)
    c1 = np.array([phase[first + 1] for phase in coefficients], dtype=np.float64)
    return c0, c1


@dataclass(frozen=True)
class OneCycleSchedule(Schedule):
    """Checked 1cycle settings, for one or more parameter groups, and their curve.

    ``max_lr``, ``base_momentum`` and ``max_momentum`` take one value or one per group
    (stored as tuples); ``n_groups`` spreads scalars over that many groups (torch's
    ``_format_param``) and checks that lists have one value a group. The constructor is
    the one place these settings are checked. Valid steps: ``0 .. total_steps``
    (optimizer updates; step convention: :mod:`lr_one_cycle.schedules._protocol`).

    Args:
        max_lr: the peak lr, one value or one per group.
        total_steps: the number of optimizer updates the cycle spans.
        pct_start, anneal_strategy, div_factor, final_div_factor, three_phase,
        base_momentum, max_momentum: as torch's ``OneCycleLR`` (the momentums: one
            value or one per group).
        n_groups_: the number of parameter groups to spread scalars over (None: one,
            or the length of the lists given).

    Raises:
        ValueError, TypeError: a bad setting, naming the argument, e.g.
            ``total_steps must be a positive integer, got 10.5``.

    References:
        Smith & Topin, arXiv 1708.07120; Smith, arXiv 1803.09820; torch's
        ``OneCycleLR`` (``torch/optim/lr_scheduler.py``).
    """

    max_lr: Any
    total_steps: Any
    pct_start: Any = 0.3
    anneal_strategy: Any = "cos"
    div_factor: Any = 25.0
    final_div_factor: Any = 1e4
    three_phase: Any = False
    base_momentum: Any = 0.85
    max_momentum: Any = 0.95
    n_groups_: InitVar[int | None] = None
    # Derived in __post_init__: phase ends and, per phase, each group's (c0, c1) of the
    # lr and of the momentum, as Python floats (numpy tables of them: _lr, _momentum).
    _phase_ends: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _coefficients: tuple[Coefficients, ...] = field(init=False, repr=False, compare=False)

    #: Step ``T - 1`` is the last update; step ``T`` holds its value (elastic resume).
    final_offset = 1

    def __post_init__(self, n_groups_: int | None) -> None:
        total = v.as_count("total_steps", self.total_steps)
        max_lr = v.per_group("max_lr", self.max_lr, n_groups_, check_max_lr)
        n = len(max_lr)
        checked = {
            "total_steps": total,
            "max_lr": max_lr,
            "pct_start": v.as_real("pct_start", self.pct_start, low=0.0, high=1.0),
            "anneal_strategy": v.as_choice(
                "anneal_strategy", self.anneal_strategy, ANNEAL_STRATEGIES
            ),
            "div_factor": v.as_real("div_factor", self.div_factor, low=0.0, low_open=True),
            "final_div_factor": v.as_real(
                "final_div_factor", self.final_div_factor, low=0.0, low_open=True
            ),
            "three_phase": v.as_bool("three_phase", self.three_phase),
            "base_momentum": v.per_group("base_momentum", self.base_momentum, n, check_momentum),
            "max_momentum": v.per_group("max_momentum", self.max_momentum, n, check_momentum),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        self._build_curve()

    def _build_curve(self) -> None:
        # Per phase, the (c0, c1) of every group: a step costs one x per phase and
        # c0 + c1 * x per group.
        ends = phase_ends(self.total_steps, self.pct_start, self.three_phase)
        initial = [m / self.div_factor for m in self.max_lr]
        minimum = [i / self.final_div_factor for i in initial]
        # A tiny factor divides a finite max_lr into inf; refuse it rather than write inf.
        if not all(map(math.isfinite, initial)):
            raise v.ArgumentValueError(
                "div_factor", self.div_factor, "a number that keeps max_lr / div_factor finite"
            )
        if not all(map(math.isfinite, minimum)):
            raise v.ArgumentValueError(
                "final_div_factor",
                self.final_div_factor,
                "a number that keeps max_lr / div_factor / final_div_factor finite",
            )
        peak, low, high = list(self.max_lr), list(self.base_momentum), list(self.max_momentum)
        if self.three_phase:
            lr = [(initial, peak), (peak, initial), (initial, minimum)]
            mom = [(high, low), (low, high), (high, high)]
        else:
            lr = [(initial, peak), (peak, minimum)]
            mom = [(high, low), (low, high)]
        strategy = self.anneal_strategy
        coefficients = tuple(
            (*coefficient_columns(*lr_pair, strategy), *coefficient_columns(*m_pair, strategy))
            for lr_pair, m_pair in zip(lr, mom)
        )
        object.__setattr__(self, "_phase_ends", ends)
        object.__setattr__(self, "_coefficients", coefficients)

    @functools.cached_property
    def _lr(self) -> tuple[FloatArray, FloatArray]:
        """The lr's (c0, c1) as arrays ``[phase, group]``."""
        return _table(self._coefficients, 0)

    @functools.cached_property
    def _momentum(self) -> tuple[FloatArray, FloatArray]:
        """The momentum's (c0, c1) as arrays ``[phase, group]``."""
        return _table(self._coefficients, 2)

    @property
    def n_groups(self) -> int:
        return len(self.max_lr)

    @property
    def last_step(self) -> int:
        return int(self.total_steps)

    @property
    def cycles_momentum(self) -> bool:
        return True

    @property
    def initial_lr(self) -> tuple[float, ...]:
        """``max_lr / div_factor`` per group (torch's ``initial_lr``, its ``base_lrs``)."""
        return tuple(m / self.div_factor for m in self.max_lr)

    def range_note(self) -> str:
        return f"total_steps={self.total_steps}"

    def at(self, step: int | float) -> tuple[list[float], list[float] | None]:
        """The exact values at one (checked) step: :meth:`_evaluate`'s operations in
        its order, on Python floats (the same IEEE operations, so the same bits)."""
        ends = self._phase_ends
        s = float(min(step, self.total_steps - 1))
        phase, start = 0, 0.0
        while phase < len(ends) - 1 and s > ends[phase]:
            start = ends[phase]
            phase += 1
        span = ends[phase] - start
        pct = (s - start) / span if span != 0 else 1.0
        x = math.cos(math.pi * pct) + 1 if self.anneal_strategy == "cos" else pct
        lr0, lr1, m0, m1 = self._coefficients[phase]
        return [a + b * x for a, b in zip(lr0, lr1)], [a + b * x for a, b in zip(m0, m1)]

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        """Sorted steps (windows, tables, plots: the usual case) phase by phase, each
        phase a slice computed in place in the output arrays (the memory of the output
        and, with several groups, one column); any other order through
        :func:`phase_positions`."""
        n = steps.size
        if n > 1 and not bool(np.all(steps[1:] >= steps[:-1])):
            phase, pct = phase_positions(steps, self._phase_ends, self.total_steps)
            x = anneal_shape(pct, self.anneal_strategy, exact=exact)[:, None]
            (lr0, lr1), (m0, m1) = self._lr, self._momentum
            return Values(lr0[phase] + lr1[phase] * x, m0[phase] + m1[phase] * x)
        groups = self.n_groups
        lr, momentum = np.empty((n, groups)), np.empty((n, groups))
        top = self.total_steps - 1
        low, start = 0, 0.0
        for k, end in enumerate(self._phase_ends):
            # The first phase whose end a position does not pass; past T - 1 it is T - 1.
            high = n if end >= top else int(np.searchsorted(steps, end, side="right"))
            if high > low:
                x = lr[low:high, 0] if groups == 1 else np.empty(high - low)
                x[...] = steps[low:high]
                if steps[high - 1] > top:
                    np.minimum(x, top, out=x)
                span = end - start
                if span != 0:
                    x -= start
                    x /= span
                else:  # a phase of no length counts as completed
                    x.fill(1.0)
                if self.anneal_strategy == "cos":
                    x *= math.pi
                    cos_in_place(x, exact)
                    x += 1
                self._combine(k, x, lr[low:high], momentum[low:high])
            low, start = high, end
            if low == n:
                break
        return Values(lr, momentum)

    def _combine(self, phase: int, x: FloatArray, lr: FloatArray, momentum: FloatArray) -> None:
        """``c0 + c1 * x`` of every group, into ``lr`` and ``momentum`` (with one group,
        ``x`` is the lr's column: the momentum is computed first)."""
        lr0, lr1, m0, m1 = self._coefficients[phase]
        if len(lr0) == 1:
            np.multiply(x, m1[0], out=momentum[:, 0])
            momentum += m0[0]
            x *= lr1[0]
            x += lr0[0]
            return
        column = x[:, None]
        np.multiply(column, np.asarray(m1), out=momentum)
        momentum += np.asarray(m0)
        np.multiply(column, np.asarray(lr1), out=lr)
        lr += np.asarray(lr0)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Continue from ``step`` as a run of ``total_steps`` steps in all (elastic
        resume, :mod:`lr_one_cycle.schedules.resume`)."""
        return retime(self, (), self.total_steps, int(step), **changes)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return OneCycleOnTensors(self)


class OneCycleOnTensors(TorchEvaluator):
    """The 1cycle curve on tensors: :meth:`OneCycleSchedule._evaluate`'s operations, in
    its order (phase by the first end not passed, ``pct``, the anneal shape, then
    ``c0 + c1 * x`` per group). Float64 values are bitwise equal to the exact path with
    ``anneal_strategy="linear"``, and with ``"cos"`` wherever torch's ``cos`` rounds
    like the C library's (always in a CPU graph compiled from one step)."""

    def __init__(self, schedule: OneCycleSchedule) -> None:
        from ._torch import constant

        ends = schedule._phase_ends
        (lr0, lr1), (m0, m1) = schedule._lr, schedule._momentum
        self.last = self.total = int(schedule.total_steps)
        self.n_groups = schedule.n_groups
        self.ends = ends
        self.end = constant(ends)
        self.start = constant((0.0, *ends[:-1]))
        self.lr0, self.lr1, self.m0, self.m1 = (constant(c) for c in (lr0, lr1, m0, m1))
        self.cos = schedule.anneal_strategy == "cos"

    def evaluate(self, t: Any) -> Values:
        import torch

        from ._torch import first_phase

        s = torch.clamp_max(t, self.total - 1)
        phase = first_phase(s, self.ends, len(self.ends))
        start = self.start[phase]
        span = self.end[phase] - start
        pct = torch.where(span != 0, (s - start) / span, 1.0)
        x = (torch.cos(pct * math.pi) + 1 if self.cos else pct)[:, None]
        lr = self.lr0[phase] + self.lr1[phase] * x
        return Values(lr, self.m0[phase] + self.m1[phase] * x)


def one_cycle_schedule(
    steps: Steps,
    *,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: AnnealStrategy = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    exact: bool = False,
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    r"""The 1cycle learning rate and momentum at ``steps``.

    With ``pct = (step - start) / (end - start)`` inside a phase,

    .. math::

        \text{cos: } v = e + \frac{s - e}{2} (\cos(\pi \, pct) + 1) \qquad
        \text{linear: } v = (e - s) \, pct + s

    between the phase's start ``s`` and end ``e``: ``initial_lr = max_lr / div_factor``
    up to ``max_lr`` over the first ``pct_start`` of the steps, then down to
    ``min_lr = initial_lr / final_div_factor`` (three phases: back to ``initial_lr``
    first, mirror-image, then to ``min_lr``). The momentum moves the opposite way
    between ``max_momentum`` and ``base_momentum``.

    Args:
        steps: a step (int) or an array of steps in ``0 .. total_steps`` (step
            ``total_steps`` holds the final value; see the step convention in
            :mod:`lr_one_cycle.schedules`), or a torch tensor of them: float64 tensors
            on its device come back, computed with tensor operations only, so that
            ``torch.compile(fullgraph=True)`` traces the call with the step as data
            (the torch path, :mod:`lr_one_cycle.schedules._protocol`).
        max_lr: the peak learning rate; a list gives one schedule per group.
        total_steps: the number of optimizer updates the cycle spans.
        pct_start, anneal_strategy, div_factor, final_div_factor, three_phase,
        base_momentum, max_momentum: as torch's ``OneCycleLR``.
        exact: arrays bitwise equal to the scalar path (one ``math.cos`` per element)
            rather than ``numpy.cos`` (within 4 ulp); for tensors, a table of the exact
            values read by step (bitwise on every device) rather than ``torch.cos``
            (bitwise with ``"linear"``; see :class:`OneCycleOnTensors`).

    Returns:
        ``(lr, momentum)``: floats for an int step; arrays of the shape of ``steps``
        otherwise (with a trailing group axis when ``max_lr`` is a list). Scalars are
        bitwise equal to ``torch.optim.lr_scheduler.OneCycleLR``.

    Raises:
        ValueError, TypeError: a bad setting or a step out of range, naming it.

    References:
        Smith & Topin, arXiv 1708.07120; Smith, arXiv 1803.09820.

    >>> one_cycle_schedule(0, max_lr=1.0, total_steps=10)  # torch's bits: 1 + (0.04 - 1) / 2 * 2
    (0.040000000000000036, 0.95)
    >>> lr, momentum = one_cycle_schedule([0, 2, 5, 9], max_lr=1.0, total_steps=10)
    >>> lr.round(4).tolist(), momentum.round(4).tolist()
    ([0.04, 1.0, 0.6113, 0.0], [0.95, 0.85, 0.8889, 0.95])
    """
    settings = {
        "max_lr": max_lr,
        "total_steps": total_steps,
        "pct_start": pct_start,
        "anneal_strategy": anneal_strategy,
        "div_factor": div_factor,
        "final_div_factor": final_div_factor,
        "three_phase": three_phase,
        "base_momentum": base_momentum,
        "max_momentum": max_momentum,
    }
    per_group = v.as_sequence("max_lr", max_lr) is not None
    return evaluate(OneCycleSchedule, settings, steps, exact=exact, per_group=per_group)
