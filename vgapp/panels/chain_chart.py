"""The chain panel's chart: log₁₀|value| against depth or layer for the exact value, each
precision and the guides, with one lane per precision marking where it gave exactly 0 or ±∞."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgcore.precision import DTYPES

CHAIN_POINTS = 200
"""x positions drawn per series (transitions kept; the CSV keeps every one)."""


@dataclass(frozen=True)
class Series:
    """What one chart plots: x positions, the exact log₁₀|value|, each dtype's value and the
    guide lines (log₁₀ values)."""

    x: np.ndarray
    x_title: str
    symbol: str
    exact: np.ndarray
    dtypes: dict[str, np.ndarray]
    guides: dict[str, np.ndarray]


def chain_frame(series: Series) -> pd.DataFrame:
    """The CSV: one row per x, exact log₁₀|value|, each precision's value and the guides."""
    x_name = "depth_L" if series.symbol == "dF/dw₁" else "layer_k"
    frame = pd.DataFrame({x_name: series.x, "log10_abs_exact": series.exact})
    for name, values in series.dtypes.items():
        frame[f"value_in_{name}"] = values
    for name, values in series.guides.items():
        frame[f"log10_{name}_guide"] = values
    return frame


def bands_of(series: Series) -> list[dict[str, Any]]:
    """Runs of x where a precision gives exactly 0 (underflow, or a true zero) or ±∞; ``_from``
    and ``_to`` are the run's edges on the x axis, ``range`` its first and last x."""
    x = series.x
    found = []
    for name, values in series.dtypes.items():
        true_zero = ~np.isfinite(series.exact) & (values == 0)
        kinds = (
            ("exactly 0: underflow", (values == 0) & ~true_zero),
            ("exactly 0: zero weight or dead unit", true_zero),
            ("±∞: overflow", np.isinf(values)),
        )
        for kind, mask in kinds:
            for start, stop in vl.runs(mask):
                found.append(
                    {
                        "dtype": name,
                        "kind": kind,
                        "_from": float(x[start]) - 0.5,
                        "_to": float(x[stop]) + 0.5,
                        "range": f"{x[start]}–{x[stop]}",
                    }
                )
    return found


BAND_COLORS = {
    "exactly 0: underflow": vl.SKY,
    "exactly 0: zero weight or dead unit": vl.YELLOW,
    "±∞: overflow": vl.VERMILION,
}


STYLE = {
    "exact": (vl.BLACK, [1, 0]),
    "float16": (vl.PURPLE, [1, 0]),
    "float32": (vl.ORANGE, [1, 0]),
    "float64": (vl.BLUE, [1, 0]),
    "bound": (vl.VERMILION, [6, 3]),
    "weights": (vl.GREEN, [2, 2]),
    "derivatives": (vl.SKY, [2, 2]),
}
CURVES_HEIGHT = vl.HEADLINE_HEIGHT
"""Pixels of the plot that hold the curves; each precision with a band adds a lane below."""
LEGEND_LINE = 26
"""Longest line of a legend label in characters (12 px): one column fits a 390 px phone."""
LANE_PX = 20
"""Height of one precision's lane in pixels: its name, a 12 px axis label, fits beside it."""


