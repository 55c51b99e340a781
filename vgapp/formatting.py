"""Numbers as the page shows them: scientific notation with superscript exponents."""

from __future__ import annotations

import math
from fractions import Fraction

from vgcore.exact import scientific

_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


def superscript(exponent: int | str) -> str:
    """``-90`` as ``⁻⁹⁰``."""
    return str(exponent).translate(_SUPERSCRIPT)


def sci(value: float, digits: int = 3) -> str:
    """A float in scientific notation with ``digits`` significant digits: ``1.00 × 10⁻⁹⁰``.

    Zero, infinities and NaN are spelled out, so that an underflow or overflow is visible.
    """
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "+∞ (overflow)" if value > 0 else "−∞ (overflow)"
    if value == 0:
        return "0 (exactly)"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    mantissa = mantissa.replace("-", "−")
    if int(exponent) == 0:
        return mantissa
    return f"{mantissa} × 10{superscript(int(exponent))}"


def sci_from_log10(log10_value: float, digits: int = 3) -> str:
    """A positive number given by its log10 (which may lie far outside float range)."""
    if log10_value == -math.inf:
        return "0 (exactly)"
    if not math.isfinite(log10_value):
        return "not a number"
    exponent = math.floor(log10_value)
    mantissa = 10 ** (log10_value - exponent)
    if round(mantissa, digits - 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.{digits - 1}f} × 10{superscript(exponent)}"


def exact_text(value: Fraction | int, digits: int = 3) -> str:
    """An exact number (Fraction or int of any size) in scientific notation for the page; a
    mantissa that is exact is written without trailing zeros (``10⁹⁹⁰⁹``, ``2.5 × 10⁻⁹⁰``)."""
    parts = scientific(value, digits)
    mantissa = parts.shortest_mantissa
    sign = "−" if parts.negative else ""
    if parts.exponent == 0:
        return sign + mantissa
    power = f"10{superscript(parts.exponent)}"
    return sign + (power if mantissa == "1" else f"{mantissa} × {power}")


def num(value: float) -> str:
    """A number for a sentence: 3 significant digits, scientific notation (with superscripts)
    outside [10⁻³, 10⁴), thousands written in full (``2,830``); ``−`` for minus."""
    if not math.isfinite(value):
        return sci(value)
    rounded = float(f"{value:.3g}")  # decide on the value as it will be written
    if value == 0:
        return "0"  # −0 too: a sentence never says "−0"
    if 1e-3 <= abs(rounded) < 1e3:
        return f"{rounded:.3g}".replace("-", "−")
    if 1e3 <= abs(rounded) < 1e4:  # .3g would write 2.8e+03: write it in full
        return f"{rounded:,.0f}".replace("-", "−")
    return sci(value)


def plain(value: float) -> str:
    """Three significant digits with a typographic minus, ``× 10ⁿ`` outside [10⁻³, 10⁴)."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.3g}".replace("-", "−")
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa} × 10{superscript(int(exponent))}".replace("-", "−")


def signed(value: float) -> str:
    """``+2``, ``−2``, ``0`` (never −0) with three significant digits."""
    return "0" if value == 0 else ("+" if value > 0 else "") + plain(value)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with its noun in the right number: ``1 step``, ``2 steps``, ``1,000 steps``."""
    word = noun if n == 1 else (plural or noun + "s")
    return f"{n:,} {word}"


def article(word: str) -> str:
    """``a`` or ``an`` before ``word`` (by its first letter's sound for the page's words:
    a vowel letter takes ``an``)."""
    return "an" if word[:1].lower() in "aeiou" else "a"
