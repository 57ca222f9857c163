"""Command line: ``python -m lr_one_cycle`` / ``lr-one-cycle``.

- ``demo``: LR range test, then 1cycle vs constant vs cosine on scikit-learn's digits
  (see :mod:`lr_one_cycle.demo`); PNGs and CSVs into ``--out``.
- ``plot``: a schedule from its arguments (1cycle by default: lr and momentum on twin
  axes; ``--schedule cosine-annealing`` or ``warm-restarts`` for the cosine family) to a PNG.
- ``table``: the same schedule as CSV on stdout (``step,lr,momentum`` for 1cycle, steps
  ``0..total_steps``; ``step,lr`` for the cosine family, steps ``0..total_steps-1``).

Bad arguments exit with status 2 and a usage message; values are checked by the same
code as the Python API, so the messages are the same sentences.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validate import as_count
from .schedules import cosine_annealing_schedule, one_cycle_schedule, warm_restarts_schedule


def number(text: str) -> int | float:
    """An int when the text is one, else a float (the core then checks the value)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


SCHEDULE_KINDS = ("one-cycle", "cosine-annealing", "warm-restarts")


def _schedule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schedule",
        choices=SCHEDULE_KINDS,
        default="one-cycle",
        help="one-cycle (default); cosine-annealing (ignite's CosineAnnealingScheduler from "
        "--max-lr to --min-lr); warm-restarts (SGDR, torch's CosineAnnealingWarmRestarts)",
    )
    parser.add_argument("--total-steps", type=number, required=True, help="schedule length T")
    parser.add_argument("--max-lr", type=number, required=True, help="peak learning rate")
    one_cycle = parser.add_argument_group("one-cycle")
    one_cycle.add_argument("--pct-start", type=number, default=0.3)
    one_cycle.add_argument("--anneal-strategy", choices=("cos", "linear"), default="cos")
    one_cycle.add_argument("--div-factor", type=number, default=25.0)
    one_cycle.add_argument("--final-div-factor", type=number, default=1e4)
    one_cycle.add_argument("--three-phase", action="store_true")
    one_cycle.add_argument("--base-momentum", type=number, default=0.85)
    one_cycle.add_argument("--max-momentum", type=number, default=0.95)
    cosine = parser.add_argument_group("cosine-annealing and warm-restarts")
    cosine.add_argument("--min-lr", type=number, default=0.0, help="lowest lr (default 0)")
    cosine.add_argument("--cycle-size", type=number, help="steps in the first cycle (default T)")
    cosine.add_argument("--cycle-mult", type=number, default=1, help="cycle growth factor")
    cosine.add_argument("--decay", type=number, default=1.0, help="warm-restarts amplitude decay")


def _schedule(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Steps and the lr (and 1cycle's momentum) at each; the core validates every value.

    1cycle covers steps ``0..T`` (step ``T`` holds the final value); the cosine family
    covers ``0..T-1``.
    """
    if args.schedule != "one-cycle":
        return _cosine_schedule(args)
    settings: dict[str, Any] = {
        "max_lr": args.max_lr,
        "total_steps": args.total_steps,
        "pct_start": args.pct_start,
        "anneal_strategy": args.anneal_strategy,
        "div_factor": args.div_factor,
        "final_div_factor": args.final_div_factor,
        "three_phase": args.three_phase,
        "base_momentum": args.base_momentum,
        "max_momentum": args.max_momentum,
    }
    one_cycle_schedule(0, **settings)  # validates before the table is sized by total_steps
    steps = np.arange(int(args.total_steps) + 1)
    lr, momentum = one_cycle_schedule(steps, **settings, exact=True)
    return steps, np.asarray(lr), np.asarray(momentum)


def _cosine_schedule(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, None]:
    total = as_count("total_steps", args.total_steps)
    cycle = args.cycle_size if args.cycle_size is not None else total
    steps = np.arange(total)
    if args.schedule == "cosine-annealing":
        lr = cosine_annealing_schedule(
            steps,
            start_value=args.max_lr,
            end_value=args.min_lr,
            cycle_size=cycle,
            cycle_mult=args.cycle_mult,
            exact=True,
        )
    else:
        lr = warm_restarts_schedule(
            steps,
            base_lr=args.max_lr,
            T_0=cycle,
            T_mult=args.cycle_mult,
            eta_min=args.min_lr,
            decay=args.decay,
            exact=True,
        )
    return steps, np.asarray(lr), None


# Each command checks its arguments and returns the work to do: a ValueError/TypeError
# while checking is a usage error (exit 2); one while working is a real failure.
Work = Callable[[], None]


def _plot(args: argparse.Namespace) -> Work:
    steps, lr, momentum = _schedule(args)

    def work() -> None:
        from .plots import plot_schedule

        title = f"{args.schedule}: max_lr={args.max_lr:g}, total_steps={int(args.total_steps)}"
        plot_schedule(lr, momentum, steps=steps, title=title, path=args.out)
        print(f"wrote {args.out}")

    return work


def _table(args: argparse.Namespace) -> Work:
    steps, lr, momentum = _schedule(args)

    def work() -> None:
        if momentum is None:
            lines = ["step,lr", *(f"{k},{a!r}" for k, a in zip(steps.tolist(), lr.tolist()))]
        else:
            rows = zip(steps.tolist(), lr.tolist(), momentum.tolist())
            lines = ["step,lr,momentum", *(f"{k},{a!r},{b!r}" for k, a, b in rows)]
        sys.stdout.write("\n".join(lines) + "\n")

    return work


def _demo(args: argparse.Namespace) -> Work:
    from .demo import DemoSettings, run_demo

    settings = DemoSettings.check(
        steps=args.steps,
        epochs=args.epochs,
        seeds=args.seeds,
        target=args.target,
        out=args.out,
        compile_model=args.compile,
        progress=not args.no_progress,
        threads=args.threads,
    )
    def work() -> None:
        run_demo(settings)

    return work


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lr-one-cycle",
        description="1cycle learning-rate schedules: demo, plot, table.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,plot,table}")

    demo = sub.add_parser(
        "demo",
        help="LR range test + 1cycle vs constant vs cosine on scikit-learn's digits",
        description="LR range test, then 1cycle vs constant lr vs cosine annealing on "
        "scikit-learn's bundled digits, several seeds; writes PNGs and CSVs.",
    )
    budget = demo.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=number, help="optimizer updates per run (default 300)")
    budget.add_argument("--epochs", type=number, help="passes over the training set (21 steps)")
    demo.add_argument("--seeds", type=number, default=5, help="seeds per schedule (default 5)")
    demo.add_argument("--target", type=number, default=0.97, help="target test accuracy")
    demo.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    demo.add_argument("--compile", action="store_true", help="torch.compile the model")
    demo.add_argument("--threads", type=number, default=1, help="torch threads (default 1)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.set_defaults(run=_demo)

    plot = sub.add_parser("plot", help="a schedule (1cycle by default) to a PNG")
    _schedule_arguments(plot)
    plot.add_argument("--out", default="out/schedule.png", help="PNG path")
    plot.set_defaults(run=_plot)

    table = sub.add_parser("table", help="a schedule (1cycle by default) as CSV on stdout")
    _schedule_arguments(table)
    table.set_defaults(run=_table)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        work = args.run(args)
    except (ValueError, TypeError) as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")
    work()
    return 0


if __name__ == "__main__":
    sys.exit(main())
