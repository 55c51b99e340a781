"""The page's control specs, lessons, URL parsing and number formatting (no Streamlit needed)."""

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vgapp.controls import (
    BOOL,
    CHOICE,
    FLOAT,
    INT,
    Control,
    check_query_params,
    shown,
)
from vgapp.formatting import caret_to_superscript, sci, sci_from_log10, superscript
from vgapp.page import CONTROLS, LESSON_CONTROL, LESSONS, PANELS, defaults, lesson_values

HOSTILE = ["nan", "inf", "-inf", "1e309", "-1", "abc", "9" * 400, "<script>alert(1)</script>", ""]


def test_keys_are_unique_across_panels():
    """A URL parameter names exactly one control."""
    keys = [control.key for panel in PANELS.values() for control in panel]
    assert len(keys) == len(set(keys))
    assert "lesson" not in keys


@pytest.mark.parametrize("control", CONTROLS.values(), ids=lambda c: c.key)
def test_every_default_parses_and_lies_in_range(control: Control):
    """The default written as a URL value reads back as the default."""
    assert control.help and control.label
    text = str(control.default).lower() if control.kind == BOOL else str(control.default)
    assert control.parse(text) == control.default
    if control.kind in (INT, FLOAT):
        assert control.low <= control.default <= control.high
        assert control.parse(str(control.low)) == control.low
        assert control.parse(str(control.high)) == control.high
    if control.kind == CHOICE:
        assert control.default in control.options


@pytest.mark.parametrize("control", CONTROLS.values(), ids=lambda c: c.key)
@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_values_are_refused(control: Control, raw: str):
    """NaN, overflow, garbage, huge numbers and HTML never become a control value."""
    if control.kind == FLOAT and raw == "-1" and control.low <= -1 <= control.high:
        assert control.parse(raw) == -1.0
        return
    if control.kind == INT and raw == "-1" and control.low <= -1 <= control.high:
        assert control.parse(raw) == -1
        return
    with pytest.raises(ValueError, match=control.key):
        control.parse(raw)


def test_out_of_range_numbers_are_refused_at_both_ends():
    depth = CONTROLS["depth"]
    assert depth.parse("10000") == 10_000
    for raw in ("1", "10001", "50.5", "1e3"):
        with pytest.raises(ValueError, match="depth"):
            depth.parse(raw)
    c_exp = CONTROLS["c_exp"]
    assert c_exp.parse("-300") == -300
    with pytest.raises(ValueError, match="between -300 and 0"):
        c_exp.parse("-301")


def test_check_query_params_accepts_valid_and_reports_the_rest():
    raw = {"depth": "50", "activation": "tanh", "zz": "1", "c_exp": "nan", "w": "<b>8</b>"}
    accepted, notices = check_query_params(raw, CONTROLS)
    assert accepted == {"depth": 50, "activation": "tanh"}
    assert len(notices) == 3
    assert any("unknown parameter" in notice and "zz" in notice for notice in notices)
    assert any("using the default -90" in notice for notice in notices)
    assert all("<" not in notice and ">" not in notice for notice in notices)


@given(st.text(max_size=500))
def test_shown_strips_markup_and_bounds_length(raw):
    text = shown(raw)
    assert len(text) <= 25
    assert not set(text) & set("<>[]()*_`#&;\\|!")


def test_lessons_set_only_valid_values_of_known_controls():
    assert LESSON_CONTROL.options == tuple(LESSONS)
    for lesson in LESSONS.values():
        values = lesson_values(lesson.key)
        for panel in lesson.panels:
            assert set(defaults(panel)) <= set(values)
        for key, value in values.items():
            control = CONTROLS[key]
            text = str(value).lower() if control.kind == BOOL else str(value)
            assert control.parse(text) == value


