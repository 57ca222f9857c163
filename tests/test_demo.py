"""The demo (``demo/``, beside the library): end to end on a tiny budget (the files it
writes agree with each other and with the runs), tuning never sees the test set, the
schedules it trains with are the library's, MNIST-1D is built without a download, the
command line's usage errors exit 2, and the README's results are the committed CSVs'."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import lr_one_cycle
from demo import readme
from demo.__main__ import main
from demo.data import load_digits, load_mnist1d, validation_split
from demo.experiment import Settings, accuracy, run_experiment, train
from demo.report import FIGURES, accuracy_table, read_csv, readme_block, rules_table
from demo.schedules import BY_NAME, SCHEDULES, default_schedules, restart_period
from lr_one_cycle import one_cycle_schedule, warm_restarts_schedule

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted([*FIGURES, "readme.md", "report.md", "results.csv", "suggestions.csv", "tuning.csv"])
TINY = ["--quick", "--budgets", "30,60", "--seeds", "2", "--tune-steps", "30", "--no-progress"]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main([*TINY, "--out", str(out)]) == 0
    return out


def test_writes_every_figure_csv_and_report(demo_out, capsys):
    assert sorted(p.name for p in demo_out.iterdir()) == FILES
    for name in FIGURES:
        assert (demo_out / name).read_bytes().startswith(b"\x89PNG")
    report = (demo_out / "report.md").read_text()
    for name in FIGURES:
        assert f"]({name})" in report


def test_results_csv_has_every_run_at_its_tuned_lr(demo_out):
    rows = read_csv(demo_out / "results.csv")
    tuning = read_csv(demo_out / "tuning.csv")
    schedules = default_schedules()
    assert [(r["schedule"], r["budget"], r["seed"]) for r in rows] == [
        (s, b, seed) for s in schedules for b in ("30", "60") for seed in ("0", "1")
    ]
    assert {r["dataset"] for r in rows} == {"digits"}
    for schedule in schedules:
        trials = [t for t in tuning if t["schedule"] == schedule]
        assert len(trials) == 6 and [t["steps"] for t in trials] == ["30"] * 6
        best = max(trials, key=lambda t: float(t["val_accuracy"]))  # first best on a tie
        assert [t["chosen"] for t in trials] == ["1" if t is best else "0" for t in trials]
        assert {r["peak_lr"] for r in rows if r["schedule"] == schedule} == {best["peak_lr"]}
    for r in rows:
        reached = r["steps_to_target"]
        if float(r["test_accuracy"]) >= float(r["target"]):
            assert reached and int(reached) <= int(r["budget"])
        if reached:
            assert int(reached) % 10 == 0 or int(reached) == int(r["budget"])


def test_report_and_readme_tables_are_rendered_from_the_csv_files(demo_out):
    rows = read_csv(demo_out / "results.csv")
    tuning = read_csv(demo_out / "tuning.csv")
    suggestions = read_csv(demo_out / "suggestions.csv")
    report = (demo_out / "report.md").read_text()
    assert accuracy_table(rows) in report
    assert rules_table(suggestions, tuning) in report
    assert (demo_out / "readme.md").read_text() == readme_block(
        demo_out, "accuracy_vs_budget.png"
    ) + "\n"
    # one table cell recomputed by hand from the rows
    accs = [
        float(r["test_accuracy"]) for r in rows if r["schedule"] == "1cycle" and r["budget"] == "60"
    ]
    mean, sd = 100 * np.mean(accs), 100 * np.std(accs, ddof=1)
    assert f"| `1cycle` | {float(rows[0]['peak_lr']):.3g} |" in report
    assert f"{mean:.1f} ± {sd:.1f} |" in accuracy_table(rows).splitlines()[2]


def test_suggestions_csv_has_every_rule_on_every_range_test(demo_out):
    rows = read_csv(demo_out / "suggestions.csv")
    assert {(r["sweep"], r["seed"]) for r in rows} == {
        (sweep, seed) for sweep in ("default", "fine") for seed in ("1000", "1001")
    }
    assert [r["rule"] for r in rows[:4]] == list(lr_one_cycle.range_test.SUGGESTION_RULES)


def tiny_settings() -> Settings:
    return Settings(
        budgets=(12,),
        seeds=1,
        schedules=("1cycle", "constant"),
        quick=True,
        progress=False,
        tune_steps=12,
        grid_size=3,
        range_seeds=1,
        eval_every=6,
        jobs=1,
    )


def test_tuning_never_touches_the_test_set():
    """With the test set replaced by noise, the range tests, the tuning and the tuned lrs
    are bitwise the same; only the test accuracies change."""
    data = load_digits()
    generator = torch.Generator().manual_seed(0)
    noise = replace(
        data,
        x_test=torch.rand(data.x_test.shape, generator=generator),
        y_test=torch.randint(0, 10, data.y_test.shape, generator=generator),
    )
    clean, noisy = run_experiment(tiny_settings(), data), run_experiment(tiny_settings(), noise)
    assert noisy.trials == clean.trials
    assert noisy.tuned == clean.tuned
    for a, b in zip(clean.range_tests, noisy.range_tests, strict=True):
        np.testing.assert_array_equal(a.result.raw_losses, b.result.raw_losses)
    assert [r.accuracy for r in noisy.runs] != [r.accuracy for r in clean.runs]
    split = validation_split(data)
    assert not hasattr(split, "x_test")
    assert len(split.y_train) + len(split.y_val) == len(data.y_train)


def test_every_schedule_trains_with_the_librarys_values():
    """The lr of every update is the library's (or torch's) schedule, bitwise."""
    data = load_digits()
    peak, steps = 0.05, 40

    def lrs_of(name):
        lrs, _, _ = train(
            data, data.x_train, data.y_train, name, peak, steps, 0, lambda m: 0.0, steps
        )
        return lrs

    lr, _ = one_cycle_schedule(np.arange(steps), max_lr=peak, total_steps=steps, exact=True)
    np.testing.assert_array_equal(lrs_of("1cycle"), lr)
    np.testing.assert_array_equal(
        lrs_of("warm-restarts"),
        warm_restarts_schedule(
            np.arange(steps), base_lr=peak, T_0=restart_period(steps), T_mult=2, exact=True
        ),
    )
    np.testing.assert_array_equal(lrs_of("constant"), np.full(steps, peak))
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=peak)
    torch_cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    expected = []
    for _ in range(steps):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        torch_cosine.step()
    np.testing.assert_array_equal(lrs_of("cosine"), expected)
    built = BY_NAME["1cycle"].build(
        torch.optim.SGD(data.make_model().parameters(), lr=peak), peak, 10
    )
    assert isinstance(built, lr_one_cycle.OneCycleLR)
    built = BY_NAME["warm-restarts"].build(
        torch.optim.SGD(data.make_model().parameters(), lr=peak), peak, 10
    )
    assert isinstance(built, lr_one_cycle.CosineAnnealingWarmRestarts)


def test_worker_processes_give_the_same_numbers_as_one_process():
    data = load_digits()
    one = run_experiment(tiny_settings(), data)
    two = run_experiment(replace(tiny_settings(), jobs=2), data)
    assert two.trials == one.trials and two.tuned == one.tuned
    for a, b in zip(one.runs, two.runs, strict=True):
        assert (a.schedule, a.budget, a.seed, a.peak_lr) == (
            b.schedule,
            b.budget,
            b.seed,
            b.peak_lr,
        )
        np.testing.assert_array_equal(a.lrs, b.lrs)
        np.testing.assert_array_equal(a.eval_accuracy, b.eval_accuracy)


@pytest.mark.parametrize("name", ["warmup-cosine", "wsd"])
def test_schedules_from_a_newer_library_are_used_when_present(name):
    """warmup-cosine and WSD come from lr_one_cycle functions another change adds: used
    (with the function's own values) when present, silently left out otherwise."""
    schedule = BY_NAME[name]
    if not hasattr(lr_one_cycle, schedule.requires):
        assert name not in default_schedules()
        pytest.skip(f"lr_one_cycle.{schedule.requires} is not there yet")
    assert name in default_schedules()
    data = load_digits()
    lrs, _, _ = train(data, data.x_train, data.y_train, name, 0.05, 40, 0, lambda m: 0.0, 40)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    written = schedule.build(optimizer, 0.05, 40)
    np.testing.assert_array_equal(lrs, written.lrs)
    assert lrs.max() == pytest.approx(0.05) and lrs[0] < lrs.max()


def test_default_schedules_are_those_the_library_has(monkeypatch):
    for schedule in SCHEDULES:
        if schedule.requires:
            monkeypatch.delattr(lr_one_cycle, schedule.requires, raising=False)
    assert default_schedules() == ["1cycle", "constant", "cosine", "warm-restarts"]


def test_seeds_share_initial_weights_and_batches_across_schedules():
    data = load_digits()
    ones = [
        train(
            data,
            data.x_train,
            data.y_train,
            name,
            0.05,
            1,
            3,
            lambda m: accuracy(m, data.x_test, data.y_test),
            1,
        )
        for name in ("constant", "cosine", "warm-restarts")
    ]
    assert len({float(scores[-1]) for _, _, scores in ones}) == 1


def test_mnist1d_is_built_locally_without_touching_the_global_rngs(monkeypatch):
    import random

    import mnist1d.data
    import requests

    def no_download(*args, **kwargs):
        raise AssertionError("the demo must not download MNIST-1D")

    monkeypatch.setattr(requests, "get", no_download)
    monkeypatch.setattr(mnist1d.data, "get_dataset", no_download)
    random.seed(1)
    np.random.seed(1)
    expected = (random.random(), np.random.rand())
    random.seed(1)
    np.random.seed(1)
    data = load_mnist1d()
    assert (random.random(), np.random.rand()) == expected
    assert tuple(data.x_train.shape) == (4000, 1, 40) and tuple(data.x_test.shape) == (1000, 1, 40)
    assert data.x_train.dtype == torch.float32 and sorted(data.y_train.unique().tolist()) == list(
        range(10)
    )
    assert data.make_model()(data.x_test[:3]).shape == (3, 10)
    assert data.target == 0.94 and data.references["human expert"] == 0.96


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--budgets", "0"],
            "argument --budgets: expected positive integers separated by commas (e.g. 250,500), got '0'",
        ),
        (
            ["--budgets", "250,x"],
            "argument --budgets: expected positive integers separated by commas (e.g. 250,500), got '250,x'",
        ),
        (["--seeds", "0"], "argument --seeds: expected a positive integer, got '0'"),
        (["--seeds", "2.5"], "argument --seeds: expected a positive integer, got '2.5'"),
        (["--threads", "0"], "argument --threads: expected a positive integer, got '0'"),
        (["--jobs", "-1"], "argument --jobs: expected a positive integer, got '-1'"),
        (
            ["--schedules", "1cycle,step"],
            "argument --schedules: unknown schedule 'step'; choose from 1cycle, constant, cosine, warm-restarts, warmup-cosine, wsd",
        ),
        (
            ["--schedules", ","],
            "argument --schedules: expected schedule names separated by commas, got ','",
        ),
        (["--epochs", "3"], "unrecognized arguments: --epochs 3"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"python -m demo: error: {message}\n")


