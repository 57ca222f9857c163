"""``CyclicLR``: Smith's cyclical learning rates as a scheduler object.

Its settings and what it writes, over the scheduler base (:mod:`lr_one_cycle.scheduler`)
and the pure core (:class:`lr_one_cycle.schedules.CyclicSchedule`, whose module gives
the formula). Step convention: :mod:`lr_one_cycle.schedules._protocol`.

Differences from ``torch.optim.lr_scheduler.CyclicLR`` (values are bitwise equal):

- ``last_epoch=k`` resumes exactly at step ``k`` and needs no ``initial_lr`` in the
  groups (torch applies step ``k + 1``);
- settings are not written into ``param_groups`` (torch adds ``base_momentum`` and
  ``max_momentum`` to every group), only torch's ``initial_lr`` (``base_lr``, when a run
  starts), which torch's ``SequentialLR`` reads (see :mod:`lr_one_cycle.scheduler`);
  ``load_state_dict`` checks what it loads;
- a custom ``scale_fn`` is saved by name, so a state dict holds plain values only; one
  that has no name to be found by (a lambda, a nested function, a callable object) makes
  ``state_dict()`` raise a ``TypeError`` saying so (torch silently saves nothing for it);
- ``gamma`` must be in (0, 1] and the step sizes positive (torch divides by zero or
  grows the amplitude without bound); a bad ``mode`` is refused even with a ``scale_fn``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import _validate as v
from ._settings import setting, start_cycling
from .scheduler import Scheduler
from .schedules import CyclicSchedule
from .schedules.cyclic import CyclicMode, ScaleMode, scale_fn_name


class CyclicLR(Scheduler):
    """Cycle every group's lr between ``base_lr`` and ``max_lr`` (and the momentum
    opposite, between ``max_momentum`` and ``base_momentum``), stepped per batch; torch
    2.13's ``CyclicLR`` bit for bit. Formulas: :func:`lr_one_cycle.cyclic_lr_schedule`.

    Args:
        optimizer: a torch optimizer, or any object with a ``param_groups`` list of
            dicts holding ``lr`` (and ``momentum`` or ``betas`` to cycle).
        base_lr, max_lr: the cycle's lower and upper lr, one value or one per group.
        step_size_up: steps from ``base_lr`` up to ``max_lr`` (a positive number).
        step_size_down: steps back down (``None``: ``step_size_up``).
        mode: ``"triangular"``, ``"triangular2"`` (amplitude halved each cycle) or
            ``"exp_range"`` (amplitude times ``gamma ** step``).
        gamma: the ``"exp_range"`` factor, in (0, 1].
        scale_fn: a custom amplitude scale ``x -> [0, 1]`` replacing ``mode``; define it
            at module level to save the scheduler's state (see the module docstring).
        scale_mode: ``"cycle"`` (``scale_fn`` of the cycle number, from 1) or
            ``"iterations"`` (of the step).
        cycle_momentum: cycle ``momentum`` (SGD, RMSprop) or ``betas[0]`` (Adam family).
        base_momentum, max_momentum: the momentum at the peak and at the ends, one
            value or one per group; below 1 for ``betas[0]``.
        last_epoch: -1 to start, or the step to resume at.
        verbose: print each lr applied.

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written.

    References:
        Smith, "Cyclical Learning Rates for Training Neural Networks", arXiv 1506.01186;
        torch's ``CyclicLR``.

    >>> class Optimizer:  # any object with param_groups works; torch's optimizers too
    ...     param_groups = [{"lr": 0.0, "momentum": 0.0}]
    >>> opt = Optimizer()
    >>> scheduler = CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2)
    >>> for _ in range(2):
    ...     scheduler.step()
    >>> opt.param_groups
    [{'lr': 1.0, 'momentum': 0.8}]
    """

    cycle_momentum: bool  #: whether the momentum (or betas[0]) is cycled
    _state_settings = (
        "base_lrs",
        "max_lrs",
        "step_size_up",
        "step_size_down",
        "mode",
        "gamma",
        "scale_mode",
        "cycle_momentum",
        "base_momentums",
        "max_momentums",
        "momentum_key",
    )

    def __init__(
        self,
        optimizer: Any,
        base_lr: float | Sequence[float],
        max_lr: float | Sequence[float],
        step_size_up: float = 2000,
        step_size_down: float | None = None,
        mode: CyclicMode = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: ScaleMode = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.8,
        max_momentum: float | Sequence[float] = 0.9,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        groups = v.param_groups_of(optimizer)
        schedule = CyclicSchedule(
            base_lr=base_lr,
            max_lr=max_lr,
            step_size_up=step_size_up,
            step_size_down=step_size_down,
            mode=mode,
            gamma=gamma,
            scale_fn=scale_fn,
            scale_mode=scale_mode,
            base_momentum=base_momentum,
            max_momentum=max_momentum,
            n_groups_=len(groups),
        )
        start_cycling(
            self,
            optimizer,
            schedule,
            cycle_momentum=cycle_momentum,
            momentums={"base_momentum": base_momentum, "max_momentum": max_momentum},
            last_epoch=last_epoch,
            base_lrs=schedule.base_lr,
            # torch's CyclicLR writes base_lr into the groups, then its base class sets
            # initial_lr (setdefault) from them: torch's SequentialLR needs it.
            initial_lrs=schedule.base_lr if v.scalar(last_epoch) == -1 else None,
            verbose=verbose,
        )

    # ------------------------------------------------------------------ settings

    @property
    def _cyclic(self) -> CyclicSchedule:
        return self._schedule  # type: ignore[return-value]

    max_lrs = setting("max_lr", list)
    base_momentums = setting("base_momentum", list)
    max_momentums = setting("max_momentum", list)
    step_size_up = setting("step_size_up", float)
    step_size_down = setting("step_size_down", float)
    total_size = setting(
        "total_size", float, "Steps per cycle, ``step_size_up + step_size_down`` (torch's)."
    )
    step_ratio = setting("step_ratio", float, "``step_size_up / total_size`` (torch's).")
    mode = setting("mode", str)
    gamma = setting("gamma", float)

    @property
    def scale_mode(self) -> str:
        """What the scale is a function of (torch's rule: a built-in mode sets it)."""
        return self._cyclic.effective_scale_mode

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at ``x`` (a cycle number or a step, see ``scale_mode``),
        as torch's ``CyclicLR.scale_fn``."""
        fn = self._cyclic.scale_fn
        if fn is not None:
            return float(fn(x))
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return float(self.gamma**x)

    # ------------------------------------------------------------------ state

    def _settings_state(self) -> dict[str, Any]:
        """The settings, with a custom ``scale_fn`` by name (``module.qualname``).

        Raises ``TypeError`` for a ``scale_fn`` without such a name."""
        return {**super()._settings_state(), "scale_fn": self._scale_fn_reference()}

    def _scale_fn_reference(self) -> str | None:
        fn = self._cyclic.scale_fn
        if fn is None:
            return None
        name = scale_fn_name(fn)
        if name is None:
            raise TypeError(
                f"CyclicLR cannot save scale_fn={fn!r} in its state_dict: a state dict holds "
                "plain values, so a custom scale_fn is saved by name (module.qualname) and "
                "must be a function defined at module level (def) to be found by it; a "
                "lambda, a nested function or a callable object is not. Define scale_fn at "
                "module level, or use mode='triangular2' / 'exp_range'"
            )
        return name

    def _required_state(self) -> tuple[str, ...]:
        return (*super()._required_state(), "scale_fn")

    def resume_with(  # type: ignore[override]
        self, step_size_up: float, step_size_down: float | None = None
    ) -> None:
        """Go on with cycles of the new sizes from the same point of the cycle (same
        cycle, same fraction of it, to the nearest step): for a run resumed with another
        number of iterations per epoch. ``last_epoch`` is renumbered, and a state saved
        afterwards loads into a scheduler built with the new sizes. Formula:
        :meth:`lr_one_cycle.schedules.CyclicSchedule.resumed`. Bad sizes raise and change
        nothing."""
        super().resume_with(step_size_up=step_size_up, step_size_down=step_size_down)

    def _repr_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "base_lr": self.base_lrs,
            "max_lr": self.max_lrs,
            "step_size_up": self.step_size_up,
            "step_size_down": self.step_size_down,
            "mode": self.mode,
        }
        if self.mode == "exp_range":
            fields["gamma"] = self.gamma
        if self._cyclic.scale_fn is not None:
            fields["scale_fn"] = getattr(self._cyclic.scale_fn, "__qualname__", "<callable>")
            fields["scale_mode"] = self.scale_mode
        fields["cycle_momentum"] = self.cycle_momentum
        return fields
