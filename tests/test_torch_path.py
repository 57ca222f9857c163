"""The torch path of every schedule family: tensors in, tensors out, against the exact path.

Accuracy, as documented in lr_one_cycle.schedules._protocol ("The torch path"):
- exact=True (a table of the exact values): bitwise, every family;
- the closed form: bitwise for the families without a transcendental function; with a
  cosine (or pow), off by at most 2 ulp of the value plus one ulp of the cosine times
  the curve's amplitude (torch's cos is within 1 ulp of the C library's; measured);
- in float32: within 1 ulp of the exact float64 value rounded.
Compiled: one graph whatever the step (the step is data), NaN outside the range.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from lr_one_cycle import (
    cosine_annealing_schedule,
    linear_cyclical_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
)
from lr_one_cycle.schedules import (
    ConstantSchedule,
    CyclicalSchedule,
    CyclicSchedule,
    JoinedSchedule,
    LrDecay,
    OneCycleSchedule,
    RampSchedule,
    Schedule,
    WarmRestartsSchedule,
    WarmupCosineSchedule,
    WarmupStableDecaySchedule,
    join_schedules,
    with_warmup,
)

torch = pytest.importorskip("torch")


def shrinking(cycle: int) -> float:
    """A module-level CyclicLR scale_fn: crosses into torch.compile by its name."""
    return 0.8 ** (cycle - 1)


# id: (schedule, steps to check, bitwise closed form?)
FAMILIES = {
    "1cycle cos, 2 groups": (OneCycleSchedule(max_lr=[0.1, 0.3], total_steps=3000), None, False),
    "1cycle linear, three phases": (
        OneCycleSchedule(max_lr=0.1, total_steps=300, anneal_strategy="linear", three_phase=True),
        None,
        True,
    ),
    "1cycle with a zero-length phase": (
        OneCycleSchedule(max_lr=0.1, total_steps=10, pct_start=0.1, anneal_strategy="linear"),
        None,
        True,
    ),
    "1cycle resumed (elastic)": (
        OneCycleSchedule(max_lr=0.1, total_steps=300).resumed(100, total_steps=450)[0],
        None,
        False,
    ),
    "ignite cos, multipliers, warm-up": (
        CyclicalSchedule("cos", 1.0, 0.1, 10, 1.0, 0.9, 0.8, 3),
        np.arange(3000),
        False,
    ),
    "ignite linear, growing cycles": (
        CyclicalSchedule("linear", 1.0, 0.1, 7, 2.0),
        np.arange(3000),
        True,
    ),
    "ignite monotonic, everything": (
        CyclicalSchedule("monotonic", 0.5, 0.1, 7, 1.5, 0.9, 1.1, 4),
        np.arange(3000),
        True,
    ),
    "ignite cos, cycles that settle": (
        CyclicalSchedule("cos", 0.5, 0.1, 7, 1.1, 1.0, 1.0, 2),
        np.arange(500),
        False,
    ),
    "SGDR, 2 groups": (WarmRestartsSchedule(base_lr=[0.1, 0.2], T_0=10), np.arange(3000), False),
    "SGDR, growth, decay, warm-up": (
        WarmRestartsSchedule(
            base_lr=0.1, T_0=10, T_mult=2, eta_min=0.001, decay=0.9, warmup_steps=3
        ),
        np.arange(3000),
        False,
    ),
    "SGDR, real T_mult": (
        WarmRestartsSchedule(base_lr=0.1, T_0=5, T_mult=1.5, decay=0.8),
        np.arange(3000),
        False,
    ),
    "yolo cos": (LrDecay("cos", 0.1, 0.001, 1000), None, False),
    "yolo step": (LrDecay("step", 0.1, 0.001, 1000), None, True),
    "yolo poly": (LrDecay("poly", 0.1, 0.001, 1000), None, False),
    # The composition families (issue 11).
    "CyclicLR triangular, 2 groups": (
        CyclicSchedule(base_lr=[0.001, 0.002], max_lr=[0.01, 0.05], step_size_up=7,
                       step_size_down=4),
        np.arange(3000),
        True,
    ),
    "CyclicLR triangular, a cycle of 32 steps (a period)": (
        CyclicSchedule(base_lr=0.001, max_lr=0.01, step_size_up=16), np.arange(3000), True
    ),
    "CyclicLR triangular2, past 1024 halvings": (
        CyclicSchedule(base_lr=0.0, max_lr=0.01, step_size_up=3, step_size_down=2,
                       mode="triangular2"),
        np.arange(5200),
        True,
    ),
    "CyclicLR exp_range": (
        CyclicSchedule(base_lr=[0.001, 0.0], max_lr=[0.01, 1.0], step_size_up=20,
                       mode="exp_range", gamma=0.999),
        np.arange(3000),
        False,
    ),
    "CyclicLR scale_fn of the cycle": (
        CyclicSchedule(base_lr=0.001, max_lr=0.01, step_size_up=7, scale_fn=shrinking),
        np.arange(3000),
        True,
    ),
    "ramp linear, rising and falling": (
        RampSchedule(start=[0.0, 0.5], end=[1.0, 0.1], steps=997), None, True
    ),
    "ramp cos": (RampSchedule(start=[0.0, 0.5], end=[1.0, 0.1], steps=997, shape="cos"), None,
                 False),
    "ramp 1-sqrt": (
        RampSchedule(start=[0.0, 0.5], end=[1.0, 0.1], steps=997, shape="1-sqrt"), None, True
    ),
    "constant": (ConstantSchedule(lr=[0.1, 0.3]), np.arange(100), True),
    "WSD linear, 2 groups": (
        WarmupStableDecaySchedule(peak_lr=[1.0, 0.5], warmup_steps=100, stable_steps=300,
                                  decay_steps=600, min_lr=0.01, decay="linear"),
        None,
        True,
    ),
    "WSD cosine warm-up, 1-sqrt decay, no stable phase": (
        WarmupStableDecaySchedule(peak_lr=1.0, warmup_steps=77, stable_steps=0,
                                  decay_steps=600, warmup="cosine", decay="1-sqrt"),
        None,
        False,
    ),
    "WSD resumed in its decay (elastic)": (
        WarmupStableDecaySchedule(peak_lr=1.0, warmup_steps=0, stable_steps=300,
                                  decay_steps=600, decay="linear").resumed(700, total_steps=1500)[0],
        None,
        True,
    ),
    "join: 1cycle, then CyclicLR (momentum)": (
        join_schedules(
            [OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=300),
             CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size_up=50)],
            [300],
        ),
        np.arange(3000),
        False,
    ),
    "join whose second part's momentum is not applied (cycle_momentum=False)": (
        JoinedSchedule(
            (OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=100, anneal_strategy="linear"),
             CyclicSchedule(base_lr=0.01, max_lr=0.1, step_size_up=5)),
            (100,),
            momentum_parts=(True, False),
        ),
        np.arange(300),
        True,
    ),
    "with_warmup of CyclicLR (momentum held)": (
        with_warmup(CyclicSchedule(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=50), 20),
        np.arange(3000),
        True,
    ),
    "join: constant, growing SGDR, ramp": (
        join_schedules(
            [ConstantSchedule(lr=0.1), WarmRestartsSchedule(base_lr=0.1, T_0=10, T_mult=2),
             RampSchedule(start=0.1, end=0.0, steps=100)],
            [50, 500],
        ),
        None,
        False,
    ),
    "nested join, momentum held after it": (
        join_schedules(
            [with_warmup(OneCycleSchedule(max_lr=0.1, total_steps=100,
                                          anneal_strategy="linear"), 10),
             ConstantSchedule(lr=0.004)],
            [110],
        ),
        np.arange(300),
        True,
    ),
    "with_warmup of 1cycle, resumed (elastic)": (
        with_warmup(OneCycleSchedule(max_lr=[0.1, 0.2], total_steps=200,
                                     anneal_strategy="linear"), 20)
        .resumed(60, total_steps=400)[0],
        None,
        True,
    ),
    "warmup_cosine": (
        WarmupCosineSchedule(peak_lr=[0.3, 0.1], warmup_steps=25, total_steps=1000,
                             min_lr=[0.003, 0.0]),
        None,
        False,
    ),
}


def steps_of(case: str) -> np.ndarray:
    schedule, steps, _ = FAMILIES[case]
    return np.arange(schedule.last_step + 1) if steps is None else steps


def pairs(ref, got) -> list[tuple[np.ndarray, np.ndarray]]:
    out = [(ref.lr, got.lr.numpy())]
    if ref.momentum is not None:
        out.append((ref.momentum, got.momentum.numpy()))
    return out


def closed_form_bound(ref: np.ndarray) -> np.ndarray:
    """2 ulp of the value plus one ulp of a cosine (<= 2**-53 on [-1, -0.5] and [0.5, 1],
    less in between) times the curve's amplitude (its range), per group."""
    amplitude = ref.max(axis=0) - ref.min(axis=0)
    return 2 * np.spacing(np.abs(ref)) + amplitude * 2.0**-53


