"""The page's speed in headless Chromium, section by section, against two floors in the same run.

Three servers with the same Streamlit and ``.streamlit/config.toml``: the page (``app.py``), the
one-slider one-metric floor (``bench/floor_app.py``) and the one-slider one-chart floor
(``bench/floor_chart_app.py``: a Vega-Lite line chart of 7 series x 600 points). A chart panel
cannot beat the second floor, so the targets compare with it.

* interaction, per section: a key press on one control (a slider's ArrowRight; the floating-
  point weight is a number box: a new value typed, then Enter) until the panel is redrawn: its
  heading, metrics and chart titles are what its view computes for the new value, and a chart
  in it changed after the key press (the page's clock, from the key press). In the lab, the
  chart each run shows (the one lab control that retrains nothing), once the default runs are
  done: until a chart in the lab was redrawn and everything is drawn.
* where the time goes: the WebSocket's first and last message after the key press (the server's
  run), the drawing after the last message, messages and bytes per interaction;
* server CPU per interaction (user + system from ``/proc``, from the key press until the page
  has been idle for a moment, so the post-run garbage collection is counted);
* first render of the default page against the chart floor's: navigation start until the
  first run has finished and everything is drawn, each load in a fresh browser context.

Targets: interaction <= 1.3x the one-chart floor, first render <= 1.3x, CPU <= 2x. With
``--profile`` a second pass records the page server with ``py-spy`` while the sections are moved
and prints where its time goes.

    python -m bench.browser_latency [--loads 7] [--presses 15] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from bench.lab_in_page import DONE_JS as LAB_DONE_JS
from pagetools import expect
from pagetools.driver import DRAWN_JS, IDLE_JS, INSTRUMENT_JS, QUIET_MS, panel_scope
from pagetools.harness import (
    REPO_ROOT,
    VIEWPORT,
    StreamlitServer,
    bundled_chromium,
    find_chromium,
    launch_chromium,
    start_streamlit,
)
from vgapp.lab.run_charts import RUN_CHARTS
from vgapp.page import CONTROLS, SECTION_KEYS

CHART_DRAWS_JS = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
    .map(c => Number(c.dataset.vgFirstDraw || NaN))"""
TARGETS = {"interaction": 1.3, "first render": 1.3, "server CPU": 2.0}
WARMUP_PRESSES = 3
TIMEOUT_MS = 120_000
MAIN = "[data-testid='stMain']"
OUT = REPO_ROOT / "bench" / "out"
PROFILE_RATE = 200  # py-spy samples per second
IDLE_FRAMES = ("select (selectors.py", "polling_path_watcher.py:90", "wait (threading.py")


@dataclass
class Target:
    """One thing to press and how to recognise its redraw."""

    name: str
    server: StreamlitServer
    query: str
    scope: str
    expected: Callable[[int], dict]
    """The scope's signature after ``i`` moves."""
    act: Callable[[Any, int], None]
    """Make move number ``i`` (from 1) on the page."""
    ready: str | None = None
    """Page JS to wait for after the first render, before any move (a live panel settling)."""
    page: Any = None
    moves: int = 0
    rows: list[dict] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def slider_press(key: str) -> Callable[[Any, int], None]:
    def act(page: Any, _: int) -> None:
        thumb = page.locator(f".st-key-{key} input[type='range']")
        thumb.focus()
        thumb.press("ArrowRight")

    return act


def typed(key: str, value: Callable[[int], float]) -> Callable[[Any, int], None]:
    def act(page: Any, i: int) -> None:
        box = page.locator(f".st-key-{key} input[type='number']")
        box.fill(str(value(i)))
        box.press("Enter")  # the key press that commits the value starts the clock

    return act


def lab_chart_press(page: Any, i: int) -> None:
    """Move ``i`` on the lab's chart choice (gradient per layer, saturation, fit, in turn): its
    option focused, then Enter (the key press starts the clock). Nothing retrains."""
    label = list(RUN_CHARTS.values())[i % len(RUN_CHARTS)].label
    # the segmented control's options are buttons named by their text (the help icon is one too)
    buttons = page.locator(".st-key-lab_chart button")
    option = buttons.filter(has_text=re.compile(f"^{re.escape(label)}$"))
    option.focus()
    option.press("Enter")


