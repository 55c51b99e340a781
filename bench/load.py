"""A classroom at once: many sessions open the page together, each in a section, and each moves
a slider there.

Session ``i`` takes scenario ``i mod 5`` (the chain's depth, the counterexample's p exponent,
the Hessian point, the descent start, the gradient exponent of the floating-point section), opens
the page at that section with the slider at its own start value (a link: ``?section=...&key=...``,
so that every run is a cache miss on the server), waits until the panel shows what its view
computes, then moves the slider ``--moves`` times by one step, waiting each time until the panel
shows the new value. Two kinds of session, each against its own fresh server:

* ``browser``: one headless Chromium, one context per session, ArrowRight on the slider; done =
  the panel shows the view's heading, metrics and chart titles, everything drawn (page clock).
  On one 2-core machine the browsers take most of the CPU, which a classroom spreads over
  thirty machines.
* ``ws``: Streamlit's own protocol on the WebSocket, as a browser speaks it: ``rerun_script``
  with the query string the page last wrote, then the slider's new value as a fragment rerun
  (``fragment_id`` of the panel); done = ``script_finished``, checked: the panel's metrics are the
  view's, no exception. This is the server's share alone.

Sessions run in ``--waves`` waves one after the other, so the server's RSS after the last wave
shows whether anything grows per session (caches must be bounded, nothing kept per closed
session). Reports the time until every session of a wave has rendered, the median and p95
interaction time, the server's CPU and its RSS before, at the peak and after each wave.

The issue's scenario also has a third of the sessions open the largest lab lesson
(``--lab-share 0.33``): that many sessions open ``?lesson=<largest lab lesson>`` instead and wait
for the lab. Over the WebSocket they then keep watching it as a browser would, until every
slider session of the wave is done: the page's live fragment asks for a rerun every so often
(``auto_rerun``), and the session sends it (the training's heartbeat). After each wave, when its
last session has closed: the server's training processes then, and how long until every one is
gone (at most ``PROCESSES_GONE_S``).

    python -m bench.load [--sessions 30] [--moves 3] [--waves 2] [--mode both|browser|ws]
                         [--lab-share 0]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np
from playwright.async_api import async_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

from pagetools import expect
from pagetools.driver import DRAWN_JS, INSTRUMENT_JS, panel_scope
from pagetools.harness import (
    VIEWPORT,
    StreamlitServer,
    bundled_chromium,
    find_chromium,
    launch_chromium,
    start_streamlit,
)
from vgapp.page import CONTROLS, LESSONS, lesson_values

TIMEOUT_S = 300.0
POLL_MS = 50  # browser pages are polled at this interval (rAF is throttled with many pages)
MB = 1024 * 1024
RSS_SAMPLE_S = 0.25
PROCESSES_GONE_S = 10.0
"""Every training process must be gone this long after the last session of a wave closes."""
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


@dataclass(frozen=True)
class Scenario:
    """A slider of a section, and the value the first session of the first wave starts at."""

    key: str
    base: float

    @property
    def section(self) -> str:
        return expect.section_of(self.key)

    @property
    def panel(self) -> str:
        return expect.panel_of(self.key)


SCENARIOS = (
    Scenario("depth", 2000),
    Scenario("p_exp", 100),
    Scenario("pt_x", -2.0),
    Scenario("gd_x0", -2.0),
    Scenario("fp_grad_exp", -60),
)


def largest_lab_lesson() -> str:
    """The lab lesson with the most work: layers x width² x steps."""
    lab = [key for key, lesson in LESSONS.items() if lesson.section == "lab"]
    values = {key: expect.full(lesson_values(key)) for key in lab}
    return max(
        lab,
        key=lambda k: values[k]["lab_depth"] * values[k]["lab_width"] ** 2 * values[k]["lab_steps"],
    )


@dataclass
class Session:
    index: int
    scenario: Scenario | None  # None: a lab session (the hook)
    value: Any = None
    rendered_s: float | None = None
    interactions_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    early_reruns: int = 0
    """Runs that ended early because the page asked for a rerun (followed by that rerun)."""
    watch_until: asyncio.Event | None = None
    """A lab session over the WebSocket keeps polling its live panel until this is set."""
    polls_ms: list[float] = field(default_factory=list)
    """A lab session's live redraws (fragment reruns on the page's timer), each until done."""

    def query(self, lesson: str | None = None) -> str:
        if self.scenario is None:
            return urlencode({"lesson": lesson})
        control = CONTROLS[self.scenario.key]
        return urlencode(
            {"section": self.scenario.section, self.scenario.key: control.url_text(self.value)}
        )

    def expected(self, value: Any) -> dict:
        assert self.scenario is not None
        return expect.signature(self.scenario.panel, {self.scenario.key: value})


Runner = Callable[[StreamlitServer, Session, int, str, float], Awaitable[None]]


def sessions_of(n: int, moves: int, wave: int, lab_share: float) -> list[Session]:
    """``n`` sessions; a share ``lab_share`` of them are lab sessions; the others cycle through
    the scenarios, each at a value no other session of any wave uses."""
    labs = round(n * lab_share)
    per = -(-(n - labs) // len(SCENARIOS))  # sessions per scenario in a wave, rounded up
    found = [Session(i, None) for i in range(labs)]
    for j in range(n - labs):
        scenario = SCENARIOS[j % len(SCENARIOS)]
        control = CONTROLS[scenario.key]
        rank = (wave * per + j // len(SCENARIOS)) * (moves + 1)
        if scenario.base + (rank + moves) * control.step > control.high:
            raise SystemExit(f"{scenario.key}: too many sessions or waves for its range")
        found.append(Session(labs + j, scenario, expect.stepped(scenario.key, scenario.base, rank)))
    return found


# ----------------------------------------------------------------------------- browser sessions


async def browser_session(
    browser: Any, server: StreamlitServer, s: Session, moves: int, lesson: str, start: float
) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(INSTRUMENT_JS)
    page = await context.new_page()
    page.on("console", lambda m: m.type == "error" and s.problems.append(m.text))
    page.on("pageerror", lambda e: s.problems.append(f"page error: {e}"))

    async def drawn(scope: str, expected: dict | None, changed: bool) -> dict:
        arg = {"scope": scope, "expected": expected, "changed": changed}
        handle = await page.wait_for_function(
            DRAWN_JS, arg=arg, polling=POLL_MS, timeout=TIMEOUT_S * 1e3
        )
        return await handle.json_value()

    try:
        await page.goto(f"{server.url}?{s.query(lesson)}", timeout=TIMEOUT_S * 1e3)
        if s.scenario is None:  # the lab hook: the lesson's networks trained and drawn
            await drawn(panel_scope("lab"), None, changed=False)
            s.rendered_s = time.monotonic() - start
            return
        scope = panel_scope(s.scenario.panel)
        await drawn(scope, s.expected(s.value), changed=False)
        s.rendered_s = time.monotonic() - start
        thumb = page.locator(f".st-key-{s.scenario.key} input[type='range']")
        for _ in range(moves):
            await thumb.focus()
            await thumb.press("ArrowRight")
            s.value = expect.stepped(s.scenario.key, s.value, 1)
            result = await drawn(scope, s.expected(s.value), changed=True)
            s.interactions_ms.append(result["now"] - result["t0"])
        if await page.get_by_test_id("stException").count():
            s.problems.append("an exception is shown")
    except Exception as error:  # report every session's failure, keep the others running
        s.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        await context.close()


# ----------------------------------------------------------------------------- protocol sessions


@dataclass
class Connection:
    """One WebSocket session: the query string the page last wrote, and the slider's widget id
    and fragment id as the server last drew them."""

    ws: Any
    query: str
    slider: str = ""
    fragment: str = ""
    timer: tuple[float, str] | None = None
    """The page's live fragment timer, as the server last set it: (seconds, fragment id)."""


