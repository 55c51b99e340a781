"""A click on a clickable chart sets what its hint says, on a desktop and on a 390x844 phone:
the Hessian surface sets the point, the descent contours set the start, each to the sliders'
grid point nearest to the click; the address bar and the sliders agree afterwards. A click on
the descent path or on an arrow sets nothing.

The expected value is computed from where the click lands: its fraction of the plot area (read
from the drawn chart) times the axis domain (from the chart's spec), to the nearest grid point
in exact rationals."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pagetools import expect
from pagetools.clicks import (
    CLICKS,
    PLOT_JS,
    TARGETS,
    data_at,
    domain,
    expected,
    plot_point,
)
from pagetools.driver import AppPage, new_app_page
from vgapp import vegalite as vl
from vgapp.page import CONTROLS
from vgapp.panels.surface import surface_layers

from .helpers import PHONE, assert_clean

pytestmark = pytest.mark.browser

CLEAR_PX = 8
"""A click at least this far from the centre of an arrow or a drawn point of the path lands
on the clickable surface, not on them (an arrow is about 10 px across)."""


def clear_of_marks(panel: str, app: AppPage, at: tuple[float, float], scale: float) -> bool:
    """Whether data point ``at`` is at least CLEAR_PX pixels from every arrow and every
    drawn point of the path of the settings the page shows (``scale``: pixels per unit)."""
    _, chart, x_key, y_key = TARGETS[panel]
    surface_key = "surface" if panel == "curvature" else "gd_surface"
    values = app.control_values((x_key, y_key))
    _, field = surface_layers(expect.full()[surface_key])
    points = list(zip(field["x"], field["y"], strict=True))
    if panel == "descent":
        frame = expect.view_of(panel, values).chart(chart).frame
        drawn = vl.plot_indices(len(frame), max_points=150)
        points += list(zip(frame["x"].iloc[drawn], frame["y"].iloc[drawn], strict=True))
    return all(math.hypot(at[0] - x, at[1] - y) * scale >= CLEAR_PX for x, y in points)


def pixel(plot: dict[str, float], bounds: tuple[float, float], x: float, y: float):
    """Where data point (x, y) is drawn (y grows upwards)."""
    low, high = bounds
    return (
        plot["x"] + (x - low) / (high - low) * plot["width"],
        plot["y"] + (high - y) / (high - low) * plot["height"],
    )


def click(app: AppPage, at: tuple[float, float], touch: bool) -> None:
    if touch:
        app.page.touchscreen.tap(*at)
    else:
        app.page.mouse.click(*at)


def settled_values(app: AppPage, keys: tuple[str, str]) -> dict[str, Any]:
    app.wait_idle()
    return app.control_values(keys)


def check_clicks(app: AppPage, panel: str, touch: bool) -> None:
    section, _, x_key, y_key = TARGETS[panel]
    app.open({"section": section})
    low, high = domain(panel)
    for fractions in CLICKS:
        plot = app.page.evaluate(PLOT_JS, panel)
        assert min(plot["width"], plot["height"]) >= 24  # a touch target at least 24 px
        scale = plot["width"] / (high - low)
        assert clear_of_marks(panel, app, data_at(panel, fractions), scale)
        wanted = expected(panel, fractions)
        click(app, plot_point(app.page, panel, fractions), touch)
        app.wait_until(lambda w=wanted: settled_values(app, (x_key, y_key)) == w,
                       f"the sliders to show {wanted}")  # fmt: skip
        shown = app.url()
        for key, value in wanted.items():
            default = CONTROLS[key].default
            assert (key in shown and float(shown[key]) == value) or (
                key not in shown and value == default
            ), (key, shown, value)
    assert_clean(app)


@pytest.mark.parametrize("panel", sorted(TARGETS))
def test_a_click_sets_the_nearest_grid_point_on_a_desktop(app: AppPage, panel: str) -> None:
    """At 1440x900: each click sets both sliders and the link to the point under it."""
    check_clicks(app, panel, touch=False)


@pytest.mark.parametrize("panel", sorted(TARGETS))
def test_a_tap_sets_the_nearest_grid_point_on_a_phone(browser, app_server, panel: str) -> None:
    """On a 390x844 phone (touch): each tap sets both sliders and the link to the point."""
    app = new_app_page(browser, app_server, **PHONE)
    try:
        check_clicks(app, panel, touch=True)
    finally:
        app.close()


def test_a_click_on_the_path_or_an_arrow_sets_nothing(app: AppPage) -> None:
    """On the descent chart a click on a point of the path, or on an arrow, leaves the start."""
    app.open({"section": "descent"})
    keys = ("gd_x0", "gd_y0")
    before = settled_values(app, keys)
    bounds = domain("descent")
    view = expect.view_of("descent")
    frame = view.chart("descent_path").frame
    drawn = vl.plot_indices(len(frame), max_points=150)  # the path's drawn points
    middle = frame.iloc[int(drawn[len(drawn) // 2])]  # one of them, away from the start
    assert (float(middle["x"]), float(middle["y"])) != (before["gd_x0"], before["gd_y0"])
    _, field = surface_layers(expect.full()["gd_surface"])
    corner = field.iloc[0]  # the arrow at the lower left corner, away from the path
    for x, y in ((float(middle["x"]), float(middle["y"])), (corner["x"], corner["y"])):
        plot = app.page.evaluate(PLOT_JS, "descent")
        app.page.mouse.click(*pixel(plot, bounds, x, y))
        assert settled_values(app, keys) == before
        assert not {"gd_x0", "gd_y0"} & set(app.url())
    assert_clean(app)


def test_the_keyboard_still_moves_the_point_after_a_click(app: AppPage) -> None:
    """After a click, ArrowRight on the slider moves the point one step; a click on another
    spot then sets it again."""
    app.open({"section": "hessian"})
    keys = ("pt_x", "pt_y")
    for spot, press in ((CLICKS[0], True), (CLICKS[2], False)):
        wanted = expected("curvature", spot)
        app.page.mouse.click(*plot_point(app.page, "curvature", spot))
        app.wait_until(lambda w=wanted: settled_values(app, keys) == w, f"the sliders at {wanted}")
        if press:
            app.press("pt_x")
            moved = {**wanted, "pt_x": expect.stepped("pt_x", wanted["pt_x"], 1)}
            app.wait_until(lambda m=moved: settled_values(app, keys) == m, f"the slider at {moved}")
            assert float(str(app.url()["pt_x"])) == moved["pt_x"]
    assert_clean(app)
