"""Tests for vgcore.activations against independent checks: complex-step and central-difference
derivatives of formulas written here, exact values (sigma'(0) = 1/4), a 50-digit Decimal oracle
for the log-derivatives, and their asymptotes at |z| = 1e300. Hypothesis runs every float dtype
up to the dtype's largest finite value (1e300 for float64); pytest turns any numpy warning into
an error, so "no warning" is checked by every test."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgcore.activations import (
    ACTIVATION_NAMES,
    ACTIVATIONS,
    LEAKY_SLOPE,
    get_activation,
    softplus,
)
from vgcore.gradcheck import check_gradient
from vgcore.precision import DTYPES

SMOOTH = ("sigmoid", "tanh")
COMPLEX_STEP = 1e-30
EPS64 = float(np.finfo(np.float64).eps)
# a few roundings of the dtype, relative; plus a few smallest subnormals for underflowing results
DTYPE_RTOL = 8.0
DTYPE_SUBNORMALS = 4.0
# float64 log-derivatives against the 50-digit oracle: relative, or absolute near zero
LOG_TOL = 1e-14


def complex_sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def complex_step_derivative(f, x: np.ndarray) -> np.ndarray:
    """Im f(x + ih) / h: exact to rounding, no subtraction."""
    return np.imag(f(x + 1j * COMPLEX_STEP)) / COMPLEX_STEP


def decimal_log_derivative(name: str, z: float) -> Decimal:
    """log sigma'(z) = -|z| - 2 log(1 + e^-|z|),
    log tanh'(z) = log 4 - 2|z| - 2 log(1 + e^-2|z|)."""
    getcontext().prec = 50
    magnitude = abs(Decimal(z))
    if name == "sigmoid":
        return -magnitude - 2 * (1 + (-magnitude).exp()).ln()
    return Decimal(4).ln() - 2 * magnitude - 2 * (1 + (-2 * magnitude).exp()).ln()


def float_strategy(dtype: str) -> st.SearchStrategy[float]:
    info = np.finfo(dtype)
    limit = min(float(info.max), 1e300)
    return st.floats(-limit, limit, width=info.bits, allow_nan=False, allow_infinity=False)


dtype_and_value = st.sampled_from(DTYPES).flatmap(
    lambda dtype: st.tuples(st.just(dtype), float_strategy(dtype))
)


# --------------------------------------------------------------------------- exact values


def test_sigmoid_and_tanh_at_zero_are_exact() -> None:
    for dtype in DTYPES:
        zero = np.zeros(1, dtype=dtype)
        assert ACTIVATIONS["sigmoid"].value(zero)[0] == 0.5
        assert ACTIVATIONS["sigmoid"].derivative(zero)[0] == 0.25
        assert ACTIVATIONS["tanh"].value(zero)[0] == 0
        assert ACTIVATIONS["tanh"].derivative(zero)[0] == 1
        assert ACTIVATIONS["sigmoid"].log_abs_derivative(zero)[0] == pytest.approx(
            -math.log(4), rel=np.finfo(dtype).eps
        )
        assert ACTIVATIONS["tanh"].log_abs_derivative(zero)[0] == 0


def test_derivative_bounds_are_the_suprema() -> None:
    """derivative_bound is attained (at 0 for sigmoid and tanh, on z > 0 for the others)."""
    z = np.linspace(-20, 20, 40001)
    for name, act in ACTIVATIONS.items():
        assert np.max(act.derivative(z)) == act.derivative_bound, name


