"""``lr_one_cycle.integrations.r_bridge``: what the R package calls, tested from Python.

The R package's own tests (``r/tests/testthat``) and ``test_r_parity.py`` run it from
R; these pin the bridge's contract where Python can see it: public API only, errors
handed over as parts, a failing call changing nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from lr_one_cycle import (
    CosineAnnealingScheduler,
    CyclicLR,
    OneCycleLR,
    ScheduleOverrideWarning,
    SequentialLR,
    WarmupLR,
    cyclic_lr_schedule,
)
from lr_one_cycle.integrations import r_bridge

SOURCE = Path(r_bridge.__file__).read_text()


def groups(*lrs: float) -> list[dict[str, Any]]:
    return [{"lr": lr, "momentum": 0.9} for lr in lrs]


def test_importing_the_integrations_imports_no_torch() -> None:
    code = "import lr_one_cycle.integrations, sys; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_bridge_uses_only_public_names() -> None:
    """No private module is imported and no private attribute is read or written."""
    tree = ast.parse(SOURCE)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            module = node.module or ""
            assert not any(part.startswith("_") for part in module.split(".")), module
            assert not any(alias.name.startswith("_") for alias in node.names), module
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id != "self":  # the bridge's own Stepper keeps slots
                assert not node.attr.startswith("_") or node.attr.startswith("__"), node.attr


def test_attempt_hands_over_a_structured_error_as_parts() -> None:
    out = r_bridge.attempt(
        r_bridge.build, "lr_one_cycle", r_bridge.ROptimizer(groups(0.1, 0.2), None),
        {"max_lr": [0.01, "a"], "total_steps": 10},
    )
    assert set(out) == {"problem"}
    parts = out["problem"]
    assert parts["argument"] == ["max_lr", 1]
    assert parts["accepted"] == "a finite number >= 0"
    assert parts["python_type"] == "TypeError"
    assert parts["python_message"] == "max_lr[1] must be a finite number >= 0, got 'a' of type str"
    assert r_bridge.attempt(lambda x: x + 1, 1) == {"value": 2}


def test_attempt_lets_other_errors_through() -> None:
    optimizer = r_bridge.ROptimizer(groups(0.1), None)
    with pytest.raises(ValueError, match="the schedule length is missing"):
        r_bridge.attempt(r_bridge.build, "lr_one_cycle", optimizer, {"max_lr": 0.1})


def test_r_wording_of_param_group_index_counts_from_one() -> None:
    out = r_bridge.attempt(
        r_bridge.build, "lr_cosine_annealing_scheduler",
        r_bridge.ROptimizer(groups(0.1, 0.2), None),
        {"param_name": "lr", "start_value": 1, "end_value": 0, "cycle_size": 4,
         "param_group_index": 2},
    )
    parts = out["problem"]
    assert parts["accepted"] == (
        "NULL or a group index in 1..2 (the optimizer has 2 parameter groups)"
    )
    assert parts["python_message"] == (
        "param_group_index must be None or a group index in 0..1 (the optimizer has 2 "
        "parameter groups), got 2"
    )


def test_build_checks_verbose_and_leaves_the_reporting_to_r(capsys: pytest.CaptureFixture[str]) -> None:
    optimizer = r_bridge.ROptimizer(groups(0.1), None)
    scheduler, verbose = r_bridge.build("lr_one_cycle", optimizer, {"max_lr": 0.1, "total_steps": 10,
                                                                    "verbose": True})
    assert verbose is True
    scheduler.step()
    assert capsys.readouterr().out == ""
    out = r_bridge.attempt(r_bridge.build, "lr_one_cycle", optimizer,
                           {"max_lr": 0.1, "total_steps": 10, "verbose": "yes"})
    assert out["problem"]["argument"] == ["verbose"]


def test_the_stand_in_is_named_after_the_r_class() -> None:
    optimizer = r_bridge.r_optimizer(groups(0.1), None, "optim_sgd")
    assert type(optimizer).__name__ == "optim_sgd"
    assert isinstance(optimizer, r_bridge.ROptimizer)
    with pytest.raises(TypeError, match="got environment$"):
        OneCycleLR(r_bridge.r_optimizer(None, None, "environment"), max_lr=0.1, total_steps=5)


def test_window_gives_the_values_stepping_writes() -> None:
    stand_in = r_bridge.ROptimizer(groups(0.1, 0.2), {"momentum": 0.9})
    scheduler = OneCycleLR(stand_in, max_lr=[0.01, 0.02], total_steps=9)
    lrs, momentums = r_bridge.window(scheduler, 1, 100)
    assert len(lrs) == 2 * 9 and len(momentums) == 2 * 9  # steps 1..9, clipped
    reference = OneCycleLR(r_bridge.ROptimizer(groups(0.1, 0.2), {"momentum": 0.9}),
                           max_lr=[0.01, 0.02], total_steps=9)
    written: list[float] = []
    for _ in range(9):
        reference.step()
        written += [g["lr"] for g in reference.optimizer.param_groups]
    assert lrs == written
    r_bridge.move_to(scheduler, 9)
    with pytest.raises(ValueError, match="step\\(\\) beyond the end of the schedule"):
        r_bridge.window(scheduler, 10, 100)
    assert scheduler.last_epoch == 9


def test_step_with_groups_raises_the_schedulers_error_and_changes_nothing() -> None:
    stand_in = r_bridge.ROptimizer(groups(0.1), None)
    scheduler = OneCycleLR(stand_in, max_lr=0.01, total_steps=10)
    scheduler.step()
    state, kept = scheduler.state_dict(), stand_in.param_groups
    with pytest.raises(ValueError, match="has 2 parameter groups but the schedule was built for 1"):
        r_bridge.step_with_groups(scheduler, groups(0.1, 0.1), 2)
    assert scheduler.state_dict() == state
    assert stand_in.param_groups is kept

    ignite = CosineAnnealingScheduler(r_bridge.ROptimizer(groups(0.1, 0.2), None), "lr", 1.0, 0.0,
                                      4, param_group_index=1)
    with pytest.raises(ValueError, match="param_group_index must be a group index in 0..0"):
        r_bridge.step_with_groups(ignite, groups(0.1), 0)


def test_the_stepper_steps_and_reports_failures_without_raising() -> None:
    scheduler = OneCycleLR(r_bridge.ROptimizer(groups(0.1), None), max_lr=0.01, total_steps=2,
                           cycle_momentum=False)
    reports: list[tuple[str, str, Any]] = []
    stepper = r_bridge.Stepper(scheduler, lambda *report: reports.append(report))
    stepper.step = None
    stepper.step = None
    assert scheduler.last_epoch == 2 and reports == []
    stepper.step = None
    assert scheduler.last_epoch == 2
    assert reports == [("ValueError", reports[0][1], None)]
    assert reports[0][1].startswith("step() beyond the end of the schedule")
    with pytest.raises(AttributeError, match="only 'step'"):
        stepper.other = 1


def test_schedule_tables_are_flat_columns_step_after_step() -> None:
    table = r_bridge.one_cycle_table(None, True, max_lr=[0.01, 0.1], total_steps=4)
    assert table["step"] == [0, 1, 2, 3]
    assert table["groups"] == 2
    assert len(table["lr"]) == 8
    single = r_bridge.one_cycle_table([0, 1, 2, 3], True, max_lr=0.1, total_steps=4)
    assert single["lr"] == table["lr"][1::2]
    assert r_bridge.warm_restarts_table(1.5, True, base_lr=1.0, T_0=2)["step"] == [1.5]


def test_the_composed_schedulers_are_built_by_their_r_names() -> None:
    stand_in = r_bridge.ROptimizer(groups(0.1, 0.2), {"momentum": 0.9})
    one_cycle, _ = r_bridge.build("lr_one_cycle", stand_in, {"max_lr": 0.1, "total_steps": 10})
    cyclic, _ = r_bridge.build("lr_cyclic", stand_in, {"base_lr": 0.01, "max_lr": 0.1})
    sequence, verbose = r_bridge.build(
        "lr_sequential", stand_in, {"schedulers": [one_cycle, cyclic], "milestones": [10.0],
                                    "verbose": True},
    )
    assert isinstance(sequence, SequentialLR) and verbose is True and not sequence.verbose
    assert r_bridge.describe(sequence)["momentum_key"] == "momentum"
    wsd, _ = r_bridge.build("lr_warmup_stable_decay", stand_in, {
        "peak_lr": 0.1, "warmup_steps": 2.0, "stable_steps": 2.0, "decay_steps": 2.0})
    warm, _ = r_bridge.build("lr_warmup", stand_in, {"scheduler": wsd, "warmup_steps": 3.0})
    assert isinstance(warm, WarmupLR) and warm.total_steps == 9
    assert r_bridge.describe(wsd)["momentum_key"] is None


def test_parts_sharing_a_stand_in_step_it_without_override_warnings() -> None:
    """Schedulers built on one R optimizer share its stand-in, so each finds there what
    another wrote; R holds the values, so the bridge's steps do not warn about it."""
    stand_in = r_bridge.ROptimizer(groups(0.1), {"momentum": 0.9})
    first = OneCycleLR(stand_in, max_lr=0.1, total_steps=10)
    second = CyclicLR(stand_in, base_lr=0.01, max_lr=0.1, step_size_up=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r_bridge.move_to(first, 4)
        r_bridge.move_to(second, 7)
        r_bridge.move_to(first, 5)
    assert (first.last_epoch, second.last_epoch) == (5, 7)
    with pytest.warns(ScheduleOverrideWarning):
        second.step()  # outside the bridge, a step still warns


def test_a_sequence_state_that_went_through_r_loads_its_parts_lists_restored() -> None:
    """R makes one-element lists scalars at every depth (the parts' states inside a
    sequence's): load_state restores them where the scheduler's own state has lists."""
    def sequence() -> SequentialLR:
        stand_in = r_bridge.ROptimizer(groups(0.1), {"momentum": 0.9})
        parts = [OneCycleLR(stand_in, max_lr=0.1, total_steps=10),
                 CyclicLR(stand_in, base_lr=0.01, max_lr=0.1, step_size_up=3)]
        return SequentialLR(stand_in, parts, milestones=[10])

    first = sequence()
    for _ in range(13):
        first.step()
    state = first.state_dict()

    def through_r(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: through_r(item) for key, item in value.items()}
        if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], (dict, list)):
            return value[0]
        return [through_r(item) for item in value] if isinstance(value, list) else value

    squashed = through_r(state)
    assert squashed["schedulers"][0]["max_lrs"] == 0.1 and squashed["milestones"] == 10
    second = sequence()
    r_bridge.load_state(second, squashed)
    assert second.state_dict() == state


