"""Composition: schedules joined one after another (:func:`join_schedules`) and a warm-up
in front of any schedule (:func:`with_warmup`); cosine decay with a linear warm-up in one
call is :func:`lr_one_cycle.schedules.warmup_cosine.warmup_cosine_schedule`.

Join convention (optax's ``join_schedules``, torch's ``SequentialLR``): with boundaries
``b_1 < b_2 < ... < b_{n-1}`` and ``b_0 = 0``, step ``k`` with ``b_i <= k < b_{i+1}``
takes part ``i``'s values at its local step ``k - b_i``, per parameter group. Every part
starts from its own step 0, so a join is a pure function of the step: random access,
vectorised, and a resumed run continues exactly. Steps follow the package convention
(:mod:`lr_one_cycle.schedules._protocol`).

Momentum: a join gives one when any part cycles one. A part that does not (a warm-up
ramp, a constant) holds the momentum in force when it starts: the value of the previous
part that cycles one at its last step, or, before any such part, the first one's value
at its step 0 — what an optimizer driven by torch's ``SequentialLR`` holds, since a part
that does not cycle momentum leaves it alone.

On torch tensors (:class:`JoinedOnTensors`) a join evaluates its parts' closed forms and
takes each step's values from its part, so it is exactly as exact as its parts are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._protocol import FloatArray, Schedule, TorchEvaluator, Values
from .ramp import RampSchedule, check_lr

WarmupMode = Literal["linear", "cos"]
WARMUP_MODES: tuple[WarmupMode, ...] = ("linear", "cos")

_BLOCK = 1 << 15  # values (steps x groups) a part computes at once in a sorted join


def check_join(
    parts: Any,
    boundaries: Any,
    *,
    parts_name: str = "schedules",
    boundaries_name: str = "boundaries",
) -> tuple[tuple[Schedule, ...], tuple[int, ...]]:
    """The parts (schedules) and boundaries of a join, checked: at least one part, one
    boundary between each two, boundaries increasing integers >= 1, every part but the
    last valid over its whole span, and parts for one group or for the same number.

    The names are those of the caller's arguments (``SequentialLR`` says ``schedulers``
    and ``milestones``)."""
    if isinstance(parts, (str, bytes)) or not isinstance(parts, Sequence):
        raise v.ArgumentTypeError(parts_name, parts, f"a non-empty list of {parts_name}")
    if not parts:
        raise v.ArgumentValueError(
            parts_name, v.Described("an empty list"), f"a non-empty list of {parts_name}"
        )
    for i, part in enumerate(parts):
        if not isinstance(part, Schedule):
            raise v.ArgumentTypeError(
                (parts_name, i), part, "a Schedule of lr_one_cycle.schedules"
            )
    bounds_in = v.as_sequence(boundaries_name, boundaries)
    if bounds_in is None or isinstance(boundaries, (str, bytes)):
        raise v.ArgumentTypeError(boundaries_name, boundaries, "a list of integers")
    if len(bounds_in) != len(parts) - 1:
        raise v.ArgumentValueError(
            boundaries_name,
            v.Described(f"{len(bounds_in)} for {len(parts)} {parts_name}"),
            f"one value between each two {parts_name} ({len(parts) - 1})",
        )
    bounds: list[int] = []
    for i, value in enumerate(bounds_in):
        bound = v.as_count((boundaries_name, i), value)
        if bounds and bound <= bounds[-1]:
            raise v.ArgumentValueError(
                (boundaries_name, i),
                bound,
                f"an integer > {bounds[-1]} ({boundaries_name}[{i - 1}]): they must increase",
            )
        bounds.append(bound)
    starts = [0, *bounds]
    for i, part in enumerate(parts[:-1]):
        span = starts[i + 1] - starts[i]
        last = part.last_step
        if last is not None and last < span - 1:
            raise v.ArgumentValueError(
                (parts_name, i),
                v.Described(f"one of steps 0..{last} ({part.range_note()})"),
                f"a schedule covering its span, steps {starts[i]}..{starts[i + 1] - 1} "
                f"({span} steps)",
                f"; end its span at {starts[i] + last + 1} or lengthen it",
            )
    counts = {p.n_groups for p in parts} - {1}
    if len(counts) > 1:
        first = next(i for i, p in enumerate(parts) if p.n_groups != 1)
        other = next(i for i, p in enumerate(parts) if p.n_groups not in (1, parts[first].n_groups))
        raise v.ArgumentValueError(
            (parts_name, other),
            v.Described(f"one for {parts[other].n_groups} parameter groups"),
            f"a schedule for {parts[first].n_groups} parameter groups (as {parts_name}"
            f"[{first}]) or for one",
        )
    return tuple(parts), tuple(bounds)


@dataclass(frozen=True)
class JoinedSchedule(Schedule):
    """Schedules joined at ``boundaries`` (see the module docstring); what
    :func:`join_schedules` returns.

    ``momentum_parts`` says which parts give the momentum (default: those that cycle
    one); ``SequentialLR`` passes False for a scheduler built with
    ``cycle_momentum=False``. ``elastic`` says which parts stretch when the run's length
    changes (:meth:`resumed`; default: all, :func:`with_warmup` keeps its warm-up's).
    Parts for one group are spread over the others' groups.

    Args:
        schedules, boundaries: the parts and the steps at which each after the first
            starts, as :func:`join_schedules` takes them.
        momentum_parts: one bool per part, or None (the parts that cycle a momentum).
        elastic: one bool per part, or None (all).

    Raises:
        ValueError, TypeError: as :func:`join_schedules`; a flag list without one bool
            per part, or ``momentum_parts`` True for a part that cycles no momentum.

    References:
        optax ``join_schedules``; torch ``SequentialLR``; ignite ``ConcatScheduler``.
    """

    schedules: Any
    boundaries: Any
    momentum_parts: Any = None
    elastic: Any = None

    def __post_init__(self) -> None:
        parts, bounds = check_join(self.schedules, self.boundaries)
        default = [p.cycles_momentum for p in parts]
        flags = _flags("momentum_parts", self.momentum_parts, default)
        elastic = _flags("elastic", self.elastic, [True] * len(parts))
        for i, (part, flag) in enumerate(zip(parts, flags)):
            if flag and not part.cycles_momentum:
                raise v.ArgumentValueError(
                    ("momentum_parts", i), True, "False: that schedule cycles no momentum"
                )
        object.__setattr__(self, "schedules", parts)
        object.__setattr__(self, "boundaries", bounds)
        object.__setattr__(self, "momentum_parts", flags)
        object.__setattr__(self, "elastic", elastic)
        object.__setattr__(self, "_starts", (0, *bounds))
        object.__setattr__(self, "_held", self._held_momentum())

    def _held_momentum(self) -> tuple[FloatArray | None, ...]:
        """Per part that gives no momentum, the momentum it holds (module docstring)."""
        flags, starts = self.momentum_parts, self._starts  # type: ignore[attr-defined]
        giving = [i for i, f in enumerate(flags) if f]
        held: list[FloatArray | None] = []
        for i, flag in enumerate(flags):
            before = [j for j in giving if j < i]
            if flag or not giving:
                held.append(None)
                continue
            j = before[-1] if before else giving[0]
            local = starts[j + 1] - starts[j] - 1 if before else 0
            momentum = self.schedules[j].at(local)[1]
            held.append(np.broadcast_to(np.array(momentum), (self.n_groups,)))
        return tuple(held)

    @property
    def n_groups(self) -> int:
        return int(max(p.n_groups for p in self.schedules))

    @property
    def last_step(self) -> int | None:
        last = self.schedules[-1].last_step
        return None if last is None else int(self._starts[-1]) + int(last)  # type: ignore[attr-defined]

    @property
    def cycles_momentum(self) -> bool:
        return any(self.momentum_parts)

    def range_note(self) -> str:
        return f"total_steps={self.last_step}"

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        n, groups = steps.size, self.n_groups
        lr = np.empty((n, groups))
        momentum = np.empty((n, groups)) if self.cycles_momentum else None
        starts = self._starts  # type: ignore[attr-defined]
        pieces: list[tuple[int, Any]]
        if n < 2 or bool(np.all(steps[1:] >= steps[:-1])):
            # Sorted steps (windows, plots, tables): each part takes a contiguous slice,
            # cut into blocks small enough that a part's temporaries stay in the CPU
            # cache. Every family computes each step on its own, so the values are the
            # same bits as in one call; a 1e6-step join then costs less than its parts
            # evaluated in one call each (benchmarks/bench_compose.py).
            edges = [0, *np.searchsorted(steps, self.boundaries).tolist(), n]
            block = max(1024, _BLOCK // groups)
            pieces = [
                (i, slice(c, min(c + block, b)))
                for i, (a, b) in enumerate(zip(edges, edges[1:]))
                for c in range(a, b, block)
            ]
        else:
            which = np.searchsorted(self.boundaries, steps, side="right")
            pieces = [(i, np.flatnonzero(which == i)) for i in range(len(self.schedules))]
        for i, piece in pieces:
            part = self.schedules[i]
            local = steps[piece] - starts[i]
            if not local.size:
                continue
            out = part._evaluate(local.astype(np.float64) if part.fractional else local, exact)
            lr[piece] = out.lr
            if momentum is not None:
                held = self._held[i]  # type: ignore[attr-defined]
                momentum[piece] = out.momentum if held is None else held
        return Values(lr, momentum)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        """The parts' closed forms, each listed (where it grows) only as far as its span
        reaches: the last step of its span, or ``max_step`` for the last part."""
        starts = self._starts  # type: ignore[attr-defined]
        ends = [*self.boundaries, None]
        parts = []
        for part, start, end in zip(self.schedules, starts, ends):
            reach = None if max_step is None else max(max_step - start, 0)
            if end is not None:
                reach = end - start - 1 if reach is None else min(reach, end - start - 1)
            parts.append(part._torch_evaluator(reach))
        return JoinedOnTensors(self, tuple(parts))

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """The join continued from ``step`` as a run of ``total_steps`` steps in all.

        The steps left are spread over the elastic parts left (all parts but a warm-up,
        by default) in proportion to what is left of each: with ``r_j`` the steps part
        ``j`` has left (from ``step``, or its start, to its end) and ``E`` their sum over
        the elastic parts, elastic part ``j`` gets ``r_j * E' / E`` steps (``E'`` what is
        left of the new run after the other parts), rounded so that the boundaries are
        whole and the run's length exact. The part in force continues over its new span
        through its own elastic resume (its value at ``step`` is kept), parts ahead are
        stretched or squeezed to theirs from their step 0, and a part without a fixed
        length just gets the new span. Needs a last part of fixed length; the length in
        force changes nothing.

        Raises ``ValueError`` (``TypeError`` for a part without an elastic resume),
        changing nothing, when the new length leaves a part no step or a part refuses.
        """
        unknown = sorted(set(changes) - {"total_steps"})
        if unknown or "total_steps" not in changes:
            raise TypeError(
                "resume_with() takes total_steps"
                + (f", got unexpected arguments: {', '.join(unknown)}" if unknown else "")
            )
        last = self.last_step
        if last is None:
            raise ValueError(
                "total_steps cannot change: the last part has no end "
                f"({type(self.schedules[-1]).__name__}); a join of fixed length ends with a "
                "schedule of fixed length"
            )
        total = v.as_count("total_steps", changes["total_steps"], minimum=0)
        k = int(step)
        if total == last:
            return self, k
        starts = list(self._starts)  # type: ignore[attr-defined]
        n = len(self.schedules)
        active = int(np.searchsorted(self.boundaries, k, side="right"))
        ends = [*starts[1:], last]
        left = {j: ends[j] - max(starts[j], k) for j in range(active, n)}
        fixed = sum(r for j, r in left.items() if not self.elastic[j])
        elastic, new_elastic = last - k - fixed, total - k - fixed
        if active < n - 1 and elastic == 0:
            raise ValueError(
                "total_steps cannot change: every part left keeps its length (as a warm-up "
                "does)"
            )
        if active < n - 1 and new_elastic < 0:
            raise ValueError(
                f"total_steps must be >= {k + fixed}: step {k} is taken and the parts left "
                f"that keep their length need {fixed} more steps; got {total}"
            )
        new_starts = starts[:]
        done_elastic = done_fixed = 0
        for j in range(active, n - 1):
            if self.elastic[j]:
                done_elastic += left[j]
            else:
                done_fixed += left[j]
            # round half up, in integers, so that the boundaries are whole and exact
            moved = (2 * done_elastic * new_elastic + elastic) // (2 * elastic) if elastic else 0
            new_starts[j + 1] = k + moved + done_fixed
            if new_starts[j + 1] <= max(new_starts[j], k):
                raise ValueError(
                    f"total_steps={total} leaves part {j} (from step {starts[j]}) no step; "
                    "give a longer run"
                )
        parts = list(self.schedules)
        for j in range(active, n):
            part = parts[j]
            if part.last_step is None:
                continue
            local = k - starts[j] if j == active else 0
            if j == n - 1:
                new_last = total - new_starts[j]
            else:  # what the part covers beyond its span (often nothing) stays so
                overhang = int(part.last_step) - (starts[j + 1] - starts[j])
                new_last = new_starts[j + 1] - new_starts[j] + overhang
            if new_last == part.last_step:
                continue
            try:
                parts[j], at = part.resumed(local, total_steps=new_last)
            except (TypeError, ValueError) as error:
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(
                    f"part {j} ({type(part).__name__}, from step {starts[j]}) cannot take "
                    f"{new_last} steps: {error}"
                ) from error
            assert at == local, "a part's elastic resume renumbered its steps"
        resumed = JoinedSchedule(
            tuple(parts), tuple(new_starts[1:]), self.momentum_parts, self.elastic
        )
        return resumed, k


class JoinedOnTensors(TorchEvaluator):
    """A join on tensors: every part's evaluator at its local position (held to the
    part's range), and each step's values taken from its part, a part that gives no
    momentum holding its constant (:meth:`JoinedSchedule._held_momentum`)."""

    def __init__(self, schedule: JoinedSchedule, parts: tuple[TorchEvaluator, ...]) -> None:
        from ._torch import constant

        self.parts = parts
        self.starts = tuple(float(s) for s in schedule._starts)  # type: ignore[attr-defined]
        self.n_groups = schedule.n_groups
        last = parts[-1].last
        self.last = None if last is None else self.starts[-1] + last
        self.cycles_momentum = schedule.cycles_momentum
        self.held = tuple(
            None if held is None else constant(np.array(held))[None, :]
            for held in schedule._held  # type: ignore[attr-defined]
        )

    def evaluate(self, t: Any) -> Values:
        import torch

        # The part of each step: the number of part starts after the first it reaches.
        which = torch.zeros((t.shape[0], 1), dtype=torch.int64, device=t.device)
        for start in self.starts[1:]:
            which = which + (t >= start).to(torch.int64)[:, None]
        lr: Any = None
        momentum: Any = None
        for i, (part, start) in enumerate(zip(self.parts, self.starts)):
            local = torch.clamp_min(t - start, 0.0)
            if part.last is not None:
                local = torch.clamp_max(local, part.last)
            out = part.evaluate(local)
            lr = out.lr if lr is None else torch.where(which == i, out.lr, lr)
            if self.cycles_momentum:
                held = self.held[i]
                m = out.momentum if held is None else held
                momentum = m if momentum is None else torch.where(which == i, m, momentum)
        shape = (t.shape[0], self.n_groups)
        return Values(lr.expand(shape), None if momentum is None else momentum.expand(shape))


def _flags(name: str, value: Any, default: list[bool]) -> tuple[bool, ...]:
    """One bool per part (``default`` when ``value`` is None)."""
    given = default if value is None else v.as_sequence(name, value)
    if given is None or len(given) != len(default):
        raise v.ArgumentValueError(name, value, f"one True or False per part ({len(default)})")
    return tuple(v.as_bool((name, i), f) for i, f in enumerate(given))


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> JoinedSchedule:
    r"""Schedules one after another: part ``i`` from step ``boundaries[i-1]`` on, at its
    local step ``step - boundaries[i-1]`` (optax's ``join_schedules``; torch's
    ``SequentialLR`` does the same with schedulers).

    .. math::

        v(k) = s_i(k - b_i) \quad \text{for } b_i \le k < b_{i+1},\;
        b_0 = 0,\; b_n = \infty

    Args:
        schedules: the parts, :class:`~lr_one_cycle.schedules.Schedule` objects
            (``OneCycleSchedule``, ``CyclicSchedule``, ``RampSchedule``, another join, ...),
            for the same number of parameter groups (or one, spread over the groups).
        boundaries: the step at which each part after the first starts: ``len(schedules)
            - 1`` increasing integers >= 1.

    Returns:
        A :class:`JoinedSchedule`: ``.values(steps)`` gives arrays of shape
        ``steps.shape + (n_groups,)`` (``exact=True``: bitwise each part's own values),
        ``.at(step)`` one step, ``.torch_values(tensor)`` on torch tensors, traceable
        (:class:`JoinedOnTensors`); valid steps ``0 ..`` the last part's end (no end
        when it has none). Momentum: see :mod:`lr_one_cycle.schedules.compose`.

    Raises:
        ValueError, TypeError: boundaries not increasing or not one fewer than the parts,
        a part (not the last) whose fixed length ends before its span does, or parts for
        different numbers of groups, naming the argument.

    References:
        optax ``join_schedules``; torch ``SequentialLR``; ignite ``ConcatScheduler``.

    >>> from lr_one_cycle.schedules import ConstantSchedule, RampSchedule
    >>> joined = join_schedules(
    ...     [RampSchedule(start=0.0, end=1.0, steps=4), ConstantSchedule(lr=0.5)], [4])
    >>> joined.values([0, 2, 4, 100]).lr[:, 0].tolist()
    [0.0, 0.5, 0.5, 0.5]
    """
    return JoinedSchedule(schedules, boundaries)


def with_warmup(
    schedule: Schedule,
    warmup_steps: int,
    start_lr: float | Sequence[float] = 0.0,
    mode: WarmupMode = "linear",
) -> Schedule:
    r"""``schedule`` after a warm-up of ``warmup_steps`` steps from ``start_lr`` to its
    own first value: ``join_schedules([ramp, schedule], [warmup_steps])``.

    With ``W = warmup_steps``, ``s_0 = `` the schedule's lr at its step 0 (per group):

    .. math::

        lr(k) = \begin{cases}
            start + \dfrac{(s_0 - start)\,k}{W} & k < W \text{ (linear)} \\[4pt]
            start + (s_0 - start)\,\dfrac{1 - \cos(\pi k / W)}{2} & k < W \text{ (cos)} \\[4pt]
            schedule(k - W) & k \ge W
        \end{cases}

    (formulas for a ramp going down: :mod:`lr_one_cycle.schedules.ramp`). A momentum the
    schedule cycles is held at its step-0 value during the warm-up. When the run's
    length changes (``resumed(step, total_steps=)``), the warm-up keeps its length and
    the schedule takes the change.

    Parity: the linear warm-up is bitwise ignite 0.5.5's
    ``create_lr_scheduler_with_warmup(scheduler, warmup_start_value=start_lr,
    warmup_duration=W + 1)`` around the same scheduler (ignite's duration counts the
    event that reaches ``s_0``). Against torch's ``SequentialLR([LinearLR(opt,
    start_factor=f, total_iters=W), main], milestones=[W])`` with ``start_lr = f *
    base_lr``: step 0 (``base_lr * f``) and every step from ``W`` on (the main
    scheduler's closed form, e.g. ``CyclicLR``, ``OneCycleLR``) are bitwise equal; the
    warm-up steps ``1 .. W-1`` come from ``LinearLR``'s recursive formula in torch and
    agree within 1e-12 relative (as do the steps of a recursive main scheduler such as
    ``CosineAnnealingLR``).

    Args:
        schedule: any :class:`~lr_one_cycle.schedules.Schedule`.
        warmup_steps: the warm-up's length in steps (0: ``schedule`` itself).
        start_lr: the lr of step 0; one value or one per group.
        mode: ``"linear"`` or ``"cos"`` (half a cosine wave).

    Returns:
        A :class:`JoinedSchedule` (or ``schedule`` for ``warmup_steps=0``).

    Raises:
        ValueError, TypeError: a bad argument, naming it.

    References:
        Goyal et al., "Accurate, Large Minibatch SGD", arXiv 1706.02677 (gradual warm-up);
        ignite's ``create_lr_scheduler_with_warmup``; torch's ``LinearLR``.

    >>> from lr_one_cycle.schedules import ConstantSchedule
    >>> with_warmup(ConstantSchedule(lr=1.0), 4).values(range(6)).lr[:, 0].tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    if not isinstance(schedule, Schedule):
        raise v.ArgumentTypeError("schedule", schedule, "a Schedule of lr_one_cycle.schedules")
    steps = v.as_count("warmup_steps", warmup_steps, minimum=0)
    shape = v.as_choice("mode", mode, WARMUP_MODES)
    ramp_start = v.per_group("start_lr", start_lr, schedule.n_groups, check_lr)
    if steps == 0:
        return schedule
    target = schedule.at(0)[0]
    ramp = RampSchedule(
        start=list(ramp_start), end=target, steps=steps, shape=shape, n_groups_=len(target)
    )
    return JoinedSchedule((ramp, schedule), (steps,), elastic=(False, True))
