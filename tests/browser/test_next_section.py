""" "Next" opens the next section at its top: the browser would keep the scroll position of the
section left, below the next one's introduction (``vgui.state.scroll_to_top_if_asked``)."""

from __future__ import annotations

import pytest

from pagetools.driver import new_app_page
from vgapp.page import SECTION_BY_KEY, SECTION_KEYS, next_section

from .helpers import assert_clean

pytestmark = pytest.mark.browser

SCROLLED_JS = """() => Math.max(window.scrollY,
  ...['stMain', 'stAppViewContainer'].map(
    id => document.querySelector(`[data-testid='${id}']`)?.scrollTop ?? 0))"""


def test_next_opens_the_next_section_at_its_top(browser, app_server) -> None:
    app = new_app_page(browser, app_server, viewport={"width": 1366, "height": 768})
    app.open()
    try:
        for key in SECTION_KEYS[:-1]:
            following = next_section(key)
            assert following is not None
            button = app.page.get_by_role("button", name=f"Next: {following.label}")
            button.scroll_into_view_if_needed()
            assert app.page.evaluate(SCROLLED_JS) > 100, "the page did not scroll to the button"
            button.click()
            app.page.get_by_test_id("stSidebar").get_by_text(
                f"Controls: {SECTION_BY_KEY[following.key].label}", exact=True
            ).wait_for()
            app.settle()
            app.page.wait_for_function(f"() => ({SCROLLED_JS})() < 2", timeout=5000)
            assert app.section() == following.key
        assert_clean(app)
    finally:
        app.close()