def chart(series: Series, guide_labels: dict[str, str], *, title: dict[str, Any]) -> dict[str, Any]:
    """log₁₀|value| against x for the exact value, each precision and the guides; below the
    curves, one lane per precision that gave exactly 0 or ±∞ somewhere, named on the y axis.
    A series whose line lies under an earlier one wherever it is drawn is not drawn again: the
    legend names both on the one line (the legend lists only what is drawn)."""
    with np.errstate(divide="ignore"):
        logs = {name: np.log10(np.abs(v)) for name, v in series.dtypes.items()}
    plotted = {"exact": series.exact, **logs, **series.guides}
    labels = {"exact": "exact", **{n: n for n in DTYPES}, **guide_labels}
    # One-letter codes in the rows keep the spec small (it is re-sent on every move); the
    # legend and the tooltip spell them out.
    codes = {key: "abcdefg"[i] for i, key in enumerate(plotted)}
    keep = [vl.state_changes(~np.isfinite(v)) for v in plotted.values()]
    index = vl.plot_indices(series.x.size, np.concatenate(keep), max_points=CHAIN_POINTS)
    picked = {key: values[index] for key, values in plotted.items()}
    drawn = [key for key, values in picked.items() if np.isfinite(values).any()]
    under = hidden_under(picked, drawn)
    shown = [key for key in drawn if key not in under]
    rows, low, high = [], math.inf, -math.inf
    for key in shown:
        values = picked[key]
        finite = np.isfinite(values)
        low, high = min(low, values[finite].min()), max(high, values[finite].max())
        rows += vl.rows(x=series.x[index][finite], v=np.round(values[finite], 2), s=codes[key])
    if not rows:
        low, high = -1.0, 1.0
    if high - low < 1.0:  # a flat line: half a decade above and below it
        low, high = low - 0.5, high + 0.5
    names = [codes[k] for k in shown]
    # a name is never broken across lines (no-break spaces inside it)
    together = {
        k: " = ".join(
            merged_label(labels[j], picked[j], picked[k]).replace(" ", "\u00a0")
            for j in [k, *(h for h in drawn if under.get(h) == k)]
        )
        for k in shown
    }

    def spelled(name: str, lines: bool) -> str:
        """A Vega expression writing the series code held in ``name`` out in full: in lines
        of at most ``LEGEND_LINE`` characters (a legend label), or in one (a tooltip)."""
        written = {
            k: vl.text_lines(text, LEGEND_LINE) if lines else json.dumps(text, ensure_ascii=False)
            for k, text in together.items()
        }
        return "".join(f"{name} == {codes[k]!r} ? {w} : " for k, w in written.items()) + name

    bands = bands_of(series)
    laned = [name for name in reversed(DTYPES) if any(b["dtype"] == name for b in bands)]
    lane = (high - low) * LANE_PX / CURVES_HEIGHT
    lanes = {name: float(low - lane * (0.8 + i)) for i, name in enumerate(laned)}
    x_scale = {"domain": [float(series.x[0]) - 0.5, float(series.x[-1]) + 0.5], "nice": False}
    bottom = low - lane * (0.3 + len(laned)) if laned else low
    y_scale = {"domain": [float(bottom), float(high)], "nice": False}
    ticks = vl.nice_ticks(low, high)
    lane_label = "".join(f"datum.value == {at!r} ? {name!r} : " for name, at in lanes.items())
    is_lane = " || ".join(f"datum.value == {at!r}" for at in lanes.values()) or "false"
    y_axis = vl.power_axis(values=ticks + list(lanes.values()))
    y_axis["labelExpr"] = lane_label + y_axis["labelExpr"]
    y_axis["labelOverlap"] = False  # the ticks are ≥ 30 px apart, the lanes LANE_PX
    y_axis["tickCount"] = len(y_axis["values"])  # Vega halves a longer list of values
    y_axis["gridOpacity"] = {"condition": {"test": is_lane, "value": 0}, "value": 1}
    curves = vl.layer(
        rows,
        {"type": "line", "clip": True, "strokeWidth": 2},
        x=vl.field("x", vl.Q, scale=x_scale, title=series.x_title),
        y=vl.field("v", vl.Q, scale=y_scale, title=f"|{series.symbol}|", axis=y_axis),
        color=vl.field(
            "s",
            vl.N,
            legend={
                "title": None,
                "orient": "bottom",
                # one column at every width: a column count chosen from the width is laid out
                # by Vega where the old legend was when the chart is resized (a folded
                # sidebar), and its last rows fall outside the chart (seen in Chromium)
                "columns": 1,
                "symbolType": "stroke",
                "symbolStrokeWidth": 2.5,
                "rowPadding": 2,
                "labelLimit": 0,
                "labelExpr": spelled("datum.label", lines=True),
            },
            scale={"domain": names, "range": [STYLE[k][0] for k in shown]},
        ),
        strokeDash=vl.field(
            "s",
            vl.N,
            legend=None,
            scale={"domain": names, "range": [STYLE[k][1] for k in shown]},
        ),
        tooltip=[
            vl.field("name", vl.N, title="series"),
            vl.field("x", vl.Q, title=series.x_title),
            vl.field("v", vl.Q, title=f"log₁₀|{series.symbol}|", format=".2f"),
        ],
    )
    curves["transform"] = [{"calculate": spelled("datum.s", lines=False), "as": "name"}]
    layers = [curves]
    if bands:
        for band in bands:
            band["_y"] = lanes[band["dtype"]] - lane * 0.4
            band["_y2"] = lanes[band["dtype"]] + lane * 0.4
        kinds = [k for k in BAND_COLORS if any(b["kind"] == k for b in bands)]
        layers.append(
            vl.layer(
                bands,
                {"type": "rect"},
                x=vl.field("_from", vl.Q, scale=x_scale),
                x2={"field": "_to"},
                y=vl.field("_y", vl.Q),
                y2={"field": "_y2"},
                fill=vl.field(
                    "kind",
                    vl.N,
                    scale={"domain": kinds, "range": [BAND_COLORS[k] for k in kinds]},
                    legend={"title": None, "orient": "top", "direction": "horizontal",
                            "labelLimit": 0, "columns": 1},
                ),
                tooltip=[
                    vl.field("dtype", vl.N, title="precision"),
                    vl.field("kind", vl.N, title="value"),
                    vl.field("range", vl.N, title=series.x_title),
                ],
            )
        )  # fmt: skip
    spec = vl.chart(layers, title=title, height=CURVES_HEIGHT + LANE_PX * len(laned))
    spec["resolve"] = {"scale": {"color": "independent"}}
    return spec


def merged_label(label: str, values: np.ndarray, host: np.ndarray) -> str:
    """A legend name for a series drawn under ``host``: as it is where it is drawn wherever the
    host is, else with where it stops ("float32 (until 0)": equal to the exact value until it
    underflows to 0; "(until ∞)": until it overflows), so that "exact = float32" is never read
    as equal at every depth."""
    stops = ~np.isfinite(values) & np.isfinite(host)
    if not stops.any():
        return label
    ends = {"0" if v == -np.inf else "∞" for v in values[stops]}
    return f"{label} (until {' or '.join(sorted(ends))})"


def hidden_under(plotted: dict[str, np.ndarray], shown: list[str]) -> dict[str, str]:
    """Series whose line lies exactly under an earlier one wherever it is drawn (finite), e.g.
    float64 under the exact value: key -> the first drawn key it is hidden under."""
    hidden: dict[str, str] = {}
    for i, key in enumerate(shown):
        a = plotted[key]
        drawn = np.isfinite(a)
        for other in shown[:i]:
            if other in hidden:
                continue
            b = plotted[other]
            covered = np.all(np.isfinite(b[drawn]))
            if covered and np.allclose(a[drawn], b[drawn], atol=2e-3, rtol=0):
                hidden[key] = other
                break
    return hidden
