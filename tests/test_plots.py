"""Plotting helpers: matplotlib only imported when drawing, Agg without a display, the
curves drawn are the values given."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from lr_one_cycle import one_cycle_schedule
from lr_one_cycle.plots import compare_schedules, plot_curves, plot_lr_find, plot_schedule
from lr_one_cycle.range_test import DEFAULT_RULE, SUGGESTION_RULES, LRFindResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_python(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    return done.stdout.strip()


def test_importing_the_package_and_plots_does_not_import_matplotlib():
    code = (
        "import sys, lr_one_cycle, lr_one_cycle.plots, lr_one_cycle.range_test, "
        "lr_one_cycle.__main__; print('matplotlib' in sys.modules)"
    )
    assert run_python(code) == "False"


def test_without_a_display_drawing_uses_agg():
    code = (
        "import matplotlib, numpy as np; from lr_one_cycle.plots import plot_schedule; "
        "plot_schedule(np.ones(3)); print(matplotlib.get_backend().lower())"
    )
    assert run_python(code) == "agg"


def test_a_backend_chosen_by_the_user_is_kept():
    code = (
        "import matplotlib, numpy as np; from lr_one_cycle.plots import plot_schedule; "
        "plot_schedule(np.ones(3)); print(matplotlib.get_backend().lower())"
    )
    assert run_python(code, MPLBACKEND="pdf") == "pdf"


def test_schedule_plot_has_lr_and_momentum_on_twin_axes(tmp_path):
    lr, momentum = one_cycle_schedule(np.arange(51), max_lr=0.1, total_steps=50)
    path = tmp_path / "sub" / "schedule.png"
    fig = plot_schedule(lr, momentum, title="1cycle", path=path)
    assert path.read_bytes().startswith(PNG_MAGIC)
    left, right = fig.axes
    np.testing.assert_array_equal(left.lines[0].get_ydata(), lr)
    np.testing.assert_array_equal(right.lines[0].get_ydata(), momentum)
    assert left.get_ylabel() == "learning rate" and right.get_ylabel() == "momentum"


def test_schedule_plot_without_momentum_draws_into_a_given_axis():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plot_schedule([0.1, 0.2], ax=ax) is fig
    assert len(fig.axes) == 1
    plt.close(fig)


def test_compare_schedules_draws_one_labelled_line_each():
    fig = compare_schedules({"a": [1.0, 2.0], "b": [3.0, 1.0, 0.5]}, log=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [3.0, 1.0, 0.5])


def test_lr_find_plot_marks_every_rule_and_the_default_as_the_suggestion(tmp_path):
    lrs = np.geomspace(1e-6, 10.0, 60)
    losses = (
        2.3 - 1.5 / (1 + np.exp(-(np.log10(lrs) + 2) * 3)) + 0.2 * np.exp((np.log10(lrs) - 0.2) * 4)
    )
    result = LRFindResult(lrs=lrs, losses=losses, raw_losses=losses, diverged=True)
    fig = result.plot(path=tmp_path / "lr_find.png")
    assert (tmp_path / "lr_find.png").read_bytes().startswith(PNG_MAGIC)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    marked = [line for line in ax.lines if line.get_label().startswith("suggested max_lr")]
    assert len(marked) == 1 and marked[0].get_xdata()[0] == result.suggested_max_lr
    assert marked[0].get_label().endswith(f"({DEFAULT_RULE})")
    others = {line.get_label().split(":")[0]: line.get_xdata()[0] for line in ax.lines}
    for rule in SUGGESTION_RULES:
        if rule != DEFAULT_RULE:
            assert others[rule] == result.suggestion(rule)
    short = LRFindResult(
        lrs=np.array([1e-3, 1e-2, 1e-1, 1.0]),
        losses=np.array([2.0, 1.5, 1.0, 3.0]),
        raw_losses=np.array([2.0, 1.4, 0.9, 4.0]),
        diverged=True,
    )
    labels = [line.get_label() for line in plot_lr_find(short).axes[0].lines]
    assert labels == ["loss", "smoothed loss", "minimum"]  # too short for every rule


def test_curves_with_and_without_bands_and_a_target():
    fig = plot_curves(
        {"x": ([1, 2, 3], [0.5, 0.6, 0.7], [0.1, 0.1, 0.1]), "y": ([1, 2], [0.2, 0.3], None)},
        target=0.65,
        ylim=(0.0, 1.0),
    )
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["x", "y", "target 0.65"]
    assert len(ax.collections) == 1
    assert ax.get_ylim() == (0.0, 1.0)
