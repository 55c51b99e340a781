"""Tests for vgcore.counterexample: the source's numbers exactly, closed forms against a
brute-force exact simulation, exact display against decimal arithmetic, float views against
numpy's own (correctly rounded) casts."""

from __future__ import annotations

import math
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, Inexact
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgcore.counterexample import (
    CounterexampleReport,
    FloatEvent,
    analyse_counterexample,
    gd_value_trace,
)
from vgcore.exact import (
    Scientific,
    _floor_scaled,
    log10_exact,
    log10_float,
    parse_exact,
    sci,
    scientific,
)

LOG10_RTOL = 1e-14  # log10_exact promises ~15 significant digits


def f(c: Fraction, x: Fraction) -> Fraction:
    return max(Fraction(0), c * x)


def derivative(c: Fraction, x: Fraction) -> Fraction:
    return c if x > 0 else Fraction(0)


def simulate(c, p, eta, eps, gatol, fatol):
    """Run gradient descent exactly, step by step, until every rule has fired and the
    minimiser set x <= 0 is reached; return (steps to minimum, {rule: (step, x at stop)})."""
    x, step = p, 0
    fired = {"gatol": (0, x)} if derivative(c, x) <= gatol else {}
    reached = 0 if x <= 0 else None
    while len(fired) < 3 or reached is None:
        x_new = x - eta * derivative(c, x)
        step += 1
        checks = {
            "eps": abs(x_new - x) <= eps,
            "gatol": derivative(c, x_new) <= gatol,
            "fatol": f(c, x) - f(c, x_new) <= fatol,
        }
        for rule, fires in checks.items():
            if fires and rule not in fired:
                fired[rule] = (step, x_new)
        if reached is None and x_new <= 0:
            reached = step
        x = x_new
    return reached, fired


# ---------------------------------------------------------------- the source's numbers


def test_source_numbers_exactly() -> None:
    report = analyse_counterexample()  # c = 1e-90, p = 1e9999, eta = 1
    assert report.c == Fraction(1, 10**90)
    assert report.p == 10**9999
    assert report.value == 10**9909
    assert report.value_above_minimum == 10**9909
    assert report.distance_to_minimiser == 10**9999
    assert report.steps_to_minimum == 10**10089
    assert isinstance(report.steps_to_minimum, int)
    assert report.value_drop_per_step == Fraction(1, 10**180)


def test_source_derivative_is_c_not_the_printed_1e_minus_99() -> None:
    """Correction: the source prints f'(p) = 10^-99; the derivative of max(0, c x) at p > 0
    is c itself, 10^-90."""
    report = analyse_counterexample(c="1e-90", p="1e9999")
    assert report.derivative == Fraction(1, 10**90)
    assert report.derivative != Fraction(1, 10**99)
    assert sci(report.derivative) == "1.00 × 10^-90"


def test_source_stopping_rules_fire_far_from_the_minimum() -> None:
    outcomes = {o.rule: o for o in analyse_counterexample(eps="1e-8", gatol="1e-6").outcomes}
    eps, gatol = outcomes["eps"], outcomes["gatol"]
    assert eps.fires_at_step == 1
    assert eps.value_at_stop == 10**9909 - Fraction(1, 10**180)
    assert eps.distance_at_stop == 10**9999 - Fraction(1, 10**90)
    assert gatol.fires_at_step == 0
    assert gatol.value_at_stop == 10**9909
    assert gatol.distance_at_stop == 10**9999
    assert eps.quantity == Fraction(1, 10**90)  # the parameter change eta c
    assert outcomes["fatol"].fires_at_step is None  # fatol = 0: 10^-180 > 0
    assert outcomes["fatol"].value_at_stop == 0


