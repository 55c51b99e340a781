"""The MLP pass's float16 carrier (values held in float32, each result rounded once to float16)
and the application of an activation's kernel (``vgcore.activations.Activation.kernel``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vgcore._half import round_half, unrounded
from vgcore.activations import Kernel

Rounding = Callable[[np.ndarray], np.ndarray]


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
    kernel: Kernel, z: np.ndarray, rounding: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """``(act(z), act'(z))``, the latter in z's memory, each rounded once."""
    a = np.empty_like(z)
    kernel(z, a)
    return rounding(a), rounding(z)
