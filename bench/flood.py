"""A flood from one client while a class moves sliders: does the guard keep the page usable?

One server (``streamlit run app.py``, the guard at its defaults). After a warm-up, ``--sessions``
WebSocket sessions move sliders as in ``bench.load`` (the baseline, no flood); then the same
number of sessions again (other values, so every run is a cache miss) while one client floods
the server for ``--flood-s`` seconds: rerun requests sent as fast as the socket takes them,
never reading an answer, reconnecting whenever the guard closes it (at most ``MAX_MESSAGES``
in all). During the flood a few new sessions open the page; after it, one more wave. Prints the
slider p95 with and without the flood (the ratio: target ≤ 2), whether every session opened, and
the server's RSS after warm-up, at the peak and 10 s after the flood (target: within 50 MB of
after warm-up). Loopback only; every loop bounded in count and time.

    python -m bench.flood [--sessions 10] [--moves 5] [--flood-s 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from typing import Any

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.load import (
    MB,
    SCENARIOS,
    Session,
    report,
    sessions_of,
    wave,
    ws_session,
)
from pagetools.harness import start_streamlit
from vgapp.page import CONTROLS

MAX_MESSAGES = 500_000
SETTLE_S = 10.0


def flood_process(port: int, seconds: float, sent: Any) -> None:
    """The flooding client in a process of its own (sharing the measuring sessions' event loop,
    its tight send loop would delay their clocks, not the server)."""
    counts = {"sent": 0, "connections": 0, "closed": 0}
    try:
        asyncio.run(flood(port, seconds, counts))
    finally:
        sent.value = counts["sent"]


async def flood(port: int, seconds: float, counts: dict[str, int]) -> None:
    """Rerun requests without reading, reconnecting after each close, for ``seconds``."""
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    message = BackMsg(rerun_script={"query_string": ""}).SerializeToString()
    end = time.monotonic() + seconds
    while time.monotonic() < end and counts["sent"] < MAX_MESSAGES:
        try:
            async with connect(url, subprotocols=["streamlit"], max_size=None) as ws:
                counts["connections"] += 1
                while time.monotonic() < end and counts["sent"] < MAX_MESSAGES:
                    await asyncio.wait_for(ws.send(message), max(0.1, end - time.monotonic()))
                    counts["sent"] += 1
        except (ConnectionClosed, InvalidStatus, TimeoutError, OSError):
            counts["closed"] += 1


async def main_async(args: argparse.Namespace) -> bool:
    server = start_streamlit()
    ok = True
    try:
        warm = [Session(0, SCENARIOS[0], CONTROLS["depth"].default)]
        await wave(ws_session, server, warm, 1)
        rss_warm = server.rss_bytes()
        # the same class twice, with newcomers opening the page each time: once quiet, once
        # under the flood (other values, so that every run is a cache miss)
        base = sessions_of(args.sessions, args.moves, 0, 0.0)
        (wall, cpu, _), _ = await asyncio.gather(
            wave(ws_session, server, base, args.moves),
            wave(ws_session, server, sessions_of(3, 0, 2, 0.0), 0),
        )
        ok &= report("without the flood", base, wall, cpu)
        sent = multiprocessing.Value("q", 0)
        flooding = multiprocessing.Process(
            target=flood_process, args=(server.port, args.flood_s, sent)
        )
        flooding.start()
        await asyncio.sleep(1.0)  # the flood under way before the class moves
        during = sessions_of(args.sessions, args.moves, 1, 0.0)
        newcomers = sessions_of(3, 0, 3, 0.0)
        started = time.monotonic()
        (wall, cpu, peak), _ = await asyncio.gather(
            wave(ws_session, server, during, args.moves),
            wave(ws_session, server, newcomers, 0),
        )
        ok &= report("during the flood", during, wall, cpu)
        ok &= report(
            "new sessions opened during the flood", newcomers, time.monotonic() - started, 0
        )
        await asyncio.to_thread(flooding.join, args.flood_s + 30)
        closed = server.log().count("closed a flooding WebSocket")
        print(f"  the flood: {sent.value:,} messages written in {args.flood_s:.0f} s; "
              f"the guard closed {closed} connection(s)")  # fmt: skip
        after = sessions_of(3, 1, 4, 0.0)
        wall, cpu, _ = await wave(ws_session, server, after, 1)
        ok &= report("new sessions after the flood", after, wall, cpu)
        await asyncio.sleep(SETTLE_S)
        rss_after = server.rss_bytes()
    finally:
        server.stop()
    quiet = [ms for s in base for ms in s.interactions_ms]
    loud = [ms for s in during for ms in s.interactions_ms]
    ratio = float(np.percentile(loud, 95) / np.percentile(quiet, 95))
    grown = (rss_after - rss_warm) / MB
    print(f"\n  slider p95 during / without the flood: {ratio:.2f}x (target <= 2): "
          f"{'PASS' if ratio <= 2 else 'MISS'}")  # fmt: skip
    print(f"  server RSS after warm-up {rss_warm / MB:.0f} MB, peak {peak / MB:.0f} MB, "
          f"{SETTLE_S:.0f} s after the flood {rss_after / MB:.0f} MB ({grown:+.0f} MB; "
          f"target within 50 MB): {'PASS' if abs(grown) <= 50 else 'MISS'}")  # fmt: skip
    return ok and ratio <= 2 and abs(grown) <= 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--moves", type=int, default=5)
    parser.add_argument("--flood-s", type=float, default=10.0)
    args = parser.parse_args()
    if not 5 <= args.flood_s <= 20:
        raise SystemExit("--flood-s must be from 5 to 20 seconds")
    if not asyncio.run(main_async(args)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
