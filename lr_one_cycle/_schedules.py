"""The pure core: every schedule formula of the package lives here.

Functions of the step, no optimizer and no state: a scalar step gives floats, an array
of steps gives numpy arrays. Schedulers (``one_cycle.py``, ``cosine.py``), the CLI, the
plots and the R package all ask this module for values and only write them somewhere.

Step convention (linked from every front end)
---------------------------------------------
Steps are 0-based. Step ``k`` holds the values in force for the ``(k+1)``-th optimizer
update. A scheduler applies step 0 when it is constructed and step ``k`` after its
``k``-th ``step()`` call; its ``last_epoch`` is the last step it applied. A 1cycle
schedule of ``total_steps = T`` is defined on steps ``0 .. T-1`` (bitwise equal to
``torch.optim.lr_scheduler.OneCycleLR``); step ``T`` — reached by the ``T``-th
``step()`` of a loop that steps after every update — holds the final value (torch
rebounds or goes negative there, pytorch#91765); steps beyond ``T`` are out of range.

Exactness
---------
Values are absolute functions of the step, never multiplicative updates of the last
value, which is what makes resume, random access and parity exact. Scalar evaluation
performs torch's floating-point operations in torch's order, so it is bitwise equal to
torch. Array evaluation uses ``numpy.cos``, which may differ from ``math.cos`` by a few
ulp; pass ``exact=True`` for bitwise equality with the scalar path (slower: one
``math.cos`` per element).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from . import _validate as v

AnnealStrategy = Literal["cos", "linear"]
ANNEAL_STRATEGIES: tuple[AnnealStrategy, ...] = ("cos", "linear")

FloatArray = npt.NDArray[np.float64]
Steps = int | Sequence[int] | npt.NDArray[np.integer]


# --------------------------------------------------------------------------- annealing
# Both strategies anneal from ``start`` to ``end`` as ``pct`` goes 0 -> 1, written as
# ``c0 + c1 * x`` where only ``x`` depends on the step. torch computes
#   cos:    end + (start - end) / 2.0 * (cos(pi * pct) + 1)
#   linear: (end - start) * pct + start
# and the split below performs the same operations in the same order (IEEE addition is
# commutative), so one ``x`` per step serves every parameter group, bit for bit.


def anneal_coefficients(start: float, end: float, strategy: AnnealStrategy) -> tuple[float, float]:
    """``(c0, c1)`` such that the annealed value is ``c0 + c1 * anneal_shape(pct)``."""
    if strategy == "cos":
        return end, (start - end) / 2.0
    return start, end - start


def anneal_shape(pct: float, strategy: AnnealStrategy) -> float:
    """The step-dependent factor ``x`` of :func:`anneal_coefficients` (scalar, exact)."""
    if strategy == "cos":
        return math.cos(math.pi * pct) + 1
    return pct


def anneal_shape_array(
    pct: FloatArray, strategy: AnnealStrategy, *, exact: bool = False
) -> FloatArray:
    """Vectorised :func:`anneal_shape`; ``exact=True`` is bitwise equal to the scalar path."""
    if strategy != "cos":
        return pct
    angle = np.pi * pct
    if exact:
        cosine = np.fromiter(map(math.cos, angle.ravel().tolist()), np.float64, angle.size)
        return cosine.reshape(angle.shape) + 1
    return np.cos(angle) + 1


# --------------------------------------------------------------------------- 1cycle


def one_cycle_phase_ends(
    total_steps: int, pct_start: float, three_phase: bool
) -> tuple[float, ...]:
    """The step at which each phase ends, as torch's OneCycleLR computes them.

    Two phases: warm-up ends at ``pct_start * T - 1``, annealing at ``T - 1``. Three
    phases (the paper's): warm-up, a mirror-image cool-down ending at
    ``2 * pct_start * T - 2``, then annihilation to ``min_lr`` at ``T - 1``.
    """
    up = float(pct_start * total_steps) - 1
    last = float(total_steps - 1)
    if three_phase:
        return (up, float(2 * pct_start * total_steps) - 2, last)
    return (up, last)


def one_cycle_position(
    step: int, phase_ends: Sequence[float], total_steps: int
) -> tuple[int, float]:
    """``(phase, pct)`` of ``step``: which phase it falls in and how far through it.

    A step belongs to the first phase whose end it does not pass (torch's rule). A
    zero-length phase (``pct_start * T == 1``, say: torch divides 0 by 0 there) counts
    as completed, ``pct = 1``, like any step landing on a phase's end. Step ``T`` holds
    the value of step ``T - 1``.
    """
    s = min(step, total_steps - 1)
    start = 0.0
    last = len(phase_ends) - 1
    for i, end in enumerate(phase_ends):
        if s <= end or i == last:
            span = end - start
            return i, ((s - start) / span if span != 0 else 1.0)
        start = end
    raise AssertionError("unreachable: the last phase always matches")


def one_cycle_positions(
    steps: npt.NDArray[np.int64], phase_ends: Sequence[float], total_steps: int
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """Vectorised :func:`one_cycle_position` (exact: no transcendental functions)."""
    s = np.minimum(steps, total_steps - 1).astype(np.float64)
    ends = np.asarray(phase_ends, dtype=np.float64)
    phase = np.full(s.shape, len(ends) - 1, dtype=np.intp)
    for i in range(len(ends) - 2, -1, -1):  # the earliest matching phase wins
        phase[s <= ends[i]] = i
    starts = np.concatenate(([0.0], ends[:-1]))
    span = ends[phase] - starts[phase]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(span != 0, (s - starts[phase]) / span, 1.0)
    return phase, pct


def one_cycle_anchors(
    max_lr: float,
    *,
    div_factor: float,
    final_div_factor: float,
    base_momentum: float,
    max_momentum: float,
    three_phase: bool,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Per phase, the ``(start, end)`` of the lr and of the momentum.

    ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``.
    Momentum moves opposite to the lr: ``max_momentum`` where the lr is low,
    ``base_momentum`` at the peak.
    """
    initial = max_lr / div_factor
    minimum = initial / final_div_factor
    if three_phase:
        lr = [(initial, max_lr), (max_lr, initial), (initial, minimum)]
        mom = [
            (max_momentum, base_momentum),
            (base_momentum, max_momentum),
            (max_momentum, max_momentum),
        ]
    else:
        lr = [(initial, max_lr), (max_lr, minimum)]
        mom = [(max_momentum, base_momentum), (base_momentum, max_momentum)]
    return lr, mom


@dataclass(frozen=True)
class OneCycleCurve:
    """A validated 1cycle schedule for one or more parameter groups.

    The schedulers build one of these from their settings and ask it for values; it
    holds, per phase, the ``(c0, c1)`` coefficients of every group so that a step costs
    one position, one ``x`` and ``c0 + c1 * x`` per group.
    """

    total_steps: int
    phase_ends: tuple[float, ...]
    strategy: AnnealStrategy
    lr_c0: tuple[tuple[float, ...], ...]  # [phase][group]
    lr_c1: tuple[tuple[float, ...], ...]
    mom_c0: tuple[tuple[float, ...], ...]
    mom_c1: tuple[tuple[float, ...], ...]

    @classmethod
    def build(
        cls,
        *,
        max_lrs: Sequence[float],
        total_steps: int,
        pct_start: float,
        anneal_strategy: AnnealStrategy,
        div_factor: float,
        final_div_factor: float,
        three_phase: bool,
        base_momentums: Sequence[float],
        max_momentums: Sequence[float],
    ) -> OneCycleCurve:
        ends = one_cycle_phase_ends(total_steps, pct_start, three_phase)
        n_phases = len(ends)
        coef: list[list[list[float]]] = [[[] for _ in range(n_phases)] for _ in range(4)]
        for max_lr, base_m, max_m in zip(max_lrs, base_momentums, max_momentums, strict=True):
            lr, mom = one_cycle_anchors(
                max_lr,
                div_factor=div_factor,
                final_div_factor=final_div_factor,
                base_momentum=base_m,
                max_momentum=max_m,
                three_phase=three_phase,
            )
            for p in range(n_phases):
                lc0, lc1 = anneal_coefficients(*lr[p], anneal_strategy)
                mc0, mc1 = anneal_coefficients(*mom[p], anneal_strategy)
                for table, value in zip(coef, (lc0, lc1, mc0, mc1), strict=True):
                    table[p].append(value)
        frozen = [tuple(tuple(row) for row in table) for table in coef]
        return cls(total_steps, ends, anneal_strategy, *frozen)

    @property
    def n_groups(self) -> int:
        return len(self.lr_c0[0])

    def values_at(self, step: int) -> tuple[list[float], list[float]]:
        """Lists of the lr and the momentum of every group at ``step`` (0 <= step <= T)."""
        phase, pct = one_cycle_position(step, self.phase_ends, self.total_steps)
        x = anneal_shape(pct, self.strategy)
        lrs = [a + b * x for a, b in zip(self.lr_c0[phase], self.lr_c1[phase])]
        moms = [a + b * x for a, b in zip(self.mom_c0[phase], self.mom_c1[phase])]
        return lrs, moms

    def rows(self, start: int, stop: int) -> list[tuple[list[float], list[float]]]:
        """``[(lrs, momentums)]`` of steps ``start .. stop-1``, bitwise equal to
        :meth:`values_at` (one vectorised, exact evaluation for a window of steps)."""
        lr, mom = self.values_table(np.arange(start, stop, dtype=np.int64), exact=True)
        return list(zip(lr.tolist(), mom.tolist(), strict=True))

    def values_table(
        self, steps: npt.NDArray[np.int64], *, exact: bool = False
    ) -> tuple[FloatArray, FloatArray]:
        """Arrays of shape ``(len(steps), n_groups)``: lr and momentum at each step."""
        phase, pct = one_cycle_positions(steps, self.phase_ends, self.total_steps)
        x = anneal_shape_array(pct, self.strategy, exact=exact)[:, None]
        lr = np.asarray(self.lr_c0)[phase] + np.asarray(self.lr_c1)[phase] * x
        mom = np.asarray(self.mom_c0)[phase] + np.asarray(self.mom_c1)[phase] * x
        return lr, mom


# --------------------------------------------------------------------------- elastic resume
# A run resumed with another length (more workers, another batch size) keeps the cycle it
# was on and re-times what is left of it. The resumed schedule is the original curve read
# through a piecewise-linear, non-decreasing map from the steps of the run to positions on
# the cycle, given by knots ``(step, position)``:
#
#   position(s) = u_a + (s - s_a) * (u_b - u_a) / (s_b - s_a)   for s_a <= s < s_b
#
# and the last knot's position beyond it. Resuming at step ``k`` over ``T'`` steps keeps
# every knot before ``k``, pins ``k`` to the position it had, and adds ``(T' - 1, T - 1)``:
# the rest of the cycle is stretched (or squeezed) evenly over the remaining steps (a
# cycle already at its end, position ``>= T - 1``, stays there). Hence
#
# - "the same point of the cycle" is the same position, so the same phase and the same
#   fraction of that phase: step ``k`` keeps its lr and momentum bit for bit;
# - each later step advances the cycle by ``(T - 1 - u_k) / (T' - 1 - k)`` positions, so
#   the lr moves smoothly from the switch on, with no jump;
# - the last update (step ``T' - 1``) and step ``T'`` hold the final value (``min_lr``);
# - the map is non-decreasing, so the peak is passed once, as in the original cycle.
#
# The alternative, entering a fresh ``T'``-step cycle at the step whose phase fraction
# matches, would renumber the steps (the scheduler's step count would no longer count the
# updates applied) and jump by up to a step where the fraction falls between two steps.
#
# Knots start at ``(0, 0.0)``; positions within a segment are exact whenever the segment is
# the identity (``s * k / k == s`` for integers below 2**53), so a run resumed with its own
# length, and every step before a resume, keep their values bit for bit. The array path
# performs the same operations in the same order as the scalar path.

ResumeKnots = tuple[tuple[int, float], ...]


def resume_position(step: int, knots: ResumeKnots) -> float:
    """The cycle position of ``step`` under ``knots`` (empty ``knots``: not resumed)."""
    if not knots:
        return float(step)
    i = bisect.bisect_right([s for s, _ in knots], step) - 1
    if i >= len(knots) - 1:
        return knots[-1][1]
    (s_a, u_a), (s_b, u_b) = knots[i], knots[i + 1]
    return u_a + (step - s_a) * (u_b - u_a) / (s_b - s_a)


def resume_positions(steps: npt.NDArray[np.int64], knots: ResumeKnots) -> FloatArray:
    """Vectorised :func:`resume_position`, bitwise equal to it."""
    s = np.asarray(steps, dtype=np.float64)
    if not knots:
        return s
    knot_steps = np.array([k for k, _ in knots], dtype=np.float64)
    knot_pos = np.array([u for _, u in knots], dtype=np.float64)
    if len(knots) == 1:
        return np.full(s.shape, knot_pos[0])
    i = np.searchsorted(knot_steps, s, side="right") - 1
    seg = np.minimum(i, len(knots) - 2)
    s_a, u_a = knot_steps[seg], knot_pos[seg]
    s_b, u_b = knot_steps[seg + 1], knot_pos[seg + 1]
    inside = u_a + (s - s_a) * (u_b - u_a) / (s_b - s_a)
    return np.where(i >= len(knots) - 1, knot_pos[-1], inside)


def resume_knots(
    knots: ResumeKnots, *, step: int, total_steps: int, cycle_steps: int
) -> ResumeKnots:
    """The knots of a run at ``step`` resumed as a run of ``total_steps`` in all.

    ``knots`` are those in force (empty: not resumed yet) and ``cycle_steps`` the length
    of the cycle they map into. Refuses, with a message naming the smallest length
    accepted, a run shorter than the steps already taken, or one with no step left after
    the current one to reach the final value when the cycle has not reached it yet.
    """
    last = float(cycle_steps - 1)
    position = resume_position(step, knots)
    minimum = step if position >= last else step + 2
    if total_steps < minimum:
        if total_steps < step:
            why = f"the steps already taken (last_epoch={step})"
        else:
            why = (
                f"to finish the cycle after step {step}: the current step keeps its values "
                "and at least one more step is needed to reach the final value"
            )
        raise ValueError(f"total_steps must be >= {minimum}, {why}; got {total_steps}")
    kept = tuple(knot for knot in (knots or ((0, 0.0),)) if knot[0] < step)
    end = ((total_steps - 1, max(position, last)),) if total_steps - 1 > step else ()
    return (*kept, (step, position), *end)


def check_resume_knots(
    name: str, knots: object, *, total_steps: int, cycle_steps: int
) -> ResumeKnots:
    """Saved knots (a list of ``[step, position]`` pairs) checked against the saved lengths."""
    if not isinstance(knots, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of [step, position] pairs, got {type(knots).__name__}"
        )
    pairs: list[tuple[int, float]] = []
    for i, knot in enumerate(knots):
        if not (isinstance(knot, (list, tuple)) and len(knot) == 2):
            raise ValueError(f"{name}[{i}] must be a [step, position] pair, got {knot!r}")
        pairs.append(
            (
                v.as_count(f"{name}[{i}][0]", knot[0], minimum=0),
                v.as_real(f"{name}[{i}][1]", knot[1], low=0.0, high=float(cycle_steps)),
            )
        )
    steps = [s for s, _ in pairs]
    positions = [u for _, u in pairs]
    ordered = all(a < b for a, b in zip(steps, steps[1:])) and all(
        a <= b for a, b in zip(positions, positions[1:])
    )
    if pairs and (pairs[0] != (0, 0.0) or not ordered or steps[-1] > total_steps):
        raise ValueError(
            f"{name} must start at [0, 0.0] with steps increasing up to total_steps "
            f"({total_steps}) and positions not decreasing, got {knots!r}"
        )
    return tuple(pairs)


@dataclass(frozen=True)
class ResumedCurve:
    """A curve read through resume knots: the same interface as :class:`OneCycleCurve`.

    The cycle's formulas take any real position (torch's own step counter is a float),
    so the curve is simply asked for the values at the mapped, possibly fractional,
    positions.
    """

    curve: OneCycleCurve
    knots: ResumeKnots

    def values_at(self, step: int) -> tuple[list[float], list[float]]:
        return self.curve.values_at(resume_position(step, self.knots))  # type: ignore[arg-type]

    def rows(self, start: int, stop: int) -> list[tuple[list[float], list[float]]]:
        lr, mom = self.values_table(np.arange(start, stop, dtype=np.int64), exact=True)
        return list(zip(lr.tolist(), mom.tolist(), strict=True))

    def values_table(
        self, steps: npt.NDArray[np.int64], *, exact: bool = False
    ) -> tuple[FloatArray, FloatArray]:
        positions = resume_positions(steps, self.knots)
        return self.curve.values_table(positions, exact=exact)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class OneCycleSettings:
    """Checked, normalised 1cycle settings shared by ``one_cycle_schedule`` and ``OneCycleLR``."""

    total_steps: int
    pct_start: float
    anneal_strategy: AnnealStrategy
    div_factor: float
    final_div_factor: float
    three_phase: bool


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
        return v.as_count("epochs", epochs) * v.as_count("steps_per_epoch", steps_per_epoch)
    total = v.as_count("total_steps", total_steps)
    if epochs is not None and steps_per_epoch is not None:
        product = v.as_count("epochs", epochs) * v.as_count("steps_per_epoch", steps_per_epoch)
        if product != total:
            raise ValueError(
                f"total_steps ({total}) disagrees with epochs * steps_per_epoch ({product}); "
                "give one or the other"
            )
    return total


def check_one_cycle_settings(
    *,
    total_steps: int,
    pct_start: object,
    anneal_strategy: object,
    div_factor: object,
    final_div_factor: object,
    three_phase: object,
) -> OneCycleSettings:
    return OneCycleSettings(
        total_steps=total_steps,
        pct_start=v.as_real("pct_start", pct_start, low=0.0, high=1.0),
        anneal_strategy=v.as_choice("anneal_strategy", anneal_strategy, ANNEAL_STRATEGIES),  # type: ignore[arg-type]
        div_factor=v.as_real("div_factor", div_factor, low=0.0, low_open=True),
        final_div_factor=v.as_real("final_div_factor", final_div_factor, low=0.0, low_open=True),
        three_phase=v.as_bool("three_phase", three_phase),
    )


def check_max_lr(name: str, value: object) -> float:
    return v.as_real(name, value, low=0.0)


def check_momentum(name: str, value: object) -> float:
    return v.as_real(name, value, low=0.0, high=1.0)


def check_steps(steps: object, total_steps: int) -> int | npt.NDArray[np.int64]:
    """A step (int) or an array of steps, each in ``0 .. total_steps``."""
    if v.is_real(steps) and not isinstance(steps, np.ndarray):
        step = v.as_count("step", steps, minimum=0)
        if step > total_steps:
            raise ValueError(
                f"step must be in 0..{total_steps} (total_steps={total_steps}), got {step}"
            )
        return step
    if isinstance(steps, (str, bytes, bool)) or steps is None:
        raise TypeError(
            f"steps must be an integer or an array of integers, got {type(steps).__name__}"
        )
    array = np.asarray(steps)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.floor(array)):
            raise ValueError("steps must be whole numbers; got non-integer values")
    elif array.dtype.kind not in "iu":
        raise TypeError(
            f"steps must be an integer or an array of integers, got an array of {array.dtype}"
        )
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() > total_steps):
        raise ValueError(
            f"steps must be in 0..{total_steps} (total_steps={total_steps}), "
            f"got values from {array.min()} to {array.max()}"
        )
    return array


