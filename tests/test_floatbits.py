"""vgcore.floatbits against numpy's own view of a value's bytes (and ``struct`` for the bit
strings), np.nextafter for the neighbours and exact Fractions for the half-gaps, over all three
dtypes with the edges of tests/claims/edges.py."""

from __future__ import annotations

import math
import struct
from fractions import Fraction

import numpy as np
import pytest
from claims.edges import DTYPES, all_dtype_edges, powers_of_two_and_neighbours, signed
from hypothesis import given, settings
from hypothesis import strategies as st

from vgcore.floatbits import all_flips, flipped, float_bits, half_gaps, neighbours

UINT = {"float16": np.uint16, "float32": np.uint32, "float64": np.uint64}
PACK = {"float16": "e", "float32": "f", "float64": "d"}
WIDTH = {"float16": (5, 10), "float32": (8, 23), "float64": (11, 52)}
"""Exponent and mantissa widths (IEEE 754 binary16/32/64)."""


@st.composite
def stored(draw: st.DrawFn) -> tuple[float, str]:
    """A value of one of the dtypes: an edge, a power of two or its neighbour, any float,
    ±0, ±∞, with either sign, rounded to the dtype."""
    dtype = draw(st.sampled_from(DTYPES))
    raw = draw(
        st.one_of(
            st.sampled_from([0.0, -0.0, math.inf, -math.inf, *all_dtype_edges()]),
            signed(powers_of_two_and_neighbours(-1080, 1020)),
            st.floats(allow_nan=False),
        )
    )
    with np.errstate(over="ignore", under="ignore"):
        return float(np.dtype(dtype).type(raw)), dtype


def view_bits(value: float, dtype: str) -> str:
    """numpy's view of the value's bytes as an unsigned integer, written in binary."""
    word = np.array(value, dtype).view(UINT[dtype])
    return format(int(word), f"0{np.dtype(dtype).itemsize * 8}b")


@settings(max_examples=500, deadline=None)
@given(stored())
def test_the_bits_are_numpys_view_of_the_value(case: tuple[float, str]) -> None:
    """The bit string is numpy's view, and the bytes ``struct`` packs (big-endian); the fields
    split it at IEEE's widths; the kind and the exponent follow from the fields."""
    value, dtype = case
    bits = float_bits(value, dtype)
    assert bits.bits == view_bits(value, dtype)
    packed = struct.pack(">" + PACK[dtype], value)
    assert bits.bits == "".join(format(byte, "08b") for byte in packed)
    exponent_width, mantissa_width = WIDTH[dtype]
    assert (len(bits.exponent), len(bits.mantissa)) == (exponent_width, mantissa_width)
    assert bits.sign == ("1" if math.copysign(1.0, value) < 0 else "0")
    bias = 2 ** (exponent_width - 1) - 1
    assert bits.bias == bias
    if math.isinf(value):
        assert bits.kind == "infinite"
    elif value == 0:
        assert bits.kind == "zero"
    elif abs(value) < float(np.finfo(dtype).smallest_normal):
        assert bits.kind == "subnormal"
        assert Fraction(abs(value)) == Fraction(int(bits.mantissa, 2), 2**mantissa_width) * (
            Fraction(2) ** (1 - bias)
        )
        assert bits.power == 1 - bias
    else:
        assert bits.kind == "normal"
        significand = 1 + Fraction(int(bits.mantissa, 2), 2**mantissa_width)
        assert Fraction(abs(value)) == significand * Fraction(2) ** bits.power
        assert bits.power == int(bits.exponent, 2) - bias
    for position in range(len(bits.bits)):
        index = len(bits.bits) - 1 - position
        expected = "sign" if index == 0 else "exponent" if index <= exponent_width else "mantissa"
        assert bits.field(position) == expected


