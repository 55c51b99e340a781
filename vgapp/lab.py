"""The training lab (issue #5): does the vanishing gradient happen in a real network, during
training, and what fixes it? The view: the verdict, the loss chart of both runs and a panel per
run, composed from the runs of ``vgapp.lab_runs`` without Streamlit.

The loss shown is F/n, the mean over the n = 256 samples of the summed loss F that the core
minimises (binary cross-entropy in nats for the classification sets, squared error for the
regression); thresholds on F, its change and its gradient apply to the sum F.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vgapp import lab_charts, workers
from vgapp.blocks import Metric
from vgapp.formatting import sci, superscript
from vgapp.lab_controls import ACTIVATION_LABELS, LAB_KEYS, LAB_SAMPLES, REMEDIES
from vgapp.lab_runs import (
    LabRun,
    Progress,
    RunsProgress,
    lab_data,
    remedy_spec,
    spec_from_controls,
    train,
    train_remote,
)
from vgapp.vegalite import title as titled
from vgcore.activations import sigmoid
from vgcore.datasets import Dataset
from vgcore.mlp import mlp_predict, unflatten_params
from vgcore.stopping import RULE_TEXT

BOUNDARY_GRID = 24
CURVE_POINTS = 200


@dataclass(frozen=True)
class RunPanel:
    """What the page shows of one run: metrics and three charts with their CSV frames."""

    run: LabRun
    metrics: tuple[Metric, ...]
    heatmap_frame: pd.DataFrame
    heatmap_chart: dict  # Vega-Lite specs, built once per set of controls
    heatmap_text: str
    saturation_frame: pd.DataFrame
    saturation_chart: dict
    saturation_text: str
    fit_frame: pd.DataFrame
    fit_chart: dict
    fit_text: str


@dataclass(frozen=True)
class LabView:
    """The lab's section: the verdict, the loss chart of both runs and a panel per run."""

    verdict: str
    loss_frame: pd.DataFrame
    markers: pd.DataFrame
    loss_chart: dict  # Vega-Lite spec
    main: RunPanel
    comparison: RunPanel
    same_run: bool
    """True when the remedy changes nothing (e.g. float32 on a float32 run)."""


def lab_view(
    *,
    lab_dataset: str,
    lab_depth: int,
    lab_width: int,
    lab_activation: str,
    lab_init: str,
    lab_init_scale: float,
    lab_step_rule: str,
    lab_eta: str,
    lab_steps: int,
    lab_dtype: str,
    lab_loss_scale: str,
    lab_eps: str,
    lab_gatol: str,
    lab_gttol: str,
    lab_fatol: str,
    lab_frtol: str,
    lab_stagnation: bool,
    lab_combine: str,
    lab_seed: int,
    lab_remedy: str,
    _progress: Progress | None = None,
) -> LabView:
    """Train the student's network here and the remedy beside it, at the same time in a worker
    process (``vgapp.workers``); the verdict, charts and metrics.

    ``_progress(fraction, text)`` is called about every 1% of each run's steps with the share
    of both runs done, in [0, 1], and once with 1 when the charts are drawn (underscored: it is
    not part of a memo key)."""
    values = {key: value for key, value in locals().items() if key in LAB_KEYS}
    if _progress is not None and not callable(_progress):
        raise ValueError(f"_progress must be callable or None; got {_progress!r}")
    spec = spec_from_controls(values)
    remedy = remedy_spec(spec, lab_remedy)
    data = lab_data(lab_dataset, lab_seed)
    same = remedy == spec
    label = "remedy: " + REMEDIES[lab_remedy]
    if same:
        main = train(spec, data, "your run", RunsProgress(_progress, (spec,)).report(0))
        comparison = dataclasses.replace(main, label=label)
    else:
        reporter = RunsProgress(_progress, (spec, remedy))
        main, comparison = workers.beside(
            lambda poll: train(spec, data, "your run", reporter.report(0, poll)),
            train_remote,
            (remedy, label),
            reporter.report(1),
        )
    if _progress is not None:
        _progress(1.0, "Training done: drawing the charts")
    return _compose(main, comparison, data, lab_remedy, same)


def loss_text(value: float | None) -> str:
    """A mean loss for the page: 3 significant digits, tiny values in scientific notation."""
    if value is None:
        return "not finite"
    if value == 0 or 1e-3 <= value < 1e4:
        return f"{value:.3g}"
    return sci(value)


