"""join_schedules, with_warmup and warmup_cosine_schedule (lr_one_cycle/schedules/compose.py):
each step is its part's value at the local step (hypothesis over boundaries and lengths),
array path against scalar path, the momentum a join holds, elastic resume, ignite's
warm-up and transformers' cosine-with-warm-up as oracles, and bad joins refused."""

from __future__ import annotations

import doctest
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.handlers.param_scheduler import create_lr_scheduler_with_warmup

import lr_one_cycle.schedules.compose as compose_module
from lr_one_cycle import (
    CyclicLR,
    OneCycleLR,
    WarmupStableDecayLR,
    join_schedules,
    warmup_cosine_schedule,
    with_warmup,
)
from lr_one_cycle.schedules import (
    ConstantSchedule,
    CyclicSchedule,
    JoinedSchedule,
    OneCycleSchedule,
    RampSchedule,
    WarmRestartsSchedule,
    WarmupStableDecaySchedule,
)

# ------------------------------------------------------------------ parts for hypothesis


def part(kind: str, length: int, groups: int, seed: int):
    """A schedule of the given kind valid on local steps 0..length-1 at least."""
    lrs = [0.05 * (g + 1 + seed % 3) for g in range(groups)]
    if kind == "one_cycle":
        return OneCycleSchedule(max_lr=lrs, total_steps=length, pct_start=0.3 + 0.1 * (seed % 3))
    if kind == "cyclic":
        return CyclicSchedule(
            base_lr=[x / 10 for x in lrs], max_lr=lrs, step_size_up=1 + seed % 5,
            mode=["triangular", "triangular2", "exp_range"][seed % 3], gamma=0.99,
        )
    if kind == "ramp":
        return RampSchedule(start=[0.0] * groups, end=lrs, steps=length, shape=["linear", "cos"][seed % 2])
    if kind == "sgdr":
        return WarmRestartsSchedule(base_lr=lrs, T_0=1 + seed % 7)
    if kind == "wsd":
        w, d = length // 4, length // 3
        return WarmupStableDecaySchedule(
            peak_lr=lrs, warmup_steps=w, stable_steps=length - w - d, decay_steps=d
        )
    return ConstantSchedule(lr=lrs)


KINDS = ["one_cycle", "cyclic", "ramp", "sgdr", "wsd", "constant"]


@st.composite
def joins(draw):
    groups = draw(st.integers(1, 3))
    n = draw(st.integers(1, 4))
    kinds = [draw(st.sampled_from(KINDS)) for _ in range(n)]
    spans = [draw(st.integers(1, 40)) for _ in range(n)]
    parts = [part(k, s, groups, draw(st.integers(0, 100))) for k, s in zip(kinds, spans)]
    boundaries = np.cumsum(spans[:-1]).tolist()
    return parts, boundaries


def expected_values(parts, boundaries, steps):
    """Each step's values from its part at its local step, one step at a time."""
    starts = [0, *boundaries]
    out = []
    for k in steps:
        i = int(np.searchsorted(boundaries, k, side="right"))
        out.append(parts[i].at(int(k) - starts[i])[0])
    return out


