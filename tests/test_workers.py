"""vgapp.workers.beside: the remote call's result, progress and errors come back as if it had
run here; a dead worker is replaced by a local call; an interrupted caller leaves no worker."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from vgapp import workers

WAIT_S = 60.0  # a remote call that would outlive the test unless it is terminated


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def remote_report(count: int, *, progress) -> dict:
    """Reports k = 1..count, then returns where it ran and with how many BLAS threads."""
    for k in range(1, count + 1):
        progress(k, count)
    total = int(np.arange(count + 1).sum())  # numpy (and its BLAS) loaded in this process
    return {"pid": os.getpid(), "blas": blas_threads(), "sum": total}


def remote_preloaded(*, progress) -> bool:
    """Whether the lab was already imported when the worker started (the forkserver's preload)."""
    return "vgapp.lab_runs" in sys.modules


def remote_fail(message: str, *, progress) -> None:
    raise ValueError(message)


def remote_die_unless(parent: int, *, progress) -> int:
    """Dies without a word in a worker; returns 7 when run in ``parent``."""
    if os.getpid() != parent:
        os._exit(3)
    return 7


def remote_wait(seconds: float, *, progress) -> None:
    time.sleep(seconds)


def test_results_progress_and_one_blas_thread_in_both():
    """Both results come back; the worker's reports arrive in order on the calling thread; while
    both compute, each process has one BLAS thread, and the caller's limit is restored after."""
    before = blas_threads()
    seen: list[tuple[int, int, int]] = []
    during: list[list[int]] = []

    def local(poll):
        during.append(blas_threads())
        deadline = time.monotonic() + WAIT_S
        while len(seen) < 5 and time.monotonic() < deadline:
            poll()
            time.sleep(0.001)
        return "mine"

    mine, theirs = workers.beside(
        local,
        remote_report,
        (5,),
        lambda k, total: seen.append((k, total, threading.get_ident())),
    )
    assert mine == "mine"
    assert theirs["sum"] == 15
    if workers.available_cores() >= 2:
        assert theirs["pid"] != os.getpid()
        assert theirs["blas"] == during[0] == [1] * len(before)
    assert [(k, total) for k, total, _ in seen] == [(k, 5) for k in range(1, 6)]
    assert {thread for *_, thread in seen} == {threading.get_ident()}
    assert blas_threads() == before
    assert multiprocessing.active_children() == []


def test_remote_error_is_raised_here():
    with pytest.raises(ValueError, match="width must be"):
        workers.beside(lambda poll: None, remote_fail, ("width must be 2 to 128",))
    assert multiprocessing.active_children() == []


def test_a_dead_worker_is_replaced_by_a_local_call():
    mine, theirs = workers.beside(lambda poll: "mine", remote_die_unless, (os.getpid(),))
    assert (mine, theirs) == ("mine", 7)


def test_an_interrupted_caller_terminates_the_worker():
    """Streamlit stops a script by raising in it: the worker must not go on computing."""

    def local(poll):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        workers.beside(local, remote_wait, (WAIT_S,))
    assert multiprocessing.active_children() == []


def test_one_core_computes_both_here(monkeypatch):
    monkeypatch.setattr(workers, "available_cores", lambda: 1)
    seen: list[int] = []
    mine, theirs = workers.beside(
        lambda poll: "mine", remote_report, (3,), lambda k, total: seen.append(k)
    )
    assert (mine, theirs["pid"], theirs["sum"], seen) == ("mine", os.getpid(), 6, [1, 2, 3])


def test_no_processes_computes_both_here(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("process creation is not allowed here")

    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    monkeypatch.setattr(workers._context(), "Process", refuse)
    mine, theirs = workers.beside(lambda poll: "mine", remote_report, (2,))
    assert (mine, theirs["pid"], theirs["sum"]) == ("mine", os.getpid(), 3)


MAIN_SCRIPT = """
import os

with open({log!r}, "a") as log:
    log.write(f"{{os.getpid()}}\\n")

from tests.test_workers import remote_report
from vgapp import workers

if __name__ == "__main__":
    for count in range(1, 4):
        mine, theirs = workers.beside(lambda poll: count, remote_report, (count,))
        assert (mine, theirs["sum"]) == (count, count * (count + 1) // 2)
        assert theirs["pid"] != os.getpid()
"""


def test_workers_do_not_run_the_main_script_again(tmp_path):
    """multiprocessing would have each worker import the main script by its file; they don't."""
    log = tmp_path / "imports.log"
    script = tmp_path / "main_script.py"
    script.write_text(textwrap.dedent(MAIN_SCRIPT.format(log=str(log))))
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=WAIT_S, cwd=tmp_path)
    assert len(log.read_text().split()) == 1  # the script itself, and no worker


def test_a_streamlit_stand_in_main_module_is_not_run_by_the_worker(tmp_path, monkeypatch):
    """While a page runs, Streamlit's ``__main__`` is a stand-in whose file is app.py: a worker
    that imported it would draw the whole page before its own work."""
    marker = tmp_path / "page_ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').close()\n")
    stand_in = types.ModuleType("__main__")
    stand_in.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", stand_in)
    mine, theirs = workers.beside(lambda poll: "mine", remote_report, (4,))
    assert (mine, theirs["sum"]) == ("mine", 10)
    assert not marker.exists()
    assert sys.modules["__main__"] is stand_in


class TwoArgumentError(Exception):
    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"{name} must be at most {limit}")


def remote_fail_unpicklably(*, progress) -> None:
    raise TwoArgumentError("depth", 20)


def test_an_error_that_does_not_unpickle_arrives_with_its_text():
    with pytest.raises(RuntimeError, match="depth must be at most 20"):
        workers.beside(lambda poll: None, remote_fail_unpicklably, ())


ELSEWHERE_SCRIPT = """
import sys

sys.path.insert(0, {root!r})

from tests.test_workers import remote_preloaded
from vgapp import workers

if __name__ == "__main__":
    assert workers.beside(lambda poll: None, remote_preloaded, ()) == (None, True)
"""


def test_the_lab_is_preloaded_when_started_from_another_directory(tmp_path):
    """`streamlit run /path/to/app.py` from elsewhere: the forkserver still finds the lab."""
    root = Path(__file__).resolve().parents[1]
    script = tmp_path / "elsewhere.py"
    script.write_text(textwrap.dedent(ELSEWHERE_SCRIPT.format(root=str(root))))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run([sys.executable, str(script)], env=env, check=True, timeout=WAIT_S, cwd=tmp_path)
