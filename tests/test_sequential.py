"""SequentialLR and WarmupLR (lr_one_cycle/sequential.py): bitwise torch's SequentialLR
over the same schedulers; from each milestone the part's values at its local step
(hypothesis over milestones and lengths); state round trips through torch.save /
torch.load(weights_only=True) at every step; last_epoch resume; resume_with in
proportion; bad joins refused before anything is written; the warm-up against ignite's
create_lr_scheduler_with_warmup and torch's SequentialLR([LinearLR, ...])."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
import torch
from conftest import (
    applied,
    assert_groups_equal,
    group_snapshot,
    make_optimizer,
    momentum_of,
    train,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.handlers.param_scheduler import create_lr_scheduler_with_warmup
from torch.optim import lr_scheduler as T

import lr_one_cycle.sequential as sequential_module
from lr_one_cycle import (
    CosineAnnealingWarmRestarts,
    CyclicLR,
    OneCycleLR,
    SequentialLR,
    WarmupLR,
    WarmupStableDecayLR,
    join_schedules,
    one_cycle_schedule,
    with_warmup,
)
from lr_one_cycle.schedules import CyclicSchedule, OneCycleSchedule


def quiet(function):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()"
        return function()


def run(scheduler_of, kind: str, groups: int, n: int):
    """(lr, momentum) of every group at steps 0..n-1."""
    _, opt = make_optimizer(kind, groups)
    scheduler = quiet(lambda: scheduler_of(opt))
    out = [applied(opt)]
    for _ in range(n - 1):
        quiet(scheduler.step)
        out.append(applied(opt))
    return out


def three_parts(lib, opt, groups: int):
    base = [0.01 * (g + 1) for g in range(groups)]
    parts = [
        lib.CyclicLR(opt, base_lr=base, max_lr=0.1, step_size_up=3, mode="triangular2"),
        lib.OneCycleLR(opt, max_lr=[0.2 + 0.1 * g for g in range(groups)], total_steps=20),
    ]
    return parts


@pytest.mark.parametrize("kind", ["SGD", "Adam", "RMSprop"])
@pytest.mark.parametrize("groups", [1, 3])
def test_values_are_bitwise_torchs_sequential_lr_over_the_same_schedulers(kind, groups) -> None:
    def ours(opt):
        return SequentialLR(opt, three_parts(ours_lib, opt, groups), milestones=[15])

    def theirs(opt):
        return T.SequentialLR(opt, three_parts(T, opt, groups), milestones=[15])

    class ours_lib:  # noqa: N801 - a namespace standing for the package
        CyclicLR, OneCycleLR = CyclicLR, OneCycleLR

    # steps 0..34: step 35 is the 1cycle's step T, where torch rebounds (pytorch#91765)
    assert run(ours, kind, groups, 35) == run(theirs, kind, groups, 35)


def test_parts_with_and_without_momentum_match_torch_too() -> None:
    def build(lib):
        def make(opt):
            a = lib.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
            b = lib.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, base_momentum=0.7)
            c = lib.CyclicLR(opt, base_lr=0.02, max_lr=0.2, step_size_up=3, cycle_momentum=False)
            return lib.SequentialLR(opt, [a, b, c], milestones=[10, 17])
        return make

    class ours_lib:  # noqa: N801
        OneCycleLR, CyclicLR, SequentialLR = OneCycleLR, CyclicLR, SequentialLR

    # torch: the momentum during part 0 is the one CyclicLR wrote when built (its step 0),
    # which is the first value of the first part that cycles one: our rule, the same.
    assert run(build(ours_lib), "SGD", 2, 29) == run(build(T), "SGD", 2, 29)


def test_two_one_cycle_parts_keep_their_own_settings_where_torchs_share_them() -> None:
    """torch's OneCycleLR keeps initial_lr / max_lr / min_lr in param_groups, so in a
    torch SequentialLR the last one built overwrites the first's: its step 0 is wrong."""

    def build(lib):
        def make(opt):
            a = lib.OneCycleLR(opt, max_lr=0.1, total_steps=10)
            b = lib.OneCycleLR(opt, max_lr=0.05, total_steps=12)
            return lib.SequentialLR(opt, [a, b], milestones=[10])
        return make

    class ours_lib:  # noqa: N801
        OneCycleLR, SequentialLR = OneCycleLR, SequentialLR

    ours, theirs = run(build(ours_lib), "SGD", 1, 5), run(build(T), "SGD", 1, 5)
    expected = [one_cycle_schedule(k, max_lr=0.1, total_steps=10) for k in range(5)]
    assert [s[0] for s in ours] == expected
    assert theirs[0][0][0] == pytest.approx(0.05 / 25)  # the second part's initial_lr
    assert [s[0][0] for s in theirs] == pytest.approx([lr / 2 for lr, _ in expected])


