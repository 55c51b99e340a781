"""Tests for vgcore.precision against np.finfo, MATH.md's table and an exact oracle: rational
arithmetic (fractions.Fraction) with an explicit round-to-nearest-even written here."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgcore.precision import (
    float_facts,
    float_facts_table,
    lost_update_curve,
    lost_update_rule,
    lost_update_threshold,
    significand_is_even,
    smallest_update_that_counts,
    store,
    ulp,
    update_is_lost,
)
from vgcore.step_count import steps_to_move

# (stored fraction bits, smallest normal exponent, largest exponent) of each IEEE format.
FORMATS = {"float16": (10, -14, 15), "float32": (23, -126, 127), "float64": (52, -1022, 1023)}
DTYPES = tuple(FORMATS)
INF = Fraction(10) ** 400  # stands for "overflowed" in the oracle


def round_nearest_even(x: Fraction, dtype: str) -> Fraction:
    """Exact IEEE round-to-nearest-even of ``x`` into ``dtype``; ``±INF`` on overflow."""
    if x == 0:
        return Fraction(0)
    nmant, emin, emax = FORMATS[dtype]
    sign, a = (1, x) if x > 0 else (-1, -x)
    exponent = a.numerator.bit_length() - a.denominator.bit_length()
    if a < Fraction(2) ** exponent:
        exponent -= 1
    quantum = Fraction(2) ** (max(exponent, emin) - nmant)
    scaled = a / quantum
    whole = scaled.numerator // scaled.denominator
    rest = scaled - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    rounded = whole * quantum
    largest = (2 - Fraction(2) ** -nmant) * Fraction(2) ** emax
    return sign * INF if rounded > largest else sign * rounded


def oracle_is_lost(w: float, delta: float, dtype: str) -> bool:
    stored = round_nearest_even(Fraction(w), dtype)
    update = round_nearest_even(Fraction(delta), dtype)
    if abs(update) == INF:
        return False
    return round_nearest_even(stored + update, dtype) == stored


# ---------------------------------------------------------------- float facts


MATH_MD_TABLE = {  # dtype: (eps_mach, smallest normal, smallest subnormal, largest), as printed
    "float16": ("9.77e-4", "6.10e-5", "5.96e-8", "65504"),
    "float32": ("1.19e-7", "1.18e-38", "1.40e-45", "3.40e38"),
    "float64": ("2.22e-16", "2.23e-308", "4.94e-324", "1.80e308"),
}


def same_to_printed_digits(value: float, printed: str) -> bool:
    """``value`` rounded to the significant digits of ``printed`` gives ``printed``."""
    mantissa = printed.split("e")[0].replace(".", "").lstrip("0")
    digits = len(mantissa) - 1
    return f"{Decimal(value):.{digits}e}" == f"{Decimal(printed):.{digits}e}"  # 1.80e308: no float


def test_table_matches_math_md_to_printed_digits() -> None:
    table = float_facts_table()
    assert [row.dtype for row in table] == list(DTYPES)
    for row in table:
        eps, normal, subnormal, largest = MATH_MD_TABLE[row.dtype]
        assert same_to_printed_digits(row.eps, eps)
        assert same_to_printed_digits(row.smallest_normal, normal)
        assert same_to_printed_digits(row.smallest_subnormal, subnormal)
        assert same_to_printed_digits(row.largest, largest)
    assert table[0].largest == 65504.0  # exact, as printed


@pytest.mark.parametrize("dtype", DTYPES)
def test_facts_match_finfo_and_powers_of_two(dtype: str) -> None:
    facts = float_facts(dtype)
    info = np.finfo(dtype)
    nmant, emin, emax = FORMATS[dtype]
    assert facts.bits == info.bits == {"float16": 16, "float32": 32, "float64": 64}[dtype]
    assert facts.mantissa_bits == nmant
    # Exact powers of two: comparing with == is the point.
    assert Fraction(facts.eps) == Fraction(2) ** -nmant == Fraction(float(info.eps))
    assert Fraction(facts.smallest_normal) == Fraction(2) ** emin
    assert Fraction(facts.smallest_subnormal) == Fraction(2) ** (emin - nmant)
    assert Fraction(facts.largest) == (2 - Fraction(2) ** -nmant) * Fraction(2) ** emax


def test_float_facts_accepts_numpy_dtypes() -> None:
    assert float_facts(np.float32).dtype == "float32"
    assert float_facts(np.dtype("float16")).mantissa_bits == 10


# ---------------------------------------------------------------- ulp and thresholds


@pytest.mark.parametrize("dtype", DTYPES)
def test_ulp_at_one_is_eps_and_scales_with_w(dtype: str) -> None:
    nmant, _, _ = FORMATS[dtype]
    for k in (-8, -1, 0, 1, 5, 10):
        assert Fraction(ulp(2.0**k, dtype)) == Fraction(2) ** (k - nmant)
        assert Fraction(ulp(-(2.0**k), dtype)) == Fraction(2) ** (k - nmant)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ulp_at_zero_and_largest(dtype: str) -> None:
    info = np.finfo(dtype)
    assert ulp(0.0, dtype) == float(info.smallest_subnormal)
    nmant, _, emax = FORMATS[dtype]
    assert Fraction(ulp(float(info.max), dtype)) == Fraction(2) ** (emax - nmant)


def test_ulp_rounds_w_to_dtype_first() -> None:
    # 1 + 2**-12 rounds to 1 in float16 (tie to even), so the spacing is that of 1.
    assert ulp(1 + 2**-12, "float16") == 2.0**-10
    assert ulp(2049.0, "float16") == 2.0  # 2049 is not a float16; it rounds to 2048


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [-10, -3, 0, 1, 7])
def test_threshold_is_relative_to_w(dtype: str, k: int) -> None:
    """At w = 2**k the upward threshold is 2**k * eps / 2 and the downward one half that."""
    nmant, _, _ = FORMATS[dtype]
    w = 2.0**k
    assert Fraction(lost_update_threshold(w, dtype, +1)) == Fraction(2) ** (k - nmant - 1)
    assert Fraction(lost_update_threshold(w, dtype, -1)) == Fraction(2) ** (k - nmant - 2)
    assert Fraction(lost_update_threshold(-w, dtype, +1)) == Fraction(2) ** (k - nmant - 2)


def test_threshold_at_one_downward_is_quarter_ulp() -> None:
    assert lost_update_threshold(1.0, "float64", -1) == ulp(1.0) / 4


def test_threshold_at_zero_and_float64_underflow() -> None:
    assert lost_update_threshold(0.0, "float16") == 2.0**-25
    # 2**-1075 is no float64: documented to round to exactly zero.
    assert lost_update_threshold(0.0, "float64") == 0.0
    assert lost_update_threshold(2.0**-1022, "float64", -1) == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_threshold_boundary_is_the_tie(dtype: str) -> None:
    for w in (1.0, 3.0, 0.75, 1 + 2.0 ** -FORMATS[dtype][0]):
        for direction in (+1, -1):
            t = lost_update_threshold(w, dtype, direction)
            stored = round_nearest_even(Fraction(w), dtype)
            below = direction * Fraction(t) * (1 - Fraction(1, 2**20))
            above = direction * Fraction(t) * (1 + Fraction(1, 2**20))
            assert round_nearest_even(stored + below, dtype) == stored
            assert round_nearest_even(stored + above, dtype) != stored


# ---------------------------------------------------------------- ties, checked by hand


def test_float64_ties_upward() -> None:
    assert update_is_lost(1.0, 2.0**-53) is True  # tie, 1 is even
    assert update_is_lost(1.0, 2.0**-53 * (1 + 2.0**-52)) is False
    assert update_is_lost(1 + 2.0**-52, 2.0**-53) is False  # tie, goes up to the even 1 + 2**-51


def test_float64_ties_downward_at_a_power_of_two() -> None:
    """Below 1 the gap is 2**-53, so the tie is at 2**-54, a quarter of ulp(1)."""
    assert oracle_is_lost(1.0, -(2.0**-54), "float64") is True
    assert update_is_lost(1.0, -(2.0**-54)) is True
    assert oracle_is_lost(1.0, -(2.0**-53), "float64") is False
    assert update_is_lost(1.0, -(2.0**-53)) is False
    assert update_is_lost(1.0, -(2.0**-54) * (1 + 2.0**-52)) is False


def test_float16_ties() -> None:
    assert update_is_lost(1.0, 2.0**-11, "float16") is True  # tie, 1 is even
    assert update_is_lost(1 + 2.0**-10, 2.0**-11, "float16") is False  # tie goes up to even
    assert update_is_lost(1.0, -(2.0**-12), "float16") is True
    assert update_is_lost(1.0, -(2.0**-11), "float16") is False


def test_float32_ties() -> None:
    assert update_is_lost(1.0, 2.0**-24, "float32") is True
    assert update_is_lost(1 + 2.0**-23, 2.0**-24, "float32") is False
    assert update_is_lost(1.0, -(2.0**-25), "float32") is True
    assert update_is_lost(1.0, -(2.0**-24), "float32") is False


def test_zero_update_is_lost_and_overflow_is_not() -> None:
    assert update_is_lost(1.0, 0.0) is True
    assert update_is_lost(3.0, 1e-30, "float16") is True  # the update underflows to 0
    assert update_is_lost(1.0, 1e300, "float32") is False  # the update overflows to inf
    assert update_is_lost(65504.0, 16.0, "float16") is False  # tie at the top goes to inf
    assert update_is_lost(65504.0, 15.0, "float16") is True


def float_in(dtype: str) -> st.SearchStrategy[float]:
    width = {"float16": 16, "float32": 32, "float64": 64}[dtype]
    return st.floats(allow_nan=False, allow_infinity=False, width=width)


@st.composite
def weight_and_update(draw: st.DrawFn) -> tuple[float, float, str]:
    dtype = draw(st.sampled_from(DTYPES))
    w = draw(float_in(dtype))
    # Either any float, or a small multiple of a quarter gap (hits ties and their neighbours).
    if draw(st.booleans()):
        delta = draw(st.floats(allow_nan=False, allow_infinity=False))
    else:
        quarter = Fraction(ulp(w, dtype)) / 4
        wobble = draw(
            st.sampled_from([Fraction(1), 1 + Fraction(1, 2**30), 1 - Fraction(1, 2**30)])
        )
        delta = float(draw(st.integers(-9, 9)) * quarter * wobble)
    return w, delta, dtype


@settings(max_examples=400, deadline=None)
@given(weight_and_update())
def test_update_is_lost_matches_exact_oracle(case: tuple[float, float, str]) -> None:
    w, delta, dtype = case
    assert update_is_lost(w, delta, dtype) is oracle_is_lost(w, delta, dtype)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DTYPES).flatmap(lambda d: st.tuples(st.just(d), float_in(d))))
def test_smallest_update_that_counts_is_minimal(case: tuple[str, float]) -> None:
    dtype, w = case
    delta = smallest_update_that_counts(w, dtype)
    assert delta > 0
    assert not oracle_is_lost(w, delta, dtype)
    assert round_nearest_even(Fraction(delta), dtype) == Fraction(delta)  # a value in dtype
    below = float(np.nextafter(np.dtype(dtype).type(delta), np.dtype(dtype).type(0)))
    assert below == 0.0 or oracle_is_lost(w, below, dtype)


def test_smallest_update_that_counts_known_values() -> None:
    assert smallest_update_that_counts(1.0) == 2.0**-53 * (1 + 2.0**-52)
    assert smallest_update_that_counts(1 + 2.0**-52) == 2.0**-53
    assert smallest_update_that_counts(-1.0) == 2.0**-54 * (1 + 2.0**-52)
    assert smallest_update_that_counts(0.0, "float16") == 2.0**-24
    assert smallest_update_that_counts(65504.0, "float16") == 16.0


# ---------------------------------------------------------------- the chart's curve


@pytest.mark.parametrize("dtype", DTYPES)
def test_curve_is_half_ulp_on_clipped_log_grid(dtype: str) -> None:
    w, threshold = lost_update_curve(dtype, -400.0, 400.0, n=60)
    info = np.finfo(dtype)
    assert w.shape == threshold.shape == (60,)
    assert w[0] == 2 * float(info.smallest_normal)
    assert w[-1] == float(info.max)
    assert np.all(np.diff(w) > 0)
    for wi, ti in zip(w, threshold, strict=True):
        assert ti == ulp(float(wi), dtype) / 2  # both exact powers of two
        assert ti > 0


def test_curve_relative_threshold_tracks_eps() -> None:
    w, threshold = lost_update_curve("float32", -3.0, 3.0, n=50)
    relative = threshold / w
    eps = float(np.finfo(np.float32).eps)
    # ulp(w)/2 / w lies in (eps/4, eps/2] for normal w.
    assert np.all(relative > eps / 4)
    assert np.all(relative <= eps / 2)
    assert math.isclose(float(w[0]), 1e-3, rel_tol=2.0**-10)


# ---------------------------------------------------------------- ValueErrors


def test_bad_dtype_is_rejected() -> None:
    for call in (
        lambda: float_facts("int32"),
        lambda: ulp(1.0, "float128"),
        lambda: update_is_lost(1.0, 1.0, "bfloat16"),
        lambda: lost_update_threshold(1.0, "complex64"),
        lambda: smallest_update_that_counts(1.0, 3),
        lambda: lost_update_curve("half-float", 0.0, 1.0),
    ):
        with pytest.raises(ValueError, match="dtype must be one of"):
            call()


def test_non_finite_or_overflowing_w_is_rejected() -> None:
    with pytest.raises(ValueError, match="w must be finite"):
        ulp(float("nan"))
    with pytest.raises(ValueError, match="w must be finite"):
        update_is_lost(float("inf"), 1.0)
    with pytest.raises(ValueError, match="w must lie within"):
        ulp(1e5, "float16")
    with pytest.raises(ValueError, match="w must lie within"):
        lost_update_threshold(1e39, "float32")
    with pytest.raises(ValueError, match="w must lie within"):
        update_is_lost(1e39, 0.0, "float32")
    with pytest.raises(ValueError, match="w must lie within"):
        smallest_update_that_counts(70000.0, "float16")
    with pytest.raises(ValueError, match="w must be a real number"):
        ulp("1.0")


def test_bad_delta_and_direction_are_rejected() -> None:
    with pytest.raises(ValueError, match="delta must be finite"):
        update_is_lost(1.0, float("-inf"))
    with pytest.raises(ValueError, match="delta must be a real number"):
        update_is_lost(1.0, None)
    for direction in (0, 2, -3):
        with pytest.raises(ValueError, match=r"direction must be \+1 or -1"):
            lost_update_threshold(1.0, "float64", direction)
    with pytest.raises(ValueError, match="direction must be an integer"):
        lost_update_threshold(1.0, "float64", 1.0)


def test_bad_curve_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="w_min_exp10 must be < w_max_exp10"):
        lost_update_curve("float64", 2.0, 2.0)
    with pytest.raises(ValueError, match="must overlap"):
        lost_update_curve("float16", 6.0, 9.0)
    with pytest.raises(ValueError, match="w_max_exp10 must be finite"):
        lost_update_curve("float64", 0.0, float("inf"))
    with pytest.raises(ValueError, match="n must be an integer"):
        lost_update_curve("float64", 0.0, 1.0, n=1)
    with pytest.raises(ValueError, match="n must be an integer"):
        lost_update_curve("float64", 0.0, 1.0, n=10.0)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_lost_update_curve_toward_zero_matches_the_scalar_threshold(dtype):
    """The downward curve is lost_update_threshold(w, direction=-1) at every grid point: a
    quarter ulp at powers of two, half an ulp elsewhere."""
    w, threshold = lost_update_curve(dtype, -3.0, 4.0, 57, toward_zero=True)
    expected = [lost_update_threshold(float(v), dtype, direction=-1) for v in w]
    np.testing.assert_array_equal(threshold, expected)
    _, upward = lost_update_curve(dtype, 0.0, 0.0 + 1e-9, 2, toward_zero=False)
    assert upward[0] == 2 * lost_update_threshold(1.0, dtype, direction=-1)


# ---------------------------------------------------------------- storing w, the exact rule


@pytest.mark.parametrize(
    ("w", "dtype", "value", "kind"),
    [
        (1.0, "float16", 1.0, "exact"),
        (65504.0, "float16", 65504.0, "exact"),
        (65519.99, "float16", 65504.0, "rounded"),  # below the tie 65520: the largest float16
        (65520.0, "float16", math.inf, "overflow"),  # the tie goes to the even 2**16: inf
        (-1e6, "float16", -math.inf, "overflow"),
        (0.1, "float16", 1638 / 16384, "rounded"),
        (2.0**-25, "float16", 0.0, "underflow"),  # half the smallest subnormal: tie to 0
        (2.0**-25 * (1 + 2.0**-52), "float16", 2.0**-24, "rounded"),
        (1e-50, "float32", 0.0, "underflow"),
        (5e-324, "float64", 5e-324, "exact"),
        (0.0, "float32", 0.0, "exact"),
    ],
)
def test_store_says_what_rounding_did(w: float, dtype: str, value: float, kind: str) -> None:
    stored = store(w, dtype)
    assert (stored.value, stored.kind) == (value, kind)
    if math.isfinite(value):
        assert Fraction(value) == round_nearest_even(Fraction(w), dtype)
    else:
        assert abs(round_nearest_even(Fraction(w), dtype)) == INF


@pytest.mark.parametrize(
    ("w", "dtype", "even"),
    [(1.0, "float16", True), (1 + 2.0**-10, "float16", False), (65504.0, "float16", False),
     (0.0, "float64", True), (5e-324, "float64", False), (1e-323, "float64", True),
     (2.0**-14, "float16", True), (3 * 2.0**-24, "float16", False)],
)  # fmt: skip
def test_significand_parity(w: float, dtype: str, even: bool) -> None:
    assert significand_is_even(w, dtype) is even


def test_rule_at_zero_is_half_the_smallest_subnormal_and_the_tie_is_lost() -> None:
    """The issue's case: at w = 0 in float64 the rule is η·g ≤ 2⁻¹⁰⁷⁵, not "< 0"."""
    for dtype, exponent in (("float16", -25), ("float32", -150), ("float64", -1075)):
        rule = lost_update_rule(0.0, dtype, direction=-1)
        assert (rule.exponent, rule.tie_lost) == (exponent, True)
        assert round_nearest_even(-rule.bound, dtype) == 0  # the tie rounds to 0
        assert round_nearest_even(-rule.bound * (1 + Fraction(1, 2**60)), dtype) != 0


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DTYPES).flatmap(lambda d: st.tuples(st.just(d), float_in(d))))
def test_lost_update_rule_is_the_exact_boundary(case: tuple[str, float]) -> None:
    """Updates of each sign: lost strictly below the bound, the tie as the rule says, not lost
    strictly above (rational arithmetic, rounding written in this file)."""
    dtype, w = case
    stored = round_nearest_even(Fraction(w), dtype)
    for direction in (+1, -1):
        rule = lost_update_rule(w, dtype, direction)
        for factor, lost in ((1 - Fraction(1, 2**70), True), (1, rule.tie_lost),
                             (1 + Fraction(1, 2**70), False)):  # fmt: skip
            total = round_nearest_even(stored + direction * rule.bound * factor, dtype)
            assert (total == stored) is lost, (w, direction, factor)


