"""The training engine's health rules: when a silent worker is taken for hung, stopped or dead
(and killed), and whether a job its worker left is restarted on a fresh one.

A training process beats (``("alive", pid)`` every ``HEARTBEAT_S`` from a thread of its own,
``vgapp.lab.training.worker``), so silence means the process is not running, whatever it was
doing: training, held at a pause or at the rules' stop, idle, or still starting (but a
process that still computes is starved, not hung: ``STARVED_LIMIT_S``). A training
thread of the server does not beat (it could not be ended anyway): only a long silence while it
trains gives it up. Units: seconds of ``time.monotonic``.
"""

from __future__ import annotations

from typing import Any

from vgapp.lab.training.processes import Worker
from vgapp.lab.training.worker import HEARTBEAT_S

HUNG_AFTER_S = 4.0 * HEARTBEAT_S
"""A training process silent this long is hung, stopped or dead and is killed: four beats
missed. The engine looks every ``TICK_S`` (0.25 s), so it is found within 4.25 s of its last
beat, under 5 s of its stopping."""
START_TIMEOUT_S = 30.0
"""...but until its first word: a fresh interpreter importing numpy on a loaded machine."""
STARVED_LIMIT_S = 60.0
"""A silent process whose CPU time still grows (Linux's /proc) is starved, not hung, and is
spared this long: on a machine loaded far beyond its cores a worker at niceness 19 gets about
1 % of a core, and its heartbeat thread may wait over a second for the GIL its training thread
holds (``bench/heartbeat_gap.py``). A stopped, deadlocked or dead one does not compute."""
CPU_WINDOW_S = 1.5
"""Whether a silent process computes is judged on its CPU time over this long (sampled from
``HUNG_AFTER_S / 2`` of silence on, so that a judgment is ready when the silence is long)."""
THREAD_STALL_S = 120.0
"""A training thread, training and not held, silent this long is given up (its job fails; the
thread cannot be ended): it sends rows every ``ROW_INTERVAL_S`` while it trains, and a step of
the largest run takes well under a second even on a loaded machine."""
MAX_RETRIES = 2
"""A job whose process died (or was killed for silence) is restarted on a fresh one this many
times within ``RETRY_WINDOW_S``; one more death and it fails."""
RETRY_WINDOW_S = 600.0
RESTARTED = "The training process stopped; the run was restarted on a fresh one."
"""A restarted job's ``notice`` (the page shows it as it is)."""


def silence_verdict(worker: Worker[Any], now: float) -> str | None:
    """Why ``worker`` is to be ended now (it has been silent too long), or None."""
    silent = now - worker.heard_at
    if not worker.heard:
        hung = silent > START_TIMEOUT_S
    elif worker.beats:
        if silent <= HUNG_AFTER_S / 2:
            worker.cpu_mark = None
            return None
        computing = _still_computing(worker, now)
        hung = silent > HUNG_AFTER_S and (silent > STARVED_LIMIT_S or not computing)
    else:
        hung = worker.job is not None and not worker.held and silent > THREAD_STALL_S
    if not hung:
        return None
    return f"the training {'process' if worker.beats else 'thread'} stopped answering"


def retry_allowed(worker: Worker[Any], deaths: list[float], now: float) -> bool:
    """Whether a job whose ``worker`` is gone is restarted, given when its workers died before
    (``deaths``, pruned to the window in place; ``now`` is added when it is restarted)."""
    deaths[:] = [t for t in deaths if now - t < RETRY_WINDOW_S]
    if not worker.restartable or len(deaths) >= MAX_RETRIES:
        return False
    deaths.append(now)
    return True


def cpu_ticks(pid: int) -> int | None:
    """The CPU time (clock ticks, all threads) of process ``pid`` if it may run: None if it
    is stopped, a zombie, gone, or there is no /proc to ask."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        if fields[0] in ("T", "t", "Z", "X"):
            return None
        return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    except (OSError, IndexError, ValueError):
        return None


def _still_computing(worker: Worker[Any], now: float) -> bool:
    """Whether silent ``worker``'s CPU time grew over the last ``CPU_WINDOW_S`` (its
    ``cpu_mark``: ticks, when, and that judgment)."""
    ticks = cpu_ticks(worker.ident)
    mark = worker.cpu_mark
    if ticks is None or mark is None:
        worker.cpu_mark = None if ticks is None else (ticks, now, False)
        return False
    if now - mark[1] >= CPU_WINDOW_S:
        mark = worker.cpu_mark = (ticks, now, ticks > mark[0])
    return mark[2]
