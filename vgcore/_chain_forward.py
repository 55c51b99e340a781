"""The chain's forward values ``o_i = act(w_i o_{i-1})`` rounded in a float dtype, bitwise as the
sequential loop gives them: a fast guess (a Python float loop, a running product, or the values
of a wider dtype), then a vectorised repair of every layer that disagrees with its input."""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from vgcore._chain_rounding import accumulate, rounded_product, uint_dtype
from vgcore.activations import Activation, get_activation

_TINY64 = float(np.finfo(np.float64).tiny)


def python_forward(w: np.ndarray, name: str) -> np.ndarray:
    """A fast float64 guess of the forward values of a smooth activation's chain with Python
    floats (``math.exp``/``math.tanh`` round slightly differently from numpy;
    ``solve_forward`` repairs the difference)."""
    act = get_activation(name)
    step, careful = act.python_step, act.python_step_careful
    assert step is not None  # every smooth activation has both
    assert careful is not None
    weights = array("d")
    weights.frombytes(w.tobytes())
    few_runs = np.count_nonzero(w[1:] != w[:-1]) < w.size // 8
    if not few_runs:
        out = array("d", weights[:1])
        append = out.append
        o = weights[0]
        try:
            for wi in weights[1:]:
                o = step(wi * o)
                append(o)
            return np.frombuffer(out, dtype=np.float64)
        except OverflowError:  # e.g. exp(-z) for z < -709: take the careful loop below
            pass
    change = np.flatnonzero(w[1:] != w[:-1]) + 1
    run_end = np.repeat(np.append(change, w.size), np.diff(np.concatenate(([0], change, [w.size]))))
    return np.array(_python_forward_runs(weights, run_end.tolist(), careful))


def _python_forward_runs(
    weights: array[float], run_end: list[int], step: Callable[[float], float]
) -> list[float]:
    """The guess loop with a ``step`` that never overflows, which also uses fixed points:
    ``o_i = o_{i-1}`` with ``w_{i+1} = w_i`` repeats until the run of equal weights ends
    (``run_end[i]``)."""
    depth = len(weights)
    out = [0.0] * depth
    o = out[0] = weights[0]
    i = 1
    while i < depth:
        wi = weights[i]
        new = step(wi * o)
        out[i] = new
        i += 1
        if new == o and i < depth and weights[i] == wi:
            end = run_end[i]
            out[i:end] = [new] * (end - i)
            i = end
        o = new
    return out


def _piecewise_linear_guess(w: np.ndarray, slope: float) -> np.ndarray:
    """Forward values of a piecewise-linear chain with negative slope ``slope`` (ReLU 0, leaky
    ReLU, identity 1) as one running product in the dtype: ``z_i = w_i o_{i-1}`` and
    ``o_i = m_i z_i`` with ``m_i`` 1 or the slope, read off the signs (which need no
    arithmetic). Exact up to the sign of zeros; verified afterwards."""
    depth = w.size
    sign_w = np.sign(w)
    relu = slope == 0.0
    if relu:
        alive = np.logical_and.accumulate(np.concatenate(([sign_w[0] * sign_w[1] > 0], w[2:] > 0)))
        slopes = np.where(alive, 1, 0).astype(w.dtype)
    else:
        positive = np.multiply.accumulate(sign_w)[1:] > 0
        slopes = np.where(positive, w.dtype.type(1), w.dtype.type(slope))
    factors = np.empty(2 * depth - 1, dtype=w.dtype)
    factors[0] = w[0]
    factors[1::2] = w[1:]
    factors[2::2] = slopes
    outputs = accumulate(factors)[0::2].copy()
    if relu:
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


def elementwise(act: Activation, dtype: np.dtype) -> tuple[ArrayMap, ArrayMap, ScalarMap]:
    """(act, act') on arrays in ``dtype``, and act on one numpy scalar of ``dtype``. The scalar
    version only proposes values (``solve_forward`` checks each one with the array version)."""
    if dtype == np.float16:
        values, derivatives = _float16_tables(act.name)
        return (
            lambda z: values[z.view(np.uint16)],
            lambda z: derivatives[z.view(np.uint16)],
            lambda z: values[z.view(np.uint16)],
        )
    if act.scalar is not None:
        return act.value, act.derivative, act.scalar
    return act.value, act.derivative, lambda z: act.value(np.array([z]))[0]


# |z| below which act(z) == z in the dtype for an activation linear at zero like tanh (tried as a
# guess only)
_LINEAR_BELOW = {"float16": 4e-3, "float32": 1e-4, "float64": 1e-8}


def solve_forward(
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
    uint = uint_dtype(w.dtype)
    depth = w.size
    linear_below = _LINEAR_BELOW[w.dtype.name] if linear_tail else -math.inf
    linear_tries = 8
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        fresh = value(rounded_product(w[1:], o[:-1]))
        dirty = np.flatnonzero(fresh.view(uint) != o[1:].view(uint)) + 1
        o[dirty] = fresh[dirty - 1]
        dirty = dirty[dirty < depth - 1] + 1
        last_change = math.inf
        while dirty.size:
            before = dirty.size
            old = o[dirty]
            fresh = value(rounded_product(w[dirty], o[dirty - 1]))
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
                    o[stop:] = accumulate(np.concatenate((o[stop - 1 : stop], w[stop:])))[1:]
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
    bits = o.view(uint_dtype(w.dtype))
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
            return cast(int, i + 1)
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


def forward_guess(w: np.ndarray, act: Activation, coarser: np.ndarray | None) -> np.ndarray:
    if act.negative_slope is not None:
        return _piecewise_linear_guess(w, act.negative_slope)
    if coarser is not None:
        with np.errstate(over="ignore"):
            return coarser.astype(w.dtype)
    return python_forward(w.astype(np.float64), act.name)
