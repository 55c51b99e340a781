"""vgapp.workers.beside: the remote call's result, progress and errors come back as if it had
run here; a dead worker is replaced by a local call; an interrupted caller leaves no worker."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

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
    monkeypatch.setattr(workers._CONTEXT, "Process", refuse)
    mine, theirs = workers.beside(lambda poll: "mine", remote_report, (2,))
    assert (mine, theirs["pid"], theirs["sum"]) == ("mine", os.getpid(), 3)
