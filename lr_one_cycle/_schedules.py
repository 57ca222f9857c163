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
from typing import Literal, NamedTuple, overload

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
#
# ``numpy.cos`` / ``numpy.power`` may round differently from Python's ``math.cos`` /
# ``**`` (the references' operations) by a few ulp on some builds; ``exact=True``
# paths apply the Python function to every element through :func:`elementwise`.


def elementwise(function: object, *arrays: FloatArray) -> FloatArray:
    """Apply a Python scalar ``function`` (``math.cos``, ``pow``) to every element.

    Bitwise equal to calling it in a Python loop, which is what the references do;
    one C-level ``map``, so about 70 ns an element.
    """
    shaped = np.broadcast_arrays(*arrays)
    columns = [a.ravel().tolist() for a in shaped]
    out = np.fromiter(map(function, *columns), np.float64, shaped[0].size)  # type: ignore[call-overload]
    return out.reshape(shaped[0].shape)


def _cos(angle: FloatArray, exact: bool) -> FloatArray:
    return elementwise(math.cos, angle) if exact else np.cos(angle)


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
    return _cos(np.pi * pct, exact) + 1


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


# The cosine family's cycles never end, so a run of another length has no "rest of the
# run" to fit: what changes is the length of the cycles (in steps or events), given as
# the new first cycle (``T_0`` / ``cycle_size``, with ``T_mult`` / ``cycle_mult`` growth
# as before). The resumed scheduler is the scheduler the new run builds, entered at the
# same point of the cycle: the same cycle index (so the same per-cycle decay or value
# multipliers) and the same fraction of the same phase of it (warm-up, or the anneal
# after it). SGDR takes fractional positions, so its lr carries over up to rounding;
# ignite's events are whole, so the event is the nearest one, within half an event's
# change. The step counter is renumbered: these schedulers' index counts positions in
# their own cycles, and a state saved afterwards loads into a scheduler built with the
# new settings. (The cycle layouts used here are defined in the cosine family's section.)


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def cycle_bounds(cycle: int, settings: CyclicalSettings) -> tuple[int, int, int]:
    """``(first event, size, warm-up)`` of ignite cycle ``cycle`` (see ``cycle_layout``)."""
    limit = 1
    while True:
        starts, sizes, warmups = cycle_layout(
            settings.cycle_size, settings.warmup_duration, settings.cycle_mult, limit
        )
        size, warm = int(sizes[-1]), int(warmups[-1])
        settled = (int(size * settings.cycle_mult), int(warm * settings.cycle_mult)) == (
            size,
            warm,
        )
        if cycle < starts.size or settled:
            break
        limit *= 2
    listed = min(cycle, starts.size - 1)  # past the listed cycles the last one repeats
    size, warm = int(sizes[listed]), int(warmups[listed])
    return int(starts[listed]) + (cycle - listed) * (size + warm), size, warm


def cyclical_resume_event(event: int, old: CyclicalSettings, new: CyclicalSettings) -> int:
    """The event of ``new``'s cycles at the same point of the cycle as ``event`` of ``old``'s.

    Inside the shape (``e < C_k``) the fraction ``e / C_k`` is kept; inside the warm-up
    (``C_k <= e``) the fraction ``(e - C_k) / W_k`` of it, which needs a warm-up in
    ``new`` as well. The nearest event is taken, never leaving the phase.
    """
    at = cycle_positions(np.array([event], dtype=np.int64), old)
    cycle, local = int(at.cycle[0]), int(at.local[0])
    size, warm = int(at.sizes[at.listed[0]]), int(at.warmups[at.listed[0]])
    start, new_size, new_warm = cycle_bounds(cycle, new)
    if local < size:
        return start + min(_round_half_up(local * new_size / size), new_size - 1)
    if new_warm == 0:
        raise ValueError(
            f"warmup_duration must be > 0 to resume inside a warm-up (event {event} is "
            f"{local - size} events into the warm-up of cycle {cycle}), got 0"
        )
    into = min(_round_half_up((local - size) * new_warm / warm), new_warm - 1)
    return start + new_size + into


