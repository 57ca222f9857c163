"""The experiment: range tests, each schedule's peak lr tuned on a validation split, then
every schedule trained at its tuned lr for several budgets and seeds, and tested.

1. **Range tests** (:func:`lr_one_cycle.lr_find`) on the training part of the
   validation split, ``range_seeds`` initialisations for each sweep of :data:`SWEEPS`
   (lr_find's defaults, and a finer one); every suggestion rule of
   :mod:`lr_one_cycle.range_test` is read off every curve.
2. **Tuning**: for each schedule, ``grid_size`` peak lrs evenly spaced in log over
   ``grid_decades`` decades up to the fine sweep's loss-minimum lr (the median over its
   range tests). Above that lr the loss already rises; anchoring the grid there, rather
   than at one rule's suggestion, keeps it neutral between the rules. Each grid point
   trains once (seed 0) for ``tune_steps`` steps on the training part and is scored on
   the validation part; the best validation accuracy picks the schedule's peak lr, which
   is then used at every budget. Tuning jobs read a :class:`~demo.data.Split`, which holds
   no test data.
3. **Runs**: each schedule at its tuned lr, for each budget and seed, on the whole
   training set; test accuracy every ``eval_every`` steps and after the last.

For a given seed every run starts from the same initial weights and sees the same
batches (reshuffled every epoch, the last partial batch dropped), whatever the schedule.
Runs are independent and deterministic, so they are spread over ``jobs`` worker
processes (one torch thread each by default: this small model trains fastest that way)
and give the same numbers however many there are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lr_one_cycle import LRFindResult, lr_find

from .data import Dataset, Split, load_digits, load_mnist1d, validation_split
from .schedules import BY_NAME

if TYPE_CHECKING:
    import torch

MOMENTUM = 0.9
# lr_find's defaults (8 decades in 100 iterations), and a finer sweep (6 decades in 200)
# whose loss minimum anchors the tuning grid.
SWEEPS: dict[str, dict[str, float]] = {
    "default": {},
    "fine": {"start_lr": 1e-5, "end_lr": 10.0, "num_iter": 200},
}
GRID_SWEEP = "fine"
VALIDATION_FRACTION = 0.2


@dataclass(frozen=True)
class Settings:
    """What to run; :mod:`demo.__main__` builds it from the command line."""

    budgets: tuple[int, ...] = (250, 500, 1000, 2000)
    seeds: int = 3
    schedules: tuple[str, ...] = ("1cycle", "constant", "cosine", "warm-restarts")
    out: Path = Path("out/demo")
    threads: int = 1
    jobs: int = 2
    quick: bool = False
    progress: bool = True
    tune_steps: int = 500
    grid_size: int = 6
    grid_decades: float = 1.5
    range_seeds: int = 3
    eval_every: int = 25


@dataclass(frozen=True)
class Job:
    """One training run to do. Tuning jobs (``tuning=True``) train on the split's
    training part and score on its validation part; the others train on the whole
    training set and score on the test set."""

    schedule: str
    peak_lr: float
    steps: int
    seed: int
    eval_every: int
    tuning: bool


@dataclass(frozen=True)
class Run:
    """One training run: its settings, the lr each update used, and test accuracies."""

    dataset: str
    schedule: str
    budget: int
    seed: int
    peak_lr: float
    lrs: np.ndarray  # (budget,): the lr of update k
    eval_steps: np.ndarray  # the step counts after which the model was evaluated
    eval_accuracy: np.ndarray  # the test accuracy there
    target: float

    @property
    def accuracy(self) -> float:
        """The test accuracy after the last update."""
        return float(self.eval_accuracy[-1])

    @property
    def steps_to_target(self) -> int | None:
        """The first evaluated step count at which the test accuracy reached the target."""
        hits = np.flatnonzero(self.eval_accuracy >= self.target)
        return int(self.eval_steps[hits[0]]) if hits.size else None


@dataclass(frozen=True)
class Trial:
    """One tuning run: a schedule at a peak lr, scored on the validation split."""

    schedule: str
    peak_lr: float
    steps: int
    val_accuracy: float


@dataclass(frozen=True)
class RangeTest:
    """One range test: its sweep (a key of :data:`SWEEPS`), seed, curve and every rule's
    suggestion (``None`` where the curve is too short for the rule)."""

    sweep: str
    seed: int
    result: LRFindResult
    suggestions: dict[str, float | None]


@dataclass
class Results:
    """Everything the report needs."""

    dataset: Dataset
    settings: Settings
    range_tests: list[RangeTest]
    grid: np.ndarray
    trials: list[Trial]
    tuned: dict[str, float]
    runs: list[Run]
    seconds: dict[str, float] = field(default_factory=dict)


def batches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int
) -> Callable[[], tuple[torch.Tensor, torch.Tensor]]:
    """A function giving the next mini-batch: the data reshuffled every epoch (by a
    seeded generator of its own), the last partial batch dropped."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    per_epoch = len(y) // batch_size
    pending: list[torch.Tensor] = []

    def next_batch() -> tuple[torch.Tensor, torch.Tensor]:
        if not pending:
            order = torch.randperm(len(y), generator=generator)[: per_epoch * batch_size]
            pending.extend(reversed(order.split(batch_size)))
        chunk = pending.pop()
        return x[chunk], y[chunk]

    return next_batch


