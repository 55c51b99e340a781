"""The lab's training engine, without Streamlit: one training per ``RunSpec`` however many
sessions watch it, trained step by step in warm worker processes, watched through cheap
immutable snapshots, controlled like TensorFlow Playground, and bounded for a classroom on one
laptop.

The page polls ``TrainingEngine.view(session, specs)`` a few times a second (a fragment with
``run_every``): the call says which runs this session looks at (yours and the comparison),
serves as its heartbeat and returns one ``Snapshot`` per spec. Everything else follows:

* **Jobs keyed by spec.** The first session to view a spec queues its training; later sessions
  watch the same job. A job trains until the stopping rules stop it and then *waits* there
  ("continue" trains on to the budget). Pause, resume, step(n), cancel and continue act on the
  job, so every watcher sees them.
* **Nothing trains that nobody looks at.** A job loses a watcher when the session views other
  specs or stops polling for ``watcher_timeout_s``; a job with no watchers left is abandoned: a
  queued or running one is cancelled (its process freed at the next step), a paused or waiting
  one gives its process back. Viewing it again shows what it had at once and trains on (from
  step 0, the same arithmetic, rows already known are not sent again).
* **Cap.** At most ``max_running`` trainings compute at once (default: one per core); the rest
  are ``queued`` with their position in the snapshot. A paused or waiting job keeps its process
  while fewer than ``max_parked`` are parked; beyond that the oldest parked one gives its process
  back (it resumes by retraining, as above).
* **Processes.** Each worker is ``python -m vgapp.lab.training.worker`` started with
  ``subprocess.Popen`` in the project root: a fresh interpreter with one BLAS thread, glibc's
  malloc thresholds raised and a lower priority (``os.nice``), talking pickled frames over its
  pipes. Nothing of the server is touched: no ``sys.modules["__main__"]``, no import path,
  no environment variable of this process. While any session is alive and nothing trains,
  workers are kept warm (imported and warmed up) for the free slots, so a changed control
  trains at once; when no session has polled for ``idle_exit_s``, idle workers exit. On
  Windows, or with one core, ``backend="thread"`` trains in threads of the server instead:
  slower (they share the GIL and the server's BLAS threads), never wrong.
* **Memory.** Finished, stopped and abandoned jobs stay memoised (least recently viewed first
  out) up to ``memo_jobs`` jobs and ``memo_bytes`` bytes of traces and parameters: the largest
  lab run (20 x 128, 5,000 steps, float64) takes 6.9 MB (1.8 MB of trace, 2.5 MB for each of
  the two parameter vectors kept), so the default 256 MiB holds at least 39 of them (86 in
  float16; a default-sized job takes 0.3 MB, so there the 64 jobs bound first). Jobs being
  watched are not in the memo: at most 4 per live session.

Wiring it into the page (a sketch; the page owns the Streamlit calls)::

    engine = default_engine()                     # one per server process
    session = st.session_state.setdefault("lab_session", uuid.uuid4().hex)
    engine.view(session, ())                      # at page load: warm the workers

    @st.fragment(run_every=0.25)                  # the lab panel polls while it is on screen
    def lab_panel(values):
        mine = spec_from_controls(values)
        theirs = remedy_spec(mine, values["lab_remedy"])
        now_mine, now_theirs = engine.view(session, (mine, theirs))
        # draw now_mine.loss / LAB_SAMPLES, .backprop_norms, .saturation, .x_stop, ...;
        # skip redrawing a chart whose snapshot.version has not changed; buttons call
        # engine.pause(mine), .resume, .step(mine, 10), .cancel, .continue_past_stop;
        # a "queued" snapshot says queue_position, a "failed" one its error text

Units: steps are descent iterations k (the trace holds k = 0 .. step); ``loss`` is the summed
loss F that the core minimises (divide by ``LAB_SAMPLES`` for the mean the page shows); norms
as ``vgcore.descent``; seconds are wall-clock seconds.

One idea despite its length (~670 lines): the engine's bookkeeping under one lock. Jobs, their
watchers, the queue and the workers change together (a watcher leaving abandons a job, which
frees a worker, which starts the next queued job), so they live in one class whose methods hold
its lock; the job's own state, the worker processes and the training loop are modules of their
own (``training_jobs``, ``training_processes``, ``training_worker``).
"""

from __future__ import annotations

import atexit
import itertools
import math
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vgapp.lab.runs import RunSpec
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
    Job,
    Snapshot,
)
from vgapp.lab.training.processes import LOG, ProcessWorker, ThreadWorker, Worker

