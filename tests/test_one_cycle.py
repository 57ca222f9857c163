"""OneCycleLR / lr_one_cycle(): bitwise parity with torch 2.13's OneCycleLR, the documented
differences from it, resume, validation before mutation, state checks, tensors, duck typing."""

from __future__ import annotations

import io
import math
import subprocess
import sys
import warnings

import pytest
import torch
from conftest import applied, assert_groups_equal, group_snapshot, make_optimizer, trace
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from torch.optim.lr_scheduler import LRScheduler
from torch.optim.lr_scheduler import OneCycleLR as TorchOneCycleLR

from lr_one_cycle import OneCycleLR, lr_one_cycle, one_cycle_schedule

# name: (optimizer kind, groups, total steps to compare, scheduler kwargs)
PARITY_CASES = {
    "sgd-defaults": ("SGD", 1, 100, dict(max_lr=0.01, total_steps=100)),
    "adam-linear": ("Adam", 1, 57, dict(max_lr=0.3, total_steps=57, anneal_strategy="linear")),
    "adamw-three-phase": ("AdamW", 1, 120, dict(max_lr=1e-3, total_steps=120, three_phase=True)),
    "rmsprop-epochs": ("RMSprop", 1, 100, dict(max_lr=0.05, epochs=4, steps_per_epoch=25)),
    "sgd-3-groups-lists": (
        "SGD",
        3,
        64,
        dict(
            max_lr=[0.1, 0.01, 1.0],
            total_steps=64,
            base_momentum=[0.8, 0.85, 0.7],
            max_momentum=[0.9, 0.95, 0.99],
        ),
    ),
    "adam-2-groups-three-phase-linear": (
        "Adam",
        2,
        90,
        dict(
            max_lr=[0.02, 0.2],
            total_steps=90,
            three_phase=True,
            anneal_strategy="linear",
            pct_start=0.4,
        ),
    ),
    "sgd-no-momentum-cycling": (
        "SGD",
        2,
        40,
        dict(max_lr=0.1, total_steps=40, cycle_momentum=False),
    ),
    "adam-factors": (
        "Adam",
        1,
        33,
        dict(max_lr=2.0, total_steps=33, div_factor=3.0, final_div_factor=7.0),
    ),
    "sgd-pct-start-0": ("SGD", 1, 20, dict(max_lr=0.1, total_steps=20, pct_start=0.0)),
    "sgd-pct-start-1": ("SGD", 1, 20, dict(max_lr=0.1, total_steps=20, pct_start=1.0)),
    "sgd-one-step": ("SGD", 1, 1, dict(max_lr=0.1, total_steps=1)),
    "adamw-three-phase-late-peak": (
        "AdamW",
        1,
        50,
        dict(max_lr=0.1, total_steps=50, three_phase=True, pct_start=0.7),
    ),
}


@pytest.mark.parametrize("name", PARITY_CASES)
def test_values_are_bitwise_equal_to_torch_on_every_step(name: str) -> None:
    kind, groups, steps, kwargs = PARITY_CASES[name]
    ours = trace(lambda opt: OneCycleLR(opt, **kwargs), kind, groups, steps)
    theirs = trace(lambda opt: TorchOneCycleLR(opt, **kwargs), kind, groups, steps)
    assert ours == theirs


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_hypothesis_configurations_are_bitwise_equal_to_torch(data) -> None:
    groups = data.draw(st.integers(1, 3), label="groups")
    kind = data.draw(st.sampled_from(["SGD", "Adam", "AdamW", "RMSprop"]), label="optimizer")
    per_group = st.lists(st.floats(1e-5, 5.0), min_size=groups, max_size=groups)
    max_lr = data.draw(st.floats(1e-5, 5.0) | per_group, label="max_lr")
    base = data.draw(st.floats(0.5, 0.85), label="base_momentum")
    top = data.draw(
        st.floats(0.85, 0.99) | st.lists(st.floats(0.85, 0.99), min_size=groups, max_size=groups)
    )
    if data.draw(st.booleans(), label="length as epochs x steps_per_epoch"):
        epochs, per_epoch = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 40))
        length = dict(epochs=epochs, steps_per_epoch=per_epoch)
        total = epochs * per_epoch
    else:
        total = data.draw(st.integers(1, 300), label="total_steps")
        length = dict(total_steps=total)
    kwargs = dict(
        max_lr=max_lr,
        pct_start=data.draw(st.floats(0.0, 1.0), label="pct_start"),
        anneal_strategy=data.draw(st.sampled_from(["cos", "linear"])),
        three_phase=data.draw(st.booleans(), label="three_phase"),
        base_momentum=base,
        max_momentum=top,
        div_factor=data.draw(st.floats(1.0, 100.0)),
        final_div_factor=data.draw(st.floats(1.0, 1e5)),
        **length,
    )
    try:
        theirs = trace(lambda opt: TorchOneCycleLR(opt, **kwargs), kind, groups, total)
    except ZeroDivisionError:
        reject()  # a zero-length phase: torch has no value to compare with
    ours = trace(lambda opt: OneCycleLR(opt, **kwargs), kind, groups, total)
    assert ours == theirs


