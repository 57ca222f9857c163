"""ignite's cyclical schedules: ``CosineAnnealingScheduler`` (SGDR's cosine, Loshchilov &
Hutter, arXiv 1608.03983) and ``LinearCyclicalScheduler`` (Smith's cyclical learning
rates, arXiv 1506.01186), as pytorch-ignite 0.5.5 computes them, in closed form.

Indexed by EVENT: event ``n`` is the value written by the ``(n+1)``-th call of the
handler (ignite's convention, kept for parity; see :mod:`lr_one_cycle.schedules`).

ignite's ``CyclicalScheduler.__call__`` rewrites its own settings at cycle ends:
``start_value *= start_value_mult`` when the event index reaches ``cycle_size``, and,
when it reaches ``cycle_size + warmup_duration``, the index goes back to 0,
``cycle_size`` and ``warmup_duration`` become ``int(x * cycle_mult)`` and
``end_value *= end_value_mult``. In closed form, cycle ``k`` (sizes C_k, W_k) spans
``C_k + W_k`` events, with local index ``e``:

- ``e <  C_k``: the shape, from S_k to E_k, at progress ``e / C_k``;
- ``e == C_k`` (W_k > 0): the shape at progress 1, but already with S_{k+1};
- ``e >  C_k``: warm-up, ``E_k + (S_{k+1} - E_k) * ((e - C_k) / W_k)``;

where S_k and E_k are the start/end values multiplied k times (rounded after each
product, as ignite's ``*=`` does). Once ``int(C * cycle_mult) == C`` (and the same for
W) the sizes never change again, so from there the cycles repeat with a period.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from .. import _validate as v
from ._cycle_runs import in_runs
from ._protocol import (
    FloatArray,
    IntArray,
    Schedule,
    Steps,
    TorchEvaluator,
    Values,
    evaluate,
)
from .anneal import cos_in_place, elementwise, sequential_products

CyclicalShape = Literal["cos", "linear", "monotonic"]
CYCLICAL_SHAPES: tuple[CyclicalShape, ...] = ("cos", "linear", "monotonic")


@dataclass(frozen=True)
class CyclicalSchedule(Schedule):
    """Checked settings of an ignite cyclical schedule (one value for every group).

    Validates what ignite accepts and then fails on (ZeroDivisionError, endless
    shrinking cycles) or computes silently wrong: ``cycle_size`` an integer >= 2,
    ``cycle_mult`` >= 1, and a warm-up only for the cosine or the monotonic shape.

    Args:
        shape: ``"cos"``, ``"linear"`` or ``"monotonic"``; the rest as ignite's, in
            events (:func:`cosine_annealing_schedule`, :mod:`lr_one_cycle.schedules`).

    Raises:
        ValueError, TypeError: a bad setting, naming it.

    References:
        arXiv 1608.03983 (cosine); arXiv 1506.01186 (linear); ignite's param_scheduler.py.
    """

    shape: Any
    start_value: Any
    end_value: Any
    cycle_size: Any
    cycle_mult: Any = 1.0
    start_value_mult: Any = 1.0
    end_value_mult: Any = 1.0
    warmup_duration: Any = 0

    step_name = "event"

    def __post_init__(self) -> None:
        checked = {
            "shape": v.as_choice("shape", self.shape, CYCLICAL_SHAPES),
            "start_value": v.as_real("start_value", self.start_value),
            "end_value": v.as_real("end_value", self.end_value),
            "cycle_size": v.as_count("cycle_size", self.cycle_size, minimum=2),
            "cycle_mult": v.as_real("cycle_mult", self.cycle_mult, low=1.0),
            "start_value_mult": v.as_real("start_value_mult", self.start_value_mult),
            "end_value_mult": v.as_real("end_value_mult", self.end_value_mult),
            "warmup_duration": v.as_count("warmup_duration", self.warmup_duration, minimum=0),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)
        if not math.isfinite(self.end_value - self.start_value):
            raise v.ArgumentValueError(
                "end_value", self.end_value, "a number that keeps end_value - start_value finite"
            )
        if self.shape == "linear" and self.warmup_duration > 0:
            raise ValueError(
                f"warmup_duration={self.warmup_duration} needs monotonic=True: a non-monotonic "
                "linear cycle already returns to start_value (use warmup_duration=0)"
            )

    @property
    def n_groups(self) -> int:
        return 1

    def _evaluate(self, steps: npt.NDArray[Any], exact: bool) -> Values:
        return Values(cyclical_values(np.asarray(steps, "i8"), self, exact=exact)[:, None], None)

    @property
    def period(self) -> int | None:
        """``cycle_size + warmup_duration`` when every cycle is alike (sizes that do not
        grow, values not multiplied)."""
        if (self.start_value_mult, self.end_value_mult) != (1.0, 1.0):
            return None
        size, warm, mult = self.cycle_size, self.warmup_duration, self.cycle_mult
        if (int(size * mult), int(warm * mult)) != (size, warm):
            return None
        return int(size + warm)

    def _torch_evaluator(self, max_step: int | None) -> TorchEvaluator:
        return CyclicalOnTensors(self, max_step)

    def resumed(self, step: int | float, **changes: Any) -> tuple[Schedule, int | float]:
        """Go on with cycles of ``cycle_size`` events (and ``warmup_duration``, unchanged
        when not given) from the same point of the cycle: the same cycle index and the
        same fraction of the same phase (shape or warm-up), to the nearest event. The
        event count is renumbered for the new sizes."""
        allowed = {"cycle_size", "warmup_duration"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise TypeError(f"resume_with() got unexpected arguments: {', '.join(unknown)}")
        if changes.get("warmup_duration") is None:
            changes.pop("warmup_duration", None)
        from .cyclical_resume import cyclical_resume_event

        new = dataclasses.replace(self, **changes)
        return new, cyclical_resume_event(int(step), self, new)


def cycle_layout(
    cycle_size: int,
    warmup_duration: int,
    cycle_mult: float,
    last_event: int,
    max_cycles: int | None = None,
) -> tuple[IntArray, IntArray, IntArray]:
    """``(starts, sizes, warmups)`` of the cycles up to ``last_event``.

    Lists cycles until they stop growing (the last listed one then repeats forever) or
    until one reaches past ``last_event`` (or ``max_cycles + 1`` are listed).
    ``cycle_mult >= 1`` and each growing cycle is at least one event longer than the one
    before, so this is O(sqrt(last_event)) at worst.
    """
    starts, sizes, warmups = [0], [cycle_size], [warmup_duration]
    while max_cycles is None or len(starts) <= max_cycles:
        size, warm = sizes[-1], warmups[-1]
        following = starts[-1] + size + warm
        if following > last_event:
            break
        grown_size, grown_warm_size = size * cycle_mult, warm * cycle_mult
        if grown_size + grown_warm_size > v.MAX_COUNT:  # (inf included)
            raise v.ArgumentValueError(
                "cycle_mult",
                cycle_mult,
                f"a factor that keeps the cycle after event {following} under 2**53 events",
            )
        grown, grown_warm = int(grown_size), int(grown_warm_size)
        if (grown, grown_warm) == (size, warm):
            break
        starts.append(following)
        sizes.append(grown)
        warmups.append(grown_warm)
    as_array = np.asarray
    return as_array(starts, np.int64), as_array(sizes, np.int64), as_array(warmups, np.int64)


class CyclePositions(NamedTuple):
    """Where events fall in ignite's cycles (see :func:`cycle_positions`)."""

    listed: IntArray  # index of the listed cycle (cycle_layout) per event
    cycle: IntArray  # the event's cycle index (listed + whole periods)
    local: IntArray  # the event's index inside its cycle
    sizes: IntArray  # C of each listed cycle
    warmups: IntArray  # W of each listed cycle


