"""The demo: find ``max_lr`` with the LR range test, then train with 1cycle, a constant lr
and cosine annealing on the same budget of steps, and compare.

Data: scikit-learn's bundled handwritten digits (1 797 8x8 images, shipped inside the
scikit-learn wheel, no download), split 75/25 into train and test (stratified, fixed).
Model: a small MLP (64 -> 128 -> 10) trained with SGD (momentum 0.9; 1cycle cycles it
0.95 -> 0.85 -> 0.95) on mini-batches of 64.

Each schedule is trained at two peak learning rates taken from one range test: the
suggested ``max_lr`` (loss minimum / 10) and the loss minimum itself (ten times higher,
the lr a hasty reading of the curve would pick). For every seed, all schedules start from
the same initial weights and see the same batches. Test accuracy is measured after every
step; the table reports the final accuracy (mean ± sd over seeds) and the steps taken to
first reach the target accuracy.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import _validate as v
from .one_cycle import OneCycleLR
from .range_test import LRFindResult, lr_find

if TYPE_CHECKING:
    import torch

ScheduleName = Literal["1cycle", "constant", "cosine"]
SCHEDULES: tuple[ScheduleName, ...] = ("1cycle", "constant", "cosine")
BATCH_SIZE = 64
TEST_FRACTION = 0.25
# 1 797 images, 450 of them held out for testing: 1 347 // 64 full batches an epoch.
STEPS_PER_EPOCH = 21
MOMENTUM = 0.9


@dataclass(frozen=True)
class Digits:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@dataclass(frozen=True)
class Run:
    """One training run: its settings, and the test accuracy after every step."""

    schedule: ScheduleName
    peak: str
    max_lr: float
    seed: int
    accuracy: np.ndarray
    lr: np.ndarray
    momentum: np.ndarray

    def steps_to(self, target: float) -> int | None:
        """The first step count after which the test accuracy reached ``target``."""
        hits = np.flatnonzero(self.accuracy >= target)
        return int(hits[0]) + 1 if hits.size else None


def load_digits_data() -> Digits:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixel intensities are 0..16
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, digits.target, test_size=TEST_FRACTION, stratify=digits.target, random_state=0
    )
    return Digits(
        torch.from_numpy(x_tr),
        torch.from_numpy(y_tr).long(),
        torch.from_numpy(x_te),
        torch.from_numpy(y_te).long(),
    )


def make_model(seed: int) -> torch.nn.Module:
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def batches(data: Digits, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled mini-batches, epoch after epoch (the last partial batch is dropped)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    n = STEPS_PER_EPOCH * BATCH_SIZE
    while True:
        order = torch.randperm(len(data.x_train), generator=generator)[:n]
        for chunk in order.split(BATCH_SIZE):
            yield data.x_train[chunk], data.y_train[chunk]


def range_test(data: Digits, *, progress: bool) -> LRFindResult:
    import torch

    model = make_model(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=MOMENTUM)
    stream = batches(data, seed=10_000)
    epoch = [next(stream) for _ in range(STEPS_PER_EPOCH)]
    return lr_find(model, optimizer, torch.nn.functional.cross_entropy, epoch, progress=progress)


def train(
    data: Digits,
    schedule: ScheduleName,
    max_lr: float,
    steps: int,
    seed: int,
    *,
    compile_model: bool = False,
    on_step: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train one run: the test accuracy after each of the ``steps`` updates, and the lr
    and momentum each update used."""
    import torch

    model = make_model(seed)
    forward = torch.compile(model) if compile_model else model
    optimizer = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=MOMENTUM)
    scheduler: Any = None
    if schedule == "1cycle":
        scheduler = OneCycleLR(optimizer, max_lr=max_lr, total_steps=steps)
    elif schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    loss_fn = torch.nn.functional.cross_entropy
    accuracy, lr, momentum = np.empty(steps), np.empty(steps), np.empty(steps)
    group = optimizer.param_groups[0]
    stream = batches(data, seed)
    for k in range(steps):
        x, y = next(stream)
        lr[k], momentum[k] = group["lr"], group["momentum"]
        optimizer.zero_grad()
        loss_fn(forward(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        with torch.no_grad():
            correct = (forward(data.x_test).argmax(1) == data.y_test).sum().item()
        accuracy[k] = correct / len(data.y_test)
        if on_step is not None:
            on_step()
    return accuracy, lr, momentum


@dataclass(frozen=True)
class DemoSettings:
    """The demo's checked settings; build them with :meth:`check`."""

    steps: int
    seeds: int
    target: float
    out: Path
    compile_model: bool
    progress: bool
    threads: int

    @classmethod
    def check(
        cls,
        *,
        steps: int | None = None,
        epochs: int | None = None,
        seeds: int = 5,
        target: float = 0.97,
        out: str | Path = "out/demo",
        compile_model: bool = False,
        progress: bool = True,
        threads: int = 1,
    ) -> DemoSettings:
        """The budget is ``steps`` optimizer updates, or ``epochs`` passes over the
        training set (:data:`STEPS_PER_EPOCH` steps each); the default is 300 steps."""
        if steps is not None and epochs is not None:
            raise ValueError(f"give steps or epochs, not both (got steps={steps}, epochs={epochs})")
        if epochs is not None:
            total = v.as_count("epochs", epochs) * STEPS_PER_EPOCH
        else:
            total = v.as_count("steps", 300 if steps is None else steps)
        return cls(
            steps=total,
            seeds=v.as_count("seeds", seeds),
            target=v.as_real("target", target, low=0.0, high=1.0, low_open=True),
            out=Path(out),
            compile_model=v.as_bool("compile_model", compile_model),
            progress=v.as_bool("progress", progress),
            threads=v.as_count("threads", threads),
        )


def run_demo(settings: DemoSettings | None = None, echo: Any = print) -> list[Run]:
    """Run the whole demo, write PNGs and CSVs into ``settings.out``, print the table."""
    import torch
    from tqdm.auto import tqdm

    s = settings if settings is not None else DemoSettings.check()
    data = load_digits_data()
    total, n_seeds, goal, folder, progress = s.steps, s.seeds, s.target, s.out, s.progress
    # A tiny MLP runs fastest on one thread; more only add synchronisation.
    torch.set_num_threads(s.threads)

    found = range_test(data, progress=progress)
    peaks = {"suggested": found.suggested_max_lr, "loss minimum": found.min_loss_lr}
    echo(
        f"LR range test: loss minimum at lr={found.min_loss_lr:.3g}; "
        f"suggested max_lr = {found.suggested_max_lr:.3g}"
    )
    runs: list[Run] = []
    for peak, max_lr in peaks.items():
        for schedule in SCHEDULES:
            with tqdm(
                total=n_seeds * total,
                desc=f"{schedule} @ {peak}",
                disable=not progress,
                leave=False,
            ) as bar:
                for seed in range(n_seeds):
                    curves = train(
                        data,
                        schedule,
                        max_lr,
                        total,
                        seed,
                        compile_model=s.compile_model,
                        on_step=bar.update,
                    )
                    runs.append(Run(schedule, peak, max_lr, seed, *curves))

    folder.mkdir(parents=True, exist_ok=True)
    write_results_csv(runs, goal, folder / "results.csv")
    write_curves_csv(runs, folder / "curves.csv")
    draw_figures(found, runs, peaks, total, goal, folder)
    echo(results_table(runs, goal, total))
    echo(f"wrote {', '.join(sorted(p.name for p in folder.iterdir()))} to {folder}/")
    return runs


# ------------------------------------------------------------------ reporting


def _groups(runs: Sequence[Run]) -> dict[tuple[str, ScheduleName], list[Run]]:
    grouped: dict[tuple[str, ScheduleName], list[Run]] = {}
    for run in runs:
        grouped.setdefault((run.peak, run.schedule), []).append(run)
    return grouped


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def results_table(runs: Sequence[Run], target: float, steps: int) -> str:
    """The summary, one line per (peak lr, schedule)."""
    head = (
        f"{'peak lr':<22} {'schedule':<9} {'final test acc':>16} "
        f"{f'steps to {target:g} (mean, reached)':>30}"
    )
    lines = [f"{steps} steps, {len({r.seed for r in runs})} seeds", head, "-" * len(head)]
    for (peak, schedule), group in _groups(runs).items():
        mean, sd = _mean_sd([float(r.accuracy[-1]) for r in group])
        reached = [s for s in (r.steps_to(target) for r in group) if s is not None]
        to_target = f"{statistics.fmean(reached):.0f}" if reached else "never"
        lines.append(
            f"{f'{peak} ({group[0].max_lr:.3g})':<22} {schedule:<9} "
            f"{f'{mean:.4f} ± {sd:.4f}':>16} "
            f"{f'{to_target}, {len(reached)}/{len(group)}':>30}"
        )
    return "\n".join(lines)


def write_results_csv(runs: Sequence[Run], target: float, path: Path) -> None:
    """One row per run: schedule, peak, max_lr, seed, final accuracy, steps to target."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "schedule",
                "peak",
                "max_lr",
                "seed",
                "final_test_accuracy",
                "target",
                "steps_to_target",
            ]
        )
        for r in runs:
            reached = r.steps_to(target)
            writer.writerow(
                [
                    r.schedule,
                    r.peak,
                    repr(r.max_lr),
                    r.seed,
                    repr(float(r.accuracy[-1])),
                    target,
                    "" if reached is None else reached,
                ]
            )


def write_curves_csv(runs: Sequence[Run], path: Path) -> None:
    """Test accuracy per step, mean and sd over seeds, for each (peak, schedule)."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["peak", "schedule", "step", "mean_test_accuracy", "sd_test_accuracy"])
        for (peak, schedule), group in _groups(runs).items():
            stacked = np.stack([r.accuracy for r in group])
            sd = stacked.std(axis=0, ddof=1) if len(group) > 1 else np.zeros(stacked.shape[1])
            for k, (m, s) in enumerate(zip(stacked.mean(axis=0), sd), start=1):
                writer.writerow([peak, schedule, k, f"{m:.6f}", f"{s:.6f}"])


def draw_figures(
    found: LRFindResult,
    runs: Sequence[Run],
    peaks: dict[str, float],
    steps: int,
    target: float,
    folder: Path,
) -> None:
    """``schedule.png``, ``lr_find.png`` and ``training_curves.png`` in ``folder``."""
    from .plots import _pyplot, compare_schedules, plot_curves, plot_lr_find, plot_schedule

    plt = _pyplot()
    grouped = _groups(runs)
    applied = {name: grouped[("suggested", name)][0] for name in SCHEDULES}
    one_cycle = applied["1cycle"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
    plot_schedule(
        one_cycle.lr,
        one_cycle.momentum,
        title=f"1cycle, max_lr={one_cycle.max_lr:.3g}",
        ax=left,
    )
    compare_schedules(
        {name: run.lr for name, run in applied.items()},
        title="the lr each update used",
        ax=right,
    )
    fig.savefig(folder / "schedule.png", dpi=110)
    plt.close(fig)

    plot_lr_find(found, path=folder / "lr_find.png")

    fig, axes = plt.subplots(1, len(peaks), figsize=(6 * len(peaks), 4), layout="constrained")
    for axis, (peak, value) in zip(np.atleast_1d(axes), peaks.items()):
        curves: dict[str, tuple[Any, Any, Any]] = {}
        for schedule in SCHEDULES:
            stacked = np.stack([r.accuracy for r in grouped[(peak, schedule)]])
            sd = stacked.std(axis=0, ddof=1) if len(stacked) > 1 else None
            curves[schedule] = (np.arange(1, steps + 1), stacked.mean(axis=0), sd)
        plot_curves(
            curves,
            title=f"peak lr = {peak} ({value:.3g})",
            target=target,
            ylim=(0.8, 1.0),
            ax=axis,
        )
    fig.savefig(folder / "training_curves.png", dpi=110)
    plt.close(fig)
