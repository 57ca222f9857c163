"""torch.compile: a compiled AdamW step with tensor lr and betas compiles once over a whole
1cycle run, because the scheduler updates those tensors in place.

Uses the inductor backend on purpose: torch's own OneCycleLR replaces ``betas`` with a
tuple holding a Python float, and inductor guards on that float's value, recompiling at
every step until the recompile limit (the eager backend does not show it).
"""

from __future__ import annotations

import warnings

import torch
import torch._dynamo
from torch._dynamo.utils import counters
from torch.optim.lr_scheduler import OneCycleLR as TorchOneCycleLR

from lr_one_cycle import OneCycleLR, one_cycle_schedule


def compiled_run(scheduler_cls, total_steps: int) -> tuple[int, list[float]]:
    """Train a tiny model with a compiled AdamW step; return (graphs compiled, lrs applied)."""
    torch._dynamo.reset()
    counters.clear()
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.AdamW(
        model.parameters(), lr=torch.tensor(0.01), betas=(torch.tensor(0.9), torch.tensor(0.999))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = scheduler_cls(opt, max_lr=0.01, total_steps=total_steps)

        @torch.compile(backend="inductor")
        def optimizer_step() -> None:
            opt.step()

        x = torch.randn(8, 4)
        lrs = []
        for _ in range(total_steps):
            lrs.append(float(opt.param_groups[0]["lr"]))
            model(x).pow(2).mean().backward()
            optimizer_step()
            opt.zero_grad()
            scheduler.step()
    return counters["stats"]["unique_graphs"], lrs


def test_compiled_adamw_step_compiles_once_over_a_whole_cycle() -> None:
    graphs, lrs = compiled_run(OneCycleLR, total_steps=12)
    assert graphs == 1
    expected = [one_cycle_schedule(k, max_lr=0.01, total_steps=12)[0] for k in range(12)]
    assert lrs == [float(torch.tensor(v, dtype=torch.float32)) for v in expected]


def test_torchs_one_cycle_recompiles_the_same_step_which_this_test_would_catch() -> None:
    graphs, _ = compiled_run(TorchOneCycleLR, total_steps=3)
    assert graphs > 1
