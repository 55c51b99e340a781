"""vgcore._norm.norm2 against math.hypot (an independent, correctly scaled 2-norm), at
magnitudes whose squares underflow or overflow float64, and on zeros, infinities and NaN."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vgcore._norm import norm2

SUM_RTOL = 1e-13  # a float64 sum of up to 64 squares, then a square root


def reference(values: np.ndarray) -> float:
    return math.hypot(*values.astype(np.float64).ravel().tolist())


@given(
    hnp.arrays(
        np.float64,
        st.integers(0, 64),
        elements=st.floats(-1e300, 1e300, allow_subnormal=True),
    )
)
def test_matches_hypot(values: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        got = norm2(values)
    assert got == pytest.approx(reference(values), rel=SUM_RTOL, abs=0.0)


@pytest.mark.parametrize("size", [3, 40])
@pytest.mark.parametrize("magnitude", [1e-170, 1e-310, 1e170, 1e300])
def test_no_underflow_or_overflow_of_the_squares(size: int, magnitude: float) -> None:
    """Squares of 1e-170 underflow and of 1e170 overflow; the norm is still sqrt(n)·|v|."""
    values = np.full(size, magnitude)
    values[0] = -magnitude
    with np.errstate(all="ignore"):
        got = norm2(values)
    assert got == pytest.approx(math.sqrt(size) * magnitude, rel=SUM_RTOL)


def test_matrix_in_float32_is_its_frobenius_norm() -> None:
    matrix = np.arange(-12, 12, dtype=np.float32).reshape(4, 6) * np.float32(1e-30)
    expected = math.sqrt(sum(float(v) ** 2 for v in matrix.ravel()))
    assert norm2(matrix) == pytest.approx(expected, rel=SUM_RTOL)


@pytest.mark.parametrize("size", [0, 2, 40])
def test_exact_zero(size: int) -> None:
    assert norm2(np.zeros(size)) == 0.0


@pytest.mark.parametrize("size", [2, 40])
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_entries_give_inf(size: int, bad: float) -> None:
    values = np.ones(size)
    values[-1] = bad
    with np.errstate(all="ignore"):
        assert norm2(values) == math.inf
