"""Exact, fast learning-rate and momentum schedules for PyTorch, from Python and R.

The formulas live in one pure core (:mod:`lr_one_cycle._schedules`, which also states
the step convention); the schedulers are thin adapters that write its values into an
optimizer's ``param_groups``.
"""

from ._schedules import one_cycle_schedule
from .lr_find import LRFindResult, lr_find
from .one_cycle import OneCycleLR, lr_one_cycle

__all__ = ["LRFindResult", "OneCycleLR", "lr_find", "lr_one_cycle", "one_cycle_schedule"]
__version__ = "0.1.0"
