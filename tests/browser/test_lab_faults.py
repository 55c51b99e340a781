"""The lab's engine failing under a class, in Chromium: a training process killed (kill -9) or
stopped (SIGSTOP) in the middle of a run. The page shows one line about it at most, the run is
restarted on a fresh process and completes, and no training process is left 10 s after the
server closes. Each test has its own server (the faults are the server's)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from pagetools.driver import AppPage
from pagetools.harness import StreamlitServer

from .helpers import TRAINS_A_WHILE, assert_clean, lab_statuses

pytestmark = pytest.mark.browser

SETTING = {**TRAINS_A_WHILE, "lab_steps": 3000}
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


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP])
def test_a_training_process_lost_mid_run_is_replaced_and_the_run_completes(
    fresh_app: AppPage, fresh_server: StreamlitServer, fault: signal.Signals
) -> None:
    lab, own_server = fresh_app, fresh_server
    lab.open(SETTING)
    lab.wait_until(lambda: any(s.endswith("training") for s in lab_statuses(lab)), "training")
    victims = workers(own_server)
    assert victims
    os.kill(victims[0], fault)
    notices: set[str] = set()
    deadline = time.monotonic() + 120
    try:
        while any(
            s.endswith(("training", "starting")) or "waiting" in s for s in lab_statuses(lab)
        ):
            assert time.monotonic() < deadline, lab_statuses(lab)
            texts = lab.page.locator(".st-key-panel-lab [data-testid='stAlert']")
            notices.update(texts.all_text_contents())
            assert lab.page.get_by_test_id("stException").count() == 0
            lab.page.wait_for_timeout(200)
    finally:
        if fault == signal.SIGSTOP and alive(victims[0]):
            os.kill(victims[0], signal.SIGCONT)
    assert all(s.startswith("ran all 3,000 steps") for s in lab_statuses(lab)), lab_statuses(lab)
    assert not alive(victims[0])
    assert all(len(text.splitlines()) <= 1 for text in notices), notices
    assert_clean(lab)
    left = workers(own_server)
    own_server.stop()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in left) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in left)