def cycle_positions(events: IntArray, settings: CyclicalSchedule) -> CyclePositions:
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
        return 1 - cos_in_place(np.pi * progress, True)
    offsets = np.cumsum(lengths) - lengths
    grid = np.concatenate([np.arange(n) / (n - 1) for n in lengths.tolist()])
    table = 1 - elementwise(math.cos, np.pi * grid)
    slot = (np.cumsum(hit) - 1)[at.listed]
    return np.asarray(table[offsets[slot] + np.minimum(at.local, size)], dtype=np.float64)


def _cycle_values(
    cycle: IntArray, before_end: npt.NDArray[np.bool_], settings: CyclicalSchedule
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
    events: IntArray, settings: CyclicalSchedule, *, exact: bool = False
) -> FloatArray:
    """ignite's value at each event, in ignite's operation order (bitwise with ``exact``).

    - ``"cos"``: ``S + ((E - S) / 2) * (1 - cos(pi * e / C))``
    - ``"linear"``: ``E + (S - E) * |e / C - 0.5| * 2`` (to E at mid-cycle and back)
    - ``"monotonic"``: ``S + (E - S) * (e / C)``

    Shape: that of ``events`` (1-d).
    """
    if (runs := in_runs(events, settings, exact)) is not None:  # no events, or by runs
        return runs
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
    return np.asarray(value, dtype=np.float64)