def test_source_lesson_is_the_default_state():
    """Opening the page without parameters shows the source's own numbers."""
    values = lesson_values("source")
    assert values == {k: v for k, v in defaults().items() if k in values}
    assert (values["c_mant"], values["c_exp"]) == (1.0, -90)
    assert (values["p_mant"], values["p_exp"]) == (1.0, 9999)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-90, "1.00 × 10⁻⁹⁰"),
        (-2.5e7, "−2.50 × 10⁷"),
        (3.14159, "3.14"),
        (0.0, "0 (exactly)"),
        (math.inf, "+∞ (overflow)"),
        (-math.inf, "−∞ (overflow)"),
        (math.nan, "not a number"),
    ],
)
def test_sci(value, text):
    assert sci(value) == text


@given(st.floats(min_value=-400, max_value=400, allow_nan=False))
def test_sci_from_log10_matches_decimal(log10_value):
    """The mantissa and exponent agree with Decimal's own power of ten."""
    text = sci_from_log10(log10_value)
    mantissa, exponent = text.split(" × 10")
    exponent = int(exponent.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))
    reference = Decimal(10) ** Decimal(repr(log10_value))
    ref_mantissa, ref_exponent = f"{reference:.2e}".split("e")
    assert (mantissa, exponent) == (ref_mantissa, int(ref_exponent))


def test_powers_and_superscripts():
    assert superscript(-90) == "⁻⁹⁰"
    assert caret_to_superscript("1.00 × 10^9909 and 10^-90") == "1.00 × 10⁹⁹⁰⁹ and 10⁻⁹⁰"
    assert sci_from_log10(-math.inf) == "0 (exactly)"


def test_lesson_notes_state_what_the_core_computes():
    """The figures quoted in lesson notes, recomputed with vgcore."""
    from vgcore.activations import sigmoid_derivative
    from vgcore.chain import chain_backprop, make_weights, underflow_depth
    from vgcore.precision import update_is_lost

    saturated = lesson_values("saturated")
    assert float(sigmoid_derivative(8.0)) == pytest.approx(3.35e-4, rel=1e-2)
    assert float(sigmoid_derivative(64.0)) == pytest.approx(1.6e-28, rel=1e-1)
    assert saturated["w"] == 8.0 and saturated["activation"] == "sigmoid"

    exploding = lesson_values("exploding")
    weights = make_weights(exploding["depth"], "constant", w=exploding["w"])
    backprop16 = chain_backprop(weights, "relu", "float16")
    backprop32 = chain_backprop(weights, "relu", "float32")
    first_inf16 = exploding["depth"] - np.flatnonzero(np.isinf(backprop16)).max()
    first_inf32 = exploding["depth"] - np.flatnonzero(np.isinf(backprop32)).max()
    assert first_inf16 <= 10  # "within a few layers"
    assert 10 < first_inf32 <= 60  # "within a few dozen"
    assert not np.any(np.isinf(chain_backprop(weights, "relu", "float64")))

    float16 = lesson_values("float16")
    assert underflow_depth(np.ones(float16["depth"]), "sigmoid", "float16") == 13
    assert update_is_lost(1.0, -1e-4, "float16")
    update = float16["fp_eta"] * 10.0 ** float16["fp_grad_exp"]
    assert update == pytest.approx(1e-4) and update_is_lost(float16["fp_w"], -update, "float16")

    relu = lesson_values("relu")
    ones = chain_backprop(make_weights(relu["depth"], "constant", w=1.0), "relu", "float16")
    assert np.all(ones == 1.0)


def test_precision_correction_figure():
    """The page's correction: on a float64 weight of 1000 an update of 1e-14 vanishes."""
    from vgcore.precision import update_is_lost

    assert update_is_lost(1000.0, -1e-14, "float64")
    assert np.finfo(np.float64).eps < 1e-14


def test_choices_parse_from_their_labels_as_streamlit_writes_them():
    """Streamlit writes a choice into the URL by its label; a hand-written link may use the key."""
    assert CONTROLS["w_mode"].parse("random normal") == "random"
    assert CONTROLS["w_mode"].parse("random") == "random"
    assert CONTROLS["activation"].parse("ReLU") == "relu"
    assert LESSON_CONTROL.parse("Saturated sigmoid") == "saturated"
    with pytest.raises(ValueError, match="activation"):
        CONTROLS["activation"].parse("Relu")
