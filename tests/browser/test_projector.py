"""Projector mode in Chromium (``vgui.styles``): a toggle at the title's right and ``projector=1``
in the link; the sidebar collapsed, larger type, one panel per row, the lessons in a fold; at
150 % zoom the first screen holds the question, the answer and the answer's first chart; a
lesson, "Next" and "Reset all controls" keep the mode; every section readable in it."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs

import pytest

from pagetools import expect
from pagetools.contrast import text_contrasts
from pagetools.driver import NOTICE, AppPage, new_app_page
from pagetools.readability import text_problems
from vgapp.page import (
    ANSWER,
    LESSONS,
    QUESTION,
    SECTION_BY_KEY,
    SECTION_KEYS,
    lesson_values,
    read_url,
)

from .helpers import assert_clean

pytestmark = pytest.mark.browser

ON = {"projector": "1"}
HEADLINE = SECTION_BY_KEY[SECTION_KEYS[0]]
ZOOMED: dict[str, Any] = {"viewport": {"width": 960, "height": 600}, "device_scale_factor": 1.5}
"""1440x900 at 150 % zoom: a 960x600 CSS-px viewport at device scale 1.5."""
SCREENS: dict[str, dict[str, Any]] = {
    "projector": {"viewport": {"width": 1440, "height": 900}},
    "zoomed": ZOOMED,
}

ROOT_FONT_JS = "() => getComputedStyle(document.documentElement).fontSize"
# The first panel the page draws in the main area (the answer's picture once it leads the
# header), and the box of its first chart.
FIRST_CHART_JS = """() => {
  const panel = document.querySelector("[data-testid='stMain'] [class*='st-key-panel-']");
  const chart = panel?.querySelector("[data-testid='stVegaLiteChart']");
  if (!chart) return null;
  const r = chart.getBoundingClientRect();
  const key = [...panel.classList].find(c => c.startsWith('st-key-panel-'));
  return {panel: key, top: r.top, bottom: r.bottom, left: r.left, right: r.right};
}"""


def boxes(app: AppPage, keys: list[str]) -> list[dict[str, float]]:
    return [app.panel(key).bounding_box() for key in keys]


def stacked(app: AppPage) -> bool:
    """The headline panels one under the other (else side by side)."""
    upper, lower = boxes(app, [p.key for p in HEADLINE.panels])
    return upper["y"] + upper["height"] <= lower["y"]


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(url.partition("?")[2]).items()}


def test_a_projector_link_collapses_the_sidebar_enlarges_the_type_and_stacks_the_panels(
    app: AppPage,
) -> None:
    """``?projector=1``: the toggle on, the sidebar collapsed, 18 px type, the headline panels
    one per row, the link kept. Switched off: the sidebar opens (this browser never chose
    otherwise), 16 px type, the panels side by side again, the link without the flag."""
    app.open(ON)
    assert app.url_notice() is None
    assert app.projector()
    assert not app.sidebar_open()
    assert app.page.evaluate(ROOT_FONT_JS) == "18px"
    assert stacked(app)
    assert app.url() == ON
    app.switch_projector()
    app.wait_until(app.sidebar_open, "the sidebar to open")
    assert app.page.evaluate(ROOT_FONT_JS) == "16px"
    assert not stacked(app)
    assert app.url() == {}
    assert_clean(app)


def test_the_toggle_collapses_a_sidebar_the_visitor_opened_and_a_move_keeps_the_mode(
    app: AppPage,
) -> None:
    """A visitor who closed and opened the sidebar has a preference that Streamlit's page
    config no longer overrides: the toggle's script collapses it. Opened again in projector
    mode, a control's move (a fragment's rerun) keeps the sidebar open and the larger type."""
    app.open()
    page = app.page
    page.get_by_test_id("stSidebar").hover()  # the collapse button shows on hover
    page.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
    app.wait_until(lambda: not app.sidebar_open(), "the sidebar to close")
    page.get_by_test_id("stExpandSidebarButton").click()
    app.wait_until(app.sidebar_open, "the sidebar to open")
    app.switch_projector()
    app.wait_until(lambda: not app.sidebar_open(), "the projector toggle to close the sidebar")
    assert app.url() == ON
    page.get_by_test_id("stExpandSidebarButton").click()
    app.wait_until(app.sidebar_open, "the sidebar to open in projector mode")
    app.press("depth")
    values = {"depth": expect.stepped("depth", expect.full()["depth"], 1)}
    app.wait_for_panel("chain", values)
    app.wait_idle()
    assert app.sidebar_open()
    assert app.page.evaluate(ROOT_FONT_JS) == "18px"
    assert stacked(app)
    assert app.url() == {**expect.query(values), **ON}
    assert_clean(app)


@pytest.mark.parametrize("text", ["yes", "2", "<b>1</b>"])
def test_a_refused_projector_value_gets_the_notice_and_is_ignored(app: AppPage, text) -> None:
    """Checked like every parameter: the notice names it, the page stays in its normal view,
    the other parameters are kept and the address bar drops the refused one."""
    query = {"projector": text, "depth": "50"}
    notices = read_url({key: [value] for key, value in query.items()})[3]
    assert len(notices) == 1
    app.open(query)
    notice = app.url_notice()
    assert notice is not None
    assert f"{NOTICE}: {notices[0]}." in notice
    assert not app.projector()
    assert app.sidebar_open()
    assert app.url() == {"depth": "50"}
    assert_clean(app)


def test_a_lesson_next_and_reset_keep_projector_mode_and_the_lesson_link_holds_it(
    app: AppPage, browser, app_server
) -> None:
    """In projector mode: a lesson (from the lessons' fold), "Next" and "Reset all controls"
    (from the sidebar, opened) each leave the mode on and ``projector=1`` in the address; the
    lesson's link opens the lesson in projector mode in a new session."""
    app.open(ON)
    lesson = "saddle"
    values = lesson_values(lesson)
    section = LESSONS[lesson].section
    app.choose_lesson(lesson)
    app.wait_for_panel(section, values)
    app.wait_idle()
    assert app.section() == section
    assert app.projector()
    lesson_link = app.page.url
    assert query_of(lesson_link) == {**expect.query(values, section, lesson), **ON}

    following = SECTION_BY_KEY[SECTION_KEYS[SECTION_KEYS.index(section) + 1]]
    app.page.get_by_role("button", name=f"Next: {following.label}").click()
    app.page.get_by_test_id("stSidebar").get_by_text(
        f"Controls: {following.label}", exact=True
    ).wait_for(state="attached")
    app.wait_idle()
    assert app.projector()
    assert app.url() == {**expect.query(values, following.key, lesson), **ON}

    app.page.get_by_test_id("stExpandSidebarButton").click()
    app.page.get_by_test_id("stSidebar").get_by_role("button", name="Reset all controls").click()
    app.wait_until(lambda: app.url() == {"section": following.key, **ON}, "the reset's URL")
    app.wait_idle()
    assert app.projector()
    assert_clean(app)

    shared = new_app_page(browser, app_server)
    try:
        shared.page.goto(lesson_link)
        shared.settle()
        shared.wait_for_panel(section, values)
        assert shared.url_notice() is None
        assert shared.projector()
        assert not shared.sidebar_open()
        fold = shared.page.locator(".st-key-lessons_fold").inner_text()
        assert f"Lesson: {LESSONS[lesson].label}" in fold
        assert_clean(shared)
    finally:
        shared.close()


@pytest.mark.parametrize("lesson", [None, "source"])
def test_at_150_percent_the_first_screen_holds_the_question_the_answer_and_a_chart(
    browser, app_server, lesson
) -> None:
    """1440x900 at 150 % zoom in projector mode, by default and in the first lesson: the
    toggle, the question, the answer and the first chart of the first panel drawn are inside
    the first 960x600 screen; the title's row clears the sidebar's expand button it sits
    beside."""
    app = new_app_page(browser, app_server, **ZOOMED)
    try:
        app.open({**ON, "lesson": lesson} if lesson else ON)
        height, width = ZOOMED["viewport"]["height"], ZOOMED["viewport"]["width"]
        page = app.page
        inside = {}
        for name, part in {
            "toggle": page.locator(".st-key-projector"),
            "question": page.locator("strong", has_text=QUESTION),
            "answer": page.get_by_test_id("stMarkdownContainer").filter(has_text=ANSWER),
        }.items():
            box = part.bounding_box()
            inside[name] = box["y"] >= 0 and box["y"] + box["height"] <= height
        assert inside == {"toggle": True, "question": True, "answer": True}
        chart = page.evaluate(FIRST_CHART_JS)
        assert chart is not None
        assert 0 <= chart["top"] <= chart["bottom"] <= height, chart
        assert 0 <= chart["left"] <= chart["right"] <= width, chart
        expand = page.get_by_test_id("stExpandSidebarButton").bounding_box()
        title = page.locator(".st-key-title_row h4").bounding_box()
        assert expand["x"] + expand["width"] <= title["x"]
        assert_clean(app)
    finally:
        app.close()


@pytest.fixture(scope="module")
def projected(browser, app_server) -> Iterator[dict[str, AppPage]]:
    """One projector-mode session per screen, kept for the module."""
    opened = {name: new_app_page(browser, app_server, **screen) for name, screen in SCREENS.items()}
    for app in opened.values():
        app.open(ON)
    yield opened
    for app in opened.values():
        app.close()


@pytest.mark.parametrize("section", SECTION_KEYS)
@pytest.mark.parametrize("name", SCREENS)
def test_every_section_is_readable_in_projector_mode(projected, name: str, section: str):
    """No clipped or ellipsized text (chart titles included), no sideways scrolling, no chart
    text under 12 px, every text at its contrast ratio, and the panels one per row."""
    app = projected[name]
    if app.section() != section:
        app.open_section(section)
    app.settle()
    assert app.projector()
    assert app.page_errors == []
    assert text_problems(app.page) == []
    below = [str(c) for c in text_contrasts(app.page) if c.ratio < c.needed]
    assert below == []
    panels = boxes(app, [p.key for p in SECTION_BY_KEY[section].panels])
    for upper, lower in pairwise(panels):
        assert upper["y"] + upper["height"] <= lower["y"]
