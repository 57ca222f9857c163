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
  ``schedule.png``; missing folders on the way are created; the path printed is the
  file written. Up to ``MAX_PLOT_POINTS`` steps every step is drawn; a longer schedule
  is drawn at ``MAX_PLOT_POINTS`` evenly spaced steps (the last one included), so
  memory stays bounded. A 1cycle curve is monotone between its two or three phase ends
  (WSD and warm-up + cosine between their three), so that picture is faithful; a
  cyclical schedule (cosine annealing, warm restarts, CyclicLR) is refused when its
  cycles would get fewer than ``MIN_POINTS_PER_CYCLE`` points each (the drawn curve
  would alias).

Every value is the pure core's exact value (``exact=True``: bitwise the schedulers').

Each ``--schedule`` takes its own options (``SCHEDULES``); an option that belongs
to another schedule is refused, not ignored, and so is one given without the other
option's value it applies with (``--gamma`` without ``--mode exp_range``). Options not
given take the core function's defaults. Every user error (a bad value, an option of
another schedule, an output format matplotlib cannot write here, an output path or a
stdout that cannot be written, a closed stdout) exits with status 2 and one line on
stderr, ``lr-one-cycle <command>: error: <what>``; values are checked by the same code
as the Python API, so the sentences are the same.
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

from ._cli_schedules import (
    FLAGS,
    SCHEDULES,
    SPECIFIC_OPTIONS,
    Schedule,
    UsageError,
    conditional_options,
    number,
)
from ._cli_schedules import option_help as _option_help
from ._validate import as_count

PROG = "lr-one-cycle"
TABLE_CHUNK = 1 << 16  # rows computed and written at a time (a few MB)
MAX_PLOT_POINTS = 100_000  # steps drawn at most (far more than an image has pixels)
MIN_POINTS_PER_CYCLE = 8  # a sampled cosine cycle needs at least this many points
PLOT_NAME = "schedule.png"  # written inside a folder given as --out

FloatArray = npt.NDArray[np.float64]


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
    schedule = SCHEDULES[args.schedule]
    conditional_options(args, schedule)
    # Counts (here and in the core) are checked by as_count, whose bound is 2**53.
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

    Raises UsageError for a cyclical schedule whose cycles that spacing would alias.
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
    write leaves no partial image. OSError here is an unwritable ``--out``; any other
    failure of the writer is a format matplotlib lists but cannot write here (``.pgf``
    needs a TeX installation). Both are a UsageError, in one line.
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
    except Exception as error:  # matplotlib's writer for that format, e.g. no TeX for .pgf
        reason = str(error).strip().splitlines()[:1] or [type(error).__name__]
        raise UsageError(f"cannot write --out {path}: {reason[0]}") from error
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


# --------------------------------------------------------------------------- commands
# Each command checks all its arguments and returns the work to do. A ValueError or
# TypeError (the core's checks) or an OverflowError while checking is a user's mistake,
# exit 2; while working, only a UsageError is (a ValueError there would be a bug).
Work = Callable[[], None]


def _stdout_open() -> None:
    """Python starts with ``sys.stdout`` None when its descriptor is closed (``>&-``)."""
    if sys.stdout is None:
        raise UsageError("cannot write to stdout: it is closed")


def _to_stdout(write: Callable[[Any], None], done: str = "") -> None:
    """``write(sys.stdout)``, flushed. A stdout that cannot be written (a full disk, a
    read-only descriptor) is a UsageError, after ``done`` (what was done already); a
    reader gone (BrokenPipeError) is left to ``main``."""
    try:
        write(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        _stdout_to_devnull()
        raise UsageError(f"{done}cannot write to stdout: {error.strerror or error}") from error


def _table(args: argparse.Namespace) -> Work:
    table = build_table(args)
    _stdout_open()
    return lambda: _to_stdout(lambda out: write_table(table, out))


def _plot(args: argparse.Namespace) -> Work:
    table = build_table(args)
    steps = plot_steps(table)
    path = plot_path(args.out)
    _stdout_open()

    def work() -> None:
        write_plot(table, steps, path)
        _to_stdout(lambda out: out.write(f"wrote {path}\n"), done=f"wrote {path}, but ")

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
        f"refused for a cyclical schedule (cosine-annealing, warm-restarts, cyclic) whose "
        f"cycles would get fewer than {MIN_POINTS_PER_CYCLE} points.",
    )
    _schedule_arguments(plot)
    plot.add_argument(
        "--out",
        default="out/schedule.png",
        help="image file (its extension picks the format: .png, .pdf, .svg, ...) or a folder "
        f"to write {PLOT_NAME} into (default out/schedule.png); missing folders on the way "
        "are created",
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
    except BrokenPipeError:
        _quiet_broken_pipe()
    except UsageError as error:
        parser.exit(2, f"{prog}: error: {error}\n")
    return 0
