"""The saturation chart of the training lab: per hidden layer, the share of saturated
unit-samples against step, on the step axis and with the stop marker the loss and the heatmap
share (``vgapp.lab.charts``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.lab import charts
from vgapp.vegalite import CHART_HEIGHT, VERMILION

MAX_SATURATION_POINTS = 700
SATURATION_EXTENT = 0.55
"""Share of viridis the saturation lines use: its colour there, #1F9E89, is 3.3:1 on white
(its green and yellow fall below 3:1)."""


def saturation_frame(saturation: np.ndarray) -> pd.DataFrame:
    """Every step's share of saturated unit-samples per hidden layer."""
    names = [f"layer {i}" for i in range(1, saturation.shape[1] + 1)]
    frame = pd.DataFrame(saturation, columns=names)
    frame.insert(0, "step", np.arange(saturation.shape[0]))
    return frame


def saturation_chart(
    saturation: np.ndarray,
    *,
    title: dict[str, Any],
    y_title: str,
    stop_step: int | None = None,
    budget: int | None = None,
) -> dict[str, Any]:
    """Share of saturated unit-samples (0 to 1) per hidden layer against step."""
    n_steps, n_hidden = saturation.shape
    steps = charts.sample_steps(n_steps, max(2, MAX_SATURATION_POINTS // max(n_hidden, 1)))
    lines = vl.layer(
        vl.rows(
            step=np.repeat(steps, n_hidden),
            layer=np.tile(np.arange(1, n_hidden + 1), steps.size),
            share=np.round(saturation[steps].reshape(-1), 4),
        ),
        {"type": "line", "strokeWidth": 2},
        x=charts.step_x(budget=budget),
        y=vl.field("share", vl.Q, scale={"domain": [0, 1]}, axis={"format": "%"}, title=y_title),
        color=vl.field(
            "layer",
            vl.ORD,
            scale={"scheme": {"name": "viridis", "extent": [0, SATURATION_EXTENT]}},
            title="hidden layer",
            legend={"orient": "bottom", "columns": 6, "symbolLimit": 24},
        ),
        tooltip=[
            vl.field("step", vl.Q),
            vl.field("layer", vl.ORD, title="hidden layer"),
            vl.field("share", vl.Q, title="saturated", format=".1%"),
        ],
    )
    layers = [lines]
    if stop_step is not None:
        layers.append(charts.stop_rule(stop_step, budget=budget, color=VERMILION, strokeWidth=1.5))
    return vl.chart(layers, title=title, height=CHART_HEIGHT - 130)
