"""OneCycleLR under torch.distributed: every rank applies the same values, bit for bit,
and a checkpoint saved on rank 0 resumes on all ranks, on as many or on more of them.

Each test starts real process groups (gloo, CPU, one thread per process) with
``torch.multiprocessing`` and a file rendezvous in the test's temporary folder; gloo is
kept on the loopback interface. Ranks gather their per-step lr and momentum and their
final weights to rank 0, which writes them for the test to compare. A deadline on every
process group (and a timeout on its collectives) turns a hang into a failure.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lr_one_cycle import OneCycleLR, one_cycle_schedule

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="torch was built without torch.distributed / gloo",
)

MAX_LRS = [0.1, 0.05]  # two parameter groups, each with its own peak
TOTAL = 10  # optimizer updates of the uninterrupted run
SAVED_AT = 4  # updates taken when the checkpoint is written
DEADLINE_S = 120.0  # a whole process group, start-up included


# --------------------------------------------------------------------------- in the workers


def _build() -> tuple[torch.nn.Module, torch.optim.Optimizer, OneCycleLR]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(
        [{"params": model[0].parameters()}, {"params": model[2].parameters()}],
        lr=1.0,
        momentum=0.9,
    )
    return model, optimizer, OneCycleLR(optimizer, max_lr=MAX_LRS, total_steps=TOTAL)


def _train(
    rank: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: OneCycleLR,
    until: int,
) -> list[list[float]]:
    """Train up to update ``until``; per update, the lrs and momentums it was applied with.

    Each rank draws its own batch for each update (seeded by rank and update), so DDP's
    gradient averaging matters and the data do not depend on where a run was resumed.
    """
    applied = []
    while scheduler.last_epoch < until:
        generator = torch.Generator().manual_seed(1000 * rank + scheduler.last_epoch)
        x = torch.randn(8, 4, generator=generator)
        y = torch.randn(8, 1, generator=generator)
        torch.nn.functional.mse_loss(model(x), y).backward()
        groups = optimizer.param_groups
        applied.append([g["lr"] for g in groups] + [g["momentum"] for g in groups])
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
    return applied


def _gather(tensor: torch.Tensor, world_size: int) -> torch.Tensor:
    parts = [torch.empty_like(tensor) for _ in range(world_size)]
    dist.all_gather(parts, tensor)
    return torch.stack(parts)


def _report(
    rank: int,
    world_size: int,
    applied: list[list[float]],
    model: torch.nn.Module,
    scheduler: OneCycleLR,
) -> dict[str, Any]:
    weights = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    last = torch.tensor([scheduler.get_last_lr()], dtype=torch.float64)
    report = {
        "weights": _gather(weights, world_size),
        "last_lr": _gather(last, world_size),
        "last_epoch": scheduler.last_epoch,
    }
    if applied:
        values = torch.tensor(applied, dtype=torch.float64)
        report["applied"] = _gather(values, world_size)  # [rank, update, lrs..., momentums...]
    return report


def _worker(rank: int, world_size: int, folder: str, job: str, resume_total: int) -> None:
    """One rank. ``job``: ``"first"`` (the uninterrupted run, then a run checkpointed at
    SAVED_AT) or ``"resume"`` (load the checkpoint, optionally resume_with a new length,
    and finish)."""
    torch.set_num_threads(1)
    os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    dist.init_process_group(
        "gloo",
        init_method=f"file://{folder}/rendezvous-{job}-{world_size}-{resume_total}",
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=60),
    )
    results: dict[str, Any] = {}
    if job == "first":
        # The reference wraps the model in a new DDP at SAVED_AT, as the resumed run does,
        # so that the two differ only by the checkpoint. A new DDP lays its gradient
        # buckets out afresh (one that has trained rebuilt them in gradient-ready order),
        # and gloo's ring all-reduce adds the ranks' gradients in an order that depends on
        # where an element sits in the bucket: with 3 ranks, (a + b) + c against
        # a + (b + c), so a re-wrap alone moves the weights in the last bits (about 1e-8,
        # visible or not depending on the CPU's kernels: ATEN_CPU_CAPABILITY=default shows
        # it). With 2 ranks a + b == b + a and the order never mattered.
        model, optimizer, scheduler = _build()
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        applied = _train(rank, ddp, optimizer, scheduler, SAVED_AT)
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        applied += _train(rank, ddp, optimizer, scheduler, TOTAL)
        results["uninterrupted"] = _report(rank, world_size, applied, model, scheduler)

        model, optimizer, scheduler = _build()
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        applied = _train(rank, ddp, optimizer, scheduler, SAVED_AT)
        results["before_checkpoint"] = _report(rank, world_size, applied, model, scheduler)
        if rank == 0:
            checkpoint = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
            }
            torch.save(checkpoint, f"{folder}/checkpoint.pt")
    else:
        model, optimizer, scheduler = _build()
        checkpoint = torch.load(f"{folder}/checkpoint.pt", weights_only=True)
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        results["resumed_at"] = _report(rank, world_size, [], model, scheduler)
        scheduler.resume_with(total_steps=resume_total)
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        applied = _train(rank, ddp, optimizer, scheduler, resume_total)
        results["resumed"] = _report(rank, world_size, applied, model, scheduler)
    if rank == 0:
        torch.save(results, f"{folder}/results-{job}-{world_size}.pt")
    # Leave only after every rank is done (rank 0 has written the results): a rank
    # leaving while others still talk to it can abort them. Then leave without any
    # teardown: gloo's C++ teardown (destroy_process_group, or the destructors run at
    # interpreter exit) now and then aborts a rank with "terminate called without an
    # active exception" (SIGABRT), about once in ten runs here even after the barrier,
    # and there is nothing left to clean up that the process's exit does not.
    dist.barrier()
    os._exit(0)


# --------------------------------------------------------------------------- in the test


def _spawn(world_size: int, folder: Path, job: str, resume_total: int = TOTAL) -> dict[str, Any]:
    """Run ``world_size`` ranks of ``job``; rank 0's gathered results, and the seconds taken."""
    started = time.monotonic()
    context = mp.start_processes(
        _worker,
        args=(world_size, str(folder), job, resume_total),
        nprocs=world_size,
        join=False,
        start_method="spawn",
    )
    try:
        while not context.join(timeout=1.0):
            if time.monotonic() - started > DEADLINE_S:
                pytest.fail(f"{world_size} ranks of {job!r} did not finish in {DEADLINE_S:.0f} s")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()
                process.join()
    results = torch.load(folder / f"results-{job}-{world_size}.pt", weights_only=True)
    results["seconds"] = time.monotonic() - started
    return results


