"""Command line: ``python -m lr_one_cycle`` / ``lr-one-cycle``.

- ``table``: a schedule as CSV on stdout: ``step,lr,momentum`` for 1cycle and CyclicLR,
  ``step,lr`` for the others; steps ``0..total_steps`` for the schedules of fixed length
  (1cycle, WSD, warm-up + cosine: step ``total_steps`` holds the final value),
  ``0..total_steps-1`` for the cyclical ones; see the step convention in
  :mod:`lr_one_cycle.schedules`. Rows are computed and written ``TABLE_CHUNK`` steps
  at a time, so any length streams at once in constant memory (``| head`` included).
- ``plot``: the same schedule drawn to an image (1cycle: lr and momentum on twin axes).
  ``--out`` is a file whose extension names a format matplotlib writes (``.png``,
  ``.pdf``, ``.svg``, ...) or an existing folder (or one ending in ``/``), which gets
  ``schedule.png``; the path printed is the file written. Up to ``MAX_PLOT_POINTS``
  steps every step is drawn; a longer schedule is drawn at ``MAX_PLOT_POINTS`` evenly
  spaced steps (the last one included), so memory stays bounded. A 1cycle curve is
  monotone between its two or three phase ends (WSD and warm-up + cosine between their
  three), so that picture is faithful; a cyclical schedule (cosine annealing, warm
  restarts, CyclicLR) is refused when its cycles would get fewer than
  ``MIN_POINTS_PER_CYCLE`` points each (the drawn curve would alias).

Every value is the pure core's exact value (``exact=True``: bitwise the schedulers').

Each ``--schedule`` takes its own options (``SCHEDULES``); an option that belongs
to another schedule is refused, not ignored. Options not given take the core function's
defaults. Every user error (a bad value, an option of another schedule, an output
format matplotlib cannot write, an output path or a stdout that cannot be written)
exits with status 2 and one line on stderr, ``lr-one-cycle <command>: error: <what>``;
values are checked by the same code as the Python API, so the sentences are the same.
A reader that stops early (``| head``) ends ``table`` quietly with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from . import (
    cosine_annealing_schedule,
    cyclic_lr_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
    warmup_cosine_schedule,
    warmup_stable_decay_schedule,
)
from ._validate import as_count

PROG = "lr-one-cycle"
TABLE_CHUNK = 1 << 16  # rows computed and written at a time (a few MB)
MAX_PLOT_POINTS = 100_000  # steps drawn at most (far more than an image has pixels)
MIN_POINTS_PER_CYCLE = 8  # a sampled cosine cycle needs at least this many points
PLOT_NAME = "schedule.png"  # written inside a folder given as --out
# Steps are numbered with int64 arrays; the last row is step total_steps.
MAX_TOTAL_STEPS = int(np.iinfo(np.int64).max) - 1

FloatArray = npt.NDArray[np.float64]


class UsageError(Exception):
    """A user's mistake: reported as one line, exit status 2."""


