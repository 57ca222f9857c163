"""ignite's cyclical schedulers (the cosine family's ignite handlers) as scheduler objects.

Thin adapters over the pure core (:mod:`lr_one_cycle.schedules.cyclical`): each checks
every argument before touching the optimizer, keeps its settings on itself and asks the
core for the value of an index, computed a window of indices at a time.

- :class:`CosineAnnealingScheduler` and :class:`LinearCyclicalScheduler` take
  pytorch-ignite 0.5.5's arguments and give its values bit for bit. They are ignite
  event handlers (``trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)``),
  real ignite ``ParamScheduler`` instances when built after ``import ignite`` (so
  ignite's ``ConcatScheduler``, ``ParamGroupScheduler`` and
  ``create_lr_scheduler_with_warmup`` take them and give ignite's values, see
  :mod:`lr_one_cycle.integrations.ignite`), and work without ignite on any object with
  ``param_groups``: call ``scheduler()`` (or ``scheduler.step()``) once per event,
  before the update it is for. They follow ignite's convention, not the package's step
  convention: construction writes nothing, and call ``n + 1`` writes the value of event
  ``n``. Unlike ignite's, a call never rewrites the settings (values are a pure function
  of ``event_index``, which counts events from the start instead of restarting every
  cycle). They are not torch ``LRScheduler`` objects, so torch's ``SequentialLR``,
  ``ChainedScheduler``, ignite's ``LRScheduler`` wrapper and Lightning, which drive
  those, do not take them (nor ignite's own classes);
  :class:`lr_one_cycle.CosineAnnealingWarmRestarts` (:mod:`lr_one_cycle.warm_restarts`)
  is the torch scheduler of the family.
"""

from __future__ import annotations

import gc
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from . import _validate as v
from ._param_groups import write
from ._window import ValueWindow
from .integrations.ignite import ignite_variant, rebuild
from .schedules import CyclicalSchedule

_SCHEDULE_ARGUMENTS = (
    "start_value",
    "end_value",
    "cycle_size",
    "cycle_mult",
    "start_value_mult",
    "end_value_mult",
    "warmup_duration",
)


def _setting(name: str) -> property:
    """A read-only attribute reading the scheduler's checked settings."""
    return property(lambda self: getattr(self._settings, name), doc=f"``{name}`` (read-only).")


# --------------------------------------------------------------------------- ignite


