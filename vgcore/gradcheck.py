"""A gradient checker in the style of HIPS/autograd's ``test_util``: central differences in
float64 against an analytic gradient, with an absolute plus relative tolerance and a failure
message that shows both values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from vgcore.validate import as_finite_array, check_real

_EPS = float(np.finfo(np.float64).eps)


def _value(f: Callable[[np.ndarray], Any], x: np.ndarray) -> float:
    value = np.asarray(f(x))
    if value.size != 1 or value.dtype.kind not in "iuf":
        raise ValueError(f"f must return one real number; got {value!r}")
    number = float(value.reshape(()))
    if not np.isfinite(number):
        raise ValueError(f"f must return a finite number; got {number!r} at x = {x!r}")
    return number


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: Any, h: float | None = None
) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / (2 h)`` in float64, one coordinate
    at a time (error ``O(h^2)`` from truncation plus ``O(eps |f| / h)`` from rounding).

    The default step ``h_i = eps^(1/3) max(1, |x_i|)`` balances the two; the step actually used
    is ``(x_i + h_i) - x_i``, which is exact in float64."""
    point = as_finite_array(x, "x")
    if h is not None:
        h = check_real(h, "h", low=0.0, low_open=True)
    gradient = np.empty_like(point)
    flat_point, flat_gradient = point.reshape(-1), gradient.reshape(-1)
    for i, xi in enumerate(flat_point):
        step = h if h is not None else _EPS ** (1 / 3) * max(1.0, abs(xi))
        up, down = flat_point.copy(), flat_point.copy()
        up[i], down[i] = xi + step, xi - step
        width = up[i] - down[i]
        if width == 0:
            raise ValueError(f"h = {step!r} is too small to move x[{i}] = {xi!r}")
        upper = _value(f, up.reshape(point.shape))
        lower = _value(f, down.reshape(point.shape))
        flat_gradient[i] = (upper - lower) / width
    return gradient


def check_gradient(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], Any] | Any,
    x: Any,
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    h: float | None = None,
) -> None:
    """Assert that ``grad`` (a function of x, or the gradient array itself) matches the central
    differences of ``f`` at ``x``: ``|analytic - numerical| <= atol + rtol |numerical|`` in every
    coordinate. Otherwise raise AssertionError naming the worst coordinate and both values."""
    atol = check_real(atol, "atol", low=0.0)
    rtol = check_real(rtol, "rtol", low=0.0)
    point = as_finite_array(x, "x")
    analytic = np.asarray(grad(point.copy()) if callable(grad) else grad, dtype=np.float64)
    if analytic.shape != point.shape:
        raise ValueError(f"grad must have the shape of x, {point.shape}; got {analytic.shape}")
    numerical = numerical_gradient(f, point, h)
    with np.errstate(invalid="ignore"):
        excess = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
    excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN in grad fails the check
    if np.any(excess > 0):
        index = np.unravel_index(int(np.argmax(excess)), point.shape)
        where = index if point.ndim > 1 else index[0]
        a, n = float(analytic[index]), float(numerical[index])
        raise AssertionError(
            f"gradient check failed at index {where}: analytic {a!r} != numerical {n!r} "
            f"(|difference| {abs(a - n):.3g} > atol {atol:g} + rtol {rtol:g} * |numerical|)"
        )
