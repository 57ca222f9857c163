"""The pure CLR core (lr_one_cycle/schedules/cyclic.py): cyclic_lr_schedule and
CyclicSchedule bitwise against torch 2.13's CyclicLR run in the same test, for the three
modes, per-group lists and custom scale functions; array against scalar path; checks."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import CyclicLR as TorchCyclicLR

import lr_one_cycle.schedules.cyclic as cyclic_module
from lr_one_cycle import cyclic_lr_schedule
from lr_one_cycle.schedules import CyclicSchedule


def torch_values(n_steps: int, n_groups: int = 1, **kwargs) -> tuple[list, list]:
    """lrs and momentums torch's CyclicLR holds at last_epoch 0..n_steps-1 (SGD)."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(n_groups)]
    opt = torch.optim.SGD([{"params": [p]} for p in params], lr=0.1, momentum=0.9)
    lrs, momentums = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = TorchCyclicLR(opt, **kwargs)
        for _ in range(n_steps):
            lrs.append([g["lr"] for g in opt.param_groups])
            momentums.append([g["momentum"] for g in opt.param_groups])
            scheduler.step()
    return lrs, momentums


def halving_every_other_cycle(cycle: int) -> float:
    return 1.0 / 2 ** (cycle // 2)


def damped(step: int) -> float:
    return 1.0 / (1.0 + step / 50)


@settings(max_examples=50, deadline=None)
@given(
    up=st.integers(1, 30),
    down=st.one_of(st.none(), st.integers(1, 30)),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
    groups=st.integers(1, 3),
)
def test_exact_arrays_are_bitwise_torchs_cyclic_lr(up, down, mode, gamma, groups) -> None:
    base = [0.001 * (g + 1) for g in range(groups)]
    top = [0.1 / (g + 1) for g in range(groups)]
    kwargs = dict(
        base_lr=base, max_lr=top, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma,
        base_momentum=[0.8 - 0.05 * g for g in range(groups)], max_momentum=0.95,
    )
    n = 3 * (up + (down or up)) + 5
    lrs, momentums = torch_values(n, groups, **kwargs)
    lr, momentum = cyclic_lr_schedule(np.arange(n), exact=True, **kwargs)
    assert lr.tolist() == lrs and momentum.tolist() == momentums


@pytest.mark.parametrize(
    ("scale_fn", "scale_mode"), [(halving_every_other_cycle, "cycle"), (damped, "iterations")]
)
def test_a_custom_scale_fn_is_called_as_torch_calls_it(scale_fn, scale_mode) -> None:
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6,
                  scale_fn=scale_fn, scale_mode=scale_mode)
    lrs, momentums = torch_values(100, **kwargs)
    lr, momentum = cyclic_lr_schedule(np.arange(100), exact=True, **kwargs)
    assert lr.tolist() == [x[0] for x in lrs] and momentum.tolist() == [x[0] for x in momentums]
    seen = []
    cyclic_lr_schedule(np.arange(25), scale_fn=lambda x: seen.append(x) or 1.0,
                       scale_mode=scale_mode, base_lr=0.01, max_lr=0.1, step_size_up=5)
    assert all(type(x) is int for x in seen)  # torch passes ints: cycle numbers or steps


def test_scalar_path_is_bitwise_torch_and_floats_come_back_for_int_steps() -> None:
    kwargs = dict(base_lr=0.002, max_lr=0.2, step_size_up=7, step_size_down=3, mode="exp_range", gamma=0.97)
    lrs, momentums = torch_values(60, **kwargs)
    for k in range(60):
        lr, momentum = cyclic_lr_schedule(k, **kwargs)
        assert (lr, momentum) == (lrs[k][0], momentums[k][0])
        assert type(lr) is float
    assert cyclic_lr_schedule(5, base_lr=[0.1, 0.2], max_lr=1.0, step_size_up=3)[0].shape == (2,)


def test_fractional_step_sizes_are_taken_as_torch_takes_them() -> None:
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=2.5, step_size_down=3.25)
    lrs, _ = torch_values(40, **kwargs)
    lr, _ = cyclic_lr_schedule(np.arange(40), exact=True, **kwargs)
    assert lr.tolist() == [x[0] for x in lrs]


def test_fast_arrays_are_within_a_few_ulp_of_the_exact_ones() -> None:
    kwargs = dict(base_lr=0.001, max_lr=0.1, step_size_up=100, mode="exp_range", gamma=0.9999)
    steps = np.arange(100_000)
    fast = cyclic_lr_schedule(steps, **kwargs)[0]
    exact = cyclic_lr_schedule(steps, exact=True, **kwargs)[0]
    assert np.max(np.abs(fast.view(np.int64) - exact.view(np.int64))) <= 8


def test_triangular2_halves_the_amplitude_each_cycle_without_overflow() -> None:
    schedule = CyclicSchedule(base_lr=0.0, max_lr=1.0, step_size_up=1, mode="triangular2")
    peaks = schedule.values(np.array([1, 3, 5, 7])).lr[:, 0].tolist()
    assert peaks == [1.0, 0.5, 0.25, 0.125]
    # Past cycle 1024 torch's 2.0 ** (cycle - 1) raises OverflowError; the scale is 0 here.
    assert schedule.at(2 * 1100 + 1) == ([0.0], [0.9])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(step_size_up=0), ValueError, "step_size_up must be a finite number > 0, got 0"),
        (
            dict(step_size_up=1e308),
            ValueError,
            "step_size_up must be a size that keeps step_size_up + step_size_down finite, "
            "got 1e+308",
        ),
        (dict(step_size_down=-2), ValueError, "step_size_down must be a finite number > 0, got -2"),
        (dict(mode="cosine"), ValueError, "mode must be 'triangular' or 'triangular2' or 'exp_range', got 'cosine'"),
        (dict(gamma=1.5), ValueError, "gamma must be a number in (0, 1], got 1.5"),
        (dict(scale_mode="epoch"), ValueError, "scale_mode must be 'cycle' or 'iterations', got 'epoch'"),
        (dict(scale_fn=3), TypeError, "scale_fn must be None or a function of one number (the cycle or step), got 3 of type int"),
        (dict(max_lr=[0.1, 0.2, 0.3], base_lr=[0.1, 0.2]), ValueError, "max_lr must be a single value or one value per parameter group (2), got 3 values"),
        (dict(base_momentum=-0.1), ValueError, "base_momentum must be a finite number >= 0, got -0.1"),
    ],
)
def test_bad_settings_are_refused_naming_them(kwargs, error, message) -> None:
    settings_ = dict(base_lr=0.01, max_lr=0.1) | kwargs
    with pytest.raises(error) as caught:
        CyclicSchedule(**settings_)
    assert str(caught.value) == message


def test_steps_are_checked() -> None:
    with pytest.raises(ValueError, match="^steps must be >= 0, got values down to -1$"):
        cyclic_lr_schedule([0, -1], base_lr=0.01, max_lr=0.1)
    with pytest.raises(ValueError, match="^step must be an integer >= 0, got 1.5$"):
        cyclic_lr_schedule(1.5, base_lr=0.01, max_lr=0.1)


def test_docstring_examples_run() -> None:
    assert doctest.testmod(cyclic_module).failed == 0
