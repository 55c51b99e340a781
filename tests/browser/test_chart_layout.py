"""No chart text is cut or overlapping, on the screens a lecture uses: every title, subtitle,
legend entry, axis and on-chart label of every section (and of the lessons that change the
charts most) at 1440x900, at 150 % zoom of it (a 960x600 viewport at device scale 1.5) with the
sidebar open and collapsed, at 1366x768 and on a 390x844 phone.

Streamlit draws Vega-Lite as SVG here, so the check reads the boxes Chromium lays the chart's
``<text>`` elements out in (``pagetools.chart_layout``): no text ending in Vega's "…", no two
boxes overlapping (touching allowed), none outside the chart's element."""

from __future__ import annotations

from typing import Any

import pytest

from pagetools.chart_layout import chart_layouts, layout_problems
from pagetools.driver import AppPage, new_app_page, panel_scope
from vgapp.page import SECTION_BY_KEY, SECTION_KEYS

pytestmark = pytest.mark.browser

SCREENS: dict[str, dict[str, Any]] = {
    name: {"viewport": {"width": width, "height": height}, "device_scale_factor": scale}
    for name, width, height, scale in (
        ("1440x900", 1440, 900, 1.0),
        ("150 %, sidebar open", 960, 600, 1.5),
        ("150 %, sidebar collapsed", 960, 600, 1.5),
        ("1366x768", 1366, 768, 1.0),
        ("390x844", 390, 844, 1.0),
    )
}
"""A projector, the same at 150 % zoom (a 960x600 viewport at device scale 1.5), a laptop, a
phone."""
LESSONS_ON = {"1440x900": ("relu", "exploding"), "390x844": ("relu", "exploding")}
"""The lessons that change the chain chart most (all series on one line; overflow lanes),
on the widest and the narrowest screen (each lesson is a page load: the runtime stays bounded)."""
FITTED_JS = """quiet => {
  const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")];
  const fitted = charts.every(c => {
    const svg = c.querySelector('svg');
    return svg && svg.getBoundingClientRect().width <= c.getBoundingClientRect().width + 1;
  });
  return fitted && performance.now() - window.__vg.chartChange >= quiet;
}"""
"""Every chart drawn at its container's width and none redrawn for ``quiet`` ms (after the
sidebar folds the charts are redrawn wider)."""
QUIET_MS = 400
LIVE_TIMEOUT_MS = 8_000
"""The lab redraws while it trains: after this long its charts are read as they stand."""


def fitted(app: AppPage) -> None:
    app.settle()
    try:
        app.page.wait_for_function(FITTED_JS, arg=QUIET_MS, timeout=LIVE_TIMEOUT_MS, polling=100)
    except Exception:  # a live chart never rests: read it as drawn now (checked below)
        assert app.page.evaluate(FITTED_JS, 0), "a chart is wider than its container"


def show_section(app: AppPage, key: str) -> None:
    """Open a section by its button (the sidebar may be folded: nothing waits on it)."""
    section = SECTION_BY_KEY[key]
    app.page.locator(".st-key-section").get_by_role("radio", name=section.label).click()
    for panel in section.panels:
        app.page.locator(panel_scope(panel.key)).wait_for(state="attached")
    fitted(app)


def collapse_sidebar(app: AppPage) -> None:
    """Fold the sidebar by its button, as a visitor would (it shows while the pointer is over
    the sidebar)."""
    app.page.get_by_test_id("stSidebar").hover()
    app.page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    app.page.wait_for_function(
        "() => { const s = document.querySelector(\"[data-testid='stSidebar']\");"
        " return !s || s.getAttribute('aria-expanded') === 'false'"
        " || s.getBoundingClientRect().right <= 0; }"
    )


@pytest.mark.parametrize("screen", SCREENS)
def test_no_chart_text_is_cut_or_overlapping(browser, app_server, screen: str) -> None:
    app = new_app_page(browser, app_server, **SCREENS[screen])
    try:
        found: dict[str, list[str]] = {}
        app.open({"section": SECTION_KEYS[0]})
        if screen.endswith("collapsed"):
            collapse_sidebar(app)
        drawn = 0
        for key in SECTION_KEYS:
            show_section(app, key)
            drawn += len(chart_layouts(app.page))
            found[key] = layout_problems(app.page)
        for lesson in LESSONS_ON.get(screen, ()):
            app.open({"lesson": lesson})
            fitted(app)
            found[f"lesson {lesson}"] = layout_problems(app.page)
        assert drawn >= len(SECTION_KEYS), "the sections drew no charts"
        assert {k: v for k, v in found.items() if v} == {}
    finally:
        app.close()
