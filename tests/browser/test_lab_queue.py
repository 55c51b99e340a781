"""The lab when a run waits in the queue (one training slot for two runs): the run that leaves
the queue is drawn live, without an error. A notice drawn only while queued once moved the runs'
fragment, and every live redraw after the queue raised StreamlitInvalidLayoutContextError."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.lab_in_page import STATUS_JS
from pagetools.driver import AppPage, new_app_page
from pagetools.harness import StreamlitServer, start_streamlit

from .helpers import assert_clean

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def one_slot_server(browser) -> Iterator[StreamlitServer]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VG_MAX_TRAININGS", "1")
        server = start_streamlit()
    yield server
    server.stop()


@pytest.fixture
def one_slot_app(browser, one_slot_server) -> Iterator[AppPage]:
    page = new_app_page(browser, one_slot_server)
    yield page
    page.close()


def test_a_run_that_waited_in_the_queue_is_drawn_live_without_error(one_slot_app) -> None:
    app = one_slot_app
    app.open(
        {"section": "lab", "lab_depth": 8, "lab_width": 48, "lab_steps": 3000, "lab_eps": "off"}
    )
    seen_queue = []

    def done() -> bool:
        statuses = list(app.page.evaluate(STATUS_JS).values())
        seen_queue.extend(s for s in statuses if s.startswith("waiting for a free"))
        assert app.page.get_by_test_id("stException").count() == 0
        return len(statuses) == 2 and not any(
            s.endswith(("training", "paused", "starting")) or s.startswith("waiting")
            for s in statuses
        )

    app.wait_until(done, "both runs trained, one after the other", timeout_s=180)
    assert seen_queue, "the second run never waited in the queue: the test tests nothing"
    assert_clean(app)
