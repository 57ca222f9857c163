"""ignite's ``ParamScheduler`` protocol for the package's ignite-style handlers.

:class:`~lr_one_cycle.CosineAnnealingScheduler` and
:class:`~lr_one_cycle.LinearCyclicalScheduler` built once ignite is imported are real
ignite parameter schedulers: instances of a subclass that also derives from
``ignite.handlers.param_scheduler.ParamScheduler`` (created once per class, named like
it), so that ignite's ``ConcatScheduler``, ``ParamGroupScheduler`` and
``create_lr_scheduler_with_warmup`` accept them. Importing this module imports neither
torch nor ignite; a handler built before ``import ignite`` stays a plain handler.

Why ``ParamScheduler`` and not ignite's ``CosineAnnealingScheduler``: the methods ignite's
cyclical classes add (``_get_param``, ``__call__``) read an ``event_index`` that restarts
every cycle and settings that ``__call__`` rewrites; ours keep neither, and an
``isinstance`` check for ignite's class would promise attributes (``cycle``,
``total_cycle_size``) that ours do not have.

How ignite's composites drive a child, and why our handlers give ignite's values there
although their ``event_index`` counts events from the start (ignite's restarts every
cycle) and their settings never change (ignite's ``__call__`` rewrites them):

- ``ConcatScheduler`` and ``ParamGroupScheduler`` only *call* the child (each call writes
  the next event's value and counts it), set its ``save_history``, and read its
  ``optimizer``, ``param_name``, ``optimizer_param_groups`` and ``get_param()``. They
  never read or reset ``event_index`` or the cycle settings. A child's ``n``-th call
  writes event ``n`` of its schedule in both designs, which is all the composite sees;
- nested ``state_dict()`` / ``load_state_dict()`` hold each child's own state (ours: the
  event count from the start and the settings, plain values that
  ``torch.load(weights_only=True)`` reads back, which the composites' ``simulate_values``
  rely on), so a composite saved and loaded resumes exactly;
- ``create_lr_scheduler_with_warmup`` reads ``get_param()`` once, before the first call:
  the start value, in both designs;
- ``get_param()`` differs at cycle ends and in warm-ups only: ours is the value the next
  call writes, while ignite's reads its state between calls, before the call's own
  cycle bookkeeping (ignite's returns the end value where the next call writes the next
  cycle's start, and ignores the warm-up). ignite's ``ParamGroupScheduler.simulate_values``
  lists ``get_param()`` before each call, so for ignite's own classes it shows, at those
  events, values that are never written; for ours it shows the values written.
"""

from __future__ import annotations

import sys
from typing import Any

_VARIANTS: dict[type, type] = {}


def param_scheduler_class() -> type | None:
    """ignite's ``ParamScheduler`` when ignite has been imported, else None."""
    if "ignite" not in sys.modules:
        return None
    try:
        from ignite.handlers.param_scheduler import ParamScheduler
    except ImportError:  # pragma: no cover - a broken ignite install
        return None
    return ParamScheduler  # type: ignore[no-any-return]


def ignite_variant(cls: type) -> type:
    """``cls``, or its subclass that also derives from ignite's ``ParamScheduler`` when
    ignite is imported (created once per class, named like it)."""
    base = param_scheduler_class()
    if base is None or issubclass(cls, base):
        return cls
    variant = _VARIANTS.get(cls)
    if variant is None:
        namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                     "__doc__": cls.__doc__, "_public_class": cls}
        variant = type(base)(cls.__name__, (cls, base), namespace)
        _VARIANTS[cls] = variant
    return variant


def rebuild(cls: type) -> Any:
    """Unpickling: an empty instance of ``cls`` (or its ignite variant); the state follows."""
    return object.__new__(ignite_variant(cls))
