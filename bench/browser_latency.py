"""The page's speed in headless Chromium, against Streamlit's own floor measured in the same run.

Serves ``app.py`` and ``bench/floor_app.py`` (one slider, one metric) with the same Streamlit and
config, and measures in the browser, with the page's own clock:

* first render: navigation start until the first run has finished and everything is drawn
  (no stale or loading element, every chart drawn), median over fresh browser contexts;
* interaction: a key press on the depth slider until the rerun's results are drawn (the metric
  shows the value for the new depth and, on the page, the chain chart has been redrawn).

Where the time goes is read from the page's WebSocket: the first and last message after the key
press (the server's run), the bytes received, and the drawing after the last message.

    python -m bench.browser_latency [--loads 7] [--presses 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import sync_playwright

from tests.browser.harness import (
    DRAWN_JS,
    INSTRUMENT_JS,
    REPO_ROOT,
    VIEWPORT,
    StreamlitServer,
    bundled_chromium,
    find_chromium,
    launch_chromium,
    start_streamlit,
)
from vgapp import views
from vgapp.page import defaults

CHART_DRAWS_JS = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")].map(
    (c, i) => [(c.getAttribute('aria-label') || `chart #${i + 1}`).slice(0, 48),
               Number(c.dataset.vgFirstDraw || NaN)])"""
BIG_SCRIPTS_JS = """() => performance.getEntriesByType('resource')
    .filter(r => r.initiatorType === 'script' || r.name.endsWith('.js'))
    .sort((a, b) => b.encodedBodySize - a.encodedBodySize).slice(0, 3)
    .map(r => [r.name.split('/').pop(), r.encodedBodySize, r.startTime, r.responseEnd])"""
TARGETS = {"interaction": 1.3, "first render": 1.5}
WARMUP_PRESSES = 3
TIMEOUT_MS = 120_000


@dataclass
class App:
    """One served app and how to recognise its rerun for a given depth."""

    name: str
    server: StreamlitServer
    scope: str
    metric: Callable[[int], tuple[str, str]]
    chart_redrawn: bool
    page: Any = None
    depth: int = 600


def explorer_metric(depth: int) -> tuple[str, str]:
    """The chain panel's first metric (dF/dw₁ exact) for this depth, the rest at defaults."""
    values = defaults()
    values["depth"] = depth
    metric = views.chain_view(*views.chain_arguments(values)).metrics[0]
    return metric.label, metric.value


def floor_metric(depth: int) -> tuple[str, str]:
    return "twice the depth", str(2 * depth)


def wait_drawn(page: Any, app: App, label: str | None, value: str | None, changed: bool) -> dict:
    arg = {"scope": app.scope, "label": label, "value": value, "changed": changed}
    handle = page.wait_for_function(DRAWN_JS, arg=arg, polling="raf", timeout=TIMEOUT_MS)
    return handle.json_value()


