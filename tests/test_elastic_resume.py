"""Elastic resume: ``resume_with`` continues the cycle over a new run length (1cycle)
or with new cycle lengths (the cosine family), from the same point of the cycle."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lr_one_cycle import (
    CosineAnnealingScheduler,
    CosineAnnealingWarmRestarts,
    LinearCyclicalScheduler,
    OneCycleLR,
    one_cycle_schedule,
    warm_restarts_schedule,
)
from lr_one_cycle.schedules.cyclical import cycle_positions
from lr_one_cycle.schedules.resume import resume_knots, resume_positions
from lr_one_cycle.schedules.warm_restarts import restart_positions


def resume_position(step: int, knots) -> float:
    """The scalar map, one step at a time (the array path must agree bit for bit)."""
    return float(resume_positions(np.array([step]), knots)[0])

MAX_LR = 0.1
MIN_LR = MAX_LR / 25.0 / 1e4


def _optimizer() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0, momentum=0.9)


def _run(scheduler: OneCycleLR, until: int) -> tuple[list[float], list[float]]:
    """Step ``scheduler`` up to step ``until``; the lr and momentum of every step from
    the current one on, as written into the optimizer."""
    lrs: list[float] = []
    moms: list[float] = []
    group = scheduler.optimizer.param_groups[0]
    while True:
        lrs.append(group["lr"])
        moms.append(group["momentum"])
        if scheduler.last_epoch == until:
            return lrs, moms
        scheduler.step()


def _round_trip(state: dict[str, Any]) -> dict[str, Any]:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def _is_unimodal(values: list[float]) -> bool:
    peak = int(np.argmax(values))
    diffs = np.diff(values)
    return bool(np.all(diffs[:peak] >= 0) and np.all(diffs[peak:] <= 0))


def test_resume_1000_step_run_at_300_as_1500_continues_smoothly_to_min_lr() -> None:
    """The issue's case: no jump at the switch (bitwise the same values), the lr moves
    more slowly than before the switch, the peak is reached once, and the last update
    (step 1499) and step 1500 hold min_lr."""
    scheduler = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=1000)
    before_lr, before_mom = _run(scheduler, 300)
    scheduler.resume_with(total_steps=1500)
    after_lr, after_mom = _run(scheduler, 1500)

    assert (after_lr[0], after_mom[0]) == (before_lr[-1], before_mom[-1])
    original_change = abs(
        one_cycle_schedule(301, max_lr=MAX_LR, total_steps=1000)[0] - before_lr[-1]
    )
    assert 0 < abs(after_lr[1] - after_lr[0]) <= original_change
    lrs = before_lr + after_lr[1:]
    assert len(lrs) == 1501
    assert lrs[1499] == lrs[1500] == MIN_LR
    assert lrs.count(MAX_LR) == 1 and _is_unimodal(lrs)
    assert after_mom[-1] == 0.95


def test_resume_records_the_run_and_reloads_it_exactly_from_either_length() -> None:
    """state_dict of a resumed scheduler survives torch.save/torch.load(weights_only=True);
    schedulers built with the original (1000) or the new (1500) length both restore it."""
    scheduler = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=1000)
    _run(scheduler, 300)
    scheduler.resume_with(total_steps=1500)
    _run(scheduler, 700)
    state = _round_trip(scheduler.state_dict())
    assert state["total_steps"] == 1500 and state["cycle_total_steps"] == 1000
    assert state["resume_knots"] == [[0, 0.0], [300, 300.0], [1499, 999.0]]
    expected = _run(scheduler, 1500)
    for built_with in (1000, 1500):
        restored = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=built_with)
        restored.load_state_dict(state)
        assert restored.total_steps == 1500 and restored.last_epoch == 700
        assert _run(restored, 1500) == expected


def test_loading_a_state_of_another_length_points_to_resume_with() -> None:
    saved = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=1000)
    saved.step()
    other = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=1500)
    with pytest.raises(
        ValueError,
        match=r"^state_dict was saved for another schedule; these settings differ: total_steps "
        r"\(saved 1000, here 1500\); to continue the saved run over 1500 steps, build the "
        r"scheduler with total_steps=1000, load the state, then call "
        r"resume_with\(total_steps=1500\)$",
    ):
        other.load_state_dict(saved.state_dict())
    assert other.last_epoch == 0


def test_state_saved_without_resume_keys_still_loads() -> None:
    """States written before resume_with existed have no resume keys: a run never resumed."""
    saved = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=100)
    _run(saved, 40)
    state = {
        k: v
        for k, v in saved.state_dict().items()
        if k not in ("cycle_total_steps", "resume_knots")
    }
    restored = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=100)
    restored.load_state_dict(state)
    assert _run(restored, 100) == _run(saved, 100)


def test_resuming_twice_stays_continuous_and_ends_on_min_lr() -> None:
    """1000 steps, resumed at 300 as 1500, then at 800 as 1200 (shrinking)."""
    scheduler = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=1000)
    lrs, _ = _run(scheduler, 300)
    for switch, total in ((300, 1500), (800, 1200)):
        if scheduler.last_epoch < switch:
            lrs += _run(scheduler, switch)[0][1:]
        at_switch = scheduler.get_last_lr()
        scheduler.resume_with(total_steps=total)
        assert scheduler.get_last_lr() == at_switch
    lrs += _run(scheduler, 1200)[0][1:]
    assert len(lrs) == 1201 and lrs[-2:] == [MIN_LR, MIN_LR]
    assert _is_unimodal(lrs)
    assert [k for k, _ in scheduler.resume_knots] == [0, 300, 800, 1199]


def test_resume_with_the_current_length_changes_nothing() -> None:
    scheduler = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=100)
    _run(scheduler, 30)
    before = scheduler.state_dict()
    scheduler.resume_with(epochs=10, steps_per_epoch=10)
    assert scheduler.state_dict() == before and scheduler.resume_knots == []


def test_resume_after_the_cycle_ended_holds_the_final_values() -> None:
    scheduler = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=50, three_phase=True)
    _run(scheduler, 50)
    scheduler.resume_with(total_steps=60)
    lrs, moms = _run(scheduler, 60)
    assert set(lrs) == {MIN_LR} and set(moms) == {0.95}
    scheduler.resume_with(total_steps=60)


@pytest.mark.parametrize(
    ("total", "error", "message"),
    [
        (
            299,
            ValueError,
            r"^total_steps must be >= 302, the steps already taken \(last_epoch=300\) and 2 more to "
            r"finish the cycle; got 299$",
        ),
        (
            301,
            ValueError,
            r"^total_steps must be >= 302, to finish the cycle after step 300: the current step "
            r"keeps its values and at least one more step is needed to reach the final value; "
            r"got 301$",
        ),
        (0, ValueError, r"^total_steps must be a positive integer, got 0$"),
        (1500.5, ValueError, r"^total_steps must be a positive integer, got 1500.5$"),
        ("1500", TypeError, r"^total_steps must be a positive integer, got '1500' of type str$"),
    ],
)
def test_bad_resume_requests_are_refused_and_change_nothing(
    total: Any, error: type[Exception], message: str
) -> None:
    scheduler = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=1000)
    _run(scheduler, 300)
    before = scheduler.state_dict()
    lr_before = scheduler.optimizer.param_groups[0]["lr"]
    with pytest.raises(error, match=message):
        scheduler.resume_with(total_steps=total)
    assert scheduler.state_dict() == before
    assert scheduler.optimizer.param_groups[0]["lr"] == lr_before
    assert _run(scheduler, 1000)[0][-1] == MIN_LR


def test_corrupt_resume_knots_are_refused_on_load() -> None:
    scheduler = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=100)
    _run(scheduler, 10)
    scheduler.resume_with(total_steps=150)
    state = scheduler.state_dict()
    state["resume_knots"] = [[0, 0.0], [10, 12.0], [5, 99.0]]
    fresh = OneCycleLR(_optimizer(), max_lr=MAX_LR, total_steps=100)
    with pytest.raises(ValueError, match=r"^state_dict\['resume_knots'\] must start at \[0, 0.0\]"):
        fresh.load_state_dict(state)
    assert fresh.total_steps == 100 and fresh.last_epoch == 0


@st.composite
def _resumes(draw: st.DrawFn) -> tuple[int, int, int, bool, str]:
    cycle = draw(st.integers(2, 300))
    step = draw(st.integers(0, cycle))
    finished = step >= cycle - 1
    total = draw(st.integers(step if finished else step + 2, 3 * cycle + 2))
    return cycle, step, total, draw(st.booleans()), draw(st.sampled_from(["cos", "linear"]))


@settings(max_examples=100, deadline=None)
@given(_resumes())
def test_any_resume_keeps_the_past_the_switch_and_the_shape(
    case: tuple[int, int, int, bool, str],
) -> None:
    """Over cycle lengths, positions and new lengths: steps up to the switch keep their
    values bit for bit, the last update and the final step hold the final values, the lr
    passes its peak once, and the state round trip reproduces the resumed run."""
    cycle, step, total, three_phase, strategy = case
    kwargs: dict[str, Any] = {
        "max_lr": MAX_LR,
        "three_phase": three_phase,
        "anneal_strategy": strategy,
    }
    scheduler = OneCycleLR(_optimizer(), total_steps=cycle, **kwargs)
    before_lr, before_mom = _run(scheduler, step)
    scheduler.resume_with(total_steps=total)
    state = _round_trip(scheduler.state_dict())
    after_lr, after_mom = _run(scheduler, total)

    assert (after_lr[0], after_mom[0]) == (before_lr[-1], before_mom[-1])
    final = one_cycle_schedule(cycle, total_steps=cycle, **kwargs)
    assert (after_lr[-1], after_mom[-1]) == final
    if total - 1 >= step:
        assert (after_lr[total - 1 - step], after_mom[total - 1 - step]) == final
    assert _is_unimodal(before_lr + after_lr[1:])

    restored = OneCycleLR(_optimizer(), total_steps=cycle, **kwargs)
    restored.load_state_dict(state)
    assert _run(restored, total) == (after_lr, after_mom)
    restored.step(epoch=step)
    assert restored.get_last_lr() == [before_lr[-1]]


@settings(max_examples=60, deadline=None)
@given(_resumes(), st.integers(1, 4))
def test_resume_positions_advance_evenly_and_the_array_path_is_bitwise_scalar(
    case: tuple[int, int, int, bool, str], later: int
) -> None:
    """After a switch the cycle advances by the same amount every step (the rest of the
    cycle spread evenly), and the vectorised map equals the scalar one bit for bit."""
    cycle, step, total, _, _ = case
    knots = resume_knots((), step=step, total_steps=total, final=cycle - 1, offset=1)
    if step + later < total - 1:
        knots = resume_knots(
            knots, step=step + later, total_steps=total + later, final=cycle - 1, offset=1
        )
    steps = np.arange(total + later + 1)
    positions = resume_positions(steps, knots)
    assert positions.tolist() == [resume_position(int(s), knots) for s in steps]
    assert positions[: step + 1].tolist() == list(range(step + 1))
    assert np.all(np.diff(positions) >= 0) and positions[-1] >= cycle - 1
    tail = np.diff(positions[knots[-2][0] : knots[-1][0] + 1])
    assert np.allclose(tail, tail[0], rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- cosine family


def _sgd() -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)


def test_warm_restarts_resumed_with_a_longer_cycle_carries_on_and_restarts_later() -> None:
    """SGDR with T_0=100, at step 150 (half way through cycle 1), resumed with T_0=150:
    the lr carries over, the cycle ends after half of 150 steps, and the state loads into
    a scheduler built with T_0=150."""
    scheduler = CosineAnnealingWarmRestarts(_sgd(), T_0=100, eta_min=0.001)
    for _ in range(150):
        scheduler.step()
    before = scheduler.get_last_lr()
    scheduler.resume_with(T_0=150)
    assert scheduler.get_last_lr() == before
    assert (scheduler.position, scheduler.T_cur, scheduler.T_i) == (225, 75.0, 150.0)
    state = _round_trip(scheduler.state_dict())
    for _ in range(75):
        scheduler.step()
    assert scheduler.T_cur == 0.0 and scheduler.get_last_lr() == [
        warm_restarts_schedule(300, base_lr=0.1, T_0=150, eta_min=0.001)
    ]
    restored = CosineAnnealingWarmRestarts(_sgd(), T_0=150, eta_min=0.001)
    restored.load_state_dict(state)
    assert restored.get_last_lr() == before


def test_ignite_cosine_resumed_with_a_longer_cycle_continues_from_the_same_fraction() -> None:
    """cycle_size=100 at event 130 (30% into cycle 1) resumed with cycle_size=150: event
    195 (30% into cycle 1 of the new layout), the same next value, the next cycle 105
    events later."""
    scheduler = CosineAnnealingScheduler(_sgd(), "lr", 0.1, 0.001, cycle_size=100)
    for _ in range(130):
        scheduler()
    before = scheduler.get_param()
    scheduler.resume_with(cycle_size=150)
    assert (scheduler.event_index, scheduler.get_param()) == (195, before)
    state = _round_trip(scheduler.state_dict())
    for _ in range(105):
        scheduler()
    assert scheduler.get_param() == 0.1
    restored = CosineAnnealingScheduler(_sgd(), "lr", 0.1, 0.001, cycle_size=150)
    restored.load_state_dict(state)
    assert restored.get_param() == before


def test_linear_cyclical_resume_keeps_the_fraction_of_the_warm_up() -> None:
    scheduler = LinearCyclicalScheduler(
        _sgd(), "lr", 0.1, 0.0, cycle_size=10, monotonic=True, warmup_duration=4
    )
    for _ in range(12):  # 2 events into the 4-event warm-up of cycle 0
        scheduler()
    scheduler.resume_with(cycle_size=20, warmup_duration=8)
    assert scheduler.event_index == 24  # 4 events into the 8-event warm-up


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda s: s.resume_with(T_0=4),
            ValueError,
            r"^warmup_steps must be smaller than T_0 \(4\): the warm-up is part of every "
            r"cycle, got 5$",
        ),
        (
            lambda s: s.resume_with(T_0=20, warmup_steps=0),
            ValueError,
            r"^warmup_steps must be > 0 to resume inside a warm-up \(position 12 is 2 steps "
            r"into the warm-up of cycle 1\), got 0$",
        ),
        (
            lambda s: s.resume_with(T_0=2.5),
            ValueError,
            r"^T_0 must be a positive integer, got 2.5$",
        ),
    ],
)
def test_bad_warm_restarts_resumes_are_refused_and_change_nothing(
    call: Any, error: type[Exception], message: str
) -> None:
    scheduler = CosineAnnealingWarmRestarts(_sgd(), T_0=10, warmup_steps=5)
    for _ in range(12):
        scheduler.step()
    before = scheduler.state_dict()
    with pytest.raises(error, match=message):
        call(scheduler)
    assert scheduler.state_dict() == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cycle_size": 1}, r"^cycle_size must be an integer >= 2, got 1$"),
        (
            {"cycle_size": 20, "warmup_duration": 0},
            r"^warmup_duration must be > 0 to resume inside a warm-up \(event 12 is 2 events "
            r"into the warm-up of cycle 0\), got 0$",
        ),
    ],
)
def test_bad_cyclical_resumes_are_refused_and_change_nothing(
    kwargs: dict[str, Any], message: str
) -> None:
    scheduler = CosineAnnealingScheduler(_sgd(), "lr", 0.1, 0.0, cycle_size=10, warmup_duration=4)
    for _ in range(12):
        scheduler()
    before = scheduler.state_dict()
    with pytest.raises(ValueError, match=message):
        scheduler.resume_with(**kwargs)
    assert scheduler.state_dict() == before


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 60),
    st.sampled_from([1, 2, 1.5]),
    st.data(),
    st.integers(0, 400),
    st.integers(2, 120),
    st.sampled_from([1.0, 0.7]),
)
def test_any_warm_restarts_resume_keeps_the_cycle_the_phase_fraction_and_the_lr(
    t0: int, t_mult: float, data: st.DataObject, steps: int, new_t0: int, decay: float
) -> None:
    warmup = data.draw(st.integers(0, t0 - 1))
    new_warmup = data.draw(st.integers(1, new_t0 - 1)) if warmup else 0
    scheduler = CosineAnnealingWarmRestarts(
        _sgd(), T_0=t0, T_mult=t_mult, eta_min=0.001, decay=decay, warmup_steps=warmup
    )
    for _ in range(steps):
        scheduler.step()
    before_lr, before_cycle = (
        scheduler.get_last_lr(),
        restart_positions(np.array([float(scheduler.position)]), scheduler.schedule)[0][0],
    )
    before_fraction = _sgdr_phase_fraction(scheduler)
    scheduler.resume_with(T_0=new_t0, warmup_steps=new_warmup)
    after_cycle = restart_positions(np.array([float(scheduler.position)]), scheduler.schedule)[0][
        0
    ]
    assert after_cycle == before_cycle
    assert _sgdr_phase_fraction(scheduler) == pytest.approx(before_fraction, abs=1e-9)
    assert scheduler.get_last_lr() == pytest.approx(before_lr, rel=1e-9, abs=1e-12)
    state = _round_trip(scheduler.state_dict())
    restored = CosineAnnealingWarmRestarts(
        _sgd(), T_0=new_t0, T_mult=t_mult, eta_min=0.001, decay=decay, warmup_steps=new_warmup
    )
    restored.load_state_dict(state)
    for _ in range(5):
        scheduler.step()
        restored.step()
    assert restored.get_last_lr() == scheduler.get_last_lr()


def _sgdr_phase_fraction(scheduler: CosineAnnealingWarmRestarts) -> tuple[bool, float]:
    t_cur, t_i, warm = scheduler.T_cur, scheduler.T_i, scheduler.warmup_steps
    if t_cur < warm:
        return True, t_cur / warm
    return False, (t_cur - warm) / (t_i - warm)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 40),
    st.sampled_from([1.0, 1.5, 2.0]),
    st.integers(0, 6),
    st.integers(0, 300),
    st.integers(2, 80),
    st.integers(1, 8),
)
def test_any_cyclical_resume_takes_the_nearest_event_at_the_same_fraction(
    size: int, mult: float, warmup: int, events: int, new_size: int, new_warmup: int
) -> None:
    """Same cycle index, same phase, and the fraction of the phase within half an event
    of the new layout (the nearest event)."""
    scheduler = CosineAnnealingScheduler(
        _sgd(), "lr", 0.1, 0.001, cycle_size=size, cycle_mult=mult, warmup_duration=warmup
    )
    for _ in range(events):
        scheduler()
    old = cycle_positions(np.array([scheduler.event_index]), scheduler.schedule)
    scheduler.resume_with(cycle_size=new_size, warmup_duration=new_warmup if warmup else 0)
    new = cycle_positions(np.array([scheduler.event_index]), scheduler.schedule)
    assert new.cycle[0] == old.cycle[0]
    (c, w, e), (c2, w2, e2) = (
        (int(p.sizes[p.listed[0]]), int(p.warmups[p.listed[0]]), int(p.local[0]))
        for p in (old, new)
    )
    assert (e < c) == (e2 < c2)
    if e < c:
        assert abs(e2 / c2 - e / c) <= 0.5 / c2 + 1e-12 or e2 == c2 - 1
    else:
        assert abs((e2 - c2) / w2 - (e - c) / w) <= 0.5 / w2 + 1e-12 or e2 == c2 + w2 - 1
