"""ignite-compatible CosineAnnealingScheduler / LinearCyclicalScheduler.

Oracle: pytorch-ignite 0.5.5 itself. Values must be bitwise equal (``==`` on floats),
through ``simulate_values``, through stepping, and inside an ignite ``Engine`` run.
"""

from __future__ import annotations

import io
import itertools
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from ignite.engine import Engine, Events, create_supervised_trainer
from ignite.handlers import param_scheduler as ignite

import lr_one_cycle
from lr_one_cycle import (
    CosineAnnealingScheduler,
    LinearCyclicalScheduler,
    cosine_annealing_schedule,
    linear_cyclical_schedule,
)

CLASSES = [CosineAnnealingScheduler, LinearCyclicalScheduler]
BASE = dict(param_name="lr", start_value=0.7, end_value=0.013, cycle_size=10)


def optimizer(n_groups: int = 1, lr: float = 0.5) -> torch.optim.SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for _ in range(n_groups)]
    return torch.optim.SGD(groups, lr=lr, momentum=0.9)


def theirs(cls: type) -> Any:
    """ignite's class of the same name."""
    return getattr(ignite, cls.__name__)


def settings_grid() -> list[tuple[type, dict[str, Any]]]:
    """Cycle growth, multipliers and warm-up in every combination ignite accepts."""
    grid = []
    for cls, size, mult, s_mult, e_mult, warmup, monotonic in itertools.product(
        CLASSES, [2, 3, 10], [1.0, 1.01, 1.5, 2.0], [1.0, 0.8], [1.0, 1.3], [0, 1, 4], [0, 1]
    ):
        kwargs = dict(
            BASE,
            cycle_size=size,
            cycle_mult=mult,
            start_value_mult=s_mult,
            end_value_mult=e_mult,
            warmup_duration=warmup,
        )
        if cls is LinearCyclicalScheduler:
            if warmup and not monotonic:
                continue
            kwargs["monotonic"] = bool(monotonic)
        elif monotonic:
            continue
        grid.append((cls, kwargs))
    return grid


# --------------------------------------------------------------------------- parity


@pytest.mark.parametrize("cls,kwargs", settings_grid())
def test_simulate_values_is_bitwise_ignites_over_cycle_growth_multipliers_and_warmup(
    cls: type, kwargs: dict[str, Any]
) -> None:
    expected = theirs(cls).simulate_values(300, **kwargs)
    assert cls.simulate_values(300, **kwargs) == expected


@settings(max_examples=40, deadline=None)
@given(
    shape=st.sampled_from(["cos", "linear", "monotonic"]),
    start=st.floats(-10, 10, allow_nan=False),
    end=st.floats(-10, 10, allow_nan=False),
    size=st.integers(2, 40),
    mult=st.floats(1.0, 2.5),
    s_mult=st.floats(0.1, 2.0),
    e_mult=st.floats(0.1, 2.0),
    warmup=st.integers(0, 7),
)
def test_random_settings_match_ignite_bitwise(
    shape: str,
    start: float,
    end: float,
    size: int,
    mult: float,
    s_mult: float,
    e_mult: float,
    warmup: int,
) -> None:
    cls = CosineAnnealingScheduler if shape == "cos" else LinearCyclicalScheduler
    kwargs: dict[str, Any] = dict(
        param_name="lr",
        start_value=start,
        end_value=end,
        cycle_size=size,
        cycle_mult=mult,
        start_value_mult=s_mult,
        end_value_mult=e_mult,
        warmup_duration=0 if shape == "linear" else warmup,
    )
    if cls is LinearCyclicalScheduler:
        kwargs["monotonic"] = shape == "monotonic"
    assert cls.simulate_values(250, **kwargs) == theirs(cls).simulate_values(250, **kwargs)


@pytest.mark.parametrize("cls", CLASSES)
def test_stepping_writes_ignites_values_and_history_into_the_optimizer(cls: type) -> None:
    kwargs = dict(BASE, param_name="momentum", cycle_mult=1.5, start_value_mult=0.9)
    ours_opt, their_opt = optimizer(2), optimizer(2)
    ours = cls(ours_opt, save_history=True, **kwargs)
    reference = theirs(cls)(their_opt, save_history=True, **kwargs)
    ours_engine, their_engine = Engine(lambda e, b: None), Engine(lambda e, b: None)
    for _ in range(60):
        ours(ours_engine)
        reference(their_engine)
        assert [g["momentum"] for g in ours_opt.param_groups] == [
            g["momentum"] for g in their_opt.param_groups
        ]
        assert [g["lr"] for g in ours_opt.param_groups] == [0.5, 0.5]
    assert ours_engine.state.param_history == their_engine.state.param_history


