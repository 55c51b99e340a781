"""A teacher's class link in Chromium, on a desktop and on the 390x844 phone: only the sections
and controls it chooses are shown, the hidden control's value applies, the banner names what is
hidden; a reload, a lesson, "Next" and "Reset all controls" keep it; "Show everything" shows
everything (and the address bar drops the class view), "Back to the class view" restores it."""

from __future__ import annotations

from typing import Any

import pytest

from pagetools.driver import AppPage, new_app_page
from vgapp.classview import banner, read_class
from vgapp.page import CONTROLS, LESSONS, SECTION_BY_KEY, SECTION_KEYS, SECTIONS

from .helpers import assert_clean

pytestmark = pytest.mark.browser

LINK = {"show": "hessian,descent", "controls": "pt_x,gd_x0", "pt_y": "0.25"}
CLASS = {key: LINK[key] for key in ("show", "controls")}
VIEW = read_class({key: [value] for key, value in LINK.items()}, SECTIONS)[0]
SHOWN = ("hessian", "descent")
SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
PHONE_WIDTH = 500
SIDEBAR_KEYS_JS = """keys => keys.filter(key =>
    document.querySelector(`[data-testid='stSidebar'] .st-key-${key}`))"""


@pytest.fixture(params=sorted(SCREENS))
def screen(request, browser, app_server):
    app = new_app_page(browser, app_server, **SCREENS[request.param])
    yield app
    app.close()


def sections_offered(app: AppPage) -> list[str]:
    labels = app.page.locator(".st-key-section [role='radio']").all_inner_texts()
    return [key for key in SECTION_KEYS if SECTION_BY_KEY[key].label in map(str.strip, labels)]


def lessons_offered(app: AppPage) -> set[str]:
    labels = {t.strip() for t in app.page.locator(".st-key-lesson button").all_inner_texts()}
    return {key for key, lesson in LESSONS.items() if lesson.label in labels}


def sidebar_controls(app: AppPage) -> set[str]:
    """The controls drawn in the sidebar (its folds opened first: a closed fold draws none)."""
    return set(app.page.evaluate(SIDEBAR_KEYS_JS, sorted(CONTROLS)))


def banner_text(app: AppPage) -> str | None:
    found = app.page.locator(".st-key-class_banner [data-testid='stAlertContentInfo'] p")
    return found.first.inner_text().strip() if found.count() else None


def assert_class_view(app: AppPage, section: str, shown_controls: set[str]) -> None:
    """The class view as the link chose it: its two sections offered, its lessons only, only
    its controls of the open section in the sidebar, the banner's words, the link kept."""
    assert app.url_notice() is None
    assert sections_offered(app) == list(SHOWN)
    assert app.section() == section
    assert lessons_offered(app) == {k for k, v in LESSONS.items() if v.section in SHOWN}
    assert sidebar_controls(app) == shown_controls
    assert banner_text(app) == banner(VIEW, SECTIONS)
    url = app.url()
    assert {key: url.get(key) for key in CLASS} == CLASS


def open_sidebar_if_folded(app: AppPage) -> None:
    """On the phone the sidebar starts collapsed: open it as a visitor would."""
    if not app.sidebar_open():
        app.page.get_by_test_id("stExpandSidebarButton").click()
        app.wait_until(app.sidebar_open, "the controls to open")
        app.settle()


def fold_sidebar_on_a_phone(app: AppPage) -> None:
    """On the phone the opened sidebar is a sheet over the page's lower half: fold it away."""
    if app.page.viewport_size["width"] < PHONE_WIDTH and app.sidebar_open():
        app.page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
        app.wait_until(lambda: not app.sidebar_open(), "the controls to fold")


