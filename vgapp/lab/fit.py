"""The fit where a run stands: the decision boundary (classification) or the fitted curve
(regression) at the rules' stop or the latest parameters, its number (training accuracy or RMS
error) and its chart."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Metric
from vgapp.lab.runs import RunSpec, loss_of
from vgapp.lab.runview import RunView, data_of, loss_text
from vgapp.vegalite import BLACK, BLUE, ORANGE, SKY, VERMILION, rounded
from vgapp.vegalite import title as titled
from vgcore.activations import sigmoid
from vgcore.mlp import Params, mlp_predict, unflatten_params

Fit = tuple[pd.DataFrame, dict[str, Any], str, Metric]
"""The fit where a run stands: its frame (the CSV), its chart, its text alternative, its number."""
BOUNDARY_GRID = 24


CURVE_POINTS = 200
FIT_HEIGHT = 135
BOUNDARY_DIGITS = 4


def fit_point(run: RunView) -> tuple[Params, int, str] | None:
    """The parameters the fit shows, their step and where they are: at the stop (a run the
    rules stopped and nobody continued), else the latest; None before the first ones."""
    snap = run.snapshot
    if run.rule_stopped and snap.x_stop is not None and not snap.continued:
        flat, step, where = snap.x_stop, snap.stop_step, "where the rules stopped the run"
    elif snap.x_now is not None:
        flat, step, where = snap.x_now, snap.x_now_step, "the latest parameters"
    else:
        return None
    return unflatten_params(flat, run.sizes), int(step or 0), where


def fit_metric(run: RunView) -> Metric | None:
    """The training accuracy (classification) or the RMS error (regression) at the fit's
    parameters: the fit's number without its chart (the chart's grid of predictions is most
    of a redraw's time, and is drawn only when chosen)."""
    point = fit_point(run)
    return None if point is None else metric_at(run, *point)


def metric_at(run: RunView, params: Params, step: int, where: str) -> Metric:
    """The fit's number for these parameters (``fit_point``)."""
    data = data_of(run.spec.dataset, run.spec.seed)
    context = f"at step {step:,}, {where}"
    if loss_of(data) == "bce":
        logits = predict(params, data.X, run.spec)
        accuracy = float(np.mean((logits > 0) == (data.y == 1)))
        return Metric("training accuracy", f"{accuracy:.0%}", f"Share of samples classified "
                      f"right, {context}.")  # fmt: skip
    rms = rms_at(run, step)
    return Metric("RMS error", loss_text(rms), f"√(F/n), {context}: the typical miss in y.")


def rms_at(run: RunView, step: int) -> float | None:
    """√(F/n) at ``step`` (None where the loss is not finite)."""
    loss_there = float(run.loss_mean[min(step, run.loss_mean.size - 1)])
    return math.sqrt(loss_there) if math.isfinite(loss_there) else None


def fit_of(run: RunView) -> Fit | None:
    """The decision boundary (classification) or the fitted curve (regression) at the stop (or
    at the latest parameters while it trains), with the fit's number (``fit_metric``)."""
    point = fit_point(run)
    if point is None:
        return None
    params, step, where = point
    metric = metric_at(run, params, step, where)
    data = data_of(run.spec.dataset, run.spec.seed)
    context = f"at step {step:,}, {where}"
    if loss_of(data) == "bce":
        low, high = data.X.min(axis=0) - 0.3, data.X.max(axis=0) + 0.3
        xs = np.linspace(low[0], high[0], BOUNDARY_GRID)
        ys = np.linspace(low[1], high[1], BOUNDARY_GRID)
        grid = np.column_stack([a.ravel() for a in np.meshgrid(xs, ys)])
        with np.errstate(over="ignore"):
            logit_grid = predict(params, grid, run.spec)
            probability = sigmoid(logit_grid).reshape(BOUNDARY_GRID, BOUNDARY_GRID)
        cells = boundary_frame(xs, ys, probability)
        points = pd.DataFrame({"x1": data.X[:, 0], "x2": data.X[:, 1], "class": data.y})
        title = f"{metric.value} of the points classified right"
        chart = boundary_chart(cells, points, title=titled(title, f"At step {step:,}"))
        return cells, chart, f"{title}, {context}.", metric
    x = np.linspace(-1.1, 1.1, CURVE_POINTS)
    prediction = predict(params, x.reshape(-1, 1), run.spec)
    curve = regression_frame(x, prediction, np.sin(3.0 * x))
    points = pd.DataFrame({"x": data.X[:, 0], "y": data.y})
    rms = rms_at(run, step)
    title = f"Root-mean-square error {rms:.3g}" if rms is not None else "No finite fit"
    chart = regression_chart(curve, points, title=titled(title, f"At step {step:,}"))
    return curve, chart, f"{title}, {context}.", metric


def predict(params: Params, X: np.ndarray, spec: RunSpec) -> np.ndarray:
    """The network output in float64 (inf where the run's dtype overflowed, NaN kept)."""
    out = mlp_predict(params, X, spec.activation, dtype=spec.dtype)
    return out.astype(np.float64).reshape(-1)


