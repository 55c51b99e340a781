"""The activation kernels of the MLP pass: ``act(z)`` and ``act'(z)`` in place, in z's dtype, and
the float16 carrier (values held in float32, each result rounded once to float16).

Derivatives come from ``e = exp(-|z|)``: ``sigma' = e / (1 + e)^2`` and
``tanh' = 4 e^2 / (1 + e^2)^2``, not ``sigma (1 - sigma)`` or ``1 - tanh^2`` (what PyTorch uses),
which cancel to exactly 0 once ``sigma`` rounds to 1; so a saturated unit keeps its small,
nonzero derivative and only genuine underflow produces zeros (about 6% slower than the
cancelling form, measured in bench/bench_mlp.py's setting).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vgcore._half import round_half, unrounded
from vgcore.activations import LEAKY_SLOPE

Kernel = Callable[[np.ndarray, np.ndarray], None]
Rounding = Callable[[np.ndarray], np.ndarray]

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


def carrier_for(dtype: np.dtype) -> tuple[np.dtype, Callable[[np.ndarray], np.ndarray]]:
    """The dtype the arrays of a ``dtype`` pass are held in, and the rounding applied to each
    result. float16 is carried in float32 and every result rounded once to float16: for the
    matrix products, the bias sums and the backward products the same numbers as numpy's own
    float16 arithmetic (which computes in float32 and rounds once), without its per-element
    conversions; the activation and its derivative are computed in float32 and rounded once,
    where numpy's float16 loops would round after every elementary operation."""
    if dtype == np.float16:
        return np.dtype(np.float32), round_half
    return dtype, unrounded


def activate(
    kernel: Callable, z: np.ndarray, rounding: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """``(act(z), act'(z))``, the latter in z's memory, each rounded once."""
    a = np.empty_like(z)
    kernel(z, a)
    return rounding(a), rounding(z)
