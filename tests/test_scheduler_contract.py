"""The contract every scheduler class keeps, run over all of them (``CASES``).

- state round trip through ``torch.save`` / ``torch.load(weights_only=True)``;
- validation before any write: a bad argument leaves the optimizer untouched;
- a failed call changes nothing: random call sequences, failing calls included, leave
  the scheduler and its optimizer equal to a twin that only saw the calls that
  succeeded (hypothesis stateful testing);
- tensors updated in place; a group-count change refused with a sentence saying what
  to do; deepcopy and pickle; ``get_lr()`` against the pure core at ``last_epoch``;
  ``repr``.

A new scheduler class joins by adding a :class:`Case` to ``CASES``.
"""

from __future__ import annotations

import copy
import io
import pickle
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from lr_one_cycle import (
    CosineAnnealingScheduler,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    LinearCyclicalScheduler,
    OneCycleLR,
    SequentialLR,
    WarmupLR,
    WarmupStableDecayLR,
    cosine_annealing_schedule,
    cyclic_lr_schedule,
    linear_cyclical_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
    warmup_stable_decay_schedule,
    with_warmup,
)
from lr_one_cycle.schedules import OneCycleSchedule

LRS = (0.3, 0.07)


def make_optimizer(kind: str, tensor_lr: bool = False) -> torch.optim.Optimizer:
    def lr(x: float) -> Any:
        return torch.tensor(x, dtype=torch.float64) if tensor_lr else x

    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr(x)} for x in LRS]
    if kind == "SGD":
        return torch.optim.SGD(groups, lr=lr(0.1), momentum=0.9)
    betas = (torch.tensor(0.9, dtype=torch.float64), torch.tensor(0.999, dtype=torch.float64))
    return torch.optim.Adam(groups, lr=lr(0.1), betas=betas if tensor_lr else (0.9, 0.999))


@dataclass(frozen=True)
class Case:
    """One scheduler class under the contract.

    ``build(optimizer, **overrides)`` makes it (after ``parts(optimizer)``, the
    schedulers a composite takes, built first on the optimizer as with torch);
    ``reference(k)`` is the pure core's lr of
    every group at step (or event) ``k``; ``resumes`` are valid ``resume_with`` calls and
    ``bad_resumes`` refused ones; ``bad_argument`` a constructor override that must be
    refused with ``bad_message``; ``ignite_style``: stepped by ``__call__`` (ignite's
    convention: nothing written at construction, call ``n + 1`` writes event ``n``).
    """

    name: str
    build: Callable[..., Any]
    reference: Callable[[int], list[float]]
    last: int | None
    resumes: list[dict[str, Any]]
    bad_resumes: list[dict[str, Any]]
    bad_argument: dict[str, Any]
    bad_message: str
    optimizer: str = "SGD"
    ignite_style: bool = False
    repr_start: str = ""
    #: torch's SGDR computes get_lr() from T_cur, not last_epoch (test_protocols.py
    #: checks ours against it); every other torch scheduler reads last_epoch.
    get_lr_reads_last_epoch: bool = True
    parts: Callable[[Any], dict[str, Any]] = field(default=lambda opt: {})


ONE_CYCLE = dict(max_lr=[0.1, 0.02], total_steps=30, three_phase=True)
SGDR = dict(T_0=4, T_mult=2, eta_min=0.001, decay=0.9, warmup_steps=1)
CYCLICAL = dict(param_name="lr", start_value=0.5, end_value=0.01, cycle_size=6, cycle_mult=1.5)

CYCLIC = dict(base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=3, mode="triangular2")
WSD = dict(peak_lr=[0.1, 0.05], warmup_steps=3, stable_steps=5, decay_steps=8, min_lr=0.001)


def _sequence_parts(opt: Any) -> dict[str, Any]:
    return {
        "schedulers": [
            OneCycleLR(opt, max_lr=[0.1, 0.02], total_steps=10),
            CyclicLR(opt, **CYCLIC),
        ]
    }


