"""The training engine's workers: ``ProcessWorker``, a process running ``python -m
vgapp.lab.training.worker`` that talks pickled frames over its pipes, or, where there is no second
process, ``ThreadWorker``, a thread of the server running the same ``Trainer``. A worker reports
what it hears through the ``WorkerEvents`` the engine gives it.

A process is started with ``subprocess.Popen`` (fork + exec of a fresh interpreter) in the
project root, so that ``-m`` finds ``vgapp``; its environment (one BLAS thread, glibc's malloc
thresholds) is the child's alone: nothing of the server process is changed.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import pathlib
import queue
import subprocess
import sys
import threading
import time
from typing import IO, Any, Generic, TypeVar

from vgapp.lab.training.interfaces import Recipe, WorkerEvents
from vgapp.lab.training.messages import frame, read_frame
from vgapp.lab.training.worker import Trainer

LOG = logging.getLogger("vgapp.lab.training.engine")
_PROJECT_ROOT = str(pathlib.Path(__file__).resolve().parents[3])  # the folder holding vgapp/
WORKER_ENV = {
    # One BLAS thread per training process: two processes with a thread per core each would
    # take turns on the cores (2.6x slower, README). Read by the BLAS when it loads.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # glibc serves blocks above 128 kB with mmap and returns them on free, until a free raises
    # the threshold; a fresh process has not, and every step's temporaries (256 x 128 floats)
    # then cost page faults, each step slower (README, figures behind the constants).
    "MALLOC_MMAP_THRESHOLD_": str(64 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(128 << 20),
}


WORKER_ARGS: tuple[str, ...] = ("-m", "vgapp.lab.training.worker")
"""The interpreter's arguments that start a training process (its niceness and recipe follow)."""

J = TypeVar("J")


class Worker(Generic[J]):
    """A training process (or thread); ``job`` is what it trains now (the engine's ``Job``),
    ``held`` whether that training is held (paused or waiting at the rules' stop)."""

    ids = itertools.count()
    beats = False
    """Says ``("alive", pid)`` every ``HEARTBEAT_S`` (a process), so silence means it is hung."""
    restartable = False
    """Can be ended, so a job it leaves is retried on a fresh worker (a process: a thread that
    stops answering cannot be ended, and another would hang the same way beside it)."""

    def __init__(self, events: WorkerEvents[Worker[J]]) -> None:
        self.events = events
        self.number = next(self.ids)
        self.job: J | None = None
        self.held = False
        self.ready = False
        self.heard = False  # any message yet: the start timeout applies until then
        self.killed: str | None = None  # why the engine ended it, if it did
        self.cpu_mark: tuple[int, float, bool] | None = None  # health: its CPU time, silent
        self.alive = True
        self.idle_since = self.heard_at = time.monotonic()
        self.parked_at = 0.0

    @property
    def ident(self) -> int:
        raise NotImplementedError

    def send(self, command: tuple[Any, ...]) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def kill(self, reason: str) -> None:
        """End a worker that does not answer (its reader then reports it gone, with
        ``reason``)."""
        raise NotImplementedError


class ProcessWorker(Worker[J]):
    """A ``python -m vgapp.lab.training.worker`` process at ``niceness``, training the recipe
    named ``recipe`` (``"module:name"``)."""

    beats = restartable = True

    def __init__(self, events: WorkerEvents[Worker[J]], niceness: int, recipe: str) -> None:
        super().__init__(events)
        env = {**os.environ, **WORKER_ENV}
        env.pop("PYTHONSAFEPATH", None)  # -m must find vgapp in the working directory
        self.process = subprocess.Popen(
            [sys.executable, *WORKER_ARGS, str(niceness), recipe],
            cwd=_PROJECT_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        if self.process.stdin is None or self.process.stdout is None:  # pragma: no cover
            raise OSError("the training process has no pipes")
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout
        self.reader = threading.Thread(
            target=self._read, name=f"training-worker-{self.number}", daemon=True
        )
        self.reader.start()

    @property
    def ident(self) -> int:
        return self.process.pid

    def send(self, command: tuple[Any, ...]) -> None:
        try:
            self.stdin.write(frame(command))
            self.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # it has died: the reader reports that

    def stop(self) -> None:
        self.alive = False
        self.send(("exit",))
        with contextlib.suppress(OSError):
            self.stdin.close()

    def kill(self, reason: str) -> None:
        self.killed = reason
        self.process.kill()  # SIGKILL: a stopped (SIGSTOP) process ends too

    def _read(self) -> None:
        stream = self.stdout
        try:
            while True:
                self.events.worker_message(self, read_frame(stream))
        except (EOFError, OSError, ValueError):
            pass
        except Exception:  # a message we cannot read: this worker is unusable
            LOG.exception("training worker %s sent an unreadable message", self.ident)
            self.process.kill()
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        stream.close()
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        text = self.killed or f"the training process ended unexpectedly ({how})"
        self.events.worker_exited(self, text)


class ThreadWorker(Worker[J]):
    """A thread of this process training ``recipe``."""

    def __init__(self, events: WorkerEvents[Worker[J]], recipe: Recipe) -> None:
        super().__init__(events)
        self.recipe = recipe
        self.commands: queue.Queue[Any] = queue.Queue[Any]()
        self.thread = threading.Thread(
            target=self._serve, name=f"training-thread-{self.number}", daemon=True
        )
        self.thread.start()

    @property
    def ident(self) -> int:
        return self.thread.ident or 0

    def send(self, command: tuple[Any, ...]) -> None:
        self.commands.put(command)

    def stop(self) -> None:
        self.alive = False
        self.send(("exit",))

    def kill(self, reason: str) -> None:
        """A thread cannot be killed; its job is failed and the thread left to end."""
        self.killed = reason
        self.events.worker_exited(self, reason)

    def _serve(self) -> None:
        self.events.worker_message(self, ("ready", threading.get_ident()))
        try:
            Trainer(
                self.commands,
                lambda message: self.events.worker_message(self, message),
                self.recipe,
            ).serve()
        finally:
            self.events.worker_exited(self, "the training thread ended unexpectedly")
