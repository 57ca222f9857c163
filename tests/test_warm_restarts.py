"""CosineAnnealingWarmRestarts (SGDR) and warm_restarts_schedule.

Oracle: torch 2.13's ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``, bitwise,
for sequential steps, fractional ``step(epoch)`` calls and several groups; the
extensions (real T_mult, decay, warm-up) against their defining formulas.
"""

from __future__ import annotations

import io
import itertools
import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lr_one_cycle import CosineAnnealingWarmRestarts, warm_restarts_schedule

TorchSGDR = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts
LRS = (0.3, 0.07, 1.0)


def optimizer(lrs: tuple[float, ...] = LRS) -> torch.optim.SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=0.1)


def lrs_of(opt: torch.optim.Optimizer) -> list[float]:
    return [g["lr"] for g in opt.param_groups]


def stepped(scheduler_cls: Any, epochs: list[float | None], **kwargs: Any) -> list[list[float]]:
    """The lrs after construction and after each ``step(epoch)`` (``None``: ``step()``)."""
    opt = optimizer()
    scheduler = scheduler_cls(opt, **kwargs)
    seen = [lrs_of(opt)]
    for epoch in epochs:
        scheduler.step() if epoch is None else scheduler.step(epoch)
        seen.append(lrs_of(opt))
        assert scheduler.get_last_lr() == seen[-1]
    return seen


# --------------------------------------------------------------------------- torch parity


