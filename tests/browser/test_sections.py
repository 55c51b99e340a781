"""No value is lost in Chromium: moved in every section, kept while other sections are open, in
the widgets, the panels and the address bar, and found again from a copied link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from discovered import other_value

from bench.lab_in_page import STATUS_JS
from pagetools import expect
from pagetools.driver import AppPage, new_app_page, widget_kind
from vgapp.controls import Control
from vgapp.page import CONTROLS, LESSONS, SECTION_BY_KEY, SECTION_KEYS, lesson_values

from .helpers import assert_clean, assert_shows, widget_mismatches

pytestmark = pytest.mark.browser

LAB_DONE_MS = 120_000
"""How long the default lab's runs may take to finish on a loaded machine."""
RUNS_DONE_JS = (
    "() => { const v = Object.values((" + STATUS_JS + ")()); return v.length > 0 && "
    "v.every(x => !/^(step|starting|waiting for a free)/.test(x)); }"
)
"""The lab's runs are drawn and none trains or waits to (paused counts as training here)."""
TYPED = ("select", "segmented", "toggle", "number")
"""Widget kinds the driver sets to a value (``AppPage.choose``); a slider is stepped by a key."""


def moves(section: str) -> list[tuple[str, Any]]:
    """One move per kind of widget in the section, discovered from its controls: the last
    control of each kind that applies on its own, as (control, "ArrowRight" or the value chosen).
    A slider steps right by the keyboard, a select picks another option, a toggle is clicked, a
    number is typed, and segmented buttons are clicked through every option (the lab's chart
    choice through every chart of ``RUN_CHARTS``)."""
    last: dict[str, Control] = {}
    for control in SECTION_BY_KEY[section].controls:
        kind = widget_kind(control)
        steps = kind == "slider" and control.default < control.high
        if control.when is None and (steps or kind in TYPED):
            last[kind] = control
    found: list[tuple[str, Any]] = []
    for kind, control in last.items():
        if kind == "slider":
            found.append((control.key, "ArrowRight"))
        elif kind == "segmented":
            found += [(control.key, o) for o in control.options if o != control.default]
        else:
            found.append((control.key, other_value(control)))
    return found


MOVES = {section: moves(section) for section in SECTION_KEYS}
BACK_AND_FORTH = (*SECTION_KEYS[::2], *SECTION_KEYS[1::2], SECTION_KEYS[0])
"""Every section again, in an order other than the tabs', back to the first."""


def test_every_section_has_moves_of_every_kind_it_draws():
    """The moves cover each section, and every kind of widget the driver can set."""
    assert all(MOVES.values()), MOVES
    kinds = {widget_kind(CONTROLS[key]) for found in MOVES.values() for key, _ in found}
    assert {"slider", *TYPED} <= kinds


def move(app: AppPage, values: dict[str, Any], key: str, how: Any) -> None:
    """Make one move and record the value it sets; wait until its panel shows it. A live
    panel's move waits for its runs to finish first: a widget moved while a fragment redraws on
    its timer can be lost under load (Streamlit's run_every fragments; seen twice in the full
    suite), which the lab-in-class issue owns, not this test of values across sections."""
    if expect.panel_of(key) in expect.LIVE_PANELS:
        app.page.wait_for_function(RUNS_DONE_JS, timeout=LAB_DONE_MS, polling=250)
    if how == "ArrowRight":
        app.press(key)
        values[key] = expect.stepped(key, expect.full(values)[key], 1)
    else:
        app.choose(key, how)
        values[key] = CONTROLS[key].canonical(how)
    app.wait_for_panel(expect.panel_of(key), values)
    # A live panel's drawing tells no value apart: wait for the widget itself, so that the next
    # move is not sent while this one's run is still drawing.
    app.wait_until(
        lambda: key not in widget_mismatches(app, values, expect.section_of(key)),
        f"{key} to show {values[key]!r}",
    )


def test_values_survive_every_section_switch_and_a_reload(app: AppPage, browser, app_server):
    """A move in each section; then back and forth between sections, every value is still in
    its widget, its panel and the address bar; the copied address opens all of them again."""
    values: dict[str, Any] = {}
    app.open()
    for section, moves in MOVES.items():
        if section != SECTION_KEYS[0]:
            app.open_section(section)
        for key, how in moves:
            move(app, values, key, how)
        assert_shows(app, values, section)
    assert set(values) == {key for moves in MOVES.values() for key, _ in moves}
    for section in BACK_AND_FORTH:
        app.open_section(section)
        assert_shows(app, values, section)
    copied = app.page.url
    assert_clean(app)

    reloaded = new_app_page(browser, app_server)
    try:
        reloaded.page.goto(copied)
        reloaded.settle()
        assert reloaded.url_notice() is None
        assert_shows(reloaded, values, BACK_AND_FORTH[-1])
        for section in SECTION_KEYS[1:]:
            reloaded.open_section(section)
            assert_shows(reloaded, values, section)
        assert_clean(reloaded)
    finally:
        reloaded.close()


def test_a_lesson_opens_its_section_and_a_move_leaves_it(app: AppPage) -> None:
    """Clicking a lesson opens its section with its values (URL: the values and the lesson);
    moving one of its controls leaves the lesson and keeps the values."""
    lesson = next(key for key, found in LESSONS.items() if found.section == "descent")
    values = lesson_values(lesson)
    app.open()
    label = re.compile(f"^{re.escape(LESSONS[lesson].label)}$")
    app.page.locator(".st-key-lesson button").filter(has_text=label).click()
    app.wait_for_panel("descent", values)
    assert_shows(app, values, "descent", lesson)
    moved = dict(values)
    key, how = next(found for found in MOVES["descent"] if found[1] == "ArrowRight")
    move(app, moved, key, how)
    assert_shows(app, moved, "descent")
    assert_clean(app)
