"""The float formats and the facts behind "updates smaller than epsilon are lost" (MATH.md D1).

``DTYPES`` names the three formats every other module computes in (``as_float_dtype`` resolves
and checks a dtype argument against it).

In IEEE round-to-nearest-even arithmetic ``w + d == w`` exactly when ``|d|`` is below half the
gap from ``w`` to its neighbour in the direction of ``d`` (at exactly half, the tie goes to the
neighbour with an even significand). The threshold is relative to ``|w|``: about
``eps_mach * |w| / 2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, cast

import numpy as np

from vgcore.validate import check_int, check_real

DTYPES: tuple[str, ...] = ("float16", "float32", "float64")
"""The IEEE binary formats the explorer computes in, narrowest first."""


def as_float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """The numpy dtype of one of ``DTYPES`` (given by name or as a numpy dtype); ValueError
    naming ``name`` otherwise."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in DTYPES:
        raise ValueError(f"{name} must be one of {', '.join(DTYPES)}; got {dtype!r}")
    return cast(np.dtype, resolved)


@dataclass(frozen=True)
class FloatFacts:
    """The numbers of one IEEE binary format; ``mantissa_bits`` counts the stored fraction bits
    (10, 23, 52), so the precision is ``mantissa_bits + 1`` bits."""

    dtype: str
    bits: int
    eps: float
    smallest_normal: float
    smallest_subnormal: float
    largest: float
    mantissa_bits: int


def float_facts(dtype: Any) -> FloatFacts:
    """Machine epsilon, smallest normal/subnormal and largest finite value of ``dtype``
    (from ``np.finfo``, as Python floats)."""
    resolved = as_float_dtype(dtype)
    info = np.finfo(resolved)
    return FloatFacts(
        dtype=resolved.name,
        bits=int(info.bits),
        eps=float(info.eps),
        smallest_normal=float(info.smallest_normal),
        smallest_subnormal=float(info.smallest_subnormal),
        largest=float(info.max),
        mantissa_bits=int(info.nmant),
    )


def float_facts_table() -> list[FloatFacts]:
    """``float_facts`` for float16, float32 and float64, in that order."""
    return [float_facts(name) for name in DTYPES]


def _to_dtype(value: float, dtype: np.dtype, name: str) -> np.floating:
    """``value`` rounded to ``dtype``; ValueError if it overflows to inf there."""
    with np.errstate(over="ignore"):
        rounded = dtype.type(value)
    if not np.isfinite(rounded):
        largest = float(np.finfo(dtype).max)
        raise ValueError(
            f"{name} must lie within ±{largest:g} so that it is finite in {dtype.name}; "
            f"got {value!r}"
        )
    return cast(np.floating, rounded)


def _gap(stored: np.floating, toward_zero: bool) -> Fraction:
    """Exact distance from the finite ``stored`` to its neighbour in magnitude.

    Away from zero, beyond the largest finite value, the gap is taken as the spacing of the
    top binade (rounding then overflows to inf at half of it, as IEEE prescribes)."""
    dtype = stored.dtype
    magnitude = abs(stored)
    if toward_zero:
        neighbour = np.nextafter(magnitude, dtype.type(0))
        return Fraction(float(magnitude)) - Fraction(float(neighbour))
    with np.errstate(over="ignore"):
        above = np.nextafter(magnitude, dtype.type(np.inf))
    if np.isfinite(above):
        return Fraction(float(above)) - Fraction(float(magnitude))
    below = np.nextafter(magnitude, dtype.type(0))
    return Fraction(float(magnitude)) - Fraction(float(below))


def ulp(w: float, dtype: Any = "float64") -> float:
    """Spacing from ``|w|`` to the next larger representable magnitude in ``dtype``.

    ``w`` is first rounded to ``dtype``; ``ulp(0)`` is the smallest subnormal; at the largest
    finite value the spacing of its binade is returned (the next magnitude up is inf).
    ValueError for non-finite ``w`` or ``w`` that overflows ``dtype``."""
    resolved = as_float_dtype(dtype)
    stored = _to_dtype(check_real(w, "w"), resolved, "w")
    return float(_gap(stored, toward_zero=False))


def lost_update_threshold(w: float, dtype: Any = "float64", direction: int = +1) -> float:
    """Half the gap from ``w`` (rounded to ``dtype``) to its neighbour in the direction of
    ``direction`` (+1 up, -1 down): every update ``d`` of that sign with ``|d|`` below it is
    lost, every one above it is not.

    The boundary itself is a tie: it is lost when ``w``'s significand is even (e.g. ``w = 1``)
    and not lost when it is odd (ties to even), so for odd ``w`` this is a supremum, not a
    maximum. Below a power of two the gap is half the gap above, so for ``w = 1.0`` and
    ``direction = -1`` the threshold is ``ulp(1)/4``. The result is exact as a float64 except
    for float64 where half the gap is 2**-1075 (``|w|`` at most the smallest normal, moving
    toward zero, or ``w`` subnormal/zero): that is not a float64 and rounds to 0.0, which is
    also the largest float64 update that is lost there.
    """
    resolved = as_float_dtype(dtype)
    stored = _to_dtype(check_real(w, "w"), resolved, "w")
    step = check_int(direction, "direction")
    if step not in (1, -1):
        raise ValueError(f"direction must be +1 or -1; got {direction!r}")
    toward_zero = stored != 0 and (stored > 0) != (step > 0)
    # Fraction -> float rounds to nearest even, so 2**-1075 becomes exactly 0.0.
    return float(_gap(stored, toward_zero) / 2)


