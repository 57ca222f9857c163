"""Everything the demo writes into its output folder.

- ``results.csv``: one row per training run (dataset, schedule, budget, seed, peak lr,
  test accuracy, target, steps to target);
- ``tuning.csv``: one row per tuning run (schedule, peak lr, validation accuracy, chosen);
- ``suggestions.csv``: each rule's suggestion on each range-test curve;
- ``accuracy_vs_budget.png``, ``schedules.png``, ``lr_find.png``, ``tuning.png``;
- ``report.md``: the tables (rendered from the CSV files, read back) and the figures;
- ``readme.md``: the README's demo block, rendered from the same CSV files by
  :func:`readme_block` (``python -m demo.readme`` puts it into README.md).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lr_one_cycle.range_test import DEFAULT_RULE, SUGGESTION_RULES

from .experiment import GRID_SWEEP, SWEEPS, Results
from .schedules import BY_NAME

RESULTS_FIELDS = [
    "dataset",
    "schedule",
    "budget",
    "seed",
    "peak_lr",
    "test_accuracy",
    "target",
    "steps_to_target",
]
TUNING_FIELDS = ["dataset", "schedule", "steps", "peak_lr", "val_accuracy", "chosen"]
SUGGESTION_FIELDS = ["dataset", "sweep", "seed", "rule", "lr", "loss_minimum_lr"]
FIGURES = ["accuracy_vs_budget.png", "lr_find.png", "schedules.png", "tuning.png"]
Row = dict[str, str]


# ---------------------------------------------------------------------------- CSV files


def write_csv(path: Path, fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        writer.writerows(rows)


def read_csv(path: Path) -> list[Row]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write_csvs(results: Results, folder: Path) -> None:
    """``results.csv``, ``tuning.csv`` and ``suggestions.csv`` (floats written with
    ``repr``, so reading them back gives the same numbers)."""
    name = results.dataset.name
    write_csv(
        folder / "results.csv",
        RESULTS_FIELDS,
        [
            [
                name,
                r.schedule,
                r.budget,
                r.seed,
                repr(r.peak_lr),
                repr(r.accuracy),
                repr(r.target),
                "" if r.steps_to_target is None else r.steps_to_target,
            ]
            for r in results.runs
        ],
    )
    write_csv(
        folder / "tuning.csv",
        TUNING_FIELDS,
        [
            [
                name,
                t.schedule,
                t.steps,
                repr(t.peak_lr),
                repr(t.val_accuracy),
                int(results.tuned[t.schedule] == t.peak_lr),
            ]
            for t in results.trials
        ],
    )
    write_csv(
        folder / "suggestions.csv",
        SUGGESTION_FIELDS,
        [
            [
                name,
                t.sweep,
                t.seed,
                rule,
                "" if lr is None else repr(lr),
                repr(t.result.min_loss_lr),
            ]
            for t in results.range_tests
            for rule, lr in t.suggestions.items()
        ],
    )


# ------------------------------------------------------------- tables from the CSV rows


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _mean_sd(values: Sequence[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{_pct(statistics.fmean(values))} ± {_pct(sd)}"


def _order(rows: Sequence[Row], key: str) -> list[str]:
    return list(dict.fromkeys(r[key] for r in rows))


def accuracy_table(results: Sequence[Row]) -> str:
    """Test accuracy (%, mean ± sd over seeds) per schedule and budget, each schedule at
    its tuned peak lr, and the steps it took to reach the target."""
    budgets = sorted({int(r["budget"]) for r in results})
    target = float(results[0]["target"])
    seeds = len({r["seed"] for r in results})
    head = ["schedule", "tuned peak lr", *(f"{b} steps" for b in budgets)]
    head += [f"smallest budget with mean ≥ {_pct(target)} %", f"fewest steps to {_pct(target)} %"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for schedule in _order(results, "schedule"):
        rows = [r for r in results if r["schedule"] == schedule]
        cells = [f"`{schedule}`", f"{float(rows[0]['peak_lr']):.3g}"]
        enough = None
        for budget in budgets:
            accs = [float(r["test_accuracy"]) for r in rows if int(r["budget"]) == budget]
            cells.append(_mean_sd(accs))
            if enough is None and statistics.fmean(accs) >= target:
                enough = budget
        cells.append("none" if enough is None else str(enough))
        fewest = []
        for seed in sorted({r["seed"] for r in rows}):
            hits = [
                int(r["steps_to_target"])
                for r in rows
                if r["seed"] == seed and r["steps_to_target"]
            ]
            if hits:
                fewest.append(min(hits))
        cells.append(
            f"{statistics.median(fewest):.0f} ({len(fewest)}/{seeds} seeds)" if fewest else "never"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rule_medians(suggestions: Sequence[Row], sweep: str) -> dict[str, float | None]:
    """Each rule's median suggestion over the range tests of ``sweep``."""
    found: dict[str, float | None] = {}
    for rule in SUGGESTION_RULES:
        values = [
            float(r["lr"])
            for r in suggestions
            if r["sweep"] == sweep and r["rule"] == rule and r["lr"]
        ]
        found[rule] = statistics.median(values) if values else None
    return found


