"""Charts that read at a glance, checked on every chart spec the panels build for every setting
the registry yields (``discovered``) and on the lab's chart builders over their input ranges:

- every colour a mark carries meaning with is ≥ 3:1 against the white background (WCAG 2.2
  non-text contrast, 1.4.11), and text drawn by a mark ≥ 4.5:1 (1.4.3);
- a legend lists only what is drawn: each legend's domain ⊆ the values of its field in the
  chart's data;
- every tooltip gives the point's coordinates: the x and y fields of its layer (a field named
  ``_…`` only places a mark, ``vegalite.PLACE_ONLY``);
- a colour key always has at least two numbers.

Contrast ratios are computed here from the WCAG formula (``pagetools.contrast``), not read
from the palette's comments."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from discovered import STILL_PANELS
from hypothesis import given, settings
from hypothesis import strategies as st
from test_panels import settings_of, unit_views, view

from pagetools.contrast import contrast_ratio
from vgapp import vegalite as vl
from vgapp.lab import charts, saturation_chart
from vgapp.panels.surface import key_values

WHITE = (255, 255, 255)
NOT_A_MARK = {"white", "#ffffff", "#fff", "none", "transparent"}
"""White draws over other marks (arrows on a heatmap, a stop rule), never on the page."""
COLOR_CHANNELS = ("color", "fill", "stroke")
LEGEND_CHANNELS = ("color", "fill", "stroke", "strokeDash", "shape")


def rgb(color: str) -> tuple[int, int, int]:
    hex_ = color.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    return int(hex_[0:2], 16), int(hex_[2:4], 16), int(hex_[4:6], 16)


def mark_colors(spec: dict) -> list[tuple[str, str, str]]:
    """(mark type, where, colour) for every fixed colour of every mark and every colour in a
    nominal scale's range (a quantitative scheme, viridis on a heatmap, is left out: its cells
    stand against each other, not against the page)."""
    found = []
    for unit in unit_views(spec):
        mark = unit["mark"]
        kind = mark["type"]
        for key in ("color", "fill", "stroke"):
            value = mark.get(key)
            if isinstance(value, str) and value.lower() not in NOT_A_MARK:
                found.append((kind, f"mark.{key}", value))
        point = mark.get("point")
        if isinstance(point, dict) and isinstance(point.get("color"), str):
            found.append((kind, "mark.point", point["color"]))
        for channel in COLOR_CHANNELS:
            encoding = unit.get("encoding", {}).get(channel, {})
            if "value" in encoding and isinstance(encoding["value"], str):
                found.append((kind, f"{channel}.value", encoding["value"]))
            scale = encoding.get("scale") or {}
            if isinstance(scale.get("range"), list):
                found += [(kind, f"{channel}.range", c) for c in scale["range"]]
    return [(k, w, c) for k, w, c in found if c.lower() not in NOT_A_MARK]


FADED_BY_DEFAULT = {"point": 0.7, "circle": 0.7, "square": 0.7, "tick": 0.7}
"""Vega-Lite draws these marks at this opacity unless the mark sets its own."""


def opacities(spec: dict) -> dict[str, float]:
    """Each mark type's lowest opacity in the spec (its own, or Vega-Lite's default)."""
    found: dict[str, float] = {}
    for unit in unit_views(spec):
        kind = unit["mark"]["type"]
        opacity = unit["mark"].get("opacity", FADED_BY_DEFAULT.get(kind, 1.0))
        found[kind] = min(found.get(kind, 1.0), opacity)
    return found


def contrast_problems(spec: dict) -> list[str]:
    """Mark colours, drawn at their mark's opacity over white, below 3:1 (text below 4.5:1)."""
    problems = []
    faded = opacities(spec)
    for kind, where, color in mark_colors(spec):
        needed = vl.TEXT_MIN_CONTRAST if kind == "text" else vl.MIN_MARK_CONTRAST
        alpha = faded.get(kind, 1.0)
        drawn = [c * alpha + 255 * (1 - alpha) for c in rgb(color)]
        ratio = contrast_ratio(drawn, WHITE)
        if ratio < needed:
            problems.append(f"{kind} {where} {color}: {ratio:.2f}:1 < {needed}")
    return problems


