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

Conventions, used everywhere in this module:

* ``0 * inf = 0`` in every product (IEEE gives NaN). A zero factor is either a true zero
  (``w_i = 0``, ``o_{k-1} = 0``, a dead ReLU unit), for which 0 is the exact answer, or a value
  that has already underflowed in the dtype, whose information is lost: the dtype result keeps
  the zero. A returned array therefore holds finite numbers, exact zeros and ``inf``; never NaN.
* A log-domain value is ``-inf`` only where the true gradient is exactly zero: some ``w_i = 0``
  above layer k (so ``prod w_i = 0``), ``o_{k-1} = 0`` exactly (``w_1 = 0``, or a tanh, ReLU,
  leaky-ReLU or identity chain fed an exact zero), or a ReLU unit with ``z_i <= 0``.
* ``|w_i| <= MAX_ABS_WEIGHT = 1e150`` so that ``|z_2| = |w_2 w_1| <= 1e300`` stays a float64 and
  ``log act'(z)`` is finite wherever ``act'(z) > 0``.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vgcore._validate import (
    FLOAT_DTYPES,
    as_finite_array,
    as_float_dtype,
    check_choice,
    check_int,
    check_real,
)
from vgcore.activations import LEAKY_SLOPE, Activation, get_activation

MAX_DEPTH = 100_000
"""Largest chain depth L accepted."""

MAX_ABS_WEIGHT = 1e150
"""Largest |w_i| accepted (see the module docstring)."""

WEIGHT_MODES: tuple[str, ...] = ("constant", "normal")

_LN10 = math.log(10.0)
_LN2 = math.log(2.0)
_LOG_LEAKY = math.log(LEAKY_SLOPE)
_TINY64 = float(np.finfo(np.float64).tiny)
_MAX64 = float(np.finfo(np.float64).max)


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


def _uint(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"u{dtype.itemsize}")


# --------------------------------------------------------------------------- dtype forward


def _product(w: np.ndarray, o: np.ndarray) -> np.ndarray:
    """``w * o`` rounded in the dtype, with ``0 * inf = 0``."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        z = w * o
    nan = np.isnan(z)
    if nan.any():
        z[nan] = 0
    return z


def _accumulate(factors: np.ndarray) -> np.ndarray:
    """Running products ``f_0, f_0 f_1, ...``, each rounded in the dtype, with ``0 * inf = +0``.

    numpy's ``multiply.accumulate`` multiplies left to right and rounds every step to the
    array's dtype (checked bitwise against a scalar loop in the tests). A NaN can only come from
    ``0 * inf``; from there on the product is zero, and its sign is what step-by-step IEEE
    arithmetic gives: the product of the later factors' signs, restarting at +0 after each
    infinite factor (another ``0 * inf``)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        running = np.multiply.accumulate(factors)
    nan = np.isnan(running)
    if nan.any():
        first = int(np.argmax(nan))
        tail = factors[first:]
        negative = np.logical_xor.accumulate(np.signbit(tail))
        restart = np.isinf(tail)
        restart[0] = True
        last_restart = np.maximum.accumulate(np.where(restart, np.arange(tail.size), 0))
        running[first:] = np.where(negative ^ negative[last_restart], -0.0, 0.0)
    return running


def _python_forward(w: np.ndarray, name: str) -> np.ndarray:
    """A fast float64 guess of the forward values with Python floats (``math.exp``/``math.tanh``
    round slightly differently from numpy; ``_solve_forward`` repairs the difference)."""
    weights = array("d")
    weights.frombytes(w.tobytes())
    few_runs = np.count_nonzero(w[1:] != w[:-1]) < w.size // 8
    if not few_runs:
        exp, tanh = math.exp, math.tanh
        out = array("d", weights[:1])
        append = out.append
        o = weights[0]
        try:
            if name == "sigmoid":
                for wi in weights[1:]:
                    o = 1.0 / (1.0 + exp(-wi * o))
                    append(o)
            else:
                for wi in weights[1:]:
                    o = tanh(wi * o)
                    append(o)
            return np.frombuffer(out, dtype=np.float64)
        except OverflowError:  # exp(-z) for z < -709: take the careful loop below
            pass
    change = np.flatnonzero(w[1:] != w[:-1]) + 1
    run_end = np.repeat(np.append(change, w.size), np.diff(np.concatenate(([0], change, [w.size]))))
    return np.array(_python_forward_runs(weights, run_end.tolist(), name))