class CyclicalOnTensors(TorchEvaluator):
    """ignite's cycles on tensors: :func:`cycle_positions` and :func:`cyclical_values`'
    operations, in their order. Growing cycles are listed up to ``max_step`` (default:
    until they settle, or to 2**53), values multiplied every cycle up to ``max_step``'s
    cycle or until they stay (0, infinity). Float64 values are bitwise equal to the exact
    path for the linear and monotonic shapes, and for the cosine wherever torch's ``cos``
    rounds like the C library's."""

    def __init__(self, settings: CyclicalSchedule, max_step: int | None) -> None:
        import torch

        from ._torch import LIST_LIMIT, constant, too_many

        reach = v.MAX_COUNT if max_step is None else max_step
        size, warm, mult = settings.cycle_size, settings.warmup_duration, settings.cycle_mult
        starts, sizes, warmups = cycle_layout(size, warm, mult, reach, LIST_LIMIT)
        if starts.size > LIST_LIMIT:
            raise too_many(f"cycle_mult={mult:g} (cycles that keep growing)", max_step)
        last_size, last_warm = int(sizes[-1]), int(warmups[-1])
        settled = (int(last_size * mult), int(last_warm * mult)) == (last_size, last_warm)
        self.last = None if settled else reach
        self.shape = settings.shape
        self.single = starts.size == 1
        self.size, self.warm = float(size), float(warm)  # the first cycle's, when single
        self.starts, self.sizes, self.warmups = (
            constant(a, dtype=torch.int64) for a in (starts, sizes, warmups)
        )
        self.has_warmup = bool(warmups.max() > 0)
        # S_k and E_k, multiplied once a cycle (ignite's ``*=``), listed to max_step's cycle.
        count = None
        if max_step is not None:
            count = int(cycle_positions(np.array([max_step], np.int64), settings).cycle[0]) + 2
        self.start_value, self.end_value = start, end = settings.start_value, settings.end_value
        self.start_values = _products(start, settings.start_value_mult, max_step, count)
        self.end_values = _products(end, settings.end_value_mult, max_step, count)

    def evaluate(self, t: Any) -> Values:
        import torch

        from ._torch import gather_clamped

        events = t.to(torch.int64)
        if self.single:
            cycle = torch.div(events, int(self.size + self.warm), rounding_mode="floor")
            local = events - cycle * int(self.size + self.warm)
            size: Any = self.size
            warm: Any = self.warm
        else:
            listed = torch.searchsorted(self.starts, events, right=True) - 1
            within = events - self.starts[listed]
            length = self.sizes[listed] + self.warmups[listed]
            periods = torch.div(within, length, rounding_mode="floor")
            local, cycle = within - periods * length, listed + periods
            size = self.sizes[listed].to(torch.float64)
            warm = self.warmups[listed].to(torch.float64)
        e = local.to(torch.float64)
        before_end = e < size
        if self.start_values is None:
            s: Any = self.start_value
            s_next: Any = self.start_value
        else:
            s_next = gather_clamped(self.start_values, cycle + 1)
            s = torch.where(before_end, gather_clamped(self.start_values, cycle), s_next)
        end: Any = (
            self.end_value if self.end_values is None else gather_clamped(self.end_values, cycle)
        )
        if self.shape == "cos":
            value = s + ((end - s) / 2) * (1 - torch.cos(math.pi * (e / size)))
        elif self.shape == "linear":
            value = end + (s - end) * torch.abs(e / size - 0.5) * 2
        else:
            value = s + (end - s) * (e / size)
        if self.has_warmup:
            most = max(warm, 1.0) if isinstance(warm, float) else torch.clamp_min(warm, 1.0)
            warmup_progress = (e - size) / most
            value = torch.where(e > size, end + (s_next - end) * warmup_progress, value)
        return Values(value[:, None], None)


def _products(first: float, mult: float, max_step: int | None, count: int | None) -> Any:
    """``first * mult**k`` rounded after every product (ignite's ``*=``) as a tensor,
    ``count`` of them or until they stay; None when ``mult`` is 1."""
    from ._torch import constant, listed_up_to

    if mult == 1.0:
        return None
    what = f"a value multiplied by {mult:g} every cycle"
    return constant(listed_up_to(first, lambda x, _: x * mult, what, max_step, count))


