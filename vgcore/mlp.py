# Over 450 lines: one forward/backward pass whose per-layer values every figure shares.
"""One pass through a multilayer perceptron, forward then backpropagation, with the per-layer
gradient norms of MATH.md D4; and the objective that gradient descent calls, built on it.

Layer l maps ``a_{l-1}`` (batch x fan_in) to ``z_l = a_{l-1} W_l + b_l``; hidden layers apply the
activation, ``a_l = act(z_l)``, and the last layer is linear (its output is the logits for
``"bce"``). The empirical error is a SUM over samples (MATH.md, Setting):

- ``"mse"``: ``F = sum_samples ||out - y||^2``, so ``dF/dout = 2 (out - y)``;
- ``"bce"``: ``F = sum_samples sum_outputs softplus(s) - y s`` on the logits ``s`` with y in
  {0, 1} (``softplus(s) - s = log(1 + exp(-s))`` for y = 1), so ``dF/ds = sigma(s) - y``;
  written with ``exp(-|s|)`` so no logit overflows it.

Precision. Forward and backward run in the working ``dtype`` (X, y and the weights are cast to
it), so float16 products flush to zero or overflow to inf exactly as that format does. Every
float16 value is computed in float32 and rounded once to float16: matrix products (as numpy's
own float16 matmul does), sums, the activation and its derivative (one rounding of the float32
value, not one per elementary operation). Overflow and
underflow are therefore intended here and are silenced (``np.errstate``) for the whole pass:
a loss that overflows is returned as ``+inf`` (a NaN loss, which only follows an overflow such as
``inf - inf``, is reported as ``+inf`` too); the gradients may then hold inf or NaN, which
``weight_grad_norms`` shows as inf, so check ``math.isfinite(loss)`` and the norms before using
them. Gradients are delivered in the *gradient dtype* ``promote(dtype, float32)``: float16 work
yields float32 gradients, like the float32 master gradients of mixed-precision training (with
``loss_scale = 1`` they hold exactly the float16 values; zeros stay zeros).

Loss dtype (``mlp_objective(loss_dtype=...)``, off by default). Mixed-precision training as
``torch.autocast`` runs it computes the loss in float32 from the float16 logits: F and
``dF/dout`` are then computed in ``loss_dtype`` (the logits and y cast to it exactly), the
output gradient (times the loss scale) is rounded once to the working dtype, and the backward
pass goes on there. In float16 the output error ``sigma(s) - 1`` of a label y = 1 is exactly 0
once ``sigma(s) = 1/(1 + e^-s)`` gives 1 (s >= 11 ln 2 ≈ 7.62, where ``1 + e^-s`` rounds to 1;
a correctly rounded sigma would reach 1 only at s >= ln 4095 ≈ 8.32): a confident sample stops
contributing. In
float32 that cancellation comes only at s >= 24 ln 2 ≈ 16.64; the error (times the loss scale)
is then rounded to float16, where a value below 2^-25 ≈ 2.98e-8 still flushes to 0.

Loss scaling (mixed precision, as in PyTorch's GradScaler): the backward pass starts from
``loss_scale * dF/dout``, multiplied in the gradient dtype (a float16 cannot even hold 2^16) and
rounded to ``dtype``, where it may overflow to inf exactly as an overflowing scaled step does.
The gradients are then unscaled, ``grad / loss_scale``, in the gradient dtype (float32 for float16
work), so values far below float16's smallest subnormal survive. The reported loss is the
unscaled F.

The activation kernels are in ``vgcore.activations``, the float16 carrier in
``vgcore._mlp_kernels``, the argument checks in ``vgcore._mlp_checks``, the initialisation and
the flat parameter layout in ``vgcore.mlp_params`` (whose public names are re-exported here).

Norms are Frobenius norms of the working-dtype values (``vgcore._norm.norm2``: float64, rescaled
so the norm itself neither underflows nor overflows; an exact zero stays 0, a NaN is reported
as inf), divided by ``loss_scale``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from vgcore._mlp_checks import (
    FLOAT_TYPES,
    Params,
    all_finite,
    cast_finite,
    cast_params,
    check_data,
    check_loss_scale,
    check_params,
    check_sizes,
    resolve_dtype,
)
from vgcore._mlp_kernels import activate, carrier_for
from vgcore._norm import norm2
from vgcore.activations import ACTIVATION_NAMES, ACTIVATIONS
from vgcore.mlp_params import (
    INIT_SCHEMES,
    count_params,
    flatten_params,
    init_mlp,
    param_views,
    unflatten_params,
)
from vgcore.precision import as_float_dtype
from vgcore.validate import as_finite_array, check_choice

Objective = Callable[[np.ndarray], tuple[float, np.ndarray, dict[str, np.ndarray | float]]]

LOSSES: tuple[str, ...] = ("mse", "bce")

SATURATION_THRESHOLDS: dict[str, float] = {
    name: act.saturation_threshold for name, act in ACTIVATIONS.items()
}
"""A unit-sample is saturated when ``act'(z) < threshold`` (``Activation.saturation_threshold``:
1% of sup|act'| for sigmoid/tanh)."""


