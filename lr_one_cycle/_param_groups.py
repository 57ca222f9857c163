"""The one writer into an optimizer's ``param_groups``.

A tensor ``lr``, ``momentum`` or ``betas[0]`` is updated in place and stays the same
tensor (so a ``torch.compile``d optimizer step that guards on it does not recompile);
plain floats are replaced; nothing but these values is written (settings stay on the
scheduler). Every scheduler, :func:`lr_one_cycle.set_optimizer_lr` and the LR range test
write through here: :func:`write` a value at a time; :class:`GroupWriter`, what a
scheduler's ``step()`` runs, every group at once, remembering what it left in the groups
so that the next step costs one identity test and one store a group (tensors written
through numpy views of their memory, each write counted in their version counters as
``fill_`` counts it).
"""

from __future__ import annotations

import numbers
import sys
import warnings
from collections.abc import Sequence
from operator import attrgetter, methodcaller
from typing import Any

from . import _validate as v


class ScheduleOverrideWarning(UserWarning):
    """A scheduler's ``step()`` found another lr in a group than the one it wrote last,
    and replaces it: something else changed the lr in between (another scheduler in
    torch's ``ChainedScheduler``, ``ReduceLROnPlateau``, code setting it by hand), and
    that change is lost (see "Composing" in :mod:`lr_one_cycle.scheduler`).

    Args:
        *args: the message, as for any ``Warning``.

    Raises:
        ScheduleOverrideWarning: never raised by the package: ``step()`` issues it with
            :func:`warnings.warn` (an exception only under an ``"error"`` filter).

    References:
        torch's ``lr_scheduler.py``, whose schedulers compose multiplicatively
        (``ChainedScheduler``) where these, closed-form, overwrite.
    """


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


def _one_number(value: Any) -> bool:
    """A value a write can replace or fill: a real number (a 0-d array included) or a
    tensor of one element."""
    if value.__class__ is float:
        return True
    if is_tensor(value):
        return bool(value.numel() == 1)
    if isinstance(value, (bool, str, bytes)):
        return False
    return isinstance(value, numbers.Real) or getattr(value, "ndim", None) == 0


def check_writable(groups: Sequence[dict[str, Any]], momentum_key: str | None) -> None:
    """Refuse, before anything is written, groups that a write would fail on part-way:
    a group without ``lr`` (or without the momentum entry written, removed after the
    scheduler was built), or one holding something else than a number or a tensor of
    one element there (for ``betas``: a tuple or list whose first entry is one).

    A write that finds the groups as it left them needs no check: this runs on the
    path that looks at the groups again (:meth:`GroupWriter.write`)."""
    for i, group in enumerate(groups):
        path = ("optimizer.param_groups", i)
        for key in ("lr",) if momentum_key is None else ("lr", momentum_key):
            if key not in group:
                raise ValueError(
                    f"optimizer.param_groups[{i}] has no {key!r} entry to write (it was "
                    "removed after the scheduler was built): give the group its entry "
                    "back, or build a new scheduler"
                )
            value = group[key]
            if key == "betas":
                if not isinstance(value, (tuple, list)) or not value:
                    raise v.ArgumentTypeError(v.item(path, key), value, v.BETAS)
                value = value[0]
                where = v.item(v.item(path, "betas"), 0)
            else:
                where = v.item(path, key)
            if not _one_number(value):
                shown = (
                    v.Described(f"a tensor of {value.numel()} elements")
                    if is_tensor(value)
                    else value
                )
                raise v.ArgumentTypeError(where, shown, "a number or a tensor of one element")


def warn_if_lr_replaced(
    scheduler: str,
    groups: Sequence[dict[str, Any]],
    written: Sequence[float],
    momentum_key: str | None,
    momentums: list[float] | None,
) -> None:
    """Warn (:class:`ScheduleOverrideWarning`) when a group's lr is not the one the
    scheduler named ``scheduler`` wrote last (``written``), before it is overwritten.
    It comes before the write of the lrs and ``momentums`` (under ``momentum_key``), so
    groups that write would fail on are refused first (:func:`check_writable`), and the
    write needs no check of its own (``GroupWriter.write(checked=True)``)."""
    check_writable(groups, momentum_key if momentums is not None else None)
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


# --------------------------------------------------------------------------- the fast path

#: The largest finite float32: torch's ``fill_`` refuses a float beyond it (overflow),
#: where numpy's cast would give inf, so such values take the ``fill_`` path.
_FLOAT32_MAX = 3.4028234663852886e38
_version_of = attrgetter("_version")
_address_of = methodcaller("data_ptr")


