"""Products rounded in a float dtype step by step, with ``0 * inf = 0`` (the chain's convention,
see ``vgcore.chain``): the arithmetic every per-dtype pass of the chain is built from."""

from __future__ import annotations

from typing import cast

import numpy as np


def uint_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"u{dtype.itemsize}")


def rounded_product(w: np.ndarray, o: np.ndarray) -> np.ndarray:
    """``w * o`` rounded in the dtype, with ``0 * inf = 0``."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        z = w * o
    nan = np.isnan(z)
    if nan.any():
        z[nan] = 0
    return cast(np.ndarray, z)


def accumulate(factors: np.ndarray) -> np.ndarray:
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
