"""The 2-norm every reported figure uses (gradient, step and parameter norms of the descent, the
per-layer Frobenius norms of the MLP): computed in float64 without spurious underflow or
overflow, so a gradient of 1e-170 has norm 1e-170, not 0."""

from __future__ import annotations

import math

import numpy as np

_HYPOT_SIZE = 16  # up to this size math.hypot (no overflow/underflow, no numpy call) is fastest
_SQ_LOW, _SQ_HIGH = 1e-280, 1e280  # inside this range a float64 sum of squares lost nothing
_FLOAT64 = np.dtype(np.float64)


def norm2(values: np.ndarray) -> float:
    """``||values||_2`` over all entries (the Frobenius norm of a matrix), in float64.

    An exact zero gives 0.0; any inf or NaN entry gives ``inf`` (a vector with a NaN has no
    norm; callers treat both as "not finite"). Callers wrap it in ``np.errstate``: ``np.dot``
    reports the overflow of a sum of squares that is then computed again rescaled."""
    flat = values
    if flat.dtype is not _FLOAT64 or flat.ndim != 1:  # `is`: the descent calls this 3x a step
        flat = flat.reshape(-1).astype(np.float64, copy=False)
    if flat.size <= _HYPOT_SIZE:
        norm = math.hypot(*flat.tolist())
        return norm if norm == norm else math.inf  # NaN != NaN
    squares = float(np.dot(flat, flat))
    if _SQ_LOW <= squares <= _SQ_HIGH:
        return math.sqrt(squares)
    scale = float(np.max(np.abs(flat)))
    if scale == 0.0:
        return 0.0
    if not math.isfinite(scale):
        return math.inf
    rescaled = flat / scale
    return scale * math.sqrt(float(np.dot(rescaled, rescaled)))
