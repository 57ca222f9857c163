"""The LR range test (Smith 2015; fastai's ``lr_find``, torch-lr-finder): find ``max_lr``.

:func:`lr_find` trains for ``num_iter`` mini-batches while the lr sweeps from
``start_lr`` to ``end_lr`` (the sweep formula is :func:`lr_one_cycle.schedules.sweep.lr_sweep`),
records the loss and its bias-corrected exponential moving average, and stops early once
that average diverges. It then puts the model and the optimizer back exactly as it found
them — weights, buffers, gradients, optimizer state, ``param_groups`` — and the random
states of torch, Python's :mod:`random` and numpy's global generator, so training
afterwards is the same as if the test had never run.

Reading a suggestion off the curve
----------------------------------
Four rules in use are implemented here as pure functions of ``(lrs, losses)``, each as
its source has it (:data:`SUGGESTION_RULES`, :meth:`LRFindResult.suggestion`):

- :func:`valley` — fastai's default since 2.5 (``fastai.callback.schedule.valley``);
- :func:`steep` — the steepest descent of the smoothed loss against ``log(lr)``
  (fastai's ``steep``; torch-lr-finder's ``plot(suggest_lr=True)``);
- :func:`minimum` — the lr at the loss minimum, divided by 10 (fastai's ``minimum``);
- :func:`lightning` — Lightning's ``_LRFinder.suggestion()``: the steepest descent
  against the lr itself, not its logarithm.

:data:`DEFAULT_RULE` (``suggested_max_lr``) is :func:`minimum`. The evidence is mixed:
on the demo's MNIST-1D benchmark (``demo/``; README, "The demo") each schedule's peak lr
was tuned on a validation split and compared with every rule. On a fine sweep (6 decades
in 200 iterations) :func:`steep` landed closest for every schedule (about 0.2 decades
off, :func:`minimum` about 0.6, :func:`valley` about 1, :func:`lightning` about 4, all
of them below the tuned lr). On lr_find's default sweep (8 decades in 100 iterations,
where the loss of a classifier levels off near ``log(classes)`` instead of exceeding the
divergence threshold) :func:`steep` picked a point past the loss minimum, more than a
decade above the tuned lr, an lr at which training diverges, while :func:`minimum`
stayed within half a decade below. :func:`minimum` can never suggest more than a tenth
of the loss minimum's lr: it errs towards training slowly rather than diverging, and it
was the closest rule over both sweeps together.

The smoothed loss
-----------------
``losses[i] = a_i / (1 - (1 - smooth) ** (i + 1))`` with ``a_i = (1 - smooth) * a_{i-1}
+ smooth * raw_losses[i]`` and ``a_{-1} = 0``: the same bias-corrected average as
fastai's ``AvgSmoothLoss`` and Lightning's ``_LRCallback`` with ``beta = 1 - smooth``;
they use ``beta = 0.98`` (``smooth=0.02``), we default to torch-lr-finder's weight
``smooth=0.05`` (torch-lr-finder starts its average at the first loss instead of
correcting the bias). Any causal average lags: on a straight slope it trails the raw
loss by ``(1 - smooth) / smooth`` iterations (19 at 0.05, 49 at fastai's 0.02), which on
the default sweep (8 decades in 100 iterations) is 1.5 decades of lr; around a narrow
dip the smoothed minimum lands right of the raw loss's drop (the demo's ``lr_find.png``
shows it). :func:`lr_find` keeps the causal average because it stops the test on it as
the loss diverges, and the rules read it as their sources read theirs, lag included;
``raw_losses`` is there for any other smoothing.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import _validate as v
from ._param_groups import write
from ._snapshot import Snapshot, SuspendedStepHooks
from .schedules import FloatArray, SweepMode
from .schedules.sweep import check_sweep, lr_sweep

if TYPE_CHECKING:
    import torch
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SuggestionRule = Literal["valley", "steep", "minimum", "lightning"]
SUGGESTION_RULES: tuple[SuggestionRule, ...] = ("valley", "steep", "minimum", "lightning")
DEFAULT_RULE: SuggestionRule = "minimum"


def _curve(
    lrs: npt.ArrayLike, losses: npt.ArrayLike, skip_begin: int, skip_end: int, rule: str
) -> tuple[FloatArray, FloatArray]:
    """``(lrs, losses)`` as float arrays without their first ``skip_begin`` and last
    ``skip_end`` points; ``ValueError`` when fewer than two points are left."""
    x = np.asarray(lrs, dtype=np.float64)
    y = np.asarray(losses, dtype=np.float64)
    total = len(x)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"lrs and losses must be 1-d and of the same length, got shapes {x.shape} and {y.shape}"
        )
    begin = v.as_count("skip_begin", skip_begin, minimum=0)
    end = v.as_count("skip_end", skip_end, minimum=0)
    kept = slice(begin, len(x) - end)
    x, y = x[kept], y[kept]
    if len(x) < 2:
        raise ValueError(
            f"the {rule} rule needs at least 2 points after skipping the first {begin} and "
            f"the last {end}, got {total} points (run the range test longer)"
        )
    return x, y


def valley(
    lrs: npt.ArrayLike, losses: npt.ArrayLike, *, skip_begin: int = 10, skip_end: int = 5
) -> float:
    """fastai's ``valley`` rule: the middle of the longest descent of the loss.

    ``d[i]`` is the length of the longest strictly decreasing subsequence of ``losses``
    that ends at ``i`` (not necessarily contiguous). With ``end`` the first index of the
    largest ``d`` and ``start = end - d[end]``, the suggestion is ``lrs[start + int(s) +
    int(s / 2)]``, ``s = (end - start) / 3``: about half-way down the valley, where the
    loss still falls fast and is far from the divergence. Computed, like fastai's
    ``lr_find``, on the curve without its first and last points (fastai drops
    ``num_it // 10`` and 5; 10 and 5 here, fastai's values at its default 100 iterations).

    On the demo's MNIST-1D range tests the longest descent starts on the noisy plateau
    of small lrs, and the suggestion lands about a decade below the tuned peak lrs.

    Source: fastai ``fastai/callback/schedule.py`` (``valley``, fastai >= 2.5; the
    ``lr_find`` that trims the curve). Raises ``ValueError`` for fewer than 2 points
    left after the skips.
    """
    x, y = _curve(lrs, losses, skip_begin, skip_end, "valley")
    n = len(y)
    longest = np.ones(n, dtype=np.int64)
    for i in range(1, n):
        above = y[:i] > y[i]
        if above.any():
            longest[i] = longest[:i][above].max() + 1
    end = int(np.argmax(longest))  # the first index of the longest descent, as fastai's scan
    start = end - int(longest[end])
    third = (end - start) / 3
    # fastai's start is -1 when the descent begins at the first point; with 2 points its
    # index would then wrap to the last one, hence the floor at 0.
    return float(x[max(0, start + int(third) + int(third / 2))])


def steep(
    lrs: npt.ArrayLike, losses: npt.ArrayLike, *, skip_begin: int = 10, skip_end: int = 5
) -> float:
    """The steepest descent: the lr where ``d loss / d log(lr)`` is most negative.

    The slope is taken with central differences over ``log(lr)``
    (:func:`numpy.gradient`, one-sided at the ends). On an exponential sweep that is
    torch-lr-finder's ``plot(suggest_lr=True)`` exactly (``np.gradient(losses)`` over the
    index, after skipping the first 10 and the last 5 points). fastai's ``steep`` takes
    forward differences and the left point of the steepest pair: on a smooth curve at
    most one point away, on a noisy one possibly elsewhere.

    Sources: torch-lr-finder ``torch_lr_finder/lr_finder.py`` (``LRFinder.plot``);
    fastai ``fastai/callback/schedule.py`` (``steep``). Raises ``ValueError`` for fewer
    than 2 points left after the skips.
    """
    x, y = _curve(lrs, losses, skip_begin, skip_end, "steep")
    return float(x[int(np.argmin(np.gradient(y, np.log(x))))])


def minimum(
    lrs: npt.ArrayLike, losses: npt.ArrayLike, *, skip_begin: int = 10, skip_end: int = 5
) -> float:
    """fastai's ``minimum`` (its ``lr_min``): the lr at the loss minimum, divided by 10.

    At the minimum the lr is already too large to train with for long; a tenth of it is
    on the steep, stable part of the curve. On the curve without its first and last
    points, as fastai's ``lr_find`` (10 and 5, see :func:`valley`). The default rule
    (:data:`DEFAULT_RULE`; the module docs say why); until the other rules came, it was
    this package's only one and read the whole curve.

    Source: fastai ``fastai/callback/schedule.py`` (``minimum``). Raises ``ValueError``
    for fewer than 2 points left after the skips.
    """
    x, y = _curve(lrs, losses, skip_begin, skip_end, "minimum")
    return float(x[int(np.argmin(y))]) / 10


def lightning(
    lrs: npt.ArrayLike, losses: npt.ArrayLike, *, skip_begin: int = 10, skip_end: int = 1
) -> float:
    """Lightning's rule: the lr where ``d loss / d lr`` is most negative.

    :func:`numpy.gradient` over the lr values themselves (second-order central
    differences on the uneven spacing, one-sided at the ends), without the first 10 and
    the last point, as ``lightning.pytorch.tuner.lr_finder._LRFinder.suggestion`` does
    with ``torch.gradient(losses, spacing=[lrs])``. Since ``d loss / d lr =
    (d loss / d log lr) / lr``, this favours small lrs compared with :func:`steep`.

    Source: Lightning ``src/lightning/pytorch/tuner/lr_finder.py``
    (``_LRFinder.suggestion``, ``skip_begin=10, skip_end=1``); the tests compare it with
    the installed Lightning. Raises ``ValueError`` for fewer than 2 points left after the
    skips (Lightning returns ``None``).
    """
    x, y = _curve(lrs, losses, skip_begin, skip_end, "lightning")
    return float(x[int(np.argmin(np.gradient(y, x)))])


_RULES: dict[str, Callable[..., float]] = {
    "valley": valley,
    "steep": steep,
    "minimum": minimum,
    "lightning": lightning,
}


@dataclass(frozen=True)
class LRFindResult:
    """What :func:`lr_find` measured.

    ``lrs[i]`` is the lr of iteration ``i``, ``losses[i]`` the smoothed loss after it
    and ``raw_losses[i]`` its unsmoothed loss (all three of shape ``(n,)``, ``n <=
    num_iter``). ``diverged`` says whether the test stopped early because the smoothed
    loss exceeded ``diverge_threshold`` times its best value (for a loss that can be
    negative: its best plus ``diverge_threshold - 1`` times the best's magnitude; that
    iteration is included), or because the loss became NaN/inf (that iteration is not).

    Args:
        lrs, losses, raw_losses: arrays of shape ``(n,)``, one value per iteration.
        diverged: whether the test stopped early.

    Raises:
        ValueError: never when built (the fields are not checked); :meth:`suggestion`
            raises it for an unknown rule or a curve too short for the rule.

    References:
        Smith, arXiv 1506.01186, section 3.3; fastai's ``Recorder`` after ``lr_find``,
        torch-lr-finder's ``history``, Lightning's ``_LRFinder.results``.
    """

    lrs: FloatArray
    losses: FloatArray
    raw_losses: FloatArray
    diverged: bool

    @property
    def min_loss_lr(self) -> float:
        """The lr at which the smoothed loss was lowest (over the whole curve)."""
        return float(self.lrs[int(np.argmin(self.losses))])

    def suggestion(self, rule: SuggestionRule = DEFAULT_RULE) -> float:
        """The peak lr that ``rule`` reads off the smoothed loss: ``"valley"``
        (:func:`valley`), ``"steep"`` (:func:`steep`), ``"minimum"`` (:func:`minimum`) or
        ``"lightning"`` (:func:`lightning`), each with its source's skips.

        Raises ``ValueError`` for an unknown rule, or a curve too short for the rule.
        """
        name = v.as_choice("rule", rule, SUGGESTION_RULES)
        return _RULES[name](self.lrs, self.losses)

    def suggestions(self) -> dict[SuggestionRule, float | None]:
        """Every rule's suggestion, ``None`` where the curve is too short for the rule."""
        found: dict[SuggestionRule, float | None] = {}
        for rule in SUGGESTION_RULES:
            try:
                found[rule] = self.suggestion(rule)
            except ValueError:
                found[rule] = None
        return found

    @property
    def suggested_max_lr(self) -> float:
        """The suggested peak lr for 1cycle: :meth:`suggestion` with
        :data:`DEFAULT_RULE`."""
        return self.suggestion(DEFAULT_RULE)

    def plot(self, ax: Axes | None = None, path: str | None = None) -> Figure:
        """The smoothed loss against the lr (log scale), each rule's suggestion marked."""
        from .plots import plot_lr_find

        return plot_lr_find(self, ax=ax, path=path)