# --------------------------------------------------------------------------- public


@overload
def one_cycle_schedule(steps: int, **kwargs: object) -> tuple[float, float]: ...
@overload
def one_cycle_schedule(
    steps: Sequence[int] | npt.NDArray[np.integer], **kwargs: object
) -> tuple[FloatArray, FloatArray]: ...


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
    """The 1cycle learning rate and momentum of one parameter group at ``steps``.

    Returns ``(lr, momentum)``: floats for an integer step, numpy arrays for an array of
    steps. Random access: any step costs the same. See the module docstring for the step
    convention (step ``total_steps`` holds the final value).

    Phases (two by default, three with ``three_phase``) anneal between
    ``initial_lr = max_lr / div_factor``, ``max_lr`` and
    ``min_lr = initial_lr / final_div_factor``; with ``pct = (step - start) / (end -
    start)`` inside a phase,

    - ``"cos"``: ``end + (start - end) / 2 * (cos(pi * pct) + 1)``
    - ``"linear"``: ``(end - start) * pct + start``

    and the momentum moves the opposite way between ``max_momentum`` and
    ``base_momentum``. Scalar results are bitwise equal to torch's ``OneCycleLR``; array
    results are within a few ulp of them, or bitwise with ``exact=True``.
    """
    settings = check_one_cycle_settings(
        total_steps=v.as_count("total_steps", total_steps),
        pct_start=pct_start,
        anneal_strategy=anneal_strategy,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        three_phase=three_phase,
    )
    curve = OneCycleCurve.build(
        max_lrs=[check_max_lr("max_lr", max_lr)],
        base_momentums=[check_momentum("base_momentum", base_momentum)],
        max_momentums=[check_momentum("max_momentum", max_momentum)],
        **settings.__dict__,
    )
    checked = check_steps(steps, settings.total_steps)
    if isinstance(checked, int):
        lrs, moms = curve.values_at(checked)
        return lrs[0], moms[0]
    lr, mom = curve.values_table(checked.ravel(), exact=v.as_bool("exact", exact))
    return lr[:, 0].reshape(checked.shape), mom[:, 0].reshape(checked.shape)