class _CyclicalScheduler:
    """What ignite's two cyclical schedulers share; the subclasses hold the signatures.

    Built once ignite is imported, an instance is a real ignite ``ParamScheduler`` (see
    :mod:`lr_one_cycle.integrations.ignite`, which also says why ignite's composites give
    ignite's values around it).
    """

    _shape: ClassVar[str]  # the CyclicalSchedule shape of the subclass

    _public_class: type | None = None
    _config_keys: tuple[str, ...] = ("param_name", *_SCHEDULE_ARGUMENTS, "param_group_index")

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(ignite_variant(cls))

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        return (rebuild, (cls._public_class or cls,), self.__dict__)

    def _setup(
        self,
        optimizer: Any,
        param_name: Any,
        settings: CyclicalSchedule,
        save_history: Any,
        param_group_index: Any,
    ) -> None:
        groups = v.param_groups_of(optimizer)
        name = _param_name(param_name)
        index = _group_index(param_group_index, len(groups))
        for i in range(len(groups)) if index is None else [index]:
            if name not in groups[i]:
                raise ValueError(
                    f"param_name {name!r} is not an entry of optimizer.param_groups[{i}] "
                    f"(it has {', '.join(repr(k) for k in groups[i] if k != 'params')}); "
                    "the scheduler only sets existing entries"
                )
        self._save_history = v.as_bool("save_history", save_history)
        self.optimizer = optimizer
        self.param_name = name
        self.param_group_index = index
        self._settings = settings
        self.event_index = 0
        self._window = ValueWindow(settings)

    # ------------------------------------------------------------------ settings

    # Read-only: the values are cached a window at a time, and never change in a run.
    start_value = _setting("start_value")
    end_value = _setting("end_value")
    cycle_size = _setting("cycle_size")
    cycle_mult = _setting("cycle_mult")
    start_value_mult = _setting("start_value_mult")
    end_value_mult = _setting("end_value_mult")
    warmup_duration = _setting("warmup_duration")

    @property
    def save_history(self) -> bool:
        return self._save_history

    @save_history.setter
    def save_history(self, value: bool) -> None:
        self._save_history = v.as_bool("save_history", value)

    @property
    def schedule(self) -> CyclicalSchedule:
        """The schedule the handler follows (after ``resume_with``, the resumed one)."""
        return self._settings

    @property
    def optimizer_param_groups(self) -> list[dict[str, Any]]:
        """The groups this scheduler drives: all, or the one at ``param_group_index``."""
        groups = self.optimizer.param_groups
        return groups if self.param_group_index is None else [groups[self.param_group_index]]

    # ------------------------------------------------------------------ events

    def __call__(self, engine: Any = None, name: str | None = None) -> None:
        """Write the value of event ``event_index`` and count the event.

        As an ignite handler ``engine`` is the engine; with ``save_history`` the values
        written are appended to ``engine.state.param_history[name or param_name]``.
        """
        value = self._value(self.event_index)
        groups = self._driven_groups()
        for group in groups:
            if group[self.param_name].__class__ is float:
                group[self.param_name] = value
            else:
                write(group, self.param_name, value)
        if self._save_history and engine is not None:
            if getattr(engine.state, "param_history", None) is None:
                engine.state.param_history = {}
            key = self.param_name if name is None else name
            history = engine.state.param_history.setdefault(key, [])
            history.append([value] * len(groups))
        self.event_index += 1

    def step(self) -> None:
        """Standalone use: the same as ``scheduler()``, once per event."""
        self(None)

    def _initial_step(self) -> None:
        raise TypeError(
            f"{type(self).__name__} is an ignite event handler, not a torch LRScheduler: "
            "torch's SequentialLR cannot drive it. Use ignite's ConcatScheduler, or "
            "CosineAnnealingWarmRestarts, the torch scheduler of the cosine family"
        )

    def _update_lr(self, epoch: Any = None) -> None:
        # What torch's SequentialLR calls at a milestone: the same refusal.
        self._initial_step()

    def get_param(self) -> float:
        """The value the next call writes (that of event ``event_index``).

        ignite's ``get_param()`` ignores the warm-up, and at a cycle's end returns the
        value of its index before the call resets it; this one does neither (see
        :mod:`lr_one_cycle.integrations.ignite` for where ignite's composites read it).
        """
        return self._value(self.event_index)

    def attach(self, engine: Any, event: Any = None) -> None:
        """``engine.add_event_handler(event, self)``; ``event`` defaults to ignite's
        ``Events.ITERATION_STARTED``."""
        if event is None:
            from ignite.engine import Events

            event = Events.ITERATION_STARTED
        engine.add_event_handler(event, self)

    def _value(self, event: int) -> float:
        return self._window.at(event)[0][0]

    def _driven_groups(self) -> list[dict[str, Any]]:
        """The groups to write, checked first so that a failing call writes nothing."""
        groups = self.optimizer.param_groups
        index = self.param_group_index
        if index is not None and index >= len(groups):
            raise v.ArgumentValueError(
                "param_group_index",
                index,
                _group_index_accepted(len(groups), lead=""),
                note="; build a new scheduler after changing the optimizer's groups",
            )
        driven = groups if index is None else [groups[index]]
        for i, group in enumerate(driven):
            if self.param_name not in group:
                raise ValueError(
                    f"param_name {self.param_name!r} is not an entry of "
                    f"optimizer.param_groups[{i if index is None else index}] any more"
                )
        return driven

    # ------------------------------------------------------------------ state

    @property
    def _state_attrs(self) -> list[str]:
        """The entries :meth:`state_dict` saves (ignite's name for that list)."""
        return ["event_index", "save_history", *self._config_keys]

    def _config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._config_keys}

    def state_dict(self) -> dict[str, Any]:
        """The event count and the settings, as plain Python values."""
        return {
            "event_index": self.event_index,
            "save_history": self.save_history,
            **self._config(),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume at the saved event: the following calls write the values an
        uninterrupted run would have written.

        The saved settings must be this scheduler's; anything else is refused with a
        message naming what differs, and nothing changes. Nothing is written into the
        optimizer until the next call (as in ignite).
        """
        cls = type(self).__name__
        if isinstance(state_dict, Mapping) and "total_cycle_size" in state_dict:
            raise ValueError(
                f"state_dict was saved by ignite's {cls}, whose event_index restarts every "
                f"cycle; lr_one_cycle's {cls} counts events from the start and cannot "
                "resume from it"
            )
        v.check_saved_state(state_dict, ("event_index", "save_history", *self._config_keys), cls)
        v.refuse_other_schedule(v.settings_differences(state_dict, self._config()))
        event = v.as_count("state_dict['event_index']", state_dict["event_index"], minimum=0)
        self.save_history = state_dict["save_history"]
        self.event_index = event

    # ------------------------------------------------------------------ elastic resume

    def resume_with(self, cycle_size: int, warmup_duration: int | None = None) -> None:
        """Go on with cycles of ``cycle_size`` events (and ``warmup_duration``, unchanged
        when not given) from the same point of the cycle: for a run resumed with another
        number of iterations per epoch.

        The scheduler becomes the one built with the new sizes (other settings kept), at
        the event with the same cycle index and the same fraction of the same phase
        (anneal or warm-up), to the nearest event; ``event_index`` is renumbered, and a
        state saved afterwards loads into a scheduler built with the new sizes. Cycle
        growth (``cycle_mult``) applies to the new sizes. Formula:
        :func:`lr_one_cycle.schedules.cyclical_resume.cyclical_resume_event`. Invalid sizes, or
        resuming inside a warm-up with ``warmup_duration=0``, raise and change nothing.
        """
        new, event = self._settings.resumed(
            self.event_index, cycle_size=cycle_size, warmup_duration=warmup_duration
        )
        assert isinstance(new, CyclicalSchedule)
        self._settings = new
        self.event_index = int(event)
        self._window = ValueWindow(new)

    # ------------------------------------------------------------------ simulation

    @classmethod
    def simulate_values(cls, num_events: int, **scheduler_kwargs: Any) -> list[list[Any]]:
        """``[[event, value], ...]`` for events ``0 .. num_events - 1``, like ignite's.

        Takes the constructor's keyword arguments (``optimizer`` and ``save_history``
        are ignored, ``param_name`` is optional) and computes the values straight from
        the pure core: no optimizer, no stepping.
        """
        count = v.as_count("num_events", num_events, minimum=0)
        settings = cls._settings_from(**scheduler_kwargs)
        values = settings.values(np.arange(count, dtype=np.int64), exact=True).lr[:, 0].tolist()
        # Allocating num_events small lists sets off the cyclic garbage collector again
        # and again, each pass scanning every live object (torch's too): ~8x the cost of
        # the lists themselves. They hold only numbers, so the pause cannot leak.
        # (map(list, zip(...)) builds them about 30% faster than a comprehension.)
        paused = gc.isenabled()
        gc.disable()
        try:
            return list(map(list, zip(range(count), values)))
        finally:
            if paused:
                gc.enable()

    @classmethod
    def plot_values(cls, num_events: int, **scheduler_kwargs: Any) -> Any:
        """Plot :meth:`simulate_values` with matplotlib (imported only here); returns
        the lines drawn, like ignite's."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise ModuleNotFoundError(
                "plot_values needs matplotlib: pip install matplotlib"
            ) from error
        values = cls.simulate_values(num_events, **scheduler_kwargs)
        label = scheduler_kwargs.get("param_name", "learning rate")
        lines = plt.plot([e for e, _ in values], [x for _, x in values], label=label)
        plt.legend()
        plt.grid(which="both")
        return lines

    @classmethod
    def _settings_from(cls, **kwargs: Any) -> CyclicalSchedule:
        """The schedule the constructor's keyword arguments describe (``optimizer``,
        ``save_history`` and ``param_group_index`` are ignored, ``param_name`` is
        optional), refusing an argument the constructor does not take, as ignite does."""
        signature = inspect.signature(cls.__init__)
        unknown = [key for key in kwargs if key not in signature.parameters]
        if unknown:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {unknown[0]!r}")
        kwargs = {"optimizer": None, "param_name": "lr", **kwargs}
        bound = signature.bind(None, **kwargs)
        bound.apply_defaults()
        return cls._schedule_of(bound.arguments)

    @classmethod
    def _schedule_of(cls, arguments: Mapping[str, Any]) -> CyclicalSchedule:
        """The schedule of the constructor's ``arguments`` (its checks are the core's)."""
        monotonic = v.as_bool("monotonic", arguments.get("monotonic", False))
        return CyclicalSchedule(
            shape=cls._shape if not monotonic else "monotonic",
            **{key: arguments[key] for key in _SCHEDULE_ARGUMENTS},
        )

    def __repr__(self) -> str:
        s = self._settings
        return (
            f"{type(self).__name__}(param_name={self.param_name!r}, start_value={s.start_value}, "
            f"end_value={s.end_value}, cycle_size={s.cycle_size}, cycle_mult={s.cycle_mult}, "
            f"warmup_duration={s.warmup_duration}, param_group_index={self.param_group_index}, "
            f"event_index={self.event_index})"
        )


