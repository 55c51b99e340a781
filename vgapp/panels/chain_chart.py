"""The chain panel's chart: log₁₀|value| against depth or layer for the exact value, each
precision and the guides, with one lane per precision marking where it gave exactly 0 or ±∞."""

from __future__ import annotations

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
    """Runs of x where a precision gives exactly 0 (underflow, or a true zero) or ±∞."""
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
                        "from": float(x[start]) - 0.5,
                        "to": float(x[stop]) + 0.5,
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


def chart(series: Series, guide_labels: dict[str, str], *, title: dict[str, Any]) -> dict[str, Any]:
    """log₁₀|value| against x for the exact value, each precision and the guides; below the
    lowest value, one lane per precision marks where it gave exactly 0 or ±∞."""
    with np.errstate(divide="ignore"):
        logs = {name: np.log10(np.abs(v)) for name, v in series.dtypes.items()}
    plotted = {"exact": series.exact, **logs, **series.guides}
    labels = {"exact": "exact", **{n: n for n in DTYPES}, **guide_labels}
    # One-letter codes in the rows keep the spec small (it is re-sent on every move); the
    # legend and the tooltip spell them out.
    codes = {key: "abcdefg"[i] for i, key in enumerate(plotted)}
    keep = [vl.state_changes(~np.isfinite(v)) for v in plotted.values()]
    index = vl.plot_indices(series.x.size, np.concatenate(keep), max_points=CHAIN_POINTS)
    rows, low, high = [], math.inf, -math.inf
    for key, values in plotted.items():
        picked = values[index]
        finite = np.isfinite(picked)
        if finite.any():
            low, high = min(low, picked[finite].min()), max(high, picked[finite].max())
        rows += vl.rows(x=series.x[index][finite], v=np.round(picked[finite], 2), s=codes[key])
    if not rows:
        low, high = -1.0, 1.0
    span = max(high - low, 1.0)
    lane = span * 0.07
    lanes = {name: low - lane * (1.5 + 1.2 * i) for i, name in enumerate(reversed(DTYPES))}
    x_scale = {"domain": [float(series.x[0]) - 0.5, float(series.x[-1]) + 0.5], "nice": False}
    y_scale = {"domain": [low - lane * (1.5 + 1.2 * len(DTYPES)), high + lane * 0.5], "nice": False}
    shown = [k for k in plotted if any(r["s"] == codes[k] for r in rows)]
    names = [codes[k] for k in shown]
    hidden = hidden_under(plotted, shown)
    legend_names = [
        f"{labels[k]} (under {labels[hidden[k]]})" if k in hidden else labels[k] for k in shown
    ]
    spelled = " : ".join(f"datum.s == {codes[k]!r} ? {labels[k]!r}" for k in shown) + " : datum.s"
    curves = vl.layer(
        rows,
        {"type": "line", "clip": True, "strokeWidth": 2},
        x=vl.field("x", vl.Q, scale=x_scale, title=series.x_title),
        y=vl.field(
            "v",
            vl.Q,
            scale=y_scale,
            title=f"|{series.symbol}|",
            axis=vl.power_axis(values=vl.nice_ticks(low, high)),
        ),
        color=vl.field(
            "s",
            vl.N,
            legend={
                "title": None,
                "orient": "bottom",
                # as many columns as the chart's width holds (one on a narrow screen)
                "columns": {"expr": "width < 260 ? 1 : width < 380 ? 2 : 3"},
                "symbolSize": 60,
                "rowPadding": 2,
                "labelLimit": 100,
                "labelExpr": " : ".join(
                    f"datum.label == {n!r} ? {shown_name!r}"
                    for n, shown_name in zip(names, legend_names, strict=True)
                )
                + " : datum.label",
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
    curves["transform"] = [{"calculate": spelled, "as": "name"}]
    lane_x = float(series.x[0]) + (float(series.x[-1]) - float(series.x[0])) * 0.005
    lane_labels = vl.layer(
        vl.rows(dtype=list(lanes), y=list(lanes.values()), x=[lane_x] * len(lanes)),
        {"type": "text", "align": "left", "baseline": "middle", "color": "#444444", "dx": 2},
        x=vl.field("x", vl.Q),
        y=vl.field("y", vl.Q),
        text=vl.field("dtype", vl.N),
    )
    layers = [curves]
    bands = bands_of(series)
    if bands:
        for band in bands:
            band["y"] = lanes[band["dtype"]] - lane * 0.45
            band["y2"] = lanes[band["dtype"]] + lane * 0.45
        kinds = [k for k in BAND_COLORS if any(b["kind"] == k for b in bands)]
        layers.append(
            vl.layer(
                bands,
                {"type": "rect", "opacity": 0.7},
                x=vl.field("from", vl.Q, scale=x_scale),
                x2={"field": "to"},
                y=vl.field("y", vl.Q),
                y2={"field": "y2"},
                fill=vl.field(
                    "kind",
                    vl.N,
                    scale={"domain": kinds, "range": [BAND_COLORS[k] for k in kinds]},
                    legend={"title": None, "orient": "top", "direction": "horizontal"},
                ),
                tooltip=[
                    vl.field("dtype", vl.N, title="precision"),
                    vl.field("kind", vl.N, title="value"),
                    vl.field("range", vl.N, title="at"),
                ],
            )
        )
    layers.append(lane_labels)  # on top of the bands
    spec = vl.chart(layers, title=title, height=vl.HEADLINE_HEIGHT)
    spec["resolve"] = {"scale": {"color": "independent"}}
    return spec


def hidden_under(plotted: dict[str, np.ndarray], shown: list[str]) -> dict[str, str]:
    """Series whose line lies exactly under an earlier one everywhere both are finite (e.g.
    float64 under the exact value): key -> the key it is hidden under."""
    hidden = {}
    for i, key in enumerate(shown):
        for other in shown[:i]:
            a, b = plotted[key], plotted[other]
            both = np.isfinite(a) & np.isfinite(b)
            same_mask = np.array_equal(np.isfinite(a), np.isfinite(b))
            if same_mask and both.any() and np.allclose(a[both], b[both], atol=2e-3, rtol=0):
                hidden[key] = other
                break
    return hidden
