"""InGraphScheduler: the schedule inside a torch.compile'd training step (CPU, inductor).

The compiled runs are made once per module (compiling is slow on two cores) and the
tests read what they recorded. The eager scheduler is the reference throughout: same
values, same state dicts, both ways.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest

from lr_one_cycle import (
    CosineAnnealingWarmRestarts,
    CyclicLR,
    InGraphScheduler,
    OneCycleLR,
    SequentialLR,
    WarmupLR,
    WarmupStableDecayLR,
    one_cycle_schedule,
)

torch = pytest.importorskip("torch")

TOTAL = 16
MAX_LR = [0.02, 0.01]


class CountingInductor:
    """inductor, counting the graphs it compiles (a recompile is one more)."""

    def __init__(self) -> None:
        self.graphs = 0

    def __call__(self, gm: Any, example_inputs: Any) -> Any:
        from torch._inductor.compile_fx import compile_fx

        self.graphs += 1
        return compile_fx(gm, example_inputs)


def model_and_optimizer(lr: Any = None) -> tuple[Any, Any]:
    """Two layers, one parameter group each, AdamW with tensor lr and betas."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))

    def group(layer: Any) -> dict[str, Any]:
        return {
            "params": list(layer.parameters()),
            "lr": torch.tensor(0.0) if lr is None else lr,
            "betas": (torch.tensor(0.9), torch.tensor(0.999)),
        }

    optimizer = torch.optim.AdamW([group(model[0]), group(model[2])], weight_decay=0.01)
    return model, optimizer


def data() -> tuple[Any, Any]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(32, 4, generator=generator), torch.randn(32, 1, generator=generator)


def applied(optimizer: Any) -> list[tuple[float, float]]:
    return [(g["lr"].item(), g["betas"][0].item()) for g in optimizer.param_groups]


def expected(step: int) -> list[tuple[float, float]]:
    """The float32 lr and beta1 of each group at ``step``, from the pure function."""
    lrs, betas = one_cycle_schedule(step, max_lr=MAX_LR, total_steps=TOTAL)
    f32 = [float(torch.tensor(x, dtype=torch.float32)) for x in (*lrs, *betas)]
    return list(zip(f32[:2], f32[2:]))


@pytest.fixture(scope="module")
def in_graph_run() -> dict[str, Any]:
    """A whole cycle of the compiled step with the in-graph schedule, then a resume from
    a state saved midway, in the same compiled function."""
    torch._dynamo.reset()
    model, optimizer = model_and_optimizer()
    scheduler = InGraphScheduler(OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL))
    x, y = data()
    backend = CountingInductor()

    @torch.compile(backend=backend)
    def train_step() -> Any:
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss

    record: dict[str, Any] = {"applied": [], "states": {}}
    for k in range(TOTAL):
        record["applied"].append(applied(optimizer))
        record["states"][k] = scheduler.state_dict()
        train_step()
        optimizer.zero_grad()
        if k == 0:
            record["graphs_after_first_step"] = backend.graphs
    record["graphs_after_cycle"] = backend.graphs
    record["weights"] = [p.detach().clone() for p in model.parameters()]
    record["last_epoch"] = scheduler.last_epoch
    record["final_state"] = scheduler.state_dict()
    # Resume from step 5's state in the same compiled step: no recompile.
    scheduler.load_state_dict(record["states"][5])
    record["resumed"] = [applied(optimizer)]
    for _ in range(3):
        train_step()
        optimizer.zero_grad()
        record["resumed"].append(applied(optimizer))
    record["graphs_after_resume"] = backend.graphs
    return record


@pytest.fixture(scope="module")
def eager_scheduler_run() -> dict[str, Any]:
    """The same compiled forward, backward and optimizer step, with the eager scheduler
    stepped outside the compiled function (the way without the in-graph schedule)."""
    torch._dynamo.reset()
    model, optimizer = model_and_optimizer()
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL)
    x, y = data()
    backend = CountingInductor()

    @torch.compile(backend=backend)
    def train_step() -> Any:
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    record: dict[str, Any] = {"applied": [], "states": {}}
    for k in range(TOTAL):
        record["applied"].append(applied(optimizer))
        record["states"][k] = scheduler.state_dict()
        train_step()
        optimizer.zero_grad()
        scheduler.step()
    record["graphs"] = backend.graphs
    record["weights"] = [p.detach().clone() for p in model.parameters()]
    return record


