"""Step 4 of the argument: floating point eats small updates, and small ones crawl (docs/MATH.md
D1, D2).

Is ``w − η·g == w`` in each precision? ``η·g`` is formed in float64 (``η × 10^k``, both
float64), then ``w`` and ``η·g`` are rounded to the precision (as a stored weight and a computed
update would be) and subtracted there. The update ``−η·g`` (g > 0) moves ``w`` toward −∞:
toward zero for ``w > 0``, so the gap that matters is the one below ``|w|``, half of it the
threshold (a quarter ulp at a power of two); for ``w <= 0`` it is the gap above ``|w|``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Block, Chart, Columns, Fold, Metric, Metrics, PanelView, Table, Text
from vgapp.controls import Choice, Number
from vgapp.formatting import count, exact_text, sci, superscript
from vgapp.layout import Panel
from vgapp.panels.precision_bits import bits_blocks
from vgcore.exact import scientific
from vgcore.precision import DTYPES, Stored, lost_update_curve, lost_update_rule, store
from vgcore.step_count import StepCount, steps_to_move

CONTROLS = (
    Number(
        "fp_w", "Weight w", 1.0, -1e6, 1e6, 0.1,
        "The stored parameter. The smallest update that still counts grows with |w|.",
        widget="number", format="%g",
    ),
    Number("fp_eta", "Step size η", 0.1, 0.0001, 10.0, 0.0001, "The update is −η·g.",
           widget="number", format="%g"),
    Number("fp_grad_exp", "Gradient g = 10ᵏ: power of ten k", -16, -60, 5, 1,
           "The size of the gradient, as a power of ten.", integer=True),
    Choice(
        "fp_dtype", "Precision", "float64", DTYPES,
        "The floating-point format the weight is stored and updated in.", widget="segmented",
    ),
)  # fmt: skip

INTRO = (
    "In round-to-nearest floating point, w + d == w when |d| is below half the gap from w to "
    "its neighbour in the direction of d (exactly half is a tie: it goes to the neighbour whose "
    "last bit is even). Here d = −η·g, and both w and η·g are first stored in the chosen "
    "precision. The gap grows with |w|, doubling at each power of two above the smallest normal "
    "number (below it, among the subnormal numbers, the gap stays at its smallest); an ulp, "
    "“unit in the last place”, is the gap above |w|."
)
CORRECTION = (
    "A correction to the source: it says updates smaller than machine epsilon ε (the gap "
    "between 1 and the next number) are lost. The threshold grows with the weight, about "
    "ε·|w|/2 for all but the tiniest weights: at |w| = 1 updates below ε/2 (ε/4 going down) "
    "already vanish, and on a float64 weight of 1000 an update of 10⁻¹⁴ vanishes although it "
    "is far above ε."
)
TIE_NOTE = (
    "In the table η·g is the update as that precision stores it. At exactly the bound the "
    "result is a tie, which goes to the neighbour whose last bit is even: the update is lost "
    "(≤) when w's last bit is even and applied (<) when it is odd."
)
DETAIL = "More: each precision's threshold, the exact rule and its ties"
SLOW_STEPS_SHARE = Fraction(1, 100)
"""The slow-update figure: steps to move w by this share of |w|."""
STORED_DIGITS = {"float16": 5, "float32": 9, "float64": 17}
"""Significant digits that name every value of a precision (its round-trip digits)."""

BOUNDS = (CONTROLS[0].low, CONTROLS[0].high)
Verdict = Literal["lost", "applied", "overflow", "none"]


@dataclass(frozen=True)
class Outcome:
    """One precision's answer: ``w`` as stored, ``η·g`` as stored (0 or inf where it underflows
    or overflows), ``w − η·g`` there, and the verdict: ``lost`` (the difference is ``w``),
    ``applied``, ``overflow`` (the update or the difference is infinite: ``w`` is destroyed) or
    ``none`` (``w`` itself is infinite: nothing to update)."""

    dtype: str
    stored: Stored
    update: float
    result: float
    verdict: Verdict


def update_size(fp_eta: float, fp_grad_exp: int) -> float:
    """``η·g = η × 10^k`` as the page forms it: in float64 (10.0**k, then the product)."""
    return fp_eta * 10.0**fp_grad_exp


def outcome(fp_w: float, step: float, dtype: str) -> Outcome:
    """``w − η·g`` in ``dtype`` for ``η·g = step > 0`` (a float64), as ``update_size`` forms it."""
    stored = store(fp_w, dtype)
    kind = np.dtype(dtype).type
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        update = kind(step)
        result = kind(stored.value) - update  # ∞ − ∞ is NaN: only where w is ∞ (no verdict)
    if stored.kind == "overflow":
        verdict: Verdict = "none"
    elif not (np.isfinite(update) and np.isfinite(result)):
        verdict = "overflow"
    else:
        verdict = "lost" if result == kind(stored.value) else "applied"
    return Outcome(dtype, stored, float(update), float(result), verdict)


# ---------------------------------------------------------------- numbers in words


def decimal_text(value: Fraction, digits: int) -> tuple[str, bool]:
    """``value`` to ``digits`` significant digits (fewer when exact), positional between 10⁻³
    and 10⁷, else ``m × 10ᵉ``; and whether the text is the exact value."""
    parts = scientific(value, digits)
    sign = "−" if parts.negative else ""
    mantissa = parts.shortest_mantissa
    if -3 <= parts.exponent <= 6:
        text = format(Decimal(f"{mantissa}e{parts.exponent}"), "f")
    elif mantissa == "1":
        text = f"10{superscript(parts.exponent)}"
    else:
        text = f"{mantissa} × 10{superscript(parts.exponent)}"
    return sign + text, parts.exact


def typed_text(w: float) -> str:
    """``w`` as typed: the shortest decimal that gives this float64."""
    if w == 0:
        return "0"
    return decimal_text(Fraction(Decimal(repr(w))), 17)[0]


def stored_text(value: float, dtype: str) -> str:
    """A stored value: exact when 17 digits suffice, else ``≈`` and the dtype's round-trip
    digits; ±∞ and 0 spelled out."""
    if np.isinf(value):
        return "+∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    text, exact = decimal_text(Fraction(value), 17)
    if exact:
        return text
    return "≈ " + decimal_text(Fraction(value), STORED_DIGITS[dtype])[0]


def power_of_two_text(exponent: int) -> str:
    """``2⁻¹² ≈ 2.44 × 10⁻⁴``, ``2⁴ = 16``."""
    value, exact = decimal_text(Fraction(2) ** exponent, 3)
    return f"2{superscript(exponent)} {'=' if exact else '≈'} {value}"


def steps_text(n: int) -> str:
    """A step count: exact below 10⁴, else to 3 significant digits."""
    return count(n, "step") if n < 10_000 else f"{sci(n)} steps"


def infinity(value: float) -> str:
    return "+∞" if value > 0 else "−∞"


# ---------------------------------------------------------------- the table


def rule_text(fp_w: float, dtype: str) -> str:
    """When an update −η·g is lost on the stored w: ``η·g ≤ 2⁻¹² ≈ …`` (the tie is lost: w's
    last bit is even) or ``η·g < …`` (odd); the bound is half the gap in the update's
    direction, exact (2⁻¹⁰⁷⁵ at w = 0 in float64)."""
    rule = lost_update_rule(fp_w, dtype, direction=-1)
    return f"η·g {'≤' if rule.tie_lost else '<'} {power_of_two_text(rule.exponent)}"


def stored_cell(fp_w: float, result: Outcome) -> str:
    stored = result.stored
    if stored.kind == "overflow":
        return f"{infinity(stored.value)} (overflow)"
    if stored.kind == "underflow":
        return "0 (underflow)"
    if stored.kind == "rounded":
        return f"{stored_text(stored.value, result.dtype)} (rounded)"
    return typed_text(fp_w)


def lost_cell(result: Outcome) -> str:
    if result.verdict == "none":
        return f"— (w is {infinity(result.stored.value)})"
    if result.verdict == "overflow":
        return f"no: w becomes {infinity(result.result)}"
    return "yes: lost" if result.verdict == "lost" else "no"


def table_row(fp_w: float, result: Outcome) -> dict[str, str]:
    finite = result.verdict != "none"
    return {
        "precision": result.dtype,
        "stored w": stored_cell(fp_w, result),
        "update lost when": rule_text(result.stored.value, result.dtype) if finite else "—",
        "update lost?": lost_cell(result),
    }


def row_sentence(row: dict[str, str]) -> str:
    """One precision's row of the table as a plain sentence, from its cells."""
    stored, rule, lost = row["stored w"], row["update lost when"], row["update lost?"]
    if lost.startswith("—"):
        return f"w is stored as {stored}: no update applies."
    if lost.startswith("no: w becomes"):  # "no: w becomes −∞"
        return f"the update is not lost but destroys w: w − η·g becomes {lost[14:]}."
    if lost == "yes: lost":
        return f"the update is lost: with w stored as {stored}, every update with {rule} is."
    return f"the update is applied: with w stored as {stored}, only an update with {rule} is lost."


