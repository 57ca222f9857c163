"""Exact, fast learning-rate and momentum schedules for PyTorch, from Python and R.

The formulas live in one pure core, :mod:`lr_one_cycle.schedules` (one module per
family behind one protocol; :mod:`lr_one_cycle.schedules._protocol` states the step
convention). The schedulers are thin adapters over one base
(:mod:`lr_one_cycle.scheduler`) that write the core's values into an optimizer's
``param_groups``.

Importing the package does not import torch: the pure schedules, the CLI and optimizers
that live in R never need it. Schedulers become torch ``LRScheduler`` instances once
torch is imported; the schedules evaluate torch tensors of steps inside compiled graphs
(:class:`InGraphScheduler` runs one in the compiled training step).
"""

from ._param_groups import ScheduleOverrideWarning
from .compiled import InGraphScheduler
from .cosine import CosineAnnealingScheduler, LinearCyclicalScheduler
from .cyclic import CyclicLR
from .factory import get_lr_scheduler, set_optimizer_lr
from .one_cycle import OneCycleLR, lr_one_cycle
from .range_test import LRFindResult, lr_find
from .schedules import (
    Schedule,
    cosine_annealing_schedule,
    cyclic_lr_schedule,
    join_schedules,
    linear_cyclical_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
    warmup_cosine_schedule,
    warmup_stable_decay_schedule,
    with_warmup,
)
from .sequential import SequentialLR, WarmupLR
from .training import ScheduleDriftWarning, check_in_step, optimizer_updates, step_with_optimizer
from .warm_restarts import CosineAnnealingWarmRestarts
from .wsd import WarmupStableDecayLR

__all__ = [
    "CosineAnnealingScheduler",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "InGraphScheduler",
    "LRFindResult",
    "LinearCyclicalScheduler",
    "OneCycleLR",
    "Schedule",
    "ScheduleDriftWarning",
    "ScheduleOverrideWarning",
    "SequentialLR",
    "WarmupLR",
    "WarmupStableDecayLR",
    "check_in_step",
    "cosine_annealing_schedule",
    "cyclic_lr_schedule",
    "get_lr_scheduler",
    "join_schedules",
    "linear_cyclical_schedule",
    "lr_find",
    "lr_one_cycle",
    "one_cycle_schedule",
    "optimizer_updates",
    "set_optimizer_lr",
    "step_with_optimizer",
    "warm_restarts_schedule",
    "warmup_cosine_schedule",
    "warmup_stable_decay_schedule",
    "with_warmup",
]
__version__ = "0.1.0"