@settings(max_examples=400, deadline=None)
@given(stored(), st.data())
def test_a_flipped_bit_is_numpys_view_of_the_flipped_word(case, data) -> None:
    """Flipping bit k gives the value whose word is the old word XOR 2ᵏ (numpy's view), and
    flipping it again gives the value back."""
    value, dtype = case
    width = np.dtype(dtype).itemsize * 8
    position = data.draw(st.integers(0, width - 1))
    word = int(np.array(value, dtype).view(UINT[dtype])) ^ (1 << position)
    expected = np.array(word, UINT[dtype]).view(dtype)
    result = flipped(value, dtype, position)
    assert view_bits(result, dtype) == format(word, f"0{width}b") or math.isnan(result)
    if math.isnan(expected):
        assert math.isnan(result)
        assert float_bits(result, dtype).kind == "nan"
    else:
        assert result == float(expected)
        assert math.copysign(1.0, result) == math.copysign(1.0, float(expected))
        back = flipped(result, dtype, position)
        assert view_bits(back, dtype) == view_bits(value, dtype)


@settings(max_examples=400, deadline=None)
@given(stored())
def test_neighbours_and_half_gaps(case: tuple[float, str]) -> None:
    """The neighbours are np.nextafter toward ∓∞; the half-gaps are exact halves of the
    distances to them (the top binade's spacing where the neighbour is infinite)."""
    value, dtype = case
    if not math.isfinite(value):
        with pytest.raises(ValueError, match="value must be finite"):
            neighbours(value, dtype)
        return
    kind = np.dtype(dtype).type
    with np.errstate(over="ignore"):
        below = float(np.nextafter(kind(value), kind(-np.inf)))
        above = float(np.nextafter(kind(value), kind(np.inf)))
    assert neighbours(value, dtype) == (below, above)
    down, up = half_gaps(value, dtype)
    largest = Fraction(float(np.finfo(dtype).max))
    spacing = largest - Fraction(float(np.nextafter(np.finfo(dtype).max, kind(0))))
    exact_down = Fraction(value) - Fraction(below) if math.isfinite(below) else spacing
    exact_up = Fraction(above) - Fraction(value) if math.isfinite(above) else spacing
    assert (down, up) == (exact_down / 2, exact_up / 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: float_bits(0.1, "float32"), "value must be a float32 number"),
        (lambda: float_bits(1.0, "int8"), "dtype must be one of float16, float32, float64"),
        (lambda: float_bits("1", "float64"), "value must be a real number"),
        (lambda: flipped(1.0, "float16", 16), "bit must be an integer from 0 to 15"),
        (lambda: flipped(1.0, "float64", -1), "bit must be an integer from 0 to 63"),
        (lambda: flipped(1.0, "float32", 1.5), "bit must be an integer"),
        (lambda: neighbours(math.nan, "float64"), "value must be finite"),
        (lambda: half_gaps(70000.0, "float16"), "value must be a float16 number"),
    ],
)
def test_bad_input_names_the_parameter_and_its_range(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_a_nan_has_all_ones_in_its_exponent_and_a_nonzero_mantissa() -> None:
    """NaN as numpy makes it (∞ − ∞) in each dtype: kind nan, numpy's view of its bits."""
    for dtype in DTYPES:
        kind = np.dtype(dtype).type
        with np.errstate(invalid="ignore"):
            nan = kind(np.inf) - kind(np.inf)
        bits = float_bits(float(nan), dtype)
        assert bits.kind == "nan"
        assert set(bits.exponent) == {"1"}
        assert "1" in bits.mantissa


@settings(max_examples=200, deadline=None)
@given(stored())
def test_all_flips_are_each_flip(case: tuple[float, str]) -> None:
    """``all_flips`` gives, at index k, the word with bit k flipped (numpy's view)."""
    value, dtype = case
    width = np.dtype(dtype).itemsize * 8
    word = int(np.array(value, dtype).view(UINT[dtype]))
    for position, result in enumerate(all_flips(value, dtype)):
        expected = np.array(word ^ (1 << position), UINT[dtype]).view(dtype)
        assert view_bits(result, dtype) == format(word ^ (1 << position), f"0{width}b") or (
            math.isnan(result) and math.isnan(expected)
        )