# ---------------------------------------------------------------- the sentences


def notes(fp_w: float, step: float, result: Outcome) -> list[str]:
    """What the chosen precision does to w and to η·g, when it does more than round slightly."""
    dtype, stored = result.dtype, result.stored
    largest = stored_text(float(np.finfo(dtype).max), dtype)
    said = []
    w = typed_text(fp_w)
    if stored.kind == "overflow":
        said.append(
            f"w = {w} is too large for {dtype} (its largest number is {largest}): it rounds to "
            f"{infinity(stored.value)}, and no update changes ∞. There is no verdict and no "
            "step count."
        )
        return said
    if stored.kind == "underflow":
        said.append(f"w = {w} is too small for {dtype}: it rounds to 0. The verdict is for w = 0.")
    elif stored.kind == "rounded":
        top = " (the largest one)" if abs(stored.value) == float(np.finfo(dtype).max) else ""
        said.append(
            f"w = {w} is not a {dtype} number: it is stored as the nearest one{top}, "
            f"{stored_text(stored.value, dtype)}. The verdict and the count are for that value."
        )
    if np.isinf(result.update):
        said.append(
            f"η·g = {sci(step)} is too large for {dtype}: it rounds to +∞, and w − η·g = −∞. "
            "The update is not lost: it destroys w."
        )
    elif result.verdict == "overflow":
        said.append(
            f"w − η·g lies beyond {dtype}'s largest number {largest}: it rounds to −∞. The "
            "update is not lost: it destroys w."
        )
    elif result.update == 0:
        said.append(
            f"η·g = {sci(step)} is too small for {dtype}: it rounds to 0, so w − η·g is w itself."
        )
    return said


