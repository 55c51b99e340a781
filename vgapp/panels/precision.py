"""Step 4 of the argument: floating point eats small updates, and small ones crawl (MATH.md
D1, D2).

Is ``w − η·g == w`` in each precision? The update ``−η·g`` (g > 0) moves ``w`` toward −∞:
toward zero for ``w > 0``, so the gap that matters is the one below ``|w|``, half of it the
threshold (a quarter ulp at a power of two).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Chart, Columns, Metric, Metrics, PanelView, Table, Text
from vgapp.controls import Choice, Number
from vgapp.formatting import sci
from vgapp.layout import Panel
from vgcore.precision import DTYPES, lost_update_curve, lost_update_threshold, update_is_lost

CONTROLS = (
    Number(
        "fp_w", "Weight w", 1.0, -1e6, 1e6, 0.1,
        "The stored parameter. The smallest update that still counts grows with |w|.",
        widget="number", format="%g",
    ),
    Number("fp_eta", "Step size η", 0.1, 0.0001, 10.0, 0.0001, "The update is −η·g.",
           widget="number", format="%g"),
    Number("fp_grad_exp", "Gradient g = 10^k: k", -16, -60, 5, 1,
           "The size of the gradient, as a power of ten.", integer=True),
    Choice(
        "fp_dtype", "Precision", "float64", DTYPES,
        "The floating-point format the weight is stored and updated in.", widget="segmented",
    ),
)  # fmt: skip

INTRO = (
    "In round-to-nearest floating point, w + d == w when |d| is below half the gap from w to "
    "its neighbour in the direction of d (exactly half: ties go to the even neighbour). The "
    "gap grows with |w|: an ulp, the unit in the last place, is the gap above |w|."
)
CORRECTION = (
    "A correction to the source: it says updates smaller than machine epsilon ε are lost. The "
    "threshold is relative, about ε·|w|/2: at |w| = 1 updates below ε/2 (ε/4 going down) "
    "already vanish, and on a float64 weight of 1000 an update of 10⁻¹⁴ vanishes although it "
    "is far above ε."
)
SLOW_STEPS_SHARE = 0.01
"""The slow-update figure: steps to move w by this share of |w|."""


def view(*, fp_w: float, fp_eta: float, fp_grad_exp: int, fp_dtype: str) -> PanelView:
    """Whether the update −η·g is lost on w in each precision, and how slowly it moves w."""
    step = fp_eta * 10.0**fp_grad_exp  # η·g > 0; the change to w is −η·g
    rows = []
    for name in DTYPES:
        with np.errstate(over="ignore"):
            stored = np.array(fp_w, name)
        if not np.isfinite(stored):
            rows.append(
                {"precision": name, "stored w": "overflows to ∞", "lost if η·g <": "—",
                 "update lost?": "—"}
            )  # fmt: skip
            continue
        rows.append(
            {
                "precision": name,
                "stored w": sci(float(stored)),
                "lost if η·g <": sci(lost_update_threshold(fp_w, name, direction=-1)),
                "update lost?": "yes: lost" if update_is_lost(fp_w, -step, name) else "no",
            }
        )
    table = pd.DataFrame(rows)
    lost = bool(table.set_index("precision").loc[fp_dtype, "update lost?"] == "yes: lost")
    toward_zero = fp_w > 0
    curves = {
        name: lost_update_curve(name, -8.0, 6.0, 120, toward_zero=toward_zero) for name in DTYPES
    }
    frame = pd.concat(
        [
            pd.DataFrame({"precision": name, "abs_w": w, "largest_lost_update": threshold})
            for name, (w, threshold) in curves.items()
        ],
        ignore_index=True,
    )
    point = (abs(fp_w), step, lost) if fp_w != 0 else None
    verdict = "lost" if lost else "applied"
    spec = chart(frame, point, fp_dtype, toward_zero)
    metrics = [
        Metric("the update η·g", sci(step), "The step's size; w changes by −η·g."),
        Metric(f"in {fp_dtype}", verdict, f"Whether w − η·g == w in {fp_dtype}."),
    ]
    if not lost and fp_w != 0:
        steps = SLOW_STEPS_SHARE * abs(fp_w) / step
        metrics.append(
            Metric(
                "steps to move w by 1 %",
                sci(math.ceil(steps)) if steps >= 1 else "1",
                "Even when the update counts, a small gradient crawls: at this rate, moving w "
                "by 1 % of |w| takes 0.01·|w|/(η·g) steps (MATH.md D2).",
            )
        )
    alt = f"The update η·g = {sci(step)} is {verdict} on w = {fp_w:g} in {fp_dtype}."
    blocks = (
        Text(INTRO),
        Columns(
            (
                (Chart("lost_updates", spec, alt, frame),),
                (Metrics(tuple(metrics)), Table(table), Text(CORRECTION, "correction")),
            ),
            (3, 2),
        ),
    )
    return PanelView(blocks, facts={"lost": lost, "step": step})


def chart(
    frame: pd.DataFrame, point: tuple[float, float, bool] | None, dtype: str, toward_zero: bool
) -> dict:
    """The largest lost update against |w| per precision (log–log), with the current update."""
    names = list(dict.fromkeys(frame["precision"]))
    threshold = "half the gap below |w|" if toward_zero else "ulp(w)/2"
    lines = vl.layer(
        vl.records(frame),
        {"type": "line", "strokeWidth": 2},
        x=vl.field("abs_w", vl.Q, scale={"type": "log"}, title="|w| (stored weight)",
                   axis=vl.log_axis()),
        y=vl.field("largest_lost_update", vl.Q, scale={"type": "log"},
                   title=f"largest lost update: {threshold}", axis=vl.log_axis()),
        color=vl.field("precision", vl.N, scale=vl.color_scale(names), title="precision"),
        tooltip=[
            vl.field("precision", vl.N),
            vl.field("abs_w", vl.Q, title="|w|", format=".3e"),
            vl.field("largest_lost_update", vl.Q, title=threshold, format=".3e"),
        ],
    )  # fmt: skip
    layers = [lines]
    if point is not None:
        abs_w, size, lost = point
        layers.append(
            vl.layer(
                vl.rows(abs_w=[abs_w], step=[size],
                        verdict=[f"{'lost' if lost else 'applied'} in {dtype}"]),
                {"type": "point", "shape": "diamond", "size": 160, "filled": True,
                 "color": vl.VERMILION},
                x=vl.field("abs_w", vl.Q),
                y=vl.field("step", vl.Q),
                tooltip=[
                    vl.field("abs_w", vl.Q, title="|w|", format=".3e"),
                    vl.field("step", vl.Q, title="η·g", format=".3e"),
                    vl.field("verdict", vl.N, title="update"),
                ],
            )
        )  # fmt: skip
    verdict = "lost" if point is not None and point[2] else "applied"
    return vl.chart(
        layers,
        title=vl.title(
            "Updates below the line vanish: w − η·g == w",
            f"The threshold grows with |w|; the current update (◆) is {verdict} in {dtype}.",
        ),
    )


PANEL = Panel("precision", "Floating point eats small updates", CONTROLS, view)
