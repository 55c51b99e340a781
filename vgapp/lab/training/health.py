"""The training engine's health rules: when a silent worker is taken for hung, stopped or dead
(and killed), and whether a job its worker left is restarted on a fresh one.

A training process beats (``("alive", pid)`` every ``HEARTBEAT_S`` from a thread of its own,
``vgapp.lab.training.worker``), so silence means the process is not running, whatever it was
doing: training, held at a pause or at the rules' stop, idle, or still starting. A training
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
        hung = silent > HUNG_AFTER_S
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
