"""Activation functions with their derivatives and log|derivative|, stable for |z| up to 1e300.

Every function is elementwise, keeps the floating dtype of its input (so a float16 array is
computed in float16) and emits no numpy warning. The log-derivatives are natural logarithms
written without forming the derivative first (MATH.md D3), so they never underflow:
``log sigma'(z) = -softplus(z) - softplus(-z)`` and
``log tanh'(z) = 2 (log 2 - |z| - log1p(exp(-2|z|)))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from vgcore.validate import check_choice

ArrayFunction = Callable[[np.ndarray], np.ndarray]
Kernel = Callable[[np.ndarray, np.ndarray], None]
"""The MLP's in-place kernel: overwrites z with act'(z) and writes act(z) into a, in z's dtype."""
LogLayer = Callable[[int, float], tuple[int, float, float]]
"""(sign of z, log|z|) -> (sign of o, log|o|, log act'(z)), exact for any magnitude of z."""

LEAKY_SLOPE = 0.01
"""Slope of leaky ReLU for z < 0."""

_LOG_LEAKY_SLOPE = math.log(LEAKY_SLOPE)
_LOG_2 = math.log(2.0)


def _float_array(z: np.ndarray | float) -> np.ndarray:
    """``z`` as a floating array; integers and Python scalars become float64."""
    array = np.asarray(z)
    return array if np.issubdtype(array.dtype, np.floating) else array.astype(np.float64)


def softplus(z: np.ndarray | float) -> np.ndarray:
    """``log(1 + exp(z))`` computed as ``max(z, 0) + log1p(exp(-|z|))``: no overflow."""
    z = _float_array(z)
    return cast(np.ndarray, np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))))


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """``sigma(z) = 1 / (1 + exp(-z))``, via ``exp(-|z|)`` so nothing overflows."""
    z = _float_array(z)
    e = np.exp(-np.abs(z))
    return cast(np.ndarray, np.where(z >= 0, 1 / (1 + e), e / (1 + e)))


def sigmoid_derivative(z: np.ndarray | float) -> np.ndarray:
    """``sigma'(z) = sigma(z) (1 - sigma(z)) = e / (1 + e)^2``, ``e = exp(-|z|)``; in (0, 1/4]."""
    z = _float_array(z)
    e = np.exp(-np.abs(z))
    # clamped to the sharp bound: near z = 0 rounding can otherwise exceed 1/4 by an ulp
    return cast(np.ndarray, np.minimum(e / ((1 + e) * (1 + e)), 0.25))


def log_sigmoid_derivative(z: np.ndarray | float) -> np.ndarray:
    """``log sigma'(z) = -softplus(z) - softplus(-z) = -|z| - 2 log1p(exp(-|z|))``."""
    z = _float_array(z)
    magnitude = np.abs(z)
    return cast(np.ndarray, -magnitude - 2 * np.log1p(np.exp(-magnitude)))


def tanh(z: np.ndarray | float) -> np.ndarray:
    """``tanh(z)``."""
    return cast(np.ndarray, np.tanh(_float_array(z)))


def tanh_derivative(z: np.ndarray | float) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)^2 = 4 e / (1 + e)^2`` with ``e = exp(-2|z|)``; in (0, 1]."""
    z = _float_array(z)
    half = np.exp(-np.abs(z))
    e = half * half
    return cast(
        np.ndarray, np.minimum(4 * e / ((1 + e) * (1 + e)), 1)
    )  # never above the bound, as for sigma'


def log_tanh_derivative(z: np.ndarray | float) -> np.ndarray:
    """``log tanh'(z) = 2 (log 2 - |z| - log1p(exp(-2|z|)))``; ``-inf`` where ``-2|z|`` is
    beyond the dtype's range (float16: |z| > 32752), the value being unrepresentable there."""
    z = _float_array(z)
    magnitude = np.abs(z)
    half = np.exp(-magnitude)
    with np.errstate(over="ignore"):  # the doubling overflows to -inf only past the range
        return cast(np.ndarray, 2 * (_LOG_2 - magnitude - np.log1p(half * half)))


