"""The pure 1cycle core: scalar/array agreement, random access, step range, degenerate
phase lengths, and its arguments' checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lr_one_cycle import one_cycle_schedule
from lr_one_cycle.schedules import OneCycleSchedule

CASES = {
    "defaults": dict(max_lr=0.01, total_steps=100),
    "linear": dict(max_lr=0.3, total_steps=97, anneal_strategy="linear"),
    "three-phase": dict(max_lr=1.0, total_steps=250, three_phase=True, pct_start=0.25),
    "long": dict(max_lr=0.1, total_steps=20_000, pct_start=0.4, div_factor=10.0),
    "tiny": dict(max_lr=0.1, total_steps=3),
}


def scalar_path(kwargs: dict, steps: range) -> tuple[np.ndarray, np.ndarray]:
    pairs = [one_cycle_schedule(k, **kwargs) for k in steps]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


@pytest.mark.parametrize("name", CASES)
def test_vectorised_core_is_within_4_ulp_of_the_peak_of_the_scalar_path(name: str) -> None:
    """numpy.cos may differ from math.cos by a few ulp (it does with some numpy builds and
    CPUs; not with numpy 2.x here). That error is scaled by the amplitude, so near the
    bottom of a cycle it is many ulp of the small value itself: the bound that holds on
    every build is a few ulp of the peak (max_lr, max_momentum)."""
    kwargs = CASES[name]
    steps = range(kwargs["total_steps"] + 1)
    lr, mom = one_cycle_schedule(np.arange(len(steps)), **kwargs)
    lr_s, mom_s = scalar_path(kwargs, steps)
    assert np.abs(lr - lr_s).max() <= 4 * np.spacing(kwargs["max_lr"])
    assert np.abs(mom - mom_s).max() <= 4 * np.spacing(0.95)


@pytest.mark.parametrize("name", CASES)
def test_exact_vectorised_core_is_bitwise_equal_to_the_scalar_path(name: str) -> None:
    kwargs = CASES[name]
    steps = range(kwargs["total_steps"] + 1)
    lr, mom = one_cycle_schedule(np.arange(len(steps)), exact=True, **kwargs)
    lr_s, mom_s = scalar_path(kwargs, steps)
    assert lr.tolist() == lr_s.tolist()
    assert mom.tolist() == mom_s.tolist()


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(1, 400),
    pct=st.floats(0.0, 1.0),
    three=st.booleans(),
    strategy=st.sampled_from(["cos", "linear"]),
    groups=st.integers(1, 3),
)
def test_schedule_windows_are_bitwise_torchs_scalar_formula(total, pct, three, strategy, groups):
    """Schedulers read windows of OneCycleSchedule.values(exact=True); every value must be
    what torch's OneCycleLR computes, transcribed here operation for operation."""
    max_lrs = [0.1 * (g + 1) for g in range(groups)]
    max_moms = [0.95 - 0.01 * g for g in range(groups)]
    schedule = OneCycleSchedule(
        max_lr=max_lrs,
        total_steps=total,
        pct_start=pct,
        anneal_strategy=strategy,
        three_phase=three,
        max_momentum=max_moms,
    )
    lr, mom = schedule.values(np.arange(total + 1), exact=True)
    for g in range(groups):
        expected = [torch_formula(k, max_lrs[g], 0.85, max_moms[g], total, pct, three, strategy)
                    for k in range(total)]
        assert lr[:total, g].tolist() == [e[0] for e in expected]
        assert mom[:total, g].tolist() == [e[1] for e in expected]
    assert np.all(np.isfinite(lr)) and np.all(np.isfinite(mom))


def torch_formula(step, max_lr, base_m, max_m, total, pct, three, strategy):
    """torch 2.13's OneCycleLR.get_lr() for one group at ``step`` (0 <= step < total),
    with the 0/0 of a zero-length phase read as the phase's end value."""
    initial, div = max_lr / 25.0, 1e4
    minimum = initial / div
    if three:
        phases = [
            (float(pct * total) - 1, initial, max_lr, max_m, base_m),
            (float(2 * pct * total) - 2, max_lr, initial, base_m, max_m),
            (total - 1, initial, minimum, max_m, max_m),
        ]
    else:
        phases = [
            (float(pct * total) - 1, initial, max_lr, max_m, base_m),
            (total - 1, max_lr, minimum, base_m, max_m),
        ]

    def anneal(start, end, p):
        if strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * p) + 1)
        return (end - start) * p + start

    start_step = 0.0
    for i, (end_step, lr0, lr1, m0, m1) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            span = end_step - start_step
            p = (step - start_step) / span if span != 0 else 1.0
            return anneal(lr0, lr1, p), anneal(m0, m1, p)
        start_step = end_step
    raise AssertionError


