"""The torch path of the composition families (issue 11's): CyclicLR, ramps and constants,
warmup-stable-decay, joins and the warm-up helpers, on tensors of steps.

The generic checks (closed form in float64 and float32 against the exact path, tables,
specs) run over these families' cases in tests/test_torch_path.py; here: the pure
functions' tensor branch, one compiled graph for all of them (compiled once per module:
compiling is slow on two cores), the bitwise claims of a graph compiled from one step,
CyclicLR's period and scale_fn, and the errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lr_one_cycle import (
    cyclic_lr_schedule,
    join_schedules,
    warmup_cosine_schedule,
    warmup_stable_decay_schedule,
    with_warmup,
)
from lr_one_cycle.schedules import (
    ConstantSchedule,
    CyclicalSchedule,
    CyclicSchedule,
    OneCycleSchedule,
    RampSchedule,
    WarmRestartsSchedule,
    WarmupCosineSchedule,
    WarmupStableDecaySchedule,
)

torch = pytest.importorskip("torch")


def halving(cycle: int) -> float:
    """A module-level scale_fn (crosses into torch.compile by its name)."""
    return 1 / (2.0 ** (cycle - 1))


def per_step(step: int) -> float:
    return 0.999**step


# name: (the pure function, closed form bitwise to the exact path in eager torch?)
PURE = {
    "cyclic_lr_schedule triangular2": (
        lambda s, **kw: cyclic_lr_schedule(
            s, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=4,
            mode="triangular2", **kw,
        ),
        True,
    ),
    "cyclic_lr_schedule exp_range per group": (
        lambda s, **kw: cyclic_lr_schedule(
            s, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=20, mode="exp_range",
            gamma=0.99, **kw,
        ),
        False,
    ),
    "cyclic_lr_schedule scale_fn (eager only: needs max_step in a graph)": (
        lambda s, **kw: cyclic_lr_schedule(
            s, base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=halving, **kw
        ),
        True,
    ),
    "warmup_stable_decay_schedule linear": (
        lambda s, **kw: warmup_stable_decay_schedule(
            s, peak_lr=1.0, warmup_steps=30, stable_steps=70, decay_steps=100,
            min_lr=0.01, decay="linear", **kw,
        ),
        True,
    ),
    "warmup_stable_decay_schedule per group, 1-sqrt": (
        lambda s, **kw: warmup_stable_decay_schedule(
            s, peak_lr=[1.0, 0.5], warmup_steps=30, stable_steps=70, decay_steps=100,
            warmup="1-sqrt", decay="1-sqrt", **kw,
        ),
        False,
    ),
    "warmup_cosine_schedule per group": (
        lambda s, **kw: warmup_cosine_schedule(
            s, peak_lr=[0.3, 0.1], warmup_steps=20, total_steps=200, min_lr=0.001, **kw
        ),
        False,
    ),
}
STEPS = np.arange(201)

IN_GRAPH = [name for name in PURE if "eager only" not in name]
SCALED = CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=halving)
JOIN = join_schedules(
    [OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=100),
     CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size_up=25, mode="triangular2")],
    [100],
)
WARMED = with_warmup(WarmRestartsSchedule(base_lr=0.1, T_0=10, T_mult=2), 20)


def flat(values) -> list:
    """The tensors (or arrays) of a pure function's result: lr, and momentum if any."""
    items = values if isinstance(values, tuple) else (values,)
    return [x for x in items if x is not None]


@pytest.mark.parametrize("name", PURE)
def test_pure_functions_take_tensors_and_give_tensors_of_the_exact_values(name):
    fn, bitwise = PURE[name]
    expected = flat(fn(STEPS, exact=True))
    tables = flat(fn(torch.from_numpy(STEPS), exact=True))
    closed = flat(fn(torch.from_numpy(STEPS)))
    for e, t, c in zip(expected, tables, closed, strict=True):
        assert isinstance(c, torch.Tensor) and c.dtype == torch.float64 and c.shape == e.shape
        np.testing.assert_array_equal(t.numpy(), e)
        if bitwise:
            np.testing.assert_array_equal(c.numpy(), e)
        else:
            amplitude = e.max(axis=0) - e.min(axis=0)
            assert np.all(np.abs(c.numpy() - e) <= 2 * np.spacing(e) + amplitude * 2.0**-53)


