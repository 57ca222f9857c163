"""``InGraphScheduler``: the schedule inside the compiled training step.

A torch scheduler is Python that runs between compiled steps: every ``step()`` is a
host call and a host-side write into the optimizer. optax users get the schedule traced
into the jitted update instead, as a function of the step count; this is that for
torch. An :class:`InGraphScheduler` holds a step counter as a tensor on the optimizer's
device and the schedule's torch evaluator (:mod:`lr_one_cycle.schedules._protocol`,
"The torch path"); its :meth:`~InGraphScheduler.step`, called inside the compiled
function after ``optimizer.step()``, advances the counter, computes that step's lr and
momentum (or ``betas[0]``) from it and copies them into the optimizer's tensor ``lr`` /
``betas[0]`` in place. Nothing runs on the host per step, so the step is data (no
recompile), and the update is written to be captured by ``mode="reduce-overhead"``
(CUDA graphs): no host read and no host-side write per step. That capture has only been
reasoned about: this package was built and tested on CPUs, with inductor, and no GPU
run has checked it yet::

    opt = torch.optim.AdamW(model.parameters(), lr=torch.tensor(0.0),
                            betas=(torch.tensor(0.9), torch.tensor(0.999)))
    scheduler = InGraphScheduler(OneCycleLR(opt, max_lr=1e-3, total_steps=1000))

    @torch.compile
    def update():
        opt.step()
        scheduler.step()

Everything else is the eager scheduler it wraps, which stays its host-side record:
its constructor checked the settings, its ``state_dict()`` format is the one saved and
loaded (both ways: a state saved by the eager scheduler loads here and vice versa), and
its ``resume_with`` is the elastic resume. Those host-side calls synchronise once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import _validate as v
from .scheduler import Scheduler
from .schedules import Schedule
from .schedules._protocol import TorchEvaluator, is_tensor


class InGraphScheduler:
    """Runs a scheduler's schedule inside a ``torch.compile``d step (see the module).

    Args:
        scheduler: the eager scheduler to run in the graph, any of the package's
            (:class:`~lr_one_cycle.OneCycleLR`, :class:`~lr_one_cycle.CyclicLR`,
            :class:`~lr_one_cycle.CosineAnnealingWarmRestarts`,
            :class:`~lr_one_cycle.WarmupStableDecayLR`, :class:`~lr_one_cycle.SequentialLR`,
            :class:`~lr_one_cycle.WarmupLR`), freshly built or loaded; it has applied
            its current step. Its optimizer's groups must hold
            their ``lr`` (and the cycled ``momentum`` or ``betas[0]``) as floating-point
            tensors on one device, which the graph updates in place: build the
            optimizer with ``lr=torch.tensor(...)``, ``betas=(torch.tensor(...), ...)``
            (on CUDA also ``capturable=True``, or ``fused=True``).
        exact: read the values from a table of the exact path's values, built once
            (float64, ``steps x groups``; bitwise equal to the eager scheduler on every
            device) rather than computing the closed form in the graph (no table;
            float64 values bitwise equal where torch's ``cos`` rounds like the C
            library's, as in a CPU graph; see each family's ``...OnTensors``).
        max_step: the last step the run will reach, for schedules whose values never
            repeat (SGDR with ``decay != 1``, ``CyclicLR`` unless its cycle is a power of
            two steps, a sequence ending in one, say): the table, or the listed cycles,
            end there, and the counter stops at it. Without an end, ``exact=False`` is
            the way: bitwise for ``CyclicLR``'s ``"triangular"`` and ``"triangular2"``.

    The counter stops at the schedule's last step (1cycle: ``total_steps``, which holds
    the final value): where the eager scheduler raises on a ``step()`` past the end, a
    compiled graph cannot raise, so the values stay the final ones. The wrapped
    scheduler is the host-side record: step this object, not it.

    Raises:
        TypeError: ``scheduler`` is not one of the package's schedulers, or a group's
            ``lr`` / momentum is not a tensor.
        ValueError: tensors on several devices, a fractional position with ``exact``,
            or a schedule that needs ``max_step``; nothing is changed.

    References:
        optax's schedules (a function of the step count inside the jitted update);
        PyTorch's recipe "Running the compiled optimizer with an LR scheduler"
        (tensor ``lr``); the wrapped scheduler's own references.
    """

    def __init__(self, scheduler: Scheduler, *, exact: bool = True, max_step: int | None = None):
        if not isinstance(scheduler, Scheduler):
            raise TypeError(
                "scheduler must be one of lr_one_cycle's schedulers (OneCycleLR, CyclicLR, "
                "CosineAnnealingWarmRestarts, WarmupStableDecayLR, SequentialLR, WarmupLR), "
                f"got {type(scheduler).__name__}"
            )
        self._exact = v.as_bool("exact", exact)
        self._max_step = None if max_step is None else v.as_count("max_step", max_step, minimum=0)
        self._device = _tensor_device(scheduler)
        self._evaluator: Any = None
        self._last: int | float | None = None
        self.scheduler = scheduler
        self._follow()

    # ------------------------------------------------------------------ in the graph

    def step(self) -> None:
        """Advance the counter and write that step's values into the optimizer, with
        tensor operations only: call it inside the compiled function, after
        ``optimizer.step()`` (like the eager ``scheduler.step()``)."""
        groups = self.scheduler.optimizer.param_groups
        if len(groups) != self._evaluator.n_groups:  # a guard in the graph, not a sync
            v.check_group_count(groups, self._evaluator.n_groups)
        # The work is a function of tensors: dynamo compiles a frame only when its
        # arguments hold tensors, so a call that is not inlined into the caller's graph
        # (after torch's optimizer.step() breaks it) still becomes one graph.
        _advance(self._count, self._evaluator, self._last, groups, self.scheduler.momentum_key)

    # ------------------------------------------------------------------ on the host

    @property
    def optimizer(self) -> Any:
        return self.scheduler.optimizer

    @property
    def schedule(self) -> Schedule:
        """The schedule being followed (after a resume, the resumed one)."""
        return self.scheduler.schedule

    @property
    def exact(self) -> bool:
        return self._exact

    @property
    def max_step(self) -> int | None:
        return self._max_step

    @property
    def last_epoch(self) -> int:
        """The last step applied (reads the counter: one synchronisation)."""
        return math.floor(self._position())

    def get_last_lr(self) -> list[Any]:
        """The learning rates in force: copies of the groups' lr tensors."""
        return [group["lr"].clone() for group in self.scheduler.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The wrapped scheduler's state dict at the counter's step: an eager scheduler
        of the same schedule loads it, and so does :meth:`load_state_dict`."""
        self._record_position()
        return self.scheduler.state_dict()

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a state saved by :meth:`state_dict` or by the eager scheduler (the
        wrapped scheduler's checks apply, and a resumed run's state comes back
        resumed); the graph continues from the saved step. Nothing changes on error."""
        self._record_position()
        before = self.scheduler.state_dict()
        self.scheduler.load_state_dict(state_dict)
        self._follow_or_restore(before)

    def resume_with(self, **changes: Any) -> None:
        """Elastic resume: the wrapped scheduler's ``resume_with(**changes)`` at the
        counter's step (e.g. ``total_steps=`` for :class:`~lr_one_cycle.OneCycleLR`,
        ``T_0=`` for SGDR), then the graph follows the resumed schedule. Its new
        constants make the compiled function recompile once. Nothing changes on error."""
        self._record_position()
        before = self.scheduler.state_dict()
        self.scheduler.resume_with(**changes)
        self._follow_or_restore(before)

    def __repr__(self) -> str:
        return (
            f"InGraphScheduler({self.scheduler!r}, exact={self._exact}, "
            f"max_step={self._max_step})"
        )

    # ------------------------------------------------------------------ internals

    def _follow(self) -> None:
        """Follow the wrapped scheduler's schedule from its position: a new evaluator
        when the schedule changed, the counter set in place when its dtype allows (so
        a compiled step does not recompile after a plain resume). Assigns nothing until
        everything is built."""
        import torch

        scheduler = self.scheduler
        schedule = scheduler.schedule
        position = scheduler._current_position()
        whole = position == math.floor(position)
        if self._exact and not whole:
            raise ValueError(
                f"exact=True reads a table of whole steps, but the scheduler is at position "
                f"{position:g} (after step(epoch={position:g})); use exact=False"
            )
        fresh: list[Any] = []
        if getattr(self, "_built_for", None) is schedule:
            evaluator, last = self._evaluator, self._last
        else:
            evaluator = schedule.torch_evaluator(exact=self._exact, max_step=self._max_step)
            evaluator = evaluator.to(self._device)
            last = evaluator.last
            if self._max_step is not None:
                last = _lower(last, self._max_step)
            fresh.extend(_tensors_of(evaluator))
        dtype = torch.int64 if whole else torch.float64
        value = int(position) if whole else position
        count = getattr(self, "_count", None)
        if count is None or count.dtype != dtype:
            count = torch.tensor(value, dtype=dtype, device=self._device)
            fresh.append(count)
        else:
            count.fill_(value)
        if self._device.type == "cuda":
            # CUDA graphs replay from fixed addresses: the counter is updated in place
            # and the constants are read in place, so neither is copied per replay.
            for tensor in fresh:
                torch._dynamo.mark_static_address(tensor)
        self._evaluator = evaluator
        self._built_for = schedule
        self._last = None if last is None else (int(last) if whole else float(last))
        self._count = count

    def _follow_or_restore(self, before: Mapping[str, Any]) -> None:
        try:
            self._follow()
        except Exception:
            self.scheduler.load_state_dict(before)
            raise

    def _position(self) -> int | float:
        value = self._count.item()
        return int(value) if float(value).is_integer() else float(value)

    def _record_position(self) -> None:
        """Bring the wrapped scheduler to the counter's step without writing into the
        optimizer (the graph already did). ``last_epoch`` and the position are what
        the scheduler base reads (torch's tools set ``last_epoch`` the same way)."""
        scheduler = self.scheduler
        position = self._position()
        scheduler._position = position
        scheduler.last_epoch = math.floor(position)
        scheduler._last_lr = scheduler.schedule.at(position)[0]


def _advance(
    counter: Any,
    evaluator: TorchEvaluator,
    last: int | float | None,
    groups: list[dict[str, Any]],
    momentum_key: str | None,
) -> None:
    """:meth:`InGraphScheduler.step`: ``counter += 1`` (held at ``last``), then the
    values of that step copied into each group's ``lr`` and momentum tensors."""
    count = counter + 1
    if last is not None:
        count = count.clamp_max(last)
    counter.copy_(count)
    lr, momentum = evaluator(count)
    for i, group in enumerate(groups):
        group["lr"].copy_(lr[i])
        if momentum is None or momentum_key is None:
            continue
        if momentum_key == "betas":
            group["betas"][0].copy_(momentum[i])
        else:
            group[momentum_key].copy_(momentum[i])


def _tensor_device(scheduler: Scheduler) -> Any:
    """The one device of the groups' ``lr`` (and cycled momentum) tensors."""
    entries: list[tuple[str, Any]] = []
    key = scheduler.momentum_key
    for i, group in enumerate(scheduler.optimizer.param_groups):
        entries.append((f"optimizer.param_groups[{i}]['lr']", group["lr"]))
        if key == "betas":
            entries.append((f"optimizer.param_groups[{i}]['betas'][0]", group["betas"][0]))
        elif key is not None:
            entries.append((f"optimizer.param_groups[{i}][{key!r}]", group[key]))
    for name, value in entries:
        if not (is_tensor(value) and value.dtype.is_floating_point and value.ndim == 0):
            raise TypeError(
                f"{name} must be a 0-d floating-point tensor for the graph to update it in "
                f"place, got {value!r}: build the optimizer with lr=torch.tensor(...) (and "
                "betas=(torch.tensor(...), torch.tensor(...)) for the Adam family)"
            )
    devices = {value.device for _, value in entries}
    if len(devices) > 1:
        raise ValueError(
            "the optimizer's lr / momentum tensors must be on one device, got "
            + ", ".join(sorted(str(d) for d in devices))
        )
    return devices.pop()


def _lower(last: float | None, bound: int) -> float:
    return float(bound) if last is None else min(last, float(bound))


def _tensors_of(value: Any) -> list[Any]:
    """The tensors of an evaluator, of the evaluators it holds (a join's parts) too."""
    if is_tensor(value):
        return [value]
    if isinstance(value, TorchEvaluator):
        value = tuple(vars(value).values())
    if isinstance(value, tuple):
        return [tensor for item in value for tensor in _tensors_of(item)]
    return []