def test_the_compiled_step_compiles_once_over_a_whole_cycle(in_graph_run, eager_scheduler_run):
    # torch's optimizer.step() breaks the graph before and after itself on purpose
    # (pytorch#104053), so the step is forward+backward, the optimizer, and the
    # schedule: one graph more than with the eager scheduler, and no recompile.
    assert in_graph_run["graphs_after_first_step"] == eager_scheduler_run["graphs"] + 1
    assert in_graph_run["graphs_after_cycle"] == in_graph_run["graphs_after_first_step"]


def test_the_lrs_and_betas_applied_are_the_pure_functions_values(in_graph_run):
    assert in_graph_run["applied"] == [expected(k) for k in range(TOTAL)]
    assert in_graph_run["last_epoch"] == TOTAL  # the TOTAL-th step() holds the final value


def test_the_weights_equal_the_eager_schedulers_bit_for_bit(in_graph_run, eager_scheduler_run):
    assert in_graph_run["applied"] == eager_scheduler_run["applied"]
    for ours, theirs in zip(in_graph_run["weights"], eager_scheduler_run["weights"]):
        assert torch.equal(ours, theirs)


def test_the_weights_match_a_fully_eager_loop_within_float32_rounding(in_graph_run):
    # Inductor's fused AdamW rounds differently from eager's kernels; nothing else differs.
    model, optimizer = model_and_optimizer()
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL)
    x, y = data()
    for _ in range(TOTAL):
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
    for ours, theirs in zip(in_graph_run["weights"], model.parameters()):
        torch.testing.assert_close(ours, theirs.detach(), rtol=1e-5, atol=1e-6)


def test_state_dicts_are_the_eager_schedulers(in_graph_run, eager_scheduler_run):
    assert in_graph_run["states"] == eager_scheduler_run["states"]
    assert in_graph_run["final_state"]["last_epoch"] == TOTAL


def test_resuming_in_the_compiled_step_continues_without_recompiling(in_graph_run):
    assert in_graph_run["resumed"] == [expected(k) for k in range(5, 9)]
    assert in_graph_run["graphs_after_resume"] == in_graph_run["graphs_after_cycle"]


# --------------------------------------------------------------------------- state, resume
# Outside torch.compile step() runs its tensor operations eagerly: the same values.


def test_an_eager_state_loads_in_the_graph_and_a_graph_state_loads_eagerly():
    _, opt_a = model_and_optimizer()
    eager = OneCycleLR(opt_a, max_lr=MAX_LR, total_steps=TOTAL)
    for _ in range(6):
        eager.step()
    _, opt_b = model_and_optimizer()
    in_graph = InGraphScheduler(OneCycleLR(opt_b, max_lr=MAX_LR, total_steps=TOTAL))
    in_graph.load_state_dict(eager.state_dict())
    assert in_graph.last_epoch == 6 and applied(opt_b) == expected(6)
    for _ in range(3):
        in_graph.step()
    _, opt_c = model_and_optimizer()
    eager_again = OneCycleLR(opt_c, max_lr=MAX_LR, total_steps=TOTAL)
    eager_again.load_state_dict(in_graph.state_dict())
    assert eager_again.last_epoch == 9 and applied(opt_c) == applied(opt_b) == expected(9)