def test_lr_one_cycle_takes_r_torch_arguments_and_returns_a_one_cycle_lr() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = lr_one_cycle(opt, max_lr=0.01, steps_per_epoch=10.0, epochs=10.0)
    assert isinstance(scheduler, OneCycleLR) and scheduler.total_steps == 100
    assert isinstance(scheduler, LRScheduler)
    assert scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [one_cycle_schedule(0, max_lr=0.01, total_steps=100)[0]]


def test_whole_floats_are_accepted_as_counts_and_give_the_same_schedule() -> None:
    ints = trace(lambda o: OneCycleLR(o, 0.1, epochs=3, steps_per_epoch=7), "SGD", 1, 21)
    floats = trace(lambda o: OneCycleLR(o, 0.1, epochs=3.0, steps_per_epoch=7.0), "SGD", 1, 21)
    assert ints == floats


# ------------------------------------------------------------------ end of the schedule


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_the_total_steps_th_step_holds_the_final_value_where_torch_does_not(strategy) -> None:
    values = {}
    for cls in (OneCycleLR, TorchOneCycleLR):
        _, opt = make_optimizer("SGD")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler = cls(opt, max_lr=0.1, total_steps=20, anneal_strategy=strategy)
            lrs = []
            for _ in range(20):
                lrs.append(opt.param_groups[0]["lr"])
                scheduler.step()
            lrs.append(opt.param_groups[0]["lr"])
        values[cls] = lrs
    ours, torchs = values[OneCycleLR], values[TorchOneCycleLR]
    assert ours[:20] == torchs[:20]
    assert ours[20] == ours[19]
    assert torchs[20] != torchs[19]  # torch rebounds (cos) or goes negative (linear)


def test_stepping_beyond_the_end_raises_and_does_not_advance_last_epoch() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        scheduler.step()
    before = group_snapshot(opt)
    message = (
        "step() beyond the end of the schedule: total_steps=5 were configured and 5 steps have "
        "been taken (the 5th step() holds the final value); last_epoch stays 5"
    )
    for _ in range(2):  # a retry gives the same answer: nothing moved
        with pytest.raises(ValueError) as caught:
            scheduler.step()
        assert str(caught.value) == message
        assert scheduler.last_epoch == 5
    assert_groups_equal(before, opt)


def test_step_with_an_epoch_jumps_to_that_step() -> None:
    _, opt = make_optimizer("Adam")
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=50)
    scheduler.step(37)
    assert scheduler.last_epoch == 37
    lr, mom = one_cycle_schedule(37, max_lr=0.1, total_steps=50)
    assert applied(opt) == [(lr, mom)]
    with pytest.raises(
        ValueError, match=r"^epoch must be in 0\.\.50 \(total_steps=50\), got 51$"
    ):
        scheduler.step(51)
    assert scheduler.last_epoch == 37


# ------------------------------------------------------------------ resume


