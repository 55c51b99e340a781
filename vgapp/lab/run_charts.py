"""The charts a run can show under the loss, one entry each: its label, what it shows, and the
block that draws it for a run. A new chart from recorded data is its builder in
``vgapp.lab.charts`` and one entry here; the lab's chart choice (``LAB_CHART``) lists them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vgapp.blocks import Block, Chart, Fold, Metric, Text
from vgapp.controls import Choice
from vgapp.lab import charts, saturation_chart
from vgapp.lab.findings import (
    heatmap_finding,
    held_parameters,
    no_saturation_text,
    saturation_finding,
    zero_causes,
)
from vgapp.lab.fit import Fit, fit_metric, fit_of
from vgapp.lab.runview import RunView
from vgapp.vegalite import title as titled
from vgapp.words import SATURATION_AXIS

Domain = tuple[float, float] | None
"""The gradient norms' colour domain shared by both runs' heatmaps (None before any norm)."""


def stop_of(run: RunView) -> int | None:
    """The step the rules stopped the run at (None when no rule stopped it)."""
    return run.snapshot.stop_step if run.rule_stopped else None


def gradient_block(run: RunView, name: str, domain: Domain, fit: Fit | None) -> tuple[Block, ...]:
    """The heatmap of ‖dF/dz‖ per layer and step, titled by its finding at step 0."""
    snap = run.snapshot
    stop = stop_of(run)
    norms = snap.backprop_norms
    causes = zero_causes(run)
    heat_title = heatmap_finding(run, causes)
    checked = ", ".join(f"{k:,}" for k in sorted(held_parameters(run)))
    chart = Chart(
        f"lab_gradient_norms_{name}",
        charts.gradient_heatmap(
            charts.heatmap_data(
                norms,
                keep_steps=(stop,) if stop is not None else (),
                causes=causes,
            ),
            norms.shape[1],
            title=titled(heat_title),
            domain=domain,
            stop_step=stop,
            budget=snap.budget,
        ),
        f"{heat_title}. Rows: layers (output on top); columns: steps; colour: the "
        "back-propagated gradient norm ‖dF/dz‖ on a log scale, exact zeros and ∞ in their "
        "own colours; the cause of an exact zero is recomputed in float64 at the steps whose "
        f"parameters the page holds (step {checked}).",
        charts.heatmap_frame(norms),
        caption=False,
    )
    return (chart,)


def saturation_block(run: RunView, name: str, domain: Domain, fit: Fit | None) -> tuple[Block, ...]:
    """Per hidden layer, the share of saturated unit-samples against step (or the sentence
    that says none saturates, with what shrinks a sigmoid's gradient instead behind a fold)."""
    snap = run.snapshot
    sat_title, shows = saturation_finding(run)
    if not shows:
        plain, detail = no_saturation_text(run)
        said: tuple[Block, ...] = (Text(plain, "caption"),)
        if detail is None:
            return said
        return (*said, Fold("More: why the gradient shrinks anyway", (Text(detail, "caption"),)))
    axis = SATURATION_AXIS[run.spec.activation]
    chart = Chart(
        f"lab_saturation_{name}",
        saturation_chart.saturation_chart(
            snap.saturation,
            title=titled(sat_title),
            y_title=axis,
            stop_step=stop_of(run),
            budget=snap.budget,
        ),
        f"{sat_title}. {axis} of each hidden layer against step.",
        saturation_chart.saturation_frame(snap.saturation),
        caption=False,
    )
    return (chart,)


def fit_block(run: RunView, name: str, domain: Domain, fit: Fit | None) -> tuple[Block, ...]:
    """The decision boundary or the fitted curve where the run stands (``vgapp.lab.fit``)."""
    if fit is None:
        return (Text("No parameters yet: the fit shows after the first steps.", "caption"),)
    frame, spec, text, _ = fit
    return (Chart(f"lab_fit_{name}", spec, text, frame, caption=False),)


@dataclass(frozen=True)
class RunChart:
    """One chart a run can show: its label on the chart choice, what it shows (the choice's
    help), and its block for a run, a name for the chart's files, the shared colour domain and
    the fit (computed only when this chart is the fit)."""

    label: str
    help: str
    block: Callable[[RunView, str, Domain, Fit | None], tuple[Block, ...]]


RUN_CHARTS: dict[str, RunChart] = {
    "gradients": RunChart(
        "gradient per layer",
        "The gradient per layer: the back-propagated gradient norm ‖dF/dz‖ of every layer at "
        "every step (a heatmap).",
        gradient_block,
    ),
    "saturation": RunChart(
        "saturation",
        "Saturation: per layer, the share of units whose σ′ or tanh′ is below 1% of its peak "
        "(for ReLU the inactive units, for leaky ReLU those on the small slope).",
        saturation_block,
    ),
    "fit": RunChart(
        "fit",
        "Fit: the decision boundary (or the fitted curve) where the run stands.",
        fit_block,
    ),
}
"""The one chart each run shows under the loss (the lab redraws while it trains: one chart per
run keeps a redraw quick)."""

LAB_CHART = Choice(
    "lab_chart",
    "Under the loss, each run shows",
    "gradients",
    tuple(RUN_CHARTS),
    " ".join(chart.help for chart in RUN_CHARTS.values())
    + " Not part of the runs: switching retrains nothing.",
    labels={key: chart.label for key, chart in RUN_CHARTS.items()},
    widget="segmented",
)
"""Which chart each run shows: a control of the lab's view, not of its runs."""


CHART_MEMO_ENTRIES = 16
_CHART_MEMO: OrderedDict[tuple[Any, ...], tuple[tuple[Block, ...], Metric | None]] = OrderedDict()
_CHART_MEMO_LOCK = threading.Lock()


def chart_blocks(
    run: RunView, name: str, domain: tuple[float, float] | None, chart: str
) -> tuple[tuple[Block, ...], Metric | None]:
    """A run's ``chart`` and its fit metric, memoised on what they are drawn from (the trace up
    to the step shown, the stop, the parameters held), not on the run's status: a pause, or
    another session's view of the same moment, redraws them from the memo."""
    snap = run.snapshot
    key = (
        snap.spec,
        snap.step,
        snap.stopped_by,
        snap.stop_step,
        snap.continued,
        snap.x_now_step,
        tuple(snap.first_fired.items()),
        snap.budget,
        run.label,
        name,
        domain,
        chart,
    )
    with _CHART_MEMO_LOCK:
        if key in _CHART_MEMO:
            _CHART_MEMO.move_to_end(key)
            return _CHART_MEMO[key]
    fit = fit_of(run) if chart == "fit" else None
    number = fit[3] if fit is not None else fit_metric(run)
    result = (RUN_CHARTS[chart].block(run, name, domain, fit), number)
    with _CHART_MEMO_LOCK:
        _CHART_MEMO[key] = result
        while len(_CHART_MEMO) > CHART_MEMO_ENTRIES:
            _CHART_MEMO.popitem(last=False)
    return result