PART_KINDS = ["one_cycle", "one_cycle_no_momentum", "cyclic", "wsd"]


def make_part(kind: str, opt, span: int, seed: int):
    if kind.startswith("one_cycle"):
        return OneCycleLR(opt, max_lr=0.1 + 0.01 * seed, total_steps=span,
                          cycle_momentum=kind == "one_cycle")
    if kind == "cyclic":
        return CyclicLR(opt, base_lr=0.01, max_lr=0.2, step_size_up=1 + seed % 4,
                        base_momentum=0.75)
    return WarmupStableDecayLR(opt, peak_lr=0.05, warmup_steps=span // 3,
                               stable_steps=span - span // 3, decay_steps=0)


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(PART_KINDS), min_size=1, max_size=4),
    spans=st.lists(st.integers(1, 12), min_size=4, max_size=4),
    seed=st.integers(0, 50),
)
def test_from_each_milestone_the_optimizer_holds_the_parts_values_at_the_local_step(
    kinds, spans, seed
) -> None:
    _, opt = make_optimizer("SGD", 2)
    parts = [make_part(k, opt, s, seed) for k, s in zip(kinds, spans)]
    milestones = np.cumsum(spans[: len(kinds) - 1]).tolist()
    sequence = SequentialLR(opt, parts, milestones)
    starts = [0, *milestones]
    cycling = [p.momentum_key is not None for p in parts]
    first_cycling = next((p for p, c in zip(parts, cycling) if c), None)
    held = None if first_cycling is None else first_cycling.schedule.at(0)[1]
    last = sequence.total_steps if sequence.total_steps is not None else starts[-1] + 15
    for k in range(last + 1):
        i = int(np.searchsorted(milestones, k, side="right"))
        lrs, momentums = parts[i].schedule.at(k - starts[i])
        if cycling[i]:
            held = momentums
        assert [g["lr"] for g in opt.param_groups] == lrs
        if first_cycling is not None:
            assert [momentum_of(g) for g in opt.param_groups] == held
        if k < last:
            sequence.step()


def test_the_parts_are_built_first_and_the_sequence_reapplies_part_0s_step_0() -> None:
    _, opt = make_optimizer("SGD")
    first = OneCycleLR(opt, max_lr=0.1, total_steps=10)
    expected = applied(opt)
    second = CyclicLR(opt, base_lr=0.01, max_lr=0.2)
    assert applied(opt) != expected  # the second part wrote its own step 0
    sequence = SequentialLR(opt, [first, second], [10])
    assert applied(opt) == expected and sequence.last_epoch == 0
    assert (first.last_epoch, second.last_epoch) == (0, 0)