def _python_forward_runs(weights: array, run_end: list[int], name: str) -> list[float]:
    """The guess loop without overflow, which also uses fixed points: ``o_i = o_{i-1}`` with
    ``w_{i+1} = w_i`` repeats until the run of equal weights ends (``run_end[i]``)."""
    exp, tanh = math.exp, math.tanh
    depth = len(weights)
    out = [0.0] * depth
    o = out[0] = weights[0]
    i = 1
    while i < depth:
        wi = weights[i]
        z = wi * o
        if name == "tanh":
            new = tanh(z)
        elif z >= 0.0:
            new = 1.0 / (1.0 + exp(-z))
        else:
            e = exp(z)
            new = e / (1.0 + e)
        out[i] = new
        i += 1
        if new == o and i < depth and weights[i] == wi:
            end = run_end[i]
            out[i:end] = [new] * (end - i)
            i = end
        o = new
    return out


def _piecewise_linear_guess(w: np.ndarray, name: str) -> np.ndarray:
    """Forward values of a ReLU / leaky-ReLU / identity chain as one running product in the
    dtype: ``z_i = w_i o_{i-1}`` and ``o_i = m_i z_i`` with ``m_i`` 1 or the slope, read off the
    signs (which need no arithmetic). Exact up to the sign of zeros; verified afterwards."""
    depth = w.size
    sign_w = np.sign(w)
    if name == "relu":
        alive = np.logical_and.accumulate(np.concatenate(([sign_w[0] * sign_w[1] > 0], w[2:] > 0)))
        slopes = np.where(alive, 1, 0).astype(w.dtype)
    else:
        positive = np.multiply.accumulate(sign_w)[1:] > 0
        slope = LEAKY_SLOPE if name == "leaky_relu" else 1.0
        slopes = np.where(positive, w.dtype.type(1), w.dtype.type(slope))
    factors = np.empty(2 * depth - 1, dtype=w.dtype)
    factors[0] = w[0]
    factors[1::2] = w[1:]
    factors[2::2] = slopes
    outputs = _accumulate(factors)[0::2].copy()
    if name == "relu":
        outputs[1:][~alive] = 0  # max(z, 0) returns +0 for every z <= 0
    return outputs


ArrayMap = Callable[[np.ndarray], np.ndarray]
ScalarMap = Callable[[Any], Any]


@functools.cache
def _float16_tables(name: str) -> tuple[np.ndarray, np.ndarray]:
    """act and act' at every float16 bit pattern, computed by the activation's own float16 code
    once, so that a float16 evaluation is a table look-up with bitwise the same result."""
    act = get_activation(name)
    every = np.arange(2**16, dtype=np.uint16).view(np.float16)
    with np.errstate(all="ignore"):  # NaN patterns are tabulated too but never looked up
        tables = act.value(every), act.derivative(every)
    for table in tables:
        table.flags.writeable = False
    return tables


def _sigmoid_scalar(z: Any) -> Any:
    """sigma of one numpy scalar by the operations of activations.sigmoid (a proposal)."""
    e = np.exp(-abs(z))
    return 1 / (1 + e) if z >= 0 else e / (1 + e)


def _elementwise(act: Activation, dtype: np.dtype) -> tuple[ArrayMap, ArrayMap, ScalarMap]:
    """(act, act') on arrays in ``dtype``, and act on one numpy scalar of ``dtype``. The scalar
    version only proposes values (``_solve_forward`` checks each one with the array version)."""
    if dtype == np.float16:
        values, derivatives = _float16_tables(act.name)
        return (
            lambda z: values[z.view(np.uint16)],
            lambda z: derivatives[z.view(np.uint16)],
            lambda z: values[z.view(np.uint16)],
        )
    if act.name == "sigmoid":
        return act.value, act.derivative, _sigmoid_scalar
    if act.name == "tanh":
        return act.value, act.derivative, np.tanh
    return act.value, act.derivative, lambda z: act.value(np.array([z]))[0]


# |z| below which tanh(z) == z in the dtype (tried as a guess only)
_TANH_LINEAR_BELOW = {"float16": 4e-3, "float32": 1e-4, "float64": 1e-8}