def steps_metric(result: Outcome, step: float) -> Metric | None:
    """Steps of the loop w ← w − η·g in the precision until w has moved by 1 % of |w|, counted
    exactly (``steps_to_move``); None unless the update is applied to a nonzero w."""
    if result.verdict != "applied" or result.stored.value == 0:
        return None
    counted: StepCount = steps_to_move(
        result.stored.value, -step, result.dtype, share=SLOW_STEPS_SHARE
    )
    if counted.outcome == "reached":
        value = f"{counted.steps:,}" if counted.steps < 10_000 else sci(counted.steps)
    elif counted.outcome == "stuck":
        final = stored_text(counted.final, result.dtype)
        value = f"never: stuck at {final} after {steps_text(counted.steps)}"
    else:
        value = f"never: w overflows to {infinity(counted.final)} at step {counted.steps:,}"
    estimate = SLOW_STEPS_SHARE * abs(Fraction(result.stored.value)) / Fraction(step)
    return Metric(
        "steps to move w by 1 %",
        value,
        f"The loop w ← w − η·g run in {result.dtype} and counted exactly (shown to 3 digits from "
        "10⁴ steps). Each applied step moves "
        "w by η·g rounded to a whole number of gaps, and past a power of two (moving away from "
        "zero) the gap doubles and the update can be lost for good; so the count can differ "
        f"from 0.01·|w|/(η·g) = {exact_text(estimate)} (docs/MATH.md D2).",
    )


