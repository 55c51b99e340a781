"""Claims of the counterexample panel (max(0, c·x)), each checked against an oracle written
here: exact arithmetic with ``fractions.Fraction`` for the steps, the landing and the stopping
rules; numpy scalars in each dtype, fed by a correct rounding written here, for the float rows.
Nothing here calls vgcore.counterexample or the view's helpers for an expected value."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims.edges import DTYPES, control_values
from vgapp.blocks import Table
from vgapp.page import LESSONS, PANELS, lesson_values

PANEL = PANELS["counterexample"]
CONTROLS = {c.key: c for c in PANEL.controls}
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def view(values: dict):
    return PANEL.view(**PANEL.arguments({**PANEL.defaults(), **values}))


def exact(mantissa: float, exponent: int) -> Fraction:
    """mantissa (two decimals, as the widget holds it) × 10^exponent, exactly."""
    return Fraction(round(mantissa * 100), 100) * Fraction(10) ** exponent


def parse(text: str) -> Fraction | float:
    """A number as the page writes it ("2.5 × 10⁻⁹⁰", "10⁹⁹⁰⁹", "−1.00 × 10⁶", "0 (exactly)",
    "+∞ (overflow)", "1,234") back to a value."""
    text = text.strip().replace("−", "-").replace("≈ ", "").replace(",", "")
    if "∞" in text:
        return -math.inf if text.startswith("-") else math.inf
    if text.startswith("0 (exactly)"):
        return Fraction(0)
    match = re.fullmatch(r"(-?)(?:([\d.]+) × )?(?:10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+))?([\d.]*)", text)
    assert match, text
    sign, mantissa, power, plain = match.groups()
    if power is None:
        value = Fraction(plain)
    else:
        value = Fraction(mantissa or "1") * Fraction(10) ** int(power.translate(_SUP))
    return -value if sign else value


def close(shown: Fraction | float, true: Fraction, digits: int = 3) -> bool:
    """``shown`` is ``true`` rounded to ``digits`` significant digits (or exact)."""
    if true == 0 or isinstance(shown, float):
        return shown == true
    return abs(Fraction(shown) - true) <= abs(true) * Fraction(10001, 20000 * 10 ** (digits - 1))


def round_to(x: Fraction, name: str) -> float:
    """x correctly rounded (to nearest, ties to even) to the dtype, as a float; ±inf past the
    overflow threshold; written from the format's parameters (bits, exponent range)."""
    bits, low, high = {"float16": (11, -14, 15), "float32": (24, -126, 127),
                       "float64": (53, -1022, 1023)}[name]  # fmt: skip
    if x == 0:
        return 0.0
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    quantum = Fraction(2) ** (max(e, low) - bits + 1)
    n = round(a / quantum)  # Fraction's round: half to even
    value = n * quantum
    largest = (2 - Fraction(2) ** (1 - bits)) * Fraction(2) ** high
    out = math.inf if value > largest else float(value)
    return out if x > 0 else -out


def expected_events(c: Fraction, p: Fraction, eta: Fraction, name: str) -> list[str]:
    """What goes wrong, in order, by numpy scalars in the dtype: each entry a phrase the verdict
    must contain, in this order."""
    kind = np.dtype(name).type
    c_d, p_d, e_d = (kind(round_to(v, name)) for v in (c, p, eta))
    found = []
    stored = []
    for symbol, _value, stored_value in (("c", c, c_d), ("p", p, p_d), ("η", eta, e_d)):
        if stored_value == 0:
            stored.append(f"{symbol} underflows to 0")
        elif np.isinf(stored_value):
            stored.append(f"{symbol} overflows to ∞")
    found += stored
    with np.errstate(all="ignore"):
        value_d = c_d * p_d
        step = e_d * c_d
        x1 = p_d - step
    if np.isnan(value_d):
        found.append("f(p) = c·p = 0·∞ is NaN")
    elif np.isinf(value_d) and np.isfinite(c_d) and np.isfinite(p_d):
        found.append("f(p) = c·p overflows to ∞")
    elif np.isinf(value_d):
        found.append("f(p) = c·p = c·∞ = ∞")
    elif c_d == 0:
        found.append("f(p) = c·p = 0·p = 0")
    if c_d == 0:
        found.append("f′(p) is exactly 0")
    if np.isnan(step):
        found.append("η·f′(p) = ∞·0 is NaN")
    elif np.isinf(step) and np.isinf(e_d):
        found.append("η·f′(p) = ∞·c = ∞")
    elif np.isinf(step):
        found.append("η·f′(p) overflows to ∞")
    elif step == 0 and c_d != 0 and e_d != 0:
        found.append("η·f′(p) underflows to 0")
    if np.isnan(x1):
        found.append("is NaN")
    elif x1 == p_d:
        found.append("the update is lost")
    elif np.isinf(x1):
        found.append("x₁ = p − η·f′(p) = −∞")
    return found