class CosineAnnealingScheduler(_CyclicalScheduler):
    """pytorch-ignite 0.5.5's ``CosineAnnealingScheduler``, bitwise, without ignite.

    Anneals ``param_name`` from ``start_value`` to ``end_value`` over each cycle of
    ``cycle_size`` events as the first half of a cosine wave,
    ``start + ((end - start) / 2) * (1 - cos(pi * e / cycle_size))``. After each cycle
    the cycle (and ``warmup_duration``) grow to ``int(x * cycle_mult)`` and the start and
    end values are multiplied by ``start_value_mult`` and ``end_value_mult``; a
    ``warmup_duration`` > 0 goes linearly from the end value back to the next start
    value between cycles. See :func:`lr_one_cycle.cosine_annealing_schedule`.

    Checked up front, where ignite fails later or silently: ``cycle_size`` an integer
    >= 2, ``cycle_mult`` >= 1, ``param_group_index`` an index of the optimizer's
    groups, ``param_name`` an existing entry of the driven groups. Call conventions:
    see the module docstring.

    Args:
        optimizer: a torch optimizer, or any object with a ``param_groups`` list of dicts.
        param_name: the group entry to set, e.g. ``"lr"``.
        start_value, end_value: the values at the start and at the end of a cycle.
        cycle_size: a cycle's length in events (ignite's unit: event ``n`` is written by
            call ``n + 1``, not the package's step convention, :mod:`lr_one_cycle.schedules`).
        cycle_mult, start_value_mult, end_value_mult, warmup_duration, save_history,
        param_group_index: as ignite's (``param_group_index``: None drives every group).

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written.

    References:
        Loshchilov & Hutter, "SGDR", arXiv 1608.03983; ignite's
        ``handlers/param_scheduler.py`` (``CosineAnnealingScheduler``).
    """

    _shape = "cos"

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        start_value: float,
        end_value: float,
        cycle_size: int,
        cycle_mult: float = 1.0,
        start_value_mult: float = 1.0,
        end_value_mult: float = 1.0,
        warmup_duration: int = 0,
        save_history: bool = False,
        param_group_index: int | None = None,
    ) -> None:
        settings = self._schedule_of(locals())
        self._setup(optimizer, param_name, settings, save_history, param_group_index)


