"""Tests for vgcore.mlp against an independent forward pass written here (from the activations'
value functions), the central differences of vgcore.gradcheck in float64, closed forms and
MATH.md D4."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vgcore._half import round_half
from vgcore._mlp_kernels import activate
from vgcore.activations import ACTIVATION_NAMES, ACTIVATIONS, get_activation
from vgcore.gradcheck import check_gradient, numerical_gradient
from vgcore.mlp import (
    FIGURES,
    MLPPass,
    flatten_params,
    init_mlp,
    mlp_backprop_norms,
    mlp_forward_backward,
    mlp_loss_and_grads,
    mlp_objective,
    mlp_predict,
    unflatten_params,
)

FD_STEP = 1e-6  # central differences: truncation ~ h^2, rounding ~ eps * |F| / h ~ 1e-9
FD_RTOL = 1e-5
FD_ATOL = 1e-6  # times max(1, |F|)
KINK_MARGIN = 1e-4  # ReLU kinks must be this far from every pre-activation for FD to apply
FLOAT32_RTOL = 1e-4
FLOAT16_RTOL = 1e-2  # unit roundoff 4.9e-4, compounded over ~10 layers and subnormal spacing
SAME_PATH_RTOL = 1e-14  # two calls that run the same float64 arithmetic
COUNT_TOL = 1.5  # unit-samples: a threshold comparison may differ by one rounding at the edge
INIT_SIGMAS = 5.0  # sampling tolerance for empirical moments, in standard errors

SMALL_SIZES = [3, 5, 4, 2]


# ----------------------------------------------------------------------------- reference


def reference_forward(params, X, activation, shifts=None):
    """Pre-activations, hidden activations and output, with an optional shift added to z_l."""
    act = get_activation(activation)
    zs, hidden = [], []
    a = X
    for layer, (weights, bias) in enumerate(params):
        z = a @ weights + bias
        if shifts is not None:
            z = z + shifts[layer]
        zs.append(z)
        if layer == len(params) - 1:
            return zs, hidden, z
        a = act.value(z)
        hidden.append(a)
    raise AssertionError("unreachable")


def reference_loss(out, y, loss):
    y = y.reshape(out.shape)
    if loss == "mse":
        return float(np.sum((out - y) ** 2))
    return float(np.sum(np.logaddexp(0.0, out) - y * out))  # softplus(s) - y s


def reference_F(params, X, y, activation, loss, shifts=None):
    return reference_loss(reference_forward(params, X, activation, shifts)[2], y, loss)


def check_against_finite_differences(params, X, y, activation, loss, grads, total):
    """The analytic gradient against central differences of the independent F of the flat
    parameter vector (vgcore.gradcheck)."""
    sizes = [params[0][0].shape[0]] + [w.shape[1] for w, _ in params]
    check_gradient(
        lambda flat: reference_F(unflatten_params(flat, sizes), X, y, activation, loss),
        flatten_params(grads),
        flatten_params(params),
        atol=FD_ATOL * max(1.0, abs(total)),
        rtol=FD_RTOL,
        h=FD_STEP,
    )


def problem(sizes, seed=0, batch=6, loss="mse", scheme="xavier", scale=1.0):
    rng = np.random.default_rng(seed + 100)
    params = init_mlp(sizes, scheme, seed=seed, scale=scale)
    for _, bias in params:
        bias[:] = rng.normal(0.0, 0.3, size=bias.shape)  # nonzero biases exercise db
    X = rng.normal(size=(batch, sizes[0]))
    if loss == "bce":
        y = (rng.random((batch, sizes[-1])) < 0.5).astype(float)
    else:
        y = rng.normal(size=(batch, sizes[-1]))
    return params, X, y


def assert_no_kink(params, X, activation):
    if activation in ("relu", "leaky_relu") and len(params) > 1:
        zs, _, _ = reference_forward(params, X, activation)
        assert min(np.min(np.abs(z)) for z in zs[:-1]) > KINK_MARGIN


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("sizes", [SMALL_SIZES, [2, 6, 1], [4, 3]])
def test_gradient_matches_finite_differences(sizes, activation, loss):
    params, X, y = problem(sizes, seed=3, loss=loss)
    assert_no_kink(params, X, activation)
    total, grads = mlp_loss_and_grads(params, X, y, activation, loss)
    expected_total = reference_F(params, X, y, activation, loss)
    assert total == pytest.approx(expected_total, rel=1e-12)
    check_against_finite_differences(params, X, y, activation, loss, grads, total)


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    batch=st.integers(1, 5),
    seed=st.integers(0, 10_000),
    activation=st.sampled_from(ACTIVATION_NAMES),
    loss=st.sampled_from(["mse", "bce"]),
)
def test_gradient_property(widths, batch, seed, activation, loss):
    params, X, y = problem(widths, seed=seed, batch=batch, loss=loss)
    zs, _, _ = reference_forward(params, X, activation)
    if activation in ("relu", "leaky_relu") and len(zs) > 1:
        assume(min(np.min(np.abs(z)) for z in zs[:-1]) > KINK_MARGIN)
    total, grads = mlp_loss_and_grads(params, X, y, activation, loss)
    check_against_finite_differences(params, X, y, activation, loss, grads, total)


def test_one_dimensional_y_for_a_single_output():
    params, X, y = problem([2, 6, 1], seed=1)
    total_column, grads_column = mlp_loss_and_grads(params, X, y)
    total_flat, grads_flat = mlp_loss_and_grads(params, X, y.ravel())
    assert total_flat == pytest.approx(total_column, rel=SAME_PATH_RTOL)
    np.testing.assert_allclose(flatten_params(grads_flat), flatten_params(grads_column))


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_loss_is_a_sum_over_samples(loss):
    """F of the dataset written twice is 2 F, and so is its gradient (MATH.md: a sum)."""
    params, X, y = problem(SMALL_SIZES, seed=2, loss=loss)
    total, grads = mlp_loss_and_grads(params, X, y, "tanh", loss)
    total2, grads2 = mlp_loss_and_grads(params, np.vstack([X, X]), np.vstack([y, y]), "tanh", loss)
    assert total2 == pytest.approx(2 * total, rel=1e-13)
    np.testing.assert_allclose(flatten_params(grads2), 2 * flatten_params(grads), rtol=1e-12)


def test_mse_closed_form_for_a_linear_unit():
    """One linear unit w x + b: total = sum (w x + b - y)^2, dF/dw = 2 sum (w x + b - y) x."""
    params = [(np.array([[1.5]]), np.array([-0.5]))]
    X = np.array([[1.0], [2.0], [-1.0]])
    y = np.array([0.0, 1.0, 1.0])
    residual = 1.5 * X[:, 0] - 0.5 - y  # 1, 1.5, -3
    total, grads = mlp_loss_and_grads(params, X, y, "sigmoid", "mse")
    assert total == pytest.approx(float(np.sum(residual**2)), rel=1e-15)
    assert grads[0][0][0, 0] == pytest.approx(2 * float(np.sum(residual * X[:, 0])), rel=1e-15)
    assert grads[0][1][0] == pytest.approx(2 * float(np.sum(residual)), rel=1e-15)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_bce_is_stable_at_huge_logits(dtype):
    """Logits +-1e4: softplus(s) - y s tends to 0 (right side) or |s| (wrong side), exactly."""
    params = [(np.array([[1e4]], dtype=dtype), np.zeros(1, dtype=dtype))]
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])  # logits 1e4, -1e4, 1e4, -1e4
    y = np.array([1.0, 1.0, 0.0, 0.0])
    total, grads = mlp_loss_and_grads(params, X, y, "sigmoid", "bce")
    assert total == 2e4  # two wrong-side samples of 1e4 each; exp(-1e4) is exactly 0 in every dtype
    # dF/ds = sigma(s) - y = 0, -1, 1, 0, so dF/dW = sum x dF/ds = 2 and dF/db = 0
    assert grads[0][0][0, 0] == 2.0
    assert grads[0][1][0] == 0.0


def test_bce_matches_reference_at_moderate_logits():
    params = [(np.array([[3.0], [-2.0]]), np.array([0.5]))]
    X = np.random.default_rng(0).normal(size=(20, 2)) * 5
    y = (X[:, 0] > 0).astype(float)
    total, _ = mlp_loss_and_grads(params, X, y, "sigmoid", "bce")
    assert total == pytest.approx(reference_F(params, X, y, "sigmoid", "bce"), rel=1e-13)


@pytest.mark.parametrize(
    ("activation", "z"), [("sigmoid", 40.0), ("sigmoid", -40.0), ("tanh", 20.0)]
)
def test_saturated_derivative_keeps_full_relative_accuracy(activation, z):
    """sigma(40) rounds to 1 in float64, yet sigma'(40) = e^-40 / (1 + e^-40)^2 is returned,
    not the 0 that sigma (1 - sigma) would give; likewise tanh'(20) = 4 e^-40 / (1 + e^-40)^2."""
    params = [(np.array([[z]]), np.zeros(1)), (np.array([[1.0]]), np.zeros(1))]
    _, grads = mlp_loss_and_grads(params, [[1.0]], [0.0], activation)
    value = get_activation(activation).value(np.array(z))
    e = math.exp(-abs(z)) if activation == "sigmoid" else math.exp(-2 * abs(z))
    derivative = e / (1 + e) ** 2 * (1 if activation == "sigmoid" else 4)
    # F = (act(z w1) w2)^2 with x = 1, w2 = 1: dF/dw1 = 2 act(z) act'(z)
    assert grads[0][0][0, 0] == pytest.approx(2 * float(value) * derivative, rel=1e-14)
    assert grads[0][0][0, 0] != 0.0