def test_integer_step_gives_floats_and_array_gives_arrays() -> None:
    lr, mom = one_cycle_schedule(5, max_lr=0.01, total_steps=10)
    assert type(lr) is float and type(mom) is float
    lr_a, mom_a = one_cycle_schedule([[0, 5], [9, 10]], max_lr=0.01, total_steps=10, exact=True)
    assert lr_a.shape == (2, 2) and mom_a.shape == (2, 2)
    assert lr_a[0, 1] == lr


def test_random_access_far_into_a_long_schedule_matches_the_closed_form() -> None:
    """Step 900 000 is computed directly, not by iterating (values are absolute functions)."""
    total = 1_000_000
    lr, mom = one_cycle_schedule(900_000, max_lr=0.1, total_steps=total)
    up = 0.3 * total - 1
    pct = (900_000 - up) / (total - 1 - up)
    min_lr = 0.1 / 25.0 / 1e4
    assert lr == min_lr + (0.1 - min_lr) / 2.0 * (math.cos(math.pi * pct) + 1)
    assert mom == 0.95 + (0.85 - 0.95) / 2.0 * (math.cos(math.pi * pct) + 1)


def test_step_total_steps_holds_the_final_value() -> None:
    for strategy in ("cos", "linear"):
        last, held = one_cycle_schedule(
            [99, 100], max_lr=0.01, total_steps=100, anneal_strategy=strategy
        )
        assert last[0] == last[1] > 0
        assert held[0] == held[1]


@pytest.mark.parametrize(
    ("kwargs", "expected_first_lr"),
    [
        (dict(total_steps=10, pct_start=0.1), 0.01),  # warm-up of zero length: at its end
        (dict(total_steps=10, pct_start=0.1, three_phase=True), 0.01),
        (dict(total_steps=10, pct_start=1.0), 0.01 / 25.0),
        (dict(total_steps=1), 0.01 / 25.0 / 1e4),
        (dict(total_steps=1, pct_start=1.0), 0.01),
        (dict(total_steps=7, pct_start=0.0), None),
    ],
)
def test_degenerate_phase_lengths_give_a_finite_schedule(kwargs, expected_first_lr) -> None:
    total = kwargs["total_steps"]
    lr, mom = one_cycle_schedule(np.arange(total + 1), max_lr=0.01, **kwargs)
    assert np.all(np.isfinite(lr)) and np.all(np.isfinite(mom))
    assert np.all(lr >= 0) and np.all(lr <= 0.01)
    assert np.all((mom >= 0.85) & (mom <= 0.95))
    if expected_first_lr is not None:
        assert math.isclose(lr[0], expected_first_lr, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("steps", "error", "message"),
    [
        (11, ValueError, "step must be in 0..10 (total_steps=10), got 11"),
        (-1, ValueError, "step must be an integer >= 0, got -1"),
        (2.5, ValueError, "step must be an integer >= 0, got 2.5"),
        ("3", TypeError, "steps must be an integer or an array of integers, got '3' of type str"),
        ([0, 11], ValueError, "steps must be in 0..10 (total_steps=10), got values from 0 to 11"),
        ([0.5], ValueError, "steps must be whole numbers; got non-integer values"),
    ],
)
def test_steps_out_of_range_or_of_the_wrong_kind_are_refused(steps, error, message) -> None:
    with pytest.raises(error) as caught:
        one_cycle_schedule(steps, max_lr=0.01, total_steps=10)
    assert str(caught.value) == message