def verdict_word(result: Outcome) -> str:
    if result.verdict == "none":
        return f"none: w is {infinity(result.stored.value)}"
    if result.verdict == "overflow":
        return f"destroys w: w − η·g = {infinity(result.result)}"
    return result.verdict


def alt_text(fp_w: float, step: float, result: Outcome) -> str:
    dtype, stored = result.dtype, result.stored
    w = typed_text(fp_w)
    if result.verdict == "none":
        return (
            f"w = {w} is too large for {dtype}: it is stored as {infinity(stored.value)}, so no "
            "update applies to it and there is no verdict."
        )
    if stored.kind != "exact":
        w += f" (stored in {dtype} as {stored_text(stored.value, dtype)})"
    if result.verdict == "overflow":
        return (
            f"The update η·g = {sci(step)} destroys w = {w} in {dtype}: w − η·g rounds to "
            f"{infinity(result.result)}."
        )
    return f"The update η·g = {sci(step)} is {result.verdict} on w = {w} in {dtype}."


def subtitle(result: Outcome, marked: bool) -> str:
    dtype = result.dtype
    start = "The threshold grows with |w|; "
    if result.verdict == "none":
        return start + f"in {dtype} w is {infinity(result.stored.value)}: no update applies."
    diamond = " (◆)" if marked else ""
    if result.verdict == "overflow":
        return start + f"in {dtype} the current update{diamond} destroys w: w − η·g = −∞."
    if marked:
        return start + f"the current update (◆) is {result.verdict} in {dtype}."
    why = "w is 0" if result.stored.value == 0 else f"η·g rounds to 0 in {dtype}"
    return start + f"the current update is {result.verdict} in {dtype} (no ◆: {why})."


# ---------------------------------------------------------------- the view


def view(*, fp_w: float, fp_eta: float, fp_grad_exp: int, fp_dtype: str) -> PanelView:
    """Whether the update −η·g is lost on w in each precision, and how slowly it moves w."""
    step = update_size(fp_eta, fp_grad_exp)  # η·g > 0; the change to w is −η·g
    results = {name: outcome(fp_w, step, name) for name in DTYPES}
    rows = [table_row(fp_w, results[name]) for name in DTYPES]
    table, words = pd.DataFrame(rows), [row_sentence(row) for row in rows]
    said_rows = pd.DataFrame({"precision": list(DTYPES), "in words": words})
    chosen = results[fp_dtype]
    toward_zero = chosen.stored.value > 0
    curves = {
        name: lost_update_curve(name, -8.0, 6.0, 120, toward_zero=toward_zero) for name in DTYPES
    }
    frame = pd.concat(
        [
            pd.DataFrame({"precision": name, "abs_w": w, "threshold": threshold})
            for name, (w, threshold) in curves.items()
        ],
        ignore_index=True,
    )
    stored = chosen.stored.value
    drawable = np.isfinite(stored) and stored != 0 and 0 < chosen.update < np.inf
    point = (abs(stored), chosen.update, chosen.verdict == "lost") if drawable else None
    spec = chart(
        frame, point, fp_dtype, toward_zero, subtitle=subtitle(chosen, point is not None),
        verdict=verdict_word(chosen),
    )  # fmt: skip
    metrics = [
        Metric("the update η·g", sci(step), "The step's size; w changes by −η·g."),
        Metric(
            f"in {fp_dtype}",
            verdict_word(chosen),
            f"Whether w − η·g == w in {fp_dtype}, with w and η·g first stored in {fp_dtype}.",
        ),
    ]
    slow = steps_metric(chosen, step)
    if slow is not None:
        metrics.append(slow)
    said: list[Block] = [Text(sentence, "warning") for sentence in notes(fp_w, step, chosen)]
    blocks: tuple[Block, ...] = (
        *said,
        Columns(
            (
                (Chart("lost_updates", spec, alt_text(fp_w, step, chosen), frame),),
                (
                    Metrics(tuple(metrics)),
                    Table(said_rows),
                    Text(CORRECTION, "correction"),
                    Fold(DETAIL, (Table(table), Text(INTRO, "caption"), Text(TIE_NOTE, "caption"))),
                ),
            ),
            (3, 2),
        ),
        *bits_blocks(stored, chosen.update, chosen.result, fp_dtype, *BOUNDS),
    )
    facts = {
        "lost": chosen.verdict == "lost",
        "step": step,
        "outcome": chosen,
        "count": None if slow is None else slow.value,
    }
    return PanelView(blocks, facts=facts)