# ----------------------------------------------------------------------------- per-layer figures


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "leaky_relu"])
def test_backprop_norms_match_finite_differences_in_z(activation):
    """||dF/dz_l||_F from shifts added to z_l in the independent forward pass."""
    params, X, y = problem(SMALL_SIZES, seed=5, batch=4)
    assert_no_kink(params, X, activation)
    zs, _, _ = reference_forward(params, X, activation)
    expected = []
    for layer, z in enumerate(zs):

        def shifted(shift, layer=layer):
            shifts = [np.zeros_like(other) for other in zs]
            shifts[layer] = shift
            return reference_F(params, X, y, activation, "mse", shifts)

        derivative = numerical_gradient(shifted, np.zeros_like(z), h=FD_STEP)
        expected.append(np.linalg.norm(derivative))
    norms = mlp_backprop_norms(params, X, y, activation)
    assert norms.dtype == np.float64
    assert norms.shape == (len(params),)
    np.testing.assert_allclose(norms, expected, rtol=FD_RTOL)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_pass_statistics_match_reference(activation):
    params, X, y = problem([3, 20, 20, 1], seed=7, batch=50, scheme="custom", scale=2.0)
    result = mlp_forward_backward(params, X, y, activation)
    assert isinstance(result, MLPPass)
    zs, hidden, _ = reference_forward(params, X, activation)
    np.testing.assert_allclose(result.activation_mean, [a.mean() for a in hidden], rtol=1e-12)
    np.testing.assert_allclose(result.activation_std, [a.std() for a in hidden], rtol=1e-12)
    np.testing.assert_allclose(
        result.weight_grad_norms, [np.linalg.norm(w) for w, _ in result.grads], rtol=1e-12
    )
    derivative = get_activation(activation).derivative
    if activation == "sigmoid":
        saturated = [np.mean(derivative(z) < 0.01 * 0.25) for z in zs[:-1]]
    elif activation == "tanh":
        saturated = [np.mean(derivative(z) < 0.01) for z in zs[:-1]]
    elif activation in ("relu", "leaky_relu"):  # dead units / the slope branch
        saturated = [np.mean(z <= 0) for z in zs[:-1]]
    else:
        saturated = [0.0, 0.0]
    np.testing.assert_allclose(result.saturation, saturated, atol=COUNT_TOL / (50 * 20))
    if activation in ("sigmoid", "tanh", "relu"):
        assert result.saturation.max() > 0.05  # scale 2 saturates a visible share