@pytest.mark.parametrize(
    "T_0,T_mult,eta_min", list(itertools.product([1, 3, 10], [1, 2, 3], [0.0, 1e-3]))
)
def test_sequential_steps_are_bitwise_torchs_for_every_group(
    T_0: int, T_mult: int, eta_min: float
) -> None:
    kwargs = dict(T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    assert stepped(CosineAnnealingWarmRestarts, [None] * 250, **kwargs) == stepped(
        TorchSGDR, [None] * 250, **kwargs
    )


def test_torch_attributes_follow_the_steps() -> None:
    ours = CosineAnnealingWarmRestarts(optimizer(), T_0=3, T_mult=2)
    reference = TorchSGDR(optimizer(), T_0=3, T_mult=2)
    for _ in range(30):
        ours.step()
        reference.step()
        assert (ours.last_epoch, ours.T_cur, ours.T_i) == (
            reference.last_epoch,
            reference.T_cur,
            reference.T_i,
        )
    assert ours.base_lrs == reference.base_lrs and isinstance(
        ours, torch.optim.lr_scheduler.LRScheduler
    )


@pytest.mark.parametrize("T_0,T_mult", [(1, 1), (4, 1), (10, 1), (2, 2), (3, 3), (10, 2)])
def test_fractional_step_epoch_calls_are_bitwise_torchs(T_0: int, T_mult: int) -> None:
    """torch's documented per-batch use: ``scheduler.step(epoch + i / iters)``."""
    iters = 7
    epochs: list[float | None] = [e + i / iters for e in range(30) for i in range(iters)]
    kwargs = dict(T_0=T_0, T_mult=T_mult, eta_min=1e-4)
    assert stepped(CosineAnnealingWarmRestarts, epochs, **kwargs) == stepped(
        TorchSGDR, epochs, **kwargs
    )


@settings(max_examples=30, deadline=None)
@given(
    T_0=st.integers(1, 12),
    T_mult=st.integers(1, 3),
    epochs=st.lists(st.floats(0, 300, allow_nan=False), min_size=1, max_size=15),
)
def test_random_jumps_match_torch_bitwise(T_0: int, T_mult: int, epochs: list[float]) -> None:
    # torch's step(epoch) takes a float logarithm to find the cycle; where it misses (see
    # test_exact_cycle_where_torchs_logarithm_misses) torch disagrees with itself.
    def torch_cycle_ok(epoch: float) -> bool:
        if T_mult == 1 or epoch < T_0:
            return True
        n = int(math.log(epoch / T_0 * (T_mult - 1) + 1, T_mult))
        return (
            T_0 * (T_mult**n - 1) / (T_mult - 1)
            <= epoch
            < T_0 * (T_mult ** (n + 1) - 1) / (T_mult - 1)
        )

    kept: list[float | None] = [e for e in epochs if torch_cycle_ok(e)]
    kwargs = dict(T_0=T_0, T_mult=T_mult)
    assert stepped(CosineAnnealingWarmRestarts, kept, **kwargs) == stepped(
        TorchSGDR, kept, **kwargs
    )


def test_interleaved_step_and_step_epoch_as_in_torchs_docs() -> None:
    epochs: list[float | None] = [None] * 20 + [26, None, None, 3.5, None, 40.25, None]
    kwargs = dict(T_0=10, T_mult=2, eta_min=0.01)
    assert stepped(CosineAnnealingWarmRestarts, epochs, **kwargs) == stepped(
        TorchSGDR, epochs, **kwargs
    )


def test_exact_cycle_where_torchs_logarithm_misses() -> None:
    """Epoch 111 with T_0=1, T_mult=10 starts cycle 3 (1 + 10 + 100 = 111): stepping
    gives the peak there. torch's ``step(111)`` computes log10(1000) = 2.9999999999999996,
    stays in cycle 2 and returns eta_min; ours agrees with stepping."""
    kwargs = dict(T_0=1, T_mult=10, eta_min=0.0)
    walked = stepped(TorchSGDR, [None] * 111, **kwargs)[-1]
    assert walked == list(LRS)
    assert stepped(TorchSGDR, [111], **kwargs)[-1] == [0.0, 0.0, 0.0]
    assert stepped(CosineAnnealingWarmRestarts, [111], **kwargs)[-1] == walked


def test_pure_function_matches_the_scheduler_at_any_position() -> None:
    kwargs = dict(T_0=5, T_mult=2, eta_min=0.001)
    positions = np.random.default_rng(1).uniform(0, 200, 300)
    positions[::3] = np.floor(positions[::3])
    values = warm_restarts_schedule(positions, base_lr=0.3, exact=True, **kwargs)
    opt = optimizer((0.3,))
    scheduler = CosineAnnealingWarmRestarts(opt, **kwargs)
    for position, value in zip(positions.tolist(), values.tolist()):
        scheduler.step(position)
        assert lrs_of(opt) == [value]
        assert warm_restarts_schedule(position, base_lr=0.3, **kwargs) == value
    # numpy.cos may differ from math.cos by a few ulp on some builds and CPUs: a few ulp of
    # base_lr, not of the value (which can be near eta_min).
    np.testing.assert_allclose(
        warm_restarts_schedule(positions, base_lr=0.3, **kwargs),
        values,
        rtol=0,
        atol=4 * np.spacing(0.3),
    )


# --------------------------------------------------------------------------- extensions


def test_whole_float_t_mult_is_the_integer_one() -> None:
    steps: list[float | None] = [None] * 100
    assert stepped(CosineAnnealingWarmRestarts, steps, T_0=3, T_mult=2.0) == stepped(
        TorchSGDR, steps, T_0=3, T_mult=2
    )


def test_real_t_mult_grows_cycles_geometrically_like_a_running_t_cur() -> None:
    """T_mult=1.5, T_0=4: restarts at 4, 10, 19, 32.5, ... A running T_cur/T_i (torch's
    step() algorithm, which refuses a real T_mult) gives the same values up to rounding."""
    T_0, T_mult, base = 4, 1.5, 0.3
    ours = warm_restarts_schedule(np.arange(120), base_lr=base, T_0=T_0, T_mult=T_mult, exact=True)
    t_cur, t_i, expected = 0.0, float(T_0), []
    for _ in range(120):
        expected.append(base * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur, t_i = t_cur % t_i, t_i * T_mult
    assert np.allclose(ours, expected, rtol=0, atol=1e-15)
    assert [i for i in range(120) if ours[i] == base] == [0, 4, 10, 19]  # 32.5 is between steps
    assert ours[33] == warm_restarts_schedule(33, base_lr=base, T_0=T_0, T_mult=T_mult)
    assert ours[33] == pytest.approx(base * (1 + math.cos(math.pi * 0.5 / 20.25)) / 2, rel=1e-15)


def test_decay_scales_each_cycles_amplitude() -> None:
    base, eta_min, decay = 0.5, 0.01, 0.6
    peaks = warm_restarts_schedule(
        [0, 3, 9, 21], base_lr=base, T_0=3, T_mult=2, eta_min=eta_min, decay=decay
    )
    assert peaks.tolist() == [eta_min + (base - eta_min) * decay**i for i in range(4)]
    steps: list[float | None] = [None] * 49
    undecayed = stepped(CosineAnnealingWarmRestarts, steps, T_0=3, T_mult=2, decay=1.0)
    assert undecayed == stepped(TorchSGDR, steps, T_0=3, T_mult=2)


def test_warmup_ramps_linearly_then_anneals_the_rest_of_each_cycle() -> None:
    base, eta_min, w = 0.4, 0.02, 2
    values = warm_restarts_schedule(
        np.arange(15), base_lr=base, T_0=5, T_mult=2, eta_min=eta_min, warmup_steps=w, exact=True
    ).tolist()
    for start, length in [(0, 5), (5, 10)]:
        assert values[start : start + w] == [eta_min + (base - eta_min) * (k / w) for k in range(w)]
        assert values[start + w] == eta_min + (base - eta_min)  # the peak, after the ramp
        for k in range(w, length):
            angle = math.pi * (k - w) / (length - w)
            assert values[start + k] == eta_min + (base - eta_min) * (1 + math.cos(angle)) / 2


# --------------------------------------------------------------------------- state


def test_state_dict_round_trip_through_torch_save_resumes_identically() -> None:
    kwargs = dict(T_0=4, T_mult=1.5, eta_min=0.001, decay=0.8, warmup_steps=1)
    full = stepped(CosineAnnealingWarmRestarts, [None] * 60, **kwargs)
    opt = optimizer()
    first = CosineAnnealingWarmRestarts(opt, **kwargs)
    for _ in range(23):
        first.step()
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    resumed_opt = optimizer((9.0, 9.0, 9.0))  # lrs as a checkpointed optimizer holds them
    second = CosineAnnealingWarmRestarts(resumed_opt, **kwargs)
    second.load_state_dict(saved)
    rest = [lrs_of(resumed_opt)]
    for _ in range(37):
        second.step()
        rest.append(lrs_of(resumed_opt))
    assert rest == full[23:]


def test_last_epoch_resumes_at_that_step_from_initial_lr() -> None:
    opt = optimizer()
    TorchSGDR(opt, T_0=5)  # leaves 'initial_lr' in the groups, as torch schedulers do
    for group in opt.param_groups:
        group["lr"] = 123.0
    CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, last_epoch=12)
    assert lrs_of(opt) == stepped(CosineAnnealingWarmRestarts, [None] * 12, T_0=5, T_mult=2)[-1]


def test_load_state_dict_restores_last_epoch_apart_from_the_position_and_checks_it() -> None:
    source = CosineAnnealingWarmRestarts(optimizer(), T_0=5)
    source.step(2.5)  # the position moves to 2.5 ...
    source.last_epoch = 10  # as tools do (ignite's wrapper): it counts apart from the position
    state = source.state_dict()
    scheduler = CosineAnnealingWarmRestarts(optimizer(), T_0=5)
    scheduler.load_state_dict(state)
    assert (scheduler.last_epoch, scheduler.position) == (source.last_epoch, source.position)
    for bad, error in [("garbage", TypeError), (-7, ValueError), (1.5, ValueError), (None, TypeError)]:
        kept = scheduler.state_dict()
        with pytest.raises(error, match=r"^state_dict\['last_epoch'\] must be an integer >= -1"):
            scheduler.load_state_dict(state | {"last_epoch": bad})
        assert scheduler.state_dict() == kept


def test_load_state_dict_refuses_another_schedule() -> None:
    scheduler = CosineAnnealingWarmRestarts(optimizer(), T_0=5)
    state = CosineAnnealingWarmRestarts(optimizer(), T_0=6, decay=0.5).state_dict()
    with pytest.raises(ValueError) as raised:
        scheduler.load_state_dict(state)
    assert str(raised.value) == (
        "state_dict was saved for another schedule; these settings differ: T_0 (saved 6, "
        "here 5); decay (saved 0.5, here 1.0)"
    )
    with pytest.raises(ValueError, match=r"^state_dict is missing position: it was not saved"):
        scheduler.load_state_dict({k: v for k, v in state.items() if k != "position"})
    assert scheduler.last_epoch == 0


def test_tensor_lr_is_updated_in_place() -> None:
    opt = optimizer((0.3,))
    opt.param_groups[0]["lr"] = held = torch.tensor(0.3, dtype=torch.float64)
    scheduler = CosineAnnealingWarmRestarts(opt, T_0=4)
    scheduler.step()
    assert opt.param_groups[0]["lr"] is held
    assert held.item() == warm_restarts_schedule(1, base_lr=0.3, T_0=4)


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    "change,error,message",
    [
        ({"T_0": 0}, ValueError, "T_0 must be a positive integer, got 0"),
        ({"T_0": 2.5}, ValueError, "T_0 must be a positive integer, got 2.5"),
        ({"T_mult": 0.5}, ValueError, "T_mult must be a finite number >= 1, got 0.5"),
        (
            {"warmup_steps": 5},
            ValueError,
            "warmup_steps must be smaller than T_0 (5): the warm-up is part of every cycle, got 5",
        ),
        ({"decay": 0}, ValueError, "decay must be a number in (0, 1], got 0"),
        # decay > 1 grows every peak until the lr overflows to inf.
        ({"decay": 1.5}, ValueError, "decay must be a number in (0, 1], got 1.5"),
        (
            {"eta_min": -1e308, "base_lr": 1e308},
            ValueError,
            "eta_min must be a number that keeps base_lr - eta_min finite, got -1e+308",
        ),
        ({"eta_min": "0"}, TypeError, "eta_min must be a finite number, got '0' of type str"),
        ({"last_epoch": -2}, ValueError, "last_epoch must be an integer >= -1, got -2"),
        (
            {"last_epoch": 3},
            ValueError,
            "last_epoch=3 resumes a schedule, which needs each group's base lr: "
            "optimizer.param_groups[0] has no 'initial_lr' (torch schedulers store it); pass "
            "base_lr, or build with last_epoch=-1 and call load_state_dict()",
        ),
    ],
)
def test_bad_arguments_raise_pinned_messages_before_touching_the_optimizer(
    change: dict[str, Any], error: type, message: str
) -> None:
    opt = optimizer()
    with pytest.raises(error) as raised:
        CosineAnnealingWarmRestarts(opt, **dict(dict(T_0=5), **change))
    assert str(raised.value) == message
    assert lrs_of(opt) == list(LRS) and all("initial_lr" not in g for g in opt.param_groups)


