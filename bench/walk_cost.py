"""What the backward walk (closed by default) costs the default page, against the code before it,
in one run.

Two servers with the same Streamlit and config: this tree's page and a baseline checkout's
(``--baseline PATH``, e.g. ``git worktree add /tmp/vg-base <the commit before the walk>``).
Measured alternately, so that the machine's load falls on both alike:

* first render of the default page: a fresh browser context (a new session) from navigation
  start until the first run has finished, everything is drawn and the chain panel shows what
  its view computes (``DRAWN_JS``);
* the chain panel's view at its defaults, uncached (``chain.view``, which the walk's change
  touches through ``chain_report``), timed in a subprocess of each tree.

    python -m bench.walk_cost --baseline /tmp/vg-base [--loads 7] [--views 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.browser_latency import new_page, wait_drawn
from pagetools import expect
from pagetools.driver import panel_scope
from pagetools.harness import REPO_ROOT, bundled_chromium, find_chromium, launch_chromium
from pagetools.harness import start_streamlit as serve

VIEW_TIMER = """
import time, statistics
from vgapp.panels import chain
arguments = chain.PANEL.arguments(chain.PANEL.defaults())
chain.view(**arguments)  # imports and caches warmed
times = []
for _ in range({views}):
    start = time.perf_counter()
    chain.view(**arguments)
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


def view_time(tree: Path, views: int) -> float:
    """Median seconds of one uncached chain view at its defaults, in ``tree``'s code."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", VIEW_TIMER.format(views=views)],
        cwd=tree, env=environment, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(done.stdout.strip())


def first_render(browser: object, url: str) -> dict:
    """From navigation start until the default page is drawn: ``now`` (ms), and the bytes and
    messages the server sent (the same in every load of one tree: the cost without the noise)."""
    page = new_page(browser)
    try:
        page.goto(url, timeout=120_000)
        expected = expect.signature("chain", None)
        return dict(wait_drawn(page, panel_scope("chain"), expected, changed=False))
    finally:
        page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="checkout before the walk")
    parser.add_argument("--loads", type=int, default=7, help="first renders per tree")
    parser.add_argument("--views", type=int, default=15, help="chain views per timing")
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "walk": REPO_ROOT}
    renders: dict[str, list[float]] = {name: [] for name in trees}
    sent: dict[str, list[tuple[int, int]]] = {name: [] for name in trees}
    views: dict[str, list[float]] = {name: [] for name in trees}
    servers = {name: serve(tree / "app.py", cwd=tree) for name, tree in trees.items()}
    try:
        with sync_playwright() as playwright:
            executable = find_chromium() or bundled_chromium(playwright)
            browser = launch_chromium(playwright, executable)
            for server in servers.values():  # a cold load each, not counted
                first_render(browser, server.url)
            for _ in range(args.loads):
                for name, server in servers.items():
                    drawn = first_render(browser, server.url)
                    renders[name].append(float(drawn["now"]))
                    sent[name].append((int(drawn["bytes"]), int(drawn["messages"])))
                    views[name].append(view_time(trees[name], args.views))
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    print(f"load average {os.getloadavg()[0]:.2f}; {args.loads} alternating rounds")
    for name in trees:
        print(f"{name}: first render sent (bytes, messages) {sorted(set(sent[name]))}")
    for title, figures, unit in (
        ("first render of the default page", renders, "ms"),
        ("chain panel view at its defaults (uncached)", views, "s"),
    ):
        base, walk = (statistics.median(figures[name]) for name in trees)
        ratio = walk / base
        print(f"{title}: baseline {base:.4g} {unit}, walk {walk:.4g} {unit}, ratio {ratio:.3f}")
        pairs = [b / a for a, b in zip(figures["baseline"], figures["walk"], strict=True)]
        spread = ", ".join(f"{r:.2f}" for r in sorted(pairs))
        print(f"  per round (walk / baseline, sorted): {spread}")


if __name__ == "__main__":
    main()