def build_sequence(opt):
    return SequentialLR(
        opt,
        [
            OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=8),
            WarmupStableDecayLR(opt, peak_lr=0.05, warmup_steps=2, stable_steps=4, decay_steps=3),
            CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=2, base_momentum=0.8),
        ],
        milestones=[8, 17],
    )


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_state_round_trip_at_every_step_continues_exactly(kind) -> None:
    total = 24
    model, opt = make_optimizer(kind, 2)
    reference: list = []
    train(model, opt, build_sequence(opt), total, reference)
    weights = [p.detach().clone() for p in model.parameters()]
    for k in range(total + 1):
        model, opt = make_optimizer(kind, 2)
        scheduler = build_sequence(opt)
        record: list = []
        train(model, opt, scheduler, k, record)
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": scheduler.state_dict()}, buffer)
        buffer.seek(0)
        saved = torch.load(buffer, weights_only=True)
        model, opt = make_optimizer(kind, 2, seed=3)
        model.load_state_dict(saved["model"])
        scheduler = build_sequence(opt)
        opt.load_state_dict(saved["opt"])
        scheduler.load_state_dict(saved["sched"])
        train(model, opt, scheduler, total - k, record)
        assert record == reference, f"resumed at {k}"
        assert all(torch.equal(a, b) for a, b in zip(model.parameters(), weights, strict=True))


def test_last_epoch_resumes_at_that_step() -> None:
    reference = run(build_sequence, "SGD", 2, 25)
    for k in (0, 8, 12, 24):
        _, opt = make_optimizer("SGD", 2)
        parts = build_sequence(opt).schedulers
        sequence = SequentialLR(opt, parts, [8, 17], last_epoch=k)
        assert sequence.last_epoch == k and applied(opt) == reference[k]
        for j in range(k + 1, 25):
            sequence.step()
            assert applied(opt) == reference[j]


def test_a_saved_state_keeps_the_parts_own_states_in_plain_values() -> None:
    _, opt = make_optimizer("SGD", 2)
    sequence = build_sequence(opt)
    for _ in range(11):
        sequence.step()
    state = sequence.state_dict()
    assert state["milestones"] == [8, 17] and state["last_epoch"] == 11
    assert [s["last_epoch"] for s in state["schedulers"]] == [7, 3, 0]
    assert sequence.schedulers[1].last_epoch == 3  # the parts are in step with it


# ------------------------------------------------------------------ elastic resume


def fixed_sequence(opt):
    return SequentialLR(
        opt,
        [OneCycleLR(opt, max_lr=0.1, total_steps=10), OneCycleLR(opt, max_lr=0.05, total_steps=30)],
        milestones=[10],
    )


@pytest.mark.parametrize(("at", "total"), [(4, 80), (10, 80), (25, 100), (25, 30)])
def test_resume_with_spreads_the_new_length_and_a_fresh_sequence_loads_it(at, total) -> None:
    _, opt = make_optimizer("SGD")
    sequence = fixed_sequence(opt)
    for _ in range(at):
        sequence.step()
    before = applied(opt)
    sequence.resume_with(total_steps=total)
    assert applied(opt) == before and sequence.total_steps == total
    expected = 10 if at >= 10 else at + math.floor((10 - at) * (total - at) / (40 - at) + 0.5)
    assert sequence.milestones == [expected]
    _, opt2 = make_optimizer("SGD")
    fresh = fixed_sequence(opt2)
    fresh.load_state_dict(sequence.state_dict())
    assert applied(opt2) == applied(opt)
    while sequence.last_epoch < total:
        sequence.step()
        fresh.step()
        assert applied(opt2) == applied(opt)
    assert opt.param_groups[0]["lr"] == OneCycleLR(
        make_optimizer("SGD")[1], max_lr=0.05, total_steps=30
    ).schedule.at(30)[0][0]


def test_a_sequence_without_an_end_cannot_change_its_length() -> None:
    _, opt = make_optimizer("SGD", 2)
    sequence = build_sequence(opt)
    before = (group_snapshot(opt), sequence.state_dict())
    with pytest.raises(ValueError) as caught:
        sequence.resume_with(total_steps=60)
    assert str(caught.value) == (
        "total_steps cannot change: the last part has no end (CyclicSchedule); a join of "
        "fixed length ends with a schedule of fixed length"
    )
    assert_groups_equal(before[0], opt)
    assert sequence.state_dict() == before[1]


# ------------------------------------------------------------------ refusals


