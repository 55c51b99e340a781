"""Each student's own cursor on the lab's shared runs: the engine trains a setting once for
everyone who watches it, and each session plays it back on its own. Pause, ten steps, back to
the rules' stop and on to the budget move this session's ``Cursor`` only; the engine is asked
for steps (a ``Demand``) only when the trace does not reach that far yet.

``at_cursor`` turns the engine's snapshot of a run into what this session sees: the trace up to
its cursor, and a status of its own (``paused`` where it paused, ``running`` while the steps it
asked for are computed, ``waiting`` at the rules' stop it has not gone past). The cursor lives
in the link (``lab_at``, ``lab_past``), checked against the run's budget like every value.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from vgapp.lab.runs import RunSpec
from vgapp.lab.training.jobs import (
    CANCELLED,
    FAILED,
    FINISHED,
    NOT_A_RULE,
    PAUSED,
    QUEUED,
    RUNNING,
    WAITING,
    Demand,
    Snapshot,
)
from vgapp.lab.training.trace import head

AT_KEY, PAST_KEY = "lab_at", "lab_past"
"""The cursor's URL parameters: the step a paused view shows, and ``1`` once it has gone past
the rules' stop."""
STEP_BY = 10
"""Steps the "+10 steps" button moves the cursor."""
STEP_TEXT = re.compile(r"[0-9]{1,7}")
"""A step number as a link may hold it (ASCII digits; the budget bounds it further)."""


@dataclass(frozen=True)
class Cursor:
    """Where this session looks: ``at`` None follows the runs as they train (playing); one step
    number per run (yours, then the remedy's) holds each run's view there (paused), since runs
    drawn side by side may have got to different steps; ``past_stop``: shown past the rules'
    stop."""

    at: tuple[int, ...] | None = None
    past_stop: bool = False

    @property
    def playing(self) -> bool:
        return self.at is None

    def until(self, run: int) -> int | None:
        """The step run ``run`` (0: yours) is held at; None while playing."""
        if self.at is None:
            return None
        return self.at[min(run, len(self.at) - 1)]

    def demand(self, run: int) -> Demand:
        """What the engine must train of run ``run`` for this cursor."""
        return Demand(until=self.until(run), past_stop=self.past_stop)

    def demands(self, runs: int) -> tuple[Demand, ...]:
        return tuple(self.demand(run) for run in range(runs))


LIVE = Cursor()
"""The cursor of a fresh view: playing, stopping where the rules stop the runs."""


def rule_stopped(snap: Snapshot[RunSpec]) -> bool:
    """The stopping rules (not the budget or an overflow) stopped the run, at ``stop_step``."""
    return snap.stop_step is not None and snap.stopped_by not in (None, *NOT_A_RULE)


def last_shown(snap: Snapshot[RunSpec], cursor: Cursor, run: int) -> int:
    """The last step this cursor shows of run ``run`` (-1: none yet): what is recorded, up to
    the cursor, and up to the rules' stop unless the cursor has gone past it."""
    last = snap.step
    held = cursor.until(run)
    if held is not None:
        last = min(last, held)
    if not cursor.past_stop and rule_stopped(snap):
        last = min(last, int(snap.stop_step or 0))
    return last


def status_at(snap: Snapshot[RunSpec], cursor: Cursor, run: int, last: int) -> str:
    """The run's status as this session sees it."""
    stop = snap.stop_step if rule_stopped(snap) else None
    at_stop = stop is not None and not cursor.past_stop and last == stop
    ended = snap.status == FINISHED and last == snap.step
    if at_stop:
        return WAITING
    if ended:
        return FINISHED
    held = cursor.until(run)
    if held is not None and last >= held:
        return PAUSED
    if snap.status in (QUEUED, FAILED, CANCELLED):
        return snap.status
    if snap.status == WAITING and cursor.past_stop:
        return RUNNING  # the engine is told to go on: it will at its next look
    # The engine's run paused for what the views asked before (a hold it reports just as this
    # view asks for more): this view's demand trains it on, so its steps are being computed.
    return RUNNING if snap.status in (RUNNING, WAITING, FINISHED, PAUSED) else snap.status