class LinearCyclicalScheduler(_CyclicalScheduler):
    """pytorch-ignite 0.5.5's ``LinearCyclicalScheduler``, bitwise, without ignite.

    Goes linearly from ``start_value`` to ``end_value`` in half a cycle and back,
    ``end + (start - end) * |e / cycle_size - 0.5| * 2``; with ``monotonic=True`` only
    once, ``start + (end - start) * (e / cycle_size)``, which may then be followed by a
    ``warmup_duration`` back to the start value (ignite refuses the warm-up otherwise).
    Cycle growth, multipliers, checks and call conventions as in
    :class:`CosineAnnealingScheduler`.

    Args:
        optimizer, param_name, start_value, end_value, cycle_size, cycle_mult,
        start_value_mult, end_value_mult, warmup_duration, save_history,
        param_group_index: as :class:`CosineAnnealingScheduler` (events, not steps).
        monotonic: go from ``start_value`` to ``end_value`` once per cycle.

    Raises:
        ValueError, TypeError: a bad argument, naming it, before anything is written
            (also a ``warmup_duration`` without ``monotonic=True``).

    References:
        Smith, "Cyclical Learning Rates for Training Neural Networks", arXiv 1506.01186;
        ignite's ``handlers/param_scheduler.py`` (``LinearCyclicalScheduler``).
    """

    _shape = "linear"
    _config_keys = (*_CyclicalScheduler._config_keys, "monotonic")

    def __init__(
        self,
        optimizer: Any,
        param_name: str,
        start_value: float,
        end_value: float,
        cycle_size: int,
        cycle_mult: float = 1.0,
        start_value_mult: float = 1.0,
        end_value_mult: float = 1.0,
        warmup_duration: int = 0,
        save_history: bool = False,
        param_group_index: int | None = None,
        *,
        monotonic: bool = False,
    ) -> None:
        settings = self._schedule_of(locals())
        self._setup(optimizer, param_name, settings, save_history, param_group_index)

    @property
    def monotonic(self) -> bool:
        return self._settings.shape == "monotonic"


def _param_name(value: Any) -> str:
    if not isinstance(value, str):
        raise v.ArgumentTypeError("param_name", value, "a string such as 'lr'")
    return value


def _group_index_accepted(n_groups: int, lead: str = "None or ") -> v.Accepted:
    """What ``param_group_index`` accepts, in Python's words (0-based) and R's (1-based:
    the R package shifts the index before it crosses)."""
    groups = f"the optimizer has {n_groups} parameter group{'s' if n_groups != 1 else ''}"
    return v.Accepted(
        f"{lead}a group index in 0..{n_groups - 1} ({groups})",
        f"{lead.replace('None', 'NULL')}a group index in 1..{n_groups} ({groups})",
    )


def _group_index(value: Any, n_groups: int) -> int | None:
    if value is None:
        return None
    what = _group_index_accepted(n_groups)
    if not v.is_real(value):
        raise v.ArgumentTypeError("param_group_index", value, what)
    if not (float(value).is_integer() and 0 <= value < n_groups):
        raise v.ArgumentValueError("param_group_index", value, what)
    return int(value)
