"""The pure warmup-stable-decay core (lr_one_cycle/schedules/wsd.py): transformers'
get_wsd_schedule formula as the reference (transcribed below, with its source), array
against scalar path, zero-length phases, the stable phase lengthened or shortened before
the decay without a jump, and the decay re-timed once it has begun."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lr_one_cycle.schedules.wsd as wsd_module
from lr_one_cycle import warmup_stable_decay_schedule
from lr_one_cycle.schedules import Retimed, WarmupStableDecaySchedule


def transformers_wsd_lambda(
    current_step: int,
    *,
    num_warmup_steps: int,
    num_stable_steps: int,
    num_decay_steps: int,
    warmup_type: str,
    decay_type: str,
    min_lr_ratio: float,
    num_cycles: float = 0.5,
) -> float:
    """transformers' _get_wsd_scheduler_lambda (src/transformers/optimization.py,
    huggingface/transformers commit 005edacb6b5dabbf0843e92c6623de9e07ca6241),
    transcribed operation for operation. get_wsd_schedule wraps it in torch's LambdaLR,
    which multiplies it by the optimizer's lr (our peak_lr)."""
    if current_step < num_warmup_steps:
        progress = float(current_step) / float(max(1, num_warmup_steps))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        elif warmup_type == "1-sqrt":
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)

    if current_step < num_warmup_steps + num_stable_steps:
        return 1.0

    if current_step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(current_step - num_warmup_steps - num_stable_steps) / float(
            max(1, num_decay_steps)
        )
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        elif decay_type == "1-sqrt":
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


def transformers_lrs(peak_lr, w, s, d, warmup, decay, min_lr, n):
    return [
        peak_lr * transformers_wsd_lambda(
            k, num_warmup_steps=w, num_stable_steps=s, num_decay_steps=d,
            warmup_type=warmup, decay_type=decay, min_lr_ratio=min_lr / peak_lr,
        )
        for k in range(n)
    ]


SHAPES = ["linear", "cosine", "1-sqrt"]