@pytest.mark.parametrize("case", FAMILIES)
def test_closed_form_in_float64_is_bitwise_or_within_an_ulp_of_the_cosine(case):
    schedule, _, bitwise = FAMILIES[case]
    steps = steps_of(case)
    ref = schedule.values(steps, exact=True)
    got = schedule.torch_values(torch.from_numpy(steps))
    assert got.lr.dtype == torch.float64 and got.lr.shape == (len(steps), schedule.n_groups)
    for r, g in pairs(ref, got):
        if bitwise:
            np.testing.assert_array_equal(g, r)
        else:
            assert np.all(np.abs(g - r) <= closed_form_bound(r)), np.max(np.abs(g - r))


@pytest.mark.parametrize("case", FAMILIES)
def test_closed_form_in_float32_is_within_one_ulp_of_the_exact_value_rounded(case):
    schedule, _, _ = FAMILIES[case]
    steps = steps_of(case)
    ref = schedule.values(steps, exact=True)
    got = schedule.torch_values(torch.from_numpy(steps))
    for r, g in pairs(ref, got):
        r32, g32 = r.astype(np.float32), g.astype(np.float32)
        assert np.all(np.abs(g32 - r32) <= np.spacing(np.abs(r32))), case


@pytest.mark.parametrize("case", FAMILIES)
def test_exact_tables_are_bitwise_equal_to_the_exact_path(case):
    schedule, _, _ = FAMILIES[case]
    steps = steps_of(case)
    ref = schedule.values(steps, exact=True)
    max_step = None if schedule.last_step is not None or schedule.period else int(steps.max())
    evaluator = schedule.torch_evaluator(exact=True, max_step=max_step)
    got = evaluator(torch.from_numpy(steps))
    for r, g in pairs(ref, got):
        np.testing.assert_array_equal(g, r)
    # The eager entry evaluates the exact path on the host: the same values.
    for r, g in pairs(ref, schedule.torch_values(torch.from_numpy(steps), exact=True)):
        np.testing.assert_array_equal(g, r)