def restart_bounds(cycle: int, settings: WarmRestartsSettings) -> tuple[float, float]:
    """``(B_i, T_i)``: where SGDR cycle ``cycle`` starts and how long it lasts, summed
    as :func:`restart_positions` sums them."""
    if settings.T_mult == 1:
        return float(cycle * settings.T_0), float(settings.T_0)
    bound: int | float = 0
    length: int | float = settings.T_0
    for _ in range(cycle):
        bound, length = bound + length, length * settings.T_mult
    return float(bound), float(length)


def warm_restarts_resume_position(
    position: float, old: WarmRestartsSettings, new: WarmRestartsSettings
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
    return resumed


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


# --------------------------------------------------------------------------- lr range test
# The lr sweep of the LR range test (Smith 2015; fastai's lr_find, torch-lr-finder):
# iteration ``i`` of ``num_iter`` trains at ``start_lr`` moved a fraction
# ``i / (num_iter - 1)`` of the way to ``end_lr``, geometrically ("exp") or linearly,
# so the first iteration uses ``start_lr`` and the last ``end_lr``.

SweepMode = Literal["exp", "linear"]
SWEEP_MODES: tuple[SweepMode, ...] = ("exp", "linear")


def check_sweep(
    start_lr: object, end_lr: object, num_iter: object, mode: object
) -> tuple[float, float, int, SweepMode]:
    """Checked ``(start_lr, end_lr, num_iter, mode)`` of an lr sweep."""
    start = v.as_real("start_lr", start_lr, low=0.0, low_open=True)
    end = v.as_real("end_lr", end_lr, low=0.0, low_open=True)
    if end <= start:
        raise ValueError(f"end_lr must be greater than start_lr ({start:g}), got {end:g}")
    count = v.as_count("num_iter", num_iter, minimum=2)
    return start, end, count, v.as_choice("mode", mode, SWEEP_MODES)  # type: ignore[return-value]


def lr_sweep(
    *, start_lr: float, end_lr: float, num_iter: int, mode: SweepMode = "exp"
) -> FloatArray:
    """The ``num_iter`` learning rates of an LR range test, from ``start_lr`` to ``end_lr``.

    With ``pct = i / (num_iter - 1)``:

    - ``"exp"``: ``start_lr * (end_lr / start_lr) ** pct`` (even steps of log lr)
    - ``"linear"``: ``start_lr + (end_lr - start_lr) * pct``
    """
    start, end, count, how = check_sweep(start_lr, end_lr, num_iter, mode)
    pct = np.arange(count, dtype=np.float64) / (count - 1)
    if how == "exp":
        return start * (end / start) ** pct
    return start + (end - start) * pct


# --------------------------------------------------------------------------- cosine family
# ignite's cyclical schedules, SGDR warm restarts and the yolo-style decay factory, each
# a pure function of its index. ignite's handlers are indexed by EVENT: event ``n`` is
# the value written by the ``(n+1)``-th call of the handler (ignite's convention, kept
# for parity); warm restarts follow the step convention above (step 0 applied at
# construction) and also take fractional epochs, as torch's ``step(epoch)`` does.
#
# Transcendental functions go through :func:`elementwise` (see "annealing") when
# ``exact`` is asked for.

CyclicalShape = Literal["cos", "linear", "monotonic"]
DecayType = Literal["cos", "step", "poly"]
DECAY_TYPES: tuple[DecayType, ...] = ("cos", "step", "poly")
POLY_POWER = 0.9


def _pow(base: FloatArray, exponent: FloatArray | float, exact: bool) -> FloatArray:
    return (
        elementwise(pow, base, np.asarray(exponent, np.float64))
        if exact
        else np.power(base, exponent)
    )


def sequential_products(first: float, mult: float, count: int) -> FloatArray:
    """``first, first*mult, (first*mult)*mult, ...`` (``count`` values), rounded after
    every product as a loop of ``x *= mult`` rounds — not ``first * mult**k``."""
    if mult == 1.0:
        return np.full(count, first, dtype=np.float64)
    factors = np.full(count, mult, dtype=np.float64)
    factors[0] = first
    return np.multiply.accumulate(factors)


def check_events(name: str, events: object) -> int | npt.NDArray[np.int64]:
    """An event/step index (int >= 0) or an array of them (whole floats accepted)."""
    if v.is_real(events) and not isinstance(events, np.ndarray):
        return v.as_count(name, events, minimum=0)
    array = _real_array(name, events)
    if array.size and (not np.all(np.isfinite(array)) or not np.all(array == np.floor(array))):
        raise ValueError(f"{name} must be whole numbers; got non-integer values")
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must be >= 0, got values down to {array.min():g}")
    return array.astype(np.int64)


def check_epochs(name: str, epochs: object) -> float | FloatArray:
    """A position >= 0 that may be fractional (``step(epoch + i / iters)``), or an array."""
    if v.is_real(epochs) and not isinstance(epochs, np.ndarray):
        return v.as_real(name, epochs, low=0.0)
    array = _real_array(name, epochs).astype(np.float64)
    if array.size and (not np.all(np.isfinite(array)) or array.min() < 0):
        raise ValueError(f"{name} must be finite numbers >= 0")
    return array


def _real_array(name: str, values: object) -> npt.NDArray[np.generic]:
    if isinstance(values, (str, bytes, bool)) or values is None:
        raise TypeError(
            f"{name} must be a number or an array of numbers, got {type(values).__name__}"
        )
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a number or an array of numbers, got an array of {array.dtype}"
        )
    return array