def floor_signature(i: int) -> dict:
    return {"heading": None, "metrics": [["twice the depth", str(2 * (600 + i))]], "titles": []}


def chart_floor_signature(i: int) -> dict:
    return {"heading": None, "metrics": [], "titles": [f"depth = {600 + i}"]}


def slider_target(server: StreamlitServer, section: str, key: str, start: Any) -> Target:
    """ArrowRight on the slider ``key`` of ``section``, from ``start`` (set by the URL)."""
    panel = expect.panel_of(key)
    query = {"section": section} if section != SECTION_KEYS[0] else {}
    if start != CONTROLS[key].default:
        query[key] = CONTROLS[key].url_text(start)
    return Target(
        f"{section}: {key}",
        server,
        "&".join(f"{k}={v}" for k, v in query.items()),
        panel_scope(panel),
        lambda i: expect.signature(panel, {key: expect.stepped(key, start, i)}),
        slider_press(key),
    )


def page_targets(server: StreamlitServer) -> list[Target]:
    """One move per section, each from a start with room to step up; in the lab, the chart
    choice once the default runs are done (the one lab control that retrains nothing)."""
    fp_w = lambda i: float(1 + i)  # noqa: E731 - a value per move: 2, 3, 4, ...
    return [
        slider_target(server, "answer", "p_exp", 100),
        slider_target(server, "answer", "depth", CONTROLS["depth"].default),
        slider_target(server, "hessian", "pt_x", -1.5),
        slider_target(server, "descent", "gd_x0", -1.0),
        Target(
            "floating_point: fp_w (typed)",
            server,
            "section=floating_point",
            panel_scope("precision"),
            lambda i: expect.signature("precision", {"fp_w": fp_w(i)}),
            typed("fp_w", fp_w),
        ),
        Target(
            "lab: lab_chart (no training)",
            server,
            "section=lab",
            panel_scope("lab"),
            lambda i: None,  # a live panel: any signature, once a chart in it was redrawn
            lab_chart_press,
            ready=LAB_DONE_JS,
        ),
    ]


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(INSTRUMENT_JS)
    return context.new_page()


def wait_drawn(page: Any, scope: str, expected: dict, changed: bool) -> dict:
    arg = {"scope": scope, "expected": expected, "changed": changed}
    return page.wait_for_function(DRAWN_JS, arg=arg, polling="raf", timeout=TIMEOUT_MS).json_value()


def first_render(browser: Any, target: Target, keep: bool = False) -> dict:
    """Open the target's URL in a fresh context (empty cache, new session) until drawn."""
    page = new_page(browser)
    query = f"?{target.query}" if target.query else ""
    page.goto(target.server.url + query, timeout=TIMEOUT_MS)
    result = wait_drawn(page, target.scope, target.expected(0), changed=False)
    result["charts"] = page.evaluate(CHART_DRAWS_JS)
    if target.ready is not None:
        page.wait_for_function(target.ready, polling=100, timeout=TIMEOUT_MS)
    if keep:
        target.page = page
    else:
        page.context.close()
    return result


def move(target: Target, record: bool = True) -> None:
    """One move: timings from the key press until drawn, CPU until the page is idle."""
    target.moves += 1
    cpu = target.server.cpu_seconds()
    target.act(target.page, target.moves)
    result = wait_drawn(target.page, target.scope, target.expected(target.moves), changed=True)
    target.page.wait_for_function(IDLE_JS, arg=QUIET_MS, polling=50, timeout=TIMEOUT_MS)
    if record:
        target.rows.append(result)
        target.cpu.append(target.server.cpu_seconds() - cpu)


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def interaction(target: Target) -> dict[str, float]:
    rows = target.rows
    return {
        "drawn (ms)": med([r["now"] - r["t0"] for r in rows]),
        "first message (ms)": med([r["firstMsg"] - r["t0"] for r in rows]),
        "last message (ms)": med([r["lastMsg"] - r["t0"] for r in rows]),
        "drawing after it (ms)": med([r["now"] - r["lastMsg"] for r in rows]),
        "messages": med([r["messages"] for r in rows]),
        "kB": med([r["bytes"] / 1e3 for r in rows]),
        # the mean, not the median: /proc counts CPU in 10 ms ticks, so a median of per-move
        # deltas can only be a multiple of 10 ms; the sum over all moves is exact to one tick
        "server CPU (ms)": sum(target.cpu) * 1e3 / max(len(target.cpu), 1),
    }


