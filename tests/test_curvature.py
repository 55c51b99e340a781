"""Tests for vgcore.curvature: exact derivatives against complex steps and the central
differences of vgcore.gradcheck, the second-order test against MATH.md A's closed forms and its
stated limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgcore.curvature import (
    EXAMPLES,
    classify_stationary_point,
    describe_point,
    gradient_field,
    grid_values,
)
from vgcore.gradcheck import check_gradient

COMPLEX_STEP = 1e-30  # no subtraction: exact to rounding, whatever the step
COMPLEX_STEP_RTOL = 1e-13
FD_RTOL, FD_ATOL = 1e-7, 1e-7  # central differences, h ~ eps^(1/3): error ~ eps^(2/3)
KEYS = tuple(EXAMPLES)


def complex_step_gradient(f, x: float, y: float) -> np.ndarray:
    """d f / d x_i = Im f(x + i h e_i) / h for a real-analytic f."""
    h = COMPLEX_STEP
    return np.array([f(x + 1j * h, y).imag / h, f(x, y + 1j * h).imag / h])


def complex_step_hessian(grad, x: float, y: float) -> np.ndarray:
    """Column j of the Hessian is Im grad(x + i h e_j) / h."""
    h = COMPLEX_STEP
    columns = [np.asarray(grad(x + 1j * h, y)).imag / h, np.asarray(grad(x, y + 1j * h)).imag / h]
    return np.column_stack(columns)


@st.composite
def example_point(draw: st.DrawFn):
    key = draw(st.sampled_from(KEYS))
    xmin, xmax, ymin, ymax = EXAMPLES[key].domain
    x = draw(st.floats(xmin, xmax))
    y = draw(st.floats(ymin, ymax))
    return key, x, y


def close(actual, expected, rtol: float, atol: float) -> bool:
    return bool(np.allclose(actual, expected, rtol=rtol, atol=atol))


# ---------------------------------------------------------------- exact derivatives


@settings(max_examples=200, deadline=None)
@given(example_point())
def test_gradient_matches_complex_step_and_finite_differences(case) -> None:
    key, x, y = case
    example = EXAMPLES[key]
    exact = example.grad(x, y)
    assert exact.shape == (2,)
    scale = max(1.0, float(np.max(np.abs(exact))))
    cs = complex_step_gradient(example.f, x, y)
    assert close(exact, cs, COMPLEX_STEP_RTOL, COMPLEX_STEP_RTOL * scale)
    check_gradient(
        lambda v: example.f(v[0], v[1]), exact, [x, y], atol=FD_ATOL * scale, rtol=FD_RTOL
    )


@settings(max_examples=200, deadline=None)
@given(example_point())
def test_hessian_matches_complex_step_and_finite_differences(case) -> None:
    """Row i of the Hessian is the gradient of the exact ``dF/dx_i`` (itself checked against F
    above), by complex step and by central differences."""
    key, x, y = case
    example = EXAMPLES[key]
    exact = example.hessian(x, y)
    assert exact.shape == (2, 2)
    scale = max(1.0, float(np.max(np.abs(exact))))
    cs = complex_step_hessian(example.grad, x, y)
    assert close(exact, cs, COMPLEX_STEP_RTOL, COMPLEX_STEP_RTOL * scale)
    for i in range(2):
        check_gradient(
            lambda v, i=i: example.grad(v[0], v[1])[i],
            exact[i],
            [x, y],
            atol=FD_ATOL * scale,
            rtol=FD_RTOL,
        )


@pytest.mark.parametrize("key", KEYS)
def test_listed_stationary_points_have_zero_gradient(key: str) -> None:
    example = EXAMPLES[key]
    for x, y, _ in example.stationary_points:
        assert np.array_equal(example.grad(x, y), [0.0, 0.0])  # exact zeros: polynomials


@pytest.mark.parametrize("key", KEYS)
def test_lipschitz_hint_bounds_the_hessian_on_the_domain(key: str) -> None:
    example = EXAMPLES[key]
    xmin, xmax, ymin, ymax = example.domain
    worst = 0.0
    for x in np.linspace(xmin, xmax, 41):
        for y in np.linspace(ymin, ymax, 41):
            worst = max(worst, float(np.linalg.norm(example.hessian(x, y), ord=2)))
    assert example.lipschitz_hint is not None
    assert worst <= example.lipschitz_hint * (1 + 1e-12)
    assert worst >= example.lipschitz_hint / 2  # and it is not uselessly loose


def test_two_weight_net_hessian_at_origin_per_math_md() -> None:
    net = EXAMPLES["two_weight_net"]
    assert np.array_equal(net.hessian(0.0, 0.0), [[0.0, -2.0], [-2.0, 0.0]])
    report = describe_point("two_weight_net", 0.0, 0.0)
    assert np.allclose(report.eigenvalues, [-2.0, 2.0], rtol=0, atol=1e-15)
    assert report.classification == "saddle"
    assert report.in_fact is None
    assert report.value == 1.0  # F(0, 0) = 1 while the minimum value is 0


def test_every_point_of_the_line_ab_1_is_a_global_minimum() -> None:
    for a in (0.5, 1.0, 2.0, -0.25):
        report = describe_point("two_weight_net", a, 1 / a)
        assert report.value == 0.0
        assert report.gradient_norm == 0.0  # exact for these a
        assert report.classification == "inconclusive"  # Hessian rank 1: test undecided


# ---------------------------------------------------------------- the second-order test


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("two_weight_net", {(0.0, 0.0): "saddle", (1.0, 1.0): "inconclusive"}),
        ("bowl", {(0.0, 0.0): "minimum"}),
        ("saddle", {(0.0, 0.0): "saddle"}),
        ("quartic", {(0.0, 0.0): "inconclusive"}),
        ("cubic", {(0.0, 0.0): "inconclusive"}),
        ("monkey", {(0.0, 0.0): "inconclusive"}),
        (
            "every_kind",
            {
                (1.0, 1.0): "minimum",
                (-1.0, -1.0): "maximum",
                (1.0, -1.0): "saddle",
                (-1.0, 1.0): "saddle",
                (0.0, 1.0): "inconclusive",
                (0.0, -1.0): "inconclusive",
            },
        ),
    ],
)
def test_classification_of_listed_stationary_points(key: str, expected: dict) -> None:
    example = EXAMPLES[key]
    assert {(x, y) for x, y, _ in example.stationary_points} == set(expected)
    notes = {"minimum": "minimum", "saddle": "no_extremum", "inflection": "no_extremum"}
    for x, y, truth in example.stationary_points:
        verdict = classify_stationary_point(example.hessian(x, y))
        assert verdict == expected[(x, y)]
        assert describe_point(key, x, y).classification == verdict
        if verdict != truth:
            assert describe_point(key, x, y).in_fact == notes[truth]


def test_every_verdict_of_the_second_order_test_is_reachable_on_one_surface() -> None:
    verdicts = {describe_point("every_kind", x, y).classification
                for x, y, _ in EXAMPLES["every_kind"].stationary_points}  # fmt: skip
    assert verdicts == {"minimum", "maximum", "saddle", "inconclusive"}


def test_every_point_of_the_valley_gets_the_minimum_note() -> None:
    """Not only (1, 1): the note comes from F = inf F, computed at the point."""
    for a, b in [(1.0, 1.0), (0.5, 2.0), (2.0, 0.5), (-1.0, -1.0), (0.8, 1.25), (-2.0, -0.5)]:
        report = describe_point("two_weight_net", a, b)
        assert report.classification == "inconclusive"
        assert report.in_fact == "minimum"
        assert report.eigenvalues[0] == 0.0  # the singular direction is exactly 0
        assert report.eigenvalues[1] > 0.0


def test_true_nature_of_the_undecided_points_by_sampling() -> None:
    """Independent check of the listed true classifications: compare F around the point."""
    angles = np.linspace(0, 2 * np.pi, 73)
    for key, x0, y0, truth in [
        ("quartic", 0.0, 0.0, "minimum"),
        ("two_weight_net", 1.0, 1.0, "minimum"),
        ("cubic", 0.0, 0.0, "inflection"),
        ("monkey", 0.0, 0.0, "saddle"),
    ]:
        example = EXAMPLES[key]
        assert truth in {kind for _, _, kind in example.stationary_points}
        centre = example.f(x0, y0)
        ring = example.f(x0 + 1e-2 * np.cos(angles), y0 + 1e-2 * np.sin(angles)) - centre
        if truth == "minimum":
            assert np.all(ring >= 0)
        else:
            assert ring.min() < 0 < ring.max()


def test_definite_hessian_is_sufficient_not_necessary() -> None:
    """Correction: the source says a local optimum implies a definite Hessian. That reads the
    sufficient condition backwards: x^4 has a strict minimum at 0 with F''(0) = 0, and x^3 has
    F'(0) = F''(0) = 0 with no extremum; the test says "inconclusive" for both."""
    quartic, cubic = EXAMPLES["quartic"], EXAMPLES["cubic"]
    xs = np.linspace(-1, 1, 201)
    assert np.all(quartic.f(xs, 0 * xs)[xs != 0] > 0)
    assert quartic.f(0.0, 0.0) == 0
    assert classify_stationary_point([[quartic.hessian(0.0, 0.0)[0, 0]]]) == "inconclusive"
    assert cubic.f(-0.1, 0.0) < cubic.f(0.0, 0.0) < cubic.f(0.1, 0.0)
    assert classify_stationary_point([[cubic.hessian(0.0, 0.0)[0, 0]]]) == "inconclusive"


