"""The schedule and ``torch.compile`` (CPU, inductor), by the rules of README.md: every
measurement in a fresh process with an empty inductor cache.

    .venv/bin/python benchmarks/bench_compiled.py [--rounds 2] [--steps 1000] [--jobs 2]

1. Graphs compiled over a whole 1cycle run of a compiled optimizer step, tensor lr (and
   betas): AdamW (torch's OneCycleLR rewrites ``betas`` with a Python float and inductor
   recompiles at every step until dynamo's limit) and SGD with momentum, with ours,
   torch's and no scheduler, with dynamo's reasons for every recompile. Target (issue
   14): 1 graph each with ours. SGD shows 2, with any scheduler and with none: the
   recorded reasons say why, and the last two cases remove the causes one by one.
2. The per-step cost of the schedule in a compiled AdamW loop: InGraphScheduler (the
   schedule inside the compiled region) against our eager OneCycleLR and torch's,
   stepped between compiled optimizer steps. Every variant does the same work per step
   (one compiled AdamW update of the same model, the 1cycle lr and beta1 of the next
   step written into the optimizer); each worker compiles and warms up, then times
   ``--steps`` steps in chunks of 100 (CPU time, collector on) and keeps the median
   chunk; rounds alternate the order of the variants; the table gives each variant's
   median over the rounds with its spread. The overhead of a schedule is its median
   minus that of the loop with no schedule. Target (issue 16): the in-graph update
   compiles once (2 graphs: the optimizer's and the schedule's, none after warm-up);
   the per-step overhead has no target on the CPU.

Workers run ``--jobs`` at a time (two cores: compiling is most of this script's time);
their times are CPU times, which a neighbouring worker does not inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from typing import Any

from _harness import Report, Stats

CHUNK = 100  # steps per timed chunk

VARIANTS = {
    "none": "no schedule (the fixed cost of the loop)",
    "in-graph": "InGraphScheduler, exact table",
    "ours eager": "our OneCycleLR.step() between compiled steps",
    "torch": "torch OneCycleLR.step() between compiled steps",
}

SGD_CASES = {
    # name: (scheduler, momentum buffers made before the first step, dynamic)
    "SGD ours": ("ours", False, None),
    "SGD torch": ("torch", False, None),
    "SGD no scheduler": ("none", False, None),
    "SGD ours, buffers made first": ("ours", True, None),
    "SGD ours, buffers made first, dynamic=True": ("ours", True, True),
}


# --------------------------------------------------------------------------- workers


def recompile_reasons() -> list[str]:
    """Collects the guard failures dynamo logs when it recompiles."""
    import logging

    import torch

    reasons: list[str] = []

    class Reasons(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            for line in record.getMessage().splitlines():
                line = line.strip()
                head = line[2:].split(":", 1)[0] if line.startswith("- ") else ""
                if "/" in head and head.replace("/", "").isdigit():  # "- 2/0: guard"
                    reasons.append(line[2:].split("#")[0].strip())

    torch._logging.set_logs(recompiles=True)
    logging.getLogger("torch._dynamo").addHandler(Reasons())
    return reasons


def step_worker(variant: str, steps: int, warmup: int) -> dict[str, Any]:
    import torch
    from torch._dynamo.utils import counters
    from torch.optim.lr_scheduler import OneCycleLR as TorchOneCycleLR

    from lr_one_cycle import InGraphScheduler, OneCycleLR

    warnings.simplefilter("ignore")
    reasons = recompile_reasons()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Linear(64, 64))
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=torch.tensor(1e-3), betas=(torch.tensor(0.9), torch.tensor(0.999))
    )
    total = warmup + steps + 1  # the run spans the whole cycle
    host_step = None
    if variant == "in-graph":
        scheduler = InGraphScheduler(OneCycleLR(optimizer, max_lr=1e-3, total_steps=total))

        def body() -> None:
            optimizer.step()
            scheduler.step()

    else:

        def body() -> None:
            optimizer.step()

        if variant == "ours eager":
            host_step = OneCycleLR(optimizer, max_lr=1e-3, total_steps=total).step
        elif variant == "torch":
            host_step = TorchOneCycleLR(optimizer, max_lr=1e-3, total_steps=total).step

    start, start_cpu = time.perf_counter(), time.process_time()
    update = torch.compile(body)
    for _ in range(warmup):
        update()
        if host_step is not None:
            host_step()
    compile_wall = time.perf_counter() - start
    compile_cpu = time.process_time() - start_cpu
    graphs_warm = counters["stats"]["unique_graphs"]
    chunks = []
    for _ in range(steps // CHUNK):
        begin = time.process_time()
        if host_step is None:
            for _ in range(CHUNK):
                update()
        else:
            for _ in range(CHUNK):
                update()
                host_step()
        chunks.append((time.process_time() - begin) / CHUNK * 1e6)
    return {
        "us_per_step": statistics.median(chunks),
        "graphs": counters["stats"]["unique_graphs"],
        "graphs_after_warmup": graphs_warm,
        "warmup_wall_s": compile_wall,
        "warmup_cpu_s": compile_cpu,
        "recompile_reasons": sorted(set(reasons))[:4],
    }


def sgd_worker(name: str, total: int) -> dict[str, Any]:
    """A small model trained for one cycle with a compiled SGD step."""
    import torch
    from torch._dynamo.utils import counters
    from torch.optim.lr_scheduler import OneCycleLR as TorchOneCycleLR

    from lr_one_cycle import OneCycleLR

    warnings.simplefilter("ignore")
    which, buffers_first, dynamic = SGD_CASES[name]
    reasons = recompile_reasons()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Linear(16, 4)
    opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.01), momentum=0.9)
    if buffers_first:  # what SGD's first step would make (zeros: the same values then)
        for p in model.parameters():
            opt.state[p]["momentum_buffer"] = torch.zeros_like(p)
    scheduler: Any = None
    if which == "ours":
        scheduler = OneCycleLR(opt, max_lr=0.01, total_steps=total)
    elif which == "torch":
        scheduler = TorchOneCycleLR(opt, max_lr=0.01, total_steps=total)

    @torch.compile(backend="inductor", dynamic=dynamic)
    def optimizer_step() -> None:
        opt.step()

    x = torch.randn(8, 16)
    graphs_by_step = []
    for _ in range(total):
        model(x).pow(2).mean().backward()
        optimizer_step()
        opt.zero_grad()
        if scheduler is not None:
            scheduler.step()
        graphs_by_step.append(counters["stats"]["unique_graphs"])
    return {
        "graphs": counters["stats"]["unique_graphs"],
        "graphs_after_step": graphs_by_step[:3],
        "recompile_reasons": sorted(set(reasons))[:4],
    }


# --------------------------------------------------------------------------- the pool


def run_all(jobs: Sequence[list[str]], at_once: int) -> list[dict[str, Any]]:
    """Run ``python this_script *args`` for every job, ``at_once`` at a time, each with
    its own empty inductor cache; return what each printed last (JSON)."""
    results: list[dict[str, Any] | None] = [None] * len(jobs)
    running: list[tuple[int, subprocess.Popen[str], tempfile.TemporaryDirectory[str]]] = []
    queue = list(enumerate(jobs))
    while queue or running:
        while queue and len(running) < at_once:
            i, args = queue.pop(0)
            cache = tempfile.TemporaryDirectory()
            env = {
                **os.environ,
                "TORCHINDUCTOR_CACHE_DIR": cache.name,
                "TORCHINDUCTOR_COMPILE_THREADS": "1",  # compiled in the worker: its CPU time
                "PYTHONWARNINGS": "ignore",
            }
            process = subprocess.Popen(
                [sys.executable, __file__, *args], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, env=env,
            )
            running.append((i, process, cache))
        i, process, cache = running.pop(0)
        out, err = process.communicate(timeout=600)
        cache.cleanup()
        if process.returncode != 0:
            raise RuntimeError(f"worker {jobs[i]} failed:\n{err[-3000:]}")
        results[i] = json.loads(out.strip().splitlines()[-1])
    return results  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2, help="workers at a time")
    parser.add_argument("--cycle", type=int, default=30, help="SGD: steps of the cycle")
    parser.add_argument("--worker", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--sgd-worker", choices=sorted(SGD_CASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(step_worker(args.worker, args.steps, args.warmup)))
        return
    if args.sgd_worker:
        print(json.dumps(sgd_worker(args.sgd_worker, args.cycle)))
        return

    report = Report("compiled", "the schedule and torch.compile (bench_compiled.py)")
    names = list(VARIANTS)
    jobs: list[list[str]] = []
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]  # alternate the order
        jobs += [["--worker", n, "--steps", str(args.steps), "--warmup", str(args.warmup)]
                 for n in order]
    jobs += [["--sgd-worker", name, "--cycle", str(args.cycle)] for name in SGD_CASES]
    done = run_all(jobs, args.jobs)
    runs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    sgd: dict[str, dict[str, Any]] = {}
    for job, result in zip(jobs, done):
        if job[0] == "--worker":
            runs[job[1]].append(result)
        else:
            sgd[job[1]] = result

    report.section("graphs compiled over a whole 1cycle run, fresh processes, empty caches")
    adamw = {"AdamW ours": runs["ours eager"][-1], "AdamW torch": runs["torch"][-1]}
    for name, r in [*adamw.items(), *sgd.items()]:
        report.measure(f"graphs {name}", Stats.of([r["graphs"]], "graphs"), name,
                       recompile_reasons=r["recompile_reasons"])
        for reason in r["recompile_reasons"]:
            print(f"      recompiled because: {reason}")
    report.target("compile, AdamW with ours: graphs over the cycle",
                  adamw["AdamW ours"]["graphs"], 1, unit=" graphs")
    report.target("compile, SGD (momentum) with ours: graphs over the cycle",
                  sgd["SGD ours"]["graphs"], 1, unit=" graphs",
                  what="torch's SGD itself: see the note")
    report.target("compile, SGD with ours: graphs added to the optimizer's own",
                  sgd["SGD ours"]["graphs"] - sgd["SGD no scheduler"]["graphs"], 0,
                  unit=" graphs")
    report.target("compile, SGD with ours, buffers made first, dynamic=True: graphs",
                  sgd["SGD ours, buffers made first, dynamic=True"]["graphs"], 1,
                  unit=" graphs")
    report.note(
        "SGD compiles 2 graphs with ours, with torch's OneCycleLR "
        f"({sgd['SGD torch']['graphs']}) and with no scheduler at all "
        f"({sgd['SGD no scheduler']['graphs']}): torch's SGD makes its momentum buffers in "
        "its first step, so dynamo's guard on len(optimizer.state[p]) == 0 fails at the "
        "second step; and dynamo specializes the float momentum on its first value, then "
        "recompiles once with it dynamic. With the buffers made before the first step "
        f"({sgd['SGD ours, buffers made first']['graphs']} graphs: the float alone), and "
        "with dynamic=True as well "
        f"({sgd['SGD ours, buffers made first, dynamic=True']['graphs']} graph). Neither "
        "comes from the scheduler."
    )

    report.section(
        f"compiled AdamW update (2 x Linear(64, 64)), {args.steps} timed steps per process "
        f"(median of chunks of {CHUNK}, CPU time), {args.rounds} fresh processes per variant"
    )
    medians = {n: statistics.median(x["us_per_step"] for x in runs[n]) for n in names}
    base = medians["none"]
    for n in names:
        overhead = "" if n == "none" else f", overhead {medians[n] - base:+.1f} us"
        report.measure(
            f"compiled step {n}", Stats.of([x["us_per_step"] for x in runs[n]], "us/step"),
            f"{n}{overhead}", graphs=runs[n][-1]["graphs"],
            graphs_after_warmup=runs[n][-1]["graphs_after_warmup"],
            warmup_wall_s=[round(x["warmup_wall_s"], 1) for x in runs[n]],
        )
    warm = {n: [x["warmup_cpu_s"] for x in runs[n]] for n in names}
    for n in names:
        report.measure(f"compile and warm-up {n}", Stats.of(warm[n], "s"),
                       f"compile + {args.warmup} warm-up steps, {n} (CPU time)")
    print(
        "   compile + warm-up, ours eager / torch (fresh processes, CPU time): "
        f"{statistics.median(warm['ours eager']) / statistics.median(warm['torch']):.2f}"
    )
    stable = all(x["graphs"] == x["graphs_after_warmup"] == 2 for x in runs["in-graph"])
    report.target("in-graph: graphs (optimizer + schedule, none after warm-up)",
                  runs["in-graph"][-1]["graphs"] if stable else 99, 2, unit=" graphs")
    report.note(
        "per-step overhead of the schedule on CPU (no target): in-graph "
        f"{medians['in-graph'] - base:+.1f} us, ours eager {medians['ours eager'] - base:+.1f} "
        f"us, torch {medians['torch'] - base:+.1f} us (torch's betas float recompiles the "
        "optimizer step until dynamo's limit, then it runs eagerly)"
    )
    report.write()


if __name__ == "__main__":
    main()