def tuned_lrs(tuning: Sequence[Row]) -> dict[str, float]:
    return {r["schedule"]: float(r["peak_lr"]) for r in tuning if r["chosen"] == "1"}


def decades_off(suggestion: float | None, tuned: float) -> float | None:
    """log10(suggestion / tuned): how far a suggestion lands, negative when below."""
    return None if suggestion is None else math.log10(suggestion / tuned)


def closest_rules(suggestions: Sequence[Row], tuning: Sequence[Row]) -> dict[str, dict[str, str]]:
    """For each sweep and schedule, the rule whose median suggestion is closest (in log)
    to the schedule's tuned lr."""
    closest: dict[str, dict[str, str]] = {}
    for sweep in _order(suggestions, "sweep"):
        known = {k: lr for k, lr in rule_medians(suggestions, sweep).items() if lr is not None}
        closest[sweep] = {
            schedule: min(known, key=lambda rule: abs(math.log10(known[rule] / lr)))
            for schedule, lr in tuned_lrs(tuning).items()
        }
    return closest


def mean_offsets(suggestions: Sequence[Row], tuning: Sequence[Row]) -> dict[str, float]:
    """Each rule's mean |decades off| over every sweep and schedule (rules without a
    suggestion on some sweep are left out)."""
    tuned = tuned_lrs(tuning)
    found: dict[str, float] = {}
    for rule in SUGGESTION_RULES:
        offs = [
            decades_off(rule_medians(suggestions, sweep)[rule], lr)
            for sweep in _order(suggestions, "sweep")
            for lr in tuned.values()
        ]
        if all(o is not None for o in offs):
            found[rule] = statistics.fmean(abs(o) for o in offs if o is not None)
    return found


