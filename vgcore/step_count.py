"""How many steps ``w ← w − δ`` in a float format take to move w by a share of itself: the
iteration itself in the dtype, counted exactly per binade (MATH.md D1), with where it sticks or
overflows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from vgcore.precision import as_float_dtype, binade_spacing, store
from vgcore.validate import check_real

CountOutcome = Literal["reached", "stuck", "overflow"]


@dataclass(frozen=True)
class StepCount:
    """How the iteration ``w ← w + d`` in a dtype ends (see ``steps_to_move``).

    ``reached``: after ``steps`` steps ``w`` has moved by the share for the first time, and is
    ``final``. ``stuck``: ``steps`` steps were applied, then ``w + d`` rounds back to ``final``
    forever. ``overflow``: step number ``steps`` made ``w`` infinite (``final`` is ±inf)."""

    outcome: CountOutcome
    steps: int
    final: float


MAX_SINGLE_STEPS = 100_000
"""A bound on the steps taken one at a time in ``steps_to_move`` (long runs are jumped over)."""


def steps_to_move(
    w: float, delta: float, dtype: Any = "float64", share: Fraction | float = Fraction(1, 100)
) -> StepCount:
    """Iterate ``w_{k+1} = w_k + d`` in ``dtype`` (``w_0`` and ``d`` are ``w`` and ``delta``
    rounded to ``dtype``; each sum rounded to nearest even) until ``|w_k − w_0| >= share·|w_0|``
    (exactly, in rational arithmetic), and say how it ended (``StepCount``).

    The count is that of the literal loop, but taken binade by binade: within ``[2**e,
    2**(e+1)]`` the values are the multiples of one spacing ``s``, so a step whose exact sum stays
    in the binade changes ``w`` by ``d`` rounded to a multiple of ``s``; that amount depends on
    ``w`` only through the parity of ``w/s`` at a tie, and once two consecutive steps change
    ``w`` by the same amount every further step in the binade does too. Such runs are jumped
    over in one exact (integer) count, so counts of 10¹⁴ steps cost a few dozen operations.
    A step that rounds back to ``w`` ends the run for good (``stuck``): the next step is the
    same computation. MATH.md D2.

    ValueError for a non-finite ``w`` or ``delta``, a ``w`` that is 0 or ±inf in ``dtype``, a
    ``share`` outside (0, 1] or a dtype outside ``DTYPES``."""
    resolved = as_float_dtype(dtype)
    start = store(w, resolved)
    if start.kind == "overflow":
        largest = float(np.finfo(resolved).max)
        raise ValueError(
            f"w must lie within ±{largest:g} so that it is finite in {resolved.name}; got {w!r}"
        )
    if start.value == 0:
        raise ValueError(f"w must be nonzero in {resolved.name} (1 % of 0 is 0); got {w!r}")
    change = check_real(delta, "delta")
    fraction = (
        Fraction(share) if isinstance(share, Fraction) else Fraction(check_real(share, "share"))
    )
    if not 0 < fraction <= 1:
        raise ValueError(f"share must lie in (0, 1]; got {share!r}")
    with np.errstate(over="ignore", under="ignore"):
        update = resolved.type(change)
    # Mirror so that the update is never positive (rounding to nearest even is symmetric).
    sign = -1 if update > 0 else 1
    current = resolved.type(sign * start.value)
    update = -update if sign < 0 else update
    count = _count_down(current, -update, fraction)
    return StepCount(count.outcome, count.steps, sign * count.final)


def _count_down(w0: np.floating, u: np.floating, share: Fraction) -> StepCount:
    """``steps_to_move`` for the iteration ``w ← w − u`` with ``u >= 0`` (``u`` may be inf)."""
    resolved = w0.dtype
    origin = Fraction(float(w0))
    target = share * abs(origin)
    size = Fraction(float(u)) if np.isfinite(u) else None
    current, steps = w0, 0
    for _ in range(MAX_SINGLE_STEPS):
        moved = origin - Fraction(float(current))  # >= 0: the iterates never increase
        if moved >= target:
            return StepCount("reached", steps, float(current))
        jump = None if size is None else _run(current, u, size, origin - target)
        if jump is not None:
            amount, length = jump
            steps += length
            current = resolved.type(float(Fraction(float(current)) - length * amount))
            continue
        with np.errstate(over="ignore"):
            following = current - u
        if following == current:
            return StepCount("stuck", steps, float(current))
        steps += 1
        if not np.isfinite(following):
            return StepCount("overflow", steps, float(following))
        current = following
    raise RuntimeError(
        f"steps_to_move took more than {MAX_SINGLE_STEPS} single steps"
    )  # pragma: no cover


def _run(
    current: np.floating, u: np.floating, size: Fraction, goal: Fraction
) -> tuple[Fraction, int] | None:
    """``(amount, length)``: the next ``length >= 2`` steps of ``w ← w − u`` from ``current``
    each lower ``w`` by exactly ``amount``, and none of them but the last reaches ``goal``
    (``w <= goal``); None when that cannot be shown here (take one step).

    Shown as follows: the values with magnitude in the binade ``[lo, hi]`` of ``|current|``
    are the multiples of its spacing (``[0, smallest normal]`` for subnormals), so while the
    exact ``w − u`` stays in it the step is ``u`` rounded to a multiple of the spacing, ties to
    an even multiple of ``w``; two equal probe steps in the binade mean the step is the same for
    every later ``w`` in it (no tie, or a tie from an even ``w`` by an even amount)."""
    resolved = current.dtype
    with np.errstate(over="ignore"):
        first = current - u
        second = first - u
    if not (np.isfinite(first) and np.isfinite(second)):
        return None
    value = Fraction(float(current))
    amount = value - Fraction(float(first))
    if amount <= 0 or Fraction(float(first)) - Fraction(float(second)) != amount:
        return None
    magnitude = abs(value)
    spacing = binade_spacing(float(magnitude), resolved)
    tiny = Fraction(float(np.finfo(resolved).smallest_normal))
    if magnitude < tiny:
        low, high = Fraction(0), tiny
    else:
        low = spacing * 2 ** int(np.finfo(resolved).nmant)
        high = 2 * low
    if value > 0:  # toward zero: step j (from value - j·amount) needs value - j·amount - u >= low
        room = value - size - low
        if room < 0:
            return None
        longest = math.floor(room / amount) + 1
    else:  # away from zero: |w| + u <= high, and the new |w| stays below high
        room = high - size - magnitude
        if room < 0:
            return None
        longest = min(math.floor(room / amount) + 1, math.ceil((high - magnitude) / amount) - 1)
    length = min(longest, math.ceil((value - goal) / amount))
    return (amount, length) if length >= 2 else None