def test_one_by_one() -> None:
    assert classify_stationary_point([[2.0]]) == "minimum"
    assert classify_stationary_point([[-2.0]]) == "maximum"
    assert classify_stationary_point([[0.0]]) == "inconclusive"


def test_tolerance_is_relative_to_the_largest_eigenvalue() -> None:
    assert classify_stationary_point(np.diag([1.0, 1e-12])) == "inconclusive"
    assert classify_stationary_point(np.diag([1e-20, 2e-20])) == "minimum"
    assert classify_stationary_point(np.diag([1.0, 1e-12]), rtol=1e-13) == "minimum"
    assert classify_stationary_point(np.diag([1.0, 1e-12]), rtol=0.0) == "minimum"
    assert classify_stationary_point(np.diag([-1.0, -1e-12]), rtol=1e-13) == "maximum"
    assert classify_stationary_point(np.diag([1.0, 0.0, -1e-12])) == "inconclusive"
    assert classify_stationary_point(np.diag([1.0, 0.0, -1e-3])) == "saddle"


def test_classification_uses_the_symmetric_part() -> None:
    # [[1, 4], [0, 1]] has eigenvalues 1, 1, but its symmetric part [[1, 2], [2, 1]] has 3, -1.
    assert classify_stationary_point([[1.0, 4.0], [0.0, 1.0]]) == "saddle"
    assert classify_stationary_point([[1e308, 1e308], [1e308, 1e308]]) == "inconclusive"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.01, 100), min_size=1, max_size=5),
    st.lists(st.sampled_from([1.0, -1.0]), min_size=5, max_size=5),
    st.integers(0, 2**32 - 1),
)
def test_classification_of_rotated_diagonals(magnitudes, signs, seed) -> None:
    """Q diag(d) Q^T has eigenvalues d: the verdict follows the signs of d."""
    d = np.array(magnitudes) * np.array(signs[: len(magnitudes)])
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d.size, d.size)))
    matrix = q @ np.diag(d) @ q.T
    expected = "minimum" if np.all(d > 0) else "maximum" if np.all(d < 0) else "saddle"
    assert classify_stationary_point(matrix) == expected