@dataclass(frozen=True)
class MLPPass:
    """One forward/backward pass; per-layer arrays run from the first layer to the output layer.

    ``backprop_norms[l] = ||dF/dz_l||_F`` over the batch, ``weight_grad_norms[l] = ||dF/dW_l||_F``
    (float64); ``activation_mean``, ``activation_std``, ``saturation`` (share of units x
    samples with ``act'(z) < SATURATION_THRESHOLDS[activation]``), ``activation_grad_norms`` and
    ``dead_samples`` have one entry per hidden layer.

    ``activation_grad_norms[l] = ||dF/da_l||_F``, the gradient that reaches hidden layer l from
    above before ``act'(z_l)`` multiplies it, so that per layer the shrink
    ``||dF/dz_{l+1}|| / ||dF/dz_l||`` splits into the weights' factor
    ``||dF/dz_{l+1}|| / ||dF/da_l||`` and the activation's ``||dF/da_l|| / ||dF/dz_l||``.
    ``dead_samples[l]``: the share of samples for which some hidden layer m >= l has
    ``act'(z_m) == 0`` at every unit (no active unit: a dead ReLU layer for that sample); for
    those samples dF/dz_l is exactly 0 whatever the arithmetic (every path to the output passes
    through a zero factor).
    """

    loss: float
    grads: Params
    backprop_norms: np.ndarray
    weight_grad_norms: np.ndarray
    activation_mean: np.ndarray
    activation_std: np.ndarray
    saturation: np.ndarray
    activation_grad_norms: np.ndarray
    dead_samples: np.ndarray


# ----------------------------------------------------------------------------- the pass


def _loss_and_output_gradient(
    out: np.ndarray, y: np.ndarray, loss: str, loss_scale: float, grad_dtype: np.dtype
) -> tuple[float, np.ndarray]:
    """F and ``loss_scale * dF/dout`` (in out's dtype; ``out`` is overwritten)."""
    if loss == "mse":
        np.subtract(out, y, out=out)
        value = np.sum(np.square(out))
        gradient = np.multiply(out, 2, out=out)
    else:
        e = np.exp(-np.abs(out))
        # softplus(s) - y s = max(s, 0) - y s + log1p(exp(-|s|))
        value = np.sum(np.maximum(out, 0) - y * out + np.log1p(e))
        r = 1 / (1 + e)
        gradient = np.where(out >= 0, r, e * r) - y
    if loss_scale != 1.0:
        scaled = np.multiply(gradient, loss_scale, dtype=grad_dtype)
        gradient = scaled.astype(out.dtype, copy=False)
    loss_value = float(value)
    return (loss_value if not math.isnan(loss_value) else math.inf), gradient


