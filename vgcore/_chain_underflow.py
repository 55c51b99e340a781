"""The smallest prefix depth whose rounded ``dF/dw_1`` is exactly zero in a dtype, found from a
few prefix runs and a rounding bound (the method: ``vgcore.chain.underflow_depth``)."""

from __future__ import annotations

from typing import cast

import numpy as np

from vgcore._chain_dtype import DtypePass
from vgcore._chain_rounding import accumulate


def _prefix_run(p: DtypePass, depth: int) -> tuple[float, np.ndarray]:
    """dF/dw_1 of the prefix chain of ``depth`` layers, computed as chain_gradient does, and
    ``entering[m - 1]``: the running product as it enters layer m from above (m < depth)."""
    factors = np.empty(2 * (depth - 1), dtype=p.weights.dtype)
    factors[0::2] = p.derivatives[: depth - 1][::-1]
    factors[1::2] = p.weights[1:depth][::-1]
    running = accumulate(factors)
    return float(running[-1]), np.abs(running[1::2][::-1].astype(np.float64))


def _certainly_nonzero(p: DtypePass, stop: int) -> np.ndarray:
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
    return cast(np.ndarray, log_min_partial > threshold + float_error + 1e-9)


def search_underflow_depth(p: DtypePass) -> int | None:
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