class GroupWriter:
    """The one writer, as a scheduler's ``step()`` runs it: :func:`write` for every
    group, with what the last write left in the groups remembered, so that the next
    write costs little more than the stores.

    Each entry written (``lr``; ``momentum`` or ``betas``) is a :class:`Column`. After
    a write it remembers what it left in the groups: the floats written (the lrs, the
    scheduler keeps), or the tensors written into (with their version counters and
    data addresses). At the next step, a group that still holds the very same object
    (a tensor at the same version and address) was not written by anyone else: the
    scheduler's override check (:class:`ScheduleOverrideWarning`) is then one identity
    test a group, and the write needs no type test. Anything else (groups added or
    replaced, a value replaced, a tensor written in place by someone else) makes the
    column look again, group by group. Nothing here is saved with the scheduler: a copy
    starts with a new writer.
    """

    __slots__ = ("lr", "momentum")

    def __init__(self, momentum_key: str | None) -> None:
        self.lr = Column("lr")
        self.momentum = None if momentum_key is None else Column(momentum_key)

    def _momentum_column(self, key: str) -> Column:
        column = self.momentum
        if column is None or column.key != key:
            column = self.momentum = Column(key)
        return column

    def write_held(
        self,
        groups: Sequence[dict[str, Any]],
        lrs: list[float],
        written: list[float],
        momentum_key: str | None,
        momentums: list[float] | None,
    ) -> bool:
        """:meth:`write`, when every group still holds the lr written last: the very
        float of ``written`` (the scheduler keeps them), or the tensor this writer
        left there, untouched (:meth:`Column.holds`). Else False, with nothing
        written. (``Scheduler.step`` writes floats everywhere itself, in one loop.)"""
        column = self.lr
        other = None
        if momentum_key is not None and momentums is not None:
            # Whether the momentum entries are as left, before any lr is written: when
            # they are not, they are checked (a group may have lost its entry), so that
            # a write that cannot finish starts none.
            other = self._momentum_column(momentum_key)
            if not other.holds(groups):
                other = None
                if len(groups) != len(lrs):
                    return False
                check_writable(groups, momentum_key)
        if column.tensors is not None:
            if not column.holds(groups):
                return False
            column.store(groups, lrs)
        else:
            if len(written) != len(groups):
                return False
            i = 0
            try:
                for group in groups:
                    if group["lr"] is not written[i]:
                        return False
                    i += 1
            except KeyError:  # an lr removed: check_writable names it
                return False
            i = 0
            for group in groups:
                group["lr"] = lrs[i]
                i += 1
        if momentum_key is not None and momentums is not None:
            if other is not None:
                other.store(groups, momentums)
            else:
                self._momentum_column(momentum_key).write(groups, momentums)
        return True

    def write(
        self,
        groups: Sequence[dict[str, Any]],
        lrs: list[float],
        momentum_key: str | None,
        momentums: list[float] | None,
        *,
        checked: bool = False,
    ) -> None:
        """Write every group's lr and, unless ``momentum_key`` is None, its momentum
        (``betas[0]`` for ``"betas"``), whatever the groups hold now; groups that the
        write would fail on part-way are refused first, nothing written
        (:func:`check_writable`; ``checked``: it has just run, in
        :func:`warn_if_lr_replaced`)."""
        if not checked:
            check_writable(groups, momentum_key if momentums is not None else None)
        self.lr.write(groups, lrs)
        if momentum_key is not None and momentums is not None:
            self._momentum_column(momentum_key).write(groups, momentums)

    def forget(self) -> None:
        """Compare the lr tensors' values at the next write (the lrs written last, to
        find there, changed without a write)."""
        self.lr.tensors = None


