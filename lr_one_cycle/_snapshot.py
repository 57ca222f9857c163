"""Restoring a model and its optimizer exactly as they were (what the LR range test,
:func:`lr_one_cycle.lr_find`, promises after it has trained)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


class Snapshot:
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
        # The state dict's tensors, and the buffers it leaves out (persistent=False).
        tensors = {
            id(t): t
            for t in [*model.state_dict(keep_vars=True).values(), *model.buffers()]
            if isinstance(t, torch.Tensor)
        }
        self.tensors = [(t, t.detach().clone()) for t in tensors.values()]
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


class SuspendedStepHooks:
    """The optimizer's own step hooks (``register_step_pre_hook`` /
    ``register_step_post_hook``: a scheduler attached with
    :func:`lr_one_cycle.training.step_with_optimizer`, an EMA update, ...) set aside
    while the range test steps it, and put back afterwards: they would otherwise act on
    updates that are undone. Hooks registered for every optimizer are left alone."""

    _names = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks")

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.saved: dict[str, Any] = {}

    def __enter__(self) -> None:
        for name in self._names:
            hooks = getattr(self.optimizer, name, None)
            if hooks is not None:
                self.saved[name] = hooks
                setattr(self.optimizer, name, type(hooks)())

    def __exit__(self, *exc: object) -> None:
        for name, hooks in self.saved.items():
            setattr(self.optimizer, name, hooks)
