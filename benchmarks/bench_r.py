"""``$step()`` cost of the R package, both optimizer kinds, against torch's OneCycleLR
stepped from R through reticulate, by the rules of README.md.

Runs ``bench_r.R`` with ``Rscript``, which times the cases (like for like: every side
a scheduler over the same optimizer kind and groups, its step method fetched once
before the loop; collectors on; rounds of long runs in an order that alternates) and
writes the times; this script reports them: medians over the rounds with their range
(CPU time, the verdicts; wall clock alongside), ratios taken within each round.

Targets (issue 13): a Python torch optimizer's ``$step()`` <= 0.5x torch's OneCycleLR
stepped from R; an optimizer that lives in R <= 5 us a step with 1 group, <= 8 us with 4.

Usage: ``python benchmarks/bench_r.py`` (``make bench`` sets up first and runs it);
``BENCH_STEPS`` and ``BENCH_ROUNDS`` set the length of a run and the number of rounds.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from _harness import ROOT, Report, Stats

TORCH = "torch OneCycleLR, Python optimizer, {} group(s)"
OURS = "lr_one_cycle, Python optimizer, {} group(s)"
R_SIDE = "lr_one_cycle, R optimizer, {} group(s)"


def main() -> int:
    report = Report("r", "the R package's $step() (bench_r.py, bench_r.R)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "times.csv"
        env = {
            **os.environ,
            "R_LIBS": str(ROOT / ".rlib"),
            "RETICULATE_PYTHON": os.environ.get("RETICULATE_PYTHON", sys.executable),
            "BENCH_R_OUT": str(out),
        }
        script = Path(__file__).with_name("bench_r.R")
        done = subprocess.run(["Rscript", str(script)], env=env, check=False)
        if done.returncode != 0:
            return done.returncode
        with out.open() as f:
            rows = list(csv.DictReader(f))
    cpu: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: int(r["round"])):
        cpu[row["case"]].append(float(row["cpu"]))
        wall[row["case"]].append(float(row["wall"]))
    report.section(
        f"$step() from R, {len(next(iter(cpu.values())))} rounds per case, "
        "microseconds per step, CPU time (wall clock in the JSON)"
    )
    for case in cpu:
        report.measure(f"R {case}", Stats.of(cpu[case], "us/step"), case,
                       wall=Stats.of(wall[case], "us/step").as_json())
    for n in (1, 4):
        report.ratio_target(f"R: Python optimizer, {n} group(s), ours / torch OneCycleLR",
                            cpu[OURS.format(n)], cpu[TORCH.format(n)], 0.5)
    for n, limit in ((1, 5.0), (4, 8.0)):
        stats = Stats.of(cpu[R_SIDE.format(n)], "us")
        report.target(f"R: R optimizer, {n} group(s), per step", stats.median, limit,
                      unit=" us", spread=(stats.low, stats.high))
    report.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
