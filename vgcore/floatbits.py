"""A float's bits: the sign, exponent and stored fraction (mantissa) fields of a float16, float32
or float64 value, read from numpy's own view of its bytes, and what flipping one bit gives
(docs/MATH.md D1).

Bits are numbered from the right: bit 0 is the last mantissa bit, bit ``n − 1`` the sign. A
normal number is ``±1.f × 2^(E − bias)`` (the leading 1 is implicit, not stored); with ``E = 0``
it is subnormal, ``±0.f × 2^(1 − bias)`` (or ±0); with ``E`` all ones it is ±∞ (``f = 0``) or NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from vgcore.precision import as_float_dtype
from vgcore.validate import check_int

FieldName = Literal["sign", "exponent", "mantissa"]
Kind = Literal["zero", "subnormal", "normal", "infinite", "nan"]
_UINT = {"float16": np.uint16, "float32": np.uint32, "float64": np.uint64}


@dataclass(frozen=True)
class FloatBits:
    """One value's bit pattern in ``dtype``: ``bits`` is the whole word, the sign first."""

    dtype: str
    bits: str
    exponent_width: int
    kind: Kind

    @property
    def sign(self) -> str:
        return self.bits[0]

    @property
    def exponent(self) -> str:
        return self.bits[1 : 1 + self.exponent_width]

    @property
    def mantissa(self) -> str:
        return self.bits[1 + self.exponent_width :]

    @property
    def bias(self) -> int:
        """``2^(exponent bits − 1) − 1``: 15, 127, 1023."""
        return (1 << (self.exponent_width - 1)) - 1

    @property
    def biased(self) -> int:
        """The exponent field read as an unsigned integer ``E``."""
        return int(self.exponent, 2)

    @property
    def power(self) -> int:
        """The power of two the significand is scaled by: ``E − bias``, or ``1 − bias`` for a
        subnormal (and zero); meaningless for ∞ and NaN."""
        return max(self.biased, 1) - self.bias

    def field(self, position: int) -> FieldName:
        """The field bit ``position`` (0 = the last mantissa bit) belongs to."""
        index = len(self.bits) - 1 - check_int(position, "bit", low=0, high=len(self.bits) - 1)
        if index == 0:
            return "sign"
        return "exponent" if index <= self.exponent_width else "mantissa"


def _word(value: float, dtype: Any) -> tuple[np.dtype, int]:
    """The dtype and the unsigned integer of ``value``'s bytes in it; ``value`` must be exactly
    a value of the dtype (±∞ and NaN included)."""
    resolved = as_float_dtype(dtype)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise ValueError(f"value must be a real number; got {value!r}")
    with np.errstate(over="ignore"):
        stored = resolved.type(value)
    if not math.isnan(float(value)) and float(stored) != float(value):
        raise ValueError(
            f"value must be a {resolved.name} number (stored exactly in it); got {value!r}"
        )
    return resolved, int(np.array(stored, resolved).view(_UINT[resolved.name]))


def float_bits(value: float, dtype: Any = "float64") -> FloatBits:
    """The sign, exponent and mantissa bits of ``value`` in ``dtype``. ValueError unless
    ``value`` is a value of ``dtype`` (±∞ and NaN allowed) and ``dtype`` one of DTYPES."""
    resolved, word = _word(value, dtype)
    info = np.finfo(resolved)
    width = int(info.bits)
    bits = format(word, f"0{width}b")
    exponent_width = width - 1 - int(info.nmant)
    exponent, mantissa = bits[1 : 1 + exponent_width], bits[1 + exponent_width :]
    kind: Kind
    if set(exponent) == {"1"}:
        kind = "nan" if "1" in mantissa else "infinite"
    elif set(exponent) == {"0"}:
        kind = "subnormal" if "1" in mantissa else "zero"
    else:
        kind = "normal"
    return FloatBits(resolved.name, bits, exponent_width, kind)


def flipped(value: float, dtype: Any, position: int) -> float:
    """The ``dtype`` value whose bits are ``value``'s with bit ``position`` flipped (0 = the
    last mantissa bit), as a float64 (±∞ or NaN where the pattern means one). ValueError as
    ``float_bits``, or for a position outside ``0 … bits − 1``."""
    resolved, word = _word(value, dtype)
    width = int(np.finfo(resolved).bits)
    bit = check_int(position, "bit", low=0, high=width - 1)
    pattern = np.array(word ^ (1 << bit), _UINT[resolved.name])
    return float(pattern.view(resolved))


def all_flips(value: float, dtype: Any = "float64") -> tuple[float, ...]:
    """``flipped(value, dtype, k)`` for every bit ``k`` (the tuple's index), in one pass."""
    resolved, word = _word(value, dtype)
    words = [word ^ (1 << bit) for bit in range(int(np.finfo(resolved).bits))]
    return tuple(float(v) for v in np.array(words, _UINT[resolved.name]).view(resolved))


def neighbours(value: float, dtype: Any = "float64") -> tuple[float, float]:
    """The ``dtype`` values next below and next above the finite ``value`` (±∞ past the
    largest finite value; ±0 count as one value). ValueError for ∞, NaN or a value that is not
    exactly a ``dtype`` value."""
    resolved, _ = _word(value, dtype)
    if not math.isfinite(value):
        raise ValueError(f"value must be finite to have neighbours; got {value!r}")
    stored = resolved.type(value)
    with np.errstate(over="ignore"):
        below = np.nextafter(stored, resolved.type(-np.inf))
        above = np.nextafter(stored, resolved.type(np.inf))
    return float(below), float(above)


def half_gaps(value: float, dtype: Any = "float64") -> tuple[Fraction, Fraction]:
    """Half the exact gap from ``value`` down to its neighbour below and up to its neighbour
    above: a value strictly within them rounds to ``value``. Where the neighbour is ±∞ the gap
    is the top binade's spacing (IEEE overflows from half of it)."""
    below, above = neighbours(value, dtype)
    exact = Fraction(value)
    down = exact - Fraction(below) if math.isfinite(below) else None
    up = Fraction(above) - exact if math.isfinite(above) else None
    down = up if down is None else down  # only one end can be infinite: ±largest
    up = down if up is None else up
    assert down is not None
    assert up is not None
    return down / 2, up / 2
