"""Command line: ``python -m lr_one_cycle`` / ``lr-one-cycle``.

``demo`` prints a 1cycle schedule table for now; the LR range test and training demo
replace it (see the README).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ._schedules import one_cycle_schedule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lr-one-cycle", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print a 1cycle schedule table")
    demo.add_argument("--total-steps", type=int, default=100)
    demo.add_argument("--max-lr", type=float, default=0.01)
    args = parser.parse_args(argv)
    steps = np.linspace(0, args.total_steps - 1, 11).round().astype(int)
    lr, mom = one_cycle_schedule(steps, max_lr=args.max_lr, total_steps=args.total_steps)
    print(f"{'step':>6} {'lr':>12} {'momentum':>9}")
    for k, a, b in zip(steps, lr, mom, strict=True):
        print(f"{k:>6} {a:>12.6g} {b:>9.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
