"""Two students on the same lab setting, in Chromium: the run trains once for both, and each
has their own playback. One pauses, steps and plays on; the other's view goes on as if nobody
had touched anything. A copied link at a paused moment reopens at that moment."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from pagetools.driver import AppPage, new_app_page

from .helpers import TRAINS_A_WHILE, assert_clean, lab_statuses

pytestmark = pytest.mark.browser

SETTING = TRAINS_A_WHILE


def steps_of(statuses: list[str]) -> list[int]:
    return [
        int(m.group(1).replace(",", "")) for s in statuses if (m := re.match(r"step ([\d,]+)", s))
    ]


@pytest.fixture
def second(browser, app_server) -> Iterator[AppPage]:
    page = new_app_page(browser, app_server)
    yield page
    page.close()


def test_one_students_transport_leaves_the_others_view_alone(app: AppPage, second: AppPage):
    app.open(SETTING)
    second.open(SETTING)
    app.wait_until(lambda: any(s.endswith("training") for s in lab_statuses(app)), "training")
    seen: list[list[str]] = []  # what the other student sees, read between the clicks
    app.page.locator(".st-key-lab_pause button").first.click()  # pause
    app.wait_until(lambda: all(s.endswith("paused") for s in lab_statuses(app)), "paused")
    frozen = lab_statuses(app)
    for _ in range(10):
        seen.append(lab_statuses(second))
        second.page.wait_for_timeout(100)
    assert lab_statuses(app) == frozen  # the paused view stands still while the run trains on
    app.page.locator(".st-key-lab_step button").first.click()
    expected = [step + 10 for step in steps_of(frozen)]
    app.wait_until(lambda: steps_of(lab_statuses(app)) == expected, f"at steps {expected}")
    app.page.locator(".st-key-lab_play button").first.click()  # play
    app.wait_until(
        lambda: not any(s.endswith(("paused", "training")) for s in lab_statuses(app)),
        "the first student's runs at their end",
        timeout_s=120,
    )
    second.wait_until(
        lambda: (
            (seen.append(lab_statuses(second)) or True)
            and not any(s.endswith(("paused", "training")) for s in seen[-1])
        ),
        "the second student's runs at their end",
        timeout_s=120,
    )
    assert not any(s.endswith("paused") for row in seen for s in row), "the other was paused"
    progress = [steps_of(row) for row in seen if len(steps_of(row)) == 2]
    assert progress == sorted(progress), "the other student's view went back"
    assert "lab_at" not in second.url()
    assert_clean(app)
    assert_clean(second)


def test_a_link_copied_at_a_pause_reopens_at_that_moment(app: AppPage, second: AppPage):
    app.open({**SETTING, "lab_seed": 1})  # not trained yet on this module's server
    app.wait_until(lambda: any(s.endswith("training") for s in lab_statuses(app)), "training")
    app.page.locator(".st-key-lab_pause button").first.click()
    app.wait_until(lambda: all(s.endswith("paused") for s in lab_statuses(app)), "paused")
    frozen = lab_statuses(app)
    link = app.page.evaluate("() => location.search").lstrip("?")
    assert "lab_at=" in link
    second.open(link)
    second.wait_until(lambda: lab_statuses(second) == frozen, f"the link shows {frozen}")
    second.page.wait_for_timeout(1000)
    assert lab_statuses(second) == frozen
    assert_clean(second)
