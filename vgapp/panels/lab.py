"""Step 6: the training lab, as a panel of blocks (the runs and charts: ``vgapp.lab``)."""

from __future__ import annotations

from typing import Any

from vgapp import lab
from vgapp.blocks import Block, Chart, Columns, Metrics, PanelView, Text
from vgapp.lab_controls import LAB_CONTROLS
from vgapp.lab_runs import Progress
from vgapp.layout import Panel

INTRO = (
    "Does it happen in a real network, during training, and what fixes it? Your network trains "
    "with the same gradient descent and stopping rules as above; the comparison trains beside "
    "it with one remedy, on the same data, with the same budget and rules."
)
DEFAULTS = {control.key: control.default for control in LAB_CONTROLS}


def view(*, _progress: Progress | None = None, **values: Any) -> PanelView:
    """Both runs trained (or memoised) and drawn; a control that does not apply (None) takes its
    default, which the run ignores."""
    chosen = {key: DEFAULTS[key] if value is None else value for key, value in values.items()}
    result = lab.lab_view(**chosen, _progress=_progress)
    columns: list[tuple[Block, ...]] = []
    for name, panel in (("yours", result.main), ("remedy", result.comparison)):
        if name == "remedy" and result.same_run:
            columns.append(
                (Text("This remedy changes nothing for your run: pick another.", "info"),)
            )
            continue
        columns.append(
            (
                Text(f"**{panel.run.label}**: {panel.run.spec.describe()}"),
                Metrics(panel.metrics[:3]),
                Metrics(panel.metrics[3:]),
                Chart(f"lab_gradient_norms_{name}", panel.heatmap_chart, panel.heatmap_text,
                      panel.heatmap_frame),
                Chart(f"lab_saturation_{name}", panel.saturation_chart, panel.saturation_text,
                      panel.saturation_frame),
                Chart(f"lab_fit_{name}", panel.fit_chart, panel.fit_text, panel.fit_frame),
            )
        )  # fmt: skip
    blocks = (
        Text(INTRO),
        Text(f"**{result.verdict}**"),
        Chart("lab_loss", result.loss_chart, result.verdict, result.loss_frame),
        Columns(tuple(columns)),
    )
    return PanelView(blocks, facts={"lab": result})


PANEL = Panel("lab", "Training lab: does it happen in a real network?", LAB_CONTROLS, view)
