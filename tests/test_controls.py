"""Controls as data, the shared link read without Streamlit, lessons and number formatting.

The property tests feed every URL key any text (empty, whitespace, unicode, numbers of every size
and notation, inf/nan in any case, repeated keys, very long strings): the link is always read
into valid control values, whatever was refused is named in a notice, and every other parameter
is kept. No value that is not checked here ever reaches a widget (``app.read_link`` sets the
widgets only from ``page.read_url``)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vgapp.controls import Choice, Number, Toggle, query_of, read_query, shown
from vgapp.formatting import sci, sci_from_log10, superscript
from vgapp.page import (
    CONTROLS,
    FOLD_KEYS,
    FOLD_OF_CONTROL,
    LESSON_KEYS,
    LESSONS,
    PANELS,
    SECTION_KEYS,
    SECTIONS,
    SETTINGS,
    defaults,
    lesson_values,
    read_url,
)

KEYS = sorted(CONTROLS)
EXAMPLES_PER_KEY = 100
"""Hypothesis examples per URL key. On the old page (5fb0a22, Streamlit's URL binding alone)
this strategy found a non-finite integer (class 1) in 194 of 200 seeds, median 9 examples, and
an empty choice (class 2) in 199 of 200, median 6; the explicit examples make both certain."""


def number_texts() -> st.SearchStrategy[str]:
    """Numbers in every notation and size, and the non-finite spellings in any case."""
    finite = st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.decimals(allow_nan=False, allow_infinity=False).map(str),
        st.tuples(st.integers(-9, 9), st.integers(-400, 400)).map(lambda t: f"{t[0]}e{t[1]}"),
        st.sampled_from(["inf", "-Inf", "INFINITY", "nan", "NaN", "-nan", "1e999999999", "0x10",
                         "1_000", "٣", "１２", "1e", ".", "-", "+.5", "5.", " 7 ", "\t3\n"]),
    )  # fmt: skip
    return finite


def any_text() -> st.SearchStrategy[str]:
    return st.one_of(
        number_texts(),
        st.text(max_size=60),
        st.text(min_size=500, max_size=3000),
        st.sampled_from(["", " ", "true", "FALSE", "<script>alert(1)</script>", "[b](x)"]),
    )


def value_lists() -> st.SearchStrategy[list[str]]:
    """One value, or the key repeated with equal or different values."""
    return st.one_of(
        any_text().map(lambda t: [t]),
        st.lists(any_text(), min_size=2, max_size=4),
        any_text().map(lambda t: [t, t]),
    )


def assert_valid(values: dict) -> None:
    """Every value is one its control (or panel extra) accepts (what a widget may receive)."""
    assert set(values) <= set(SETTINGS)
    for key, value in values.items():
        SETTINGS[key].check(value)


# ---------------------------------------------------------------- the registry


def test_keys_are_unique_and_views_take_exactly_their_controls():
    """A URL parameter names exactly one control, and each view's keyword arguments are its
    panel's control keys and extras (one mapping for the page, the tests and the browser
    helpers)."""
    import inspect

    keys = [c.key for panel in PANELS.values() for c in (*panel.controls, *panel.extras)]
    assert len(keys) == len(set(keys))
    assert not {"section", "lesson"} & set(keys)
    for panel in PANELS.values():
        parameters = inspect.signature(panel.view).parameters
        named = {n for n, p in parameters.items() if p.kind == p.KEYWORD_ONLY}
        if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):  # the lab: **values
            continue
        assert named == {c.key for c in (*panel.controls, *panel.extras)}, panel.key


def test_groups_cover_their_panel_and_folds_name_groups_with_keys_of_their_own():
    """A panel's groups hold each of its controls once; each fold is one of its groups, and
    the folds' session keys clash with no control, no page parameter and no other fold."""
    for panel in PANELS.values():
        grouped = [key for _, keys in panel.groups for key in keys]
        if panel.groups:
            assert sorted(grouped) == sorted(c.key for c in panel.controls), panel.key
        assert {caption for caption, _ in panel.folds} <= dict(panel.groups).keys(), panel.key
    fold_keys = list(FOLD_KEYS)
    assert len(fold_keys) == len(set(fold_keys))
    assert not set(fold_keys) & (set(CONTROLS) | {"section", "lesson"})
    assert set(FOLD_OF_CONTROL.values()) == set(fold_keys)


def test_a_fold_starts_open_by_default_or_when_it_holds_another_value():
    lab = PANELS["lab"]
    values = defaults()
    assert lab.starts_open("The data and the network", values)
    assert not lab.starts_open("The stopping rules", values)
    assert lab.starts_open("The stopping rules", {**values, "lab_stagnation": False})
    assert not lab.starts_open("The stopping rules", {**values, "lab_dtype": "float16"})