def boundary_frame(xs: np.ndarray, ys: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """Grid cells (edges and centre) with the predicted P(class 1); ``probability`` is
    (len(ys), len(xs)); cells whose prediction is not a number are left out."""
    dx, dy = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
    grid_x, grid_y = np.meshgrid(xs, ys)
    frame = pd.DataFrame(
        {
            "x1_from": grid_x.ravel() - dx,
            "x1_to": grid_x.ravel() + dx,
            "x2_from": grid_y.ravel() - dy,
            "x2_to": grid_y.ravel() + dy,
            "x1_centre": grid_x.ravel(),
            "x2_centre": grid_y.ravel(),
            "p_class_1": probability.ravel(),
        }
    )
    kept: pd.DataFrame = frame[~np.isnan(frame["p_class_1"])].reset_index(drop=True)
    return kept


def boundary_chart(
    cells: pd.DataFrame, points: pd.DataFrame, *, title: dict[str, Any]
) -> dict[str, Any]:
    """P(class 1) over the input plane, the 0.5 contour as the colour midpoint, and the data.

    ``points`` has columns x1, x2, class (0 or 1)."""
    x_scale = {
        "domain": [float(cells["x1_from"].min()), float(cells["x1_to"].max())],
        "nice": False,
    }
    y_scale = {
        "domain": [float(cells["x2_from"].min()), float(cells["x2_to"].max())],
        "nice": False,
    }
    compact = {
        name: rounded(cells[name].to_numpy(), BOUNDARY_DIGITS)
        for name in ("x1_from", "x1_to", "x2_from", "x2_to", "p_class_1")
    }
    heat = vl.layer(
        vl.rows(**compact),
        {"type": "rect", "opacity": 0.75},
        x=vl.field("x1_from", vl.Q, scale=x_scale, title="input x₁"),
        x2={"field": "x1_to"},
        y=vl.field("x2_from", vl.Q, scale=y_scale, title="input x₂"),
        y2={"field": "x2_to"},
        color=vl.field(
            "p_class_1",
            vl.Q,
            scale={"domain": [0, 0.5, 1], "range": [ORANGE, "#f7f7f7", SKY]},
            title="P(class 1)",
            legend={"orient": "bottom", "direction": "horizontal", "gradientLength": 100},
        ),
        tooltip=[
            vl.field("x1_centre", vl.Q, title="x₁", format=".2f"),
            vl.field("x2_centre", vl.Q, title="x₂", format=".2f"),
            vl.field("p_class_1", vl.Q, title="P(class 1)", format=".3f"),
        ],
    )
    heat["transform"] = [
        {"calculate": "(datum.x1_from + datum.x1_to) / 2", "as": "x1_centre"},
        {"calculate": "(datum.x2_from + datum.x2_to) / 2", "as": "x2_centre"},
    ]
    classes = {"domain": ["class 0", "class 1"], "range": [VERMILION, BLUE]}
    dots = vl.layer(
        vl.rows(
            x1=np.round(points["x1"].to_numpy(), 3),
            x2=np.round(points["x2"].to_numpy(), 3),
            label=np.where(points["class"] == 1, "class 1", "class 0"),
        ),
        {
            "type": "point",
            "filled": True,
            "size": 22,
            "stroke": BLACK,
            "strokeWidth": 0.4,
            "opacity": 0.9,
        },
        x=vl.field("x1", vl.Q),
        y=vl.field("x2", vl.Q),
        color=vl.field("label", vl.N, scale=classes, title="data", legend=None),
        shape=vl.field("label", vl.N, title="data", legend=None),
        tooltip=[
            vl.field("x1", vl.Q, title="x₁", format=".2f"),
            vl.field("x2", vl.Q, title="x₂", format=".2f"),
            vl.field("label", vl.N, title="class"),
        ],
    )
    return vl.chart([heat, dots], title=title, height=FIT_HEIGHT, independent_colors=True)


def regression_frame(x: np.ndarray, prediction: np.ndarray, truth: np.ndarray) -> pd.DataFrame:
    """The fitted curve and the noise-free target sin(3x) on a grid of x."""
    return pd.DataFrame({"input_x": x, "prediction": prediction, "target_sin_3x": truth})


def regression_chart(
    curve: pd.DataFrame, points: pd.DataFrame, *, title: dict[str, Any]
) -> dict[str, Any]:
    """Data points, the noise-free target and the network's fit (non-finite parts left out).

    ``points`` has columns x, y."""

    def x() -> dict[str, Any]:
        return vl.field("x", vl.Q, title="input x")

    dots = vl.layer(
        vl.records(points),
        {"type": "circle", "size": 18, "color": BLACK, "opacity": 0.5},
        x=x(),
        y=vl.field("y", vl.Q, title="target y"),
        tooltip=[vl.field("x", vl.Q, format=".3f"), vl.field("y", vl.Q, format=".3f")],
    )
    names = {"prediction": "network at the stop", "target_sin_3x": "noise-free sin(3x)"}
    grid = curve["input_x"].to_numpy()
    long: dict[str, list[np.ndarray]] = {"x": [], "series": [], "value": []}
    for column, name in names.items():
        values = curve[column].to_numpy()
        finite = np.isfinite(values)
        long["x"].append(grid[finite])
        long["series"].append(np.full(int(finite.sum()), name, dtype=object))
        long["value"].append(values[finite])
    lines = vl.layer(
        vl.rows(**{key: np.concatenate(parts) for key, parts in long.items()}),
        {"type": "line", "strokeWidth": 2.5},
        x=x(),
        y=vl.field("value", vl.Q),
        color=vl.field(
            "series",
            vl.N,
            scale={"domain": list(names.values()), "range": [VERMILION, SKY]},
            title=None,
            legend={"orient": "bottom"},
        ),
        strokeDash=vl.field("series", vl.N, legend=None),
        tooltip=[
            vl.field("series", vl.N),
            vl.field("x", vl.Q, format=".3f"),
            vl.field("value", vl.Q, format=".3f"),
        ],
    )
    return vl.chart([dots, lines], title=title, height=FIT_HEIGHT)
