"""Headline panel, left: a small gradient far from the optimum, ``f_c(x) = max(0, c·x)``.

Computed in exact arithmetic (``vgcore.counterexample``): the source's ``p = 10⁹⁹⁹⁹`` and
``f(p) = 10⁹⁹⁰⁹`` fit in no float. The chart plots log₁₀ f(x_k) against log₁₀ k.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Block, Chart, Fold, Metric, Metrics, PanelView, Table, Text
from vgapp.controls import Number
from vgapp.formatting import count, exact_text, sci
from vgapp.layout import Panel
from vgapp.panels.counterexample_chart import chart
from vgapp.words import (
    FACTOR_TEXT,
    FLOAT_EVENT_TEXT,
    NOTHING_WRONG,
    PRODUCT_FACTORS,
    QUANTITY_SYMBOL,
    RULE_TEXT,
)
from vgcore.counterexample import (
    CounterexampleReport,
    FloatEvent,
    FloatView,
    StoppingOutcome,
    analyse_counterexample,
    gd_value_trace,
    log10_exact,
    log10_float,
    scientific,
)
from vgcore.counterexample import sci as exact_sci

CONTROLS = (
    Number(
        "c_mant", "Slope c: leading digits m (c = m × 10ᵏ)", 1.0, 1.0, 9.99, 0.01,
        "c = m × 10ᵏ, with m from 1 to 9.99 here and the power k below. The source uses "
        "c = 10⁻⁹⁰.",
        widget="number", format="%.2f",
    ),
    Number(
        "c_exp", "Slope c: power of ten k", -90, -300, 0, 1,
        "The slope c of f(x) = max(0, c·x) is also its gradient at every x > 0.",
        integer=True,
    ),
    Number(
        "p_mant", "Start p: leading digits m (p = m × 10ᵏ)", 1.0, 1.0, 9.99, 0.01,
        "p = m × 10ᵏ, with m from 1 to 9.99 here and the power k below. The source uses "
        "p = 10⁹⁹⁹⁹, far beyond 1.8·10³⁰⁸, the largest number float64 can store.",
        widget="number", format="%.2f",
    ),
    Number(
        "p_exp", "Start p: power of ten k", 9999, 0, 9999, 1,
        "How far the start lies from the minimiser set x ≤ 0.",
        integer=True,
    ),
    Number(
        "eta_exp", "Step size η = 10ᵏ: power of ten k", 0, -6, 6, 1,
        "Gradient descent x ← x − η·c: while x > 0 every step lowers f by η·c².",
        integer=True,
    ),
    Number(
        "eps_exp", "Parameter-change threshold ε = 10ᵏ: power of ten k", -8, -300, 0, 1,
        "The student's rule: stop when |x_{k+1} − x_k| ≤ ε.",
        integer=True,
    ),
    Number(
        "gatol_exp", "Gradient threshold 10ᵏ: power of ten k", -6, -300, 0, 1,
        "Stop when |f′(x)| ≤ this threshold.",
        integer=True,
    ),
)  # fmt: skip

SOURCE = {"c_mant": 1.0, "c_exp": -90, "p_mant": 1.0, "p_exp": 9999}
INTRO = (
    "f(x) = max(0, c·x) has gradient c at every x > 0, however far x is from its minimum at "
    "x ≤ 0. Exact arithmetic holds the source's numbers; float64 cannot."
)
FLOAT_WORDS = (
    "A computer's number formats (float16, float32, float64) each have a largest and a "
    "smallest number: a value too large is stored as ∞ (it overflows), one too small as 0 (it "
    "underflows), and 0·∞ gives NaN, “not a number”."
)
CORRECTION = (
    "A small correction to the source: it prints f′(p) = 10⁻⁹⁹, but the derivative of "
    "max(0, c·x) at p > 0 is c itself, here 10⁻⁹⁰. The argument stands."
)


FLAT_STEPS = 10
"""From this many steps on, the alt text says f stays flat until the last decade: for
k ≤ N/10, f(x_k) = f(p) − k·η·c² ≥ f(p)·(0.9 − η·c/(10p)) ≥ 0.88·f(p), since η·c/p ≤ 1/(N − 1)."""
EXACT_DIGITS = 15
"""Step counts below 10^15 are written in full (with thousands separators); larger ones in
scientific notation, marked ≈ when rounded."""


def steps_value(n: int) -> str:
    """A step count exactly (``1,234``) or, beyond 10¹⁵, as ``4 × 10¹⁰⁰⁸⁸`` (``≈`` if rounded)."""
    if n < 10**EXACT_DIGITS:
        return f"{n:,}"
    return ("" if scientific(n).exact else "≈ ") + exact_text(n)


def steps_text(n: int) -> str:
    """``1 step``, ``2 steps``, ``≈ 1.23 × 10²⁰ steps``."""
    if n < 10**EXACT_DIGITS:
        return count(n, "step")
    return f"{steps_value(n)} steps"


def finding_of(report: CounterexampleReport) -> str:
    """What gradient descent from p does, decided in exact arithmetic: after N steps x_N =
    p − N·η·c lands exactly on the minimiser set's edge x = 0, or jumps past it."""
    steps = report.steps_to_minimum
    step = report.eta * report.c
    last = report.p - steps * step
    if steps == 1:
        if last == 0:
            return (
                f"One step of η·c = {exact_text(step)} lands exactly on x = 0, the edge of the "
                "minimiser set x ≤ 0, where f = 0"
            )
        return (
            f"One step of η·c = {exact_text(step)} jumps from p past x = 0, to "
            f"x₁ = {exact_text(last)} in the minimiser set x ≤ 0"
        )
    drop = f"Each step lowers f by η·c² = {exact_text(report.value_drop_per_step)}"
    if last == 0:
        return f"{drop}: descent needs {steps_text(steps)}, the last landing exactly on x = 0"
    return (
        f"{drop}, the last one by less: descent needs {steps_text(steps)}, the last jumping "
        "past x = 0"
    )


