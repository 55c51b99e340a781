"""The default page in Chromium at 1440x900: layout, errors, offline, accessibility, downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vgcore.chain import chain_gradient, chain_log10_abs_gradient, make_weights

from .harness import REPO_ROOT, VIEWPORT
from .helpers import (
    CONTROLS,
    DOWNLOADS,
    HEADLINE_PANELS,
    AppPage,
    default_values,
    expected_frames,
    expected_metrics,
    new_app_page,
    open_expanders,
)

pytestmark = pytest.mark.browser

SCREENSHOT = REPO_ROOT / "docs" / "screenshot.png"
# Panels laid out side by side share their top edge up to sub-pixel rounding.
LAYOUT_TOL_PX = 1.0
WIDGETS = (
    "stSlider",
    "stNumberInput",
    "stSelectbox",
    "stButtonGroup",
    "stCheckbox",
    "stToggle",
    "stRadio",
    "stTextInput",
    "stMultiSelect",
)


@pytest.fixture(scope="module")
def default_page(browser, app_server) -> Iterator[AppPage]:
    """The page as a visitor first sees it, loaded once for the read-only checks below."""
    app = new_app_page(browser, app_server)
    app.open()
    yield app
    app.close()


def test_both_headline_panels_side_by_side_without_scrolling(default_page: AppPage) -> None:
    """Both headline panels start side by side; their title, chart and metrics fit 1440x900."""
    boxes = {name: default_page.panel(name).bounding_box() for name in HEADLINE_PANELS}
    left, right = boxes["counterexample"], boxes["chain"]
    assert abs(left["y"] - right["y"]) <= LAYOUT_TOL_PX
    assert left["x"] + left["width"] <= right["x"]
    assert right["x"] + right["width"] <= VIEWPORT["width"]
    for name in HEADLINE_PANELS:
        panel = default_page.panel(name)
        parts = {
            "title": panel.get_by_test_id("stHeading").first,
            "chart": panel.get_by_test_id("stVegaLiteChart").first,
            "metrics": panel.get_by_test_id("stMetric").last,
        }
        for part, locator in parts.items():
            box = locator.bounding_box()
            assert box is not None, f"{name}: no {part}"
            assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"], (
                f"{name}: the {part} ends at y = {box['y'] + box['height']:.0f} px, "
                f"below the {VIEWPORT['height']} px viewport"
            )
    scrolled = default_page.page.evaluate(
        "() => [window.scrollY, document.querySelector(\"[data-testid='stMain']\").scrollTop]"
    )
    assert scrolled == [0, 0]


def test_default_metrics_are_the_views_values(default_page: AppPage) -> None:
    """Every metric on the default page reads exactly what ``vgapp.views`` computes."""
    assert default_page.all_metrics() == expected_metrics(default_values())


def test_no_exception_and_no_console_error(default_page: AppPage) -> None:
    """The default page shows no exception element, logs no console or page error and draws
    every chart."""
    assert default_page.undrawn_charts() == [], f"page errors: {default_page.page_errors}"
    assert default_page.page.get_by_test_id("stException").count() == 0
    assert default_page.page.get_by_test_id("stAlertContentError").count() == 0
    assert default_page.console_errors == []
    assert default_page.page_errors == []


def test_sidebar_widgets_have_label_and_help(default_page: AppPage) -> None:
    """Every sidebar widget has a visible, non-empty label and a help tooltip icon."""
    sidebar = default_page.page.get_by_test_id("stSidebar")
    opened = open_expanders(sidebar)
    try:
        widgets = sidebar.locator(
            ":is(" + ", ".join(f"[data-testid='{w}']" for w in WIDGETS) + ")"
        ).all()
        assert len(widgets) >= len(CONTROLS)
        for widget in widgets:
            label = widget.get_by_test_id("stWidgetLabel").first
            text = label.inner_text().strip()
            assert text, f"a sidebar widget has an empty label: {widget.inner_html()[:200]}"
            assert label.is_visible(), f"the label {text!r} is not visible"
            assert widget.get_by_test_id("stTooltipIcon").count() == 1, f"no help icon: {text!r}"
    finally:
        for summary in opened:  # back to the default page for the screenshot
            summary.click()


def test_every_chart_is_followed_by_a_caption(default_page: AppPage) -> None:
    """Each chart has a text alternative: a non-empty caption after it, before the next chart."""
    charts = default_page.page.evaluate(
        """() => {
            const all = [...document.querySelectorAll(
                "[data-testid='stVegaLiteChart'], [data-testid='stCaptionContainer']")];
            return all.flatMap((el, i) => {
                if (el.dataset.testid !== 'stVegaLiteChart') return [];
                const next = all[i + 1];
                const caption = next && next.dataset.testid === 'stCaptionContainer'
                    ? next.textContent.trim() : '';
                return [[el.getAttribute('aria-label') || `chart #${i + 1}`, caption]];
            });
        }"""
    )
    assert len(charts) >= 6
    assert [name for name, caption in charts if not caption] == []


def test_every_chart_download_is_checked(default_page: AppPage) -> None:
    """The page's CSV buttons are exactly the charts whose data the next test checks."""
    keys = default_page.page.locator("[class*='st-key-download_']").evaluate_all(
        "els => els.map(e => [...e.classList].find(c => c.startsWith('st-key-download_')))"
    )
    shown = {key.removeprefix("st-key-download_") for key in keys}
    assert shown == set(expected_frames(default_values()))
    assert shown <= set(DOWNLOADS)