def bad_join_cases(opt):
    one = OneCycleLR(opt, max_lr=0.1, total_steps=10)
    two = CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    other_opt = make_optimizer("SGD")[1]
    torch_part = quiet(lambda: T.LinearLR(opt, start_factor=0.5, total_iters=4))
    return [
        ([one, two], [12], ValueError,
         "schedulers[0] must be a schedule covering its span, steps 0..11 (12 steps), got one "
         "of steps 0..10 (total_steps=10); end its span at 11 or lengthen it"),
        ([one, two], [5, 8], ValueError,
         "milestones must be one value between each two schedulers (1), got 2 for 2 schedulers"),
        ([one, two, CyclicLR(opt, base_lr=0.01, max_lr=0.2)], [6, 6], ValueError,
         "milestones[1] must be an integer > 6 (milestones[0]): they must increase, got 6"),
        ([one, torch_part], [10], TypeError,
         "schedulers[1] must be a scheduler of lr_one_cycle (OneCycleLR, CyclicLR, "
         "CosineAnnealingWarmRestarts, WarmupStableDecayLR, SequentialLR, WarmupLR), got "
         "torch.optim.lr_scheduler.LinearLR; a torch scheduler computes from the optimizer's "
         "history, so it cannot be placed in a sequence exactly"),
        ([one, CyclicLR(other_opt, base_lr=0.01, max_lr=0.1)], [10], ValueError,
         "schedulers[1] drives another optimizer: build every part on the optimizer given "
         "to the sequence"),
        ([one, one], [10], ValueError,
         "schedulers[1] is schedulers[0]: give each span its own scheduler"),
        ([], [], TypeError, "schedulers must be a non-empty list of schedulers of "
         "lr_one_cycle, got [] of type list"),
    ]


@pytest.mark.parametrize("case", range(7))
def test_bad_joins_are_refused_before_anything_is_written(case) -> None:
    _, opt = make_optimizer("SGD")
    schedulers, milestones, error, message = bad_join_cases(opt)[case]
    before = group_snapshot(opt)
    states = [p.state_dict() for p in schedulers if hasattr(p, "resume_with")]
    with pytest.raises(error) as caught:
        SequentialLR(opt, schedulers, milestones)
    assert str(caught.value) == message
    assert_groups_equal(before, opt)
    assert [p.state_dict() for p in schedulers if hasattr(p, "resume_with")] == states


@pytest.mark.parametrize(
    ("initial", "error", "message"),
    [
        ("garbage", TypeError, "state_dict['initial_milestones'] must be a list of 1 increasing "
         "milestones, like state_dict['milestones'], got 'garbage' of type str"),
        ([-3], ValueError, "state_dict['initial_milestones'][0] must be a positive integer, got -3"),
        ([4, 8], ValueError, "state_dict['initial_milestones'] must be a list of 1 increasing "
         "milestones, like state_dict['milestones'], got [4, 8]"),
    ],
)
def test_bad_initial_milestones_in_a_state_are_refused_and_change_nothing(initial, error, message):
    _, source = make_optimizer("SGD")
    state = fixed_sequence(source).state_dict() | {"initial_milestones": initial}
    _, opt = make_optimizer("SGD")
    sequence = fixed_sequence(opt)
    sequence.step()
    before, kept = group_snapshot(opt), sequence.state_dict()
    with pytest.raises(error) as caught:
        sequence.load_state_dict(state)
    assert str(caught.value) == message
    assert_groups_equal(before, opt)
    assert sequence.state_dict() == kept
    # A genuine state still loads afterwards.
    sequence.load_state_dict(fixed_sequence(source).state_dict())


def test_a_state_of_another_sequence_is_refused_naming_what_differs() -> None:
    _, opt = make_optimizer("SGD")
    state = fixed_sequence(opt).state_dict()
    _, opt2 = make_optimizer("SGD")
    other = SequentialLR(
        opt2,
        [OneCycleLR(opt2, max_lr=0.1, total_steps=12), OneCycleLR(opt2, max_lr=0.05, total_steps=30)],
        milestones=[12],
    )
    before = group_snapshot(opt2)
    with pytest.raises(ValueError) as caught:
        other.load_state_dict(state)
    assert str(caught.value) == (
        "state_dict was saved for another schedule; these settings differ: milestones "
        "(saved [10], here [12])"
    )
    state["milestones"] = state["initial_milestones"] = [12]
    with pytest.raises(ValueError) as caught:
        other.load_state_dict(state)
    assert str(caught.value).startswith(
        "state_dict['schedulers'][0] (OneCycleLR): state_dict was saved for another schedule; "
        "these settings differ: total_steps (saved 10, here 12)"
    )
    assert_groups_equal(before, opt2)
    assert other.last_epoch == 0


