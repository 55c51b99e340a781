"""Predict, then see in Chromium (``vgui.predict``), on a desktop and on a 390x844 phone: the
"Predict first" toggle is off by default; with ``predict=1`` the chain's chart is covered while
the answer's picture and the counterexample stay; a depth typed and submitted with Enter (the
keyboard alone) reveals the chart with the verdict, whose expected depth the test computes by
the claims' oracle (a float32 layer loop); the toggle writes the flag into the link, and a
reload keeps it (a new session: the question is asked again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from claims import test_claims_chain as chain

from pagetools.driver import AppPage, new_app_page
from vgapp.page import PANELS

from .helpers import assert_clean

pytestmark = pytest.mark.browser

SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
SIDEWAYS_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def float32_first_zero() -> int:
    """The oracle: float32's first zero depth of the default chain, by the literal loop."""
    values = PANELS["chain"].defaults()
    wd, a = chain.dtype_forward(chain.weights_of(values), values["activation"], "float32")
    depth = chain.first_zero_depth(wd, a)
    assert depth is not None
    return depth


@pytest.fixture(params=sorted(SCREENS))
def screen(request, browser, app_server) -> Iterator[AppPage]:
    page = new_app_page(browser, app_server, **SCREENS[request.param])
    yield page
    page.close()


def charts(app: AppPage, panel: str) -> int:
    return app.panel(panel).get_by_test_id("stVegaLiteChart").count()


def predict_on(app: AppPage) -> bool:
    return bool(app.page.locator(".st-key-predict input[type='checkbox']").is_checked())


def test_off_by_default_and_the_toggle_writes_the_flag(screen: AppPage) -> None:
    app = screen
    app.open()
    assert not predict_on(app)
    assert charts(app, "chain") == 1
    assert app.page.locator(".st-key-predict_chain").count() == 0
    app.page.locator(".st-key-predict label").first.click()
    app.wait_until(lambda: predict_on(app), "the predict toggle")
    app.settle()
    app.wait_until(lambda: app.url().get("predict") == "1", "predict=1 in the link")
    assert charts(app, "chain") == 0
    assert app.page.evaluate(SIDEWAYS_JS) <= 1
    assert_clean(app)


@pytest.mark.parametrize("off_by", [0, 1])
def test_a_typed_depth_reveals_the_chain_with_the_oracles_verdict(
    screen: AppPage, off_by: int
) -> None:
    """``predict=1``: the picture and the counterexample are drawn, the chain's chart is not;
    a depth typed and sent with Enter reveals it, right or wrong by the oracle's depth; a
    reload keeps the flag and asks again."""
    app = screen
    truth = float32_first_zero()
    app.open({"predict": "1"})
    assert predict_on(app)
    assert charts(app, "stopped") == 1
    assert charts(app, "counterexample") == 1
    assert charts(app, "chain") == 0
    question = app.page.locator(".st-key-predict_chain")
    assert "Hidden until you answer the question above" in app.panel("chain").inner_text()
    box = question.locator("input[type='number']")
    box.fill(str(truth - off_by))
    box.press("Enter")
    reveal = app.panel("chain").locator("[data-testid='stAlert']").filter(has_text="You said")
    reveal.wait_for()
    app.settle()
    said = reveal.inner_text()
    if off_by:
        assert f"You said L = {truth - 1}; the page computes L = {truth}: " in said
    else:
        assert f"Right. You said L = {truth}; the page computes L = {truth}: " in said
    assert charts(app, "chain") == 1
    assert app.page.evaluate(SIDEWAYS_JS) <= 1
    assert app.url().get("predict") == "1"
    app.page.reload()
    app.settle()
    assert predict_on(app)
    assert app.url().get("predict") == "1"
    assert charts(app, "chain") == 0  # a new session: asked again
    assert_clean(app)