def at_cursor(snap: Snapshot[RunSpec], cursor: Cursor, run: int = 0) -> Snapshot[RunSpec]:
    """Run ``run`` (0: yours) as this session sees it: its trace up to ``last_shown``, the
    stop only once shown, the markers of the rules up to there, the latest parameters at or
    before it."""
    last = last_shown(snap, cursor, run)
    stop = snap.stop_step
    stop_shown = stop is not None and stop <= last
    fired = {
        rule: (step if step is not None and step <= last else None)
        for rule, step in snap.first_fired.items()
    }
    params = tuple((k, x) for k, x in snap.params if k <= last)
    latest = params[-1] if params else None
    stop_later = stop is not None and (latest is None or latest[0] < stop)
    if stop is not None and stop_shown and snap.x_stop is not None and stop_later:
        latest = (stop, snap.x_stop)
    changes: dict[str, Any] = dict(
        head(snap, last + 1),
        status=status_at(snap, cursor, run, last),
        step=last,
        first_fired=MappingProxyType(fired),
        stopped_by=snap.stopped_by if stop_shown else None,
        stop_step=snap.stop_step if stop_shown else None,
        stop_iter=snap.stop_iter if stop_shown else None,
        stop_loss=snap.stop_loss if stop_shown else None,
        continued=stop_shown and cursor.past_stop and rule_stopped(snap) and last > (stop or 0),
        x_stop=snap.x_stop if stop_shown else None,
        x_now=None if latest is None else latest[1],
        x_now_step=None if latest is None else latest[0],
        params=params,
    )
    return dataclasses.replace(snap, **changes)


# ----------------------------------------------------------------------------- the transport


def at_all(snapshots: Sequence[Snapshot[RunSpec]], cursor: Cursor) -> tuple[Snapshot[RunSpec], ...]:
    """Every run as this session sees it (yours first)."""
    return tuple(at_cursor(snap, cursor, run) for run, snap in enumerate(snapshots))


def shown_steps(views: Sequence[Snapshot[RunSpec]]) -> tuple[int, ...]:
    """The step of each run the session sees now (0 before any)."""
    return tuple(max(view.step, 0) for view in views) or (0,)


def pause(views: Sequence[Snapshot[RunSpec]], cursor: Cursor) -> Cursor:
    """Freeze the view where it is (the runs train on for whoever else needs them); a paused
    view stays where it was paused (a second pause changes nothing)."""
    if not cursor.playing:
        return cursor
    return dataclasses.replace(cursor, at=shown_steps(views))


def play(cursor: Cursor) -> Cursor:
    """Follow the runs as they train again, from where the view is."""
    return dataclasses.replace(cursor, at=None)


def step_on(views: Sequence[Snapshot[RunSpec]], cursor: Cursor, budget: int) -> Cursor:
    """``STEP_BY`` steps on from the view, and paused there; from the rules' stop, past it."""
    at_stop = any(view.status == WAITING for view in views)
    at = tuple(min(step + STEP_BY, budget) for step in shown_steps(views))
    return Cursor(at=at, past_stop=cursor.past_stop or at_stop)


def back_to_stop(stops: Sequence[int | None], views: Sequence[Snapshot[RunSpec]]) -> Cursor:
    """Each run at the step where its rules stopped it (``stops``; None: where it is shown),
    paused there."""
    shown = shown_steps(views) if views else (0,) * len(stops)
    at = tuple(
        step if step is not None else shown[min(i, len(shown) - 1)] for i, step in enumerate(stops)
    )
    return Cursor(at=at, past_stop=False)


def to_budget() -> Cursor:
    """Past the rules' stop, on to the budget, following the runs as they train."""
    return Cursor(at=None, past_stop=True)


# ----------------------------------------------------------------------------- the link


def cursor_query(cursor: Cursor) -> dict[str, str]:
    """The cursor's URL parameters (none for a fresh view)."""
    query = {}
    if cursor.at is not None:
        query[AT_KEY] = ",".join(str(step) for step in cursor.at)
    if cursor.past_stop:
        query[PAST_KEY] = "1"
    return query


def read_cursor(raw: dict[str, list[str]], budget: int, runs: int) -> tuple[Cursor, list[str]]:
    """A link's cursor checked against the runs' ``budget``: (the cursor, notices). One step
    from 0 to the budget per run (``runs`` of them, comma-separated); anything else is named in
    a notice and ignored."""
    notices: list[str] = []
    at: tuple[int, ...] | None = None
    given = list(dict.fromkeys(text.strip() for text in raw.get(AT_KEY, [])))
    if given:
        parts = given[0].split(",")
        valid = len(given) == 1 and len(parts) == runs
        valid = valid and all(STEP_TEXT.fullmatch(part) and int(part) <= budget for part in parts)
        if valid:
            at = tuple(int(part) for part in parts)
        else:
            each = "a step" if runs == 1 else f"{runs} steps, comma-separated,"
            notices.append(f"{AT_KEY} “{given[0][:40]}” ignored ({each} from 0 to {budget:,})")
    past = list(dict.fromkeys(text.strip() for text in raw.get(PAST_KEY, [])))
    if past and (len(past) > 1 or past[0] not in ("0", "1")):
        notices.append(f"{PAST_KEY} “{past[0][:40]}” ignored (1 or 0)")
    return Cursor(at=at, past_stop=past == ["1"]), notices