@pytest.mark.parametrize("control", CONTROLS.values(), ids=lambda c: c.key)
def test_every_default_round_trips_through_the_url(control):
    """The default and both ends of a range, written as the page writes them, read back."""
    assert control.help
    assert control.label
    control.check(control.default)
    assert control.parse(control.url_text(control.default)) == control.default
    if isinstance(control, Number):
        for end in (control.low, control.high):
            value = int(end) if control.integer else float(end)
            assert control.parse(control.url_text(value)) == value
    if isinstance(control, Choice):
        for option in control.options:
            assert control.parse(option) == option
            assert control.parse(control.label_of(option)) == option


@pytest.mark.parametrize("key", KEYS)
def test_refusals_name_the_parameter(key):
    control = CONTROLS[key]
    for raw in ("nan", "inf", "abc", "9" * 400, "<b>1</b>", ""):
        if isinstance(control, Choice) and raw in control.options:
            continue
        with pytest.raises(ValueError, match=key):
            control.parse(raw)


def test_numbers_are_read_exactly_at_their_bounds():
    depth = CONTROLS["depth"]
    assert depth.parse("10000") == 10_000
    assert depth.parse("1e3") == 1000  # a whole number in any notation
    for raw in ("1", "10001", "50.5", "1e4.5", "10000.0000000000000001"):
        with pytest.raises(ValueError, match="depth"):
            depth.parse(raw)
    c_exp = CONTROLS["c_exp"]
    assert c_exp.parse("-300") == -300
    with pytest.raises(ValueError, match="from -300 to 0"):
        c_exp.parse("-301")
    pt_x = CONTROLS["pt_x"]
    assert pt_x.parse("0.6000000000000001") == 0.6  # a browser slider's float, on its grid
    assert pt_x.parse("2") == 2.0
    with pytest.raises(ValueError, match="pt_x"):
        pt_x.parse("2.0000000000000001e0" + "1")


@pytest.mark.parametrize("key", KEYS)
@settings(
    max_examples=EXAMPLES_PER_KEY,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(given_values=value_lists())
@example(given_values=["inf"])  # class 1: Streamlit's int(...) of a number box overflowed
@example(given_values=["1e999999999"])  # a billion-digit integer, unless the range comes first
@example(given_values=[""])  # class 2: an empty choice left a segmented control at None
def test_any_text_for_any_key_gives_valid_values_or_a_notice(key, given_values):
    """Whatever text a link gives a key, the page reads a valid value or names the refusal,
    and the other parameters of the link are kept."""
    raw = {"depth": ["77"], "surface": ["bowl"], key: given_values}
    values, section, lesson, notices = read_url(dict(raw))
    assert_valid(values)
    assert section is None
    assert lesson is None
    if key not in values:
        assert len(notices) == 1
        assert CONTROLS[key].label in notices[0]
    else:
        assert not notices
    if key != "depth":
        assert values["depth"] == 77
    if key != "surface":
        assert values["surface"] == "bowl"


@settings(max_examples=EXAMPLES_PER_KEY, deadline=None)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from([*KEYS, "section", "lesson"]), st.text(max_size=20)),
        value_lists(),
        max_size=12,
    )
)
@example({"lesson": [""]})
@example({"section": [""], "lesson": [" "], "depth": ["nan"]})
def test_any_combination_of_keys_is_read_safely(raw):
    """Unknown keys, page keys and control keys together: valid values, one notice for each
    refusal, and a section and lesson only when they name one."""
    values, section, lesson, notices = read_url(dict(raw))
    assert_valid(values)
    assert section is None or section in SECTION_KEYS
    assert lesson is None or lesson in LESSON_KEYS
    refused = [k for k in raw if k not in values and k not in ("section", "lesson")]
    assert len(notices) >= len(refused)
    for text in notices:
        assert "<" not in text
        assert ">" not in text


def test_a_lesson_link_sets_its_section_and_values_and_explicit_values_win():
    values, section, lesson, notices = read_url({"lesson": ["saddle"], "gd_eta": ["0.01"]})
    assert (section, lesson, notices) == ("descent", "saddle", [])
    assert values == {**lesson_values("saddle"), "gd_eta": 0.01}


def test_the_url_the_page_writes_reads_back_as_the_same_state():
    chosen = {**defaults(), "depth": 55, "w": -0.5, "activation": "tanh", "lab_stagnation": False}
    query = query_of(chosen, tuple(CONTROLS.values()))
    assert query == {"depth": "55", "w": "-0.5", "activation": "tanh", "lab_stagnation": "false"}
    values, *_ = read_url({key: [text] for key, text in query.items()})
    assert {**defaults(), **values} == chosen


@given(st.text(max_size=500))
def test_shown_strips_markup_and_bounds_length(raw):
    text = shown(raw)
    assert len(text) <= 25
    assert not set(text) & set("<>[]()*_`#&;\\|!")