def load(browser: Any, app: App, keep: bool = False) -> dict:
    """Open the app in a fresh context (empty cache, new session); timings from navigation."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(INSTRUMENT_JS)
    page = context.new_page()
    page.goto(app.server.url, timeout=TIMEOUT_MS)
    result = wait_drawn(page, app, None, None, changed=False)
    result["charts"] = page.evaluate(CHART_DRAWS_JS)
    result["scripts"] = page.evaluate(BIG_SCRIPTS_JS)
    if keep:
        app.page, app.depth = page, 600
    else:
        context.close()
    return result


def press(app: App) -> dict:
    """ArrowRight on the depth slider; timings from the key press (page clock)."""
    label, value = app.metric(app.depth + 1)
    thumb = app.page.locator(".st-key-depth input[type='range']")
    thumb.focus()
    thumb.press("ArrowRight")
    result = wait_drawn(app.page, app, label, value, changed=app.chart_redrawn)
    app.depth += 1
    return result


def median(rows: list[dict], key: Callable[[dict], float]) -> float:
    return statistics.median(key(row) for row in rows)


def describe_load(rows: list[dict]) -> dict[str, float]:
    return {
        "drawn (ms)": median(rows, lambda r: r["now"]),
        "first WebSocket message (ms)": median(rows, lambda r: r["firstMsg"]),
        "last WebSocket message (ms)": median(rows, lambda r: r["lastMsg"]),
        "drawing after the last message (ms)": median(rows, lambda r: r["now"] - r["lastMsg"]),
        "WebSocket bytes": median(rows, lambda r: r["bytes"]),
    }


def describe_press(rows: list[dict]) -> dict[str, float]:
    return {
        "drawn (ms)": median(rows, lambda r: r["now"] - r["t0"]),
        "first WebSocket message (ms)": median(rows, lambda r: r["firstMsg"] - r["t0"]),
        "last WebSocket message (ms)": median(rows, lambda r: r["lastMsg"] - r["t0"]),
        "drawing after the last message (ms)": median(rows, lambda r: r["now"] - r["lastMsg"]),
        "WebSocket bytes": median(rows, lambda r: r["bytes"]),
        "WebSocket messages": median(rows, lambda r: r["messages"]),
    }


def chain_view_ms(depths: list[int]) -> float:
    """In-process time of ``views.chain_view`` (the only view a depth change recomputes)."""
    values = defaults()
    times = []
    for depth in depths:
        values["depth"] = depth
        start = time.perf_counter()
        views.chain_view(*views.chain_arguments(values))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def chain_spec_bytes() -> int:
    values = defaults()
    chart = views.chain_view(*views.chain_arguments(values)).chart
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return len(json.dumps(spec))


def print_table(title: str, floor: dict[str, float], page: dict[str, float]) -> None:
    print(f"\n{title} (medians)")
    print(f"  {'':38s} {'floor app':>11s} {'explorer':>11s} {'ratio':>7s}")
    for key in page:
        ratio = page[key] / floor[key] if floor[key] else float("nan")
        print(f"  {key:38s} {floor[key]:11.1f} {page[key]:11.1f} {ratio:6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=7, help="first renders per app")
    parser.add_argument("--presses", type=int, default=15, help="key presses per app (>= 15)")
    args = parser.parse_args()

    floor_server = start_streamlit(REPO_ROOT / "bench" / "floor_app.py")
    page_server = start_streamlit()
    apps = [
        App("floor", floor_server, "[data-testid='stMain']", floor_metric, chart_redrawn=False),
        App("explorer", page_server, ".st-key-panel-chain", explorer_metric, chart_redrawn=True),
    ]
    try:
        with sync_playwright() as playwright:
            executable = find_chromium() or bundled_chromium(playwright)
            if executable is None:
                raise SystemExit("no Chromium found (see README, 'Browser tests')")
            browser = launch_chromium(playwright, executable)
            cold = {app.name: load(browser, app) for app in apps}  # fills the server's caches
            loads: dict[str, list[dict]] = {app.name: [] for app in apps}
            for i in range(args.loads):
                for app in apps:  # alternate, so that noise hits both alike
                    loads[app.name].append(load(browser, app, keep=i == args.loads - 1))
            presses: dict[str, list[dict]] = {app.name: [] for app in apps}
            cpu: dict[str, float] = {}
            for _ in range(WARMUP_PRESSES):
                for app in apps:
                    press(app)
            start_cpu = {app.name: app.server.cpu_seconds() for app in apps}
            for _ in range(args.presses):
                for app in apps:
                    presses[app.name].append(press(app))
            for app in apps:
                cpu[app.name] = (app.server.cpu_seconds() - start_cpu[app.name]) / args.presses
            errors = {app.name: app.page.evaluate("window.__vg.errors") for app in apps}
            browser.close()
    finally:
        for app in apps:
            app.server.stop()

    print(f"Chromium headless {VIEWPORT['width']}x{VIEWPORT['height']}, {args.loads} first")
    print(f"renders and {args.presses} key presses per app (after {WARMUP_PRESSES} warm-up).")
    for name, result in cold.items():
        print(f"  cold first render ({name}, empty server caches): {result['now']:.0f} ms")
    first = {name: describe_load(rows) for name, rows in loads.items()}
    interaction = {name: describe_press(rows) for name, rows in presses.items()}
    print_table("First render, from navigation start", first["floor"], first["explorer"])
    print_table("Interaction, from the key press", interaction["floor"], interaction["explorer"])
    print(
        f"\n  server CPU per interaction: floor {cpu['floor'] * 1e3:.0f} ms, "
        f"explorer {cpu['explorer'] * 1e3:.0f} ms"
    )
    depths = list(range(700, 700 + args.presses))
    print(f"  views.chain_view in-process (new depth each time): {chain_view_ms(depths):.0f} ms")
    print(f"  chain chart spec: {chain_spec_bytes() / 1e3:.0f} kB of JSON")
    print("  first render: when each chart of the page was first drawn (median, ms):")
    draws = [row["charts"] for row in loads["explorer"]]
    for i, (name, _) in enumerate(draws[-1]):
        at = statistics.median(d[i][1] for d in draws)
        last = first["explorer"]["last WebSocket message (ms)"]
        print(f"    {at:7.0f}  ({at - last:+5.0f} after the last message)  {name}")
    print("  first render: the largest scripts the page loaded (last load):")
    for name, size, start, end in loads["explorer"][-1]["scripts"]:
        print(f"    {name:40s} {size / 1e3:7.0f} kB  requested {start:6.0f} ms, in {end:6.0f} ms")
    interaction_all = [r["now"] - r["t0"] for r in presses["explorer"]]
    print(
        f"  explorer interaction min/max: {min(interaction_all):.0f}/{max(interaction_all):.0f} ms"
    )
    for name, found in errors.items():
        if found:
            print(f"  WARNING: page errors in {name}: {found}")
    undrawn = [r["undrawn"] for r in loads["explorer"] if r["undrawn"]]
    if undrawn:
        print(f"  WARNING: {max(undrawn)} chart(s) never drew (see the page errors)")

    print("\nBudget")
    for key, target in TARGETS.items():
        table = interaction if key == "interaction" else first
        ratio = table["explorer"]["drawn (ms)"] / table["floor"]["drawn (ms)"]
        verdict = "met" if ratio <= target else "MISSED"
        print(f"  {key:13s} {ratio:5.2f}x the floor (target <= {target}x): {verdict}")


if __name__ == "__main__":
    main()
