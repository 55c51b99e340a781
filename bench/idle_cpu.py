"""The served page's idle cost: server CPU per second with one session open and nobody moving
anything, with the project's ``fileWatcherType = "none"`` against Streamlit's polling watcher,
alternated in the same run (the figure behind that line of ``.streamlit/config.toml``).

    python -m bench.idle_cpu [--seconds 30] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from playwright.sync_api import sync_playwright

from pagetools.driver import new_app_page
from pagetools.harness import bundled_chromium, find_chromium, launch_chromium, start_streamlit

WATCHERS = ("none", "poll")
SETTLE_S = 2.0  # after the page is idle, before the clock starts (its last messages drain)


def idle_ms_per_s(browser: object, watcher: str, seconds: float) -> float:
    """Server CPU (ms per second) over ``seconds`` with the default page open and idle."""
    server = start_streamlit(extra_args=(f"--server.fileWatcherType={watcher}",))
    try:
        app = new_app_page(browser, server)
        app.open()
        app.wait_idle()
        time.sleep(SETTLE_S)
        before = server.cpu_seconds()
        time.sleep(seconds)
        used = server.cpu_seconds() - before
        app.close()
        return 1e3 * used / seconds
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="idle time measured")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the watchers")
    args = parser.parse_args()
    found: dict[str, list[float]] = {watcher: [] for watcher in WATCHERS}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, find_chromium() or bundled_chromium(playwright))
        for _ in range(args.rounds):
            for watcher in WATCHERS:  # alternate, so that noise hits both alike
                found[watcher].append(idle_ms_per_s(browser, watcher, args.seconds))
        browser.close()
    print(f"Idle server CPU, one session open, {args.seconds:.0f} s per measure; load average")
    print(f"{os.getloadavg()[0]:.2f} after ({os.cpu_count()} cores).")
    base = statistics.median(found["none"])
    for watcher, values in found.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(
            f"  fileWatcherType={watcher:5s} median {statistics.median(values):5.1f} ms/s "
            f"({shown})   {statistics.median(values) / base:4.2f}x the project's setting"
        )


if __name__ == "__main__":
    main()
