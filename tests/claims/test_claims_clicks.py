"""Claims of the clickable surfaces (the Hessian's point, the descent's start): the hint under
each chart's title names exactly the controls a click sets, the tooltip says the same, and a
click anywhere on the plot sets the nearest point of the sliders' grid, never outside it.

The oracle for a click evaluates the chart's own click layer (its Vega expressions, read from
the spec by a small evaluator written here) to find the cell under a data position, and checks
the value the control then holds against the nearest multiple of the step in exact rationals
(``fractions.Fraction``). Nothing here calls the view's helpers for an expected value."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from functools import cache
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims.edges import control_values
from vgapp.page import PANELS

CHARTS = {"curvature": "hessian_surface", "descent": "descent_path"}
"""The clickable chart of each panel."""
NOUNS = {"curvature": "point", "descent": "start"}
"""What the hint says a click moves: the controls whose labels start with this noun."""
EDGE = Fraction(1, 10**12)
"""How far past a tie between two grid points a float cell edge may reach (a pixel of the
250 px plot is 1.7 · 10⁻² of the axis)."""
HINT = re.compile(r"Click the surface to move the (\w+)")


def js_round(value: float) -> float:
    return math.floor(value + 0.5)  # JavaScript's Math.round: halves go up


def python_expression(expression: str) -> str:
    """A Vega expression of the click layer as Python (datum fields, floor, round, ?:)."""
    text = re.sub(r"datum\.(\w+)", r"d['\1']", expression)
    ternary = re.fullmatch(r"(.+?) \? (.+) : (.+)", text)
    if ternary:
        text = f"(({ternary[2]}) if ({ternary[1]}) else ({ternary[3]}))"
    return text


@cache
def cells(layer_json: str) -> list[dict[str, Any]]:
    """The click layer's rows, generated as the browser does: its sequence, then each
    calculate transform in order."""
    layer = json.loads(layer_json)
    sequence = layer["data"]["sequence"]
    steps = [(python_expression(t["calculate"]), t["as"]) for t in layer["transform"]]
    names = {"floor": math.floor, "round": js_round}
    rows = []
    for i in range(sequence["start"], sequence["stop"]):
        d: dict[str, Any] = {sequence["as"]: i}
        for code, name in steps:
            if code.startswith('"'):
                d[name] = json.loads(code)
            else:
                d[name] = eval(code, names, {"d": d})  # the spec's own arithmetic
        rows.append(d)
    return rows


def click_layer(spec: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The layer with a selection parameter, and its place in the layer list."""
    chosen = [(i, layer) for i, layer in enumerate(spec["layer"]) if layer.get("params")]
    assert len(chosen) == 1, "one clickable layer"
    return chosen[0]


def nearest_on_grid(value: float, low: float, high: float, step: float) -> set[Fraction]:
    """The grid points nearest to ``value`` (two at a tie), clamped to [low, high]."""
    low_q, step_q, high_q = Fraction(low), Fraction(str(step)), Fraction(high)
    v = min(max(Fraction(value), low_q), high_q)
    k = (v - low_q) / step_q
    below, above = low_q + math.floor(k) * step_q, low_q + math.ceil(k) * step_q
    gap_below, gap_above = v - below, above - v
    if gap_below < gap_above:
        return {below}
    if gap_above < gap_below:
        return {above}
    return {below, above}