def number(text: str) -> int | float:
    """An int when the text is one, else a float (the core then checks the value)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class Schedule:
    """How one ``--schedule`` maps its command-line options onto a core function.

    ``options`` maps each option's dest to the core parameter it sets; ``defaults``
    gives, from the total steps, the defaults the core function does not have;
    ``required`` lists the options that must be given; ``derive`` computes parameters
    from the total steps and the settings (WSD's stable phase: what the warm-up and the
    decay leave).
    """

    function: Callable[..., Any]
    columns: tuple[str, ...]
    options: dict[str, str]
    defaults: dict[str, Callable[[int], Any]]
    first_cycle: str | tuple[str, ...] | None  # parameters adding up to the first cycle
    includes_total_step: bool  # a schedule of fixed length: rows 0..T; else 0..T-1
    required: tuple[str, ...] = ()
    derive: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None


def _stable_steps(total: int, settings: dict[str, Any]) -> dict[str, Any]:
    """WSD over ``total`` steps: the stable phase is what the warm-up and decay leave."""
    warmup = as_count("warmup_steps", settings["warmup_steps"], minimum=0)
    decay = as_count("decay_steps", settings["decay_steps"], minimum=0)
    if warmup + decay > total:
        raise UsageError(
            f"--warmup-steps + --decay-steps must be at most --total-steps ({total}), "
            f"got {warmup} + {decay}"
        )
    return {"stable_steps": total - warmup - decay}


SCHEDULES: dict[str, Schedule] = {
    "one-cycle": Schedule(
        function=one_cycle_schedule,
        columns=("lr", "momentum"),
        options={
            "max_lr": "max_lr",
            "total_steps": "total_steps",
            "pct_start": "pct_start",
            "anneal_strategy": "anneal_strategy",
            "div_factor": "div_factor",
            "final_div_factor": "final_div_factor",
            "three_phase": "three_phase",
            "base_momentum": "base_momentum",
            "max_momentum": "max_momentum",
        },
        defaults={},
        first_cycle=None,
        includes_total_step=True,
    ),
    "cosine-annealing": Schedule(
        function=cosine_annealing_schedule,
        columns=("lr",),
        options={
            "max_lr": "start_value",
            "min_lr": "end_value",
            "cycle_size": "cycle_size",
            "cycle_mult": "cycle_mult",
        },
        defaults={"end_value": lambda total: 0.0, "cycle_size": lambda total: total},
        first_cycle="cycle_size",
        includes_total_step=False,
    ),
    "warm-restarts": Schedule(
        function=warm_restarts_schedule,
        columns=("lr",),
        options={
            "max_lr": "base_lr",
            "min_lr": "eta_min",
            "cycle_size": "T_0",
            "cycle_mult": "T_mult",
            "decay": "decay",
        },
        defaults={"T_0": lambda total: total},
        first_cycle="T_0",
        includes_total_step=False,
    ),
    "cyclic": Schedule(
        function=cyclic_lr_schedule,
        columns=("lr", "momentum"),
        options={
            "max_lr": "max_lr",
            "base_lr": "base_lr",
            "step_size_up": "step_size_up",
            "step_size_down": "step_size_down",
            "mode": "mode",
            "gamma": "gamma",
            "base_momentum": "base_momentum",
            "max_momentum": "max_momentum",
        },
        defaults={},
        first_cycle=("step_size_up", "step_size_down"),
        includes_total_step=False,
        required=("base_lr",),
    ),
    "warmup-stable-decay": Schedule(
        function=warmup_stable_decay_schedule,
        columns=("lr",),
        options={
            "max_lr": "peak_lr",
            "min_lr": "min_lr",
            "warmup_steps": "warmup_steps",
            "decay_steps": "decay_steps",
            "warmup_shape": "warmup",
            "decay_shape": "decay",
        },
        defaults={},
        first_cycle=None,
        includes_total_step=True,
        required=("warmup_steps", "decay_steps"),
        derive=_stable_steps,
    ),
    "warmup-cosine": Schedule(
        function=warmup_cosine_schedule,
        columns=("lr",),
        options={
            "max_lr": "peak_lr",
            "total_steps": "total_steps",
            "min_lr": "min_lr",
            "warmup_steps": "warmup_steps",
        },
        defaults={},
        first_cycle=None,
        includes_total_step=True,
        required=("warmup_steps",),
    ),
}

# The options only some schedules take: (flags, dest, argparse settings, help).
SPECIFIC_OPTIONS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("--pct-start", "pct_start", {"type": number}, "fraction of the cycle spent warming up"),
    (
        "--anneal-strategy",
        "anneal_strategy",
        {"choices": ("cos", "linear")},
        "shape of each phase",
    ),
    ("--div-factor", "div_factor", {"type": number}, "initial lr = max_lr / div_factor"),
    (
        "--final-div-factor",
        "final_div_factor",
        {"type": number},
        "min lr = initial lr / final_div_factor",
    ),
    ("--three-phase", "three_phase", {"action": "store_true"}, "torch's three-phase variant"),
    ("--base-momentum", "base_momentum", {"type": number}, "momentum at the lr's peak"),
    ("--max-momentum", "max_momentum", {"type": number}, "momentum at the lr's low points"),
    ("--min-lr", "min_lr", {"type": number}, "lowest lr, default 0"),
    (
        "--cycle-size",
        "cycle_size",
        {"type": number},
        "steps in the first cycle, default the total steps",
    ),
    ("--cycle-mult", "cycle_mult", {"type": number}, "cycle growth factor"),
    ("--decay", "decay", {"type": number}, "amplitude decay at each restart"),
    ("--base-lr", "base_lr", {"type": number}, "the cycle's lower lr (required)"),
    ("--step-size-up", "step_size_up", {"type": number}, "steps from base lr up to max lr"),
    ("--step-size-down", "step_size_down", {"type": number}, "steps back down"),
    (
        "--mode",
        "mode",
        {"choices": ("triangular", "triangular2", "exp_range")},
        "amplitude per cycle",
    ),
    ("--gamma", "gamma", {"type": number}, "exp_range's factor per step"),
    ("--warmup-steps", "warmup_steps", {"type": number}, "steps of linear warm-up (required)"),
    ("--decay-steps", "decay_steps", {"type": number}, "steps of the final decay (required)"),
    (
        "--warmup-shape",
        "warmup_shape",
        {"choices": ("linear", "cosine", "1-sqrt")},
        "shape of the warm-up",
    ),
    (
        "--decay-shape",
        "decay_shape",
        {"choices": ("linear", "cosine", "1-sqrt")},
        "shape of the decay",
    ),
)
FLAGS = {dest: flags for flags, dest, _, _ in SPECIFIC_OPTIONS}


def _core_default(schedule: Schedule, dest: str) -> Any:
    """The default of the core parameter an option sets (``inspect.Parameter.empty``
    when the core function has none)."""
    parameter = inspect.signature(schedule.function).parameters[schedule.options[dest]]
    return parameter.default


def _option_help(dest: str, text: str) -> str:
    """The help text, with the schedules that take the option and the core's default."""
    takers = [name for name, s in SCHEDULES.items() if dest in s.options]
    defaults = [_core_default(SCHEDULES[name], dest) for name in takers]
    same = len(set(defaults)) == 1 and defaults[0] is not inspect.Parameter.empty
    shown = f", default {defaults[0]!r}" if same and "default" not in text else ""
    return f"{text}{shown} ({', '.join(takers)} only)"


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Table:
    """A checked schedule: its columns and the exact values at any int64 steps."""

    schedule: str
    columns: tuple[str, ...]
    rows: int  # steps 0 .. rows - 1
    values: Callable[[npt.NDArray[np.int64]], tuple[FloatArray, ...]]
    first_cycle: int | None
    title: str