def test_source_numbers_in_floats() -> None:
    views = {v.dtype: v for v in analyse_counterexample().floats}
    assert [v.dtype for v in analyse_counterexample().floats] == ["float16", "float32", "float64"]
    f64 = views["float64"]
    assert f64.c_in_dtype == float("1e-90")  # the correctly rounded double: exactness intended
    assert f64.p_in_dtype == math.inf
    assert f64.value_in_dtype == math.inf
    assert f64.derivative_in_dtype == float("1e-90")
    assert f64.update_lost is True
    assert f64.events[0] == FloatEvent("stored_overflow", "p", 1)
    for name in ("float32", "float16"):
        view = views[name]
        assert view.c_in_dtype == 0.0
        assert view.p_in_dtype == math.inf
        assert math.isnan(view.value_in_dtype)  # 0 × inf, shown and named in the verdict
        assert view.derivative_in_dtype == 0.0
        assert view.events[:2] == (
            FloatEvent("stored_underflow", "c"),
            FloatEvent("stored_overflow", "p", 1),
        )
        assert FloatEvent("nan", "f", factors=("zero", "inf")) in view.events


# ---------------------------------------------------------------- closed forms vs simulation


small_positive = st.builds(Fraction, st.integers(1, 30), st.integers(1, 12))


@st.composite
def small_case(draw: st.DrawFn):
    c, eta = draw(small_positive), draw(small_positive)
    p = Fraction(draw(st.integers(-40, 200)), draw(st.integers(1, 6)))
    # Thresholds at, just below and just above the quantities the rules compare (ties!).
    marks = [eta * c, c, eta * c * c, c * p, Fraction(0)]
    nudge = st.sampled_from([Fraction(1), Fraction(999, 1000), Fraction(1001, 1000)])

    def threshold():
        return max(Fraction(0), draw(st.sampled_from(marks)) * draw(nudge))

    return c, p, eta, threshold(), threshold(), threshold()


@settings(max_examples=150, deadline=None)
@given(small_case())
def test_report_matches_brute_force_simulation(case) -> None:
    c, p, eta, eps, gatol, fatol = case
    report = analyse_counterexample(c=c, p=p, eta=eta, eps=eps, gatol=gatol, fatol=fatol)
    reached, fired = simulate(c, p, eta, eps, gatol, fatol)
    assert report.steps_to_minimum == reached
    assert report.value == f(c, p)
    assert report.distance_to_minimiser == max(Fraction(0), p)
    for outcome in report.outcomes:
        step, x_stop = fired[outcome.rule]
        assert outcome.threshold == {"eps": eps, "gatol": gatol, "fatol": fatol}[outcome.rule]
        if step <= 1:
            assert outcome.fires_at_step == step
        else:
            assert outcome.fires_at_step is None
            assert x_stop <= 0  # a rule that misses steps 0 and 1 only fires at the minimum
        assert outcome.value_at_stop == f(c, x_stop)
        assert outcome.distance_at_stop == max(Fraction(0), x_stop)


@settings(max_examples=100, deadline=None)
@given(small_case(), st.lists(st.integers(0, 400), min_size=1, max_size=8))
def test_value_trace_matches_simulation(case, ks) -> None:
    c, p, eta, *_ = case
    report = analyse_counterexample(c=c, p=p, eta=eta)
    x, path = p, [p]
    for _ in range(max(ks)):
        x = x - eta * derivative(c, x)
        path.append(x)
    assert gd_value_trace(report, ks) == [f(c, path[k]) for k in ks]
    assert gd_value_trace(report, np.array(ks)) == [f(c, path[k]) for k in ks]


