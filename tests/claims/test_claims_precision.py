"""Claims of the floating-point panel ("Floating point eats small updates"), each checked
against an oracle written here:

- rounding: IEEE round-to-nearest-even of an exact rational into float16/32/64, written here
  in ``fractions.Fraction`` arithmetic (``rne``), for the stored ``w``, the stored ``η·g`` and
  ``w − η·g``: the verdicts, the table's cells and the sentences about ``w`` and ``η·g``;
- the table's rule ``η·g ≤ 2ᵉ`` / ``η·g < 2ᵉ``: exhaustive rounding at the bound, just below
  and above it (rationals), and at the bound's float neighbours in the dtype;
- the step count: the literal loop ``w = w − u`` with numpy scalars of the dtype; and, for
  counts far beyond any loop, an exact count within one binade (the step is ``u`` rounded to a
  multiple of the binade's spacing, no tie), in Fractions;
- the chart's line: an update just below it is lost and one just above is not (``rne``).

η·g is formed as ``vgapp.panels.precision.update_size`` documents: ``η × 10.0**k`` in float64.
Nothing here calls vgcore.precision for an expected value.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from claims.edges import DTYPES, control_values, powers_of_two_and_neighbours, signed
from vgapp.blocks import PanelView, Table
from vgapp.page import LESSONS, PANELS

PANEL = PANELS["precision"]
CONTROLS = {c.key: c for c in PANEL.controls}
FORMATS = {"float16": (10, -14, 15), "float32": (23, -126, 127), "float64": (52, -1022, 1023)}
"""(stored fraction bits, smallest normal exponent, largest exponent)."""
LARGEST = {d: (2 - Fraction(2) ** -FORMATS[d][0]) * Fraction(2) ** FORMATS[d][2] for d in DTYPES}
INF = math.inf
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")

Exact = Fraction | float  # a Fraction, or ±inf after an overflow


# ---------------------------------------------------------------- the oracles


def rne(x: Exact, dtype: str) -> Exact:
    """IEEE round to nearest, ties to even, of the exact ``x`` into ``dtype``; ±inf past the
    largest finite value (including the tie at largest + half its spacing)."""
    if isinstance(x, float):
        return x  # ±inf stays
    if x == 0:
        return Fraction(0)
    nmant, emin, _ = FORMATS[dtype]
    sign, a = (1, x) if x > 0 else (-1, -x)
    exponent = a.numerator.bit_length() - a.denominator.bit_length()
    if a < Fraction(2) ** exponent:
        exponent -= 1
    quantum = Fraction(2) ** (max(exponent, emin) - nmant)
    whole, rest = divmod(a, quantum)
    rest /= quantum
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    rounded = whole * quantum
    return sign * INF if rounded > LARGEST[dtype] else sign * rounded


def sub(a: Exact, b: Exact) -> Exact:
    """``a − b`` exactly, with ±inf as IEEE has it (∞ − ∞ is left to the caller)."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a) - float(b)
    return a - b


def eta_g(values: dict) -> float:
    """η·g as the page documents it: ``η × 10.0**k``, in float64."""
    return values["fp_eta"] * 10.0 ** values["fp_grad_exp"]


def oracle(values: dict, dtype: str) -> dict:
    """The stored w, the stored η·g, w − η·g and the verdict in ``dtype``, by ``rne``."""
    w = rne(Fraction(values["fp_w"]), dtype)
    u = rne(Fraction(eta_g(values)), dtype)
    if isinstance(w, float):
        return {"w": w, "u": u, "result": None, "verdict": "none"}
    result = rne(sub(w, u), dtype)
    if isinstance(u, float) or isinstance(result, float):
        verdict = "overflow"
    else:
        verdict = "lost" if result == w else "applied"
    return {"w": w, "u": u, "result": result, "verdict": verdict}


def lost_on(w: Fraction, d: Fraction, dtype: str) -> bool:
    """Whether ``w − d`` (exact, then rounded) is ``w``."""
    return rne(w - d, dtype) == w


