"""The training engine's jobs: one spec's training and trace as it arrives from its worker
(``Job``), the job statuses, and the immutable ``Snapshot`` the page polls.

A job preallocates its trace for the whole budget and writes each row once, in step order;
a snapshot holds read-only views of the rows written so far, so taking one costs O(1) and no
snapshot ever changes. Units as in ``vgapp.lab.training.engine``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

import numpy as np

from vgapp.lab.training import trace
from vgapp.lab.training.interfaces import Spec
from vgapp.lab.training.messages import Final, Rows
from vgapp.lab.training.processes import Worker
from vgapp.lab.training.trace import Trace, read_only

QUEUED, RUNNING, PAUSED, WAITING = "queued", "running", "paused", "waiting"
FINISHED, CANCELLED, FAILED = "finished", "cancelled", "failed"
STATUSES: tuple[str, ...] = (QUEUED, RUNNING, PAUSED, WAITING, FINISHED, CANCELLED, FAILED)
"""``waiting``: the stopping rules stopped the run and it waits for "continue"; ``finished``:
it reached the budget (or overflowed: ``stopped_by == "non_finite"``)."""
ACTIVE = frozenset((QUEUED, RUNNING, PAUSED, WAITING))
RESUMABLE = frozenset((PAUSED, CANCELLED, FAILED))
"""What play trains on (from where it was held, or again from step 0)."""
NOT_A_RULE = ("max_iter", "non_finite")
"""What ends a run without a stopping rule (the step budget, an overflow): ``stopped_by``
values that are not a rule's stop."""
PARAMS_KEPT = 64
"""Parameter vectors a job keeps of those its worker sent (about one a second), so that a
session looking at an earlier step sees the parameters of that moment..."""
PARAMS_KEPT_BYTES = 8 << 20
"""...within this many bytes: past either bound every other one is dropped (the spacing
doubles; the latest is always kept)."""


@dataclass(frozen=True)
class Demand:
    """What one session needs of a job: its trace up to step ``until`` (None: to the budget),
    and whether past the step where the rules stop the run (``past_stop``)."""

    until: int | None = None
    past_stop: bool = False

    def target(self, budget: int) -> int:
        """The last step this demand needs (``until`` within 0 .. ``budget``)."""
        return budget if self.until is None else min(max(self.until, 0), budget)


S = TypeVar("S", bound=Spec)