def outcome(run: LabRun) -> str:
    """How the run ended: ``"stopped by the parameter-change rule at step 8 with loss 0.693"``."""
    reason = run.result.stopped_by
    loss = loss_text(run.loss_at_stop)
    if reason == "non_finite":
        if run.recorded == 0:
            return "overflowed at step 0 (loss or gradient not finite)"
        return (
            f"overflowed after step {run.stop_step:,} (loss or gradient not finite; last loss "
            f"{loss})"
        )
    if reason == "max_iter":
        return f"ran all {run.stop_step:,} steps to loss {loss}"
    return f"stopped by {RULE_TEXT[reason].phrase} at step {run.stop_step:,} with loss {loss}"


def zero_layers(run: LabRun) -> list[int]:
    """Layers (1-based, output = depth + 1) whose ||dF/dz|| was exactly 0 at some step up to
    the stop."""
    norms = run.figure("backprop_norms", len(run.sizes) - 1)[: run.stop_step + 1]
    if not norms.size:
        return []
    return [int(i) + 1 for i in np.flatnonzero((norms == 0).any(axis=0))]


def _layer_list(layers: list[int]) -> str:
    if len(layers) > 1 and layers == list(range(layers[0], layers[-1] + 1)):
        return f"layers {layers[0]}–{layers[-1]}"
    return ("layer " if len(layers) == 1 else "layers ") + ", ".join(map(str, layers))


def verdict(main: LabRun, comparison: LabRun, remedy: str, same: bool) -> str:
    """The one-line comparison of the two runs."""
    text = f"Your {main.spec.describe()} {outcome(main)}"
    if same:
        return text + f"; the remedy ({REMEDIES[remedy]}) changes nothing for this run."
    reached = loss_text(comparison.loss_at_stop)
    reason = comparison.result.stopped_by
    if reason == "max_iter":
        tail = f"{REMEDIES[remedy]} reached {reached} in the same {comparison.stop_step:,} steps"
    else:
        tail = f"{REMEDIES[remedy]} {outcome(comparison)}"
    text += f"; {tail}"
    zeros, fixed = zero_layers(main), zero_layers(comparison)
    if zeros:
        text += f". In {main.spec.dtype} the gradient of {_layer_list(zeros)} was exactly 0" + (
            f" ({_layer_list(fixed)} with the remedy)" if fixed else ", never with the remedy"
        )
    return text + "."


def _compose(main: LabRun, comparison: LabRun, data: Dataset, remedy: str, same: bool) -> LabView:
    runs = (main, comparison) if not same else (main,)
    frame = lab_charts.loss_frame(
        {run.label: (run.result.loss, run.result.grad_norm, LAB_SAMPLES) for run in runs}
    )
    markers = _markers(runs)
    callout = None
    if main.recorded:
        callout = (
            main.stop_step,
            float(main.loss_at_stop),
            f"stop ({_short_reason(main)}) at step {main.stop_step:,}: loss "
            f"{loss_text(main.loss_at_stop)}",
        )
    keep = tuple(int(k) for k in markers["step"])
    title = titled(
        _loss_title(main, comparison, remedy, same),
        "Mean loss per sample F/n (log) against step (symlog). Dots: where each enabled rule "
        "first holds; the dashed line: where the rules stopped your run.",
    )
    chart = lab_charts.loss_chart(
        frame, markers, callout, names=[run.label for run in runs], title=title, keep_steps=keep
    )
    domain = lab_charts.positive_range(
        *(run.figure("backprop_norms", len(run.sizes) - 1) for run in (main, comparison))
    )
    return LabView(
        verdict=verdict(main, comparison, remedy, same),
        loss_frame=frame,
        markers=markers,
        loss_chart=chart,
        main=_panel(main, data, domain),
        comparison=_panel(comparison, data, domain),
        same_run=same,
    )


def _short_reason(run: LabRun) -> str:
    """``"‖Δx‖ ≤ ε"``, ``"step limit"``, ``"overflow"``, ``"all rules at once"``."""
    reason = run.result.stopped_by
    return RULE_TEXT[reason].symbol


