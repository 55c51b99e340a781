"""The source's scalar chain (MATH.md D3): ``o_1 = w_1``, ``z_i = w_i o_{i-1}``,
``o_i = act(z_i)`` for ``i = 2..L``, ``F = o_L``.

The gradient is computed two ways:

* **in a floating dtype** (float16, float32, float64): every forward and backward operation is
  rounded in that dtype, so a gradient underflows to exactly 0, or overflows to inf, exactly where
  that precision makes it. The backward pass starts from ``g = 1`` at ``o_L`` and, going down,
  multiplies by ``act'(z_i)`` and then by ``w_i``, rounding after each product.
* **in the log domain**: ``log10|dF/dw_k|`` as sums of log-factors, which never underflow, also
  where the forward values themselves leave the float64 range (``log|o_i|`` is then carried
  alongside the sign of ``o_i``).

Conventions, used everywhere in this module and its engine modules (``vgcore/_chain_*.py``):

* ``0 * inf = 0`` in every product (IEEE gives NaN). A zero factor is either a true zero
  (``w_i = 0``, ``o_{k-1} = 0``, a dead ReLU unit), for which 0 is the exact answer, or a value
  that has already underflowed in the dtype, whose information is lost: the dtype result keeps
  the zero. A returned array therefore holds finite numbers, exact zeros and ``inf``; never NaN.
* A log-domain value is ``-inf`` only where the true gradient is exactly zero: some ``w_i = 0``
  above layer k (so ``prod w_i = 0``), ``o_{k-1} = 0`` exactly (``w_1 = 0``, or a tanh, ReLU,
  leaky-ReLU or identity chain fed an exact zero), or a ReLU unit with ``z_i <= 0``.
* ``|w_i| <= MAX_ABS_WEIGHT = 1e150`` so that ``|z_2| = |w_2 w_1| <= 1e300`` stays a float64 and
  ``log act'(z)`` is finite wherever ``act'(z) > 0``.

This module is the public API and its validation; the engines are private modules: rounded
products (``_chain_rounding``), the exact dtype forward values (``_chain_forward``), the dtype
pass with its backward products (``_chain_dtype``), the log domain (``_chain_log``) and the
underflow-depth search (``_chain_underflow``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from vgcore._chain_dtype import DtypePass, dtype_pass
from vgcore._chain_forward import python_forward as python_forward  # timed by bench_chain
from vgcore._chain_log import LogPass, log_pass
from vgcore._chain_rounding import accumulate
from vgcore._chain_underflow import search_underflow_depth
from vgcore.activations import Activation, get_activation
from vgcore.precision import DTYPES, as_float_dtype
from vgcore.validate import as_finite_array, check_choice, check_int, check_real

MAX_DEPTH = 100_000
"""Largest chain depth L accepted."""

MAX_ABS_WEIGHT = 1e150
"""Largest |w_i| accepted (see the module docstring)."""

WEIGHT_MODES: tuple[str, ...] = ("constant", "normal")

_LN10 = math.log(10.0)


# --------------------------------------------------------------------------- validation


def _check_weights(weights: Any) -> np.ndarray:
    """``weights`` as a float64 copy: 1-D, finite, 2 <= depth <= MAX_DEPTH, |w| <= 1e150."""
    w = as_finite_array(weights, "weights", ndim=1, min_size=0)
    if not 2 <= w.size <= MAX_DEPTH:
        raise ValueError(
            f"depth (the number of weights) must be from 2 to {MAX_DEPTH}; got {w.size}"
        )
    if np.max(np.abs(w)) > MAX_ABS_WEIGHT:
        raise ValueError(f"weights must satisfy |w_i| <= {MAX_ABS_WEIGHT:g}")
    return w


# --------------------------------------------------------------------------- public API


def chain_gradient(weights: Any, activation: str = "sigmoid", dtype: Any = "float64") -> np.ndarray:
    """dF/dw_k, k = 1..L, with forward and backward passes rounded in ``dtype``.

    ``dF/dw_1 = prod_{i=2..L} w_i act'(z_i)``,
    ``dF/dw_k = o_{k-1} act'(z_k) prod_{i=k+1..L} w_i act'(z_i)`` (MATH.md D3); returned in
    ``dtype``, with 0 where it underflows, inf where it overflows (``0 * inf = 0``)."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return dtype_pass(w, act, as_float_dtype(dtype)).gradient()


