"""A classroom through the proxy: 1 replica against 2 behind the same HAProxy, in one run.

For each replica count (``--replicas 1,2``) a fresh deployment (``deploy.replicas``: HAProxy in
front of N ``streamlit run app.py``) takes waves of WebSocket sessions as ``bench.load`` sends
them (a share ``--lab-share`` opening the largest lab lesson and watching it train, the others
moving a slider), at growing sizes (``--sizes``), until a wave's slider p95 exceeds ``--p95-s``
(2 s) or a session fails. Prints, per replica count, the largest size that held, the replicas'
CPU and RSS, the ratio of the largest sizes (2 replicas / 1) and sessions per core; and after
SIGTERM, whether every training process is gone.

    python -m bench.replicas [--replicas 1,2] [--sizes 20,30,45,60,90] [--lab-share 0.33]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.load import MB, report, sessions_of, wave, ws_session
from deploy.replicas import Deployment
from pagetools.harness import StreamlitServer, free_port

DRAIN_S = 10.0
"""Every training process must be gone this long after SIGTERM."""


@dataclass
class Proxied:
    """The deployment seen as one server by ``bench.load``'s waves: the proxy's port, the
    replicas' CPU, RSS and training processes added up."""

    deployment: Deployment

    @property
    def replicas(self) -> list[StreamlitServer]:
        d = self.deployment
        return [
            StreamlitServer(
                Path("app.py"), d.replica_port(i), d.processes[f"r{i}"], Path("/dev/null")
            )
            for i in range(d.replicas)
        ]

    @property
    def port(self) -> int:
        return self.deployment.port

    def rss_bytes(self) -> int:
        return sum(r.rss_bytes() for r in self.replicas)

    def cpu_seconds(self) -> float:
        return sum(r.cpu_seconds() for r in self.replicas)

    def children(self) -> list[int]:
        return [pid for r in self.replicas for pid in r.children()]


async def one_wave(replicas: int, size: int, args: argparse.Namespace) -> tuple[bool, float]:
    """A fresh deployment takes one wave of ``size`` sessions (fresh, so that no wave finds
    another's memoised views); whether every session held, and the slider p95 (s). Then
    SIGTERM, and the seconds until every training process is gone."""
    ports = [free_port(), free_port()]
    deployment = Deployment(replicas, "127.0.0.1", *ports, first_replica_port=ports[0] + 200)
    deployment.start()
    server = Proxied(deployment)
    try:
        await wave(ws_session, server, sessions_of(2, 1, 1, 0.0), 1)  # warm every path
        sessions = sessions_of(size, args.moves, 0, args.lab_share)
        wall, cpu, peak = await wave(ws_session, server, sessions, args.moves)
        ok = report(f"{replicas} replica(s), {size} sessions", sessions, wall, cpu)
        moves = [ms for s in sessions for ms in s.interactions_ms]
        p95 = float(np.percentile(moves, 95)) / 1e3 if moves else float("inf")
        print(f"    replicas' RSS peak {peak / MB:.0f} MB; slider p95 {p95:.2f} s")
    finally:
        children = server.children()
        started = time.monotonic()
        deployment.stop()
        while any(Path(f"/proc/{pid}").exists() for pid in children):
            if time.monotonic() - started > DRAIN_S:
                break
            await asyncio.sleep(0.1)
        left = [pid for pid in children if Path(f"/proc/{pid}").exists()]
        print(f"    SIGTERM: {len(children)} training processes, {len(left)} left after "
              f"{time.monotonic() - started:.1f} s (<= {DRAIN_S:.0f} s)")  # fmt: skip
    return ok, p95


async def sweep(replicas: int, sizes: list[int], args: argparse.Namespace) -> tuple[int, float]:
    """The largest size whose slider p95 stayed within the target, and its p95 (s)."""
    best, best_p95 = 0, float("nan")
    for size in sizes:
        ok, p95 = await one_wave(replicas, size, args)
        if not ok or p95 > args.p95_s:
            break
        best, best_p95 = size, p95
    return best, best_p95


async def main_async(args: argparse.Namespace) -> None:
    sizes = [int(v) for v in args.sizes.split(",")]
    found = {}
    for replicas in (int(v) for v in args.replicas.split(",")):
        print(f"\n{replicas} replica(s) behind HAProxy")
        found[replicas] = await sweep(replicas, sizes, args)
    cores = os.cpu_count() or 1
    print(f"\nlargest wave with slider p95 <= {args.p95_s:.1f} s ({cores} cores, lab share "
          f"{args.lab_share:.2f}):")  # fmt: skip
    for replicas, (size, p95) in found.items():
        print(f"  {replicas} replica(s): {size} sessions (p95 {p95:.2f} s), "
              f"{size / cores:.1f} per core")  # fmt: skip
    if 1 in found and 2 in found and found[1][0]:
        print(f"  ratio 2 replicas / 1: {found[2][0] / found[1][0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--sizes", default="20,30,45,60,90")
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--lab-share", type=float, default=0.33)
    parser.add_argument("--p95-s", type=float, default=2.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