def _solve_forward(
    w: np.ndarray, value: ArrayMap, step: ScalarMap, guess: np.ndarray, linear_tail: bool
) -> np.ndarray:
    """The dtype forward values ``o_1 = w_1``, ``o_i = act(w_i * o_{i-1})``, exactly.

    The recurrence is sequential, but checking a guess is not: layer i is *consistent* when
    ``guess_i == act(w_i * guess_{i-1})`` bitwise (array ``value``). Only the true sequence is
    consistent everywhere (induction from ``o_1``), so the loop recomputes the inconsistent
    ("dirty") layers, all at once, until none is left. Each round fixes at least the first dirty
    layer, whose input is already right; with a good guess and a contracting chain a few rounds
    fix everything. When rounds stop paying (changes that do not die out, as in a tanh chain
    with |w| near 1), a new guess from the first dirty layer on is made by a scalar loop
    (``step``) and checked the same way. Hence the result is bitwise the sequential
    computation; only the speed depends on the guesses.
    """
    o = np.array(guess, dtype=w.dtype)
    o[0] = w[0]
    uint = _uint(w.dtype)
    depth = w.size
    linear_below = _TANH_LINEAR_BELOW[w.dtype.name] if linear_tail else -math.inf
    linear_tries = 8
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        fresh = value(_product(w[1:], o[:-1]))
        dirty = np.flatnonzero(fresh.view(uint) != o[1:].view(uint)) + 1
        o[dirty] = fresh[dirty - 1]
        dirty = dirty[dirty < depth - 1] + 1
        last_change = math.inf
        while dirty.size:
            before = dirty.size
            old = o[dirty]
            fresh = value(_product(w[dirty], o[dirty - 1]))
            changed = fresh.view(uint) != old.view(uint)
            moved = dirty[changed]
            o[moved] = fresh[changed]
            change = _largest_relative_change(fresh[changed], old[changed])
            dirty = moved[moved < depth - 1] + 1
            shrinking = dirty.size <= 0.75 * before or 0 < change <= 0.5 * last_change
            last_change = change
            if dirty.size and not shrinking:
                start = int(dirty[0])
                stop = _scalar_forward(w, o, step, dirty, linear_below)
                if stop < depth and linear_tries:
                    # tanh(z) == z for such small z: guess the rest as a running product
                    linear_tries -= 1
                    o[stop:] = _accumulate(np.concatenate((o[stop - 1 : stop], w[stop:])))[1:]
                dirty = np.arange(start, depth)
                last_change = math.inf
    return o


def _scalar_forward(
    w: np.ndarray, o: np.ndarray, step: ScalarMap, dirty: np.ndarray, linear_below: float
) -> int:
    """Propose new values for the dirty layers (sorted) by a scalar loop in increasing order,
    skipping the consistent stretches between them; return where it stopped: the depth, or
    just after the first ``|o| <= linear_below``. A fixed point ``o_i = o_{i-1}`` with
    ``w_{i+1} = w_i`` repeats until the run of equal weights ends, which is filled at once."""
    depth = w.size
    bits = o.view(_uint(w.dtype))
    is_dirty = np.zeros(depth + 1, dtype=bool)
    is_dirty[dirty] = True
    queue = dirty.tolist()
    q = 0
    zero = w.dtype.type(0)
    i = queue[0]
    previous = o[i - 1]
    while i < depth:
        wi = w[i]
        z = wi * previous
        if z != z:  # 0 * inf
            z = zero
        current = step(z)
        if current.view(bits.dtype) == bits[i]:
            if not is_dirty[i + 1]:  # consistent up to the next dirty layer
                while q < len(queue) and queue[q] <= i + 1:
                    q += 1
                if q == len(queue):
                    return depth
                i = queue[q]
                previous = o[i - 1]
                continue
        else:
            o[i] = current
        if current == previous and i + 1 < depth and w[i + 1] == wi:
            rest = np.flatnonzero(w[i + 1 :] != wi)
            end = i + 1 + int(rest[0]) if rest.size else depth
            o[i + 1 : end] = current
            i = end
            continue
        if abs(current) <= linear_below:
            return i + 1
        previous = current
        i += 1
    return depth


