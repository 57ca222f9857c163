"""WarmupStableDecayLR (lr_one_cycle/wsd.py): against transformers' get_wsd_schedule
(its lambda transcribed in test_wsd_schedule.py, driven by torch's real LambdaLR), the
stable phase lengthened mid-run without a jump, state round trips before and after a
resume, resume by last_epoch, and checks before anything is written."""

from __future__ import annotations

import io
import warnings
from functools import partial

import numpy as np
import pytest
import torch
from conftest import applied, assert_groups_equal, group_snapshot, make_optimizer, trace
from test_wsd_schedule import transformers_wsd_lambda
from torch.optim.lr_scheduler import LambdaLR

import lr_one_cycle.wsd as wsd_module
from lr_one_cycle import WarmupStableDecayLR, warmup_stable_decay_schedule

KWARGS = dict(peak_lr=[0.1, 0.3], warmup_steps=6, stable_steps=10, decay_steps=14,
              min_lr=[0.001, 0.003], warmup="cosine", decay="1-sqrt")


def transformers_scheduler(opt):
    """get_wsd_schedule(opt, 6, 14, num_stable_steps=10, warmup_type="cosine",
    decay_type="1-sqrt", min_lr_ratio=0.01) as transformers builds it: LambdaLR over the
    transcribed lambda, the optimizer's lrs being the peaks."""
    for group, peak in zip(opt.param_groups, KWARGS["peak_lr"], strict=True):
        group["lr"] = peak
    lr_lambda = partial(
        transformers_wsd_lambda, num_warmup_steps=6, num_stable_steps=10, num_decay_steps=14,
        warmup_type="cosine", decay_type="1-sqrt", min_lr_ratio=0.01,
    )
    return LambdaLR(opt, lr_lambda)


@pytest.mark.parametrize("kind", ["SGD", "AdamW"])
def test_values_are_transformers_get_wsd_schedule_within_1e_12(kind) -> None:
    ours = trace(lambda opt: WarmupStableDecayLR(opt, **KWARGS), kind, 2, 31)
    theirs = trace(transformers_scheduler, kind, 2, 31)
    np.testing.assert_allclose(
        [[lr for lr, _ in step] for step in ours],
        [[lr for lr, _ in step] for step in theirs],
        rtol=1e-12, atol=0,
    )
    assert [[m for _, m in step] for step in ours] == [[m for _, m in step] for step in theirs]


def lrs_of(opt) -> list[float]:
    return [g["lr"] for g in opt.param_groups]


def test_the_stable_phase_lengthened_mid_run_goes_on_at_the_peak_without_a_jump() -> None:
    _, opt = make_optimizer("SGD", 2)
    scheduler = WarmupStableDecayLR(opt, **KWARGS)
    seen = [lrs_of(opt)]
    for _ in range(12):
        scheduler.step()
        seen.append(lrs_of(opt))
    scheduler.resume_with(stable_steps=40)
    assert lrs_of(opt) == seen[-1] == [0.1, 0.3]  # re-applied, unchanged
    assert (scheduler.total_steps, scheduler.stable_steps) == (60, 40)
    for _ in range(48):
        scheduler.step()
        seen.append(lrs_of(opt))
    longer = warmup_stable_decay_schedule(
        np.arange(61), **(KWARGS | dict(stable_steps=40)), exact=True
    ).tolist()
    assert seen == longer
    assert seen[:13] == warmup_stable_decay_schedule(np.arange(13), **KWARGS, exact=True).tolist()


@pytest.mark.parametrize("at", [3, 12, 20])
def test_a_resumed_run_saved_and_loaded_into_one_built_as_the_original_continues_exactly(at):
    _, opt = make_optimizer("Adam", 2)
    scheduler = WarmupStableDecayLR(opt, **KWARGS)
    for _ in range(at):
        scheduler.step()
    scheduler.resume_with(total_steps=50)
    for _ in range(4):
        scheduler.step()
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    _, opt2 = make_optimizer("Adam", 2)
    other = WarmupStableDecayLR(opt2, **KWARGS)
    other.load_state_dict(state)
    assert (other.last_epoch, other.total_steps) == (scheduler.last_epoch, 50)
    assert applied(opt2) == applied(opt)
    while scheduler.last_epoch < 50:
        scheduler.step()
        other.step()
        assert applied(opt2) == applied(opt)
    assert lrs_of(opt) == [0.001, 0.003]
    # and the state of the loaded one loads again (its own lengths are the original's)
    _, opt3 = make_optimizer("Adam", 2)
    WarmupStableDecayLR(opt3, **KWARGS).load_state_dict(other.state_dict())
    assert applied(opt3) == applied(opt)


