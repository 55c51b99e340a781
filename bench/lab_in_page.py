"""The training lab as a visitor meets it: the served page in headless Chromium, against the
one-chart floor (``bench/floor_chart_app.py``) served and measured in the same run.

* **first picture**: a lab control moved (the depth slider, one step), until the lab shows the
  new runs' first steps (your run's status reads "step k of ...", its charts drawn), against the
  floor's key press until its chart is redrawn;
* **a move back** (no training): the depth stepped back to settings trained by the moves above
  (memoised), until the picture shows, against the same floor;
* **default lab trained**: a fresh server, ``?section=lab`` loaded, until both runs are done
  (stopped by their rules, or the budget), against the floor's first render: the median over
  ``--fresh`` fresh servers;
* **the lab opened again** (``--warm``): the same server, a new visitor (a fresh browser
  context) loads ``?section=lab`` once its runs are trained (memoised), until drawn: what the
  page itself costs the browser, against the floor's first render;
* **largest setting** (``--largest``): 20 x 128, 5,000 steps asked for (the lab caps the budget:
  ``vgapp.lab.runs.budget_cap``), in each dtype: until both runs are done, then "continue to
  the budget" until both have finished;
* **the playback buttons** (``--transport N``, only these, ``bench.lab_transport``): N mouse
  clicks of each, against the floor's interaction measured before and after them: *pause*
  while both runs train (8 x 48, eta 1e-3, 5,000 steps, no parameter rule) until both statuses
  read "paused", then the statuses and the loss chart's SVG watched for 2 s (changes counted,
  expected none; a change moves the pause's end); on the default lab at 3,000 steps, where the
  rules stop both runs, trained to the budget: *the rules' stop* until both show their stop,
  *+10 steps* until both show ten steps past it, paused, *to the budget* until both show it
  (every step exists); and *to the budget* from a fresh seed's stop, until both show a step
  past their stop (the steps computed). Each also times the server's side: from the click to
  the end of the rerun it asked for (the page's WebSocket).

    python -m bench.lab_in_page [--moves 7] [--fresh 5] [--warm 5] [--largest float16,...]
    python -m bench.lab_in_page --transport 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from bench import lab_transport
from pagetools.harness import (
    VIEWPORT,
    bundled_chromium,
    find_chromium,
    launch_chromium,
    start_streamlit,
)
from vgapp.lab.runs import budget_cap

BENCH = Path(__file__).resolve().parent
TIMEOUT_MS = 900_000
LAB = ".st-key-panel-lab"
STATUS_JS = """() => Object.fromEntries([...document.querySelectorAll(
    ".st-key-panel-lab [data-testid='stMetric']")].map(m => [
      m.querySelector("[data-testid='stMetricLabel']")?.textContent.trim(),
      m.querySelector("[data-testid='stMetricValue']")?.textContent.trim()])
    .filter(([label]) => label === 'your run' || (label || '').startsWith('remedy')))"""
CHARTS_DRAWN_JS = """() => {
  const charts = [...document.querySelectorAll(
    ".st-key-panel-lab [data-testid='stVegaLiteChart']")];
  return charts.length >= 2 && charts.every(c => c.querySelector('svg, canvas'));
}"""
"""The lab's charts (the loss and your run's chart at least) are drawn."""
DONE_JS = (
    "() => { const s = ("
    + STATUS_JS
    + ")(); const v = Object.values(s); return v.length > 0 && v.every(x => "
    "!/^(step|starting|waiting for a free)/.test(x)) && !document.querySelector("
    "\"[data-stale='true']\") && (" + CHARTS_DRAWN_JS + ")(); }"
)
FIRST_PICTURE_JS = """size => {
  const charts = [...document.querySelectorAll(
    ".st-key-panel-lab [data-testid='stVegaLiteChart']")];
  return charts.length >= 2 && charts.every(c => c.querySelector('svg, canvas'))
    && [...charts[0].querySelectorAll('text')].some(t => t.textContent.startsWith(size))
    && !document.querySelector("[data-stale='true']");
}"""
"""The loss chart's title names the new network (``7 × 32 sigmoid ...``), and every lab chart
(the loss and your run's heatmap at least) is drawn."""
FLOOR_DRAWN_JS = """depth => [...document.querySelectorAll("[data-testid='stVegaLiteChart'] text")]
    .some(t => t.textContent.includes(`depth = ${depth}`))"""
LARGEST = "section=lab&lab_depth=20&lab_width=128&lab_steps=5000&lab_dtype={dtype}"


def floor_first_render(browser: Any, url: str, loads: int) -> float:
    """Median seconds from navigation until the floor's chart is drawn (fresh contexts)."""
    times = []
    for _ in range(loads):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url)
        page.wait_for_function(FLOOR_DRAWN_JS, arg=600, timeout=TIMEOUT_MS)
        times.append(time.perf_counter() - start)
        context.close()
    return statistics.median(times)


