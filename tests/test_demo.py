"""The demo end to end on a tiny budget: it writes its PNGs and CSVs, the table it prints
matches the CSV, and the 1cycle run really used the core's schedule."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from lr_one_cycle import one_cycle_schedule
from lr_one_cycle.demo import (
    BATCH_SIZE,
    STEPS_PER_EPOCH,
    DemoSettings,
    load_digits_data,
    run_demo,
)

FILES = ["curves.csv", "lr_find.png", "results.csv", "schedule.png", "training_curves.png"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    printed: list[str] = []
    settings = DemoSettings.check(steps=25, seeds=2, target=0.5, out=out, progress=False)
    runs = run_demo(settings, echo=printed.append)
    return out, runs, "\n".join(printed)


def test_writes_every_figure_and_csv(demo_run):
    out, _, printed = demo_run
    assert sorted(p.name for p in out.iterdir()) == FILES
    for name in FILES:
        if name.endswith(".png"):
            assert (out / name).read_bytes().startswith(b"\x89PNG")
    assert f"to {out}/" in printed


def test_results_csv_has_one_row_per_run_and_matches_the_table(demo_run):
    out, runs, printed = demo_run
    with (out / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(runs) == 2 * 3 * 2  # peaks x schedules x seeds
    assert {(r["peak"], r["schedule"]) for r in rows} == {
        (p, s) for p in ("suggested", "loss minimum") for s in ("1cycle", "constant", "cosine")
    }
    for row, run in zip(rows, runs):
        assert float(row["final_test_accuracy"]) == run.accuracy[-1]
        reached = run.steps_to(0.5)
        assert row["steps_to_target"] == ("" if reached is None else str(reached))
    assert "25 steps, 2 seeds" in printed
    assert printed.count("1cycle") == 2
    with (out / "curves.csv").open() as handle:
        assert sum(1 for _ in handle) == 1 + 2 * 3 * 25


def test_one_cycle_run_used_the_core_schedule_and_suggested_max_lr(demo_run):
    _, runs, printed = demo_run
    run = next(r for r in runs if r.schedule == "1cycle" and r.peak == "suggested")
    lr, momentum = one_cycle_schedule(np.arange(25), max_lr=run.max_lr, total_steps=25)
    np.testing.assert_array_equal(run.lr, lr)
    np.testing.assert_array_equal(run.momentum, momentum)
    assert f"suggested max_lr = {run.max_lr:.3g}" in printed
    minimum = next(r for r in runs if r.peak == "loss minimum")
    # the default rule reads the curve without its last 5 points (fastai's trim)
    assert minimum.max_lr >= 10 * run.max_lr
    constant = next(r for r in runs if r.schedule == "constant" and r.peak == "suggested")
    assert np.all(constant.lr == run.max_lr)


def test_seeds_share_initial_weights_and_batches_across_schedules(demo_run):
    """Same seed, same start: every schedule's first update uses the same batch from the
    same weights, so the runs differ only through the lr."""
    _, runs, _ = demo_run
    first = {(r.schedule, r.seed): r for r in runs if r.peak == "suggested"}
    assert first[("constant", 0)].accuracy[0] == first[("cosine", 0)].accuracy[0]


def test_steps_per_epoch_matches_the_split():
    data = load_digits_data()
    assert len(data.x_train) + len(data.x_test) == 1797
    assert len(data.x_train) // BATCH_SIZE == STEPS_PER_EPOCH


def test_epochs_budget_and_bad_settings():
    assert DemoSettings.check(epochs=2).steps == 2 * STEPS_PER_EPOCH
    assert DemoSettings.check().steps == 300
    with pytest.raises(ValueError, match=r"^give steps or epochs, not both"):
        DemoSettings.check(steps=10, epochs=1)
    with pytest.raises(ValueError, match=r"^threads must be a positive integer, got 0$"):
        DemoSettings.check(threads=0)


def test_cli_demo_runs_end_to_end(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lr_one_cycle",
            "demo",
            "--steps",
            "8",
            "--seeds",
            "2",
            "--out",
            str(tmp_path / "d"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "8 steps, 2 seeds" in done.stdout
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == FILES
