"""The answer's picture as a Vega-Lite spec: mean loss (log scale) against the step, the run up
to the rule's stop as a vermilion dot and line, its continuation as a blue line, the stop marked
by a dashed rule, and both labelled on the chart in dark text (Okabe–Ito colours are marks
here, never text: as text they fall below 4.5:1 on white)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vgapp import vegalite as vl

PICTURE_HEIGHT = 100
"""Plot height in px: with its three title lines and the step axis the chart is about 240 px
tall, beside the answer's text on the first screen."""
LOSS_TITLE = "mean loss (nats)"
STEP_TITLE = "gradient-descent step k"
STOPPED, CONTINUED = "until the stop", "continued"
COLORS = {STOPPED: vl.VERMILION, CONTINUED: vl.BLUE}
"""Vermilion against blue: apart under the common colour-vision deficiencies, and apart in
shape too (the stopped run is drawn with dots, its continuation as a line)."""


def loss_domain(loss: np.ndarray) -> list[float]:
    """The loss axis: from a power of ten below the last loss, with room under it for the end's
    two-line label, to the power of ten above the highest loss (a log scale fed only these
    positive values)."""
    low = min(math.floor(math.log10(loss.min())), math.floor(math.log10(loss[-1])) - 1)
    return [10.0**low, 10.0 ** math.ceil(math.log10(loss.max()))]


def stop_label_height(loss: np.ndarray, stop: int) -> float:
    """Where the stop's label sits on the loss axis: halfway (in log) between the lowest loss
    the run reaches and the plateau, below the line while the label's text runs right."""
    return float(math.sqrt(loss.min() * loss[stop]))


def chart(
    loss: np.ndarray,
    *,
    stop: int,
    title: dict[str, Any],
    stop_label: list[str],
    end_label: list[str],
) -> dict[str, Any]:
    """Mean loss ``loss[k]`` (k = 0..n) against step k; the rule stopped the run at ``stop``.
    ``stop_label`` (its lines) is written right of the stop's rule, ``end_label`` (its
    lines) under the end."""
    steps = np.arange(loss.size)
    shown = vl.plot_indices(loss.size, keep=np.arange(stop + 1), max_points=PICTURE_POINTS)
    later = shown[shown >= stop]
    x = vl.field("step", vl.Q, title=STEP_TITLE, axis={"format": ",d", "tickCount": 4})
    domain = loss_domain(loss)
    powers = [
        10.0**k for k in range(round(math.log10(domain[0])), round(math.log10(domain[1])) + 1)
    ]
    y = vl.field(
        "loss",
        vl.Q,
        title=LOSS_TITLE,
        scale={"type": "log", "domain": domain},
        axis=vl.log_axis(values=powers),
    )
    tooltip = [
        vl.field("part", vl.N, title="run"),
        vl.field("step", vl.Q, title="step k", format=","),
        vl.field("loss", vl.Q, title="mean loss (nats)", format=".4~g"),
    ]

    def part(indices: np.ndarray, name: str) -> list[dict[str, Any]]:
        return vl.rows(step=steps[indices], loss=vl.rounded(loss[indices]), part=name)

    continued = vl.layer(
        part(later, CONTINUED),
        {"type": "line", "color": COLORS[CONTINUED], "strokeWidth": 2.5},
        x=x, y=y, tooltip=tooltip,
    )  # fmt: skip
    stopped = vl.layer(
        part(np.arange(stop + 1), STOPPED),
        {"type": "line", "color": COLORS[STOPPED], "strokeWidth": 4,
         "point": {"size": 90, "filled": True, "color": COLORS[STOPPED]}},
        x=x, y=y, tooltip=tooltip,
    )  # fmt: skip
    rule = vl.layer(
        vl.rows(step=[stop]),
        {"type": "rule", "color": COLORS[STOPPED], "strokeDash": [4, 3], "strokeWidth": 1.5},
        x=vl.field("step", vl.Q),
    )
    labels = [
        label(stop, stop_label_height(loss, stop), stop_label, "left", dy=0),
        label(int(steps[-1]), float(loss[-1]), end_label, "right", dy=LABEL_GAP),
    ]
    return vl.chart([continued, stopped, rule, *labels], title=title, height=PICTURE_HEIGHT)


PICTURE_POINTS = 120
"""Points of the continued run drawn (evenly spread steps, the stop's kept): its curve on a
column of at most ~700 px; fewer points draw sooner on the first screen."""

LABEL_GAP = 14
"""px between the end of the run and its label below it (and between the stop's rule and its
label)."""


def label(step: int, loss: float, text: str | list[str], align: str, *, dy: int) -> dict[str, Any]:
    """Dark text at (step, loss): left of it (``align="right"``) or right of it, one line per
    item of ``text``."""
    lines = [text] if isinstance(text, str) else text
    return vl.layer(
        vl.rows(step=[step], loss=[loss], text=["\n".join(lines)]),
        {"type": "text", "color": vl.TEXT_COLOR, "align": align, "lineBreak": "\n",
         "dx": LABEL_GAP // 2 if align == "left" else 0, "dy": dy},
        x=vl.field("step", vl.Q), y=vl.field("loss", vl.Q), text=vl.field("text", vl.N),
    )  # fmt: skip