class CountingBackend:
    """Counts the graphs dynamo hands to the backend (a recompile is one more)."""

    def __init__(self, backend: str) -> None:
        from torch._dynamo.backends.registry import lookup_backend

        self.inner = lookup_backend(backend)
        self.graphs = 0

    def __call__(self, gm, example_inputs):
        self.graphs += 1
        return self.inner(gm, example_inputs)


def everything(s):
    """Every composition family at steps ``s``: the pure functions, then schedules built
    outside (they cross into the graph as plain values, a scale_fn by its name)."""
    out = [x for name in IN_GRAPH for x in flat(PURE[name][0](s))]
    out.extend(flat(tuple(SCALED.torch_values(s, max_step=1000))))
    out.extend(flat(tuple(JOIN.torch_values(s))))
    out.extend(flat(tuple(WARMED.torch_values(s, max_step=1000))))
    return out


def compiled_runs(backend: str, steps) -> dict:
    torch._dynamo.reset()
    counting = CountingBackend(backend)
    compiled = torch.compile(everything, fullgraph=True, backend=counting)
    runs = {int(k): [x.clone() for x in compiled(torch.tensor(k))] for k in steps}
    return {"runs": runs, "graphs": counting.graphs}


@pytest.fixture(scope="module")
def aot_eager_runs() -> dict:
    return compiled_runs("aot_eager", (0, 3, 57, 200))


@pytest.fixture(scope="module")
def inductor_runs() -> dict:
    # One step per call: inductor's CPU code calls the C library's cos and pow on
    # scalars, and its sqrt is correctly rounded.
    return compiled_runs("inductor", range(0, 201))


def test_every_composition_family_compiles_to_one_graph_and_the_step_is_data(aot_eager_runs):
    assert aot_eager_runs["graphs"] == 1
    for k, got in aot_eager_runs["runs"].items():
        expected = everything(torch.tensor(k))
        assert len(got) == len(expected) == 12
        for g, e in zip(got, expected):
            assert torch.equal(g, e), k


def test_a_graph_compiled_from_one_step_is_bitwise_the_exact_scalars(inductor_runs):
    assert inductor_runs["graphs"] == 1
    for k, got in inductor_runs["runs"].items():
        expected = [x for name in IN_GRAPH for x in flat(PURE[name][0](k))]
        expected.extend(x for x in SCALED.at(k) if x is not None)
        expected.extend(x for x in JOIN.at(k) if x is not None)
        expected.extend(x for x in WARMED.at(k) if x is not None)
        for g, e in zip(got, expected, strict=True):
            assert g.tolist() == (e.tolist() if isinstance(e, np.ndarray) else e), k


def test_compiled_steps_out_of_range_give_nan():
    compiled = torch.compile(
        lambda s: warmup_cosine_schedule(s, peak_lr=0.1, warmup_steps=2, total_steps=10),
        fullgraph=True, backend="aot_eager",
    )
    lr = compiled(torch.tensor([-1, 0, 10, 11]))
    assert torch.isnan(lr[[0, 3]]).all()
    assert lr[[1, 2]].tolist() == [0.0, warmup_cosine_schedule(10, peak_lr=0.1, warmup_steps=2,
                                                               total_steps=10)]


# --------------------------------------------------------------------------- CyclicLR


def test_cyclic_values_repeat_bit_for_bit_only_over_a_power_of_two_cycle():
    steps = np.arange(10**6, 10**6 + 4000)
    for up, down, period in ((16, 16, 32), (1, 1, 2), (2000, 2000, None), (3, 4, None)):
        schedule = CyclicSchedule(base_lr=0.1, max_lr=1.0, step_size_up=up, step_size_down=down)
        assert schedule.period == period
        wrapped = steps % (up + down)
        same = schedule.values(steps, exact=True).lr == schedule.values(wrapped, exact=True).lr
        # x = 1 + k / total_size - cycle rounds to the cycle number's precision: it drifts.
        assert same.all() == (period is not None)
    for mode in ("triangular2", "exp_range"):
        assert CyclicSchedule(base_lr=0.1, max_lr=1.0, step_size_up=16, mode=mode).period is None
    assert CyclicSchedule(base_lr=0.1, max_lr=1.0, step_size_up=16, scale_fn=halving).period is None
    assert ConstantSchedule(lr=0.1).period == 1