def fires_text(step: int | None) -> str:
    """When a rule fires: before any step, after the first, or not before the minimum."""
    if step is None:
        return "never before the minimum"
    return "0 (before any step)" if step == 0 else "1 (after the first step)"


def rule_sentence(outcome: StoppingOutcome) -> str:
    """What a rule does, in one plain sentence: when it stops, and how far above the minimum."""
    if outcome.fires_at_step is None:
        return "never stops before the minimum."
    when = "before any step" if outcome.fires_at_step == 0 else "after the first step"
    if outcome.value_at_stop == 0:
        return f"stops {when}, at the minimum."
    return f"stops {when}, with f still {exact_text(outcome.value_at_stop)} above its minimum."


def rule_test(outcome: StoppingOutcome, report: CounterexampleReport) -> str:
    """The comparison that decides the rule, in exact numbers."""
    threshold = exact_text(outcome.threshold)
    step = report.eta * report.c
    x1 = report.p - step
    if outcome.rule == "gatol":
        if outcome.fires_at_step == 0:
            return f"|f′(p)| = c = {exact_text(report.c)} ≤ {threshold}"
        if outcome.fires_at_step == 1:
            return f"c > {threshold}, but f′(x₁) = 0 (x₁ ≤ 0)"
        return f"|f′(x)| = c = {exact_text(report.c)} > {threshold} while x > 0"
    if outcome.rule == "eps":
        change = abs(x1 - report.p)
        sign = "≤" if change <= outcome.threshold else ">"
        return f"|x₁ − x₀| = η·c = {exact_text(change)} {sign} ε = {threshold}"
    drop = report.value - (report.c * x1 if x1 > 0 else 0)
    sign = "≤" if drop <= outcome.threshold else ">"
    return f"f(x₀) − f(x₁) = {exact_text(drop)} {sign} {threshold}"


def float_cell(value: float, nan_cause: str) -> str:
    """A float table cell; a NaN says which operation made it."""
    if math.isnan(value):
        return f"NaN ({nan_cause})" if nan_cause else "NaN"
    return sci(value)


def decimal_string(mantissa: float, exponent: int) -> str:
    """``mantissa × 10^exponent`` as an exact decimal string (``"1.00e-90"``)."""
    return f"{mantissa:.2f}e{exponent}"


