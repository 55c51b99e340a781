"""A classroom at once: many sessions open the page together and each moves a slider.

Each of ``--sessions`` sessions opens the page at its own depth (``?depth=2000+200w+7i`` in
wave w, so every run is a cache miss on the server), waits until it has rendered, then moves
the depth slider ``--moves`` times by one step, waiting each time until the chain metric shows
the value for the new depth. Two kinds of session, each against its own fresh server:

* ``browser``: one headless Chromium, one context per session, key presses on the slider;
  rendered = the page's run finished and everything drawn (page clock). On one 2-core machine
  the twenty browsers take most of the CPU, which a classroom spreads over twenty machines.
* ``ws``: Streamlit's own protocol on the WebSocket (what a browser sends: ``rerun_script``
  with the query string, then the slider's new widget state); rendered = ``script_finished``.
  This is the server's share alone.

Sessions run in ``--waves`` waves one after the other, so the server's RSS after the last wave
shows whether anything grows per session (caches must be bounded, nothing kept per closed
session). Reports the time until every session of a wave has rendered, the median and p95
interaction time, the server's CPU and its RSS before, at the peak and after each wave.

    python -m bench.load [--sessions 20] [--moves 3] [--waves 2] [--mode both|browser|ws]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from playwright.async_api import async_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

from tests.browser.harness import (
    DRAWN_JS,
    INSTRUMENT_JS,
    VIEWPORT,
    StreamlitServer,
    bundled_chromium,
    find_chromium,
    launch_chromium,
    start_streamlit,
)
from vgapp import views
from vgapp.page import CONTROLS, defaults

TIMEOUT_S = 300.0
POLL_MS = 50  # browser pages are polled at this interval (rAF is throttled with many pages)
SCOPE = ".st-key-panel-chain"
DEPTH_LABEL = CONTROLS["depth"].label
MB = 1024 * 1024
RSS_SAMPLE_S = 0.25
# New depths in every wave (cache misses), of similar size, so equal memory per cached view.
BASE_DEPTH, SESSION_STEP, WAVE_STEP = 2000, 7, 200


@dataclass
class Session:
    index: int
    depth: int
    rendered_s: float | None = None
    interactions_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


Runner = Callable[[StreamlitServer, Session, int, dict, float], Awaitable[None]]


def chain_metric(depth: int) -> tuple[str, str]:
    """The chain panel's first metric (dF/dw₁ exact) for this depth, other controls default."""
    values = defaults()
    values["depth"] = depth
    metric = views.chain_view(*views.chain_arguments(values)).metrics[0]
    return metric.label, metric.value


# ----------------------------------------------------------------------------- browser sessions


async def browser_session(
    browser: Any, server: StreamlitServer, s: Session, moves: int, expected: dict, start: float
) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(INSTRUMENT_JS)
    page = await context.new_page()
    page.on("console", lambda m: m.type == "error" and s.problems.append(m.text))
    page.on("pageerror", lambda e: s.problems.append(f"page error: {e}"))

    async def drawn(depth: int, changed: bool) -> dict:
        label, value = expected[depth]
        arg = {"scope": SCOPE, "label": label, "value": value, "changed": changed}
        handle = await page.wait_for_function(
            DRAWN_JS, arg=arg, polling=POLL_MS, timeout=TIMEOUT_S * 1e3
        )
        return await handle.json_value()

    try:
        await page.goto(f"{server.url}?depth={s.depth}", timeout=TIMEOUT_S * 1e3)
        await drawn(s.depth, changed=False)
        s.rendered_s = time.monotonic() - start
        thumb = page.locator(".st-key-depth input[type='range']")
        for _ in range(moves):
            await thumb.focus()
            await thumb.press("ArrowRight")
            result = await drawn(s.depth + 1, changed=True)
            s.interactions_ms.append(result["now"] - result["t0"])
            s.depth += 1
        if await page.get_by_test_id("stException").count():
            s.problems.append("an exception is shown")
    except Exception as error:  # report every session's failure, keep the others running
        s.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        await context.close()


# ----------------------------------------------------------------------------- protocol sessions


async def ws_session(
    server: StreamlitServer, s: Session, moves: int, expected: dict, start: float
) -> None:
    url = f"ws://127.0.0.1:{server.port}/_stcore/stream"
    try:
        async with connect(url, subprotocols=["streamlit"], max_size=None) as ws:
            query = f"depth={s.depth}"
            began = time.monotonic()
            slider = await ws_run(ws, BackMsg(), query, expected[s.depth], s)
            s.rendered_s = time.monotonic() - start
            for _ in range(moves):
                state = WidgetState(id=slider)
                state.double_array_value.data.append(s.depth + 1)
                message = BackMsg()
                message.rerun_script.widget_states.widgets.append(state)
                began = time.monotonic()
                await ws_run(ws, message, query, expected[s.depth + 1], s)
                s.interactions_ms.append((time.monotonic() - began) * 1e3)
                s.depth += 1
    except Exception as error:
        s.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")


