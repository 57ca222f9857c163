"""Exact, fast learning-rate and momentum schedules for PyTorch, from Python and R.

The formulas live in one pure core (:mod:`lr_one_cycle._schedules`, which also states
the step convention); the schedulers are thin adapters that write its values into an
optimizer's ``param_groups``.
"""

from ._schedules import one_cycle_schedule
from .one_cycle import OneCycleLR, lr_one_cycle
from .training import ScheduleDriftWarning, check_in_step, optimizer_updates, step_with_optimizer

__all__ = [
    "OneCycleLR",
    "ScheduleDriftWarning",
    "check_in_step",
    "lr_one_cycle",
    "one_cycle_schedule",
    "optimizer_updates",
    "step_with_optimizer",
]
__version__ = "0.1.0"
