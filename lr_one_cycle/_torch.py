"""torch's scheduler protocol, kept without importing torch.

What lets the schedulers be torch ``LRScheduler`` instances once torch is imported
(:func:`variant`), and what torch's base class does around ``optimizer.step`` without
wrapping it (:func:`update_record`, :func:`warn_if_no_update_yet`). Nothing here imports
torch unless torch was already imported by the user's code.
"""

from __future__ import annotations

import sys
import warnings
import weakref
from typing import Any

_TORCH_VARIANTS: dict[type, type] = {}


def _torch_class(name: str) -> type | None:
    """``torch.optim.lr_scheduler.<name>`` when torch has been imported, else None."""
    if sys.modules.get("torch") is None:  # not imported (or blocked)
        return None
    try:
        from torch.optim import lr_scheduler
    except ImportError:  # pragma: no cover - a broken torch install
        return None
    return getattr(lr_scheduler, name, None)


def variant(cls: type) -> type:
    """``cls``, or its subclass that also derives from the torch class it names in
    ``_torch_base`` when torch is imported (created once per class, named like it)."""
    variant = _TORCH_VARIANTS.get(cls)
    if variant is not None:
        return variant
    base = _torch_class(getattr(cls, "_torch_base", "LRScheduler"))
    if base is None or issubclass(cls, base):
        return cls
    namespace = {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
        "_public_class": cls,
    }
    variant = type(cls.__name__, (cls, base), namespace)
    _TORCH_VARIANTS[cls] = variant
    return variant


def rebuild(cls: type) -> Any:
    """Unpickling: an empty instance of ``cls`` (or its torch variant); the state follows."""
    return object.__new__(variant(cls))


_OPTIMIZER: list[type] = []  # torch.optim.Optimizer, once torch is imported


def is_torch_optimizer(optimizer: Any) -> bool:
    if not _OPTIMIZER:
        if sys.modules.get("torch") is None:  # not imported (or blocked)
            return False
        try:
            from torch.optim import Optimizer
        except ImportError:  # pragma: no cover - a broken torch install
            return False
        _OPTIMIZER.append(Optimizer)
    return isinstance(optimizer, _OPTIMIZER[0])


# --------------------------------------------------------------------------- updates applied


class UpdateRecord:
    """Whether an optimizer has applied an update since a scheduler first watched it.

    Registered once per optimizer with torch's public ``register_step_post_hook`` (the
    optimizer's ``step`` is left alone): the hook runs after each ``optimizer.step()``
    that happened, and not when ``torch.amp.GradScaler`` skipped it. It holds no
    reference to the optimizer, so it lives and dies with it.
    """

    __slots__ = ("applied", "__weakref__")

    def __init__(self) -> None:
        self.applied = False

    def __call__(self, _optimizer: Any, _args: Any, _kwargs: Any) -> None:
        self.applied = True


_RECORDS: weakref.WeakKeyDictionary[Any, UpdateRecord] = weakref.WeakKeyDictionary()


def update_record(optimizer: Any) -> UpdateRecord | None:
    """The :class:`UpdateRecord` of a torch optimizer (registered on first use), or None
    for an optimizer without step hooks (one that lives in R, a duck-typed one)."""
    if not is_torch_optimizer(optimizer):
        return None
    record = _RECORDS.get(optimizer)
    if record is None:
        record = UpdateRecord()
        optimizer.register_step_post_hook(record)
        _RECORDS[optimizer] = record
    return record


#: torch's wording (torch/optim/lr_scheduler.py), kept word for word so that filters
#: users wrote for torch's warning (``warnings.filterwarnings(message=...)``) apply.
ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


def gradients_not_finite(optimizer: Any) -> bool:
    """Whether a gradient of the optimizer holds an inf or a NaN: what makes
    ``GradScaler.step`` skip ``optimizer.step()`` (the unscaled gradients stay there
    until ``zero_grad()``)."""
    import torch

    for group in optimizer.param_groups:
        for param in group["params"]:
            grad = getattr(param, "grad", None)
            if grad is not None and not bool(torch.isfinite(grad).all()):
                return True
    return False


def warn_if_no_update_yet(record: UpdateRecord | None, optimizer: Any) -> None:
    """torch's warning when a scheduler's first ``step()`` comes before any update was
    applied, in torch's words; when the update was one ``GradScaler`` skipped, a
    :class:`~lr_one_cycle.ScheduleDriftWarning` that says so instead of torch's false
    alarm. ``record`` None: an optimizer without step hooks, nothing to tell."""
    if record is None or record.applied:
        return
    if gradients_not_finite(optimizer):
        from .training import ScheduleDriftWarning

        # torch says "step() before optimizer.step()" here, which is false: the loop
        # called scaler.step(optimizer), and GradScaler skipped the update.
        warnings.warn(
            "scheduler.step() after an update that torch.amp.GradScaler skipped (the "
            "gradients hold inf/NaN): the schedule is now one step ahead of the "
            "updates applied. lr_one_cycle.step_with_optimizer(scheduler, optimizer) "
            "steps it after applied updates only",
            ScheduleDriftWarning,
            stacklevel=4,
        )
        return
    warnings.warn(ORDER_WARNING, UserWarning, stacklevel=4)