# ------------------------------------------------------------------ WarmupLR


def test_warmup_lr_is_bitwise_ignites_warm_up_around_the_same_scheduler() -> None:
    def ignite_run(opt):
        scheduler = OneCycleLR(opt, max_lr=[0.1, 0.3], total_steps=30)
        return quiet(lambda: create_lr_scheduler_with_warmup(
            scheduler, warmup_start_value=0.002, warmup_duration=6))

    _, opt = make_optimizer("Adam", 2)
    combined = ignite_run(opt)
    theirs = []
    for _ in range(35):
        combined(None)
        theirs.append(applied(opt))
    _, opt2 = make_optimizer("Adam", 2)
    warmed = WarmupLR(opt2, OneCycleLR(opt2, max_lr=[0.1, 0.3], total_steps=30), 5, start_lr=0.002)
    ours = [applied(opt2)]
    for _ in range(34):
        warmed.step()
        ours.append(applied(opt2))
    # lrs: ignite's warm-up writes only them (ignite asks the wrapped scheduler's get_lr()
    # while setting up, which moves the momentum of a scheduler that cycles one).
    assert [[lr for lr, _ in s] for s in ours] == [[lr for lr, _ in s] for s in theirs]


@pytest.mark.parametrize("groups", [1, 2])
def test_warmup_lr_against_torchs_linear_lr_sequence(groups) -> None:
    """Bitwise at step 0 and from the milestone on (CyclicLR's closed form); LinearLR's
    recursive steps 1..W-1 within 1e-12 relative."""
    base = [0.01 * (g + 1) for g in range(groups)]

    def theirs(opt):
        for group, lr in zip(opt.param_groups, base):
            group["lr"] = lr
        linear = T.LinearLR(opt, start_factor=0.3, total_iters=7)
        main = T.CyclicLR(opt, base_lr=base, max_lr=0.1, step_size_up=4)
        return T.SequentialLR(opt, [linear, main], milestones=[7])

    def ours(opt):
        main = CyclicLR(opt, base_lr=base, max_lr=0.1, step_size_up=4)
        return WarmupLR(opt, main, 7, start_lr=[b * 0.3 for b in base])

    a, b = run(ours, "SGD", groups, 40), run(theirs, "SGD", groups, 40)
    assert a[0] == b[0] and a[7:] == b[7:]
    np.testing.assert_allclose(
        [[lr for lr, _ in s] for s in a[1:7]], [[lr for lr, _ in s] for s in b[1:7]], rtol=1e-12
    )
    assert [[m for _, m in s] for s in a] == [[m for _, m in s] for s in b]


def test_warmup_lr_against_torch_with_a_recursive_main_scheduler_is_within_1e_12() -> None:
    def theirs(opt):
        linear = T.LinearLR(opt, start_factor=0.1, total_iters=5)
        cosine = T.CosineAnnealingLR(opt, T_max=40, eta_min=0.001)
        return T.SequentialLR(opt, [linear, cosine], milestones=[5])

    def ours(opt):
        cosine = CosineAnnealingWarmRestarts(opt, T_0=40, eta_min=0.001, base_lr=0.1)
        return WarmupLR(opt, cosine, 5, start_lr=0.1 * 0.1)

    a, b = run(ours, "SGD", 1, 45), run(theirs, "SGD", 1, 45)
    assert a[0] == b[0] and a[5] == b[5]  # base_lr * start_factor; the closed form at 0
    np.testing.assert_allclose([s[0][0] for s in a], [s[0][0] for s in b], rtol=1e-12)