def test_mlp_backprop_norms_is_the_pass_field():
    params, X, y = problem(SMALL_SIZES, seed=1)
    np.testing.assert_allclose(
        mlp_backprop_norms(params, X, y, "tanh"),
        mlp_forward_backward(params, X, y, "tanh").backprop_norms,
        rtol=SAME_PATH_RTOL,
    )


# ----------------------------------------------------------------------------- precision


def deep_sigmoid(hidden=10, width=32, dtype="float16"):
    sizes = [2] + [width] * hidden + [1]
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, size=(256, 2))
    y = np.sin(3.0 * X[:, 0])
    return init_mlp(sizes, "standard", seed=0, dtype=dtype), X, y


def test_float32_matches_float64():
    params, X, y = deep_sigmoid(hidden=4, width=16, dtype="float32")
    total32, grads32 = mlp_loss_and_grads(params, X, y)
    total64, grads64 = mlp_loss_and_grads(params, X, y, dtype="float64")
    assert grads32[0][0].dtype == np.float32
    assert grads64[0][0].dtype == np.float64
    assert total32 == pytest.approx(total64, rel=FLOAT32_RTOL)
    for (w32, b32), (w64, b64) in zip(grads32, grads64, strict=True):
        for g32, g64 in ((w32, w64), (b32, b64)):
            np.testing.assert_allclose(
                g32, g64, rtol=FLOAT32_RTOL, atol=FLOAT32_RTOL * abs(g64).max()
            )


def test_float16_gradients_flush_to_zero_where_float64_does_not():
    """Deep sigmoid, standard init: the input layer's dF/dz underflows to exactly 0 in float16."""
    params, X, y = deep_sigmoid()
    half = mlp_forward_backward(params, X, y)
    double = mlp_forward_backward(params, X, y, dtype="float64")
    assert np.all(double.backprop_norms > 0)
    assert half.backprop_norms[0] == 0.0  # exactly: every entry flushed
    assert np.count_nonzero(half.grads[0][0]) == 0
    assert half.grads[0][0].dtype == np.float32  # float16 work, float32 master gradients
    # far from the input, float16 agrees with float64
    np.testing.assert_allclose(
        half.backprop_norms[5:], double.backprop_norms[5:], rtol=FLOAT16_RTOL
    )


def test_loss_scaling_rescues_float16_gradients():
    """loss_scale 2^10 keeps dF/dz above float16's subnormals; unscaled in float32 they match
    float64 (same float16-rounded weights and data). 2^16 overflows the output gradient (a
    skipped step in GradScaler terms); our loss here is a sum over 256 samples, not a mean."""
    params, X, y = deep_sigmoid()
    double = mlp_forward_backward(params, X, y, dtype="float64")
    scaled = mlp_forward_backward(params, X, y, loss_scale=2.0**10)
    assert scaled.loss == mlp_forward_backward(params, X, y).loss  # the unscaled F
    # unscaled float16 flushed all of them (previous test); a few may still cancel to 0 in sums
    # of float16 subnormals
    assert np.count_nonzero(scaled.grads[0][0]) >= 0.9 * scaled.grads[0][0].size
    np.testing.assert_allclose(scaled.backprop_norms, double.backprop_norms, rtol=FLOAT16_RTOL)
    np.testing.assert_allclose(
        scaled.weight_grad_norms, double.weight_grad_norms, rtol=FLOAT16_RTOL
    )
    for (w16, _), (w64, _) in zip(scaled.grads, double.grads, strict=True):
        np.testing.assert_allclose(w16, w64, atol=FLOAT16_RTOL * abs(w64).max())
    overflowed = mlp_forward_backward(params, X, y, loss_scale=2.0**16)
    assert np.all(np.isinf(overflowed.backprop_norms))
    assert math.isfinite(overflowed.loss)


