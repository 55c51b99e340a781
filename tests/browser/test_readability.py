"""Every section readable on three screens: a 1366x768 laptop, 1440x900 at 150 % zoom (a 960x600
viewport at device scale 1.5) and a 390x844 phone.

Fails on clipped text (a box that clips or ellipsizes text laid out beyond it; visible text
ending in "…", Vega's chart text included), on the page scrolling sideways, on chart text drawn
under 12 px, and, on the phone, on a 2-D surface whose plot is not square. The checks are
``pagetools.readability``; a failure lists every problem found in the section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pagetools import expect
from pagetools.driver import AppPage
from pagetools.readability import aspect_problems, text_problems
from vgapp.page import SECTION_KEYS

from .helpers import screen_sessions

pytestmark = pytest.mark.browser

SCREENS: dict[str, dict[str, Any]] = {
    "laptop": {"viewport": {"width": 1366, "height": 768}},
    "zoomed": {"viewport": {"width": 960, "height": 600}, "device_scale_factor": 1.5},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
SQUARE_ON = ("phone",)
"""Screens on which the 2-D surfaces must keep their square plot."""

# Page bugs found by this test and reported (file, line and fix in the report), by cause.
METRICS_CUT = "metric labels/values cut with an ellipsis (one st.columns column per metric)"
SURFACE_STRETCHED = (
    "the 2-D surface is drawn with width='stretch': plot not square, SVG wider than its column, "
    "axis labels cut"
)
LEGEND_CUT = "chart legends and reference-line labels run past the chart's right edge"
TITLES_CUT = "Vega cuts chart titles with an ellipsis (48-character lines in ~300 px charts)"
TABLE_CUT = "st.table header cells cut with an ellipsis"
PHONE_SCROLLS = "the page scrolls sideways (the 2-D surface's SVG is 427 px wide)"
KNOWN: dict[tuple[str, str], tuple[str, ...]] = {}


def cases() -> list:
    """Every (screen, section), the known page bugs marked as expected failures."""
    found = []
    for name in SCREENS:
        for section in SECTION_KEYS:
            known = KNOWN.get((name, section), ())
            reason = "page bug: " + "; ".join(known)
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if known else []
            found.append(pytest.param(name, section, marks=marks))
    return found


@pytest.fixture(scope="module")
def screen(browser, app_server) -> Iterator[Callable[[str], AppPage]]:
    """One session per screen, opened on first use and kept for the module."""
    yield from screen_sessions(browser, app_server, SCREENS)


@pytest.mark.parametrize(("name", "section"), cases())
def test_section_is_readable(screen, name, section) -> None:
    """No clipped text, no sideways scrolling, no chart text under 12 px (and on the phone,
    square surfaces) in the section."""
    app = screen(name)
    if app.section() != section:
        app.open_section(section)
    app.settle()
    assert app.blocked == []
    assert app.page_errors == []
    problems = text_problems(app.page)
    if name in SQUARE_ON and expect.square_charts(section):
        problems += aspect_problems(
            app.page, expect.chart_names(section), expect.square_charts(section)
        )
    assert problems == []