def test_resume_through_torch_save_at_every_step_is_an_uninterrupted_run() -> None:
    reference = trace(lambda opt: WarmupStableDecayLR(opt, **KWARGS), "SGD", 2, 31)
    for k in range(31):
        _, opt = make_optimizer("SGD", 2)
        scheduler = WarmupStableDecayLR(opt, **KWARGS)
        for _ in range(k):
            scheduler.step()
        buffer = io.BytesIO()
        torch.save(scheduler.state_dict(), buffer)
        buffer.seek(0)
        _, opt2 = make_optimizer("SGD", 2)
        resumed = WarmupStableDecayLR(opt2, **KWARGS)
        resumed.load_state_dict(torch.load(buffer, weights_only=True))
        record = [applied(opt2)]
        for _ in range(30 - k):
            resumed.step()
            record.append(applied(opt2))
        assert record == reference[k:], f"resumed at {k}"


def test_last_epoch_resumes_at_that_step() -> None:
    reference = trace(lambda opt: WarmupStableDecayLR(opt, **KWARGS), "SGD", 2, 31)
    _, opt = make_optimizer("SGD", 2)
    WarmupStableDecayLR(opt, **KWARGS, last_epoch=17)
    assert applied(opt) == reference[17]


def test_only_torchs_initial_lr_is_written_into_param_groups() -> None:
    """When a run starts, initial_lr = peak_lr, what transformers' LambdaLR over the
    peaks leaves (torch's SequentialLR reads it: KeyError without); nothing when
    resuming."""
    _, opt = make_optimizer("SGD", 2)
    _, theirs = make_optimizer("SGD", 2)
    keys = [sorted(g) for g in opt.param_groups]
    WarmupStableDecayLR(opt, **KWARGS).step()
    transformers_scheduler(theirs)
    assert [sorted(g) for g in opt.param_groups] == [sorted([*k, "initial_lr"]) for k in keys]
    assert [g["initial_lr"] for g in opt.param_groups] == [
        g["initial_lr"] for g in theirs.param_groups
    ] == KWARGS["peak_lr"]
    _, fresh = make_optimizer("SGD", 2)
    WarmupStableDecayLR(fresh, **KWARGS, last_epoch=4)
    assert [sorted(g) for g in fresh.param_groups] == keys


