"""Two replicas behind a real HAProxy (``deploy.replicas``), seen from Chromium: a replica killed
mid-lecture, its visitor reconnects to the other one and the page restores the view from the URL,
with no error shown. Skipped without haproxy, except under ``CI=true``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.replicas import Deployment
from pagetools.driver import new_app_page
from pagetools.harness import StreamlitServer, free_port

pytestmark = pytest.mark.browser

if not shutil.which("haproxy"):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true and haproxy is missing (apt-get install haproxy)", pytrace=False)
    pytest.skip("haproxy is not installed (apt-get install haproxy)", allow_module_level=True)

VIEW = {"section": "floating_point", "fp_grad_exp": -20, "fp_dtype": "float32"}
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"


@pytest.fixture(scope="module")
def deployment(browser) -> Iterator[Deployment]:
    ports = [free_port(), free_port()]
    served = Deployment(2, "127.0.0.1", *ports, first_replica_port=ports[0] + 300)
    served.start()
    yield served
    served.stop()


def test_a_killed_replicas_visitor_reconnects_to_the_other_with_the_same_view(
    browser, deployment
) -> None:
    proxy = StreamlitServer(
        Path("app.py"), deployment.port, deployment.processes["proxy"],
        deployment.folder / "haproxy.log",
    )  # fmt: skip
    app = new_app_page(browser, proxy)
    try:
        app.open(VIEW)
        app.wait_for_panel("precision", VIEW)
        pinned = {c["name"]: c["value"] for c in app.page.context.cookies()}["VGREPLICA"]
        deployment.kill_replica(int(pinned.removeprefix("r")))
        app.wait_until(
            lambda: app.page.locator(CONNECTED).count() == 0, "the page to notice", timeout_s=30
        )
        app.wait_until(
            lambda: app.page.locator(CONNECTED).count() == 1, "a reconnection", timeout_s=60
        )
        app.settle()
        app.wait_for_panel("precision", VIEW)
        assert app.section() == "floating_point"
        assert app.control_value("fp_grad_exp") == -20
        assert app.control_value("fp_dtype") == "float32"
        assert app.blocked == []
        assert app.page_errors == []
        assert app.page.get_by_test_id("stException").count() == 0
    finally:
        app.close()