async def ws_session(
    server: StreamlitServer, s: Session, moves: int, lesson: str, start: float
) -> None:
    url = f"ws://127.0.0.1:{server.port}/_stcore/stream"
    try:
        async with connect(url, subprotocols=["streamlit"], max_size=None) as ws:
            link = Connection(ws, s.query(lesson))
            await ws_run(link, BackMsg(), s, s.value)
            s.rendered_s = time.monotonic() - start
            if s.scenario is None:
                await watch_lab(link, s)
                return
            for _ in range(moves):
                s.value = expect.stepped(s.scenario.key, s.value, 1)
                state = WidgetState(id=link.slider)
                state.double_array_value.data.append(s.value)
                message = BackMsg()
                message.rerun_script.widget_states.widgets.append(state)
                message.rerun_script.fragment_id = link.fragment
                began = time.monotonic()
                await ws_run(link, message, s, s.value)
                s.interactions_ms.append((time.monotonic() - began) * 1e3)
    except Exception as error:
        s.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")


async def watch_lab(link: Connection, s: Session) -> None:
    """Poll the lab's live panel as the browser's timer does, until ``s.watch_until`` is set
    (or the runs are done and the page cancelled its timer)."""
    while s.watch_until is not None and not s.watch_until.is_set() and link.timer is not None:
        interval, fragment = link.timer
        try:
            await asyncio.wait_for(s.watch_until.wait(), interval)
            return
        except TimeoutError:
            pass
        message = BackMsg()
        message.rerun_script.fragment_id = fragment
        began = time.monotonic()
        await ws_run(link, message, s, s.value)
        s.polls_ms.append((time.monotonic() - began) * 1e3)


