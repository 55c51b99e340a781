"""Assertions shared by the browser tests: the page shows a state, and it stayed clean.

Expected values always come from ``pagetools.expect`` (the registry and the views).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bench.lab_in_page import STATUS_JS as LAB_STATUS_JS
from pagetools import expect
from pagetools.driver import AppPage, new_app_page
from vgapp.page import CONTROLS, SECTION_BY_KEY


def widget_mismatches(app: AppPage, values: Mapping[str, Any], section: str) -> dict[str, Any]:
    """The open section's widgets that do not show ``values`` (the rest at their defaults):
    ``{key: (shown, expected)}``. A control in a closed fold is not drawn: it must be at its
    default (a fold that holds another value opens)."""
    wanted = expect.full(values)
    folded = app.folded()
    keys = [c.key for c in SECTION_BY_KEY[section].controls if c.key not in folded]
    shown = app.control_values(keys)
    hidden = {
        key: ("folded", wanted[key])
        for key in folded & {c.key for c in SECTION_BY_KEY[section].controls}
        if wanted[key] != CONTROLS[key].default
    }
    return hidden | {
        key: (shown[key], wanted[key])
        for key in keys
        if not expect.same_value(CONTROLS[key], shown[key], wanted[key])
    }


def assert_shows(
    app: AppPage, values: Mapping[str, Any], section: str, lesson: str | None = None
) -> None:
    """The page shows ``section`` with every widget at ``values`` (the rest at their defaults),
    every panel as its view computes it, and the address bar says exactly that state."""
    app.wait_idle()
    assert app.section() == section
    mismatches = widget_mismatches(app, values, section)
    assert mismatches == {}, mismatches
    for panel in SECTION_BY_KEY[section].every_panel:
        expected = expect.signature(panel.key, values)
        if expected is not None:  # a live panel (the lab) shows its runs' progress
            assert app.signature(panel.key) == expected, panel.key
    assert app.url() == expect.query(values, section, lesson)


def assert_clean(app: AppPage) -> None:
    """No request left the local server, no error was logged, no exception is shown."""
    assert app.blocked == []
    assert app.console_errors == []
    assert app.page_errors == []
    assert app.page.get_by_test_id("stException").count() == 0


DOWNLOAD_KEYS_JS = """() => [...document.querySelectorAll("[class*='st-key-csv_']")]
    .map(e => [...e.classList].find(c => c.startsWith('st-key-csv_'))
                .slice('st-key-csv_'.length))"""


def menu_charts(app: AppPage, panel: str) -> list[str]:
    """The charts named in a panel's download menu: opened (it fills only while open), read,
    closed."""
    app.page.locator(f".st-key-downloads_{panel}").get_by_role("button").first.click()
    app.page.locator("[class*='st-key-csv_']").first.wait_for()
    names = list(app.page.evaluate(DOWNLOAD_KEYS_JS))
    app.page.keyboard.press("Escape")
    app.page.locator("[class*='st-key-csv_']").first.wait_for(state="detached")
    return names


def screen_sessions(
    browser: Any, app_server: Any, screens: Mapping[str, Mapping[str, Any]]
) -> Iterator[Callable[[str], AppPage]]:
    """For a module fixture: one session per screen (``screens``: name -> new_app_page's
    arguments), opened on first use, kept for the module and closed after it."""
    opened: dict[str, AppPage] = {}

    def get(name: str) -> AppPage:
        if name not in opened:
            opened[name] = new_app_page(browser, app_server, **screens[name])
            opened[name].open()
        return opened[name]

    yield get
    for app in opened.values():
        app.close()


TRAINS_A_WHILE = {
    "section": "lab",
    "lab_depth": 8,
    "lab_width": 48,
    "lab_eta": "1e-3",
    "lab_steps": 5000,
    "lab_eps": "off",
}
"""A lab setting whose runs both train their whole budget (no stopping rule, neither
overflows): about 15 s here, long enough to act on them while they train."""


def lab_statuses(app: AppPage) -> list[str]:
    """The status metric of your run and of the remedy's, as shown."""
    return list(app.page.evaluate(LAB_STATUS_JS).values())
