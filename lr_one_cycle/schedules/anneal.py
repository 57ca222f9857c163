"""Annealing helpers shared by the families, and the exact elementwise path.

Both anneal strategies go from ``start`` to ``end`` as ``pct`` goes 0 -> 1, written as
``c0 + c1 * x`` where only ``x`` depends on the step. torch's ``OneCycleLR`` computes

- cos:    ``end + (start - end) / 2.0 * (cos(pi * pct) + 1)``
- linear: ``(end - start) * pct + start``

and the split performs the same operations in the same order (IEEE addition is
commutative), so one ``x`` per step serves every parameter group, bit for bit.

``numpy.cos`` / ``numpy.power`` may round differently from Python's ``math.cos`` /
``**`` (the references' operations) by a few ulp on some builds; the exact paths apply
the Python function to every element through :func:`elementwise`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np

from ._protocol import FloatArray

AnnealStrategy = Literal["cos", "linear"]
ANNEAL_STRATEGIES: tuple[AnnealStrategy, ...] = ("cos", "linear")


def elementwise(function: Callable[..., float], *arrays: FloatArray) -> FloatArray:
    """Apply a Python scalar ``function`` (``math.cos``, ``pow``) to every element.

    Bitwise equal to calling it in a Python loop, which is what the references do;
    one C-level ``map``, so about 70 ns an element. Shape: the arrays broadcast together.
    """
    shaped = np.broadcast_arrays(*arrays)
    columns = [a.ravel().tolist() for a in shaped]
    out = np.fromiter(map(function, *columns), np.float64, shaped[0].size)
    return out.reshape(shaped[0].shape)


#: Elements converted at a time by the exact paths: bounds their temporary memory.
CHUNK = 1 << 16


def cos_in_place(angle: FloatArray, exact: bool) -> FloatArray:
    """Replace every element of the 1-d array ``angle`` by its cosine, and return it:
    ``math.cos`` with ``exact`` (chunk by chunk, through a memoryview: no list of the
    whole array), else ``numpy.cos``."""
    if not exact:
        return np.cos(angle, out=angle)
    function = math.cos
    for start in range(0, angle.size, CHUNK):
        part = angle[start : start + CHUNK]
        part[...] = np.fromiter(map(function, part.data), np.float64, part.size)
    return angle


def cos(angle: FloatArray, exact: bool) -> FloatArray:
    """``cos`` of every element: ``math.cos`` with ``exact``, else ``numpy.cos``."""
    return elementwise(math.cos, angle) if exact else np.cos(angle)


def power(base: FloatArray, exponent: FloatArray | float, exact: bool) -> FloatArray:
    """``base ** exponent`` elementwise: Python's ``pow`` with ``exact``, else numpy's."""
    if exact:
        return elementwise(pow, base, np.asarray(exponent, np.float64))
    return np.power(base, exponent)


def anneal_coefficients(start: float, end: float, strategy: AnnealStrategy) -> tuple[float, float]:
    """``(c0, c1)`` such that the annealed value is ``c0 + c1 * anneal_shape(pct)``."""
    if strategy == "cos":
        return end, (start - end) / 2.0
    return start, end - start


def coefficient_columns(
    start: list[float], end: list[float], strategy: AnnealStrategy
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """:func:`anneal_coefficients` of each pair ``(start[i], end[i])``, as the column of
    every ``c0`` and the column of every ``c1``."""
    if strategy == "cos":
        return tuple(end), tuple([(a - b) / 2.0 for a, b in zip(start, end)])
    return tuple(start), tuple([b - a for a, b in zip(start, end)])


def anneal_shape(pct: FloatArray, strategy: AnnealStrategy, *, exact: bool = False) -> FloatArray:
    """The step-dependent factor ``x`` of :func:`anneal_coefficients`, elementwise:
    ``cos(pi * pct) + 1`` or ``pct``; ``exact=True`` is bitwise equal to torch's scalars."""
    if strategy != "cos":
        return pct
    return cos(np.pi * pct, exact) + 1


def sequential_products(first: float, mult: float, count: int) -> FloatArray:
    """``first, first*mult, (first*mult)*mult, ...`` (``count`` values), rounded after
    every product as a loop of ``x *= mult`` rounds — not ``first * mult**k``."""
    if mult == 1.0:
        return np.full(count, first, dtype=np.float64)
    factors = np.full(count, mult, dtype=np.float64)
    factors[0] = first
    return np.multiply.accumulate(factors)