@settings(max_examples=100, deadline=None)
@given(
    w=st.integers(0, 300),
    s=st.integers(0, 300),
    d=st.integers(0, 3000),
    warmup=st.sampled_from(SHAPES),
    decay=st.sampled_from(SHAPES),
    peak=st.floats(1e-6, 10.0),
    ratio=st.sampled_from([0.0, 1e-3, 0.1, 0.5, 1.0]),
)
def test_values_are_transformers_get_wsd_schedule_within_1e_12(w, s, d, warmup, decay, peak, ratio):
    if w + s + d == 0:
        d = 1
    total = w + s + d
    ours = warmup_stable_decay_schedule(
        np.arange(total + 1), peak_lr=peak, warmup_steps=w, stable_steps=s, decay_steps=d,
        min_lr=peak * ratio, warmup=warmup, decay=decay, exact=True,
    )
    theirs = transformers_lrs(peak, w, s, d, warmup, decay, peak * ratio, total + 1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_the_stable_phase_is_peak_lr_exactly_and_the_last_step_min_lr() -> None:
    lr = warmup_stable_decay_schedule(
        np.arange(31), peak_lr=[0.3, 0.1], warmup_steps=5, stable_steps=10, decay_steps=15,
        min_lr=[0.003, 0.0],
    )
    assert lr[5:15].tolist() == [[0.3, 0.1]] * 10
    assert lr[30].tolist() == [0.003, 0.0]


@pytest.mark.parametrize("shape", SHAPES)
def test_exact_arrays_are_the_scalar_path_and_fast_ones_within_4_ulp(shape) -> None:
    kwargs = dict(peak_lr=0.1, warmup_steps=100, stable_steps=50, decay_steps=850,
                  min_lr=1e-4, warmup=shape, decay=shape)
    steps = np.arange(1001)
    exact = warmup_stable_decay_schedule(steps, exact=True, **kwargs)
    assert exact.tolist() == [warmup_stable_decay_schedule(int(k), **kwargs) for k in steps]
    fast = warmup_stable_decay_schedule(steps, **kwargs)
    assert np.max(np.abs(fast.view(np.int64) - exact.view(np.int64))) <= 4


SCHEDULE = WarmupStableDecaySchedule(peak_lr=0.1, warmup_steps=10, stable_steps=40, decay_steps=50)


@pytest.mark.parametrize("k", [0, 5, 10, 30, 49])
def test_lengthening_the_stable_phase_before_the_decay_changes_nothing_so_far(k) -> None:
    longer, at = SCHEDULE.resumed(k, stable_steps=140)
    assert at == k and longer.total_steps == 200 and longer.decay_start == 150
    past = np.arange(k + 1)
    assert longer.values(past, exact=True).lr.tolist() == SCHEDULE.values(past, exact=True).lr.tolist()
    # no jump: the next step is the original's next step (warm-up) or the peak (stable)
    assert longer.at(k + 1) == SCHEDULE.at(k + 1)
    assert longer.values(np.arange(50, 150)).lr.tolist() == [[0.1]] * 100
    tail = np.arange(150, 201)
    assert longer.values(tail, exact=True).lr.tolist() == (
        SCHEDULE.values(tail - 100, exact=True).lr.tolist()
    )
    by_total, _ = SCHEDULE.resumed(k, total_steps=200)
    assert by_total == longer


def test_the_stable_phase_may_shorten_but_the_decay_never_starts_at_or_before_now() -> None:
    shorter, _ = SCHEDULE.resumed(30, stable_steps=21)
    assert shorter.decay_start == 31
    with pytest.raises(ValueError) as caught:
        SCHEDULE.resumed(30, stable_steps=20)
    assert str(caught.value) == (
        "stable_steps must be >= 21 to keep step 30 before the decay (total_steps >= 81); got 20"
    )
    with pytest.raises(ValueError, match="^total_steps=90 disagrees with warmup_steps"):
        SCHEDULE.resumed(30, stable_steps=60, total_steps=90)


def test_once_the_decay_has_begun_only_its_remaining_length_can_change() -> None:
    with pytest.raises(ValueError) as caught:
        SCHEDULE.resumed(60, stable_steps=100)
    assert str(caught.value) == (
        "the decay began at step 50 and step 60 is in it: stable_steps can no longer change; "
        "give total_steps to spread the rest of the decay over a new length"
    )
    stretched, at = SCHEDULE.resumed(60, total_steps=150)
    assert isinstance(stretched, Retimed) and at == 60 and stretched.last_step == 150
    assert stretched.at(60) == SCHEDULE.at(60) and stretched.at(150) == SCHEDULE.at(100)
    lr = stretched.values(np.arange(60, 151)).lr[:, 0]
    assert np.all(np.diff(lr) <= 0)
    assert SCHEDULE.resumed(60) == (SCHEDULE, 60)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(warmup_steps=0, stable_steps=0, decay_steps=0),
         "warmup_steps + stable_steps + decay_steps must be >= 1, got 0 (all three 0)"),
        (dict(warmup_steps=-1), "warmup_steps must be an integer >= 0, got -1"),
        (dict(min_lr=0.2), "min_lr must be a number in [0, peak_lr] ([0, 0.1]), got 0.2"),
        (dict(decay="exponential"), "decay must be 'linear' or 'cosine' or '1-sqrt', got 'exponential'"),
        (dict(peak_lr=[0.1, 0.2], min_lr=[0.0, 0.3]),
         "min_lr[1] must be a number in [0, peak_lr] ([0, 0.2]), got 0.3"),
    ],
)
def test_bad_settings_are_refused_naming_them(kwargs, message) -> None:
    settings_ = dict(peak_lr=0.1, warmup_steps=1, stable_steps=1, decay_steps=1) | kwargs
    with pytest.raises(ValueError) as caught:
        WarmupStableDecaySchedule(**settings_)
    assert str(caught.value) == message


def test_steps_beyond_the_run_are_refused() -> None:
    with pytest.raises(ValueError) as caught:
        SCHEDULE.values(101)
    assert str(caught.value) == (
        "step must be in 0..100 (total_steps=100 = 10 warm-up + 40 stable + 50 decay steps), "
        "got 101"
    )


def test_docstring_examples_run() -> None:
    assert doctest.testmod(wsd_module).failed == 0