def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    import torch

    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train(
    data: Dataset,
    x: torch.Tensor,
    y: torch.Tensor,
    schedule: str,
    peak_lr: float,
    steps: int,
    seed: int,
    evaluate: Callable[[torch.nn.Module], float],
    eval_every: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train a fresh model (initialised from ``seed``) for ``steps`` updates on ``(x, y)``
    under ``schedule`` (a name of :data:`demo.schedules.BY_NAME`) peaking at ``peak_lr``.
    Returns the lr of each update, and the step counts after which ``evaluate(model)``
    ran (every ``eval_every`` and the last) with its values."""
    import torch

    torch.manual_seed(seed)
    model = data.make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=peak_lr, momentum=MOMENTUM)
    scheduler = BY_NAME[schedule].build(optimizer, peak_lr, steps)
    next_batch = batches(x, y, data.batch_size, seed)
    loss_fn = torch.nn.functional.cross_entropy
    group = optimizer.param_groups[0]
    lrs = np.empty(steps)
    eval_steps: list[int] = []
    scores: list[float] = []
    for k in range(steps):
        inputs, targets = next_batch()
        lrs[k] = group["lr"]
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
        if k + 1 < steps:
            scheduler.step()
        if (k + 1) % eval_every == 0 or k + 1 == steps:
            eval_steps.append(k + 1)
            scores.append(evaluate(model))
    return lrs, np.array(eval_steps), np.array(scores)


def run_job(job: Job, data: Dataset, split: Split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`train` for ``job``: tuning jobs see only ``split``."""
    if job.tuning:
        x, y = split.x_train, split.y_train
        x_eval, y_eval = split.x_val, split.y_val
    else:
        x, y = data.x_train, data.y_train
        x_eval, y_eval = data.x_test, data.y_test
    return train(
        data,
        x,
        y,
        job.schedule,
        job.peak_lr,
        job.steps,
        job.seed,
        lambda model: accuracy(model, x_eval, y_eval),
        job.eval_every,
    )


_worker: dict[str, Any] = {}


def _start_worker(data: Dataset, split: Split, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    _worker.update(data=data, split=split)


def _work(job: Job) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return run_job(job, _worker["data"], _worker["split"])


@contextmanager
def workers(data: Dataset, split: Split, settings: Settings) -> Iterator[Executor | None]:
    """``settings.jobs`` worker processes (``None`` for 1: run in this process), each
    with ``data``, ``split`` and ``settings.threads`` torch threads."""
    if settings.jobs == 1:
        yield None
        return
    import multiprocessing

    # spawn: a forked child of a process that has run torch's thread pool can hang.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        settings.jobs, context, _start_worker, (data, split, settings.threads)
    ) as pool:
        yield pool


def run_jobs(
    jobs: Sequence[Job],
    data: Dataset,
    split: Split,
    pool: Executor | None,
    progress: bool,
    desc: str,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every job's result, in the order of ``jobs``: in this process without a pool,
    else in the pool's workers (the longest jobs first)."""
    from tqdm.auto import tqdm

    results: list[Any] = [None] * len(jobs)
    with tqdm(
        total=sum(j.steps for j in jobs), desc=desc, unit="step", disable=not progress
    ) as bar:
        if pool is None:
            for i, job in enumerate(jobs):
                results[i] = run_job(job, data, split)
                bar.update(job.steps)
            return results
        order = sorted(range(len(jobs)), key=lambda i: -jobs[i].steps)
        futures = {pool.submit(_work, jobs[i]): i for i in order}
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            bar.update(jobs[i].steps)
    return results


def range_tests(data: Dataset, split: Split, count: int, progress: bool) -> list[RangeTest]:
    """``count`` range tests per sweep of :data:`SWEEPS` on the training part of
    ``split`` (model and batch seeds 1000, 1001, ...), each rule read off each curve."""
    import torch

    found = []
    for sweep, options in SWEEPS.items():
        for seed in range(1000, 1000 + count):
            torch.manual_seed(seed)
            model = data.make_model()
            optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=MOMENTUM)
            next_batch = batches(split.x_train, split.y_train, data.batch_size, seed)
            epoch = [next_batch() for _ in range(len(split.y_train) // data.batch_size)]
            result = lr_find(
                model,
                optimizer,
                torch.nn.functional.cross_entropy,
                epoch,
                progress=progress,
                **options,  # type: ignore[arg-type]
            )
            found.append(RangeTest(sweep, seed, result, result.suggestions()))
    return found


def tuning_grid(tests: Sequence[RangeTest], settings: Settings) -> np.ndarray:
    """``grid_size`` lrs, evenly spaced in log over ``grid_decades`` decades, ending at
    the median loss-minimum lr of the :data:`GRID_SWEEP` range tests."""
    top = float(np.median([t.result.min_loss_lr for t in tests if t.sweep == GRID_SWEEP]))
    return top * 10.0 ** np.linspace(-settings.grid_decades, 0.0, settings.grid_size)


def tune(
    data: Dataset, split: Split, grid: np.ndarray, pool: Executor | None, settings: Settings
) -> tuple[list[Trial], dict[str, float]]:
    """Every schedule of ``settings`` at every lr of ``grid``, trained on ``split``'s
    training part and scored on its validation part; the best lr of each schedule (the
    smaller one on a tie)."""
    s = settings
    jobs = [
        Job(name, lr, s.tune_steps, 0, s.tune_steps, tuning=True)
        for name in s.schedules
        for lr in grid.tolist()
    ]
    done = run_jobs(jobs, data, split, pool, s.progress, "tuning")
    trials = [
        Trial(job.schedule, job.peak_lr, job.steps, float(scores[-1]))
        for job, (_, _, scores) in zip(jobs, done)
    ]
    tuned: dict[str, float] = {}
    for name in s.schedules:
        scored = [t for t in trials if t.schedule == name]
        tuned[name] = scored[int(np.argmax([t.val_accuracy for t in scored]))].peak_lr
    return trials, tuned


def run_experiment(settings: Settings, dataset: Dataset | None = None) -> Results:
    """Run the whole experiment on ``dataset`` (by default MNIST-1D, or digits when
    ``settings.quick``); no files are written (:mod:`demo.report` does that)."""
    import torch

    s = settings
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    data = dataset if dataset is not None else (load_digits() if s.quick else load_mnist1d())
    split = validation_split(data, VALIDATION_FRACTION)
    seconds["data"] = time.perf_counter() - clock

    threads = torch.get_num_threads()
    torch.set_num_threads(s.threads)
    try:
        clock = time.perf_counter()
        tests = range_tests(data, split, s.range_seeds, s.progress)
        grid = tuning_grid(tests, s)
        seconds["range tests"] = time.perf_counter() - clock
        with workers(data, split, s) as pool:
            clock = time.perf_counter()
            trials, tuned = tune(data, split, grid, pool, s)
            seconds["tuning"] = time.perf_counter() - clock

            clock = time.perf_counter()
            jobs = [
                Job(name, tuned[name], budget, seed, s.eval_every, tuning=False)
                for name in s.schedules
                for budget in s.budgets
                for seed in range(s.seeds)
            ]
            done = run_jobs(jobs, data, split, pool, s.progress, "training")
            runs = [
                Run(data.name, job.schedule, job.steps, job.seed, job.peak_lr, *result, data.target)
                for job, result in zip(jobs, done)
            ]
            seconds["training"] = time.perf_counter() - clock
    finally:
        torch.set_num_threads(threads)
    return Results(data, s, tests, grid, trials, tuned, runs, seconds)