# ---------------------------------------------------------------- describe_point


def test_describe_non_stationary_point() -> None:
    report = describe_point("bowl", 1.0, -1.0)
    assert report.classification == "not stationary"
    assert report.value == 2.0
    assert np.array_equal(report.gradient, [2.0, -2.0])
    assert math.isclose(report.gradient_norm, math.sqrt(8), rel_tol=1e-15)
    assert report.in_fact is None


def test_describe_minimum_and_gradient_tolerance() -> None:
    report = describe_point("bowl", 0.0, 0.0)
    assert report.classification == "minimum"
    assert (report.eigenvalues > 0).all()
    near = describe_point("bowl", 1e-12, 0.0)  # gradient 2e-12 <= default atol 1e-9
    assert near.classification == "minimum"
    strict = describe_point("bowl", 1e-12, 0.0, grad_atol=0.0)
    assert strict.classification == "not stationary"


def test_describe_undecided_point_names_its_true_nature() -> None:
    report = describe_point("quartic", 0.0, 0.0)
    assert report.classification == "inconclusive"
    assert (report.in_fact, report.sign_change_line) == ("minimum", None)
    for key, x, y in [("cubic", 0.0, 0.0), ("cubic", 0.0, -1.5), ("monkey", 0.0, 0.0)]:
        report = describe_point(key, x, y)
        assert (report.in_fact, report.sign_change_line) == ("no_extremum", "first")


