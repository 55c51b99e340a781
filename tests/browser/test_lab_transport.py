"""The lab's transport in Chromium. The buttons sit in the runs' own fragment (so that a chart
choice redraws the runs alone); a button must still start the live redraw, or the page would
keep the picture of the moment it was clicked."""

from __future__ import annotations

import re

import pytest

from pagetools.driver import AppPage

from .helpers import TRAINS_A_WHILE, assert_clean, lab_statuses, menu_charts

pytestmark = pytest.mark.browser

BUDGET = 5_000  # your run stops at step 8, the remedy near step 2,400: both well inside it


def stopped_at(status: str) -> int | None:
    found = re.fullmatch(r"stopped by the .* rule at step ([\d,]+)", status)
    return int(found.group(1).replace(",", "")) if found else None


def test_ten_steps_the_stop_then_play_are_drawn_live(app: AppPage) -> None:
    """With both runs at their rules' stop ("The rules' stop" has nothing to do): "+10 steps"
    shows each ten steps past it and paused, "The rules' stop" brings each back, and "Play"
    after ten more steps follows them training on to the budget, without a reload; the link
    says where the view was at each moment."""
    app.open({"section": "lab", "lab_steps": BUDGET})
    app.wait_until(
        lambda: len(s := lab_statuses(app)) == 2 and all(stopped_at(x) for x in s),
        "both runs at their stop",
        timeout_s=120,
    )
    at_stop = lab_statuses(app)
    stops = [stopped_at(status) or 0 for status in at_stop]
    assert app.page.locator(".st-key-lab_stop button").first.is_disabled()
    # each run's stop and its continuation said separately (#21 item 6)
    paused = [
        f"{status}; continued: step {stop + 10:,} of {BUDGET:,}, paused"
        for status, stop in zip(at_stop, stops, strict=True)
    ]
    app.page.locator(".st-key-lab_step button").first.click()
    app.wait_until(lambda: lab_statuses(app) == paused, f"both runs shown as {paused}")
    assert app.url().get("lab_at") == ",".join(str(stop + 10) for stop in stops)
    assert app.url().get("lab_past") == "1"
    app.page.locator(".st-key-lab_stop button").first.click()
    app.wait_until(lambda: lab_statuses(app) == at_stop, "both runs back at their stop")
    assert app.url().get("lab_at") == ",".join(map(str, stops))
    assert "lab_past" not in app.url()
    app.page.locator(".st-key-lab_step button").first.click()
    app.wait_until(lambda: lab_statuses(app) == paused, "ten steps past the stops again")
    app.page.locator(".st-key-lab_play button").first.click()
    app.wait_until(
        lambda: not any(s.endswith(("paused", "training")) for s in lab_statuses(app)),
        "both runs trained on and drawn at their end",
        timeout_s=120,
    )
    assert "lab_at" not in app.url()
    assert_clean(app)


def test_the_keyboard_pauses_and_plays(app: AppPage) -> None:
    """K pauses this view and plays it again (the video player's key)."""
    app.open({**TRAINS_A_WHILE, "lab_seed": 2})
    app.wait_until(lambda: any(s.endswith("training") for s in lab_statuses(app)), "training")
    app.page.keyboard.press("k")

    def paused() -> bool:
        shown = lab_statuses(app)
        return any(s.endswith("paused") for s in shown) and not any(
            s.endswith("training") for s in shown
        )

    app.wait_until(paused, "paused by K")
    frozen = lab_statuses(app)
    app.page.wait_for_timeout(1500)
    assert lab_statuses(app) == frozen
    app.page.keyboard.press("k")
    app.wait_until(lambda: any(s.endswith("training") for s in lab_statuses(app)), "played by K")
    assert_clean(app)


LAB_CHARTS_JS = """() => [...document.querySelectorAll(
    ".st-key-panel-lab [data-testid='stVegaLiteChart']")].length"""


def test_the_chart_choice_redraws_each_run_with_that_chart(app: AppPage) -> None:
    """With both runs done, each choice of chart (its own fragment) shows the loss and, for each
    run, exactly the chart chosen, in the page and in its download menu; nothing retrains."""
    app.open({"section": "lab"})
    app.wait_until(
        lambda: (
            len(s := lab_statuses(app)) == 2
            and not any(x.startswith(("step", "starting", "waiting")) for x in s)
        ),
        "both runs done",
        timeout_s=120,
    )
    done = lab_statuses(app)
    for chart, prefix in (("fit", "lab_fit_"), ("gradients", "lab_gradient_norms_")):
        app.choose("lab_chart", chart)
        expected = ["lab_loss", f"{prefix}yours", f"{prefix}remedy"]
        # on a loaded machine the redraw can come after the page has looked idle for a while:
        # wait for what the choice must show, not for silence
        app.wait_until(
            lambda expected=expected: (
                app.page.evaluate(LAB_CHARTS_JS) == 3 and menu_charts(app, "lab") == expected
            ),
            f"each run drawn with {chart}",
        )
        assert lab_statuses(app) == done
    assert_clean(app)
