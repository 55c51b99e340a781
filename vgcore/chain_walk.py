"""The chain's backward pass walked layer by layer (MATH.md D3), read off one ``ChainReport``.

Going back from the output, layer k (k = L..2) multiplies the gradient by its factor
``f_k = w_k act'(z_k)``; after it the running product is ``P_k = prod_{i=k..L} f_i``, which is
``dF/do_{k-1}``. Layer 1 has no activation (``o_1 = w_1``): its factor is ``do_1/dw_1 = 1`` and
``P_1 = P_2 = dF/dw_1``. Per dtype, ``P_k`` is the report's own backward pass (``backprops``:
the same rounded products as the chain panel's), and ``f_k`` is ``w_k act'(z_k)`` with both
numbers as that dtype's pass holds them, rounded once in the dtype. Exactly, both are the report's
log-domain values (``log10|.|``) with the sign of the product of the weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgcore._chain_rounding import rounded_product
from vgcore.chain import ChainReport
from vgcore.precision import DTYPES


@dataclass(frozen=True, eq=False)
class BackwardWalk:
    """Per layer k = 1..L (index k - 1): the factor and the running product, per dtype (as
    float64: zeros and infinities kept) and exactly (log10 of the magnitude, and the sign)."""

    depth: int
    factors: dict[str, np.ndarray]
    """dtype -> ``w_k act'(z_k)`` rounded in the dtype (1 at layer 1)"""
    products: dict[str, np.ndarray]
    """dtype -> ``P_k = prod_{i=k..L} w_i act'(z_i)`` as the dtype's backward pass has it"""
    log10_abs_factor: np.ndarray
    """exact log10|f_k| (-inf where the factor is exactly 0; 0 at layer 1)"""
    factor_sign: np.ndarray
    """sign of the exact f_k: -1, 0 or 1"""
    log10_abs_product: np.ndarray
    """exact log10|P_k|"""
    product_sign: np.ndarray
    """sign of the exact P_k: -1, 0 or 1"""
    first_zero: dict[str, int | None]
    """dtype -> the first layer, walking back from L, where ``P_k`` is exactly 0 (the largest
    such k: a zero stays zero below it), or None"""

    def first_exact_zero(self) -> int | None:
        """The first layer, walking back, where the exact ``P_k`` is 0, or None."""
        zero = np.flatnonzero(self.product_sign == 0)
        return int(zero[-1]) + 1 if zero.size else None


def backward_walk(report: ChainReport) -> BackwardWalk:
    """The walk of ``report``'s chain: see the module docstring."""
    depth = report.depth
    weights = report.weights
    factors, products, first_zero = {}, {}, {}
    for name in DTYPES:
        dtype = np.dtype(name)
        with np.errstate(over="ignore"):
            w = weights[1:].astype(dtype)  # |w| > 65504 is inf in float16, as in the pass
        a = report.derivatives[name].astype(dtype)
        factor = np.ones(depth)
        factor[1:] = rounded_product(w, a).astype(np.float64)
        factors[name] = _readonly(factor)
        product = np.empty(depth)
        product[0] = report.gradients[name][0]
        product[1:] = report.backprops[name][:-1]
        products[name] = _readonly(product)
        zero = np.flatnonzero(product == 0)
        first_zero[name] = int(zero[-1]) + 1 if zero.size else None
    log_factor = np.zeros(depth)
    log_factor[1:] = report.decomposition.log10_layer_factor
    factor_sign = np.ones(depth, dtype=np.int64)
    factor_sign[1:] = np.sign(weights[1:]).astype(np.int64)
    factor_sign[np.isneginf(log_factor)] = 0
    product_sign = np.multiply.accumulate(factor_sign[::-1])[::-1].copy()
    log_product = np.empty(depth)
    log_product[0] = report.log10_abs_gradient[0]
    log_product[1:] = report.log10_abs_backprop[:-1]
    return BackwardWalk(
        depth=depth,
        factors=factors,
        products=products,
        log10_abs_factor=_readonly(log_factor),
        factor_sign=_readonly(factor_sign),
        log10_abs_product=_readonly(log_product),
        product_sign=_readonly(product_sign),
        first_zero=first_zero,
    )


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
