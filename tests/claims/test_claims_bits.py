"""Claims of the floating-point panel's bits (``vgapp/panels/precision_bits.py``), each checked
against an oracle written here:

- every bit pattern: ``struct.pack`` of the value (big-endian), the value being w, η·g and
  w − η·g rounded by ``rne`` (exact IEEE round-to-nearest-even in Fractions, from the panel's
  claims test); the marked bits are the positions where the packed words differ;
- each bit's button: the word XOR 2ᵏ unpacked by ``struct`` (NaN, ±∞, outside w's range
  [−10⁶, 10⁶], or the value a click sets, which the control keeps and its link round-trips);
- the fields' meaning: the exponent field read as an integer, the bias 2^(E−1) − 1, normal,
  subnormal, zero, ∞ and NaN from the fields' bits;
- "No bit changed": the packed words are equal;
- the number line: w's neighbours by ``np.nextafter``, the half-gaps in Fractions, and where
  the exact w − η·g lies against them.

Nothing here calls vgcore.floatbits or the view's helpers for an expected value.
"""

from __future__ import annotations

import math
import re
import struct
from fractions import Fraction

import numpy as np
from hypothesis import given, settings

from claims.test_claims_precision import EVERY, PANEL, edge_examples, eta_g, names, number, rne
from vgapp.blocks import Chart, PanelView, Pick, Text

W = next(c for c in PANEL.controls if c.key == "fp_w")
PACK = {"float16": "e", "float32": "f", "float64": "d"}
EXPONENT = {"float16": 5, "float32": 8, "float64": 11}
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
MARKED = re.compile(r":orange-background\[\*\*([01])\*\*\]")


def packed(value: float, dtype: str) -> str:
    """The value's bytes in ``dtype`` as ``struct`` packs them, as a bit string."""
    return "".join(format(byte, "08b") for byte in struct.pack(">" + PACK[dtype], value))


def unpacked(bits: str, dtype: str) -> float:
    size = len(bits) // 8
    return float(struct.unpack(">" + PACK[dtype], int(bits, 2).to_bytes(size, "big"))[0])


def exact(values: dict) -> tuple[float, float, float]:
    """w, η·g and w − η·g in the chosen dtype, rounded by ``rne`` (∞ − ∞ is NaN)."""
    dtype = values["fp_dtype"]
    w, u = rne(Fraction(values["fp_w"]), dtype), rne(Fraction(eta_g(values)), dtype)
    if isinstance(w, float) or isinstance(u, float):
        result = float(w) - float(u)
    else:
        result = float(rne(w - u, dtype))
    # Fractions have no −0: a w that rounds to zero keeps its sign, and −0 − (+0) is −0.
    stored = math.copysign(float(w), values["fp_w"]) if w == 0 else float(w)
    if result == 0 and u == 0:
        result = stored
    return stored, float(u), result


def view(values: dict) -> PanelView:
    return PANEL.view(**PANEL.arguments(values))


def texts(result: PanelView) -> list[str]:
    return [b.text for b in result.walk() if isinstance(b, Text)]


def row_bits(text: str) -> tuple[str, set[int]]:
    """A row ``**name = v**: sign s · exponent e… · mantissa m…`` read back: its bits and the
    indices of the marked ones."""
    body = text.split("**: ", 1)[1]
    marks, bits = set(), ""
    for token in re.split(r"(:orange-background\[\*\*[01]\*\*\]|[01])", body):
        found = MARKED.fullmatch(token)
        if found:
            marks.add(len(bits))
            bits += found[1]
        elif token in ("0", "1"):
            bits += token
    return bits, marks


def states(text: str, name: str, value: float, dtype: str) -> bool:
    """``name = v`` or ``name ≈ v`` names ``value`` (NaN written NaN)."""
    said = re.fullmatch(rf"{re.escape(name)} ([=≈]) (.+)", text)
    assert said, text
    if math.isnan(value):
        return said[2] == "NaN"
    if value == 0:
        return said[2] == ("−0" if math.copysign(1, value) < 0 else "0")
    shown = said[2] if said[1] == "=" else "≈ " + said[2]
    return names(shown, value if math.isinf(value) else Fraction(value), dtype)