def legend_problems(spec: dict) -> list[str]:
    """Legend entries (a scale's domain on a channel with a legend) not in the chart's data."""
    values: dict[str, set] = {}
    for unit in unit_views(spec):
        for row in unit["data"]["values"]:
            for key, value in row.items():
                values.setdefault(key, set()).add(value)
    problems = []
    for unit in unit_views(spec):
        for channel in LEGEND_CHANNELS:
            encoding = unit.get("encoding", {}).get(channel, {})
            domain = (encoding.get("scale") or {}).get("domain")
            if encoding.get("legend", {}) is None or not isinstance(domain, list):
                continue
            if encoding.get("type") == vl.Q:
                continue  # a continuous key, checked by its numbers
            missing = [d for d in domain if d not in values.get(encoding["field"], set())]
            if missing:
                problems.append(f"{channel} legend lists {missing}, not drawn")
    return problems


def tooltip_problems(spec: dict) -> list[str]:
    """Layers with a tooltip that leaves out one of their x or y data fields."""
    problems = []
    for unit in unit_views(spec):
        encoding = unit.get("encoding", {})
        tooltip = encoding.get("tooltip")
        if not tooltip:
            continue
        shown = {t.get("field") for t in tooltip}
        for channel in ("x", "y"):
            name = encoding.get(channel, {}).get("field")
            if name and not name.startswith(vl.PLACE_ONLY) and name not in shown:
                problems.append(f"a {unit['mark']['type']} tooltip without its {channel} {name!r}")
    return problems


def check(spec: dict) -> list[str]:
    return contrast_problems(spec) + legend_problems(spec) + tooltip_problems(spec)


@pytest.mark.parametrize("panel", STILL_PANELS)
def test_every_chart_of_every_setting_reads_at_a_glance(panel: str) -> None:
    """Contrast, legends and tooltips of every chart, for the panel's defaults, each lesson of
    its section and both ends of every control."""
    found = {}
    for name, values in settings_of(panel):
        for chart in view(panel, **values).charts:
            problems = check(chart.spec)
            if problems:
                found[f"{chart.name} ({name})"] = problems
    assert found == {}


def test_the_checks_catch_what_they_are_for() -> None:
    """A light mark, a legend of an undrawn series and a tooltip without coordinates are
    each reported."""
    layer = vl.layer(
        vl.rows(x=[1.0], y=[2.0], s=["drawn"]),
        {"type": "line", "color": "#F0E442"},
        x=vl.field("x", vl.Q),
        y=vl.field("y", vl.Q),
        color=vl.field("s", vl.N, scale={"domain": ["drawn", "not drawn"]}),
        tooltip=[vl.field("x", vl.Q)],
    )
    spec = vl.chart([layer], title=vl.title("t"))
    assert contrast_problems(spec) == ["line mark.color #F0E442: 1.32:1 < 3.0"]
    assert legend_problems(spec) == ["color legend lists ['not drawn'], not drawn"]
    assert tooltip_problems(spec) == ["a line tooltip without its y 'y'"]


def test_the_palette_is_distinct_and_every_colour_stands_out_on_white() -> None:
    assert len(set(vl.PALETTE)) == len(vl.PALETTE)
    for color in vl.PALETTE:
        assert contrast_ratio(rgb(color), WHITE) >= vl.MIN_MARK_CONTRAST, color
    assert contrast_ratio(rgb(vl.TEXT_COLOR), WHITE) >= vl.TEXT_MIN_CONTRAST


