"""The lab's engine failing under a class, in Chromium: a training process killed (kill -9) or
stopped (SIGSTOP) in the middle of a run. The page shows one line about it at most, the run is
restarted on a fresh process and completes, and no training process is left 10 s after the
server closes. Each test has its own server (the faults are the server's)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.lab_in_page import STATUS_JS
from pagetools.driver import AppPage, new_app_page
from pagetools.harness import StreamlitServer, start_streamlit

from .helpers import assert_clean

pytestmark = pytest.mark.browser

SETTING = {
    "section": "lab",
    "lab_depth": 8,
    "lab_width": 48,
    "lab_eta": "1e-3",
    "lab_steps": 3000,
    "lab_eps": "off",
}
"""Both runs train their whole budget (about 10 s each here)."""
WORKER = b"vgapp.lab.training.worker"


def workers(server: StreamlitServer) -> list[int]:
    """Process ids of the server's training processes (its children running the worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if WORKER in cmdline and parent == server.process.pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def statuses(app: AppPage) -> list[str]:
    return list(app.page.evaluate(STATUS_JS).values())


@pytest.fixture
def own_server(browser) -> Iterator[StreamlitServer]:
    server = start_streamlit()
    yield server
    server.stop()


@pytest.fixture
def lab(browser, own_server) -> Iterator[AppPage]:
    page = new_app_page(browser, own_server)
    yield page
    page.close()


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP])
def test_a_training_process_lost_mid_run_is_replaced_and_the_run_completes(
    lab: AppPage, own_server: StreamlitServer, fault: signal.Signals
) -> None:
    lab.open(SETTING)
    lab.wait_until(lambda: any(s.endswith("training") for s in statuses(lab)), "training")
    victims = workers(own_server)
    assert victims
    os.kill(victims[0], fault)
    notices: set[str] = set()
    deadline = time.monotonic() + 120
    try:
        while any(s.endswith(("training", "starting")) or "waiting" in s for s in statuses(lab)):
            assert time.monotonic() < deadline, statuses(lab)
            texts = lab.page.locator(".st-key-panel-lab [data-testid='stAlert']")
            notices.update(texts.all_text_contents())
            assert lab.page.get_by_test_id("stException").count() == 0
            lab.page.wait_for_timeout(200)
    finally:
        if fault == signal.SIGSTOP and alive(victims[0]):
            os.kill(victims[0], signal.SIGCONT)
    assert all(s.startswith("ran all 3,000 steps") for s in statuses(lab)), statuses(lab)
    assert not alive(victims[0])
    assert all(len(text.splitlines()) <= 1 for text in notices), notices
    assert_clean(lab)
    left = workers(own_server)
    own_server.stop()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in left) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in left)