def tables(result) -> dict[str, Table]:
    return {b.title: b for b in result.walk() if isinstance(b, Table)}


def steps_words(n: int) -> str:
    return f"{n:,} step" + ("" if n == 1 else "s")


LESSON_SETTINGS = [
    {k: v for k, v in lesson_values(key).items() if k in CONTROLS}
    for key, lesson in LESSONS.items()
    if lesson.section == "answer"
]
EDGES = [
    {"c_exp": -90, "p_exp": 9999},  # the source
    {"c_exp": 0, "p_exp": 0, "eta_exp": 6},  # one step jumps past; η = ∞ in float16
    {"c_exp": 0, "p_exp": 0, "eta_exp": 0},  # one step lands exactly on 0
    {"c_exp": -1, "p_exp": 0, "eta_exp": 1},  # lands exactly: η·c = 1 = p
    {"c_mant": 2.5, "c_exp": 0, "p_mant": 5.0, "p_exp": 0, "eta_exp": 0},  # 2 steps, exact
    {"c_mant": 3.0, "c_exp": 0, "p_mant": 1.0, "p_exp": 1, "eta_exp": 0},  # 4 steps, past
    {"c_mant": 5.96, "c_exp": -8, "p_exp": 0},  # float16's smallest subnormal (rounded up)
    {"c_mant": 2.98, "c_exp": -8, "p_exp": 0},  # just below half of it: rounds to 0
    {"c_mant": 6.1, "c_exp": -5, "p_exp": 0},  # float16's smallest normal
    {"c_exp": -9, "p_exp": 4},  # c = 0 in float16 while f(p) = 1e-5 is representable
    {"p_mant": 6.55, "p_exp": 4, "c_exp": 0},  # 65500 → 65504 in float16
    {"p_mant": 6.56, "p_exp": 4, "c_exp": 0},  # → ∞ in float16
    {"c_mant": 1.4, "c_exp": -45, "p_exp": 0, "eta_exp": -6},  # float32's subnormal; η·c = 0
    {"c_mant": 7.0, "c_exp": -46, "p_exp": 0},  # below half float32's smallest subnormal
    {"p_mant": 3.4, "p_exp": 38, "c_exp": -1},  # float32's max
    {"p_mant": 1.79, "p_exp": 308, "c_exp": -1},  # float64's max
    {"p_mant": 1.8, "p_exp": 308, "c_exp": -9, "eta_exp": 6},  # float64 ∞, η ∞ in float16
    {"c_exp": -9, "p_exp": 9999, "eta_exp": 6},  # η = ∞ and c = 0 in float16: NaN step
    {"c_exp": -300, "p_exp": 0, "eta_exp": -6, "eps_exp": -300, "gatol_exp": -300},
    {"c_exp": -6, "gatol_exp": -6},  # c = tol exactly: the gradient rule fires at step 0
    {"c_exp": -8, "eta_exp": 0, "eps_exp": -8},  # η·c = ε exactly: fires at step 1
    {"c_mant": 9.99, "c_exp": 0, "p_mant": 9.99, "p_exp": 9999, "eta_exp": 6},
    *LESSON_SETTINGS,
]


