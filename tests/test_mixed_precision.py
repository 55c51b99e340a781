"""Tests for vgcore.mixed_precision: the unscaled float16 gradient against float64 backpropagation
at the float16-rounded weights, lost updates against vgcore.precision, the dynamic scale against
a search over scales with vgcore.mlp, the float32 path against central differences
(vgcore.gradcheck), every argument check, and the figures of the lab's former float16 lesson
(a network whose gradient vanished; the current lessons are pinned in tests/test_lessons.py)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from vgcore.datasets import make_dataset
from vgcore.descent import gradient_descent
from vgcore.gradcheck import check_gradient
from vgcore.mixed_precision import (
    DEFAULT_BACKOFF_FACTOR,
    DEFAULT_GROWTH_FACTOR,
    DEFAULT_GROWTH_INTERVAL,
    DEFAULT_INIT_SCALE,
    LossScaler,
    MixedPrecisionObjective,
    ScaleSchedule,
    mixed_precision_descent,
    mixed_precision_objective,
    precision_breakdown,
)
from vgcore.mlp import (
    flatten_params,
    init_mlp,
    mlp_forward_backward,
    mlp_loss_and_grads,
    mlp_objective,
    unflatten_params,
)
from vgcore.precision import update_is_lost
from vgcore.stopping import StoppingRules

FLOAT16_GRAD_RTOL = 1e-2
"""Unscaled float16 gradient against float64, relative to each layer's largest entry: float16's
unit roundoff 2^-11 ≈ 4.9e-4 compounded over about 3 roundings per layer on the 11 layers from
the loss down to layer 1 (1.5e-2 if every rounding added up; measured at most 6e-3)."""
FLOAT32_RTOL = 1e-4
"""float32 forward and backward against float64 central differences: unit roundoff 6e-8 over a
few layers, and the differences' own error about 1e-10."""
SAME_ARITHMETIC = 0.0
"""Two routes through the very same float operations: equal bit for bit."""

DEEP = [2] + [16] * 10 + [1]
"""MATH.md D4's deep sigmoid: 10 hidden layers of 16, standard initialisation."""


def deep_sigmoid_problem():
    """Regression y = sin(3 x_0) on 256 points; weights and data as the float16 copy holds them."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, size=(256, 2))
    y = np.sin(3.0 * X[:, 0])
    params = init_mlp(DEEP, "standard", seed=0, dtype="float16")
    return params, X, y


def float64_gradient_at_half(params, X, y, activation="sigmoid", loss="mse"):
    """The float64 gradient of the same network at the float16-rounded weights and data."""
    wide = [(w.astype(np.float64), b.astype(np.float64)) for w, b in params]
    half_X = X.astype(np.float16).astype(np.float64)
    half_y = y.astype(np.float16).astype(np.float64)
    _, grads = mlp_loss_and_grads(wide, half_X, half_y, activation, loss, dtype="float64")
    return grads


def layer_parts(flat, sizes):
    return unflatten_params(np.ascontiguousarray(flat), sizes)


# ----------------------------------------------------------------------------- part (a): scale


def test_unscaled_gradient_matches_float64_where_plain_float16_gives_zeros():
    params, X, y = deep_sigmoid_problem()
    master = flatten_params(params).astype(np.float32)
    plain = mixed_precision_objective(DEEP, X, y, schedule=ScaleSchedule.constant(1.0))
    scaled = mixed_precision_objective(DEEP, X, y)  # GradScaler's defaults, backing off
    _, plain_grad, plain_extras = plain(master)
    loss, grad, extras = scaled(master)
    assert grad.dtype == np.float32
    # plain float16: layers 1 and 2 flushed to exactly 0, entry by entry
    np.testing.assert_array_equal(plain_extras["zero_share"][:2], [1.0, 1.0])
    for weights, bias in layer_parts(plain_grad, DEEP)[:2]:
        assert np.count_nonzero(weights) == 0
        assert np.count_nonzero(bias) == 0
    # scaled: no exact zero anywhere, and every layer close to float64
    assert np.count_nonzero(grad) == grad.size
    np.testing.assert_array_equal(extras["zero_share"], np.zeros(len(DEEP) - 1))
    expected = float64_gradient_at_half(params, X, y)
    for (w, b), (w64, b64) in zip(layer_parts(grad, DEEP), expected, strict=True):
        scale = max(np.abs(w64).max(), np.abs(b64).max())
        np.testing.assert_allclose(w, w64, rtol=0, atol=FLOAT16_GRAD_RTOL * scale)
        np.testing.assert_allclose(b, b64, rtol=0, atol=FLOAT16_GRAD_RTOL * scale)
    assert loss == plain(master)[0]  # the reported F is the unscaled float16 loss


HALF_FLUSH = 2.0**-25
"""Half float16's smallest subnormal: below it a value rounds to 0 in float16."""