def _train(model, opt, scheduler, steps, record):
    x = torch.linspace(-1, 1, 12).reshape(4, 3)
    for _ in range(steps):
        record.append(applied(opt))
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
        scheduler.step()


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_resume_through_torch_save_at_every_step_is_bitwise_equal_to_an_uninterrupted_run(
    kind, tmp_path
) -> None:
    total = 12
    kwargs = dict(max_lr=0.1, total_steps=total, three_phase=True)
    model, opt = make_optimizer(kind, 2)
    reference: list = []
    _train(model, opt, OneCycleLR(opt, **kwargs), total, reference)
    reference_weights = [p.detach().clone() for p in model.parameters()]

    for k in range(total + 1):
        model, opt = make_optimizer(kind, 2)
        scheduler = OneCycleLR(opt, **kwargs)
        record: list = []
        _train(model, opt, scheduler, k, record)
        path = tmp_path / f"ckpt{k}.pt"
        torch.save(
            {"model": model.state_dict(), "opt": opt.state_dict(), "sched": scheduler.state_dict()},
            path,
        )

        saved = torch.load(path, weights_only=True)
        model, opt = make_optimizer(
            kind, 2, seed=99
        )  # different initial weights: all must come from the file
        model.load_state_dict(saved["model"])
        scheduler = OneCycleLR(opt, **kwargs)
        opt.load_state_dict(saved["opt"])
        scheduler.load_state_dict(saved["sched"])
        _train(model, opt, scheduler, total - k, record)
        assert record == reference, f"resumed at {k}"
        assert all(
            torch.equal(a, b) for a, b in zip(model.parameters(), reference_weights, strict=True)
        )


def test_resume_by_last_epoch_continues_exactly_where_the_saved_run_was() -> None:
    total, k = 15, 6
    kwargs = dict(max_lr=0.1, total_steps=total)
    model, opt = make_optimizer("SGD")
    reference: list = []
    _train(model, opt, OneCycleLR(opt, **kwargs), total, reference)

    model, opt = make_optimizer("SGD")
    first = OneCycleLR(opt, **kwargs)
    record: list = []
    _train(model, opt, first, k, record)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buffer)
    saved_last_epoch = first.last_epoch

    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    model, opt = make_optimizer("SGD", seed=5)
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["opt"])
    # No initial_lr in the groups is needed: the arguments define the schedule (it is
    # there for torch's SequentialLR only, and removed here to show it is not read).
    for group in opt.param_groups:
        del group["initial_lr"]
    resumed = OneCycleLR(opt, **kwargs, last_epoch=saved_last_epoch)
    assert resumed.last_epoch == k
    _train(model, opt, resumed, total - k, record)
    assert record == reference


def test_torch_resumes_one_step_late_by_last_epoch_which_is_why_we_differ() -> None:
    _, opt = make_optimizer("SGD")
    for group in opt.param_groups:  # what torch needs in the groups to resume at all
        group.update(
            initial_lr=0.1 / 25.0,
            max_lr=0.1,
            min_lr=0.1 / 25.0 / 1e4,
            max_momentum=0.95,
            base_momentum=0.85,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_resumed = TorchOneCycleLR(opt, max_lr=0.1, total_steps=20, last_epoch=6)
    assert torch_resumed.last_epoch == 7
    _, opt2 = make_optimizer("SGD")
    assert OneCycleLR(opt2, max_lr=0.1, total_steps=20, last_epoch=6).last_epoch == 6


# ------------------------------------------------------------------ state dicts


def test_state_dict_round_trips_through_torch_load_weights_only() -> None:
    _, opt = make_optimizer("AdamW", 2)
    scheduler = OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=30)
    for _ in range(11):
        scheduler.step()
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    _, opt2 = make_optimizer("AdamW", 2)
    other = OneCycleLR(opt2, max_lr=[0.1, 0.2], total_steps=30)
    other.load_state_dict(state)
    assert other.last_epoch == 11
    assert applied(opt2) == applied(opt)  # the restored step's values are re-applied


def _failing_load(scheduler, opt, state, error, message):
    before = group_snapshot(opt)
    last = scheduler.last_epoch
    with pytest.raises(error) as caught:
        scheduler.load_state_dict(state)
    assert str(caught.value) == message
    assert scheduler.last_epoch == last
    assert_groups_equal(before, opt)


def test_load_state_dict_refuses_a_state_with_missing_keys() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=10)
    _, torch_opt = make_optimizer("SGD")
    torch_state = TorchOneCycleLR(torch_opt, max_lr=0.1, total_steps=10).state_dict()
    _failing_load(
        scheduler,
        opt,
        torch_state,
        ValueError,
        "state_dict is missing max_lrs, pct_start, anneal_strategy, div_factor, final_div_factor, "
        "three_phase, base_momentums, max_momentums, momentum_key: it was not saved by "
        "lr_one_cycle.OneCycleLR.state_dict()",
    )
    _failing_load(scheduler, opt, [1, 2], TypeError, "state_dict must be a dict, got list")


