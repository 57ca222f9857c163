"""CyclicLR (lr_one_cycle/cyclic.py): bitwise parity with torch 2.13's CyclicLR for the
three modes, SGD momentum and Adam beta1, per-group lists and a custom scale_fn; resume
at every step through torch.save/torch.load(weights_only=True) and by last_epoch; the
scale_fn in a state dict; checks before anything is written."""

from __future__ import annotations

import io
import warnings

import pytest
import torch
from conftest import applied, assert_groups_equal, group_snapshot, make_optimizer, trace, train
from ignite.handlers.param_scheduler import LRScheduler as IgniteLRScheduler
from torch.optim.lr_scheduler import CyclicLR as TorchCyclicLR
from torch.optim.lr_scheduler import LRScheduler

from lr_one_cycle import CyclicLR


def shrinking(cycle: int) -> float:
    """A module-level scale_fn: saved in a state dict by name."""
    return 0.8 ** (cycle - 1)


def other_shrinking(cycle: int) -> float:
    return 0.5 ** (cycle - 1)


# name: (optimizer kind, groups, steps, kwargs)
PARITY_CASES = {
    "sgd-triangular": ("SGD", 1, 50, dict(base_lr=0.01, max_lr=0.1, step_size_up=5)),
    "adam-triangular2": (
        "Adam",
        1,
        80,
        dict(
            base_lr=0.001,
            max_lr=0.01,
            step_size_up=4,
            step_size_down=7,
            mode="triangular2",
            base_momentum=0.85,
            max_momentum=0.95,
        ),
    ),
    "adamw-exp-range-3-groups": (
        "AdamW",
        3,
        90,
        dict(
            base_lr=[0.001, 0.002, 0.0005],
            max_lr=[0.01, 0.05, 0.1],
            step_size_up=6,
            mode="exp_range",
            gamma=0.99,
            base_momentum=[0.8, 0.85, 0.7],
            max_momentum=[0.9, 0.95, 0.99],
        ),
    ),
    "rmsprop-2-groups": ("RMSprop", 2, 40, dict(base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=3)),
    "sgd-no-momentum-cycling": (
        "SGD",
        2,
        30,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False),
    ),
    "sgd-custom-scale-cycle": (
        "SGD",
        1,
        60,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=shrinking),
    ),
    "adam-custom-scale-iterations": (
        "Adam",
        2,
        60,
        dict(
            base_lr=0.001,
            max_lr=0.01,
            step_size_up=5,
            scale_fn=lambda k: 1 / (1 + k),
            scale_mode="iterations",
        ),
    ),
}


@pytest.mark.parametrize("name", PARITY_CASES)
def test_values_are_bitwise_equal_to_torch_on_every_step(name: str) -> None:
    kind, groups, steps, kwargs = PARITY_CASES[name]
    ours = trace(lambda opt: CyclicLR(opt, **kwargs), kind, groups, steps)
    theirs = trace(lambda opt: TorchCyclicLR(opt, **kwargs), kind, groups, steps)
    assert ours == theirs


def test_it_is_a_torch_lr_scheduler_and_ignites_wrapper_gives_torchs_values() -> None:
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2")
    _, opt = make_optimizer("SGD")
    ours = CyclicLR(opt, **kwargs)
    assert isinstance(ours, LRScheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, opt2 = make_optimizer("SGD")
        theirs = TorchCyclicLR(opt2, **kwargs)
        assert IgniteLRScheduler.simulate_values(30, ours) == (
            IgniteLRScheduler.simulate_values(30, theirs)
        )


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_resume_through_torch_save_at_every_step_is_bitwise_an_uninterrupted_run(kind) -> None:
    total = 14
    kwargs = dict(
        base_lr=[0.01, 0.02],
        max_lr=0.1,
        step_size_up=3,
        mode="exp_range",
        gamma=0.95,
        scale_fn=shrinking,
    )
    model, opt = make_optimizer(kind, 2)
    reference: list = []
    train(model, opt, CyclicLR(opt, **kwargs), total, reference)
    weights = [p.detach().clone() for p in model.parameters()]
    for k in range(total + 1):
        model, opt = make_optimizer(kind, 2)
        record: list = []
        scheduler = CyclicLR(opt, **kwargs)
        train(model, opt, scheduler, k, record)
        buffer = io.BytesIO()
        torch.save(
            {"model": model.state_dict(), "opt": opt.state_dict(), "sched": scheduler.state_dict()},
            buffer,
        )
        buffer.seek(0)
        saved = torch.load(buffer, weights_only=True)
        model, opt = make_optimizer(kind, 2, seed=7)
        model.load_state_dict(saved["model"])
        scheduler = CyclicLR(opt, **kwargs)
        opt.load_state_dict(saved["opt"])
        scheduler.load_state_dict(saved["sched"])
        train(model, opt, scheduler, total - k, record)
        assert record == reference, f"resumed at {k}"
        assert all(torch.equal(a, b) for a, b in zip(model.parameters(), weights, strict=True))


def test_last_epoch_resumes_exactly_at_that_step() -> None:
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=5)
    reference = trace(lambda opt: CyclicLR(opt, **kwargs), "SGD", 1, 30)
    for k in (0, 7, 29):
        _, opt = make_optimizer("SGD")
        scheduler = CyclicLR(opt, **kwargs, last_epoch=k)
        assert scheduler.last_epoch == k and applied(opt) == reference[k]