def test_value_trace_at_huge_step_counts() -> None:
    report = analyse_counterexample()
    trace = gd_value_trace(report, [0, 10**10088, 10**10089, 10**10090])
    assert trace == [10**9909, 9 * 10**9908, 0, 0]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 999),
    st.integers(-400, 400),
    st.integers(1, 999),
    st.integers(-400, 400),
    st.integers(1, 99),
    st.integers(-50, 50),
)
def test_steps_to_minimum_is_the_exact_ceiling(pm, pe, cm, ce, em, ee) -> None:
    p, c, eta = Fraction(f"{pm}e{pe}"), Fraction(f"{cm}e{ce}"), Fraction(f"{em}e{ee}")
    steps = analyse_counterexample(
        c=f"{cm}e{ce}", p=f"{pm}e{pe}", eta=f"{em}e{ee}"
    ).steps_to_minimum
    assert (steps - 1) * eta * c < p <= steps * eta * c


def test_exact_threshold_ties_fire() -> None:
    """A rule compares with <=: a threshold exactly equal to the quantity fires."""
    outcomes = {o.rule: o for o in analyse_counterexample("2", "100", "3", "6", "2", "12").outcomes}
    assert outcomes["eps"].fires_at_step == 1  # eta c = 6
    assert outcomes["gatol"].fires_at_step == 0  # c = 2
    assert outcomes["fatol"].fires_at_step == 1  # eta c^2 = 12
    assert outcomes["eps"].value_at_stop == 2 * (100 - 6)
    below = {o.rule: o for o in analyse_counterexample("2", "100", "3", "5.99", "1.99").outcomes}
    assert below["eps"].fires_at_step is None
    assert below["gatol"].fires_at_step is None


# ---------------------------------------------------------------- the kink and p <= 0


def test_kink_at_zero_reports_left_derivative() -> None:
    report = analyse_counterexample(c="3", p="0")
    assert report.value == 0
    assert report.derivative == 0  # documented choice: left derivative (ReLU convention)
    assert report.steps_to_minimum == 0
    assert report.distance_to_minimiser == 0
    assert all(o.value_at_stop == 0 for o in report.outcomes)
    assert {o.rule: o.fires_at_step for o in report.outcomes} == {
        "eps": 1,
        "gatol": 0,
        "fatol": 1,
    }
    assert all(v.update_lost is False for v in report.floats)


def test_negative_p_is_already_a_minimiser() -> None:
    report = analyse_counterexample(c="1e-90", p="-1e9999")
    assert (report.value, report.derivative, report.steps_to_minimum) == (0, 0, 0)
    assert report.distance_to_minimiser == 0
    assert gd_value_trace(report, [0, 5]) == [0, 0]
    f64 = {v.dtype: v for v in report.floats}["float64"]
    assert f64.p_in_dtype == -math.inf
    assert f64.value_in_dtype == 0.0  # max(0, 1e-90 × -inf) = max(0, -inf)
    assert f64.derivative_in_dtype == 0.0


def test_just_above_zero_has_derivative_c() -> None:
    report = analyse_counterexample(c="3", p="1e-300")
    assert report.derivative == 3
    assert report.steps_to_minimum == 1


# ---------------------------------------------------------------- float views vs numpy


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-320, max_value=1e300), st.floats(min_value=-1e300, max_value=1e300))
def test_float_views_round_like_numpy(c: float, p: float) -> None:
    report = analyse_counterexample(c=Fraction(c), p=Fraction(p), eta=1)
    for view in report.floats:
        kind = np.dtype(view.dtype).type
        with np.errstate(over="ignore"):  # numpy's cast may overflow to inf: that is the check
            c_d, p_d = kind(c), kind(p)
        assert view.c_in_dtype == float(c_d)
        assert view.p_in_dtype == float(p_d)


def test_float_view_rounds_exactly_without_double_rounding() -> None:
    # 1 + 2^-11 + 2^-60 is just above a float16 tie; through float64 it would become the tie
    # 1 + 2^-11 and round down to 1.
    x = 1 + Fraction(1, 2**11) + Fraction(1, 2**60)
    view = {v.dtype: v for v in analyse_counterexample(c=x, p=1).floats}["float16"]
    assert view.c_in_dtype == 1 + 2.0**-10
    tie = {v.dtype: v for v in analyse_counterexample(c=1 + Fraction(1, 2**11)).floats}
    assert tie["float16"].c_in_dtype == 1.0  # the tie goes to the even 1