def test_a_periodic_cyclic_table_holds_one_cycle():
    schedule = CyclicSchedule(base_lr=0.1, max_lr=1.0, step_size_up=16)
    table = schedule.torch_evaluator(exact=True)
    assert table.lr.shape == (32, 1)
    steps = np.array([0, 31, 32, 10**9 + 5, 2**40 + 17])
    np.testing.assert_array_equal(
        table(torch.from_numpy(steps)).lr.numpy(), schedule.values(steps, exact=True).lr
    )


def test_a_scale_fn_of_the_cycle_is_listed_up_to_the_cycle_of_max_step():
    schedule = CyclicSchedule(base_lr=0.0, max_lr=1.0, step_size_up=1.5, scale_fn=halving)
    evaluator = schedule.torch_evaluator(max_step=3000)
    assert evaluator.scales.shape == (1001,) and evaluator.last == 3000
    steps = np.arange(3001)
    np.testing.assert_array_equal(
        evaluator(torch.from_numpy(steps)).lr.numpy(), schedule.values(steps, exact=True).lr
    )
    assert math.isnan(evaluator(torch.tensor([3001])).lr.item())
    # Without max_step nothing is listed: scale_fn may fail on cycles the run never
    # reaches (halving does past cycle 1024). Outside compile the steps give it.
    with pytest.raises(ValueError) as error:
        schedule.torch_evaluator()
    assert str(error.value) == (
        "max_step must be given for a scale_fn on torch tensors: its values are listed once "
        "per cycle, up to the cycle of max_step, the last step the tensor path will be "
        "asked for"
    )
    with pytest.raises(OverflowError):
        halving(1026)
    assert schedule.torch_values(torch.tensor([7])).lr.item() == schedule.at(7)[0][0]
    compiled = torch.compile(
        lambda s: cyclic_lr_schedule(s, base_lr=0.0, max_lr=1.0, step_size_up=1.5,
                                     scale_fn=halving)[0],
        fullgraph=True, backend="aot_eager",
    )
    with pytest.raises(Exception) as error:  # dynamo's wrapper; the cause is ours
        compiled(torch.tensor([7]))
    assert "max_step must be given for a scale_fn" in str(_root_cause(error.value))


def _root_cause(error: BaseException) -> BaseException:
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    return error


def test_a_scale_fn_of_the_step_has_no_closed_form_and_says_to_use_the_tables():
    schedule = CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=per_step,
                              scale_mode="iterations")
    with pytest.raises(TypeError) as error:
        schedule.torch_values(torch.tensor([3]))
    assert str(error.value) == (
        "scale_fn with scale_mode='iterations' is a Python call per step, which the closed "
        "form on torch tensors cannot make; exact=True reads a table of the exact values "
        "instead (give max_step, the last step it will be asked for)"
    )
    table = schedule.torch_evaluator(exact=True, max_step=100)
    steps = np.arange(101)
    np.testing.assert_array_equal(
        table(torch.from_numpy(steps)).lr.numpy(), schedule.values(steps, exact=True).lr
    )


def test_a_scale_fn_without_a_name_cannot_cross_into_a_full_graph():
    schedule = CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=lambda c: 0.5)
    compiled = torch.compile(lambda s: schedule.torch_values(s).lr, fullgraph=True,
                             backend="aot_eager")
    with pytest.raises(Exception) as error:  # dynamo's wrapper of the TypeError
        compiled(torch.tensor([3]))
    assert (
        "TypeError('scale_fn must be a function defined at module level to cross into "
        "torch.compile (a schedule crosses as plain values), got <function "
    ) in str(error.value)
    # Outside the graph, or built outside it, the closed form takes it.
    evaluator = schedule.torch_evaluator(max_step=20)
    inside = torch.compile(lambda s: evaluator(s).lr, fullgraph=True, backend="aot_eager")
    steps = np.arange(21)
    expected = schedule.values(steps, exact=True).lr
    np.testing.assert_array_equal(inside(torch.from_numpy(steps)).numpy(), expected)
    np.testing.assert_array_equal(schedule.torch_values(torch.from_numpy(steps)).lr, expected)


# --------------------------------------------------------------------------- errors, joins