@pytest.mark.parametrize("case", ["SGDR, 2 groups", "SGDR, growth, decay, warm-up", "yolo cos"])
def test_fractional_positions(case):
    schedule, _, _ = FAMILIES[case]
    positions = np.linspace(0, 200.5 if schedule.last_step is None else schedule.last_step, 1601)
    ref = schedule.values(positions, exact=True).lr
    got = schedule.torch_values(torch.from_numpy(positions)).lr.numpy()
    assert np.all(np.abs(got - ref) <= closed_form_bound(ref))


def test_shapes_follow_the_steps_with_a_group_axis():
    schedule = OneCycleSchedule(max_lr=[0.1, 0.2, 0.3], total_steps=50)
    steps = torch.arange(40).reshape(5, 8)
    lr, momentum = schedule.torch_values(steps)
    assert lr.shape == momentum.shape == (5, 8, 3)
    ref = schedule.values(steps.numpy(), exact=True)
    assert np.array_equal(lr.numpy(), ref.lr)
    zero_d = schedule.torch_values(torch.tensor(7), exact=True)
    assert zero_d.lr.shape == (3,) and zero_d.lr.tolist() == schedule.at(7)[0]


PURE = {
    "one_cycle_schedule": lambda s, **kw: one_cycle_schedule(
        s, max_lr=0.1, total_steps=200, anneal_strategy="linear", **kw
    ),
    "one_cycle_schedule per group": lambda s, **kw: one_cycle_schedule(
        s, max_lr=[0.1, 0.2], total_steps=200, **kw
    ),
    "cosine_annealing_schedule": lambda s, **kw: cosine_annealing_schedule(
        s, start_value=1.0, end_value=0.1, cycle_size=13, cycle_mult=2, **kw
    ),
    "linear_cyclical_schedule": lambda s, **kw: linear_cyclical_schedule(
        s, start_value=1.0, end_value=0.1, cycle_size=13, warmup_duration=5, monotonic=True, **kw
    ),
    "warm_restarts_schedule": lambda s, **kw: warm_restarts_schedule(
        s, base_lr=0.1, T_0=7, T_mult=2, decay=0.5, **kw
    ),
    "get_lr_scheduler (LrDecay)": lambda s, **kw: LrDecay("step", 0.1, 0.001, 200)(s, **kw),
}


@pytest.mark.parametrize("name", PURE)
def test_pure_functions_take_tensors_and_give_tensors_of_the_same_values(name):
    fn = PURE[name]
    steps = np.arange(201)
    expected = fn(steps, exact=True)
    got = fn(torch.from_numpy(steps), exact=True)
    for e, g in zip(expected if isinstance(expected, tuple) else (expected,),
                    got if isinstance(got, tuple) else (got,)):
        assert isinstance(g, torch.Tensor) and g.shape == e.shape
        np.testing.assert_array_equal(g.numpy(), e)