def test_loss_scale_by_a_power_of_two_is_exact_in_float64():
    params, X, y = problem(SMALL_SIZES, seed=4)
    total, grads = mlp_loss_and_grads(params, X, y, "tanh")
    total_scaled, grads_scaled = mlp_loss_and_grads(params, X, y, "tanh", loss_scale=2.0**20)
    assert total_scaled == total
    # scaling by 2^20 and back commutes with every rounding (no overflow, no subnormals)
    assert np.array_equal(flatten_params(grads_scaled), flatten_params(grads))


CONFIDENT_LOGIT = 9.0
"""A logit past float16's cancellation point: 1 + exp(-9) = 1 + 1.23e-4 rounds to 1 in float16
(half its ulp at 1 is 4.9e-4), so sigma(9) - 1 is exactly 0 there."""


def confident_unit():
    """One linear output unit, logit 9 for a sample of class 1: F = log(1 + exp(-9))."""
    params = [(np.array([[CONFIDENT_LOGIT]], dtype=np.float16), np.zeros(1, dtype=np.float16))]
    return params, np.array([[1.0]]), np.array([1.0])


@pytest.mark.parametrize("loss_scale", [1.0, 2.0**10])
def test_float32_loss_keeps_the_error_of_a_confident_sample(loss_scale):
    """float16 loss: sigma(9) - 1 cancels to exactly 0, whatever the loss scale; the float32 loss
    (as torch.autocast computes it) gives -1/(1 + e^9), rounded once to float16."""
    params, X, y = confident_unit()
    flat = flatten_params(params)
    sizes = [1, 1]
    kwargs = {"dtype": "float16", "loss_scale": loss_scale, "figures": ("backprop_zeros",)}
    half = mlp_objective(sizes, X, y, "identity", "bce", **kwargs)
    wide = mlp_objective(sizes, X, y, "identity", "bce", loss_dtype="float32", **kwargs)
    total16, gradient16, extras16 = half(flat)
    total32, gradient32, extras32 = wide(flat)
    assert np.count_nonzero(gradient16) == 0  # exactly: the error cancelled
    assert extras16["backprop_zeros"][-1] == 1.0
    assert extras32["backprop_zeros"][-1] == 0.0
    expected = -1.0 / (1.0 + math.exp(CONFIDENT_LOGIT))  # dF/ds = dF/dw (x = 1) = dF/db
    np.testing.assert_allclose(gradient32, [expected, expected], rtol=2.0**-11)
    assert total32 == pytest.approx(math.log1p(math.exp(-CONFIDENT_LOGIT)), rel=FLOAT32_RTOL)
    assert total16 == pytest.approx(math.log1p(math.exp(-CONFIDENT_LOGIT)), rel=FLOAT16_RTOL)


@pytest.mark.parametrize(("activation", "loss"), [("sigmoid", "mse"), ("tanh", "bce")])
def test_loss_dtype_default_is_the_working_dtype(activation, loss):
    """loss_dtype=None and loss_dtype=dtype run the same arithmetic: equal bit for bit."""
    params, X, y = problem([2, 8, 8, 1], seed=3, batch=32, loss=loss)
    flat = flatten_params(params)
    for dtype in ("float16", "float32"):
        for scale in (1.0, 2.0**8):
            kwargs = {"dtype": dtype, "loss_scale": scale, "figures": FIGURES}
            default = mlp_objective([2, 8, 8, 1], X, y, activation, loss, **kwargs)(flat)
            same = mlp_objective([2, 8, 8, 1], X, y, activation, loss, loss_dtype=dtype, **kwargs)(
                flat
            )
            assert same[0] == default[0]
            np.testing.assert_array_equal(same[1], default[1])
            for name in FIGURES:
                np.testing.assert_array_equal(same[2][name], default[2][name])


def test_float32_loss_of_a_float16_network_against_float64():
    """mse on targets sin(3x): with the float32 loss, F is the float64 sum of squares of the
    float16 output minus the float32 targets (not the float16-rounded ones), to float32 accuracy."""
    params, X, y = deep_sigmoid(hidden=3, width=8)
    sizes = [2, 8, 8, 8, 1]
    objective = mlp_objective(sizes, X, y, dtype="float16", loss_dtype="float32", figures=())
    total, _, _ = objective(flatten_params(params))
    out = mlp_predict(params, X, dtype="float16").astype(np.float64).ravel()
    expected = float(np.sum((out - y.astype(np.float32).astype(np.float64)) ** 2))
    assert total == pytest.approx(expected, rel=FLOAT32_RTOL)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dtype": "float32", "loss_dtype": "float16"}, "loss_dtype must be at least as wide"),
        ({"dtype": "float64", "loss_dtype": "float32"}, "loss_dtype must be at least as wide"),
        ({"dtype": "float16", "loss_dtype": "int8"}, "loss_dtype"),
        ({"dtype": "float16", "loss_dtype": "float128"}, "loss_dtype"),
    ],
)
def test_bad_loss_dtype(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mlp_objective([2, 3, 1], X_OK, Y_OK, **kwargs)


def test_float16_overflowing_loss_is_inf_not_nan():
    params = [(np.array([[200.0]], dtype=np.float16), np.zeros(1, dtype=np.float16))]
    total, _ = mlp_loss_and_grads(params, [[300.0]], [0.0])  # output 60000, squared: overflow
    assert total == math.inf
    # inf - inf at the output: an undefined value, reported as an overflowed (inf) loss
    params = [
        (np.array([[60000.0, 60000.0]], dtype=np.float16), np.zeros(2, dtype=np.float16)),
        (np.array([[1.0], [-1.0]], dtype=np.float16), np.zeros(1, dtype=np.float16)),
    ]
    result = mlp_forward_backward(params, [[2.0]], [0.0], "identity")
    assert result.loss == math.inf
    assert np.all(np.isinf(result.weight_grad_norms))


# ----------------------------------------------------------------------------- Glorot & Bengio


@pytest.mark.parametrize("seed", [0, 1])
def test_standard_init_shrinks_gradients_toward_the_input_and_xavier_does_not(seed):
    """Glorot & Bengio (2010), tanh, 8 hidden layers of 64: with the standard init ||dF/dz_l||
    falls at every layer toward the input (factor ~0.55 each); the normalized init keeps the
    hidden layers within a small factor."""
    sizes = [64] * 10
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(256, 64)), rng.normal(size=(256, 64))
    standard = mlp_backprop_norms(init_mlp(sizes, "standard", seed), X, y, "tanh")[:-1]
    xavier = mlp_backprop_norms(init_mlp(sizes, "xavier", seed), X, y, "tanh")[:-1]
    assert np.all(np.diff(standard) > 0)
    assert standard[0] / standard[-1] < 0.05
    assert xavier.max() / xavier.min() < 5.0
    # sigmoid: sigma' <= 1/4, so even the normalized init shrinks them by orders of magnitude
    sigmoid = mlp_backprop_norms(init_mlp(sizes, "xavier", seed), X, y, "sigmoid")[:-1]
    assert sigmoid[0] / sigmoid[-1] < 1e-3