def test_float_view_finite_update_that_counts() -> None:
    f64 = {v.dtype: v for v in analyse_counterexample("0.5", "3", "1").floats}["float64"]
    assert (f64.value_in_dtype, f64.derivative_in_dtype, f64.update_lost) == (1.5, 0.5, False)
    assert f64.events == ()
    lost = {v.dtype: v for v in analyse_counterexample("1e-20", "1", "1").floats}["float64"]
    assert lost.update_lost is True  # 1 - 1e-20 rounds back to 1 in float64


# ---------------------------------------------------------------- exact display


def test_sci_known_values() -> None:
    assert sci(10**9909) == "1.00 × 10^9909"
    assert sci(10**9909, plain=True) == "1.00e+9909"
    assert sci(Fraction(1, 10**90)) == "1.00 × 10^-90"
    assert sci(Fraction(-2, 3), 4) == "-6.667 × 10^-1"
    assert sci(0) == "0"
    assert sci(Fraction(9995, 1000)) == "1.00 × 10^1"  # 999.5 is a tie: to even 1000
    assert sci(Fraction(9985, 1000)) == "9.98 × 10^0"  # 998.5 is a tie: to even 998
    assert sci(10**10089, 1) == "1 × 10^10089"
    assert sci(10**9909 - Fraction(1, 10**180), 3) == "1.00 × 10^9909"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-(10**40), 10**40).filter(lambda n: n != 0),
    st.integers(1, 10**40),
    st.integers(-3000, 3000),
    st.integers(1, 25),
)
def test_sci_matches_decimal(num: int, den: int, power: int, digits: int) -> None:
    x = Fraction(num, den) * Fraction(10) ** power
    context = Context(prec=digits, rounding=ROUND_HALF_EVEN, Emax=10**6, Emin=-(10**6))
    expected = context.divide(Decimal(x.numerator), Decimal(x.denominator))
    mantissa, exponent = f"{expected:.{digits - 1}e}".split("e")
    assert sci(x, digits, plain=True) == f"{mantissa}e{int(exponent):+d}"
    assert sci(x, digits) == f"{mantissa} × 10^{int(exponent)}"


def decimal_parts(x: Fraction, digits: int) -> Scientific:
    """The reference: Python's decimal division, correctly rounded to ``digits`` significant
    digits (half to even), and its Inexact flag."""
    context = Context(prec=digits, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
    quotient = context.divide(Decimal(abs(x.numerator)), Decimal(x.denominator))
    _, digit_tuple, last = quotient.as_tuple()
    text = "".join(map(str, digit_tuple)).ljust(digits, "0")  # an exact quotient may be short
    exponent = int(last) + len(digit_tuple) - 1
    mantissa = text[0] + ("." + text[1:] if digits > 1 else "")
    return Scientific(x < 0, mantissa, exponent, not context.flags[Inexact])


def test_scientific_known_values() -> None:
    assert scientific(10**10089) == Scientific(False, "1.00", 10089, True)
    assert scientific(-(10**9909), 1) == Scientific(True, "1", 9909, True)
    assert scientific(Fraction(-25, 10**91)) == Scientific(True, "2.50", -90, True)
    assert scientific(Fraction(1, 3)) == Scientific(False, "3.33", -1, False)
    assert scientific(Fraction(9995, 1000)) == Scientific(False, "1.00", 1, False)  # tie, odd
    assert scientific(Fraction(9985, 1000)) == Scientific(False, "9.98", 0, False)  # tie, even
    assert scientific(10**10089 - 1, 30) == Scientific(False, "1." + "0" * 29, 10089, False)
    assert scientific(0, 5) == Scientific(False, "0", 0, True)


def test_scientific_shortest_mantissa() -> None:
    """Trailing zeros are dropped only where the mantissa is exact."""
    assert scientific(10**9909).shortest_mantissa == "1"
    assert scientific(Fraction(25, 10**91)).shortest_mantissa == "2.5"
    assert scientific(Fraction(9995, 1000)).shortest_mantissa == "1.00"
    assert scientific(7, 1).shortest_mantissa == "7"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-(10**60), 10**60).filter(lambda n: n != 0),
    st.integers(1, 10**60),
    st.integers(-12000, 12000),
    st.integers(1, 30),
)
def test_scientific_matches_decimal(num: int, den: int, power: int, digits: int) -> None:
    x = Fraction(num, den) * Fraction(10) ** power
    parts = scientific(x, digits)
    assert parts == decimal_parts(x, digits)
    value = Fraction(parts.mantissa) * Fraction(10) ** parts.exponent
    assert (value == abs(x)) is parts.exact
    assert (
        sci(x, digits, plain=True) == f"{'-' * parts.negative}{parts.mantissa}e{parts.exponent:+d}"
    )


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**6), st.integers(0, 12000), st.integers(1, 30))
def test_scientific_of_exact_decimals_is_exact(digits_value: int, power: int, digits: int) -> None:
    """n × 10^k with at most ``digits`` significant digits is represented exactly."""
    significant = len(str(digits_value).rstrip("0"))
    parts = scientific(digits_value * 10**power, digits)
    assert parts.exact is (significant <= digits)
    assert parts == decimal_parts(Fraction(digits_value * 10**power), digits)


