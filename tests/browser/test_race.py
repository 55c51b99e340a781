"""The descent panel's race (``gd_race``): starts added with the sidebar's button show in the URL,
on the chart (its caption) and in the race's table; a reload keeps them; a start is removed and
the race cleared by their buttons. On a desktop and on the 390x844 phone (the sidebar a sheet)."""

from __future__ import annotations

from typing import Any

import pytest

from pagetools import expect
from pagetools.chart_layout import layout_problems
from pagetools.driver import AppPage, new_app_page
from vgapp.page import EXTRAS, lesson_values

from .helpers import assert_clean
from .test_phone_controls import PHONE

pytestmark = pytest.mark.browser

RACE = EXTRAS["gd_race"]
VIEWPORTS = {"desktop": {}, "phone": PHONE}
TOUCH_PX = 24
"""Smallest side of a button a finger must hit (WCAG 2.2, 2.5.8)."""


def race_in_url(app: AppPage) -> tuple[tuple[float, float], ...]:
    text = app.url().get(RACE.key)
    return () if text is None else RACE.parse(str(text))


def button(app: AppPage, key: str) -> Any:
    return app.page.locator(f"[data-testid='stSidebar'] .st-key-{key} button:visible").first


def panel_text(app: AppPage) -> str:
    return str(app.panel("descent").inner_text())


def wait_race(app: AppPage, starts: tuple[tuple[float, float], ...]) -> None:
    """The URL holds ``starts``, and the panel shows what its view computes for them."""
    app.wait_until(lambda: race_in_url(app) == starts, f"the URL to hold the race {starts}")
    values = {"gd_race": starts, "gd_x0": app.control_value("gd_x0")}
    app.wait_for_panel("descent", values)
    view = expect.view_of("descent", values)
    text = panel_text(app)
    if starts:
        [table] = [b for b in view.blocks if type(b).__name__ == "Table"]
        assert table.title in text
        for cell in table.frame["start"]:
            assert cell in text
        assert f"Also drawn: the race's {len(starts)} start" in text
    else:
        assert "Also drawn" not in text


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_starts_added_show_in_the_url_and_the_chart_and_survive_a_reload(
    browser, app_server, device
) -> None:
    app = new_app_page(browser, app_server, **VIEWPORTS[device])
    try:
        app.open({"section": "descent"})
        if device == "phone":
            app.page.get_by_test_id("stExpandSidebarButton").click()
            app.wait_until(app.sidebar_open, "the controls to open")
        button(app, "gd_race_add").click()
        wait_race(app, ((0.6, -0.6),))
        assert button(app, "gd_race_add").is_disabled()  # the same start twice: no
        app.press("gd_x0", "ArrowLeft")  # 0.6 → 0.55
        app.wait_until(lambda: app.control_value("gd_x0") == 0.55, "the start to move")
        app.settle()
        button(app, "gd_race_add").click()
        both = ((0.6, -0.6), (0.55, -0.6))
        wait_race(app, both)
        app.page.reload()
        app.settle()
        wait_race(app, both)
        for key in ("gd_race_add", "gd_race_remove_0", "gd_race_remove_1", "gd_race_clear"):
            box = button(app, key).bounding_box()
            assert box is not None
            assert min(box["height"], box["width"]) >= TOUCH_PX, key  # a finger can hit it
        button(app, "gd_race_remove_0").click()
        wait_race(app, ((0.55, -0.6),))
        button(app, "gd_race_clear").click()
        wait_race(app, ())
        assert app.url_notice() is None
        assert_clean(app)
    finally:
        app.close()


def test_a_bad_race_in_a_link_is_named_and_the_rest_kept(app: AppPage) -> None:
    """A start off the grid, one out of range and a repeated one are named in the link's
    notice; the valid starts are drawn."""
    app.open({"section": "descent", "gd_race": "0.6_-0.55~0.61_0~3_0~0.6_-0.55~-0.6_0.6"})
    notice = app.url_notice()
    assert notice is not None
    assert RACE.label in notice
    assert "0.61 0" in notice
    assert "3 0" in notice
    assert "repeated start (0.6, -0.55)" in notice
    wait_race(app, ((0.6, -0.55), (-0.6, 0.6)))
    assert_clean(app)


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_the_race_lessons_chart_text_is_neither_cut_nor_overlapping(
    browser, app_server, device
) -> None:
    """The race lesson's chart (three race starts, their legend under the contour's key): no
    title, legend entry or axis label cut or overlapping, on a desktop and on the phone."""
    app = new_app_page(browser, app_server, **VIEWPORTS[device])
    try:
        app.open({"lesson": "race"})
        app.wait_for_panel("descent", lesson_values("race"))
        assert "race starts" in str(app.panel("descent").inner_html())
        assert layout_problems(app.page) == []
        assert_clean(app)
    finally:
        app.close()
