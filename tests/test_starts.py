"""The descent race's starts (``gd_race``, a ``controls.Starts``): the link's text read and
checked (each coordinate in [−2, 2] on the 0.05 grid, at most five starts, a repeated one
dropped, anything refused named), written back, reset by lessons and Reset, and its buttons
under AppTest."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from altair.vegalite.v6.schema.core import TopLevelSpec
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from vgapp.controls import Number, PartlyRefused, query_of, read_query
from vgapp.page import EXTRAS, LESSONS, PANELS, SETTINGS, defaults, lesson_values, read_url

RACE = EXTRAS["gd_race"]
APP = str(Path(__file__).resolve().parent.parent / "app.py")
GRID = [float(Decimal("-2") + Decimal("0.05") * i) for i in range(81)]
"""The start sliders' grid, in exact decimal steps."""


def test_the_race_is_a_setting_of_the_descent_panel_with_the_sliders_range():
    assert RACE.source == ("gd_x0", "gd_y0")
    for key in RACE.source:
        slider = SETTINGS[key]
        assert isinstance(slider, Number)
        assert (RACE.low, RACE.high, RACE.step) == (slider.low, slider.high, slider.step)
    assert RACE.most == 5
    assert defaults()["gd_race"] == ()


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("0.6_-0.6", ((0.6, -0.6),)),
        ("0.6_-0.6~-0.6_0.6", ((0.6, -0.6), (-0.6, 0.6))),
        (" 2_-2 ~ -2_2 ", ((2.0, -2.0), (-2.0, 2.0))),
        ("+.5_1.50~0.05_-0", ((0.5, 1.5), (0.05, 0.0))),
        ("1e-1_2E0", ((0.1, 2.0),)),
    ],
)
def test_valid_races_are_read_exactly(text, starts):
    parsed = RACE.parse(text)
    assert parsed == starts
    assert all(str(v) != "-0.0" for p in parsed for v in p)  # never −0
    RACE.check(parsed)


@pytest.mark.parametrize(
    "text",
    ["", "  ", "0.6", "0.6_", "_0.6", "0.6_0.6_0.6", "0.61_0", "2.05_0", "-3_0", "nan_0",
     "inf_0", "1e999_0", "0x1_0", "١_0", "abc", "<script>_0", "9" * 400 + "_0", "0.6,-0.6",
     "~", "0.025_0"],
)  # fmt: skip
def test_a_race_with_no_usable_start_is_refused(text):
    with pytest.raises(ValueError, match=r".") as error:
        RACE.parse(text)
    assert not isinstance(error.value, PartlyRefused)


def test_bad_starts_are_dropped_and_named_and_the_rest_kept():
    with pytest.raises(PartlyRefused) as error:
        RACE.parse("0.6_-0.55~0.61_0~3_0~0.6_-0.55~-0.6_0.6")
    assert error.value.kept == ((0.6, -0.55), (-0.6, 0.6))
    message = str(error.value)
    assert "“0.61 0” dropped" in message
    assert "“3 0” dropped" in message
    assert "each coordinate from -2 to 2 in steps of 0.05" in message
    assert "the repeated start (0.6, -0.55) dropped" in message


def test_at_most_five_starts_the_rest_named():
    text = "~".join(f"{x}_0" for x in (0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3))
    with pytest.raises(PartlyRefused) as error:
        RACE.parse(text)
    assert error.value.kept == tuple((x, 0.0) for x in (0.0, 0.05, 0.1, 0.15, 0.2))
    assert "after the 5th dropped" in str(error.value)


def test_a_link_keeps_the_usable_starts_and_names_the_rest():
    values, section, lesson, notices = read_url(
        {"gd_race": ["0.6_-0.6~0.6_-0.6~5_5"], "section": ["descent"]}
    )
    assert values["gd_race"] == ((0.6, -0.6),)
    assert section == "descent"
    assert lesson is None
    [notice] = notices
    assert notice.startswith(RACE.label)
    assert "repeated start" in notice
    assert "“5 5” dropped" in notice
    values, _, _, notices = read_url({"gd_race": ["zz"]})
    assert "gd_race" not in values
    assert "“zz” is not valid for Race: more starts" in notices[0]
    assert "using the default none" in notices[0]
    _, _, _, notices = read_url({"gd_race": ["0_0", "0.5_0"]})
    assert "2 different values" in notices[0]


def test_a_lesson_sets_the_race_and_every_other_lesson_clears_it():
    assert lesson_values("race")["gd_race"] == ((0.6, -0.55), (0.6, -0.6), (0.55, -0.6))
    for key in LESSONS:
        if key != "race":
            assert lesson_values(key)["gd_race"] == ()
    values, _, lesson, notices = read_url({"lesson": ["race"], "gd_race": ["1_1"]})
    assert (lesson, notices, values["gd_race"]) == ("race", [], ((1.0, 1.0),))