@settings(max_examples=80, deadline=None)
@given(joins())
def test_every_step_is_its_parts_value_at_the_local_step(join_case) -> None:
    parts, boundaries = join_case
    joined = join_schedules(parts, boundaries)
    top = joined.last_step
    if top is None:
        top = (boundaries[-1] if boundaries else 0) + 30
    steps = np.arange(top + 1)
    groups = joined.n_groups
    expected = [lrs * (groups // len(lrs)) for lrs in expected_values(parts, boundaries, steps)]
    assert joined.values(steps, exact=True).lr.tolist() == expected


@settings(max_examples=60, deadline=None)
@given(joins(), st.randoms(use_true_random=False))
def test_array_path_is_the_scalar_path_in_any_order(join_case, random) -> None:
    parts, boundaries = join_case
    joined = join_schedules(parts, boundaries)
    top = joined.last_step if joined.last_step is not None else (boundaries[-1] if boundaries else 0) + 25
    steps = list(range(top + 1))
    random.shuffle(steps)
    values = joined.values(np.array(steps), exact=True)
    for i, k in enumerate(steps):
        lrs, momentums = joined.at(k)
        assert values.lr[i].tolist() == lrs
        if momentums is not None:
            assert values.momentum[i].tolist() == momentums
    fast = joined.values(np.array(steps)).lr
    np.testing.assert_allclose(fast, values.lr, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("exact", [False, True])
def test_a_long_join_computed_in_blocks_is_bitwise_its_parts_in_one_call(groups, exact) -> None:
    """Sorted steps are evaluated a block at a time (compose._BLOCK); parts spanning many
    blocks, and boundaries inside a block, give the bits of one call per part."""
    block = max(1024, compose_module._BLOCK // groups)
    spans = [block // 3, 2 * block + 17, 3 * block + 5]
    parts = [part(kind, span, groups, 7) for kind, span in zip(["ramp", "one_cycle", "cyclic"], spans)]
    boundaries = np.cumsum(spans[:-1]).tolist()
    joined = join_schedules(parts, boundaries)
    steps = np.arange(sum(spans))
    got = joined.values(steps, exact=exact)
    starts = [0, *boundaries]
    whole = [p.values(np.arange(span), exact=exact) for p, span in zip(parts, spans)]
    assert got.lr.tolist() == np.concatenate([w.lr for w in whole]).tolist()
    assert got.momentum[starts[1]:].tolist() == np.concatenate([w.momentum for w in whole[1:]]).tolist()
    assert got.momentum[: starts[1]].tolist() == [whole[1].momentum[0].tolist()] * spans[0]


def test_a_part_without_momentum_holds_the_one_in_force_when_it_starts() -> None:
    first = OneCycleSchedule(max_lr=0.1, total_steps=10)
    second = CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size_up=3, base_momentum=0.7)
    joined = join_schedules(
        [RampSchedule(start=0.0, end=0.004, steps=5), first, ConstantSchedule(lr=0.01), second],
        [5, 13, 20],
    )
    momentum = joined.values(np.arange(30), exact=True).momentum[:, 0].tolist()
    assert momentum[:5] == [first.at(0)[1][0]] * 5  # before any part that cycles one
    assert momentum[5:13] == [first.at(k)[1][0] for k in range(8)]
    assert momentum[13:20] == [first.at(7)[1][0]] * 7  # the last value the 1cycle gave
    assert momentum[20:] == [second.at(k)[1][0] for k in range(10)]
    assert join_schedules([ConstantSchedule(lr=0.1), RampSchedule(0.0, 1.0, 3)], [2]).at(0)[1] is None


def test_parts_for_one_group_are_spread_over_the_others() -> None:
    joined = join_schedules(
        [ConstantSchedule(lr=0.5), OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=5)], [3]
    )
    assert joined.n_groups == 2
    assert joined.at(1)[0] == [0.5, 0.5]
    assert joined.at(4)[0] == OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=5).at(1)[0]


def test_steps_past_a_fixed_length_end_are_refused_and_an_open_end_has_none() -> None:
    joined = join_schedules([ConstantSchedule(lr=0.5), OneCycleSchedule(max_lr=0.1, total_steps=5)], [3])
    assert joined.last_step == 8
    with pytest.raises(ValueError) as caught:
        joined.values([0, 9])
    assert str(caught.value) == "steps must be in 0..8 (total_steps=8), got values from 0 to 9"
    assert join_schedules([OneCycleSchedule(max_lr=0.1, total_steps=5), ConstantSchedule(lr=0.5)], [5]).last_step is None


ONE_CYCLE_10 = OneCycleSchedule(max_lr=0.1, total_steps=10)


@pytest.mark.parametrize(
    ("schedules", "boundaries", "error", "message"),
    [
        ([], [], ValueError, "schedules must be a non-empty list of schedules, got an empty list"),
        (
            [ONE_CYCLE_10, "cosine"],
            [5],
            TypeError,
            "schedules[1] must be a Schedule of lr_one_cycle.schedules, got 'cosine' of type str",
        ),
        (
            [ONE_CYCLE_10, ConstantSchedule(lr=0.1)],
            [5, 8],
            ValueError,
            "boundaries must be one value between each two schedules (1), got 2 for 2 schedules",
        ),
        (
            [ONE_CYCLE_10, ConstantSchedule(lr=0.1), ConstantSchedule(lr=0.2)],
            [5, 5],
            ValueError,
            "boundaries[1] must be an integer > 5 (boundaries[0]): they must increase, got 5",
        ),
        (
            [ONE_CYCLE_10, ConstantSchedule(lr=0.1)],
            [0],
            ValueError,
            "boundaries[0] must be a positive integer, got 0",
        ),
        (
            [ONE_CYCLE_10, ConstantSchedule(lr=0.1)],
            [12],
            ValueError,
            "schedules[0] must be a schedule covering its span, steps 0..11 (12 steps), got "
            "one of steps 0..10 (total_steps=10); end its span at 11 or lengthen it",
        ),
        (
            [OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=10), ConstantSchedule(lr=[1.0, 2.0, 3.0])],
            [10],
            ValueError,
            "schedules[1] must be a schedule for 2 parameter groups (as schedules[0]) or for "
            "one, got one for 3 parameter groups",
        ),
    ],
)
def test_bad_joins_are_refused_naming_the_argument(schedules, boundaries, error, message):
    with pytest.raises(error) as caught:
        join_schedules(schedules, boundaries)
    assert str(caught.value) == message


# ------------------------------------------------------------------ elastic resume


@settings(max_examples=60, deadline=None)
@given(
    spans=st.lists(st.integers(3, 30), min_size=2, max_size=4),
    at=st.floats(0.0, 1.0),
    factor=st.floats(1.0, 3.0),
)
def test_resume_spreads_the_steps_left_in_proportion_and_keeps_the_past(spans, at, factor):
    parts = [OneCycleSchedule(max_lr=0.1 * (i + 1), total_steps=s) for i, s in enumerate(spans)]
    boundaries = np.cumsum(spans[:-1]).tolist()
    joined = join_schedules(parts, boundaries)
    last = joined.last_step
    k = int(at * (last - 1))
    total = int(k + (last - k) * factor)
    resumed, position = joined.resumed(k, total_steps=total)
    assert position == k and resumed.last_step == total
    for b, new in zip(boundaries, resumed.boundaries):
        share = Fraction(b - k) * (total - k) / (last - k) + Fraction(1, 2)
        assert new == (b if b <= k else k + math.floor(share))
    past = np.arange(k + 1)
    assert resumed.values(past, exact=True).lr.tolist() == joined.values(past, exact=True).lr.tolist()
    starts = [0, *resumed.boundaries]
    for i, schedule in enumerate(resumed.schedules):
        if starts[i] > k:  # parts ahead start from their first value, as before
            assert schedule.at(0) == parts[i].at(0)
    assert resumed.at(total) == joined.at(last)  # and the run ends on the same value


def test_a_shorter_run_squeezes_the_parts_left() -> None:
    joined = join_schedules([ONE_CYCLE_10, OneCycleSchedule(max_lr=0.2, total_steps=30)], [10])
    resumed, _ = joined.resumed(4, total_steps=24)
    assert resumed.boundaries == (7,)  # 4 + round(6 * 20 / 36)
    assert resumed.at(4) == joined.at(4) and resumed.at(24) == joined.at(40)


def test_a_warm_up_keeps_its_length_when_the_run_is_lengthened() -> None:
    warmed = with_warmup(OneCycleSchedule(max_lr=0.1, total_steps=100), 10)
    for k in (3, 10, 50):
        resumed, _ = warmed.resumed(k, total_steps=210)
        assert resumed.boundaries == (10,) and resumed.last_step == 210
        assert resumed.at(k) == warmed.at(k)


class FixedConstant(ConstantSchedule):
    """A schedule of fixed length without an elastic resume."""

    @property
    def last_step(self) -> int:
        return 20


def test_resume_refusals_name_the_problem_and_change_nothing() -> None:
    joined = join_schedules([ONE_CYCLE_10, CyclicSchedule(base_lr=0.01, max_lr=0.1)], [10])
    with pytest.raises(ValueError, match="^total_steps cannot change: the last part has no end"):
        joined.resumed(3, total_steps=50)
    fixed = join_schedules([ONE_CYCLE_10, ONE_CYCLE_10], [10])
    with pytest.raises(ValueError) as caught:
        fixed.resumed(5, total_steps=6)
    assert str(caught.value) == "total_steps=6 leaves part 0 (from step 0) no step; give a longer run"
    with pytest.raises(TypeError) as caught:
        join_schedules([FixedConstant(lr=0.1), ONE_CYCLE_10], [10]).resumed(3, total_steps=30)
    assert str(caught.value) == (
        "part 0 (FixedConstant, from step 0) cannot take 24 steps: FixedConstant has no "
        "elastic resume"
    )
    with pytest.raises(TypeError, match="^resume_with\\(\\) takes total_steps, got unexpected"):
        fixed.resumed(3, T_0=5)
    assert fixed.last_step == 20 and fixed.boundaries == (10,)  # frozen: nothing changed


# ------------------------------------------------------------------ with_warmup


def ignite_warmup(make, warmup_steps: int, start: float, n_events: int, n_groups: int):
    """ignite 0.5.5's create_lr_scheduler_with_warmup around our scheduler, run for real
    (its warmup_duration counts the event that reaches the scheduler's first value)."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(n_groups)]
    opt = torch.optim.SGD([{"params": [p]} for p in params], lr=0.5, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(opt)
        combined = create_lr_scheduler_with_warmup(
            scheduler, warmup_start_value=start, warmup_duration=warmup_steps + 1
        )
        out = []
        for _ in range(n_events):
            combined(None)
            out.append([g["lr"] for g in opt.param_groups])
    return scheduler.schedule, out


@pytest.mark.parametrize(
    ("name", "make", "groups"),
    [
        ("OneCycleLR", lambda o: OneCycleLR(o, max_lr=[0.1, 0.3], total_steps=60), 2),
        ("CyclicLR", lambda o: CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2"), 1),
        ("WarmupStableDecayLR", lambda o: WarmupStableDecayLR(o, peak_lr=0.2, warmup_steps=0, stable_steps=20, decay_steps=20, min_lr=0.01), 3),
    ],
)
@pytest.mark.parametrize(("warmup_steps", "start"), [(1, 0.0), (7, 0.0), (12, 0.003)])
def test_a_linear_warm_up_is_bitwise_ignites_create_lr_scheduler_with_warmup(
    name, make, groups, warmup_steps, start
) -> None:
    schedule, theirs = ignite_warmup(make, warmup_steps, start, 40, groups)
    ours = with_warmup(schedule, warmup_steps, start_lr=start)
    assert ours.values(np.arange(40), exact=True).lr.tolist() == theirs


def test_a_cos_warm_up_follows_half_a_cosine_to_the_first_value() -> None:
    base = CyclicSchedule(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=5)
    warmed = with_warmup(base, 8, start_lr=[0.0, 0.001], mode="cos")
    lr = warmed.values(np.arange(8), exact=True).lr
    for g, (start, end) in enumerate(((0.0, 0.01), (0.001, 0.02))):
        expected = [start + (end - start) * (0.5 * (1.0 - math.cos(math.pi * (k / 8)))) for k in range(8)]
        assert lr[:, g].tolist() == expected
    assert warmed.at(8) == base.at(0)
    assert warmed.at(13) == base.at(5)


def test_no_warm_up_is_the_schedule_itself_and_bad_arguments_are_named() -> None:
    assert with_warmup(ONE_CYCLE_10, 0) is ONE_CYCLE_10
    for kwargs, message in [
        (dict(warmup_steps=-1), "warmup_steps must be an integer >= 0, got -1"),
        (dict(warmup_steps=3, mode="exp"), "mode must be 'linear' or 'cos', got 'exp'"),
        (dict(warmup_steps=3, start_lr=-0.1), "start_lr must be a finite number >= 0, got -0.1"),
    ]:
        with pytest.raises(ValueError) as caught:
            with_warmup(ONE_CYCLE_10, **kwargs)
        assert str(caught.value) == message
    with pytest.raises(TypeError, match="^schedule must be a Schedule of lr_one_cycle.schedules"):
        with_warmup(lambda k: 0.1, 3)


# ------------------------------------------------------------------ warmup_cosine_schedule


def transformers_cosine_with_min_lr(step: int, *, peak_lr, warmup, total, min_lr) -> float:
    """transformers' get_cosine_with_min_lr_schedule_with_warmup (src/transformers/
    optimization.py, huggingface/transformers commit 005edacb6b5d), transcribed: the
    lambda _get_cosine_schedule_with_warmup_lr_lambda with num_cycles=0.5 and
    min_lr_rate = min_lr / optimizer lr, times the lr as LambdaLR does."""
    min_lr_rate = min_lr / peak_lr
    if step < warmup:
        factor = float(step) / float(max(1, warmup))
    else:
        progress = float(step - warmup) / float(max(1, total - warmup))
        factor = 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress))
        factor = factor * (1 - min_lr_rate) + min_lr_rate
        factor = max(0, factor)
    return peak_lr * factor


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(1, 3000),
    warm_fraction=st.floats(0.0, 0.99),
    peak=st.floats(1e-5, 10.0),
    min_fraction=st.sampled_from([0.0, 0.01, 0.1, 0.5, 1.0]),
)
def test_warmup_cosine_is_transformers_formula_within_1e_12(total, warm_fraction, peak, min_fraction):
    warmup = min(int(warm_fraction * total), total - 1)
    min_lr = peak * min_fraction
    ours = warmup_cosine_schedule(
        np.arange(total + 1), peak_lr=peak, warmup_steps=warmup, total_steps=total,
        min_lr=min_lr, exact=True,
    )
    theirs = [
        transformers_cosine_with_min_lr(k, peak_lr=peak, warmup=warmup, total=total, min_lr=min_lr)
        for k in range(total + 1)
    ]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_warmup_cosine_is_bitwise_the_join_of_its_parts() -> None:
    kwargs = dict(peak_lr=[0.3, 0.1], warmup_steps=25, total_steps=400, min_lr=[0.003, 0.0])
    joined = join_schedules(
        [
            RampSchedule(start=[0.0, 0.0], end=[0.3, 0.1], steps=25),
            RampSchedule(start=[0.3, 0.1], end=[0.003, 0.0], steps=375, shape="cos"),
        ],
        [25],
    )
    steps = np.arange(401)
    assert warmup_cosine_schedule(steps, exact=True, **kwargs).tolist() == (
        joined.values(steps, exact=True).lr.tolist()
    )
    assert warmup_cosine_schedule(7, **kwargs).tolist() == joined.at(7)[0]
    assert isinstance(warmup_cosine_schedule(7, peak_lr=0.1, warmup_steps=2, total_steps=9), float)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(warmup_steps=10, total_steps=10), "warmup_steps must be an integer in 0..9 (below total_steps=10), got 10"),
        (dict(warmup_steps=1, total_steps=10, min_lr=0.2), "min_lr must be a number in [0, peak_lr] ([0, 0.1]), got 0.2"),
        (dict(warmup_steps=1, total_steps=0), "total_steps must be a positive integer, got 0"),
    ],
)
def test_warmup_cosine_refuses_bad_settings(kwargs, message) -> None:
    with pytest.raises(ValueError) as caught:
        warmup_cosine_schedule(0, peak_lr=0.1, **kwargs)
    assert str(caught.value) == message


def test_joined_schedule_is_a_frozen_value() -> None:
    joined = join_schedules([ONE_CYCLE_10, ConstantSchedule(lr=0.1)], [10])
    assert joined == JoinedSchedule((ONE_CYCLE_10, ConstantSchedule(lr=0.1)), (10,))
    with pytest.raises(AttributeError):
        joined.boundaries = (5,)  # type: ignore[misc]


def test_docstring_examples_run() -> None:
    assert doctest.testmod(compose_module).failed == 0