# ----------------------------------------------------------------------------- init


@pytest.mark.parametrize(
    ("scheme", "variance", "bound"),
    [
        ("standard", lambda n_in, n_out: 1 / (3 * n_in), lambda n_in, n_out: 1 / math.sqrt(n_in)),
        (
            "xavier",
            lambda n_in, n_out: 2 / (n_in + n_out),
            lambda n_in, n_out: math.sqrt(6 / (n_in + n_out)),
        ),
        ("he", lambda n_in, n_out: 2 / n_in, None),
        ("custom", lambda n_in, n_out: 1.0, None),
    ],
)
def test_init_variance_matches_formula(scheme, variance, bound):
    n_in, n_out = 400, 300
    ((weights, bias),) = init_mlp([n_in, n_out], scheme, seed=11)
    expected = variance(n_in, n_out)
    n = weights.size
    # standard error of a sample variance: var * sqrt((kurtosis - 1) / n); uniform 1.8, normal 3
    kurtosis = 1.8 if bound is not None else 3.0
    assert weights.var() == pytest.approx(expected, rel=INIT_SIGMAS * math.sqrt((kurtosis - 1) / n))
    assert abs(weights.mean()) < INIT_SIGMAS * math.sqrt(expected / n)
    if bound is not None:
        assert np.abs(weights).max() <= bound(n_in, n_out)
    assert np.all(bias == 0)


@pytest.mark.parametrize("scheme", ["standard", "xavier", "he", "custom"])
def test_init_scale_multiplies_weights(scheme):
    base = init_mlp([5, 7, 3], scheme, seed=2)
    scaled = init_mlp([5, 7, 3], scheme, seed=2, scale=3.0)
    for (w, _), (w3, _) in zip(base, scaled, strict=True):
        np.testing.assert_allclose(w3, 3.0 * w, rtol=1e-15)


def test_init_is_deterministic_per_seed_and_dtype_is_rounding():
    first = init_mlp([4, 8, 8, 2], "he", seed=5)
    again = init_mlp([4, 8, 8, 2], "he", seed=np.random.default_rng(5))
    other = init_mlp([4, 8, 8, 2], "he", seed=6)
    half = init_mlp([4, 8, 8, 2], "he", seed=5, dtype="float16")
    assert [w.shape for w, _ in first] == [(4, 8), (8, 8), (8, 2)]
    assert [b.shape for _, b in first] == [(8,), (8,), (2,)]
    for (w, _), (w2, _), (w3, _), (w16, b16) in zip(first, again, other, half, strict=True):
        assert np.array_equal(w, w2)  # same seed, same draws: exactness is the point
        assert not np.array_equal(w, w3)
        assert w16.dtype == np.float16
        assert b16.dtype == np.float16
        assert np.array_equal(w16, w.astype(np.float16))


# ----------------------------------------------------------------------------- predict, flat


def test_predict_matches_reference_forward():
    params, X, _ = problem(SMALL_SIZES, seed=8)
    out = mlp_predict(params, X, "tanh")
    np.testing.assert_allclose(out, reference_forward(params, X, "tanh")[2], rtol=1e-13)
    half = mlp_predict(params, X, "tanh", dtype="float16")
    assert half.dtype == np.float16
    np.testing.assert_allclose(half, out, rtol=FLOAT16_RTOL, atol=FLOAT16_RTOL)


def test_flatten_unflatten_round_trip_and_views():
    params = init_mlp(SMALL_SIZES, seed=1)
    flat = flatten_params(params)
    assert flat.size == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    views = unflatten_params(flat, SMALL_SIZES)
    for (w, b), (wv, bv) in zip(params, views, strict=True):
        assert np.array_equal(w, wv)
        assert np.array_equal(b, bv)
        assert np.shares_memory(wv, flat)
        assert np.shares_memory(bv, flat)
    flat[0] = 42.0
    assert views[0][0][0, 0] == 42.0  # a view, not a copy