# ------------------------------------------------------------- ignite's cyclical schedules
# ignite's ``CyclicalScheduler.__call__`` rewrites its own settings at cycle ends:
# ``start_value *= start_value_mult`` when the event index reaches ``cycle_size``, and,
# when it reaches ``cycle_size + warmup_duration``, the index goes back to 0,
# ``cycle_size`` and ``warmup_duration`` become ``int(x * cycle_mult)`` and
# ``end_value *= end_value_mult``. In closed form, cycle ``k`` (sizes C_k, W_k) spans
# ``C_k + W_k`` events, with local index ``e``:
#   e <  C_k           the shape, from S_k to E_k, at progress e / C_k
#   e == C_k (W_k > 0) the shape at progress 1, but already with S_{k+1}
#   e >  C_k           warm-up: E_k + (S_{k+1} - E_k) * ((e - C_k) / W_k)
# where S_k and E_k are the start/end values multiplied k times (rounded after each
# product, as ignite's ``*=`` does). Once ``int(C * cycle_mult) == C`` (and the same
# for W) the sizes never change again, so from there the cycles repeat with a period.


@dataclass(frozen=True)
class CyclicalSettings:
    """Checked settings of an ignite cyclical schedule (see :func:`check_cyclical_settings`)."""

    shape: CyclicalShape
    start_value: float
    end_value: float
    cycle_size: int
    cycle_mult: float
    start_value_mult: float
    end_value_mult: float
    warmup_duration: int


def check_cyclical_settings(
    *,
    shape: CyclicalShape,
    start_value: object,
    end_value: object,
    cycle_size: object,
    cycle_mult: object,
    start_value_mult: object,
    end_value_mult: object,
    warmup_duration: object,
) -> CyclicalSettings:
    """Validate what ignite accepts and then fails on (ZeroDivisionError, endless
    shrinking cycles) or computes silently wrong."""
    settings = CyclicalSettings(
        shape=shape,
        start_value=v.as_real("start_value", start_value),
        end_value=v.as_real("end_value", end_value),
        cycle_size=v.as_count("cycle_size", cycle_size, minimum=2),
        cycle_mult=v.as_real("cycle_mult", cycle_mult, low=1.0),
        start_value_mult=v.as_real("start_value_mult", start_value_mult),
        end_value_mult=v.as_real("end_value_mult", end_value_mult),
        warmup_duration=v.as_count("warmup_duration", warmup_duration, minimum=0),
    )
    if shape == "linear" and settings.warmup_duration > 0:
        raise ValueError(
            f"warmup_duration={settings.warmup_duration} needs monotonic=True: a non-monotonic "
            "linear cycle already returns to start_value (use warmup_duration=0)"
        )
    return settings


