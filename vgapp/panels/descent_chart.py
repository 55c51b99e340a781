"""The descent panel's gradient-norm chart: ‖∇F(p_k)‖, its running minimum and the rate bound
of MATH.md C against the step k, exact zeros marked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl

NORM_POINTS = 150
"""Iterations drawn per series (the CSV keeps every one): the chart is re-sent on every move."""


def norm_chart(
    frame: pd.DataFrame, bound_label: str | None, title: dict[str, Any]
) -> dict[str, Any]:
    """‖∇F(p_k)‖ and its running minimum against k on a log scale, with MATH.md C's bound
    (column ``rate_bound``) where the theorem applies; exact zeros get ticks, never a log."""
    columns = {"gradient_norm": "‖∇F(p_k)‖", "best_gradient_norm_so_far": "min over i ≤ k"}
    if bound_label is not None:
        columns["rate_bound"] = bound_label
    names = list(columns.values())
    index = vl.plot_indices(len(frame), max_points=NORM_POINTS)
    k = frame["k"].to_numpy()[index]
    rows, zeros = [], []
    for column, name in columns.items():
        values = frame[column].to_numpy()[index]
        positive = (values > 0) & np.isfinite(values)
        rows += vl.rows(k=k[positive], norm=vl.rounded(values[positive], 4), series=name)
        zeros += vl.rows(k=k[values == 0], text="exactly 0")
    dashes = [[1, 0], [4, 2], [6, 3]][: len(names)]
    legend = {
        "orient": "bottom",
        "columns": 1,  # fixed: see chain_chart (a width-chosen count breaks on a resize)
        "labelLimit": 160,
        "title": None,
    }
    layers = [
        vl.layer(
            rows,
            {"type": "line", "strokeWidth": 2},
            x=vl.field("k", vl.Q, title="iteration k"),
            y=vl.field(
                "norm", vl.Q, scale={"type": "log"}, title="gradient norm ‖∇F‖", axis=vl.log_axis()
            ),
            color=vl.field("series", vl.N, scale=vl.color_scale(names), legend=legend),
            strokeDash=vl.field(
                "series", vl.N, scale={"domain": names, "range": dashes}, legend=legend
            ),
            tooltip=[
                vl.field("k", vl.Q),
                vl.field("series", vl.N),
                vl.field("norm", vl.Q, format=".3e"),
            ],
        )
    ]
    if zeros:
        layers.append(
            vl.layer(
                zeros,
                {"type": "tick", "color": vl.VERMILION, "thickness": 2},
                x=vl.field("k", vl.Q),
                tooltip=[vl.field("k", vl.Q), vl.field("text", vl.N, title="")],
            )
        )
    return vl.chart(layers, title=title)
