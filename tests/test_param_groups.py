"""The one writer (lr_one_cycle._param_groups): what a step leaves in the groups.

A step writes tensors through numpy views of their memory and counts the write in their
version counters; it writes floats in one loop that checks each group first. These
tests hold both to ``fill_`` and to the plain per-group write they replace: the same
bits, the same version counts, the same errors, and nothing changed when a step stops.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from typing import Any

import pytest

from lr_one_cycle import OneCycleLR, ScheduleOverrideWarning
from lr_one_cycle._param_groups import GroupWriter

torch = pytest.importorskip("torch")

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


def optimizer(kind: str, n_groups: int, dtype: Any = None, tensor_betas: bool = False) -> Any:
    """Each group with its own lr (and betas) tensors: a default tensor is one object
    shared by every group, which then holds the last group's value (as with fill_)."""
    groups: list[dict[str, Any]] = []
    for _ in range(n_groups):
        group: dict[str, Any] = {"params": [torch.nn.Parameter(torch.zeros(1))]}
        group["lr"] = 0.1 if dtype is None else torch.tensor(0.1, dtype=dtype)
        if kind == "Adam":
            group["betas"] = (
                (torch.tensor(0.9), torch.tensor(0.999)) if tensor_betas else (0.9, 0.999)
            )
        groups.append(group)
    if kind == "SGD":
        return torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    return torch.optim.Adam(groups, lr=0.1)


def scheduler(opt: Any, total: int = 50) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OneCycleLR(opt, max_lr=[0.01 * (i + 1) for i in range(len(opt.param_groups))],
                          total_steps=total)


def filled(value: float, like: Any) -> Any:
    """What ``fill_`` leaves in a tensor like ``like``."""
    return torch.empty((), dtype=like.dtype).fill_(value)