def test_unscaling_happens_in_float32_not_float16():
    """Some of layer 1's gradient entries lie below half float16's smallest subnormal: the
    float32 gradient keeps them, rounding it to float16 (the float16 descent's first step) turns
    exactly those into 0."""
    params, X, y = deep_sigmoid_problem()
    _, grad, _ = mixed_precision_objective(DEEP, X, y)(flatten_params(params).astype(np.float32))
    first = layer_parts(grad, DEEP)[0][0]
    tiny = np.abs(first) < HALF_FLUSH
    assert np.count_nonzero(tiny) >= 4
    assert np.count_nonzero(first) == first.size
    np.testing.assert_array_equal(first.astype(np.float16) == 0, tiny)


def test_breakdown_counts_zero_shares_flushes_and_lost_updates():
    params, X, y = deep_sigmoid_problem()
    master = flatten_params(params).astype(np.float32)
    eta = 1e-3
    scale = 512.0
    got = precision_breakdown(DEEP, X, y, flat=master, eta=eta, loss_scale=scale)
    # independent counts from vgcore.mlp's own passes and from numpy's float16 arithmetic
    plain = flatten_params(mlp_forward_backward(params, X, y).grads)
    scaled = flatten_params(mlp_forward_backward(params, X, y, loss_scale=scale).grads)
    half = master.astype(np.float16)
    moved16 = half - np.float16(eta) * scaled.astype(np.float16)
    moved32 = master - np.float32(eta) * scaled
    start = 0
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(DEEP)):
        part = slice(start, start + n_in * n_out + n_out)
        start = part.stop
        size = part.stop - part.start
        nonzero = scaled[part] != 0
        assert got.zero_share_float16[layer] == np.count_nonzero(plain[part] == 0) / size
        assert got.zero_share_scaled[layer] == np.count_nonzero(~nonzero) / size
        assert got.nonzero_scaled[layer] == np.count_nonzero(nonzero)
        flushed = nonzero & (scaled[part].astype(np.float16) == 0)
        assert got.flushed_by_rounding[layer] == np.count_nonzero(flushed)
        assert got.lost_float16[layer] == np.count_nonzero(nonzero & (moved16[part] == half[part]))
        assert got.lost_float32[layer] == np.count_nonzero(
            nonzero & (moved32[part] == master[part])
        )
    assert not got.overflow
    # the facts a page states: plain float16 zeros layers 1-2, the scale none; rounding the
    # unscaled gradient back to float16 flushes some of layer 1 again; float16 weights lose
    # at least as many updates as the float32 master weights in every layer, and more in all
    np.testing.assert_array_equal(got.zero_share_float16[:2], [1.0, 1.0])
    np.testing.assert_array_equal(got.zero_share_scaled, np.zeros(len(DEEP) - 1))
    assert got.flushed_by_rounding[0] > 0
    assert np.all(got.lost_float16 >= got.lost_float32)
    assert got.lost_float16.sum() > 2 * got.lost_float32.sum()


# ----------------------------------------------------------------------------- part (d): loss


def confident_samples():
    """One linear output unit w = 9 on x = 1, 2, -1, -2, 0.5 with labels 1, 1, 0, 0, 1: logits
    9, 18, -9, -18, 4.5. The errors sigma(s) - y, in float64: -1.23e-4, -1.52e-8, 1.23e-4,
    1.52e-8, -1.1e-2."""
    return (
        [1, 1],
        np.array([[1.0], [2.0], [-1.0], [-2.0], [0.5]]),
        np.array([1.0, 1.0, 0.0, 0.0, 1.0]),
    )


