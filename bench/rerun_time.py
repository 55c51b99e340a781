"""How long the script takes when a visitor moves the depth slider (server side, no browser).

Runs ``app.py`` under Streamlit's AppTest and times only the script's execution (Streamlit's
``exec_func_with_error_handling``), not AppTest's polling. AppTest always reruns the whole
script, fragments included: in a browser a move of the depth slider reruns only the chain
panel's fragment, so the browser's server time per move is closer to the chain view alone
(printed too) plus Streamlit's fragment overhead; ``bench/browser_latency.py`` measures that.
Baselines in the same run: the one-slider one-metric floor (``bench/floor_app.py``) and the
one-slider one-chart floor (``bench/floor_chart_app.py``), under AppTest alike.

    python -m bench.rerun_time [--moves 15] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
from pathlib import Path

from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from vgapp.page import CONTROLS, PANELS, defaults

ROOT = Path(__file__).resolve().parent.parent
DURATIONS: list[float] = []
PROFILE: cProfile.Profile | None = None
_original = script_runner.exec_func_with_error_handling


def _timed(func, ctx):
    start = time.perf_counter()
    if PROFILE is not None:
        PROFILE.enable()
    try:
        return _original(func, ctx)
    finally:
        if PROFILE is not None:
            PROFILE.disable()
        DURATIONS.append(time.perf_counter() - start)


script_runner.exec_func_with_error_handling = _timed


def measure(path: Path, values: list[int]) -> tuple[float, list[float]]:
    """First-run time and the script time of each move of the depth slider to ``values``."""
    DURATIONS.clear()
    app = AppTest.from_file(str(path), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    first = DURATIONS[-1]
    reruns = []
    for value in values:
        DURATIONS.clear()
        app.slider(key="depth").set_value(value).run()
        assert not app.exception, app.exception
        reruns.append(sum(DURATIONS))
    return first, reruns


def chain_view_ms(values: list[int]) -> list[float]:
    """In-process time of the chain panel's view alone, new depth each time."""
    times = []
    panel = PANELS["chain"]
    for depth in values:
        arguments = panel.arguments({**defaults(), "depth": depth})
        start = time.perf_counter()
        panel.view(**arguments)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def line(name: str, first: float, reruns: list[float]) -> float:
    median = statistics.median(reruns) * 1e3
    print(
        f"  {name:34s} first run {first * 1e3:7.1f} ms   per move {median:6.1f} ms "
        f"(min {min(reruns) * 1e3:.1f}, max {max(reruns) * 1e3:.1f})"
    )
    return median


def main() -> None:
    global PROFILE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    default = int(CONTROLS["depth"].default)
    fresh = list(range(default + 1, default + 1 + args.moves))  # new depths: recomputed
    print(f"AppTest, script time per move of the depth slider ({args.moves} moves, medians);")
    print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    floor = line("floor: one slider, one metric", *measure(ROOT / "bench" / "floor_app.py", fresh))
    chart = line("floor: one slider, one chart", *measure(ROOT / "bench" / "floor_chart_app.py",
                                                           fresh))  # fmt: skip
    page = line("page, new depth each move", *measure(ROOT / "app.py", fresh))
    cached = line("page, every view memoised", *measure(ROOT / "app.py", [default + 1, default]
                                                         * (args.moves // 2 + 1)))  # fmt: skip
    view = statistics.median(chain_view_ms([d + 1000 for d in fresh]))
    print(f"  {'chain view alone (in process)':34s} {view:6.1f} ms per new depth")
    print(
        f"ratios per move: page / metric floor {page / floor:.1f}x, page / chart floor "
        f"{page / chart:.1f}x; memoised page / chart floor {cached / chart:.1f}x"
    )
    print("(AppTest reruns the whole script, fragments included; a browser reruns the fragment)")
    if args.profile:
        PROFILE = cProfile.Profile()
        measure(ROOT / "app.py", [default + 100, default + 101, default + 102])
        pstats.Stats(PROFILE).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