def test_warmup_lr_is_the_pure_with_warmup_and_holds_the_momentum() -> None:
    _, opt = make_optimizer("SGD", 2)
    main = OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=20)
    warmed = WarmupLR(opt, main, 6, start_lr=[0.0, 0.01], mode="cos")
    pure = with_warmup(main.schedule, 6, start_lr=[0.0, 0.01], mode="cos")
    for k in range(27):
        lrs, momentums = pure.at(k)
        assert [g["lr"] for g in opt.param_groups] == lrs
        assert [g["momentum"] for g in opt.param_groups] == momentums
        if k < 26:
            warmed.step()
    assert pure.values(np.arange(6)).momentum.tolist() == [main.schedule.at(0)[1]] * 6


@pytest.mark.parametrize("at", [2, 6, 15])
def test_warmup_lr_keeps_its_warm_up_on_resume_and_round_trips(at) -> None:
    def build(opt):
        return WarmupLR(opt, OneCycleLR(opt, max_lr=0.1, total_steps=20), 6, start_lr=0.001)

    _, opt = make_optimizer("SGD")
    warmed = build(opt)
    for _ in range(at):
        warmed.step()
    warmed.resume_with(total_steps=46)
    assert warmed.milestones == [6] and warmed.total_steps == 46
    assert warmed.scheduler.total_steps == 40
    buffer = io.BytesIO()
    torch.save(warmed.state_dict(), buffer)
    buffer.seek(0)
    _, opt2 = make_optimizer("SGD")
    fresh = build(opt2)
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    while warmed.last_epoch < 46:
        warmed.step()
        fresh.step()
        assert applied(opt2) == applied(opt)


def test_warmup_lr_refuses_bad_arguments_and_changes_nothing() -> None:
    _, opt = make_optimizer("SGD")
    main = OneCycleLR(opt, max_lr=0.1, total_steps=20)
    before = group_snapshot(opt)
    for kwargs, error, message in [
        (dict(warmup_steps=0), ValueError, "warmup_steps must be a positive integer, got 0"),
        (dict(warmup_steps=3, mode="exp"), ValueError, "mode must be 'linear' or 'cos', got 'exp'"),
        (dict(warmup_steps=3, start_lr=[0.1, 0.2]), ValueError,
         "start_lr must be a single value or one value per parameter group (1), got 2 values"),
    ]:
        with pytest.raises(error) as caught:
            WarmupLR(opt, main, **kwargs)
        assert str(caught.value) == message
        assert_groups_equal(before, opt)


def test_a_sequence_of_sequences_is_the_join_of_the_joins_and_round_trips() -> None:
    def build(opt):
        warmed = WarmupLR(opt, OneCycleLR(opt, max_lr=0.1, total_steps=12), 4)
        tail = CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=3)
        return SequentialLR(opt, [warmed, tail], milestones=[16])

    pure = join_schedules(
        [with_warmup(OneCycleSchedule(max_lr=0.1, total_steps=12), 4),
         CyclicSchedule(base_lr=0.001, max_lr=0.01, step_size_up=3)],
        [16],
    )
    _, opt = make_optimizer("SGD")
    sequence = build(opt)
    for k in range(30):
        lrs, momentums = pure.at(k)
        assert applied(opt) == list(zip(lrs, momentums))
        if k == 10:
            _, opt2 = make_optimizer("SGD")
            copy = build(opt2)
            copy.load_state_dict(sequence.state_dict())
        sequence.step()
        if k >= 10:
            copy.step()
            assert applied(opt2) == applied(opt)


def test_repr_names_the_parts() -> None:
    _, opt = make_optimizer("SGD", 2)
    assert repr(build_sequence(opt)) == (
        "SequentialLR(schedulers=['OneCycleLR', 'WarmupStableDecayLR', 'CyclicLR'], "
        "milestones=[8, 17], last_epoch=0, last_lr=[0.004, 0.008])"
    )


def test_docstring_examples_run() -> None:
    import doctest

    assert doctest.testmod(sequential_module).failed == 0