def _sequence_reference(k: int) -> list[float]:
    if k < 10:
        return [one_cycle_schedule(k, max_lr=m, total_steps=10)[0] for m in (0.1, 0.02)]
    return [cyclic_lr_schedule(k - 10, **{**CYCLIC, "max_lr": m})[0] for m in (0.1, 0.2)]


def _warmup_reference(k: int) -> list[float]:
    warmed = with_warmup(OneCycleSchedule(max_lr=0.1, total_steps=40), 4)
    return [warmed.evaluate(k)[0]] * 2


CASES = [
    Case(
        "OneCycleLR-SGD",
        lambda opt, **kw: OneCycleLR(opt, **{**ONE_CYCLE, **kw}),
        lambda k: [
            one_cycle_schedule(k, max_lr=m, total_steps=30, three_phase=True)[0]
            for m in (0.1, 0.02)
        ],
        30,
        [{"total_steps": 45}, {"total_steps": 30}],
        [{"total_steps": 0}, {"total_steps": 1}, {"total_steps": "x"}],
        {"pct_start": 1.5},
        "pct_start must be a number in [0, 1], got 1.5",
        repr_start="OneCycleLR(total_steps=30, max_lr=[0.1, 0.02], pct_start=0.3",
    ),
    Case(
        "OneCycleLR-Adam",
        lambda opt, **kw: OneCycleLR(opt, **{"max_lr": 0.05, "total_steps": 24, **kw}),
        lambda k: [one_cycle_schedule(k, max_lr=0.05, total_steps=24)[0]] * 2,
        24,
        [{"total_steps": 40}],
        [{"total_steps": -3}],
        {"max_momentum": 1.0},
        "max_momentum must be a number in [0, 1) for an optimizer with betas (Adam family: "
        "beta1 = 1 divides by zero in the bias correction), got 1.0",
        optimizer="Adam",
        repr_start="OneCycleLR(total_steps=24, max_lr=[0.05, 0.05]",
    ),
    Case(
        "CosineAnnealingWarmRestarts",
        lambda opt, **kw: CosineAnnealingWarmRestarts(opt, **{**SGDR, **kw}),
        lambda k: [warm_restarts_schedule(k, base_lr=x, **SGDR) for x in LRS],
        None,
        [{"T_0": 8}, {"T_0": 3, "warmup_steps": 2}],
        [{"T_0": 0}, {"T_0": 2.5}],
        {"warmup_steps": 4},
        "warmup_steps must be smaller than T_0 (4): the warm-up is part of every cycle, got 4",
        get_lr_reads_last_epoch=False,
        repr_start="CosineAnnealingWarmRestarts(T_0=4, T_mult=2, eta_min=0.001, decay=0.9",
    ),
    Case(
        "CosineAnnealingScheduler",
        lambda opt, **kw: CosineAnnealingScheduler(opt, **{**CYCLICAL, **kw}),
        lambda k: [cosine_annealing_schedule(k, **_without_name(CYCLICAL))] * 2,
        None,
        [{"cycle_size": 9}, {"cycle_size": 2}],
        [{"cycle_size": 1}, {"cycle_size": None}],
        {"cycle_size": 1},
        "cycle_size must be an integer >= 2, got 1",
        ignite_style=True,
        repr_start="CosineAnnealingScheduler(param_name='lr', start_value=0.5",
    ),
    Case(
        "LinearCyclicalScheduler",
        lambda opt, **kw: LinearCyclicalScheduler(opt, **{**CYCLICAL, **kw}),
        lambda k: [linear_cyclical_schedule(k, **_without_name(CYCLICAL))] * 2,
        None,
        [{"cycle_size": 4}],
        [{"cycle_size": 0}],
        {"cycle_mult": 0.5},
        "cycle_mult must be a finite number >= 1, got 0.5",
        ignite_style=True,
        repr_start="LinearCyclicalScheduler(param_name='lr', start_value=0.5",
    ),
]
CASES += [
    Case(
        "CyclicLR",
        lambda opt, **kw: CyclicLR(opt, **{**CYCLIC, **kw}),
        lambda k: [cyclic_lr_schedule(k, **{**CYCLIC, "max_lr": m})[0] for m in (0.1, 0.2)],
        None,
        [{"step_size_up": 5}, {"step_size_up": 2, "step_size_down": 4}],
        [{"step_size_up": 0}, {"step_size_up": "x"}],
        {"gamma": 1.5},
        "gamma must be a number in (0, 1], got 1.5",
        repr_start="CyclicLR(base_lr=[0.01, 0.01], max_lr=[0.1, 0.2], step_size_up=3.0",
    ),
    Case(
        "SequentialLR",
        lambda opt, **kw: SequentialLR(opt, **{"milestones": [10], **kw}),
        _sequence_reference,
        None,
        [],
        [{"total_steps": 50}, {"total_steps": 0}],
        {"milestones": [0]},
        "milestones[0] must be a positive integer, got 0",
        parts=_sequence_parts,
        repr_start="SequentialLR(schedulers=['OneCycleLR', 'CyclicLR'], milestones=[10]",
    ),
    Case(
        "WarmupLR",
        lambda opt, **kw: WarmupLR(opt, **{"warmup_steps": 4, **kw}),
        _warmup_reference,
        44,
        [{"total_steps": 60}, {"total_steps": 44}],
        [{"total_steps": 2}, {"total_steps": -1}],
        {"warmup_steps": 0},
        "warmup_steps must be a positive integer, got 0",
        parts=lambda opt: {"scheduler": OneCycleLR(opt, max_lr=0.1, total_steps=40)},
        repr_start="WarmupLR(scheduler='OneCycleLR', warmup_steps=4, start_lr=[0, 0]",
    ),
    Case(
        "WarmupStableDecayLR",
        lambda opt, **kw: WarmupStableDecayLR(opt, **{**WSD, **kw}),
        lambda k: [warmup_stable_decay_schedule(k, **{**WSD, "peak_lr": m}) for m in (0.1, 0.05)],
        16,
        [{"total_steps": 30}, {"stable_steps": 9}],
        [{"total_steps": 1}, {"decay_steps": -2}],
        {"warmup": "cos"},
        "warmup must be 'linear' or 'cosine' or '1-sqrt', got 'cos'",
        repr_start="WarmupStableDecayLR(peak_lr=[0.1, 0.05], warmup_steps=3, stable_steps=5",
    ),
]
IDS = [case.name for case in CASES]


