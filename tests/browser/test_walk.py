"""The backward walk under the chain panel, in Chromium: its fold opens the walk; the step
buttons move the layer cursor, and the shown layer, its factor wₖ·σ′(zₖ) and the URL follow (the
factor computed here by a literal float64 loop over the sigmoid chain, formatted here); a link
with the layer reopens it there; Play walks on by itself. At 1440x900 and on a 390x844 phone."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from pagetools.driver import AppPage, new_app_page
from pagetools.readability import text_problems
from vgapp.page import PANELS

from .helpers import assert_clean
from .test_phone_controls import PHONE

pytestmark = pytest.mark.browser

DEPTH, W = 30, 0.5
"""A sigmoid chain of 30 layers, every weight 0.5: every layer is a stop of the cursor."""
FOLD = "Walk the backward pass, layer by layer"
PANEL = PANELS["chain"]
_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def factor_text(layer: int) -> str:
    """w_k·σ′(z_k) of the chain o₁ = w, oᵢ = σ(w·oᵢ₋₁), by a literal loop in float64, written
    with 4 significant digits as ``2.247 × 10⁻¹``."""
    o = W
    factor = math.nan
    for _ in range(2, layer + 1):
        z = W * o
        s = 1 / (1 + math.exp(-z))
        o, factor = s, W * s * (1 - s)
    exponent = math.floor(math.log10(factor))
    mantissa = factor / 10**exponent
    return f"{mantissa:.3f} × 10{str(exponent).translate(_SUP)}"


def chain_view() -> Any:
    """The chain panel's view at this test's setting (its chart is what a rerun would resend)."""
    values = {**PANEL.defaults(), "depth": DEPTH, "w": W}
    return PANEL.view(**PANEL.arguments(values))


def layer_sentence(layer: int) -> str:
    return f"Layer {layer} multiplies the gradient by w{str(layer).translate(_SUB)}"


def walk_box(app: AppPage) -> Any:
    return app.page.locator(".st-key-walk_box")


def shown_layer(app: AppPage) -> int:
    """The layer the walk's slider shows."""
    thumb = walk_box(app).locator("input[type='range']").first
    return int(thumb.get_attribute("aria-valuetext") or "0")


def open_walk(app: AppPage) -> None:
    app.page.get_by_text(FOLD, exact=True).first.click()
    walk_box(app).wait_for()
    app.settle()


def wait_for_layer(app: AppPage, layer: int) -> None:
    """Until the walk states ``layer``'s factor as the loop computes it."""
    wanted = f"{layer_sentence(layer)}·σ′(z{str(layer).translate(_SUB)}) = {factor_text(layer)}"
    app.wait_until(lambda: wanted in walk_box(app).inner_text(), f"layer {layer}: {wanted}")
    app.settle()


def press(app: AppPage, name: str) -> None:
    """Click a walk button. While the walk plays, its fragment redraws every tick (the button
    may be replaced between Playwright's checks): a click is tried again on a new element."""
    button = walk_box(app).locator(f".st-key-walk_{name} button:visible").first
    for attempt in range(20):
        try:
            button.click(timeout=2000)
            return
        except Exception:
            if attempt == 19:
                raise


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_steps_move_the_layer_the_factor_and_the_url(browser, app_server, viewport) -> None:
    """Open the fold: the walk stands at the top layer L; Down twice and Up once: each time the
    slider, the sentence's factor (the literal loop's) and the URL's ``walk_layer`` follow, and
    the server sends less than half the chain chart's spec (the walk's fragment alone reran);
    a reload of that URL shows the same layer with the fold open, and the slider's arrow key
    moves it one layer further back; no text is clipped and the page does not scroll sideways."""
    options = PHONE if viewport == "phone" else {}
    app = new_app_page(browser, app_server, **options)
    try:
        app.open({"depth": DEPTH, "w": W})
        open_walk(app)
        wait_for_layer(app, DEPTH)
        assert shown_layer(app) == DEPTH
        assert "walk_layer" not in app.url()  # the top is the default
        chart_bytes = len(json.dumps(chain_view().chart("chain").spec, ensure_ascii=False))
        for button, layer in (("down", DEPTH - 1), ("down", DEPTH - 2), ("up", DEPTH - 1)):
            app.page.evaluate("() => Object.assign(window.__vg, {bytes: 0, messages: 0})")
            press(app, button)
            wait_for_layer(app, layer)
            app.wait_idle()
            sent = app.page.evaluate("() => window.__vg.bytes")
            assert sent < chart_bytes / 2, (sent, chart_bytes)  # the walk alone was redrawn
            assert shown_layer(app) == layer
            app.wait_until(lambda: app.url().get("walk_layer") == str(layer), "the URL")  # noqa: B023
        url = app.page.url
        app.page.goto(url)
        app.settle()
        walk_box(app).wait_for()  # the fold opened by itself: it holds a layer
        wait_for_layer(app, DEPTH - 1)
        assert shown_layer(app) == DEPTH - 1
        assert app.url()["walk_layer"] == str(DEPTH - 1)
        thumb = walk_box(app).locator("input[type='range']").first
        thumb.focus()
        thumb.press("ArrowRight")  # the slider runs from L (left) down to 1 (right)
        wait_for_layer(app, DEPTH - 2)
        app.wait_until(lambda: app.url().get("walk_layer") == str(DEPTH - 2), "the URL")
        assert text_problems(app.page) == []  # nothing clipped, no sideways scroll
        assert_clean(app)
    finally:
        app.close()


def test_play_walks_back_by_itself_and_pause_stops_it(app: AppPage) -> None:
    """Play from the top: the layer goes down without a click, each shown layer with its
    factor; Pause holds it, and the URL keeps the layer where it stopped."""
    app.open({"depth": DEPTH, "w": W})
    open_walk(app)
    press(app, "play")
    app.wait_until(lambda: shown_layer(app) <= DEPTH - 2, "the walk to play on")
    press(app, "pause")
    walk_box(app).locator(".st-key-walk_play").wait_for()
    app.settle()
    held = shown_layer(app)
    assert held < DEPTH
    wait_for_layer(app, held)
    app.wait_until(lambda: app.url().get("walk_layer") == str(held), "the URL")
    app.page.wait_for_timeout(1500)  # longer than a tick: a paused walk does not move
    assert shown_layer(app) == held
    assert_clean(app)


def test_a_layer_above_the_depth_is_shown_at_the_top_with_a_notice(app: AppPage) -> None:
    """A link's layer above L opens the walk at L with a notice saying so."""
    app.open({"depth": DEPTH, "w": W, "walk_layer": 500})
    walk_box(app).wait_for()
    wait_for_layer(app, DEPTH)
    text = walk_box(app).inner_text()
    assert re.search(rf"Layer 500 is above this chain's top layer L = {DEPTH}", text)
    assert_clean(app)


def test_play_ends_at_layer_one_and_stops_its_timer(app: AppPage) -> None:
    """On a 4-layer chain, Play walks 4, 3, 2, 1 by itself and stops there: the Play button is
    back, and the layer stays at 1 (its timer is gone)."""
    app.open({"depth": 4, "w": W})
    open_walk(app)
    press(app, "play")
    app.wait_until(lambda: shown_layer(app) == 1, "the walk to reach layer 1")
    walk_box(app).locator(".st-key-walk_play").wait_for()
    app.settle()
    assert app.url().get("walk_layer") == "1"
    app.page.wait_for_timeout(2000)  # longer than two ticks: nothing moves any more
    assert shown_layer(app) == 1
    assert "Layer 1 is the input weight" in walk_box(app).inner_text()
    assert_clean(app)