@pytest.mark.parametrize(
    ("loss_scale", "loss_dtype", "output_zeros"),
    [
        # float16 loss: sigma(9) and sigma(18) round to 1 (the errors cancel) and exp(-18)
        # underflows; no scale brings them back, it multiplies the float16 error
        (1.0, None, 0.6),
        (2.0**10, None, 0.6),
        # float32 loss: s = 9 counts again; 1.52e-8 (s = -18) rounds to 0 in float16 without a
        # scale; s = 18 cancels in float32 too (1 + 1.52e-8 rounds to 1 there)
        (1.0, "float32", 0.4),
        (2.0**10, "float32", 0.2),
    ],
)
def test_breakdown_counts_samples_whose_output_error_is_exactly_0(
    loss_scale, loss_dtype, output_zeros
):
    sizes, X, y = confident_samples()
    flat = np.array([9.0, 0.0])
    got = precision_breakdown(
        sizes, X, y, "identity", "bce", flat=flat, eta=1e-3, loss_scale=loss_scale,
        loss_dtype=loss_dtype,
    )  # fmt: skip
    np.testing.assert_array_equal(got.backprop_zeros_float16, [0.6])
    np.testing.assert_array_equal(got.backprop_zeros_scaled, [output_zeros])
    assert got.loss_dtype == (loss_dtype or "float16")
    errors = 1.0 / (1.0 + np.exp(-9.0 * X[:, 0])) - y  # float64
    assert np.all(errors != 0)
    wide = mixed_precision_objective(
        sizes, X, y, "identity", "bce", schedule=ScaleSchedule.constant(loss_scale),
        loss_dtype=loss_dtype,
    )  # fmt: skip
    _, grad, _ = wide(flat.astype(np.float32))
    if loss_dtype is not None:  # float16's sigma(4.5) - 1 is itself 2% off (cancellation)
        expected = [float(errors @ X[:, 0]), float(errors.sum())]
        np.testing.assert_allclose(grad, expected, rtol=FLOAT16_GRAD_RTOL)


def test_class_1_errors_cancel_from_a_logit_of_7_62_in_float16_and_16_64_in_float32():
    """Over every float16 logit from 0 to 20, against numpy's own float16 and float32
    arithmetic: the float16 output error sigma(s) - 1 is exactly 0 from s ≈ 7.62 on (1 + exp(-s)
    rounds to 1 once exp(-s) <= 2^-11, s >= 11 ln 2); with the float32 loss only from s ≈ 16.64
    (exp(-s) <= 2^-24, s >= 24 ln 2)."""
    logits = np.arange(0, 0x4D01, dtype=np.uint16).view(np.float16)  # 0 .. 20
    X = logits.astype(np.float64).reshape(-1, 1)
    y = np.ones(logits.size)
    flat = np.array([1.0, 0.0])
    zeros = []
    for loss_dtype in (None, "float32"):
        objective = mlp_objective(
            [1, 1], X, y, "identity", "bce", dtype="float16", loss_dtype=loss_dtype,
            figures=("backprop_zeros",),
        )  # fmt: skip
        zeros.append(round(objective(flat)[2]["backprop_zeros"][-1] * logits.size))
    one16, one32 = np.float16(1), np.float32(1)
    cancel16 = one16 / (one16 + np.exp(-logits)) == one16  # numpy's float16 arithmetic
    cancel32 = one32 / (one32 + np.exp(-logits.astype(np.float32))) == one32
    assert zeros == [np.count_nonzero(cancel16), np.count_nonzero(cancel32)]
    first16, first32 = float(logits[cancel16][0]), float(logits[cancel32][0])
    assert 7.6 < first16 < 7.7
    assert 16.6 < first32 < 16.7
    assert np.all(cancel16[logits >= first16])
    assert np.all(cancel32[logits >= first32])


# ----------------------------------------------------------------------------- part (b): master


def two_weight_problem():
    """F(w, b) = (w + b - 0)^2 on one sample x = 1 (a linear layer): dF/dw = dF/db = 2 (w + b)."""
    return [1, 1], np.array([[1.0]]), np.array([0.0])


def test_update_below_half_a_float16_ulp_moves_the_master_weight_only():
    sizes, X, y = two_weight_problem()
    x0 = np.array([0.5, 0.5])  # gradient 2 * (0.5 + 0.5) = 2 in both entries
    eta = 5e-5  # update 1e-4: below half the gap under 0.5 in float16, 2^-13 ≈ 1.2e-4
    assert update_is_lost(0.5, -1e-4, "float16")
    assert not update_is_lost(0.5, -1e-4, "float32")
    rules = StoppingRules(max_iter=1, stagnation=False)
    half = gradient_descent(
        mlp_objective(sizes, X, y, dtype="float16"), x0, eta=eta, rules=rules, dtype="float16"
    )
    np.testing.assert_array_equal(half.x, x0)  # lost on float16 weights
    objective = mixed_precision_objective(sizes, X, y, schedule=ScaleSchedule.constant(1.0))
    mixed = mixed_precision_descent(objective, x0, eta=eta, rules=rules)
    expected = np.float32(0.5) - np.float32(eta) * np.float32(2.0)
    assert mixed.x.dtype == np.float32
    np.testing.assert_array_equal(mixed.x, [expected, expected])
    assert expected != np.float32(0.5)
    breakdown = precision_breakdown(sizes, X, y, flat=x0, eta=eta, loss_scale=1.0)
    np.testing.assert_array_equal(breakdown.lost_float16, [2])
    np.testing.assert_array_equal(breakdown.lost_float32, [0])


