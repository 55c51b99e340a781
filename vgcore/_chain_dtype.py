"""One pass of the chain in a float dtype: the forward values, ``z_i`` and ``act'(z_i)``, and the
backward running products, from which ``dF/do_k`` and ``dF/dw_k`` are read off."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgcore._chain_forward import elementwise, forward_guess, solve_forward
from vgcore._chain_rounding import accumulate, rounded_product
from vgcore.activations import Activation


@dataclass(frozen=True, eq=False)
class DtypePass:
    """One forward and backward pass in a dtype (arrays indexed from layer 1 or 2)."""

    weights: np.ndarray  # w_1..w_L in the dtype
    outputs: np.ndarray  # o_1..o_L
    pre_activations: np.ndarray  # z_2..z_L
    derivatives: np.ndarray  # act'(z_2)..act'(z_L)
    running: np.ndarray  # backward running products: a_L, a_L w_L, a_L w_L a_{L-1}, ...

    def backprop(self) -> np.ndarray:
        """dF/do_k for k = 1..L."""
        out = np.empty(self.weights.size, dtype=self.weights.dtype)
        out[:-1] = self.running[1::2][::-1]
        out[-1] = 1
        return out

    def gradient(self) -> np.ndarray:
        """dF/dw_k for k = 1..L: dF/dw_1 = dF/do_1, dF/dw_k = o_{k-1} dF/dz_k."""
        out = np.empty(self.weights.size, dtype=self.weights.dtype)
        out[0] = self.running[-1]
        out[1:] = rounded_product(self.outputs[:-1], self.running[0::2][::-1])
        return out


def dtype_pass(
    w64: np.ndarray, act: Activation, dtype: np.dtype, coarser: np.ndarray | None = None
) -> DtypePass:
    """Forward and backward pass in ``dtype``; ``coarser`` is a guess of the forward values
    (the same chain in a wider dtype)."""
    with np.errstate(over="ignore"):
        w = w64.astype(dtype)  # |w| > 65504 becomes inf in float16: honest
    value, derivative, step = elementwise(act, dtype)
    o = solve_forward(w, value, step, forward_guess(w, act, coarser), act.linear_at_zero)
    z = rounded_product(w[1:], o[:-1])
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a = derivative(z)
    factors = np.empty(2 * (w.size - 1), dtype=dtype)
    factors[0::2] = a[::-1]
    factors[1::2] = w[1:][::-1]
    return DtypePass(w, o, z, a, accumulate(factors))