# --------------------------------------------------------------------------- float64 derivatives


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_derivative_matches_complex_step(name: str) -> None:
    """Complex step of independent formulas, away from the kink of ReLU and leaky ReLU."""
    x = np.random.default_rng(1).uniform(-30, 30, 2000)
    x = x[np.abs(x) > 1e-3]
    formulas = {
        "sigmoid": complex_sigmoid,
        "tanh": np.tanh,
        "relu": lambda z: np.where(z.real > 0, z, 0),
        "leaky_relu": lambda z: np.where(z.real > 0, z, LEAKY_SLOPE * z),
        "identity": lambda z: z,
    }
    expected = complex_step_derivative(formulas[name], x)
    np.testing.assert_allclose(get_activation(name).derivative(x), expected, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", SMOOTH)
def test_derivative_matches_central_differences_of_value(name: str) -> None:
    act = get_activation(name)
    x = np.linspace(-12, 12, 2401)
    # h = 1e-5: rounding eps |f| / h ~ 2e-11, truncation h^2 |f'''| / 6 ~ 2e-11
    for point, derivative in zip(x, act.derivative(x), strict=True):
        check_gradient(act.value, [derivative], [point], h=1e-5, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", SMOOTH)
def test_value_matches_independent_formula(name: str) -> None:
    x = np.linspace(-30, 30, 6001)
    reference = np.array([1 / (1 + math.exp(-t)) if name == "sigmoid" else math.tanh(t) for t in x])
    # both formulas round three or four times: a few ulps apart
    np.testing.assert_allclose(get_activation(name).value(x), reference, rtol=4 * EPS64, atol=0)


# --------------------------------------------------------------------------- log-derivatives


@pytest.mark.parametrize("name", SMOOTH)
def test_log_derivative_matches_decimal_oracle(name: str) -> None:
    z = [0.0, 1e-9, -1e-3, 0.5, -2.0, 7.25, -30.0, 100.0, -745.5, 1e4, -3e5, 1e300]
    got = get_activation(name).log_abs_derivative(np.array(z))
    for zi, value in zip(z, got, strict=True):
        exact = decimal_log_derivative(name, zi)
        assert abs(Decimal(float(value)) - exact) <= Decimal(LOG_TOL) * max(1, abs(exact)), zi


@pytest.mark.parametrize("name", SMOOTH)
def test_log_derivative_matches_log_of_derivative_where_representable(name: str) -> None:
    act = get_activation(name)
    z = np.linspace(-300, 300, 60001)
    derivative = act.derivative(z)
    assert np.all(derivative > 1e-300)
    np.testing.assert_allclose(
        act.log_abs_derivative(z), np.log(derivative), rtol=1e-13, atol=1e-15
    )


def test_log_derivatives_follow_their_asymptotes_at_1e300() -> None:
    z = np.array([1e300, -1e300])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].log_abs_derivative(z), -np.abs(z), rtol=1e-15)
    np.testing.assert_allclose(
        ACTIVATIONS["tanh"].log_abs_derivative(z), math.log(4) - 2 * np.abs(z), rtol=1e-15
    )
    # the derivatives themselves underflow to exactly zero there, without a warning
    assert np.all(ACTIVATIONS["sigmoid"].derivative(z) == 0)
    assert np.all(ACTIVATIONS["tanh"].derivative(z) == 0)


def test_piecewise_linear_log_derivatives() -> None:
    z = np.array([-2.0, -0.0, 0.0, 3.0])
    np.testing.assert_array_equal(
        ACTIVATIONS["relu"].log_abs_derivative(z), [-np.inf, -np.inf, -np.inf, 0.0]
    )
    np.testing.assert_array_equal(
        ACTIVATIONS["leaky_relu"].log_abs_derivative(z),
        [math.log(LEAKY_SLOPE)] * 3 + [0.0],
    )
    np.testing.assert_array_equal(ACTIVATIONS["identity"].log_abs_derivative(z), np.zeros(4))


def test_softplus_matches_log1p_exp_and_its_asymptote() -> None:
    z = np.linspace(-700, 700, 14001)
    reference = np.array([math.log1p(math.exp(t)) if t < 30 else t + math.exp(-t) for t in z])
    np.testing.assert_allclose(softplus(z), reference, rtol=1e-15, atol=0)
    np.testing.assert_allclose(softplus(np.array([1e300, -1e300])), [1e300, 0.0], atol=0)


# --------------------------------------------------------------------------- kinks


@pytest.mark.parametrize(("name", "left", "right"), [("relu", 0.0, 1.0), ("leaky_relu", 0.01, 1.0)])
def test_kink_at_zero_takes_the_left_slope(name: str, left: float, right: float) -> None:
    """First order at the kink: the one-sided quotients are the two slopes, and the documented
    derivative at 0 (and -0) is the left one."""
    act = get_activation(name)
    for h in (1e-3, 1e-8, 1e-200):
        assert act.value(np.array([0.0]))[0] == 0
        assert act.value(np.array([h]))[0] / h == right
        assert -act.value(np.array([-h]))[0] / h == pytest.approx(left, rel=1e-15)
    np.testing.assert_array_equal(act.derivative(np.array([0.0, -0.0])), [left, left])
    np.testing.assert_array_equal(act.derivative(np.array([-1e-300, 1e-300])), [left, right])