def _expected(total: int, steps: range) -> torch.Tensor:
    """The values of a single-process OneCycleLR (the pure core, scalar and exact)."""
    rows = []
    for step in steps:
        values = [one_cycle_schedule(step, max_lr=m, total_steps=total) for m in MAX_LRS]
        rows.append([lr for lr, _ in values] + [mom for _, mom in values])
    return torch.tensor(rows, dtype=torch.float64)


def _same_on_every_rank(gathered: torch.Tensor) -> torch.Tensor:
    """The value every rank holds; fails unless all ranks hold it bit for bit."""
    for rank in range(1, gathered.shape[0]):
        assert torch.equal(gathered[rank], gathered[0]), f"rank {rank} differs from rank 0"
    return gathered[0]


FirstRuns = Callable[[int], tuple[Path, dict[str, Any]]]


@pytest.fixture(scope="module")
def first_runs(tmp_path_factory: pytest.TempPathFactory) -> FirstRuns:
    """The "first" job of a number of ranks, run once per module: its folder (holding
    the checkpoint) and its results."""
    done: dict[int, tuple[Path, dict[str, Any]]] = {}

    def run(world_size: int) -> tuple[Path, dict[str, Any]]:
        if world_size not in done:
            folder = tmp_path_factory.mktemp(f"ranks{world_size}")
            done[world_size] = (folder, _spawn(world_size, folder, "first"))
        return done[world_size]

    return run


