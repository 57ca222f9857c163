"""get_lr_scheduler / set_optimizer_lr: the yolo scripts' warm-up + decay factory.

Oracle: the scripts' formulas, transcribed below in plain Python (they are not on any
package index); values must be bitwise equal to them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from lr_one_cycle import get_lr_scheduler, set_optimizer_lr


def scripts_lr(
    kind: str,
    lr: float,
    min_lr: float,
    total_iters: int,
    warmup_iters_ratio: float = 0.05,
    warmup_lr_ratio: float = 0.1,
    no_aug_iter_ratio: float = 0.05,
    step_num: int = 10,
) -> Any:
    """The scripts' ``get_lr_scheduler`` ("cos" and "step"), operation for operation."""
    if kind == "cos":
        warmup = min(max(warmup_iters_ratio * total_iters, 1), 3)
        start = max(warmup_lr_ratio * lr, 1e-6)
        tail = min(max(no_aug_iter_ratio * total_iters, 1), 15)

        def cos(iters: float) -> float:
            if iters <= warmup:
                return (lr - start) * pow(iters / float(warmup), 2) + start
            if iters >= total_iters - tail:
                return min_lr
            angle = math.pi * (iters - warmup) / (total_iters - warmup - tail)
            return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(angle))

        return cos
    rate = (min_lr / lr) ** (1 / (step_num - 1))
    size = total_iters / step_num
    return lambda iters: lr * rate ** (iters // size)


@pytest.mark.parametrize(
    "kind,total_iters",
    [("cos", n) for n in (1, 2, 3, 10, 37, 100, 300, 1000)]
    + [("step", n) for n in (2, 3, 10, 37, 100, 300, 1000)],
)
def test_values_are_bitwise_the_scripts_over_the_whole_run(kind: str, total_iters: int) -> None:
    steps = min(10, total_iters) if kind == "step" else 10
    ours = get_lr_scheduler(kind, 0.01, 0.0001, total_iters, step_num=steps)
    reference = scripts_lr(kind, 0.01, 0.0001, total_iters, step_num=steps)
    iterations = range(total_iters)
    assert [ours(i) for i in iterations] == [reference(i) for i in iterations]
    assert ours(np.arange(total_iters), exact=True).tolist() == [reference(i) for i in iterations]


def test_fractional_iterations_and_other_ratios_match_the_scripts() -> None:
    args = ("cos", 0.05, 0.0005, 40)
    ratios = dict(warmup_iters_ratio=0.06, warmup_lr_ratio=0.2, no_aug_iter_ratio=0.15)
    ours, reference = get_lr_scheduler(*args, **ratios), scripts_lr(*args, **ratios)
    iterations = [e + b / 9 for e in range(40) for b in range(9)]
    assert [ours(i) for i in iterations] == [reference(i) for i in iterations]


def test_cos_shape_quadratic_warmup_cosine_then_flat_tail() -> None:
    lr, min_lr = 0.01, 0.0001
    schedule = get_lr_scheduler("cos", lr, min_lr, 100)
    values = schedule(np.arange(101))
    assert values[0] == 0.1 * lr and values[3] == pytest.approx(
        lr, rel=1e-15
    )  # warm-up: 3 iterations (capped)
    assert values[1] - values[0] < values[2] - values[1]  # quadratic, not linear
    assert np.all(np.diff(values[3:96]) < 0)  # cosine decay ...
    assert np.all(values[95:] == min_lr)  # ... then 5 iterations at min_lr
    assert schedule.warmup_total_iters == 3 and schedule.no_aug_iter == 5


def test_step_has_step_num_levels_down_to_min_lr_and_holds_the_last() -> None:
    schedule = get_lr_scheduler("step", 0.1, 0.001, 50, step_num=5)
    values = schedule(np.arange(51))
    levels = sorted(set(values.tolist()), reverse=True)
    assert len(levels) == 5 and levels[0] == 0.1 and levels[-1] == pytest.approx(0.001, rel=1e-12)
    assert values[50] == values[49] == levels[-1]  # the scripts would decay once more here
    assert levels[1] / levels[0] == pytest.approx(0.01**0.25, rel=1e-12)


def test_poly_decays_with_power_point_nine_to_min_lr() -> None:
    schedule = get_lr_scheduler("poly", 0.02, 0.001, 80)
    expected = [0.001 + (0.02 - 0.001) * (1 - i / 80) ** 0.9 for i in range(81)]
    assert [schedule(i) for i in range(81)] == expected
    assert schedule(80) == 0.001 and schedule(0) == 0.02


def test_set_optimizer_lr_writes_every_group_and_returns_the_value() -> None:
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [p]} for p in params], lr=1.0)
    opt.param_groups[1]["lr"] = held = torch.tensor(1.0, dtype=torch.float64)
    schedule = get_lr_scheduler("cos", 0.01, 0.0001, 20)
    for epoch in range(21):
        lr = set_optimizer_lr(opt, schedule, epoch)
        assert lr == schedule(epoch) == opt.param_groups[0]["lr"] == held.item()
    assert opt.param_groups[1]["lr"] is held


@pytest.mark.parametrize(
    "change,error,message",
    [
        (
            {"lr_decay_type": "exp"},
            ValueError,
            "lr_decay_type must be 'cos' or 'step' or 'poly', got 'exp'",
        ),
        ({"lr": 0}, ValueError, "lr must be a finite number > 0, got 0"),
        ({"min_lr": 0.2}, ValueError, "min_lr must be a number in [0, 0.1], got 0.2"),
        ({"total_iters": 0}, ValueError, "total_iters must be a positive integer, got 0"),
        ({"total_iters": 10.5}, ValueError, "total_iters must be a positive integer, got 10.5"),
        ({"step_num": 1}, ValueError, "step_num must be an integer >= 2, got 1"),
        (
            {"warmup_iters_ratio": 1.5},
            ValueError,
            "warmup_iters_ratio must be a number in [0, 1], got 1.5",
        ),
        (
            {"lr_decay_type": "step", "min_lr": 0},
            ValueError,
            "min_lr must be > 0 for 'step': the decay ratio is (min_lr / lr) ** (1 / "
            "(step_num - 1)), got 0.0",
        ),
        (
            {"lr_decay_type": "step", "total_iters": 5},
            ValueError,
            "total_iters (5) must be >= step_num (10) for 'step': each level lasts "
            "total_iters / step_num >= 1 iterations",
        ),
    ],
)
def test_bad_arguments_raise_pinned_messages(
    change: dict[str, Any], error: type, message: str
) -> None:
    kwargs = dict(dict(lr_decay_type="cos", lr=0.1, min_lr=0.001, total_iters=100), **change)
    with pytest.raises(error) as raised:
        get_lr_scheduler(**kwargs)
    assert str(raised.value) == message


def test_iterations_outside_the_run_and_bad_functions_are_refused_before_writing() -> None:
    schedule = get_lr_scheduler("cos", 0.1, 0.001, 100)
    with pytest.raises(
        ValueError, match=r"^iteration must be in 0\.\.100 \(total_iters=100\), got 101$"
    ):
        schedule(101)
    with pytest.raises(ValueError, match=r"^iteration must be a finite number >= 0, got -1$"):
        schedule(-1)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    with pytest.raises(TypeError, match=r"^lr_scheduler_func must be a function iteration -> lr"):
        set_optimizer_lr(opt, 0.1, 3)
    with pytest.raises(ValueError, match="iteration must be in"):
        set_optimizer_lr(opt, schedule, 200)
    assert opt.param_groups[0]["lr"] == 0.5