def test_torchs_sequential_lr_takes_ours_first() -> None:
    """torch's SequentialLR resets every lr to initial_lr when it is built, then
    restarts the first part: ours first, it needs ours' entry (KeyError before)."""
    _, opt = make_optimizer("SGD", 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()"
        ours = WarmupStableDecayLR(opt, **KWARGS)
        second = WarmupStableDecayLR(opt, **{**KWARGS, "warmup": "linear"})
        sequence = torch.optim.lr_scheduler.SequentialLR(opt, [ours, second], milestones=[30])
        seen = [applied(opt)]
        for _ in range(35):
            sequence.step()
            seen.append(applied(opt))
    reference = trace(lambda o: WarmupStableDecayLR(o, **KWARGS), "SGD", 2, 31)
    second_reference = trace(lambda o: WarmupStableDecayLR(o, **{**KWARGS, "warmup": "linear"}), "SGD", 2, 6)
    assert seen == reference[:30] + second_reference


def test_a_state_of_another_schedule_is_refused_naming_what_differs() -> None:
    _, opt = make_optimizer("SGD", 2)
    state = WarmupStableDecayLR(opt, **KWARGS).state_dict()
    _, opt2 = make_optimizer("SGD", 2)
    other = WarmupStableDecayLR(opt2, **(KWARGS | dict(stable_steps=11, decay="linear")))
    before = group_snapshot(opt2)
    with pytest.raises(ValueError) as caught:
        other.load_state_dict(state)
    assert str(caught.value) == (
        "state_dict was saved for another schedule; these settings differ: decay (saved "
        "'1-sqrt', here 'linear'); stable_steps (saved 10, here 11)"
    )
    assert_groups_equal(before, opt2)


@pytest.mark.parametrize(
    ("key", "value", "error", "message"),
    [
        ("initial_decay_steps", "zz", TypeError,
         "state_dict['initial_decay_steps'] must be an integer >= 0, got 'zz' of type str"),
        ("initial_stable_steps", -7, ValueError,
         "state_dict['initial_stable_steps'] must be an integer >= 0, got -7"),
        ("initial_decay_steps", 1.5, ValueError,
         "state_dict['initial_decay_steps'] must be an integer >= 0, got 1.5"),
    ],
)
def test_a_bad_initial_length_in_a_state_is_refused_before_anything_loads(key, value, error, message):
    _, source = make_optimizer("SGD", 2)
    saved = WarmupStableDecayLR(source, **KWARGS)
    for _ in range(5):
        saved.step()
    state = saved.state_dict() | {key: value}
    _, opt = make_optimizer("SGD", 2)
    scheduler = WarmupStableDecayLR(opt, **KWARGS)
    scheduler.step()
    before, kept = group_snapshot(opt), scheduler.state_dict()
    with pytest.raises(error) as caught:
        scheduler.load_state_dict(state)
    assert str(caught.value) == message
    assert_groups_equal(before, opt)
    assert scheduler.state_dict() == kept


def test_refused_resumes_change_nothing() -> None:
    _, opt = make_optimizer("SGD", 2)
    scheduler = WarmupStableDecayLR(opt, **KWARGS)
    for _ in range(20):
        scheduler.step()

    def refused(message: str, **changes) -> None:
        before = (group_snapshot(opt), scheduler.state_dict())
        with pytest.raises(ValueError) as caught:
            scheduler.resume_with(**changes)
        assert str(caught.value) == message
        assert_groups_equal(before[0], opt)
        assert scheduler.state_dict() == before[1]

    refused(
        "the decay began at step 16 and step 20 is in it: stable_steps can no longer change; "
        "give total_steps to spread the rest of the decay over a new length",
        stable_steps=30,
    )
    scheduler.resume_with(total_steps=40)
    assert scheduler.total_steps == 40 and scheduler.resume_knots == [[0, 0.0], [20, 20.0], [40, 30.0]]
    refused(
        "the decay began at step 16 and was re-timed: only total_steps can change now",
        decay_steps=30,
    )
    refused("total_steps must be >= 21, the steps already taken (last_epoch=20) and 1 more to "
            "finish the cycle; got 12",
            total_steps=12)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(decay_steps=-3), ValueError, "decay_steps must be an integer >= 0, got -3"),
        (dict(peak_lr=[0.1, 0.2, 0.3]), ValueError,
         "peak_lr must be a single value or one value per parameter group (2), got 3 values"),
        (dict(warmup="step"), ValueError, "warmup must be 'linear' or 'cosine' or '1-sqrt', got 'step'"),
        (dict(last_epoch=31), ValueError,
         "last_epoch must be -1 (start) or a step in 0..30 (total_steps=30 = 6 warm-up + 10 "
         "stable + 14 decay steps), got 31"),
        (dict(peak_lr="0.1"), TypeError, "peak_lr must be a finite number >= 0, got '0.1' of type str"),
    ],
)
def test_bad_arguments_are_refused_naming_them_and_change_nothing(kwargs, error, message):
    _, opt = make_optimizer("SGD", 2)
    before = group_snapshot(opt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error) as caught:
            WarmupStableDecayLR(opt, **(KWARGS | kwargs))
    assert str(caught.value) == message
    assert_groups_equal(before, opt)


def test_repr_and_settings() -> None:
    _, opt = make_optimizer("SGD", 2)
    scheduler = WarmupStableDecayLR(opt, **KWARGS)
    assert scheduler.base_lrs == [0.1, 0.3] and scheduler.resume_knots == []
    assert repr(scheduler) == (
        "WarmupStableDecayLR(peak_lr=[0.1, 0.3], warmup_steps=6, stable_steps=10, "
        "decay_steps=14, min_lr=[0.001, 0.003], warmup='cosine', decay='1-sqrt', "
        "last_epoch=0, last_lr=[0.001, 0.003])"
    )


def test_docstring_examples_run() -> None:
    import doctest

    assert doctest.testmod(wsd_module).failed == 0
