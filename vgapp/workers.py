"""Run one function in a worker process while another runs here: the lab's two training runs
share the machine's cores instead of taking turns.

Two threads would not do: each numpy call of a small network is a few microseconds, and two
threads hand the GIL back and forth so often that they are slower than one (measured in
``bench/bench_lab.py``). The worker is forked from a forkserver that has already imported the
lab, and reports progress through a pipe. Where there is no forkserver (Windows), a worker would
be a fresh interpreter importing numpy and the lab for every view, which costs what it saves:
there, and on one core, both run here one after the other. Should a worker fail to start or
die, the function runs here instead: slower, never wrong.

While the two run, each process uses one BLAS thread (threadpoolctl): two processes with one
OpenBLAS thread per core each would take turns on the cores and spin while they wait, which
made the longest lab view 2.6 times slower than the same two runs with one thread each.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import pickle
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import numpy  # before threadpoolctl looks for its BLAS
from threadpoolctl import ThreadpoolController

Progress = Callable[[int, int], None]
Local = TypeVar("Local")
Remote = TypeVar("Remote")

_LOG = logging.getLogger(__name__)
_PRELOAD = ["vgapp.lab_runs", "vgapp.workers", "numpy.random"]  # numpy.random loads lazily
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_START_LOCK = threading.Lock()


@functools.cache
def _context() -> multiprocessing.context.BaseContext | None:
    """The forkserver, with the lab preloaded, or None where the platform has none."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    # Python 3.11's forkserver ignores the sys.path it is given, so the preload would fail
    # (silently) unless the project is importable from its working directory: tell it where.
    paths = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    if _PROJECT_ROOT not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([_PROJECT_ROOT, *paths])
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


@contextmanager
def _no_main_module() -> Iterator[None]:
    """A bare ``__main__`` while a worker starts, so that it does not run the main script again.

    multiprocessing makes each child import the parent's main module by its file; under
    ``streamlit run`` that is a stand-in whose file is app.py, so every worker would draw the
    whole page. ``remote`` functions live in importable modules and need no main module."""
    with _START_LOCK:
        main = sys.modules["__main__"]
        bare = sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if sys.modules.get("__main__") is bare:  # another session's rerun may have set it
                sys.modules["__main__"] = main


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
                self._limiter = _BLAS.limit(limits=1, user_api="blas")
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._limiter.restore_original_limits()


_BLAS = ThreadpoolController()  # finding the libraries takes ~7 ms: once, at import
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

    _BLAS.limit(limits=1, user_api="blas")  # for good: this process ends with the call
    # glibc serves blocks above 128 kB with mmap, and returns them to the system when freed,
    # until freeing such a block raises that threshold to its size. The parent has long done so
    # (importing pandas does); a fresh worker has not, and the lab's temporaries then cost page
    # faults on every step: 1.6 times slower (bench/bench_lab.py). One 16 MB block does it (glibc
    # caps the threshold at 32 MB).
    numpy.empty(16 << 20, dtype=numpy.uint8)
    try:
        sender.send(("result", function(*args, progress=progress)))
    except Exception as error:  # reported to the parent, raised there
        sender.send(("error", _portable(error)))
    finally:
        sender.close()


def _portable(error: Exception) -> Exception:
    """``error`` if it survives pickling both ways, else a RuntimeError with its traceback (an
    exception whose arguments do not match its constructor would arrive as a TypeError)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        text = "".join(traceback.format_exception(error))
        return RuntimeError(f"the worker process failed:\n{text}")
    return error


def beside(
    local: Callable[[Callable[[], None]], Local],
    remote: Callable[..., Remote],
    remote_args: tuple,
    remote_progress: Progress | None = None,
) -> tuple[Local, Remote]:
    """``(local(poll), remote(*remote_args, progress=remote_progress))``, the two computed at the
    same time when this machine has a second core.

    ``remote`` must be a function of an importable module (not of the main script) and its
    arguments and result picklable.
    ``local`` receives ``poll``, which it should call now and then (e.g. from its own progress
    callback) to deliver the worker's progress reports to ``remote_progress`` on this thread.
    An exception in ``remote`` is raised here; if this thread is interrupted (e.g. Streamlit
    stops the script), the worker is terminated."""

    def remote_here() -> Remote:
        return remote(*remote_args, progress=remote_progress or _ignore)

    context = _context()
    if context is None or available_cores() < 2:
        return local(_ignore_poll), remote_here()
    receiver, sender = context.Pipe(duplex=False)
    try:
        worker = context.Process(target=_serve, args=(sender, remote, remote_args), daemon=True)
        with _no_main_module():
            worker.start()
    except (OSError, RuntimeError, EOFError) as error:  # no worker: one after the other
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