def _foreign_options(args: argparse.Namespace) -> None:
    """Refuse the options given that the chosen schedule does not take."""
    takes = SCHEDULES[args.schedule].options
    foreign = [FLAGS[d] for d in FLAGS if d not in takes and getattr(args, d) is not None]
    if foreign:
        own = [FLAGS[d] for d in FLAGS if d in takes]
        verb = "does" if len(foreign) == 1 else "do"
        raise UsageError(
            f"{', '.join(foreign)} {verb} not apply to --schedule {args.schedule}, "
            f"which takes {', '.join(own)}"
        )


def _count_in_range(name: str, value: int | float | None) -> None:
    """Counts beyond int64 would overflow the step arrays: say so by name."""
    if isinstance(value, (int, float)) and math.isfinite(value) and value > MAX_TOTAL_STEPS:
        raise UsageError(f"{name} must be at most {MAX_TOTAL_STEPS}, got {value}")


def _required_options(args: argparse.Namespace) -> None:
    missing = [FLAGS[d] for d in SCHEDULES[args.schedule].required if getattr(args, d) is None]
    if missing:
        raise UsageError(f"--schedule {args.schedule} needs {', '.join(missing)}")


def _first_cycle(schedule: Schedule, settings: dict[str, Any]) -> float | None:
    """The first cycle's length: the named parameters added up (the core's defaults
    for those not given; CyclicLR's step_size_down defaults to step_size_up)."""
    names = schedule.first_cycle
    if names is None:
        return None
    parameters = inspect.signature(schedule.function).parameters
    values = [
        settings.get(n, parameters[n].default)
        for n in ((names,) if isinstance(names, str) else names)
    ]
    # A None part is CyclicLR's step_size_down, which then equals step_size_up.
    return float(sum(values[0] if x is None else x for x in values))