def test_standalone_call_and_step_advance_one_event_each_on_a_duck_typed_optimizer() -> None:
    class Duck:
        param_groups = [{"lr": 0.0}]

    duck = Duck()
    scheduler = CosineAnnealingScheduler(duck, "lr", 1.0, 0.0, 4)
    assert duck.param_groups[0]["lr"] == 0.0  # construction writes nothing (ignite's way)
    seen = []
    for i in range(8):
        assert scheduler.get_param() == cosine_annealing_schedule(
            i, start_value=1.0, end_value=0.0, cycle_size=4
        )
        scheduler() if i % 2 else scheduler.step()
        seen.append(duck.param_groups[0]["lr"])
    assert [[i, x] for i, x in enumerate(seen)] == ignite.CosineAnnealingScheduler.simulate_values(
        8, param_name="lr", start_value=1.0, end_value=0.0, cycle_size=4
    )
    assert scheduler.event_index == 8


def test_tensor_values_are_updated_in_place() -> None:
    opt = optimizer()
    opt.param_groups[0]["lr"] = torch.tensor(0.5)
    held = opt.param_groups[0]["lr"]
    scheduler = LinearCyclicalScheduler(opt, "lr", 0.0, 1.0, 4)
    scheduler()
    scheduler()
    assert opt.param_groups[0]["lr"] is held and held.item() == 0.5


# --------------------------------------------------------------------------- pure core


@pytest.mark.parametrize("cls,kwargs", settings_grid()[::7])
def test_pure_functions_give_the_same_values_at_any_event_in_any_order(
    cls: type, kwargs: dict[str, Any]
) -> None:
    function = (
        cosine_annealing_schedule if cls is CosineAnnealingScheduler else linear_cyclical_schedule
    )
    args = {k: v for k, v in kwargs.items() if k != "param_name"}
    expected = [v for _, v in cls.simulate_values(200, **kwargs)]
    events = np.random.default_rng(0).permutation(200)
    shuffled = function(events, exact=True, **args)
    assert shuffled.tolist() == [expected[i] for i in events]
    assert [function(int(i), **args) for i in events[:20]] == [expected[i] for i in events[:20]]
    assert function(events.reshape(10, 20), **args).shape == (10, 20)
    # numpy.cos may differ from math.cos by a few ulp on some builds and CPUs: a few ulp of
    # the largest value (the multipliers grow it), not of each value (which can be near 0).
    peak = float(np.max(np.abs(expected)))
    np.testing.assert_allclose(
        function(np.arange(200), **args), expected, rtol=0, atol=4 * np.spacing(peak)
    )


def test_values_never_depend_on_call_history() -> None:
    """ignite's __call__ rewrites its settings, so its get_param() depends on history;
    ours is a function of event_index alone."""
    kwargs = dict(BASE, cycle_mult=2.0, start_value_mult=0.5)
    scheduler = CosineAnnealingScheduler(optimizer(), **kwargs)
    for _ in range(37):
        scheduler()
    assert (scheduler.start_value, scheduler.cycle_size) == (0.7, 10)
    jumped = CosineAnnealingScheduler(optimizer(), **kwargs)
    jumped.event_index = 37
    assert jumped.get_param() == scheduler.get_param()


# --------------------------------------------------------------------------- ignite Engine


def train(make_scheduler: Any, seed: int = 0) -> tuple[list[list[float]], dict, list[float]]:
    """Three epochs of a tiny regression over a DataLoader with the scheduler attached
    at ITERATION_STARTED; returns the lrs seen by each update, the param history and
    the final weights."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    opt = torch.optim.SGD(
        [
            {"params": model[0].parameters(), "lr": 0.001},
            {"params": model[1].parameters(), "lr": 0.01},
        ],
        momentum=0.9,
    )
    # Small inputs keep the docs' lr of 1.0 from diverging (NaN would compare unequal).
    data = torch.utils.data.TensorDataset(0.2 * torch.randn(24, 3), 0.2 * torch.randn(24, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=5)
    trainer = create_supervised_trainer(model, opt, torch.nn.MSELoss())
    for event_name, scheduler in make_scheduler(opt):
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler, event_name)
    seen: list[list[float]] = []
    trainer.add_event_handler(
        Events.ITERATION_COMPLETED, lambda _: seen.append([g["lr"] for g in opt.param_groups])
    )
    trainer.run(loader, max_epochs=3)
    weights = torch.cat([p.detach().flatten() for p in model.parameters()]).tolist()
    return seen, trainer.state.param_history, weights


def docs_example(module: Any) -> Any:
    """ignite's docs: one group linear cyclical, the other cosine, via param_group_index,
    told apart in the history by the handler's ``name`` argument."""

    def make(opt: torch.optim.Optimizer) -> list[tuple[str, Any]]:
        linear = module.LinearCyclicalScheduler(
            opt, "lr", 0.0, 1.0, 4, param_group_index=0, save_history=True
        )
        cosine = module.CosineAnnealingScheduler(
            opt, "lr", 0.0, 0.1, 4, param_group_index=1, save_history=True
        )
        return [("lr (base)", linear), ("lr (fc)", cosine)]

    return make