# --------------------------------------------------------------------------- every dtype


@settings(max_examples=400, deadline=None)
@given(dtype_and_value)
def test_every_dtype_no_nan_derivative_within_bound(case: tuple[str, float]) -> None:
    """Any finite z of any dtype: no warning, no NaN, dtype kept, 0 <= act' <= sup act', and
    act' > 0 wherever the true value (a float64 oracle) is a few subnormals or more."""
    dtype, z = case
    x = np.array([z], dtype=dtype)
    smallest = float(np.finfo(dtype).smallest_subnormal)
    for name, act in ACTIVATIONS.items():
        value, derivative = act.value(x), act.derivative(x)
        log_derivative = act.log_abs_derivative(x)
        for result in (value, derivative, log_derivative):
            assert result.dtype == np.dtype(dtype)
            assert not np.isnan(result).any()
        d = float(derivative[0])
        assert 0 <= d <= act.derivative_bound, name
        assert float(log_derivative[0]) <= math.log(act.derivative_bound) + 1e-3, name
        if name in SMOOTH:
            true_log = float(act.log_abs_derivative(x.astype(np.float64))[0])
            if true_log > math.log(3 * smallest):
                assert d > 0, name


@settings(max_examples=300, deadline=None)
@given(dtype_and_value)
def test_narrow_dtypes_agree_with_float64(case: tuple[str, float]) -> None:
    """The float16/float32 results are the float64 ones to a few roundings of the dtype."""
    dtype, z = case
    x = np.array([z], dtype=dtype)
    info = np.finfo(dtype)
    for name, act in ACTIVATIONS.items():
        for f in (act.value, act.derivative):
            narrow = float(f(x)[0])
            wide = float(f(x.astype(np.float64))[0])
            tolerance = DTYPE_RTOL * float(info.eps) * abs(wide)
            tolerance += DTYPE_SUBNORMALS * float(info.smallest_subnormal)
            assert abs(narrow - wide) <= tolerance, (name, f.__name__)


def test_every_finite_float16() -> None:
    """Exhaustively over all finite float16 values: no warning, no NaN, 0 <= act' <= sup act',
    act' > 0 where the float64 oracle is 3 subnormals or more; log act' finite except where
    ``log tanh'(z) ~ log 4 - 2|z|`` is itself beyond float16's range (then -inf)."""
    every = np.arange(2**16, dtype=np.uint16).view(np.float16)
    z = every[np.isfinite(every)]
    smallest = float(np.finfo(np.float16).smallest_subnormal)
    for name, act in ACTIVATIONS.items():
        value, derivative = act.value(z), act.derivative(z)
        log_derivative = act.log_abs_derivative(z)
        assert not np.isnan(value).any()
        assert not np.isnan(log_derivative).any()
        assert np.all((derivative >= 0) & (derivative <= act.derivative_bound)), name
        if name in SMOOTH:
            true_log = act.log_abs_derivative(z.astype(np.float64))
            assert np.all(derivative[true_log > math.log(3 * smallest)] > 0), name
            overflowing = 2 * np.abs(z.astype(np.float64)) > 65504 if name == "tanh" else False
            np.testing.assert_array_equal(np.isneginf(log_derivative), overflowing)
        else:
            assert np.all(log_derivative[z > 0] == 0)


def test_integer_input_becomes_float64() -> None:
    for act in ACTIVATIONS.values():
        assert act.value(np.array([1, -2])).dtype == np.float64
        assert act.derivative(np.array([3])).dtype == np.float64


def test_unknown_activation_is_a_value_error_listing_the_names() -> None:
    with pytest.raises(ValueError, match="activation must be one of 'sigmoid'"):
        get_activation("softmax")
    with pytest.raises(ValueError, match="layer must be one of"):
        get_activation("gelu", "layer")
    with pytest.raises(ValueError, match="activation must be one of"):
        get_activation(None)  # type: ignore[arg-type]
    assert set(ACTIVATION_NAMES) == {"sigmoid", "tanh", "relu", "leaky_relu", "identity"}
