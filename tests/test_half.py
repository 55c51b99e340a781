"""vgcore._half.round_half against numpy's own float32 -> float16 conversion (IEEE round to
nearest even): every float16 value, every midpoint between neighbours and the float32 numbers
on either side of it, a million random magnitudes over 40 decades, and the special values."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vgcore._half import HALF_MAX, round_half


def reference(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return x.astype(np.float16).astype(np.float32)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, NaN where NaN (the sign of a zero result is not compared)."""
    return bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def every_half_and_tie() -> np.ndarray:
    halves = np.arange(0, 0x7C01, dtype=np.uint16).view(np.float16).astype(np.float32)  # 0..inf
    finite = halves[:-1].astype(np.float64)
    ties = ((finite[:-1] + finite[1:]) / 2).astype(np.float32)  # exact in float32
    beyond = np.float32([65520.0, 65535.99, 65536.0, 1e30, 3.4e38, np.inf, np.nan])
    values = np.concatenate(
        [
            halves,
            ties,
            np.nextafter(ties, np.float32(0)),
            np.nextafter(ties, np.float32(np.inf)),
            beyond,
            np.float32([1e-45, 1e-40, 2.0**-25, 3 * 2.0**-26, 2.0**-14 - 2.0**-30]),
        ]
    )
    return np.concatenate([values, -values])


def test_every_float16_value_and_tie_rounds_as_numpy_does():
    values = every_half_and_tie()
    assert same(round_half(values.copy()), reference(values))


def test_random_magnitudes_over_forty_decades():
    rng = np.random.default_rng(0)
    values = rng.normal(size=1_000_000).astype(np.float32)
    values *= np.float32(10.0) ** rng.integers(-30, 10, size=values.size).astype(np.float32)
    assert same(round_half(values.copy()), reference(values))


@given(
    hnp.arrays(
        np.float32,
        st.integers(0, 64),
        elements=st.floats(width=32, allow_nan=True, allow_infinity=True),
    )
)
def test_any_float32_array(values):
    assert same(round_half(values.copy()), reference(values))


def test_rounds_in_place_and_overflows_to_infinity():
    values = np.float32([[65504.0, 65519.0], [-65520.0, np.nan]])
    result = round_half(values)
    assert result is values
    assert result[0].tolist() == [65504.0, 65504.0]
    assert result[1, 0] == -np.inf
    assert np.isnan(result[1, 1])
    assert np.finfo(np.float16).max == HALF_MAX