def loop(w: float, step: float, dtype: str, cap: int) -> tuple[str, int, float] | None:
    """The literal loop ``w ← w − u`` in ``dtype`` (numpy scalars) until |w − w₀| ≥ |w₀|/100
    (compared exactly), a step that changes nothing, or ∞; None past ``cap`` steps."""
    kind = np.dtype(dtype).type
    with np.errstate(over="ignore", under="ignore"):
        w0, u = kind(w), kind(step)
    current = w0
    for k in range(cap + 1):
        if 100 * abs(Fraction(float(current)) - Fraction(float(w0))) >= abs(Fraction(float(w0))):
            return ("reached", k, float(current))
        with np.errstate(over="ignore"):
            following = current - u
        if following == current:
            return ("stuck", k, float(current))
        if not np.isfinite(following):
            return ("overflow", k + 1, float(following))
        current = following
    return None


# ---------------------------------------------------------------- reading the page


def view(values: dict) -> PanelView:
    return PANEL.view(**PANEL.arguments(values))


def number(text: str) -> Fraction:
    """A number as the page writes it: ``−1.5``, ``2.44 × 10⁻⁴``, ``10⁻⁹``, ``2⁻¹²``, ``65504``,
    ``1,234`` (a leading ``≈ `` is dropped)."""
    text = text.removeprefix("≈ ").replace("−", "-").replace(",", "")
    if " × 10" in text:
        mantissa, power = text.split(" × 10")
        return Fraction(Decimal(mantissa)) * Fraction(10) ** int(power.translate(_SUP))
    for base in ("10", "2"):
        rest = text.lstrip("-").removeprefix(base)
        if rest and rest != text.lstrip("-") and all(c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺" for c in rest):
            sign = -1 if text.startswith("-") else 1
            return sign * Fraction(int(base)) ** int(rest.translate(_SUP))
    return Fraction(Decimal(text))


def names(text: str, value: Exact, dtype: str) -> bool:
    """Whether the page's ``text`` states ``value``: exactly, or with ``≈`` a decimal that
    rounds to it in ``dtype`` (and is not it)."""
    if isinstance(value, float):
        return text == ("+∞" if value > 0 else "−∞")
    stated = number(text)
    if text.startswith("≈ "):
        return stated != value and rne(stated, dtype) == value
    return stated == value


def three_digits(n: int | Fraction, text: str) -> bool:
    """Whether ``text`` (``m.mm × 10ᵉ``) is ``n`` to 3 significant digits: within half a unit
    of its last digit (a float64 holding ``n`` may round a decimal tie either way)."""
    mantissa, power = text.split(" × 10")
    if not re.fullmatch(r"−?[1-9]\.[0-9]{2}", mantissa):
        return False
    unit = Fraction(10) ** (int(power.translate(_SUP)) - 2)
    stated = Fraction(Decimal(mantissa.replace("−", "-"))) * unit * 100
    return abs(stated - Fraction(n)) <= unit / 2 * (1 + Fraction(1, 10**12))


def table(result: PanelView):
    """The table of cells (behind the fold), after checking that each precision's plain
    sentence says what its cells say."""
    frame = next(b for b in result.walk() if isinstance(b, Table) and "stored w" in b.frame).frame
    frame = frame.set_index("precision")
    words = next(b for b in result.walk() if isinstance(b, Table) and "in words" in b.frame)
    said = words.frame.set_index("precision")["in words"]
    assert list(said.index) == list(frame.index)
    for name, row in frame.iterrows():
        sentence, verdict = said[name], verdict_of_cell(row["update lost?"])
        opening = {
            "lost": "the update is lost: ",
            "applied": "the update is applied: ",
            "overflow": "the update is not lost but destroys w: w − η·g becomes −∞.",
            "none": f"w is stored as {row['stored w']}: no update applies.",
        }[verdict]
        assert sentence.startswith(opening), (sentence, verdict)
        if verdict in ("lost", "applied"):
            assert f"with w stored as {row['stored w']}, " in sentence
            assert f" update with {row['update lost when']} is" in sentence
    return frame


def verdict_of_cell(cell: str) -> str:
    if cell == "yes: lost":
        return "lost"
    if cell == "no":
        return "applied"
    if cell == "no: w becomes −∞":
        return "overflow"
    assert cell in ("— (w is +∞)", "— (w is −∞)"), cell
    return "none"


def typed_w(text: str, w: float) -> bool:
    """The page's ``w = …`` names the float64 the visitor typed (not a 6-digit rounding)."""
    return float(number(text)) == w


# ---------------------------------------------------------------- the settings


W_EDGES = [
    65504.0, 65519.99, 65520.0, math.nextafter(65520.0, 0), 65505.0, 65519.0, 65536.0, 1e6,
    64992.0, 65000.0, 2.0**-24, 2.0**-25, 1.5 * 2.0**-25, 3 * 2.0**-26, 2.0**-14, 2.0**-149,
    2.0**-150, 2.0**-126, 5e-324, 1e-323, 1 + 2.0**-10, 1 + 2.0**-23, 1.999, 2.0, 100.0, 0.1,
    1e-9, 1e-45,
]  # fmt: skip
ETA_EDGES = [2.0**-10, 2.0**-11, 2.0**-12, 1.5, 1.6, 3.2, 2.0**-13, 0.75, 8.0]

SETTINGS = st.fixed_dictionaries(
    {
        "fp_w": control_values(CONTROLS["fp_w"], W_EDGES + [-v for v in W_EDGES]),
        "fp_eta": control_values(CONTROLS["fp_eta"], ETA_EDGES),
        "fp_grad_exp": control_values(CONTROLS["fp_grad_exp"], [0, -3, -4, -8, -16, -45, 4]),
        "fp_dtype": control_values(CONTROLS["fp_dtype"]),
    }
)


def log10_floor(x: Fraction) -> int:
    """⌊log10 x⌋ for a positive rational of any size (no float underflow)."""
    k = len(str(x.numerator)) - len(str(x.denominator))
    while Fraction(10) ** k > x:
        k -= 1
    while Fraction(10) ** (k + 1) <= x:
        k += 1
    return k


def eta_for(u: Fraction) -> tuple[float, int] | None:
    """η in the control's range and k with η × 10.0**k == u exactly in float64, if one of the
    floats next to u/10^k does it; else the nearest, or None out of range."""
    control = CONTROLS["fp_eta"]
    for k in (log10_floor(u), log10_floor(u) - 1):
        if not -60 <= k <= 5:
            continue
        eta = float(u / Fraction(10) ** k)
        near = [eta]
        up = down = eta
        for _ in range(4):
            up, down = math.nextafter(up, math.inf), math.nextafter(down, 0)
            near += [up, down]
        for value in near:
            if control.low <= value <= control.high and Fraction(value * 10.0**k) == u:
                return value, k
    k = min(max(log10_floor(u), -60), 5)
    eta = control.canonical(float(u / Fraction(10) ** k))
    return (eta, k) if control.low <= eta <= control.high else None


@st.composite
def ties(draw: st.DrawFn) -> dict:
    """η·g an odd multiple of half the gap below w (w > 0) or above |w| (w < 0), exact where some
    η gives it: a tie in w − η·g, and for multiples above 1 ties in every counted step."""
    dtype = draw(st.sampled_from(DTYPES))
    kind = np.dtype(dtype).type
    with np.errstate(over="ignore", under="ignore"):
        w = float(kind(draw(signed(powers_of_two_and_neighbours(-30, 19)))))
    if not (0 < abs(w) <= 1e6):
        return at(1.0, 0.1, -16, dtype)
    toward = kind(0) if w > 0 else kind(-np.inf)
    with np.errstate(over="ignore"):
        neighbour = float(np.nextafter(kind(w), toward))
    if not math.isfinite(neighbour):  # −65504 in float16: the gap of its binade
        neighbour = 2 * w - float(np.nextafter(kind(w), kind(0)))
    gap = abs(Fraction(w) - Fraction(neighbour))
    u = gap / 2 * draw(st.sampled_from([1, 1, 3, 5, 7]))
    found = eta_for(u)
    if found is None:
        return at(w, 0.1, -16, dtype)
    return at(w, found[0], found[1], dtype)


EVERY = st.one_of(SETTINGS, ties())
LESSON_SETTINGS = [
    {**PANEL.defaults(), **{k: v for k, v in lesson.values.items() if k in CONTROLS}}
    for lesson in LESSONS.values()
    if any(k in CONTROLS for k in lesson.values)
]


def at(w: float, eta: float, k: int, dtype: str) -> dict:
    return {"fp_w": w, "fp_eta": eta, "fp_grad_exp": k, "fp_dtype": dtype}


def edge_examples(test):
    """The issue's settings and the edges named in it, as explicit examples."""
    for values in [
        at(1e6, 10.0, 5, "float16"),  # w overflows, η·g overflows
        at(65519.99, 0.1, -3, "float16"),  # rounds to 65504
        at(65520.0, 0.1, -3, "float16"),  # the tie: +∞
        at(-65504.0, 1.6, 1, "float16"),  # the sum overflows at the tie 65520
        at(-65000.0, 3.2, 1, "float16"),  # the count ends in an overflow
        at(0.0, 0.1, -16, "float64"),  # the "< 0 (exactly)"
        at(0.0, 1.0, -45, "float32"),  # η·g below 2⁻¹⁵⁰: lost at 0
        at(-1.999, 2.0**-10, 0, "float16"),  # stuck at −2
        at(1 + 2.0**-10, 2.0**-11, 0, "float16"),  # a tie on an odd w
        at(1.0, 2.0**-12, 0, "float16"),  # a tie on an even w below a power of two
        at(100.0, 1.0, 0, "float64"),  # exactly 1 % in one step
        at(1e-9, 0.1, -16, "float16"),  # w underflows to 0
        at(2.0**-25, 1.0, -8, "float16"),  # the half-subnormal tie: w rounds to 0
        at(5e-324, 1.0, -60, "float64"),  # the smallest subnormal
        at(1.0, 0.1, -12, "float64"),  # the slow-update lesson figure
        *LESSON_SETTINGS,
    ]:
        test = example(values)(test)
    return test


# ---------------------------------------------------------------- the verdicts and the table


@settings(max_examples=300, deadline=None)
@edge_examples
@given(EVERY)
def test_verdicts_and_stored_w_in_every_row(values: dict) -> None:
    """The chosen precision's verdict metric and every row's "stored w" and "update lost?"
    cells against ``rne``; ∞ gets no verdict, an overflowing update or sum is "destroys w"."""
    result = view(values)
    rows = table(result)
    for dtype in DTYPES:
        truth = oracle(values, dtype)
        event(f"{dtype}: {truth['verdict']}")
        row = rows.loc[dtype]
        assert verdict_of_cell(row["update lost?"]) == truth["verdict"]
        w, cell = truth["w"], row["stored w"]
        if isinstance(w, float):
            assert cell == ("+∞" if w > 0 else "−∞") + " (overflow)"
        elif w != Fraction(values["fp_w"]):
            if w == 0:
                assert cell == "0 (underflow)"
            else:
                assert cell.endswith(" (rounded)")
                assert names(cell.removesuffix(" (rounded)"), w, dtype)
        else:
            assert typed_w(cell, values["fp_w"]), cell
    chosen = oracle(values, values["fp_dtype"])
    metrics = {m.label: m.value for m in result.metrics}
    shown = metrics[f"in {values['fp_dtype']}"]
    expected = {
        "lost": "lost",
        "applied": "applied",
        "overflow": "destroys w: w − η·g = −∞",
        "none": f"none: w is {'+∞' if chosen['w'] == INF else '−∞'}",
    }[chosen["verdict"]]
    assert shown == expected
    assert result.facts["lost"] is (chosen["verdict"] == "lost")


@settings(max_examples=300, deadline=None)
@edge_examples
@given(EVERY)
def test_the_rule_column_is_exact_with_its_tie(values: dict) -> None:
    """Each row's "η·g ≤ 2ᵉ ≈ …" or "η·g < 2ᵉ ≈ …": updates strictly below 2ᵉ are lost, strictly
    above are not (exact rationals, and the dtype's floats next to 2ᵉ), and at 2ᵉ itself the
    update is lost exactly when the row says ≤; the decimal after ≈/= is 2ᵉ to 3 digits."""
    rows = table(view(values))
    for dtype in DTYPES:
        truth = oracle(values, dtype)
        cell = rows.loc[dtype]["update lost when"]
        if truth["verdict"] == "none":
            assert cell == "—"
            continue
        match = re.fullmatch(r"η·g (≤|<) (2[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+) (=|≈) (.+)", cell)
        assert match, cell
        tie_lost = match[1] == "≤"
        bound = number(match[2])
        w = truth["w"]
        tiny = Fraction(1, 2**80)
        assert lost_on(w, bound * (1 - tiny), dtype)
        assert not lost_on(w, bound * (1 + tiny), dtype)
        assert lost_on(w, bound, dtype) is tie_lost
        kind = np.dtype(dtype).type
        if rne(bound, dtype) == bound:  # the floats of the dtype next to the bound
            below = Fraction(float(np.nextafter(kind(float(bound)), kind(0))))
            above = Fraction(float(np.nextafter(kind(float(bound)), kind(np.inf))))
            assert lost_on(w, below, dtype)
            assert not lost_on(w, above, dtype)
        if match[3] == "=":
            assert number(match[4]) == bound
        else:
            assert number(match[4]) != bound
            assert three_digits(bound, match[4] if "×" in match[4] else _sci(match[4]))
        u = truth["u"]
        if u == bound:
            event(f"η·g at the bound ({'lost' if tie_lost else 'applied'})")
        if not isinstance(u, float) and truth["verdict"] != "overflow":  # the rule's verdict
            assert (truth["verdict"] == "lost") is (u < bound or (u == bound and tie_lost))


def _sci(text: str) -> str:
    """A positional decimal such as ``0.00195`` in the page's 3-digit scientific form."""
    value = Decimal(text)
    mantissa, power = f"{value:.2e}".split("e")
    return (
        f"{mantissa} × 10{str(int(power)).translate(str.maketrans('-0123456789', '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'))}"
    )


# ---------------------------------------------------------------- the step count


COUNT_CAP = 20_000


@st.composite
def loopable(draw: st.DrawFn) -> dict:
    """Settings whose count is at most a few thousand steps: η·g ≈ 1 % of |w| over N."""
    values = draw(SETTINGS)
    w = values["fp_w"]
    if w == 0:
        return values
    wanted = Fraction(abs(w)) / 100 / Fraction(draw(st.integers(1, 3000)))
    k = min(max(log10_floor(wanted), -60), 5)
    eta = CONTROLS["fp_eta"].canonical(float(wanted / Fraction(10) ** k))
    if not CONTROLS["fp_eta"].low <= eta <= CONTROLS["fp_eta"].high:
        return values
    return {**values, "fp_eta": eta, "fp_grad_exp": k}


def steps_words(n: int, text: str) -> bool:
    """``text`` says ``n`` steps: exactly below 10⁴ ("1 step", "2,345 steps"), else to 3
    significant digits ("1.23 × 10⁵ steps")."""
    if n < 10_000:
        return text == f"{n:,} step{'s' * (n != 1)}"
    return text.endswith(" steps") and three_digits(n, text.removesuffix(" steps"))


def check_count(values: dict, text: str, ending: tuple[str, int, float]) -> None:
    """The metric's value against the loop's ending."""
    outcome, steps, final = ending
    if outcome == "reached":
        assert text == f"{steps:,}" if steps < 10_000 else three_digits(steps, text), text
    elif outcome == "stuck":
        match = re.fullmatch(r"never: stuck at (.+) after (.+)", text)
        assert match, text
        assert names(match[1], Fraction(final), values["fp_dtype"])
        assert steps_words(steps, match[2])
    else:
        assert text == f"never: w overflows to {'+∞' if final > 0 else '−∞'} at step {steps:,}"


def states(value: Fraction, text: str) -> bool:
    """``text`` is ``value`` exactly, or to 3 significant digits (``m.mm × 10ᵉ``, ``m.mm``)."""
    if number(text) == value:
        return True
    return three_digits(value, text if "×" in text else f"{text} × 10⁰")


@st.composite
def crossings(draw: st.DrawFn) -> dict:
    """A weight just inside a power of two, moving across it (w < 0: the gap doubles there) or
    toward zero, by an update near the gaps on either side: where counts get stuck, and, next to
    float16's largest value, overflow."""
    dtype = draw(st.sampled_from(DTYPES))
    nmant = FORMATS[dtype][0]
    top = dtype == "float16" and draw(st.booleans())  # next to 65504, the overflow at 2¹⁶
    e = 16 if top else draw(st.integers(-8, 19) if dtype != "float16" else st.integers(-8, 15))
    gap_below = Fraction(2) ** (e - 1 - nmant)
    magnitude = Fraction(2) ** e - draw(st.integers(1 if top else 0, 30 if top else 6)) * gap_below
    if dtype == "float16":  # 1 % of |w| is about 20 gaps: every ending is within a loop
        sign = draw(st.sampled_from([-1, -1, 1]))
        factor = draw(st.sampled_from([Fraction(n, 4) for n in (1, 2, 3, 4, 5, 6, 8, 12, 16)]))
    else:  # 1 % is 10⁵ gaps and more: only the stuck endings are loopable
        sign = -1
        factor = draw(st.sampled_from([Fraction(2, 4), Fraction(3, 4), Fraction(1)]))
    wobble = draw(st.sampled_from([1, 1 + Fraction(1, 2**20), 1 - Fraction(1, 2**20)]))
    u = gap_below * factor * wobble
    k = min(max(log10_floor(u), -60), 5)
    eta = CONTROLS["fp_eta"].canonical(float(u / Fraction(10) ** k))
    w = CONTROLS["fp_w"].canonical(float(sign * magnitude))
    if not CONTROLS["fp_eta"].low <= eta <= CONTROLS["fp_eta"].high or abs(w) > 1e6:
        return at(w if abs(w) <= 1e6 else 1.0, 0.1, -3, dtype)
    return at(w, eta, k, dtype)


@settings(max_examples=400, deadline=None)
@edge_examples
@given(st.one_of(loopable(), crossings(), crossings(), EVERY))
def test_the_step_count_is_the_literal_loop(values: dict) -> None:
    """ "steps to move w by 1 %": shown exactly when the update is applied to a nonzero w, and
    then the literal loop's count (or "never: stuck at X after N steps", "never: w overflows")."""
    result = view(values)
    metrics = {m.label: m for m in result.metrics}
    dtype = values["fp_dtype"]
    truth = oracle(values, dtype)
    shown = "steps to move w by 1 %" in metrics
    assert shown == (truth["verdict"] == "applied" and truth["w"] != 0)
    if not shown:
        return
    ending = loop(values["fp_w"], eta_g(values), dtype, COUNT_CAP)
    if ending is None:
        event("count beyond the loop's cap")
        return
    event(f"count: {ending[0]}")
    if ending[0] != "reached":
        event(f"count: {ending[0]} ({dtype})")
    metric = metrics["steps to move w by 1 %"]
    check_count(values, metric.value, ending)
    estimate = re.search(r"0\.01·\|w\|/\(η·g\) = (.+?) \(", metric.help)
    assert estimate
    ratio = abs(truth["w"]) / 100 / Fraction(eta_g(values))
    assert states(ratio, estimate[1])


@st.composite
def one_binade_runs(draw: st.DrawFn) -> tuple[dict, int]:
    """float64/float32 settings whose whole run stays in one binade with a step that is not a
    tie, counts about 10⁵..10¹³ (float32: 10³..10⁴): the exact count is ⌈(|w|/100) / δ⌉ with
    δ = u rounded to the binade's spacing (every exact w − u stays in the binade, so every step
    is δ)."""
    dtype = draw(st.sampled_from(["float32", "float64"]))
    w = draw(control_values(CONTROLS["fp_w"]).filter(lambda v: abs(v) > 1e-30))
    digits = draw(st.integers(5, 13) if dtype == "float64" else st.integers(3, 4))
    wanted = Fraction(abs(w)) / 100 / Fraction(10) ** digits
    k = min(max(log10_floor(wanted), -60), 5)
    eta = CONTROLS["fp_eta"].canonical(float(wanted / Fraction(10) ** k))
    values = at(w, eta, k, dtype)
    stored = rne(Fraction(w), dtype)
    u = rne(Fraction(eta_g(values)), dtype)
    nmant, emin, _ = FORMATS[dtype]
    a = abs(stored)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    e -= a < Fraction(2) ** e
    if e < emin or not CONTROLS["fp_eta"].low <= eta <= CONTROLS["fp_eta"].high:
        return values, -1
    spacing = Fraction(2) ** (e - nmant)
    whole, rest = divmod(u / spacing, 1)
    if rest == Fraction(1, 2):
        return values, -1
    delta = spacing * (whole + (rest > Fraction(1, 2)))
    if delta == 0:
        return values, -1
    n = -(-(a / 100) // delta)
    low, high = Fraction(2) ** e, Fraction(2) ** (e + 1)
    if stored > 0:
        ok = stored - (n - 1) * delta - u >= low
    else:
        ok = a + (n - 1) * delta + u <= high and a + n * delta < high
    return values, (int(n) if ok else -1)


@settings(max_examples=200, deadline=None)
@given(one_binade_runs())
def test_large_counts_match_the_exact_binade_count(case: tuple[dict, int]) -> None:
    values, n = case
    if n < 0:
        event("not a one-binade run")
        return
    metrics = {m.label: m.value for m in view(values).metrics}
    text = metrics["steps to move w by 1 %"]
    assert text == f"{n:,}" if n < 10_000 else three_digits(n, text)


# ---------------------------------------------------------------- sentences, alt text, chart


@settings(max_examples=300, deadline=None)
@edge_examples
@given(EVERY)
def test_sentences_about_w_and_the_update(values: dict) -> None:
    """What the page says about w and η·g not fitting the chosen precision, the alt text and
    the chart's subtitle and ◆, against ``rne``."""
    result = view(values)
    dtype = values["fp_dtype"]
    truth = oracle(values, dtype)
    w, u = truth["w"], truth["u"]
    warnings = [t.text for t in result.texts if t.kind == "warning"]
    about_w = [t for t in warnings if t.startswith("w = ")]
    chart = result.chart("lost_updates")
    description = chart.spec["description"]
    if isinstance(w, float):
        sign = "+∞" if w > 0 else "−∞"
        (sentence,) = about_w
        match = re.fullmatch(
            rf"w = (.+) is too large for {dtype} \(its largest number is (.+)\): it rounds to "
            rf"{re.escape(sign)}, and no update changes ∞\. There is no verdict and no step "
            r"count\.",
            sentence,
        )
        assert match, sentence
        assert typed_w(match[1], values["fp_w"])
        assert number(match[2]) == LARGEST[dtype]
        assert len(warnings) == 1
        assert "no verdict" in chart.alt
        assert sign in chart.alt
        for words in (chart.alt, description):
            assert "applied" not in words
            assert " is lost" not in words
        assert f"in {dtype} w is {sign}: no update applies." in description
        assert not any(
            layer.get("mark", {}).get("shape") == "diamond" for layer in chart.spec["layer"]
        )
        return
    exact = w == Fraction(values["fp_w"])
    if exact:
        assert about_w == []
    elif w == 0:
        (sentence,) = about_w
        match = re.fullmatch(
            rf"w = (.+) is too small for {dtype}: it rounds to 0\. The verdict is for w = 0\.",
            sentence,
        )
        assert match
        assert typed_w(match[1], values["fp_w"])
    else:
        (sentence,) = about_w
        match = re.fullmatch(
            rf"w = (.+) is not a {dtype} number: it is stored as the nearest one( \(the largest "
            r"one\))?, (.+)\. The verdict and the count are for that value\.",
            sentence,
        )
        assert match, sentence
        assert typed_w(match[1], values["fp_w"])
        assert bool(match[2]) == (abs(w) == LARGEST[dtype])
        assert names(match[3], w, dtype)
    about_u = [t for t in warnings if not t.startswith("w = ")]
    if isinstance(u, float):
        (sentence,) = about_u
        assert re.fullmatch(
            rf"η·g = .+ is too large for {dtype}: it rounds to \+∞, and w − η·g = −∞\. The "
            r"update is not lost: it destroys w\.",
            sentence,
        ), sentence
    elif truth["verdict"] == "overflow":
        (sentence,) = about_u
        match = re.fullmatch(
            rf"w − η·g lies beyond {dtype}'s largest number (.+): it rounds to −∞\. The update "
            r"is not lost: it destroys w\.",
            sentence,
        )
        assert match
        assert number(match[1]) == LARGEST[dtype]
    elif u == 0:
        (sentence,) = about_u
        assert re.fullmatch(
            rf"η·g = .+ is too small for {dtype}: it rounds to 0, so w − η·g is w itself\.",
            sentence,
        ), sentence
    else:
        assert about_u == []
    # the alt text
    stored_note = "" if exact else rf" \(stored in {dtype} as (.+)\)"
    verb = {"lost": "is lost on", "applied": "is applied on", "overflow": "destroys"}[
        truth["verdict"]
    ]
    tail = r" in .+: w − η·g rounds to −∞\." if truth["verdict"] == "overflow" else r" in .+\."
    match = re.fullmatch(rf"The update η·g = (.+) {verb} w = (.+?){stored_note}{tail}", chart.alt)
    assert match, chart.alt
    assert typed_w(match[2], values["fp_w"])
    if not exact:
        assert names(match[3], w, dtype)
    # the chart: ◆ at (|w|, η·g as stored) when both are on the log axes
    diamonds = [
        layer for layer in chart.spec["layer"] if layer.get("mark", {}).get("shape") == "diamond"
    ]
    drawn = w != 0 and not isinstance(u, float) and u != 0
    assert len(diamonds) == drawn
    if drawn:
        (row,) = diamonds[0]["data"]["values"]
        assert Fraction(row["abs_w"]) == abs(w)
        assert Fraction(row["step"]) == u
    word = {"lost": "is lost", "applied": "is applied", "overflow": "destroys w: w − η·g = −∞"}
    assert word[truth["verdict"]] in description
    assert ("(◆)" in description) == drawn
    if not drawn and truth["verdict"] != "overflow":
        why = "w is 0" if w == 0 else f"η·g rounds to 0 in {dtype}"
        assert f"(no ◆: {why})" in description


def test_the_line_is_the_lost_update_threshold() -> None:
    """ "Updates below the line vanish": at every plotted |w|, an update just below the line is
    lost and one just above is not, for w > 0 (the gap below |w|) and w < 0 (above)."""
    tiny = Fraction(1, 2**80)
    for w, words in ((1.0, "half the gap below |w|"), (-1.0, "half the gap above |w|")):
        chart = view(at(w, 0.1, -16, "float64")).chart("lost_updates")
        assert chart.spec["layer"][0]["encoding"]["y"]["title"] == f"η·g; line: {words}"
        frame = chart.frame
        for dtype, abs_w, line in frame[["precision", "abs_w", "threshold"]].itertuples(False):
            stored = Fraction(abs_w) if w > 0 else -Fraction(abs_w)
            assert rne(stored, dtype) == stored
            assert lost_on(stored, Fraction(line) * (1 - tiny), dtype)
            assert not lost_on(stored, Fraction(line) * (1 + tiny), dtype)


def test_the_static_words() -> None:
    """INTRO, the tie note and the correction, against rounding by ``rne``."""
    from vgapp.panels import precision

    # "w + d == w when |d| is below half the gap … exactly half is a tie: even neighbour"
    for dtype in DTYPES:
        nmant = FORMATS[dtype][0]
        one, odd = Fraction(1), 1 + Fraction(2) ** -nmant
        half_gap = Fraction(2) ** (-nmant - 1)
        assert lost_on(one, -half_gap, dtype)
        assert not lost_on(odd, -half_gap, dtype)
        # the gap doubles at a power of two above the smallest normal, not at the smallest
        _, emin, _ = FORMATS[dtype]
        assert (
            rne(Fraction(2) ** emin - Fraction(2) ** (emin - nmant), dtype) != Fraction(2) ** emin
        )
    assert "doubling at each power of two above the smallest normal number" in precision.INTRO
    # "below it, among the subnormal numbers, the gap stays at its smallest"
    assert "among the subnormal numbers, the gap stays at its smallest" in precision.INTRO
    for dtype in DTYPES:
        kind = np.dtype(dtype).type
        info = np.finfo(dtype)
        tiny = info.smallest_subnormal
        for x in (kind(0), tiny, kind(info.smallest_normal) / kind(3), info.smallest_normal):
            assert np.nextafter(x, kind(np.inf)) - x == tiny
    # the correction: "at |w| = 1 updates below ε/2 (ε/4 going down) already vanish", "on a
    # float64 weight of 1000 an update of 10⁻¹⁴ vanishes although it is far above ε"
    eps = Fraction(2) ** -52
    # "machine epsilon ε (the gap between 1 and the next number)", in each precision
    assert "ε (the gap between 1 and the next number)" in precision.CORRECTION
    for dtype in DTYPES:
        kind = np.dtype(dtype).type
        assert np.nextafter(kind(1), kind(2)) - kind(1) == np.finfo(dtype).eps
    assert Fraction(float(np.finfo(np.float64).eps)) == eps
    assert lost_on(Fraction(1), -eps / 2 * (1 - Fraction(1, 2**40)), "float64")
    assert lost_on(Fraction(1), eps / 4 * (1 - Fraction(1, 2**40)), "float64")
    assert not lost_on(Fraction(1), eps / 4 * (1 + Fraction(1, 2**40)), "float64")
    assert lost_on(Fraction(1000), Fraction(1e-14), "float64")
    assert Fraction(1e-14) > 40 * eps
    assert "10⁻¹⁴ vanishes although it is far above ε" in precision.CORRECTION
