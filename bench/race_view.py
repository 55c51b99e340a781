"""Cost of the descent race: the descent panel's view with five starts in the race against the
same view with none (the sliders' start alone), measured in the same run, interleaved.

What the page pays on a redraw that misses the view memo (``vgui.sections.cached_view``: a
new setting), with the race's own run memo (``descent_race.race_run``) cleared before each
call ("5 starts"), and when a fifth start is added to four already run ("+1 start": the
memo holds the four). Cases: the default (1 − ab)² at 500 iterations, where every run stops by the
gradient rule within a few hundred steps; and the worst case, x³ + 0·y at 5,000 iterations from
starts whose runs never stop early (the iteration cap: 6 runs of 5,000 steps). Figures are
medians of interleaved repeats (this machine is noisy and shared).

Run: ``python -m bench.race_view``.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from vgapp.page import PANELS
from vgapp.panels.descent_race import race_run

REPEATS = 9
PANEL = PANELS["descent"]
CASES: dict[str, dict[str, Any]] = {
    "(1 − ab)², 500 iterations": {
        "gd_race": ((0.6, -0.55), (0.6, -0.6), (0.55, -0.6), (1.5, 0.5), (-2.0, 2.0)),
    },
    "x³, 5,000 iterations (every run to the cap)": {
        "gd_surface": "cubic",
        "gd_iters": 5000,
        "gd_eta": 0.001,
        "gd_x0": 2.0,
        "gd_race": ((2.0, 0.5), (1.5, 0.0), (1.0, -1.0), (0.5, 1.0), (1.95, 2.0)),
    },
}


def view_ms(values: dict[str, Any], *, warm: dict[str, Any] | None = None) -> float:
    """One call of the view; the race memo cleared first, then filled by ``warm`` if given."""
    race_run.cache_clear()
    if warm is not None:
        PANEL.view(**PANEL.arguments({**PANEL.defaults(), **warm}))
    arguments = PANEL.arguments({**PANEL.defaults(), **values})
    start = time.perf_counter()
    PANEL.view(**arguments)
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    print(f"descent view, five race starts vs none, medians of {REPEATS} (ms)")
    print(f"{'case':<46} {'no race':>8} {'5 starts':>9} {'ratio':>6} {'+1 start':>9} {'ratio':>6}")
    for name, race in CASES.items():
        alone = {key: value for key, value in race.items() if key != "gd_race"}
        four = {**race, "gd_race": race["gd_race"][:4]}
        view_ms(alone), view_ms(race)  # warm: imports, the surface's cached grid
        ones, fives, adds = [], [], []
        for _ in range(REPEATS):
            ones.append(view_ms(alone))
            fives.append(view_ms(race))
            adds.append(view_ms(race, warm=four))
        one, five, add = (statistics.median(t) for t in (ones, fives, adds))
        print(f"{name:<46} {one:8.1f} {five:9.1f} {five / one:6.2f} {add:9.1f} {add / one:6.2f}")


if __name__ == "__main__":
    main()
