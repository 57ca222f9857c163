"""The LR range test (Smith 2015; fastai's ``lr_find``, torch-lr-finder): find ``max_lr``.

:func:`lr_find` trains for ``num_iter`` mini-batches while the lr sweeps from
``start_lr`` to ``end_lr`` (the sweep formula is :func:`lr_one_cycle.schedules.sweep.lr_sweep`),
records an exponentially smoothed loss, and stops early once the loss diverges. It then
puts the model and the optimizer back exactly as it found them — weights, buffers,
gradients, optimizer state, ``param_groups`` and torch's random-number state — so training
afterwards is the same as if the test had never run.

Suggestion rule: ``suggested_max_lr`` is the lr at the minimum of the smoothed loss,
divided by 10 (fastai's ``lr_min``). At the minimum the lr is already too large to train
with for long; a tenth of it is still on the steep, stable part of the curve, which is
what the 1cycle policy's peak wants.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from .scheduler import write
from .schedules import FloatArray, SweepMode
from .schedules.sweep import check_sweep, lr_sweep

if TYPE_CHECKING:
    import torch
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class LRFindResult:
    """What :func:`lr_find` measured.

    ``lrs[i]`` is the lr of iteration ``i``, ``losses[i]`` the smoothed loss after it
    and ``raw_losses[i]`` its unsmoothed loss. ``diverged`` says whether the test stopped
    early because the smoothed loss exceeded ``diverge_threshold`` times its best value
    (or became NaN/inf); the iteration that diverged is included.
    """

    lrs: FloatArray
    losses: FloatArray
    raw_losses: FloatArray
    diverged: bool

    @property
    def min_loss_lr(self) -> float:
        """The lr at which the smoothed loss was lowest."""
        return float(self.lrs[int(np.argmin(self.losses))])

    @property
    def suggested_max_lr(self) -> float:
        """``min_loss_lr / 10``: the suggested peak lr for 1cycle (see the module docs)."""
        return self.min_loss_lr / 10

    def plot(self, ax: Axes | None = None, path: str | None = None) -> Figure:
        """The smoothed loss against the lr (log scale), the suggestion marked."""
        from .plots import plot_lr_find

        return plot_lr_find(self, ax=ax, path=path)


def lr_find(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    data: Iterable[Any],
    start_lr: float = 1e-7,
    end_lr: float = 10,
    num_iter: int = 100,
    mode: SweepMode = "exp",
    smooth: float = 0.05,
    diverge_threshold: float = 5.0,
    progress: bool = True,
) -> LRFindResult:
    """Run the LR range test and return an :class:`LRFindResult`.

    ``data`` yields ``(inputs, targets)`` batches (a ``DataLoader``, a list, ...); each
    iteration computes ``loss_fn(model(inputs), targets)``, backpropagates and steps the
    optimizer at the sweep's lr, written into every parameter group. When ``data`` runs
    out before ``num_iter`` iterations it is iterated again. ``smooth`` is the weight of
    the newest loss in the bias-corrected exponential moving average (1 = no smoothing).
    The model, the optimizer and torch's RNG state are restored afterwards, even when an
    exception interrupts the test.

    Raises ``ValueError`` for bad arguments (before anything runs), for ``data`` that
    yields no batch, and for a loss that is NaN or infinite from the first batch.
    """
    import torch

    start, end, count, how = check_sweep(start_lr, end_lr, num_iter, mode)
    smoothing = v.as_real("smooth", smooth, low=0.0, high=1.0, low_open=True)
    threshold = v.as_real(
        "diverge_threshold", diverge_threshold, low=1.0, low_open=True, accepted="a number > 1"
    )
    show = v.as_bool("progress", progress)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    groups = v.param_groups_of(optimizer)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if not isinstance(data, Iterable):
        raise TypeError(f"data must be an iterable of (inputs, targets), got {type(data).__name__}")
    if hasattr(data, "__len__") and len(data) == 0:  # type: ignore[arg-type]
        raise ValueError("data is empty: lr_find needs at least one (inputs, targets) batch")

    lrs = lr_sweep(start_lr=start, end_lr=end, num_iter=count, mode=how)
    snapshot = _Snapshot(model, optimizer)
    devices = sorted({p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"})
    try:
        with torch.random.fork_rng(devices=devices):
            model.train()
            raw, smoothed, diverged = _sweep(
                model, optimizer, groups, loss_fn, data, lrs, smoothing, threshold, show
            )
    finally:
        snapshot.restore()
    n = len(smoothed)
    return LRFindResult(lrs[:n], np.asarray(smoothed), np.asarray(raw), diverged)


def _sweep(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    groups: list[dict[str, Any]],
    loss_fn: Callable[[Any, Any], torch.Tensor],
    data: Iterable[Any],
    lrs: FloatArray,
    smoothing: float,
    threshold: float,
    show: bool,
) -> tuple[list[float], list[float], bool]:
    from tqdm.auto import tqdm

    raw: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    batches = _batches(data)
    with tqdm(total=len(lrs), desc="lr_find", disable=not show, leave=False) as bar:
        for i, lr in enumerate(lrs.tolist()):
            inputs, targets = next(batches)
            for group in groups:
                write(group, "lr", lr)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            value = float(loss.detach())
            if not math.isfinite(value):
                if i == 0:
                    raise ValueError(
                        f"the loss is {value} on the first batch (lr={lr:g}), before any "
                        "update: check the model, loss_fn and data"
                    )
                return raw, smoothed, True
            loss.backward()
            optimizer.step()
            average = (1 - smoothing) * average + smoothing * value
            current = average / (1 - (1 - smoothing) ** (i + 1))
            raw.append(value)
            smoothed.append(current)
            bar.update()
            bar.set_postfix(lr=f"{lr:.2e}", loss=f"{current:.4g}", refresh=False)
            best = min(best, current)
            if current > threshold * best:
                return raw, smoothed, True
    return raw, smoothed, False


def _batches(data: Iterable[Any]) -> Iterator[Any]:
    """``data``'s batches, iterated again whenever it runs out."""
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise ValueError("data is empty: lr_find needs at least one (inputs, targets) batch")


