"""The floating-point panel's bits: w, η·g and w − η·g in the chosen precision as sign, exponent
and mantissa bits (a lost update is a row of bits that does not change), w's bits as buttons
that flip them, and w's neighbours with the half-gaps on a number line (docs/MATH.md D1)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Block, Chart, Columns, Pick, PickOption, Text
from vgapp.formatting import count, exact_text, num, superscript
from vgcore.floatbits import FloatBits, all_flips, float_bits, half_gaps, neighbours

INTRO = (
    "**The bits.** A float is stored as a sign, an exponent and a mantissa. "
    "Click a bit of w to flip it."
)
FIELD_NAMES = {"sign": "sign", "exponent": "exponent", "mantissa": "mantissa"}
NIBBLE = 4
"""Bits shown in groups of this many (a row of 52 wraps between groups on a phone)."""


def value_text(value: float, dtype: str) -> str:
    """The shortest decimal that names ``value`` in ``dtype`` (``≈`` before it when it is not
    the exact value); ±∞, NaN and ±0 spelled out; ``−`` for minus."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    if value == 0:
        return "−0" if math.copysign(1.0, value) < 0 else "0"
    kind = np.dtype(dtype).type(value)
    if 1e-4 <= abs(value) < 1e7:
        text = np.format_float_positional(kind, unique=True, trim="-")
    else:
        text = np.format_float_scientific(kind, unique=True, trim="-")
    exact = Fraction(Decimal(text)) == Fraction(value)
    mantissa, _, exponent = text.partition("e")
    shown = mantissa + (f" × 10{superscript(int(exponent))}" if exponent else "")
    return ("" if exact else "≈ ") + shown.replace("-", "−")


def equals(name: str, value: float, dtype: str) -> str:
    """``name = value`` (``name ≈ value`` when the text is not the exact value)."""
    text = value_text(value, dtype)
    return f"{name} ≈ {text[2:]}" if text.startswith("≈ ") else f"{name} = {text}"


def meaning(name: str, bits: FloatBits) -> str:
    """What the fields of ``name``'s bits say: the sign, the exponent's value and the
    significand with its implicit leading bit, or the special patterns."""
    sign = "−" if bits.sign == "1" else "+"
    exponent = f"exponent bits {bits.exponent} = {bits.biased}"
    if bits.kind == "nan":
        return f"{name}: {exponent}, all ones, and a mantissa that is not 0: NaN (not a number)."
    if bits.kind == "infinite":
        return f"{name}: {exponent}, all ones, and mantissa 0: {sign}∞."
    if bits.kind == "zero":
        return f"{name}: every exponent and mantissa bit is 0: {sign}0."
    if bits.kind == "subnormal":
        return (
            f"{name}: sign {sign}; {exponent}: a subnormal number, with no implicit leading 1: "
            f"{sign}0.mantissa × 2{superscript(bits.power)} (the smallest exponent, 1 − "
            f"{bits.bias})."
        )
    return (
        f"{name}: sign {sign}; {exponent}, minus the bias {bits.bias}: "
        f"2{superscript(bits.power)}; the leading 1 of 1.mantissa is implicit (not stored): "
        f"{sign}1.mantissa × 2{superscript(bits.power)}."
    )


def grouped(bits: str, changed: set[int] | None = None, start: int = 0) -> str:
    """Bits as markdown in groups of ``NIBBLE``; the characters at indices (from ``start``,
    the word's first bit) in ``changed`` bold on an orange background."""
    marked = [
        f":orange-background[**{bit}**]" if changed and start + i in changed else bit
        for i, bit in enumerate(bits)
    ]
    return " ".join("".join(marked[i : i + NIBBLE]) for i in range(0, len(marked), NIBBLE))


def row_markdown(bits: FloatBits, changed: set[int] | None = None) -> str:
    """A value's bits by field, the fields named: ``sign 0 · exponent 0111 1111 · …``."""
    width = bits.exponent_width
    return (
        f"sign {grouped(bits.sign, changed, 0)} · exponent {grouped(bits.exponent, changed, 1)}"
        f" · mantissa {grouped(bits.mantissa, changed, 1 + width)}"
    )


def changed_sentence(w: FloatBits, result: FloatBits) -> str:
    """How many bits of w − η·g differ from w's, and what that means for the update."""
    changed = sum(a != b for a, b in zip(w.bits, result.bits, strict=True))
    if w.kind == "infinite":
        return "w is ∞: w − η·g is ∞ or NaN, never a number again."
    if changed == 0:
        return "No bit changed: the update was lost."
    differ = f"{count(changed, 'bit')} of w − η·g differ from w's (marked)"
    if result.kind in ("infinite", "nan"):
        return f"{differ}: w − η·g is {'NaN' if result.kind == 'nan' else '−∞'}, w is destroyed."
    return f"{differ}: the update was applied."


