"""Charts of the training lab: pure functions from traces (numpy arrays) to frames and charts.

Each chart has a frame with every step (the CSV download) and chart data thinned to a few
hundred steps, so the JSON sent to the browser on every rerun stays small. Log scales only
ever receive positive finite values: exact zeros (underflow) and infinities (overflow) are
drawn in their own explicit colour with their own legend entry.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from vgapp.charts import BLACK, BLUE, CHART_HEIGHT, ORANGE, SKY, VERMILION, finish, rounded

MAX_LOSS_POINTS = 300
MAX_HEATMAP_CELLS = 1000
MAX_HEATMAP_COLUMNS = 150
MAX_SATURATION_POINTS = 700
FIT_HEIGHT = 280
BOUNDARY_DIGITS = 4
CHART_DIGITS = 4
"""Significant digits of the values in a chart's data (the CSV frames keep every digit)."""
ZERO_TEXT = "exactly 0 (underflow)"
INF_TEXT = "∞ (overflow)"
STATE_COLORS = {ZERO_TEXT: VERMILION, INF_TEXT: BLACK}
STEP_TITLE = "step k (symlog scale)"
STEP_SCALE = alt.Scale(type="symlog")


def sample_steps(n: int, max_points: int, keep: tuple[int, ...] = ()) -> np.ndarray:
    """About ``max_points`` indices of ``range(n)``: half evenly spaced, half log-spaced (dense
    early, where the symlog step axis is stretched), always 0, n - 1 and ``keep``."""
    if n <= max_points:
        return np.arange(n)
    half = max_points // 2
    linear = np.linspace(0, n - 1, half)
    logarithmic = np.geomspace(1, n - 1, max_points - half)
    ends = [0.0, n - 1.0]
    chosen = np.unique(np.concatenate([ends, linear, logarithmic]).round().astype(np.int64))
    extra = np.array([k for k in keep if 0 <= k < n], dtype=np.int64)
    return np.union1d(chosen, extra)


def _value_state(values: np.ndarray) -> np.ndarray:
    """Each norm's state: "finite" (positive and finite), ZERO_TEXT or INF_TEXT (a norm is
    never negative)."""
    state = np.full(values.shape, "finite", dtype=object)
    state[values == 0] = ZERO_TEXT
    state[np.isinf(values)] = INF_TEXT
    return state


def layer_names(n_layers: int) -> list[str]:
    """``layer 1`` (next to the input) ... ``layer L`` and ``output`` for the last layer."""
    return [f"layer {i}" for i in range(1, n_layers)] + ["output"]


# ---------------------------------------------------------------- loss against step


def loss_frame(runs: dict[str, tuple[np.ndarray, np.ndarray, int]]) -> pd.DataFrame:
    """Long table per run of step k, F_k (sum over samples), F_k / n and ||grad F(x_k)||.

    ``runs[label] = (loss_sum, grad_norm, n_samples)``."""
    parts = [
        pd.DataFrame(
            {
                "run": label,
                "step": np.arange(loss.size),
                "loss_sum_F": loss,
                "loss_mean": loss / n,
                "gradient_norm": grad_norm,
            }
        )
        for label, (loss, grad_norm, n) in runs.items()
    ]
    return pd.concat(parts, ignore_index=True)