def loop_count(w: float, delta: float, dtype: str, cap: int) -> tuple[str, int, float] | None:
    """The literal loop in the dtype with numpy scalars, up to ``cap`` steps."""
    kind = np.dtype(dtype).type
    with np.errstate(over="ignore", under="ignore"):
        w0, d = kind(w), kind(delta)
    target = abs(Fraction(float(w0))) / 100
    current = w0
    for k in range(cap + 1):
        if abs(Fraction(float(current)) - Fraction(float(w0))) >= target:
            return ("reached", k, float(current))
        with np.errstate(over="ignore"):
            following = current + d
        if following == current:
            return ("stuck", k, float(current))
        if not np.isfinite(following):
            return ("overflow", k + 1, float(following))
        current = following
    return None


@pytest.mark.parametrize(
    ("w", "delta", "dtype", "expected"),
    [
        (-1.999, -(2.0**-10), "float16", ("stuck", 1, -2.0)),  # the gap doubles at 2
        (-64992.0, -32.0, "float16", ("overflow", 17, -math.inf)),
        (100.0, -1.0, "float64", ("reached", 1, 99.0)),  # exactly 1 %: reached
        (1.0, -(2.0**-11), "float16", ("reached", 21, 1 - 21 * 2.0**-11)),
        (1.0, 1e6, "float16", ("overflow", 1, math.inf)),
        (1e-300, -1e-320, "float64", ("stuck", 0, 1e-300)),
    ],
)
def test_steps_to_move_known_endings(w, delta, dtype, expected) -> None:
    got = steps_to_move(w, delta, dtype)
    assert (got.outcome, got.steps, got.final) == expected
    assert loop_count(w, delta, dtype, 10**5) == expected