def step(s: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's order warning only
        warnings.simplefilter("error", ScheduleOverrideWarning)
        s.step()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_tensor_lrs_hold_the_bits_fill_would_write_and_stay_the_same_tensors(kind, dtype) -> None:
    opt = optimizer(kind, 3, dtype)
    tensors = [g["lr"] for g in opt.param_groups]
    s = scheduler(opt)
    for _ in range(40):
        step(s)
        for tensor, value in zip(tensors, s._last_lr, strict=True):
            assert torch.equal(tensor, filled(value, tensor))
    assert all(g["lr"] is t for g, t in zip(opt.param_groups, tensors, strict=True))


def test_tensor_betas_hold_the_bits_fill_would_write() -> None:
    opt = optimizer("Adam", 2, torch.float32, tensor_betas=True)
    firsts = [g["betas"][0] for g in opt.param_groups]
    s = scheduler(opt)
    for k in range(1, 30):
        step(s)
        momentums = s.schedule.at(k)[1]
        for tensor, value in zip(firsts, momentums, strict=True):
            assert torch.equal(tensor, filled(value, tensor))
    assert [g["betas"][0] for g in opt.param_groups] == firsts


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_step_counts_once_in_each_tensors_version_counter_as_fill_does(dtype) -> None:
    opt = optimizer("Adam", 3, dtype, tensor_betas=True)
    s = scheduler(opt)
    watched = [g["lr"] for g in opt.param_groups] + [g["betas"][0] for g in opt.param_groups]
    reference = torch.zeros((), dtype=dtype)
    for _ in range(5):
        before = [t._version for t in watched]
        reference_before = reference._version
        step(s)
        reference.fill_(0.5)
        counted = reference._version - reference_before
        assert [t._version - v for t, v in zip(watched, before, strict=True)] == [counted] * 6


def test_autograd_sees_the_write_into_a_saved_lr_tensor_as_it_sees_fill_() -> None:
    def backward_after(write: Any) -> str:
        x = torch.ones(1, requires_grad=True)
        opt = optimizer("SGD", 1, torch.float32)
        s = scheduler(opt)
        y = (x * opt.param_groups[0]["lr"]).sum()  # saves the lr tensor for backward
        write(s, opt)
        with pytest.raises(RuntimeError) as error:
            y.backward()
        return str(error.value).split(";")[0]

    ours = backward_after(lambda s, opt: step(s))
    theirs = backward_after(lambda s, opt: opt.param_groups[0]["lr"].fill_(0.5))
    assert "modified by an inplace operation" in ours
    assert ours.replace("version 1", "version N") == theirs.replace("version 1", "version N")


def test_a_write_by_someone_else_into_an_lr_tensor_warns_and_is_replaced() -> None:
    opt = optimizer("SGD", 2, torch.float32)
    s = scheduler(opt)
    step(s)
    opt.param_groups[1]["lr"].fill_(0.5)  # another writer, in place
    with pytest.warns(ScheduleOverrideWarning, match=r"param_groups\[1\]\['lr'\] is 0.5"):
        s.step()
    assert torch.equal(opt.param_groups[1]["lr"], filled(s._last_lr[1], opt.param_groups[1]["lr"]))
    opt.param_groups[0]["lr"].fill_(s._last_lr[0])  # the same value: nothing to tell
    step(s)
    assert torch.equal(opt.param_groups[0]["lr"], filled(s._last_lr[0], opt.param_groups[0]["lr"]))


def test_an_lr_tensor_given_new_data_is_written_where_its_data_now_is() -> None:
    opt = optimizer("SGD", 1, torch.float32)
    s = scheduler(opt)
    step(s)
    lr = opt.param_groups[0]["lr"]
    lr.data = torch.tensor(0.7)  # new memory; the version counter does not move
    with pytest.warns(ScheduleOverrideWarning):
        s.step()
    assert opt.param_groups[0]["lr"] is lr
    assert torch.equal(lr, filled(s._last_lr[0], lr))
    step(s)
    assert torch.equal(lr, filled(s._last_lr[0], lr))


def test_a_value_beyond_float32_fails_as_fill_fails_and_changes_nothing() -> None:
    opt = optimizer("SGD", 1, torch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = OneCycleLR(opt, max_lr=1e39, total_steps=10, div_factor=100.0)
    lr = opt.param_groups[0]["lr"]
    with pytest.raises(RuntimeError, match="overflow") as ours:
        for _ in range(5):
            step(s)
    with pytest.raises(RuntimeError) as theirs:
        torch.tensor(0.0).fill_(1e39)
    assert str(ours.value) == str(theirs.value)
    before = (s.last_epoch, lr.item(), lr._version, opt.param_groups[0]["momentum"])
    with pytest.raises(RuntimeError, match="overflow"):
        step(s)
    assert (s.last_epoch, lr.item(), lr._version, opt.param_groups[0]["momentum"]) == before


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_a_step_that_finds_a_later_group_changed_gives_the_earlier_ones_back(kind) -> None:
    opt = optimizer(kind, 3)
    s = scheduler(opt)
    step(s)
    opt.param_groups[2]["lr"] = 0.123  # someone else's float
    held = [dict(g) for g in opt.param_groups]
    position = s.last_epoch
    with pytest.raises(ScheduleOverrideWarning):
        step(s)  # the warning as an error: the step stops before it writes
    for group, before in zip(opt.param_groups, held, strict=True):
        assert all(group[k] is before[k] for k in before)  # the very same objects
    assert s.last_epoch == position
    with pytest.warns(ScheduleOverrideWarning):
        s.step()
    assert [g["lr"] for g in opt.param_groups] == s._last_lr


def test_a_changed_momentum_or_betas_entry_is_written_whatever_it_holds_now() -> None:
    opt = optimizer("Adam", 2)
    s = scheduler(opt)
    step(s)
    opt.param_groups[0]["betas"] = (0.5, 0.99)  # a new beta2, kept from now on
    opt.param_groups[1]["betas"] = (torch.tensor(0.5), torch.tensor(0.98))  # now tensors
    step(s)
    momentums = s.schedule.at(s.last_epoch)[1]
    assert opt.param_groups[0]["betas"] == (momentums[0], 0.99)
    assert opt.param_groups[1]["betas"][0].item() == pytest.approx(momentums[1])
    assert opt.param_groups[1]["betas"][1].item() == pytest.approx(0.98)
    step(s)
    assert opt.param_groups[0]["betas"][1] == 0.99


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copy_writes_into_its_own_tensors(how: str) -> None:
    opt = optimizer("Adam", 2, torch.float32, tensor_betas=True)
    s = scheduler(opt)
    step(s)
    if how == "deepcopy":
        opt2, s2 = copy.deepcopy((opt, s))
    else:
        opt2, s2 = pickle.loads(pickle.dumps((opt, s)))
    before = [(g["lr"].item(), g["betas"][0].item()) for g in opt.param_groups]
    for _ in range(3):
        step(s2)
    assert [(g["lr"].item(), g["betas"][0].item()) for g in opt.param_groups] == before
    for group, value in zip(opt2.param_groups, s2._last_lr, strict=True):
        assert torch.equal(group["lr"], filled(value, group["lr"]))


def test_the_writer_on_plain_dicts_writes_floats_and_tensors_like_the_per_group_write() -> None:
    groups = [
        {"lr": 0.1, "momentum": 0.9},
        {"lr": torch.tensor(0.1), "momentum": 0.9},
        {"lr": torch.tensor(0.1, dtype=torch.float16), "momentum": torch.tensor(0.9)},
    ]
    writer = GroupWriter("momentum")
    lrs, momentums = [0.25, 1 / 3, 0.125], [0.85, 0.8, 2 / 3]
    writer.write(groups, lrs, "momentum", momentums)
    assert groups[0] == {"lr": 0.25, "momentum": 0.85}
    assert torch.equal(groups[1]["lr"], filled(1 / 3, groups[1]["lr"]))
    assert torch.equal(groups[2]["lr"], filled(0.125, groups[2]["lr"]))
    assert torch.equal(groups[2]["momentum"], filled(2 / 3, groups[2]["momentum"]))
    # Mixed floats and tensors: no fast path, every write looks at the groups again.
    assert not writer.write_held(groups, lrs, lrs, "momentum", momentums)
    assert groups[0] == {"lr": 0.25, "momentum": 0.85}  # nothing written


@pytest.mark.parametrize("tensors", [False, True])
def test_write_held_writes_only_when_the_groups_hold_what_was_written_last(tensors) -> None:
    def lr(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64) if tensors else x

    groups = [{"lr": lr(0.1), "momentum": 0.9}, {"lr": lr(0.1), "momentum": 0.9}]
    writer = GroupWriter("momentum")
    first = [0.25, 1 / 3]
    writer.write(groups, first, "momentum", [0.85, 0.8])
    assert writer.write_held(groups, [0.5, 0.75], first, "momentum", [0.7, 0.6])
    assert [float(g["lr"]) for g in groups] == [0.5, 0.75]
    assert [g["momentum"] for g in groups] == [0.7, 0.6]
    if tensors:
        groups[1]["lr"].add_(1.0)  # written by someone else
    else:
        groups[1]["lr"] = float("0.75")  # an equal float, but not the one written
    assert not writer.write_held(groups, [0.1, 0.2], [0.5, 0.75], "momentum", [0.7, 0.6])
    assert [g["momentum"] for g in groups] == [0.7, 0.6]  # nothing written


# --------------------------------------------------------------------------- groups a write would fail on


def _schedulers_to_check() -> dict[str, Any]:
    from lr_one_cycle import CyclicLR, SequentialLR, WarmupLR

    def one_cycle(o: Any) -> Any:
        return OneCycleLR(o, max_lr=0.1, total_steps=20)

    def cyclic(o: Any) -> Any:
        return CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)

    def warmup(o: Any) -> Any:
        return WarmupLR(o, one_cycle(o), warmup_steps=2)

    def sequential(o: Any) -> Any:
        return SequentialLR(o, [one_cycle(o), cyclic(o)], milestones=[20])

    return {"OneCycleLR": one_cycle, "CyclicLR": cyclic, "WarmupLR": warmup,
            "SequentialLR": sequential}


def _state(opt: Any, scheduler: Any) -> Any:
    def plain(x: Any) -> Any:
        return x.tolist() if isinstance(x, torch.Tensor) else x

    groups = [{k: plain(x) for k, x in g.items() if k != "params"} for g in opt.param_groups]
    return groups, scheduler.last_epoch


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR", "WarmupLR", "SequentialLR"])
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("removed", ["lr", "momentum"])
@pytest.mark.parametrize("tensors", [False, True])
def test_a_group_that_lost_an_entry_is_refused_naming_it_and_nothing_is_written(
    name: str, kind: str, removed: str, tensors: bool
) -> None:
    opt = optimizer(kind, 3, dtype=torch.float64 if tensors else None)
    scheduler = _schedulers_to_check()[name](opt)
    for _ in range(2):
        opt.step()
        scheduler.step()
    key = removed if removed == "lr" or kind == "SGD" else "betas"
    del opt.param_groups[1][key]
    before = _state(opt, scheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScheduleOverrideWarning)
        with pytest.raises(ValueError, match=rf"^optimizer\.param_groups\[1\] has no '{key}' entry"):
            scheduler.step()
    assert _state(opt, scheduler) == before


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR", "WarmupLR", "SequentialLR"])
@pytest.mark.parametrize("where", ["lr", "momentum"])
def test_a_group_holding_a_tensor_of_two_elements_is_refused_and_nothing_is_written(
    name: str, where: str
) -> None:
    opt = optimizer("SGD", 3)
    scheduler = _schedulers_to_check()[name](opt)
    opt.step()
    scheduler.step()
    opt.param_groups[1][where] = torch.tensor([0.5, 0.5])
    before = _state(opt, scheduler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScheduleOverrideWarning)
        with pytest.raises(TypeError) as raised:
            scheduler.step()
    assert str(raised.value) == (
        f"optimizer.param_groups[1]['{where}'] must be a number or a tensor of one element, "
        "got a tensor of 2 elements"
    )
    assert _state(opt, scheduler) == before
