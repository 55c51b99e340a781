"""No value is lost in Chromium: moved in every section, kept while other sections are open, in
the widgets, the panels and the address bar, and found again from a copied link."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pagetools import expect
from pagetools.driver import AppPage, new_app_page
from vgapp.page import CONTROLS, LESSONS, SECTION_KEYS, lesson_values

from .helpers import assert_clean, assert_shows

pytestmark = pytest.mark.browser

# One move per kind of widget, in every section: (control, "ArrowRight" or the value chosen).
# Sliders step by the keyboard, a select picks an option, segmented buttons and a toggle are
# clicked, a number is typed.
MOVES: dict[str, list[tuple[str, Any]]] = {
    "answer": [("depth", "ArrowRight"), ("activation", "tanh")],
    "hessian": [("pt_x", "ArrowRight"), ("surface", "monkey")],
    "descent": [("gd_x0", "ArrowRight"), ("gd_rule", "armijo")],
    "floating_point": [("fp_dtype", "float16"), ("fp_w", 3.0)],
    "lab": [("lab_stagnation", False), ("lab_chart", "saturation")],
}
BACK_AND_FORTH = ("answer", "lab", "hessian", "floating_point", "descent", "answer")


def move(app: AppPage, values: dict[str, Any], key: str, how: Any) -> None:
    """Make one move and record the value it sets; wait until its panel shows it."""
    if how == "ArrowRight":
        app.press(key)
        values[key] = expect.stepped(key, expect.full(values)[key], 1)
    else:
        app.choose(key, how)
        values[key] = CONTROLS[key].canonical(how)
    app.wait_for_panel(expect.panel_of(key), values)


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
    move(app, moved, "gd_x0", "ArrowRight")
    assert_shows(app, moved, "descent")
    assert_clean(app)
