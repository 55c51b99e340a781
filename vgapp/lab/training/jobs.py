"""The training engine's jobs (``engine``): one ``RunSpec``'s trace as it arrives from
its worker, and the immutable ``Snapshot`` the page polls.

A job preallocates its trace for the whole budget and writes each row once, in step order;
a snapshot holds read-only views of the rows written so far, so taking one costs O(1) and no
snapshot ever changes. Units as in ``vgapp.lab.training.engine``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from vgapp.lab.runs import RunSpec
from vgapp.lab.training.worker import Final, Rows

if TYPE_CHECKING:
    from vgapp.lab.training.processes import Worker

QUEUED, RUNNING, PAUSED, WAITING = "queued", "running", "paused", "waiting"
FINISHED, CANCELLED, FAILED = "finished", "cancelled", "failed"
STATUSES: tuple[str, ...] = (QUEUED, RUNNING, PAUSED, WAITING, FINISHED, CANCELLED, FAILED)
"""``waiting``: the stopping rules stopped the run and it waits for "continue"; ``finished``:
it reached the budget (or overflowed: ``stopped_by == "non_finite"``)."""
ACTIVE = frozenset((QUEUED, RUNNING, PAUSED, WAITING))
RESUMABLE = frozenset((PAUSED, CANCELLED, FAILED))
"""What play trains on (from where it was held, or again from step 0)."""


@dataclass(frozen=True)
class Snapshot:
    """One job as it stands; immutable (arrays are read-only and never written again).

    Trace arrays have one row per recorded step k = 0 .. ``step`` (``recorded`` rows; the step
    arrays one row fewer), all float64."""

    spec: RunSpec
    status: str
    """One of ``STATUSES``."""
    queue_position: int | None
    """1 for the next job to start; None unless ``queued``."""
    step: int
    """The last step recorded (-1 before step 0 is)."""
    budget: int
    """The step limit ``spec.rules.max_iter``."""
    loss: np.ndarray
    """F_k, the summed loss (F/n = loss / LAB_SAMPLES)."""
    grad_norm: np.ndarray
    """||grad F(x_k)||_2."""
    param_norm: np.ndarray
    step_norm: np.ndarray
    """||x_{k+1} - x_k||_2, k = 0 .. step - 1."""
    step_size: np.ndarray
    backprop_norms: np.ndarray
    """(recorded, depth + 1): ||dF/dz_l||_F per layer, output last (the heatmap)."""
    saturation: np.ndarray
    """(recorded, depth): share of saturated unit-samples per hidden layer."""
    first_fired: MappingProxyType
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

    @property
    def recorded(self) -> int:
        return self.step + 1

    def __reduce__(self) -> tuple:
        """Picklable (a mapping proxy is not): e.g. for ``st.cache_data`` or a session store."""
        fields = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        fields["first_fired"] = dict(self.first_fired)
        return (_snapshot_from, (fields,))

    @property
    def done(self) -> bool:
        """Nothing more will happen without a control (finished, waiting, paused, ...)."""
        return self.status not in (QUEUED, RUNNING)


def _snapshot_from(fields: dict[str, Any]) -> Snapshot:
    fields["first_fired"] = MappingProxyType(fields["first_fired"])
    return Snapshot(**fields)


def read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


class Job:
    """One spec's training and its trace (guarded by the engine's lock)."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec
        self.budget = spec.rules.max_iter
        depth = spec.depth
        m = self.budget + 1
        self.loss = np.empty(m)
        self.grad_norm = np.empty(m)
        self.param_norm = np.empty(m)
        self.step_norm = np.empty(m - 1)
        self.step_size = np.empty(m - 1)
        self.backprop_norms = np.empty((m, depth + 1))
        self.saturation = np.empty((m, depth))
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
        self.error: str | None = None
        self.hold_at = self.budget
        self.rule_wait = True
        self.held_as = PAUSED  # what its worker last held it as: PAUSED or WAITING
        self.abandoned = False  # cancelled because nobody watched: viewing it restarts it
        self.worker: Worker | None = None
        self.attempt = -1
        self.queued_at = 0.0
        self.seen_at = time.monotonic()
        self.rate: float | None = None
        self.rate_mark: tuple[int, float] | None = None
        self.version = 0
        self.cached: tuple[tuple[int, int | None], Snapshot] | None = None

    @property
    def nbytes(self) -> int:
        arrays = (self.loss, self.grad_norm, self.param_norm, self.step_norm, self.step_size)
        total = sum(a.nbytes for a in arrays) + self.backprop_norms.nbytes
        total += self.saturation.nbytes
        for x in (self.x_stop, self.x_now):
            total += 0 if x is None else x.nbytes
        return total

    @property
    def resident(self) -> bool:
        return self.worker is not None

    def add_rows(self, rows: Rows) -> None:
        n = rows.loss.size
        start = max(self.recorded - rows.first, 0)  # rows we have (a retraining) are skipped
        if rows.first > self.recorded:
            raise RuntimeError(f"rows from step {rows.first}, expected {self.recorded}")
        for k_offset in range(start, n):
            k = rows.first + k_offset
            if k > self.budget:
                break
            self.loss[k] = rows.loss[k_offset]
            self.grad_norm[k] = rows.grad_norm[k_offset]
            self.param_norm[k] = rows.param_norm[k_offset]
            if k > 0:
                self.step_norm[k - 1] = rows.step_norm[k_offset]
                self.step_size[k - 1] = rows.step_size[k_offset]
            self.backprop_norms[k] = rows.backprop_norms[k_offset]
            self.saturation[k] = rows.saturation[k_offset]
        self.recorded = max(self.recorded, min(rows.first + n, self.budget + 1))
        self.first_fired = rows.first_fired
        if rows.stopped_by is not None and self.stopped_by is None:
            self.stopped_by, self.stop_iter = rows.stopped_by, rows.stop_iter
        if rows.x_stop is not None and self.x_stop is None:
            self.x_stop = rows.x_stop
        if rows.x_now is not None:
            self.x_now, self.x_now_step = rows.x_now, rows.x_now_step
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

    def stop_step(self) -> int | None:
        if self.final is not None:
            return self.final.stop_step if self.final.recorded else None
        if self.stopped_by is None or self.recorded == 0:
            return None
        return min(self.stop_iter, self.recorded - 1)

    def snapshot(self, position: int | None) -> Snapshot:
        key = (self.version, position)
        if self.cached is not None and self.cached[0] == key:
            return self.cached[1]
        n = self.recorded
        stop = self.stop_step()
        rate = self.rate if self.status in (RUNNING, PAUSED, WAITING) else None
        seconds_left = (self.budget - max(n - 1, 0)) / rate if rate else None
        snapshot = Snapshot(
            spec=self.spec,
            status=self.status,
            queue_position=position,
            step=n - 1,
            budget=self.budget,
            loss=read_only(self.loss[:n]),
            grad_norm=read_only(self.grad_norm[:n]),
            param_norm=read_only(self.param_norm[:n]),
            step_norm=read_only(self.step_norm[: max(n - 1, 0)]),
            step_size=read_only(self.step_size[: max(n - 1, 0)]),
            backprop_norms=read_only(self.backprop_norms[:n]),
            saturation=read_only(self.saturation[:n]),
            first_fired=MappingProxyType(dict(self.first_fired)),
            stopped_by=self.stopped_by,
            stop_step=stop,
            stop_iter=None if self.stopped_by is None else self.stop_iter,
            stop_loss=None if stop is None else float(self.loss[stop]),
            continued=not self.rule_wait,
            x_stop=None if self.x_stop is None else read_only(self.x_stop),
            x_now=None if self.x_now is None else read_only(self.x_now),
            x_now_step=self.x_now_step,
            steps_per_second=self.rate,
            seconds_left=seconds_left,
            error=self.error,
            n_evaluations=None if self.final is None else self.final.n_evaluations,
            version=self.version,
        )
        self.cached = (key, snapshot)
        return snapshot