def loss_chart(
    frame: pd.DataFrame,
    markers: pd.DataFrame,
    callout: tuple[int, float, str] | None,
    *,
    names: list[str],
    title: alt.TitleParams,
    keep_steps: tuple[int, ...] = (),
) -> alt.LayerChart:
    """Mean loss per sample against step, log y (zeros as ticks at the bottom), with a marker
    where each enabled stopping rule first holds and a callout where the rules stopped the run.

    ``names`` are the runs in legend order; ``markers`` has columns run, rule, step,
    loss_mean, text; ``callout = (step, loss, text)``."""
    colors = alt.Scale(domain=names, range=[VERMILION, BLUE][: len(names)])
    thinned = [frame.iloc[:0]]
    for name in names:
        part = frame[frame["run"] == name]
        thinned.append(part.iloc[sample_steps(len(part), MAX_LOSS_POINTS, keep_steps)])
    shown = pd.concat(thinned, ignore_index=True)[["run", "step", "loss_mean"]]
    shown["loss_mean"] = rounded(shown["loss_mean"].to_numpy(), 5)
    positive = shown[(shown["loss_mean"] > 0) & np.isfinite(shown["loss_mean"])]
    zeros = shown[shown["loss_mean"] == 0]
    x = alt.X("step:Q", scale=STEP_SCALE, title=STEP_TITLE)
    color = alt.Color("run:N", scale=colors, title=None, legend=alt.Legend(orient="bottom"))
    layers: list[alt.Chart] = [
        alt.Chart(positive)
        .mark_line(strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                "loss_mean:Q",
                scale=alt.Scale(type="log"),
                title="mean loss per sample F/n (log scale)",
            ),
            color=color,
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("step:Q"),
                alt.Tooltip("loss_mean:Q", title="loss F/n", format=".4g"),
            ],
        )
    ]
    if len(zeros):
        layers.append(
            alt.Chart(zeros.assign(text="loss exactly 0"))
            .mark_tick(thickness=2, color=BLACK)
            .encode(x=x, tooltip=["run:N", "step:Q", "text:N"])
        )
    loss_at = markers["loss_mean"].to_numpy(dtype=float)
    marked = markers[(loss_at > 0) & np.isfinite(loss_at)]
    if len(marked):
        layers.append(
            alt.Chart(marked)
            .mark_point(size=110, filled=True, stroke="white", strokeWidth=1)
            .encode(
                x=x,
                y="loss_mean:Q",
                color=color,
                shape=alt.Shape(
                    "rule:N", title="rule first holds", legend=alt.Legend(orient="right")
                ),
                tooltip=[
                    alt.Tooltip("run:N"),
                    alt.Tooltip("text:N", title="rule"),
                    alt.Tooltip("step:Q"),
                    alt.Tooltip("loss_mean:Q", title="loss F/n", format=".4g"),
                ],
            )
        )
    if callout is not None:
        step, loss, text = callout
        spot = pd.DataFrame({"step": [step], "loss_mean": [loss], "text": [text]})
        base = alt.Chart(spot)
        layers.append(base.mark_rule(color=VERMILION, strokeDash=[4, 3]).encode(x=x))
        if loss > 0 and math.isfinite(loss):
            layers.append(
                base.mark_text(align="left", dx=8, dy=-12, fontSize=12, fontWeight="bold").encode(
                    x=x, y="loss_mean:Q", text="text:N", color=alt.value(VERMILION)
                )
            )
    if not len(positive) and not len(zeros):
        layers = [_empty_note("no finite loss was recorded: it overflowed at step 0")]
    return finish(alt.layer(*layers).properties(title=title), height=CHART_HEIGHT + 50)


# ---------------------------------------------------------------- layer x step heatmap


def heatmap_frame(norms: np.ndarray) -> pd.DataFrame:
    """Every step's ||dF/dz_l||_F (rows: steps, columns: layers, output last)."""
    frame = pd.DataFrame(norms, columns=layer_names(norms.shape[1]))
    frame.insert(0, "step", np.arange(norms.shape[0]))
    return frame


