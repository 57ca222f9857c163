"""``$step()`` cost of the R package, both optimizer kinds, against torch's OneCycleLR
stepped from R through reticulate: runs ``bench_r.R`` with ``Rscript``, which prints
medians over alternating rounds (with their range), the ratios measured in the same
run, and PASS/MISS against the targets of issue 13.

Usage: ``python benchmarks/bench_r.py`` (``make bench`` sets up first and runs it);
``BENCH_STEPS`` and ``BENCH_ROUNDS`` set the length of a run and the number of rounds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    env = {
        **os.environ,
        "R_LIBS": str(ROOT / ".rlib"),
        "RETICULATE_PYTHON": os.environ.get("RETICULATE_PYTHON", sys.executable),
    }
    script = Path(__file__).with_name("bench_r.R")
    return subprocess.run(["Rscript", str(script)], env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