def test_a_class_link_shows_only_its_choice_through_reload_lesson_next_and_reset(
    screen: AppPage,
) -> None:
    app = screen
    app.open(LINK)
    assert_class_view(app, "hessian", {"pt_x"})
    values = {"pt_y": 0.25}
    app.wait_for_panel("curvature", values)  # the hidden control's value applies

    app.page.reload()
    app.settle()
    assert_class_view(app, "hessian", {"pt_x"})
    app.wait_for_panel("curvature", values)

    app.choose_lesson("saddle")
    app.wait_until(lambda: app.url().get("lesson") == "saddle", "the lesson in the link")
    app.settle()
    assert_class_view(app, "descent", {"gd_x0"})
    # descent is the last section shown: no "Next" (the lab after it is hidden)
    assert app.page.get_by_role("button", name="Next:").count() == 0

    app.open_section("hessian")
    following = app.page.get_by_role("button", name=f"Next: {SECTION_BY_KEY['descent'].label}")
    following.first.click()
    app.wait_until(lambda: app.url().get("section") == "descent", "Next to descent")
    app.settle()
    assert_class_view(app, "descent", {"gd_x0"})

    open_sidebar_if_folded(app)
    app.page.get_by_test_id("stSidebar").get_by_role(
        "button", name="Reset all controls"
    ).first.click()
    app.wait_until(lambda: "lesson" not in app.url(), "the reset")
    app.settle()
    assert_class_view(app, "descent", {"gd_x0"})

    fold_sidebar_on_a_phone(app)
    app.page.locator(".st-key-class_show_everything button:visible").first.click()
    app.wait_until(lambda: "show" not in app.url(), "show everything")
    app.settle()
    assert banner_text(app) is None
    assert sections_offered(app) == list(SECTION_KEYS)
    assert "controls" not in app.url()
    descent = {c.key for c in SECTION_BY_KEY["descent"].controls} - app.folded()
    assert sidebar_controls(app) == descent
    assert lessons_offered(app) == set(LESSONS)

    app.page.locator(".st-key-class_back button:visible").first.click()
    app.wait_until(lambda: app.url().get("show") == CLASS["show"], "back to the class view")
    app.settle()
    assert_class_view(app, "descent", {"gd_x0"})
    assert_clean(app)


def test_a_link_that_names_nothing_usable_shows_everything_and_says_so(app: AppPage) -> None:
    app.open({"show": "nowhere", "controls": "none"})
    notice = app.url_notice()
    assert notice is not None
    assert "show: unknown section “nowhere” ignored" in notice
    assert "every section is shown" in notice
    assert sections_offered(app) == list(SECTION_KEYS)
    assert sidebar_controls(app) == set()  # "none": every control hidden, the values apply
    assert app.url() == {"controls": "none"}
    assert_clean(app)


def test_the_teachers_fold_writes_a_link_that_opens_its_class_view(app: AppPage) -> None:
    """The sidebar's fold, as a teacher uses it: three sections removed, projector mode ticked;
    the link it shows keeps the page's settings, and opened, shows that choice (the controls'
    choice is written as the AppTest test of the builder checks)."""
    app.open({"depth": "50", "section": "hessian"})
    sidebar = app.page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Class link: choose what students see").click()
    app.settle()
    for key in ("answer", "floating_point", "lab"):
        label = SECTION_BY_KEY[key].label
        sidebar.get_by_role("button", name=f"Remove {label}", exact=True).first.click()
        app.settle()
    sidebar.locator(".st-key-class_link_flag_projector label").first.click()
    app.settle()
    query = "?depth=50&section=hessian&show=hessian,descent&projector=1"
    code = sidebar.get_by_test_id("stCode").first
    app.wait_until(lambda: code.inner_text().strip().endswith(query), "the link")
    link = code.inner_text().strip()
    assert link == app.server.url.rstrip("/") + "/" + query
    app.page.goto(link)
    app.settle()
    assert app.url_notice() is None
    assert sections_offered(app) == list(SHOWN)
    assert app.projector()
    assert sidebar_controls(app) == {"surface", "pt_x", "pt_y"}
    assert app.page.locator(".st-key-class_banner").count() == 1
    assert_clean(app)