def test_two_group_example_of_ignites_docs_trains_exactly_as_with_ignite() -> None:
    seen, history, weights = train(docs_example(lr_one_cycle))
    assert [row[0] for row in seen[:5]] == [0.0, 0.5, 1.0, 0.5, 0.0]
    assert [round(row[1], 6) for row in seen[:4]] == [0.0, 0.014645, 0.05, 0.085355]
    assert sorted(history) == ["lr (base)", "lr (fc)"]
    assert (seen, history, weights) == train(docs_example(ignite))


def test_resume_mid_run_gives_the_uninterrupted_sequence() -> None:
    kwargs = dict(BASE, cycle_mult=1.5, start_value_mult=0.9, end_value_mult=1.1, warmup_duration=3)
    full = [v for _, v in CosineAnnealingScheduler.simulate_values(120, **kwargs)]
    opt = optimizer()
    first = CosineAnnealingScheduler(opt, **kwargs)
    for _ in range(47):
        first()
    saved = pickle.loads(pickle.dumps(first.state_dict()))
    torch.save(saved, buffer := io.BytesIO())
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=True)
    second = CosineAnnealingScheduler(opt, **kwargs)
    second.load_state_dict(restored)
    rest = []
    for _ in range(73):
        second()
        rest.append(opt.param_groups[0]["lr"])
    assert rest == full[47:]


def test_load_state_dict_refuses_other_schedules_and_ignites_state() -> None:
    ours = LinearCyclicalScheduler(optimizer(), **BASE)
    state = ours.state_dict()
    other = LinearCyclicalScheduler(optimizer(), **dict(BASE, cycle_size=12), monotonic=True)
    with pytest.raises(ValueError) as error:
        other.load_state_dict(state)
    assert str(error.value) == (
        "state_dict was saved for another schedule; these settings differ: cycle_size "
        "(saved 10, here 12); monotonic (saved False, here True)"
    )
    with pytest.raises(ValueError, match=r"^state_dict is missing event_index: it was not saved"):
        ours.load_state_dict({k: v for k, v in state.items() if k != "event_index"})
    their_state = ignite.LinearCyclicalScheduler(optimizer(), **BASE).state_dict()
    with pytest.raises(ValueError, match="saved by ignite's LinearCyclicalScheduler"):
        ours.load_state_dict(their_state)
    assert ours.event_index == 0


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    "change,error,message",
    [
        ({"cycle_size": 1}, ValueError, "cycle_size must be an integer >= 2, got 1"),
        ({"cycle_size": 10.5}, ValueError, "cycle_size must be an integer >= 2, got 10.5"),
        (
            {"cycle_size": "10"},
            TypeError,
            "cycle_size must be an integer >= 2, got '10' of type str",
        ),
        ({"cycle_mult": 0.5}, ValueError, "cycle_mult must be a finite number >= 1, got 0.5"),
        (
            {"start_value": 1e308, "end_value": -1e308},
            ValueError,
            "end_value must be a number that keeps end_value - start_value finite, got -1e+308",
        ),
        (
            {"param_group_index": 2},
            ValueError,
            "param_group_index must be None or a group index in 0..1 (the optimizer has 2 "
            "parameter groups), got 2",
        ),
        (
            {"param_group_index": -1},
            ValueError,
            "param_group_index must be None or a group index in 0..1 (the optimizer has 2 "
            "parameter groups), got -1",
        ),
        (
            {"param_name": "Lr"},
            ValueError,
            "param_name 'Lr' is not an entry of optimizer.param_groups[0] (it has 'lr', "
            "'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'foreach', "
            "'differentiable', 'fused'); the scheduler only sets existing entries",
        ),
        (
            {"param_name": 3},
            TypeError,
            "param_name must be a string such as 'lr', got 3 of type int",
        ),
        ({"warmup_duration": -1}, ValueError, "warmup_duration must be an integer >= 0, got -1"),
        ({"start_value": float("nan")}, ValueError, "start_value must be a finite number, got nan"),
        ({"save_history": 1}, TypeError, "save_history must be True or False, got 1 of type int"),
    ],
)
@pytest.mark.parametrize("cls", CLASSES)
def test_bad_arguments_raise_pinned_messages_before_touching_the_optimizer(
    cls: type, change: dict[str, Any], error: type, message: str
) -> None:
    opt = optimizer(2)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(error) as raised:
        cls(opt, **dict(BASE, **change))
    assert str(raised.value) == message
    assert [dict(g) for g in opt.param_groups] == before