def test_small_updates_add_up_on_the_master_weights_until_the_float16_copy_moves():
    """Cross-entropy of one neuron with w = b = 0.5, x = 1, y = 0: dF/dw = dF/db = sigma(1) ≈
    0.73 (it changes by 2e-4 relative over these steps). Steps of 1e-4 from 0.5 are each lost on
    float16 weights (half the gap below 0.5 is 2^-13 ≈ 1.2e-4); on the float32 master weights
    three of them add up to 3e-4, so the float16 copy the forward pass sees moves too."""
    sizes, X, y = [1, 1], np.array([[1.0]]), np.array([0.0])
    x0 = np.array([0.5, 0.5])
    eta = 1e-4 / (1.0 / (1.0 + math.exp(-1.0)))
    rules = StoppingRules(max_iter=3, stagnation=False)
    objective16 = mlp_objective(sizes, X, y, "sigmoid", "bce", dtype="float16")
    half = gradient_descent(objective16, x0, eta=eta, rules=rules, dtype="float16")
    np.testing.assert_array_equal(half.x, x0)  # every update lost
    objective = mixed_precision_objective(
        sizes, X, y, "sigmoid", "bce", schedule=ScaleSchedule.constant(1.0)
    )
    mixed = mixed_precision_descent(objective, x0, eta=eta, rules=rules)
    assert np.all(0.5 - mixed.x > 2.0**-13)
    np.testing.assert_array_equal(mixed.x.astype(np.float16), [0.5 - 2.0**-12] * 2)


# ----------------------------------------------------------------------------- part (c): dynamic


def largest_finite_scale(params, X, y, start, activation="sigmoid", loss="mse"):
    """Halve from ``start`` until vgcore.mlp's scaled pass is finite; (scale, halvings)."""
    scale, halvings = start, 0
    while True:
        grads = mlp_forward_backward(params, X, y, activation, loss, loss_scale=scale).grads
        if all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in grads):
            return scale, halvings
        scale, halvings = scale / 2, halvings + 1


def test_an_overflowing_scale_is_halved_until_finite_and_the_evaluation_repeated():
    params, X, y = deep_sigmoid_problem()
    expected_scale, halvings = largest_finite_scale(params, X, y, DEFAULT_INIT_SCALE)
    assert halvings >= 2  # the summed loss overflows 2^16 (a mean loss would not)
    objective = mixed_precision_objective(DEEP, X, y)
    master = flatten_params(params).astype(np.float32)
    loss, grad, extras = objective(master)
    assert extras["loss_scale"] == expected_scale
    assert extras["skipped"] == halvings
    assert objective.scaler.scale == expected_scale
    assert objective.scaler.n_evaluations == halvings + 1
    assert objective.scaler.n_overflows == halvings
    assert objective.scaler.growth_tracker == 1
    # the retry is the evaluation at the smaller scale itself, bit for bit
    direct = mlp_objective(DEEP, X, y, dtype="float16", loss_scale=expected_scale)(master)
    assert loss == direct[0]
    np.testing.assert_array_equal(grad, direct[1])
    # the next call starts from the backed-off scale: no overflow, nothing skipped
    assert objective(master)[2]["skipped"] == 0


def test_scale_grows_after_the_interval_and_stops_at_max_scale():
    sizes, X, y = two_weight_problem()
    schedule = ScaleSchedule(init_scale=1.0, growth_interval=3, max_scale=4.0)
    objective = mixed_precision_objective(sizes, X, y, schedule=schedule)
    x = np.array([0.25, 0.25], dtype=np.float32)
    used = [objective(x)[2]["loss_scale"] for _ in range(10)]
    assert used == [1.0] * 3 + [2.0] * 3 + [4.0] * 4
    assert objective.scaler.n_overflows == 0


def test_scaler_state_machine():
    scaler = LossScaler(
        ScaleSchedule(init_scale=8.0, growth_interval=2, min_scale=2.0, backoff_factor=0.25)
    )
    assert scaler.update(finite=True) is False
    assert scaler.scale == 8.0
    assert scaler.update(finite=False) is True
    assert scaler.scale == 2.0
    assert scaler.growth_tracker == 0  # an overflow restarts the count
    assert scaler.update(finite=False) is False
    assert scaler.scale == 2.0
    assert scaler.update(finite=True) is False
    assert scaler.update(finite=True) is False
    assert scaler.scale == 2.0 * DEFAULT_GROWTH_FACTOR
    assert (scaler.n_evaluations, scaler.n_overflows) == (5, 2)
    scaler.reset()
    assert (scaler.scale, scaler.growth_tracker, scaler.n_evaluations) == (8.0, 0, 0)


