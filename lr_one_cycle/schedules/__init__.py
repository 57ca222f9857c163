"""The pure core: every schedule formula of the package, one module per family, behind one
protocol (:class:`Schedule`).

Functions of the step, no optimizer and no state: a scalar step gives floats, an array
of steps gives numpy arrays. Schedulers, the CLI, the plots and the R package all ask
this package for values and only write them somewhere.

The step convention, exactness and the protocol are documented once, in
:mod:`lr_one_cycle.schedules._protocol`; every front end links there.

=================  ==========================================  ===========================
family             schedule                                    pure function
=================  ==========================================  ===========================
1cycle             :class:`OneCycleSchedule`                   :func:`one_cycle_schedule`
ignite's cycles    :class:`CyclicalSchedule`                   :func:`cosine_annealing_schedule`,
                                                               :func:`linear_cyclical_schedule`
SGDR               :class:`WarmRestartsSchedule`               :func:`warm_restarts_schedule`
Smith's CLR        :class:`CyclicSchedule`                     :func:`cyclic_lr_schedule`
warmup-stable-     :class:`WarmupStableDecaySchedule`          :func:`warmup_stable_decay_schedule`
decay
ramps, constants   :class:`RampSchedule`, :class:`ConstantSchedule`
joins, warm-up     :class:`JoinedSchedule`                     :func:`join_schedules`,
                                                               :func:`with_warmup`
warm-up + cosine   :class:`WarmupCosineSchedule`               :func:`warmup_cosine_schedule`
yolo decay         :class:`LrDecay`                            ``get_lr_scheduler``
LR range test      —                                           :func:`lr_sweep`
=================  ==========================================  ===========================

Elastic resume of any schedule of fixed length: :mod:`.resume`.
"""

from ._protocol import FloatArray, Schedule, Steps, Values
from .compose import JoinedSchedule, join_schedules, with_warmup
from .cyclic import CyclicSchedule, cyclic_lr_schedule
from .cyclical import CyclicalSchedule, cosine_annealing_schedule, linear_cyclical_schedule
from .decay import DECAY_TYPES, DecayType, LrDecay
from .one_cycle import OneCycleSchedule, one_cycle_schedule
from .ramp import ConstantSchedule, RampSchedule
from .resume import Retimed
from .sweep import SweepMode, lr_sweep
from .warm_restarts import WarmRestartsSchedule, warm_restarts_schedule
from .warmup_cosine import WarmupCosineSchedule, warmup_cosine_schedule
from .wsd import WarmupStableDecaySchedule, warmup_stable_decay_schedule

__all__ = [
    "DECAY_TYPES",
    "ConstantSchedule",
    "CyclicSchedule",
    "CyclicalSchedule",
    "DecayType",
    "FloatArray",
    "JoinedSchedule",
    "LrDecay",
    "OneCycleSchedule",
    "RampSchedule",
    "Retimed",
    "Schedule",
    "Steps",
    "SweepMode",
    "Values",
    "WarmRestartsSchedule",
    "WarmupCosineSchedule",
    "WarmupStableDecaySchedule",
    "cosine_annealing_schedule",
    "cyclic_lr_schedule",
    "join_schedules",
    "linear_cyclical_schedule",
    "lr_sweep",
    "one_cycle_schedule",
    "warm_restarts_schedule",
    "warmup_cosine_schedule",
    "warmup_stable_decay_schedule",
    "with_warmup",
]
