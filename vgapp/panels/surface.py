"""The built-in functions of two parameters and their square contour chart, shared by the
Hessian panel and the descent panel (each has its own function control)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.controls import Choice
from vgapp.words import SURFACE_LABELS
from vgcore.curvature import gradient_field, grid_values

AXIS_NAMES = {"two_weight_net": ("a", "b")}
SURFACE_SIZE = 250
"""Plot side in CSS pixels: the two axes share their units, so the plot is square."""
GRID = 25
"""Cells per side of the contour grid (a 10 px cell on the 250 px plot)."""


def surface_control(key: str, help_text: str) -> Choice:
    return Choice(
        key, "Function", "two_weight_net", tuple(SURFACE_LABELS), help_text, labels=SURFACE_LABELS
    )


def axis_names(surface: str) -> tuple[str, str]:
    return AXIS_NAMES.get(surface, ("x", "y"))


@cache
def surface_layers(surface: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The function on a ``GRID`` × ``GRID`` grid and the field of descent directions on
    13 × 13 (each function's data never changes: computed once per process, read-only)."""
    xs, ys, values = grid_values(surface, GRID)
    grid_x, grid_y = np.meshgrid(xs, ys)
    cells = pd.DataFrame({"x": grid_x.ravel(), "y": grid_y.ravel(), "F": values.ravel()})
    fx, fy, u, v = gradient_field(surface, 13)
    norm = np.hypot(u, v)
    keep = norm > 1e-12 * max(float(norm.max()), 1e-300)
    # Screen angle of (−u, −v), clockwise from "up", for Vega's rotated arrow symbol.
    angle = np.degrees(np.arctan2(-u, -v))
    field = pd.DataFrame(
        {"x": fx[keep], "y": fy[keep], "angle": angle[keep], "gradient_norm": norm[keep]}
    )
    return cells, field


def surface_chart(
    surface: str,
    formula: str,
    *,
    title: dict[str, Any],
    point: tuple[float, float] | None = None,
    path: np.ndarray | None = None,
) -> dict[str, Any]:
    """Filled contours of F with arrows of −∇F, and a point (◆) or a descent path."""
    cells, field = surface_layers(surface)
    x_name, y_name = axis_names(surface)
    xs, ys = np.unique(cells["x"]), np.unique(cells["y"])
    half_x, half_y = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
    x_scale = {"domain": [float(xs[0] - half_x), float(xs[-1] + half_x)], "nice": False}
    y_scale = {"domain": [float(ys[0] - half_y), float(ys[-1] + half_y)], "nice": False}
    x = vl.field("_x0", vl.Q, scale=x_scale, title=x_name, axis={"grid": False})
    y = vl.field("_y0", vl.Q, scale=y_scale, title=y_name, axis={"grid": False})
    where = [
        vl.field("x", vl.Q, title=x_name, format=".3g"),
        vl.field("y", vl.Q, title=y_name, format=".3g"),
    ]
    values = cells["F"].to_numpy()
    low, high = float(values.min()), float(values.max())
    heat = vl.layer(
        vl.rows(
            x=np.round(cells["x"].to_numpy(), 6),
            y=np.round(cells["y"].to_numpy(), 6),
            F=vl.rounded(values, 3),
        ),
        {"type": "rect", "strokeWidth": 0},
        x=x,
        x2={"field": "_x1"},
        y=y,
        y2={"field": "_y1"},
        color=vl.field(
            "F",
            vl.Q,
            # symlog: linear near 0, logarithmic beyond ±1, so that the valley and the saddle
            # stand out, not only the corners
            scale={"type": "symlog", "scheme": "viridis", "domain": [low, high], "nice": False},
            title=formula,
            legend={
                "orient": "bottom",
                "direction": "horizontal",
                "gradientLength": 180,
                "values": key_values(low, high),
                "format": ".3~g",
                "labelOverlap": True,
            },
        ),
        tooltip=[*where, vl.field("F", vl.Q, title="F", format=".3g")],
    )
    # cell edges computed in the browser: a third of the JSON sent on every move
    heat["transform"] = [
        {"calculate": f"datum.x - {float(half_x)!r}", "as": "_x0"},
        {"calculate": f"datum.x + {float(half_x)!r}", "as": "_x1"},
        {"calculate": f"datum.y - {float(half_y)!r}", "as": "_y0"},
        {"calculate": f"datum.y + {float(half_y)!r}", "as": "_y1"},
    ]
    # white arrows outlined in the text colour: one of the two stands out on every cell, from
    # viridis's dark purple to its yellow
    arrows = vl.layer(
        vl.records(field.round(4)),
        {"type": "point", "shape": "arrow", "filled": True, "size": 110, "color": "white",
         "stroke": vl.TEXT_COLOR, "strokeWidth": 1, "opacity": 1},
        x=vl.field("x", vl.Q, scale=x_scale),
        y=vl.field("y", vl.Q, scale=y_scale),
        angle={"field": "angle", "type": "quantitative", "scale": None},
        tooltip=[*where, vl.field("gradient_norm", vl.Q, title="‖∇F‖", format=".3g")],
    )  # fmt: skip
    layers = [heat, arrows]
    if path is not None and len(path):
        keep = vl.plot_indices(len(path), max_points=150)
        layers.append(
            vl.layer(
                vl.rows(x=vl.rounded(path[keep, 0], 4), y=vl.rounded(path[keep, 1], 4), k=keep),
                {"type": "line", "color": vl.VERMILION, "clip": True, "strokeWidth": 2.5,
                 "point": {"size": 24, "color": vl.VERMILION, "stroke": "white",
                           "strokeWidth": 0.5}},
                x=vl.field("x", vl.Q, scale=x_scale),
                y=vl.field("y", vl.Q, scale=y_scale),
                order=vl.field("k", vl.Q),
                tooltip=[
                    vl.field("k", vl.Q, title="step"),
                    vl.field("x", vl.Q, title=x_name, format=".4g"),
                    vl.field("y", vl.Q, title=y_name, format=".4g"),
                ],
            )
        )  # fmt: skip
    if point is not None:
        layers.append(
            vl.layer(
                vl.rows(x=[point[0]], y=[point[1]]),
                {"type": "point", "shape": "diamond", "size": 200, "filled": True, "opacity": 1,
                 "color": vl.VERMILION, "stroke": "white"},
                x=vl.field("x", vl.Q, scale=x_scale),
                y=vl.field("y", vl.Q, scale=y_scale),
                tooltip=[
                    vl.field("x", vl.Q, title=x_name, format=".3g"),
                    vl.field("y", vl.Q, title=y_name, format=".3g"),
                ],
            )
        )  # fmt: skip
    return vl.chart(layers, title=title, height=SURFACE_SIZE, square=True)


KEY_VALUES = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
KEY_SPACING = 0.22
"""Labels of the colour key are at least this share of the key apart (on its symlog scale):
numbers that never run together."""


def key_values(low: float, high: float) -> list[float]:
    """The colour key's labelled values: its two ends, then 0 and round numbers (±1, 2, 5 ×
    10ᵏ) between them, each far enough from those already chosen."""

    def at(value: float) -> float:
        return float(np.sign(value) * np.log1p(abs(value)))  # Vega's symlog, constant 1

    span = max(at(high) - at(low), 1e-12)
    chosen = [low, high]
    candidates = [v for m in KEY_VALUES for v in (m, -m) if low < v < high]
    for value in candidates:
        if all(abs(at(value) - at(c)) >= KEY_SPACING * span for c in chosen):
            chosen.append(value)
    return sorted({float(v) for v in chosen})