BACKENDS: tuple[str, ...] = ("process", "thread")
MAX_SPECS_PER_VIEW = 4
MAX_SESSION_ID = 200
TICK_S = 0.25
"""The engine's housekeeping period: expired watchers, idle workers, the queue."""
START_TIMEOUT_S = 60.0
"""A worker that has not said it is ready after this long is killed (its job fails)."""
STALL_TIMEOUT_S = 120.0
"""A worker training (not held) that has sent nothing for this long is killed (its job fails):
it sends rows every ``ROW_INTERVAL_S`` while it trains, and one step of the largest run takes
well under a second even with Armijo's trials on a loaded machine."""


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


class TrainingEngine:
    """Trainings keyed by ``RunSpec``; thread-safe; see the module docstring.

    ``max_running``: trainings computing at once (default: the cores this process may use);
    ``max_parked``: paused or waiting jobs that keep their process (default ``max_running``);
    ``watcher_timeout_s``: a session that has not polled for this long stops watching;
    ``idle_exit_s``: idle workers exit when no session has polled for this long;
    ``memo_jobs``, ``memo_bytes``: bounds of the memo of jobs nobody watches;
    ``backend``: ``"process"`` (default where there is ``fork``/``exec`` and a second core) or
    ``"thread"``; ``niceness``: added to the workers' scheduling priority (0 to 19)."""

    def __init__(
        self,
        *,
        max_running: int | None = None,
        max_parked: int | None = None,
        watcher_timeout_s: float = 3.0,
        idle_exit_s: float = 4.0,
        memo_jobs: int = 64,
        memo_bytes: int = 256 << 20,
        backend: str | None = None,
        niceness: int = 10,
    ) -> None:
        cores = available_cores()
        if max_running is None:
            max_running = cores
        self.max_running = _check_count(max_running, "max_running", 1, 64)
        if max_parked is None:
            max_parked = self.max_running
        self.max_parked = _check_count(max_parked, "max_parked", 0, 64)
        self.watcher_timeout_s = _check_positive(watcher_timeout_s, "watcher_timeout_s", 3600)
        self.idle_exit_s = _check_positive(idle_exit_s, "idle_exit_s", 3600)
        self.memo_jobs = _check_count(memo_jobs, "memo_jobs", 0, 100_000)
        self.memo_bytes = _check_count(memo_bytes, "memo_bytes", 0, 1 << 40)
        self.niceness = _check_count(niceness, "niceness", 0, 19)
        if backend is None:
            backend = "process" if os.name == "posix" and cores >= 2 else "thread"
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
        self.backend = backend
        self._lock = threading.RLock()
        self._jobs: dict[RunSpec, Job] = {}
        self._queue: list[Job] = []
        self._workers: list[Worker] = []
        self._sessions: dict[str, tuple[float, frozenset[RunSpec]]] = {}
        self._attempts = itertools.count()
        self._started = 0
        self._closed = False
        self._ticker: threading.Thread | None = None
        self._wake = threading.Event()
        self._last_session_at = -math.inf

    # ------------------------------------------------------------------------- public API

    def view(self, session: str, specs: Sequence[RunSpec]) -> tuple[Snapshot, ...]:
        """Session ``session`` watches exactly ``specs`` now (0 to 4 of them: an empty tuple
        only keeps the session alive and the workers warm); their snapshots, in order.

        Call it a few times a second while the lab is on screen: it is the heartbeat."""
        session = self._check_session(session)
        if isinstance(specs, RunSpec) or not isinstance(specs, Sequence):
            raise ValueError(f"specs must be a sequence of RunSpec; got {specs!r:.80}")
        if len(specs) > MAX_SPECS_PER_VIEW:
            raise ValueError(f"specs must hold 0 to {MAX_SPECS_PER_VIEW} runs; got {len(specs)}")
        for i, spec in enumerate(specs):
            if not isinstance(spec, RunSpec):
                raise ValueError(f"specs[{i}] must be a RunSpec; got {spec!r:.80}")
        now = time.monotonic()
        with self._lock:
            self._check_open()
            wanted = frozenset(specs)
            _, before = self._sessions.get(session, (now, frozenset()))
            self._sessions[session] = (now, wanted)
            self._last_session_at = now
            for spec in before - wanted:
                self._unwatch(spec, session)
            for spec in specs:
                job = self._jobs.get(spec)
                if job is None:
                    job = self._jobs[spec] = Job(spec)
                    self._enqueue(job)
                elif job.status == CANCELLED and job.abandoned:
                    job.abandoned = False
                    self._enqueue(job)
                job.watchers.add(session)
                job.seen_at = now
            self._schedule()
            self._ensure_ticker()
            return tuple(self._snapshot(self._jobs[spec]) for spec in specs)

    def snapshot(self, spec: RunSpec) -> Snapshot:
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

    def pause(self, spec: RunSpec) -> Snapshot:
        """Hold the run at the step it reaches next (a queued job starts and holds at once)."""
        with self._lock:
            job = self._job(spec)
            if job.status in (QUEUED, RUNNING):
                self._hold(job, max(job.recorded - 1, 0), job.rule_wait)
                if job in self._queue and job.worker is not None:  # parked, waiting for a slot
                    self._queue.remove(job)
                    job.status = job.held_as = PAUSED
            return self._snapshot(job)

    def resume(self, spec: RunSpec) -> Snapshot:
        """Play: train on until the rules stop the run; at the rules' stop, the same as
        ``continue_past_stop``; a cancelled or failed job trains again (from step 0, the known
        steps shown meanwhile)."""
        with self._lock:
            job = self._job(spec)
            rule_wait = job.rule_wait and job.status != WAITING
            self._play(job, job.budget, rule_wait)
            return self._snapshot(job)

    def continue_past_stop(self, spec: RunSpec) -> Snapshot:
        """Train on to the budget, past the step where the rules stop (or stopped) the run."""
        with self._lock:
            job = self._job(spec)
            self._play(job, job.budget, False)
            return self._snapshot(job)

    def step(self, spec: RunSpec, n: int = 1) -> Snapshot:
        """Train ``n`` more steps (1 to the budget) and hold; at the rules' stop, past it."""
        with self._lock:
            job = self._job(spec)
            n = _check_count(n, "n", 1, job.budget)
            target = min(max(job.recorded - 1, 0) + n, job.budget)
            rule_wait = job.rule_wait and job.status != WAITING
            self._play(job, target, rule_wait)
            return self._snapshot(job)

    def cancel(self, spec: RunSpec) -> Snapshot:
        """Stop training this job (its steps so far stay shown); ``resume`` trains it again."""
        with self._lock:
            job = self._job(spec)
            if job.status in ACTIVE:
                self._release(job)
                job.status, job.abandoned = CANCELLED, False
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

    def worker_processes(self) -> tuple[subprocess.Popen, ...]:
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
        for worker in workers:
            if isinstance(worker, ProcessWorker):
                try:
                    worker.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    worker.process.kill()

    # ------------------------------------------------------------------------- internals

    def _check_session(self, session: Any) -> str:
        if not isinstance(session, str) or not 0 < len(session) <= MAX_SESSION_ID:
            raise ValueError(
                f"session must be a string of 1 to {MAX_SESSION_ID} characters; got {session!r:.80}"
            )
        return session

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the training engine is closed")

    def _job(self, spec: RunSpec) -> Job:
        if not isinstance(spec, RunSpec):
            raise ValueError(f"spec must be a RunSpec; got {spec!r:.80}")
        self._check_open()
        job = self._jobs.get(spec)
        if job is None:
            raise KeyError("no job for this spec: view it first")
        return job

    def _snapshot(self, job: Job) -> Snapshot:
        position = None
        if job.status == QUEUED and job in self._queue:
            position = self._queue.index(job) + 1
        return job.snapshot(position)

    def _enqueue(self, job: Job) -> None:
        """Queue ``job`` to train (again); it keeps the steps it has."""
        if job.status in (FINISHED,) or job in self._queue:
            return
        job.status, job.error = QUEUED, None
        job.queued_at = time.monotonic()
        job.version += 1
        self._queue.append(job)

    def _hold(self, job: Job, hold_at: int, rule_wait: bool) -> None:
        job.hold_at, job.rule_wait = hold_at, rule_wait
        job.version += 1
        if job.worker is not None:
            job.worker.send(("hold", job.attempt, hold_at, rule_wait))

    def _play(self, job: Job, hold_at: int, rule_wait: bool) -> None:
        if job.status == FINISHED:
            return
        job.hold_at, job.rule_wait = hold_at, rule_wait
        job.version += 1
        if job.status in (PAUSED, WAITING) and job.worker is not None:
            self._enqueue(job)  # parked: released when a slot is free (at once if one is)
        elif job.status in (PAUSED, WAITING, CANCELLED, FAILED):
            job.abandoned = False
            self._enqueue(job)
        elif job.worker is not None:
            job.worker.send(("hold", job.attempt, hold_at, rule_wait))
        self._schedule()

    def _release(self, job: Job) -> None:
        """Take ``job`` off its worker (which goes idle) and out of the queue."""
        if job in self._queue:
            self._queue.remove(job)
        worker = job.worker
        if worker is not None:
            worker.send(("cancel", job.attempt))
            worker.job, worker.held = None, False
            worker.idle_since = time.monotonic()
            job.worker = None
        job.rate_mark = None

    def _unwatch(self, spec: RunSpec, session: str) -> None:
        job = self._jobs.get(spec)
        if job is None:
            return
        job.watchers.discard(session)
        if job.watchers:
            return
        if job.status in (QUEUED, RUNNING):
            # A queued job paused or waiting while parked goes back to its held state.
            parked = job.worker is not None and job.worker.held
            self._release(job)
            if parked:
                job.status = job.held_as
            else:
                job.status, job.abandoned = CANCELLED, True
            job.version += 1
        elif job.status in (PAUSED, WAITING):
            self._release(job)
            job.version += 1

    def _drop_session(self, session: str) -> None:
        _, specs = self._sessions.pop(session, (0.0, frozenset()))
        for spec in specs:
            self._unwatch(spec, session)

    def _start_worker(self) -> Worker:
        worker: Worker
        if self.backend == "process":
            try:
                worker = ProcessWorker(self)
            except OSError as error:  # no process to be had: train in threads from now on
                LOG.warning("no training process (%s): training in threads instead", error)
                self.backend = "thread"
        if self.backend == "thread":
            worker = ThreadWorker(self)
        self._workers.append(worker)
        return worker

    def _schedule(self) -> None:
        """Start queued jobs while slots are free; keep warm workers; bound parked ones."""
        if self._closed:
            return
        live = [w for w in self._workers if w.alive]
        running = sum(1 for w in live if w.job is not None and not w.held)
        for job in list(self._queue):
            if running >= self.max_running:
                break
            worker = job.worker
            if worker is not None:  # parked: release it
                worker.held, worker.heard_at = False, time.monotonic()
                job.status = RUNNING
                worker.send(("hold", job.attempt, job.hold_at, job.rule_wait))
            else:
                idle = [w for w in live if w.job is None]
                if not idle:
                    if len(live) >= self.max_running + self.max_parked:
                        self._evict_parked(live)
                        live = [w for w in self._workers if w.alive]
                        idle = [w for w in live if w.job is None]
                    if not idle:
                        idle = [self._start_worker()]
                        live.append(idle[0])
                worker = min(idle, key=lambda w: (not w.ready, w.number))
                self._assign(job, worker)
            self._queue.remove(job)
            job.version += 1
            running += 1
        self._bound_parked(live)
        # Warm workers for the free slots, once nothing trains: a process starting costs about
        # a third of a second of a core at the page's priority, which a run training and the
        # browser drawing it need on a 2-core laptop (a fresh server's default lab was done
        # ~0.2 s sooner without the one started when your run stopped: fresh-server loads of
        # the page with either policy alternated in one run, eight each, medians 2.99/3.22 s).
        if self._sessions and running == 0:
            free = sum(1 for w in live if w.job is None)
            wanted = self.max_running - running - free
            room = self.max_running + self.max_parked - len(live)
            for _ in range(max(0, min(wanted, room))):
                live.append(self._start_worker())

    def _assign(self, job: Job, worker: Worker) -> None:
        job.attempt = next(self._attempts)
        job.worker, worker.job, worker.held = worker, job, False
        worker.heard_at = (
            max(worker.heard_at, time.monotonic()) if worker.ready else worker.heard_at
        )
        job.status, job.error = RUNNING, None
        job.rate_mark = None  # a new clock in the worker; the speed measured so far stays
        self._started += 1
        worker.send(("train", job.attempt, job.spec, job.hold_at, job.rule_wait, job.recorded))

    def _parked(self, live: list[Worker]) -> list[Worker]:
        return sorted(
            (w for w in live if w.job is not None and w.held and w.job not in self._queue),
            key=lambda w: w.parked_at,
        )

    def _evict_parked(self, live: list[Worker]) -> None:
        parked = self._parked(live)
        if parked:
            job = parked[0].job
            assert job is not None
            self._release(job)
            job.version += 1

    def _bound_parked(self, live: list[Worker]) -> None:
        parked = self._parked(live)
        for worker in parked[: max(0, len(parked) - self.max_parked)]:
            job = worker.job
            assert job is not None
            self._release(job)
            job.version += 1

    def _trim_memo(self) -> None:
        idle = [job for job in self._jobs.values() if not job.watchers and not job.resident]
        idle = [job for job in idle if job.status not in (QUEUED, RUNNING)]
        idle.sort(key=lambda job: job.seen_at)
        total = sum(job.nbytes for job in self._jobs.values())
        count = len(idle)
        for job in idle:
            if count <= self.memo_jobs and total <= self.memo_bytes:
                break
            del self._jobs[job.spec]
            total -= job.nbytes
            count -= 1

    # ------------------------------------------------------------------------- messages

    def _on_message(self, worker: Worker, message: tuple) -> None:
        kind = message[0]
        with self._lock:
            worker.heard_at = time.monotonic()
            if kind == "ready":
                worker.ready = True
                return
            job = worker.job
            if job is None or job.worker is not worker or message[1] != job.attempt:
                return  # about a training this worker no longer runs
            if kind == "rows":
                job.add_rows(message[2])
            elif kind == "held":
                worker.held, worker.parked_at = True, time.monotonic()
                if job in self._queue:
                    self._queue.remove(job)
                job.status = job.held_as = WAITING if message[3] == "rule" else PAUSED
                job.rate_mark = None  # the hold is not training time
                self._schedule()
            elif kind == "running":
                worker.held = False
                job.status = RUNNING
            elif kind in ("done", "failed", "cancelled"):
                worker.job, worker.held = None, False
                worker.idle_since = time.monotonic()
                job.worker = None
                if kind == "done":
                    job.finish(message[2])
                elif kind == "failed":
                    job.status, job.error = FAILED, message[2]
                else:
                    job.status = CANCELLED
                self._schedule()
                self._trim_memo()
            job.version += 1

    def _on_worker_exit(self, worker: Worker, text: str) -> None:
        with self._lock:
            worker.alive = False
            if worker in self._workers:
                self._workers.remove(worker)
            job = worker.job
            if job is not None and job.worker is worker:
                job.worker = None
                if job in self._queue:
                    self._queue.remove(job)
                job.status, job.error = FAILED, text
                job.version += 1
            worker.job = None
            self._schedule()

    # ------------------------------------------------------------------------- housekeeping

    def _ensure_ticker(self) -> None:
        if self._ticker is None or not self._ticker.is_alive():
            self._ticker = threading.Thread(target=self._tick, name="training-engine", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._closed:
            self._wake.wait(TICK_S)
            with self._lock:
                if self._closed:
                    return
                now = time.monotonic()
                for session, (seen, _) in list(self._sessions.items()):
                    if now - seen > self.watcher_timeout_s:
                        self._drop_session(session)
                self._kill_unanswering(now)
                self._schedule()
                self._stop_idle_workers(now)
                self._trim_memo()
                if not self._workers and not self._sessions:
                    self._ticker = None
                    return

    def _kill_unanswering(self, now: float) -> None:
        for worker in list(self._workers):
            silent = now - worker.heard_at
            starting = not worker.ready and silent > START_TIMEOUT_S
            stalled = worker.job is not None and not worker.held and silent > STALL_TIMEOUT_S
            if worker.alive and (starting or stalled):
                LOG.warning("training worker %s does not answer: killing it", worker.ident)
                worker.kill()

    def _stop_idle_workers(self, now: float) -> None:
        """While any session is alive every worker stays (there are at most max_running +
        max_parked): a parked one freed by a changed control trains the next run at once.
        When none has polled for ``idle_exit_s``, the idle ones exit."""
        if self._sessions or now - self._last_session_at <= self.idle_exit_s:
            return
        for worker in [w for w in self._workers if w.alive and w.job is None]:
            worker.stop()
            self._workers.remove(worker)


_DEFAULT: TrainingEngine | None = None
_DEFAULT_LOCK = threading.Lock()


def default_engine() -> TrainingEngine:
    """The server's one engine, created on first use (``VG_MAX_TRAININGS`` overrides
    ``max_running``) and closed at exit."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            setting = os.environ.get("VG_MAX_TRAININGS")
            max_running = int(setting) if setting else None
            _DEFAULT = TrainingEngine(max_running=max_running)
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
    "EngineStats",
    "Snapshot",
    "TrainingEngine",
    "available_cores",
    "default_engine",
]