def lr_find(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    data: Iterable[Any],
    start_lr: float = 1e-7,
    end_lr: float = 10,
    num_iter: int = 100,
    mode: SweepMode = "exp",
    smooth: float = 0.05,
    diverge_threshold: float = 5.0,
    progress: bool = True,
    unpack_batch: Callable[[Any], tuple[Any, Any]] | None = None,
) -> LRFindResult:
    """Run the LR range test and return an :class:`LRFindResult`.

    Each iteration takes the next batch of ``data``, computes ``loss_fn(model(inputs),
    targets)``, backpropagates and steps the optimizer at the sweep's lr, written into
    every parameter group. ``smooth`` is the weight of the newest loss in the
    bias-corrected moving average (1 = no smoothing; module docs).

    Restored afterwards, even when an exception interrupts the test: the model (weights,
    buffers, gradients, train/eval flags), the optimizer (state and ``param_groups``,
    tensors in place), and the random states of torch (CPU, and CUDA on the model's
    devices), Python's :mod:`random` and numpy's global generator (``np.random``;
    ``Generator`` objects of your own are not tracked). The optimizer's own step hooks
    (a scheduler attached with :func:`lr_one_cycle.training.step_with_optimizer`, an EMA
    update) do not run during the test. Not restored: a one-shot iterator's position,
    and whatever ``loss_fn`` or ``unpack_batch`` change elsewhere.

    Args:
        model: the ``torch.nn.Module`` to train (in train mode during the test).
        optimizer: its torch optimizer; the sweep's lr goes into every group's ``lr``.
        loss_fn: ``loss_fn(model(inputs), targets)``, a scalar tensor.
        data: the batches. Batches are ``(inputs, targets)`` pairs (a tuple or list of
            two). For any other form (a dict, a 3-tuple, a bare tensor) pass
            ``unpack_batch``, a function from one batch to ``(inputs, targets)``, e.g.
            ``lambda b: (b["image"], b["label"])`` (torch-lr-finder's
            ``inputs_labels_from_batch``, fastai's ``before_batch``); without it such a
            batch raises ``TypeError``. A re-iterable ``data`` (a ``DataLoader``, a
            list) shorter than ``num_iter`` is iterated again. A one-shot iterator or
            generator is consumed; if it runs out before ``num_iter`` batches, the test
            stops there and returns the points measured, with a ``UserWarning`` that
            says how many batches there were.
        start_lr, end_lr, num_iter, mode: the sweep, :func:`lr_one_cycle.schedules.lr_sweep`
            (``num_iter`` iterations, one optimizer update each).
        smooth: the newest loss's weight in the smoothed loss, in (0, 1].
        diverge_threshold: stop once the smoothed loss exceeds this many times its best
            (> 1; :class:`LRFindResult` says how for a negative loss).
        progress: show a tqdm progress bar.
        unpack_batch: ``batch -> (inputs, targets)``, or None (see ``data``).

    Returns:
        An :class:`LRFindResult`, arrays of shape ``(n,)``: ``n = num_iter`` unless the
        test diverged or ``data`` ran out first.

    Raises:
        ValueError, TypeError: (before anything runs) ``ValueError``/``TypeError`` for
            bad arguments and ``ValueError`` for ``data`` that is empty; during the test
            (with everything restored) ``ValueError`` for data that yields no batch or a
            loss that is NaN or infinite on the first batch, and ``TypeError`` for a
            batch that is not ``(inputs, targets)``.

    References:
        Smith, arXiv 1506.01186, section 3.3 (the LR range test); fastai's ``lr_find``
        (``fastai/callback/schedule.py``); torch-lr-finder's ``LRFinder.range_test``;
        Lightning's ``LearningRateFinder`` (``lightning/pytorch/tuner/lr_finder.py``).
    """
    import torch

    start, end, count, how = check_sweep(start_lr, end_lr, num_iter, mode)
    smoothing = v.as_real("smooth", smooth, low=0.0, high=1.0, low_open=True)
    threshold = v.as_real(
        "diverge_threshold", diverge_threshold, low=1.0, low_open=True, accepted="a number > 1"
    )
    show = v.as_bool("progress", progress)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    groups = v.param_groups_of(optimizer)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if unpack_batch is not None and not callable(unpack_batch):
        raise TypeError(
            f"unpack_batch must be a function from a batch to (inputs, targets) or None, "
            f"got {type(unpack_batch).__name__}"
        )
    if not isinstance(data, Iterable):
        raise TypeError(f"data must be an iterable of (inputs, targets), got {type(data).__name__}")
    if hasattr(data, "__len__") and len(data) == 0:  # type: ignore[arg-type]
        raise ValueError("data is empty: lr_find needs at least one (inputs, targets) batch")

    lrs = lr_sweep(start_lr=start, end_lr=end, num_iter=count, mode=how)
    snapshot = Snapshot(model, optimizer)
    devices = sorted({p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"})
    python_rng, numpy_rng = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=devices), SuspendedStepHooks(optimizer):
            model.train()
            raw, smoothed, diverged, ran_out = _sweep(
                model,
                optimizer,
                groups,
                loss_fn,
                _Batches(data, unpack_batch),
                lrs,
                smoothing,
                threshold,
                show,
            )
    finally:
        snapshot.restore()
        random.setstate(python_rng)
        np.random.set_state(numpy_rng)
    n = len(smoothed)
    if ran_out:
        warnings.warn(
            f"data ran out after {n} batch{'es' if n > 1 else ''} (num_iter={count}): "
            f"returning the {n} point{'s' if n > 1 else ''} measured; pass data that can be "
            "iterated again (a DataLoader, a list) or at least num_iter batches",
            UserWarning,
            stacklevel=2,
        )
    return LRFindResult(lrs[:n], np.asarray(smoothed), np.asarray(raw), diverged)


def _sweep(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    groups: list[dict[str, Any]],
    loss_fn: Callable[[Any, Any], torch.Tensor],
    batches: _Batches,
    lrs: FloatArray,
    smoothing: float,
    threshold: float,
    show: bool,
) -> tuple[list[float], list[float], bool, bool]:
    """The sweep: raw and smoothed losses, whether it diverged, whether data ran out."""
    from tqdm.auto import tqdm

    raw: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    with tqdm(total=len(lrs), desc="lr_find", disable=not show, leave=False) as bar:
        for i, lr in enumerate(lrs.tolist()):
            batch = batches.next()
            if batch is None:
                return raw, smoothed, False, True
            inputs, targets = batch
            for group in groups:
                write(group, "lr", lr)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            value = float(loss.detach())
            if not math.isfinite(value):
                if i == 0:
                    raise ValueError(
                        f"the loss is {value} on the first batch (lr={lr:g}), before any "
                        "update: check the model, loss_fn and data"
                    )
                return raw, smoothed, True, False
            loss.backward()
            optimizer.step()
            average = (1 - smoothing) * average + smoothing * value
            current = average / (1 - (1 - smoothing) ** (i + 1))
            raw.append(value)
            smoothed.append(current)
            bar.update()
            bar.set_postfix(lr=f"{lr:.2e}", loss=f"{current:.4g}", refresh=False)
            best = min(best, current)
            # fastai's test (current > threshold * best), read for a loss of any sign:
            # the same for a positive best, and not met at once by a negative one.
            if current - best > (threshold - 1) * abs(best):
                return raw, smoothed, True, False
    return raw, smoothed, False, False


class _Batches:
    """``data``'s batches as ``(inputs, targets)``, iterated again whenever it runs out;
    :meth:`next` gives ``None`` once a pass yields nothing (a spent one-shot iterator)."""

    def __init__(self, data: Iterable[Any], unpack: Callable[[Any], tuple[Any, Any]] | None):
        self.data = data
        self.unpack = unpack
        self.pass_: Iterator[Any] = iter(data)
        self.seen = 0

    def next(self) -> tuple[Any, Any] | None:
        try:
            batch = next(self.pass_)
        except StopIteration:
            if self.seen == 0:
                raise ValueError(
                    "data is empty: lr_find needs at least one (inputs, targets) batch"
                ) from None
            self.pass_ = iter(self.data)
            try:
                batch = next(self.pass_)
            except StopIteration:
                return None
        self.seen += 1
        return self._pair(batch)

    def _pair(self, batch: Any) -> tuple[Any, Any]:
        if self.unpack is not None:
            pair = self.unpack(batch)
            if isinstance(pair, (tuple, list)) and len(pair) == 2:
                return pair[0], pair[1]
            raise TypeError(f"unpack_batch must return (inputs, targets), got {_describe(pair)}")
        if isinstance(batch, (tuple, list)) and len(batch) == 2:
            return batch[0], batch[1]
        raise TypeError(
            f"lr_find needs each batch as (inputs, targets), got {_describe(batch)}; "
            "pass unpack_batch=lambda batch: (inputs, targets) to take them out of it"
        )


def _describe(value: Any) -> str:
    """A batch's form in a few words: ``a dict with keys ['x', 'y']``, ``a tuple of 3
    items``, ``a Tensor of shape (4, 6)``."""
    kind = type(value).__name__
    if isinstance(value, dict):
        return f"a {kind} with keys {list(value)[:6]}"
    if isinstance(value, (tuple, list)):
        return f"a {kind} of {len(value)} item{'s' if len(value) != 1 else ''}"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"a {kind} of shape {tuple(shape)}"
    return f"a {kind}"