def test_whole_float_cycle_size_is_accepted_like_ignite() -> None:
    kwargs = dict(BASE, cycle_size=10.0, warmup_duration=2.0)
    assert CosineAnnealingScheduler.simulate_values(40, **kwargs) == (
        ignite.CosineAnnealingScheduler.simulate_values(40, **kwargs)
    )


def test_linear_warmup_needs_monotonic() -> None:
    with pytest.raises(ValueError) as raised:
        LinearCyclicalScheduler(optimizer(), **BASE, warmup_duration=2)
    assert str(raised.value) == (
        "warmup_duration=2 needs monotonic=True: a non-monotonic linear cycle already "
        "returns to start_value (use warmup_duration=0)"
    )


def test_a_named_param_missing_from_one_group_is_refused_only_when_that_group_is_driven() -> None:
    opt = optimizer(2)
    opt.param_groups[1]["beta"] = 0.1
    with pytest.raises(ValueError, match=r"^param_name 'beta' is not an entry of optimizer"):
        CosineAnnealingScheduler(opt, "beta", 0.1, 0.2, 4)
    CosineAnnealingScheduler(opt, "beta", 0.1, 0.2, 4, param_group_index=1)()
    assert opt.param_groups[1]["beta"] == 0.1 and "beta" not in opt.param_groups[0]


def test_simulate_values_refuses_unknown_arguments_and_bad_counts() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'cycle_len'"):
        CosineAnnealingScheduler.simulate_values(5, start_value=1, end_value=0, cycle_len=4)
    with pytest.raises(ValueError, match=r"^num_events must be an integer >= 0, got -1$"):
        CosineAnnealingScheduler.simulate_values(-1, **BASE)
    assert CosineAnnealingScheduler.simulate_values(0, **BASE) == []


def test_plot_values_draws_the_simulation_and_matplotlib_loads_only_then() -> None:
    probe = "import sys, lr_one_cycle; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout == (
        "False\n"
    )
    import matplotlib

    matplotlib.use("Agg")
    (line,) = LinearCyclicalScheduler.plot_values(30, **BASE)
    assert line.get_ydata().tolist() == [
        v for _, v in LinearCyclicalScheduler.simulate_values(30, **BASE)
    ]
    assert line.get_label() == "lr"


@settings(max_examples=80, deadline=None)
@given(
    shape=st.sampled_from(["cos", "linear", "monotonic"]),
    size=st.integers(2, 40),
    mult=st.sampled_from([1.0, 1.0, 1.1, 1.5, 2.0]),
    start_mult=st.sampled_from([1.0, 0.9, 1.05]),
    end_mult=st.sampled_from([1.0, 0.5]),
    warmup=st.integers(0, 6),
    first=st.integers(0, 3000),
    count=st.integers(2, 3000),
    exact=st.booleans(),
)
def test_events_in_order_one_cycle_at_a_time_give_the_bits_of_any_order(
    shape, size, mult, start_mult, end_mult, warmup, first, count, exact
):
    # Sorted events spanning few cycles are computed one cycle at a time, many cycles of
    # one size through one cycle's values, any other order through per-event gathers:
    # the same operations in the same order, so the same bits.
    from lr_one_cycle.schedules import CyclicalSchedule

    warm = 0 if shape == "linear" else warmup
    schedule = CyclicalSchedule(shape, 0.7, 0.013, size, mult, start_mult, end_mult, warm)
    events = np.arange(first, first + count)
    shuffled = np.random.default_rng(count).permutation(events)
    in_order = schedule.values(events, exact=exact).lr[:, 0]
    any_order = schedule.values(shuffled, exact=exact).lr[:, 0]
    np.testing.assert_array_equal(any_order, in_order[shuffled - first])
    one = np.array([first + count // 2])
    np.testing.assert_array_equal(schedule.values(one, exact=exact).lr[:, 0],
                                  in_order[count // 2 : count // 2 + 1])


@pytest.mark.parametrize("mult", [1e20, 1e300])
def test_a_cycle_mult_that_grows_a_cycle_past_2_to_the_53_is_refused_when_reached(mult) -> None:
    settings_ = dict(start_value=1.0, end_value=0.0, cycle_size=10, cycle_mult=mult)
    assert cosine_annealing_schedule(np.arange(10), **settings_).shape == (10,)  # cycle 0
    with pytest.raises(ValueError, match=r"^cycle_mult must be a factor that keeps the cycle "
                       r"after event 10 under 2\*\*53 events, got 1e\+"):
        cosine_annealing_schedule(np.arange(11), **settings_)