class _Snapshot:
    """Copies of everything a range test changes, restored in place.

    Tensors are restored with ``copy_`` so that they stay the same objects (a tensor lr
    guarded by a compiled step, an optimizer holding parameter references, a scheduler
    holding ``param_groups``).
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        import torch

        self.model = model
        self.optimizer = optimizer
        self.training = [(m, m.training) for m in model.modules()]
        self.tensors = [
            (t, t.detach().clone())
            for t in model.state_dict(keep_vars=True).values()
            if isinstance(t, torch.Tensor)
        ]
        self.grads = [
            (p, None if p.grad is None else p.grad.detach().clone()) for p in model.parameters()
        ]
        self.state = {p: _copy_dict(s) for p, s in optimizer.state.items()}
        self.groups = [
            (g, {k: _copy(x) for k, x in g.items() if k != "params"})
            for g in optimizer.param_groups
        ]

    def restore(self) -> None:
        import torch

        with torch.no_grad():
            for live, saved in self.tensors:
                live.copy_(saved)
            for param, grad in self.grads:
                if grad is None or param.grad is None:
                    param.grad = None if grad is None else grad.clone()
                else:
                    param.grad.copy_(grad)
            for group, saved_group in self.groups:
                _restore_dict(group, saved_group, keep={"params"})
            live_state = self.optimizer.state
            for key in [p for p in live_state if p not in self.state]:
                del live_state[key]
            for key, saved_state in self.state.items():
                _restore_dict(live_state[key], saved_state, keep=set())
        for module, mode in self.training:
            module.training = mode


def _copy(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, tuple):
        return tuple(_copy(x) for x in value)
    return copy.deepcopy(value)


def _copy_dict(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: _copy(x) for k, x in mapping.items()}


def _restore_dict(live: dict[str, Any], saved: dict[str, Any], keep: set[str]) -> None:
    for key in [k for k in live if k not in saved and k not in keep]:
        del live[key]
    for key, value in saved.items():
        live[key] = _restored(live.get(key), value)


def _restored(live: Any, saved: Any) -> Any:
    """``saved``, copied into ``live`` when ``live`` is a tensor of the same shape and
    dtype (also inside tuples such as ``betas``), so that live tensors keep their identity."""
    import torch

    if (
        isinstance(live, torch.Tensor)
        and isinstance(saved, torch.Tensor)
        and live.shape == saved.shape
        and live.dtype == saved.dtype
    ):
        return live.copy_(saved)
    if isinstance(live, tuple) and isinstance(saved, tuple) and len(live) == len(saved):
        return tuple(_restored(a, b) for a, b in zip(live, saved))
    return _copy(saved)