def update_is_lost(w: float, delta: float, dtype: Any = "float64") -> bool:
    """True when ``w + delta`` rounds back to ``w`` in ``dtype`` (round-to-nearest-even, ties
    included).

    Both ``w`` and ``delta`` are first rounded to ``dtype`` (as the stored weight and the
    computed update would be), then added in ``dtype``. ``delta = 0`` and a ``delta`` that
    underflows to 0 give True. A ``delta`` that overflows to inf in ``dtype``, or a sum that
    overflows, gives False: that update is not lost, it destroys ``w``. ValueError for
    non-finite ``w``/``delta`` or a ``w`` that overflows ``dtype``."""
    resolved = as_float_dtype(dtype)
    stored = _to_dtype(check_real(w, "w"), resolved, "w")
    delta_value = check_real(delta, "delta")
    with np.errstate(over="ignore"):
        update = resolved.type(delta_value)
        if not np.isfinite(update):
            return False
        updated = stored + update
    return bool(updated == stored)


def smallest_update_that_counts(w: float, dtype: Any = "float64") -> float:
    """The smallest positive ``delta`` representable in ``dtype`` with ``w + delta != w``
    (``w`` rounded to ``dtype``; the sum rounded to nearest even, as in ``update_is_lost``)."""
    resolved = as_float_dtype(dtype)
    stored = _to_dtype(check_real(w, "w"), resolved, "w")
    half_gap = _gap(stored, toward_zero=bool(stored < 0)) / 2
    tiny = Fraction(float(np.finfo(resolved).smallest_subnormal))
    # Gaps are powers of two, so half a gap is representable unless it is below the subnormals.
    candidate = resolved.type(float(max(half_gap, tiny)))
    while update_is_lost(float(stored), float(candidate), resolved):  # at most one step: ties
        candidate = np.nextafter(candidate, resolved.type(np.inf))
    return float(candidate)