async def ws_run(link: Connection, message: BackMsg, s: Session, value: Any) -> None:
    """Send a rerun and read its messages up to ``script_finished``: keep the query string the
    page writes and the slider's ids; check the panel's metrics and that nothing raised."""
    message.rerun_script.query_string = link.query
    await link.ws.send(message.SerializeToString())
    metrics = []
    timer_set = False  # a full run that sets no timer cancels the page's (as the browser does)
    label = CONTROLS[s.scenario.key].label if s.scenario else None
    while True:
        reply = ForwardMsg()
        reply.ParseFromString(await asyncio.wait_for(link.ws.recv(), TIMEOUT_S))
        kind = reply.WhichOneof("type")
        if kind == "page_info_changed":
            link.query = reply.page_info_changed.query_string
        elif kind == "auto_rerun":
            link.timer = (reply.auto_rerun.interval, reply.auto_rerun.fragment_id)
            timer_set = True
        elif kind == "stop_auto_rerun":
            link.timer = None
        elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
            element = reply.delta.new_element
            name = element.WhichOneof("type")
            if name == "exception":
                s.problems.append(f"exception: {element.exception.type}")
            elif name == "slider" and element.slider.label == label:
                link.slider, link.fragment = element.slider.id, reply.delta.fragment_id
            elif name == "metric":
                metrics.append([element.metric.label, element.metric.body])
        elif kind == "script_finished":
            if reply.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                # the page asked for a rerun (st.rerun, e.g. the lab's live timer set or
                # cancelled): the server runs it at once, as a browser would see
                s.early_reruns += 1
                timer_set = False
                continue
            if reply.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY and not timer_set:
                link.timer = None
            if reply.script_finished not in FINISHED:
                s.problems.append(f"run ended with status {reply.script_finished}")
            if s.scenario is not None:
                wanted = s.expected(value)["metrics"]
                if not all(m in metrics for m in wanted):
                    s.problems.append(f"{s.scenario.key}={value}: metrics {metrics[:2]}")
            return


# ----------------------------------------------------------------------------- waves


async def sample_rss(server: StreamlitServer, peak: list[int]) -> None:
    """Keep the largest server RSS seen (sampled every RSS_SAMPLE_S) in ``peak[0]``."""
    while True:
        peak[0] = max(peak[0], server.rss_bytes())
        await asyncio.sleep(RSS_SAMPLE_S)


async def processes_gone(server: StreamlitServer) -> tuple[int, float | None]:
    """After the last session of a wave has closed: the server's training processes then, and
    the seconds until none is left (None if some remain after ``PROCESSES_GONE_S``)."""
    start, count = time.monotonic(), len(server.children())
    while server.children():
        if time.monotonic() - start > PROCESSES_GONE_S:
            return count, None
        await asyncio.sleep(0.1)
    return count, time.monotonic() - start