@st.composite
def short_runs(draw: st.DrawFn) -> tuple[float, float, str]:
    """A stored w and an update of a few gaps (ties and their neighbours included)."""
    dtype = draw(st.sampled_from(DTYPES))
    w = draw(float_in(dtype).filter(lambda v: v != 0 and abs(v) < 1e300))
    gap = Fraction(ulp(w, dtype))
    scale = draw(st.sampled_from([Fraction(n, 4) for n in (1, 2, 3, 4, 6, 10, 12, 28)]))
    wobble = draw(st.sampled_from([1, 1 + Fraction(1, 2**30), 1 - Fraction(1, 2**30)]))
    if draw(st.booleans()):  # a share of |w| instead: crossing binades
        delta = Fraction(abs(w)) * Fraction(draw(st.integers(1, 2000)), 100_000)
    else:
        delta = gap * scale * wobble * draw(st.integers(1, 40))
    return w, float(delta) * draw(st.sampled_from([1, -1])), dtype


@settings(max_examples=300, deadline=None)
@given(short_runs())
def test_steps_to_move_is_the_literal_loop(case: tuple[float, float, str]) -> None:
    w, delta, dtype = case
    expected = loop_count(w, delta, dtype, 20_000)
    if expected is None:
        return
    got = steps_to_move(w, delta, dtype)
    assert (got.outcome, got.steps, got.final) == expected


