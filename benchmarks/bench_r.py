"""``$step()`` cost of the R package, both optimizer kinds, against torch's OneCycleLR
called from R through reticulate: runs ``bench_r.R`` with ``Rscript`` and prints its
table of microseconds per step and ratios (the reference is measured in the same run).

Usage: ``python benchmarks/bench_r.py`` (``make bench-r`` sets up first).
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