def test_whole_float_step_is_accepted() -> None:
    assert one_cycle_schedule(4.0, max_lr=0.01, total_steps=10) == one_cycle_schedule(
        4, max_lr=0.01, total_steps=10
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(total_steps=0), ValueError, "total_steps must be a positive integer, got 0"),
        (dict(max_lr=float("nan")), ValueError, "max_lr must be a finite number >= 0, got nan"),
        (dict(pct_start=-0.1), ValueError, "pct_start must be a number in [0, 1], got -0.1"),
        (
            dict(anneal_strategy="cosine"),
            ValueError,
            "anneal_strategy must be 'cos' or 'linear', got 'cosine'",
        ),
        (dict(exact="yes"), TypeError, "exact must be True or False, got 'yes' of type str"),
    ],
)
def test_bad_core_arguments_are_refused_with_a_message_naming_them(kwargs, error, message) -> None:
    args = dict(max_lr=0.01, total_steps=10) | kwargs
    with pytest.raises(error) as caught:
        one_cycle_schedule(np.arange(3), **args)
    assert str(caught.value) == message


# --------------------------------------------------------------------------- evaluation order


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("exact", [False, True])
def test_steps_in_any_order_give_the_bits_of_sorted_steps(name: str, exact: bool) -> None:
    # Sorted steps are computed a phase at a time in place, any other order through a
    # gather: the same operations in the same order, so the same bits.
    schedule = OneCycleSchedule(**CASES[name])
    steps = np.arange(schedule.total_steps + 1)
    shuffled = np.random.default_rng(0).permutation(steps)
    lr, momentum = schedule.values(steps, exact=exact)
    lr_s, momentum_s = schedule.values(shuffled, exact=exact)
    assert lr_s.tolist() == lr[shuffled].tolist()
    assert momentum_s.tolist() == momentum[shuffled].tolist()
    descending = steps[::-1]
    assert schedule.values(descending, exact=exact).lr.tolist() == lr[::-1].tolist()


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(1, 400),
    pct=st.floats(0.0, 1.0),
    three=st.booleans(),
    linear=st.booleans(),
    groups=st.integers(1, 3),
    fraction=st.floats(0.0, 1.0),
)
def test_at_is_the_exact_array_path_on_python_floats(total, pct, three, linear, groups, fraction):
    try:
        schedule = OneCycleSchedule(
            max_lr=[0.1 * (g + 1) for g in range(groups)], total_steps=total, pct_start=pct,
            three_phase=three, anneal_strategy="linear" if linear else "cos",
        )
    except ValueError:  # settings torch refuses too (a phase of negative length)
        return
    lr, momentum = schedule.values(np.arange(total + 1), exact=True)
    for k in range(total + 1):
        assert schedule.at(k) == (lr[k].tolist(), momentum[k].tolist())
    position = fraction * total  # fractional positions (elastic resume) too
    out = schedule._evaluate(np.array([position]), True)
    assert schedule.at(position) == (out.lr[0].tolist(), out.momentum[0].tolist())


def test_schedules_only_read_the_steps_they_are_given() -> None:
    # int64 steps are not copied before evaluation: no family may write into them.
    from lr_one_cycle.schedules import (
        CyclicalSchedule,
        CyclicSchedule,
        RampSchedule,
        WarmRestartsSchedule,
        join_schedules,
    )

    schedules = [
        OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=1000, three_phase=True),
        CyclicalSchedule("cos", 1.0, 0.1, 10, 1.5, 0.9, 0.8, 3),
        CyclicSchedule(base_lr=0.001, max_lr=0.01, step_size_up=7),
        RampSchedule(start=0.0, end=1.0, steps=1500),
        WarmRestartsSchedule(base_lr=0.1, T_0=10, T_mult=2, warmup_steps=2),
        OneCycleSchedule(max_lr=0.1, total_steps=300).resumed(100, total_steps=1500)[0],
        join_schedules(
            [RampSchedule(start=0.0, end=0.1, steps=10), OneCycleSchedule(0.1, 990)], [10]
        ),
    ]
    for schedule in schedules:
        for exact in (False, True):
            steps = np.arange(1000, dtype=np.int64)[::-1].copy()
            steps.flags.writeable = False  # writing raises
            schedule.values(steps, exact=exact)
            assert steps.tolist() == list(range(999, -1, -1))