def _forward_backward(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    activation: str,
    loss: str,
    loss_scale: float,
    grads: Params,
    figures: dict[str, np.ndarray],
) -> float:
    """Loss; gradients written into ``grads`` (gradient dtype); the per-layer figures whose
    names are keys of ``figures`` written into its arrays."""
    kernel = ACTIVATIONS[activation].kernel
    n_layers = len(params)
    dtype = X.dtype
    carrier, rnd = carrier_for(dtype)
    if carrier != dtype:
        params = [(w.astype(carrier), b.astype(carrier)) for w, b in params]
        X = X.astype(carrier)
    gdtype = grads[0][0].dtype
    direct = carrier == dtype == gdtype and loss_scale == 1.0
    ones = np.ones(X.shape[0], dtype=carrier)  # bias gradient as ones @ delta: a BLAS gemv
    inputs = [X]  # inputs[l] = a_{l-1}, the input of layer l
    derivatives = []  # act'(z_l) per hidden layer, later overwritten by dF/dz_l
    means = figures.get("activation_mean")
    spreads = figures.get("activation_std")
    saturation = figures.get("saturation")
    backprop_norms = figures.get("backprop_norms")
    backprop_zeros = figures.get("backprop_zeros")
    weight_grad_norms = figures.get("weight_grad_norms")
    activation_grad_norms = figures.get("activation_grad_norms")
    dead_samples = figures.get("dead_samples")
    dead_rows = []  # per hidden layer: the samples with act'(z) == 0 at every unit
    threshold = carrier.type(dtype.type(SATURATION_THRESHOLDS[activation]))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a = X
        for layer, (weights, bias) in enumerate(params):
            z = rnd(np.matmul(a, weights))
            z += bias
            rnd(z)
            if layer == n_layers - 1:
                break
            a, z = activate(kernel, z, rnd)
            inputs.append(a)
            derivatives.append(z)
            if means is not None:
                means[layer] = np.mean(a, dtype=np.float64)
            if spreads is not None:
                spreads[layer] = np.std(a, dtype=np.float64)
            if saturation is not None:
                saturation[layer] = np.count_nonzero(z < threshold) / z.size
            if dead_samples is not None:
                dead_rows.append(~np.any(z != 0, axis=1))
        if dead_samples is not None:
            _dead_from_above(dead_rows, dead_samples)
        # The output layer is one unit wide: its loss runs in y's dtype, the working dtype
        # unless ``mlp_objective`` was given a wider ``loss_dtype`` (then the output gradient
        # is rounded once to the working dtype, as at an autocast boundary).
        loss_value, delta = _loss_and_output_gradient(
            z.astype(y.dtype, copy=False), y, loss, loss_scale, np.promote_types(gdtype, y.dtype)
        )
        if delta.dtype != dtype:
            delta = delta.astype(dtype)
        delta = delta.astype(carrier, copy=False)
        if backprop_zeros is not None:
            backprop_zeros[-1] = np.count_nonzero(delta == 0) / delta.size
        for layer in range(n_layers - 1, -1, -1):
            weight_grad, bias_grad = grads[layer]
            if direct:
                np.matmul(inputs[layer].T, delta, out=weight_grad)
                np.matmul(ones, delta, out=bias_grad)
            else:
                # Unscale in the gradient dtype (float32 for float16 work), never in float16.
                weight_product = rnd(np.matmul(inputs[layer].T, delta))
                np.divide(weight_product, loss_scale, out=weight_grad, dtype=gdtype)
                np.divide(rnd(np.matmul(ones, delta)), loss_scale, out=bias_grad, dtype=gdtype)
            if backprop_norms is not None:
                backprop_norms[layer] = norm2(delta) / loss_scale
            if weight_grad_norms is not None:
                weight_grad_norms[layer] = norm2(weight_grad)
            if layer > 0:
                previous = derivatives[layer - 1]
                live = None if backprop_zeros is None else previous != 0
                upstream = rnd(np.matmul(delta, params[layer][0].T))
                if activation_grad_norms is not None:
                    activation_grad_norms[layer - 1] = norm2(upstream) / loss_scale
                np.multiply(upstream, previous, out=previous)
                delta = rnd(previous)
                if live is not None and backprop_zeros is not None:
                    n_live = np.count_nonzero(live)
                    zeros = np.count_nonzero(live & (delta == 0))
                    backprop_zeros[layer - 1] = zeros / n_live if n_live else 0.0
    return loss_value


def _dead_from_above(dead_rows: list[np.ndarray], out: np.ndarray) -> None:
    """``out[l]``: the share of samples dead at hidden layer l or at some layer above it
    (``dead_rows[m]``: the samples with no active unit at hidden layer m)."""
    blocked = None
    for layer in range(len(dead_rows) - 1, -1, -1):
        blocked = dead_rows[layer] if blocked is None else blocked | dead_rows[layer]
        out[layer] = np.count_nonzero(blocked) / blocked.size