def check_meaning(sentence: str, name: str, bits: str, dtype: str) -> None:
    """The caption of a value's fields against the fields themselves."""
    width = EXPONENT[dtype]
    exponent, mantissa = bits[1 : 1 + width], bits[1 + width :]
    biased, bias = int(exponent, 2), 2 ** (width - 1) - 1
    sign = "−" if bits[0] == "1" else "+"
    assert sentence.startswith(f"{name}: ")
    if exponent == "1" * width:
        assert f"exponent bits {exponent} = {biased}, all ones" in sentence
        end = "NaN (not a number)." if "1" in mantissa else f"{sign}∞."
        assert sentence.endswith(end)
    elif exponent == "0" * width and "1" not in mantissa:
        assert sentence.endswith(f"every exponent and mantissa bit is 0: {sign}0.")
    elif exponent == "0" * width:
        assert "a subnormal number, with no implicit leading 1" in sentence
        stated = re.search(r"0\.mantissa × 2([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+) ", sentence)
        assert stated
        assert sentence.count(f"{sign}0.mantissa") == 1
        assert int(stated[1].translate(_SUP)) == 1 - bias
    else:
        power = biased - bias
        assert f"exponent bits {exponent} = {biased}, minus the bias {bias}: 2" in sentence
        stated = re.search(r"minus the bias \d+: 2([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+);", sentence)
        assert stated
        assert int(stated[1].translate(_SUP)) == power
        assert "the leading 1 of 1.mantissa is implicit" in sentence


def check_button(option, bits: str, index: int, field: str, dtype: str) -> None:
    """One bit's button: its label, and what a click does (sets the flipped float, or says
    why not)."""
    position = len(bits) - 1 - index
    assert option.label == ("**1**" if bits[index] == "1" else "0")
    flipped_bits = bits[:index] + ("1" if bits[index] == "0" else "0") + bits[index + 1 :]
    value = unpacked(flipped_bits, dtype)
    start = f"Flipping {field} bit {position} "
    if math.isnan(value):
        assert option.value is None
        assert option.refusal == start + "gives NaN (not a number): w is not changed."
    elif math.isinf(value):
        assert option.value is None
        sign = "+" if value > 0 else "−"
        assert option.refusal == start + f"gives {sign}∞: w is not changed."
    elif not W.low <= value <= W.high:
        assert option.value is None
        said = re.fullmatch(
            rf"{start}would give (.+), outside w's range \(−10⁶ to 10⁶\): w is not changed\.",
            option.refusal,
        )
        assert said, option.refusal
        stated = number(said[1])
        assert abs(stated - Fraction(value)) <= abs(Fraction(value)) / 200  # 3 digits
    else:
        assert option.refusal == ""
        assert packed(option.value, dtype) == flipped_bits
        assert W.canonical(option.value) == option.value  # the control keeps it
        assert W.parse(W.url_text(option.value)) == option.value  # and its link


def check_number_line(chart: Chart, w: float, u: float, result: float, dtype: str) -> None:
    """Neighbours and half-gaps at their exact distances (in the axis's unit), and the title's
    finding from where the exact w − η·g lies."""
    kind = np.dtype(dtype).type
    with np.errstate(over="ignore"):
        below = float(np.nextafter(kind(w), kind(-np.inf)))
        above = float(np.nextafter(kind(w), kind(np.inf)))
    top = Fraction(float(np.finfo(dtype).max))
    spacing = top - Fraction(float(np.nextafter(np.finfo(dtype).max, kind(0))))
    gap_below = Fraction(w) - Fraction(below) if math.isfinite(below) else spacing
    gap_above = Fraction(above) - Fraction(w) if math.isfinite(above) else spacing
    unit = min(gap_below, gap_above)
    x_title = chart.spec["layer"][0]["encoding"]["x"]["title"]
    power = int(x_title.rsplit("units of 2", 1)[1].translate(_SUP))
    assert Fraction(2) ** power == unit
    frame = chart.frame.set_index("mark")
    assert frame.loc["neighbour below", "distance"] == float(-gap_below / unit)
    assert frame.loc["neighbour above", "distance"] == float(gap_above / unit)
    assert frame.loc["w", "distance"] == 0
    assert sorted(frame.loc["half-gap", "distance"]) == [
        float(-gap_below / unit / 2),
        float(gap_above / unit / 2),
    ]
    title = chart.spec["description"]
    if math.isinf(u):
        assert title.startswith("η·g is ∞ here: w − η·g is −∞")
    elif result == w:
        where = "exactly half a gap" if Fraction(u) == gap_below / 2 else "less than half a gap"
        assert Fraction(u) <= gap_below / 2
        assert title.startswith(f"w − η·g is {where} below w: it rounds back to w")
    elif result == below:
        assert gap_below / 2 <= Fraction(u) <= gap_below * 3 / 2
        assert title.startswith("w − η·g is half a gap or more below w: it rounds to the neighbour")
    else:
        assert Fraction(u) > gap_below
        assert title.startswith("w − η·g lies beyond w's neighbour below")


