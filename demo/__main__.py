"""``python -m demo``: the demo's command line (``make demo`` runs it with its defaults).

Usage errors (a bad number, an unknown schedule, an output path that is a file) exit with
status 2 and one line, before anything runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from .experiment import Settings
from .schedules import BY_NAME, default_schedules

# --quick: scikit-learn's digits, small budgets, done in seconds.
# One process: starting workers would cost more than they save.
QUICK = Settings(
    budgets=(100, 200, 400), seeds=2, tune_steps=200, range_seeds=2, eval_every=10, jobs=1
)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _budgets(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas (e.g. 250,500), got {text!r}"
        )
    return tuple(sorted(set(values)))


def _schedules(text: str) -> tuple[str, ...]:
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise argparse.ArgumentTypeError(
            f"expected schedule names separated by commas, got {text!r}"
        )
    for name in names:
        if name not in BY_NAME:
            raise argparse.ArgumentTypeError(
                f"unknown schedule {name!r}; choose from {', '.join(BY_NAME)}"
            )
        needs = BY_NAME[name].requires
        if not BY_NAME[name].available:
            raise argparse.ArgumentTypeError(
                f"schedule {name!r} needs lr_one_cycle.{needs}, which this lr_one_cycle lacks"
            )
    return tuple(dict.fromkeys(names))


class _Parser(argparse.ArgumentParser):
    """argparse, but every usage error is one line, ``prog: error: message`` (no usage
    block before it); ``--help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m demo",
        description="Does 1cycle reach a given accuracy in fewer steps than other schedules, "
        "each at its own tuned peak lr? MNIST-1D (or digits with --quick); writes CSVs, "
        "PNGs and report.md into --out.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="scikit-learn's digits with an MLP, budgets 100,200,400, 2 seeds (seconds)",
    )
    parser.add_argument(
        "--budgets", type=_budgets, help="training steps per run, e.g. 250,500,1000,2000"
    )
    parser.add_argument("--seeds", type=_count, help="seeds per schedule and budget (default 3)")
    parser.add_argument(
        "--schedules",
        type=_schedules,
        help=f"comma-separated, from {', '.join(BY_NAME)} (default: every one available)",
    )
    parser.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder")
    parser.add_argument(
        "--threads", type=_count, default=1, help="torch threads per process (default 1)"
    )
    parser.add_argument(
        "--jobs", type=_count, help="training processes in parallel (default 2; 1 with --quick)"
    )
    parser.add_argument(
        "--tune-steps", type=_count, help="steps of each tuning run (default 500; 200 quick)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    base = QUICK if args.quick else Settings()
    changes = {
        "budgets": args.budgets,
        "seeds": args.seeds,
        "tune_steps": args.tune_steps,
        "jobs": args.jobs,
    }
    return replace(
        base,
        **{k: v for k, v in changes.items() if v is not None},
        schedules=args.schedules or tuple(default_schedules()),
        out=args.out,
        threads=args.threads,
        quick=args.quick,
        progress=not args.no_progress,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = settings_from(args)
    if settings.out.exists() and not settings.out.is_dir():
        parser.error(f"argument --out: {settings.out} exists and is not a folder")
    try:
        settings.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"argument --out: cannot create {settings.out}: {error.strerror}")

    from .experiment import run_experiment
    from .report import write_all

    results = run_experiment(settings)
    names = write_all(results, settings.out)
    print((settings.out / "readme.md").read_text())
    print(f"{sum(results.seconds.values()):.0f} s; wrote {', '.join(names)} to {settings.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
