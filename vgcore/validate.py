"""Argument checks shared by the public functions: each raises ``ValueError`` naming the
parameter and what it accepts, so that a bad input never becomes a NaN or a traceback deep
inside numpy."""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np


def check_choice(value: Any, choices: Iterable[str], name: str) -> str:
    """``value`` if it is one of ``choices``; otherwise a ValueError listing them."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite Python float within ``[low, high]`` (ends open where asked)."""
    if isinstance(value, bool) or not isinstance(value, Real | np.floating | np.integer):
        raise ValueError(f"{name} must be a real number; got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if low is not None and (number < low or (low_open and number == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}; got {value!r}")
    if high is not None and (number > high or (high_open and number == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}; got {value!r}")
    return number


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int within ``[low, high]``; bools and non-integral floats are refused."""
    if isinstance(value, bool) or not isinstance(value, Integral | np.integer):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        allowed = f"from {low} to {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be an integer {allowed}; got {value!r}")
    return number


def as_finite_array(
    values: Any,
    name: str,
    *,
    ndim: int | None = None,
    min_size: int = 1,
    dtype: np.dtype | str = "float64",
) -> np.ndarray:
    """``values`` as a finite float array (a copy) of the given ``ndim`` and at least
    ``min_size`` elements."""
    try:
        array = np.array(values, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers; got {values!r}") from error
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional; got shape {array.shape}")
    if array.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s); got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return array
