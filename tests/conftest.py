"""Shared helpers for the tests: optimizers of every kind the schedulers must drive, and
traces of what a scheduler wrote into them step by step."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# No hypothesis example fails for being slow. hypothesis's defaults (a 200 ms deadline
# per example, a health check on slow data generation) measure wall-clock time, which on
# a loaded machine (2 shared cores, other test runs) stretches far beyond them with
# nothing wrong. The tests all say deadline=None today; this covers the ones to come.
# @settings on a test overrides only what it names; a CI profile loaded from the
# environment stays the parent.
settings.register_profile(
    "lr_one_cycle", settings(), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("lr_one_cycle")

torch = pytest.importorskip("torch")

OPTIMIZERS: dict[str, Callable[[list[dict[str, Any]]], Any]] = {
    "SGD": lambda groups: torch.optim.SGD(groups, lr=0.1, momentum=0.9),
    "Adam": lambda groups: torch.optim.Adam(groups, lr=0.1),
    "AdamW": lambda groups: torch.optim.AdamW(groups, lr=0.1),
    "RMSprop": lambda groups: torch.optim.RMSprop(groups, lr=0.1, momentum=0.5),
}


def make_optimizer(kind: str, n_groups: int = 1, seed: int = 0) -> tuple[Any, Any]:
    """A small model with one parameter group per layer, and its optimizer."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(*[torch.nn.Linear(3, 3) for _ in range(n_groups)])
    groups = [{"params": list(layer.parameters())} for layer in model]
    return model, OPTIMIZERS[kind](groups)


def momentum_of(group: dict[str, Any]) -> Any:
    return group["betas"][0] if "betas" in group else group.get("momentum")


def applied(optimizer: Any) -> list[tuple[Any, Any]]:
    """(lr, momentum) of every group, as the optimizer would use them now."""
    return [(g["lr"], momentum_of(g)) for g in optimizer.param_groups]


def trace(
    make_scheduler: Callable[[Any], Any], kind: str, n_groups: int, n_steps: int
) -> list[Any]:
    """Values applied at steps 0..n_steps-1 by a scheduler driving a fresh optimizer."""
    _, optimizer = make_optimizer(kind, n_groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "step() before optimizer.step()" warning
        scheduler = make_scheduler(optimizer)
        out = [applied(optimizer)]
        for _ in range(n_steps - 1):
            scheduler.step()
            out.append(applied(optimizer))
    return out


def train(model: Any, optimizer: Any, scheduler: Any, n: int, record: list[Any]) -> None:
    """``n`` updates of ``model`` (from :func:`make_optimizer`), each followed by
    ``scheduler.step()``, recording in ``record`` the values every update used."""
    for _ in range(n):
        record.append(applied(optimizer))
        optimizer.zero_grad()
        model(torch.ones(1, 3)).sum().backward()
        optimizer.step()
        scheduler.step()


def group_snapshot(optimizer: Any) -> list[dict[str, Any]]:
    """Everything in param_groups except the parameters, deep-copied (tensors cloned)."""
    return [
        copy.deepcopy({k: v for k, v in g.items() if k != "params"}) for g in optimizer.param_groups
    ]


def assert_groups_equal(before: list[dict[str, Any]], optimizer: Any) -> None:
    after = group_snapshot(optimizer)
    assert [sorted(g) for g in after] == [sorted(g) for g in before], "keys were added or removed"
    for b, a in zip(before, after, strict=True):
        for key in b:
            if isinstance(b[key], torch.Tensor):
                assert torch.equal(b[key], a[key]), key
            else:
                assert b[key] == a[key], key
