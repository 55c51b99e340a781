"""Shared links in Chromium: a link opens exactly its state; a hostile link gets a notice."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from vgapp.controls import check_query_params
from vgapp.page import LESSON_CONTROL

from .helpers import CONTROLS, AppPage, default_values, expected_metrics, new_app_page

pytestmark = pytest.mark.browser

# Values away from the defaults in every panel; option keys that are also their labels.
SHARED = {
    "c_exp": -40,
    "p_exp": 120,
    "depth": 123,
    "activation": "tanh",
    "w": 0.5,
    "pt_y": 0.25,
    "gd_iters": 50,
    "fp_dtype": "float16",
    "fp_grad_exp": -5,
}

HOSTILE = {
    "depth": "99999",
    "activation": "<script>alert(1)</script>",
    "w": "nan",
    "c_exp": "1e999",
    "gd_eta": "-0",
    "zz**bold**": "1",
    "fp_w": "9" * 500,
    "lesson": "<img src=x onerror=alert(2)>",
}


def test_shared_link_opens_that_state(app: AppPage) -> None:
    """A link with parameters sets every named control, and the metrics follow, silently."""
    app.open(urlencode(SHARED))
    state = {**default_values(), **SHARED}
    assert app.controls_show(state)
    assert app.all_metrics() == expected_metrics(state)
    assert app.url_notice() is None
    assert dict(part.split("=") for part in app.query().split("&")) == {
        key: str(value) for key, value in SHARED.items()
    }


def test_link_with_controls_at_their_lower_bound(app: AppPage) -> None:
    """A link may set a control to its lower bound, like any other value in range."""
    lowest = {"depth": 2, "w": -10.0, "gd_eta": 0.001}
    app.open(urlencode(lowest))
    assert app.url_notice() is None
    assert app.controls_show({**default_values(), **lowest})


def test_link_copied_from_the_address_bar_reopens_the_same_page(
    app: AppPage, browser, app_server
) -> None:
    """Moving controls, then opening the address bar's URL in a new session, gives the same
    controls and metrics, with no notice."""
    app.open()
    app.control("w_mode").get_by_role("radio").last.click()  # random normal weights
    app.wait_until(lambda: app.control_value("w_mode") == "random", "random weights")
    app.settle()
    thumb = app.control("depth").locator("input[type='range']")
    thumb.focus()
    thumb.press("ArrowLeft")
    app.wait_until(lambda: "depth=" in app.query(), "the depth in the URL")
    app.settle()
    shown = {key: app.control_value(key) for key in CONTROLS}
    metrics = app.all_metrics()

    other = new_app_page(browser, app_server)
    try:
        other.open(app.query())
        assert other.url_notice() is None
        assert other.controls_show(shown)
        assert other.all_metrics() == metrics
    finally:
        other.close()


def test_hostile_link_shows_the_notice_not_a_traceback(app: AppPage) -> None:
    """Out-of-range, non-numeric, script and markdown parameters give the notice that
    ``check_query_params`` words, keep every default and run nothing."""
    dialogs: list[str] = []
    app.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    app.open(urlencode(HOSTILE))
    _, notices = check_query_params(HOSTILE, {**CONTROLS, "lesson": LESSON_CONTROL})
    notice = app.url_notice()
    assert notice is not None
    assert "Some settings in this link could not be used: " + "; ".join(notices) in notice
    assert "<script" not in notice and "**" not in notice
    assert app.page.locator("strong", has_text="bold").count() == 0
    assert app.page.get_by_test_id("stException").count() == 0
    assert "Traceback" not in app.page.locator("body").inner_text()
    assert dialogs == []
    assert app.controls_show(default_values())
    assert app.all_metrics() == expected_metrics(default_values())
    assert app.console_errors == []