def chain_backprop(weights: Any, activation: str = "sigmoid", dtype: Any = "float64") -> np.ndarray:
    """dF/do_k = prod_{i=k+1..L} w_i act'(z_i), k = 1..L (dF/do_L = 1), rounded in ``dtype``."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return dtype_pass(w, act, as_float_dtype(dtype)).backprop()


def chain_log10_abs_gradient(weights: Any, activation: str = "sigmoid") -> np.ndarray:
    """log10|dF/dw_k|, k = 1..L, of the exact chain (to 1e-9 relative); never underflows;
    ``-inf`` only where the gradient is exactly zero (see the module docstring)."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return log_pass(w, act, dtype_pass(w, act, np.dtype(np.float64))).gradient() / _LN10


def chain_log10_abs_backprop(weights: Any, activation: str = "sigmoid") -> np.ndarray:
    """log10|dF/do_k| = sum_{i=k+1..L} log10|w_i act'(z_i)|, k = 1..L, of the exact chain."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return log_pass(w, act, dtype_pass(w, act, np.dtype(np.float64))).backprop() / _LN10


@dataclass(frozen=True, eq=False)
class ChainDecomposition:
    """log10 of the two factors of ``dF/dw_1 = prod w_i * prod act'(z_i)`` for every prefix depth
    k = 2..L (index k - 2), the bound they are held to and the per-layer factor; and the same
    split of ``dF/do_k`` over the layers above k (suffixes, k = 1..L), computed as sums from the
    top, so a zero weight below k does not reach them."""

    log10_abs_weight_product: np.ndarray
    """sum_{i=2..k} log10|w_i|"""
    log10_derivative_product: np.ndarray
    """sum_{i=2..k} log10 act'(z_i)"""
    log10_bound: np.ndarray
    """log10 of ``B^(k-1) prod|w_i|`` with B = sup act' (1/4 for the sigmoid: MATH.md's
    ``4^-(k-1) prod|w_i|``); |dF/dw_1| of the depth-k prefix never exceeds it"""
    log10_layer_factor: np.ndarray
    """log10|w_i act'(z_i)| for layer i = 2..L: below 0 shrinks the gradient, above 0 grows it"""
    log10_abs_weight_suffix: np.ndarray
    """sum_{i=k+1..L} log10|w_i| for k = 1..L (0 at k = L): the weights above layer k"""
    log10_derivative_suffix: np.ndarray
    """sum_{i=k+1..L} log10 act'(z_i) for k = 1..L; with the weight suffix, log10|dF/do_k|"""
    log10_suffix_bound: np.ndarray
    """log10 of ``B^(L-k) prod_{i>k}|w_i|``, which |dF/do_k| never exceeds, k = 1..L"""


def _suffix_sums(values: np.ndarray) -> np.ndarray:
    """sum_{i > k} values_i for k = 1..L, values indexed by layer i = 2..L."""
    out = np.zeros(values.size + 1)
    out[:-1] = np.cumsum(values[::-1])[::-1]
    return out


def _decomposition(act: Activation, logs: LogPass) -> ChainDecomposition:
    log10_bound = math.log10(act.derivative_bound)
    weight_product = np.cumsum(logs.log_w[1:]) / _LN10
    weight_suffix = _suffix_sums(logs.log_w[1:]) / _LN10
    return ChainDecomposition(
        log10_abs_weight_product=weight_product,
        log10_derivative_product=np.cumsum(logs.log_a) / _LN10,
        log10_bound=np.arange(1, logs.log_w.size) * log10_bound + weight_product,
        log10_layer_factor=logs.layer_factor() / _LN10,
        log10_abs_weight_suffix=weight_suffix,
        log10_derivative_suffix=_suffix_sums(logs.log_a) / _LN10,
        log10_suffix_bound=np.arange(logs.log_w.size - 1, -1, -1) * log10_bound + weight_suffix,
    )