def _without_name(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k != "param_name"}


def build(case: Case, opt: Any, parts: dict[str, Any] | None = None, **overrides: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's step-order warning
        return case.build(opt, **(case.parts(opt) if parts is None else parts), **overrides)


def advance(case: Case, scheduler: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.ignite_style:
            scheduler()
        else:
            scheduler.step()


def groups_of(opt: Any) -> list[tuple[Any, ...]]:
    """lr and momentum (or betas) of every group, as plain numbers."""

    def plain(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return x.item()
        if isinstance(x, tuple):
            return tuple(plain(y) for y in x)
        return x

    return [
        (plain(g["lr"]), plain(g.get("momentum")), plain(g.get("betas"))) for g in opt.param_groups
    ]


def snapshot(scheduler: Any) -> tuple[Any, ...]:
    """Everything a user can observe of a scheduler and its optimizer."""
    last = None if not hasattr(scheduler, "get_last_lr") else scheduler.get_last_lr()
    return (
        copy.deepcopy(scheduler.state_dict()),
        groups_of(scheduler.optimizer),
        last,
        repr(scheduler),
    )


def position(case: Case, scheduler: Any) -> int:
    """The step whose values are in the groups (ignite: the last event written)."""
    return scheduler.event_index - 1 if case.ignite_style else scheduler.last_epoch


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_round_trips_through_torch_save_weights_only(case: Case) -> None:
    opt = make_optimizer(case.optimizer)
    scheduler = build(case, opt)
    for _ in range(7):
        advance(case, scheduler)
    buffer = io.BytesIO()
    torch.save(scheduler.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)

    restored_opt = make_optimizer(case.optimizer)
    restored = build(case, restored_opt)
    restored.load_state_dict(state)
    assert restored.state_dict() == scheduler.state_dict()
    for _ in range(9):
        advance(case, scheduler)
        advance(case, restored)
        assert groups_of(restored_opt) == groups_of(opt)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_bad_argument_is_refused_before_anything_is_written(case: Case) -> None:
    opt = make_optimizer(case.optimizer)
    parts = case.parts(opt)
    before = copy.deepcopy(
        [{k: x for k, x in g.items() if k != "params"} for g in opt.param_groups]
    )
    with pytest.raises(ValueError) as raised:
        build(case, opt, parts, **case.bad_argument)
    assert str(raised.value) == case.bad_message
    assert [{k: x for k, x in g.items() if k != "params"} for g in opt.param_groups] == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_tensor_values_are_updated_in_place_with_the_float_runs_values(case: Case) -> None:
    floats, tensors = make_optimizer(case.optimizer), make_optimizer(case.optimizer, True)
    lr_tensors = [g["lr"] for g in tensors.param_groups]
    first_betas = [g["betas"][0] for g in tensors.param_groups if "betas" in g]
    a, b = build(case, floats), build(case, tensors)
    for _ in range(10):
        advance(case, a)
        advance(case, b)
        assert groups_of(tensors) == groups_of(floats)
    assert all(g["lr"] is t for g, t in zip(tensors.param_groups, lr_tensors, strict=True))
    assert [g["betas"][0] for g in tensors.param_groups if "betas" in g] == first_betas
    if not case.ignite_style:
        last = b.get_last_lr()
        assert all(isinstance(x, torch.Tensor) for x in last)
        assert all(x is not t for x, t in zip(last, lr_tensors, strict=True))  # copies


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_changed_group_count_is_refused_saying_what_to_do_and_changes_nothing(
    case: Case,
) -> None:
    opt = make_optimizer(case.optimizer)
    scheduler = build(case, opt)
    advance(case, scheduler)
    before = snapshot(scheduler)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
    if case.ignite_style:
        # ignite's handlers drive every group there is: the new one gets the schedule too.
        advance(case, scheduler)
        assert groups_of(opt)[-1][0] == groups_of(opt)[0][0]
        return
    with pytest.raises(ValueError) as raised:
        scheduler.step()
    assert str(raised.value) == (
        "the optimizer has 3 parameter groups but the schedule was built for 2: build a new "
        "scheduler after optimizer.add_param_group() (or give the new group its own scheduler)"
    )
    opt.param_groups.pop()
    assert snapshot(scheduler) == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_deepcopy_and_pickle_give_an_independent_scheduler_that_goes_on_identically(
    case: Case,
) -> None:
    opt = make_optimizer(case.optimizer)
    scheduler = build(case, opt)
    for _ in range(3):
        advance(case, scheduler)
    for twin in (copy.deepcopy(scheduler), pickle.loads(pickle.dumps(scheduler))):
        assert type(twin) is type(scheduler)
        assert twin.optimizer is not opt
        assert snapshot(twin) == snapshot(scheduler)
        for _ in range(5):
            advance(case, twin)
        assert twin.state_dict() != scheduler.state_dict()  # the original did not move
    if not case.ignite_style:
        assert isinstance(copy.deepcopy(scheduler), torch.optim.lr_scheduler.LRScheduler)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_written_are_the_pure_cores_and_get_lr_reads_last_epoch(case: Case) -> None:
    opt = make_optimizer(case.optimizer)
    scheduler = build(case, opt)
    for _ in range(11):
        advance(case, scheduler)
        assert [g[0] for g in groups_of(opt)] == case.reference(position(case, scheduler))
    if case.ignite_style:
        assert scheduler.get_param() == case.reference(scheduler.event_index)[0]
        return
    if not case.get_lr_reads_last_epoch:
        assert scheduler.get_lr() == case.reference(scheduler.last_epoch)
        return
    for k in (0, 5, 3, 9):
        scheduler.last_epoch = k  # what torch's and ignite's wrappers do
        assert scheduler.get_lr() == case.reference(k)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_repr_names_the_class_its_settings_and_where_it_is(case: Case) -> None:
    scheduler = build(case, make_optimizer(case.optimizer))
    advance(case, scheduler)
    text = repr(scheduler)
    assert text.startswith(case.repr_start), text
    where = f"event_index={scheduler.event_index}" if case.ignite_style else "last_epoch=1,"
    assert where in text


# --------------------------------------------------------------------------- failure atomicity


def failure_atomicity_machine(case: Case) -> type[RuleBasedStateMachine]:
    """Drives two schedulers of ``case``: ``subject`` gets every call, ``twin`` only the
    calls that succeeded on ``subject``. After a failing call the subject must be as it
    was; after a successful one both must be equal."""

    class FailureAtomicity(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.subject = build(case, make_optimizer(case.optimizer))
            self.twin = build(case, make_optimizer(case.optimizer))
            self.saved = [self.subject.state_dict()]

        def call(self, method: Callable[[Any], Any]) -> None:
            before = snapshot(self.subject)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    method(self.subject)
            except (ValueError, TypeError):
                assert snapshot(self.subject) == before, "a failed call changed something"
                return
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                method(self.twin)

        @rule()
        def step(self) -> None:
            self.call(lambda s: s() if case.ignite_style else s.step())

        @rule(epoch=st.one_of(st.integers(-2, 70), st.floats(-1, 70), st.just("3")))
        def step_to(self, epoch: Any) -> None:
            if not case.ignite_style:
                self.call(lambda s: s.step(epoch))

        @rule(data=st.data())
        def resume_with(self, data: st.DataObject) -> None:
            changes = data.draw(st.sampled_from(case.resumes + case.bad_resumes))
            self.call(lambda s: s.resume_with(**changes))

        @rule(data=st.data(), corrupt=st.sampled_from([None, "last_epoch", "setting", "missing"]))
        def load_state_dict(self, data: st.DataObject, corrupt: str | None) -> None:
            state = dict(data.draw(st.sampled_from(self.saved)))
            key = "event_index" if case.ignite_style else "last_epoch"
            if corrupt == "last_epoch":
                state[key] = -5
            elif corrupt == "setting":
                name = next(k for k in state if k not in (key, "save_history", "position"))
                state[name] = "changed"
            elif corrupt == "missing":
                del state[key]
            self.call(lambda s: s.load_state_dict(state))

        @rule()
        def save(self) -> None:
            self.saved.append(self.subject.state_dict())

        @rule()
        def change_groups_and_step(self) -> None:
            """A group added (to both optimizers), a step tried, the group removed."""
            extra = {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5}
            pair = (self.subject.optimizer, self.twin.optimizer)
            for opt in pair:
                opt.add_param_group(copy.deepcopy(extra))
            try:
                self.step()
            finally:
                for opt in pair:
                    opt.param_groups.pop()

        @invariant()
        def equal_to_the_twin(self) -> None:
            assert snapshot(self.subject) == snapshot(self.twin)

    FailureAtomicity.__name__ = f"FailureAtomicity[{case.name}]"
    return FailureAtomicity


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_random_calls_with_failures_leave_the_scheduler_as_if_only_successes_were_made(
    case: Case,
) -> None:
    machine = failure_atomicity_machine(case)
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine.TestCase().runTest()


def test_the_contract_covers_every_public_scheduler_class() -> None:
    import lr_one_cycle

    public = {
        obj.__name__
        for obj in (getattr(lr_one_cycle, name) for name in lr_one_cycle.__all__)
        if isinstance(obj, type) and hasattr(obj, "state_dict")
    }
    covered = {case.name.split("-")[0] for case in CASES}
    # A wrapper around the classes above that steps inside compiled graphs (tensor lrs
    # only); tests/test_compiled.py holds it to the wrapped scheduler's values and state.
    covered.add("InGraphScheduler")
    assert public <= covered, f"not under the contract: {sorted(public - covered)}"