def test_a_custom_scale_fn_is_saved_by_name_and_must_match_on_load() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=shrinking)
    state = scheduler.state_dict()
    assert state["scale_fn"] == f"{__name__}.shrinking"
    _, opt2 = make_optimizer("SGD")
    other = CyclicLR(opt2, base_lr=0.01, max_lr=0.1, scale_fn=other_shrinking)
    before = group_snapshot(opt2)
    with pytest.raises(ValueError) as caught:
        other.load_state_dict(state)
    assert str(caught.value) == (
        "state_dict was saved for another schedule; these settings differ: scale_fn (saved "
        f"'{__name__}.shrinking', here '{__name__}.other_shrinking')"
    )
    assert_groups_equal(before, opt2)


def test_a_scale_fn_without_a_name_to_save_it_by_is_a_clear_error() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=lambda c: 1.0)
    for _ in range(3):
        scheduler.step()  # it works; only saving it cannot
    with pytest.raises(TypeError) as caught:
        scheduler.state_dict()
    message = str(caught.value)
    assert message.startswith("CyclicLR cannot save scale_fn=<function ")
    assert "must be a function defined at module level (def)" in message
    assert "a lambda, a nested function or a callable object is not" in message


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(step_size_up=0), ValueError, "step_size_up must be a finite number > 0, got 0"),
        (
            dict(mode="triangle"),
            ValueError,
            "mode must be 'triangular' or 'triangular2' or 'exp_range', got 'triangle'",
        ),
        (
            dict(max_lr=[0.1, 0.2]),
            ValueError,
            "max_lr must be a single value or one value per parameter group (1), got 2 values",
        ),
        (
            dict(max_momentum=1.0),
            ValueError,
            "max_momentum must be a number in [0, 1) for an optimizer with betas (Adam family: "
            "beta1 = 1 divides by zero in the bias correction), got 1.0",
        ),
        (dict(last_epoch=-2), ValueError, "last_epoch must be an integer >= -1, got -2"),
        (
            dict(cycle_momentum=1),
            TypeError,
            "cycle_momentum must be True or False, got 1 of type int",
        ),
    ],
)
def test_bad_arguments_raise_a_message_naming_them_and_change_nothing(kwargs, error, message):
    _, opt = make_optimizer("Adam")
    before = group_snapshot(opt)
    with pytest.raises(error) as caught:
        CyclicLR(opt, **(dict(base_lr=0.01, max_lr=0.1) | kwargs))
    assert str(caught.value) == message
    assert_groups_equal(before, opt)


def test_an_optimizer_without_momentum_is_refused_when_cycling_momentum() -> None:
    opt = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="^cycle_momentum=True needs an optimizer with 'momentum'"):
        CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    CyclicLR(opt, base_lr=0.01, max_lr=0.1, cycle_momentum=False)
    assert opt.param_groups[0]["lr"] == 0.01


def test_settings_are_never_written_into_param_groups_only_torchs_initial_lr() -> None:
    """torch's CyclicLR writes base_momentum and max_momentum into the groups, and its
    base class initial_lr (the base_lr); ours writes initial_lr only, with torch's value
    (torch's SequentialLR reads it: KeyError without), and nothing when resuming."""
    _, opt = make_optimizer("SGD", 2)
    _, torch_opt = make_optimizer("SGD", 2)
    keys = [sorted(g) for g in opt.param_groups]
    scheduler = CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1)
    TorchCyclicLR(torch_opt, base_lr=[0.01, 0.02], max_lr=0.1)
    scheduler.step()
    assert [sorted(g) for g in opt.param_groups] == [sorted([*k, "initial_lr"]) for k in keys]
    assert [g["initial_lr"] for g in opt.param_groups] == [
        g["initial_lr"] for g in torch_opt.param_groups
    ] == [0.01, 0.02]
    for group in opt.param_groups:  # torch's base class keeps one already there
        group["initial_lr"] = 0.5
    CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.5, 0.5]
    _, fresh = make_optimizer("SGD", 2)
    CyclicLR(fresh, base_lr=0.01, max_lr=0.1, last_epoch=4)
    assert [sorted(g) for g in fresh.param_groups] == keys


def test_torchs_sequential_lr_takes_two_of_ours() -> None:
    """torch's SequentialLR resets every lr to initial_lr when it is built: with parts
    of ours only, that entry comes from ours (it raised KeyError before)."""
    traces = []
    for cls in (CyclicLR, TorchCyclicLR):
        _, opt = make_optimizer("SGD", 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()"
            parts = [cls(opt, base_lr=0.01, max_lr=0.1, step_size_up=2),
                     cls(opt, base_lr=0.02, max_lr=0.05, step_size_up=3, mode="triangular2")]
            sequence = torch.optim.lr_scheduler.SequentialLR(opt, parts, milestones=[5])
            seen = [applied(opt)]
            for _ in range(14):
                sequence.step()
                seen.append(applied(opt))
        traces.append(seen)
    assert traces[0] == traces[1]


def test_torchs_attributes_and_repr() -> None:
    _, opt = make_optimizer("SGD")
    scheduler = CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="exp_range", gamma=0.9
    )
    _, torch_opt = make_optimizer("SGD")
    theirs = torch.optim.lr_scheduler.CyclicLR(
        torch_opt,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=3,
        step_size_down=5,
        mode="exp_range",
        gamma=0.9,
    )
    for name in ("total_size", "step_ratio", "scale_mode", "base_lrs", "max_lrs"):
        assert getattr(scheduler, name) == getattr(theirs, name), name
    assert [scheduler.scale_fn(k) for k in range(5)] == [theirs.scale_fn(k) for k in range(5)]
    assert repr(scheduler) == (
        "CyclicLR(base_lr=[0.01], max_lr=[0.1], step_size_up=3.0, step_size_down=5.0, "
        "mode='exp_range', gamma=0.9, cycle_momentum=True, last_epoch=0, last_lr=[0.01])"
    )
