"""Draw docs/elastic_resume.png: a 1cycle run resumed with other lengths (resume_with).

Run: ``.venv/bin/python scripts/plot_elastic_resume.py [output.png]``. The figure shows a
1000-step run and the same run resumed at step 300 (just past the peak) as 1500 steps
and as 600 steps, and resumed at step 150 (mid warm-up) as 1500 steps: each continues
from the value it had at its switch and ends on min_lr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lr_one_cycle import OneCycleLR  # noqa: E402

MAX_LR = 0.1
ORIGINAL = 1000


def _values(switch: int | None, total: int) -> tuple[list[float], list[float]]:
    """lr and momentum of steps 0..total of a 1000-step run resumed at ``switch``."""
    optimizer = SimpleNamespace(param_groups=[{"lr": 0.0, "momentum": 0.9}])
    scheduler = OneCycleLR(optimizer, max_lr=MAX_LR, total_steps=ORIGINAL)
    group = optimizer.param_groups[0]
    lrs, moms = [group["lr"]], [group["momentum"]]
    for step in range(1, total + 1):
        if step - 1 == switch:
            scheduler.resume_with(total_steps=total)
        scheduler.step()
        lrs.append(group["lr"])
        moms.append(group["momentum"])
    return lrs, moms


def main(output: Path) -> None:
    runs = [
        (None, ORIGINAL, "original: 1000 steps", "0.55", "--"),
        (300, 1500, "resumed at 300 as 1500 steps", "tab:blue", "-"),
        (300, 600, "resumed at 300 as 600 steps", "tab:orange", "-"),
        (150, 1500, "resumed at 150 as 1500 steps", "tab:green", "-"),
    ]
    fig, (ax_lr, ax_mom) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    for switch, total, label, color, style in runs:
        lrs, moms = _values(switch, total)
        ax_lr.plot(lrs, style, color=color, label=label, linewidth=1.4)
        ax_mom.plot(moms, style, color=color, linewidth=1.4)
        if switch is not None:
            ax_lr.plot([switch], [lrs[switch]], "o", color=color, markersize=5)
            ax_mom.plot([switch], [moms[switch]], "o", color=color, markersize=5)
    ax_lr.set_ylabel("learning rate")
    ax_lr.set_title(
        "OneCycleLR.resume_with(total_steps=...): the rest of the cycle spread over the new "
        "remaining steps",
        fontsize=9,
    )
    ax_lr.legend(fontsize=8)
    ax_mom.set_ylabel("momentum")
    ax_mom.set_xlabel("step of the run (dots: where the run was resumed)")
    fig.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=90)
    print(f"wrote {output}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/elastic_resume.png"))