def test_log10_exact_known_values() -> None:
    assert math.isclose(log10_exact(10**9909), 9909.0, rel_tol=LOG10_RTOL)
    assert math.isclose(log10_exact(Fraction(1, 10**90)), -90.0, rel_tol=LOG10_RTOL)
    assert math.isclose(log10_exact(10**100000 * 3), 100000 + math.log10(3), rel_tol=LOG10_RTOL)
    assert log10_exact(1) == 0.0
    assert log10_exact(0) == -math.inf


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**60), st.integers(1, 10**60), st.integers(-5000, 5000))
def test_log10_exact_matches_decimal(num: int, den: int, power: int) -> None:
    x = Fraction(num, den) * Fraction(10) ** power
    context = Context(prec=40, Emax=10**6, Emin=-(10**6))
    expected = context.divide(Decimal(num), Decimal(den)).log10(context) + power
    got = log10_exact(x)
    assert math.isclose(got, float(expected), rel_tol=LOG10_RTOL, abs_tol=1e-15)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**80), st.integers(1, 10**80), st.integers(-300_000, 300_000))
def test_log10_float_is_within_its_bound_of_the_decimal_log(num: int, den: int, power: int):
    """The float shortcut (chart coordinates) against 40-digit decimal arithmetic, across the
    whole range the page reaches (10^±300000): within 1e-14 + 4e-16 |log10 x|."""
    x = Fraction(num, den) * Fraction(10) ** power
    context = Context(prec=40, Emax=10**7, Emin=-(10**7))
    expected = float(context.divide(Decimal(num), Decimal(den)).log10(context) + power)
    assert abs(log10_float(x) - expected) <= 1e-14 + 4e-16 * abs(expected)


def test_log10_float_edges() -> None:
    assert log10_float(0) == -math.inf
    assert log10_float(1) == 0.0
    assert log10_float(10**9909) == pytest.approx(9909.0, abs=1e-11)
    with pytest.raises(ValueError, match="x must be >= 0"):
        log10_float(Fraction(-1, 3))
    with pytest.raises(ValueError, match="x must be an exact number"):
        log10_float(0.5)


