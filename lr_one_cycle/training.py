"""Keeping a scheduler in step with the optimizer updates actually applied.

A schedule counts optimizer updates: step ``k`` holds the values for the ``(k+1)``-th
update (the step convention of :mod:`lr_one_cycle.schedules._protocol`), so ``scheduler.step()``
belongs right after each update that was applied, and nowhere else.

- Gradient accumulation: several micro-batches make one update. Step the scheduler
  after ``optimizer.step()``, not after every micro-batch, and size the schedule in
  updates (``total_steps = micro_batches // accumulation``); stepping per micro-batch
  runs through the cycle ``accumulation`` times too fast and raises past its end.
- Skipped updates: ``torch.amp.GradScaler.step(optimizer)`` does not call
  ``optimizer.step()`` when the gradients overflowed. A scheduler stepped anyway runs one
  step ahead of the updates for every skip. :func:`step_with_optimizer` steps it from
  the optimizer's own post-step hook instead, which runs only for applied updates, and
  :func:`check_in_step` warns when the two counts have drifted apart.

In a loop that steps the scheduler after every applied update, ``scheduler.last_epoch``
equals the number of updates applied, which is what :func:`check_in_step` compares.
"""

from __future__ import annotations

import warnings
from typing import Any

from ._torch import update_record


class ScheduleDriftWarning(UserWarning):
    """The scheduler's step count and the optimizer's update count disagree.

    Args:
        *args: the message, as for any ``Warning``.

    Raises:
        ScheduleDriftWarning: never raised by the package: :func:`check_in_step` issues
            it with :func:`warnings.warn` (an exception only under an ``"error"`` filter).

    References:
        torch's ``lr_scheduler.py``, whose "step() before optimizer.step()" warning
        catches the first step out of order; this one, any drift later.
    """


def step_with_optimizer(scheduler: Any, optimizer: Any) -> Any:
    """Step ``scheduler`` once after every update ``optimizer`` actually applies.

    Registers a hook with torch's public ``optimizer.register_step_post_hook`` (the
    optimizer's ``step`` itself is left alone); it runs after each ``optimizer.step()``
    that happened, and not when ``GradScaler`` skipped it, so the schedule moves with
    the updates applied (and a skipped first update never sets off torch's "step()
    before optimizer.step()" warning). Drop the loop's own ``scheduler.step()``.
    Returns the hook's handle: ``handle.remove()`` detaches it. Register it again after
    rebuilding the optimizer on resume (hooks are not part of a checkpoint). A ``ValueError`` from a
    ``step()`` past the end of the schedule surfaces from ``optimizer.step()``, after
    that update was applied.

    Args:
        scheduler: any scheduler with ``step()`` (one of the package's or torch's).
        optimizer: a torch optimizer (``register_step_post_hook``, torch >= 2.0).

    Returns:
        The hook's ``RemovableHandle``.

    Raises:
        AttributeError: ``optimizer`` has no ``register_step_post_hook``. Later, the
            scheduler's own errors (``ValueError`` past the end) from ``optimizer.step()``.

    References:
        torch's ``Optimizer.register_step_post_hook`` (``torch/optim/optimizer.py``) and
        ``GradScaler.step``; accelerate's ``AcceleratedScheduler`` (``step_with_optimizer``,
        skipped steps not counted).
    """

    record = update_record(optimizer)

    def step_scheduler(_optimizer: Any, _args: Any, _kwargs: Any) -> None:
        # This hook runs after an applied update only: tell the scheduler's order check
        # (torch's "step() before optimizer.step()" warning) so, whichever of the
        # optimizer's hooks runs first.
        if record is not None:
            record.applied = True
        scheduler.step()

    return optimizer.register_step_post_hook(step_scheduler)


def optimizer_updates(optimizer: Any) -> int | None:
    """The number of updates ``optimizer`` has applied, from its own state.

    torch's Adam family (and Adagrad, RMSprop, ...) count updates in a per-parameter
    ``"step"`` entry, saved and restored with the optimizer's ``state_dict``; the largest
    count is the number of updates (a parameter without a gradient is skipped). ``None``
    when the optimizer keeps no such count (SGD) or has not applied an update yet.

    Args:
        optimizer: a torch optimizer, or any object with a ``state`` mapping of dicts.

    Returns:
        The number of updates (an int), or ``None``.

    Raises:
        AttributeError: ``optimizer`` has no ``state``.

    References:
        torch's optimizers' per-parameter ``state["step"]`` (``torch/optim/adam.py``, ...).
    """
    counts = [int(state["step"]) for state in optimizer.state.values() if "step" in state]
    return max(counts) if counts else None


def check_in_step(scheduler: Any, optimizer: Any, *, updates: int | None = None) -> bool:
    """Warn (:class:`ScheduleDriftWarning`) when ``scheduler.last_epoch`` differs from
    the number of updates applied; return whether they agree.

    ``updates`` defaults to :func:`optimizer_updates`; pass a count of your own for an
    optimizer that keeps none. With no count to compare with, nothing is checked and
    the result is ``True``.

    Args:
        scheduler: a scheduler with ``last_epoch`` (the package's or torch's).
        optimizer: the optimizer it drives (see :func:`optimizer_updates`).
        updates: the number of updates applied, or None to read it from ``optimizer``.

    Returns:
        Whether the step count and the update count agree (``True`` with no count).

    Raises:
        AttributeError: a scheduler without ``last_epoch``. A drift warns
            (:class:`ScheduleDriftWarning`), raising only under an ``"error"`` filter.

    References:
        torch's ``lr_scheduler.py`` (its order check); accelerate's
        ``AcceleratedScheduler`` (steps only for updates applied).
    """
    count = optimizer_updates(optimizer) if updates is None else updates
    if count is None or count == scheduler.last_epoch:
        return True
    ahead = "ahead of" if scheduler.last_epoch > count else "behind"
    warnings.warn(
        f"the scheduler is at step {scheduler.last_epoch} but the optimizer has applied "
        f"{count} updates: the schedule runs {ahead} the training. Step the scheduler once "
        "per applied update (after optimizer.step(), not per micro-batch; "
        "lr_one_cycle.step_with_optimizer skips the updates GradScaler skipped)",
        ScheduleDriftWarning,
        stacklevel=2,
    )
    return False
