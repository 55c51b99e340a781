"""Every kind of text on every section meets its WCAG contrast ratio, measured from the colours
the browser computes (``pagetools.contrast``): 4.5:1, 3:1 for large text; disabled controls
exempt; and every chart mark that carries meaning (line, rule, point, legend symbol) 3:1
against the chart's white. The lowest five ratios of each are printed (``-s``) for the closing
notes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pagetools.contrast import MARK_MIN, mark_contrasts, text_contrasts
from pagetools.driver import AppPage
from vgapp.page import SECTION_KEYS

from .helpers import screen_sessions

pytestmark = pytest.mark.browser


SCREENS: dict[str, dict[str, Any]] = {
    "projector": {"viewport": {"width": 1440, "height": 900}},
    "zoomed": {"viewport": {"width": 960, "height": 600}, "device_scale_factor": 1.5},
}
"""1440x900, and the same screen at 150 % zoom (a 960x600 viewport at device scale 1.5)."""


@pytest.fixture(scope="module")
def screen(browser, app_server) -> Iterator[Callable[[str], AppPage]]:
    """One session per screen, opened on first use and kept for the module."""
    yield from screen_sessions(browser, app_server, SCREENS)


@pytest.mark.parametrize("section", SECTION_KEYS)
@pytest.mark.parametrize("name", SCREENS)
def test_every_text_meets_its_contrast_ratio(screen, name: str, section: str) -> None:
    app = screen(name)
    if app.section() != section:
        app.open_section(section)
    app.settle()
    found = text_contrasts(app.page)
    assert found, "no text measured"
    print(f"\n{name}, {section}: lowest five", *[str(c) for c in found[:5]], sep="\n  ")
    marks = mark_contrasts(app.page)
    print(f"{name}, {section}: lowest five marks", *[str(c) for c in marks[:5]], sep="\n  ")
    below = [str(c) for c in found if c.ratio < c.needed]
    below += [str(c) for c in marks if c.ratio < MARK_MIN]
    assert below == []
