"""Shared links in Chromium: a link opens exactly its state, silently; a hostile link gets the
notice, a working page and an address bar cleaned of what was refused."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from pagetools.driver import NOTICE, AppPage
from vgapp.page import CONTROLS, SECTION_KEYS, read_url

from .helpers import assert_clean, assert_shows

pytestmark = pytest.mark.browser

# Values away from the defaults in every section but the lab; the link opens "hessian".
SHARED: dict[str, Any] = {
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
LOWEST: dict[str, Any] = {"depth": 2, "w": -10.0, "gd_eta": 0.001, "c_exp": -300}
HOSTILE: dict[str, str | list[str]] = {
    "depth": "99999",
    "activation": "<script>alert(1)</script>",
    "w": "nan",
    "c_exp": "1e999",
    "gd_eta": "-0",
    "zz**bold**": "1",
    "fp_w": "9" * 500,
    "pt_x": ["0.5", "0.75"],
    "pt_y": "0.25",
    "lesson": "<img src=x onerror=alert(2)>",
    "section": "nowhere",
}


def link(values: dict[str, Any], section: str | None = None) -> str:
    query = {key: CONTROLS[key].url_text(value) for key, value in values.items()}
    return urlencode({**query, **({"section": section} if section else {})})


def test_shared_link_opens_that_state(app: AppPage) -> None:
    """A link with values in four sections opens its section with them, without a notice; the
    other sections hold their values too."""
    app.open(link(SHARED, "hessian"))
    assert app.url_notice() is None
    assert_shows(app, SHARED, "hessian")
    for section in ("answer", "floating_point", "descent"):
        app.open_section(section)
        assert_shows(app, SHARED, section)
    assert_clean(app)


def test_link_with_controls_at_their_lower_bound(app: AppPage) -> None:
    """A link may set a control to its lower bound, like any other value in range."""
    app.open(link(LOWEST))
    assert app.url_notice() is None
    assert_shows(app, LOWEST, "answer")
    app.open_section("descent")
    assert_shows(app, LOWEST, "descent")


def test_hostile_link_gets_the_notice_a_working_page_and_a_clean_address(app: AppPage) -> None:
    """Out-of-range, non-numeric, repeated, unknown, script and markdown parameters: the
    notice names each as ``read_url`` words it, nothing runs or renders as markup, every
    refused value is at its default, the accepted one is kept, the address bar keeps only it."""
    dialogs: list[str] = []
    app.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    query = urlencode(HOSTILE, doseq=True)
    values, section, lesson, notices = read_url(parse_qs(query, keep_blank_values=True))
    assert values == {"pt_y": 0.25}
    assert section is None
    assert lesson is None
    app.open(query)
    notice = app.url_notice()
    assert notice is not None
    assert f"{NOTICE}: " + "; ".join(notices) + "." in notice
    for markup in ("<script", "<img", "**"):
        assert markup not in notice
    assert app.page.locator("strong", has_text="bold").count() == 0
    assert app.page.locator("img[src='x']").count() == 0
    assert "Traceback" not in app.page.locator("body").inner_text()
    assert dialogs == []
    assert_shows(app, values, SECTION_KEYS[0])
    app.open_section("hessian")
    assert_shows(app, values, "hessian")
    assert_clean(app)
