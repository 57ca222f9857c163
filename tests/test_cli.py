"""The command line: table values equal the core's, bitwise, however they are chunked;
``table`` streams any length in constant memory and stops quietly when its reader does;
``plot`` writes the file it names (or ``schedule.png`` in a folder) and draws a bounded
number of points; every user error exits with status 2 and one line on stderr.

Exit codes and streams are checked on real processes (``python -m lr_one_cycle``); the
values, where only the numbers matter, by calling ``main`` in this process.
"""

from __future__ import annotations

import concurrent.futures
import csv
import errno
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lr_one_cycle import (
    cli,
    cosine_annealing_schedule,
    cyclic_lr_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
    warmup_cosine_schedule,
    warmup_stable_decay_schedule,
)
from lr_one_cycle.cli import main

ONE_CYCLE_TAKES = (
    "--pct-start, --anneal-strategy, --div-factor, --final-div-factor, --three-phase, "
    "--base-momentum, --max-momentum"
)


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(argv: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lr_one_cycle", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


# --------------------------------------------------------------------------- values


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


COSINE_REFERENCES: dict[str, Callable[[np.ndarray], Any]] = {
    "cosine-annealing": lambda steps: cosine_annealing_schedule(
        steps, start_value=0.2, end_value=0.01, cycle_size=7, cycle_mult=2, exact=True
    ),
    "warm-restarts": lambda steps: warm_restarts_schedule(
        steps, base_lr=0.2, T_0=7, T_mult=2, eta_min=0.01, exact=True
    ),
}
COSINE_ARGS = ["--max-lr", "0.2", "--min-lr", "0.01", "--cycle-size", "7", "--cycle-mult", "2"]


@pytest.mark.parametrize("kind", COSINE_REFERENCES)
def test_cosine_family_tables_are_the_core_schedules(kind, capsys):
    code, out, _ = run_main(
        ["table", "--schedule", kind, "--total-steps", "30", *COSINE_ARGS], capsys
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["step", "lr"]
    assert [float(r["lr"]) for r in rows] == np.asarray(
        COSINE_REFERENCES[kind](np.arange(30))
    ).tolist()


# Issue 11's schedules: argv after --schedule, and the core's exact values of steps 0..N-1.
COMPOSED: dict[str, tuple[list[str], Callable[[np.ndarray], Any]]] = {
    "cyclic": (
        [
            "--total-steps",
            "40",
            "--max-lr",
            "0.3",
            "--base-lr",
            "0.01",
            "--step-size-up",
            "4",
            "--step-size-down",
            "6",
            "--mode",
            "triangular2",
        ],
        lambda steps: cyclic_lr_schedule(
            steps,
            base_lr=0.01,
            max_lr=0.3,
            step_size_up=4,
            step_size_down=6,
            mode="triangular2",
            exact=True,
        ),
    ),
    "warmup-stable-decay": (
        [
            "--total-steps",
            "40",
            "--max-lr",
            "0.3",
            "--warmup-steps",
            "5",
            "--decay-steps",
            "10",
            "--decay-shape",
            "1-sqrt",
            "--min-lr",
            "0.001",
        ],
        lambda steps: warmup_stable_decay_schedule(
            steps,
            peak_lr=0.3,
            warmup_steps=5,
            stable_steps=25,
            decay_steps=10,
            min_lr=0.001,
            decay="1-sqrt",
            exact=True,
        ),
    ),
    "warmup-cosine": (
        ["--total-steps", "40", "--max-lr", "0.3", "--warmup-steps", "5", "--min-lr", "0.001"],
        lambda steps: warmup_cosine_schedule(
            steps, peak_lr=0.3, warmup_steps=5, total_steps=40, min_lr=0.001, exact=True
        ),
    ),
}


@pytest.mark.parametrize("kind", COMPOSED)
def test_composed_schedules_tables_are_the_core_schedules_chunked_or_not(kind, capsys, monkeypatch):
    args, reference = COMPOSED[kind]
    whole = run_main(["table", "--schedule", kind, *args], capsys)
    monkeypatch.setattr(cli, "TABLE_CHUNK", 7)
    assert run_main(["table", "--schedule", kind, *args], capsys) == whole
    code, out, _ = whole
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    fixed_length = kind != "cyclic"  # step total_steps holds the final value
    steps = np.arange(41 if fixed_length else 40)
    expected = reference(steps)
    columns = expected if isinstance(expected, tuple) else (expected,)
    assert rows[0] == ["step", "lr", "momentum"][: 1 + len(columns)]
    assert [int(r[0]) for r in rows[1:]] == steps.tolist()
    for i, column in enumerate(columns, start=1):
        assert [float(r[i]) for r in rows[1:]] == np.asarray(column).tolist()


@pytest.mark.parametrize("kind", ["one-cycle", *COSINE_REFERENCES])
def test_table_chunks_join_into_the_whole_schedule_bitwise(kind, capsys, monkeypatch):
    """Rows computed 7 at a time (a chunk boundary inside every cycle) are the rows of
    the whole table computed at once, and the scalar path's values."""
    argv = ["table", "--schedule", kind, "--total-steps", "45"]
    argv += ["--max-lr", "0.3"] if kind == "one-cycle" else COSINE_ARGS
    whole = run_main(argv, capsys)
    monkeypatch.setattr(cli, "TABLE_CHUNK", 7)
    chunked = run_main(argv, capsys)
    assert chunked == whole and whole[0] == 0
    rows = list(csv.reader(io.StringIO(whole[1])))[1:]
    assert [int(r[0]) for r in rows] == list(range(46 if kind == "one-cycle" else 45))
    if kind == "one-cycle":
        scalar = [one_cycle_schedule(k, max_lr=0.3, total_steps=45) for k in range(46)]
        assert [(float(r[1]), float(r[2])) for r in rows] == scalar
    else:
        exact = np.asarray(COSINE_REFERENCES[kind](np.arange(45))).tolist()
        assert [float(r[1]) for r in rows] == exact


def test_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "s.png"
    code, out, _ = run_main(
        ["plot", "--total-steps", "100", "--max-lr", "0.01", "--out", str(path)], capsys
    )
    assert code == 0 and out.strip() == f"wrote {path}"
    assert path.read_bytes().startswith(b"\x89PNG")


def test_cosine_family_plot(tmp_path, capsys):
    path = tmp_path / "c.png"
    argv = ["plot", "--schedule", "warm-restarts", "--total-steps", "40", "--max-lr", "0.1"]
    assert run_main([*argv, "--out", str(path)], capsys)[0] == 0
    assert path.read_bytes().startswith(b"\x89PNG")


def _table(argv: list[str]) -> cli.Table:
    return cli.build_table(cli.build_parser().parse_args(["plot", *argv]))


def test_plot_draws_every_step_up_to_the_limit_then_evenly_spaced_exact_values():
    short = _table(["--total-steps", str(cli.MAX_PLOT_POINTS - 1), "--max-lr", "0.1"])
    assert cli.plot_steps(short).tolist() == list(range(cli.MAX_PLOT_POINTS))

    total = 10**10
    long = _table(["--total-steps", str(total), "--max-lr", "0.1", "--pct-start", "0.25"])
    steps = cli.plot_steps(long)
    assert len(steps) <= cli.MAX_PLOT_POINTS
    assert steps[0] == 0 and steps[-1] == total  # 1cycle's last row: step T
    spacing = np.diff(steps)
    assert spacing[:-1].min() == spacing[:-1].max() >= spacing[-1] > 0
    lr, momentum = long.values(steps[::9973])
    for k, a, b in zip(steps[::9973].tolist(), lr.tolist(), momentum.tolist()):
        assert (a, b) == one_cycle_schedule(k, max_lr=0.1, total_steps=total, pct_start=0.25)


# The longest warm-restarts schedule with cycles of 100 steps that plot draws: a stride
# of 100 // 8 = 12 steps between points, MAX_PLOT_POINTS - 1 strides.
LONGEST_FOR_100 = 12 * (cli.MAX_PLOT_POINTS - 1) + 1


def test_plot_of_a_long_cosine_schedule_keeps_every_cycle_drawn_or_refuses():
    argv = ["--schedule", "warm-restarts", "--total-steps", str(10**7), "--max-lr", "1"]
    steps = cli.plot_steps(_table([*argv, "--cycle-size", str(10**4)]))
    assert len(steps) <= cli.MAX_PLOT_POINTS
    assert 10**4 / np.diff(steps).max() >= cli.MIN_POINTS_PER_CYCLE
    at_most = _table([*argv[:3], str(LONGEST_FOR_100), *argv[4:], "--cycle-size", "100"])
    steps = cli.plot_steps(at_most)
    assert len(steps) == cli.MAX_PLOT_POINTS and set(np.diff(steps).tolist()) == {12}
    beyond = _table([*argv[:3], str(LONGEST_FOR_100 + 1), *argv[4:], "--cycle-size", "100"])
    with pytest.raises(cli.UsageError):
        cli.plot_steps(beyond)
    too_many = _table([*argv, "--cycle-size", "100"])
    with pytest.raises(cli.UsageError) as refused:
        cli.plot_steps(too_many)
    assert str(refused.value) == (
        f"plot draws at most {cli.MAX_PLOT_POINTS} points, too few for cycles of 100 steps "
        f"over {10**7} steps; give --total-steps <= {LONGEST_FOR_100}, "
        "or use `lr-one-cycle table` for every value"
    )


# --------------------------------------------------------------------------- user errors


ONE = ["--total-steps", "10", "--max-lr", "1"]
HUGE = "1" + "0" * 400  # an int too large for a float
FORMATS = "{formats}"  # matplotlib's own list, filled in by the test
# Each case: argv (run in a folder holding a file a_file and a folder taken/schedule.png)
# and the one line it must print; "..." ends a pinned prefix where argparse's own
# wording varies with the Python version.
ERROR_CASES: dict[str, tuple[list[str], str]] = {
    "fractional count": (
        ["table", "--total-steps", "10.5", "--max-lr", "1"],
        "lr-one-cycle table: error: total_steps must be a positive integer, got 10.5",
    ),
    "zero count": (
        ["table", "--total-steps", "0", "--max-lr", "1"],
        "lr-one-cycle table: error: total_steps must be a positive integer, got 0",
    ),
    "count beyond 2**53": (
        ["table", "--total-steps", "1e30", "--max-lr", "1"],
        "lr-one-cycle table: error: total_steps must be a positive integer <= "
        "9007199254740992 (2**53), got 1e+30",
    ),
    "count of 400 digits": (
        ["table", "--total-steps", HUGE, "--max-lr", "1"],
        "lr-one-cycle table: error: total_steps must be a positive integer <= "
        f"9007199254740992 (2**53), got {HUGE}",
    ),
    "cycle_size beyond 2**53": (
        ["table", "--schedule", "cosine-annealing", *ONE, "--cycle-size", "1e30"],
        "lr-one-cycle table: error: cycle_size must be an integer in 2..9007199254740992 "
        "(2**53), got 1e+30",
    ),
    "cycle_size of 400 digits": (
        ["plot", "--schedule", "cosine-annealing", *ONE, "--cycle-size", HUGE],
        "lr-one-cycle plot: error: cycle_size must be an integer in 2..9007199254740992 "
        f"(2**53), got {HUGE}",
    ),
    "negative lr": (
        ["plot", "--total-steps", "10", "--max-lr", "-1"],
        "lr-one-cycle plot: error: max_lr must be a finite number >= 0, got -1",
    ),
    "pct_start": (
        ["table", *ONE, "--pct-start", "1.5"],
        "lr-one-cycle table: error: pct_start must be a number in [0, 1], got 1.5",
    ),
    "div_factor": (
        ["table", *ONE, "--div-factor", "0"],
        "lr-one-cycle table: error: div_factor must be a finite number > 0, got 0",
    ),
    "cycle_size": (
        ["table", "--schedule", "cosine-annealing", *ONE, "--cycle-size", "1"],
        "lr-one-cycle table: error: cycle_size must be an integer >= 2, got 1",
    ),
    "not a number": (
        ["table", "--total-steps", "ten", "--max-lr", "1"],
        "lr-one-cycle table: error: argument --total-steps: invalid number value: 'ten'",
    ),
    "bad choice": (
        ["table", *ONE, "--anneal-strategy", "exp"],
        "lr-one-cycle table: error: argument --anneal-strategy: invalid choice: 'exp'...",
    ),
    "missing option": (
        ["table", "--max-lr", "1"],
        "lr-one-cycle table: error: the following arguments are required: --total-steps",
    ),
    "no command": (
        [],
        "lr-one-cycle: error: the following arguments are required: {plot,table}",
    ),
    "demo is gone": (
        ["demo"],
        "lr-one-cycle: error: argument {plot,table}: invalid choice: 'demo'...",
    ),
    "cycle_mult with one-cycle": (
        ["table", *ONE, "--cycle-mult", "2"],
        "lr-one-cycle table: error: --cycle-mult does not apply to --schedule one-cycle, "
        f"which takes {ONE_CYCLE_TAKES}",
    ),
    "min_lr and cycle_mult with one-cycle": (
        ["plot", *ONE, "--cycle-mult", "2", "--min-lr", "0"],
        "lr-one-cycle plot: error: --min-lr, --cycle-mult do not apply to --schedule "
        f"one-cycle, which takes {ONE_CYCLE_TAKES}",
    ),
    "pct_start with warm-restarts": (
        ["table", "--schedule", "warm-restarts", *ONE, "--pct-start", "0.3"],
        "lr-one-cycle table: error: --pct-start does not apply to --schedule warm-restarts, "
        "which takes --min-lr, --cycle-size, --cycle-mult, --decay",
    ),
    "three_phase and decay with cosine-annealing": (
        ["table", "--schedule", "cosine-annealing", *ONE, "--three-phase", "--decay", "1"],
        "lr-one-cycle table: error: --three-phase, --decay do not apply to --schedule "
        "cosine-annealing, which takes --min-lr, --cycle-size, --cycle-mult",
    ),
    "unsupported format": (
        ["plot", *ONE, "--out", "x.txt"],
        "lr-one-cycle plot: error: --out x.txt has an unsupported format .txt: give a folder "
        f"or a file ending in one of {FORMATS}",
    ),
    "no extension": (
        ["plot", *ONE, "--out", "schedule"],
        "lr-one-cycle plot: error: --out schedule has no extension: give a folder or a file "
        f"ending in one of {FORMATS}",
    ),
    "inside a file": (
        ["plot", *ONE, "--out", "a_file/s.png"],
        "lr-one-cycle plot: error: cannot write --out a_file/s.png: a_file is not a folder",
    ),
    "onto a folder": (
        ["plot", *ONE, "--out", "taken"],
        "lr-one-cycle plot: error: cannot write --out taken/schedule.png: "
        f"{os.strerror(errno.EISDIR)}",
    ),
    "cyclic without its base lr": (
        ["table", "--schedule", "cyclic", *ONE],
        "lr-one-cycle table: error: --schedule cyclic needs --base-lr",
    ),
    "WSD without its lengths": (
        ["table", "--schedule", "warmup-stable-decay", *ONE, "--decay-steps", "2"],
        "lr-one-cycle table: error: --schedule warmup-stable-decay needs --warmup-steps",
    ),
    "WSD longer than the run": (
        ["table", "--schedule", "warmup-stable-decay", *ONE, "--warmup-steps", "6"]
        + ["--decay-steps", "5"],
        "lr-one-cycle table: error: --warmup-steps + --decay-steps must be at most "
        "--total-steps (10), got 6 + 5",
    ),
    "cyclic's gamma": (
        ["table", "--schedule", "cyclic", *ONE, "--base-lr", "0.1", "--mode", "exp_range"]
        + ["--gamma", "2"],
        "lr-one-cycle table: error: gamma must be a number in (0, 1], got 2",
    ),
    "gamma without exp_range": (
        ["table", "--schedule", "cyclic", *ONE, "--base-lr", "0.1", "--gamma", "0.5"],
        "lr-one-cycle table: error: --gamma does not apply to --mode triangular (the default), "
        "only to --mode exp_range",
    ),
    "gamma with triangular2": (
        ["plot", "--schedule", "cyclic", *ONE, "--base-lr", "0.1", "--gamma", "0.5", "--mode"]
        + ["triangular2"],
        "lr-one-cycle plot: error: --gamma does not apply to --mode triangular2, "
        "only to --mode exp_range",
    ),
    "mode with warmup-cosine": (
        ["table", "--schedule", "warmup-cosine", *ONE, "--warmup-steps", "2", "--mode"]
        + ["triangular"],
        "lr-one-cycle table: error: --mode does not apply to --schedule warmup-cosine, which "
        "takes --min-lr, --warmup-steps",
    ),
    "aliased CyclicLR cycles": (
        ["plot", "--schedule", "cyclic", "--total-steps", str(10**7), "--max-lr", "1"]
        + ["--base-lr", "0.1", "--step-size-up", "50"],
        f"lr-one-cycle plot: error: plot draws at most {cli.MAX_PLOT_POINTS} points, too few "
        f"for cycles of 100 steps over {10**7} steps; give --total-steps <= "
        f"{LONGEST_FOR_100}, or use `lr-one-cycle table` for every value",
    ),
    "aliased cycles": (
        ["plot", "--schedule", "warm-restarts", "--total-steps", str(10**7), "--max-lr", "1"]
        + ["--cycle-size", "100"],
        f"lr-one-cycle plot: error: plot draws at most {cli.MAX_PLOT_POINTS} points, too few "
        f"for cycles of 100 steps over {10**7} steps; give --total-steps <= "
        f"{LONGEST_FOR_100}, or use `lr-one-cycle table` for every value",
    ),
}


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory) -> tuple[Path, dict[str, subprocess.CompletedProcess[str]]]:
    """Every error case in a process of its own, run a few at a time (Python and the
    package take seconds to start on a busy machine); the folder they ran in."""
    folder = tmp_path_factory.mktemp("cli_errors")
    (folder / "a_file").write_text("")
    (folder / "taken" / "schedule.png").mkdir(parents=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        runs = pool.map(
            lambda argv: run_cli(argv, cwd=folder), [a for a, _ in ERROR_CASES.values()]
        )
        return folder, dict(zip(ERROR_CASES, runs))


@pytest.mark.parametrize("case", ERROR_CASES)
def test_user_errors_exit_2_with_one_line(case, error_runs):
    from matplotlib.backend_bases import FigureCanvasBase

    folder, runs = error_runs
    done = runs[case]
    expected = ERROR_CASES[case][1].replace(
        FORMATS, ", ".join("." + f for f in sorted(FigureCanvasBase.get_supported_filetypes()))
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.endswith("\n") and done.stderr.count("\n") == 1, done.stderr
    if expected.endswith("..."):
        assert done.stderr.startswith(expected[:-3]), done.stderr
    else:
        assert done.stderr == expected + "\n"
    # Nothing was written: no image, no partial file, the folder as it was.
    left = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert left == ["a_file", "taken", "taken/schedule.png"]


# --------------------------------------------------------------------------- processes


def test_plot_into_a_folder_writes_schedule_png_and_says_so(tmp_path):
    (tmp_path / "figures").mkdir()
    done = run_cli(["plot", *ONE, "--out", "figures"], cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"wrote {Path('figures', 'schedule.png')}\n"
    assert (tmp_path / "figures" / "schedule.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["figures", "schedule.png"]


def test_plot_format_follows_the_extension(tmp_path):
    done = run_cli(["plot", *ONE, "--out", str(tmp_path / "new" / "s.PDF")])
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"wrote {tmp_path / 'new' / 's.PDF'}\n"
    assert (tmp_path / "new" / "s.PDF").read_bytes().startswith(b"%PDF")


def test_a_format_whose_writer_fails_exits_2_with_one_line_and_writes_nothing(tmp_path):
    """matplotlib lists .pgf but writes it only through a TeX installation: without one
    (PATH holds only Python's folder here) the failure is the user's, reported in one line."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [sys.executable, "-m", "lr_one_cycle", "plot", *ONE, "--out", "f.pgf"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("lr-one-cycle plot: error: cannot write --out f.pgf: ")
    assert done.stderr.count("\n") == 1 and "latex" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_any_failure_of_the_image_writer_is_one_line_and_leaves_no_file(
    tmp_path, capsys, monkeypatch
):
    from matplotlib.figure import Figure

    def fail(self: Figure, path: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"half an image")
        raise RuntimeError("this writer needs a program\nthat is not installed")

    monkeypatch.setattr(Figure, "savefig", fail)
    out = tmp_path / "s.png"
    code, stdout, err = run_main(["plot", *ONE, "--out", str(out)], capsys)
    assert (code, stdout) == (2, "")
    assert (
        err == f"lr-one-cycle plot: error: cannot write --out {out}: this writer needs a program\n"
    )
    assert list(tmp_path.iterdir()) == []


def run_closed_stdout(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI with its stdout closed (``>&-``): Python starts with sys.stdout None."""
    return subprocess.run(
        ["sh", "-c", '"$0" -m lr_one_cycle "$@" >&-', sys.executable, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("command", ["table", "plot"])
def test_a_closed_stdout_is_refused_in_one_line_before_anything_is_written(command, tmp_path):
    argv = [command, *ONE] + (["--out", "s.png"] if command == "plot" else [])
    done = run_closed_stdout(argv, tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        f"lr-one-cycle {command}: error: cannot write to stdout: it is closed\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_plot_whose_report_cannot_be_printed_exits_2_naming_the_file_written(tmp_path):
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "lr_one_cycle", "plot", *ONE, "--out", "s.png"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            timeout=300,
            check=False,
        )
    assert (done.returncode, done.stderr) == (
        2,
        "lr-one-cycle plot: error: wrote s.png, but cannot write to stdout: "
        f"{os.strerror(errno.ENOSPC)}\n",
    )
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")


def option_help(text: str, flag: str) -> str:
    """The help of ``flag`` in ``--help`` output, on one line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(flag + " "))
    words = lines[start].strip().split()[2:]  # past the flag and its metavar
    for line in lines[start + 1 :]:
        if not line.strip() or line.strip().startswith("-"):
            break
        words += line.split()
    return " ".join(words)


def test_help_describes_what_the_options_do():
    env = {**os.environ, "COLUMNS": "1000"}  # argparse wraps at the terminal's width

    def help_of(command: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "lr_one_cycle", command, "--help"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=True,
        )
        return done.stdout

    plot, table = help_of("plot"), help_of("table")
    # Every cyclical schedule is refused when aliased, not only the cosine ones.
    assert "cosine schedule whose" not in plot
    assert (
        "refused for a cyclical schedule (cosine-annealing, warm-restarts, cyclic) whose "
        "cycles would get fewer than 8 points" in " ".join(plot.split())
    )
    # --out: a missing folder on the way is created.
    assert "missing folders on the way are created" in option_help(plot, "--out")
    # --gamma: exp_range's only; --warmup-steps: the warm-up's shape is not always linear;
    # --step-size-down: its default is a sentence, not None.
    assert "--mode exp_range only" in option_help(table, "--gamma")
    warmup = option_help(table, "--warmup-steps")
    assert "linear warm-up" not in warmup and "--warmup-shape" in warmup
    down = option_help(table, "--step-size-down")
    assert "default: same as --step-size-up" in down and "None" not in down


# The CLI run as a child of a fresh Python, so that RUSAGE_CHILDREN holds that one
# process's peak memory and nothing else this test session started. It reads ``lines``
# lines (all of them when 0), closes the pipe and reports.
MEASURE = """
import json, resource, subprocess, sys
argv, lines = json.loads(sys.argv[1]), int(sys.argv[2])
child = subprocess.Popen([sys.executable, "-m", "lr_one_cycle", *argv],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
head = [child.stdout.readline() for _ in range(lines)] if lines else child.stdout.readlines()
child.stdout.close()
try:
    code = child.wait(timeout=240)
except subprocess.TimeoutExpired:
    child.kill()
    raise
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"head": head, "code": code, "stderr": child.stderr.read(),
                  "peak_mib": peak / (2**20 if sys.platform == "darwin" else 2**10)}))
"""


def measured(argv: list[str], lines: int = 0, cwd: Path | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(argv), str(lines)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_ten_billion_step_table_streams_into_a_closed_pipe_quietly_in_constant_memory():
    """``table | head``: the first rows come at once, and when the reader closes the
    pipe the CLI stops with status 1 (Python's status for EPIPE) and nothing on stderr.
    Its peak memory is that of a 10-step table, give or take 100 MiB (building the
    whole table would take 75 GiB)."""
    total = 10**10
    small = measured(["table", "--total-steps", "10", "--max-lr", "0.1"])
    assert (small["code"], small["stderr"], len(small["head"])) == (0, "", 12)
    big = measured(["table", "--total-steps", str(total), "--max-lr", "0.1"], lines=5)
    assert (big["code"], big["stderr"]) == (1, "")
    rows = [one_cycle_schedule(k, max_lr=0.1, total_steps=total) for k in range(4)]
    assert big["head"] == ["step,lr,momentum\n"] + [
        f"{k},{a!r},{b!r}\n" for k, (a, b) in enumerate(rows)
    ]
    assert big["peak_mib"] <= small["peak_mib"] + 100, (big["peak_mib"], small["peak_mib"])


def test_a_ten_billion_step_plot_draws_in_bounded_memory(tmp_path):
    small = measured(["plot", *ONE, "--out", "small.png"], cwd=tmp_path)
    big = measured(
        ["plot", "--total-steps", str(10**10), "--max-lr", "1", "--out", "big.png"], cwd=tmp_path
    )
    for run, name in ((small, "small.png"), (big, "big.png")):
        assert (run["code"], run["stderr"], run["head"]) == (0, "", [f"wrote {name}\n"])
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    assert big["peak_mib"] <= small["peak_mib"] + 100, (big["peak_mib"], small["peak_mib"])


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_table_into_a_full_disk_exits_2_with_one_line():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "lr_one_cycle", "table", *ONE],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    assert (done.returncode, done.stderr) == (
        2,
        f"lr-one-cycle table: error: cannot write to stdout: {os.strerror(errno.ENOSPC)}\n",
    )


def test_module_and_console_script_run():
    """``python -m lr_one_cycle`` and the installed ``lr-one-cycle`` script both work."""
    module = run_cli(["table", "--total-steps", "3", "--max-lr", "1"])
    assert module.returncode == 0
    assert module.stdout.splitlines()[0] == "step,lr,momentum"
    script = Path(sys.executable).with_name("lr-one-cycle")
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    done = subprocess.run(
        [str(script), "table", "--total-steps", "3.5", "--max-lr", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "lr-one-cycle table: error: total_steps must be a positive integer, got 3.5\n"
    )