def overflowing_problem():
    """A linear neuron with x = 1000 on 256 samples, w = 1e-3, y = 0, cross-entropy: F is
    finite (about 256 * 1.31) but dF/dw = sum x sigma(1) ≈ 1.9e5 overflows float16 (65504)."""
    X = np.full((256, 1), 1000.0)
    y = np.zeros(256)
    return [1, 1], X, y, np.array([1e-3, 0.0])


def test_scale_backs_off_below_one_down_to_a_stated_minimum():
    sizes, X, y, x0 = overflowing_problem()
    schedule = ScaleSchedule(init_scale=1.0, min_scale=2.0**-4)
    loss, grad, extras = mixed_precision_objective(
        sizes, X, y, "sigmoid", "bce", schedule=schedule
    )(x0.astype(np.float32))
    assert extras["loss_scale"] == 0.25  # 1.9e5 * 0.25 fits in float16, 1.9e5 * 0.5 does not
    assert extras["skipped"] == 2
    _, exact = mlp_loss_and_grads([(np.array([[1e-3]]), np.zeros(1))], X, y, "sigmoid", "bce")
    np.testing.assert_allclose(grad[0], exact[0][0][0, 0], rtol=FLOAT16_GRAD_RTOL)
    assert math.isfinite(loss)


def test_overflow_at_the_minimum_scale_stops_the_descent_as_non_finite():
    sizes, X, y, x0 = overflowing_problem()
    objective = mixed_precision_objective(sizes, X, y, "sigmoid", "bce")  # min_scale 1
    result = mixed_precision_descent(objective, x0, eta=1e-6, rules=StoppingRules(max_iter=5))
    assert result.stopped_by == "non_finite"
    assert result.stop_iter == 0
    assert objective.scaler.scale == 1.0  # 2^16 halved 16 times, then nothing left to try
    assert objective.scaler.n_overflows == 17
    constant = mixed_precision_objective(
        sizes, X, y, "sigmoid", "bce", schedule=ScaleSchedule.constant(4.0)
    )
    _, grad, extras = constant(x0.astype(np.float32))
    assert not np.isfinite(grad).all()
    assert extras["skipped"] == 0
    assert constant.scaler.scale == 4.0  # a constant scale never changes


def test_an_overflowing_loss_is_returned_at_once():
    """The forward pass overflows (F > 65504 in float16): no scale helps, none is tried."""
    sizes = [1, 1]
    X, y = np.full((4, 1), 200.0), np.zeros(4)
    objective = mixed_precision_objective(sizes, X, y)  # mse: F = 4 * (200 * 200)^2
    loss, _, extras = objective(np.array([200.0, 0.0], dtype=np.float32))
    assert loss == math.inf
    assert extras["skipped"] == 0
    assert objective.scaler.scale == DEFAULT_INIT_SCALE
    assert (objective.scaler.n_evaluations, objective.scaler.n_overflows) == (1, 1)


def test_defaults_are_gradscalers():
    schedule = ScaleSchedule()
    assert (
        schedule.init_scale,
        schedule.growth_factor,
        schedule.backoff_factor,
        schedule.growth_interval,
    ) == (2.0**16, 2.0, 0.5, 2000)
    assert (DEFAULT_GROWTH_FACTOR, DEFAULT_BACKOFF_FACTOR, DEFAULT_GROWTH_INTERVAL) == (
        2.0,
        0.5,
        2000,
    )
    assert schedule.dynamic


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"init_scale": 0.0}, r"init_scale must be a finite number in \[1, 1\.67772e\+07\]"),
        ({"init_scale": -2.0}, r"init_scale must be a finite number in \[1, "),
        ({"init_scale": math.inf}, r"init_scale must be a finite number in"),
        ({"init_scale": math.nan}, r"init_scale must be a finite number in"),
        ({"init_scale": 2.0**30}, r"init_scale must be a finite number in \[1, 1\.67772e\+07\]"),
        ({"init_scale": "1"}, r"init_scale must be a finite number in"),
        ({"backoff_factor": 0.0}, r"backoff_factor must be a finite number in \(0, 1\)"),
        ({"backoff_factor": 1.0}, r"backoff_factor must be a finite number in \(0, 1\)"),
        ({"backoff_factor": 1.5}, r"backoff_factor must be a finite number in \(0, 1\)"),
        ({"growth_factor": 1.0}, r"growth_factor must be a finite number in \(1, 65536\]"),
        ({"growth_factor": 0.5}, r"growth_factor must be a finite number in \(1, 65536\]"),
        ({"growth_factor": math.inf}, r"growth_factor must be a finite number in"),
        ({"growth_interval": 0}, r"growth_interval must be an integer from 1 to 1000000000"),
        ({"growth_interval": 1.5}, r"growth_interval must be an integer from 1 to"),
        ({"growth_interval": True}, r"growth_interval must be an integer from 1 to"),
        ({"min_scale": 0.0}, r"min_scale must be a finite number in \[5\.42101e-20, "),
        ({"max_scale": math.inf}, r"max_scale must be a finite number in"),
        ({"max_scale": 0.5}, r"max_scale must be >= min_scale = 1; got 0\.5"),
        ({"dynamic": 1}, r"dynamic must be True or False"),
    ],
)
def test_schedule_rejects_bad_values_naming_the_range(overrides, message):
    with pytest.raises(ValueError, match=message):
        ScaleSchedule(**overrides)