@pytest.mark.parametrize("name", DOWNLOADS)
def test_csv_download_delivers_the_chart_data(default_page: AppPage, name: str) -> None:
    """The CSV button of a chart downloads exactly the frame behind that chart."""
    if name not in expected_frames(default_values()):
        pytest.skip(f"no {name} chart in the default state")
    button = default_page.page.locator(f".st-key-download_{name} button")
    with default_page.page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == f"{name}.csv"
    delivered = Path(download.path()).read_bytes()
    expected = expected_frames(default_values())[name].to_csv(index=False).encode()
    assert delivered == expected


def test_chain_csv_holds_the_core_gradients(default_page: AppPage) -> None:
    """The chain CSV's per-layer gradients are ``vgcore``'s, bit for bit after the CSV trip."""
    values = default_values()
    with default_page.page.expect_download() as info:
        default_page.page.locator(".st-key-download_chain button").click()
    table = pd.read_csv(info.value.path())
    weights = make_weights(values["depth"], "constant", w=values["w"])
    assert table["layer"].tolist() == list(range(1, values["depth"] + 1))
    for dtype in ("float16", "float32", "float64"):
        core = chain_gradient(weights, values["activation"], dtype).astype(np.float64)
        np.testing.assert_array_equal(table[dtype].to_numpy(), core)
    exact = chain_log10_abs_gradient(weights, values["activation"])
    np.testing.assert_array_equal(table["log10_abs_exact"].to_numpy(), exact)


def test_toolbar_is_minimal(default_page: AppPage) -> None:
    """The hardened toolbar mode shows no deploy button."""
    assert default_page.page.get_by_test_id("stAppDeployButton").count() == 0


def test_full_page_screenshot_is_refreshed(default_page: AppPage) -> None:
    """docs/screenshot.png is the whole default page, every chart drawn (the main area scrolls
    inside its own container, so the viewport is grown to the content's height first)."""
    page = default_page.page
    height = page.evaluate(
        """() => Math.max(...["stMain", "stSidebarContent", "stAppViewContainer"].map(id =>
              document.querySelector(`[data-testid='${id}']`)?.scrollHeight ?? 0))"""
    )
    assert height > VIEWPORT["height"]
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    try:
        default_page.settle()
        assert default_page.undrawn_charts() == [], "not refreshing a screenshot of a broken page"
        main = "document.querySelector(\"[data-testid='stMain']\")"
        assert page.evaluate(f"() => {main}.scrollHeight <= {main}.clientHeight")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOT, full_page=True)
    finally:
        page.set_viewport_size(VIEWPORT)
    png = SCREENSHOT.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    size = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert size == (VIEWPORT["width"], height)


def test_no_request_leaves_the_local_server(default_page: AppPage) -> None:
    """No CDN font, icon, script or telemetry: through every test above, then opening every
    expander and a dropdown, hovering a help icon and a chart and moving a slider, the page
    requested nothing but the local server. (Last: it changes the page.)"""
    app = default_page
    sidebar = app.page.get_by_test_id("stSidebar")
    open_expanders(sidebar)
    app.open_dropdown("activation")
    app.page.keyboard.press("Escape")
    sidebar.get_by_test_id("stTooltipIcon").first.hover()
    app.page.get_by_role("tooltip").first.wait_for()
    app.page.get_by_test_id("stVegaLiteChart").first.hover()
    depth = app.control("depth").locator("input[type='range']")
    depth.focus()
    depth.press("ArrowLeft")
    app.wait_until(lambda: app.control_value("depth") != default_values()["depth"], "the slider")
    app.settle()
    assert app.blocked == []
    assert app.console_errors == []
