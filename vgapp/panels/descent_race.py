"""Several starts racing on the descent panel's contour chart (issue 25, item 2).

Up to five more starts (``gd_race``), each run by the same gradient descent as the panel's own
start and drawn in its own Okabe–Ito colour and end-marker shape, with a table of where each
ended, which rule stopped it, the kind of its end point (``descent.classify_end``: named only
when ‖∇F‖ ≤ 10⁻¹⁰, by the exact stationary set reached) and what the second-order test says
there: the test is applied at that exact set (``vgcore.curvature.describe_point``), never at the
float iterate that is merely close to it, and a run that is not stationary gets no test.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Block, Chart, Columns, Fold, Metrics, PanelView, Table, Text
from vgapp.controls import Number, Point, Starts
from vgapp.formatting import count
from vgapp.panels import descent
from vgapp.panels.surface import axis_names
from vgapp.words import RULE_TEXT
from vgcore.curvature import describe_point, example_objective, nearest_stationary
from vgcore.descent import DescentResult, gradient_descent
from vgcore.stopping import StoppingRules

_X0 = next(c for c in descent.CONTROLS if c.key == "gd_x0")
assert isinstance(_X0, Number)
RACE = Starts(
    "gd_race",
    "Race: more starts",
    "Adds the start in the sliders to the race: up to 5 starts, each drawn in its own colour "
    "and shape with where it ends (the table under the chart says how).",
    source=("gd_x0", "gd_y0"),
    low=_X0.low,
    high=_X0.high,
    step=_X0.step,
)
RACE_COLORS = (vl.BLACK, vl.BLUE, vl.ORANGE, vl.PURPLE, vl.GREEN)
"""One Okabe–Ito colour per race start; vermilion stays the sliders' own start."""
RACE_SHAPES = ("circle", "square", "triangle-up", "cross", "diamond")
SHAPE_NAMES = ("circle", "square", "triangle", "cross", "diamond")
COLOR_NAMES = ("black", "blue", "orange", "purple", "green")
TEST_POINT: dict[str, Point] = {"valley": (1.0, 1.0), "line": (0.0, 0.0), "origin": (0.0, 0.0)}
"""Where the second-order test is applied for a stationary set that is not one point: any of
its points gives the same verdict (ab = 1: the Hessian [[2b², 2], [2, 2a²]] is singular and
semidefinite at each; x = 0 of x³: the Hessian is 0)."""
TEST_TEXT = {
    "minimum": "minimum",
    "maximum": "maximum",
    "saddle": "saddle",
    "inconclusive": "inconclusive (a zero eigenvalue)",
    "not stationary": "not stationary",
}
OUTCOME = {
    "minimum": ("ends at a minimum", "end at a minimum"),
    "maximum": ("ends at a maximum", "end at a maximum"),
    "saddle": ("ends at a saddle", "end at a saddle"),
    "inflection": ("ends at an inflection point", "end at an inflection point"),
    "diverged": ("diverges", "diverge"),
    "oscillates": ("oscillates", "oscillate"),
    "stuck": ("gets stuck", "get stuck"),
    "not yet stationary": ("is not yet stationary", "are not yet stationary"),
}
"""What a run did, by its ending's verdict, after "1" and after "2" (the table's title)."""
TEST_NOTE = (
    "Second-order test: the signs of the Hessian's eigenvalues at the stationary point a run "
    "reached (only when it stopped with ‖∇F‖ ≤ 10⁻¹⁰): both positive, a minimum; both "
    "negative, a maximum; mixed, a saddle; a zero one, inconclusive. Vermilion: the start in "
    "the sliders, whose figures are above."
)


@dataclass(frozen=True)
class RaceRun:
    """One race start's run and how it ended."""

    start: Point
    result: DescentResult
    ending: descent.Ending
    test: str
    """The second-order test's verdict at the stationary set reached, or "not stationary"."""


def second_order_test(surface: str, ending: descent.Ending, end: Point) -> str:
    """The test at the exact stationary set a run reached; "not stationary" unless the run's
    ending names one (‖∇F‖ ≤ 10⁻¹⁰)."""
    if ending.verdict not in descent.KIND_TEXT:
        return "not stationary"
    reached = nearest_stationary(surface, *end)
    point = reached.point or TEST_POINT[reached.place]
    return describe_point(surface, *point).classification


RUN_MEMO = 32
"""Race runs kept per process (about 0.3 MB each at 5,000 steps): adding a start to a race
computes that start's run alone, not the others' again."""


