"""The training process of the engine: ``python -m vgapp.lab.training.worker NICENESS RECIPE``,
and the ``Trainer`` it runs.

A plain entry module of our own, started by the engine with ``subprocess.Popen`` (fork + exec
of a fresh interpreter): nothing of the server process is inherited or changed, so there is no
``__main__`` to re-import and no import path to rewrite. The engine passes the child's
environment (one BLAS thread, glibc's malloc thresholds) and starts it in the project root so
that ``-m`` finds ``vgapp``. The child imports the ``Recipe`` named by ``RECIPE``
(``"module:name"``, the lab's ``vgapp.lab.runs:ENGINE_RECIPE``) and warms it up, lowers its own
priority (``os.nice``), says ``("ready", pid)`` and then trains one spec at a time as told.

Heartbeat: from its first moment the child says ``("alive", pid)`` every ``HEARTBEAT_S`` from a
thread of its own, whether it imports, trains, holds or idles; the engine takes a child silent
for ``HUNG_AFTER_S`` (``vgapp.lab.training.scheduling``) for hung, stopped or dead and kills it.
The beat is a thread that sleeps, not a check in the training loop, so it tells a live process
from a dead one and not a fast step from a slow one: a child niced and starved by load (other
processes on every core) still beats. The heartbeat thread starts before the main thread lowers
its priority, and Linux's niceness is per thread, so it keeps the server's; it needs the CPU a
few microseconds a second, and the GIL, which the training thread hands over within the
interpreter's switch interval (5 ms) of the next slice the scheduler gives it (a niced thread
still gets one: CFS gives every runnable thread a share). Measured under a CPU hog on every
core: ``bench/heartbeat_gap.py`` (longest silence about 1.1 s at niceness 10, up to 1.7 s at
niceness 19 while training, where the training thread gets about 1 % of a core and the GIL
comes late; the engine also spares a silent process whose CPU time grows, ``health``). Only a
stopped (SIGSTOP), dead or deadlocked process falls silent and stays idle.

Protocol: pickled tuples in frames (``vgapp.lab.training.messages``), engine ->
child on stdin, child -> engine on stdout (the child's own fd 1 is pointed at stderr, so a stray
print cannot corrupt a frame). The same ``Trainer`` runs in a thread of the server where there
is no second process (``vgapp.lab.training.engine``'s thread backend), with a queue for stdin and a
callback for stdout.

Engine -> child:
    ("train", attempt, spec, hold_at, rule_wait, skip)  train ``spec`` from step 0; rows with
        k < skip are computed (the same arithmetic) but not sent: the engine has them already
    ("hold", attempt, hold_at, rule_wait)  hold after step ``hold_at``; with ``rule_wait``, also
        hold at the step where the stopping rules stop the run
    ("cancel", attempt)  abandon the training (at the next step)
    ("exit",)
Child -> engine:
    ("alive", pid) | ("ready", pid) | ("rows", attempt, Rows)
    | ("held", attempt, k, "pause" | "rule") | ("running", attempt, k)
    | ("done", attempt, Final) | ("failed", attempt, text) | ("cancelled", attempt)
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from vgapp.lab.training.interfaces import Recipe, Spec, load_recipe
from vgapp.lab.training.messages import Final, Rows, frame, read_frame
from vgapp.lab.training.trace import Row, row_of, stacked
from vgcore.descent import DescentStep

ROW_INTERVAL_S = 0.08
"""Rows are sent at most this often (and at every hold and at the end)..."""
EARLY_ROWS = 4
"""...except the first steps, each sent at once: the first picture needs only a few steps."""
PARAMS_INTERVAL_S = 1.0
"""The current parameters (for the decision boundary) are sent at most this often, and at every
hold and at the end."""
HEARTBEAT_S = 1.0
"""A training process says it is alive this often (its heartbeat thread)."""


class Cancelled(Exception):
    """The engine abandoned the training."""


class Exit(Exception):
    """The engine (or end of input) asks this trainer to end."""


class Trainer:
    """Trains one spec at a time; commands come from ``commands``, messages go to ``emit``."""

    def __init__(
        self, commands: queue.Queue[Any], emit: Callable[[tuple[Any, ...]], None], recipe: Recipe
    ) -> None:
        self.commands = commands
        self.emit = emit
        self.recipe = recipe
        self.pending: list[tuple[Any, ...]] = []
        self.attempt = -1

    def serve(self) -> None:
        """Until ``("exit",)`` or the end of input."""
        try:
            while True:
                command = self.pending.pop(0) if self.pending else self.commands.get()
                if command[0] == "exit":
                    return
                if command[0] == "train":
                    self._train(*command[1:])
                # "hold" or "cancel" for a training that has ended: nothing to do
        except Exit:
            return

    # ------------------------------------------------------------------------- one training

    def _train(self, attempt: int, spec: Spec, hold_at: int, rule_wait: bool, skip: int) -> None:
        self.attempt, self.hold_at, self.rule_wait, self.skip = attempt, hold_at, rule_wait, skip
        self.budget = spec.budget
        self.rows: list[tuple[int, Row]] = []
        self.x_stop: np.ndarray | None = None
        self.x_stop_sent = False
        self.started = self.sent_at = time.monotonic()
        self.params_at = -float("inf")
        self.last: DescentStep | None = None
        try:
            run = self.recipe.train(spec, self._observe)
        except Cancelled:
            self.emit(("cancelled", attempt))
            return
        except Exit:
            raise
        except Exception as error:  # the engine shows it as a failed training
            text = "".join(traceback.format_exception(error)).strip()
            self.emit(("failed", attempt, text))
            return
        result = run.result
        self._flush(None)
        final = Final(
            stopped_by=result.stopped_by,
            stop_iter=result.stop_iter,
            stop_step=run.stop_step,
            first_fired=dict(result.first_fired),
            recorded=run.recorded,
            x=np.asarray(result.x).copy(),
            x_stop=np.asarray(run.x_stop).copy(),
            n_evaluations=result.n_evaluations,
        )
        self.emit(("done", attempt, final))

    def _observe(self, step: DescentStep) -> None:
        k = step.k
        self.last = step
        if k >= self.skip:
            self.rows.append((k, row_of(step)))
        if step.stopped_by is not None and self.x_stop is None:
            self.x_stop = step.x.copy()
        self._drain()
        now = time.monotonic()
        if k < self.skip:
            pass
        elif k < EARLY_ROWS or now - self.sent_at >= ROW_INTERVAL_S:
            self._flush(step if now - self.params_at >= PARAMS_INTERVAL_S else None)
        if k < self.budget:
            self._hold(step)

    def _hold_reason(self, step: DescentStep) -> str | None:
        if step.k >= self.hold_at:
            return "pause"
        if self.rule_wait and step.stopped_by is not None and step.k == step.stop_iter:
            return "rule"
        return None

    def _hold(self, step: DescentStep) -> None:
        """Block here while the engine holds the run at this step."""
        shown = None
        reason = self._hold_reason(step)
        while reason is not None:
            if reason != shown:
                self._flush(step)
                self.emit(("held", self.attempt, step.k, reason))
                shown = reason
            self._command(self.commands.get())
            reason = self._hold_reason(step)
        if shown is not None:
            self.emit(("running", self.attempt, step.k))

    def _drain(self) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return
            self._command(command)

    def _command(self, command: tuple[Any, ...]) -> None:
        kind = command[0]
        if kind == "exit":
            raise Exit
        if kind == "train":  # the engine cancels first; if not, the new training wins
            self.pending.append(command)
            raise Cancelled
        if command[1] != self.attempt:
            return  # about an earlier training
        if kind == "cancel":
            raise Cancelled
        if kind == "hold":
            self.hold_at, self.rule_wait = command[2], command[3]

    def _flush(self, params_step: DescentStep | None) -> None:
        """Send the rows gathered so far (and the current parameters, from ``params_step``)."""
        step = self.last
        if step is None or (not self.rows and params_step is None and self.x_stop_sent):
            return
        first = self.rows[0][0] if self.rows else step.k + 1
        x_stop = None
        if self.x_stop is not None and not self.x_stop_sent:
            x_stop, self.x_stop_sent = self.x_stop, True
        x_now = None
        if params_step is not None:
            x_now = params_step.x.copy()
            self.params_at = time.monotonic()
        rows = Rows(
            first=first,
            trace=stacked([row for _, row in self.rows]),
            first_fired=dict(step.first_fired),
            stopped_by=step.stopped_by,
            stop_iter=step.stop_iter,
            x_stop=x_stop,
            x_now=x_now,
            x_now_step=step.k,
            seconds=time.monotonic() - self.started,
        )
        self.rows = []
        self.sent_at = time.monotonic()
        self.emit(("rows", self.attempt, rows))


# ----------------------------------------------------------------------------- the process


def beat(emit: Callable[[tuple[Any, ...]], None]) -> None:
    """Say ``("alive", pid)`` now and every ``HEARTBEAT_S`` until the engine is gone."""
    pid = os.getpid()
    try:
        while True:
            emit(("alive", pid))
            time.sleep(HEARTBEAT_S)
    except (OSError, ValueError):  # our output is closed (BrokenPipeError is an OSError)
        return


def main(argv: list[str]) -> None:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # print() now goes to stderr, never into a frame
    sys.stdout = sys.stderr
    niceness = int(argv[0])
    commands: queue.Queue[Any] = queue.Queue[Any]()
    lock = threading.Lock()

    def emit(message: tuple[Any, ...]) -> None:
        data = frame(message)
        with lock:
            out.write(data)
            out.flush()

    def read() -> None:
        stream = sys.stdin.buffer
        try:
            while True:
                commands.put(read_frame(stream))
        except (EOFError, OSError):
            pass
        commands.put(("exit",))  # the engine is gone: so are we

    threading.Thread(target=read, name="commands", daemon=True).start()
    threading.Thread(target=beat, args=(emit,), name="heartbeat", daemon=True).start()
    recipe = load_recipe(argv[1])
    # at the server's priority: a third of a second, which a first lab picture awaits
    recipe.warm_up()
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    emit(("ready", os.getpid()))
    with contextlib.suppress(BrokenPipeError):  # the engine closed our output: nobody to tell
        Trainer(commands, emit, recipe).serve()
    with contextlib.suppress(OSError):
        out.close()
    os._exit(0)  # not a normal shutdown: the reader thread may be blocked on stdin


if __name__ == "__main__":
    # Run by ``python -m``, this file is ``__main__``; run the importable module's ``main`` so
    # that nothing pickled ever names a class of ``__main__``.
    from vgapp.lab.training import worker as training_worker

    training_worker.main(sys.argv[1:])
