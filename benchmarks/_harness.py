"""What every benchmark script shares: the rules of benchmarks/README.md, written once.

- :func:`alternate` times the sides of a comparison in turns, in one process, the order
  rotating every round, with the garbage collector on (it refuses to run with it off);
- :class:`Stats` is a median with its spread (min .. max) over the rounds; ratios are
  taken within each round (the sides of a round ran back to back), and their median
  and spread reported;
- :class:`Report` prints each measurement and each target with PASS or MISS, and
  writes the script's results to ``out/bench/<script>.json``, which
  ``benchmarks/run_all.py`` (``make bench``) gathers into ``out/bench/results.json``;
- :func:`fresh_process` runs one measurement in a new Python process, for anything
  with start-up costs or caches (``torch.compile``), and reads back its JSON.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out" / "bench"


@dataclass(frozen=True)
class Stats:
    """A median over rounds with its spread, in ``unit``."""

    median: float
    low: float
    high: float
    n: int
    unit: str

    @classmethod
    def of(cls, values: Sequence[float], unit: str, scale: float = 1.0) -> Stats:
        scaled = [x * scale for x in values]
        return cls(statistics.median(scaled), min(scaled), max(scaled), len(scaled), unit)

    def __str__(self) -> str:
        return f"{_num(self.median)} {self.unit} [{_num(self.low)} .. {_num(self.high)}]"

    def as_json(self) -> dict[str, Any]:
        return {
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "n": self.n,
            "unit": self.unit,
        }


def _num(x: float) -> str:
    if x == 0 or 0.01 <= abs(x) < 1e5:
        return f"{x:.3g}" if abs(x) < 10 else f"{x:.4g}" if abs(x) < 1000 else f"{x:.0f}"
    return f"{x:.3e}"


#: The clock of the verdicts: this process's CPU time, which other processes on a shared
#: machine do not inflate (they still share its caches); wall-clock times are kept too.
clock = time.process_time
#: Wall-clock seconds of the last :func:`alternate`, side by side with its CPU seconds.
last_wall: dict[str, list[float]] = {}


def alternate(
    sides: Mapping[str, Callable[[], object]], rounds: int, *, warmup: bool = True
) -> dict[str, list[float]]:
    """CPU seconds per call of each side, ``rounds`` times, in turns: each round runs
    every side once, and the order rotates from round to round (so no side always runs
    first, after the same neighbour). The collector stays on: what a side allocates is
    collected on its own clock, and what it returns is freed after its clock stops.
    ``warmup``: one untimed call of each side first. The wall-clock seconds are left in
    :data:`last_wall`."""
    if not gc.isenabled():
        raise RuntimeError("benchmarks run with the garbage collector on (see README.md)")
    names = list(sides)
    if warmup:
        for name in names:
            sides[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    last_wall.clear()
    last_wall.update({name: [] for name in names})
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            wall = time.perf_counter()
            start = clock()
            result = sides[name]()
            times[name].append(clock() - start)
            last_wall[name].append(time.perf_counter() - wall)
            del result  # freed off the clock: a side is timed making its result
    return times


def ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Round by round ratios (the two sides of a round ran back to back)."""
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


def peak_bytes(function: Callable[[], object]) -> int:
    """Peak memory traced while ``function`` runs (numpy reports its buffers to
    ``tracemalloc``), above what was allocated before; its result is freed first."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        function()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on this machine
        return []


class Report:
    """The measurements and targets of one script: printed as they come, and written to
    ``out/bench/<name>.json`` by :meth:`write`."""

    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.started = time.time()
        self.measurements: dict[str, dict[str, Any]] = {}
        self.targets: list[dict[str, Any]] = []
        self.notes: list[str] = []
        print(f"== {title}  (load average {load_average()})", flush=True)

    def section(self, title: str) -> None:
        print(f"-- {title}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"   note: {text}", flush=True)

    def measure(self, key: str, stats: Stats, label: str | None = None, **extra: Any) -> Stats:
        self.measurements[key] = {**stats.as_json(), **extra}
        print(f"   {label or key:<58} {stats}", flush=True)
        return stats

    def target(
        self,
        name: str,
        value: float,
        limit: float,
        *,
        op: str = "<=",
        unit: str = "x",
        spread: tuple[float, float] | None = None,
        what: str = "",
    ) -> bool:
        """Print ``name: value (target op limit) PASS/MISS`` and record it."""
        ok = value <= limit if op == "<=" else value >= limit
        shown = f"{_num(value)}{unit}"
        if spread is not None:
            shown += f" [{_num(spread[0])} .. {_num(spread[1])}]"
        print(
            f"   TARGET {name}: {shown} (target {op} {_num(limit)}{unit}) "
            f"{'PASS' if ok else 'MISS'}",
            flush=True,
        )
        self.targets.append(
            {
                "script": self.name,
                "name": name,
                "value": value,
                "op": op,
                "limit": limit,
                "unit": unit,
                "spread": list(spread) if spread is not None else None,
                "what": what,
                "pass": ok,
            }
        )
        return ok

    def ratio_target(
        self,
        name: str,
        ours: Sequence[float],
        theirs: Sequence[float],
        limit: float,
        *,
        op: str = "<=",
        what: str = "",
    ) -> bool:
        """A target on ``median(ours) / median(theirs)``, with the spread of the round
        by round ratios."""
        value = statistics.median(ours) / statistics.median(theirs)
        each = ratios(ours, theirs)
        return self.target(
            name, value, limit, op=op, spread=(min(each), max(each)), what=what
        )

    def write(self) -> Path:
        import numpy

        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{self.name}.json"
        versions = {"python": platform.python_version(), "numpy": numpy.__version__}
        torch = sys.modules.get("torch")
        if torch is not None:
            versions["torch"] = torch.__version__
        payload = {
            "script": self.name,
            "wall_s": round(time.time() - self.started, 1),
            "load_average_end": load_average(),
            "versions": versions,
            "measurements": self.measurements,
            "targets": self.targets,
            "notes": self.notes,
        }
        path.write_text(json.dumps(payload, indent=1) + "\n")
        passed = sum(t["pass"] for t in self.targets)
        print(
            f"== {self.name}: {passed}/{len(self.targets)} targets PASS, "
            f"{payload['wall_s']} s, results in {path.relative_to(ROOT)}",
            flush=True,
        )
        return path


def fresh_process(script: str | Path, args: Sequence[str], env: Mapping[str, str] | None = None,
                  timeout: float = 300) -> dict[str, Any]:
    """Run ``python script *args`` in a new process and return the JSON object it
    prints on its last line of output (its measurement)."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