grid_points = st.tuples(st.sampled_from(GRID), st.sampled_from(GRID))


@given(st.lists(grid_points, max_size=5, unique=True))
def test_every_race_round_trips_through_the_link(points):
    """Any race the buttons can make is written to the link and read back unchanged, and
    left out of the link when empty."""
    race = RACE.canonical(points)
    RACE.check(race)
    query = query_of({"gd_race": race}, (RACE,))
    if not race:
        assert query == {}
        return
    accepted, notices = read_query({"gd_race": [query["gd_race"]]}, {"gd_race": RACE})
    assert notices == []
    assert accepted["gd_race"] == race


def test_check_refuses_what_a_button_could_never_make():
    for bad in [[(0.0, 0.0)], ((0.0, 0.0),) * 2, ((0.0, 3.0),), ((0, 0.0),),
                tuple((0.05 * i, 0.0) for i in range(6)), ((float("nan"), 0.0),)]:  # fmt: skip
        with pytest.raises(ValueError, match="gd_race"):
            RACE.check(bad)


@pytest.mark.parametrize(
    "values",
    [
        {
            "gd_surface": "every_kind",
            "gd_race": ((-1.0, -1.0), (0.0, 0.0), (-1.5, 0.5), (2.0, 2.0)),
        },
        {"gd_surface": "saddle", "gd_eta": 2.0, "gd_race": ((0.5, 0.0), (0.0, 0.0))},
        {"gd_surface": "bowl", "gd_eta": 1.0, "gd_race": ((0.6, -0.6),), "gd_iters": 1},
    ],
    ids=["every kind", "divergence", "cycle"],
)
def test_the_race_chart_is_valid_vega_lite_with_strict_json(values):
    """The contour chart with its race (divergent paths, cycles, every kind of end) against
    the Vega-Lite schema, in strict JSON (no NaN or ∞), its CSV holding every start's path."""
    panel = PANELS["descent"]
    chart = panel.view(**panel.arguments({**panel.defaults(), **values})).chart("descent_path")
    TopLevelSpec.validate(chart.spec)
    json.dumps(chart.spec, allow_nan=False)
    starts = set(chart.frame["start"])
    assert len(starts) == len(values["gd_race"]) + 1
    assert "sliders" in starts


# ---------------------------------------------------------------- the buttons (AppTest)


def button(app: AppTest, key: str):
    [found] = [b for b in app.button if b.key == key]
    return found


def race_table_shown(app: AppTest) -> bool:
    return any(m.value.startswith("**Race of ") for m in app.markdown)


def test_the_buttons_add_remove_and_clear_starts_and_the_url_follows():
    app = AppTest.from_file(APP, default_timeout=300)
    app.query_params["section"] = "descent"
    app.run()
    assert not app.exception
    assert not race_table_shown(app)
    button(app, "gd_race_add").click().run()
    assert app.session_state["gd_race"] == ((0.6, -0.6),)
    assert button(app, "gd_race_add").disabled  # the same start twice: no
    assert race_table_shown(app)
    [slider] = [s for s in app.slider if s.key == "gd_x0"]
    slider.set_value(-0.5).run()
    button(app, "gd_race_add").click().run()
    assert app.session_state["gd_race"] == ((0.6, -0.6), (-0.5, -0.6))
    assert str(app.query_params["gd_race"]) == "0.6_-0.6~-0.5_-0.6"
    button(app, "gd_race_remove_0").click().run()
    assert app.session_state["gd_race"] == ((-0.5, -0.6),)
    button(app, "gd_race_clear").click().run()
    assert app.session_state["gd_race"] == ()
    assert "gd_race" not in app.query_params
    assert not race_table_shown(app)
    assert not app.exception


def test_a_lesson_sets_the_race_and_reset_clears_it():
    app = AppTest.from_file(APP, default_timeout=300)
    app.run()
    [pills] = [w for w in app.button_group if w.key == "lesson"]
    pills.set_value("race").run()
    assert app.session_state["gd_race"] == lesson_values("race")["gd_race"]
    assert str(app.query_params["gd_race"]) == "0.6_-0.55~0.6_-0.6~0.55_-0.6"
    assert race_table_shown(app)
    [reset] = [b for b in app.button if b.label == "Reset all controls"]
    reset.click().run()
    assert app.session_state["gd_race"] == ()
    assert "gd_race" not in app.query_params
    assert not app.exception
