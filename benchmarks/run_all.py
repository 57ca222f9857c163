"""``make bench``: every benchmark script, each in a fresh process, then one table of
every target with PASS or MISS, written with all the measurements to
``out/bench/results.json``.

    .venv/bin/python benchmarks/run_all.py [script ...]

The whole run is itself a target: at most 5 minutes (README.md).
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

from _harness import OUT, ROOT, load_average

SCRIPTS = [
    "bench_one_cycle.py",
    "bench_warm_restarts.py",
    "bench_cosine.py",
    "bench_compose.py",
    "bench_compiled.py",
    "bench_r.py",
]
BUDGET_S = 300.0


def main(names: list[str]) -> int:
    scripts = names or SCRIPTS
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob("*.json"):
        stale.unlink()
    here = Path(__file__).parent
    started = time.time()
    load_start = load_average()
    failed = []
    for script in scripts:
        done = subprocess.run([sys.executable, str(here / script)], cwd=ROOT, check=False)
        if done.returncode != 0:
            failed.append(script)
    wall = time.time() - started
    results = {}
    for path in sorted(OUT.glob("*.json"), key=lambda p: _order(p, scripts)):
        if path.name != "results.json":
            results[path.stem] = json.loads(path.read_text())
    targets = [t for r in results.values() for t in r["targets"]]
    budget = {
        "script": "run_all",
        "name": "make bench: the whole run",
        "value": round(wall, 1),
        "op": "<=",
        "limit": BUDGET_S,
        "unit": " s",
        "spread": None,
        "what": f"{len(scripts)} scripts, one after the other",
        "pass": wall <= BUDGET_S,
    }
    if not names:
        targets.append(budget)
    summary = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "wall_s": round(wall, 1),
        "load_average": {"start": load_start, "end": load_average()},
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
        "failed": failed,
        "passed": sum(t["pass"] for t in targets),
        "targets_total": len(targets),
        "targets": targets,
        "scripts": results,
    }
    (OUT / "results.json").write_text(json.dumps(summary, indent=1) + "\n")
    print()
    print(f"== every target ({summary['passed']}/{len(targets)} PASS), load average "
          f"{load_start} at the start, {summary['load_average']['end']} at the end")
    width = max(len(t["name"]) for t in targets) if targets else 10
    for t in targets:
        value = f"{t['value']:.3g}{t['unit']}"
        if t["spread"]:
            value += f" [{t['spread'][0]:.3g} .. {t['spread'][1]:.3g}]"
        print(f"  {'PASS' if t['pass'] else 'MISS'}  {t['name']:<{width}}  {value:<26} "
              f"(target {t['op']} {t['limit']:g}{t['unit']})")
    print(f"results: {(OUT / 'results.json').relative_to(ROOT)}")
    if failed:
        print(f"failed scripts: {', '.join(failed)}")
        return 1
    return 0


def _order(path: Path, scripts: list[str]) -> int:
    """The place of the script that wrote ``path`` (``bench_<name>.py``) in the run."""
    name = f"bench_{path.stem}.py"
    return scripts.index(name) if name in scripts else len(scripts)


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