def test_load_state_dict_refuses_a_state_saved_for_another_optimizer_kind() -> None:
    _, sgd = make_optimizer("SGD")
    state = OneCycleLR(sgd, max_lr=0.1, total_steps=10).state_dict()
    _, adam = make_optimizer("Adam")
    scheduler = OneCycleLR(adam, max_lr=0.1, total_steps=10)
    _failing_load(
        scheduler,
        adam,
        state,
        ValueError,
        "state_dict was saved for an optimizer that cycles 'momentum' (SGD-like), but this "
        "scheduler's optimizer cycles betas[0] (Adam-like)",
    )


def test_load_state_dict_refuses_a_state_saved_for_another_configuration() -> None:
    _, opt = make_optimizer("SGD", 2)
    state = OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=200).state_dict()
    _, opt2 = make_optimizer("SGD", 2)
    scheduler = OneCycleLR(opt2, max_lr=[0.1, 0.3], total_steps=100)
    _failing_load(
        scheduler,
        opt2,
        state,
        ValueError,
        "state_dict was saved for another schedule; these settings differ: total_steps (saved "
        "200, here 100); max_lrs (saved [0.1, 0.2], here [0.1, 0.3])",
    )
    state = OneCycleLR(opt, max_lr=[0.1, 0.3], total_steps=100).state_dict() | {"last_epoch": 101}
    _failing_load(
        scheduler,
        opt2,
        state,
        ValueError,
        "state_dict['last_epoch'] must be in 0..100 (total_steps=100), got 101",
    )


# ------------------------------------------------------------------ validation before mutation