class Column:
    """What a :class:`GroupWriter` left in ``group[key]`` of every group.

    One of three states:

    - floats: ``floats`` holds the floats written, the very objects in the groups (for
      ``betas``, the ``(momentum, beta2)`` tuples written, and ``rest`` each beta2);
    - tensors: every group holds a plain float32/float64 CPU tensor (for ``betas``, a
      tuple whose first entry is one), written in place through numpy views of their
      memory; ``holders`` are the objects found in the groups, ``tensors`` the tensors,
      with their version counters (summed) and data addresses;
    - neither (``floats`` and ``tensors`` None: mixed entries, other types, tensors that
      need ``fill_``): written group by group with :func:`write` / :func:`write_momentum`
      and looked at again at every write.

    Why views: ``fill_`` costs about 750 ns a tensor, most of it torch's dispatch, where
    a store through a numpy view of the same memory costs about 50 ns; then
    ``torch.autograd.graph.increment_version`` counts the write in each tensor's version
    counter, once, as ``fill_`` does, so autograd's check of saved tensors and anything
    else that reads ``_version`` see it. (torch's ``_foreach_`` ops are no faster on the
    CPU: they loop over the tensors one by one there.) A tensor whose data moved (a new
    ``.data``) or that someone else wrote makes the column look again.
    """

    __slots__ = (
        "key", "floats", "rest", "holders", "tensors", "views", "version", "addresses",
        "narrow", "bump",
    )

    def __init__(self, key: str) -> None:
        self.key = key
        self.floats: list[Any] | None = None
        self.rest: list[Any] | None = None
        self.holders: list[Any] = []
        self.tensors: list[Any] | None = None
        self.views: list[Any] = []
        self.version = 0
        self.addresses: list[int] = []
        self.narrow = False  # float32 views: values beyond its range take fill_'s path
        self.bump: Any = None  # torch.autograd.graph.increment_version

    def holds(self, groups: Sequence[dict[str, Any]]) -> bool:
        """Whether every group still holds what this column left there at its last
        write (the same object; a tensor not written since, at the same address)."""
        left = self.floats
        if left is None:
            if self.tensors is None:
                return False
            left = self.holders
        if len(groups) != len(left):
            return False
        key = self.key
        i = 0
        try:
            for group in groups:
                if group[key] is not left[i]:
                    return False
                i += 1
        except KeyError:  # an entry removed: not what was left (check_writable names it)
            return False
        return self.tensors is None or self.untouched()

    def untouched(self) -> bool:
        """The tensors at the version and address this column left them (versions only
        grow, so their sum is unchanged only when none changed)."""
        tensors = self.tensors
        return (
            sum(map(_version_of, tensors)) == self.version  # type: ignore[arg-type]
            and list(map(_address_of, tensors)) == self.addresses  # type: ignore[arg-type]
        )

    def store(self, groups: Sequence[dict[str, Any]], values: list[float]) -> None:
        """Write ``values`` when the column :meth:`holds` the groups: floats replaced,
        tensors written through their views, counted in their version counters."""
        tensors = self.tensors
        if tensors is None:
            key = self.key
            written: list[Any] = values if self.rest is None else list(zip(values, self.rest))
            i = 0
            for group in groups:
                group[key] = written[i]
                i += 1
            self.floats = written
            return
        if self.narrow and not (max(values) <= _FLOAT32_MAX and min(values) >= -_FLOAT32_MAX):
            self.write(groups, values)  # fill_'s own overflow error (or inf and NaN)
            return
        i = 0
        for view in self.views:
            view[...] = values[i]
            i += 1
        self.bump(tensors)
        self.version = sum(map(_version_of, tensors))

    def write(self, groups: Sequence[dict[str, Any]], values: list[float]) -> None:
        """Write ``values`` group by group, as the groups are now, then remember what
        was left (:meth:`_look`)."""
        key = self.key
        if key == "betas":
            for group, value in zip(groups, values):
                write_momentum(group, key, value)
        else:
            for group, value in zip(groups, values):
                write(group, key, value)
        self._look(groups)

    def _look(self, groups: Sequence[dict[str, Any]]) -> None:
        """Find the state of the column from what the groups hold now."""
        found = [group[self.key] for group in groups]
        self.floats, self.rest, self.tensors = None, None, None
        self.holders, self.views, self.addresses = [], [], []
        firsts = found
        if self.key == "betas":
            if not all(b.__class__ is tuple and len(b) == 2 for b in found):
                return
            firsts = [b[0] for b in found]
            if all(x.__class__ is float for x in firsts):
                self.floats, self.rest = found, [b[1] for b in found]
                return
        elif all(x.__class__ is float for x in found):
            self.floats = found
            return
        views = _numpy_views(firsts)
        if views is None:
            return
        self.holders, self.tensors, self.views = found, firsts, views
        self.version = sum(map(_version_of, firsts))
        self.addresses = list(map(_address_of, firsts))
        self.narrow = any(view.dtype.itemsize == 4 for view in views)
        self.bump = sys.modules["torch"].autograd.graph.increment_version


def restore(groups: Sequence[dict[str, Any]], count: int, key: str, left: list[Any]) -> None:
    """Give the first ``count`` groups back what they held, ``left`` (a write that
    stopped at a group found changed)."""
    for i in range(count):
        groups[i][key] = left[i]


def _numpy_views(values: list[Any]) -> list[Any] | None:
    """Numpy views of the memory of ``values`` when every one is a plain float32 or
    float64 CPU tensor that ``fill_`` may write (no grad, not an inference tensor),
    else None."""
    torch = sys.modules.get("torch")
    if torch is None or not values:
        return None
    views = []
    for value in values:
        if not (
            value.__class__ is torch.Tensor
            and value.device.type == "cpu"
            and value.dtype in (torch.float32, torch.float64)
            and value.layout is torch.strided
            and not value.requires_grad
            and not value.is_inference()
        ):
            return None
        try:
            views.append(value.numpy())
        except (RuntimeError, TypeError):  # conjugate or negative bits, and the like
            return None
    return views
