"""Exact rational numbers (``fractions.Fraction``) of any size, in integer arithmetic that never
overflows: parsing decimal strings, ``log10`` and scientific notation (``10^10089`` is as easy
as 1). The counterexample's numbers do not fit in any float, so every figure of its panel goes
through here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from numbers import Integral
from typing import Any, cast

import numpy as np

from vgcore.validate import check_int

MAX_EXPONENT = 100_000  # |decimal exponent| allowed in inputs: no billion-digit numbers
MAX_DIGITS = 30
_LOG10_2 = math.log10(2)


# ---------------------------------------------------------------- parsing


def parse_exact(
    value: Any, name: str, *, low: Fraction | int | None = None, low_open: bool = False
) -> Fraction:
    """The exact value of a decimal string (``"1e-90"``, ``"2.5e-300"``) or number.

    Ints are taken exactly; floats via ``Decimal(str(x))``, i.e. the shortest decimal that
    round-trips (``0.1`` means 1/10, not the binary double nearest it); ``Fraction`` and
    ``Decimal`` exactly. NaN, inf, empty or malformed strings, bools, a decimal exponent
    beyond ±100000 and (with ``low``) values below ``low`` (or equal, if ``low_open``) raise
    ValueError naming ``name``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number or a decimal string; got {value!r}")
    if isinstance(value, Fraction):
        exact = value
        _check_magnitude(exact, name)
    elif isinstance(value, Integral | np.integer):
        exact = Fraction(int(value))
        _check_magnitude(exact, name)
    else:
        if isinstance(value, str):
            text = value.strip()
        elif isinstance(value, float | np.floating):
            text = str(float(value))
        elif isinstance(value, Decimal):
            text = str(value)
        else:
            raise ValueError(f"{name} must be a number or a decimal string; got {value!r}")
        try:
            decimal = Decimal(text)
        except InvalidOperation:
            raise ValueError(
                f"{name} must be a decimal number such as '1e-90' or '2.5e300'; got {value!r}"
            ) from None
        if not decimal.is_finite():
            raise ValueError(f"{name} must be finite (no NaN or inf); got {value!r}")
        exponent = int(decimal.as_tuple().exponent)  # an int for every finite decimal
        if max(abs(exponent), abs(decimal.adjusted())) > MAX_EXPONENT:
            raise ValueError(
                f"{name} must have a decimal exponent within ±{MAX_EXPONENT}; got {value!r}"
            )
        exact = Fraction(decimal)
    if low is not None and (exact < low or (low_open and exact == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}; got {value!r}")
    return exact


def _check_magnitude(exact: Fraction, name: str) -> None:
    # bit_length is a cheap upper bound on the decimal exponent of numerator and denominator.
    bits = max(exact.numerator.bit_length(), exact.denominator.bit_length())
    if bits * _LOG10_2 > MAX_EXPONENT + 1:
        raise ValueError(
            f"{name} must have a decimal exponent within ±{MAX_EXPONENT}; got a {bits}-bit number"
        )


# ---------------------------------------------------------------- exact display


def _as_exact(x: Any, name: str) -> Fraction:
    if isinstance(x, bool) or not isinstance(x, Fraction | Integral | np.integer):
        raise ValueError(f"{name} must be an exact number (int or Fraction); got {x!r}")
    return Fraction(int(x)) if not isinstance(x, Fraction) else x


def floor_log2(a: Fraction) -> int:
    """Exact ``floor(log2(a))`` for ``a > 0`` (integer shifts: no gcd of huge numbers)."""
    n, d = a.numerator, a.denominator
    exponent = n.bit_length() - d.bit_length()
    if (n < d << exponent) if exponent >= 0 else (n << -exponent < d):
        exponent -= 1
    return exponent


def _floor_scaled(a: Fraction, base: int, power: int) -> tuple[int, int, int]:
    """``(q, r, den)`` with ``a * base**power = q + r / den``, ``0 <= r < den``, in integers."""
    n, d = a.numerator, a.denominator
    if base == 2 and power < 0 and d == 1:  # an integer halved: a shift, no long division
        return n >> -power, n & ((1 << -power) - 1), 1 << -power
    if base == 2:  # a shift, not a multiplication by a big power
        if power >= 0:
            n <<= power
        else:
            d <<= -power
    elif power >= 0:
        n *= _power(base, power)
    else:
        d *= _power(base, -power)
    q, r = divmod(n, d)
    return q, r, d


@lru_cache(maxsize=512)
def _power(base: int, exponent: int) -> int:
    """``base**exponent``, memoised: the same powers of ten come back for every number of one
    magnitude (10^9909 takes as long to build as to use)."""
    return cast(int, base**exponent)


def round_scaled(a: Fraction, base: int, power: int) -> int:
    """``a * base**power`` rounded to the nearest integer, ties to even, exactly."""
    q, r, d = _floor_scaled(a, base, power)
    if 2 * r > d or (2 * r == d and q % 2 == 1):
        q += 1
    return q


def log10_exact(x: Fraction | int) -> float:
    """``log10(x)`` of an exact ``x >= 0`` to about 15 significant digits, without float
    overflow (works for ``10^±300000``); ``-inf`` for 0; ValueError for negative ``x``.

    ``x`` is scaled by ``2^s`` and truncated to a 257-bit integer ``q``; then
    ``log10 x = (ln q - s ln 2) / ln 10`` in 60-digit decimal arithmetic. The truncation
    changes ``x`` by a relative ``2^-256`` at most, so for ``x`` within ``~10^-60`` of 1 only
    that absolute accuracy is guaranteed."""
    a = _as_exact(x, "x")
    if a < 0:
        raise ValueError(f"x must be >= 0; got {x!r}")
    if a == 0:
        return -math.inf
    shift = 256 - floor_log2(a)
    q = _floor_scaled(a, 2, shift)[0]
    log_whole = Decimal(q).ln(_LOG_CONTEXT)
    log_scale = _LOG_CONTEXT.multiply(shift, _LN2)
    return float(_LOG_CONTEXT.divide(_LOG_CONTEXT.subtract(log_whole, log_scale), _LN10))


def log10_float(x: Fraction | int) -> float:
    """``log10(x)`` of an exact ``x >= 0`` in float arithmetic, without float overflow, within
    ``1e-14 + 4e-16 |log10 x|`` of the true value, at a small part of ``log10_exact``'s cost;
    ``-inf`` for 0; ValueError for negative ``x``. For chart coordinates and first guesses,
    not for digits the page states.

    ``x = n/d``; n and d are each cut to their top 64 bits, ``n = n' 2^e_n``, and
    ``log10 x = log10 n' - log10 d' + (e_n - e_d) log10 2`` in float64: each term carries a
    relative error of about ``2^-53``, and the two first are below 20 in size."""
    a = _as_exact(x, "x")
    if a < 0:
        raise ValueError(f"x must be >= 0; got {x!r}")
    if a == 0:
        return -math.inf
    n, d = a.numerator, a.denominator
    shift_n, shift_d = max(n.bit_length() - 64, 0), max(d.bit_length() - 64, 0)
    top = math.log10(n >> shift_n) - math.log10(d >> shift_d)
    return top + (shift_n - shift_d) * _LOG10_2


_LOG10_2 = math.log10(2.0)
_LOG_CONTEXT = Context(prec=60, Emax=MAX_EMAX, Emin=MIN_EMIN)
_LN2 = Decimal(2).ln(_LOG_CONTEXT)
_LN10 = Decimal(10).ln(_LOG_CONTEXT)


def _decimal_exponent(a: Fraction) -> int:
    """Exact ``floor(log10(a))`` for ``a > 0``."""
    guess = math.floor(log10_float(a))
    for exponent in (guess - 1, guess, guess + 1):  # the float guess is off by at most one
        if 1 <= _floor_scaled(a, 10, -exponent)[0] < 10:
            return exponent
    raise AssertionError("unreachable: log10 estimate off by more than one")


@dataclass(frozen=True)
class Scientific:
    """An exact number in scientific notation: ``(-1)^negative × mantissa × 10^exponent``, the
    mantissa rounded (half to even) to a number of significant digits. Zero is ``"0"`` with
    exponent 0."""

    negative: bool
    mantissa: str
    """The significant digits with the point after the first: ``"1.00"``, ``"2.50"``, ``"7"``."""
    exponent: int
    exact: bool
    """True when ``mantissa × 10^exponent`` equals the value's magnitude exactly."""

    @property
    def shortest_mantissa(self) -> str:
        """The mantissa without trailing zeros when it is exact (``"1"``, ``"2.5"``); otherwise
        the rounded mantissa itself (its zeros are significant)."""
        if not self.exact or "." not in self.mantissa:
            return self.mantissa
        return self.mantissa.rstrip("0").rstrip(".")


def scientific(value: Fraction | int, digits: int = 3) -> Scientific:
    """``value`` (an int or Fraction of any size) in scientific notation with ``digits``
    significant digits (1 to 30), rounded half to even in exact integer arithmetic:
    ``scientific(10**10089)`` is ``Scientific(False, "1.00", 10089, True)``."""
    return _scientific(
        _as_exact(value, "value"), check_int(digits, "digits", low=1, high=MAX_DIGITS)
    )


def _scientific(a: Fraction, count: int) -> Scientific:
    if a == 0:
        return Scientific(negative=False, mantissa="0", exponent=0, exact=True)
    negative = a < 0
    a = abs(a)
    exponent = _decimal_exponent(a)
    # a * 10^(count - 1 - exponent) = q + r / den with q in [10^(count-1), 10^count)
    q, r, den = _floor_scaled(a, 10, count - 1 - exponent)
    if 2 * r > den or (2 * r == den and q % 2 == 1):
        q += 1
    if q == 10**count:  # rounded up to the next power of ten
        q //= 10
        exponent += 1
    text = str(q)
    mantissa = text[0] + ("." + text[1:] if count > 1 else "")
    return Scientific(negative=negative, mantissa=mantissa, exponent=exponent, exact=r == 0)


def sci(x: Fraction | int, digits: int = 3, *, plain: bool = False) -> str:
    """``scientific(x, digits)`` as one string: ``"1.00 × 10^9909"``, or ``"1.00e+9909"`` with
    ``plain=True`` (ASCII, for CSV). Zero is ``"0"``; negatives get a leading ``-``."""
    exact = _as_exact(x, "x")
    parts = _scientific(exact, check_int(digits, "digits", low=1, high=MAX_DIGITS))
    if parts.mantissa == "0":
        return "0"
    sign = "-" if parts.negative else ""
    if plain:
        return f"{sign}{parts.mantissa}e{parts.exponent:+d}"
    return f"{sign}{parts.mantissa} × 10^{parts.exponent}"