def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "MISS"


# ----------------------------------------------------------------------------- py-spy


def profile(targets: list[Target], presses: int) -> Path | None:
    """Record the page server with py-spy (samples of the thread holding the GIL: Python at
    work, C code it called such as ``gc.collect`` included) while each target is moved."""
    spy = shutil.which("py-spy")
    if spy is None:
        print("\n--profile: py-spy not found (pip install py-spy)")
        return None
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"py-spy-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    server = targets[0].server
    recorder = subprocess.Popen(
        [spy, "record", "--pid", str(server.process.pid), "--rate", str(PROFILE_RATE), "--gil",
         "--format", "raw", "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(1.0)  # py-spy attaches; not a readiness guess for the page
    for _ in range(presses):
        for target in targets:
            move(target, record=False)
    recorder.send_signal(signal.SIGINT)
    recorder.wait(timeout=60)
    if not out.exists():
        print(f"\npy-spy wrote nothing: {recorder.stderr.read().decode()[-500:]}")
        return None
    return out


def summarize(path: Path, top: int = 18) -> None:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        if frames and frames[0].startswith("process"):
            frames = frames[1:]
        if any(idle in frames[-1] for idle in IDLE_FRAMES):
            continue  # a thread waiting, not working
        total += n
        leaf[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"\npy-spy on the page server ({total} busy samples at {PROFILE_RATE}/s), {path}:")
    print("  inclusive (share of busy samples)")
    for name, n in inclusive.most_common(top):
        print(f"    {n / total:6.1%}  {name[:110]}")
    print("  self")
    for name, n in leaf.most_common(top // 2):
        print(f"    {n / total:6.1%}  {name[:110]}")


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=7, help="first renders per app")
    parser.add_argument("--presses", type=int, default=15, help="measured moves per target")
    parser.add_argument("--profile", action="store_true", help="then py-spy the page server")
    parser.add_argument(
        "--post-script-gc",
        action="store_true",
        help="run every server with Streamlit's default gc.collect(2) after each run (the "
        "project's config turns it off): to measure what that setting is worth",
    )
    args = parser.parse_args()
    extra = ("--runner.postScriptGC=true",) if args.post_script_gc else ()

    bench = REPO_ROOT / "bench"
    servers = {
        "floor": start_streamlit(bench / "floor_app.py", extra_args=extra),
        "chart floor": start_streamlit(bench / "floor_chart_app.py", extra_args=extra),
        "page": start_streamlit(extra_args=extra),
    }
    floors = [
        Target("floor: one metric", servers["floor"], "", MAIN, floor_signature,
               slider_press("depth")),
        Target("floor: one chart", servers["chart floor"], "", MAIN, chart_floor_signature,
               slider_press("depth")),
    ]  # fmt: skip
    moves = page_targets(servers["page"])
    default = Target(
        "page (default)",
        servers["page"],
        "",
        panel_scope("chain"),
        lambda i: expect.signature("chain"),
        slider_press("depth"),
    )
    load_targets = [*floors, default]
    load = os.getloadavg()
    try:
        with sync_playwright() as playwright:
            executable = find_chromium() or bundled_chromium(playwright)
            if executable is None:
                raise SystemExit("no Chromium found (see README, 'Browser tests')")
            browser = launch_chromium(playwright, executable)
            cold = {t.name: first_render(browser, t)["now"] for t in load_targets}
            loads: dict[str, list[dict]] = {t.name: [] for t in load_targets}
            for _ in range(args.loads):
                for t in load_targets:  # alternate, so that noise hits all alike
                    loads[t.name].append(first_render(browser, t))
            every = [*floors, *moves]
            for t in every:
                first_render(browser, t, keep=True)
                for _ in range(WARMUP_PRESSES):
                    move(t, record=False)
            for _ in range(args.presses):
                for t in every:  # round robin, so that noise hits all alike
                    move(t)
            errors = {t.name: t.page.evaluate("window.__vg.errors") for t in every}
            spied = profile(moves, max(3, args.presses // 3)) if args.profile else None
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    load_after = os.getloadavg()

    print(f"Chromium headless {VIEWPORT['width']}x{VIEWPORT['height']}; {args.loads} first renders")
    print(f"and {args.presses} moves per target after {WARMUP_PRESSES} warm-up; load average")
    print(f"{load[0]:.2f} before, {load_after[0]:.2f} after ({os.cpu_count()} cores).")

    print("\nFirst render, navigation start until drawn (median ms; cold = first load)")
    chart_first = med([r["now"] for r in loads["floor: one chart"]])
    for t in load_targets:
        rows = loads[t.name]
        first = med([r["now"] for r in rows])
        last = med([r["lastMsg"] for r in rows])
        size = med([r["bytes"] for r in rows]) / 1e3
        print(
            f"  {t.name:22s} {first:7.0f}   cold {cold[t.name]:6.0f}   last message {last:6.0f}"
            f"   {size:6.0f} kB   {first / chart_first:5.2f}x the chart floor"
        )

    page_draws = [row["charts"] for row in loads["page (default)"]]
    at = [med([draws[i] for draws in page_draws]) for i in range(len(page_draws[0]))]
    floor_at = med([row["charts"][0] for row in loads["floor: one chart"]])
    shown = ", ".join(f"{t:.0f}" for t in at)
    print(f"  charts first drawn at (ms): page {shown}; chart floor {floor_at:.0f}")

    table = {t.name: interaction(t) for t in [*floors, *moves]}
    chart = table["floor: one chart"]
    print("\nInteraction, key press until the panel is redrawn (medians)")
    header = ["drawn (ms)", "first message (ms)", "last message (ms)", "drawing after it (ms)",
              "messages", "kB", "server CPU (ms)"]  # fmt: skip
    print(f"  {'':30s}" + "".join(f"{h:>14s}" for h in ["drawn", "1st msg", "last msg",
          "draw after", "messages", "kB", "CPU ms"]) + f"{'x chart':>9s}{'CPU x':>8s}")  # fmt: skip
    for name, row in table.items():
        print(
            f"  {name:30s}"
            + "".join(f"{row[h]:14.1f}" for h in header)
            + f"{row['drawn (ms)'] / chart['drawn (ms)']:8.2f}x"
            + f"{row['server CPU (ms)'] / chart['server CPU (ms)']:7.2f}x"
        )
    for name, found in errors.items():
        if found:
            print(f"  WARNING: page errors in {name}: {found}")

    print("\nBudget (against the one-chart floor)")
    first_ratio = med([r["now"] for r in loads["page (default)"]]) / chart_first
    print(
        f"  first render        {first_ratio:5.2f}x (<= {TARGETS['first render']}x): "
        f"{verdict(first_ratio, TARGETS['first render'])}"
    )
    for t in moves:
        row = table[t.name]
        ratio = row["drawn (ms)"] / chart["drawn (ms)"]
        cpu = row["server CPU (ms)"] / chart["server CPU (ms)"]
        print(
            f"  {t.name:30s} interaction {ratio:5.2f}x (<= {TARGETS['interaction']}x): "
            f"{verdict(ratio, TARGETS['interaction'])}   CPU {cpu:5.2f}x "
            f"(<= {TARGETS['server CPU']}x): {verdict(cpu, TARGETS['server CPU'])}"
        )
    if spied is not None:
        summarize(spied)


if __name__ == "__main__":
    main()
