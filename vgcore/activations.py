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

import numpy as np

from vgcore.validate import check_choice

ArrayFunction = Callable[[np.ndarray], np.ndarray]

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
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """``sigma(z) = 1 / (1 + exp(-z))``, via ``exp(-|z|)`` so nothing overflows."""
    z = _float_array(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(z: np.ndarray | float) -> np.ndarray:
    """``sigma'(z) = sigma(z) (1 - sigma(z)) = e / (1 + e)^2``, ``e = exp(-|z|)``; in (0, 1/4]."""
    z = _float_array(z)
    e = np.exp(-np.abs(z))
    # clamped to the sharp bound: near z = 0 rounding can otherwise exceed 1/4 by an ulp
    return np.minimum(e / ((1 + e) * (1 + e)), 0.25)


def log_sigmoid_derivative(z: np.ndarray | float) -> np.ndarray:
    """``log sigma'(z) = -softplus(z) - softplus(-z) = -|z| - 2 log1p(exp(-|z|))``."""
    z = _float_array(z)
    magnitude = np.abs(z)
    return -magnitude - 2 * np.log1p(np.exp(-magnitude))


def tanh(z: np.ndarray | float) -> np.ndarray:
    """``tanh(z)``."""
    return np.tanh(_float_array(z))


def tanh_derivative(z: np.ndarray | float) -> np.ndarray:
    """``tanh'(z) = 1 - tanh(z)^2 = 4 e / (1 + e)^2`` with ``e = exp(-2|z|)``; in (0, 1]."""
    z = _float_array(z)
    half = np.exp(-np.abs(z))
    e = half * half
    return np.minimum(4 * e / ((1 + e) * (1 + e)), 1)  # never above the bound, as for sigma'


def log_tanh_derivative(z: np.ndarray | float) -> np.ndarray:
    """``log tanh'(z) = 2 (log 2 - |z| - log1p(exp(-2|z|)))``; ``-inf`` where ``-2|z|`` is
    beyond the dtype's range (float16: |z| > 32752), the value being unrepresentable there."""
    z = _float_array(z)
    magnitude = np.abs(z)
    half = np.exp(-magnitude)
    with np.errstate(over="ignore"):  # the doubling overflows to -inf only past the range
        return 2 * (_LOG_2 - magnitude - np.log1p(half * half))


def relu(z: np.ndarray | float) -> np.ndarray:
    """``max(0, z)``."""
    z = _float_array(z)
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """1 for z > 0 and 0 otherwise (the subgradient 0 is taken at the kink z = 0)."""
    z = _float_array(z)
    return (z > 0).astype(z.dtype)


def log_relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """0 for z > 0 and -inf otherwise: an exact zero derivative (a dead unit), not a small one."""
    z = _float_array(z)
    return np.where(z > 0, z.dtype.type(0), z.dtype.type(-np.inf))


def leaky_relu(z: np.ndarray | float) -> np.ndarray:
    """``z`` for z > 0 and ``LEAKY_SLOPE * z`` otherwise."""
    z = _float_array(z)
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def leaky_relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """1 for z > 0 and ``LEAKY_SLOPE`` otherwise (the left slope at the kink)."""
    z = _float_array(z)
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(LEAKY_SLOPE))


def log_leaky_relu_derivative(z: np.ndarray | float) -> np.ndarray:
    """0 for z > 0 and ``log(LEAKY_SLOPE)`` otherwise."""
    z = _float_array(z)
    return np.where(z > 0, z.dtype.type(0), z.dtype.type(_LOG_LEAKY_SLOPE))


def identity(z: np.ndarray | float) -> np.ndarray:
    """``z``."""
    return _float_array(z).copy()


def identity_derivative(z: np.ndarray | float) -> np.ndarray:
    """1 everywhere."""
    return np.ones_like(_float_array(z))


def log_identity_derivative(z: np.ndarray | float) -> np.ndarray:
    """0 everywhere."""
    return np.zeros_like(_float_array(z))


@dataclass(frozen=True)
class Activation:
    """An activation with its derivative, natural log|derivative| and ``sup |act'|``."""

    name: str
    value: ArrayFunction
    derivative: ArrayFunction
    log_abs_derivative: ArrayFunction
    derivative_bound: float


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid",
        sigmoid,
        sigmoid_derivative,
        log_sigmoid_derivative,
        0.25,
    ),
    "tanh": Activation("tanh", tanh, tanh_derivative, log_tanh_derivative, 1.0),
    "relu": Activation("relu", relu, relu_derivative, log_relu_derivative, 1.0),
    "leaky_relu": Activation(
        "leaky_relu",
        leaky_relu,
        leaky_relu_derivative,
        log_leaky_relu_derivative,
        1.0,
    ),
    "identity": Activation(
        "identity",
        identity,
        identity_derivative,
        log_identity_derivative,
        1.0,
    ),
}

ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


def get_activation(name: str, parameter: str = "activation") -> Activation:
    """The activation called ``name``; ValueError listing the known names otherwise."""
    return ACTIVATIONS[check_choice(name, ACTIVATION_NAMES, parameter)]