def flip_option(
    value: float, dtype: str, position: int, field: str, low: float, high: float
) -> Any:
    """The button of bit ``position`` of w, whose flip gives ``value``: the value, or why it is
    not set."""
    what = f"Flipping {field} bit {position}"
    if math.isnan(value):
        return None, f"{what} gives NaN (not a number): w is not changed."
    if math.isinf(value):
        return None, f"{what} gives {value_text(value, dtype)}: w is not changed."
    if not low <= value <= high:
        return None, (
            f"{what} would give {num(value)}, outside w's range ({exact_text(Fraction(low))} to "
            f"{exact_text(Fraction(high))}): "
            "w is not changed."
        )
    return value, ""


def bit_picks(w: float, dtype: str, low: float, high: float) -> tuple[Pick, ...]:
    """w's bits as three rows of buttons (sign, exponent, mantissa): a click flips the bit."""
    bits = float_bits(w, dtype)
    width = len(bits.bits)
    picks, flips = [], all_flips(w, dtype)
    fields = (
        ("sign", 0, 1),
        ("exponent", 1, 1 + bits.exponent_width),
        ("mantissa", 1 + bits.exponent_width, width),
    )
    for field, first, end in fields:
        options = []
        for index in range(first, end):
            position = width - 1 - index
            value, refusal = flip_option(flips[position], dtype, position, field, low, high)
            bit = bits.bits[index]
            options.append(PickOption(f"**{bit}**" if bit == "1" else bit, value, refusal))
        top, last = width - 1 - first, width - end
        label = f"w's {field}, bit {top}" + (
            f" to {last} ({end - first} bits)" if last < top else ""
        )
        picks.append(
            Pick(f"fp_bits_{field}", label, "fp_w", tuple(options),
                 f"Click a bit to flip it: w becomes the {dtype} number with that bit flipped.")
        )  # fmt: skip
    return tuple(picks)


def bits_blocks(
    w: float, update: float, result: float, dtype: str, low: float, high: float
) -> tuple[Block, ...]:
    """The bits of w (stored in ``dtype``), of η·g and of w − η·g as ``dtype`` computes them,
    the changed bits marked, and w's number line."""
    w_bits, update_bits, result_bits = (float_bits(v, dtype) for v in (w, update, result))
    changed = {
        i for i, (a, b) in enumerate(zip(w_bits.bits, result_bits.bits, strict=True)) if a != b
    }
    mine: list[Block] = [
        Text(f"{equals('w', w, dtype)} in {dtype}. " + meaning("w", w_bits), "caption"),
        *bit_picks(w, dtype, low, high),
    ]
    after: list[Block] = []
    for name, value, bits, marks in (
        ("η·g", update, update_bits, None),
        ("w − η·g", result, result_bits, changed),
    ):
        after.append(Text(f"**{equals(name, value, dtype)}**: {row_markdown(bits, marks)}"))
        after.append(Text(meaning(name, bits), "caption"))
    after.append(Text(changed_sentence(w_bits, result_bits), "info"))
    if math.isfinite(w):
        after.append(number_line(w, update, result, dtype))
    # w's bits beside what the update does to them: the section fits two screens (a phone
    # stacks the columns)
    return (Text(INTRO), Columns((tuple(mine), tuple(after)), (1, 1)))


# ---------------------------------------------------------------- the number line

COLUMNS = ("distance", "mark", "value", "row")
VALUE = vl.field("value", vl.N, title="value")
DISTANCE = vl.field("distance", vl.Q, title="distance from w (units)", format=".3~g")


def line_title(w: float, update: float, result: float, dtype: str) -> tuple[str, str]:
    """The number line's finding: where the exact w − η·g lies against the half-gap below w,
    and what it rounds to."""
    half_below, _ = half_gaps(w, dtype)
    below, _ = neighbours(w, dtype)
    distance = Fraction(update) if math.isfinite(update) else None
    landed = value_text(result, dtype)
    if distance is None:
        return "η·g is ∞ here: w − η·g is −∞", f"In {dtype} η·g overflowed; w is destroyed."
    if result == w:
        where = "exactly half a gap" if distance == half_below else "less than half a gap"
        return (
            f"w − η·g is {where} below w: it rounds back to w",
            "The update is lost: no bit of w changes.",
        )
    if result == below:
        return (
            "w − η·g is half a gap or more below w: it rounds to the neighbour below",
            f"{equals('w − η·g', result, dtype)}: the last bits change.",
        )
    return (
        "w − η·g lies beyond w's neighbour below (off this line, to the left)",
        f"It rounds to {landed}.",
    )


