"""How long one script rerun takes when a visitor moves a slider (server side, no browser).

Runs ``app.py`` under Streamlit's AppTest and times only the script's execution (Streamlit's
``exec_func_with_error_handling``), not AppTest's polling. Baseline in the same run: the floor
app ``bench/floor_app.py`` if present (one slider, one metric), else an empty script.

    python -m bench.rerun_time [--profile]
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

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

FLOOR_APP = """
import streamlit as st
depth = st.slider("Depth", 2, 10000, 600, key="depth")
st.metric("value", depth * 2)
"""


def measure(path: Path, key: str, values: list[int]) -> tuple[float, float, list[float]]:
    """First-run time and the median rerun time over slider moves to ``values``."""
    DURATIONS.clear()
    app = AppTest.from_file(str(path), default_timeout=120)
    app.run()
    first = DURATIONS[-1]
    reruns = []
    for value in values:
        DURATIONS.clear()
        app.slider(key=key).set_value(value).run()
        assert not app.exception, app.exception
        reruns.append(DURATIONS[-1])
    return first, statistics.median(reruns), reruns


def main() -> None:
    global PROFILE
    new_values = list(range(601, 616))  # 15 depths never seen before: the chain panel recomputes
    with tempfile.TemporaryDirectory() as folder:
        floor_path = ROOT / "bench" / "floor_app.py"
        if not floor_path.exists():
            floor_path = Path(folder) / "floor_app.py"
            floor_path.write_text(FLOOR_APP)
        floor_first, floor_rerun, _ = measure(floor_path, "depth", new_values)
    app_first, app_rerun, reruns = measure(ROOT / "app.py", "depth", new_values)
    _, cached_rerun, _ = measure(ROOT / "app.py", "depth", [601, 600] * 8)
    ms = 1e3
    print(f"floor app     first run {floor_first * ms:7.1f} ms   rerun {floor_rerun * ms:6.1f} ms")
    print(
        f"explorer app  first run {app_first * ms:7.1f} ms   rerun {app_rerun * ms:6.1f} ms"
        f"   (median; new depth each time; min {min(reruns) * ms:.1f}, max {max(reruns) * ms:.1f})"
    )
    print(f"explorer app  rerun median with every view memoised: {cached_rerun * 1e3:6.1f} ms")
    print(f"ratio explorer / floor rerun: {app_rerun / floor_rerun:.1f}x")
    if "--profile" in sys.argv:
        PROFILE = cProfile.Profile()
        measure(ROOT / "app.py", "depth", [620, 621, 622])
        pstats.Stats(PROFILE).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