BAD_ARGUMENTS = [
    (dict(total_steps=0), ValueError, "total_steps must be a positive integer, got 0"),
    (dict(total_steps=100.5), ValueError, "total_steps must be a positive integer, got 100.5"),
    (dict(total_steps=-3), ValueError, "total_steps must be a positive integer, got -3"),
    (
        dict(total_steps="100"),
        TypeError,
        "total_steps must be a positive integer, got '100' of type str",
    ),
    (
        dict(total_steps=True),
        TypeError,
        "total_steps must be a positive integer, got True of type bool",
    ),
    (
        dict(total_steps=None),
        ValueError,
        "the schedule length is missing: give total_steps, or both epochs and steps_per_epoch "
        "(epochs and steps_per_epoch not given)",
    ),
    (
        dict(total_steps=None, epochs=3),
        ValueError,
        "the schedule length is missing: give total_steps, or both epochs and steps_per_epoch "
        "(steps_per_epoch not given)",
    ),
    (
        dict(total_steps=None, epochs=0, steps_per_epoch=5),
        ValueError,
        "epochs must be a positive integer, got 0",
    ),
    (
        dict(total_steps=None, epochs=2, steps_per_epoch=2.5),
        ValueError,
        "steps_per_epoch must be a positive integer, got 2.5",
    ),
    (
        dict(epochs=3, steps_per_epoch=10),
        ValueError,
        "total_steps (100) disagrees with epochs * steps_per_epoch (30); give one or the other",
    ),
    (dict(pct_start=1.5), ValueError, "pct_start must be a number in [0, 1], got 1.5"),
    (dict(pct_start=-0.2), ValueError, "pct_start must be a number in [0, 1], got -0.2"),
    (dict(pct_start=float("nan")), ValueError, "pct_start must be a number in [0, 1], got nan"),
    (
        dict(pct_start="0.3"),
        TypeError,
        "pct_start must be a number in [0, 1], got '0.3' of type str",
    ),
    (
        dict(anneal_strategy="cosine"),
        ValueError,
        "anneal_strategy must be 'cos' or 'linear', got 'cosine'",
    ),
    (
        dict(anneal_strategy=None),
        TypeError,
        "anneal_strategy must be 'cos' or 'linear', got None of type NoneType",
    ),
    (dict(max_lr=-0.1), ValueError, "max_lr must be a finite number >= 0, got -0.1"),
    (dict(max_lr=float("inf")), ValueError, "max_lr must be a finite number >= 0, got inf"),
    (
        dict(max_lr=[0.1, 0.2, 0.3]),
        ValueError,
        "max_lr must be a single value or one value per parameter group (2), got 3 values",
    ),
    (dict(max_lr=[0.1, -1.0]), ValueError, "max_lr[1] must be a finite number >= 0, got -1.0"),
    (dict(div_factor=0), ValueError, "div_factor must be a finite number > 0, got 0"),
    # Finite settings whose lrs would overflow to inf.
    (
        dict(div_factor=1e-320),
        ValueError,
        "div_factor must be a number that keeps max_lr / div_factor finite, got 1e-320",
    ),
    (
        dict(final_div_factor=1e-320),
        ValueError,
        "final_div_factor must be a number that keeps max_lr / div_factor / final_div_factor "
        "finite, got 1e-320",
    ),
    (
        dict(final_div_factor=0.0),
        ValueError,
        "final_div_factor must be a finite number > 0, got 0.0",
    ),
    (dict(base_momentum=-0.5), ValueError, "base_momentum must be a finite number >= 0, got -0.5"),
    (
        dict(max_momentum=float("nan")),
        ValueError,
        "max_momentum must be a finite number >= 0, got nan",
    ),
    (
        dict(max_momentum=[0.9]),
        ValueError,
        "max_momentum must be a single value or one value per parameter group (2), got 1 values",
    ),
    (
        dict(cycle_momentum="yes"),
        TypeError,
        "cycle_momentum must be True or False, got 'yes' of type str",
    ),
    (dict(three_phase=1), TypeError, "three_phase must be True or False, got 1 of type int"),
    (dict(verbose=None), TypeError, "verbose must be True or False, got None of type NoneType"),
    (dict(last_epoch=-2), ValueError, "last_epoch must be an integer >= -1, got -2"),
    (
        dict(last_epoch=101),
        ValueError,
        "last_epoch must be -1 (start) or a step in 0..100 (total_steps=100), got 101",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"), BAD_ARGUMENTS, ids=[m for _, _, m in BAD_ARGUMENTS]
)
def test_bad_arguments_raise_a_message_naming_them_and_change_nothing(
    kwargs, error, message
) -> None:
    _, opt = make_optimizer("SGD", 2)
    before = group_snapshot(opt)
    args = dict(max_lr=0.1, total_steps=100) | kwargs
    with pytest.raises(error) as caught:
        OneCycleLR(opt, **args)
    assert str(caught.value) == message
    assert_groups_equal(before, opt)


def test_an_optimizer_without_momentum_is_refused_when_cycling_momentum() -> None:
    opt = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    before = group_snapshot(opt)
    with pytest.raises(ValueError) as caught:
        OneCycleLR(opt, max_lr=0.1, total_steps=10)
    assert str(caught.value) == (
        "cycle_momentum=True needs an optimizer with 'momentum' or 'betas' (Adagrad has neither); "
        "pass cycle_momentum=False"
    )
    assert_groups_equal(before, opt)
    OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
    assert opt.param_groups[0]["lr"] == one_cycle_schedule(0, max_lr=0.1, total_steps=10)[0]


def test_something_that_is_not_an_optimizer_is_refused() -> None:
    with pytest.raises(TypeError) as caught:
        OneCycleLR(3, max_lr=0.1, total_steps=10)
    assert str(caught.value) == (
        "optimizer must be an optimizer (an object with a param_groups list of dicts), got int"
    )


def test_settings_are_never_written_into_param_groups_only_torchs_initial_lr() -> None:
    """torch's OneCycleLR writes initial_lr, max_lr, min_lr, max_momentum and
    base_momentum into the groups; ours writes initial_lr only (torch's SequentialLR
    reads it), with torch's value, and nothing when resuming."""
    _, opt = make_optimizer("Adam", 2)
    _, torch_opt = make_optimizer("Adam", 2)
    keys = [sorted(g) for g in opt.param_groups]
    scheduler = OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=10)
    TorchOneCycleLR(torch_opt, max_lr=[0.1, 0.2], total_steps=10)
    scheduler.step()
    assert [sorted(g) for g in opt.param_groups] == [sorted([*k, "initial_lr"]) for k in keys]
    assert [g["initial_lr"] for g in opt.param_groups] == [
        g["initial_lr"] for g in torch_opt.param_groups
    ]
    _, fresh = make_optimizer("Adam", 2)
    OneCycleLR(fresh, max_lr=[0.1, 0.2], total_steps=10, last_epoch=4)
    assert [sorted(g) for g in fresh.param_groups] == keys