def _loss_title(main: LabRun, comparison: LabRun, remedy: str, same: bool) -> str:
    mine = f"{ACTIVATION_LABELS[main.spec.activation]} ({main.spec.dtype})"
    reason, loss = main.result.stopped_by, loss_text(main.loss_at_stop)
    if reason == "non_finite":
        stop = f"{mine} overflowed at step {main.stop_step:,}"
    elif reason == "max_iter":
        stop = f"{mine} ran all {main.stop_step:,} steps to loss {loss}"
    else:
        stop = f"{mine} stopped at step {main.stop_step:,} with loss {loss}"
    if same:
        return stop
    return f"{stop}; {REMEDIES[remedy]}: {loss_text(comparison.loss_at_stop)}"


def _markers(runs: tuple[LabRun, ...]) -> pd.DataFrame:
    """One row per run and enabled rule that held: where it first held, and the loss there."""
    rows = []
    for run in runs:
        for rule, step in run.result.first_fired.items():
            if step is None or rule == "max_iter" or not run.recorded:
                continue
            at = min(step, run.recorded - 1)  # an overflow is marked at the last finite step
            rows.append(
                {
                    "run": run.label,
                    "rule": RULE_TEXT[rule].symbol,
                    "step": at,
                    "loss_mean": float(run.loss_mean[at]),
                    "text": f"{RULE_TEXT[rule].phrase} first holds at step {step:,}",
                }
            )
    columns = {"run": str, "rule": str, "step": np.int64, "loss_mean": float, "text": str}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def _panel(run: LabRun, data: Dataset, domain: tuple[float, float] | None) -> RunPanel:
    n_layers = len(run.sizes) - 1
    who = f"{run.label}: {run.spec.describe()}"
    norms = run.figure("backprop_norms", n_layers)
    saturation = run.figure("saturation", n_layers - 1)
    stop = run.stop_step if run.recorded else None
    heat_title, heat_text = _heatmap_finding(run, norms)
    heatmap = lab_charts.gradient_heatmap(
        lab_charts.heatmap_data(norms, keep_steps=(run.stop_step,)),
        n_layers,
        title=titled(heat_title, who),
        domain=domain,
        stop_step=stop,
    )
    sat_title, sat_axis = _saturation_finding(run, saturation)
    saturation_chart = lab_charts.saturation_chart(
        saturation, title=titled(sat_title, who), y_title=sat_axis, stop_step=stop
    )
    fit_frame, fit_chart, fit_text, fit_metric = _fit(run, data)
    metrics = (
        Metric("stopped by", _short_reason(run), outcome(run)),
        Metric("at step", f"{run.stop_step:,}", "Where the rules stopped the run."),
        Metric(
            "loss there (F/n)",
            loss_text(run.loss_at_stop),
            "Mean loss per sample at the stop.",
        ),
        Metric(
            "loss after the whole budget",
            loss_text(float(run.loss_mean[-1]) if run.recorded else None),
            "Where the run would have got with every step of the budget.",
        ),
        fit_metric,
        Metric(
            "layers with ‖dF/dz‖ = 0",
            str(len(zero_layers(run))),
            "Layers whose back-propagated gradient was exactly zero at some step up to the stop.",
        ),
    )
    return RunPanel(
        run=run,
        metrics=metrics,
        heatmap_frame=lab_charts.heatmap_frame(norms),
        heatmap_chart=heatmap,
        heatmap_text=heat_text,
        saturation_frame=lab_charts.saturation_frame(saturation),
        saturation_chart=saturation_chart,
        saturation_text=f"{sat_title}. {sat_axis} of each hidden layer against step.",
        fit_frame=fit_frame,
        fit_chart=fit_chart,
        fit_text=fit_text,
    )


def _heatmap_finding(run: LabRun, norms: np.ndarray) -> tuple[str, str]:
    """The heatmap's title (the finding at step 0) and its text alternative."""
    if not norms.size:
        return "No gradient: it overflowed at step 0", "No finite step was recorded."
    first = norms[0]
    zeros = [i + 1 for i in np.flatnonzero(first == 0)]
    if zeros:
        title = f"{_layer_list(zeros).capitalize()}: gradient exactly 0 at step 0 (underflow)"
    elif np.isfinite(first).all() and first[0] > 0:
        ratio = first[-1] / first[0]
        if ratio >= 10:
            title = f"‖dF/dz‖ shrinks {_fold(ratio)} from the output down to layer 1"
        elif ratio <= 0.1:
            title = f"‖dF/dz‖ grows {_fold(1 / ratio)} from the output down to layer 1"
        else:
            title = "‖dF/dz‖ keeps its size from the output down to layer 1"
    else:
        title = "Some layers overflow at step 0"
    text = (
        f"{title}. Rows: layers (output on top); columns: steps; colour: the back-propagated "
        "gradient norm ‖dF/dz‖ on a log scale, exact zeros and ∞ in their own colours."
    )
    return title, text


