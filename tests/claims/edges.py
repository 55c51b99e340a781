"""Hypothesis strategies for the edges where claims break: each dtype's max, min normal, min
subnormal and the ties between them, powers of two and their float neighbours, zero and
negative values, always mixed with a uniform draw over a control's full range.

The oracles in this package never import the view's helpers: they compute with numpy scalars
in the dtype, Python's ``fractions``/``decimal``, or mpmath.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st

from vgapp.controls import Choice, Control, Number, Toggle

DTYPES = ("float16", "float32", "float64")


def dtype_edges(dtype: str) -> list[float]:
    """The dtype's landmark magnitudes as float64: max and the values around its overflow
    threshold, the smallest normal and subnormal, the half-subnormal tie and its neighbours."""
    info = np.finfo(dtype)
    tiny, sub, big = float(info.smallest_normal), float(info.smallest_subnormal), float(info.max)
    ulp_top = float(info.max) - float(np.nextafter(info.max, np.array(0, dtype)))
    overflow_tie = big + ulp_top / 2  # values at or past this round to inf
    return [
        big, overflow_tie, math.nextafter(overflow_tie, 0), math.nextafter(overflow_tie, math.inf),
        tiny, math.nextafter(tiny, 0), sub, sub / 2, math.nextafter(sub / 2, 0),
        math.nextafter(sub / 2, math.inf), 1.5 * sub, float(info.eps), float(info.eps) / 2,
    ]  # fmt: skip


def powers_of_two_and_neighbours(
    low_exp: int = -60, high_exp: int = 60
) -> st.SearchStrategy[float]:
    """2**k and its float64, float32 and float16 neighbours (above and below), k in range."""

    def around(k: int) -> list[float]:
        x = 2.0**k
        out = [x, math.nextafter(x, 0), math.nextafter(x, math.inf)]
        for name in ("float32", "float16"):
            with np.errstate(over="ignore", under="ignore"):
                v = np.array(x, name)
                for toward in (0, np.inf):
                    n = float(np.nextafter(v, np.array(toward, name)))
                    if math.isfinite(n):
                        out.append(n)
        return out

    return st.integers(low_exp, high_exp).flatmap(lambda k: st.sampled_from(around(k)))


def all_dtype_edges() -> list[float]:
    return sorted({v for name in DTYPES for v in dtype_edges(name)})


def signed(strategy: st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    """The strategy's values with either sign."""
    return st.tuples(strategy, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


def in_range(values: Sequence[float], low: float, high: float) -> list[float]:
    return [v for v in values if low <= v <= high]


def control_values(control: Control, extra_edges: Sequence[float] = ()) -> st.SearchStrategy:
    """Every value the control can take, with its ends, zero, ±1, powers of two, dtype edges
    and ``extra_edges`` (clipped to the control's range) weighted in."""
    if isinstance(control, Choice):
        return st.sampled_from(list(control.options))
    if isinstance(control, Toggle):
        return st.booleans()
    if isinstance(control, Number):
        low, high = control.low, control.high
        if control.integer:
            ends = [int(low), int(high), 0, 1, -1, int(low) + 1, int(high) - 1]
            ends += [int(v) for v in extra_edges]
            ends = [v for v in ends if low <= v <= high]
            return st.one_of(st.sampled_from(sorted(set(ends))), st.integers(int(low), int(high)))
        ends = [low, high, 0.0, 1.0, -1.0, *extra_edges, *all_dtype_edges()]
        ends += [-v for v in ends]
        ends = in_range(ends, low, high)
        # Only values the widget can hold are reachable: a slider snaps to its grid.
        # powers of two drawn from the range's own binades, so that few fall outside it
        top = max(abs(low), abs(high))
        high_exp = math.floor(math.log2(top)) if top > 0 else 0
        low_exp = max(high_exp - 60, math.floor(math.log2(control.step)) - 2)
        return st.one_of(
            st.sampled_from(sorted(set(ends))),
            st.floats(low, high, allow_nan=False),
            signed(powers_of_two_and_neighbours(low_exp, high_exp)).filter(
                lambda v: low <= v <= high
            ),
        ).map(control.canonical)
    raise TypeError(f"no strategy for {control!r}")