@lru_cache(maxsize=RUN_MEMO)
def race_run(surface: str, start: Point, rule: str, eta: float, iters: int) -> RaceRun:
    """The panel's descent (same rule, step, iteration cap and ‖∇F‖ ≤ 10⁻¹⁰) from ``start``
    (memoised: a run is read-only once made)."""
    result = gradient_descent(
        example_objective(surface),
        np.array(start, dtype=np.float64),
        step=rule,
        eta=eta,
        rules=StoppingRules(gatol=descent.DESCENT_GATOL, max_iter=iters),
        record_path=True,
    )
    ending = descent.classify_end(surface, result, rule, eta)
    end = (float(result.x[0]), float(result.x[1]))
    return RaceRun(start, result, ending, second_order_test(surface, ending, end))


def pair(point: Point | np.ndarray) -> str:
    return f"({descent.point_text(float(point[0]))}, {descent.point_text(float(point[1]))})"


def label(index: int, start: Point) -> str:
    """A race start's name in the legend and the table: its number and where it starts."""
    return f"{index + 1}: {pair(start)}"


def stop_text(result: DescentResult) -> str:
    """The rule that stopped a run, as the panel's metric writes it, and after how many steps."""
    rule = "‖∇F‖ ≤ 10⁻¹⁰" if result.stopped_by == "gatol" else RULE_TEXT[result.stopped_by].symbol
    return f"{rule} after {count(result.n_steps, 'step')}"


def summary(runs: list[RaceRun]) -> str:
    """The race's finding: how many starts ended each way, in the order first seen."""
    counts = Counter(run.ending.verdict for run in runs)
    parts = [f"{n} {OUTCOME[key][0 if n == 1 else 1]}" for key, n in counts.items()]
    return f"Race of {count(len(runs), 'start')}: " + ", ".join(parts)


def race_table(runs: list[RaceRun]) -> Table:
    rows = [
        {
            "start": f"{label(i, run.start)} ({COLOR_NAMES[i]} {SHAPE_NAMES[i]})",
            "ends at": pair(run.result.x),
            "stopped by": stop_text(run.result),
            "end point": descent_verdict(run.ending),
            "second-order test": TEST_TEXT[run.test],
        }
        for i, run in enumerate(runs)
    ]
    return Table(pd.DataFrame(rows), summary(runs))


def descent_verdict(ending: descent.Ending) -> str:
    """The end point as the panel's metric names it."""
    cycle = ending.cycle
    return f"oscillates, period {cycle.period}" if cycle is not None else ending.verdict


def race_layers(surface: str, runs: list[RaceRun], scale: dict[str, Any]) -> list[dict[str, Any]]:
    """Each race path (a white casing under a line in the start's colour), its start (a small
    open circle) and its end (a filled shape of its own, with the facts in its tooltip)."""
    x_name, y_name = axis_names(surface)
    names = [label(i, run.start) for i, run in enumerate(runs)]
    colors = {"domain": names, "range": list(RACE_COLORS[: len(runs)])}
    shapes = {"domain": names, "range": list(RACE_SHAPES[: len(runs)])}
    path_rows: list[dict[str, Any]] = []
    end_rows: list[dict[str, Any]] = []
    for name, run in zip(names, runs, strict=True):
        path = run.result.path if run.result.path is not None else np.empty((0, 2))
        keep = vl.plot_indices(len(path), max_points=150)
        path_rows += vl.rows(
            start=name, k=keep, x=vl.rounded(path[keep, 0], 4), y=vl.rounded(path[keep, 1], 4)
        )
        end_rows += vl.rows(
            start=name,
            x=vl.rounded(path[-1:, 0], 4),
            y=vl.rounded(path[-1:, 1], 4),
            stopped=stop_text(run.result),
            verdict=descent_verdict(run.ending),
            test=TEST_TEXT[run.test],
        )
    x = vl.field("x", vl.Q, scale=scale["x"])
    y = vl.field("y", vl.Q, scale=scale["y"])
    where = [
        vl.field("x", vl.Q, title=x_name, format=".4g"),
        vl.field("y", vl.Q, title=y_name, format=".4g"),
    ]
    legend = {
        "orient": "bottom",
        "columns": 1,
        "title": "race starts",
        "labelLimit": 240,
        "symbolOpacity": 1,
    }
    line = {"type": "line", "clip": True, "strokeCap": "round", "strokeJoin": "round"}
    casing = vl.layer(
        path_rows, {**line, "color": "white", "strokeWidth": 6.5},
        x=x, y=y, detail=vl.field("start", vl.N), order=vl.field("k", vl.Q),
    )  # fmt: skip
    paths = vl.layer(
        path_rows, {**line, "strokeWidth": 4.5},
        x=x, y=y, order=vl.field("k", vl.Q),
        stroke=vl.field("start", vl.N, scale=colors, legend=legend),
        tooltip=[vl.field("start", vl.N, title="race start"),
                 vl.field("k", vl.Q, title="step"), *where],
    )  # fmt: skip
    first = [row for row in path_rows if row["k"] == 0]
    starts = vl.layer(
        first, {"type": "point", "filled": True, "fill": "white", "size": 60, "strokeWidth": 2,
                "opacity": 1, "clip": True},
        x=x, y=y, stroke=vl.field("start", vl.N, scale=colors, legend=legend),
        tooltip=[vl.field("start", vl.N, title="race start"), *where],
    )  # fmt: skip
    ends = vl.layer(
        end_rows, {"type": "point", "filled": True, "size": 150, "opacity": 1, "stroke": "white",
                   "strokeWidth": 1, "clip": True},
        x=x, y=y,
        fill=vl.field("start", vl.N, scale=colors, legend=legend),
        shape=vl.field("start", vl.N, scale=shapes, legend=legend),
        tooltip=[vl.field("start", vl.N, title="race start"), *where,
                 vl.field("stopped", vl.N, title="stopped by"),
                 vl.field("verdict", vl.N, title="end point"),
                 vl.field("test", vl.N, title="second-order test")],
    )  # fmt: skip
    return [casing, paths, starts, ends]