def number_line(w: float, update: float, result: float, dtype: str) -> Chart:
    """w, its two neighbours and the half-gaps to them, with the exact w − η·g, on a line of
    distances from w measured in the smaller of the two gaps (a power of two)."""
    below, above = neighbours(w, dtype)
    half_below, half_above = half_gaps(w, dtype)
    unit = 2 * min(half_below, half_above)
    power = unit.numerator.bit_length() - unit.denominator.bit_length()
    down, up = float(2 * half_below / unit), float(2 * half_above / unit)
    exact = -Fraction(update) / unit if math.isfinite(update) else None
    left, right = -1.5 * down, 1.5 * up
    off = exact is None or exact < Fraction(left)
    at = left if off or exact is None else float(exact)
    points = [
        (-down, "neighbour below", value_text(below, dtype), 1.0),
        (0.0, "w", value_text(w, dtype), 1.0),
        (up, "neighbour above", value_text(above, dtype), 1.0),
        (-down / 2, "half-gap", f"{num(float(half_below))} below w", 0.0),
        (up / 2, "half-gap", f"{num(float(half_above))} above w", 0.0),
    ]
    frame = pd.DataFrame(points, columns=list(COLUMNS))
    marks = vl.rows(**{k: [p[i] for p in points[:3]] for i, k in enumerate(COLUMNS)})
    halves = vl.rows(**{k: [p[i] for p in points[3:]] for i, k in enumerate(COLUMNS)})
    exact_text = "−∞" if exact is None else f"w − {num(update)}"
    where = "← w − η·g (further left)" if off else "w − η·g (exact)"
    scale = {"domain": [left, right]}
    x_title = f"distance from w, in units of 2{superscript(power)}"
    layers = [
        vl.layer(
            vl.rows(start=[-down / 2], end=[up / 2], text=["every value here rounds back to w"]),
            {"type": "rect", "color": vl.SKY, "opacity": 1},
            x=vl.field("start", vl.Q, scale=scale, title=x_title),
            x2={"field": "end"},
            tooltip=[
                vl.field("text", vl.N, title=""),
                vl.field("start", vl.Q, title="from", format=".3~g"),
                vl.field("end", vl.Q, title="to", format=".3~g"),
            ],
        ),
        vl.layer(
            halves,
            {"type": "rule", "strokeDash": [4, 3], "color": vl.BLACK},
            x=vl.field("distance", vl.Q),
            tooltip=[vl.field("mark", vl.N, title=""), vl.field("value", vl.N, title=""), DISTANCE],
        ),
        vl.layer(
            marks,
            {"type": "point", "filled": True, "size": 120, "color": vl.BLACK, "opacity": 1},
            x=vl.field("distance", vl.Q),
            y={"value": 40},
            tooltip=[vl.field("mark", vl.N, title=""), VALUE, DISTANCE],
        ),
        vl.layer(
            marks,
            {"type": "text", "dy": -14, "color": vl.TEXT_COLOR},
            x=vl.field("distance", vl.Q),
            y={"value": 40},
            text=vl.field("mark", vl.N),
        ),
        vl.layer(
            vl.rows(distance=[at], text=[where], value=[exact_text]),
            {"type": "point", "shape": "diamond", "size": 160, "filled": True,
             "color": vl.VERMILION, "opacity": 1},
            x=vl.field("distance", vl.Q),
            y={"value": 80},
            tooltip=[vl.field("text", vl.N, title=""), VALUE, DISTANCE],
        ),
        vl.layer(
            vl.rows(distance=[at], text=[where]),
            {"type": "text", "dy": 16, "align": "left" if off else "center",
             "color": vl.TEXT_COLOR},
            x=vl.field("distance", vl.Q),
            y={"value": 80},
            text=vl.field("text", vl.N),
        ),
    ]  # fmt: skip
    title, subtitle = line_title(w, update, result, dtype)
    spec = vl.chart(layers, title=vl.title(title, subtitle), height=110)
    alt = (
        f"{title}. {equals('w', w, dtype)} in {dtype}; its neighbours are "
        f"{value_text(below, dtype)} and {value_text(above, dtype)}; values within half a gap "
        "of w round back to w."
    )
    return Chart("bits_number_line", spec, alt, frame)
