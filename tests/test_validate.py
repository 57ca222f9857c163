"""The shared argument checks (lr_one_cycle._validate): numbers in every form users have,
the largest counts, momentum as the optimizers take it, ordinals, and the structured
errors behind every message."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import applied, assert_groups_equal, group_snapshot, make_optimizer, trace

from lr_one_cycle import (
    CosineAnnealingScheduler,
    OneCycleLR,
    get_lr_scheduler,
    one_cycle_schedule,
    set_optimizer_lr,
)
from lr_one_cycle import _validate as v


@pytest.mark.parametrize(
    "max_lr",
    [np.array(0.1), np.float64(0.1), torch.tensor(0.1, dtype=torch.float64), 0.1],
    ids=["0-d array", "numpy scalar", "0-d tensor", "float"],
)
def test_0d_arrays_numpy_scalars_and_0d_tensors_are_scalars(max_lr) -> None:
    got = trace(lambda opt: OneCycleLR(opt, max_lr=max_lr, total_steps=np.int64(10)), "SGD", 1, 11)
    assert got == trace(lambda opt: OneCycleLR(opt, max_lr=0.1, total_steps=10), "SGD", 1, 11)


@pytest.mark.parametrize(
    "max_lr",
    [np.array([0.1, 0.3]), torch.tensor([0.1, 0.3], dtype=torch.float64), (0.1, 0.3)],
    ids=["1-d array", "1-d tensor", "tuple"],
)
def test_1d_arrays_and_tensors_give_one_value_per_group(max_lr) -> None:
    got = trace(lambda opt: OneCycleLR(opt, max_lr=max_lr, total_steps=10), "Adam", 2, 11)
    assert got == trace(
        lambda opt: OneCycleLR(opt, max_lr=[0.1, 0.3], total_steps=10), "Adam", 2, 11
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            dict(max_lr=np.ones((2, 1))),
            ValueError,
            "max_lr must be a single value or a 1-d list of values, got an array of shape 2x1",
        ),
        (
            dict(max_lr=0.1, total_steps=2**64),
            ValueError,
            "total_steps must be a positive integer <= 9007199254740992 (2**53), "
            "got 18446744073709551616",
        ),
        (
            dict(max_lr=0.1, total_steps=None, epochs=2**70, steps_per_epoch=3),
            ValueError,
            "epochs must be a positive integer <= 9007199254740992 (2**53), "
            "got 1180591620717411303424",
        ),
        (
            dict(max_lr=0.1, total_steps=None, epochs=2**30, steps_per_epoch=2**30),
            ValueError,
            "epochs * steps_per_epoch must be <= 9007199254740992 (2**53), got 1152921504606846976",
        ),
        (dict(max_lr=10**400), ValueError, f"max_lr must be a finite number >= 0, got {10**400}"),
        (
            dict(max_lr=np.array(["a"])),
            TypeError,
            "max_lr[0] must be a finite number >= 0, got 'a' of type str",
        ),
    ],
)
def test_numbers_out_of_every_range_name_the_argument_and_the_largest_value(
    kwargs, error, message
) -> None:
    _, opt = make_optimizer("SGD")
    before = group_snapshot(opt)
    args = dict(total_steps=10) | kwargs
    with pytest.raises(error) as raised:
        OneCycleLR(opt, **args)
    assert str(raised.value) == message
    assert_groups_equal(before, opt)


def test_huge_cycle_size_is_refused_naming_the_largest_accepted() -> None:
    _, opt = make_optimizer("SGD")
    with pytest.raises(ValueError) as raised:
        CosineAnnealingScheduler(opt, "lr", 0.1, 0.01, cycle_size=2**63)
    assert str(raised.value) == (
        "cycle_size must be an integer in 2..9007199254740992 (2**53), got 9223372036854775808"
    )


def test_momentum_above_1_is_accepted_as_torchs_own_test_suite_uses_it() -> None:
    """torch's test_lr_scheduler runs OneCycleLR(max_lr=25, final_div_factor=2,
    base_momentum=1, max_momentum=22) on SGD; we give the same values."""
    kwargs = dict(max_lr=25, final_div_factor=2, base_momentum=1, max_momentum=22, total_steps=10)
    ours = trace(lambda opt: OneCycleLR(opt, **kwargs), "SGD", 1, 10)
    theirs = trace(lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, **kwargs), "SGD", 1, 10)
    assert ours == theirs


def test_adam_beta1_of_1_is_refused_per_group_naming_the_group() -> None:
    _, opt = make_optimizer("Adam", 2)
    before = group_snapshot(opt)
    with pytest.raises(ValueError) as raised:
        OneCycleLR(opt, max_lr=0.1, total_steps=10, base_momentum=[0.8, 1.0])
    assert str(raised.value) == (
        "base_momentum[1] must be a number in [0, 1) for an optimizer with betas (Adam family: "
        "beta1 = 1 divides by zero in the bias correction), got 1.0"
    )
    assert_groups_equal(before, opt)
    OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False, max_momentum=1.0)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1.0, ValueError, "lr_scheduler_func(iteration) must be a finite number >= 0, got -1.0"),
        (
            float("nan"),
            ValueError,
            "lr_scheduler_func(iteration) must be a finite number >= 0, got nan",
        ),
        (
            float("inf"),
            ValueError,
            "lr_scheduler_func(iteration) must be a finite number >= 0, got inf",
        ),
        (
            "x",
            TypeError,
            "lr_scheduler_func(iteration) must be a finite number >= 0, got 'x' of type str",
        ),
    ],
)
def test_set_optimizer_lr_refuses_what_torchs_optimizers_refuse_before_writing(
    value, error, message
) -> None:
    _, opt = make_optimizer("SGD", 2)
    before = group_snapshot(opt)
    with pytest.raises(error) as raised:
        set_optimizer_lr(opt, lambda _: value, 0)
    assert str(raised.value) == message
    assert_groups_equal(before, opt)
    assert set_optimizer_lr(opt, get_lr_scheduler("cos", 0.1, 0.001, 10), 4) == applied(opt)[0][0]


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_english_ordinals(n: int, text: str) -> None:
    assert v.ordinal(n) == text


def test_the_end_of_a_schedule_is_told_with_an_english_ordinal() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        scheduler.step()
    with pytest.raises(ValueError, match=r"\(the 3rd step\(\) holds the final value\)"):
        scheduler.step()


def test_structured_errors_carry_the_parts_each_front_end_renders() -> None:
    with pytest.raises(v.ArgumentValueError) as raised:
        one_cycle_schedule(0, max_lr=[0.1, -2.0], total_steps=10)
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.argument == ("max_lr", 1)
    assert error.value == -2.0
    assert error.parts() == {
        "argument": ["max_lr", 1],
        "accepted": "a finite number >= 0",
        "note": "",
        "python_type": "ValueError",
        "value": -2.0,
        "described": None,
        "python_message": "max_lr[1] must be a finite number >= 0, got -2.0",
    }
    with pytest.raises(v.ArgumentTypeError) as typed:
        v.as_bool("three_phase", "yes")
    assert isinstance(typed.value, TypeError)
    assert typed.value.accepted.python == "True or False"
    assert typed.value.accepted.in_r == "TRUE or FALSE"