def cycle_layout(
    cycle_size: int, warmup_duration: int, cycle_mult: float, last_event: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``(starts, sizes, warmups)`` of the cycles up to ``last_event``.

    Lists cycles until they stop growing (the last listed one then repeats forever) or
    until one reaches past ``last_event``. ``cycle_mult >= 1`` and each growing cycle is
    at least one event longer than the one before, so this is O(sqrt(last_event)) at worst.
    """
    starts, sizes, warmups = [0], [cycle_size], [warmup_duration]
    while True:
        size, warm = sizes[-1], warmups[-1]
        grown, grown_warm = int(size * cycle_mult), int(warm * cycle_mult)
        following = starts[-1] + size + warm
        if (grown, grown_warm) == (size, warm) or following > last_event:
            break
        starts.append(following)
        sizes.append(grown)
        warmups.append(grown_warm)
    as_array = np.asarray
    return as_array(starts, np.int64), as_array(sizes, np.int64), as_array(warmups, np.int64)


class CyclePositions(NamedTuple):
    """Where events fall in ignite's cycles (see :func:`cycle_positions`)."""

    listed: npt.NDArray[np.int64]  # index of the listed cycle (cycle_layout) per event
    cycle: npt.NDArray[np.int64]  # the event's cycle index (listed + whole periods)
    local: npt.NDArray[np.int64]  # the event's index inside its cycle
    sizes: npt.NDArray[np.int64]  # C of each listed cycle
    warmups: npt.NDArray[np.int64]  # W of each listed cycle


def cycle_positions(events: npt.NDArray[np.int64], settings: CyclicalSettings) -> CyclePositions:
    last = int(events.max()) if events.size else 0
    starts, sizes, warmups = cycle_layout(
        settings.cycle_size, settings.warmup_duration, settings.cycle_mult, last
    )
    if starts.size == 1:  # the usual case: every cycle alike
        listed = np.zeros(events.shape, dtype=np.int64)
        cycle, local = np.divmod(events, sizes[0] + warmups[0])
        return CyclePositions(listed, cycle, local, sizes, warmups)
    listed = np.searchsorted(starts, events, side="right") - 1
    # Past the last listed cycle the sizes no longer change: whole periods follow.
    periods, local = np.divmod(events - starts[listed], sizes[listed] + warmups[listed])
    return CyclePositions(listed, listed + periods, local, sizes, warmups)


def _one_minus_cos(at: CyclePositions, exact: bool) -> FloatArray:
    """``1 - cos(pi * (e / C))`` per event. Exactly, with ``math.cos`` once per distinct
    (cycle size, e) — a table per listed cycle hit, serving all its repetitions — when
    those tables are smaller than the events (long simulations); else once per event."""
    size = at.sizes[at.listed]
    progress = at.local / size
    if not exact:
        return 1 - np.cos(np.pi * progress)
    hit = np.zeros(at.sizes.size, dtype=bool)
    hit[at.listed] = True
    used = np.flatnonzero(hit)
    lengths = at.sizes[used] + 1  # e runs over 0..C (e == C only with a warm-up)
    if lengths.sum() >= progress.size:
        return 1 - elementwise(math.cos, np.pi * progress)
    offsets = np.cumsum(lengths) - lengths
    grid = np.concatenate([np.arange(n) / (n - 1) for n in lengths.tolist()])
    table = 1 - elementwise(math.cos, np.pi * grid)
    slot = (np.cumsum(hit) - 1)[at.listed]
    return table[offsets[slot] + np.minimum(at.local, size)]


def _cycle_values(
    cycle: npt.NDArray[np.int64], before_end: npt.NDArray[np.bool_], settings: CyclicalSettings
) -> tuple[FloatArray | float, FloatArray | float, FloatArray | float]:
    """Per event: the start value in force (``S_k``, or ``S_{k+1}`` from the cycle's end
    on), the next cycle's start value and the end value ``E_k``. Plain floats when the
    multipliers are 1, which saves the gathers and gives the same bits."""
    s0, e0 = settings.start_value, settings.end_value
    if settings.start_value_mult == 1.0:
        s = s_next = s0
    else:
        starts = sequential_products(s0, settings.start_value_mult, int(cycle.max()) + 2)
        s_next = starts[cycle + 1]
        s = np.where(before_end, starts[cycle], s_next)
    if settings.end_value_mult == 1.0:
        return s, s_next, e0
    return s, s_next, sequential_products(e0, settings.end_value_mult, int(cycle.max()) + 1)[cycle]


def cyclical_values(
    events: npt.NDArray[np.int64], settings: CyclicalSettings, *, exact: bool = False
) -> FloatArray:
    """ignite's value at each event, in ignite's operation order (bitwise with ``exact``).

    - ``"cos"``: ``S + ((E - S) / 2) * (1 - cos(pi * e / C))``
    - ``"linear"``: ``E + (S - E) * |e / C - 0.5| * 2`` (to E at mid-cycle and back)
    - ``"monotonic"``: ``S + (E - S) * (e / C)``
    """
    events = np.asarray(events, dtype=np.int64)
    if not events.size:
        return np.zeros(0)
    at = cycle_positions(events, settings)
    e, size, warm = at.local, at.sizes[at.listed], at.warmups[at.listed]
    s, s_next, end = _cycle_values(at.cycle, e < size, settings)
    if settings.shape == "cos":
        value = s + ((end - s) / 2) * _one_minus_cos(at, exact)
    elif settings.shape == "linear":
        value = end + (s - end) * np.abs(e / size - 0.5) * 2
    else:
        value = s + (end - s) * (e / size)
    in_warmup = e > size
    if np.any(in_warmup):
        warmup_progress = (e - size) / np.maximum(warm, 1)
        value = np.where(in_warmup, end + (s_next - end) * warmup_progress, value)
    return value


def _cyclical_schedule(
    events: object, settings: CyclicalSettings, exact: object
) -> float | FloatArray:
    checked = check_events("events", events)
    if isinstance(checked, int):
        return float(cyclical_values(np.array([checked]), settings, exact=True)[0])
    flat = cyclical_values(checked.ravel(), settings, exact=v.as_bool("exact", exact))
    return flat.reshape(checked.shape)


def cosine_annealing_schedule(
    events: Steps,
    *,
    start_value: float,
    end_value: float,
    cycle_size: int,
    cycle_mult: float = 1.0,
    start_value_mult: float = 1.0,
    end_value_mult: float = 1.0,
    warmup_duration: int = 0,
    exact: bool = False,
) -> float | FloatArray:
    """ignite 0.5.5's ``CosineAnnealingScheduler`` value at ``events`` (random access).

    Event ``n`` is the value written by the ``(n+1)``-th handler call. Cycle ``k`` anneals
    ``S_k + ((E_k - S_k) / 2) * (1 - cos(pi * e / C_k))`` over its ``C_k`` events
    (``e`` counts from 0 inside the cycle); then, with ``warmup_duration``, ``W_k`` events
    go linearly back from ``E_k`` to the next start value. After every cycle ``C`` and
    ``W`` become ``int(x * cycle_mult)`` and the start/end values are multiplied by
    ``start_value_mult`` / ``end_value_mult``. Scalars are bitwise equal to ignite; arrays
    too with ``exact=True`` (else ``numpy.cos``, within a few ulp).
    """
    settings = check_cyclical_settings(
        shape="cos",
        start_value=start_value,
        end_value=end_value,
        cycle_size=cycle_size,
        cycle_mult=cycle_mult,
        start_value_mult=start_value_mult,
        end_value_mult=end_value_mult,
        warmup_duration=warmup_duration,
    )
    return _cyclical_schedule(events, settings, exact)


def linear_cyclical_schedule(
    events: Steps,
    *,
    start_value: float,
    end_value: float,
    cycle_size: int,
    cycle_mult: float = 1.0,
    start_value_mult: float = 1.0,
    end_value_mult: float = 1.0,
    warmup_duration: int = 0,
    monotonic: bool = False,
    exact: bool = False,
) -> float | FloatArray:
    """ignite 0.5.5's ``LinearCyclicalScheduler`` value at ``events`` (random access).

    Cycle ``k`` goes linearly from ``S_k`` to ``E_k`` at mid-cycle and back,
    ``E_k + (S_k - E_k) * |e / C_k - 0.5| * 2``; with ``monotonic=True`` it goes once,
    ``S_k + (E_k - S_k) * (e / C_k)``, and may then warm up over ``warmup_duration``
    events back to the next start value. Cycle growth and multipliers as in
    :func:`cosine_annealing_schedule`; no transcendental function, so always exact.
    """
    settings = check_cyclical_settings(
        shape="monotonic" if v.as_bool("monotonic", monotonic) else "linear",
        start_value=start_value,
        end_value=end_value,
        cycle_size=cycle_size,
        cycle_mult=cycle_mult,
        start_value_mult=start_value_mult,
        end_value_mult=end_value_mult,
        warmup_duration=warmup_duration,
    )
    return _cyclical_schedule(events, settings, exact)


# ------------------------------------------------------------- SGDR warm restarts
# torch's CosineAnnealingWarmRestarts: cycle i lasts T_i = T_0 * T_mult**i steps and
# starts at B_i = T_0 + T_0*T_mult + ... (i terms); inside it T_cur = t - B_i and
#   lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2
# in that operation order. Extensions (defaults leave torch's values untouched):
# a non-integer T_mult (cycle boundaries may then fall between steps), the amplitude
# ``(base_lr - eta_min) * decay**i`` of cycle i, and a linear warm-up over the first
# ``warmup_steps`` of every cycle, from eta_min to the cycle's peak.


@dataclass(frozen=True)
class WarmRestartsSettings:
    """Checked warm-restart settings (see :func:`check_warm_restarts_settings`)."""

    T_0: int
    T_mult: int | float
    eta_min: float
    decay: float
    warmup_steps: int


def check_warm_restarts_settings(
    *, T_0: object, T_mult: object, eta_min: object, decay: object, warmup_steps: object
) -> WarmRestartsSettings:
    first = v.as_count("T_0", T_0)
    mult = v.as_real("T_mult", T_mult, low=1.0)
    warmup = v.as_count("warmup_steps", warmup_steps, minimum=0)
    if warmup >= first:
        raise ValueError(
            f"warmup_steps must be smaller than T_0 ({first}): the warm-up is part of "
            f"every cycle, got {warmup}"
        )
    return WarmRestartsSettings(
        T_0=first,
        # A whole T_mult stays an integer so that cycle bounds are exact, as in torch.
        T_mult=int(mult) if mult.is_integer() else mult,
        eta_min=v.as_real("eta_min", eta_min),
        decay=v.as_real("decay", decay, low=0.0, low_open=True),
        warmup_steps=warmup,
    )


def restart_positions(
    t: FloatArray, settings: WarmRestartsSettings
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
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


def warm_restarts_values(
    t: FloatArray, base_lrs: Sequence[float], settings: WarmRestartsSettings, *, exact: bool = False
) -> FloatArray:
    """Array ``(len(t), len(base_lrs))`` of the learning rates at positions ``t``."""
    cycle, t_cur, t_i = restart_positions(np.asarray(t, np.float64), settings)
    eta_min, warmup = settings.eta_min, settings.warmup_steps
    span = np.asarray(base_lrs, np.float64) - eta_min
    if settings.decay == 1.0:
        amplitude = np.broadcast_to(span, (t_cur.size, span.size))
    else:
        cycles, where = np.unique(cycle, return_inverse=True)
        factor = np.array([settings.decay ** int(i) for i in cycles.tolist()])[where.ravel()]
        amplitude = span * factor[:, None]
    angle = np.pi * (t_cur - warmup) / (t_i - warmup)
    lr = eta_min + amplitude * (1 + _cos(angle, exact))[:, None] / 2
    if warmup:
        ramp = eta_min + amplitude * (t_cur / warmup)[:, None]
        lr = np.where((t_cur < warmup)[:, None], ramp, lr)
    return lr


def warm_restarts_schedule(
    epochs: float | Sequence[float] | FloatArray,
    *,
    base_lr: float,
    T_0: int,
    T_mult: float = 1,
    eta_min: float = 0.0,
    decay: float = 1.0,
    warmup_steps: int = 0,
    exact: bool = False,
) -> float | FloatArray:
    """SGDR's learning rate at ``epochs`` (steps, possibly fractional), as torch 2.13's
    ``CosineAnnealingWarmRestarts`` computes it (random access).

    Cycle ``i`` lasts ``T_i = T_0 * T_mult**i``; ``T_cur`` counts from its restart and

        ``lr = eta_min + (base_lr - eta_min) * decay**i * (1 + cos(pi * T_cur / T_i)) / 2``

    except during the first ``warmup_steps`` of a cycle, where
    ``lr = eta_min + (base_lr - eta_min) * decay**i * (T_cur / warmup_steps)`` and the
    cosine runs over the rest, ``pi * (T_cur - warmup_steps) / (T_i - warmup_steps)``.
    ``T_mult`` may be any real >= 1. With ``decay=1`` and ``warmup_steps=0`` scalars are
    bitwise equal to torch; arrays too with ``exact=True``.
    """
    settings = check_warm_restarts_settings(
        T_0=T_0, T_mult=T_mult, eta_min=eta_min, decay=decay, warmup_steps=warmup_steps
    )
    lr = v.as_real("base_lr", base_lr)
    checked = check_epochs("epochs", epochs)
    if isinstance(checked, float):
        return float(warm_restarts_values(np.array([checked]), [lr], settings, exact=True)[0, 0])
    flat = warm_restarts_values(checked.ravel(), [lr], settings, exact=v.as_bool("exact", exact))
    return flat[:, 0].reshape(checked.shape)


# ------------------------------------------------------------- warm-up + decay factory
# The ``get_lr_scheduler`` of the widely copied yolo training scripts (the Chinese
# cosine-annealing article): "cos" is YOLOX's ``yolox_warm_cos_lr``, "step" decays by a
# constant ratio, "poly" is the usual power-0.9 polynomial decay. Operation orders follow
# the scripts, so values are bitwise equal to them (scalars; arrays with ``exact``).


@dataclass(frozen=True)
class LrDecay:
    """A warm-up/decay schedule as a pure function ``iteration -> lr``.

    Built by :meth:`build` (``lr_one_cycle.get_lr_scheduler``), whose docstring gives
    the formulas; call it with an iteration in ``0 .. total_iters`` (fractions allowed)
    or an array of them. Iteration ``total_iters`` holds the final value, as in the
    package's step convention.
    """

    decay_type: DecayType
    lr: float
    min_lr: float
    total_iters: int
    warmup_total_iters: float = 0.0
    warmup_lr_start: float = 0.0
    no_aug_iter: float = 0.0
    decay_rate: float = 1.0
    step_size: float = 1.0
    step_num: int = 1

    @classmethod
    def build(
        cls,
        decay_type: DecayType,
        *,
        lr: float,
        min_lr: float,
        total_iters: int,
        warmup_iters_ratio: float,
        warmup_lr_ratio: float,
        no_aug_iter_ratio: float,
        step_num: int,
    ) -> LrDecay:
        """The derived settings, as the scripts compute them.

        - ``"cos"``: a warm-up of ``min(max(warmup_iters_ratio * total_iters, 1), 3)``
          iterations from ``max(warmup_lr_ratio * lr, 1e-6)``, and a flat tail of
          ``min(max(no_aug_iter_ratio * total_iters, 1), 15)`` iterations (the scripts
          count epochs, hence the caps of 3 and 15);
        - ``"step"``: ``decay_rate = (min_lr / lr) ** (1 / (step_num - 1))`` every
          ``step_size = total_iters / step_num`` iterations;
        - ``"poly"``: nothing derived.
        """
        if decay_type == "cos":
            return cls(
                "cos",
                lr,
                min_lr,
                total_iters,
                warmup_total_iters=min(max(warmup_iters_ratio * total_iters, 1), 3),
                warmup_lr_start=max(warmup_lr_ratio * lr, 1e-6),
                no_aug_iter=min(max(no_aug_iter_ratio * total_iters, 1), 15),
            )
        if decay_type == "step":
            return cls(
                "step",
                lr,
                min_lr,
                total_iters,
                decay_rate=(min_lr / lr) ** (1 / (step_num - 1)),
                step_size=total_iters / step_num,
                step_num=step_num,
            )
        return cls("poly", lr, min_lr, total_iters)

    def __call__(
        self, iteration: float | Sequence[float] | FloatArray, *, exact: bool = False
    ) -> float | FloatArray:
        """The lr at ``iteration``: a float for a number (bitwise the scripts'), an array
        for an array (bitwise too with ``exact=True``, else numpy's cos/power)."""
        checked = check_epochs("iteration", iteration)
        top = np.max(checked) if np.size(checked) else 0.0
        if top > self.total_iters:
            raise ValueError(
                f"iteration must be in 0..{self.total_iters} (total_iters={self.total_iters}), "
                f"got {top:g}"
            )
        if isinstance(checked, float):
            return float(self.values(np.array([checked]), exact=True)[0])
        return self.values(checked.ravel(), exact=v.as_bool("exact", exact)).reshape(checked.shape)

    def values(self, iters: FloatArray, *, exact: bool = False) -> FloatArray:
        """The learning rate at each iteration (``0 <= iters <= total_iters``).

        - ``"cos"``, with ``w = warmup_total_iters``, ``a = no_aug_iter``, ``T = total_iters``:
          ``(lr - warmup_lr_start) * (iters / w) ** 2 + warmup_lr_start`` while
          ``iters <= w``; ``min_lr`` once ``iters >= T - a``; in between
          ``min_lr + 0.5 * (lr - min_lr) * (1 + cos(pi * (iters - w) / (T - w - a)))``.
        - ``"step"``: ``lr * decay_rate ** n`` with ``n = iters // step_size``, capped at
          ``step_num - 1`` so that iteration ``T`` stays at ``min_lr`` (up to rounding).
        - ``"poly"``: ``min_lr + (lr - min_lr) * (1 - iters / T) ** 0.9``.
        """
        lr, min_lr, total = self.lr, self.min_lr, self.total_iters
        if self.decay_type == "cos":
            w, tail, start = self.warmup_total_iters, self.no_aug_iter, self.warmup_lr_start
            value = np.full(iters.shape, min_lr)
            warming = iters <= w
            value[warming] = (lr - start) * _pow(iters[warming] / float(w), 2, exact) + start
            # Only between warm-up and tail: short runs leave no room (zero denominator).
            middle = ~warming & (iters < total - tail)
            angle = np.pi * (iters[middle] - w) / (total - w - tail)
            value[middle] = min_lr + 0.5 * (lr - min_lr) * (1.0 + _cos(angle, exact))
            return value
        if self.decay_type == "step":
            n = np.minimum(iters // self.step_size, self.step_num - 1)
            return lr * _pow(np.full(n.shape, self.decay_rate), n, exact)
        return min_lr + (lr - min_lr) * _pow(1 - iters / total, POLY_POWER, exact)