def steps_to_plot(steps_to_minimum: int, points: int = 30) -> list[int]:
    """Step counts to plot: powers of ten up to the minimum, then the last stretch before it
    (the fractions 1 − 10⁻ᵐ of the way, where the value finally falls), then the minimum."""
    if steps_to_minimum <= 1:
        return [0, 1] if steps_to_minimum == 1 else [0]
    digits = math.floor(log10_exact(steps_to_minimum))
    if 10 ** (digits + 1) <= steps_to_minimum:  # log10 rounded down across a power of ten
        digits += 1
    elif 10**digits > steps_to_minimum:
        digits -= 1
    exponents = sorted({round(j) for j in np.linspace(0, digits, points)})
    ks = {power for power in (10**j for j in exponents) if power < steps_to_minimum}
    for m in range(1, 13):
        k = steps_to_minimum - (steps_to_minimum + 10**m - 1) // 10**m
        if 0 < k < steps_to_minimum:
            ks.add(k)
    ks.add(steps_to_minimum)
    return sorted(ks)


def view(
    *,
    c_mant: float,
    c_exp: int,
    p_mant: float,
    p_exp: int,
    eta_exp: int,
    eps_exp: int,
    gatol_exp: int,
) -> PanelView:
    """Gradient descent on f(x) = max(0, c·x) from p: value, gradient, distance and steps to
    the minimum, the stopping rules, and what each float format makes of the numbers."""
    report = analyse_counterexample(
        c=decimal_string(c_mant, c_exp),
        p=decimal_string(p_mant, p_exp),
        eta=f"1e{eta_exp}",
        eps=f"1e{eps_exp}",
        gatol=f"1e{gatol_exp}",
    )
    steps = report.steps_to_minimum
    metrics = (
        Metric("f(p)", exact_text(report.value), "f(p) = c·p: the value at the start p."),
        Metric(
            "f′(p) = c",
            exact_text(report.derivative),
            "The gradient at p: the slope c itself, however far p is from the minimum.",
        ),
        Metric(
            "distance to min",
            exact_text(report.distance_to_minimiser),
            "Distance from p to the minimiser set x ≤ 0: how far gradient descent has to go.",
        ),
        Metric(
            "steps needed",
            steps_value(steps),
            "Steps gradient descent needs to reach x ≤ 0: ceil(p / (η·c)), since every step "
            "moves x by η·c (the last one may overshoot into x ≤ 0, where f = 0).",
        ),
    )
    said = pd.DataFrame(
        {
            "rule": [RULE_TEXT[o.rule].phrase for o in report.outcomes],
            "what it does": [rule_sentence(o) for o in report.outcomes],
        }
    )
    outcomes = pd.DataFrame(
        {
            "rule": [RULE_TEXT[o.rule].phrase for o in report.outcomes],
            "test": [rule_test(o, report) for o in report.outcomes],
            "fires at step": [fires_text(o.fires_at_step) for o in report.outcomes],
            "f above its minimum there": [exact_text(o.value_at_stop) for o in report.outcomes],
        }
    )
    floats = pd.DataFrame(
        {
            "precision": [f.dtype for f in report.floats],
            "what happens": [float_verdict(f) + "." for f in report.floats],
        }
    )
    stored = pd.DataFrame(
        {
            "precision": [f.dtype for f in report.floats],
            "c": [float_cell(f.c_in_dtype, "") for f in report.floats],
            "p": [float_cell(f.p_in_dtype, "") for f in report.floats],
            "f(p)": [float_cell(f.value_in_dtype, "0·∞") for f in report.floats],
            "η·f′(p)": [float_cell(f.step_in_dtype, "∞·0") for f in report.floats],
        }
    )
    ks = steps_to_plot(steps)
    values = gd_value_trace(report, ks)
    logs = pd.DataFrame(
        {
            "log10_step_k": [log10_float(k) if k > 0 else -math.inf for k in ks],
            "log10_f_at_x_k": [log10_float(v) for v in values],
        }
    )

    def frame() -> pd.DataFrame:
        """The CSV: each plotted step and value exactly (6 digits), with their log10."""
        exact = pd.DataFrame(
            {
                "step_k": [exact_sci(k, 6, plain=True) for k in ks],
                "f_at_x_k": [exact_sci(v, 6, plain=True) for v in values],
            }
        )
        return pd.concat([exact, logs], axis=1)[
            ["step_k", "log10_step_k", "f_at_x_k", "log10_f_at_x_k"]
        ]

    finding = finding_of(report)
    eps_first = any(o.rule == "eps" and o.fires_at_step == 1 for o in report.outcomes)
    spec = chart(
        logs,
        title=vl.title(
            f"The gradient is {exact_text(report.derivative)}, the value "
            f"{exact_text(report.value)}",
            finding + ".",
        ),
        eps_stop=eps_first,
        minimum_lines=("f = 0 (the minimum)", f"at step {steps_value(steps)}"),
    )
    alt = (
        f"Gradient descent on max(0, c·x) from p = {exact_text(report.p)}: "
        f"{finding[0].lower()}{finding[1:]}"
    )
    alt += (
        "; on the log-k axis f stays within 12 % of f(p) until the last decade before the "
        "minimum (k ≥ N/10 of the N steps), then falls to 0."
        if steps >= FLAT_STEPS
        else "."
    )
    source = {"c_mant": c_mant, "c_exp": c_exp, "p_mant": p_mant, "p_exp": p_exp} == SOURCE
    blocks: list[Block] = [
        Chart("counterexample", spec, alt, frame, caption=False),
        Metrics(metrics),
        Fold("More: the chart in words", (Text(alt, "caption"),)),
    ]
    if source:
        blocks.append(Text(CORRECTION, "correction"))
    blocks += [
        Table(said, "When each stopping rule stops (exact arithmetic)"),
        Fold(
            "More: each rule's test",
            (Table(outcomes, "What the stopping rules do (exact arithmetic)"),),
        ),
        Text(FLOAT_WORDS, "caption"),
        Table(floats, "What floating point makes of the same numbers"),
        Fold("More: the values each precision stores", (Table(stored),)),
    ]
    return PanelView(tuple(blocks), facts={"report": report, "source_numbers": source})