def panel_values(panel: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({c.key: control_values(c) for c in PANELS[panel].controls})


def plot_position(domain: tuple[float, float]) -> st.SearchStrategy[float]:
    """A data position on the plot: anywhere, or at a cell's edge or a grid point (± a hair)."""
    low, high = domain
    edges = [round(-2 + 0.05 * k, 6) + d for k in range(81) for d in (0.0, 0.025, -0.025)]
    hair = st.sampled_from([0.0, 1e-9, -1e-9])
    return st.one_of(
        st.floats(low, high),
        st.sampled_from([low, high, *[e for e in edges if low <= e <= high]]),
        st.tuples(st.sampled_from(edges), hair).map(sum).filter(lambda v: low <= v <= high),
    )


def check_click(panel: str, values: dict[str, Any], u: float, v: float) -> None:
    """The hint, the tooltip and the value a click at data position (u, v) sets."""
    view = PANELS[panel].view(**{**PANELS[panel].defaults(), **values})
    chart = view.chart(CHARTS[panel])
    assert chart.click is not None
    spec = chart.spec
    # the hint under the title names exactly the controls a click sets
    hint = HINT.search(spec["description"])
    assert hint, spec["description"]
    assert hint[1] == NOUNS[panel], spec["description"]
    named = {c.key for c in PANELS[panel].controls if c.label.lower().startswith(hint[1] + ":")}
    assert set(chart.click.controls) == named
    index, layer = click_layer(spec)
    select = layer["params"][0]
    assert select["name"] == chart.click.param
    assert set(select["select"]["fields"]) == set(chart.click.fields)
    # only this layer's clicks select, and every other mark but the heat map is drawn on top
    assert select["select"]["on"]["markname"] == f"{layer['name']}_marks"
    assert index == 1
    assert spec["layer"][0]["mark"]["type"] == "rect"
    assert layer["mark"]["cursor"] == "pointer"
    rows = cells(json.dumps(layer, sort_keys=True))
    action = rows[0]["click"]
    assert NOUNS[panel] in action  # the tooltip says what a click moves, and from where
    now = re.search(r"from \((\S+), (\S+)\)$", action)
    assert now, action
    shown = [float(t.replace("−", "-")) for t in now.groups()]
    here = [values.get(key, PANELS[panel].defaults()[key]) for key in chart.click.controls]
    assert shown == [float(f"{v:.3g}") for v in here], (action, here)
    # the click at (u, v): the cell under it, its fields set the controls
    under = [r for r in rows if r["_x0"] <= u <= r["_x1"] and r["_y0"] <= v <= r["_y1"]]
    assert under, (u, v)
    controls = {c.key: c for c in PANELS[panel].controls}
    for row in under:  # on a shared edge, either cell is a nearest point
        for name, key in chart.click.sets:
            control = controls[key]
            # the first coordinate is the plot's x, the second its y (the controls' labels)
            position = u if control.label.endswith("first coordinate") else v
            set_to = control.canonical(row[name])
            assert control.low <= set_to <= control.high
            expected = nearest_on_grid(position, control.low, control.high, control.step)
            # a cell's float edges may let a position within EDGE of a tie go either way
            off = abs(Fraction(position) - Fraction(str(set_to))) - Fraction(str(control.step)) / 2
            assert Fraction(str(set_to)) in expected or off <= EDGE, (position, set_to, expected)


DOMAIN = (-2.0833333333333335, 2.0833333333333335)


@settings(max_examples=120, deadline=None)
@given(panel_values("curvature"), plot_position(DOMAIN), plot_position(DOMAIN))
@example({"surface": "two_weight_net", "pt_x": 0.0, "pt_y": 0.0}, DOMAIN[0], DOMAIN[1])
@example({"surface": "two_weight_net", "pt_x": 2.0, "pt_y": -2.0}, 1.975, -2.025)
def test_a_click_on_the_hessian_surface_sets_the_nearest_point(values, u, v) -> None:
    """Clicking datum (u, v) sets (pt_x, pt_y) to the grid point nearest to it, in range."""
    check_click("curvature", values, u, v)


@settings(max_examples=60, deadline=None)
@given(panel_values("descent"), plot_position(DOMAIN), plot_position(DOMAIN))
@example({"gd_surface": "two_weight_net", "gd_x0": 0.6, "gd_y0": -0.6, "gd_rule": "constant",
          "gd_eta": 0.035, "gd_iters": 500}, 0.6124, -0.6376)  # fmt: skip
def test_a_click_on_the_descent_contours_sets_the_nearest_start(values, u, v) -> None:
    """Clicking datum (u, v) sets (gd_x0, gd_y0) to the grid point nearest to it, in range."""
    check_click("descent", values, u, v)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["pt_x", "gd_y0"]), st.floats(-1e6, 1e6, allow_nan=False))
def test_a_clicked_value_snaps_to_the_slider_grid_and_range(key, value) -> None:
    """Any clicked number becomes the nearest grid point of the control, clamped to its range
    (the selection's value goes through the control's own canonicalisation)."""
    control = next(c for p in PANELS.values() for c in p.controls if c.key == key)
    set_to = control.canonical(value)
    assert set_to in {float(q) for q in nearest_on_grid(value, control.low, control.high, 0.05)}