def build_table(args: argparse.Namespace) -> Table:
    """Check every argument (the core's own checks, run on step 0) and return the table.

    Nothing is computed beyond step 0 here, so any length is checked at once.
    """
    _foreign_options(args)
    _required_options(args)
    _count_in_range("total_steps", args.total_steps)
    _count_in_range("cycle_size", args.cycle_size)
    schedule = SCHEDULES[args.schedule]
    total = as_count("total_steps", args.total_steps)
    given = {"total_steps": total, "max_lr": args.max_lr}
    given |= {d: getattr(args, d) for d in FLAGS if getattr(args, d) is not None}
    settings = {schedule.options[d]: value for d, value in given.items() if d in schedule.options}
    for parameter, default in schedule.defaults.items():
        if parameter not in settings:
            settings[parameter] = default(total)
    if schedule.derive is not None:
        settings |= schedule.derive(total, settings)

    def values(steps: npt.NDArray[np.int64]) -> tuple[FloatArray, ...]:
        out = schedule.function(steps, **settings, exact=True)
        return tuple(out) if isinstance(out, tuple) else (out,)

    values(np.zeros(1, dtype=np.int64))  # the core checks every setting here
    first_cycle = _first_cycle(schedule, settings)
    return Table(
        schedule=args.schedule,
        columns=("step", *schedule.columns),
        rows=total + 1 if schedule.includes_total_step else total,
        values=values,
        first_cycle=None if first_cycle is None else math.floor(first_cycle),
        title=f"{args.schedule}: max_lr={args.max_lr:g}, total_steps={total}",
    )


def write_table(table: Table, out: Any) -> None:
    """The CSV rows, ``TABLE_CHUNK`` steps at a time (floats as ``repr``: exact)."""
    out.write(",".join(table.columns) + "\n")
    for start in range(0, table.rows, TABLE_CHUNK):
        steps = np.arange(start, min(start + TABLE_CHUNK, table.rows), dtype=np.int64)
        columns = [steps.tolist(), *(v.tolist() for v in table.values(steps))]
        out.write("".join(",".join(map(repr, row)) + "\n" for row in zip(*columns)))


# --------------------------------------------------------------------------- the plot


