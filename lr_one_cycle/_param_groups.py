"""The one writer into an optimizer's ``param_groups``.

A tensor ``lr``, ``momentum`` or ``betas[0]`` is updated in place and stays the same
tensor (so a ``torch.compile``d optimizer step that guards on it does not recompile);
plain floats are replaced; nothing but these values is written (settings stay on the
scheduler). Every scheduler, :func:`lr_one_cycle.set_optimizer_lr` and the LR range test
write through here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any


class ScheduleOverrideWarning(UserWarning):
    """A scheduler's ``step()`` found another lr in a group than the one it wrote last,
    and replaces it: something else changed the lr in between (another scheduler in
    torch's ``ChainedScheduler``, ``ReduceLROnPlateau``, code setting it by hand), and
    that change is lost (see "Composing" in :mod:`lr_one_cycle.scheduler`)."""


def is_tensor(value: Any) -> bool:
    return hasattr(value, "fill_") and hasattr(value, "dtype")


def replaced_lr(lr: Any, written: float) -> Any:
    """The lr found in a group when it is not ``written`` (the value a scheduler wrote
    there last), else None. A tensor is compared in its own precision; one on an
    accelerator is not read (that would wait for the device at every step)."""
    if lr.__class__ is float:
        return None if lr == written else lr
    if is_tensor(lr):
        if lr.device.type != "cpu":
            return None
        found = lr.item()
        return None if found == lr.new_tensor(written).item() else found
    return None if lr == written else lr


def write(group: dict[str, Any], key: str, value: float) -> None:
    """Set ``group[key]`` to ``value``, in place when it holds a tensor."""
    current = group[key]
    if current.__class__ is not float and is_tensor(current):
        current.fill_(value)
    else:
        group[key] = value


def write_momentum(group: dict[str, Any], key: str, value: float) -> None:
    """Set the momentum: ``group["momentum"]``, or ``betas[0]`` keeping the other betas."""
    if key == "momentum":
        write(group, key, value)
        return
    betas = group["betas"]
    first = betas[0]
    if first.__class__ is not float and is_tensor(first):
        first.fill_(value)
    else:
        group["betas"] = (value, *betas[1:])


def write_values(
    groups: Sequence[dict[str, Any]],
    lrs: Sequence[float],
    momentum_key: str | None,
    momentums: Sequence[float] | None,
) -> None:
    """Write every group's lr and, unless ``momentum_key`` is None, its momentum.

    One loop per step on the hot path of every scheduler: floats are replaced directly,
    anything else goes through :func:`write` / :func:`write_momentum`.
    """
    if momentum_key is None or momentums is None:
        for group, lr in zip(groups, lrs):
            if group["lr"].__class__ is float:
                group["lr"] = lr
            else:
                write(group, "lr", lr)
        return
    plain_momentum = momentum_key == "momentum"
    for group, lr, m in zip(groups, lrs, momentums):
        if group["lr"].__class__ is float:
            group["lr"] = lr
        else:
            write(group, "lr", lr)
        if plain_momentum and group["momentum"].__class__ is float:
            group["momentum"] = m
        else:
            write_momentum(group, momentum_key, m)


def warn_if_lr_replaced(
    scheduler: str, groups: Sequence[dict[str, Any]], written: Sequence[float]
) -> None:
    """Warn (:class:`ScheduleOverrideWarning`) when a group's lr is not the one the
    scheduler named ``scheduler`` wrote last (``written``), before it is overwritten."""
    for i, (group, last) in enumerate(zip(groups, written)):
        lr = group["lr"]
        if lr is last:  # the float this scheduler wrote: nobody touched it
            continue
        found = replaced_lr(lr, last)
        if found is None:
            continue
        warnings.warn(
            f"{scheduler}.step(): optimizer.param_groups[{i}]['lr'] is "
            f"{found!r}, not the {last!r} this scheduler wrote last, so something else "
            "changed it (another scheduler stepped with it in torch's ChainedScheduler, "
            "ReduceLROnPlateau, code setting it by hand); this scheduler writes absolute "
            "values and replaces it now, so that change is lost. To compose schedules "
            "use torch's SequentialLR or lr_one_cycle's join_schedules (see "
            "lr_one_cycle.scheduler, 'Composing')",
            ScheduleOverrideWarning,
            stacklevel=4,
        )
        return