def test_elastic_resume_follows_the_eager_schedulers_resume():
    _, opt_a = model_and_optimizer()
    eager = OneCycleLR(opt_a, max_lr=MAX_LR, total_steps=TOTAL)
    _, opt_b = model_and_optimizer()
    in_graph = InGraphScheduler(OneCycleLR(opt_b, max_lr=MAX_LR, total_steps=TOTAL))
    for _ in range(5):
        eager.step()
        in_graph.step()
    eager.resume_with(total_steps=2 * TOTAL)
    in_graph.resume_with(total_steps=2 * TOTAL)
    seen = []
    for _ in range(2 * TOTAL - 5):
        eager.step()
        in_graph.step()
        seen.append(applied(opt_a) == applied(opt_b))
    assert all(seen) and in_graph.last_epoch == 2 * TOTAL
    assert in_graph.state_dict() == eager.state_dict()
    # The resumed run's state loads into a scheduler built with the new length.
    _, opt_c = model_and_optimizer()
    fresh = InGraphScheduler(OneCycleLR(opt_c, max_lr=MAX_LR, total_steps=2 * TOTAL))
    fresh.load_state_dict(eager.state_dict())
    assert applied(opt_c) == applied(opt_a)


def test_the_counter_stops_at_the_end_holding_the_final_values():
    _, optimizer = model_and_optimizer()
    scheduler = InGraphScheduler(OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=4))
    for _ in range(7):
        scheduler.step()
    assert scheduler.last_epoch == 4
    lrs, betas = one_cycle_schedule(4, max_lr=MAX_LR, total_steps=4)
    assert [lr for lr, _ in applied(optimizer)] == [
        float(torch.tensor(x, dtype=torch.float32)) for x in lrs
    ]


@pytest.mark.parametrize("exact", [True, False])
def test_sgdr_in_the_graph_steps_as_the_eager_scheduler(exact):
    def make() -> tuple[Any, Any]:
        _, optimizer = model_and_optimizer(lr=None)
        for group in optimizer.param_groups:
            group["lr"].fill_(0.05)
        return optimizer, CosineAnnealingWarmRestarts(optimizer, T_0=5, T_mult=2, eta_min=1e-4)

    opt_a, eager = make()
    opt_b, wrapped = make()
    in_graph = InGraphScheduler(wrapped, exact=exact, max_step=200)
    for _ in range(60):
        eager.step()
        in_graph.step()
        assert [g["lr"].item() for g in opt_a.param_groups] == [
            g["lr"].item() for g in opt_b.param_groups
        ]
    assert in_graph.state_dict() == eager.state_dict()


def test_a_fractional_position_runs_in_the_closed_form():
    _, optimizer = model_and_optimizer()
    for group in optimizer.param_groups:
        group["lr"].fill_(0.05)
    eager = CosineAnnealingWarmRestarts(optimizer, T_0=5)
    eager.step(2.5)
    with pytest.raises(ValueError) as error:
        InGraphScheduler(eager)
    assert str(error.value) == (
        "exact=True reads a table of whole steps, but the scheduler is at position 2.5 "
        "(after step(epoch=2.5)); use exact=False"
    )
    in_graph = InGraphScheduler(eager, exact=False)
    in_graph.step()
    assert in_graph.state_dict()["position"] == 3.5
    assert optimizer.param_groups[0]["lr"].item() == float(
        torch.tensor(eager.schedule.at(3.5)[0][0], dtype=torch.float32)
    )


# --------------------------------------------------------------------------- validation


def test_float_lrs_are_refused_with_the_fix_and_nothing_changes():
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=0.01)
    eager = OneCycleLR(optimizer, max_lr=0.01, total_steps=10)
    before = eager.state_dict()
    with pytest.raises(TypeError) as error:
        InGraphScheduler(eager)
    assert str(error.value) == (
        "optimizer.param_groups[0]['lr'] must be a 0-d floating-point tensor for the graph "
        f"to update it in place, got {optimizer.param_groups[0]['lr']!r}: build the "
        "optimizer with lr=torch.tensor(...) (and betas=(torch.tensor(...), "
        "torch.tensor(...)) for the Adam family)"
    )
    assert eager.state_dict() == before


def test_only_the_packages_schedulers_are_accepted():
    _, optimizer = model_and_optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=10)
    with pytest.raises(TypeError, match="got OneCycleLR"):
        InGraphScheduler(theirs)
    with pytest.raises(TypeError, match="exact must be"):
        InGraphScheduler(OneCycleLR(optimizer, max_lr=0.01, total_steps=10), exact="yes")


