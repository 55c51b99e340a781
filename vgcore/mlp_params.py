"""An MLP's parameters: weights drawn per MATH.md D4 (biases zero), and their layout as one
flat vector, the iterate of gradient descent."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from vgcore._mlp_checks import FLOAT_TYPES, Params, cast_finite, check_params, check_sizes
from vgcore.precision import DTYPES, as_float_dtype
from vgcore.validate import check_choice, check_int, check_real

INIT_SCHEMES: tuple[str, ...] = ("standard", "xavier", "he", "custom")


def _layer_shapes(sizes: tuple[int, ...]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(sizes))


def count_params(sizes: tuple[int, ...]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in _layer_shapes(sizes))


def init_mlp(
    sizes: Sequence[int],
    scheme: str = "standard",
    seed: int | np.random.Generator = 0,
    *,
    scale: float = 1.0,
    dtype: str = "float64",
) -> Params:
    """Weights drawn per MATH.md D4, biases zero; ``scale`` multiplies every scheme's weights.

    "standard": U[-1/sqrt(n_in), 1/sqrt(n_in)]; "xavier": U[-sqrt(6/(n_in+n_out)), +...];
    "he": N(0, 2/n_in); "custom": N(0, 1) so that ``scale`` is the standard deviation. Weights
    are drawn in float64 from ``np.random.default_rng(seed)`` and rounded to ``dtype``, so one
    seed gives the same network (up to rounding) in every dtype.
    """
    sizes = check_sizes(sizes)
    scheme = check_choice(scheme, INIT_SCHEMES, "scheme")
    scale = check_real(scale, "scale", low=0.0, low_open=True)
    resolved = as_float_dtype(dtype)
    rng = _rng(seed)
    params: Params = []
    for n_in, n_out in _layer_shapes(sizes):
        if scheme == "standard":
            limit = 1.0 / math.sqrt(n_in)
            weights = rng.uniform(-limit, limit, size=(n_in, n_out))
        elif scheme == "xavier":
            limit = math.sqrt(6.0 / (n_in + n_out))
            weights = rng.uniform(-limit, limit, size=(n_in, n_out))
        elif scheme == "he":
            weights = rng.normal(0.0, math.sqrt(2.0 / n_in), size=(n_in, n_out))
        else:
            weights = rng.normal(0.0, 1.0, size=(n_in, n_out))
        weights = cast_finite(weights * scale, resolved, "scale (the scaled weights)")
        params.append((weights, np.zeros(n_out, dtype=resolved)))
    return params


def _rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int(seed, "seed", low=0))


def flatten_params(params: Params) -> np.ndarray:
    """All weights and biases in one vector: W_1 (row-major), b_1, W_2, b_2, ... (a copy)."""
    check_params(params)
    return np.concatenate([part.reshape(-1) for layer in params for part in layer])


def unflatten_params(flat: np.ndarray, sizes: Sequence[int]) -> Params:
    """The (W, b) pairs of ``flat`` (layout of ``flatten_params``) as views into it, no copy."""
    sizes = check_sizes(sizes)
    if not isinstance(flat, np.ndarray) or flat.ndim != 1 or flat.dtype not in FLOAT_TYPES:
        raise ValueError(
            f"flat must be a 1-D numpy array of dtype {', '.join(DTYPES)}; got {flat!r:.80}"
        )
    if flat.size != count_params(sizes):
        raise ValueError(
            f"flat must have {count_params(sizes)} entries for sizes {sizes}; got {flat.size}"
        )
    if not flat.flags.c_contiguous:
        raise ValueError("flat must be contiguous (views into it are returned)")
    return param_views(flat, sizes)


def param_views(flat: np.ndarray, sizes: tuple[int, ...]) -> Params:
    params: Params = []
    start = 0
    for n_in, n_out in _layer_shapes(sizes):
        stop = start + n_in * n_out
        params.append((flat[start:stop].reshape(n_in, n_out), flat[stop : stop + n_out]))
        start = stop + n_out
    return params