@given(st.integers(0, 10**700), st.integers(0, 3000))
def test_an_integer_halved_by_a_shift_is_floor_division(n: int, bits: int) -> None:
    """``_floor_scaled``'s shift for an integer (no long division) is floor division."""
    q, r, d = _floor_scaled(Fraction(n), 2, -bits)
    assert (q, r, d) == (n // 2**bits, n % 2**bits, 2**bits)


# ---------------------------------------------------------------- parsing and ValueErrors


def test_parse_exact_values() -> None:
    assert parse_exact("1e-90", "c") == Fraction(1, 10**90)
    assert parse_exact(" 2.5e-300 ", "c") == Fraction(25, 10**301)
    assert parse_exact("1e100000", "p") == 10**100000
    assert parse_exact(0.1, "eta") == Fraction(1, 10)  # via Decimal(str(0.1)), documented
    assert parse_exact(7, "eta") == 7
    assert parse_exact(np.int64(-3), "p") == -3
    assert parse_exact(Fraction(1, 3), "p") == Fraction(1, 3)
    assert parse_exact(Decimal("1.5"), "p") == Fraction(3, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"c": "0"}, "c must be > 0"),
        ({"c": "-1e-90"}, "c must be > 0"),
        ({"c": -1}, "c must be > 0"),
        ({"c": "nan"}, "c must be finite"),
        ({"c": float("nan")}, "c must be finite"),
        ({"p": "inf"}, "p must be finite"),
        ({"p": "-Infinity"}, "p must be finite"),
        ({"p": "abc"}, "p must be a decimal number"),
        ({"p": ""}, "p must be a decimal number"),
        ({"p": "1e100001"}, "p must have a decimal exponent within"),
        ({"p": "1e-100001"}, "p must have a decimal exponent within"),
        ({"p": 10**100010}, "p must have a decimal exponent within"),
        ({"p": True}, "p must be a number or a decimal string"),
        ({"p": None}, "p must be a number or a decimal string"),
        ({"p": [1]}, "p must be a number or a decimal string"),
        ({"eta": "0"}, "eta must be > 0"),
        ({"eta": "-2"}, "eta must be > 0"),
        ({"eps": "-1e-8"}, "eps must be >= 0"),
        ({"gatol": "-1"}, "gatol must be >= 0"),
        ({"fatol": "-0.5"}, "fatol must be >= 0"),
    ],
)
def test_analyse_rejects_bad_inputs(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse_counterexample(**kwargs)


def test_display_functions_reject_bad_inputs() -> None:
    with pytest.raises(ValueError, match="x must be an exact number"):
        sci(1.5)
    with pytest.raises(ValueError, match="x must be an exact number"):
        log10_exact(True)
    with pytest.raises(ValueError, match="digits must be an integer from 1 to 30"):
        sci(5, 0)
    with pytest.raises(ValueError, match="digits must be an integer from 1 to 30"):
        sci(5, 31)
    with pytest.raises(ValueError, match="value must be an exact number"):
        scientific(0.5)
    with pytest.raises(ValueError, match="value must be an exact number"):
        scientific(True)
    with pytest.raises(ValueError, match="digits must be an integer from 1 to 30"):
        scientific(5, 0)
    with pytest.raises(ValueError, match="x must be >= 0"):
        log10_exact(-1)


def test_value_trace_rejects_bad_inputs() -> None:
    report = analyse_counterexample("1", "10")
    assert isinstance(report, CounterexampleReport)
    with pytest.raises(ValueError, match="report must be a CounterexampleReport"):
        gd_value_trace("report", [1])
    with pytest.raises(ValueError, match="k must be a list or array"):
        gd_value_trace(report, "12")
    with pytest.raises(ValueError, match="k must be a list or array"):
        gd_value_trace(report, 3)
    with pytest.raises(ValueError, match="k must be an integer >= 0"):
        gd_value_trace(report, [1, -1])
    with pytest.raises(ValueError, match="k must be an integer"):
        gd_value_trace(report, [1.5])
    with pytest.raises(ValueError, match="k must have at most"):
        gd_value_trace(report, range(10_001))