def _fold(ratio: float) -> str:
    exponent = math.floor(math.log10(ratio))
    return f"{ratio:,.0f}-fold" if exponent < 3 else f"10{superscript(exponent)}-fold"


def _saturation_finding(run: LabRun, saturation: np.ndarray) -> tuple[str, str]:
    """The saturation chart's title and its y-axis title, per activation."""
    activation = run.spec.activation
    axis = {
        "sigmoid": "share of unit-samples with σ′(z) < 1% of ¼",
        "tanh": "share of unit-samples with tanh′(z) < 1% of 1",
        "relu": "share of unit-samples with ReLU′(z) = 0 (inactive)",
        "leaky_relu": "share of unit-samples on the 0.01 slope",
    }[activation]
    if not saturation.size:
        return "No finite step recorded", axis
    at_stop = saturation[min(run.stop_step, saturation.shape[0] - 1)]
    top, worst = at_stop[-1], int(np.argmax(at_stop)) + 1
    if activation in ("relu", "leaky_relu"):
        title = f"At the stop, layer {worst} has {at_stop[worst - 1]:.0%} inactive unit-samples"
    elif at_stop.max() < 0.01:
        title = (
            "No layer saturates, yet the gradient shrinks: σ′ ≤ ¼ at every layer"
            if activation == "sigmoid"
            else "No layer saturates"
        )
    else:
        title = (
            f"At the stop the top hidden layer is {top:.0%} saturated"
            if worst == saturation.shape[1]
            else f"At the stop layer {worst} is {at_stop[worst - 1]:.0%} saturated"
        )
    return title, axis


def _fit(run: LabRun, data: Dataset) -> tuple[pd.DataFrame, dict, str, Metric]:
    """The decision boundary (classification) or the fitted curve (regression) at the stop."""
    params = unflatten_params(run.x_stop, run.sizes)
    where = f"parameters at step {run.stop_step:,}, where the rules stopped the run"
    if run.loss == "bce":
        logits = _predict(params, data.X, run)
        accuracy = float(np.mean((logits > 0) == (data.y == 1)))
        low, high = data.X.min(axis=0) - 0.3, data.X.max(axis=0) + 0.3
        xs = np.linspace(low[0], high[0], BOUNDARY_GRID)
        ys = np.linspace(low[1], high[1], BOUNDARY_GRID)
        grid = np.column_stack([a.ravel() for a in np.meshgrid(xs, ys)])
        probability = sigmoid(_predict(params, grid, run)).reshape(BOUNDARY_GRID, BOUNDARY_GRID)
        cells = lab_charts.boundary_frame(xs, ys, probability)
        points = pd.DataFrame({"x1": data.X[:, 0], "x2": data.X[:, 1], "class": data.y})
        title = f"At the stop: {accuracy:.0%} of the training points on the right side"
        chart = lab_charts.boundary_chart(cells, points, title=titled(title, where))
        metric = Metric(
            "training accuracy there", f"{accuracy:.0%}", "Share of samples classified right."
        )
        return cells, chart, f"{title}; {where}.", metric
    x = np.linspace(-1.1, 1.1, CURVE_POINTS)
    prediction = _predict(params, x.reshape(-1, 1), run)
    curve = lab_charts.regression_frame(x, prediction, np.sin(3.0 * x))
    points = pd.DataFrame({"x": data.X[:, 0], "y": data.y})
    rms = math.sqrt(run.loss_at_stop) if run.loss_at_stop is not None else None
    title = (
        f"At the stop: root-mean-square error {rms:.3g}"
        if rms is not None
        else "At the stop: no finite fit"
    )
    chart = lab_charts.regression_chart(curve, points, title=titled(title, where))
    metric = Metric("RMS error there", loss_text(rms), "√(F/n): the typical miss in units of y.")
    return curve, chart, f"{title}; {where}.", metric


def _predict(params: list, X: np.ndarray, run: LabRun) -> np.ndarray:
    """The network output in float64 (inf where the run's dtype overflowed, NaN kept)."""
    out = mlp_predict(params, X, run.spec.activation, dtype=run.spec.dtype)
    return out.astype(np.float64).reshape(-1)
