"""The chain in the log domain: natural ``log|o_i|`` and ``log act'(z_i)`` of the exact chain,
and from them ``log|dF/do_k|`` and ``log|dF/dw_k|`` as sums that never underflow."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np

from vgcore._chain_dtype import DtypePass
from vgcore.activations import Activation

_TINY64 = float(np.finfo(np.float64).tiny)
_MAX64 = float(np.finfo(np.float64).max)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _log_forward_piecewise_linear(w: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``log|o_i|`` and ``log act'(z_i)`` of a piecewise-linear chain with negative slope
    ``slope`` (ReLU 0, leaky ReLU, identity 1): the signs need no arithmetic and
    ``log|o_i| = log|o_{i-1}| + log|w_i| (+ log slope)``."""
    sign_w = np.sign(w)
    with np.errstate(divide="ignore"):
        log_w = np.log(np.abs(w))
    if slope == 0.0:
        alive = np.logical_and.accumulate(np.concatenate(([sign_w[0] * sign_w[1] > 0], w[2:] > 0)))
        log_o = np.cumsum(log_w)
        log_o[1:][~alive] = -np.inf
        return log_o, np.where(alive, 0.0, -np.inf)
    if slope == 1.0:
        return np.cumsum(log_w), np.zeros(w.size - 1)
    positive = np.multiply.accumulate(sign_w)[1:] > 0  # sign(z_i) = sign(o_i) = prod sign(w)
    log_a = np.where(positive, 0.0, math.log(slope))
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
    values agree again to 1e-13; in a tanh chain (``linear_at_zero``) a stretch with
    ``|z| < 4e-18`` (where ``tanh(z) = z`` to 1e-35) is a sum of ``log|w_i|``, done at once. An
    exact zero that the activation keeps at zero makes every later output exactly zero."""
    if act.negative_slope is not None:
        return _log_forward_piecewise_linear(w, act.negative_slope)
    depth = w.size
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        log_o = np.log(np.abs(o))
        log_a = act.log_abs_derivative(z)
        log_w = np.log(np.abs(w))
    magnitude_o, magnitude_z = np.abs(o[1:]), np.abs(z)
    good = (magnitude_o >= _TINY64) & (magnitude_o <= _MAX64)
    good &= (magnitude_z >= _TINY64) & (magnitude_z <= _MAX64)
    bad = np.flatnonzero(~good) + 1
    layer = act.log_layer
    assert layer is not None  # every smooth activation has one
    linear_at_zero = act.linear_at_zero
    position = 0
    while position < bad.size:
        i = int(bad[position])
        sign_o, log_prev = _sign(float(o[i - 1])), float(log_o[i - 1])
        while i < depth:
            sign_z = _sign(float(w[i])) * sign_o
            log_z = float(log_w[i]) + log_prev
            if linear_at_zero and log_z < -40.0:
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
class LogPass:
    """Natural logs of |w_i|, |o_i| (i = 1..L) and act'(z_i) (i = 2..L) of the exact chain."""

    log_w: np.ndarray
    log_o: np.ndarray
    log_a: np.ndarray

    def layer_factor(self) -> np.ndarray:
        """log|w_i act'(z_i)| for i = 2..L."""
        return cast(np.ndarray, self.log_w[1:] + self.log_a)

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


def log_pass(w64: np.ndarray, act: Activation, float64_pass: DtypePass) -> LogPass:
    log_o, log_a = _log_forward(w64, act, float64_pass.outputs, float64_pass.pre_activations)
    with np.errstate(divide="ignore"):
        log_w = np.log(np.abs(w64))
    return LogPass(log_w, log_o, log_a)