def test_a_schedule_the_library_lacks_is_refused_by_name(monkeypatch, capsys):
    monkeypatch.delattr(lr_one_cycle, "warmup_stable_decay_schedule", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["--schedules", "wsd"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "python -m demo: error: argument --schedules: schedule 'wsd' needs "
        "lr_one_cycle.warmup_stable_decay_schedule, which this lr_one_cycle lacks\n"
    )


def test_an_output_path_that_is_a_file_is_refused_before_anything_runs(tmp_path, capsys):
    path = tmp_path / "taken"
    path.write_text("x")
    with pytest.raises(SystemExit) as exited:
        main(["--quick", "--out", str(path)])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"python -m demo: error: argument --out: {path} exists and is not a folder\n"
    )
    assert path.read_text() == "x"


def test_a_usage_error_is_one_line_on_stderr_from_a_real_process():
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--seeds", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "python -m demo: error: argument --seeds: expected a positive integer, got '0'\n",
    )


def test_runs_as_a_module_from_the_repository_and_is_not_in_the_library():
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.startswith("usage: python -m demo")
    for option in ("--budgets", "--seeds", "--schedules", "--out", "--threads", "--quick"):
        assert option in done.stdout
    code = "import sys, lr_one_cycle, lr_one_cycle.__main__; print(any(m == 'demo' or m.startswith('demo.') or m == 'lr_one_cycle.demo' for m in sys.modules))"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )
    assert not (ROOT / "lr_one_cycle" / "demo.py").exists()


