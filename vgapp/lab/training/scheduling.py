"""The training engine's bookkeeping under one lock (``Scheduler``, which ``TrainingEngine``
extends with its public calls): the jobs by spec, their watchers, the queue and the workers,
which change together (a watcher leaving abandons a job, which frees a worker, which starts the
next queued job); the workers report to it as its ``WorkerEvents``; a ticker thread does the
housekeeping. The policy is described in ``vgapp.lab.training.engine``.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from typing import Any

from vgapp.lab.training.fairness import Session, Visitors
from vgapp.lab.training.health import RESTARTED, retry_allowed, silence_verdict
from vgapp.lab.training.interfaces import Recipe, Spec, load_recipe
from vgapp.lab.training.jobs import (
    CANCELLED,
    FAILED,
    FINISHED,
    PAUSED,
    QUEUED,
    RUNNING,
    WAITING,
    Job,
    Snapshot,
)
from vgapp.lab.training.processes import LOG, ProcessWorker, ThreadWorker, Worker

MAX_SESSION_ID = 200
TICK_S = 0.25
"""The engine's housekeeping period: expired watchers, idle workers, the queue."""


class Scheduler(Visitors):
    """Jobs, watchers, queue and workers, guarded by ``_lock``: the private methods expect it
    held (but ``_tick``, the ticker thread's loop, which takes it); the ``WorkerEvents`` methods
    take it. Settings as ``TrainingEngine``'s, checked there."""

    def __init__(
        self,
        *,
        max_running: int,
        max_parked: int,
        max_per_visitor: int,
        watcher_timeout_s: float,
        idle_exit_s: float,
        memo_jobs: int,
        memo_bytes: int,
        backend: str,
        niceness: int,
        recipe: str,
    ) -> None:
        self.max_running = max_running
        self.max_parked = max_parked
        self.max_per_visitor = max_per_visitor
        self.watcher_timeout_s = watcher_timeout_s
        self.idle_exit_s = idle_exit_s
        self.memo_jobs = memo_jobs
        self.memo_bytes = memo_bytes
        self.backend = backend
        self.niceness = niceness
        self.recipe = recipe
        self._recipe: Recipe = load_recipe(recipe)
        self._lock = threading.RLock()
        self._jobs: dict[Spec, Job] = {}
        self._queue: list[Job] = []
        self._workers: list[Worker[Job]] = []
        self._sessions: dict[str, Session] = {}
        self._attempts = itertools.count()
        self._started = 0
        self._closed = False
        self._ticker: threading.Thread | None = None
        self._wake = threading.Event()
        self._last_session_at = -math.inf

    def _check_session(self, session: Any, name: str = "session") -> str:
        if not isinstance(session, str) or not 0 < len(session) <= MAX_SESSION_ID:
            raise ValueError(
                f"{name} must be a string of 1 to {MAX_SESSION_ID} characters; got {session!r:.80}"
            )
        return session

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the training engine is closed")

    def _is_spec(self, value: Any) -> bool:
        return isinstance(value, self._recipe.spec_type)

    def _spec_name(self) -> str:
        return self._recipe.spec_type.__name__

    def _job(self, spec: Spec) -> Job:
        if not self._is_spec(spec):
            raise ValueError(f"spec must be a {self._spec_name()}; got {spec!r:.80}")
        self._check_open()
        job = self._jobs.get(spec)
        if job is None:
            raise KeyError("no job for this spec: view it first")
        return job

    def _snapshot(self, job: Job) -> Snapshot[Any]:
        position = None
        if job.status == QUEUED and job in self._queue:
            position = self._queue.index(job) + 1
        return job.snapshot(position)

    def _wants_training(self, job: Job, session: str) -> bool:
        """Whether ``session``'s view of ``job`` (before it watches it) should train it: new,
        held back by its visitor's share, abandoned by its watchers, or failed (a failure is
        not memoised for the next visitor: a session that starts watching it tries again)."""
        if job.over_share or (job.status == CANCELLED and job.abandoned):
            return True
        return job.status == FAILED and session not in job.watchers

    def _admit(self, job: Job) -> None:
        """Queue ``job`` for its watchers, unless it is over its visitor's share: then it is
        held back (``over_share``, status queued, not in the queue) until a view finds room."""
        if not self._over_share(job):
            self._enqueue(job)
        elif not job.over_share:
            job.status, job.over_share = QUEUED, True
            job.version += 1

    def _enqueue(self, job: Job, *, retry: bool = False) -> None:
        """Queue ``job`` to train (again); it keeps the steps it has. A ``retry`` (its process
        died) keeps its place in line; anything else is a fresh start of the run's luck."""
        if job.status in (FINISHED,) or job in self._queue:
            return
        if not retry:
            job.deaths.clear()
            job.notice = None
            job.queued_at = time.monotonic()
        job.status, job.error = QUEUED, None
        job.abandoned = job.over_share = False
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

    def _apply_demands(self, job: Job) -> None:
        """Train ``job`` as far as its sessions' demands need (each session's own cursor on the
        shared trace): the furthest step any needs, past the rules' stop if any needs that;
        hold it once none needs more. Nothing changes while the demands do not."""
        needs = job.needs()
        if needs is None or job.status == FINISHED:
            return
        target, past_stop = needs
        if (target, not past_stop) == (job.hold_at, job.rule_wait):
            return  # a failed or cancelled job trains again only when a demand changes
        if job.satisfied():
            if job.status == QUEUED and job.worker is None:  # it would retrain only to hold
                if job in self._queue:
                    self._queue.remove(job)
                job.status = job.held_as = PAUSED
                job.over_share = False
                job.hold_at, job.rule_wait = target, not past_stop
                job.version += 1
            elif job.status in (QUEUED, RUNNING):
                self._hold(job, target, not past_stop)
            else:
                job.hold_at, job.rule_wait = target, not past_stop
            return
        self._play(job, target, not past_stop)

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

    def _unwatch(self, spec: Spec, session: str) -> None:
        job = self._jobs.get(spec)
        if job is None:
            return
        job.watchers.discard(session)
        if job.demands.pop(session, None) is not None and job.watchers:
            self._apply_demands(job)
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
            job.over_share = False
            job.version += 1
        elif job.status in (PAUSED, WAITING):
            self._release(job)
            job.version += 1
        elif job.status == FAILED:  # not memoised: the next to view it tries again anyway
            del self._jobs[spec]

    def _drop_session(self, session: str) -> None:
        state = self._sessions.pop(session, None)
        for spec in () if state is None else state.specs:
            self._unwatch(spec, session)

    def _start_worker(self) -> Worker[Job]:
        worker: Worker[Job]
        if self.backend == "process":
            try:
                worker = ProcessWorker(self, self.niceness, self.recipe)
            except OSError as error:  # no process to be had: train in threads from now on
                LOG.warning("no training process (%s): training in threads instead", error)
                self.backend = "thread"
        if self.backend == "thread":
            worker = ThreadWorker(self, self._recipe)
        self._workers.append(worker)
        return worker

    def _schedule(self) -> None:
        """Start queued jobs while slots are free; keep warm workers; bound parked ones."""
        if self._closed:
            return
        live = [w for w in self._workers if w.alive]
        running = sum(1 for w in live if w.job is not None and not w.held)
        if len(self._queue) > 1:
            self._queue = self._fair_order(live)
        for job in list(self._queue):
            if running >= self.max_running:
                break
            worker = job.worker
            if worker is not None:  # parked: release it
                worker.held = False
                self._restart_stall_clock(worker)
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
        # browser drawing it need on a 2-core laptop (README, figures behind the constants).
        if self._sessions and running == 0:
            free = sum(1 for w in live if w.job is None)
            wanted = self.max_running - running - free
            room = self.max_running + self.max_parked - len(live)
            for _ in range(max(0, min(wanted, room))):
                live.append(self._start_worker())

    def _restart_stall_clock(self, worker: Worker[Job]) -> None:
        """A thread's stall clock runs while it trains only (a process beats anyway)."""
        if not worker.beats and worker.ready:
            worker.heard_at = max(worker.heard_at, time.monotonic())

    def _assign(self, job: Job, worker: Worker[Job]) -> None:
        job.attempt, job.started_at = next(self._attempts), time.monotonic()
        job.worker, worker.job, worker.held = worker, job, False
        self._restart_stall_clock(worker)
        job.status, job.error = RUNNING, None
        job.rate_mark = None  # a new clock in the worker; the speed measured so far stays
        self._started += 1
        worker.send(("train", job.attempt, job.spec, job.hold_at, job.rule_wait, job.recorded))

    def _parked(self, live: list[Worker[Job]]) -> list[Worker[Job]]:
        return sorted(
            (w for w in live if w.job is not None and w.held and w.job not in self._queue),
            key=lambda w: w.parked_at,
        )

    def _evict_parked(self, live: list[Worker[Job]]) -> None:
        parked = self._parked(live)
        if parked:
            job = parked[0].job
            assert job is not None
            self._release(job)
            job.version += 1

    def _bound_parked(self, live: list[Worker[Job]]) -> None:
        parked = self._parked(live)
        for worker in parked[: max(0, len(parked) - self.max_parked)]:
            job = worker.job
            assert job is not None
            self._release(job)
            job.version += 1

    def _trim_memo(self) -> None:
        idle = [job for job in self._jobs.values() if not job.watchers and not job.resident]
        idle = [job for job in idle if job.status not in (QUEUED, RUNNING)]
        for job in [job for job in idle if job.status == FAILED]:
            del self._jobs[job.spec]  # a failure is not memoised
        idle = [job for job in idle if job.status != FAILED]
        idle.sort(key=lambda job: job.seen_at)
        total = sum(job.nbytes for job in self._jobs.values())
        count = len(idle)
        for job in idle:
            if count <= self.memo_jobs and total <= self.memo_bytes:
                break
            del self._jobs[job.spec]
            total -= job.nbytes
            count -= 1

    # ------------------------------------------------------------------------- WorkerEvents

    def worker_message(self, worker: Worker[Job], message: tuple[Any, ...]) -> None:
        """A message from ``worker`` (its reader thread): see ``vgapp.lab.training.worker``."""
        kind = message[0]
        with self._lock:
            worker.heard_at, worker.heard = time.monotonic(), True
            if kind == "alive":
                return
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

    def worker_exited(self, worker: Worker[Job], text: str) -> None:
        """``worker`` has ended (or is given up on): its job is retried or fails with
        ``text``."""
        with self._lock:
            worker.alive = False
            if worker in self._workers:
                self._workers.remove(worker)
            job = worker.job
            worker.job = None
            if job is not None and job.worker is worker and not self._closed:
                job.worker = None
                self._orphaned(job, worker, text)
                job.version += 1
            self._schedule()

    def _orphaned(self, job: Job, worker: Worker[Job], text: str) -> None:
        """``job``'s worker is gone. Held (paused, waiting), it has only lost its process, as
        when parking evicts it: play retrains it. Training, it is queued again (first in its
        visitor's line) for a fresh worker, from step 0 with the rows it has skipped, up to
        ``health.MAX_RETRIES`` times in its window; then it fails with ``text``."""
        if job.status in (PAUSED, WAITING) and job not in self._queue:
            return
        if retry_allowed(worker, job.deaths, time.monotonic()):
            LOG.warning("training worker %s gone (%s): restarting its run", worker.ident, text)
            job.restarts += 1
            job.notice = RESTARTED
            self._enqueue(job, retry=True)
            return
        if job in self._queue:
            self._queue.remove(job)
        job.status, job.error = FAILED, text

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
                for session, state in list(self._sessions.items()):
                    if now - state.seen > state.timeout:
                        self._drop_session(session)
                self._kill_unanswering(now)
                self._schedule()
                self._stop_idle_workers(now)
                self._trim_memo()
                if not self._workers and not self._sessions:
                    self._ticker = None
                    return

    def _kill_unanswering(self, now: float) -> None:
        """End the workers silent too long (``health``), stopping ones included."""
        for worker in list(self._workers):
            verdict = None if worker.killed is not None else silence_verdict(worker, now)
            if verdict is not None:
                LOG.warning("training worker %s: %s; killing it", worker.ident, verdict)
                worker.kill(verdict)

    def _stop_idle_workers(self, now: float) -> None:
        """While any session is alive every worker stays (there are at most max_running +
        max_parked): a parked one freed by a changed control trains the next run at once.
        When none has polled for ``idle_exit_s``, the idle ones exit."""
        if self._sessions or now - self._last_session_at <= self.idle_exit_s:
            return
        for worker in [w for w in self._workers if w.alive and w.job is None]:
            worker.stop()  # it stays listed (not alive) until it has gone: killed if it hangs