def test_a_state_of_another_schedule_is_refused_and_nothing_changes():
    _, optimizer = model_and_optimizer()
    in_graph = InGraphScheduler(OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL))
    for _ in range(3):
        in_graph.step()
    state = in_graph.state_dict()
    other = dict(state, pct_start=0.5)
    with pytest.raises(ValueError, match="pct_start \\(saved 0.5, here 0.3\\)"):
        in_graph.load_state_dict(other)
    assert in_graph.state_dict() == state and applied(optimizer) == expected(3)


def test_a_resume_the_schedule_refuses_changes_nothing():
    _, optimizer = model_and_optimizer()
    in_graph = InGraphScheduler(OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=TOTAL))
    for _ in range(5):
        in_graph.step()
    before = in_graph.state_dict()
    with pytest.raises(ValueError, match="total_steps must be >= 7"):
        in_graph.resume_with(total_steps=6)
    assert in_graph.state_dict() == before and applied(optimizer) == expected(5)
    in_graph.step()
    assert applied(optimizer) == expected(6)


def test_values_that_never_repeat_need_max_step_for_the_table():
    _, optimizer = model_and_optimizer()
    for group in optimizer.param_groups:
        group["lr"].fill_(0.05)
    eager = CosineAnnealingWarmRestarts(optimizer, T_0=5, decay=0.5)
    with pytest.raises(ValueError, match="max_step must be given for exact=True"):
        InGraphScheduler(eager)
    in_graph = InGraphScheduler(eager, max_step=20)
    for _ in range(25):
        in_graph.step()
    assert in_graph.last_epoch == 20 and not math.isnan(optimizer.param_groups[0]["lr"].item())


def test_without_cycle_momentum_only_the_lr_is_written():
    torch.manual_seed(0)
    optimizer = torch.optim.SGD(
        torch.nn.Linear(2, 1).parameters(), lr=torch.tensor(0.0), momentum=0.9
    )
    in_graph = InGraphScheduler(
        OneCycleLR(optimizer, max_lr=0.1, total_steps=10, cycle_momentum=False)
    )
    for _ in range(4):
        in_graph.step()
    group = optimizer.param_groups[0]
    assert group["momentum"] == 0.9
    assert group["lr"].item() == float(
        torch.tensor(one_cycle_schedule(4, max_lr=0.1, total_steps=10)[0], dtype=torch.float32)
    )


# --------------------------------------------------------------------------- composition
# CyclicLR, WarmupStableDecayLR, SequentialLR and WarmupLR in the graph: the same checks,
# all four in one compiled function (compiled once for the module).


def cyclic(optimizer: Any) -> CyclicLR:
    return CyclicLR(
        optimizer, base_lr=[0.001, 0.002], max_lr=0.01, step_size_up=5, step_size_down=3,
        mode="triangular2", base_momentum=0.85, max_momentum=0.95,
    )


def wsd(optimizer: Any) -> WarmupStableDecayLR:
    return WarmupStableDecayLR(
        optimizer, peak_lr=[0.01, 0.02], warmup_steps=4, stable_steps=6, decay_steps=10,
        min_lr=0.001, decay="1-sqrt",
    )


def sequential(optimizer: Any) -> SequentialLR:
    parts = [OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=10), cyclic(optimizer)]
    return SequentialLR(optimizer, parts, milestones=[10])


def warmed(optimizer: Any) -> WarmupLR:
    return WarmupLR(optimizer, wsd(optimizer), warmup_steps=4, start_lr=0.0005)


# name: (the eager scheduler on an optimizer, InGraphScheduler's arguments)
COMPOSED = {
    "CyclicLR (no end: the closed form)": (cyclic, {"exact": False}),
    "WarmupStableDecayLR (a table)": (wsd, {}),
    "SequentialLR (no end: the closed form)": (sequential, {"exact": False}),
    "WarmupLR (the closed form)": (warmed, {"exact": False}),
}
COMPOSED_STEPS = 20  # the WSD's length: every scheduler is still in range