def chart(
    frame: pd.DataFrame,
    point: tuple[float, float, bool] | None,
    dtype: str,
    toward_zero: bool,
    *,
    subtitle: str | None = None,
    verdict: str | None = None,
) -> dict[str, Any]:
    """The lost-update threshold against |w| per precision (log–log), with the current update
    ``point = (|w|, η·g as stored in dtype, lost)`` as a diamond; ``subtitle`` says the verdict
    (by default the point's)."""
    names = list(dict.fromkeys(frame["precision"]))
    threshold = "half the gap below |w|" if toward_zero else "half the gap above |w|"
    lines = vl.layer(
        vl.records(frame),
        {"type": "line", "strokeWidth": 2},
        x=vl.field("abs_w", vl.Q, scale={"type": "log"}, title="|w| (stored weight)",
                   axis=vl.log_axis()),
        y=vl.field("threshold", vl.Q, scale={"type": "log"},
                   title=f"η·g; line: {threshold}", axis=vl.log_axis()),
        color=vl.field("precision", vl.N, scale=vl.color_scale(names), title="precision"),
        tooltip=[
            vl.field("precision", vl.N),
            vl.field("abs_w", vl.Q, title="|w|", format=".3e"),
            vl.field("threshold", vl.Q, title=threshold, format=".3e"),
        ],
    )  # fmt: skip
    layers = [lines]
    if point is not None:
        abs_w, size, lost = point
        word = verdict or ("lost" if lost else "applied")
        layers.append(
            vl.layer(
                vl.rows(abs_w=[abs_w], step=[size], verdict=[f"{word} in {dtype}"]),
                {"type": "point", "shape": "diamond", "size": 160, "filled": True, "opacity": 1,
                 "color": vl.VERMILION},
                x=vl.field("abs_w", vl.Q),
                y=vl.field("step", vl.Q),
                tooltip=[
                    vl.field("abs_w", vl.Q, title="|w|", format=".3e"),
                    vl.field("step", vl.Q, title=f"η·g in {dtype}", format=".3e"),
                    vl.field("verdict", vl.N, title="update"),
                ],
            )
        )  # fmt: skip
    if subtitle is None:
        subtitle = "The threshold grows with |w|."
        if point is not None:
            subtitle = (
                f"The threshold grows with |w|; the current update (◆) is "
                f"{'lost' if point[2] else 'applied'} in {dtype}."
            )
    return vl.chart(layers, title=vl.title("Updates below the line vanish: w − η·g == w", subtitle))


PANEL = Panel("precision", "Floating point eats small updates", CONTROLS, view)
