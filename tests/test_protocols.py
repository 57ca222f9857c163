"""One contract suite: every scheduler class through every tool users plug it into, with
the torch or ignite class it mirrors as the oracle, built and run the same way in the
same test.

- torch-style schedulers (torch's ``LRScheduler`` protocol, :data:`TORCH_STYLE`):
  ignite's ``LRScheduler`` wrapper (in an ``Engine``, ``simulate_values``,
  ``create_lr_scheduler_with_warmup``), torch's ``SequentialLR`` (first, second, only
  ours) and ``ChainedScheduler``, Lightning's ``Trainer`` (``interval="step"``,
  checkpoint and resume, ``LearningRateMonitor``, ``LearningRateFinder``), torch's
  order warning, tensor lrs;
- ignite-style handlers (ignite's ``ParamScheduler`` protocol, :data:`IGNITE_STYLE`):
  ``ConcatScheduler``, ``ParamGroupScheduler``, ``create_lr_scheduler_with_warmup``,
  ``simulate_values`` / ``plot_values`` of the composites, nested state dicts, ``Engine``
  attach with event filters, and the tools that drive torch schedulers only refusing
  them as they refuse ignite's own classes.

A scheduler class joins the suite with one line in :data:`TORCH_STYLE` or
:data:`IGNITE_STYLE` (its settings, and the class it mirrors); a test fails when an
exported scheduler class is in neither. Comparisons are bitwise, except for a mirror
with ``rtol`` (a reference that computes another way: torch's recursive ``LinearLR``,
transformers' WSD lambda), where floats agree within it.
"""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
import torch
from conftest import group_snapshot, make_optimizer, momentum_of
from test_wsd_schedule import transformers_wsd_lambda

from lr_one_cycle import (
    CosineAnnealingScheduler,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    LinearCyclicalScheduler,
    OneCycleLR,
    ScheduleDriftWarning,
    ScheduleOverrideWarning,
    SequentialLR,
    WarmupLR,
    WarmupStableDecayLR,
    step_with_optimizer,
)

ignite_ps = pytest.importorskip("ignite.handlers.param_scheduler")
ignite_engine = pytest.importorskip("ignite.engine")
pl = pytest.importorskip("lightning.pytorch")

lr_scheduler = torch.optim.lr_scheduler
Engine, Events = ignite_engine.Engine, ignite_engine.Events


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Mirror:
    """A torch-style scheduler and the torch class it mirrors, as factories of an
    optimizer; ``steps``: the ``step()`` calls after construction on which the reference
    is the oracle (a 1cycle of ``total_steps=T`` is torch's on steps ``0..T-1``)."""

    name: str
    ours: Callable[[Any], Any]
    reference: Callable[[Any], Any]
    steps: int
    optimizer: str = "SGD"
    groups: int = 2
    #: 0: bitwise. Otherwise the relative tolerance of the values where the reference
    #: computes them another way (recursively, in another order); see the mirror.
    rtol: float = 0.0
    #: Whether ignite's LRScheduler wrapper can drive the reference. It cannot drive
    #: torch's SequentialLR (no get_lr(), which the wrapper calls: NotImplementedError);
    #: then the wrapper around ours is held to the reference stepped after each update.
    ignite_wraps_reference: bool = True
    #: For a reference that is torch's SequentialLR: its parts and milestones, built on
    #: an optimizer. torch's SequentialLR cannot hold a SequentialLR (handing over to
    #: one calls its get_lr(): NotImplementedError; first, its undo rewinds the inner
    #: parts only, so it starts a step late), so inside torch's composites the oracle
    #: is torch's flat SequentialLR of these parts.
    reference_parts: Callable[[Any], tuple[list[Any], list[int]]] | None = None
    #: Whether the reference multiplies the lr it finds (torch's LinearLR): an lr that
    #: another tool writes then carries on in it, where ours, like torch's closed-form
    #: classes, overwrites it at its next step() and says so (ScheduleOverrideWarning).
    chainable_reference: bool = False
    #: Steps of a warm-up during which ours holds the momentum at its scheduler's step-0
    #: value (WarmupLR's docstring); torch's LinearLR writes none, so after another part
    #: torch's flat sequence keeps the momentum that part left there.
    holds_momentum_for: int = 0

    def build(self, optimizer: Any, which: str) -> Any:
        return (self.ours if which == "ours" else self.reference)(optimizer)

    def __str__(self) -> str:
        return self.name


def mirrored(ours: type, reference: type, *, steps: int, optimizer: str = "SGD", **kwargs: Any) -> Mirror:
    """The usual entry: both classes take the same arguments."""
    name = f"{ours.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}, {optimizer})"
    return Mirror(
        name, lambda o: ours(o, **kwargs), lambda o: reference(o, **kwargs), steps, optimizer
    )


@dataclass(frozen=True)
class IgniteMirror:
    """An ignite-style handler and ignite's class it mirrors (same arguments)."""

    ours: type
    reference: type
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self, optimizer: Any, which: str, **extra: Any) -> Any:
        cls = self.ours if which == "ours" else self.reference
        return cls(optimizer, **{**self.kwargs, **extra})

    def __str__(self) -> str:
        return f"{self.ours.__name__}({', '.join(f'{k}={v!r}' for k, v in self.kwargs.items())})"


def sequence_mirror(optimizer: str) -> Mirror:
    """Our SequentialLR of our CyclicLR then SGDR; the oracle is torch's SequentialLR of
    torch's two classes (their settings live in the schedulers, not in param_groups,
    so torch's composition is right: unlike two OneCycleLRs, tests/test_sequential.py)."""

    def parts(lib: Any) -> Callable[[Any], tuple[list[Any], list[int]]]:
        def make(o: Any) -> tuple[list[Any], list[int]]:
            return [
                lib.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, mode="triangular2"),
                lib.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001),
            ], [8]
        return make

    def build(lib: Any, sequence: type) -> Callable[[Any], Any]:
        return lambda o: sequence(o, *parts(lib)(o))

    ours = type("ours", (), dict(CyclicLR=CyclicLR, CosineAnnealingWarmRestarts=CosineAnnealingWarmRestarts))
    name = f"SequentialLR([CyclicLR(triangular2), CosineAnnealingWarmRestarts(T_0=4, T_mult=2)], [8], {optimizer})"
    return Mirror(
        name, build(ours, SequentialLR), build(lr_scheduler, lr_scheduler.SequentialLR), 24, optimizer,
        ignite_wraps_reference=False, reference_parts=parts(lr_scheduler),
    )


def warmup_mirror(optimizer: str) -> Mirror:
    """Our WarmupLR (linear, 5 steps from 0.3 * base_lr) around our CyclicLR; the oracle
    is torch's SequentialLR([LinearLR(start_factor=0.3, total_iters=5), CyclicLR],
    milestones=[5]). LinearLR is recursive (each lr a factor of the last), so its steps
    1..4 agree within 1e-12 relative (with_warmup's docstring); the rest is bitwise."""
    base = 0.1  # the optimizer's lr: LinearLR ramps up to it, CyclicLR starts from it

    def ours(o: Any) -> Any:
        return WarmupLR(o, CyclicLR(o, base_lr=base, max_lr=0.4, step_size_up=4), 5, start_lr=base * 0.3)

    def parts(o: Any) -> tuple[list[Any], list[int]]:
        linear = lr_scheduler.LinearLR(o, start_factor=0.3, total_iters=5)
        return [linear, lr_scheduler.CyclicLR(o, base_lr=base, max_lr=0.4, step_size_up=4)], [5]

    name = f"WarmupLR(CyclicLR(step_size_up=4), 5, start_lr=0.3*base, {optimizer})"
    return Mirror(
        name, ours, lambda o: lr_scheduler.SequentialLR(o, *parts(o)), 24, optimizer, rtol=1e-12,
        ignite_wraps_reference=False, reference_parts=parts, chainable_reference=True,
        holds_momentum_for=5,
    )