def _figures(n_layers: int, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Empty float64 arrays for the per-layer (norms, zeros) and per-hidden-layer figures."""
    return {
        name: np.empty(n_layers if name.startswith(_PER_LAYER) else n_layers - 1) for name in names
    }


FIGURES: tuple[str, ...] = (
    "backprop_norms",
    "weight_grad_norms",
    "activation_mean",
    "activation_std",
    "saturation",
    "activation_grad_norms",
    "dead_samples",
)
"""The per-layer figures of an ``MLPPass``; ``mlp_objective`` returns those it is asked for."""
OBJECTIVE_ONLY_FIGURES: tuple[str, ...] = ("backprop_zeros",)
"""Figures ``mlp_objective`` returns when asked, beyond ``FIGURES``. ``"backprop_zeros"``: per
layer (first to output), the share of the entries of dF/dz (samples x units) that are exactly 0
among those whose ``act'(z)`` is not (every entry of the output layer). For the sigmoid, tanh,
leaky ReLU and identity such a zero is mathematically a probability-zero event, so in practice
a floating-point one: an underflow of the back-propagated product (float16 flushes a value below
2^-25 ≈ 2.98e-8), or at the output ``sigma(s) - 1`` cancelled to 0 (module docstring, "Loss
dtype"), which then zeroes that sample in every layer below. For ReLU a sample whose next layer
is entirely inactive also gives exact zeros; compare with a float64 pass."""
_PER_LAYER = ("backprop_", "weight_grad_")
_OBJECTIVE_FIGURES = ("backprop_norms", "weight_grad_norms", "saturation")


def _gradient_dtype(dtype: np.dtype) -> np.dtype:
    return np.promote_types(dtype, np.float32)


def _new_grads(sizes: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, Params]:
    flat = np.empty(count_params(sizes), dtype=_gradient_dtype(dtype))
    return flat, param_views(flat, sizes)


def _check_options(
    activation: Any, loss: Any, dtype: Any, loss_scale: Any, default_dtype: np.dtype
) -> tuple[np.dtype, float]:
    """The working dtype (``default_dtype`` for None) and the loss scale, after checking the
    activation and loss names."""
    check_choice(activation, ACTIVATION_NAMES, "activation")
    check_choice(loss, LOSSES, "loss")
    return resolve_dtype(dtype, default_dtype), check_loss_scale(loss_scale)


def _checked_pass(
    params: Any,
    X: Any,
    y: Any,
    activation: Any,
    loss: Any,
    dtype: Any,
    loss_scale: Any,
    names: tuple[str, ...],
) -> tuple[float, Params, dict[str, np.ndarray]]:
    """The public passes' shared body: check every argument, cast to the working dtype, run
    the pass; returns F, the gradients and the figures ``names``."""
    sizes, params_dtype = check_params(params)
    resolved, scale = _check_options(activation, loss, dtype, loss_scale, params_dtype)
    X, y = check_data(X, y, sizes, loss, resolved)
    params = cast_params(params, resolved)
    _, grads = _new_grads(sizes, resolved)
    figures = _figures(len(params), names)
    loss_value = _forward_backward(params, X, y, activation, loss, scale, grads, figures)
    return loss_value, grads, figures


# ----------------------------------------------------------------------------- public passes


def mlp_loss_and_grads(
    params: Params,
    X: Any,
    y: Any,
    activation: str = "sigmoid",
    loss: str = "mse",
    *,
    dtype: str | None = None,
    loss_scale: float = 1.0,
) -> tuple[float, Params]:
    """F (a sum over samples) and its gradient ``[(dF/dW_l, dF/db_l)]`` by backpropagation.

    Computed in ``dtype`` (default: the params' dtype); gradients come in
    ``promote(dtype, float32)`` as views into one fresh flat vector (module docstring).
    """
    loss_value, grads, _ = _checked_pass(params, X, y, activation, loss, dtype, loss_scale, ())
    return loss_value, grads


def mlp_forward_backward(
    params: Params,
    X: Any,
    y: Any,
    activation: str = "sigmoid",
    loss: str = "mse",
    *,
    dtype: str | None = None,
    loss_scale: float = 1.0,
) -> MLPPass:
    """``mlp_loss_and_grads`` plus the per-layer norms, activation statistics and saturation."""
    loss_value, grads, figures = _checked_pass(
        params, X, y, activation, loss, dtype, loss_scale, FIGURES
    )
    return MLPPass(loss=loss_value, grads=grads, **figures)


def mlp_backprop_norms(
    params: Params,
    X: Any,
    y: Any,
    activation: str = "sigmoid",
    loss: str = "mse",
    *,
    dtype: str | None = None,
    loss_scale: float = 1.0,
) -> np.ndarray:
    """``||dF/dz_l||_F`` over the batch for every layer (output last), float64."""
    return mlp_forward_backward(
        params, X, y, activation, loss, dtype=dtype, loss_scale=loss_scale
    ).backprop_norms


def mlp_predict(
    params: Params, X: Any, activation: str = "sigmoid", *, dtype: str | None = None
) -> np.ndarray:
    """The network output for each row of X (logits for a "bce" network), in ``dtype``."""
    sizes, params_dtype = check_params(params)
    kernel = ACTIVATIONS[check_choice(activation, ACTIVATION_NAMES, "activation")].kernel
    resolved = resolve_dtype(dtype, params_dtype)
    X = as_finite_array(X, "X", ndim=2)
    if X.shape[1] != sizes[0]:
        raise ValueError(f"X must have {sizes[0]} columns (the input width); got {X.shape}")
    carrier, rnd = carrier_for(resolved)
    a = cast_finite(X, resolved, "X").astype(carrier, copy=False)
    params = cast_params(params, resolved)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for layer, (weights, bias) in enumerate(params):
            z = rnd(np.matmul(a, weights.astype(carrier, copy=False)))
            z += bias.astype(carrier, copy=False)
            rnd(z)
            if layer < len(params) - 1:
                a, _ = activate(kernel, z, rnd)
    return z.astype(resolved, copy=False)


def mlp_objective(
    sizes: Sequence[int],
    X: Any,
    y: Any,
    activation: str = "sigmoid",
    loss: str = "mse",
    *,
    dtype: str = "float64",
    loss_scale: float = 1.0,
    figures: Sequence[str] = _OBJECTIVE_FIGURES,
    loss_dtype: str | None = None,
) -> Objective:
    """``objective(flat) -> (F, flat gradient, extras)`` for ``descent.gradient_descent``.

    ``flat`` uses the layout of ``flatten_params``. The gradient is a fresh array in
    ``promote(dtype, float32)`` (the descent casts it to its own dtype); extras hold the float64
    per-layer ``figures`` named (any of ``FIGURES`` and ``OBJECTIVE_ONLY_FIGURES``; by default
    ``"backprop_norms"``, ``"weight_grad_norms"`` and ``"saturation"``). ``loss_dtype`` (None:
    ``dtype``; otherwise a dtype at least as wide) is the dtype of F and of the output gradient
    (module docstring, "Loss dtype"). Arguments are validated once, here; each call checks only
    ``flat``.
    """
    sizes = check_sizes(sizes)
    resolved, scale = _check_options(activation, loss, dtype, loss_scale, np.dtype(np.float64))
    X_work, y_work = check_data(X, y, sizes, loss, resolved)
    if loss_dtype is not None:
        wide = as_float_dtype(loss_dtype, "loss_dtype")
        if wide.itemsize < resolved.itemsize:
            raise ValueError(
                f"loss_dtype must be at least as wide as dtype {resolved.name}; got {wide.name}"
            )
        y_work = check_data(X, y, sizes, loss, wide)[1]  # the targets as the loss dtype has them
    X, y = X_work, y_work
    choices = FIGURES + OBJECTIVE_ONLY_FIGURES
    if isinstance(figures, str) or not isinstance(figures, Sequence):
        raise ValueError(f"figures must be a sequence of names from {choices}; got {figures!r}")
    names = tuple(dict.fromkeys(check_choice(name, choices, "figures") for name in figures))
    n_params = count_params(sizes)

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray, dict[str, np.ndarray | float]]:
        flat = np.asarray(flat)
        if flat.shape != (n_params,) or flat.dtype not in FLOAT_TYPES:
            raise ValueError(
                f"flat must be a float vector of {n_params} parameters; got shape {flat.shape}"
            )
        if not all_finite(flat):
            raise ValueError("flat must contain only finite numbers")
        if flat.dtype != resolved:
            flat = cast_finite(flat, resolved, "flat")
        params = param_views(np.ascontiguousarray(flat), sizes)
        grad_flat, grads = _new_grads(sizes, resolved)
        figures = _figures(len(params), names)
        loss_value = _forward_backward(params, X, y, activation, loss, scale, grads, figures)
        return loss_value, grad_flat, cast("dict[str, np.ndarray | float]", figures)

    return objective


__all__ = [
    "FIGURES",
    "INIT_SCHEMES",
    "LOSSES",
    "OBJECTIVE_ONLY_FIGURES",
    "SATURATION_THRESHOLDS",
    "MLPPass",
    "Objective",
    "Params",
    "flatten_params",
    "init_mlp",
    "mlp_backprop_norms",
    "mlp_forward_backward",
    "mlp_loss_and_grads",
    "mlp_objective",
    "mlp_predict",
    "unflatten_params",
]