def test_objective_matches_loss_and_grads():
    params, X, y = problem(SMALL_SIZES, seed=9, loss="bce")
    objective = mlp_objective(SMALL_SIZES, X, y, "tanh", "bce")
    flat = flatten_params(params)
    total, gradient, extras = objective(flat)
    expected_total, expected_grads = mlp_loss_and_grads(params, X, y, "tanh", "bce")
    assert total == pytest.approx(expected_total, rel=SAME_PATH_RTOL)
    np.testing.assert_allclose(gradient, flatten_params(expected_grads), rtol=SAME_PATH_RTOL)
    reference = mlp_forward_backward(params, X, y, "tanh", "bce")
    for key in ("backprop_norms", "weight_grad_norms", "saturation"):
        np.testing.assert_allclose(extras[key], getattr(reference, key), rtol=SAME_PATH_RTOL)
    _, second, _ = objective(flat)
    assert not np.shares_memory(gradient, second)  # a fresh gradient on every call


def test_objective_in_float16_returns_float32_gradient():
    params, X, y = deep_sigmoid(hidden=3, width=8)
    objective = mlp_objective([2, 8, 8, 8, 1], X, y, dtype="float16", loss_scale=2.0**8)
    total, gradient, extras = objective(flatten_params(params).astype(np.float64))
    reference = mlp_forward_backward(params, X, y, loss_scale=2.0**8)
    assert gradient.dtype == np.float32
    assert total == reference.loss
    np.testing.assert_allclose(gradient, flatten_params(reference.grads), rtol=SAME_PATH_RTOL)
    assert extras["saturation"].shape == (3,)


def test_objective_returns_the_figures_asked_for():
    """``figures`` selects the extras; the values are those of the full pass."""
    params, X, y = problem(SMALL_SIZES, seed=5)
    flat = flatten_params(params)
    full = mlp_objective(SMALL_SIZES, X, y, "sigmoid")(flat)[2]
    chosen = mlp_objective(SMALL_SIZES, X, y, "sigmoid", figures=("saturation",))(flat)[2]
    assert list(chosen) == ["saturation"]
    np.testing.assert_array_equal(chosen["saturation"], full["saturation"])
    every = mlp_objective(SMALL_SIZES, X, y, "sigmoid", figures=FIGURES)(flat)[2]
    reference = mlp_forward_backward(params, X, y, "sigmoid")
    for name in FIGURES:
        np.testing.assert_array_equal(every[name], getattr(reference, name))
    assert mlp_objective(SMALL_SIZES, X, y, figures=())(flat)[2] == {}
    zeros = mlp_objective(SMALL_SIZES, X, y, figures=("backprop_zeros",))(flat)[2]
    assert zeros["backprop_zeros"].shape == (len(SMALL_SIZES) - 1,)
    for bad in ("saturation", ["saturation", "gradient"], 3):
        with pytest.raises(ValueError, match="figures"):
            mlp_objective(SMALL_SIZES, X, y, figures=bad)


ALL_FLOAT16 = np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16)  # 0 .. largest finite
ONE_ULP_POINTS = 16  # of 63,487 arguments: where float32 arithmetic lands next to a tie


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_float16_activation_and_derivative_over_every_float16_argument(activation):
    """In float16 the activation and its derivative are computed in float32 and rounded once:
    at every finite float16 z, within one ulp of the float64 closed form rounded to float16, and
    exactly that value at all but a handful of z."""
    z = np.concatenate([-ALL_FLOAT16[:0:-1], ALL_FLOAT16]).astype(np.float32)
    value, derivative = activate(ACTIVATIONS[activation].kernel, z.copy(), round_half)
    reference = get_activation(activation)
    z64 = z.astype(np.float64)
    for shown, exact in ((value, reference.value(z64)), (derivative, reference.derivative(z64))):
        rounded = exact.astype(np.float16).astype(np.float64)
        ulps = np.abs(shown.astype(np.float64) - rounded) / np.spacing(
            np.abs(rounded).astype(np.float16)
        ).astype(np.float64)
        assert np.all(ulps <= 1.0)
        assert np.count_nonzero(ulps) <= ONE_ULP_POINTS


def float16_reference(params, X, y, activation, loss_scale, deltas=None):
    """The float16 pass with real float16 arrays, one numpy operation at a time (mse): each
    matrix product in float32 rounded once (as numpy's own float16 matmul), each sum and product
    a numpy float16 operation, the activation from the module's float32 kernel rounded by numpy's
    conversion. Returns [(dF/dW, dF/db)] in float32, unscaled; appends ``(dF/dz_l, act'(z_l))``
    (scaled, float16; act' None for the output layer) to the list ``deltas``, output first."""
    f16, f32 = np.float16, np.float32
    kernel = ACTIVATIONS[activation].kernel
    a = X.astype(f16)
    inputs, derivatives = [a], []
    for layer, (weights, bias) in enumerate(params):
        z = np.matmul(a.astype(f32), weights.astype(f32)).astype(f16) + bias
        if layer == len(params) - 1:
            break
        z32 = z.astype(f32)
        a32 = np.empty_like(z32)
        kernel(z32, a32)
        a = a32.astype(f16)
        inputs.append(a)
        derivatives.append(z32.astype(f16))
    delta = (z - y.astype(f16).reshape(z.shape)) * f16(2)
    delta = (delta.astype(f32) * f32(loss_scale)).astype(f16)
    ones = np.ones(len(X), dtype=f32)
    grads = []
    for layer in range(len(params) - 1, -1, -1):
        if deltas is not None:
            deltas.append((delta, derivatives[layer] if layer < len(derivatives) else None))
        d32 = delta.astype(f32)
        weight = np.matmul(inputs[layer].astype(f32).T, d32).astype(f16).astype(f32)
        bias = np.matmul(ones, d32).astype(f16).astype(f32)
        grads.append((weight / f32(loss_scale), bias / f32(loss_scale)))
        if layer > 0:
            back = np.matmul(d32, params[layer][0].astype(f32).T).astype(f16)
            delta = back * derivatives[layer - 1]
    return grads[::-1]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("loss_scale", [1.0, 2.0**6])
