"""The training worker's heartbeat under load: the largest gap between two ``("alive", pid)``
messages of a niced worker process while a CPU hog (niceness 0) spins on every core, first
while the worker idles, then while it trains a long run. The engine kills a worker silent for
``HUNG_AFTER_S``; this shows how far from that a starved but live worker stays.

The worker is the engine's own (``ProcessWorker``: its environment, niceness and pipes); the
gaps are measured where the engine measures them, on arrival in this process (which competes
with the hogs at niceness 0, as the server would).

    python -m bench.heartbeat_gap [--seconds 10] [--niceness 10]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import threading
import time
from typing import Any

from vgapp.lab.controls import LAB_DEFAULTS
from vgapp.lab.runs import spec_from_controls
from vgapp.lab.training.engine import LAB_RECIPE, available_cores
from vgapp.lab.training.health import HUNG_AFTER_S
from vgapp.lab.training.processes import ProcessWorker
from vgapp.lab.training.worker import HEARTBEAT_S


def spin() -> None:
    while True:
        pass


class Beats:
    """``WorkerEvents`` that keep the arrival time of every beat (and the steps trained)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.rows = 0
        self.ready = threading.Event()

    def worker_message(self, worker: Any, message: tuple[Any, ...]) -> None:
        with self.lock:
            if message[0] == "alive":
                self.times.append(time.monotonic())
            elif message[0] == "ready":
                self.ready.set()
            elif message[0] == "rows":
                self.rows += message[2].count

    def worker_exited(self, worker: Any, text: str) -> None:
        if worker.alive:  # not stopped by us
            print("worker exited:", text)

    def gaps_since(self, start: float) -> list[float]:
        """The silences between ``start`` and now: between beats, and since the last one."""
        with self.lock:
            times = [start, *(t for t in self.times if t >= start), time.monotonic()]
        return [b - a for a, b in itertools.pairwise(times)]


def report(what: str, gaps: list[float]) -> None:
    if not gaps:
        print(f"  {what}: no beats")
        return
    print(
        f"  {what}: {len(gaps) - 1} beats, longest silence {max(gaps):.3f} s, mean "
        f"{sum(gaps) / len(gaps):.3f} s (beat every {HEARTBEAT_S:g} s; killed after "
        f"{HUNG_AFTER_S:g} s of silence: margin {HUNG_AFTER_S / max(gaps):.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--niceness", type=int, default=10)
    args = parser.parse_args()
    beats = Beats()
    worker: ProcessWorker[Any] = ProcessWorker(beats, args.niceness, LAB_RECIPE)
    beats.ready.wait(60)
    hogs = [multiprocessing.Process(target=spin, daemon=True) for _ in range(available_cores())]
    for hog in hogs:
        hog.start()
    try:
        print(
            f"Worker at niceness {args.niceness}, {len(hogs)} CPU hogs at niceness 0 "
            f"({os.cpu_count()} cores), {args.seconds:g} s a phase:"
        )
        start = time.monotonic()
        time.sleep(args.seconds)
        report("idle", beats.gaps_since(start))
        spec = spec_from_controls(
            {**LAB_DEFAULTS, "lab_depth": 20, "lab_width": 128, "lab_steps": 5000, "lab_eps": "off"}
        )
        start = time.monotonic()
        worker.send(("train", 0, spec, spec.budget, False, 0))
        time.sleep(args.seconds)
        report(f"training 20 x 128 ({beats.rows} steps done)", beats.gaps_since(start))
        print(f"  load average {os.getloadavg()[0]:.2f}")
    finally:
        for hog in hogs:
            hog.kill()
        worker.stop()
        worker.process.wait(10)


if __name__ == "__main__":
    main()