def floor_interaction(browser: Any, url: str, moves: int) -> float:
    """Median seconds from an ArrowRight on the floor's slider until its chart is redrawn."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(FLOOR_DRAWN_JS, arg=600, timeout=TIMEOUT_MS)
    slider = page.locator(".st-key-depth input[type='range']")
    times = []
    for i in range(1, moves + 1):
        slider.focus()
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(FLOOR_DRAWN_JS, arg=600 + i, timeout=TIMEOUT_MS)
        times.append(time.perf_counter() - start)
    context.close()
    return statistics.median(times)


def lab_done(browser: Any, url: str, query: str) -> tuple[float, Any, Any]:
    """Seconds from navigation until both runs are done; the page and its context (open)."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    start = time.perf_counter()
    page.goto(f"{url}?{query}")
    page.wait_for_function(DONE_JS, timeout=TIMEOUT_MS, polling=100)
    return time.perf_counter() - start, page, context


def first_pictures(page: Any, moves: int) -> list[float]:
    """Seconds from a depth step (the lab's slider) until the new runs' first steps show."""
    slider = page.locator(".st-key-lab_depth input[type='range']")
    times = []
    depth = 6  # the default; each move goes one layer up (new runs every time)
    for _ in range(moves):
        page.wait_for_function(DONE_JS, timeout=TIMEOUT_MS, polling=100)
        slider.focus()
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")
        depth += 1
        page.wait_for_function(
            FIRST_PICTURE_JS, arg=f"{depth} × 32", timeout=TIMEOUT_MS, polling="raf"
        )
        times.append(time.perf_counter() - start)
    return times


def memoised_moves(page: Any, moves: int, depth: int) -> list[float]:
    """Seconds from a depth step back (ArrowLeft, from ``depth``) to a setting trained by
    ``first_pictures``, until its picture shows: a lab move that does not retrain."""
    slider = page.locator(".st-key-lab_depth input[type='range']")
    times = []
    for _ in range(moves):
        page.wait_for_function(DONE_JS, timeout=TIMEOUT_MS, polling=100)
        slider.focus()
        start = time.perf_counter()
        page.keyboard.press("ArrowLeft")
        depth -= 1
        page.wait_for_function(
            FIRST_PICTURE_JS, arg=f"{depth} × 32", timeout=TIMEOUT_MS, polling="raf"
        )
        times.append(time.perf_counter() - start)
    return times


def fresh_trained(browser: Any, count: int) -> list[float]:
    """The default lab trained on ``count`` more fresh servers (seconds each): one fresh load
    varies by a fifth from one to the next on this machine."""
    times = []
    for _ in range(count):
        server = start_streamlit()
        try:
            trained, _, context = lab_done(browser, server.url, "section=lab")
            context.close()
            times.append(trained)
        finally:
            server.stop()
    return times


def warm_loads(browser: Any, url: str, count: int) -> list[float]:
    """Seconds until the default lab is drawn, done, for ``count`` new visitors of a server
    that has trained it (nothing trains: the page's own cost)."""
    times = []
    for _ in range(count):
        seconds, _, context = lab_done(browser, url, "section=lab")
        context.close()
        times.append(seconds)
    return times