# --------------------------------------------------------------------------- public


def cosine_annealing_schedule(
    steps: Steps,
    *,
    start_value: float,
    end_value: float,
    cycle_size: int,
    cycle_mult: float = 1.0,
    start_value_mult: float = 1.0,
    end_value_mult: float = 1.0,
    warmup_duration: int = 0,
    exact: bool = False,
) -> Any:
    r"""ignite 0.5.5's ``CosineAnnealingScheduler`` value at ``steps`` (events; random access).

    Cycle ``k`` anneals over its ``C_k`` events (``e`` counts from 0 inside it)

    .. math:: v = S_k + \frac{E_k - S_k}{2} \left(1 - \cos\frac{\pi e}{C_k}\right)

    then, with ``warmup_duration``, ``W_k`` events go linearly back from ``E_k`` to the
    next start value. After every cycle ``C`` and ``W`` become ``int(x * cycle_mult)``
    and the start/end values are multiplied by ``start_value_mult`` / ``end_value_mult``.

    Args:
        steps: an event index (int >= 0) or an array of them; event ``n`` is the value
            the ``(n+1)``-th handler call writes (ignite's convention). A torch tensor
            of them gives a float64 tensor on its device (the torch path,
            :mod:`lr_one_cycle.schedules._protocol`; :class:`CyclicalOnTensors`).
        start_value, end_value, cycle_size, cycle_mult, start_value_mult,
        end_value_mult, warmup_duration: as ignite's.
        exact: arrays bitwise equal to ignite (``math.cos`` per element) rather than
            ``numpy.cos`` (within a few ulp).

    Returns:
        A float for one event, else an array of the shape of ``steps``.

    Raises:
        ValueError, TypeError: a bad setting (``cycle_size`` < 2, ``cycle_mult`` < 1,
        ...) or event, naming it.

    References:
        Loshchilov & Hutter, "SGDR", arXiv 1608.03983; ignite's
        ``handlers/param_scheduler.py``.

    >>> cosine_annealing_schedule(
    ...     [0, 1, 2, 3, 4], start_value=1.0, end_value=0.0, cycle_size=4).round(3).tolist()
    [1.0, 0.854, 0.5, 0.146, 1.0]
    """
    settings = {
        "shape": "cos", "start_value": start_value, "end_value": end_value,
        "cycle_size": cycle_size, "cycle_mult": cycle_mult,
        "start_value_mult": start_value_mult, "end_value_mult": end_value_mult,
        "warmup_duration": warmup_duration,
    }
    return evaluate(CyclicalSchedule, settings, steps, exact=exact)[0]


def linear_cyclical_schedule(
    steps: Steps,
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
) -> Any:
    r"""ignite 0.5.5's ``LinearCyclicalScheduler`` value at ``steps`` (events; random access).

    Cycle ``k`` goes linearly from ``S_k`` to ``E_k`` at mid-cycle and back,

    .. math:: v = E_k + (S_k - E_k) \left|\frac{e}{C_k} - 0.5\right| \cdot 2

    or, with ``monotonic=True``, once, ``S_k + (E_k - S_k) * (e / C_k)``, which may then
    warm up over ``warmup_duration`` events back to the next start value. Cycle growth
    and multipliers as in :func:`cosine_annealing_schedule`. No transcendental function,
    so always exact (``exact`` is accepted for symmetry).

    Args:
        steps: an event index, an array or a torch tensor of them (see
            :func:`cosine_annealing_schedule`; events: :mod:`lr_one_cycle.schedules`).
        monotonic: go from start to end once per cycle.

    Returns:
        A float for one event, else an array of the shape of ``steps``.

    Raises:
        ValueError, TypeError: a bad setting or event, naming it.

    References:
        Smith, "Cyclical Learning Rates for Training Neural Networks", arXiv 1506.01186.

    >>> linear_cyclical_schedule([0, 1, 2, 3, 4], start_value=1.0, end_value=0.0, cycle_size=4)
    array([1. , 0.5, 0. , 0.5, 1. ])
    """
    shape = "monotonic" if v.as_bool("monotonic", monotonic) else "linear"
    settings = {
        "shape": shape, "start_value": start_value, "end_value": end_value,
        "cycle_size": cycle_size, "cycle_mult": cycle_mult,
        "start_value_mult": start_value_mult, "end_value_mult": end_value_mult,
        "warmup_duration": warmup_duration,
    }
    return evaluate(CyclicalSchedule, settings, steps, exact=exact)[0]
