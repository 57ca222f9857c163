"""Gradient accumulation and skipped updates: the schedule follows the updates applied."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from lr_one_cycle import (
    OneCycleLR,
    ScheduleDriftWarning,
    check_in_step,
    one_cycle_schedule,
    optimizer_updates,
    step_with_optimizer,
)

MAX_LR = 0.05


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Linear(3, 1)


def _record_applied(optimizer: torch.optim.Optimizer) -> list[float]:
    """The lr of every update actually applied, read just before it is applied."""
    applied: list[float] = []
    optimizer.register_step_pre_hook(
        lambda opt, args, kwargs: applied.append(opt.param_groups[0]["lr"])
    )
    return applied


def _loss(model: torch.nn.Module, i: int) -> torch.Tensor:
    x = torch.linspace(-1, 1, 6).reshape(2, 3) * (i + 1)
    return model(x).pow(2).mean()


def test_accumulation_steps_scheduler_once_per_update_and_follows_the_schedule() -> None:
    """4 micro-batches per update, 10 updates: the updates use steps 0..9 of the cycle
    bit for bit, and the scheduler ends on step 10 (the final value)."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    accumulation, updates = 4, 10
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=updates)
    applied = _record_applied(optimizer)
    for i in range(accumulation * updates):
        (_loss(model, i) / accumulation).backward()
        if (i + 1) % accumulation == 0:
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()
    expected, _ = one_cycle_schedule(
        np.arange(updates), max_lr=MAX_LR, total_steps=updates, exact=True
    )
    assert applied == expected.tolist()
    assert scheduler.last_epoch == updates
    assert scheduler.get_last_lr() == [
        one_cycle_schedule(updates, max_lr=MAX_LR, total_steps=updates)[0]
    ]


def test_stepping_per_micro_batch_runs_past_the_end_and_says_so() -> None:
    """The wrong pattern (a scheduler step per micro-batch) exhausts the schedule after
    a quarter of the updates and raises, instead of silently rebounding as torch does."""
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=10)
    with pytest.raises(
        ValueError, match=r"step\(\) beyond the end of the schedule: total_steps=10"
    ):
        for i in range(40):
            _loss(model, i).backward()
            scheduler.step()
            if (i + 1) % 4 == 0:
                optimizer.step()
                optimizer.zero_grad()


def _scaled_run(
    *, attempts: int, skip_at: set[int], total_steps: int, hook: bool
) -> tuple[OneCycleLR, torch.optim.Optimizer, list[float]]:
    """Adam + CPU GradScaler, ``attempts`` updates tried; those in ``skip_at`` overflow
    (an inf loss), so GradScaler skips them."""
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=total_steps)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    applied = _record_applied(optimizer)
    if hook:
        step_with_optimizer(scheduler, optimizer)
    for attempt in range(attempts):
        loss = _loss(model, attempt)
        if attempt in skip_at:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
        if not hook:
            scheduler.step()
    return scheduler, optimizer, applied


def test_step_with_optimizer_does_not_advance_the_schedule_on_a_skipped_update() -> None:
    """Two overflows skipped by GradScaler: the scheduler stays on the updates applied,
    so the 12 applied updates still take steps 0..11 of the 12-step cycle, in order."""
    scheduler, optimizer, applied = _scaled_run(
        attempts=14, skip_at={3, 7}, total_steps=12, hook=True
    )
    expected, _ = one_cycle_schedule(np.arange(12), max_lr=MAX_LR, total_steps=12, exact=True)
    assert applied == expected.tolist()
    assert scheduler.last_epoch == optimizer_updates(optimizer) == 12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_in_step(scheduler, optimizer)


def test_check_in_step_warns_when_the_scheduler_stepped_on_skipped_updates() -> None:
    """Stepping the scheduler after every scaler.step() runs the schedule ahead by one
    step per skipped update; check_in_step names both counts."""
    scheduler, optimizer, _ = _scaled_run(attempts=6, skip_at={2}, total_steps=6, hook=False)
    assert (scheduler.last_epoch, optimizer_updates(optimizer)) == (6, 5)
    with pytest.warns(
        ScheduleDriftWarning,
        match=r"the scheduler is at step 6 but the optimizer has applied 5 updates: "
        r"the schedule runs ahead of the training",
    ):
        assert not check_in_step(scheduler, optimizer)


def test_check_in_step_takes_an_explicit_count_and_reports_a_lagging_scheduler() -> None:
    optimizer = torch.optim.SGD(_model().parameters(), lr=0.1, momentum=0.9)
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=10)
    assert optimizer_updates(optimizer) is None  # SGD keeps no count of its own
    assert check_in_step(scheduler, optimizer)
    with pytest.warns(ScheduleDriftWarning, match="runs behind the training"):
        assert not check_in_step(scheduler, optimizer, updates=3)


def test_optimizer_update_count_survives_a_checkpoint() -> None:
    """Adam's own count is restored with its state_dict, so the check works after resume."""
    _, optimizer, _ = _scaled_run(attempts=4, skip_at=set(), total_steps=4, hook=True)
    fresh = torch.optim.Adam(_model().parameters(), lr=0.1)
    fresh.load_state_dict(optimizer.state_dict())
    assert optimizer_updates(fresh) == 4


def test_removing_the_hook_stops_stepping_the_scheduler() -> None:
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=10)
    handle = step_with_optimizer(scheduler, optimizer)
    _loss(model, 0).backward()
    optimizer.step()
    handle.remove()
    optimizer.step()
    assert scheduler.last_epoch == 1