@pytest.mark.parametrize("world_size", [2, 3])
def test_ranks_apply_one_schedule_and_resume_bitwise(
    world_size: int, first_runs: FirstRuns
) -> None:
    """Every rank applies the same lr and momentum at every update, equal to the
    single-process schedule; a checkpoint written by rank 0 at update 4 and loaded on
    every rank (weights_only=True) finishes with the uninterrupted run's values and
    weights, bit for bit. The uninterrupted run re-wraps its model in a new DDP at
    update 4 too (see ``_worker``): a new DDP alone changes the order in which 3 ranks'
    gradients are summed, which is DDP's doing, not the checkpoint's."""
    folder, first = first_runs(world_size)
    resumed = _spawn(world_size, folder, "resume")

    full = first["uninterrupted"]
    applied = _same_on_every_rank(full["applied"])
    assert torch.equal(applied, _expected(TOTAL, range(TOTAL)))
    weights = _same_on_every_rank(full["weights"])
    assert full["last_epoch"] == TOTAL

    assert torch.equal(
        _same_on_every_rank(first["before_checkpoint"]["applied"]), applied[:SAVED_AT]
    )
    assert torch.equal(
        _same_on_every_rank(resumed["resumed_at"]["last_lr"])[0],
        applied[SAVED_AT, : len(MAX_LRS)],
    )
    assert torch.equal(_same_on_every_rank(resumed["resumed"]["applied"]), applied[SAVED_AT:])
    resumed_weights = _same_on_every_rank(resumed["resumed"]["weights"])
    drift = (resumed_weights - weights).abs().max().item()
    assert torch.equal(resumed_weights, weights), f"resumed weights drift by {drift:.3g}"
    assert torch.equal(
        _same_on_every_rank(resumed["resumed"]["last_lr"]), _same_on_every_rank(full["last_lr"])
    )
    print(
        f"{world_size} ranks: {TOTAL} updates uninterrupted and {SAVED_AT}+{TOTAL - SAVED_AT} "
        f"resumed, identical on every rank (max |drift| 0); process groups took "
        f"{first['seconds']:.1f} s and {resumed['seconds']:.1f} s"
    )


def test_checkpoint_of_2_ranks_resumes_on_3_ranks_with_a_shorter_run(first_runs: FirstRuns) -> None:
    """Elastic resume: 2 ranks save at update 4 of 10; 3 ranks load the checkpoint and
    resume_with(total_steps=8) (more workers, fewer updates). Every rank continues from
    the saved values without a jump, agrees bit for bit with the others and with a
    single-process scheduler resumed the same way, and ends on min_lr."""
    folder, _ = first_runs(2)
    resumed = _spawn(3, folder, "resume", resume_total=8)

    applied = _same_on_every_rank(resumed["resumed"]["applied"])
    reference = OneCycleLR(
        torch.optim.SGD(
            [{"params": [torch.zeros(1)]}, {"params": [torch.zeros(1)]}], lr=1.0, momentum=0.9
        ),
        max_lr=MAX_LRS,
        total_steps=TOTAL,
    )
    reference.step(epoch=SAVED_AT)
    reference.resume_with(total_steps=8)
    rows = []
    for _ in range(SAVED_AT, 8):
        groups = reference.optimizer.param_groups
        rows.append([g["lr"] for g in groups] + [g["momentum"] for g in groups])
        reference.step()
    assert torch.equal(applied, torch.tensor(rows, dtype=torch.float64))
    assert torch.equal(applied[0], _expected(TOTAL, range(SAVED_AT, SAVED_AT + 1))[0])
    min_lrs = [m / 25.0 / 1e4 for m in MAX_LRS]
    assert applied[-1, :2].tolist() == min_lrs
    assert _same_on_every_rank(resumed["resumed"]["last_lr"])[0].tolist() == min_lrs
    assert resumed["resumed"]["last_epoch"] == 8
