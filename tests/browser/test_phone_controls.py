"""On a phone (390x844, device scale 3, touch) the open section's controls are reachable without
leaving the figure: the opened sidebar is a bottom sheet of at most half the screen
(``vgui.styles.PHONE_CSS``), and the panel's chart stays visible above it while a control in
the sheet is moved."""

from __future__ import annotations

from typing import Any

import pytest

from pagetools import expect
from pagetools.driver import AppPage, new_app_page
from vgapp.page import CONTROLS

from .helpers import assert_clean

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
SHEET_SHARE = 0.5
"""The opened sidebar covers at most this share of the phone's height."""
SECTION, PANEL, CONTROL, VALUE = "hessian", "curvature", "surface", "monkey"

# The part of the panel's first chart that a visitor sees: inside the screen, above the
# sidebar's sheet, and the element drawn there (hit-tested at its middle) is the chart itself.
CHART_SEEN_JS = """panel => {
  const chart = document.querySelector(`.st-key-panel-${panel} [data-testid='stVegaLiteChart']`);
  const sheet = document.querySelector("[data-testid='stSidebar']").getBoundingClientRect();
  const r = chart.getBoundingClientRect();
  const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, sheet.top, window.innerHeight);
  if (bottom - top < 1) return {seen: 0};
  const hit = document.elementFromPoint((r.left + r.right) / 2, (top + bottom) / 2);
  return {seen: bottom - top, height: r.height, hit: chart.contains(hit)};
}"""
SHEET_JS = """() => { const r = document.querySelector("[data-testid='stSidebar']")
    .getBoundingClientRect(); return {top: r.top, bottom: r.bottom, width: r.width}; }"""


def swipe_to(app: AppPage, panel: str) -> None:
    """Scroll the page (above the sheet) by a wheel turn until the panel's chart starts near
    the screen's top, as a visitor's swipe would."""
    chart = app.panel(panel).get_by_test_id("stVegaLiteChart").first
    app.page.mouse.move(195, 120)
    app.page.mouse.wheel(0, chart.bounding_box()["y"] - 60)
    app.wait_until(lambda: abs(chart.bounding_box()["y"] - 60) < 30, "the swipe to the chart")


def test_a_control_in_the_bottom_sheet_moves_the_chart_in_view_above_it(
    browser, app_server
) -> None:
    """Open a section, open the controls, swipe to the panel's chart, reach a control in the
    sheet (a choice: its list opened by a tap) and tap another option: at the moment of the
    tap and once the panel is redrawn, the chart is on the screen above the sheet (at least a
    third of it, hit-tested), and the sheet covers at most half of the screen, as wide as the
    screen, at its bottom."""
    app = new_app_page(browser, app_server, **PHONE)
    try:
        app.open()
        app.open_section(SECTION)
        app.page.get_by_test_id("stExpandSidebarButton").click()
        width, height = PHONE["viewport"]["width"], PHONE["viewport"]["height"]
        app.wait_until(  # the sheet slides in and widens (Streamlit's transition)
            lambda: app.sidebar_open() and app.page.evaluate(SHEET_JS)["width"] >= width - 1,
            "the controls to open",
        )
        app.settle()
        sheet = app.page.evaluate(SHEET_JS)
        assert sheet["bottom"] == pytest.approx(height, abs=1)
        assert sheet["bottom"] - sheet["top"] <= SHEET_SHARE * height
        swipe_to(app, PANEL)
        choice = app.reveal(CONTROL).locator("input[role='combobox']")
        choice.scroll_into_view_if_needed()  # within the sheet
        choice.tap()
        option = app.page.get_by_role("option", name=CONTROLS[CONTROL].label_of(VALUE), exact=True)
        option.wait_for()
        seen = app.page.evaluate(CHART_SEEN_JS, PANEL)
        assert seen["hit"], seen
        assert seen["seen"] >= seen["height"] / 3, seen
        option.tap()
        app.wait_for_panel(PANEL, {CONTROL: VALUE})
        app.wait_idle()
        assert app.sidebar_open()
        seen = app.page.evaluate(CHART_SEEN_JS, PANEL)
        assert seen["hit"], seen
        assert seen["seen"] >= seen["height"] / 3, seen
        assert app.url() == expect.query({CONTROL: VALUE}, SECTION)
        assert_clean(app)
    finally:
        app.close()