def test_steps_to_move_counts_far_beyond_any_loop() -> None:
    """float64, w = 10⁶ and η·g = 2⁻³³, exactly the gap in [2¹⁹, 2²⁰): every step moves w by
    2⁻³³ without rounding and 1 % (10⁴) stays in that binade, so it takes 10⁴·2³³ steps."""
    got = steps_to_move(1e6, -(2.0**-33), "float64")
    assert got.outcome == "reached"
    assert got.steps == 10_000 * 2**33
    assert got.final == 1e6 - 10_000


def test_steps_to_move_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="w must be nonzero"):
        steps_to_move(0.0, 1.0)
    with pytest.raises(ValueError, match="w must be nonzero"):
        steps_to_move(1e-9, 1.0, "float16")  # rounds to 0
    with pytest.raises(ValueError, match="w must lie within"):
        steps_to_move(7e4, 1.0, "float16")
    with pytest.raises(ValueError, match="delta must be finite"):
        steps_to_move(1.0, math.inf)
    with pytest.raises(ValueError, match="share must lie in"):
        steps_to_move(1.0, 1.0, share=0)
    with pytest.raises(ValueError, match="share must lie in"):
        steps_to_move(1.0, 1.0, share=1.5)
    with pytest.raises(ValueError, match="dtype must be one of"):
        steps_to_move(1.0, 1.0, "float8")
    with pytest.raises(ValueError, match="w must be finite"):
        store(math.nan)