def relu(z: np.ndarray | float) -> np.ndarray:
    """``max(0, z)``."""
    z = _float_array(z)
    return cast(np.ndarray, np.maximum(z, 0))


def relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """1 for z > 0 and 0 otherwise (the subgradient 0 is taken at the kink z = 0)."""
    z = _float_array(z)
    return (z > 0).astype(z.dtype)


def log_relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """0 for z > 0 and -inf otherwise: an exact zero derivative (a dead unit), not a small one."""
    z = _float_array(z)
    return cast(np.ndarray, np.where(z > 0, z.dtype.type(0), z.dtype.type(-np.inf)))


def leaky_relu(z: np.ndarray | float) -> np.ndarray:
    """``z`` for z > 0 and ``LEAKY_SLOPE * z`` otherwise."""
    z = _float_array(z)
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def leaky_relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """1 for z > 0 and ``LEAKY_SLOPE`` otherwise (the left slope at the kink)."""
    z = _float_array(z)
    return cast(np.ndarray, np.where(z > 0, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE)))


def log_leaky_relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """0 for z > 0 and ``log(LEAKY_SLOPE)`` otherwise."""
    z = _float_array(z)
    return cast(np.ndarray, np.where(z > 0, z.dtype.type(0), z.dtype.type(_LOG_LEAKY_SLOPE)))


def identity(z: np.ndarray | float) -> np.ndarray:
    """``z``."""
    return _float_array(z).copy()


def identity_derivative(z: np.ndarray | float) -> np.ndarray:
    """1 everywhere."""
    return np.ones_like(_float_array(z))


def log_identity_derivative(z: np.ndarray | float) -> np.ndarray:
    """0 everywhere."""
    return np.zeros_like(_float_array(z))


# ---------------------------------------------------------------- the MLP's in-place kernels
#
# Derivatives come from ``e = exp(-|z|)``: ``sigma' = e / (1 + e)^2`` and
# ``tanh' = 4 e^2 / (1 + e^2)^2``, not ``sigma (1 - sigma)`` or ``1 - tanh^2`` (what PyTorch uses),
# which cancel to exactly 0 once ``sigma`` rounds to 1; so a saturated unit keeps its small,
# nonzero derivative and only genuine underflow produces zeros (about 6% slower than the
# cancelling form, measured in bench/bench_mlp.py's setting).


def sigmoid_kernel(z: np.ndarray, a: np.ndarray) -> None:
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


def tanh_kernel(z: np.ndarray, a: np.ndarray) -> None:
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


def relu_kernel(z: np.ndarray, a: np.ndarray) -> None:
    np.maximum(z, 0, out=a)
    np.greater(z, 0, out=z)


def leaky_relu_kernel(z: np.ndarray, a: np.ndarray) -> None:
    positive = z > 0
    a[...] = np.where(positive, z, LEAKY_SLOPE * z)
    z[...] = np.where(positive, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE))


def identity_kernel(z: np.ndarray, a: np.ndarray) -> None:
    a[...] = z
    z.fill(1)


# ---------------------------------------------------------------- the chain's scalar steps


def _log_sigmoid_layer(sign_z: int, log_z: float) -> tuple[int, float, float]:
    if sign_z == 0 or log_z < -100.0:  # |z| < 4e-44: sigma(z) = 1/2, sigma'(z) = 1/4 to 1e-88
        return 1, -_LOG_2, -2 * _LOG_2
    z = math.copysign(math.exp(log_z), sign_z)
    e = math.exp(-abs(z))
    log_o = -(max(-z, 0.0) + math.log1p(e))  # log sigma(z) = -softplus(-z)
    return 1, log_o, -abs(z) - 2 * math.log1p(e)