def test_bad_arguments():
    sizes, X, y = two_weight_problem()
    for bad in (0.0, -1.0, math.nan, 2.0**70):
        with pytest.raises(ValueError, match="scale must be a finite number in"):
            ScaleSchedule.constant(bad)
    with pytest.raises(ValueError, match="schedule must be a ScaleSchedule or None"):
        mixed_precision_objective(sizes, X, y, schedule=2.0**10)
    with pytest.raises(ValueError, match="schedule must be a ScaleSchedule"):
        LossScaler(2.0)
    with pytest.raises(ValueError, match="activation"):
        mixed_precision_objective(sizes, X, y, "softmax")
    with pytest.raises(ValueError, match="X must have 1 columns"):
        mixed_precision_objective(sizes, np.ones((2, 3)), np.ones(2))
    objective = mixed_precision_objective(sizes, X, y)
    with pytest.raises(ValueError, match="objective must come from mixed_precision_objective"):
        mixed_precision_descent(mlp_objective(sizes, X, y), [0.5, 0.5])
    with pytest.raises(ValueError, match="dtype is float32"):
        mixed_precision_descent(objective, [0.5, 0.5], dtype="float16")
    with pytest.raises(ValueError, match="flat must fit in float16"):
        objective(np.array([1e5, 0.0], dtype=np.float32))
    with pytest.raises(ValueError, match="eta must be > 0"):
        precision_breakdown(sizes, X, y, flat=[0.5, 0.5], eta=0.0, loss_scale=1.0)
    with pytest.raises(ValueError, match="flat must be 1-dimensional"):
        precision_breakdown(sizes, X, y, flat=[[0.5, 0.5]], eta=0.1, loss_scale=1.0)


# ----------------------------------------------------------------------------- descent and state


def test_descent_records_the_scale_and_the_skips_and_resets_its_state():
    params, X, y = deep_sigmoid_problem()
    x0 = flatten_params(params).astype(np.float64)
    objective = mixed_precision_objective(DEEP, X, y, schedule=ScaleSchedule(growth_interval=4))
    rules = StoppingRules(max_iter=10, stagnation=False)
    calls = []
    first = mixed_precision_descent(
        objective,
        x0,
        eta=1e-3,
        rules=rules,
        run_past_stop=True,
        progress=lambda k, n: calls.append(k),
    )
    assert first.dtype == "float32"
    assert first.n_steps == 10
    assert calls[-1] == 10
    scales = first.extras["loss_scale"]
    skipped = first.extras["skipped"]
    expected_scale, halvings = largest_finite_scale(params, X, y, DEFAULT_INIT_SCALE)
    assert scales[0] == expected_scale
    assert skipped[0] == halvings
    assert first.extras["zero_share"].shape == (11, len(DEEP) - 1)
    assert first.extras["backprop_norms"].shape == (11, len(DEEP) - 1)
    assert first.extras["saturation"].shape == (11, len(DEEP) - 2)
    # every scale change is a doubling after 4 finite evaluations or a halving on overflow
    for k in range(1, scales.size):
        if skipped[k]:
            assert scales[k] == scales[k - 1] * 2 * 0.5 ** skipped[k] or scales[k] < scales[k - 1]
        else:
            assert scales[k] in (scales[k - 1], 2 * scales[k - 1])
    assert objective.scaler.n_evaluations == first.n_evaluations + int(skipped.sum())
    again = mixed_precision_descent(objective, x0, eta=1e-3, rules=rules, run_past_stop=True)
    np.testing.assert_array_equal(again.x, first.x)  # a fresh state: the same run again
    np.testing.assert_array_equal(again.extras["loss_scale"], scales)
    # without reset, gradient_descent continues the old state (documented)
    continued = gradient_descent(objective, x0, eta=1e-3, rules=rules, dtype="float32")
    assert continued.extras["skipped"][0] == 0
    assert isinstance(objective, MixedPrecisionObjective)


