"""The counterexample panel's chart: log₁₀ f(x_k) against log₁₀ k for gradient descent on
max(0, c·x), every mark named on the chart (the curve, the largest float64, the minimum)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.formatting import sci
from vgcore.precision import float_facts

CHART_HEIGHT = 200
"""Plot height in pixels: the curve, its label, the largest float64 and the minimum, each named
on the chart, one above the other."""


def chart(
    frame: pd.DataFrame,
    *,
    title: dict[str, Any],
    eps_stop: bool,
    minimum_lines: tuple[str, str] = ("f = 0,", "the minimum"),
) -> dict[str, Any]:
    """log₁₀ f(x_k) against log₁₀ k, both axes labelled as powers of ten; f = 0 (the minimum)
    marked at the bottom, never put on a log axis, with ``minimum_lines`` above it. Every mark
    is named on the chart in dark text: the curve, the largest float64, the minimum."""
    plotted = frame[frame["log10_step_k"] > -math.inf]
    reached = np.isneginf(plotted["log10_f_at_x_k"].to_numpy())
    finite = plotted[~reached]
    largest = float_facts("float64").largest
    log10_max = math.log10(largest)
    values = [*finite["log10_f_at_x_k"], log10_max]
    low, high = float(min(values)), float(max(values))
    span = max(high - low, 1.0)
    floor = low - 0.25 * span  # room for the minimum's label between it and the lowest value
    x = vl.field("log10_step_k", vl.Q, title="step k", axis=vl.power_axis())
    y = vl.field(
        "log10_f_at_x_k",
        vl.Q,
        title="f(x_k)",
        scale={"domain": [floor - 0.05 * span, high + 0.04 * span], "nice": False},
        axis=vl.power_axis(values=vl.nice_ticks(low, high, 6)),
    )
    data = vl.rows(
        log10_step_k=finite["log10_step_k"].to_numpy(),
        log10_f_at_x_k=finite["log10_f_at_x_k"].to_numpy(),
    )
    tooltip = [
        vl.field("log10_step_k", vl.Q, title="log₁₀ k", format=".6~f"),
        vl.field("log10_f_at_x_k", vl.Q, title="log₁₀ f(x_k)", format=".6~f"),
    ]
    line = vl.layer(
        data,
        {"type": "line", "color": vl.BLUE, "strokeWidth": 2.5, "point": {"size": 25}},
        x=x,
        y=y,
        tooltip=tooltip,
    )
    layers = [line]
    if data:
        name = vl.layer(
            data[:1],
            # below the curve when it is the top of the plot, else above it
            {
                "type": "text",
                "align": "left",
                "color": vl.TEXT_COLOR,
                **(
                    {"baseline": "top", "dy": 8}
                    if high > log10_max
                    else {"baseline": "bottom", "dy": -8}
                ),
            },
            x=vl.field("log10_step_k", vl.Q),
            y=vl.field("log10_f_at_x_k", vl.Q),
            text={"value": ["f(x_k), one dot", "per step shown"]},
        )
        layers.append(name)
    # the largest float64's label above its line, below it when the line is the top of the plot
    layers += vl.reference_line(
        log10_max, ("largest float64,", sci(largest, 2)), below=log10_max >= high
    )
    if reached.any():
        bottom = vl.rows(
            log10_step_k=plotted["log10_step_k"].to_numpy()[reached],
            _y=floor,
            text=" ".join(minimum_lines),
        )
        at = {"x": vl.field("log10_step_k", vl.Q), "y": vl.field("_y", vl.Q)}
        layers.append(
            vl.layer(
                bottom,
                {"type": "point", "shape": "triangle-down", "size": 120, "filled": True,
                 "opacity": 1, "color": vl.GREEN},
                **at,
                tooltip=[vl.field("text", vl.N, title=""), vl.field("log10_step_k", vl.Q,
                                                                     title="log₁₀ k")],
            )
        )  # fmt: skip
        layers.append(
            vl.layer(
                bottom,
                {"type": "text", "align": "right", "baseline": "bottom", "dx": -4, "dy": -8,
                 "color": vl.TEXT_COLOR},
                **at,
                text={"value": list(minimum_lines)},
            )
        )  # fmt: skip
    if eps_stop:
        layers += vl.reference_line(
            0.0, ("ε-rule stops", "(step 1)"), axis="x", color=vl.PURPLE, across=CHART_HEIGHT * 0.4
        )
    return vl.chart(layers, title=title, height=CHART_HEIGHT)