def chain_decomposition(weights: Any, activation: str = "sigmoid") -> ChainDecomposition:
    """The two log10 factors of dF/dw_1 per prefix depth, with the bound (MATH.md D3)."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return _decomposition(act, log_pass(w, act, dtype_pass(w, act, np.dtype(np.float64))))


def underflow_depth(
    weights: Any, activation: str = "sigmoid", dtype: Any = "float64"
) -> int | None:
    """Smallest depth d in 2..L with ``chain_gradient(weights[:d], activation, dtype)[0] == 0``
    exactly, or None. (A zero factor, e.g. a dead ReLU unit or a weight that is 0 in the dtype,
    counts: the gradient is then exactly zero, not merely underflowed.)

    The forward values of a prefix are those of the full chain, but each prefix runs its own
    backward product (from its own top), so prefixes do not share rounding. The method avoids
    computing all L of them, and is exact because every claim is either a computed prefix run or
    follows from one by **monotonicity**: a backward run below layer m is a composition of
    ``x -> round(round(x a_i) w_i)``, non-decreasing in |x|, so a run that *enters* layer m with
    ``|x| <= 1`` and ends nonzero proves that prefix m (which enters with exactly 1) ends nonzero,
    and one entering with ``|x| >= 1`` that ends at zero proves prefix m ends at zero.

    1. The first layer with a zero factor bounds the answer.
    2. The full chain's backward pass is such a run (free: chain_gradient computes it).
    3. A rigorous rounding bound (``C_j >= C_{j-1} f_j (1 - u) - s/2`` for each computed
       partial product, compared in logs) settles the depths whose exact partial products stay
       far above the smallest subnormal s; it runs on growing chunks from depth 2 and stops at
       the first chunk it cannot settle completely.
    4. The rest are settled by prefix runs chosen by galloping up from the smallest open depth,
       then bisecting below the smallest zero found; each run also settles, by monotonicity,
       the open depths below it. For a vanishing chain this is O(log L) runs, none much longer
       than the answer. (Worst case, e.g. products hovering just above s over thousands of
       layers in float16, it needs more runs, each O(d); never a wrong answer.)
    """
    w = _check_weights(weights)
    act = get_activation(activation)
    return search_underflow_depth(dtype_pass(w, act, as_float_dtype(dtype)))


def make_weights(
    depth: int,
    mode: str = "constant",
    w: float = 1.0,
    mean: float = 0.0,
    spread: float = 1.0,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Weights w_1..w_depth: all ``w`` ("constant"), or ``mean + spread * N(0, 1)`` ("normal")
    drawn from ``np.random.default_rng(seed)`` (or from the Generator passed as ``seed``)."""
    depth = check_int(depth, "depth", low=2, high=MAX_DEPTH)
    check_choice(mode, WEIGHT_MODES, "mode")
    limit = 1e100  # keeps every draw far inside MAX_ABS_WEIGHT
    w = check_real(w, "w", low=-limit, high=limit)
    mean = check_real(mean, "mean", low=-limit, high=limit)
    spread = check_real(spread, "spread", low=0.0, high=limit)
    if isinstance(seed, np.random.Generator):
        rng = seed
    else:
        rng = np.random.default_rng(check_int(seed, "seed", low=0))
    if mode == "constant":
        return np.full(depth, w)
    return mean + spread * rng.standard_normal(depth)


@dataclass(frozen=True, eq=False)
class ChainReport:
    """Everything the page's chain panel shows, from one ``chain_report`` call."""

    weights: np.ndarray
    activation: str
    depth: int
    log10_abs_gradient: np.ndarray
    """exact log10|dF/dw_k|, k = 1..L"""
    log10_abs_backprop: np.ndarray
    """exact log10|dF/do_k|, k = 1..L"""
    gradients: dict[str, np.ndarray]
    """dtype name -> chain_gradient in that dtype, as float64 (zeros and infs kept)"""
    backprops: dict[str, np.ndarray]
    """dtype name -> chain_backprop in that dtype, as float64"""
    derivatives: dict[str, np.ndarray]
    """dtype name -> act'(z_i), i = 2..L, as that dtype's pass computes it, as float64"""
    underflow_depths: dict[str, int | None]
    """dtype name -> underflow_depth of the whole weight vector"""
    decomposition: ChainDecomposition
    prefix_depths: np.ndarray
    """the prefix depths d of ``prefix_gradients`` (sorted)"""
    prefix_gradients: dict[str, np.ndarray]
    """dtype name -> dF/dw_1 of the prefix chain of each depth in ``prefix_depths`` (see
    ``chain_prefix_gradients``), as float64"""