def test_steps_out_of_range_raise_outside_compile_as_the_array_path_does():
    schedule = WarmupStableDecaySchedule(peak_lr=1.0, warmup_steps=2, stable_steps=3,
                                         decay_steps=5)
    for fn in (schedule.values, schedule.torch_values):
        with pytest.raises(ValueError) as error:
            fn(torch.tensor([3, 11]) if fn == schedule.torch_values else np.array([3, 11]))
        assert str(error.value) == (
            "steps must be in 0..10 (total_steps=10 = 2 warm-up + 3 stable + 5 decay steps), "
            "got values from 3 to 11"
        )
    with pytest.raises(ValueError, match=r"^steps must be in 0\.\.10 \(total_steps=10\)"):
        warmup_cosine_schedule(torch.tensor([11]), peak_lr=0.1, warmup_steps=2, total_steps=10)
    with pytest.raises(ValueError, match=r"^min_lr must be a number in \[0, peak_lr\]"):
        warmup_cosine_schedule(torch.tensor([1]), peak_lr=0.1, warmup_steps=2, total_steps=10,
                               min_lr=0.2)


def test_a_join_without_an_end_needs_max_step_for_its_table_not_for_its_closed_form():
    with pytest.raises(ValueError) as error:
        JOIN.torch_evaluator(exact=True)
    assert str(error.value) == (
        "max_step must be given for exact=True: JoinedSchedule has no last step and no "
        "period from step 0, so the table of exact values needs a last step"
    )
    closed = JOIN.torch_evaluator()
    assert closed.last is None
    steps = np.array([0, 99, 100, 10**7])
    ref = JOIN.values(steps, exact=True)
    got = closed(torch.from_numpy(steps))
    np.testing.assert_array_equal(got.momentum.numpy(), ref.momentum)
    np.testing.assert_array_equal(got.lr.numpy()[2:], ref.lr[2:])  # CyclicLR's part


def test_a_join_lists_a_growing_part_only_as_far_as_its_span():
    flipping = CyclicalSchedule("linear", 1.0, 0.1, 10, start_value_mult=-1.0)
    joined = join_schedules([flipping, ConstantSchedule(lr=0.1)], [500])
    # Alone, its start values are listed up to 2**53: more than 2**16 of them.
    with pytest.raises(ValueError, match="^max_step must be given, and small enough"):
        flipping.torch_evaluator()
    part = joined.torch_evaluator().parts[0]
    assert part.start_values.shape == (51,)
    steps = np.arange(600)
    np.testing.assert_array_equal(
        joined.torch_values(torch.from_numpy(steps)).lr.numpy(),
        joined.values(steps, exact=True).lr,
    )


def test_warmup_cosine_is_a_schedule_of_plain_settings_that_gives_its_joins_values():
    schedule = WarmupCosineSchedule(peak_lr=0.3, warmup_steps=10, total_steps=100, min_lr=0.01)
    joined = with_warmup(RampSchedule(start=0.3, end=0.01, steps=90, shape="cos"), 10)
    steps = np.arange(101)
    np.testing.assert_array_equal(
        schedule.values(steps, exact=True).lr, joined.values(steps, exact=True).lr
    )
    assert schedule.last_step == 100 and schedule.n_groups == 1
    resumed, at = schedule.resumed(50, total_steps=200)
    assert at == 50 and resumed == joined.resumed(50, total_steps=200)[0]
    assert WarmupCosineSchedule(peak_lr=0.3, warmup_steps=0, total_steps=5).at(0) == ([0.3], None)


def test_a_joins_evaluator_moves_its_parts_and_held_momentum_with_it():
    from lr_one_cycle.compiled import _tensors_of

    joined = join_schedules(
        [RampSchedule(start=0.0, end=0.1, steps=5), JOIN, ConstantSchedule(lr=0.01)], [5, 500]
    )
    evaluator = joined.torch_evaluator()
    tensors = _tensors_of(evaluator)
    # The inner join's parts (1cycle's 6 constants, CyclicLR's 4), the ramp's 5, the
    # constant's 1, and the held momentum of the ramp and the constant.
    assert len(tensors) == 6 + 4 + 5 + 1 + 2
    moved = evaluator.to("meta")
    assert all(t.device.type == "meta" for t in _tensors_of(moved))
    assert all(t.device.type == "cpu" for t in tensors)  # a copy: the original stays
