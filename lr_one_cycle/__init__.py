"""Exact, fast learning-rate and momentum schedules for PyTorch, from Python and R.

The formulas live in one pure core (:mod:`lr_one_cycle._schedules`, which also states
the step convention); the schedulers are thin adapters that write its values into an
optimizer's ``param_groups``.
"""

from ._schedules import (
    cosine_annealing_schedule,
    linear_cyclical_schedule,
    one_cycle_schedule,
    warm_restarts_schedule,
)
from .cosine import CosineAnnealingScheduler, CosineAnnealingWarmRestarts, LinearCyclicalScheduler
from .factory import get_lr_scheduler, set_optimizer_lr
from .one_cycle import OneCycleLR, lr_one_cycle
from .range_test import LRFindResult, lr_find
from .training import ScheduleDriftWarning, check_in_step, optimizer_updates, step_with_optimizer

__all__ = [
    "CosineAnnealingScheduler",
    "CosineAnnealingWarmRestarts",
    "LRFindResult",
    "LinearCyclicalScheduler",
    "OneCycleLR",
    "ScheduleDriftWarning",
    "check_in_step",
    "cosine_annealing_schedule",
    "get_lr_scheduler",
    "linear_cyclical_schedule",
    "lr_find",
    "lr_one_cycle",
    "one_cycle_schedule",
    "optimizer_updates",
    "set_optimizer_lr",
    "step_with_optimizer",
    "warm_restarts_schedule",
]
__version__ = "0.1.0"