# ------------------------------------------------------------------ tensors and duck typing


def test_tensor_lr_and_betas_are_updated_in_place_with_torchs_values() -> None:
    params = [torch.nn.Parameter(torch.zeros(2))]
    lr, beta1, beta2 = torch.tensor(0.01), torch.tensor(0.9), torch.tensor(0.999)
    opt = torch.optim.AdamW(params, lr=lr, betas=(beta1, beta2))
    betas = opt.param_groups[0]["betas"]
    scheduler = OneCycleLR(opt, max_lr=0.01, total_steps=20)
    torch_opt = torch.optim.AdamW(
        [torch.nn.Parameter(torch.zeros(2))], lr=torch.tensor(0.01), betas=(0.9, 0.999)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = TorchOneCycleLR(torch_opt, max_lr=0.01, total_steps=20)
        for _ in range(19):
            group, torch_group = opt.param_groups[0], torch_opt.param_groups[0]
            assert group["lr"] is lr and group["betas"] is betas and betas[0] is beta1
            assert torch.equal(group["lr"], torch_group["lr"])
            assert beta1.item() == torch.tensor(torch_group["betas"][0]).item()
            scheduler.step()
            reference.step()


class DuckOptimizer:
    """Not a torch optimizer: just param_groups, as a JAX or NumPy training loop might have."""

    def __init__(self) -> None:
        self.param_groups = [{"lr": 1.0, "momentum": 0.0}, {"lr": 1.0, "momentum": 0.0}]


def test_a_duck_typed_optimizer_is_driven_with_the_core_values() -> None:
    opt = DuckOptimizer()
    scheduler = OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=15)
    for k in range(16):
        for group, top in zip(opt.param_groups, (0.1, 0.2), strict=True):
            assert (group["lr"], group["momentum"]) == one_cycle_schedule(
                k, max_lr=top, total_steps=15
            )
            assert sorted(group) == ["lr", "momentum"]
        if k < 15:
            scheduler.step()


def test_the_core_and_the_duck_typed_scheduler_work_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import lr_one_cycle\n"
        "opt = type('O', (), {})(); opt.param_groups = [{'lr': 1.0, 'betas': (0.9, 0.99)}]\n"
        "s = lr_one_cycle.OneCycleLR(opt, max_lr=0.1, total_steps=4)\n"
        "s.step(); s.step()\n"
        "print(opt.param_groups[0]['lr'] == lr_one_cycle.one_cycle_schedule(2, max_lr=0.1, total_steps=4)[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_verbose_prints_each_groups_new_lr(capsys) -> None:
    _, opt = make_optimizer("SGD")
    OneCycleLR(opt, max_lr=0.1, total_steps=10, verbose=True).step()
    assert capsys.readouterr().out.splitlines() == [
        "Adjusting learning rate of group 0 to 4.0000e-03.",
        f"Adjusting learning rate of group 0 to {one_cycle_schedule(1, max_lr=0.1, total_steps=10)[0]:.4e}.",
    ]


def test_repr_shows_the_schedule_and_where_it_is() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=10, three_phase=True)
    scheduler.step()
    assert repr(scheduler) == (
        "OneCycleLR(total_steps=10, max_lr=[0.1], pct_start=0.3, anneal_strategy='cos', "
        f"three_phase=True, cycle_momentum=True, last_epoch=1, last_lr=[{scheduler.get_last_lr()[0]:.4g}])"
    )


def test_get_lr_gives_the_current_steps_lrs_like_torchs_for_wrappers() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = OneCycleLR(opt, max_lr=0.1, total_steps=10)
    scheduler.last_epoch = 4  # what ignite's LRScheduler wrapper does between calls
    lr, mom = one_cycle_schedule(4, max_lr=0.1, total_steps=10)
    assert scheduler.get_lr() == [lr]
    assert opt.param_groups[0]["momentum"] == mom
    assert math.isfinite(lr)