def wsd_mirror(optimizer: str, **shapes: str) -> Mirror:
    """Our WarmupStableDecayLR; the oracle is transformers' get_wsd_schedule, a LambdaLR
    over its lambda (transcribed in tests/test_wsd_schedule.py), the optimizer's lr (0.1)
    being the peak: within 1e-12 relative (tests/test_wsd.py), other operations."""
    lam = partial(
        transformers_wsd_lambda, num_warmup_steps=4, num_stable_steps=6, num_decay_steps=8,
        warmup_type=shapes["warmup"], decay_type=shapes["decay"], min_lr_ratio=0.01,
    )

    def ours(o: Any) -> Any:
        return WarmupStableDecayLR(o, peak_lr=0.1, warmup_steps=4, stable_steps=6, decay_steps=8, min_lr=0.1 * 0.01, **shapes)

    name = f"WarmupStableDecayLR(4, 6, 8, {', '.join(f'{k}={v}' for k, v in shapes.items())}, {optimizer})"
    return Mirror(name, ours, lambda o: lr_scheduler.LambdaLR(o, lam), 18, optimizer, rtol=1e-12)


# Classes built from other schedulers, or mirrored by another construct than a class of
# the same arguments.
COMPOSED: list[Mirror] = [
    sequence_mirror("SGD"),
    sequence_mirror("AdamW"),
    warmup_mirror("SGD"),
    warmup_mirror("AdamW"),
    wsd_mirror("SGD", warmup="linear", decay="1-sqrt"),
    wsd_mirror("AdamW", warmup="cosine", decay="cosine"),
]

# One line per scheduler class and setting; a new class joins the same way, e.g.
#   mirrored(CyclicLR, lr_scheduler.CyclicLR, steps=30, base_lr=0.01, max_lr=0.1, step_size_up=5),
# or, for classes built from other schedulers, Mirror(name, make_ours, make_reference, steps).
TORCH_STYLE: list[Mirror] = [
    mirrored(OneCycleLR, lr_scheduler.OneCycleLR, steps=15, max_lr=[0.1, 0.05], total_steps=16),
    mirrored(OneCycleLR, lr_scheduler.OneCycleLR, steps=15, optimizer="AdamW", max_lr=0.2, total_steps=16, three_phase=True, anneal_strategy="linear"),
    mirrored(CosineAnnealingWarmRestarts, lr_scheduler.CosineAnnealingWarmRestarts, steps=24, T_0=4, T_mult=2, eta_min=0.001),
    mirrored(CosineAnnealingWarmRestarts, lr_scheduler.CosineAnnealingWarmRestarts, steps=24, optimizer="AdamW", T_0=5),
    mirrored(CyclicLR, lr_scheduler.CyclicLR, steps=30, base_lr=0.01, max_lr=[0.1, 0.05], step_size_up=5, mode="triangular2"),
    mirrored(CyclicLR, lr_scheduler.CyclicLR, steps=24, optimizer="AdamW", base_lr=0.001, max_lr=0.01, step_size_up=3, step_size_down=4, mode="exp_range", gamma=0.95),
    *COMPOSED,
]

# ignite-style handlers and the ignite class each mirrors, one line each.
IGNITE_STYLE: list[IgniteMirror] = [
    IgniteMirror(CosineAnnealingScheduler, ignite_ps.CosineAnnealingScheduler, dict(param_name="lr", start_value=0.1, end_value=0.001, cycle_size=5, cycle_mult=1.5, start_value_mult=0.8, warmup_duration=2)),
    IgniteMirror(CosineAnnealingScheduler, ignite_ps.CosineAnnealingScheduler, dict(param_name="lr", start_value=1.0, end_value=0.2, cycle_size=4)),
    IgniteMirror(LinearCyclicalScheduler, ignite_ps.LinearCyclicalScheduler, dict(param_name="lr", start_value=0.0, end_value=0.1, cycle_size=6, end_value_mult=0.9)),
    IgniteMirror(LinearCyclicalScheduler, ignite_ps.LinearCyclicalScheduler, dict(param_name="lr", start_value=0.2, end_value=0.01, cycle_size=4, cycle_mult=2.0, warmup_duration=3, monotonic=True)),
]

torch_style = pytest.mark.parametrize("mirror", TORCH_STYLE, ids=str)
ignite_style = pytest.mark.parametrize("mirror", IGNITE_STYLE, ids=str)
WHICH = ("ours", "reference")


def close(ours: Any, reference: Any, rtol: float) -> bool:
    """``ours == reference`` (nested lists, tuples, dicts, tensors), floats and float
    tensors within ``rtol`` relative (``rtol=0``: bitwise)."""
    if isinstance(ours, torch.Tensor) or isinstance(reference, torch.Tensor):
        return (
            isinstance(ours, torch.Tensor) and isinstance(reference, torch.Tensor)
            and ours.shape == reference.shape and ours.dtype == reference.dtype
            and torch.allclose(ours, reference, rtol=rtol, atol=0.0)
        )
    if isinstance(ours, float) or isinstance(reference, float):
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (ours, reference))
        return numbers and (ours == reference or abs(ours - reference) <= rtol * max(abs(ours), abs(reference)))
    if isinstance(ours, (list, tuple)):
        return (
            type(ours) is type(reference) and len(ours) == len(reference)
            and all(close(a, b, rtol) for a, b in zip(ours, reference))
        )
    if isinstance(ours, dict):
        return (
            isinstance(reference, dict) and ours.keys() == reference.keys()
            and all(close(ours[k], reference[k], rtol) for k in ours)
        )
    return bool(ours == reference)


def agree(mirror: Mirror, ours: Any, reference: Any) -> bool:
    """What ours gave is the reference's: bitwise, or within the mirror's rtol."""
    return close(ours, reference, mirror.rtol)


def test_close_is_bitwise_without_a_tolerance_and_relative_with_one() -> None:
    a, b = [(0.1, 0.9), {"w": torch.tensor([1.0, 2.0])}], [(0.1 + 0.0, 0.9), {"w": torch.tensor([1.0, 2.0])}]
    nudged = [(0.1 * (1 + 4e-16), 0.9), {"w": torch.tensor([1.0, 2.0]) * (1 + 2**-23)}]
    assert close(a, b, 0.0) and not close(a, nudged, 0.0) and close(a, nudged, 1e-6)
    assert not close(a, [(0.1 * (1 + 1e-11), 0.9), a[1]], 1e-12)
    assert not close([0.1], (0.1,), 1e-12) and not close([0.1, 0.2], [0.1], 1e-12)
    assert not close({"w": torch.zeros(2)}, {"w": torch.zeros(3)}, 1e-12)


def optimizer_for(mirror: Mirror, seed: int = 0) -> Any:
    return make_optimizer(mirror.optimizer, mirror.groups, seed)[1]