def test_float32_path_passes_the_gradient_check():
    """With compute dtype float32 and a loss scale that is not a power of two (so scaling and
    unscaling round), the gradient matches float64 central differences."""
    sizes = [3, 5, 4, 1]
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6, 3))
    y = (rng.random(6) < 0.5).astype(float)
    params = init_mlp(sizes, "xavier", seed=7)
    x = flatten_params(params).astype(np.float32).astype(np.float64)
    objective = mixed_precision_objective(
        sizes, X, y, "tanh", "bce", schedule=ScaleSchedule.constant(3.0), dtype="float32"
    )

    def loss64(flat):
        return mlp_loss_and_grads(layer_parts(flat, sizes), X, y, "tanh", "bce")[0]

    def grad32(flat):
        return objective(flat.astype(np.float32))[1].astype(np.float64)

    check_gradient(loss64, grad32, x, atol=FLOAT32_RTOL, rtol=FLOAT32_RTOL)


# ------------------------------------------------------------------- the lab's former lesson

LN2 = math.log(2.0)
LESSON_LOSS_TOL = 1e-3
"""On the mean loss F/256 near ln 2: float16 holds F ≈ 177 to within 2^-4 (half its spacing
0.125), i.e. F/256 to within 2.4e-4, and the runs drift by less than that from ln 2."""
FLOAT32_LOSS_TOL = 1e-5
LESSON = {
    "dataset": "moons",
    "sizes": (2, *([16] * 10), 1),
    "activation": "sigmoid",
    "init": "standard",
    "eta": 1e-3,
    "rules": StoppingRules(eps=1e-4, stagnation=True, max_iter=200),
    "seed": 0,
}
"""The lab's former float16 lesson: 10 sigmoid layers of 16, standard initialisation,
eta = 1e-3, 200 steps, the lab's eps = 1e-4 and stagnation rules. Its gradient has vanished, not
only underflowed: mixed precision removes the zeros and trains it no better than float32."""


def lesson_data_and_start():
    """The lab's data and float16 initial weights for the lesson, with vgcore calls only:
    ``vgapp.lab.runs.lab_data`` (256 samples, noise 0.1, the seed's first child stream) and
    ``vgapp.lab.runs.initial_parameters`` (the second child stream, in the run's dtype)."""
    data_seed, init_seed = np.random.SeedSequence(LESSON["seed"]).spawn(2)
    data = make_dataset(LESSON["dataset"], 256, 0.1, seed=np.random.default_rng(data_seed))
    params = init_mlp(
        LESSON["sizes"], LESSON["init"], np.random.default_rng(init_seed), dtype="float16"
    )
    return data, flatten_params(params)


@pytest.fixture(scope="module")
def lesson_runs():
    """The four runs of the lesson, trained to the budget as the lab trains them."""
    data, x0 = lesson_data_and_start()
    sizes, activation, eta, rules = (LESSON[k] for k in ("sizes", "activation", "eta", "rules"))
    figures = ("backprop_norms", "saturation")

    def plain(dtype, loss_scale=1.0):
        objective = mlp_objective(
            sizes,
            data.X,
            data.y,
            activation,
            "bce",
            dtype=dtype,
            loss_scale=loss_scale,
            figures=figures,
        )
        return gradient_descent(
            objective, x0, eta=eta, rules=rules, dtype=dtype, run_past_stop=True
        )

    mixed_objective = mixed_precision_objective(
        sizes, data.X, data.y, activation, "bce", figures=figures
    )
    return {
        "data": data,
        "x0": x0,
        "float16": plain("float16"),
        "old remedy": plain("float16", loss_scale=1024.0),
        "mixed": mixed_precision_descent(
            mixed_objective, x0, eta=eta, rules=rules, run_past_stop=True
        ),
        "float32": plain("float32"),
    }


def zero_layers(result):
    """Layers (from 1) whose back-propagated gradient is exactly 0 at every step to the stop."""
    norms = result.extras["backprop_norms"][: result.stop_iter + 1]
    return [layer + 1 for layer in range(norms.shape[1]) if np.all(norms[:, layer] == 0)]


def changed_entries(result, x0):
    """Per layer, the weights and biases whose final value differs from the start."""
    start = layer_parts(x0.astype(result.x.dtype), LESSON["sizes"])
    final = layer_parts(result.x, LESSON["sizes"])
    return [
        np.count_nonzero(w != w0) + np.count_nonzero(b != b0)
        for (w, b), (w0, b0) in zip(final, start, strict=True)
    ]