class CountingBackend:
    """Counts the graphs dynamo hands to the backend (a recompile is one more)."""

    def __init__(self, backend: str = "aot_eager") -> None:
        from torch._dynamo.backends.registry import lookup_backend

        self.inner = lookup_backend(backend)
        self.graphs = 0

    def __call__(self, gm, example_inputs):
        self.graphs += 1
        return self.inner(gm, example_inputs)


@pytest.mark.parametrize("name", PURE)
def test_pure_functions_compile_to_one_graph_and_the_step_is_data(name):
    fn = PURE[name]
    backend = CountingBackend()
    compiled = torch.compile(lambda s: fn(s), fullgraph=True, backend=backend)
    eager = [fn(torch.tensor(k)) for k in (0, 3, 57, 200)]
    for k, expected in zip((0, 3, 57, 200), eager):
        got = compiled(torch.tensor(k))
        for e, g in zip(expected if isinstance(expected, tuple) else (expected,),
                        got if isinstance(got, tuple) else (got,)):
            assert torch.equal(g, e), (name, k)
    assert backend.graphs == 1


def test_compiled_steps_out_of_range_give_nan():
    compiled = torch.compile(
        lambda s: one_cycle_schedule(s, max_lr=0.1, total_steps=10), fullgraph=True,
        backend="aot_eager",
    )
    lr, momentum = compiled(torch.tensor([-1, 0, 10, 11]))
    assert torch.isnan(lr[[0, 3]]).all() and torch.isnan(momentum[[0, 3]]).all()
    assert lr[1].item() == one_cycle_schedule(0, max_lr=0.1, total_steps=10)[0]


def test_inductor_compiled_one_cycle_is_bitwise_equal_to_the_exact_scalars():
    # One step per call: inductor's CPU code calls the C library's cos on a scalar.
    kwargs = {"max_lr": 0.1, "total_steps": 400, "three_phase": True}
    compiled = torch.compile(lambda s: one_cycle_schedule(s, **kwargs), fullgraph=True)
    for k in range(401):
        lr, momentum = compiled(torch.tensor(k))
        assert (lr.item(), momentum.item()) == one_cycle_schedule(k, **kwargs), k


# --------------------------------------------------------------------------- errors


def test_steps_out_of_range_raise_outside_compile_as_the_array_path_does():
    schedule = OneCycleSchedule(max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError) as array_error:
        schedule.values(np.array([3, 11]))
    with pytest.raises(ValueError) as tensor_error:
        schedule.torch_values(torch.tensor([3, 11]))
    assert str(tensor_error.value) == str(array_error.value) == (
        "steps must be in 0..10 (total_steps=10), got values from 3 to 11"
    )
    with pytest.raises(ValueError, match="steps must be >= 0"):
        schedule.torch_values(torch.tensor([-1, 2]))


def test_steps_must_be_a_tensor_of_numbers_and_whole_for_tables():
    schedule = OneCycleSchedule(max_lr=0.1, total_steps=10)
    with pytest.raises(TypeError, match="steps must be a tensor of numbers, got torch.bool"):
        schedule.torch_values(torch.tensor([True]))
    with pytest.raises(TypeError, match="steps must be a torch tensor, got list"):
        schedule.torch_values([1, 2])
    with pytest.raises(
        TypeError,
        match=r"steps must be an integer tensor with exact=True \(a table of whole steps\), "
        r"got torch.float32; exact=False evaluates any position",
    ):
        schedule.torch_values(torch.tensor([1.0]), exact=True)


def test_a_table_of_values_that_never_repeat_needs_max_step():
    schedule = WarmRestartsSchedule(base_lr=0.1, T_0=10, decay=0.9)
    with pytest.raises(ValueError) as error:
        schedule.torch_evaluator(exact=True)
    assert str(error.value) == (
        "max_step must be given for exact=True: WarmRestartsSchedule has no last step and "
        "no period from step 0, so the table of exact values needs a last step"
    )
    table = schedule.torch_evaluator(exact=True, max_step=99)
    lr = table(torch.tensor([99, 100])).lr
    assert lr[0, 0].item() == schedule.at(99)[0][0] and math.isnan(lr[1, 0].item())