def used(optimizer: Any) -> list[tuple[Any, Any]]:
    """What the next update uses: (lr, momentum or beta1) of every group."""
    return [(g["lr"], momentum_of(g)) for g in optimizer.param_groups]


def quietly(function: Callable[[], Any]) -> Any:
    """Run ``function`` without torch's order warning (no training happens here); a
    ScheduleOverrideWarning fails the test."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step()`")
        warnings.simplefilter("error", ScheduleOverrideWarning)
        return function()


def sgd(n_groups: int = 1, lr: float = 0.1) -> torch.optim.SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for _ in range(n_groups)]
    return torch.optim.SGD(groups, lr=lr, momentum=0.9)


def test_the_suite_covers_every_public_scheduler_class() -> None:
    """Every scheduler class lr_one_cycle exports is in TORCH_STYLE or IGNITE_STYLE (as
    tests/test_scheduler_contract.py checks for its CASES)."""
    import lr_one_cycle

    public = {
        obj.__name__
        for obj in (getattr(lr_one_cycle, name) for name in lr_one_cycle.__all__)
        if isinstance(obj, type) and hasattr(obj, "state_dict")
    }
    covered = {type(quietly(lambda m=m: m.build(optimizer_for(m), "ours"))).__name__ for m in TORCH_STYLE}
    covered |= {m.ours.__name__ for m in IGNITE_STYLE}
    # A wrapper around the classes above that steps inside compiled graphs (tensor lrs
    # only); tests/test_compiled.py holds it to the wrapped scheduler's values and state.
    covered.add("InGraphScheduler")
    assert public <= covered, f"not in TORCH_STYLE / IGNITE_STYLE: {sorted(public - covered)}"


def test_import_loads_neither_torch_nor_the_tools() -> None:
    code = (
        "import sys, lr_one_cycle, lr_one_cycle.integrations.ignite\n"
        "print([m for m in ('torch', 'ignite', 'lightning', 'pytorch_lightning', 'matplotlib')"
        " if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# =========================================================================== torch-style
# --------------------------------------------------------------------------- ignite's wrapper


def test_ignite_wrapper_around_warm_restarts_gives_torchs_sequence() -> None:
    """The issue's example: six calls of ignite's LRScheduler around SGDR with T_0=4."""
    sequences = []
    for cls in (lr_scheduler.CosineAnnealingWarmRestarts, CosineAnnealingWarmRestarts):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        wrapper = ignite_ps.LRScheduler(cls(optimizer, T_0=4))
        seen = []
        for _ in range(6):
            wrapper(None)
            seen.append(optimizer.param_groups[0]["lr"])
        sequences.append(seen)
    assert sequences[0] == sequences[1]
    assert [round(x, 4) for x in sequences[1]] == [0.8536, 0.5, 0.1464, 1.0, 0.8536, 0.5]


def run_ignite_wrapper(mirror: Mirror, which: str, *, warmup: bool) -> list[Any]:
    """Train in an ignite Engine with the scheduler wrapped by ignite (or by
    create_lr_scheduler_with_warmup) on ITERATION_STARTED; record what each update used."""
    model, optimizer = make_optimizer(mirror.optimizer, mirror.groups)
    scheduler = mirror.build(optimizer, which)
    stepped = which == "reference" and not mirror.ignite_wraps_reference
    if stepped:  # torch's protocol: step() after each update
        assert not warmup
        handler, event = lambda engine: scheduler.step(), Events.ITERATION_COMPLETED
    elif warmup:
        handler = ignite_ps.create_lr_scheduler_with_warmup(
            scheduler, warmup_start_value=0.0, warmup_duration=3
        )
        event = Events.ITERATION_STARTED
    else:
        handler, event = ignite_ps.LRScheduler(scheduler), Events.ITERATION_STARTED
    seen: list[Any] = []

    def update(engine: Any, batch: Any) -> None:
        seen.append(used(optimizer))
        optimizer.zero_grad()
        model(torch.ones(2, 3)).pow(2).mean().backward()
        optimizer.step()

    engine = Engine(update)
    engine.add_event_handler(event, handler)
    engine.run(range(mirror.steps - (3 if warmup else 0)), max_epochs=1)
    return seen


def skip_unless_ignite_wraps_the_reference(mirror: Mirror) -> None:
    if not mirror.ignite_wraps_reference:
        pytest.skip(
            "no oracle: ignite's create_lr_scheduler_with_warmup cannot wrap torch's "
            "SequentialLR (no get_lr()); ignite's plain LRScheduler wrapper around ours is "
            "held to torch's SequentialLR stepped after each update instead"
        )


@torch_style
@pytest.mark.parametrize("warmup", [False, True], ids=["LRScheduler", "with_warmup"])
def test_ignite_wrapper_applies_the_references_values_in_an_engine(mirror: Mirror, warmup: bool) -> None:
    if warmup:
        skip_unless_ignite_wraps_the_reference(mirror)
    ours, reference = (run_ignite_wrapper(mirror, which, warmup=warmup) for which in WHICH)
    assert agree(mirror, ours, reference)


@torch_style
def test_ignite_simulate_values_gives_the_references_and_restores_the_scheduler(mirror: Mirror) -> None:
    results = []
    for which in WHICH:
        optimizer = optimizer_for(mirror)
        scheduler = mirror.build(optimizer, which)
        before = (scheduler.state_dict(), group_snapshot(optimizer))
        if which == "reference" and not mirror.ignite_wraps_reference:
            results.append(stepped_values(scheduler, mirror.steps))
            continue
        results.append(ignite_ps.LRScheduler.simulate_values(mirror.steps, lr_scheduler=scheduler))
        if which == "ours":
            assert (scheduler.state_dict(), group_snapshot(optimizer)) == before
    assert agree(mirror, results[0], results[1])
    skip_unless_ignite_wraps_the_reference(mirror)

    def simulated_with_warmup(which: str) -> list[Any]:
        out: list[Any] = [None] * mirror.steps
        ignite_ps.create_lr_scheduler_with_warmup(
            mirror.build(optimizer_for(mirror), which), 0.0, 4, warmup_end_value=0.3,
            output_simulated_values=out,
        )
        return out

    # ignite saves the warm-up composite's state with torch.save and reloads it with
    # weights_only=True, which fails around torch's own SGDR (ignite keeps an object of
    # its own in that state): the oracle's failure is ours too, whatever it is.
    assert agree(mirror, outcome(simulated_with_warmup, "ours"), outcome(simulated_with_warmup, "reference"))


def stepped_values(scheduler: Any, events: int) -> list[list[Any]]:
    """What simulate_values lists ([event, lr of every group]), from stepping the
    scheduler after each event as torch's protocol does."""
    values = []
    for i in range(events):
        values.append([i, *(g["lr"] for g in scheduler.optimizer.param_groups)])
        quietly(scheduler.step)
    return values


def outcome(function: Callable[[str], Any], which: str) -> tuple[str, Any]:
    """``("value", result)`` or ``("raised", exception type)``."""
    try:
        return "value", function(which)
    except Exception as error:  # noqa: BLE001 - compared with the oracle's outcome
        return "raised", type(error)


# --------------------------------------------------------------------------- torch's composites