def test_read_query_reports_unknown_repeated_and_invalid():
    accepted, notices = read_query(
        {"depth": ["50"], "zz": ["1"], "c_exp": ["nan"], "w": ["1", "2"]}, CONTROLS
    )
    assert accepted == {"depth": 50}
    assert len(notices) == 3
    assert any("unknown parameter" in n and "zz" in n for n in notices)
    assert any("using the default -90" in n for n in notices)
    assert any("2 different values" in n for n in notices)


# ---------------------------------------------------------------- lessons and sections


def test_lessons_set_every_control_and_name_only_their_own_sections():
    """A lesson sets every control (nothing of an earlier lesson carries over), to its default
    outside the values it names, and it names only controls of its own section."""
    page_defaults = defaults()
    for lesson in LESSONS.values():
        values = lesson_values(lesson.key)
        section_keys = {
            c.key
            for s in SECTIONS
            if s.key == lesson.section
            for c in (*s.controls, *(e for p in s.every_panel for e in p.extras))
        }
        assert set(values) == set(page_defaults), lesson.key
        assert set(lesson.values) <= section_keys, lesson.key
        assert {k: v for k, v in values.items() if k not in lesson.values} == {
            k: v for k, v in page_defaults.items() if k not in lesson.values
        }
        assert_valid(values)


def test_source_lesson_is_the_default_state():
    values = lesson_values("source")
    assert values == {k: v for k, v in defaults().items() if k in values}
    assert (values["c_mant"], values["c_exp"], values["p_mant"], values["p_exp"]) == (
        1.0, -90, 1.0, 9999,
    )  # fmt: skip


def test_lesson_notes_state_what_the_core_computes():
    """The figures quoted in lesson notes, recomputed with vgcore."""
    from vgcore.activations import sigmoid_derivative
    from vgcore.chain import chain_backprop, make_weights, underflow_depth
    from vgcore.curvature import describe_point
    from vgcore.precision import lost_update_threshold, update_is_lost

    saturated = lesson_values("saturated")
    assert float(sigmoid_derivative(8.0)) == pytest.approx(3.35e-4, rel=1e-2)
    assert float(sigmoid_derivative(64.0)) == pytest.approx(1.6e-28, rel=1e-1)
    assert saturated["w"] == 8.0
    assert saturated["activation"] == "sigmoid"

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
    ones = np.ones(float16["depth"])
    assert underflow_depth(ones, "sigmoid", "float16") == 13
    assert underflow_depth(ones, "sigmoid", "float32") == 71

    relu = lesson_values("relu")
    ones = chain_backprop(make_weights(relu["depth"], "constant", w=1.0), "relu", "float16")
    assert np.all(ones == 1.0)

    lost = lesson_values("lost_update")
    step = lost["fp_eta"] * 10.0 ** lost["fp_grad_exp"]
    assert step == pytest.approx(1e-4)
    assert update_is_lost(lost["fp_w"], -step, "float16")
    assert lost_update_threshold(1.0, "float16", direction=-1) == 2.0**-12  # 2.44e-4
    assert f"{2.0**-12:.3g}" == "0.000244"

    monkey = describe_point(lesson_values("monkey")["surface"], 0.0, 0.0)
    assert monkey.gradient_norm == 0
    assert np.all(monkey.hessian == 0)


# ---------------------------------------------------------------- number formatting


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
    assert sci_from_log10(-math.inf) == "0 (exactly)"


def test_precision_correction_figure():
    """The page's correction: on a float64 weight of 1000 an update of 1e-14 vanishes."""
    from vgcore.precision import update_is_lost

    assert update_is_lost(1000.0, -1e-14, "float64")
    assert np.finfo(np.float64).eps < 1e-14


def test_toggle_and_choice_refuse_what_they_do_not_name():
    toggle = Toggle("t", "T", True, "help")
    assert toggle.parse(" FALSE ") is False
    with pytest.raises(ValueError, match="t must be true or false"):
        toggle.parse("yes")
    with pytest.raises(ValueError, match="activation"):
        CONTROLS["activation"].parse("Relu")
    assert CONTROLS["activation"].parse("ReLU") == "relu"


@given(st.floats(1.0, 9.99, allow_nan=False))
def test_a_typed_number_is_computed_as_its_box_shows_it(value: float) -> None:
    """A number box showing two decimals (``%.2f``) holds its value rounded to them, inside its
    range: a link's ``p_mant=1.055`` is computed as the 1.05 the box shows, never as 1.055."""
    control = CONTROLS["p_mant"]
    held = control.canonical(value)
    assert control.low <= held <= control.high
    assert f"{held:.2f}" == f"{value:.2f}" or held in (control.low, control.high)
    assert held == float(f"{held:.2f}")
    assert control.parse("1.055") == 1.05