@pytest.mark.parametrize(
    "epoch,error,message",
    [
        (-1, ValueError, "epoch must be a finite number >= 0, got -1"),
        ("2", TypeError, "epoch must be a finite number >= 0, got '2' of type str"),
    ],
)
def test_bad_step_epoch_leaves_the_scheduler_where_it_was(
    epoch: Any, error: type, message: str
) -> None:
    opt = optimizer()
    scheduler = CosineAnnealingWarmRestarts(opt, T_0=5)
    scheduler.step()
    before = lrs_of(opt)
    with pytest.raises(error) as raised:
        scheduler.step(epoch)
    assert str(raised.value) == message
    assert (scheduler.last_epoch, lrs_of(opt)) == (1, before)


@pytest.mark.parametrize("epoch", [2**64, 10**20, 1e300, 2**53 + 1, np.uint64(2**64 - 1)])
def test_an_epoch_past_2_to_the_53_is_refused_naming_it_and_changes_nothing(epoch) -> None:
    opt = optimizer()
    scheduler = CosineAnnealingWarmRestarts(opt, T_0=3)
    scheduler.step()
    kept, lrs = scheduler.state_dict(), lrs_of(opt)
    with pytest.raises(ValueError, match=r"^epoch must be a number in \[0, 9007199254740992\] \(2\*\*53\)"):
        scheduler.step(epoch)
    assert scheduler.state_dict() == kept and lrs_of(opt) == lrs
    # The pure function refuses such a step alone as it refuses it in an array (a float
    # would round 2**53 + 1 to 2**53, another position in the cycle).
    with pytest.raises(ValueError, match=r"^epoch must be a number in \[0, 9007199254740992\] "):
        warm_restarts_schedule(epoch, base_lr=0.1, T_0=3)
    array = np.array([epoch], dtype=np.int64 if epoch == 2**53 + 1 else np.float64)
    with pytest.raises(ValueError, match=r"^steps must be <= 9007199254740992 \(2\*\*53\), got "):
        warm_restarts_schedule(array, base_lr=0.1, T_0=3)