def _log_tanh_layer(sign_z: int, log_z: float) -> tuple[int, float, float]:
    z = math.exp(log_z)  # |z| >= 4e-18 here: the chain handles smaller ones as o = z
    return sign_z, math.log(math.tanh(z)), 2 * (_LOG_2 - z - math.log1p(math.exp(-2 * z)))


def _sigmoid_scalar(z: Any) -> Any:
    """sigma of one numpy scalar by the operations of ``sigmoid`` (a proposal)."""
    e = np.exp(-abs(z))
    return 1 / (1 + e) if z >= 0 else e / (1 + e)


def _sigmoid_python(z: float) -> float:
    """sigma of a Python float; OverflowError for z < -709 (``_sigmoid_python_careful`` then)."""
    return 1.0 / (1.0 + math.exp(-z))


def _sigmoid_python_careful(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Activation:
    """One activation and everything the core computes with it: its function, derivative,
    natural log|derivative| and ``sup |act'|``, the MLP's kernel and saturation threshold, and
    how the scalar chain evaluates it (a smooth activation's scalar steps, or the negative slope
    of a piecewise-linear one). Adding an activation is adding one of these to ``ACTIVATIONS``."""

    name: str
    value: ArrayFunction
    derivative: ArrayFunction
    log_abs_derivative: ArrayFunction
    derivative_bound: float
    kernel: Kernel
    saturation_threshold: float
    """A unit-sample of the MLP is saturated when ``act'(z) < saturation_threshold``."""
    negative_slope: float | None = None
    """Piecewise linear: act(z) = z for z > 0 and ``negative_slope * z`` otherwise; None: smooth."""
    log_layer: LogLayer | None = None
    """Smooth: the chain's exact step in the log domain."""
    scalar: Callable[[Any], Any] | None = None
    """Smooth: act of one numpy scalar by the operations of ``value`` (None: through ``value``)."""
    python_step: Callable[[float], float] | None = None
    """Smooth: act of a Python float, the chain's fast guess (may raise OverflowError)."""
    python_step_careful: Callable[[float], float] | None = None
    """Smooth: the same without overflow."""
    linear_at_zero: bool = False
    """act(z) = z − O(z³) near 0 (tanh): the chain takes act(z) = z for tiny |z|."""


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid",
        sigmoid,
        sigmoid_derivative,
        log_sigmoid_derivative,
        0.25,
        sigmoid_kernel,
        0.01 * 0.25,  # 1% of sup|act'|
        log_layer=_log_sigmoid_layer,
        scalar=_sigmoid_scalar,
        python_step=_sigmoid_python,
        python_step_careful=_sigmoid_python_careful,
    ),
    "tanh": Activation(
        "tanh",
        tanh,
        tanh_derivative,
        log_tanh_derivative,
        1.0,
        tanh_kernel,
        0.01 * 1.0,  # 1% of sup|act'|
        log_layer=_log_tanh_layer,
        scalar=np.tanh,
        python_step=math.tanh,
        python_step_careful=math.tanh,
        linear_at_zero=True,
    ),
    "relu": Activation(
        "relu",
        relu,
        relu_derivative,
        log_relu_derivative,
        1.0,
        relu_kernel,
        0.5,  # derivative is 0 or 1: counts dead units (act'(z) == 0)
        negative_slope=0.0,
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        leaky_relu,
        leaky_relu_derivative,
        log_leaky_relu_derivative,
        1.0,
        leaky_relu_kernel,
        0.5,  # derivative is LEAKY_SLOPE or 1: counts the slope branch
        negative_slope=LEAKY_SLOPE,
    ),
    "identity": Activation(
        "identity",
        identity,
        identity_derivative,
        log_identity_derivative,
        1.0,
        identity_kernel,
        0.0,  # never saturates
        negative_slope=1.0,
    ),
}

ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


def get_activation(name: str, parameter: str = "activation") -> Activation:
    """The activation called ``name``; ValueError listing the known names otherwise."""
    return ACTIVATIONS[check_choice(name, ACTIVATION_NAMES, parameter)]
