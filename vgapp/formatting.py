"""Numbers as the page shows them: scientific notation with superscript exponents."""

from __future__ import annotations

import math
from fractions import Fraction

from vgcore.counterexample import sci as exact_sci

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


def caret_to_superscript(text: str) -> str:
    """Turn ``10^9909`` (as ``vgcore`` writes exact numbers) into ``10⁹⁹⁰⁹``."""
    head, sep, tail = text.partition("^")
    if not sep:
        return text
    digits = ""
    for ch in tail:
        if ch.isdigit() or (ch in "+-" and not digits):
            digits += ch
        else:
            break
    return head + superscript(digits) + caret_to_superscript(tail[len(digits) :])


def exact_text(value: Fraction | int, digits: int = 3) -> str:
    """An exact number (Fraction or int of any size) in scientific notation for the page; a
    mantissa that is exact is written without trailing zeros (``10⁹⁹⁰⁹``, ``2.5 × 10⁻⁹⁰``)."""
    text = exact_sci(value, digits)
    mantissa, sep, exponent = text.partition(" × 10^")
    if sep:
        trimmed = mantissa.rstrip("0").rstrip(".")
        if Fraction(trimmed.replace("−", "-")) * Fraction(10) ** int(exponent) == value:
            text = f"10^{exponent}" if trimmed == "1" else f"{trimmed} × 10^{exponent}"
    return caret_to_superscript(text)