async def wave(
    runner: Runner, server: StreamlitServer, sessions: list[Session], moves: int
) -> tuple[float, float, int]:
    lesson = largest_lab_lesson()
    for s in sessions:  # computed (and memoised) before the wave starts, not timed
        if s.scenario is not None:
            for k in range(moves + 1):
                s.expected(expect.stepped(s.scenario.key, s.value, k))
    cpu0, start, peak = server.cpu_seconds(), time.monotonic(), [server.rss_bytes()]
    sampler = asyncio.create_task(sample_rss(server, peak))
    sliders_done = asyncio.Event()
    labs = [s for s in sessions if s.scenario is None]
    for s in labs:
        s.watch_until = sliders_done
    watching = [asyncio.create_task(runner(server, s, moves, lesson, start)) for s in labs]
    await asyncio.gather(
        *(runner(server, s, moves, lesson, start) for s in sessions if s.scenario is not None)
    )
    sliders_done.set()
    await asyncio.gather(*watching)
    wall = time.monotonic() - start
    sampler.cancel()
    return wall, server.cpu_seconds() - cpu0, peak[0]


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
        for scenario in SCENARIOS:
            mine = [ms for s in sessions if s.scenario == scenario for ms in s.interactions_ms]
            if mine:
                print(f"      {scenario.key:12s} median {statistics.median(mine):7.0f} ms")
    print(f"    server CPU {cpu:6.1f} s = {cpu / wall:4.0%} of one core over the wave")
    polls = [ms for s in sessions for ms in s.polls_ms]
    if polls:
        print(
            f"    lab sessions watching: {len(polls)} live redraws, median "
            f"{statistics.median(polls):.0f} ms, p95 {np.percentile(polls, 95):.0f} ms"
        )
    early = sum(s.early_reruns for s in sessions)
    if early:
        print(f"    runs ended early for a rerun the page asked for (then run): {early}")
    for s in failed[:5]:
        key = s.scenario.key if s.scenario else "lab"
        print(f"    FAILED session {s.index} ({key}): {s.problems or ['never rendered']}")
    if len(failed) > 5:
        print(f"    ... and {len(failed) - 5} more failed sessions")
    return not failed


async def run_mode(mode: str, runner: Runner, args: argparse.Namespace) -> bool:
    print(f"\n{mode} sessions")
    server = start_streamlit()
    try:
        warm = [Session(0, SCENARIOS[0], CONTROLS["depth"].default)]
        await wave(runner, server, warm, 1)  # imports, code paths, caches
        ok = report("warm-up", warm, 1.0, 0.0) if warm[0].problems else True
        rss = {"before": server.rss_bytes()}
        for w in range(args.waves):
            sessions = sessions_of(args.sessions, args.moves, w, args.lab_share)
            wall, cpu, peak = await wave(runner, server, sessions, args.moves)
            rss[f"wave {w + 1} peak"] = peak
            rss[f"wave {w + 1} after"] = server.rss_bytes()
            ok &= report(f"wave {w + 1}", sessions, wall, cpu)
            count, gone = await processes_gone(server)
            verdict = "PASS" if gone is not None else "MISS"
            after = f"all gone {gone:.1f} s" if gone is not None else "some left"
            print(f"    training processes when the last session closed: {count}, {after} "
                  f"after (<= {PROCESSES_GONE_S:.0f} s): {verdict}")  # fmt: skip
            ok &= gone is not None
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
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--waves", type=int, default=2)
    parser.add_argument("--mode", choices=("both", "browser", "ws"), default="both")
    parser.add_argument(
        "--lab-share",
        type=float,
        default=0.0,
        help="share of sessions opening the largest lab lesson (the issue's scenario: 0.33; "
        "0 = off)",
    )
    args = parser.parse_args()
    scenario = {k: v for k, v in vars(args).items()}
    print("bench.load", json.dumps(scenario), "largest lab lesson:", largest_lab_lesson())
    if not asyncio.run(main_async(args)):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