async def ws_run(ws: Any, message: BackMsg, query: str, metric: tuple[str, str], s: Session) -> str:
    """Send a rerun and read the run's messages up to ``script_finished``; check the chain
    metric and that no exception was drawn. Returns the depth slider's widget id."""
    message.rerun_script.query_string = query
    await ws.send(message.SerializeToString())
    slider, shown = "", None
    while True:
        reply = ForwardMsg()
        reply.ParseFromString(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
        kind = reply.WhichOneof("type")
        if kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
            element = reply.delta.new_element
            name = element.WhichOneof("type")
            if name == "exception":
                s.problems.append(f"exception: {element.exception.type}")
            elif name == "slider" and element.slider.label == DEPTH_LABEL:
                slider = element.slider.id
            elif name == "metric" and element.metric.label == metric[0]:
                shown = element.metric.body
        elif kind == "script_finished":
            if reply.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                s.problems.append(f"run ended with status {reply.script_finished}")
            if shown != metric[1]:
                s.problems.append(f"{metric[0]} showed {shown!r}, expected {metric[1]!r}")
            return slider


# ----------------------------------------------------------------------------- waves


async def sample_rss(server: StreamlitServer, peak: list[int]) -> None:
    """Keep the largest server RSS seen (sampled every RSS_SAMPLE_S) in ``peak[0]``."""
    while True:
        peak[0] = max(peak[0], server.rss_bytes())
        await asyncio.sleep(RSS_SAMPLE_S)


async def wave(
    runner: Runner, server: StreamlitServer, n: int, moves: int, base: int
) -> tuple[list[Session], float, float, int]:
    sessions = [Session(i, base + SESSION_STEP * i) for i in range(n)]
    assert (n - 1) * SESSION_STEP + moves < WAVE_STEP, "waves would share depths"
    expected = {  # computed before the wave starts, not timed
        depth: chain_metric(depth)
        for s in sessions
        for depth in range(s.depth, s.depth + moves + 1)
    }
    cpu0, start, peak = server.cpu_seconds(), time.monotonic(), [server.rss_bytes()]
    sampler = asyncio.create_task(sample_rss(server, peak))
    await asyncio.gather(*(runner(server, s, moves, expected, start) for s in sessions))
    wall = time.monotonic() - start
    sampler.cancel()
    return sessions, wall, server.cpu_seconds() - cpu0, peak[0]


def report(name: str, sessions: list[Session], wall: float, cpu: float) -> bool:
    rendered = [s.rendered_s for s in sessions if s.rendered_s is not None]
    moves = [ms for s in sessions for ms in s.interactions_ms]
    failed = [s for s in sessions if s.problems or s.rendered_s is None]
    print(f"  {name}: {len(sessions)} sessions, {len(moves)} interactions, wall {wall:.1f} s")
    if rendered:
        print(
            f"    all rendered after {max(rendered):7.1f} s   (first after {min(rendered):.1f} s)"
        )
    if moves:
        print(
            f"    interaction  median {statistics.median(moves):7.0f} ms   "
            f"p95 {np.percentile(moves, 95):7.0f} ms   max {max(moves):7.0f} ms"
        )
    print(f"    server CPU {cpu:6.1f} s = {cpu / wall:4.0%} of one core over the wave")
    for s in failed[:5]:
        print(f"    FAILED session {s.index} (depth {s.depth}): {s.problems or ['never rendered']}")
    if len(failed) > 5:
        print(f"    ... and {len(failed) - 5} more failed sessions")
    return not failed


async def run_mode(mode: str, runner: Runner, args: argparse.Namespace) -> bool:
    print(f"\n{mode} sessions")
    server = start_streamlit()
    try:
        warm, _, _, _ = await wave(runner, server, 1, 1, 600)  # imports, code paths, caches
        ok = report("warm-up", warm, 1.0, 0.0) if warm[0].problems else True
        rss = {"before": server.rss_bytes()}
        for w in range(args.waves):
            sessions, wall, cpu, peak = await wave(
                runner, server, args.sessions, args.moves, BASE_DEPTH + WAVE_STEP * w
            )
            rss[f"wave {w + 1} peak"] = peak
            rss[f"wave {w + 1} after"] = server.rss_bytes()
            ok &= report(f"wave {w + 1}", sessions, wall, cpu)
    finally:
        server.stop()
    print("  server memory (RSS)")
    for name, value in rss.items():
        print(f"    {name:13s} {value / MB:8.1f} MB   ({(value - rss['before']) / MB:+6.1f} MB)")
    open_cost = (rss["wave 1 peak"] - rss["before"]) / args.sessions
    print(f"    per open session (wave 1 peak):        {open_cost / 1024:+8.0f} kB")
    if args.waves > 1:
        kept = rss[f"wave {args.waves} after"] - rss["wave 1 after"]
        per = kept / (args.sessions * (args.waves - 1))
        print(f"    kept per closed session after wave 1: {per / 1024:+8.0f} kB")
    return ok


async def main_async(args: argparse.Namespace) -> bool:
    ok = True
    if args.mode in ("ws", "both"):
        ok &= await run_mode("WebSocket-level", ws_session, args)
    if args.mode in ("browser", "both"):
        async with async_playwright() as playwright:
            executable = find_chromium() or bundled_chromium(playwright)
            if executable is None:
                raise SystemExit("no Chromium found (see README, 'Browser tests')")
            browser = await launch_chromium(playwright, executable)
            ok &= await run_mode("Browser", functools.partial(browser_session, browser), args)
            await browser.close()
    print("\nresult:", "every session rendered and every rerun completed" if ok else "FAILURES")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--waves", type=int, default=2)
    parser.add_argument("--mode", choices=("both", "browser", "ws"), default="both")
    args = parser.parse_args()
    if not asyncio.run(main_async(args)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