def chain_report(weights: Any, activation: str = "sigmoid", prefix_depths: Any = ()) -> ChainReport:
    """The chain panel's data: the exact log-domain gradient and, per dtype, the rounded one;
    and dF/dw_1 of the prefix chains of ``prefix_depths`` (None: all depths 2..L), to which,
    when any are asked for, each dtype's first zero depth and the depth before it are added
    (so that a sampled curve shows its transitions exactly).

    The three dtype passes share work: each forward pass starts from the next wider dtype's
    values as a guess (and is still computed exactly in its own dtype), and the log domain
    reuses the float64 forward values."""
    w = _check_weights(weights)
    act = get_activation(activation)
    depths = _check_depths(prefix_depths, w.size)
    passes: dict[str, DtypePass] = {}
    coarser = None
    for name in reversed(DTYPES):
        passes[name] = dtype_pass(w, act, np.dtype(name), coarser)
        coarser = passes[name].outputs
    logs = log_pass(w, act, passes["float64"])
    gradients, backprops, derivatives, zero_depths, prefixes = {}, {}, {}, {}, {}
    for name in DTYPES:
        p = passes[name]
        gradients[name] = _readonly(p.gradient().astype(np.float64))
        backprops[name] = _readonly(p.backprop().astype(np.float64))
        derivatives[name] = _readonly(p.derivatives.astype(np.float64))
        zero_depths[name] = search_underflow_depth(p)
    if depths.size:
        edges = [d for z in zero_depths.values() if z is not None for d in (z - 1, z) if d >= 2]
        depths = np.union1d(depths, np.array(edges, dtype=np.int64))
    for name in DTYPES:
        prefixes[name] = _readonly(_prefix_gradients(passes[name], depths))
    decomposition = _decomposition(act, logs)
    for values in vars(decomposition).values():
        _readonly(values)
    return ChainReport(
        weights=_readonly(w),
        activation=act.name,
        depth=int(w.size),
        log10_abs_gradient=_readonly(logs.gradient() / _LN10),
        log10_abs_backprop=_readonly(logs.backprop() / _LN10),
        gradients=gradients,
        backprops=backprops,
        derivatives=derivatives,
        underflow_depths=zero_depths,
        decomposition=decomposition,
        prefix_depths=_readonly(depths),
        prefix_gradients=prefixes,
    )


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _check_depths(depths: Any, depth: int) -> np.ndarray:
    """Prefix depths as a sorted int64 array in 2..depth (default: all of them)."""
    if depths is None:
        return np.arange(2, depth + 1, dtype=np.int64)
    chosen = np.asarray(depths)
    if chosen.ndim != 1 or (chosen.size and chosen.dtype.kind not in "iu"):
        raise ValueError("prefix_depths must be a 1-D array of integers")
    if chosen.size and (chosen.min() < 2 or chosen.max() > depth):
        raise ValueError(f"prefix_depths must lie from 2 to the chain's depth {depth}")
    return np.unique(chosen.astype(np.int64))


def _prefix_gradients(p: DtypePass, depths: np.ndarray) -> np.ndarray:
    """dF/dw_1 of each prefix chain (see ``chain_prefix_gradients``), as float64."""
    # The whole chain's backward factors a_L, w_L, ..., a_2, w_2; prefix d multiplies their
    # tail a_d, w_d, ..., a_2, w_2 in this order, as its own backward pass does.
    factors = np.empty(2 * (p.weights.size - 1), dtype=p.weights.dtype)
    factors[0::2] = p.derivatives[::-1]
    factors[1::2] = p.weights[1:][::-1]
    top = p.weights.size
    return np.array([accumulate(factors[2 * (top - int(d)) :])[-1] for d in depths], float)


def chain_prefix_gradients(
    weights: Any, activation: str = "sigmoid", prefix_depths: Any = None
) -> dict[str, np.ndarray]:
    """dF/dw_1 of the prefix chain of each depth d in ``prefix_depths`` (default: 2..L), per
    dtype: ``result[dtype][j] == chain_gradient(weights[:d_j], activation, dtype)[0]``, i.e.
    ``prod_{i=2..d} w_i act'(z_i)`` rounded as that prefix's own backward pass rounds it (from
    its own top), as float64 (zeros and infinities kept). ``prefix_depths`` are sorted and
    deduplicated."""
    if prefix_depths is None:
        prefix_depths = np.arange(2, _check_weights(weights).size + 1)
    return chain_report(weights, activation, prefix_depths=prefix_depths).prefix_gradients