def event_text(event: FloatEvent) -> str:
    """One thing that goes wrong in a dtype, in words."""
    symbols = PRODUCT_FACTORS.get(event.quantity, ("", ""))
    written = "·".join(
        FACTOR_TEXT.get(factor, symbol)
        for factor, symbol in zip(event.factors, symbols, strict=True)
    )
    return FLOAT_EVENT_TEXT[event.kind].format(
        what=QUANTITY_SYMBOL.get(event.quantity, ""),
        written=written,
        sign="−∞" if event.sign < 0 else "∞",
    )


def float_verdict(view: FloatView) -> str:
    """The first thing that goes wrong in the dtype, then what follows (or that nothing does);
    the values that storing spoils are one event."""
    stored = [e for e in view.events if e.kind.startswith("stored_")]
    events = [event_text(e) for e in view.events if not e.kind.startswith("stored_")]
    if stored:
        texts = [event_text(e) for e in stored]
        listed = ", ".join(texts[:-1]) + " and " + texts[-1] if len(texts) > 1 else texts[0]
        events.insert(0, listed + " when stored")
    if not events:
        return NOTHING_WRONG
    return f"First {events[0]}" + "".join(f"; then {e}" for e in events[1:])


GROUPS = (
    ("The function and the start", ("c_mant", "c_exp", "p_mant", "p_exp")),
    ("Gradient descent and its stopping rules", ("eta_exp", "eps_exp", "gatol_exp")),
)
FOLDS = ((GROUPS[0][0], True), (GROUPS[1][0], False))
"""The descent's settings folded: the first screen draws the four controls of the source's
numbers (every control drawn costs the browser the same, moved or not: README, figures behind
the constants)."""
PANEL = Panel(
    "counterexample",
    "max(0, c·x): the same gradient at any distance",
    CONTROLS,
    view,
    GROUPS,
    FOLDS,
)