def plot_steps(table: Table) -> npt.NDArray[np.int64]:
    """The steps drawn: every step, or ``MAX_PLOT_POINTS`` evenly spaced ones and the last.

    Raises UsageError for a cosine schedule whose cycles that spacing would alias.
    """
    if table.rows <= MAX_PLOT_POINTS:
        return np.arange(table.rows, dtype=np.int64)
    # Integer spacing, so that no step is rounded: at most MAX_PLOT_POINTS - 1 steps
    # from 0 below the last one, then the last one.
    stride = -(-(table.rows - 1) // (MAX_PLOT_POINTS - 1))
    if table.first_cycle is not None and table.first_cycle < MIN_POINTS_PER_CYCLE * stride:
        # The longest schedule whose stride still fits MIN_POINTS_PER_CYCLE in a cycle.
        widest = max(1, table.first_cycle // MIN_POINTS_PER_CYCLE)
        longest = widest * (MAX_PLOT_POINTS - 1) + 1
        raise UsageError(
            f"plot draws at most {MAX_PLOT_POINTS} points, too few for cycles of "
            f"{table.first_cycle} steps over {table.rows} steps; give --total-steps "
            f"<= {longest}, or use `{PROG} table` for every value"
        )
    return np.append(np.arange(0, table.rows - 1, stride, dtype=np.int64), table.rows - 1)


def plot_formats() -> dict[str, str]:
    """The file formats matplotlib writes (extension -> description)."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError as error:
        raise UsageError("plotting needs matplotlib: pip install 'lr_one_cycle[plot]'") from error
    return FigureCanvasBase.get_supported_filetypes()


def plot_path(out: str) -> Path:
    """The file ``--out`` names: itself, or ``schedule.png`` inside a folder."""
    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)):
        path = path / PLOT_NAME
    formats = plot_formats()
    extension = path.suffix[1:].lower()
    if extension not in formats:
        what = f"has an unsupported format .{extension}" if extension else "has no extension"
        raise UsageError(
            f"--out {out} {what}: give a folder or a file ending in one of "
            f"{', '.join('.' + f for f in sorted(formats))}"
        )
    # The first existing folder on the way must be a folder (mkdir would say "File exists").
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise UsageError(f"cannot write --out {out}: {folder} is not a folder")
            break
    return path


def write_plot(table: Table, steps: npt.NDArray[np.int64], path: Path) -> None:
    """Draw the schedule at ``steps`` and write it to ``path``, whole or not at all.

    The figure goes to a hidden file beside ``path`` that then replaces it, so a failed
    write leaves no partial image. OSError here is an unwritable ``--out`` (UsageError).
    """
    from .plots import plot_schedule

    values = table.values(steps)
    title = table.title
    if len(steps) < table.rows:
        title += f"\n({len(steps)} of the {table.rows} steps drawn, evenly spaced)"
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    momentum = values[1] if len(values) > 1 else None
    try:
        plot_schedule(values[0], momentum, steps=steps, title=title, path=partial)
        os.replace(partial, path)
    except OSError as error:
        raise UsageError(f"cannot write --out {path}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


# --------------------------------------------------------------------------- commands
# Each command checks all its arguments and returns the work to do. A ValueError or
# TypeError (the core's checks) or an OverflowError while checking is a user's mistake,
# exit 2; while working, only a UsageError is (a ValueError there would be a bug).
Work = Callable[[], None]


def _table(args: argparse.Namespace) -> Work:
    table = build_table(args)

    def work() -> None:
        try:
            write_table(table, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as error:  # a full disk, a closed or read-only descriptor
            _stdout_to_devnull()
            raise UsageError(f"cannot write to stdout: {error.strerror or error}") from error

    return work


def _plot(args: argparse.Namespace) -> Work:
    table = build_table(args)
    steps = plot_steps(table)
    path = plot_path(args.out)

    def work() -> None:
        write_plot(table, steps, path)
        print(f"wrote {path}")

    return work


class _Parser(argparse.ArgumentParser):
    """argparse, but every usage error is one line: ``prog: error: message``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _schedule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schedule",
        choices=tuple(SCHEDULES),
        default="one-cycle",
        help="one-cycle (default: torch's OneCycleLR); cosine-annealing (ignite's "
        "CosineAnnealingScheduler from --max-lr to --min-lr); warm-restarts (SGDR, "
        "torch's CosineAnnealingWarmRestarts); cyclic (torch's CyclicLR between --base-lr "
        "and --max-lr); warmup-stable-decay (WSD peaking at --max-lr); warmup-cosine "
        "(linear warm-up, then cosine to --min-lr). Each takes only its own options below.",
    )
    parser.add_argument("--total-steps", type=number, required=True, help="schedule length T")
    parser.add_argument("--max-lr", type=number, required=True, help="peak learning rate")
    specific = parser.add_argument_group("options of some schedules (default: the core's)")
    for flags, dest, settings, text in SPECIFIC_OPTIONS:
        specific.add_argument(
            flags, dest=dest, default=None, help=_option_help(dest, text), **settings
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Learning-rate schedules (1cycle, cosine, CyclicLR, WSD, ...): plot them "
        "or print them as CSV.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{plot,table}")

    plot = sub.add_parser(
        "plot",
        help="a schedule (1cycle by default) to an image",
        description=f"Draw a schedule to an image. Every step up to {MAX_PLOT_POINTS} "
        f"steps; a longer schedule at {MAX_PLOT_POINTS} evenly spaced steps (exact values), "
        f"refused for a cosine schedule whose cycles would get fewer than "
        f"{MIN_POINTS_PER_CYCLE} points.",
    )
    _schedule_arguments(plot)
    plot.add_argument(
        "--out",
        default="out/schedule.png",
        help="image file (its extension picks the format: .png, .pdf, .svg, ...) or a folder "
        f"to write {PLOT_NAME} into (default out/schedule.png)",
    )
    plot.set_defaults(run=_plot)

    table = sub.add_parser(
        "table",
        help="a schedule (1cycle by default) as CSV on stdout",
        description="Print a schedule as CSV, streamed: any length starts at once and uses "
        "constant memory.",
    )
    _schedule_arguments(table)
    table.set_defaults(run=_table)
    return parser


def _stdout_to_devnull() -> None:
    """Python flushes stdout again at exit; once writing to it failed, pointing it at
    devnull keeps that flush from failing (and printing) a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _quiet_broken_pipe() -> NoReturn:
    """The reader went away (``| head``): stop quietly with status 1, as the Python
    docs recommend (signal module, "Note on SIGPIPE")."""
    _stdout_to_devnull()
    sys.exit(1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"{parser.prog} {args.command}"
    try:
        work = args.run(args)
    except (UsageError, ValueError, TypeError, OverflowError) as error:
        parser.exit(2, f"{prog}: error: {error}\n")
    try:
        work()
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    except UsageError as error:
        parser.exit(2, f"{prog}: error: {error}\n")
    return 0
