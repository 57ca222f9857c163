"""Elastic resume of a schedule of fixed length: :class:`Retimed`.

A run resumed with another length (more workers, another batch size) keeps the cycle it
was on and re-times what is left of it. The resumed schedule is the original schedule
read through a piecewise-linear, non-decreasing map from the steps of the run to
positions on the original, given by knots ``(step, position)``:

    position(s) = u_a + (s - s_a) * (u_b - u_a) / (s_b - s_a)   for s_a <= s < s_b

and the last knot's position beyond it. Resuming at step ``k`` over ``T'`` steps keeps
every knot before ``k``, pins ``k`` to the position it had, and maps the run's final
step to the original's final position: the rest of the schedule is stretched (or
squeezed) evenly over the remaining steps (a schedule already at its end stays there).
Hence

- "the same point of the cycle" is the same position, so the same phase and the same
  fraction of that phase: step ``k`` keeps its values bit for bit;
- each later step advances by ``(final - u_k) / (T' - offset - k)`` positions, so the
  values move smoothly from the switch on, with no jump;
- the run's final step holds the final value (1cycle's ``min_lr``);
- the map is non-decreasing, so a peak is passed once, as in the original.

The alternative, entering a fresh ``T'``-step schedule at the step whose phase fraction
matches, would renumber the steps (the scheduler's step count would no longer count the
updates applied) and jump by up to a step where the fraction falls between two steps.

Knots start at ``(0, 0.0)``; positions within a segment are exact whenever the segment is
the identity (``s * k / k == s`` for integers below 2**53), so a run resumed with its own
length, and every step before a resume, keep their values bit for bit. The array path
performs the same operations in the same order for every step.

Any schedule of fixed length whose formula takes fractional positions can be retimed;
:attr:`Retimed.final_offset` says how many steps before its last step the final value is
reached (1cycle: 1, as step ``T - 1`` is the last update and step ``T`` holds its value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, TorchEvaluator, Values

ResumeKnots = tuple[tuple[int, float], ...]


def resume_positions(steps: npt.NDArray[Any], knots: ResumeKnots) -> FloatArray:
    """The position of each of ``steps`` under ``knots`` (empty ``knots``: the steps)."""
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
    return np.asarray(np.where(i >= len(knots) - 1, knot_pos[-1], inside), dtype=np.float64)


def resume_knots(
    knots: ResumeKnots, *, step: int, total_steps: int, final: float, offset: int
) -> ResumeKnots:
    """The knots of a run at ``step`` resumed as a run of ``total_steps`` in all.

    ``knots`` are those in force (empty: not resumed yet), ``final`` the position at
    which the original reaches its final value and ``offset`` how many steps before the
    run's end its final step is. Refuses, with a message naming the smallest length
    accepted, a run shorter than the steps already taken, or one with no step left after
    the current one to reach the final value when the schedule has not reached it yet.
    """
    position = float(resume_positions(np.array([step]), knots)[0])
    minimum = step if position >= final else step + 1 + offset
    if total_steps < minimum:
        if total_steps < step:
            why = f"the steps already taken (last_epoch={step})"
            if minimum > step:
                why += f" and {minimum - step} more to finish the cycle"
        else:
            why = (
                f"to finish the cycle after step {step}: the current step keeps its values "
                "and at least one more step is needed to reach the final value"
            )
        raise ValueError(f"total_steps must be >= {minimum}, {why}; got {total_steps}")
    kept = tuple(knot for knot in (knots or ((0, 0.0),)) if knot[0] < step)
    last = total_steps - offset
    end = ((last, max(position, final)),) if last > step else ()
    return (*kept, (step, position), *end)


def check_resume_knots(name: str, knots: object, *, total_steps: int, final: float) -> ResumeKnots:
    """Saved knots (a list of ``[step, position]`` pairs) checked against the lengths."""
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
                v.as_real(f"{name}[{i}][1]", knot[1], low=0.0, high=float(final) + 1),
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
class Retimed(Schedule):
    """``original`` read through resume ``knots``, as a run of ``total_steps`` steps.

    The same protocol as the original: values at a step are the original's at the
    step's position. ``resumed`` again adds knots to the same original. Built by the
    families' ``resumed(step, total_steps=)``, rarely by hand.

    Args:
        original: a schedule of fixed length (its ``last_step`` is not None).
        knots: ``(step, position)`` pairs (module docstring); empty: not re-timed.
        total_steps: the run's length in steps.

    Raises:
        TypeError: ``original`` has no fixed length. The knots are not checked here
            (``resumed`` makes them).

    References:
        No external reference: the package's own elastic resume, described in
        :mod:`lr_one_cycle.schedules.resume`.
    """

    original: Schedule
    knots: ResumeKnots
    total_steps: int

    def __post_init__(self) -> None:
        if self.original.last_step is None:
            raise TypeError("only a schedule of fixed length can be retimed")

    @property
    def final_offset(self) -> int:
        return getattr(self.original, "final_offset", 0)

    @property
    def n_groups(self) -> int:
        return self.original.n_groups

    @property
    def cycles_momentum(self) -> bool:
        return self.original.cycles_momentum

    @property
    def last_step(self) -> int:
        return self.total_steps

    def range_note(self) -> str:
        return f"total_steps={self.total_steps}"

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        return self.original._evaluate(resume_positions(steps, self.knots), exact)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        return retime(self.original, self.knots, self.total_steps, int(step), **changes)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return RetimedOnTensors(self, self.original._torch_evaluator(None))


class RetimedOnTensors(TorchEvaluator):
    """:func:`resume_positions` on tensors (the same operations, bitwise), then the
    original's closed form at those positions."""

    def __init__(self, schedule: Retimed, original: TorchEvaluator) -> None:
        from ._torch import constant

        self.original = original
        self.last = schedule.total_steps
        self.n_groups = schedule.n_groups
        self.count = len(schedule.knots)
        self.knot_steps = constant([k for k, _ in schedule.knots])
        self.knot_positions = constant([u for _, u in schedule.knots])
        self.first_position = schedule.knots[0][1] if schedule.knots else 0.0

    def evaluate(self, t: Any) -> Values:
        import torch

        count, steps, positions = self.count, self.knot_steps, self.knot_positions
        if count == 0:
            return self.original.evaluate(t)
        if count == 1:
            return self.original.evaluate(torch.full_like(t, self.first_position))
        i = torch.searchsorted(steps, t, right=True) - 1
        seg = torch.clamp_max(i, count - 2)
        s_a, u_a, s_b, u_b = steps[seg], positions[seg], steps[seg + 1], positions[seg + 1]
        inside = u_a + (t - s_a) * (u_b - u_a) / (s_b - s_a)
        return self.original.evaluate(torch.where(i >= count - 1, positions[-1], inside))


def retime(
    original: Schedule, knots: ResumeKnots, current_total: int, step: int, *, total_steps: Any
) -> tuple[Schedule, int]:
    """The schedule of a run at ``step`` (following ``original`` through ``knots``)
    continued as a run of ``total_steps`` steps (checked here: a whole float such as
    R's ``20`` becomes ``20``); the run's length in force changes nothing. Shared by
    every family of fixed length."""
    total_steps = v.as_count("total_steps", total_steps)
    if total_steps == current_total:
        return (Retimed(original, knots, current_total) if knots else original), step
    offset = getattr(original, "final_offset", 0)
    last = original.last_step
    assert last is not None
    new_knots = resume_knots(
        knots, step=step, total_steps=total_steps, final=float(last - offset), offset=offset
    )
    return Retimed(original, new_knots, total_steps), step
