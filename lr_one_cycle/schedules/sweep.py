"""The lr sweep of the LR range test (Smith, "Cyclical Learning Rates for Training Neural
Networks", arXiv 1506.01186, section 3.3; fastai's ``lr_find``, torch-lr-finder).

Iteration ``i`` of ``num_iter`` trains at ``start_lr`` moved a fraction
``i / (num_iter - 1)`` of the way to ``end_lr``, geometrically ("exp") or linearly, so
the first iteration uses ``start_lr`` and the last ``end_lr``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .. import _validate as v
from ._protocol import FloatArray

SweepMode = Literal["exp", "linear"]
SWEEP_MODES: tuple[SweepMode, ...] = ("exp", "linear")


def check_sweep(
    start_lr: object, end_lr: object, num_iter: object, mode: object
) -> tuple[float, float, int, SweepMode]:
    """Checked ``(start_lr, end_lr, num_iter, mode)`` of an lr sweep."""
    start = v.as_real("start_lr", start_lr, low=0.0, low_open=True)
    end = v.as_real("end_lr", end_lr, low=0.0, low_open=True)
    if end <= start:
        raise ValueError(f"end_lr must be greater than start_lr ({start:g}), got {end:g}")
    count = v.as_count("num_iter", num_iter, minimum=2)
    return start, end, count, v.as_choice("mode", mode, SWEEP_MODES)  # type: ignore[return-value]


def lr_sweep(
    *, start_lr: float, end_lr: float, num_iter: int, mode: SweepMode = "exp"
) -> FloatArray:
    """The ``num_iter`` learning rates of an LR range test, from ``start_lr`` to ``end_lr``.

    With ``pct = i / (num_iter - 1)``:

    - ``"exp"``: ``start_lr * (end_lr / start_lr) ** pct`` (even steps of log lr)
    - ``"linear"``: ``start_lr + (end_lr - start_lr) * pct``

    Args:
        start_lr: the lr of the first iteration (> 0).
        end_lr: the lr of the last iteration (> ``start_lr``).
        num_iter: the number of iterations (an integer >= 2).
        mode: ``"exp"`` or ``"linear"``.

    Returns:
        An array of shape ``(num_iter,)``: the lr of each iteration.

    Raises:
        ValueError, TypeError: bad settings, naming them.

    References:
        Smith, arXiv 1506.01186, section 3.3 (the LR range test); fastai's
        ``lr_find``; torch-lr-finder's ``LRFinder.range_test``.

    >>> lr_sweep(start_lr=0.01, end_lr=1.0, num_iter=3).round(6).tolist()
    [0.01, 0.1, 1.0]
    """
    start, end, count, how = check_sweep(start_lr, end_lr, num_iter, mode)
    pct = np.arange(count, dtype=np.float64) / (count - 1)
    if how == "exp":
        return np.asarray(start * (end / start) ** pct, dtype=np.float64)
    return start + (end - start) * pct