def mean_loss_at_stop(result):
    return float(result.loss[result.stop_iter]) / 256


def test_lesson_float16_flushes_layers_1_to_3_and_stops_at_a_coin_flip(lesson_runs):
    half = lesson_runs["float16"]
    assert zero_layers(half) == [1, 2, 3]
    assert np.all(half.extras["backprop_norms"][: half.stop_iter + 1, 3:] > 0)
    assert half.stopped_by == "eps"
    assert half.stop_iter <= 20
    assert half.first_fired["stagnation"] is not None  # every update lost soon after
    assert abs(mean_loss_at_stop(half) - LN2) < LESSON_LOSS_TOL
    assert changed_entries(half, lesson_runs["x0"])[:4] == [0, 0, 0, 0]


def test_lesson_old_remedy_unflushes_the_gradients_but_loses_the_updates(lesson_runs):
    """Loss scale 2^10 on float16 weights: no layer is zero any more, but the float16 descent
    rounds the unscaled gradient to float16 and applies it to float16 weights: layers 1-4 never
    change, as without the scale, and the run stops where the plain float16 run stops."""
    old, half = lesson_runs["old remedy"], lesson_runs["float16"]
    assert zero_layers(old) == []
    assert np.all(old.extras["backprop_norms"] > 0)
    assert changed_entries(old, lesson_runs["x0"])[:4] == [0, 0, 0, 0]
    for (w, b), (w16, b16) in list(
        zip(layer_parts(old.x, LESSON["sizes"]), layer_parts(half.x, LESSON["sizes"]), strict=True)
    )[:4]:
        np.testing.assert_array_equal(w, w16)
        np.testing.assert_array_equal(b, b16)
    assert (old.stopped_by, old.stop_iter) == (half.stopped_by, half.stop_iter)
    assert abs(mean_loss_at_stop(old) - LN2) < LESSON_LOSS_TOL


def test_lesson_mixed_precision_does_what_float32_does_which_here_is_stall(lesson_runs):
    """Mixed precision: no zero layer at any step, the master weights of every layer move (as
    many entries as in float32, give or take rounding at the edge), the dynamic scale settles
    at 2^12 after 4 overflowed evaluations at step 0. Its stop and loss are float32's: the
    gradient of this network has vanished, not only underflowed, so no precision trains it."""
    mixed, single = lesson_runs["mixed"], lesson_runs["float32"]
    assert np.all(mixed.extras["backprop_norms"] > 0)
    # layers 1-3 keep their (tiny) gradient entries at every step; higher up, entries become
    # exactly 0 on the plateau by cancellation (every sample sees the same float16 features and
    # the two classes have 128 samples each), which no scale changes
    assert np.all(mixed.extras["zero_share"][:, :3] < 0.01)
    assert mixed.extras["loss_scale"][0] == 2.0**12
    assert mixed.extras["skipped"][0] == 4
    assert mixed.extras["skipped"][1:].sum() == 0
    moved = changed_entries(mixed, lesson_runs["x0"])
    moved32 = changed_entries(single, lesson_runs["x0"])
    assert min(moved) >= 16
    np.testing.assert_allclose(moved, moved32, rtol=0, atol=2)
    assert mixed.first_fired["stagnation"] is None
    assert mixed.stopped_by == single.stopped_by == "eps"
    assert abs(mixed.stop_iter - single.stop_iter) <= 4
    assert abs(mean_loss_at_stop(mixed) - LN2) < LESSON_LOSS_TOL
    assert abs(mean_loss_at_stop(single) - LN2) < FLOAT32_LOSS_TOL


def test_lesson_breakdown_at_step_0(lesson_runs):
    """What each part rescues at the initial weights: the scale (2^12, the dynamic scale's
    choice) turns layers 1-3 from all-zero to nonzero; rounding the unscaled gradient back to
    float16 flushes some of them again; float16 weights lose more than twice as many updates as
    float32 master weights."""
    data, x0 = lesson_runs["data"], lesson_runs["x0"]
    got = precision_breakdown(
        LESSON["sizes"],
        data.X,
        data.y,
        "sigmoid",
        "bce",
        flat=x0,
        eta=LESSON["eta"],
        loss_scale=2.0**12,
    )
    np.testing.assert_array_equal(got.zero_share_float16[:3], [1.0, 1.0, 1.0])
    assert np.all(got.zero_share_scaled < 0.01)
    assert np.all(got.flushed_by_rounding[:3] > 0)
    assert got.lost_float16.sum() > 2 * got.lost_float32.sum()
    assert not got.overflow