def test_float16_pass_rounds_where_float16_arithmetic_does(activation, loss_scale):
    """Bit for bit the per-operation float16 reference: every product, bias sum and backward
    product is rounded to float16 exactly once, at the same place."""
    sizes = [2, 12, 12, 12, 1]
    params = init_mlp(sizes, "xavier", 4, dtype="float16")
    rng = np.random.default_rng(4)
    for _, bias in params:
        bias[:] = rng.normal(0.0, 0.5, size=bias.shape)
    X = rng.normal(0.0, 2.0, size=(48, 2))
    y = rng.normal(size=48)
    _, grads = mlp_loss_and_grads(params, X, y, activation, "mse", loss_scale=loss_scale)
    expected = float16_reference(params, X, y, activation, loss_scale)
    for (weight, bias), (weight_ref, bias_ref) in zip(grads, expected, strict=True):
        np.testing.assert_array_equal(weight, weight_ref)
        np.testing.assert_array_equal(bias, bias_ref)
        assert np.isfinite(weight).all()
        assert np.count_nonzero(weight) > weight.size // 2


@pytest.mark.parametrize("loss_scale", [1.0, 2.0**6])
def test_backprop_zeros_count_the_exact_zeros_of_the_float16_pass(loss_scale):
    """8 sigmoid layers, standard init: the share of exactly-0 entries of dF/dz per layer, from
    the per-operation float16 reference (where act' is not 0); none in float64."""
    sizes = [2] + [12] * 8 + [1]
    params = init_mlp(sizes, "standard", 4, dtype="float16")
    rng = np.random.default_rng(4)
    X = rng.normal(0.0, 2.0, size=(48, 2))
    y = rng.normal(size=48)
    objective = mlp_objective(
        sizes, X, y, dtype="float16", loss_scale=loss_scale, figures=("backprop_zeros",)
    )
    got = objective(flatten_params(params))[2]["backprop_zeros"]
    deltas = []
    float16_reference(params, X, y, "sigmoid", loss_scale, deltas)
    expected = []
    for delta, derivative in deltas[::-1]:
        live = np.ones(delta.shape, dtype=bool) if derivative is None else derivative != 0
        expected.append(np.count_nonzero(live & (delta == 0)) / np.count_nonzero(live))
    np.testing.assert_array_equal(got, expected)
    assert got[0] > (0.5 if loss_scale == 1.0 else 0.0)  # layer 1 flushes, less when scaled
    assert got[-1] == 0.0
    wide = [(w.astype(np.float64), b.astype(np.float64)) for w, b in params]
    double = mlp_objective(sizes, X, y, figures=("backprop_zeros",))(flatten_params(wide))[2]
    np.testing.assert_array_equal(double["backprop_zeros"], np.zeros(len(sizes) - 1))


def test_objective_drives_gradient_descent():
    descent = pytest.importorskip("vgcore.descent")
    stopping = pytest.importorskip("vgcore.stopping")
    params, X, y = problem([2, 6, 6, 1], seed=3, batch=32)
    objective = mlp_objective([2, 6, 6, 1], X, y, "tanh")
    result = descent.gradient_descent(
        objective,
        flatten_params(params),
        eta=1e-2,
        rules=stopping.StoppingRules(max_iter=50, stagnation=False),
    )
    # a hand-written loop x <- x - eta grad over the same objective reaches the same iterate
    x = flatten_params(params)
    for _ in range(50):
        x = x - 1e-2 * objective(x)[1]
    np.testing.assert_allclose(result.x, x, rtol=1e-12, atol=1e-12)
    assert result.loss[-1] < result.loss[0]


# ----------------------------------------------------------------------------- validation

PARAMS = init_mlp([2, 3, 1], seed=0)
X_OK = np.zeros((4, 2))
Y_OK = np.zeros(4)


def w(*shape, dtype="float64"):
    return np.zeros(shape, dtype=dtype)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("not params", "params"),
        ([], "params"),
        ([(w(2, 3),)], r"params\[0\]"),
        ([(w(2, 3).tolist(), w(3))], r"params\[0\]"),
        ([(w(2, 3, 1), w(3))], r"params\[0\]"),
        ([(w(2, 3), w(2))], r"params\[0\]"),
        ([(w(2, 0), w(0))], r"params\[0\]"),
        ([(w(2, 3), w(3)), (w(4, 1), w(1))], r"params\[1\]"),
        ([(w(2, 3), w(3)), (w(3, 1, dtype="float32"), w(1, dtype="float32"))], "dtype"),
        ([(w(2, 3, dtype="int64"), w(3, dtype="int64"))], "dtype"),
        ([(np.full((2, 3), np.nan), w(3))], "finite"),
        ([(w(2, 3), np.array([np.inf, 0.0, 0.0]))], "finite"),
    ],
)
def test_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        mlp_loss_and_grads(params, np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=match):
        mlp_predict(params, np.zeros((4, 2)))


