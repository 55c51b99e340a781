"""A multilayer perceptron in numpy: initialisations, forward pass, backpropagation and the
per-layer gradient norms of MATH.md D4.

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

Loss scaling (mixed precision, as in PyTorch's GradScaler): the backward pass starts from
``loss_scale * dF/dout``, multiplied in the gradient dtype (a float16 cannot even hold 2^16) and
rounded to ``dtype``, where it may overflow to inf exactly as an overflowing scaled step does.
The gradients are then unscaled, ``grad / loss_scale``, in the gradient dtype (float32 for float16
work), so values far below float16's smallest subnormal survive. The reported loss is the
unscaled F.

Derivatives come from ``e = exp(-|z|)`` saved in the forward pass: ``sigma' = e / (1 + e)^2`` and
``tanh' = 4 e^2 / (1 + e^2)^2``, not ``sigma (1 - sigma)`` or ``1 - tanh^2`` (what PyTorch uses),
which cancel to exactly 0 once ``sigma`` rounds to 1; so a saturated unit keeps its small,
nonzero derivative and only genuine underflow produces zeros (about 6% slower than the
cancelling form, measured in bench/bench_mlp.py's setting).

Norms are Frobenius norms of the working-dtype values, summed in float64 with rescaling so the
norm itself neither underflows nor overflows (an exact zero stays 0, a NaN norm is reported as
inf) and divided by ``loss_scale``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vgcore._half import round_half, unrounded
from vgcore._norm import norm2
from vgcore._validate import as_finite_array, check_choice, check_int, check_real
from vgcore.activations import ACTIVATION_NAMES, ACTIVATIONS, LEAKY_SLOPE
from vgcore.precision import DTYPES, as_float_dtype

Params = list[tuple[np.ndarray, np.ndarray]]
"""``[(W_1, b_1), ..., (W_L, b_L)]``, W of shape (fan_in, fan_out), b of shape (fan_out,)."""

Objective = Callable[[np.ndarray], tuple[float, np.ndarray, dict[str, np.ndarray]]]

LOSSES: tuple[str, ...] = ("mse", "bce")
INIT_SCHEMES: tuple[str, ...] = ("standard", "xavier", "he", "custom")

SATURATION_THRESHOLDS: dict[str, float] = {
    "sigmoid": 0.01 * ACTIVATIONS["sigmoid"].derivative_bound,
    "tanh": 0.01 * ACTIVATIONS["tanh"].derivative_bound,
    "relu": 0.5,  # derivative is 0 or 1: counts dead units (act'(z) == 0)
    "leaky_relu": 0.5,  # derivative is LEAKY_SLOPE or 1: counts the slope branch
    "identity": 0.0,  # never saturates
}
"""A unit-sample is saturated when ``act'(z) < threshold`` (1% of sup|act'| for sigmoid/tanh)."""

_DTYPES = frozenset(np.dtype(name) for name in DTYPES)
_MAX_WIDTH = 1_000_000


@dataclass(frozen=True)
class MLPPass:
    """One forward/backward pass; per-layer arrays run from the first layer to the output layer.

    ``backprop_norms[l] = ||dF/dz_l||_F`` over the batch, ``weight_grad_norms[l] = ||dF/dW_l||_F``
    (float64); ``activation_mean``, ``activation_std`` and ``saturation`` (share of units x
    samples with ``act'(z) < SATURATION_THRESHOLDS[activation]``) have one entry per hidden layer.
    """

    loss: float
    grads: Params
    backprop_norms: np.ndarray
    weight_grad_norms: np.ndarray
    activation_mean: np.ndarray
    activation_std: np.ndarray
    saturation: np.ndarray


# ----------------------------------------------------------------------------- validation


def _check_sizes(sizes: Any, name: str = "sizes") -> tuple[int, ...]:
    """``sizes`` as a tuple of >= 2 layer widths, each an integer from 1 to 10^6."""
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence [n_in, h_1, ..., n_out]; got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"{name} must have at least 2 entries [n_in, ..., n_out]; got {sizes!r}")
    return tuple(check_int(n, f"{name}[{i}]", low=1, high=_MAX_WIDTH) for i, n in enumerate(sizes))


def _all_finite(array: np.ndarray) -> bool:
    # One reduction in float64 is cheap; only a non-finite sum (rare) pays for the exact check.
    total = float(np.add.reduce(array, axis=None, dtype=np.float64))
    return math.isfinite(total) or bool(np.isfinite(array).all())


def _check_params(params: Any) -> tuple[tuple[int, ...], np.dtype]:
    """The layer sizes and the common float dtype of ``params``; ValueError if inconsistent."""
    if not isinstance(params, list | tuple) or len(params) == 0:
        raise ValueError(f"params must be a non-empty list of (W, b) pairs; got {type(params)}")
    sizes: list[int] = []
    dtype: np.dtype | None = None
    for i, layer in enumerate(params):
        if not isinstance(layer, tuple | list) or len(layer) != 2:
            raise ValueError(f"params[{i}] must be a pair (W, b)")
        weights, bias = layer
        if not isinstance(weights, np.ndarray) or not isinstance(bias, np.ndarray):
            raise ValueError(f"params[{i}] must hold numpy arrays (W, b)")
        if weights.ndim != 2 or bias.shape != (weights.shape[1],) or weights.size == 0:
            raise ValueError(
                f"params[{i}] must be W of shape (fan_in, fan_out) and b of shape (fan_out,); "
                f"got {weights.shape} and {bias.shape}"
            )
        if i == 0:
            sizes.append(weights.shape[0])
        elif weights.shape[0] != sizes[-1]:
            raise ValueError(
                f"params[{i}] W has fan_in {weights.shape[0]} but the previous layer has "
                f"{sizes[-1]} outputs"
            )
        sizes.append(weights.shape[1])
        for array in (weights, bias):
            if array.dtype not in _DTYPES or (dtype is not None and array.dtype != dtype):
                raise ValueError(
                    f"params must all share one dtype out of {', '.join(DTYPES)}; "
                    f"params[{i}] has {array.dtype}"
                )
            dtype = array.dtype
            if not _all_finite(array):
                raise ValueError(f"params[{i}] must contain only finite numbers")
    assert dtype is not None
    return tuple(sizes), dtype


def _cast_finite(array: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    """A finite float64 ``array`` rounded to ``dtype``; ValueError if it overflows there."""
    if array.dtype == dtype:
        return array
    with np.errstate(over="ignore"):
        cast = array.astype(dtype)
    if not np.isfinite(cast).all():
        limit = float(np.finfo(dtype).max)
        raise ValueError(f"{name} must fit in {dtype.name} (|values| <= {limit:g})")
    return cast


def _check_data(
    X: Any, y: Any, sizes: tuple[int, ...], loss: str, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """X as (batch, n_in) and y as (batch, n_out), both in ``dtype``."""
    X = as_finite_array(X, "X", ndim=2)
    if X.shape[1] != sizes[0]:
        raise ValueError(f"X must have {sizes[0]} columns (the input width); got {X.shape}")
    y = as_finite_array(y, "y")
    n_out = sizes[-1]
    if y.ndim == 1 and n_out == 1:
        y = y.reshape(-1, 1)
    if y.shape != (X.shape[0], n_out):
        allowed = f"({X.shape[0]}, {n_out})" + (f" or ({X.shape[0]},)" if n_out == 1 else "")
        raise ValueError(f"y must have shape {allowed} to match X and the output; got {y.shape}")
    if loss == "bce" and not np.all((y == 0) | (y == 1)):
        raise ValueError("y must contain only 0 and 1 for loss 'bce'")
    return _cast_finite(X, dtype, "X"), _cast_finite(y, dtype, "y")


def _check_loss_scale(loss_scale: Any) -> float:
    return check_real(loss_scale, "loss_scale", low=0.0, low_open=True)


def _resolve_dtype(dtype: Any, default: np.dtype) -> np.dtype:
    return default if dtype is None else as_float_dtype(dtype)


def _cast_params(params: Params, dtype: np.dtype) -> Params:
    if params[0][0].dtype == dtype:
        return [(w, b) for w, b in params]
    return [(_cast_finite(w, dtype, "params"), _cast_finite(b, dtype, "params")) for w, b in params]


def _gradient_dtype(dtype: np.dtype) -> np.dtype:
    return np.promote_types(dtype, np.float32)


def _layer_shapes(sizes: tuple[int, ...]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(sizes))


def _n_params(sizes: tuple[int, ...]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in _layer_shapes(sizes))


# ----------------------------------------------------------------------------- parameters


def init_mlp(
    sizes: Sequence[int],
    scheme: str = "standard",
    seed: int | np.random.Generator = 0,
    *,
    scale: float = 1.0,
    dtype: str = "float64",
) -> Params:
    """Weights drawn per MATH.md D4, biases zero; ``scale`` multiplies every scheme's weights.

    "standard": U[-1/sqrt(n_in), 1/sqrt(n_in)]; "xavier": U[-sqrt(6/(n_in+n_out)), +...];
    "he": N(0, 2/n_in); "custom": N(0, 1) so that ``scale`` is the standard deviation. Weights
    are drawn in float64 from ``np.random.default_rng(seed)`` and rounded to ``dtype``, so one
    seed gives the same network (up to rounding) in every dtype.
    """
    sizes = _check_sizes(sizes)
    scheme = check_choice(scheme, INIT_SCHEMES, "scheme")
    scale = check_real(scale, "scale", low=0.0, low_open=True)
    resolved = as_float_dtype(dtype)
    rng = _rng(seed)
    params: Params = []
    for n_in, n_out in _layer_shapes(sizes):
        if scheme == "standard":
            limit = 1.0 / math.sqrt(n_in)
            weights = rng.uniform(-limit, limit, size=(n_in, n_out))
        elif scheme == "xavier":
            limit = math.sqrt(6.0 / (n_in + n_out))
            weights = rng.uniform(-limit, limit, size=(n_in, n_out))
        elif scheme == "he":
            weights = rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out))
        else:
            weights = rng.normal(0.0, 1.0, size=(n_in, n_out))
        weights = _cast_finite(weights * scale, resolved, "scale (the scaled weights)")
        params.append((weights, np.zeros(n_out, dtype=resolved)))
    return params


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(seed, "seed", low=0))


def flatten_params(params: Params) -> np.ndarray:
    """All weights and biases in one vector: W_1 (row-major), b_1, W_2, b_2, ... (a copy)."""
    _check_params(params)
    return np.concatenate([part.reshape(-1) for layer in params for part in layer])


def unflatten_params(flat: np.ndarray, sizes: Sequence[int]) -> Params:
    """The (W, b) pairs of ``flat`` (layout of ``flatten_params``) as views into it, no copy."""
    sizes = _check_sizes(sizes)
    if not isinstance(flat, np.ndarray) or flat.ndim != 1 or flat.dtype not in _DTYPES:
        raise ValueError(
            f"flat must be a 1-D numpy array of dtype {', '.join(DTYPES)}; got {flat!r:.80}"
        )
    if flat.size != _n_params(sizes):
        raise ValueError(
            f"flat must have {_n_params(sizes)} entries for sizes {sizes}; got {flat.size}"
        )
    if not flat.flags.c_contiguous:
        raise ValueError("flat must be contiguous (views into it are returned)")
    return _views(flat, sizes)


def _views(flat: np.ndarray, sizes: tuple[int, ...]) -> Params:
    params: Params = []
    start = 0
    for n_in, n_out in _layer_shapes(sizes):
        stop = start + n_in * n_out
        params.append((flat[start:stop].reshape(n_in, n_out), flat[stop : stop + n_out]))
        start = stop + n_out
    return params


# ----------------------------------------------------------------------------- kernels
# Each kernel overwrites z with act'(z) and writes act(z) into a, in z's dtype, in place.


def _sigmoid_kernel(z: np.ndarray, a: np.ndarray) -> None:
    # e = exp(-|z|) in (0, 1] never overflows; r = 1/(1+e); sigma = r (z >= 0) or e r (z < 0);
    # sigma' = e r^2 keeps full relative accuracy where sigma(1 - sigma) would cancel to 0.
    branch = np.greater_equal(z, 0, out=np.empty_like(z))
    np.abs(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    np.add(z, 1, out=a)
    np.reciprocal(a, out=a)
    np.maximum(z, branch, out=branch)  # 1 where z >= 0, e where z < 0
    np.multiply(z, a, out=z)
    np.multiply(z, a, out=z)
    np.multiply(a, branch, out=a)


def _tanh_kernel(z: np.ndarray, a: np.ndarray) -> None:
    # tanh' = 4 e / (1 + e)^2 with e = exp(-2|z|): accurate where 1 - tanh^2 would cancel.
    np.tanh(z, out=a)
    np.abs(z, out=z)
    np.multiply(z, -2, out=z)
    np.exp(z, out=z)
    denominator = np.add(z, 1)
    np.reciprocal(denominator, out=denominator)
    np.multiply(z, denominator, out=z)
    np.multiply(z, denominator, out=z)
    np.multiply(z, 4, out=z)


def _relu_kernel(z: np.ndarray, a: np.ndarray) -> None:
    np.maximum(z, 0, out=a)
    np.greater(z, 0, out=z)


def _leaky_relu_kernel(z: np.ndarray, a: np.ndarray) -> None:
    positive = z > 0
    a[...] = np.where(positive, z, LEAKY_SLOPE * z)
    z[...] = np.where(positive, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE))


def _identity_kernel(z: np.ndarray, a: np.ndarray) -> None:
    a[...] = z
    z.fill(1)


_KERNELS: dict[str, Callable[[np.ndarray, np.ndarray], None]] = {
    "sigmoid": _sigmoid_kernel,
    "tanh": _tanh_kernel,
    "relu": _relu_kernel,
    "leaky_relu": _leaky_relu_kernel,
    "identity": _identity_kernel,
}


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


def _carrier(dtype: np.dtype) -> tuple[np.dtype, Callable[[np.ndarray], np.ndarray]]:
    """The dtype the arrays of a ``dtype`` pass are held in, and the rounding applied to each
    result. float16 is carried in float32 and every result rounded once to float16: for the
    matrix products, the bias sums and the backward products the same numbers as numpy's own
    float16 arithmetic (which computes in float32 and rounds once), without its per-element
    conversions; the activation and its derivative are computed in float32 and rounded once,
    where numpy's float16 loops would round after every elementary operation."""
    if dtype == np.float16:
        return np.dtype(np.float32), round_half
    return dtype, unrounded


def _activate(
    kernel: Callable, z: np.ndarray, rounding: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """``(act(z), act'(z))``, the latter in z's memory, each rounded once."""
    a = np.empty_like(z)
    kernel(z, a)
    return rounding(a), rounding(z)


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
    kernel = _KERNELS[activation]
    n_layers = len(params)
    dtype = X.dtype
    carrier, rnd = _carrier(dtype)
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
    weight_grad_norms = figures.get("weight_grad_norms")
    threshold = carrier.type(dtype.type(SATURATION_THRESHOLDS[activation]))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a = X
        for layer, (weights, bias) in enumerate(params):
            z = rnd(np.matmul(a, weights))
            z += bias
            rnd(z)
            if layer == n_layers - 1:
                break
            a, z = _activate(kernel, z, rnd)
            inputs.append(a)
            derivatives.append(z)
            if means is not None:
                means[layer] = np.mean(a, dtype=np.float64)
            if spreads is not None:
                spreads[layer] = np.std(a, dtype=np.float64)
            if saturation is not None:
                saturation[layer] = np.count_nonzero(z < threshold) / z.size
        # The output layer is one unit wide: its loss runs in the working dtype itself.
        loss_value, delta = _loss_and_output_gradient(
            z.astype(dtype, copy=False), y, loss, loss_scale, gdtype
        )
        delta = delta.astype(carrier, copy=False)
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
                np.multiply(rnd(np.matmul(delta, params[layer][0].T)), previous, out=previous)
                delta = rnd(previous)
    return loss_value


def _figures(n_layers: int, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Empty float64 arrays for the per-layer (norms) and per-hidden-layer figures."""
    return {name: np.empty(n_layers if name.endswith("norms") else n_layers - 1) for name in names}


FIGURES: tuple[str, ...] = (
    "backprop_norms",
    "weight_grad_norms",
    "activation_mean",
    "activation_std",
    "saturation",
)
"""The per-layer figures of an ``MLPPass``; ``mlp_objective`` returns those it is asked for."""
_OBJECTIVE_FIGURES = ("backprop_norms", "weight_grad_norms", "saturation")


def _prepare(
    params: Any, X: Any, y: Any, activation: Any, loss: Any, dtype: Any, loss_scale: Any
) -> tuple[Params, np.ndarray, np.ndarray, float, tuple[int, ...]]:
    sizes, params_dtype = _check_params(params)
    check_choice(activation, ACTIVATION_NAMES, "activation")
    check_choice(loss, LOSSES, "loss")
    resolved = _resolve_dtype(dtype, params_dtype)
    scale = _check_loss_scale(loss_scale)
    X, y = _check_data(X, y, sizes, loss, resolved)
    return _cast_params(params, resolved), X, y, scale, sizes


def _new_grads(sizes: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, Params]:
    flat = np.empty(_n_params(sizes), dtype=_gradient_dtype(dtype))
    return flat, _views(flat, sizes)


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
    params, X, y, scale, sizes = _prepare(params, X, y, activation, loss, dtype, loss_scale)
    _, grads = _new_grads(sizes, X.dtype)
    loss_value = _forward_backward(params, X, y, activation, loss, scale, grads, {})
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
    params, X, y, scale, sizes = _prepare(params, X, y, activation, loss, dtype, loss_scale)
    _, grads = _new_grads(sizes, X.dtype)
    figures = _figures(len(params), FIGURES)
    loss_value = _forward_backward(params, X, y, activation, loss, scale, grads, figures)
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
    sizes, params_dtype = _check_params(params)
    kernel = _KERNELS[check_choice(activation, ACTIVATION_NAMES, "activation")]
    resolved = _resolve_dtype(dtype, params_dtype)
    X = as_finite_array(X, "X", ndim=2)
    if X.shape[1] != sizes[0]:
        raise ValueError(f"X must have {sizes[0]} columns (the input width); got {X.shape}")
    carrier, rnd = _carrier(resolved)
    a = _cast_finite(X, resolved, "X").astype(carrier, copy=False)
    params = _cast_params(params, resolved)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for layer, (weights, bias) in enumerate(params):
            z = rnd(np.matmul(a, weights.astype(carrier, copy=False)))
            z += bias.astype(carrier, copy=False)
            rnd(z)
            if layer < len(params) - 1:
                a, _ = _activate(kernel, z, rnd)
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
) -> Objective:
    """``objective(flat) -> (F, flat gradient, extras)`` for ``descent.gradient_descent``.

    ``flat`` uses the layout of ``flatten_params``. The gradient is a fresh array in
    ``promote(dtype, float32)`` (the descent casts it to its own dtype); extras hold the float64
    per-layer ``figures`` named (any of ``FIGURES``; by default ``"backprop_norms"``,
    ``"weight_grad_norms"`` and ``"saturation"``). Arguments are validated once, here; each call
    checks only ``flat``.
    """
    sizes = _check_sizes(sizes)
    check_choice(activation, ACTIVATION_NAMES, "activation")
    check_choice(loss, LOSSES, "loss")
    resolved = as_float_dtype(dtype)
    scale = _check_loss_scale(loss_scale)
    X, y = _check_data(X, y, sizes, loss, resolved)
    if isinstance(figures, str) or not isinstance(figures, Sequence):
        raise ValueError(f"figures must be a sequence of names from {FIGURES}; got {figures!r}")
    names = tuple(dict.fromkeys(check_choice(name, FIGURES, "figures") for name in figures))
    n_params = _n_params(sizes)

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
        flat = np.asarray(flat)
        if flat.shape != (n_params,) or flat.dtype not in _DTYPES:
            raise ValueError(
                f"flat must be a float vector of {n_params} parameters; got shape {flat.shape}"
            )
        if not _all_finite(flat):
            raise ValueError("flat must contain only finite numbers")
        if flat.dtype != resolved:
            flat = _cast_finite(flat, resolved, "flat")
        params = _views(np.ascontiguousarray(flat), sizes)
        grad_flat, grads = _new_grads(sizes, resolved)
        extras = _figures(len(params), names)
        loss_value = _forward_backward(params, X, y, activation, loss, scale, grads, extras)
        return loss_value, grad_flat, extras

    return objective
