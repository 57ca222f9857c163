"""The command line: table values equal the core's, plot writes a PNG, and bad arguments
exit with status 2 and the core's own sentence."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lr_one_cycle import cosine_annealing_schedule, one_cycle_schedule, warm_restarts_schedule
from lr_one_cycle.__main__ import main


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_table_is_the_core_schedule_bitwise(capsys):
    code, out, _ = run_main(
        [
            "table",
            "--total-steps",
            "40",
            "--max-lr",
            "0.3",
            "--three-phase",
            "--anneal-strategy",
            "linear",
            "--pct-start",
            "0.25",
        ],
        capsys,
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    steps = np.arange(41)
    lr, momentum = one_cycle_schedule(
        steps,
        max_lr=0.3,
        total_steps=40,
        three_phase=True,
        anneal_strategy="linear",
        pct_start=0.25,
        exact=True,
    )
    assert [int(r["step"]) for r in rows] == steps.tolist()
    assert [float(r["lr"]) for r in rows] == lr.tolist()
    assert [float(r["momentum"]) for r in rows] == momentum.tolist()
    scalar = [
        one_cycle_schedule(
            int(k),
            max_lr=0.3,
            total_steps=40,
            three_phase=True,
            anneal_strategy="linear",
            pct_start=0.25,
        )[0]
        for k in steps
    ]
    assert [float(r["lr"]) for r in rows] == scalar


def test_whole_float_counts_are_accepted(capsys):
    code, out, _ = run_main(["table", "--total-steps", "10.0", "--max-lr", "1"], capsys)
    assert code == 0 and len(out.splitlines()) == 12


def test_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "s.png"
    code, out, _ = run_main(
        ["plot", "--total-steps", "100", "--max-lr", "0.01", "--out", str(path)], capsys
    )
    assert code == 0 and out.strip() == f"wrote {path}"
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["table", "--total-steps", "10.5", "--max-lr", "1"],
            "lr-one-cycle table: error: total_steps must be a positive integer, got 10.5",
        ),
        (
            ["table", "--total-steps", "0", "--max-lr", "1"],
            "lr-one-cycle table: error: total_steps must be a positive integer, got 0",
        ),
        (
            ["plot", "--total-steps", "10", "--max-lr", "-1"],
            "lr-one-cycle plot: error: max_lr must be a finite number >= 0, got -1",
        ),
        (
            ["table", "--total-steps", "10", "--max-lr", "1", "--pct-start", "1.5"],
            "lr-one-cycle table: error: pct_start must be a number in [0, 1], got 1.5",
        ),
        (
            ["table", "--total-steps", "10", "--max-lr", "1", "--max-momentum", "-2"],
            "lr-one-cycle table: error: max_momentum must be a finite number >= 0, got -2",
        ),
        (
            ["table", "--total-steps", "ten", "--max-lr", "1"],
            "argument --total-steps: invalid number value: 'ten'",
        ),
        (
            ["table", "--total-steps", "10", "--max-lr", "1", "--anneal-strategy", "exp"],
            "argument --anneal-strategy: invalid choice: 'exp'",
        ),
        (["table", "--max-lr", "1"], "the following arguments are required: --total-steps"),
        (
            ["demo", "--steps", "5", "--epochs", "1"],
            "argument --epochs: not allowed with argument --steps",
        ),
        ([], "the following arguments are required: {demo,plot,table}"),
        (["train"], "argument {demo,plot,table}: invalid choice: 'train'"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    code, out, err = run_main(argv, capsys)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_module_and_console_script_run(tmp_path):
    """``python -m lr_one_cycle`` and the installed ``lr-one-cycle`` script both work."""
    module = subprocess.run(
        [sys.executable, "-m", "lr_one_cycle", "table", "--total-steps", "3", "--max-lr", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert module.stdout.splitlines()[0] == "step,lr,momentum"
    script = Path(sys.executable).with_name("lr-one-cycle")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    done = subprocess.run(
        [str(script), "table", "--total-steps", "3.5", "--max-lr", "1"],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert done.returncode == 2
    assert "total_steps must be a positive integer, got 3.5" in done.stderr


@pytest.mark.parametrize(
    ("kind", "reference"),
    [
        (
            "cosine-annealing",
            lambda steps: cosine_annealing_schedule(
                steps, start_value=0.2, end_value=0.01, cycle_size=7, cycle_mult=2, exact=True
            ),
        ),
        (
            "warm-restarts",
            lambda steps: warm_restarts_schedule(
                steps, base_lr=0.2, T_0=7, T_mult=2, eta_min=0.01, exact=True
            ),
        ),
    ],
)
def test_cosine_family_tables_are_the_core_schedules(kind, reference, capsys):
    code, out, _ = run_main(
        [
            "table",
            "--schedule",
            kind,
            "--total-steps",
            "30",
            "--max-lr",
            "0.2",
            "--min-lr",
            "0.01",
            "--cycle-size",
            "7",
            "--cycle-mult",
            "2",
        ],
        capsys,
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["step", "lr"]
    assert [float(r["lr"]) for r in rows] == np.asarray(reference(np.arange(30))).tolist()


def test_cosine_family_plot_and_its_usage_errors(tmp_path, capsys):
    path = tmp_path / "c.png"
    argv = ["plot", "--schedule", "warm-restarts", "--total-steps", "40", "--max-lr", "0.1"]
    assert run_main([*argv, "--out", str(path)], capsys)[0] == 0
    assert path.read_bytes().startswith(b"\x89PNG")
    code, _, err = run_main(
        [
            "table",
            "--schedule",
            "cosine-annealing",
            "--total-steps",
            "9",
            "--max-lr",
            "0.1",
            "--cycle-size",
            "1",
        ],
        capsys,
    )
    assert code == 2
    assert "lr-one-cycle table: error: cycle_size must be an integer >= 2, got 1" in err
