"""Run one function in a worker process while another runs here: the lab's two training runs
share the machine's cores instead of taking turns.

Two threads would not do: each numpy call of a small network is a few microseconds, and two
threads hand the GIL back and forth so often that they are slower than one (measured in
``bench/bench_lab.py``). The worker is forked from a forkserver that has already imported the
lab (spawned where there is no forkserver, on Windows), and reports progress through a pipe.
Should a worker fail to start or die, the function runs here instead: slower, never wrong.

While the two run, each process uses one BLAS thread (threadpoolctl): two processes with one
OpenBLAS thread per core each would take turns on the cores and spin while they wait, which
made the longest lab view 2.6 times slower than the same two runs with one thread each.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from threadpoolctl import ThreadpoolController, threadpool_limits

Progress = Callable[[int, int], None]
Local = TypeVar("Local")
Remote = TypeVar("Remote")

_LOG = logging.getLogger(__name__)
_PRELOAD = ["vgapp.lab"]


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


_CONTEXT = _context()


def available_cores() -> int:
    """Cores this process may run on (the affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _OneBlasThread:
    """One BLAS thread in this process while any caller is inside ``held()``; the original
    limits come back when the last one leaves (sessions overlap, so a plain
    ``threadpool_limits`` block per caller could restore them under another's feet)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._limiter: Any = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._limiter = ThreadpoolController().limit(limits=1, user_api="blas")
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._limiter.restore_original_limits()


_ONE_BLAS_THREAD = _OneBlasThread()


def _ignore(k: int, total: int) -> None:
    """The progress callback when nobody is listening."""


def _ignore_poll() -> None:
    """``poll`` when there is no worker."""


def _serve(sender: Connection, function: Callable[..., Any], args: tuple) -> None:
    """Worker: ``function(*args, progress=...)``, each progress report and then the result (or
    the exception) sent through ``sender``."""

    def progress(k: int, total: int) -> None:
        sender.send(("progress", k, total))

    threadpool_limits(limits=1, user_api="blas")  # this process ends with the call
    try:
        sender.send(("result", function(*args, progress=progress)))
    except Exception as error:  # reported to the parent, raised there
        sender.send(("error", error))
    finally:
        sender.close()


def beside(
    local: Callable[[Callable[[], None]], Local],
    remote: Callable[..., Remote],
    remote_args: tuple,
    remote_progress: Progress | None = None,
) -> tuple[Local, Remote]:
    """``(local(poll), remote(*remote_args, progress=remote_progress))``, the two computed at the
    same time when this machine has a second core.

    ``remote`` must be a module-level function and its arguments and result picklable.
    ``local`` receives ``poll``, which it should call now and then (e.g. from its own progress
    callback) to deliver the worker's progress reports to ``remote_progress`` on this thread.
    An exception in ``remote`` is raised here; if this thread is interrupted (e.g. Streamlit
    stops the script), the worker is terminated."""

    def remote_here() -> Remote:
        return remote(*remote_args, progress=remote_progress or _ignore)

    if available_cores() < 2:
        return local(_ignore_poll), remote_here()
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    try:
        worker = _CONTEXT.Process(target=_serve, args=(sender, remote, remote_args), daemon=True)
        worker.start()
    except (OSError, RuntimeError) as error:  # no processes here: one after the other
        _LOG.warning("no worker process (%s); training the runs one after the other", error)
        receiver.close()
        sender.close()
        return local(_ignore_poll), remote_here()
    sender.close()
    outcome: list[tuple] = []

    def receive() -> None:
        try:
            message = receiver.recv()
        except EOFError:  # the worker died without a word (killed, out of memory)
            message = ("died", None)
        if message[0] != "progress":
            outcome.append(message)
        elif remote_progress is not None:
            remote_progress(message[1], message[2])

    def poll() -> None:
        while not outcome and receiver.poll():
            receive()

    try:
        with _ONE_BLAS_THREAD.held():
            mine = local(poll)
        while not outcome:
            receive()
    finally:
        receiver.close()
        if worker.is_alive() and not outcome:
            worker.terminate()
        worker.join(timeout=5)
    kind, value = outcome[0]
    if kind == "error":
        raise value
    if kind == "died":
        _LOG.warning("the worker process ended early (exit %s); computing here", worker.exitcode)
        return mine, remote_here()
    return mine, value