@settings(max_examples=300, deadline=None)
@edge_examples
@given(EVERY)
def test_every_bit_and_sentence_of_the_bits_matches_struct(values: dict) -> None:
    """w's buttons, the rows of η·g and w − η·g, their captions, the marked bits, "No bit
    changed" and the number line, in the chosen dtype, against ``struct`` and Fractions."""
    dtype = values["fp_dtype"]
    w, u, result = exact(values)
    shown = view(values)
    words = texts(shown)
    w_bits = packed(w, dtype)
    # w's buttons, field by field, and their labels
    picks = {b.key: b for b in shown.walk() if isinstance(b, Pick)}
    width, n = EXPONENT[dtype], len(w_bits)
    spans = {"sign": (0, 1), "exponent": (1, 1 + width), "mantissa": (1 + width, n)}
    for field, (first, end) in spans.items():
        pick = picks[f"fp_bits_{field}"]
        assert pick.control == "fp_w"
        assert len(pick.options) == end - first
        top, last = n - 1 - first, n - end
        assert pick.label == f"w's {field}, bit {top}" + (
            f" to {last} ({end - first} bits)" if last < top else ""
        )
        for offset, option in enumerate(pick.options):
            check_button(option, w_bits, first + offset, field, dtype)
    caption = next(t for t in words if t.startswith(("w = ", "w ≈ ")) and f" in {dtype}. " in t)
    head, rest = caption.split(f" in {dtype}. ", 1)
    assert states(head, "w", w, dtype)
    check_meaning(rest, "w", w_bits, dtype)
    # the rows of η·g and w − η·g, and the marked bits
    for name, value in (("η·g", u), ("w − η·g", result)):
        row = next(t for t in words if re.match(rf"\*\*{re.escape(name)} [=≈]", t))
        bits, marks = row_bits(row)
        assert states(row[2:].split("**: ")[0], name, value, dtype)
        if not math.isnan(value):
            assert bits == packed(value, dtype)
        else:
            assert set(bits[1 : 1 + width]) == {"1"}
            assert "1" in bits[1 + width :]
        differ = {i for i in range(n) if bits[i] != w_bits[i]}
        assert marks == (differ if name == "w − η·g" else set())
        check_meaning(next(t for t in words if t.startswith(f"{name}: ")), name, bits, dtype)
    # what the changed bits mean
    result_bits = packed(result, dtype) if not math.isnan(result) else None
    changed = (
        n if result_bits is None else sum(a != b for a, b in zip(w_bits, result_bits, strict=True))
    )
    if math.isinf(w):
        expected = "w is ∞: w − η·g is ∞ or NaN, never a number again."
    elif changed == 0:
        expected = "No bit changed: the update was lost."
    else:
        expected = None
    said = next(t for t in words if "bit changed" in t or "differ from w's" in t or "w is ∞:" in t)
    if expected is not None:
        assert said == expected
    else:
        stated = re.fullmatch(r"([0-9]+) bits? of w − η·g differ from w's \(marked\): (.+)", said)
        assert stated, said
        if result_bits is not None:
            assert int(stated[1]) == changed
        if math.isinf(result) or math.isnan(result):
            assert stated[2].endswith("w is destroyed.")
        else:
            assert stated[2] == "the update was applied."
    # the number line (for a finite w)
    lines = [c for c in shown.charts if c.name == "bits_number_line"]
    assert len(lines) == (1 if math.isfinite(w) else 0)
    if lines:
        check_number_line(lines[0], w, u, result, dtype)