@pytest.fixture(scope="module")
def composed_run() -> dict[str, Any]:
    torch._dynamo.reset()
    pairs = {}
    for name, (make, kwargs) in COMPOSED.items():
        _, eager_optimizer = model_and_optimizer()
        _, graph_optimizer = model_and_optimizer()
        eager = make(eager_optimizer)
        pairs[name] = (eager, InGraphScheduler(make(graph_optimizer), **kwargs))
    backend = CountingInductor()

    @torch.compile(backend=backend, fullgraph=True)
    def schedules_step() -> None:
        for _, in_graph in pairs.values():
            in_graph.step()

    record: dict[str, Any] = {name: [] for name in pairs}
    for _ in range(COMPOSED_STEPS):
        schedules_step()
        for name, (eager, in_graph) in pairs.items():
            eager.step()
            record[name].append(
                (applied(eager.optimizer), applied(in_graph.optimizer))
            )
    record["graphs"] = backend.graphs
    record["states"] = {
        name: (eager.state_dict(), in_graph.state_dict()) for name, (eager, in_graph) in pairs.items()
    }
    return record


def test_composition_schedulers_compile_once_over_their_run(composed_run):
    assert composed_run["graphs"] == 1


@pytest.mark.parametrize("name", COMPOSED)
def test_composition_schedulers_apply_the_eager_schedulers_values(composed_run, name):
    steps = composed_run[name]
    assert len(steps) == COMPOSED_STEPS
    assert all(eager == in_graph for eager, in_graph in steps), name
    eager_state, graph_state = composed_run["states"][name]
    assert graph_state == eager_state and graph_state["last_epoch"] == COMPOSED_STEPS


def test_a_sequence_state_loads_both_ways_and_elastic_resume_follows_the_eager_one():
    def make(optimizer: Any) -> SequentialLR:
        parts = [OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=10), wsd(optimizer)]
        return SequentialLR(optimizer, parts, milestones=[10])

    _, opt_a = model_and_optimizer()
    eager = make(opt_a)
    _, opt_b = model_and_optimizer()
    in_graph = InGraphScheduler(make(opt_b))
    for _ in range(12):
        eager.step()
    in_graph.load_state_dict(eager.state_dict())
    assert in_graph.last_epoch == 12 and applied(opt_b) == applied(opt_a)
    eager.resume_with(total_steps=50)
    in_graph.resume_with(total_steps=50)
    seen = []
    for _ in range(38):
        eager.step()
        in_graph.step()
        seen.append(applied(opt_a) == applied(opt_b))
    assert all(seen) and in_graph.last_epoch == 50
    assert in_graph.state_dict() == eager.state_dict()
    _, opt_c = model_and_optimizer()
    eager_again = make(opt_c)
    eager_again.load_state_dict(in_graph.state_dict())
    assert eager_again.last_epoch == 50 and applied(opt_c) == applied(opt_b)


def test_a_table_of_a_schedule_without_an_end_needs_max_step_and_nothing_changes():
    _, optimizer = model_and_optimizer()
    eager = WarmupLR(optimizer, cyclic(optimizer), warmup_steps=4)
    before = eager.state_dict()
    with pytest.raises(ValueError) as error:
        InGraphScheduler(eager)
    assert str(error.value) == (
        "max_step must be given for exact=True: JoinedSchedule has no last step and no "
        "period from step 0, so the table of exact values needs a last step"
    )
    assert eager.state_dict() == before
    in_graph = InGraphScheduler(eager, max_step=30)
    _, opt_b = model_and_optimizer()
    closed_form = InGraphScheduler(WarmupLR(opt_b, cyclic(opt_b), warmup_steps=4), exact=False)
    for _ in range(35):
        in_graph.step()
        closed_form.step()
    assert in_graph.last_epoch == 30 and closed_form.last_epoch == 35
    lrs, betas = eager.schedule.at(35)

    def f32(values: list[float]) -> list[float]:
        return [float(torch.tensor(x, dtype=torch.float32)) for x in values]

    assert applied(opt_b) == list(zip(f32(lrs), f32(betas)))
