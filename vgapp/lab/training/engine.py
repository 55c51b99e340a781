"""The lab's training engine, without Streamlit: one training per ``RunSpec`` however many
sessions watch it, trained step by step in warm worker processes, watched through cheap
immutable snapshots, controlled like TensorFlow Playground, and bounded for a classroom on one
laptop.

The page polls ``TrainingEngine.view(session, specs)`` a few times a second (a fragment with
``run_every``): the call says which runs this session looks at (yours and the comparison),
serves as its heartbeat and returns one ``Snapshot`` per spec. Everything else follows:

* **Jobs keyed by spec.** The first session to view a spec queues its training; later sessions
  watch the same job. A job trains until the stopping rules stop it and then *waits* there
  ("continue" trains on to the budget).
* **Each session's own cursor** (``view``'s ``demands``; ``vgapp.lab.cursor``): a session says
  how far it needs each run (a step or the budget, past the rules' stop or not); the job trains
  to the furthest demand and holds when none needs more: one session's pause never changes
  what another sees. Pause, resume, step(n), cancel and continue act on the job itself (for
  tests and tools; the next change of the demands overrides them). A failure is not memoised:
  a session that starts watching a failed job trains it again; one nobody watches is dropped.
* **Nothing trains that nobody looks at.** A job loses a watcher when the session views other
  specs or stops polling for its watcher timeout (``watcher_timeout_s``, or ``WATCHER_REDRAWS``
  = 3 times the ``redraw_s`` it gives ``view``, whichever is longer: a poll a little late never
  restarts a run); a session that vanishes is forgotten then. A job with no watchers left is
  abandoned: a
  queued or running one is cancelled (its process freed at the next step), a paused or waiting
  one gives its process back. Viewing it again shows what it had at once and trains on (from
  step 0, the same arithmetic, rows already known are not sent again).
* **Cap.** At most ``max_running`` trainings compute at once (default: one per core); the rest
  are ``queued`` with their position in the snapshot. A paused or waiting job keeps its process
  while fewer than ``max_parked`` are parked; beyond that the oldest parked one gives its process
  back (it resumes by retraining, as above).
* **Fair share.** ``view``'s ``visitor`` (the client's address; None: the session is its own)
  may have ``max_per_visitor`` jobs queued or running (default twice ``max_running``, at least
  4: two tabs of two runs) that only its sessions watch (a job other visitors watch too is
  shared and counts against no one); beyond that a view starts nothing: the run is ``queued``
  with no position and ``over_share``, until a view finds room. A freed slot goes round robin:
  to the visitor with the fewest runs computing, among equals the one whose last run started
  longest ago, FIFO within. Nothing is kept per visitor beyond its sessions.
* **Processes.** Each worker is ``python -m vgapp.lab.training.worker`` started with
  ``subprocess.Popen`` in the project root: a fresh interpreter with one BLAS thread, glibc's
  malloc thresholds raised and a lower priority (``os.nice``), talking pickled frames over its
  pipes. Nothing of the server is touched: no ``sys.modules["__main__"]``, no import path,
  no environment variable of this process. While any session is alive and nothing trains,
  workers are kept warm (imported and warmed up) for the free slots, so a changed control
  trains at once; when no session has polled for ``idle_exit_s``, idle workers exit. On
  Windows, or with one core, ``backend="thread"`` trains in threads of the server instead:
  slower (they share the GIL and the server's BLAS threads), never wrong.
* **Healing** (``health``). A worker process beats every second from a thread of its own (so
  a niced worker starved by load still beats); one silent ``HUNG_AFTER_S`` (4 s; 30 s before
  its first word; a silent one still computing is starved and spared) is killed, whatever it
  was doing: a stopped, hung or dead process is found within 5 s. A job whose process died is
  restarted on a fresh one, first in its visitor's line, from step 0 with the rows it has
  skipped, ``MAX_RETRIES`` (2) times in ``RETRY_WINDOW_S``, its snapshot saying so
  (``notice``, ``restarts``); one more death fails it. A held job only loses its process; an
  error the recipe raised is not retried. Idle workers that die are replaced. A training
  thread (not killable) silent ``THREAD_STALL_S`` is given up and its job fails.
* **Memory.** Finished, stopped and abandoned jobs stay memoised (least recently viewed first
  out) up to ``memo_jobs`` jobs and ``memo_bytes`` bytes: the largest lab run (20 x 128, float64)
  takes at most 14.8 MB (1.8 MB of trace, 2.5 MB for each of x_stop and x_now, at most 8 MB of
  earlier parameters), so the default 256 MiB holds at least 18. Watched jobs are not in it.

Wiring it into the page (a sketch; the page owns the Streamlit calls)::

    engine = default_engine()                     # one per server process
    session = st.session_state.setdefault("lab_session", uuid.uuid4().hex)
    visitor = st.context.ip_address               # the fair share's unit (None: per session)

    @st.fragment(run_every=0.25)                  # the lab panel polls while it is on screen
    def lab_panel(values):
        mine = spec_from_controls(values)
        theirs = remedy_spec(mine, values["lab_remedy"])
        now_mine, now_theirs = engine.view(session, (mine, theirs), redraw_s=0.25,
                                           visitor=visitor, demands=(Demand(), Demand()))
        # draw now_mine.loss / LAB_SAMPLES, .backprop_norms, .saturation, .x_stop, ...;
        # a "queued" snapshot says queue_position (or over_share), a "failed" one its
        # error text, and a restarted one its notice (one line)

Units: steps k (the trace holds k = 0 .. step); ``loss`` is the summed loss F (the page shows
F / ``LAB_SAMPLES``); norms as ``vgcore.descent``; seconds are wall-clock seconds.

The package: this module holds the public ``TrainingEngine``; ``scheduling`` its bookkeeping
under one lock, with ``fairness`` (sessions, visitors, the fair queue) and ``health`` (silence
and retries); ``jobs`` a job, its statuses and ``Snapshot``; ``trace`` the per-step trace
(defined once); ``processes`` the workers; ``worker`` the training loop and the worker process;
``messages`` what engine and worker say; ``interfaces`` what the engine asks of the lab (a
``Recipe`` and its ``Spec``) and of its workers (``WorkerEvents``). It knows nothing of the
page: the lab gives it the recipe by name (``recipe="vgapp.lab.runs:ENGINE_RECIPE"``, the
default).
"""