@pytest.mark.parametrize(
    ("X", "y", "loss", "match"),
    [
        (np.zeros(4), Y_OK, "mse", "X"),
        (np.zeros((4, 3)), Y_OK, "mse", "X"),
        (np.full((4, 2), np.nan), Y_OK, "mse", "X"),
        ("abc", Y_OK, "mse", "X"),
        (X_OK, np.zeros(3), "mse", "y"),
        (X_OK, np.zeros((4, 2)), "mse", "y"),
        (X_OK, np.full(4, np.inf), "mse", "y"),
        (X_OK, np.array([0.0, 1.0, 0.5, 1.0]), "bce", "y"),
    ],
)
def test_bad_data(X, y, loss, match):
    with pytest.raises(ValueError, match=match):
        mlp_loss_and_grads(PARAMS, X, y, "sigmoid", loss)
    with pytest.raises(ValueError, match=match):
        mlp_objective([2, 3, 1], X, y, "sigmoid", loss)


def test_data_that_overflows_float16():
    with pytest.raises(ValueError, match="X must fit in float16"):
        mlp_loss_and_grads(PARAMS, np.full((4, 2), 1e5), Y_OK, dtype="float16")
    with pytest.raises(ValueError, match="y must fit in float16"):
        mlp_objective([2, 3, 1], X_OK, np.full(4, -1e5), dtype="float16")
    with pytest.raises(ValueError, match="X must fit in float16"):
        mlp_predict(PARAMS, np.full((4, 2), 1e5), dtype="float16")
    with pytest.raises(ValueError, match="params"):
        mlp_loss_and_grads([(np.full((2, 1), 1e5), w(1))], X_OK, Y_OK, dtype="float16")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"activation": "softmax"}, "activation"),
        ({"loss": "hinge"}, "loss"),
        ({"dtype": "float128"}, "dtype"),
        ({"dtype": "int32"}, "dtype"),
        ({"loss_scale": 0.0}, "loss_scale"),
        ({"loss_scale": -1.0}, "loss_scale"),
        ({"loss_scale": math.inf}, "loss_scale"),
        ({"loss_scale": math.nan}, "loss_scale"),
        ({"loss_scale": True}, "loss_scale"),
    ],
)
def test_bad_options(kwargs, match):
    for function in (mlp_loss_and_grads, mlp_forward_backward, mlp_backprop_norms):
        with pytest.raises(ValueError, match=match):
            function(PARAMS, X_OK, Y_OK, **kwargs)
    with pytest.raises(ValueError, match=match):
        mlp_objective([2, 3, 1], X_OK, Y_OK, **kwargs)


def test_bad_predict_options():
    with pytest.raises(ValueError, match="activation"):
        mlp_predict(PARAMS, X_OK, "swish")
    with pytest.raises(ValueError, match="dtype"):
        mlp_predict(PARAMS, X_OK, dtype="complex128")
    with pytest.raises(ValueError, match="X"):
        mlp_predict(PARAMS, np.zeros((4, 5)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": 5}, "sizes"),
        ({"sizes": "23"}, "sizes"),
        ({"sizes": [3]}, "sizes"),
        ({"sizes": [3, 0]}, r"sizes\[1\]"),
        ({"sizes": [3, 2.5]}, r"sizes\[1\]"),
        ({"sizes": [True, 2]}, r"sizes\[0\]"),
        ({"sizes": [3, 2_000_000]}, r"sizes\[1\]"),
        ({"scheme": "orthogonal"}, "scheme"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"scale": 0.0}, "scale"),
        ({"scale": math.nan}, "scale"),
        ({"dtype": "float8"}, "dtype"),
        ({"scheme": "custom", "scale": 1e6, "dtype": "float16"}, "scale"),
    ],
)
def test_bad_init(kwargs, match):
    arguments = {"sizes": [3, 2]} | kwargs
    with pytest.raises(ValueError, match=match):
        init_mlp(**arguments)


def test_bad_flat_vectors():
    with pytest.raises(ValueError, match="flat"):
        unflatten_params([0.0] * 13, [2, 3, 1])
    with pytest.raises(ValueError, match="flat"):
        unflatten_params(np.zeros(13, dtype=np.int64), [2, 3, 1])
    with pytest.raises(ValueError, match="flat"):
        unflatten_params(np.zeros((13, 1)), [2, 3, 1])
    with pytest.raises(ValueError, match="flat must have 13"):
        unflatten_params(np.zeros(12), [2, 3, 1])
    with pytest.raises(ValueError, match="contiguous"):
        unflatten_params(np.zeros(26)[::2], [2, 3, 1])
    with pytest.raises(ValueError, match="sizes"):
        unflatten_params(np.zeros(13), [13])
    with pytest.raises(ValueError, match="params"):
        flatten_params([(w(2, 3), w(2))])
    objective = mlp_objective([2, 3, 1], X_OK, Y_OK, dtype="float16")
    with pytest.raises(ValueError, match="flat"):
        objective(np.zeros(12))
    with pytest.raises(ValueError, match="flat"):
        objective(np.zeros(13, dtype=np.int64))
    with pytest.raises(ValueError, match="flat must contain only finite"):
        objective(np.full(13, np.nan))
    with pytest.raises(ValueError, match="flat must fit in float16"):
        objective(np.full(13, 1e6))