def largest(browser: Any, url: str, dtype: str) -> tuple[float, float]:
    """The largest setting: seconds until both runs are done, then until both have finished
    the budget after "continue"."""
    done, page, context = lab_done(browser, url, LARGEST.format(dtype=dtype))
    button = page.get_by_role("button", name="Continue to the budget")
    start = time.perf_counter()
    if button.is_enabled():
        button.click()
        page.wait_for_function(
            "() => { const s = (" + STATUS_JS + ")(); return Object.values(s).every("
            "x => /^(ran all|overflowed)/.test(x)); }",
            timeout=TIMEOUT_MS,
            polling=500,
        )
    budget = time.perf_counter() - start
    context.close()
    return done, done + budget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=7, help="lab control moves measured")
    parser.add_argument("--loads", type=int, default=5, help="floor first renders")
    parser.add_argument("--largest", default="", help="dtypes of the largest setting, e.g. float32")
    parser.add_argument("--fresh", type=int, default=5, help="fresh servers for the default")
    parser.add_argument("--warm", type=int, default=5, help="new visitors of the trained lab")
    parser.add_argument(
        "--transport", type=int, default=0, help="clicks of each playback button (only these)"
    )
    args = parser.parse_args()
    load = os.getloadavg()
    floor = start_streamlit(BENCH / "floor_chart_app.py")
    page_server = start_streamlit()
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright, find_chromium() or bundled_chromium(playwright))
            if args.transport:
                before = floor_interaction(browser, floor.url, args.moves)
                found = lab_transport.measure(browser, VIEWPORT, page_server.url, args.transport)
                after = floor_interaction(browser, floor.url, args.moves)
                size = f"{VIEWPORT['width']}x{VIEWPORT['height']}"
                print(f"Chromium {size}; load {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
                print(
                    f"  one-chart floor: interaction {before:.3f} s before the clicks, "
                    f"{after:.3f} s after: the ratios are to their mean"
                )
                lab_transport.report(found, (before + after) / 2, 1.3)
                browser.close()
                return
            render = floor_first_render(browser, floor.url, args.loads)
            interaction = floor_interaction(browser, floor.url, args.moves)
            trained, page, context = lab_done(browser, page_server.url, "section=lab")
            pictures = first_pictures(page, args.moves)
            memoised = memoised_moves(page, args.moves, 6 + args.moves)
            context.close()
            warm = warm_loads(browser, page_server.url, args.warm)
            fresh = [trained, *fresh_trained(browser, args.fresh - 1)]
            rows = [
                ("default lab trained, fresh server (s)", statistics.median(fresh), render, 2.0),
                ("the trained lab opened again (s)", statistics.median(warm), render, None),
                ("first picture after a lab move (s)", statistics.median(pictures),
                 interaction, 1.3),
                ("a lab move back to a trained setting (s)", statistics.median(memoised),
                 interaction, 1.3),
            ]  # fmt: skip
            print(f"Chromium {VIEWPORT['width']}x{VIEWPORT['height']}; load {load[0]:.2f} before")
            print(
                f"  one-chart floor: first render {render:.3f} s, interaction {interaction:.3f} s"
            )
            for name, value, baseline, target in rows:
                ratio = value / baseline
                if target is None:  # a figure to read, with no target of its own
                    print(f"  {name:42s} {value:7.3f}   {ratio:5.2f}x")
                    continue
                verdict = "PASS" if ratio <= target else "MISS"
                print(f"  {name:42s} {value:7.3f}   {ratio:5.2f}x (<= {target}x): {verdict}")
            print(
                f"  default trained, each fresh server (s): {', '.join(f'{t:.3f}' for t in fresh)}"
            )
            print(f"  the trained lab opened again (s): {', '.join(f'{t:.3f}' for t in warm)}")
            print(f"  first pictures (s): {', '.join(f'{t:.3f}' for t in pictures)}")
            print(f"  moves back, no training (s): {', '.join(f'{t:.3f}' for t in memoised)}")
            for dtype in filter(None, args.largest.split(",")):
                try:
                    done, finished = largest(browser, page_server.url, dtype)
                except PlaywrightTimeout:
                    print(f"  largest {dtype}: not done within {TIMEOUT_MS / 1e3:.0f} s: MISS")
                    continue
                verdict = "PASS" if finished <= 60 else "MISS"
                budget = budget_cap(20, 128, dtype, "relu_he")
                print(
                    f"  largest (20 x 128, 5,000 steps asked, budget {budget:,}) {dtype}: both "
                    f"runs done {done:6.1f} s, the whole budget {finished:6.1f} s (<= 60 s): "
                    f"{verdict}"
                )
            browser.close()
    finally:
        floor.stop()
        page_server.stop()
    print(f"load average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