from __future__ import annotations

import atexit
import math
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vgapp.lab.training.fairness import visitor_jobs
from vgapp.lab.training.interfaces import Spec
from vgapp.lab.training.jobs import (
    ACTIVE,
    CANCELLED,
    FAILED,
    FINISHED,
    PAUSED,
    QUEUED,
    RESUMABLE,
    RUNNING,
    STATUSES,
    WAITING,
    Demand,
    Job,
    Snapshot,
)
from vgapp.lab.training.processes import ProcessWorker
from vgapp.lab.training.scheduling import Scheduler

BACKENDS: tuple[str, ...] = ("process", "thread")
MAX_SPECS_PER_VIEW = 4
MAX_REDRAW_S = 60.0
"""``view``'s ``redraw_s`` is in (0, MAX_REDRAW_S]."""
CLOSE_WAIT_S = 5.0
"""``close`` waits this long in all for the workers to exit, then kills the rest."""
LAB_RECIPE = "vgapp.lab.runs:ENGINE_RECIPE"
"""The recipe an engine trains unless told otherwise: the lab's runs (imported by name, so
that this package imports nothing of the lab)."""


def available_cores() -> int:
    """Cores this process may run on (the affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class EngineStats:
    """Counters for tests, benchmarks and a status line."""

    trainings_started: int
    """Training attempts handed to a worker since the engine started (restarts included)."""
    running: int
    queued: int
    parked: int
    workers: tuple[int, ...]
    """Process ids of the live worker processes (thread ids for the thread backend)."""
    warm: int
    """Idle workers that have started and warmed up: a new job starts on one at once."""
    ready: int
    """Workers that have started and warmed up, idle or not (none: the first steps of any run
    wait for a process to start, about half a second)."""
    sessions: int
    jobs: int
    memo_bytes: int


# ----------------------------------------------------------------------------- the engine


def _check_positive(value: Any, name: str, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"{name} must be a number in (0, {high:g}]; got {value!r}")
    if not 0 < value <= high:
        raise ValueError(f"{name} must be in (0, {high:g}]; got {value!r}")
    return float(value)


def _check_count(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}; got {value!r}")
    return value


class TrainingEngine(Scheduler):
    """Trainings keyed by spec (a ``RunSpec``); thread-safe; see the module docstring.

    ``max_running``: trainings computing at once (default: the cores this process may use);
    ``max_parked``: paused or waiting jobs that keep their process (default ``max_running``);
    ``max_per_visitor``: jobs one visitor may have queued or running (default
    ``VISITOR_JOBS``, twice ``max_running`` and at least 4: two tabs of two runs);
    ``watcher_timeout_s``: a session that has not polled for this long stops watching (at
    least; ``view``'s ``redraw_s`` lengthens it);
    ``idle_exit_s``: idle workers exit when no session has polled for this long;
    ``memo_jobs``, ``memo_bytes``: bounds of the memo of jobs nobody watches;
    ``backend``: ``"process"`` (default where there is ``fork``/``exec`` and a second core) or
    ``"thread"``; ``niceness``: added to the workers' scheduling priority (0 to 19);
    ``recipe``: what the workers train, ``"module:name"`` of a ``Recipe``."""

    def __init__(
        self,
        *,
        max_running: int | None = None,
        max_parked: int | None = None,
        max_per_visitor: int | None = None,
        watcher_timeout_s: float = 3.0,
        idle_exit_s: float = 4.0,
        memo_jobs: int = 64,
        memo_bytes: int = 256 << 20,
        backend: str | None = None,
        niceness: int = 10,
        recipe: str = LAB_RECIPE,
    ) -> None:
        cores = available_cores()
        if max_running is None:
            max_running = cores
        max_running = _check_count(max_running, "max_running", 1, 64)
        if max_parked is None:
            max_parked = max_running
        if max_per_visitor is None:
            max_per_visitor = visitor_jobs(max_running)
        settings: dict[str, Any] = {
            "max_running": max_running,
            "max_parked": _check_count(max_parked, "max_parked", 0, 64),
            "max_per_visitor": _check_count(max_per_visitor, "max_per_visitor", 1, 256),
            "watcher_timeout_s": _check_positive(watcher_timeout_s, "watcher_timeout_s", 3600),
            "idle_exit_s": _check_positive(idle_exit_s, "idle_exit_s", 3600),
            "memo_jobs": _check_count(memo_jobs, "memo_jobs", 0, 100_000),
            "memo_bytes": _check_count(memo_bytes, "memo_bytes", 0, 1 << 40),
            "niceness": _check_count(niceness, "niceness", 0, 19),
        }
        if backend is None:
            backend = "process" if os.name == "posix" and cores >= 2 else "thread"
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
        super().__init__(**settings, backend=backend, recipe=recipe)

    # ------------------------------------------------------------------------- public API

    def view(
        self,
        session: str,
        specs: Sequence[Spec],
        *,
        demands: Sequence[Demand] | None = None,
        redraw_s: float | None = None,
        visitor: str | None = None,
    ) -> tuple[Snapshot[Any], ...]:
        """Session ``session`` watches exactly ``specs`` now (0 to 4 of them: an empty tuple
        only keeps the session alive and the workers warm); their snapshots, in order.
        ``demands``: how far this session needs each run (its own cursor on the shared trace,
        one per spec); without them the session takes the runs as they are played.

        Call it a few times a second while the lab is on screen: it is the heartbeat.
        ``redraw_s``: how often this session calls (it stays watching for ``WATCHER_REDRAWS``
        of them, and at least ``watcher_timeout_s``); ``visitor``: who it is (the client's
        address; None: the session is its own visitor), for the fair share."""
        session = self._check_session(session)
        if redraw_s is not None:
            redraw_s = _check_positive(redraw_s, "redraw_s", MAX_REDRAW_S)
        if visitor is not None:
            visitor = self._check_session(visitor, "visitor")
        if self._is_spec(specs) or not isinstance(specs, Sequence):
            raise ValueError(f"specs must be a sequence of {self._spec_name()}; got {specs!r:.80}")
        if len(specs) > MAX_SPECS_PER_VIEW:
            raise ValueError(f"specs must hold 0 to {MAX_SPECS_PER_VIEW} runs; got {len(specs)}")
        for i, spec in enumerate(specs):
            if not self._is_spec(spec):
                raise ValueError(f"specs[{i}] must be a {self._spec_name()}; got {spec!r:.80}")
        if demands is not None and (
            not isinstance(demands, Sequence)
            or len(demands) != len(specs)
            or not all(isinstance(d, Demand) for d in demands)
        ):
            raise ValueError(f"demands must hold one Demand per spec; got {demands!r:.80}")
        now = time.monotonic()
        with self._lock:
            self._check_open()
            wanted = frozenset(specs)
            before = self._touch(session, wanted, redraw_s, visitor)
            for spec in before - wanted:
                self._unwatch(spec, session)
            for i, spec in enumerate(specs):
                job = self._jobs.get(spec)
                fresh = job is None
                train = job is None or self._wants_training(job, session)
                if job is None:
                    job = self._jobs[spec] = Job(spec)
                if demands is not None:
                    job.demands[session] = demands[i]
                    needs = job.needs()
                    if fresh and needs is not None:
                        job.hold_at, job.rule_wait = needs[0], not needs[1]
                job.watchers.add(session)
                job.seen_at = now
                if train and (fresh or not job.satisfied()):
                    self._admit(job)
                else:
                    self._apply_demands(job)
            self._schedule()
            self._ensure_ticker()
            return tuple(self._snapshot(self._jobs[spec]) for spec in specs)

    def snapshot(self, spec: Spec) -> Snapshot[Any]:
        """The job of ``spec`` as it stands (no heartbeat); KeyError if the engine has none."""
        with self._lock:
            return self._snapshot(self._job(spec))

    def leave(self, session: str) -> None:
        """``session`` watches nothing any more (e.g. the page is closed)."""
        session = self._check_session(session)
        with self._lock:
            self._drop_session(session)
            self._last_session_at = time.monotonic()
            self._schedule()

    def pause(self, spec: Spec) -> Snapshot[Any]:
        """Hold the run at the step it reaches next (a queued job starts and holds at once)."""
        with self._lock:
            job = self._job(spec)
            if job.status in (QUEUED, RUNNING):
                self._hold(job, max(job.recorded - 1, 0), job.rule_wait)
                if job in self._queue and job.worker is not None:  # parked, waiting for a slot
                    self._queue.remove(job)
                    job.status = job.held_as = PAUSED
            return self._snapshot(job)

    def resume(self, spec: Spec) -> Snapshot[Any]:
        """Play: train on until the rules stop the run; at the rules' stop, the same as
        ``continue_past_stop``; a cancelled or failed job trains again (from step 0, the known
        steps shown meanwhile)."""
        with self._lock:
            job = self._job(spec)
            rule_wait = job.rule_wait and job.status != WAITING
            self._play(job, job.budget, rule_wait)
            return self._snapshot(job)

    def continue_past_stop(self, spec: Spec) -> Snapshot[Any]:
        """Train on to the budget, past the step where the rules stop (or stopped) the run."""
        with self._lock:
            job = self._job(spec)
            self._play(job, job.budget, False)
            return self._snapshot(job)

    def step(self, spec: Spec, n: int = 1) -> Snapshot[Any]:
        """Train ``n`` more steps (1 to the budget) and hold; at the rules' stop, past it."""
        with self._lock:
            job = self._job(spec)
            n = _check_count(n, "n", 1, job.budget)
            target = min(max(job.recorded - 1, 0) + n, job.budget)
            rule_wait = job.rule_wait and job.status != WAITING
            self._play(job, target, rule_wait)
            return self._snapshot(job)

    def cancel(self, spec: Spec) -> Snapshot[Any]:
        """Stop training this job (its steps so far stay shown); ``resume`` trains it again."""
        with self._lock:
            job = self._job(spec)
            if job.status in ACTIVE:
                self._release(job)
                job.status, job.abandoned, job.over_share = CANCELLED, False, False
                job.version += 1
                self._schedule()
            return self._snapshot(job)

    def stats(self) -> EngineStats:
        with self._lock:
            running = sum(1 for w in self._workers if w.job is not None and not w.held)
            parked = sum(1 for w in self._workers if w.job is not None and w.held)
            return EngineStats(
                trainings_started=self._started,
                running=running,
                queued=len(self._queue),
                parked=parked,
                workers=tuple(w.ident for w in self._workers if w.alive),
                warm=sum(1 for w in self._workers if w.alive and w.ready and w.job is None),
                ready=sum(1 for w in self._workers if w.alive and w.ready),
                sessions=len(self._sessions),
                jobs=len(self._jobs),
                memo_bytes=sum(job.nbytes for job in self._jobs.values()),
            )

    def worker_of(self, spec: Spec) -> int | None:
        """The process (or thread) id of the worker holding ``spec``'s job, if one does (for
        tests and benchmarks)."""
        with self._lock:
            job = self._jobs.get(spec)
            worker = None if job is None else job.worker
            return None if worker is None else worker.ident

    def worker_processes(self) -> tuple[subprocess.Popen[bytes], ...]:
        """The live worker processes (for tests and benchmarks)."""
        with self._lock:
            return tuple(w.process for w in self._workers if isinstance(w, ProcessWorker))

    def close(self) -> None:
        """Stop every worker; the engine refuses further calls."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
            for job in self._jobs.values():
                if job.status in ACTIVE and job.status not in (PAUSED, WAITING):
                    job.status = CANCELLED
                job.worker = None
            self._queue.clear()
        for worker in workers:
            worker.stop()
        self._wake.set()
        deadline = time.monotonic() + CLOSE_WAIT_S
        for worker in workers:
            if isinstance(worker, ProcessWorker):
                try:
                    worker.process.wait(timeout=max(deadline - time.monotonic(), 0.0))
                except subprocess.TimeoutExpired:  # hung or stopped (SIGSTOP): SIGKILL ends it
                    worker.process.kill()


_DEFAULT: TrainingEngine | None = None
_DEFAULT_LOCK = threading.Lock()


_SETTINGS = ("VG_MAX_TRAININGS", "VG_TRAININGS_PER_VISITOR")


def default_engine() -> TrainingEngine:
    """The server's one engine, created on first use (``VG_MAX_TRAININGS`` overrides
    ``max_running``, ``VG_TRAININGS_PER_VISITOR`` ``max_per_visitor``) and closed at exit."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            running, share = (os.environ.get(name) for name in _SETTINGS)
            _DEFAULT = TrainingEngine(
                max_running=int(running) if running else None,
                max_per_visitor=int(share) if share else None,
            )
            atexit.register(_DEFAULT.close)
        return _DEFAULT


__all__ = [
    "BACKENDS",
    "CANCELLED",
    "FAILED",
    "FINISHED",
    "PAUSED",
    "QUEUED",
    "RESUMABLE",
    "RUNNING",
    "STATUSES",
    "WAITING",
    "Demand",
    "EngineStats",
    "Snapshot",
    "TrainingEngine",
    "available_cores",
    "default_engine",
]