@dataclass(frozen=True)
class Snapshot(Trace, Generic[S]):
    """One job as it stands; immutable (arrays are read-only and never written again).

    The trace's columns (``Trace``'s fields: ``loss``, ``backprop_norms``, ...) have one row per
    recorded step k = 0 .. ``step`` (``recorded`` rows; the columns of a step's change one row
    fewer), all float64."""

    spec: S
    status: str
    """One of ``STATUSES``."""
    queue_position: int | None
    """1 for the next job to start; None unless ``queued``."""
    step: int
    """The last step recorded (-1 before step 0 is)."""
    budget: int
    """The step limit ``spec.budget``."""
    first_fired: MappingProxyType[str, Any]
    """For each enabled rule, "max_iter" and "non_finite": the first k it held, or None."""
    stopped_by: str | None
    """Where the rules stopped the run: a rule name, "all", "max_iter" or "non_finite"."""
    stop_step: int | None
    """The step of ``x_stop`` (for "non_finite", the last finite step)."""
    stop_iter: int | None
    """The k at which the rules stopped the run (for "non_finite", the first k whose values
    were not finite), as ``DescentResult.stop_iter``."""
    stop_loss: float | None
    """F at ``stop_step``."""
    continued: bool
    """True once "continue" (or resume/step at the stop) let it train past the stop."""
    x_stop: np.ndarray | None
    """Flat parameters at ``stop_step``, in the run's dtype."""
    x_now: np.ndarray | None
    """Flat parameters at ``x_now_step`` (sent at most once a second while running)."""
    x_now_step: int | None
    params: tuple[tuple[int, np.ndarray], ...]
    """Parameter vectors known so far, (step, flat parameters) by step (``x_stop`` and
    ``x_now`` among them): a view of an earlier step takes the latest at or before it."""
    steps_per_second: float | None
    """The speed measured while it trained (a moving average; kept while it is held)."""
    seconds_left: float | None
    """Estimated seconds to the budget at that speed, while it is running, paused or waiting
    (for a run waiting at the rules' stop: what "continue" will take; while running, an upper
    bound if the rules may still stop it sooner). None until measured, and once it is done."""
    error: str | None
    """The failure's text (a traceback, or how the process ended)."""
    n_evaluations: int | None
    """Objective calls of the whole run, once it has finished."""
    version: int
    """Grows whenever anything above changes: skip a redraw when it has not."""
    notice: str | None = None
    """One plain sentence for the page when something went wrong and was mended (its training
    process stopped and the run was restarted on a fresh one); None otherwise."""
    restarts: int = 0
    """How many times the run was restarted on a fresh process because its own stopped."""
    over_share: bool = False
    """Not started because this visitor already has ``max_per_visitor`` trainings queued or
    running (in other tabs or windows); status ``queued`` (no position), starts when one ends."""

    @property
    def recorded(self) -> int:
        return self.step + 1

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (a mapping proxy is not): e.g. for ``st.cache_data`` or a session store."""
        fields = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        fields["first_fired"] = dict(self.first_fired)
        return (_snapshot_from, (fields,))

    @property
    def done(self) -> bool:
        """Nothing more will happen without a control (finished, waiting, paused, ...)."""
        return self.status not in (QUEUED, RUNNING)


def _snapshot_from(fields: dict[str, Any]) -> Snapshot[Any]:
    fields["first_fired"] = MappingProxyType(fields["first_fired"])
    return Snapshot(**fields)


class Job:
    """One spec's training and its trace (guarded by the engine's lock)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.budget = spec.budget
        self.trace = trace.preallocated(self.budget, spec.depth)
        self.recorded = 0
        self.status = QUEUED
        self.watchers: set[str] = set()
        self.first_fired: dict[str, int | None] = {}
        self.stopped_by: str | None = None
        self.stop_iter = 0
        self.final: Final | None = None
        self.x_stop: np.ndarray | None = None
        self.x_now: np.ndarray | None = None
        self.x_now_step: int | None = None
        self.params: dict[int, np.ndarray] = {}
        self.demands: dict[str, Demand] = {}
        self.error: str | None = None
        self.hold_at = self.budget
        self.rule_wait = True
        self.held_as = PAUSED  # what its worker last held it as: PAUSED or WAITING
        self.abandoned = False  # cancelled because nobody watched: viewing it restarts it
        self.worker: Worker[Job] | None = None
        self.attempt = -1
        self.queued_at = 0.0
        self.started_at: float | None = None  # when a worker last took it (the fair share's)
        self.seen_at = time.monotonic()
        self.rate: float | None = None
        self.rate_mark: tuple[int, float] | None = None
        self.notice: str | None = None
        self.restarts = 0
        self.deaths: list[float] = []  # when its workers died (the retry window's, at most a few)
        self.over_share = False  # held back by its visitor's share: queued, not in the queue
        self.version = 0
        self.cached: tuple[tuple[int, int | None], Snapshot[Any]] | None = None

    @property
    def nbytes(self) -> int:
        total = trace.nbytes(self.trace)
        for x in (self.x_stop, self.x_now):
            total += 0 if x is None else x.nbytes
        return total + sum(x.nbytes for x in self.params.values())

    @property
    def resident(self) -> bool:
        return self.worker is not None

    def add_rows(self, rows: Rows) -> None:
        n = rows.count
        start = max(self.recorded - rows.first, 0)  # rows we have (a retraining) are skipped
        if rows.first > self.recorded:
            raise RuntimeError(f"rows from step {rows.first}, expected {self.recorded}")
        stop = min(n, self.budget + 1 - rows.first)  # no row past the budget
        trace.write(self.trace, rows.trace, rows.first, start, stop)
        self.recorded = max(self.recorded, min(rows.first + n, self.budget + 1))
        self.first_fired = rows.first_fired
        if rows.stopped_by is not None and self.stopped_by is None:
            self.stopped_by, self.stop_iter = rows.stopped_by, rows.stop_iter
        if rows.x_stop is not None and self.x_stop is None:
            self.x_stop = rows.x_stop
        if rows.x_now is not None:
            self.x_now, self.x_now_step = rows.x_now, rows.x_now_step
            self.keep_params(rows.x_now_step, rows.x_now)
        if n > start:
            mark = (rows.first + n - 1, rows.seconds)
            if self.rate_mark is not None and mark[1] > self.rate_mark[1]:
                rate = (mark[0] - self.rate_mark[0]) / (mark[1] - self.rate_mark[1])
                self.rate = rate if self.rate is None else 0.7 * self.rate + 0.3 * rate
            self.rate_mark = mark

    def finish(self, final: Final) -> None:
        self.final = final
        self.status = FINISHED
        self.stopped_by, self.stop_iter = final.stopped_by, final.stop_iter
        self.first_fired = final.first_fired
        self.x_stop = final.x_stop
        self.x_now, self.x_now_step = final.x, final.recorded - 1
        self.recorded = final.recorded
        self.keep_params(self.x_now_step, final.x)

    def keep_params(self, step: int, x: np.ndarray) -> None:
        """Keep the parameters of ``step`` (thinned past ``PARAMS_KEPT``/``PARAMS_KEPT_BYTES``)."""
        self.params[step] = x
        while len(self.params) > 1 and (
            len(self.params) > PARAMS_KEPT
            or sum(v.nbytes for v in self.params.values()) > PARAMS_KEPT_BYTES
        ):
            steps = sorted(self.params)
            for k in steps[-2::-2]:  # every other one, the latest kept
                del self.params[k]

    def needs(self) -> tuple[int, bool] | None:
        """Where its sessions' demands hold the training: (the last step any needs, whether
        any needs it past the rules' stop); None when no session states a demand."""
        if not self.demands:
            return None
        target = max(d.target(self.budget) for d in self.demands.values())
        return target, any(d.past_stop for d in self.demands.values())

    def satisfied(self) -> bool:
        """The trace already holds what its sessions' demands need (no training needed)."""
        needs = self.needs()
        if needs is None or self.status == FINISHED:
            return self.status == FINISHED
        target, past_stop = needs
        last = self.recorded - 1
        if last >= target:
            return True
        rule_stop = self.stopped_by not in (None, *NOT_A_RULE)
        return not past_stop and rule_stop and last >= self.stop_iter

    def stop_step(self) -> int | None:
        if self.final is not None:
            return self.final.stop_step if self.final.recorded else None
        if self.stopped_by is None or self.recorded == 0:
            return None
        return min(self.stop_iter, self.recorded - 1)

    def snapshot(self, position: int | None) -> Snapshot[Any]:
        key = (self.version, position)
        if self.cached is not None and self.cached[0] == key:
            return self.cached[1]
        n = self.recorded
        stop = self.stop_step()
        rate = self.rate if self.status in (RUNNING, PAUSED, WAITING) else None
        seconds_left = (self.budget - max(n - 1, 0)) / rate if rate else None
        snapshot: Snapshot[Any] = Snapshot(
            **trace.head(self.trace, n),
            spec=self.spec,
            status=self.status,
            queue_position=position,
            step=n - 1,
            budget=self.budget,
            first_fired=MappingProxyType(dict(self.first_fired)),
            stopped_by=self.stopped_by,
            stop_step=stop,
            stop_iter=None if self.stopped_by is None else self.stop_iter,
            stop_loss=None if stop is None else float(self.trace.loss[stop]),
            continued=not self.rule_wait,
            x_stop=None if self.x_stop is None else read_only(self.x_stop),
            x_now=None if self.x_now is None else read_only(self.x_now),
            x_now_step=self.x_now_step,
            params=tuple((k, read_only(x)) for k, x in sorted(self.params.items())),
            steps_per_second=self.rate,
            seconds_left=seconds_left,
            error=self.error,
            n_evaluations=None if self.final is None else self.final.n_evaluations,
            version=self.version,
            notice=self.notice,
            restarts=self.restarts,
            over_share=self.over_share,
        )
        self.cached = (key, snapshot)
        return snapshot