def sequential(mirror: Mirror, which: str, layout: str, optimizer: Any) -> tuple[Any, int]:
    """torch's SequentialLR with the scheduler first, second, or twice (``layout``), and
    the number of steps on which the reference is the oracle."""
    half = mirror.steps // 2
    if which == "reference" and mirror.reference_parts is not None:
        return flat_sequential(mirror, layout, optimizer, half)
    if layout == "after_warmup":
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
        return lr_scheduler.SequentialLR(
            optimizer, [warmup, mirror.build(optimizer, which)], milestones=[3]
        ), 3 + mirror.steps
    if layout == "before_decay":
        first = mirror.build(optimizer, which)
        decay = lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
        return lr_scheduler.SequentialLR(optimizer, [first, decay], milestones=[half]), half + 5
    first, second = mirror.build(optimizer, which), mirror.build(optimizer, which)
    return lr_scheduler.SequentialLR(optimizer, [first, second], milestones=[half]), half + mirror.steps


def flat_sequential(mirror: Mirror, layout: str, optimizer: Any, half: int) -> tuple[Any, int]:
    """:func:`sequential` for a reference that is torch's SequentialLR: torch's flat
    SequentialLR of its parts, around the same warm-up or decay (same steps)."""
    assert mirror.reference_parts is not None
    if layout == "after_warmup":
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
        parts, milestones = mirror.reference_parts(optimizer)
        return lr_scheduler.SequentialLR(
            optimizer, [warmup, *parts], milestones=[3, *(3 + m for m in milestones)]
        ), 3 + mirror.steps
    parts, milestones = mirror.reference_parts(optimizer)
    assert max(milestones) < half
    if layout == "before_decay":
        decay = lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
        return lr_scheduler.SequentialLR(optimizer, [*parts, decay], milestones=[*milestones, half]), half + 5
    second, second_milestones = mirror.reference_parts(optimizer)
    return lr_scheduler.SequentialLR(
        optimizer, [*parts, *second], milestones=[*milestones, half, *(half + m for m in second_milestones)]
    ), half + mirror.steps


