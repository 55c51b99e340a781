"""The training lab inside the served page: what a fresh lab view adds to a page load.

Serves ``app.py`` (``streamlit run``, as a teacher would) and opens it in headless Chromium, each
load in a fresh browser context, until the script run has finished:

* fresh: a lab seed not seen before (``?lab_seed=N``), so the default-sized lab (two runs of
  2,000 steps, 6 x 32) is trained during the load;
* baseline, measured in the same run: the same URL loaded again, the lab view memoised.

The difference is the lab's cost as the page sees it, with the browser drawing on the same
2 cores (compare ``python -m bench.bench_lab``, which times ``lab_view`` alone). Also reports
whether the server's log shows a worker re-running the page (it must not).

    python -m bench.lab_in_app [--loads 5]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from pagetools.harness import (
    VIEWPORT,
    bundled_chromium,
    find_chromium,
    launch_chromium,
    open_app,
    start_streamlit,
    wait_for_run,
)

FIRST_SEED = 101  # not the default seed, so nothing is memoised before its first load
TIMEOUT_MS = 120_000
RUNNING = "[data-testid='stApp'][data-test-script-state='running']"


def load_seconds(browser, url: str, query: str) -> float:
    """Navigation until the page's script run has finished, in a fresh context."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    start = time.perf_counter()
    open_app(page, url, query, timeout_ms=TIMEOUT_MS)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def seed_moves(browser, url: str, count: int) -> dict[str, list[float]]:
    """Type seeds into the lab's seed field: new ones (trained) and back to the previous one
    (memoised), each until the rerun has finished."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    open_app(page, url, f"section=lab&lab_seed={FIRST_SEED}", timeout_ms=TIMEOUT_MS)
    field = page.locator("[data-testid='stSidebar'] .st-key-lab_seed input")
    times: dict[str, list[float]] = {"fresh": [], "memoised": []}
    for i in range(count):
        for kind, seed in (("fresh", FIRST_SEED + 50 + i), ("memoised", FIRST_SEED)):
            field.fill(str(seed))
            start = time.perf_counter()
            field.press("Enter")
            with contextlib.suppress(PlaywrightTimeout):  # a fast rerun may be over already
                page.wait_for_selector(RUNNING, timeout=2_000)
            wait_for_run(page, TIMEOUT_MS)
            times[kind].append(time.perf_counter() - start)
    context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    server = start_streamlit()
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright, find_chromium() or bundled_chromium(playwright))
            load_seconds(browser, server.url, "section=lab")  # warm-up: forkserver, caches
            fresh, memoised = [], []
            for i in range(args.loads):
                query = f"section=lab&lab_seed={FIRST_SEED + i}"
                fresh.append(load_seconds(browser, server.url, query))
                memoised.append(load_seconds(browser, server.url, query))
            moves = seed_moves(browser, server.url, args.loads)
            browser.close()
        log = server.log()
    finally:
        server.stop()
    fresh_s, memo_s = statistics.median(fresh), statistics.median(memoised)
    print(f"page load until the script run finished, medians of {args.loads}:")
    print(f"  fresh lab view (trained during the load): {fresh_s:6.2f} s")
    print(f"  same page, lab view memoised (baseline):  {memo_s:6.2f} s")
    print(
        f"  the lab's share: {fresh_s - memo_s:5.2f} s (target < 1 s for the default run); "
        f"ratio {fresh_s / memo_s:.2f}"
    )
    fresh_move, memo_move = (statistics.median(moves[kind]) for kind in ("fresh", "memoised"))
    print(f"a lab seed typed into the sidebar, until the rerun finished, medians of {args.loads}:")
    print(f"  a new seed (trained during the rerun): {fresh_move:6.2f} s")
    print(f"  back to a memoised seed (baseline):    {memo_move:6.2f} s")
    print(f"  the lab's share: {fresh_move - memo_move:5.2f} s; ratio {fresh_move / memo_move:.2f}")
    reruns = log.count("missing ScriptRunContext")
    print(
        f"  server log: {reruns} 'missing ScriptRunContext' warnings (a worker re-running the page)"
    )


if __name__ == "__main__":
    main()