def _largest_relative_change(new: np.ndarray, old: np.ndarray) -> float:
    if not new.size:
        return 0.0
    new, old = new.astype(np.float64), old.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.abs(new - old) / np.maximum(np.abs(old), _TINY64)
    return float(np.max(np.where(np.isfinite(ratio), ratio, np.inf)))


def _forward_guess(w: np.ndarray, act: Activation, coarser: np.ndarray | None) -> np.ndarray:
    if act.name in ("relu", "leaky_relu", "identity"):
        return _piecewise_linear_guess(w, act.name)
    if coarser is not None:
        with np.errstate(over="ignore"):
            return coarser.astype(w.dtype)
    return _python_forward(w.astype(np.float64), act.name)


@dataclass(frozen=True, eq=False)
class _DtypePass:
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
        out[1:] = _product(self.outputs[:-1], self.running[0::2][::-1])
        return out


def _dtype_pass(
    w64: np.ndarray, act: Activation, dtype: np.dtype, coarser: np.ndarray | None = None
) -> _DtypePass:
    """Forward and backward pass in ``dtype``; ``coarser`` is a guess of the forward values
    (the same chain in a wider dtype)."""
    with np.errstate(over="ignore"):
        w = w64.astype(dtype)  # |w| > 65504 becomes inf in float16: honest
    value, derivative, step = _elementwise(act, dtype)
    o = _solve_forward(w, value, step, _forward_guess(w, act, coarser), act.name == "tanh")
    z = _product(w[1:], o[:-1])
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        a = derivative(z)
    factors = np.empty(2 * (w.size - 1), dtype=dtype)
    factors[0::2] = a[::-1]
    factors[1::2] = w[1:][::-1]
    return _DtypePass(w, o, z, a, _accumulate(factors))


# --------------------------------------------------------------------------- log domain


def _log_sigmoid_layer(sign_z: int, log_z: float) -> tuple[int, float, float]:
    if sign_z == 0 or log_z < -100.0:  # |z| < 4e-44: sigma(z) = 1/2, sigma'(z) = 1/4 to 1e-88
        return 1, -_LN2, -2 * _LN2
    z = math.copysign(math.exp(log_z), sign_z)
    e = math.exp(-abs(z))
    log_o = -(max(-z, 0.0) + math.log1p(e))  # log sigma(z) = -softplus(-z)
    return 1, log_o, -abs(z) - 2 * math.log1p(e)


def _log_tanh_layer(sign_z: int, log_z: float) -> tuple[int, float, float]:
    z = math.exp(log_z)  # |z| >= 4e-18 here: smaller ones are handled by _tiny_tanh_stretch
    return sign_z, math.log(math.tanh(z)), 2 * (_LN2 - z - math.log1p(math.exp(-2 * z)))