def test_the_last_epochs_below_2_to_the_53_step_on_without_listing_beyond_it() -> None:
    opt = optimizer()
    scheduler = CosineAnnealingWarmRestarts(opt, T_0=3)
    scheduler.step(2**53 - 2)
    scheduler.step()
    scheduler.step()
    assert scheduler.position == 2**53
    assert lrs_of(opt) == [warm_restarts_schedule(2**53, base_lr=lr, T_0=3) for lr in LRS]


def test_a_float32_tensor_lr_is_the_value_rounded_once_within_1_ulp_of_torchs() -> None:
    """torch computes in the tensor's dtype (its base_lrs are float32 tensors then); ours
    rounds the float64 value once (README, "Differences")."""
    runs = []
    for cls in (CosineAnnealingWarmRestarts, TorchSGDR):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.1))
        scheduler, lrs = cls(opt, T_0=5), []
        for _ in range(12):
            opt.step()
            scheduler.step()
            lrs.append(opt.param_groups[0]["lr"].clone())
        runs.append(torch.stack(lrs))
    ours, theirs = runs
    exact = warm_restarts_schedule(np.arange(1, 13), base_lr=float(torch.tensor(0.1)), T_0=5, exact=True)
    assert ours.dtype == torch.float32
    assert ours.tolist() == torch.tensor(exact, dtype=torch.float32).tolist()
    gap = (ours.view(torch.int32) - theirs.view(torch.int32)).abs()
    assert int(gap.max()) <= 1