def with_race(spec: dict[str, Any], surface: str, runs: list[RaceRun]) -> dict[str, Any]:
    """The contour chart with the race drawn over the contours and arrows, under the sliders'
    own path (drawn last, so it stays on top)."""
    layers = list(spec["layer"])
    heat = layers[0]  # the heat map, whose scales every layer shares
    arrows = next(i for i, layer in enumerate(layers) if layer["mark"].get("shape") == "arrow")
    scale = {"x": heat["encoding"]["x"]["scale"], "y": heat["encoding"]["y"]["scale"]}
    layers[arrows + 1 : arrows + 1] = race_layers(surface, runs, scale)
    return {**spec, "layer": layers}


def race_frame(path_frame: pd.DataFrame, runs: list[RaceRun]) -> pd.DataFrame:
    """The chart's data: the sliders' path, then each race start's (column ``start``)."""
    frames = [path_frame.assign(start="sliders")]
    for i, run in enumerate(runs):
        path = run.result.path if run.result.path is not None else np.empty((0, 2))
        frames.append(
            pd.DataFrame(
                {"k": np.arange(len(path)), "x": path[:, 0], "y": path[:, 1],
                 "F": run.result.loss[: len(path)], "start": label(i, run.start)}
            )
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _swap_chart(blocks: tuple[Block, ...], chart: Chart) -> tuple[Block, ...]:
    """``blocks`` with the chart of the same name replaced (in columns and folds too)."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Chart) and block.name == chart.name:
            out.append(chart)
        elif isinstance(block, Columns):
            out.append(replace(block, columns=tuple(_swap_chart(c, chart) for c in block.columns)))
        elif isinstance(block, Fold):
            out.append(replace(block, blocks=_swap_chart(block.blocks, chart)))
        else:
            out.append(block)
    return tuple(out)


def view(
    *,
    gd_surface: str,
    gd_x0: float,
    gd_y0: float,
    gd_rule: str,
    gd_eta: float,
    gd_iters: int,
    gd_race: tuple[Point, ...],
) -> PanelView:
    """The descent panel (``descent.view``) with the race's starts drawn on its contour chart
    and listed in a table under the metrics."""
    base = descent.view(
        gd_surface=gd_surface, gd_x0=gd_x0, gd_y0=gd_y0, gd_rule=gd_rule, gd_eta=gd_eta,
        gd_iters=gd_iters,
    )  # fmt: skip
    if not gd_race:
        return base
    runs = [race_run(gd_surface, start, gd_rule, gd_eta, gd_iters) for start in gd_race]
    old = base.chart("descent_path")
    alt = (
        f"{old.alt} Also drawn: the race's {count(len(runs), 'start')}, each in its own colour "
        "and shape, listed under the chart."
    )
    chart = Chart(old.name, with_race(old.spec, gd_surface, runs), alt, race_frame(old.frame, runs))
    blocks: list[Block] = []
    for block in _swap_chart(base.blocks, chart):
        blocks.append(block)
        if isinstance(block, Metrics):
            blocks += [race_table(runs), Text(TEST_NOTE, "caption")]
    return PanelView(tuple(blocks), facts={**base.facts, "race": runs}, heading=base.heading)


PANEL = replace(descent.PANEL, view=view, extras=(RACE,))
"""The descent panel of ``descent.py`` with its race (the page registers this one)."""