# (sign of z, log|z|) -> (sign of o, log|o|, log act'(z)), exact for any magnitude of z.
_LOG_LAYER: dict[str, Callable[[int, float], tuple[int, float, float]]] = {
    "sigmoid": _log_sigmoid_layer,
    "tanh": _log_tanh_layer,
}


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _log_forward_piecewise_linear(w: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``log|o_i|`` and ``log act'(z_i)`` of a ReLU / leaky-ReLU / identity chain: the
    signs need no arithmetic and ``log|o_i| = log|o_{i-1}| + log|w_i| (+ log slope)``."""
    sign_w = np.sign(w)
    with np.errstate(divide="ignore"):
        log_w = np.log(np.abs(w))
    if name == "relu":
        alive = np.logical_and.accumulate(np.concatenate(([sign_w[0] * sign_w[1] > 0], w[2:] > 0)))
        log_o = np.cumsum(log_w)
        log_o[1:][~alive] = -np.inf
        return log_o, np.where(alive, 0.0, -np.inf)
    if name == "identity":
        return np.cumsum(log_w), np.zeros(w.size - 1)
    positive = np.multiply.accumulate(sign_w)[1:] > 0  # sign(z_i) = sign(o_i) = prod sign(w)
    log_a = np.where(positive, 0.0, _LOG_LEAKY)
    steps = log_w.copy()
    steps[1:] += log_a
    return np.cumsum(steps), log_a


def _log_forward(
    w: np.ndarray, act: Activation, o: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Natural ``log|o_i|`` (i = 1..L) and ``log act'(z_i)`` (i = 2..L) of the exact chain.

    Where the float64 forward values ``o``/``z`` are normal numbers they are accurate to a few
    ulps and are used directly. From the first layer where one is subnormal, zero or inf (it may
    have underflowed), ``(sign, log|o|)`` is carried in Python floats instead, until the float64
    values agree again to 1e-13; in a tanh chain a stretch with ``|z| < 4e-18`` (where
    ``tanh(z) = z`` to 1e-35) is a sum of ``log|w_i|``, done at once. An exact zero that the
    activation keeps at zero makes every later output exactly zero."""
    if act.name in ("relu", "leaky_relu", "identity"):
        return _log_forward_piecewise_linear(w, act.name)
    depth = w.size
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        log_o = np.log(np.abs(o))
        log_a = act.log_abs_derivative(z)
        log_w = np.log(np.abs(w))
    magnitude_o, magnitude_z = np.abs(o[1:]), np.abs(z)
    good = (magnitude_o >= _TINY64) & (magnitude_o <= _MAX64)
    good &= (magnitude_z >= _TINY64) & (magnitude_z <= _MAX64)
    bad = np.flatnonzero(~good) + 1
    layer = _LOG_LAYER[act.name]
    is_tanh = act.name == "tanh"
    position = 0
    while position < bad.size:
        i = int(bad[position])
        sign_o, log_prev = _sign(float(o[i - 1])), float(log_o[i - 1])
        while i < depth:
            sign_z = _sign(float(w[i])) * sign_o
            log_z = float(log_w[i]) + log_prev
            if is_tanh and log_z < -40.0:
                i, sign_o = _tiny_tanh_stretch(w, log_w, log_o, log_a, i, sign_z, log_z)
                log_prev = float(log_o[i - 1])
                continue
            sign_o, log_prev, log_a[i - 1] = layer(sign_z, log_z)
            log_o[i] = log_prev
            i += 1
            if (
                i < depth
                and good[i - 2]
                and _sign(float(o[i - 1])) == sign_o
                and abs(math.log(abs(float(o[i - 1]))) - log_prev) <= 1e-13 * max(1, abs(log_prev))
            ):
                break  # the float64 values are accurate again
        position = int(np.searchsorted(bad, i))
    return log_o, log_a


def _tiny_tanh_stretch(
    w: np.ndarray,
    log_w: np.ndarray,
    log_o: np.ndarray,
    log_a: np.ndarray,
    i: int,
    sign_z: int,
    log_z: float,
) -> tuple[int, int]:
    """From layer i, where ``|z_i| < 4e-18``: ``log|o_j| = log|z_j| = log|z_i| + sum log|w|``
    and ``log tanh'(z_j) = 0`` while that stays below -40 (an exact zero stays zero). Returns
    the first layer after the stretch and the sign of the last output."""
    window = 256
    while True:
        stop = min(w.size, i + window)
        log_z_run = log_z + np.concatenate(([0.0], np.cumsum(log_w[i + 1 : stop])))
        leave = np.flatnonzero(log_z_run >= -40.0)
        end = i + (int(leave[0]) if leave.size else stop - i)
        if leave.size or stop == w.size:
            break
        window *= 4
    signs = sign_z * np.multiply.accumulate(np.concatenate(([1.0], np.sign(w[i + 1 : end]))))
    log_o[i:end] = log_z_run[: end - i]
    log_a[i - 1 : end - 1] = 0.0
    return end, int(signs[-1])


@dataclass(frozen=True, eq=False)
class _LogPass:
    """Natural logs of |w_i|, |o_i| (i = 1..L) and act'(z_i) (i = 2..L) of the exact chain."""

    log_w: np.ndarray
    log_o: np.ndarray
    log_a: np.ndarray

    def layer_factor(self) -> np.ndarray:
        """log|w_i act'(z_i)| for i = 2..L."""
        return self.log_w[1:] + self.log_a

    def backprop(self) -> np.ndarray:
        """log|dF/do_k| = sum_{i > k} log|w_i act'(z_i)| for k = 1..L."""
        out = np.zeros(self.log_w.size)
        out[:-1] = np.cumsum(self.layer_factor()[::-1])[::-1]
        return out

    def gradient(self) -> np.ndarray:
        """log|dF/dw_k|: log|dF/do_1| for k = 1, log|o_{k-1}| + log act'(z_k) + log|dF/do_k|."""
        backprop = self.backprop()
        out = np.empty(self.log_w.size)
        out[0] = backprop[0]
        out[1:] = self.log_o[:-1] + self.log_a + backprop[1:]
        return out


def _log_pass(w64: np.ndarray, act: Activation, float64_pass: _DtypePass) -> _LogPass:
    log_o, log_a = _log_forward(w64, act, float64_pass.outputs, float64_pass.pre_activations)
    with np.errstate(divide="ignore"):
        log_w = np.log(np.abs(w64))
    return _LogPass(log_w, log_o, log_a)


# --------------------------------------------------------------------------- underflow depth


def _prefix_run(p: _DtypePass, depth: int) -> tuple[float, np.ndarray]:
    """dF/dw_1 of the prefix chain of ``depth`` layers, computed as chain_gradient does, and
    ``entering[m - 1]``: the running product as it enters layer m from above (m < depth)."""
    factors = np.empty(2 * (depth - 1), dtype=p.weights.dtype)
    factors[0::2] = p.derivatives[: depth - 1][::-1]
    factors[1::2] = p.weights[1:depth][::-1]
    running = _accumulate(factors)
    return float(running[-1]), np.abs(running[1::2][::-1].astype(np.float64))


def _certainly_nonzero(p: _DtypePass, stop: int) -> np.ndarray:
    """For depths d = 2..stop-1 (index d - 2, none with a zero factor): True where the prefix
    gradient provably cannot underflow.

    For prefix d the backward pass multiplies n = 2(d - 1) factors f_j; with exact partial
    products E_j and computed ones C_j, round-to-nearest gives
    ``C_j >= C_{j-1} f_j (1 - u) - s/2`` (u the unit roundoff, s the smallest subnormal; the
    ``(1 - u)`` only for factors that are not powers of two). So no step rounds to zero when
    ``sum_j 1/E_j < (2/s) (1 - u)^K`` (K inexact factors), and ``sum_j 1/E_j <= n / min_j E_j``.
    An infinite weight is counted as 1, which only makes the test stricter."""
    info = np.finfo(p.weights.dtype)
    a = np.abs(p.derivatives[: stop - 2].astype(np.float64))
    w = np.abs(p.weights[1 : stop - 1].astype(np.float64))
    w[np.isinf(w)] = 1.0
    log_a, log_w = np.log(a), np.log(w)
    cumulative = np.cumsum(log_a + log_w)  # log E_n of prefix d = log prod_{i=2..d} a_i w_i
    before = np.concatenate(([0.0], cumulative[:-1]))
    log_min_partial = cumulative - np.maximum.accumulate(before + np.maximum(log_w, 0.0))
    inexact = np.cumsum((np.frexp(a)[0] != 0.5).astype(np.int64) + (np.frexp(w)[0] != 0.5))
    steps = 2.0 * np.arange(1, stop - 1)
    float_error = 16 * steps * np.finfo(np.float64).eps * np.cumsum(np.abs(log_a) + np.abs(log_w))
    threshold = np.log(steps * float(info.smallest_subnormal) / 2) - inexact * np.log1p(
        -info.eps / 2
    )
    return log_min_partial > threshold + float_error + 1e-9


def _underflow_depth(p: _DtypePass) -> int | None:
    """Smallest d with chain_gradient(weights[:d])[0] == 0; see ``underflow_depth``."""
    depth = p.weights.size
    zero_factor = np.flatnonzero((p.derivatives == 0) | (p.weights[1:] == 0))
    best = int(zero_factor[0]) + 2 if zero_factor.size else None
    stop = best if best is not None else depth + 1  # depths below `stop` are still open
    settled = np.zeros(depth + 1, dtype=bool)  # index = depth d
    settled[:2] = True
    # The full chain's backward pass enters layer d with |dF/do_d| (monotonicity argument).
    entering = np.abs(p.backprop().astype(np.float64))
    if p.running[-1] != 0:
        settled[2:stop] |= entering[1 : stop - 1] <= 1
    else:
        zeros = np.flatnonzero(entering[1 : stop - 1] >= 1) + 2
        best = int(zeros[0]) if zeros.size else min(stop, depth)
        stop = best
    settled[stop:] = True
    # The rigorous bound, on growing chunks from the bottom, while it settles whole chunks.
    end, chunk = 2, 256
    while end < stop and not settled[2:stop].all():
        end = min(stop, end + chunk)
        settled[2:end] |= _certainly_nonzero(p, end)
        chunk *= 4
        if not settled[2:end].all():
            break
    open_depths = np.flatnonzero(~settled)
    step, bisect = 1, False
    while open_depths.size:
        k = open_depths.size // 2 if bisect else min(step, open_depths.size) - 1
        d = int(open_depths[k])
        value, entering = _prefix_run(p, d)
        below = open_depths[:k]
        if value != 0:
            open_depths = np.concatenate((below[entering[below - 1] > 1], open_depths[k + 1 :]))
            step *= 2
        else:
            zeros = below[entering[below - 1] >= 1]
            best = int(zeros[0]) if zeros.size else d
            open_depths = below[below < best]
            bisect = True
    return best


# --------------------------------------------------------------------------- public API


def chain_gradient(weights: Any, activation: str = "sigmoid", dtype: Any = "float64") -> np.ndarray:
    """dF/dw_k, k = 1..L, with forward and backward passes rounded in ``dtype``.

    ``dF/dw_1 = prod_{i=2..L} w_i act'(z_i)``,
    ``dF/dw_k = o_{k-1} act'(z_k) prod_{i=k+1..L} w_i act'(z_i)`` (MATH.md D3); returned in
    ``dtype``, with 0 where it underflows, inf where it overflows (``0 * inf = 0``)."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return _dtype_pass(w, act, as_float_dtype(dtype)).gradient()


def chain_backprop(weights: Any, activation: str = "sigmoid", dtype: Any = "float64") -> np.ndarray:
    """dF/do_k = prod_{i=k+1..L} w_i act'(z_i), k = 1..L (dF/do_L = 1), rounded in ``dtype``."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return _dtype_pass(w, act, as_float_dtype(dtype)).backprop()


def chain_log10_abs_gradient(weights: Any, activation: str = "sigmoid") -> np.ndarray:
    """log10|dF/dw_k|, k = 1..L, of the exact chain (to 1e-9 relative); never underflows;
    ``-inf`` only where the gradient is exactly zero (see the module docstring)."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return _log_pass(w, act, _dtype_pass(w, act, np.dtype(np.float64))).gradient() / _LN10


def chain_log10_abs_backprop(weights: Any, activation: str = "sigmoid") -> np.ndarray:
    """log10|dF/do_k| = sum_{i=k+1..L} log10|w_i act'(z_i)|, k = 1..L, of the exact chain."""
    w = _check_weights(weights)
    act = get_activation(activation)
    return _log_pass(w, act, _dtype_pass(w, act, np.dtype(np.float64))).backprop() / _LN10


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


def _decomposition(act: Activation, logs: _LogPass) -> ChainDecomposition:
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
    return _decomposition(act, _log_pass(w, act, _dtype_pass(w, act, np.dtype(np.float64))))


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
    return _underflow_depth(_dtype_pass(w, act, as_float_dtype(dtype)))


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
    underflow_depths: dict[str, int | None]
    """dtype name -> underflow_depth of the whole weight vector"""
    decomposition: ChainDecomposition


def chain_report(weights: Any, activation: str = "sigmoid") -> ChainReport:
    """The chain panel's data: the exact log-domain gradient and, per dtype, the rounded one.

    The three dtype passes share work: each forward pass starts from the next wider dtype's
    values as a guess (and is still computed exactly in its own dtype), and the log domain
    reuses the float64 forward values."""
    w = _check_weights(weights)
    act = get_activation(activation)
    passes: dict[str, _DtypePass] = {}
    coarser = None
    for name in reversed(FLOAT_DTYPES):
        passes[name] = _dtype_pass(w, act, np.dtype(name), coarser)
        coarser = passes[name].outputs
    logs = _log_pass(w, act, passes["float64"])
    gradients, backprops, depths = {}, {}, {}
    for name in FLOAT_DTYPES:
        p = passes[name]
        gradients[name] = _readonly(p.gradient().astype(np.float64))
        backprops[name] = _readonly(p.backprop().astype(np.float64))
        depths[name] = _underflow_depth(p)
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
        underflow_depths=depths,
        decomposition=decomposition,
    )


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