def heatmap_data(norms: np.ndarray, keep_steps: tuple[int, ...] = ()) -> pd.DataFrame:
    """The cells drawn: at most MAX_HEATMAP_CELLS, each column spans [step, next drawn step)."""
    n_steps, n_layers = norms.shape
    columns = max(2, min(MAX_HEATMAP_COLUMNS, MAX_HEATMAP_CELLS // max(n_layers, 1)))
    steps = sample_steps(n_steps, columns, keep_steps)
    ends = np.append(steps[1:], steps[-1] + 1) if steps.size else steps
    values = norms[steps].reshape(-1)  # (columns x layers), row-major
    return pd.DataFrame(
        {
            "step": np.repeat(steps, n_layers),
            "step_end": np.repeat(ends, n_layers),
            "layer": np.tile(np.arange(1, n_layers + 1), steps.size),
            "norm": rounded(values, CHART_DIGITS),
            "state": _value_state(values),
        }
    )


def positive_range(*arrays: np.ndarray) -> tuple[float, float] | None:
    """Smallest and largest positive finite value over ``arrays`` (a shared colour domain)."""
    values = [a[(a > 0) & np.isfinite(a)] for a in arrays if a.size]
    values = [v for v in values if v.size]
    if not values:
        return None
    return float(min(v.min() for v in values)), float(max(v.max() for v in values))


def gradient_heatmap(
    cells: pd.DataFrame,
    n_layers: int,
    *,
    title: alt.TitleParams,
    domain: tuple[float, float] | None,
    stop_step: int | None = None,
) -> alt.LayerChart:
    """Layer (output on top) x step heatmap of ||dF/dz||, log colour scale; zero and infinite
    cells in their own colours with their own legend."""
    x = alt.X("step:Q", scale=STEP_SCALE, title=STEP_TITLE)
    y = alt.Y(
        "layer:O",
        sort="descending",
        title="layer (1 = next to the input)",
        axis=alt.Axis(labelExpr=f"datum.value == {n_layers} ? 'output' : datum.value"),
    )
    tooltip = [
        alt.Tooltip("step:Q", title="from step"),
        alt.Tooltip("layer:O"),
        alt.Tooltip("norm:Q", title="‖dF/dz‖", format=".3e"),
    ]
    finite = cells[cells["state"] == "finite"].drop(columns="state")
    special = cells[cells["state"] != "finite"]
    layers: list[alt.Chart] = []
    if len(finite) and domain is not None:
        low, high = domain
        layers.append(
            alt.Chart(finite)
            .mark_rect()
            .encode(
                x=x,
                x2="step_end:Q",
                y=y,
                color=alt.Color(
                    "norm:Q",
                    scale=alt.Scale(
                        type="log", scheme="viridis", domain=[low, max(high, low * 10)]
                    ),
                    title="‖dF/dz‖ (log)",
                    legend=alt.Legend(format=".0e"),
                ),
                tooltip=tooltip,
            )
        )
    if len(special):
        states = list(STATE_COLORS)
        layers.append(
            alt.Chart(special)
            .mark_rect()
            .encode(
                x=x,
                x2="step_end:Q",
                y=y,
                color=alt.Color(
                    "state:N",
                    scale=alt.Scale(domain=states, range=[STATE_COLORS[s] for s in states]),
                    title="not on the log scale",
                ),
                tooltip=[*tooltip, alt.Tooltip("state:N", title="value")],
            )
        )
    if stop_step is not None:
        layers.append(_stop_rule(stop_step))
    if not layers:
        layers.append(_empty_note("no finite gradient was recorded"))
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(title=title)
    return finish(chart, height=max(CHART_HEIGHT - 50, 14 * n_layers))


def _stop_rule(step: int) -> alt.Chart:
    frame = pd.DataFrame({"step": [step], "text": [f"the rules stopped the run at step {step}"]})
    return (
        alt.Chart(frame)
        .mark_rule(color="white", strokeDash=[4, 3], strokeWidth=2)
        .encode(x=alt.X("step:Q", scale=STEP_SCALE), tooltip=[alt.Tooltip("text:N", title="")])
    )


def _empty_note(text: str) -> alt.Chart:
    return alt.Chart(pd.DataFrame({"text": [text]})).mark_text(fontSize=13).encode(text="text:N")


# ---------------------------------------------------------------- saturation


def saturation_frame(saturation: np.ndarray) -> pd.DataFrame:
    """Every step's share of saturated unit-samples per hidden layer."""
    names = [f"layer {i}" for i in range(1, saturation.shape[1] + 1)]
    frame = pd.DataFrame(saturation, columns=names)
    frame.insert(0, "step", np.arange(saturation.shape[0]))
    return frame


def saturation_chart(
    saturation: np.ndarray,
    *,
    title: alt.TitleParams,
    y_title: str,
    stop_step: int | None = None,
) -> alt.LayerChart:
    """Share of saturated unit-samples (0 to 1) per hidden layer against step."""
    n_steps, n_hidden = saturation.shape
    steps = sample_steps(n_steps, max(2, MAX_SATURATION_POINTS // max(n_hidden, 1)))
    data = pd.DataFrame(
        {
            "step": np.repeat(steps, n_hidden),
            "layer": np.tile(np.arange(1, n_hidden + 1), steps.size),
            "share": np.round(saturation[steps].reshape(-1), 4),
        }
    )
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("step:Q", scale=STEP_SCALE, title=STEP_TITLE),
            y=alt.Y(
                "share:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
                title=y_title,
            ),
            color=alt.Color(
                "layer:O",
                scale=alt.Scale(scheme="viridis"),
                title="hidden layer",
                legend=alt.Legend(orient="right", symbolLimit=24),
            ),
            tooltip=[
                alt.Tooltip("step:Q"),
                alt.Tooltip("layer:O", title="hidden layer"),
                alt.Tooltip("share:Q", title="saturated", format=".1%"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if stop_step is not None:
        layers.append(
            _stop_rule(stop_step).mark_rule(color=VERMILION, strokeDash=[4, 3], strokeWidth=1.5)
        )
    return finish(alt.layer(*layers).properties(title=title), height=CHART_HEIGHT - 50)


# ---------------------------------------------------------------- the fit at the stop


def boundary_frame(xs: np.ndarray, ys: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """Grid cells (edges and centre) with the predicted P(class 1); ``probability`` is
    (len(ys), len(xs)); cells whose prediction is not a number are left out."""
    dx, dy = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
    grid_x, grid_y = np.meshgrid(xs, ys)
    frame = pd.DataFrame(
        {
            "x": grid_x.ravel() - dx,
            "x2": grid_x.ravel() + dx,
            "y": grid_y.ravel() - dy,
            "y2": grid_y.ravel() + dy,
            "cx": grid_x.ravel(),
            "cy": grid_y.ravel(),
            "p_class_1": probability.ravel(),
        }
    )
    return frame[~np.isnan(frame["p_class_1"])].reset_index(drop=True)


def boundary_chart(
    cells: pd.DataFrame, points: pd.DataFrame, *, title: alt.TitleParams
) -> alt.LayerChart:
    """P(class 1) over the input plane, the 0.5 contour as the colour midpoint, and the data.

    ``points`` has columns x1, x2, class (0 or 1)."""
    x_scale = alt.Scale(domain=[float(cells["x"].min()), float(cells["x2"].max())], nice=False)
    y_scale = alt.Scale(domain=[float(cells["y"].min()), float(cells["y2"].max())], nice=False)
    compact = cells[["x", "x2", "y", "y2", "p_class_1"]].apply(
        lambda column: rounded(column.to_numpy(), BOUNDARY_DIGITS)
    )
    heat = (
        alt.Chart(compact)
        .transform_calculate(cx="(datum.x + datum.x2) / 2", cy="(datum.y + datum.y2) / 2")
        .mark_rect(opacity=0.75)
        .encode(
            x=alt.X("x:Q", scale=x_scale, title="input x₁"),
            x2="x2:Q",
            y=alt.Y("y:Q", scale=y_scale, title="input x₂"),
            y2="y2:Q",
            color=alt.Color(
                "p_class_1:Q",
                scale=alt.Scale(domain=[0, 0.5, 1], range=[ORANGE, "#f7f7f7", SKY]),
                title="P(class 1)",
            ),
            tooltip=[
                alt.Tooltip("cx:Q", title="x₁", format=".2f"),
                alt.Tooltip("cy:Q", title="x₂", format=".2f"),
                alt.Tooltip("p_class_1:Q", title="P(class 1)", format=".3f"),
            ],
        )
    )
    classes = alt.Scale(domain=["class 0", "class 1"], range=[VERMILION, BLUE])
    labelled = pd.DataFrame(
        {
            "x1": np.round(points["x1"].to_numpy(), 3),
            "x2": np.round(points["x2"].to_numpy(), 3),
            "label": np.where(points["class"] == 1, "class 1", "class 0"),
        }
    )
    dots = (
        alt.Chart(labelled)
        .mark_point(filled=True, size=22, stroke=BLACK, strokeWidth=0.4, opacity=0.9)
        .encode(
            x="x1:Q",
            y="x2:Q",
            color=alt.Color("label:N", scale=classes, title="data"),
            shape=alt.Shape("label:N", title="data"),
            tooltip=[
                alt.Tooltip("x1:Q", title="x₁", format=".2f"),
                alt.Tooltip("x2:Q", title="x₂", format=".2f"),
                alt.Tooltip("label:N", title="class"),
            ],
        )
    )
    chart = alt.layer(heat, dots).resolve_scale(color="independent").properties(title=title)
    return finish(chart, height=FIT_HEIGHT)


def regression_frame(x: np.ndarray, prediction: np.ndarray, truth: np.ndarray) -> pd.DataFrame:
    """The fitted curve and the noise-free target sin(3x) on a grid of x."""
    return pd.DataFrame({"x": x, "prediction": prediction, "target_sin_3x": truth})


def regression_chart(
    curve: pd.DataFrame, points: pd.DataFrame, *, title: alt.TitleParams
) -> alt.LayerChart:
    """Data points, the noise-free target and the network's fit (non-finite parts left out).

    ``points`` has columns x, y."""
    x = alt.X("x:Q", title="input x")
    dots = (
        alt.Chart(points)
        .mark_circle(size=18, color=BLACK, opacity=0.5)
        .encode(
            x=x,
            y=alt.Y("y:Q", title="target y"),
            tooltip=[alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f")],
        )
    )
    long = curve.melt(id_vars="x", var_name="series", value_name="value")
    long = long[np.isfinite(long["value"])]
    long["series"] = long["series"].map(
        {"prediction": "network at the stop", "target_sin_3x": "noise-free sin(3x)"}
    )
    lines = (
        alt.Chart(long)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=x,
            y="value:Q",
            color=alt.Color(
                "series:N",
                scale=alt.Scale(
                    domain=["network at the stop", "noise-free sin(3x)"], range=[VERMILION, SKY]
                ),
                title=None,
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash("series:N", legend=None),
            tooltip=[
                alt.Tooltip("series:N"),
                alt.Tooltip("x:Q", format=".3f"),
                alt.Tooltip("value:Q", format=".3f"),
            ],
        )
    )
    return finish(alt.layer(dots, lines).properties(title=title), height=FIT_HEIGHT)