def test_growth_that_does_not_settle_within_the_list_limit_needs_max_step():
    schedule = CyclicalSchedule("cos", 1.0, 0.1, 10, start_value_mult=-1.0)  # flips forever
    with pytest.raises(ValueError) as error:
        schedule.torch_evaluator()
    assert str(error.value) == (
        "max_step must be given, and small enough: a value multiplied by -1 every cycle "
        "lists more than 65536 entries up to every step (2**53); give max_step, the last "
        "step the tensor path will be asked for"
    )
    evaluator = schedule.torch_evaluator(max_step=1000)
    steps = np.arange(1001)
    np.testing.assert_array_equal(
        evaluator(torch.from_numpy(steps)).lr.numpy(), schedule.values(steps, exact=True).lr
    )
    # Outside compile the steps are known: no max_step needed.
    assert schedule.torch_values(torch.tensor([1000])).lr.item() == schedule.at(1000)[0][0]


def test_families_without_a_closed_form_say_so():
    class Flat(OneCycleSchedule):
        _torch_evaluator = Schedule._torch_evaluator  # the protocol's default

    schedule = Flat(max_lr=0.1, total_steps=5)
    with pytest.raises(TypeError, match="Flat has no closed form on torch tensors yet"):
        schedule.torch_values(torch.tensor([1]))
    assert schedule.torch_values(torch.tensor([1]), exact=True).lr.item() == schedule.at(1)[0][0]


def test_importing_the_package_or_using_numpy_steps_does_not_import_torch():
    code = (
        "import sys, numpy as np, lr_one_cycle\n"
        "lr_one_cycle.one_cycle_schedule(np.arange(5), max_lr=0.1, total_steps=5)\n"
        "lr_one_cycle.cyclic_lr_schedule(np.arange(5), base_lr=0.1, max_lr=1.0)\n"
        "lr_one_cycle.warmup_stable_decay_schedule(np.arange(5), peak_lr=0.1, warmup_steps=1,"
        " stable_steps=1, decay_steps=2)\n"
        "lr_one_cycle.warmup_cosine_schedule(np.arange(5), peak_lr=0.1, warmup_steps=1,"
        " total_steps=4)\n"
        "lr_one_cycle.InGraphScheduler\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("case", ["1cycle resumed (elastic)", "SGDR, growth, decay, warm-up"])
def test_a_schedule_built_outside_compiles_its_torch_values_in_one_graph(case):
    schedule = FAMILIES[case][0]
    backend = CountingBackend()
    compiled = torch.compile(lambda s: schedule.torch_values(s).lr, fullgraph=True, backend=backend)
    for k in (0, 7, 150):
        assert torch.equal(compiled(torch.tensor([k])), schedule.torch_values(torch.tensor([k])).lr)
    assert backend.graphs == 1


def test_exact_tables_compile_too():
    backend = CountingBackend()
    compiled = torch.compile(
        lambda s: one_cycle_schedule(s, max_lr=0.1, total_steps=1000, exact=True),
        fullgraph=True, backend=backend,
    )
    for k in (0, 299, 1000):
        assert tuple(x.item() for x in compiled(torch.tensor(k))) == one_cycle_schedule(
            k, max_lr=0.1, total_steps=1000
        )
    assert backend.graphs == 1


@pytest.mark.parametrize("case", FAMILIES)
def test_a_schedule_crosses_into_the_compiled_region_as_plain_values_and_back(case):
    from lr_one_cycle.schedules._torch import from_spec, spec_of

    schedule = FAMILIES[case][0]
    spec = spec_of(schedule)
    plain = (str, int, float, bool, tuple)
    assert all(isinstance(x, plain) for x in _flatten(spec))
    assert from_spec(spec) == schedule


def _flatten(value):
    if isinstance(value, tuple):
        for x in value:
            yield from _flatten(x)
    else:
        yield value


@pytest.mark.parametrize("scale", [1.0, 1e-300, 1e300])
def test_the_square_root_is_correctly_rounded_where_torchs_eager_one_is_not(scale) -> None:
    """The 1-sqrt shapes need math.sqrt's root: torch's eager float64 sqrt on a long
    tensor is up to 1 ulp off (a control shows it here), the corrected one never."""
    from lr_one_cycle.schedules._torch import sqrt

    x = np.random.default_rng(7).random(200_000) * scale
    x[:4] = [0.0, 1.0, 4.0, 5e-324]
    reference = np.array([math.sqrt(value) for value in x.tolist()])
    assert sqrt(torch.from_numpy(x)).numpy().tolist() == reference.tolist()
    if scale == 1.0:  # the control: without the correction some roots differ
        assert (torch.sqrt(torch.from_numpy(x)).numpy() != reference).any()
