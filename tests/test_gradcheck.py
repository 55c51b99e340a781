"""Tests for vgcore.gradcheck: the central differences against closed-form derivatives, the
checker passing on right derivatives and failing (with both values in the message) on a
deliberately wrong one, and every ValueError."""

from __future__ import annotations

import numpy as np
import pytest

from vgcore.chain import chain_gradient
from vgcore.gradcheck import check_gradient, numerical_gradient

# central differences with h = eps^(1/3): error ~ eps^(2/3) ~ 4e-11 relative to the scale of f
CENTRAL_RTOL = 1e-9


def test_numerical_gradient_matches_closed_forms() -> None:
    x = np.array([-2.0, -0.3, 0.0, 0.7, 5.0])
    np.testing.assert_allclose(
        numerical_gradient(lambda v: np.sum(np.sin(v)), x), np.cos(x), rtol=0, atol=CENTRAL_RTOL
    )
    matrix = np.array([[1.0, 2.0], [3.0, -4.0]])
    np.testing.assert_allclose(
        numerical_gradient(lambda m: np.sum(m**3), matrix),
        3 * matrix**2,
        rtol=CENTRAL_RTOL,
    )
    # no truncation error for quadratics, (x+h)^2 - (x-h)^2 = 4xh: only f's rounding,
    # |f| eps / h with |f| ~ 30
    np.testing.assert_allclose(numerical_gradient(lambda v: v @ v, x, h=0.5), 2 * x, atol=1e-13)


def test_numerical_gradient_returns_float64_and_leaves_x_alone() -> None:
    x = np.array([1.0, 2.0], dtype=np.float32)
    got = numerical_gradient(lambda v: float(v[0] * v[1]), x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [2.0, 1.0], rtol=CENTRAL_RTOL)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_check_gradient_passes_on_right_derivatives() -> None:
    x = np.array([0.3, -1.2, 2.5])
    assert check_gradient(lambda v: np.sum(np.exp(v)), np.exp, x) is None
    assert check_gradient(lambda v: np.sum(np.exp(v)), np.exp(x), x) is None  # an array works
    w = np.array([0.8, -1.1, 1.3, 0.9, -0.7])

    def output(v: np.ndarray) -> float:
        o = v[0]
        for wi in v[1:]:
            o = 1 / (1 + np.exp(-wi * o))
        return float(o)

    assert check_gradient(output, chain_gradient, w, atol=1e-9, rtol=1e-7) is None


def test_check_gradient_fails_on_a_wrong_derivative_showing_both_values() -> None:
    x = np.array([0.3, -1.2, 2.5])
    wrong = lambda v: np.cos(v) * (1 + 1e-3 * (np.arange(3) == 1))  # noqa: E731
    with pytest.raises(AssertionError) as failure:
        check_gradient(lambda v: np.sum(np.sin(v)), wrong, x)
    message = str(failure.value)
    assert "index 1" in message
    assert repr(float(wrong(x)[1])) in message
    assert repr(float(numerical_gradient(lambda v: np.sum(np.sin(v)), x)[1])) in message
    # a sign error, a missing factor and a NaN are all caught
    for bad in (lambda v: -np.cos(v), lambda v: 0.5 * np.cos(v), lambda v: np.full(3, np.nan)):
        with pytest.raises(AssertionError, match=r"analytic .* != numerical"):
            check_gradient(lambda v: np.sum(np.sin(v)), bad, x)


def test_check_gradient_tolerances_are_atol_plus_rtol() -> None:
    x = np.array([1.0])
    f = lambda v: float(3 * v[0])  # noqa: E731
    check_gradient(f, [3.0 + 2e-6], x, atol=1e-6, rtol=4e-7)  # 2e-6 <= 1e-6 + 1.2e-6
    with pytest.raises(AssertionError):
        check_gradient(f, [3.0 + 2e-6], x, atol=1e-6, rtol=2e-7)  # 2e-6 > 1.6e-6


def test_errors() -> None:
    f = lambda v: float(np.sum(v))  # noqa: E731
    with pytest.raises(ValueError, match="x must contain only finite numbers"):
        numerical_gradient(f, [1.0, np.nan])
    with pytest.raises(ValueError, match="x must be an array of real numbers"):
        numerical_gradient(f, ["a"])
    with pytest.raises(ValueError, match="h must be > 0"):
        numerical_gradient(f, [1.0], h=0.0)
    with pytest.raises(ValueError, match="h must be finite"):
        numerical_gradient(f, [1.0], h=np.inf)
    with pytest.raises(ValueError, match="too small to move"):
        numerical_gradient(f, [1e20], h=1.0)
    with pytest.raises(ValueError, match="f must return one real number"):
        numerical_gradient(lambda v: v, [1.0, 2.0])
    with pytest.raises(ValueError, match="f must return one real number"):
        numerical_gradient(lambda v: 1j * v[0], [1.0])
    with pytest.raises(ValueError, match="f must return a finite number"):
        numerical_gradient(lambda v: np.inf if v[0] < 1.0 else 0.0, [1.0], h=0.5)
    with pytest.raises(ValueError, match="grad must have the shape of x"):
        check_gradient(f, [1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="atol must be >= 0"):
        check_gradient(f, [1.0], [1.0], atol=-1.0)
    with pytest.raises(ValueError, match="rtol must be a real number"):
        check_gradient(f, [1.0], [1.0], rtol="tight")