def test_the_readme_shows_the_committed_csvs_numbers():
    """README.md's demo block is exactly what python -m demo.readme renders from the
    CSV files committed in docs/demo/ (so no number in it was typed by hand)."""
    text = (ROOT / "README.md").read_text()
    assert readme.readme_section(text) == readme.committed_block()
    rows = read_csv(ROOT / "docs/demo/results.csv")
    assert {r["dataset"] for r in rows} == {"MNIST-1D"}
    assert (ROOT / "docs/demo/accuracy_vs_budget.png").read_bytes().startswith(b"\x89PNG")
    with (ROOT / "docs/demo/results.csv").open() as handle:
        assert next(csv.reader(handle)) == [
            "dataset",
            "schedule",
            "budget",
            "seed",
            "peak_lr",
            "test_accuracy",
            "target",
            "steps_to_target",
        ]
    assert all(math.isfinite(float(r["test_accuracy"])) for r in rows)


def test_the_readmes_words_on_the_results_agree_with_the_committed_csv():
    """The sentences under "What this says" are written by hand: each claim they make
    is checked here against docs/demo/results.csv."""
    import statistics

    rows = read_csv(ROOT / "docs/demo/results.csv")
    mean: dict[tuple[str, int], float] = {}
    for schedule, budget in {(r["schedule"], int(r["budget"])) for r in rows}:
        runs = [float(r["test_accuracy"]) for r in rows
                if r["schedule"] == schedule and int(r["budget"]) == budget]
        mean[schedule, budget] = 100 * statistics.mean(runs)
    schedules = {s for s, _ in mean}
    best = {b: max(schedules, key=lambda s: mean[s, b]) for _, b in mean}
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    said = text[text.index("What this says:"):]
    # "At 1 000 steps 1cycle has the best mean test accuracy (95.2 %)"
    assert best[1000] == "1cycle" and f"({mean['1cycle', 1000]:.1f} %)" in said
    # "at 2 000 steps warmup-stable-decay edges ahead (95.7 % against 95.3 %)"
    assert best[2000] == "wsd"
    assert f"({mean['wsd', 2000]:.1f} % against {mean['1cycle', 2000]:.1f} %)" in said
    # "Cosine annealing, warm restarts and WSD also reach 94 % on average with a 1 000-step budget"
    assert all(mean[s, 1000] >= 94.0 for s in ("cosine", "warm-restarts", "wsd", "1cycle"))
    # "within a run cosine crosses 94 % first"
    reached = [(int(r["steps_to_target"]), r["schedule"]) for r in rows if r["steps_to_target"]]
    assert min(reached)[1] == "cosine"
    # "A constant lr falls short of 94 % at every budget, on average; linear warm-up +
    # cosine gets there only with the 2 000-step budget"
    budgets = sorted({b for _, b in mean})
    assert all(mean["constant", b] < 94.0 for b in budgets)
    assert [b for b in budgets if mean["warmup-cosine", b] >= 94.0] == [2000]
