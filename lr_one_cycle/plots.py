"""Plotting helpers: a schedule's lr and momentum, schedules compared, the range test.

matplotlib is imported only when a function here is called (it is an optional
dependency: ``pip install lr_one_cycle[plot]``). Without a display the Agg backend is
used, so the helpers work on servers and in tests. Every function draws into ``ax`` when
given, else into a new figure; with ``path`` it saves the figure there (and closes a
figure it created) and returns the figure either way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .range_test import LRFindResult

ArrayLike = Sequence[float] | npt.NDArray[np.floating[Any]] | npt.NDArray[np.integer[Any]]


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as error:  # pragma: no cover - matplotlib is in the dev extra
        raise ImportError("plotting needs matplotlib: pip install 'lr_one_cycle[plot]'") from error
    # No display and no backend chosen yet (by MPLBACKEND or an earlier pyplot import):
    # draw with Agg rather than fail looking for a GUI.
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> tuple[Figure, Axes, bool]:
    if ax is not None:
        return ax.figure, ax, False  # type: ignore[return-value]
    plt = _pyplot()
    fig, new_ax = plt.subplots(figsize=size, layout="constrained")
    return fig, new_ax, True


def _finish(fig: Figure, created: bool, path: str | os.PathLike[str] | None) -> Figure:
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        if created:
            _pyplot().close(fig)
    return fig


def plot_schedule(
    lr: ArrayLike,
    momentum: ArrayLike | None = None,
    *,
    steps: ArrayLike | None = None,
    title: str | None = None,
    momentum_label: str = "momentum",
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The lr (left axis) and, when given, the momentum (right axis, dashed) per step."""
    lr = np.asarray(lr, dtype=np.float64)
    x = np.arange(len(lr)) if steps is None else np.asarray(steps)
    fig, axis, created = _axes(ax)
    axis.plot(x, lr, color="tab:blue", label="lr")
    axis.set_xlabel("step")
    axis.set_ylabel("learning rate", color="tab:blue")
    axis.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    if momentum is not None:
        twin = axis.twinx()
        twin.plot(x, np.asarray(momentum), color="tab:orange", linestyle="--")
        twin.set_ylabel(momentum_label, color="tab:orange")
    if title:
        axis.set_title(title)
    return _finish(fig, created, path)


def compare_schedules(
    schedules: Mapping[str, ArrayLike],
    *,
    title: str | None = "learning-rate schedules",
    log: bool = False,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Several lr schedules (``{label: lr per step}``) on one axis."""
    fig, axis, created = _axes(ax)
    for label, values in schedules.items():
        axis.plot(np.asarray(values, dtype=np.float64), label=label)
    axis.set_xlabel("step")
    axis.set_ylabel("learning rate")
    if log:
        axis.set_yscale("log")
    axis.legend()
    if title:
        axis.set_title(title)
    return _finish(fig, created, path)


def plot_lr_find(
    result: LRFindResult,
    *,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The range test's raw and smoothed loss against the lr (log scale), the loss
    minimum and every suggestion rule's lr marked (the default rule's line solid and
    labelled ``suggested max_lr``; rules the curve is too short for are left out)."""
    from .range_test import DEFAULT_RULE

    fig, axis, created = _axes(ax)
    axis.plot(result.lrs, result.raw_losses, color="0.75", linewidth=0.8, label="loss")
    axis.plot(result.lrs, result.losses, color="tab:blue", label="smoothed loss")
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel("loss")
    low = float(np.min(result.losses))
    span = float(np.max(result.losses[: max(1, int(np.argmin(result.losses)) + 1)])) - low
    axis.set_ylim(low - 0.1 * span - 1e-12, low + 1.5 * span + 1e-12)
    axis.axvline(result.min_loss_lr, color="0.4", linestyle=":", label="minimum")
    for i, (rule, lr) in enumerate(result.suggestions().items()):
        if lr is None:
            continue
        default = rule == DEFAULT_RULE
        axis.axvline(
            lr,
            color=f"C{i + 1}",
            linestyle="-" if default else "--",
            label=f"suggested max_lr = {lr:.3g} ({rule})" if default else f"{rule}: {lr:.3g}",
        )
    axis.legend()
    axis.set_title("LR range test")
    return _finish(fig, created, path)


def plot_curves(
    curves: Mapping[str, tuple[ArrayLike, ArrayLike, ArrayLike | None]],
    *,
    xlabel: str = "step",
    ylabel: str = "test accuracy",
    title: str | None = None,
    target: float | None = None,
    ylim: tuple[float, float] | None = None,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Curves ``{label: (x, mean, sd or None)}``, a band of ±1 sd around each mean, and an
    optional horizontal ``target`` line."""
    fig, axis, created = _axes(ax)
    for label, (x, mean, sd) in curves.items():
        x_arr, mean_arr = np.asarray(x), np.asarray(mean, dtype=np.float64)
        (line,) = axis.plot(x_arr, mean_arr, label=label)
        if sd is not None:
            sd_arr = np.asarray(sd, dtype=np.float64)
            axis.fill_between(
                x_arr, mean_arr - sd_arr, mean_arr + sd_arr, color=line.get_color(), alpha=0.2
            )
    if target is not None:
        axis.axhline(target, color="0.4", linestyle=":", label=f"target {target:g}")
    if ylim is not None:
        axis.set_ylim(*ylim)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.legend()
    if title:
        axis.set_title(title)
    return _finish(fig, created, path)
