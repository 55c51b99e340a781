"""The training engine's sessions and their fair share among visitors (a visitor: one client
address, or one session when the page does not say): how long a session may stay silent, who
is served next when a slot frees, and how many trainings a visitor holds.

Shares are counted, never stored: a visitor is a field of its sessions, so the bookkeeping
lives and dies with the sessions (each forgotten after its watcher timeout) and no table keyed
by address can grow.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from vgapp.lab.training.interfaces import Spec
from vgapp.lab.training.jobs import RUNNING, Job
from vgapp.lab.training.processes import Worker

J = TypeVar("J")

WATCHER_REDRAWS = 3
"""A session that says it redraws every ``redraw_s`` is dropped only after this many redraws
missed (and never before ``watcher_timeout_s``): a late poll must not restart its runs."""


@dataclass
class Session:
    """A session's heartbeat: when it last viewed, what (specs), how long it may stay silent,
    and its visitor (``"v:<address>"``, or ``"s:<session>"`` when it is its own)."""

    seen: float
    specs: frozenset[Spec]
    timeout: float
    visitor: str


NOBODY = ""
"""The owner of a queued job no session watches (it is served as one more visitor)."""


def visitor_jobs(max_running: int) -> int:
    """``VISITOR_JOBS``, the default ``max_per_visitor``: twice the slots, at least 4 (a
    visitor's two tabs, each training a run and its comparison)."""
    return max(2, max_running) * 2


def service_order(
    queue: Sequence[J],
    visitors: Callable[[J], frozenset[str]],
    running: Mapping[str, int],
    last_start: Mapping[str, float],
) -> list[J]:
    """``queue`` (oldest first) in the order its jobs get a slot: round robin across visitors.

    Each turn goes to the visitor with the fewest jobs running or served before it in this
    order; among equals, to the one whose last training started longest ago (``last_start``,
    a time; never: first), then to the one whose next job is oldest. The visitor takes its
    oldest job. A job watched by several visitors is served as the one of them that comes
    first (a share they have in common)."""

    def rank(who: str) -> tuple[int, tuple[int, float], str]:
        return (running.get(who, 0), (0, last_start.get(who, -math.inf)), who)

    lines: defaultdict[str, list[J]] = defaultdict(list)
    for job in queue:
        watching = visitors(job)
        lines[min(watching, key=rank) if watching else NOBODY].append(job)
    index = {id(job): i for i, job in enumerate(queue)}
    heap = [(*rank(who)[:2], index[id(line[0])], who) for who, line in lines.items()]
    heapq.heapify(heap)
    order: list[J] = []
    while heap:
        served, _, _, who = heapq.heappop(heap)
        line = lines[who]
        order.append(line.pop(0))
        if line:  # served now: behind every visitor served as often
            heapq.heappush(heap, (served + 1, (1, len(order)), index[id(line[0])], who))
    return order


def sole_visitor_load(jobs: Iterable[J], visitors: Callable[[J], frozenset[str]], who: str) -> int:
    """How many of ``jobs`` (the queued and running ones) count against visitor ``who``: those
    only its sessions watch (a job other visitors watch too is shared and counts for nobody)."""
    mine = frozenset((who,))
    return sum(1 for job in jobs if visitors(job) == mine)


class Visitors:
    """The sessions of a ``Scheduler`` and their visitors' share (a mixin: the attributes below
    are the scheduler's, guarded by its lock)."""

    watcher_timeout_s: float
    max_per_visitor: int
    _sessions: dict[str, Session]
    _queue: list[Job]
    _jobs: dict[Spec, Job]
    _workers: list[Worker[Job]]
    _last_session_at: float

    def _touch(
        self, session: str, specs: frozenset[Spec], redraw_s: float | None, visitor: str | None
    ) -> frozenset[Spec]:
        """Record ``session``'s heartbeat (now, watching ``specs``); the specs it watched."""
        now = time.monotonic()
        timeout = self.watcher_timeout_s
        if redraw_s is not None:
            timeout = max(timeout, WATCHER_REDRAWS * redraw_s)
        who = f"s:{session}" if visitor is None else f"v:{visitor}"
        before = self._sessions.get(session)
        self._sessions[session] = Session(now, specs, timeout, who)
        self._last_session_at = now
        return frozenset() if before is None else before.specs

    def _visitors(self, job: Job) -> frozenset[str]:
        """The visitors of the sessions watching ``job``."""
        return frozenset(self._sessions[s].visitor for s in job.watchers if s in self._sessions)

    def _over_share(self, job: Job) -> bool:
        """Whether starting ``job`` would take its one visitor past ``max_per_visitor`` jobs
        queued or running that only that visitor watches (a job two visitors watch is shared:
        it counts against neither, and starting it is never over a share)."""
        who = self._visitors(job)
        if len(who) != 1:
            return False
        active = [j for j in self._queue if j is not job]
        queued = set(map(id, active))
        active += [
            w.job
            for w in self._workers
            if w.job is not None and w.job.status == RUNNING and id(w.job) not in queued
        ]
        return sole_visitor_load(active, self._visitors, next(iter(who))) >= self.max_per_visitor

    def _fair_order(self, live: list[Worker[Job]]) -> list[Job]:
        """The queue in the order its jobs get a slot (``service_order``; FIFO by the time
        each was queued)."""
        running: Counter[str] = Counter()
        for worker in live:
            if worker.job is not None and not worker.held:
                running.update(self._visitors(worker.job))
        last_start: dict[str, float] = {}
        for job in self._jobs.values():
            if job.watchers and job.started_at is not None:
                for who in self._visitors(job):
                    last_start[who] = max(last_start.get(who, -math.inf), job.started_at)
        oldest_first = sorted(self._queue, key=lambda job: job.queued_at)
        return service_order(oldest_first, self._visitors, running, last_start)
