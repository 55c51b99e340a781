"""Argument checks of the MLP functions: layer sizes, parameter lists and data, each returned in
the form the pass uses (sizes as a tuple, arrays cast to the working dtype), or a ValueError
naming the argument."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from vgcore.precision import DTYPES, as_float_dtype
from vgcore.validate import as_finite_array, check_int, check_real

Params = list[tuple[np.ndarray, np.ndarray]]
"""``[(W_1, b_1), ..., (W_L, b_L)]``, W of shape (fan_in, fan_out), b of shape (fan_out,)."""

FLOAT_TYPES = frozenset(np.dtype(name) for name in DTYPES)
_MAX_WIDTH = 1_000_000


def check_sizes(sizes: Any, name: str = "sizes") -> tuple[int, ...]:
    """``sizes`` as a tuple of >= 2 layer widths, each an integer from 1 to 10^6."""
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence | np.ndarray):
        raise ValueError(f"{name} must be a sequence [n_in, h_1, ..., n_out]; got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"{name} must have at least 2 entries [n_in, ..., n_out]; got {sizes!r}")
    return tuple(check_int(n, f"{name}[{i}]", low=1, high=_MAX_WIDTH) for i, n in enumerate(sizes))


def all_finite(array: np.ndarray) -> bool:
    # One reduction in float64 is cheap; only a non-finite sum (rare) pays for the exact check.
    total = float(np.add.reduce(array, axis=None, dtype=np.float64))
    return math.isfinite(total) or bool(np.isfinite(array).all())


def check_params(params: Any) -> tuple[tuple[int, ...], np.dtype]:
    """The layer sizes and the common float dtype of ``params``; ValueError if inconsistent."""
    if not isinstance(params, list | tuple) or len(params) == 0:
        raise ValueError(f"params must be a non-empty list of (W, b) pairs; got {type(params)}")
    sizes: list[int] = []
    dtype: np.dtype | None = None
    for i, layer in enumerate(params):
        if not isinstance(layer, tuple | list) or len(layer) != 2:
            raise ValueError(f"params[{i}] must be a pair (W, b)")
        weights, bias = layer
        if not isinstance(weights, np.ndarray) or not isinstance(bias, np.ndarray):
            raise ValueError(f"params[{i}] must hold numpy arrays (W, b)")
        if weights.ndim != 2 or bias.shape != (weights.shape[1],) or weights.size == 0:
            raise ValueError(
                f"params[{i}] must be W of shape (fan_in, fan_out) and b of shape (fan_out,); "
                f"got {weights.shape} and {bias.shape}"
            )
        if i == 0:
            sizes.append(weights.shape[0])
        elif weights.shape[0] != sizes[-1]:
            raise ValueError(
                f"params[{i}] W has fan_in {weights.shape[0]} but the previous layer has "
                f"{sizes[-1]} outputs"
            )
        sizes.append(weights.shape[1])
        for array in (weights, bias):
            if array.dtype not in FLOAT_TYPES or (dtype is not None and array.dtype != dtype):
                raise ValueError(
                    f"params must all share one dtype out of {', '.join(DTYPES)}; "
                    f"params[{i}] has {array.dtype}"
                )
            dtype = array.dtype
            if not all_finite(array):
                raise ValueError(f"params[{i}] must contain only finite numbers")
    assert dtype is not None
    return tuple(sizes), dtype


def cast_finite(array: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    """A finite float64 ``array`` rounded to ``dtype``; ValueError if it overflows there."""
    if array.dtype == dtype:
        return array
    with np.errstate(over="ignore"):
        cast = array.astype(dtype)
    if not np.isfinite(cast).all():
        limit = float(np.finfo(dtype).max)
        raise ValueError(f"{name} must fit in {dtype.name} (|values| <= {limit:g})")
    return cast


def check_data(
    X: Any, y: Any, sizes: tuple[int, ...], loss: str, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """X as (batch, n_in) and y as (batch, n_out), both in ``dtype``."""
    X = as_finite_array(X, "X", ndim=2)
    if X.shape[1] != sizes[0]:
        raise ValueError(f"X must have {sizes[0]} columns (the input width); got {X.shape}")
    y = as_finite_array(y, "y")
    n_out = sizes[-1]
    if y.ndim == 1 and n_out == 1:
        y = y.reshape(-1, 1)
    if y.shape != (X.shape[0], n_out):
        allowed = f"({X.shape[0]}, {n_out})" + (f" or ({X.shape[0]},)" if n_out == 1 else "")
        raise ValueError(f"y must have shape {allowed} to match X and the output; got {y.shape}")
    if loss == "bce" and not np.all((y == 0) | (y == 1)):
        raise ValueError("y must contain only 0 and 1 for loss 'bce'")
    return cast_finite(X, dtype, "X"), cast_finite(y, dtype, "y")


def check_loss_scale(loss_scale: Any) -> float:
    return check_real(loss_scale, "loss_scale", low=0.0, low_open=True)


def resolve_dtype(dtype: Any, default: np.dtype) -> np.dtype:
    return default if dtype is None else as_float_dtype(dtype)


def cast_params(params: Params, dtype: np.dtype) -> Params:
    if params[0][0].dtype == dtype:
        return [(w, b) for w, b in params]
    return [(cast_finite(w, dtype, "params"), cast_finite(b, dtype, "params")) for w, b in params]