def lost_update_curve(
    dtype: Any,
    w_min_exp10: float,
    w_max_exp10: float,
    n: int = 200,
    *,
    toward_zero: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``(w, half gap)`` on ``n`` log-spaced weights from ``10**w_min_exp10`` to
    ``10**w_max_exp10``, for the lost-update chart: half the gap to the next larger magnitude
    (``ulp(w)/2``), or with ``toward_zero`` to the next smaller one (an update that shrinks
    ``|w|``; a quarter ulp at powers of two).

    The exponents are clipped to the dtype's normal range, from twice the smallest normal
    (so that half the spacing is still a nonzero float64 in all three dtypes) to the largest
    finite value; below the normal range the threshold stops scaling with ``w`` (it is half
    the constant subnormal spacing). ``w`` is returned rounded to ``dtype`` (as float64), so
    ``threshold`` is exactly half the spacing above each returned ``w``.
    ValueError if the clipped range is empty."""
    resolved = as_float_dtype(dtype)
    low = check_real(w_min_exp10, "w_min_exp10")
    high = check_real(w_max_exp10, "w_max_exp10")
    count = check_int(n, "n", low=2, high=100_000)
    if low >= high:
        raise ValueError(f"w_min_exp10 must be < w_max_exp10; got {low!r} and {high!r}")
    info = np.finfo(resolved)
    floor = math.log10(2 * float(info.smallest_normal))
    ceiling = math.log10(float(info.max))
    clip_low, clip_high = low <= floor, high >= ceiling
    low, high = max(low, floor), min(high, ceiling)
    if low >= high:
        raise ValueError(
            f"w_min_exp10 .. w_max_exp10 must overlap [{floor:.3f}, {ceiling:.3f}], the "
            f"normal range of {resolved.name}; got {w_min_exp10!r} .. {w_max_exp10!r}"
        )
    with np.errstate(over="ignore"):
        grid = np.logspace(low, high, count)
    grid = np.clip(grid, 2 * float(info.smallest_normal), float(info.max))
    # A clipped end is the range's end itself, not 10**log10(end) with its rounding error.
    if clip_low:
        grid[0] = 2 * float(info.smallest_normal)
    if clip_high:
        grid[-1] = float(info.max)
    stored = grid.astype(resolved)
    with np.errstate(over="ignore"):
        above = np.nextafter(stored, resolved.type(np.inf))
    below = np.nextafter(stored, resolved.type(0))
    # Only the largest value has no finite neighbour above; its binade spacing is the gap below.
    gap_below = stored.astype(np.float64) - below.astype(np.float64)
    if toward_zero:
        return stored.astype(np.float64), gap_below / 2
    spacing = np.where(
        np.isfinite(above), above.astype(np.float64) - stored.astype(np.float64), gap_below
    )
    return stored.astype(np.float64), spacing / 2


# ---------------------------------------------------------------- storing w, the tie rule


StoredKind = Literal["exact", "rounded", "underflow", "overflow"]


@dataclass(frozen=True)
class Stored:
    """A real ``w`` as ``dtype`` stores it: ``value`` (a float64 holding the dtype's value, ±inf
    on overflow) and how it got there: ``exact`` (``w`` is a ``dtype`` value), ``rounded`` (to
    the nearest one, nonzero and finite), ``underflow`` (a nonzero ``w`` rounded to 0) or
    ``overflow`` (rounded to ±inf: in float16 every ``|w| >= 65520``)."""

    value: float
    kind: StoredKind


def store(w: float, dtype: Any = "float64") -> Stored:
    """``w`` rounded to nearest (ties to even) in ``dtype``, with what the rounding did.
    ValueError for a non-finite ``w`` or a dtype outside ``DTYPES``."""
    resolved = as_float_dtype(dtype)
    value = check_real(w, "w")
    with np.errstate(over="ignore", under="ignore"):
        stored = float(resolved.type(value))
    if math.isinf(stored):
        kind: StoredKind = "overflow"
    elif stored == value:
        kind = "exact"
    elif stored == 0:
        kind = "underflow"
    else:
        kind = "rounded"
    return Stored(stored, kind)


@dataclass(frozen=True)
class LostRule:
    """When an update ``d`` (of one sign, a number in the dtype) is lost on a stored ``w``:
    exactly when ``|d| < 2**exponent``, or ``|d| == 2**exponent`` and ``tie_lost``.

    ``2**exponent`` is half the gap from ``w`` to its neighbour in the direction of ``d``; at
    that tie the sum goes to the neighbour with an even significand, so ``tie_lost`` is True
    exactly when ``w``'s significand is even (``w = 0`` counts as even)."""

    exponent: int
    tie_lost: bool

    @property
    def bound(self) -> Fraction:
        """The exact bound ``2**exponent`` (2**-1075 in float64 at w = 0 is no float64)."""
        return Fraction(2) ** self.exponent


def binade_spacing(magnitude: float, resolved: np.dtype) -> Fraction:
    """The spacing of the dtype's values in the binade holding the finite ``magnitude >= 0``:
    ``2**(e - nmant)`` for ``magnitude`` in ``[2**e, 2**(e+1))``, the subnormal spacing below the
    smallest normal."""
    info = np.finfo(resolved)
    if magnitude < float(info.smallest_normal):
        return Fraction(float(info.smallest_subnormal))
    _, exponent = math.frexp(magnitude)  # magnitude in [2**(exponent-1), 2**exponent)
    return Fraction(2) ** (exponent - 1 - int(info.nmant))


def significand_is_even(w: float, dtype: Any = "float64") -> bool:
    """Whether ``w`` (rounded to ``dtype``, finite) has an even significand: its last stored bit
    is 0. Zero and every power of two are even; the largest finite value is odd."""
    resolved = as_float_dtype(dtype)
    stored = abs(float(_to_dtype(check_real(w, "w"), resolved, "w")))
    units = Fraction(stored) / binade_spacing(stored, resolved)
    return units.denominator == 1 and units.numerator % 2 == 0


def lost_update_rule(w: float, dtype: Any = "float64", direction: int = +1) -> LostRule:
    """The exact rule for an update of sign ``direction`` on ``w`` (rounded to ``dtype``):
    lost iff ``|d| < 2**exponent``, or equal and ``tie_lost`` (see ``LostRule``).

    Unlike ``lost_update_threshold`` the bound is exact also where it is no float64 (2**-1075
    at ``w = 0`` in float64). ValueError as ``lost_update_threshold``."""
    resolved = as_float_dtype(dtype)
    stored = _to_dtype(check_real(w, "w"), resolved, "w")
    step = check_int(direction, "direction")
    if step not in (1, -1):
        raise ValueError(f"direction must be +1 or -1; got {direction!r}")
    toward_zero = stored != 0 and (stored > 0) != (step > 0)
    half = _gap(stored, toward_zero) / 2  # a power of two
    exponent = half.numerator.bit_length() - half.denominator.bit_length()
    assert Fraction(2) ** exponent == half
    return LostRule(exponent, significand_is_even(float(stored), resolved))


# ---------------------------------------------------------------- counting the steps