def rules_table(suggestions: Sequence[Row], tuning: Sequence[Row]) -> str:
    """Each rule's suggestion on each sweep (median over its range tests) and how far it
    lands from each schedule's tuned lr, in decades (log10 of the ratio; negative = the
    rule suggests less than tuning found best)."""
    tuned = tuned_lrs(tuning)
    head = ["rule", "sweep", "suggestion", *(f"`{s}`" for s in tuned), "mean \\|off\\|"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rule in SUGGESTION_RULES:
        default = " (default)" if rule == DEFAULT_RULE else ""
        for sweep in _order(suggestions, "sweep"):
            lr = rule_medians(suggestions, sweep)[rule]
            offs = [decades_off(lr, t) for t in tuned.values()]
            known = [abs(o) for o in offs if o is not None]
            cells = [f"`{rule}`{default}", sweep, _lr(lr)]
            cells += ["–" if o is None else f"{o:+.2f}" for o in offs]
            cells.append(f"{statistics.fmean(known):.2f}" if known else "–")
            lines.append("| " + " | ".join(cells) + " |")
    for sweep in _order(suggestions, "sweep"):
        minima = {
            r["seed"]: float(r["loss_minimum_lr"]) for r in suggestions if r["sweep"] == sweep
        }
        lr = statistics.median(minima.values())
        cells = ["(loss minimum)", sweep, _lr(lr)]
        cells += [f"{decades_off(lr, t):+.2f}" for t in tuned.values()]
        lines.append("| " + " | ".join([*cells, ""]) + " |")
    return "\n".join(lines)


def rules_summary(suggestions: Sequence[Row], tuning: Sequence[Row]) -> str:
    """One sentence: the closest rule per schedule on each sweep, the best over all."""
    closest = closest_rules(suggestions, tuning)
    parts = [
        f"{sweep} sweep: " + ", ".join(f"`{s}` → `{rule}`" for s, rule in per.items())
        for sweep, per in closest.items()
    ]
    means = mean_offsets(suggestions, tuning)
    best = min(means, key=means.__getitem__)
    return (
        "Closest rule per schedule, "
        + "; ".join(parts)
        + f". Over both sweeps the closest on average is `{best}` "
        + f"({means[best]:.2f} decades off); the library's default is `{DEFAULT_RULE}`."
    )


def tuning_table(tuning: Sequence[Row]) -> str:
    """Validation accuracy (%) of every schedule at every grid lr; the chosen one bold."""
    lrs = sorted({float(r["peak_lr"]) for r in tuning})
    head = ["schedule", *(f"{lr:.3g}" for lr in lrs)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for schedule in _order(tuning, "schedule"):
        rows = {float(r["peak_lr"]): r for r in tuning if r["schedule"] == schedule}
        cells = [f"`{schedule}`"]
        for lr in lrs:
            cell = _pct(float(rows[lr]["val_accuracy"]))
            cells.append(f"**{cell}**" if rows[lr]["chosen"] == "1" else cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _lr(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def readme_block(folder: Path, figure: str) -> str:
    """The README's demo results, rendered from ``folder``'s CSV files; ``figure`` is
    the path of the main figure as the README links it."""
    results = read_csv(folder / "results.csv")
    tuning = read_csv(folder / "tuning.csv")
    suggestions = read_csv(folder / "suggestions.csv")
    seeds = len({r["seed"] for r in results})
    steps = tuning[0]["steps"]
    return "\n".join(
        [
            f"![test accuracy against the budget, mean ± sd over {seeds} seeds]({figure})",
            "",
            f"Test accuracy (%, mean ± sd over {seeds} seeds) on {results[0]['dataset']}, each "
            f"schedule at the peak lr tuned on a validation split ({steps}-step runs):",
            "",
            accuracy_table(results),
            "",
            "The range test's suggestion rules against each schedule's tuned lr (median "
            "over the range tests; decades off = log10(suggestion / tuned lr)):",
            "",
            rules_table(suggestions, tuning),
            "",
            rules_summary(suggestions, tuning),
        ]
    )


# --------------------------------------------------------------------------- figures


def draw_figures(results: Results, folder: Path) -> None:
    """The four PNGs of :data:`FIGURES` in ``folder`` (matplotlib imported here)."""
    from lr_one_cycle.plots import _pyplot, plot_lr_find

    plt = _pyplot()
    data, s = results.dataset, results.settings
    schedules = list(results.tuned)

    # The mean at each budget, every seed as a dot; seeds below the chart (diverged runs,
    # near chance) as a triangle on its bottom edge. Schedules are nudged apart in x.
    means = [
        np.mean([r.accuracy for r in results.runs if r.schedule == n and r.budget == b])
        for n in schedules
        for b in s.budgets
    ]
    trained = [r.accuracy for r in results.runs if r.accuracy >= 0.5]
    low = max(0.0, math.floor(20 * (min([*means, *trained, data.target]) - 0.02)) / 20)
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    for i, name in enumerate(schedules):
        shift = 10 ** (0.012 * (i - (len(schedules) - 1) / 2))
        x = np.array(s.budgets) * shift
        accs = [
            np.array([r.accuracy for r in results.runs if r.schedule == name and r.budget == b])
            for b in s.budgets
        ]
        (line,) = ax.plot(x, [a.mean() for a in accs], marker="o", label=name)
        for xb, a in zip(x, accs):
            shown = a[a >= low]
            ax.plot([xb] * len(shown), shown, ".", color=line.get_color(), alpha=0.5)
            if (a < low).any():
                ax.plot([xb], [low], "v", color=line.get_color(), clip_on=False, markersize=7)
    for label, value in data.references.items():
        if label in ("CNN", "human expert"):
            style = "--" if label == "CNN" else ":"
            ax.axhline(value, color="0.35", linestyle=style, linewidth=1)
            ax.annotate(
                f"{label} (MNIST-1D paper) {_pct(value)} %",
                (s.budgets[0], value),
                xytext=(0, 3),
                textcoords="offset points",
                fontsize=8,
                color="0.3",
            )
    if not data.references:
        ax.axhline(
            data.target, color="0.35", linestyle="--", linewidth=1, label=f"target {data.target:g}"
        )
    ax.set_xscale("log")
    ax.set_xticks(list(s.budgets), [str(b) for b in s.budgets])
    ax.minorticks_off()
    ax.set_xlabel("budget: optimizer steps (log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(low, 1.0)
    ax.set_title(
        f"{data.name}, each schedule at its tuned peak lr\nlines: the mean of {s.seeds} "
        "seeds; dots: each seed; ▼: a seed below the chart",
        fontsize=9,
    )
    fig.legend(loc="outside lower center", ncols=4, fontsize=9)
    fig.savefig(folder / "accuracy_vs_budget.png", dpi=110)
    plt.close(fig)

    budget = s.budgets[-1]
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for name in schedules:
        run = next(r for r in results.runs if r.schedule == name and r.budget == budget)
        ax.plot(np.arange(budget), run.lrs, label=f"{name} (peak {run.peak_lr:.3g})")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(f"the lr of each update, {budget}-step budget, at the tuned peaks")
    ax.legend()
    fig.savefig(folder / "schedules.png", dpi=110)
    plt.close(fig)

    shown = next(t for t in results.range_tests if t.sweep == GRID_SWEEP)
    fig = plot_lr_find(shown.result)
    ax = fig.axes[0]
    # Down to the raw loss's dip, to show how far the smoothed curve lags behind it; the
    # tuned lrs as triangles stacked upwards from the bottom.
    top = ax.get_ylim()[1]
    bottom = min(float(shown.result.raw_losses.min()), ax.get_ylim()[0]) - 0.02
    ax.set_ylim(bottom, top)
    for i, (name, lr) in enumerate(results.tuned.items()):
        ax.plot(
            [lr],
            [bottom + (i + 0.5) * 0.04 * (top - bottom)],
            marker="^",
            markersize=8,
            color=f"C{i + 5}",
            linestyle="none",
            label=f"tuned: {name} {lr:.3g}",
        )
    ax.legend(fontsize=7)
    ax.set_title(
        f"LR range test ({GRID_SWEEP} sweep, seed {shown.seed}) and each rule's suggestion"
    )
    fig.savefig(folder / "lr_find.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for name in schedules:
        trials = [t for t in results.trials if t.schedule == name]
        ax.plot(
            [t.peak_lr for t in trials], [t.val_accuracy for t in trials], marker="o", label=name
        )
    medians = {
        rule: np.median(
            [
                t.suggestions[rule]
                for t in results.range_tests
                if t.sweep == GRID_SWEEP and t.suggestions[rule] is not None
            ]
            or [np.nan]
        )
        for rule in SUGGESTION_RULES
    }
    for i, (rule, lr) in enumerate(medians.items()):
        if np.isfinite(lr) and results.grid[0] / 10 <= lr <= results.grid[-1] * 10:
            ax.axvline(lr, color=f"C{i + 6}", linestyle=":", label=f"{rule} {lr:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("peak lr")
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"tuning: {s.tune_steps}-step runs on the training part, scored on validation")
    ax.legend(fontsize=7)
    fig.savefig(folder / "tuning.png", dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------- report.md


def report(results: Results, folder: Path) -> str:
    """``report.md``: the set-up, the tables (rendered from the CSV files in ``folder``)
    and the figures."""
    data, s = results.dataset, results.settings
    rows = read_csv(folder / "results.csv")
    tuning = read_csv(folder / "tuning.csv")
    suggestions = read_csv(folder / "suggestions.csv")
    total = sum(results.seconds.values())
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in results.seconds.items())
    refs = ""
    if data.references:
        refs = (
            "\nReference test accuracies from MNIST-1D's README (Greydanus & Kobak, "
            "arXiv 2011.14439): "
            + ", ".join(f"{k} {_pct(v)} %" for k, v in data.references.items())
            + f". The target here is {_pct(data.target)} % ({data.target_source}).\n"
        )
    schedules = "\n".join(f"- `{name}`: {BY_NAME[name].description}" for name in results.tuned)
    sweeps = "; ".join(
        f"{name}: {', '.join(f'{k}={v:g}' for k, v in o.items()) or 'lr_find defaults'}"
        for name, o in SWEEPS.items()
    )
    budgets = ", ".join(map(str, s.budgets))
    return f"""# The 1cycle demo on {data.name}

{len(results.tuned)} schedules, each at its own tuned peak lr, trained for {budgets} steps
with {s.seeds} seeds; test accuracy measured every {s.eval_every} steps and at the end.
Model: `{data.make_model.__name__}` (`demo/data.py`); SGD, momentum 0.9, batch {data.batch_size}.
Run on {s.jobs} process(es) of {s.threads} torch thread(s).
{refs}
Schedules:

{schedules}

## Test accuracy

Test accuracy (%, mean ± sd over {s.seeds} seeds). "Smallest budget": the fewest steps
of a run whose final accuracy reaches the target on average; "fewest steps": the first
evaluated step at which a run reached it, the smallest over the budgets for each seed,
median over the seeds that reached it.

{accuracy_table(rows)}

![accuracy against budget](accuracy_vs_budget.png)

![the schedules](schedules.png)

## Tuning

Each schedule's peak lr was tuned on a validation split ({s.grid_size} values over
{s.grid_decades:g} decades up to the loss-minimum lr of the {GRID_SWEEP} range test,
{_lr(float(results.grid[-1]))}; one {s.tune_steps}-step run each on 80 % of the training set,
scored on the other 20 %; the test set is not used). The lr tuned at {s.tune_steps} steps is used at
every budget. Validation accuracy (%), the chosen lr in bold:

{tuning_table(tuning)}

![tuning](tuning.png)

## The range test's suggestion rules

{s.range_seeds} range tests per sweep ({sweeps}), every rule of
`lr_one_cycle.range_test` read off each curve (median over the range tests). The library's
default rule is `{DEFAULT_RULE}`.

{rules_table(suggestions, tuning)}

{rules_summary(suggestions, tuning)}

![range test](lr_find.png)

## Time

{timing}; {total:.0f} s in all.
"""


def write_all(results: Results, folder: Path) -> list[str]:
    """Every file in ``folder``; returns their names, sorted."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csvs(results, folder)
    draw_figures(results, folder)
    (folder / "report.md").write_text(report(results, folder))
    (folder / "readme.md").write_text(readme_block(folder, "accuracy_vs_budget.png") + "\n")
    return sorted(p.name for p in folder.iterdir())