# ---------------------------------------------------------------- plot data


@pytest.mark.parametrize("key", KEYS)
def test_grid_values_orientation_and_values(key: str) -> None:
    example = EXAMPLES[key]
    xs, ys, z = grid_values(key, n=7)
    assert xs.shape == ys.shape == (7,)
    assert z.shape == (7, 7)
    assert (xs[0], xs[-1], ys[0], ys[-1]) == example.domain
    for i in (0, 3, 6):
        for j in (0, 2, 6):
            assert math.isclose(z[i, j], example.f(xs[j], ys[i]), rel_tol=1e-15, abs_tol=1e-15)


@pytest.mark.parametrize("key", KEYS)
def test_gradient_field_matches_pointwise_gradient(key: str) -> None:
    example = EXAMPLES[key]
    x, y, u, v = gradient_field(key, n=5)
    assert x.shape == y.shape == u.shape == v.shape == (5, 5)
    for i in range(5):
        for j in range(5):
            expected = example.grad(x[i, j], y[i, j])
            assert np.allclose([u[i, j], v[i, j]], expected, rtol=1e-15, atol=1e-15)


# ---------------------------------------------------------------- ValueErrors


def test_classify_rejects_bad_matrices() -> None:
    with pytest.raises(ValueError, match="hessian must be square"):
        classify_stationary_point([[1.0, 2.0]])
    with pytest.raises(ValueError, match="hessian must be 2-dimensional"):
        classify_stationary_point([1.0, 2.0])
    with pytest.raises(ValueError, match="hessian must have at least 1 element"):
        classify_stationary_point(np.empty((0, 0)))
    with pytest.raises(ValueError, match="hessian must contain only finite numbers"):
        classify_stationary_point([[1.0, np.nan], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="hessian must be an array of real numbers"):
        classify_stationary_point([["a"]])
    with pytest.raises(ValueError, match="rtol must be >= 0"):
        classify_stationary_point([[1.0]], rtol=-1e-9)
    with pytest.raises(ValueError, match="rtol must be < 1"):
        classify_stationary_point([[1.0]], rtol=1.0)


def test_describe_point_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="example_key must be one of"):
        describe_point("banana", 0.0, 0.0)
    with pytest.raises(ValueError, match="x must be finite"):
        describe_point("bowl", math.inf, 0.0)
    with pytest.raises(ValueError, match="y must be <= 1e\\+06"):
        describe_point("bowl", 0.0, 2e6)
    with pytest.raises(ValueError, match="x must be >= -1e\\+06"):
        describe_point("bowl", -2e6, 0.0)
    with pytest.raises(ValueError, match="y must be a real number"):
        describe_point("bowl", 0.0, "1")
    with pytest.raises(ValueError, match="grad_atol must be >= 0"):
        describe_point("bowl", 0.0, 0.0, grad_atol=-1.0)


def test_plot_data_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="example_key must be one of"):
        grid_values("nope")
    with pytest.raises(ValueError, match="n must be an integer from 2 to 1000"):
        grid_values("bowl", n=1)
    with pytest.raises(ValueError, match="n must be an integer"):
        grid_values("bowl", n=10.0)
    with pytest.raises(ValueError, match="example_key must be one of"):
        gradient_field(None)
    with pytest.raises(ValueError, match="n must be an integer from 2 to 200"):
        gradient_field("bowl", n=201)


def test_step_versus_limit_is_exact() -> None:
    from vgcore.curvature import step_versus_limit

    assert step_versus_limit("bowl", 1.0, 2) == (0, 1.0, 0.0)
    assert step_versus_limit("bowl", math.nextafter(1.0, 2), 2)[0] == 1
    assert step_versus_limit("bowl", math.nextafter(1.0, 0), 2)[0] == -1
    # 2/26 = 1/13 is no float: the float nearest to it lies on one side, and the sign says which
    sign, _limit, gap = step_versus_limit("two_weight_net", 2 / 26, 2)
    from fractions import Fraction

    assert sign == (1 if Fraction(2 / 26) > Fraction(1, 13) else -1)
    assert gap != 0
    assert abs(gap) < 1e-17
    with pytest.raises(ValueError, match="eta"):
        step_versus_limit("bowl", 0.0, 2)
