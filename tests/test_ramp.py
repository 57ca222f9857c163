"""The ramps and constants joins are made of: each shape as its reference computes it
(ignite's PiecewiseLinear, transformers' warm-up and decay factors), the held end value,
scalar/array agreement, elastic resume, and the settings' checks."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.handlers.param_scheduler import PiecewiseLinear

import lr_one_cycle.schedules.ramp as ramp_module
from lr_one_cycle.schedules import ConstantSchedule, RampSchedule


def ignite_piecewise(start: float, end: float, steps: int) -> list[float]:
    """ignite 0.5.5's PiecewiseLinear from (0, start) to (steps, end), run for real."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.0)
    values = PiecewiseLinear.simulate_values(
        steps + 1, optimizer=opt, param_name="lr", milestones_values=[(0, start), (steps, end)]
    )
    return [value for _, value in values]


def hf_factor(shape: str, rising: bool, p: float) -> float:
    """transformers' _get_wsd_scheduler_lambda factors (optimization.py, commit 005edacb),
    transcribed: warm-up when rising, decay otherwise."""
    if shape == "linear":
        return p if rising else 1.0 - p
    if shape == "cos":
        return 0.5 * (1.0 - math.cos(math.pi * p)) if rising else (
            0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * p))
        )
    return 1.0 - math.sqrt(1.0 - p) if rising else 1.0 - math.sqrt(p)


@settings(max_examples=40, deadline=None)
@given(
    start=st.floats(0.0, 2.0),
    end=st.floats(0.0, 2.0),
    steps=st.integers(1, 60),
)
def test_a_rising_linear_ramp_is_bitwise_ignites_piecewise_linear(start, end, steps) -> None:
    low, high = min(start, end), max(start, end)
    ramp = RampSchedule(start=low, end=high, steps=steps)
    ours = ramp.values(np.arange(steps + 1), exact=True).lr[:, 0].tolist()
    assert ours == ignite_piecewise(low, high, steps)


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(0.0, 0.5),
    high=st.floats(0.6, 3.0),
    steps=st.integers(1, 2000),
    shape=st.sampled_from(["linear", "cos", "1-sqrt"]),
    rising=st.booleans(),
)
def test_every_shape_is_transformers_factor_within_1e_12(low, high, steps, shape, rising):
    start, end = (low, high) if rising else (high, low)
    ramp = RampSchedule(start=start, end=end, steps=steps, shape=shape)
    k = np.arange(steps)
    ours = ramp.values(k, exact=True).lr[:, 0]
    theirs = np.array([low + (high - low) * hf_factor(shape, rising, i / steps) for i in k])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_the_end_value_is_held_exactly_from_the_last_step_on() -> None:
    for shape in ("linear", "cos", "1-sqrt"):
        ramp = RampSchedule(start=0.3, end=0.1, steps=7, shape=shape)
        assert ramp.last_step == 7
        assert ramp.at(7) == ([0.1], None)
    with pytest.raises(ValueError, match=r"^step must be in 0\.\.7 \(steps=7\), got 8$"):
        RampSchedule(start=0.3, end=0.1, steps=7).values(8)


@pytest.mark.parametrize("shape", ["linear", "cos", "1-sqrt"])
def test_exact_arrays_are_bitwise_the_scalar_path_and_fast_ones_within_4_ulp(shape) -> None:
    ramp = RampSchedule(start=[0.0, 0.2], end=[1.0, 0.01], steps=999, shape=shape)
    k = np.arange(1000)
    exact = ramp.values(k, exact=True).lr
    scalar = np.array([ramp.at(int(i))[0] for i in k])
    assert exact.tolist() == scalar.tolist()
    fast = ramp.values(k).lr
    assert np.max(np.abs(fast.view(np.int64) - exact.view(np.int64))) <= 4


def test_a_ramp_resumed_midway_keeps_its_value_and_reaches_the_end_at_the_new_length():
    ramp = RampSchedule(start=0.0, end=1.0, steps=10, shape="cos")
    resumed, at = ramp.resumed(4, total_steps=22)
    assert at == 4 and resumed.last_step == 22
    assert resumed.values(np.arange(5), exact=True).lr.tolist() == (
        ramp.values(np.arange(5), exact=True).lr.tolist()
    )
    assert resumed.at(22)[0] == [1.0]
    lr = resumed.values(np.arange(23)).lr[:, 0]
    assert np.all(np.diff(lr) > 0)


def test_a_constant_is_the_same_at_every_step_and_per_group() -> None:
    constant = ConstantSchedule(lr=[0.1, 0.2])
    assert constant.last_step is None and not constant.cycles_momentum
    assert constant.values([0, 5, 10**12]).lr.tolist() == [[0.1, 0.2]] * 3


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(start=0.0, end=1.0, steps=0), ValueError, "steps must be a positive integer, got 0"),
        (
            dict(start=-1.0, end=1.0, steps=3),
            ValueError,
            "start must be a finite number >= 0, got -1.0",
        ),
        (
            dict(start=0.0, end=1.0, steps=3, shape="exp"),
            ValueError,
            "shape must be 'linear' or 'cos' or '1-sqrt', got 'exp'",
        ),
        (
            dict(start=[0.0, 0.1], end=[1.0, 1.0, 1.0], steps=3),
            ValueError,
            "end must be a single value or one value per parameter group (2), got 3 values",
        ),
    ],
)
def test_bad_settings_are_refused_naming_them(kwargs, error, message) -> None:
    with pytest.raises(error) as caught:
        RampSchedule(**kwargs)
    assert str(caught.value) == message


def test_docstring_examples_run() -> None:
    assert doctest.testmod(ramp_module).failed == 0