def sequential_run(mirror: Mirror, which: str, layout: str, *, resume_at: int | None = None) -> list[Any]:
    """What every update uses under SequentialLR; with ``resume_at``, the run is saved
    there (torch.save, weights_only load) and continued by a rebuilt composite."""
    optimizer = optimizer_for(mirror)
    composite, steps = quietly(lambda: sequential(mirror, which, layout, optimizer))
    seen = [used(optimizer)]
    for k in range(steps):
        if k == resume_at:
            buffer = io.BytesIO()
            torch.save({"scheduler": composite.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
            buffer.seek(0)
            saved = torch.load(buffer, weights_only=True)
            optimizer = optimizer_for(mirror)
            composite, _ = quietly(lambda: sequential(mirror, which, layout, optimizer))  # noqa: B023
            optimizer.load_state_dict(saved["optimizer"])
            composite.load_state_dict(saved["scheduler"])
            assert used(optimizer) == seen[-1]
        quietly(composite.step)
        seen.append(used(optimizer))
    return seen


@torch_style
@pytest.mark.parametrize("layout", ["after_warmup", "before_decay", "twice"])
def test_sequential_lr_applies_the_references_values(mirror: Mirror, layout: str) -> None:
    """torch's SequentialLR resets the lrs to initial_lr, takes a step back from every
    scheduler, restarts the first (_initial_step) and hands over with _update_lr(0):
    around ours it applies what it applies around torch's class, momentum included."""
    ours = sequential_run(mirror, "ours", layout)
    compared = ours
    if layout == "twice" and mirror.holds_momentum_for:
        # The second warm-up follows another part: its momentum is no torch value.
        half = mirror.steps // 2
        second_warmup = range(half, half + mirror.holds_momentum_for)
        compared = [
            [(lr, "held") for lr, _ in s] if k in second_warmup else s for k, s in enumerate(ours)
        ]
        assert all(s[0][1] == ours[0][0][1] for s in ours[half:half + mirror.holds_momentum_for])
    reference = sequential_run(mirror, "reference", layout)
    if compared is not ours:
        reference = [
            [(lr, "held") for lr, _ in s] if k in second_warmup else s for k, s in enumerate(reference)
        ]
    assert agree(mirror, compared, reference)
    assert sequential_run(mirror, "ours", layout, resume_at=mirror.steps // 2 - 1) == ours
    assert sequential_run(mirror, "ours", layout, resume_at=mirror.steps // 2 + 2) == ours


def chained_run(mirror: Mirror, which: str, order: str) -> tuple[list[Any], list[int]]:
    """What every update uses under ChainedScheduler with MultiStepLR (halving at step
    2) after or before our scheduler, or ours alone; and the steps that warned."""
    optimizer = optimizer_for(mirror)
    ours = mirror.build(optimizer, which)
    decay = lambda: lr_scheduler.MultiStepLR(optimizer, milestones=[2], gamma=0.5)  # noqa: E731
    chain = {"alone": [ours], "then_decay": [ours, decay()], "decay_then": [decay(), ours]}[order]
    composite = lr_scheduler.ChainedScheduler(chain, optimizer=optimizer)
    seen, warned = [used(optimizer)], []
    for k in range(1, 6):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            composite.step()
        if any(issubclass(w.category, ScheduleOverrideWarning) for w in caught):
            warned.append(k)
        seen.append(used(optimizer))
    return seen, warned


@torch_style
@pytest.mark.parametrize("order", ["alone", "then_decay", "decay_then"])
def test_chained_scheduler_drops_no_factor_silently(mirror: Mirror, order: str) -> None:
    """Alone, ours in torch's ChainedScheduler is the reference. With MultiStepLR in the
    chain, ours (like torch's class) overwrites the halving, but says so: at the step
    after the milestone (ours first) or at the milestone (ours last)."""
    ours, warned = chained_run(mirror, "ours", order)
    reference, reference_warned = chained_run(mirror, "reference", "alone" if mirror.chainable_reference else order)
    if mirror.chainable_reference and order == "then_decay":
        # torch's LinearLR would carry the halving on (it multiplies the lr it finds);
        # ours, as torch's closed-form classes above, keeps it until its next step only.
        reference[2] = [(lr * 0.5, m) for lr, m in reference[2]]
    assert agree(mirror, ours, reference) and reference_warned == []
    assert warned == {"alone": [], "then_decay": [3], "decay_then": [2]}[order]


def test_the_override_warning_names_the_group_and_both_values() -> None:
    optimizer = sgd(2)
    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    written = scheduler.get_last_lr()[1]
    optimizer.param_groups[1]["lr"] = 0.5
    before = (scheduler.state_dict(), group_snapshot(optimizer))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScheduleOverrideWarning)
        with pytest.raises(ScheduleOverrideWarning) as caught:
            quietly_order(scheduler.step)
    assert str(caught.value).startswith(
        f"OneCycleLR.step(): optimizer.param_groups[1]['lr'] is 0.5, not the {written!r} this "
        "scheduler wrote last, so something else changed it"
    )
    assert "SequentialLR or lr_one_cycle's join_schedules" in str(caught.value)
    assert (scheduler.state_dict(), group_snapshot(optimizer)) == before  # nothing written
    with pytest.warns(ScheduleOverrideWarning):
        quietly_order(scheduler.step)
    assert scheduler.last_epoch == 1 and optimizer.param_groups[1]["lr"] == scheduler.get_last_lr()[1]


def quietly_order(function: Callable[[], Any]) -> Any:
    """Run ``function`` without torch's order warning, other warnings as they are."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step()`")
        return function()


# --------------------------------------------------------------------------- torch's contract


def step_warnings(function: Callable[[], Any]) -> list[tuple[type, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        function()
    return [(w.category, str(w.message)) for w in caught]


@torch_style
def test_step_before_optimizer_step_warns_in_torchs_words(mirror: Mirror) -> None:
    """Once, at the first step(), with the text torch's base class gives in this run
    (torch's SGDR overrides step() without the check and never warns; ours do, the
    first value is skipped all the same); and the optimizer's step is not wrapped
    (torch's classes wrap it to find out)."""
    optimizer = optimizer_for(mirror)
    torchs = lr_scheduler.StepLR(optimizer, step_size=2)
    expected = step_warnings(torchs.step)
    assert [text[:61] for _, text in expected] == [
        "Detected call of `lr_scheduler.step()` before `optimizer.step"
    ]
    seen = {}
    for which in WHICH:
        optimizer = optimizer_for(mirror)
        scheduler = mirror.build(optimizer, which)
        seen[which] = step_warnings(lambda: [scheduler.step() for _ in range(3)])  # noqa: B023
        if which == "ours":
            assert "step" not in vars(optimizer)
            assert not hasattr(optimizer.step, "_wrapped_by_lr_sched")
    assert seen["ours"] == expected
    assert seen["reference"] in (expected, [])


@torch_style
def test_no_warning_when_the_optimizer_stepped_first(mirror: Mirror) -> None:
    model, optimizer = make_optimizer(mirror.optimizer, mirror.groups)
    scheduler = mirror.build(optimizer, "ours")
    model(torch.ones(2, 3)).sum().backward()
    optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()
        scheduler.step()


def amp_run(which: str, *, hook: bool) -> tuple[Any, list[tuple[type, str]]]:
    """Adam with a CPU GradScaler whose first update overflows (GradScaler skips it),
    then two good ones; the loop clears the gradients at the start of an iteration."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    cls = OneCycleLR if which == "ours" else lr_scheduler.OneCycleLR
    scheduler = cls(optimizer, max_lr=0.05, total_steps=10)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    if hook:
        step_with_optimizer(scheduler, optimizer)

    def loop() -> None:
        for attempt in range(3):
            optimizer.zero_grad()
            loss = model(torch.ones(2, 3)).pow(2).mean() * (float("inf") if attempt == 0 else 1.0)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            if not hook:
                scheduler.step()

    return scheduler, step_warnings(loop)


def test_a_skipped_first_update_is_no_false_alarm() -> None:
    """torch warns "step() before optimizer.step()" when GradScaler skipped the first
    update although the loop called scaler.step(optimizer) first. Ours says what
    happened instead (the schedule is one step ahead); through step_with_optimizer the
    scheduler follows the applied updates and nothing is said."""
    _, theirs = amp_run("reference", hook=False)
    assert [text[:24] for _, text in theirs] == ["Detected call of `lr_sch"]
    _, ours = amp_run("ours", hook=False)
    assert [category for category, _ in ours] == [ScheduleDriftWarning]
    assert ours[0][1].startswith("scheduler.step() after an update that torch.amp.GradScaler skipped")
    scheduler, hooked = amp_run("ours", hook=True)
    assert hooked == [] and scheduler.last_epoch == 2


def test_warnings_turned_into_errors_leave_everything_unchanged() -> None:
    optimizer = sgd(2)
    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    before = (scheduler.state_dict(), group_snapshot(optimizer), scheduler._step_count)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="Detected call of"):
            scheduler.step()
    assert (scheduler.state_dict(), group_snapshot(optimizer), scheduler._step_count) == before


@torch_style
def test_get_last_lr_gives_tensors_for_tensor_lrs_like_torch(mirror: Mirror) -> None:
    last = {}
    for which in WHICH:
        optimizer = optimizer_for(mirror)
        for group in optimizer.param_groups:
            group["lr"] = torch.tensor(group["lr"], dtype=torch.float64)
        held = [group["lr"] for group in optimizer.param_groups]
        scheduler = mirror.build(optimizer, which)
        quietly(lambda: [scheduler.step() for _ in range(3)])  # noqa: B023
        last[which] = scheduler.get_last_lr()
        if which == "ours":
            assert [g["lr"] for g in optimizer.param_groups] == held  # the same tensors
            assert all(t is not h for t, h in zip(last[which], held))  # copies, as torch's
    assert all(isinstance(t, torch.Tensor) for t in last["ours"])
    assert agree(mirror, last["ours"], last["reference"])


@torch_style
def test_torch_protocol_methods_change_nothing_when_they_raise(mirror: Mirror) -> None:
    optimizer = optimizer_for(mirror)
    scheduler = mirror.build(optimizer, "ours")
    quietly(scheduler.step)
    before = (scheduler.state_dict(), group_snapshot(optimizer))
    with pytest.raises(ValueError, match="epoch must be"):
        scheduler._update_lr(-3)
    optimizer.param_groups.append({**optimizer.param_groups[0], "params": []})
    for call in (scheduler._initial_step, lambda: scheduler._update_lr(0), scheduler.step):
        with pytest.raises(ValueError, match="parameter groups"):
            call()
    optimizer.param_groups.pop()
    assert (scheduler.state_dict(), group_snapshot(optimizer)) == before


def test_warm_restarts_follow_t_cur_and_count_last_epoch_like_torch() -> None:
    """torch's SGDR computes the lr from T_cur; last_epoch only counts. Tools rely on
    it (ignite's wrapper sets T_cur, then last_epoch), so ours behaves the same."""
    runs = []
    for cls in (CosineAnnealingWarmRestarts, lr_scheduler.CosineAnnealingWarmRestarts):
        optimizer = sgd()
        scheduler = cls(optimizer, T_0=5, T_mult=2)
        quietly(lambda: [scheduler.step() for _ in range(3)])  # noqa: B023
        scheduler.last_epoch = 11
        quietly(scheduler.step)
        run = [(scheduler.last_epoch, scheduler.T_cur, scheduler.T_i, optimizer.param_groups[0]["lr"])]
        scheduler.T_cur = 1
        quietly(scheduler.step)
        run.append((scheduler.last_epoch, scheduler.T_cur, scheduler.T_i, optimizer.param_groups[0]["lr"]))
        runs.append(run)
    assert runs[0] == runs[1]


def test_setting_t_cur_refuses_the_extensions_torchs_formula_lacks() -> None:
    """ignite's wrapper computes torch's SGDR formula itself from T_cur: with decay,
    warm-up or a real T_mult it would apply other values, so setting T_cur refuses."""
    optimizer = sgd()
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=4, decay=0.5, warmup_steps=1)
    wrapper = ignite_ps.LRScheduler(scheduler)
    before = (scheduler.state_dict(), group_snapshot(optimizer))
    with pytest.raises(ValueError) as caught:
        wrapper(None)
    assert str(caught.value) == (
        "T_cur is set by tools that compute torch's SGDR formula themselves from T_cur and "
        "T_i (ignite's LRScheduler), which has no decay=0.5, warmup_steps=1: they would "
        "apply other values than this scheduler's. Step the scheduler instead (after each "
        "update, e.g. on ignite's Events.ITERATION_COMPLETED)"
    )
    assert (scheduler.state_dict(), group_snapshot(optimizer)) == before
    with pytest.raises(ValueError, match="T_mult=1.5"):
        CosineAnnealingWarmRestarts(sgd(), T_0=4, T_mult=1.5).T_cur = 1
    plain = CosineAnnealingWarmRestarts(sgd(), T_0=4)
    with pytest.raises(ValueError, match="T_cur must be a finite number >= 0"):
        plain.T_cur = -1
    assert plain.position == 0


# =========================================================================== ignite-style


def is_real_param_scheduler(handler: Any) -> bool:
    return isinstance(handler, ignite_ps.ParamScheduler)


@ignite_style
def test_ignite_style_handlers_are_real_param_schedulers(mirror: IgniteMirror) -> None:
    handler = mirror.build(sgd(), "ours")
    assert is_real_param_scheduler(handler) and isinstance(handler, mirror.ours)
    assert handler._state_attrs == list(handler.state_dict())


def engine_run(handler: Any, optimizer: Any, iterations: int, event: Any = None, epochs: int = 1) -> tuple[list[Any], dict[str, Any]]:
    """The lrs (every group) in force at each iteration of an ignite Engine, and the
    engine's param_history."""
    seen: list[Any] = []
    engine = Engine(lambda e, b: seen.append([g["lr"] for g in optimizer.param_groups]))
    engine.add_event_handler(Events.ITERATION_STARTED if event is None else event, handler)
    engine.run(range(iterations), max_epochs=epochs)
    return seen, getattr(engine.state, "param_history", None) or {}


def concat(entries: list[IgniteMirror], which: str, durations: list[int], optimizer: Any, **kwargs: Any) -> Any:
    return ignite_ps.ConcatScheduler(
        [m.build(optimizer, which) for m in entries], durations=durations, **kwargs
    )


def test_ignite_docs_examples_give_ignites_output() -> None:
    """ConcatScheduler's and ParamGroupScheduler's examples in ignite's docs, with
    ignite's classes and with ours."""
    outputs = []
    for ours in (True, False):
        cosine = CosineAnnealingScheduler if ours else ignite_ps.CosineAnnealingScheduler
        linear = LinearCyclicalScheduler if ours else ignite_ps.LinearCyclicalScheduler
        optimizer = sgd()
        combined = ignite_ps.ConcatScheduler(
            [linear(optimizer, "lr", 0.0, 1.0, 8), cosine(optimizer, "lr", 1.0, 0.2, 4)],
            durations=[4],
        )
        concatenated, _ = engine_run(combined, optimizer, 8)
        optimizer = sgd(2)
        grouped = ignite_ps.ParamGroupScheduler(
            [cosine(optimizer, "lr", 0.0, 1.0, 4, param_group_index=0),
             cosine(optimizer, "lr", 0.0, 0.1, 4, param_group_index=1)],
            names=["lr (base)", "lr (fc)"],
        )
        pairs, _ = engine_run(grouped, optimizer, 8)
        outputs.append((concatenated, pairs))
    assert outputs[0] == outputs[1]
    concatenated, pairs = outputs[0]
    assert [round(x, 4) for [x] in concatenated] == [0.0, 0.25, 0.5, 0.75, 1.0, 0.8828, 0.6, 0.3172]
    assert [[round(x, 4) for x in pair] for pair in pairs[:4]] == [
        [0.0, 0.0], [0.1464, 0.0146], [0.5, 0.05], [0.8536, 0.0854]
    ]


PAIRS = [(a, b) for a in IGNITE_STYLE for b in IGNITE_STYLE]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]} + {p[1]}")
@pytest.mark.parametrize("duration", [3, 7])
def test_concat_scheduler_gives_ignites_values(pair: tuple[IgniteMirror, IgniteMirror], duration: int) -> None:
    """In an Engine (values and param_history) and through simulate_values."""
    results = []
    for which in WHICH:
        optimizer = sgd(2)
        run = engine_run(concat(list(pair), which, [duration], optimizer, save_history=True), optimizer, 30)
        shared = sgd(2)
        simulated = ignite_ps.ConcatScheduler.simulate_values(
            30, schedulers=[m.build(shared, which) for m in pair], durations=[duration]
        )
        results.append((run, simulated))
    assert results[0] == results[1]


@pytest.mark.parametrize("pair", PAIRS[::3], ids=lambda p: f"{p[0]} + {p[1]}")
def test_param_group_scheduler_gives_ignites_values(pair: tuple[IgniteMirror, IgniteMirror]) -> None:
    """One handler per group: in an Engine, get_param(), state_dict() after the run."""
    results = []
    for which in WHICH:
        optimizer = sgd(2)
        grouped = ignite_ps.ParamGroupScheduler(
            [m.build(optimizer, which, param_group_index=i) for i, m in enumerate(pair)],
            save_history=True,
        )
        results.append((engine_run(grouped, optimizer, 25), grouped.get_param()))
    assert results[0] == results[1]


@pytest.mark.parametrize("pair", PAIRS[::3], ids=lambda p: f"{p[0]} + {p[1]}")
def test_param_group_simulate_values_lists_the_values_written(pair: tuple[IgniteMirror, IgniteMirror]) -> None:
    """ParamGroupScheduler.simulate_values lists get_param() before each call. ignite's
    own get_param() reads its state before the call's cycle bookkeeping, so at cycle
    ends and in warm-ups ignite's list shows values that are never written; ours is the
    value the next call writes, so ours lists what ignite's classes write."""
    written, listed = {}, {}
    for which in WHICH:
        optimizer = sgd(2)
        schedulers = [m.build(optimizer, which, param_group_index=i) for i, m in enumerate(pair)]
        listed[which] = ignite_ps.ParamGroupScheduler.simulate_values(25, schedulers)
        optimizer = sgd(2)
        grouped = ignite_ps.ParamGroupScheduler(
            [m.build(optimizer, which, param_group_index=i) for i, m in enumerate(pair)]
        )
        written[which] = [[i, *lrs] for i, lrs in enumerate(engine_run(grouped, optimizer, 25)[0])]
    assert listed["ours"] == written["reference"] == written["ours"]
    differ = [i for i, (a, b) in enumerate(zip(listed["reference"], written["reference"])) if a != b]
    assert all(listed["ours"][i] == listed["reference"][i] for i in range(25) if i not in differ)
    assert differ  # every pair here has a cycle end within 25 events


def warmup_run(mirror: IgniteMirror, which: str, end_value: Any, duration: int, events: int = 24) -> Any:
    """create_lr_scheduler_with_warmup around the handler: in an Engine, and its
    output_simulated_values."""
    optimizer = sgd()
    simulated: list[Any] = [None] * events
    handler = ignite_ps.create_lr_scheduler_with_warmup(
        mirror.build(optimizer, which), warmup_start_value=0.0, warmup_duration=duration,
        warmup_end_value=end_value, save_history=True, output_simulated_values=simulated,
    )
    return engine_run(handler, optimizer, events), simulated


@ignite_style
@pytest.mark.parametrize("end_value", [None, "start", 0.05])
@pytest.mark.parametrize("duration", [2, 5])
def test_create_lr_scheduler_with_warmup_gives_ignites_values(mirror: IgniteMirror, end_value: Any, duration: int) -> None:
    """warmup_end_value None (the optimizer's lr), equal to the handler's first value
    (ignite then shortens the ramp) or another value."""
    value = mirror.kwargs["start_value"] if end_value == "start" else end_value
    assert warmup_run(mirror, "ours", value, duration) == warmup_run(mirror, "reference", value, duration)


@pytest.mark.parametrize("pair", PAIRS[::5], ids=lambda p: f"{p[0]} + {p[1]}")
def test_plot_values_of_a_composite_draws_ignites_curve(pair: tuple[IgniteMirror, IgniteMirror]) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = []
    for which in WHICH:
        shared = sgd()
        plt.figure()
        lines = ignite_ps.ConcatScheduler.plot_values(
            num_events=20, schedulers=[m.build(shared, which) for m in pair], durations=[6]
        )
        curves.append([line.get_ydata().tolist() for line in lines])
        plt.close("all")
    assert curves[0] == curves[1]


def nested(which: str, optimizer: Any) -> Any:
    """A composite two levels deep: the warm-up helper (a ConcatScheduler of a
    ParamGroupScheduler and a handler) around a ConcatScheduler of two handlers."""
    inner = concat([IGNITE_STYLE[0], IGNITE_STYLE[3]], which, [7], optimizer)
    return ignite_ps.ConcatScheduler(
        [ignite_ps.create_lr_scheduler_with_warmup(
            IGNITE_STYLE[2].build(optimizer, which), warmup_start_value=0.0, warmup_duration=3
        ), inner],
        durations=[9],
    )


@pytest.mark.parametrize("saved_at", [2, 5, 13])
def test_nested_state_dicts_resume_a_composite_exactly(saved_at: int) -> None:
    """Saved through torch.save / torch.load(weights_only=True) and loaded into a
    composite built the same way, ours continues with ignite's uninterrupted values."""
    optimizer = sgd()
    reference, _ = engine_run(nested("reference", optimizer), optimizer, 30)
    optimizer = sgd()
    first = nested("ours", optimizer)
    seen, _ = engine_run(first, optimizer, saved_at)
    buffer = io.BytesIO()
    torch.save(first.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    optimizer = sgd()
    resumed = nested("ours", optimizer)
    resumed.load_state_dict(state)
    rest, _ = engine_run(resumed, optimizer, 30 - saved_at)
    assert seen + rest == reference


@ignite_style
def test_engine_attach_with_event_filters_gives_ignites_values(mirror: IgniteMirror) -> None:
    """attach() with a filtered event, and the warm-up helper on combined events (the
    recipe of ignite's docs: the ramp per iteration, then the handler per epoch)."""
    results = []
    for which in WHICH:
        optimizer = sgd()
        handler = mirror.build(optimizer, which)
        seen: list[Any] = []
        engine = Engine(lambda e, b: seen.append(optimizer.param_groups[0]["lr"]))  # noqa: B023
        handler.attach(engine, Events.ITERATION_STARTED(every=3) | Events.EPOCH_COMPLETED)
        engine.run(range(7), max_epochs=3)
        optimizer = sgd()
        warm = ignite_ps.create_lr_scheduler_with_warmup(
            mirror.build(optimizer, which), warmup_start_value=0.0, warmup_duration=5
        )
        combined = Events.ITERATION_STARTED(event_filter=lambda _, event: event <= 5)
        combined |= Events.EPOCH_STARTED(event_filter=lambda _, event: event > 1 + 5 / 8)
        results.append((seen, engine_run(warm, optimizer, 8, event=combined, epochs=6)))
    assert results[0] == results[1]


@ignite_style
def test_tools_for_torch_schedulers_refuse_them_as_they_refuse_ignites(mirror: IgniteMirror) -> None:
    """ignite's LRScheduler wrapper refuses both with its own TypeError; torch's
    SequentialLR fails on ignite's class with an AttributeError and on ours with a
    TypeError that says why and what to use."""
    for which in WHICH:
        with pytest.raises(TypeError, match="Argument lr_scheduler should be a subclass"):
            ignite_ps.LRScheduler(mirror.build(sgd(), which))
    optimizer = sgd()
    decay = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    with pytest.raises(AttributeError):
        lr_scheduler.SequentialLR(optimizer, [mirror.build(optimizer, "reference"), decay], [2])
    with pytest.raises(TypeError) as caught:
        lr_scheduler.SequentialLR(optimizer, [mirror.build(optimizer, "ours"), decay], [2])
    assert str(caught.value) == (
        f"{mirror.ours.__name__} is an ignite event handler, not a torch LRScheduler: torch's "
        "SequentialLR cannot drive it. Use ignite's ConcatScheduler, or "
        "CosineAnnealingWarmRestarts, the torch scheduler of the cosine family"
    )


# =========================================================================== Lightning


class Recorder(pl.Callback):
    """What every update used, read at the start of each training batch."""

    def __init__(self) -> None:
        self.used: list[Any] = []

    def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
        self.used.append(used(trainer.optimizers[0]))


class MemoryLogger(pl.loggers.Logger):
    """Lightning's Logger interface, keeping what is logged (LearningRateMonitor needs
    a logger; this one loses no bit)."""

    def __init__(self) -> None:
        super().__init__()
        self.logged: list[tuple[int | None, dict[str, Any]]] = []

    @property
    def name(self) -> str:
        return "memory"

    @property
    def version(self) -> int:
        return 0

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        self.logged.append((step, dict(metrics)))


class Tiny(pl.LightningModule):
    """A linear layer whose weight and bias are two parameter groups, trained with the
    registry's optimizer and scheduler, stepped per batch."""

    def __init__(self, mirror: Mirror, which: str) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Linear(3, 2)
        self.mirror, self.which = mirror, which
        self.lr = 0.1  # what LearningRateFinder(update_attr=True) sets

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self) -> Any:
        groups = [{"params": [self.net.weight]}, {"params": [self.net.bias]}]
        optimizer = getattr(torch.optim, self.mirror.optimizer)(
            groups, **OPTIMIZER_SETTINGS[self.mirror.optimizer]
        )
        scheduler = self.mirror.build(optimizer, self.which)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


OPTIMIZER_SETTINGS = {"SGD": dict(lr=0.1, momentum=0.9), "AdamW": dict(lr=0.1)}


def fit(mirror: Mirror, which: str, root: Any, steps: int, *, ckpt_path: Any = None, callbacks: tuple[Any, ...] = (), logger: Any = False) -> tuple[Any, Tiny, list[Any]]:
    recorder = Recorder()
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, max_steps=steps, logger=logger,
        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
        default_root_dir=root, callbacks=[recorder, *callbacks], log_every_n_steps=1,
    )
    # One batch repeated: Lightning restarts an epoch interrupted by a checkpoint, so with
    # distinct batches the weights would depend on its data resume, not on the schedule.
    generator = torch.Generator().manual_seed(1)
    batch = (torch.randn(4, 3, generator=generator), torch.randn(4, 2, generator=generator))
    loader = torch.utils.data.DataLoader([batch] * 6, batch_size=None)
    module = Tiny(mirror, which)
    trainer.fit(module, loader, ckpt_path=ckpt_path)
    return trainer, module, recorder.used


def weights(module: Any) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@torch_style
def test_lightning_fit_applies_the_references_values_and_resumes_bitwise(mirror: Mirror, tmp_path: Any) -> None:
    """configure_optimizers returns the scheduler with interval="step": every update
    uses what it uses with torch's class; stopped, checkpointed by Lightning and
    resumed in a new Trainer, the run continues bitwise."""
    _, ours, ours_used = fit(mirror, "ours", tmp_path, mirror.steps)
    _, reference, reference_used = fit(mirror, "reference", tmp_path, mirror.steps)
    assert agree(mirror, ours_used, reference_used) and len(ours_used) == mirror.steps
    assert agree(mirror, weights(ours), weights(reference))
    first, _, first_used = fit(mirror, "ours", tmp_path, 5)
    first.save_checkpoint(tmp_path / "five.ckpt")
    resumed_trainer, resumed, resumed_used = fit(mirror, "ours", tmp_path, mirror.steps, ckpt_path=tmp_path / "five.ckpt")
    assert first_used + resumed_used == ours_used
    assert same_weights(weights(resumed), weights(ours))
    assert resumed_trainer.lr_scheduler_configs[0].scheduler.last_epoch == mirror.steps


@torch_style
def test_learning_rate_monitor_logs_our_lr_and_momentum(mirror: Mirror, tmp_path: Any) -> None:
    """LearningRateMonitor(log_momentum=True) logs, per step, the lr and the momentum
    (or beta1) every group uses, as with torch's class."""
    logged = {}
    for which in WHICH:
        logger = MemoryLogger()
        monitor = pl.callbacks.LearningRateMonitor(logging_interval="step", log_momentum=True)
        _, _, seen = fit(mirror, which, tmp_path, 8, callbacks=(monitor,), logger=logger)
        logged[which] = [metrics for _, metrics in logger.logged if any("lr-" in k for k in metrics)]
        if which == "ours":
            name = f"lr-{mirror.optimizer}"
            assert [m[f"{name}/pg1-momentum"] for m in logged[which]] == [s[0][1] for s in seen]
            assert [m[f"{name}/pg2"] for m in logged[which]] == [s[1][0] for s in seen]
    assert agree(mirror, logged["ours"], logged["reference"]) and len(logged["ours"]) == 8


@pytest.mark.parametrize("mirror", TORCH_STYLE[::2], ids=str)
@pytest.mark.parametrize("update_attr", [False, True])
def test_learning_rate_finder_runs_with_our_scheduler_configured(mirror: Mirror, update_attr: bool, tmp_path: Any) -> None:
    """Lightning's LearningRateFinder callback swaps in its own scheduler for its search,
    then restores the checkpoint it took (our scheduler's state included): the training
    that follows is the one without the finder. With update_attr=True Lightning also
    writes its suggestion into the groups; the first update uses it, and our next
    step() says that it replaces it (torch's class replaces it silently)."""
    results = {}
    for which in WHICH:
        finder = pl.callbacks.LearningRateFinder(
            max_lr=0.5, num_training_steps=20, early_stop_threshold=None,
            update_attr=update_attr, attr_name="lr" if update_attr else "",
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _, module, seen = fit(mirror, which, tmp_path, 6, callbacks=(finder,))
        overrides = [w for w in caught if issubclass(w.category, ScheduleOverrideWarning)]
        results[which] = (
            seen, weights(module), finder.optimal_lr.results, len(overrides),
            finder.optimal_lr.suggestion(),
        )
    ours, reference = results["ours"], results["reference"]
    if update_attr and mirror.chainable_reference:
        # torch's LinearLR would go on from the suggestion (it multiplies the lr it
        # finds); ours replaces it at its next step(): the run without the finder.
        _, _, without_seen = fit(mirror, "ours", tmp_path, 6)
        assert ours[0][1:] == without_seen[1:]
        assert agree(mirror, ours[2], reference[2]) and reference[3] == 0
    else:
        assert agree(mirror, ours[:3], reference[:3]) and reference[3] == 0
    if update_attr:
        suggested = ours[4]
        assert suggested is not None and ours[0][0] == [(suggested, m) for _, m in ours[0][0]]
        assert ours[3] == 1
    else:
        _, without, without_seen = fit(mirror, "ours", tmp_path, 6)
        assert (ours[0], ours[3]) == (without_seen, 0) and same_weights(ours[1], weights(without))


class WithHandler(pl.LightningModule):
    """configure_optimizers returning an ignite-style handler as the lr scheduler."""

    def __init__(self, mirror: IgniteMirror, which: str) -> None:
        super().__init__()
        self.net = torch.nn.Linear(3, 2)
        self.mirror, self.which = mirror, which

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        return self.net(batch[0]).sum()

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        return {"optimizer": optimizer, "lr_scheduler": self.mirror.build(optimizer, self.which)}


@ignite_style
def test_lightning_refuses_them_as_it_refuses_ignites(mirror: IgniteMirror, tmp_path: Any) -> None:
    """Lightning drives torch LRSchedulers after each update; an ignite handler writes
    before the update it is for and nothing when built, so it is not one (ours or
    ignite's): Lightning says so, in the same words for both. CosineAnnealingWarmRestarts
    is the torch scheduler of the family."""
    messages = []
    for which in WHICH:
        trainer = pl.Trainer(
            accelerator="cpu", max_steps=2, logger=False, enable_progress_bar=False,
            enable_model_summary=False, enable_checkpointing=False, default_root_dir=tmp_path,
        )
        loader = torch.utils.data.DataLoader([(torch.ones(2, 3),)] * 2, batch_size=None)
        with pytest.raises(Exception) as caught:
            trainer.fit(WithHandler(mirror, which), loader)
        messages.append((type(caught.value).__name__, str(caught.value)))
    assert messages[0] == messages[1]
    assert messages[0][1].startswith(f"The provided lr scheduler `{mirror.ours.__name__}` doesn't follow PyTorch's LRScheduler API")


# --------------------------------------------------------------------------- state, get_lr


def test_get_lr_and_the_closed_form_follow_last_epoch_like_torchs_one_cycle() -> None:
    """What wrappers do: set last_epoch, call get_lr() (torch's OneCycleLR computes
    from last_epoch, momentum included)."""
    seen = []
    for cls in (OneCycleLR, lr_scheduler.OneCycleLR):
        optimizer = sgd(2)
        scheduler = cls(optimizer, max_lr=[0.1, 0.2], total_steps=12)
        scheduler.last_epoch = 7
        scheduler._get_lr_called_within_step = True  # as torch's step() and ignite do
        seen.append((scheduler.get_lr(), used(optimizer)))
        if cls is OneCycleLR:
            assert scheduler._get_closed_form_lr() == seen[0][0]
    assert seen[0][0] == seen[1][0] and [m for _, m in seen[0][1]] == [m for _, m in seen[1][1]]


def test_a_bad_in_force_entry_is_refused_before_anything_changes() -> None:
    optimizer = sgd()
    scheduler = OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    state = {**scheduler.state_dict(), "last_epoch": 3, "in_force": "yes"}
    before = (scheduler.state_dict(), group_snapshot(optimizer))
    with pytest.raises(TypeError, match=r"state_dict\['in_force'\] must be True or False"):
        scheduler.load_state_dict(state)
    assert (scheduler.state_dict(), group_snapshot(optimizer)) == before
    scheduler.load_state_dict({**state, "in_force": False})  # position only
    assert scheduler.last_epoch == 3 and (scheduler.state_dict(), group_snapshot(optimizer))[1] == before[1]