def test_the_new_schedule_tables_default_to_the_run_or_two_cycles() -> None:
    cyclic = r_bridge.cyclic_lr_table(None, True, base_lr=0.0, max_lr=1.0, step_size_up=2,
                                      step_size_down=1.5)
    assert cyclic["step"] == list(range(8))  # 0 .. 2 * 3.5
    lr, momentum = cyclic_lr_schedule(list(range(8)), base_lr=0.0, max_lr=1.0, step_size_up=2,
                                      step_size_down=1.5, exact=True)
    assert cyclic["lr"] == lr.tolist() and cyclic["momentum"] == momentum.tolist()
    wsd = r_bridge.warmup_stable_decay_table(None, True, peak_lr=[1.0, 2.0], warmup_steps=2,
                                             stable_steps=1, decay_steps=2)
    assert wsd["step"] == [0, 1, 2, 3, 4] and wsd["groups"] == 2 and wsd["momentum"] is None
    cosine = r_bridge.warmup_cosine_table(None, True, peak_lr=1.0, warmup_steps=2.0,
                                          total_steps=6.0)
    assert cosine["step"] == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="warmup_steps must be an integer in 0..5"):
        r_bridge.warmup_cosine_table(None, True, peak_lr=1.0, warmup_steps=6, total_steps=6)