def given_settings(f):
    strategy = st.fixed_dictionaries({key: control_values(c) for key, c in CONTROLS.items()})
    for edge in EDGES:
        f = example({**PANEL.defaults(), **edge})(f)
    return settings(max_examples=250, deadline=None)(given(strategy)(f))


@given_settings
def test_counterexample_claims(values: dict) -> None:
    """Every sentence, metric and table cell of the panel against its oracle."""
    result = view(values)
    v = {**PANEL.defaults(), **values}
    c, p = exact(v["c_mant"], v["c_exp"]), exact(v["p_mant"], v["p_exp"])
    eta = Fraction(10) ** v["eta_exp"]
    eps, tol = Fraction(10) ** v["eps_exp"], Fraction(10) ** v["gatol_exp"]
    step = eta * c
    n = -((-p) // step)  # ceil(p / (η·c)), exactly
    last = p - n * step
    chart = result.chart("counterexample")
    title = chart.spec["description"]
    words = [title, chart.alt, *(t.text for t in result.texts), *(m.help for m in result.metrics)]
    metrics = {m.label: m.value for m in result.metrics}
    # the metrics
    assert close(parse(metrics["f(p)"]), c * p)
    assert close(parse(metrics["f′(p) = c"]), c)
    assert close(parse(metrics["steps needed"]), Fraction(n))
    if n < 10**15:
        assert metrics["steps needed"] == f"{n:,}"
    # the finding: one step or many, landing exactly on 0 or jumping past it
    if n == 1:
        assert "One step" in title
        assert "lowers f" not in title
        if last == 0:
            assert "lands exactly on x = 0" in title
            assert "past" not in title
        else:
            assert "jumps from p past x = 0" in title
            assert "exactly" not in title
            shown = re.search(r"x₁ = (.+?) in the minimiser", title)
            assert shown
            assert close(parse(shown.group(1)), last)
    else:
        assert "One step" not in title
        assert close(parse(re.search(r"η·c² = (.+?)[,:]", title).group(1)), eta * c * c)
        if n < 10**15:
            assert f"descent needs {steps_words(n)}" in title
        assert ("the last landing exactly on x = 0" in title) == (last == 0)
        assert ("the last jumping past x = 0" in title) == (last < 0)
        assert ("the last one by less" in title) == (last < 0)
    # the chart's label of the minimum: the step count, exactly as the metric
    labels = [
        " ".join(u["encoding"]["text"]["value"])
        for u in chart.spec["layer"]
        if u["mark"]["type"] == "text" and "value" in u["encoding"]["text"]
    ]
    at_minimum = [t for t in labels if t.startswith("f = 0 (the minimum) at step ")]
    assert len(at_minimum) == 1
    assert close(parse(at_minimum[0].removeprefix("f = 0 (the minimum) at step ")), Fraction(n))
    # the flat stretch on the log-k axis, only when there is one, and true
    flat = "stays within 12 % of f(p) until the last decade" in chart.alt
    assert flat == (n >= 10)
    if flat:
        k = n // 10
        assert c * (p - k * step) >= Fraction(88, 100) * c * p
    # the stopping rules: which step each fires at
    rules = tables(result)["What the stopping rules do (exact arithmetic)"].frame
    fired = dict(zip(rules["rule"], rules["fires at step"], strict=True))
    above = dict(zip(rules["rule"], rules["f above its minimum there"], strict=True))
    said = tables(result)["When each stopping rule stops (exact arithmetic)"].frame
    for rule, sentence in zip(said["rule"], said["what it does"], strict=True):
        # the plain sentence says what the checked cells say
        when = fired[rule]
        assert sentence.startswith("never stops") == when.startswith("never")
        assert ("before any step" in sentence) == when.startswith("0")
        assert ("after the first step" in sentence) == when.startswith("1")
        if not when.startswith("never"):
            at_minimum = parse(above[rule]) == 0
            assert ("at the minimum" in sentence) == at_minimum
            if not at_minimum:
                assert f"with f still {above[rule]} above its minimum" in sentence
    if c <= tol:
        want_g, stop_g = "0", c * p
    elif last <= 0 and n == 1:
        want_g, stop_g = "1", Fraction(0)
    else:
        want_g, stop_g = "never", Fraction(0)
    assert fired["the gradient-norm rule"].startswith(want_g)
    assert close(parse(above["the gradient-norm rule"]), stop_g)
    want_e = "1" if step <= eps else "never"
    assert fired["the parameter-change rule"].startswith(want_e)
    stop_e = c * max(p - step, Fraction(0)) if step <= eps else Fraction(0)
    assert close(parse(above["the parameter-change rule"]), stop_e)
    assert fired["the loss-change rule"].startswith("never")  # f falls by > 0 = tol each step
    # the float rows: the first thing that goes wrong, then the rest, in order
    floats = tables(result)["What floating point makes of the same numbers"].frame
    stored = tables(result)[""].frame  # the values stored, behind the fold
    for row in stored.merge(floats, on="precision").itertuples(index=False):
        name, verdict = row.precision, row[-1]
        kind = np.dtype(name).type
        assert parse(row.c) == round_to(c, name) or close(parse(row.c), Fraction(round_to(c, name)))
        p_d = round_to(p, name)
        assert (parse(row.p) == math.inf) == (p_d == math.inf)
        events = expected_events(c, p, eta, name)
        if not events:
            assert verdict.startswith("Nothing goes wrong")
            continue
        assert verdict.startswith("First ")
        position = 0
        for phrase in events:
            found = verdict.find(phrase, position)
            assert found >= 0, (name, phrase, verdict)
            position = found
        first_clause = verdict.split(";")[0]
        assert events[0] in first_clause
        if kind(round_to(c, name)) == 0:  # c went first: f(p) never blamed for underflowing
            assert "f(p) = c·p underflows" not in verdict
        for cell in (row[3], row[4]):  # f(p), η·f′(p): a NaN says where it comes from
            if "NaN" in cell or "not a number" in cell:
                assert cell in ("NaN (0·∞)", "NaN (∞·0)")
                assert "is NaN" in verdict
    # grammar of every generated sentence
    for text in words + list(floats.iloc[:, -1]):
        assert not re.search(r"(?<![\d.,])1 (steps|layers)\b", text), text
        assert "then so" not in text


def test_the_float_words_define_overflow_underflow_and_nan_truly() -> None:
    """FLOAT_WORDS: in each precision a value beyond the largest is stored as ∞, one below half
    the smallest as 0 (the oracle's own rounding), and 0·∞ is NaN."""
    from vgapp.panels.counterexample import FLOAT_WORDS

    assert "stored as ∞ (it overflows)" in FLOAT_WORDS
    assert "as 0 (it underflows)" in FLOAT_WORDS
    assert "0·∞ gives NaN" in FLOAT_WORDS
    for name in DTYPES:
        info = np.finfo(name)
        assert round_to(Fraction(float(info.max)) * 2, name) == math.inf
        assert round_to(Fraction(float(info.smallest_subnormal)) / 4, name) == 0
        kind = np.dtype(name).type
        with np.errstate(invalid="ignore"):
            assert math.isnan(float(kind(0) * kind(math.inf)))


def test_each_dtype_rounding_oracle_agrees_with_numpy_where_numpy_rounds_once() -> None:
    """The oracle's rounding against numpy's own casts from float64 (single rounding there)."""
    for name in DTYPES:
        for x in (1.0, 2.0**-24, 2.0**-25, 3 * 2.0**-26, 65504.0, 65520.0, 1e-40, 3.4e38, 1e-300):
            with np.errstate(over="ignore", under="ignore"):
                assert round_to(Fraction(x), name) == float(np.dtype(name).type(x))