@settings(max_examples=60, deadline=None)
@given(
    depth=st.integers(2, 2_000),
    activation=st.sampled_from(("sigmoid", "tanh", "relu", "leaky_relu")),
    w=st.floats(-10, 10).map(lambda w: round(w, 1)),
    quantity=st.sampled_from(("first", "weight", "backprop")),
)
def test_the_chain_legend_lists_only_what_is_drawn(depth, activation, w, quantity) -> None:
    """Over the chain's control ranges: legend ⊆ drawn, one lane per precision that has a band
    (named on the y axis), tooltips with coordinates, contrast."""
    result = view("chain", depth=depth, activation=activation, w=w, quantity=quantity)
    spec = result.chart("chain").spec
    assert check(spec) == []
    curves = spec["layer"][0]
    drawn = {row["s"] for row in curves["data"]["values"]}
    assert set(curves["encoding"]["color"]["scale"]["domain"]) == drawn
    banded = {r["dtype"] for u in unit_views(spec) for r in u["data"]["values"] if "kind" in r}
    axis = curves["encoding"]["y"]["axis"]
    named = {name for name in ("float16", "float32", "float64") if f"'{name}'" in axis["labelExpr"]}
    assert named == banded


@settings(max_examples=60, deadline=None)
@given(
    layers=st.integers(2, 21),
    steps=st.integers(2, 400),
    low_exp=st.floats(-300, 5),
    decades=st.floats(0, 60),
    seed=st.integers(0, 2**16),
)
def test_the_lab_heatmap_key_always_has_numbers(layers, steps, low_exp, decades, seed) -> None:
    """Depths 2..20 (and the output layer), any range of norms: the key's labels are at least
    two values inside its domain, and the heatmap passes the glance checks."""
    rng = np.random.default_rng(seed)
    low = 10.0**low_exp
    norms = low * 10.0 ** (rng.random((steps, layers)) * decades)
    domain = charts.positive_range(norms)
    assert domain is not None
    cells = charts.heatmap_data(norms)
    spec = charts.gradient_heatmap(
        cells, layers, title=vl.title("t"), domain=domain, stop_step=steps // 2, budget=steps
    )
    assert check(spec) == []
    legend = spec["layer"][0]["encoding"]["color"]["legend"]
    lo, hi = spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert len(legend["values"]) >= 2
    assert all(lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9) for v in legend["values"])


def test_the_lab_loss_and_saturation_charts_read_at_a_glance() -> None:
    steps = np.arange(200)
    loss = np.exp(-steps / 50.0) + 1e-3
    frame = charts.loss_frame(
        {"your run": (loss * 8, np.ones(200), 8), "remedy: ReLU + He": (loss, np.ones(200), 8)}
    )
    markers = pd.DataFrame(
        {"run": ["your run"], "rule": ["‖Δx‖ ≤ ε"], "step": [8], "loss_mean": [0.5],
         "text": ["stop"]}
    )  # fmt: skip
    spec = charts.loss_chart(
        frame, markers, [(8, 0.5, "stop")], names=["your run", "remedy: ReLU + He"],
        title=vl.title("t"),
    )  # fmt: skip
    assert check(spec) == []
    saturation = saturation_chart.saturation_chart(
        np.linspace(0, 1, 200 * 5).reshape(200, 5), title=vl.title("t"), y_title="share",
        stop_step=8,
    )  # fmt: skip
    assert check(saturation) == []


@pytest.mark.parametrize(
    ("low", "high"), [(0.0, 25.0), (-4.0, 4.0), (-16.0, 16.0), (0.0, 8.0), (-4.4, 4.4)]
)
def test_the_surface_key_labels_are_apart(low: float, high: float) -> None:
    """The surfaces' colour keys: both ends labelled, every label at least KEY_SPACING of the
    key from the next (on the symlog scale the key is drawn with)."""
    values = key_values(low, high)
    assert values[0] == low
    assert values[-1] == high
    at = [np.sign(v) * np.log1p(abs(v)) for v in values]
    span = at[-1] - at[0]
    assert all(b - a >= 0.2 * span for a, b in itertools.pairwise(at))
