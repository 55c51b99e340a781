"""The lab's transport in Chromium. The buttons sit in the runs' own fragment (so that a chart
choice redraws the runs alone); a button must still start the live redraw, or the page would
keep the picture of the moment it was clicked."""

from __future__ import annotations

import re

import pytest

from bench.lab_in_page import STATUS_JS
from pagetools.driver import AppPage

from .helpers import assert_clean, menu_charts

pytestmark = pytest.mark.browser

BUDGET = 5_000  # your run stops at step 8, the remedy near step 2,400: both well inside it


def statuses(app: AppPage) -> list[str]:
    """The status metric of your run and of the remedy's, as shown."""
    return list(app.page.evaluate(STATUS_JS).values())


def stopped_at(status: str) -> int | None:
    found = re.fullmatch(r"stopped by the .* rule at step ([\d,]+)", status)
    return int(found.group(1).replace(",", "")) if found else None


def test_ten_steps_then_play_are_drawn_live(app: AppPage) -> None:
    """With both runs at their rules' stop, "10 steps" shows both ten steps on and paused, and
    "Train" then shows them training on until they stop again, without a reload."""
    app.open({"section": "lab", "lab_steps": BUDGET})
    app.wait_until(
        lambda: len(s := statuses(app)) == 2 and all(stopped_at(x) for x in s),
        "both runs at their stop",
        timeout_s=120,
    )
    at_stop = statuses(app)
    app.page.locator(".st-key-lab_10 button").click()
    # each run's stop and its continuation said separately (#21 item 6)
    paused = [
        f"{status}; continued: step {(stopped_at(status) or 0) + 10:,} of {BUDGET:,}, paused"
        for status in at_stop
    ]
    app.wait_until(lambda: statuses(app) == paused, f"both runs shown as {paused}")
    app.page.locator(".st-key-lab_Train button").click()
    app.wait_until(
        lambda: not any(s.endswith(("paused", "training")) for s in statuses(app)),
        "both runs trained on and drawn at their end",
        timeout_s=120,
    )
    assert_clean(app)


LAB_CHARTS_JS = """() => [...document.querySelectorAll(
    ".st-key-panel-lab [data-testid='stVegaLiteChart']")].length"""


def test_the_chart_choice_redraws_each_run_with_that_chart(app: AppPage) -> None:
    """With both runs done, each choice of chart (its own fragment) shows the loss and, for each
    run, exactly the chart chosen, in the page and in its download menu; nothing retrains."""
    app.open({"section": "lab"})
    app.wait_until(
        lambda: (
            len(s := statuses(app)) == 2 and not any(x.endswith(("training", "paused")) for x in s)
        ),
        "both runs done",
        timeout_s=120,
    )
    done = statuses(app)
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
        assert statuses(app) == done
    assert_clean(app)
