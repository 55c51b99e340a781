"""Altair chart builders for the page: pure functions from ``vgcore`` results to charts.

Each chart has a ``*_frame`` function that returns the data behind it (the CSV download) and a
builder that draws it. Log axes only ever receive positive finite values: zeros (underflow) and
infinities (overflow) go to their own marked band.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

# Okabe–Ito colours: distinguishable under the common colour-vision deficiencies.
BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILION, PURPLE = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
SERIES_COLORS = {
    "exact": BLACK,
    "float64": BLUE,
    "float32": ORANGE,
    "float16": PURPLE,
}
DTYPES = ("float16", "float32", "float64")
CHART_HEIGHT = 250
HEADLINE_HEIGHT = 165
MAX_POINTS = 300


def color_scale(names: list[str] | tuple[str, ...]) -> alt.Scale:
    """A fixed colour per series name, from the Okabe–Ito palette."""
    palette = [BLACK, BLUE, ORANGE, PURPLE, GREEN, VERMILION, SKY, YELLOW]
    colors = [SERIES_COLORS.get(name) or palette[i % len(palette)] for i, name in enumerate(names)]
    return alt.Scale(domain=list(names), range=colors)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 × 10^k) covering ``[low, high]``."""
    span = max(high - low, 1e-12)
    raw = span / count
    base = 10 ** np.floor(np.log10(raw))
    step = next(m * base for m in (1, 2, 5, 10) if m * base >= raw)
    first = np.ceil(low / step) * step
    return [float(v) for v in np.arange(first, high + step * 1e-9, step)]


def finish(chart: alt.TopLevelMixin, height: int = CHART_HEIGHT) -> alt.TopLevelMixin:
    """Fixed plot height, width fitted to the column (title and legends outside the plot)."""
    return chart.properties(
        height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    )


_VIEW_KEYS = ("mark", "encoding", "transform", "params", "projection")


def to_spec(chart: alt.TopLevelMixin, *, validate: bool = False) -> dict:
    """The chart's Vega-Lite spec with every dataset inlined into the layer that uses it.

    Built (and schema-validated) once per set of controls, so a rerun that hits the memo sends
    it without running Altair again; inlined per layer, the rows travel as JSON inside the
    spec instead of being converted to Arrow tables on every rerun. Schema validation costs
    more than building the chart, so the page skips it; the tests validate every builder."""
    with alt.data_transformers.enable("default", max_rows=None):
        spec = chart.to_dict(validate=validate)
    datasets = spec.pop("datasets", {})
    shared = spec.pop("data", None)
    if "layer" not in spec and any(key in spec for key in _VIEW_KEYS):
        spec["layer"] = [{key: spec.pop(key) for key in _VIEW_KEYS if key in spec}]
    _inline(spec, datasets, shared)
    return spec


def _inline(node: dict, datasets: dict, inherited: dict | None) -> None:
    """Give every unit view its own ``data: {values: rows}`` (resolving named datasets)."""
    own = node.get("data", inherited)
    if isinstance(own, dict) and "name" in own and own["name"] in datasets:
        own = {"values": datasets[own["name"]]}
    children = [
        child for key in ("layer", "vconcat", "hconcat", "concat") for child in node.get(key, [])
    ]
    if children:
        node.pop("data", None)
        for child in children:
            _inline(child, datasets, own)
    elif own is not None:
        node["data"] = own


def titled(text: str, subtitle: str | None = None) -> alt.TitleParams:
    """A chart title that states the finding, with an optional one-line subtitle."""
    return alt.TitleParams(
        text=text, subtitle=subtitle or "", anchor="start", fontSize=14, subtitleFontSize=11
    )


def plot_indices(
    n: int, keep: np.ndarray | None = None, max_points: int = MAX_POINTS
) -> np.ndarray:
    """At most about ``max_points`` evenly spread indices of ``range(n)``, always with the first,
    the last and the indices in ``keep`` (where a series changes state, e.g. underflows)."""
    if n <= max_points:
        return np.arange(n)
    chosen = np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
    if keep is not None and keep.size:
        chosen = np.union1d(chosen, np.clip(keep, 0, n - 1))
    return chosen


def state_changes(mask: np.ndarray) -> np.ndarray:
    """Indices on both sides of every change of a boolean mask."""
    change = np.flatnonzero(mask[1:] != mask[:-1])
    return np.unique(np.concatenate([change, change + 1]))


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` index pairs (inclusive) of the runs of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def rule_layer(value: float, text: str, axis: str = "y", color: str = VERMILION) -> alt.LayerChart:
    """A labelled reference line at ``value`` on the given axis."""
    frame = pd.DataFrame({"at": [value], "text": [text]})
    base = alt.Chart(frame)
    line = base.mark_rule(color=color, strokeDash=[4, 3]).encode(
        **{axis: alt.X("at:Q") if axis == "x" else alt.Y("at:Q")},
        tooltip=[alt.Tooltip("text:N", title="")],
    )
    label = base.mark_text(align="left", dx=4, dy=-6, color=color, fontSize=11).encode(
        **{axis: alt.X("at:Q") if axis == "x" else alt.Y("at:Q")}, text="text:N"
    )
    return line + label


# ---------------------------------------------------------------- precision


def lost_update_frame(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Long table of ``|w|`` and the lost-update threshold ``ulp(w)/2`` per dtype."""
    parts = [
        pd.DataFrame({"dtype": name, "abs_w": w, "threshold": threshold})
        for name, (w, threshold) in curves.items()
    ]
    return pd.concat(parts, ignore_index=True)


def lost_update_chart(
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    point: tuple[float, float, bool] | None,
    dtype: str,
) -> alt.LayerChart:
    """Threshold ``ulp(w)/2`` against ``|w|`` per dtype (log–log), with the current update."""
    frame = lost_update_frame(curves)
    names = list(curves)
    lines = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X(
                "abs_w:Q",
                scale=alt.Scale(type="log"),
                title="|w| (stored weight)",
                axis=alt.Axis(format="~e"),
            ),
            y=alt.Y(
                "threshold:Q",
                scale=alt.Scale(type="log"),
                title="largest lost update ulp(w)/2",
                axis=alt.Axis(format="~e"),
            ),
            color=alt.Color("dtype:N", scale=color_scale(names), title="precision"),
            tooltip=[
                alt.Tooltip("dtype:N"),
                alt.Tooltip("abs_w:Q", title="|w|", format=".3e"),
                alt.Tooltip("threshold:Q", title="ulp(w)/2", format=".3e"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if point is not None:
        abs_w, abs_delta, lost = point
        marker = pd.DataFrame(
            {
                "abs_w": [abs_w],
                "abs_delta": [abs_delta],
                "verdict": [f"lost in {dtype}" if lost else f"applied in {dtype}"],
            }
        )
        layers.append(
            alt.Chart(marker)
            .mark_point(shape="diamond", size=160, filled=True, color=VERMILION)
            .encode(
                x="abs_w:Q",
                y="abs_delta:Q",
                tooltip=[
                    alt.Tooltip("abs_w:Q", title="|w|", format=".3e"),
                    alt.Tooltip("abs_delta:Q", title="|η·g|", format=".3e"),
                    alt.Tooltip("verdict:N", title="update"),
                ],
            )
        )
    verdict = "lost" if point is not None and point[2] else "applied"
    title = titled(
        "Updates below the line vanish: w + η·g == w",
        f"The threshold grows with |w|; the current update (◆) is {verdict} in {dtype}.",
    )
    return finish(alt.layer(*layers).properties(title=title))


# ---------------------------------------------------------------- surfaces


def rounded(values: np.ndarray, significant: int = 4) -> np.ndarray:
    """Values cut to ``significant`` digits for the browser (shorter JSON); the CSV keeps all.
    Zeros and non-finite values pass unchanged."""
    a = np.array(values, dtype=float)
    shift = np.zeros_like(a)
    chosen = np.isfinite(a) & (a != 0)
    shift[chosen] = significant - 1 - np.floor(np.log10(np.abs(a[chosen])))
    # Multiply or divide by an exact power of ten, never by an inexact 10**-k.
    up = chosen & (shift >= 0) & (shift < 300)
    down = chosen & (shift < 0)
    a[up] = np.round(a[up] * 10.0 ** shift[up]) / 10.0 ** shift[up]
    a[down] = np.round(a[down] / 10.0 ** -shift[down]) * 10.0 ** -shift[down]
    return a


def surface_frame(xs: np.ndarray, ys: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Grid cell centres and the function value, for a filled-contour heatmap."""
    grid_x, grid_y = np.meshgrid(xs, ys)
    return pd.DataFrame({"x": grid_x.ravel(), "y": grid_y.ravel(), "value": values.ravel()})


def field_frame(
    grid_x: np.ndarray, grid_y: np.ndarray, u: np.ndarray, v: np.ndarray
) -> pd.DataFrame:
    """Arrows of the descent direction −grad F; points where the gradient is 0 get none."""
    norm = np.hypot(u, v)
    keep = norm > 1e-12 * max(float(norm.max()), 1e-300)
    # Screen angle of (−u, −v), clockwise from "up", for Vega's rotated arrow symbol.
    angle = np.degrees(np.arctan2(-u, -v))
    return pd.DataFrame(
        {
            "x": grid_x[keep],
            "y": grid_y[keep],
            "angle": angle[keep],
            "gradient_norm": norm[keep],
        }
    )


def surface_chart(
    surface: pd.DataFrame,
    field: pd.DataFrame,
    *,
    formula: str,
    title: alt.TitleParams,
    point: tuple[float, float] | None = None,
    path: np.ndarray | None = None,
    axis_names: tuple[str, str] = ("a", "b"),
) -> alt.LayerChart:
    """Filled contours of F with the field of descent directions, a point and a descent path."""
    x_title, y_title = axis_names
    xs, ys = np.unique(surface["x"]), np.unique(surface["y"])
    half_x, half_y = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
    x_scale = alt.Scale(domain=[xs[0] - half_x, xs[-1] + half_x], nice=False)
    y_scale = alt.Scale(domain=[ys[0] - half_y, ys[-1] + half_y], nice=False)
    cells = surface.assign(value=rounded(surface["value"].to_numpy(), 3))
    heat = (
        alt.Chart(cells)
        .transform_calculate(
            x0=f"datum.x - {float(half_x)!r}",
            x1=f"datum.x + {float(half_x)!r}",
            y0=f"datum.y - {float(half_y)!r}",
            y1=f"datum.y + {float(half_y)!r}",
        )
        .mark_rect(strokeWidth=0)
        .encode(
            x=alt.X("x0:Q", scale=x_scale, title=x_title, axis=alt.Axis(grid=False)),
            x2="x1:Q",
            y=alt.Y("y0:Q", scale=y_scale, title=y_title, axis=alt.Axis(grid=False)),
            y2="y1:Q",
            color=alt.Color(
                "value:Q",
                scale=alt.Scale(scheme="viridis", type="quantize", nice=True),
                title=formula,
            ),
            tooltip=[
                alt.Tooltip("x:Q", title=x_title, format=".2f"),
                alt.Tooltip("y:Q", title=y_title, format=".2f"),
                alt.Tooltip("value:Q", title="F", format=".3g"),
            ],
        )
    )
    arrows = (
        alt.Chart(field)
        .mark_point(shape="arrow", filled=True, size=90, color="white", opacity=0.8)
        .encode(
            x="x:Q",
            y="y:Q",
            angle=alt.Angle("angle:Q", scale=None),
            tooltip=[alt.Tooltip("gradient_norm:Q", title="‖∇F‖", format=".3g")],
        )
    )
    layers: list[alt.Chart] = [heat, arrows]
    if path is not None and len(path):
        steps = pd.DataFrame({"x": path[:, 0], "y": path[:, 1], "k": np.arange(len(path))})
        layers.append(
            alt.Chart(steps)
            .mark_line(color=ORANGE, clip=True, point=alt.OverlayMarkDef(color=ORANGE, size=18))
            .encode(
                x="x:Q",
                y="y:Q",
                order="k:Q",
                tooltip=[
                    alt.Tooltip("k:Q", title="step"),
                    alt.Tooltip("x:Q", title=x_title, format=".4g"),
                    alt.Tooltip("y:Q", title=y_title, format=".4g"),
                ],
            )
        )
    if point is not None:
        spot = pd.DataFrame({"x": [point[0]], "y": [point[1]]})
        layers.append(
            alt.Chart(spot)
            .mark_point(shape="diamond", size=200, filled=True, color=VERMILION, stroke="white")
            .encode(
                x="x:Q",
                y="y:Q",
                tooltip=[
                    alt.Tooltip("x:Q", title=x_title, format=".3g"),
                    alt.Tooltip("y:Q", title=y_title, format=".3g"),
                ],
            )
        )
    return finish(alt.layer(*layers).properties(title=title), height=300)


# ---------------------------------------------------------------- the counterexample


def counterexample_steps(steps_to_minimum: int, points: int = 40) -> list[int]:
    """Step counts to plot: powers of ten up to the minimum, then the last stretch before it
    (the fractions 1 − 10⁻ᵐ of the way, where the value finally falls), then the minimum."""
    if steps_to_minimum <= 1:
        return [0, 1] if steps_to_minimum == 1 else [0]
    digits = _digit_count(steps_to_minimum) - 1  # floor(log10(steps))
    exponents = sorted({round(j) for j in np.linspace(0, digits, points)})
    ks = {10**j for j in exponents if 10**j < steps_to_minimum}
    for m in range(1, 13):
        k = steps_to_minimum - (steps_to_minimum + 10**m - 1) // 10**m
        if 0 < k < steps_to_minimum:
            ks.add(k)
    ks.add(steps_to_minimum)
    return sorted(ks)


def _digit_count(n: int) -> int:
    """Decimal digits of a positive int without converting it to a string (which Python
    refuses above 4300 digits)."""
    estimate = max(1, int(n.bit_length() * 0.30102999566398120))
    while 10**estimate <= n:
        estimate += 1
    while estimate > 1 and 10 ** (estimate - 1) > n:
        estimate -= 1
    return estimate


def counterexample_chart(
    frame: pd.DataFrame,
    *,
    log10_float64_max: float,
    stop_marks: list[tuple[float, str]],
    steps_text: str,
    value_text: str,
    gradient_text: str,
    drop_text: str,
) -> alt.LayerChart:
    """log₁₀ f(x_k) against log₁₀ k: on a log-k axis f stays flat until the last decade."""
    finite = frame[~frame["reached_minimum"]]
    floor = float(min(finite["log10_value"].min(), log10_float64_max)) - 0.08 * float(
        max(abs(finite["log10_value"].max()), 1.0)
    )
    x_title = "step k (log₁₀ k)"
    line = (
        alt.Chart(finite)
        .mark_line(color=BLUE, strokeWidth=2.5, point=alt.OverlayMarkDef(color=BLUE, size=25))
        .encode(
            x=alt.X("log10_k:Q", title=x_title),
            y=alt.Y("log10_value:Q", title="f(x_k) (log₁₀)"),
            tooltip=[
                alt.Tooltip("log10_k:Q", title="log₁₀ k", format=".6~f"),
                alt.Tooltip("log10_value:Q", title="log₁₀ f(x_k)", format=".6~f"),
            ],
        )
    )
    layers: list[alt.Chart] = [
        line,
        rule_layer(log10_float64_max, "float64's largest value, 1.8·10³⁰⁸", color=VERMILION),
    ]
    reached = frame.loc[frame["reached_minimum"], ["log10_k"]].assign(
        y=floor, text="f = 0: minimum reached"
    )
    if len(reached):
        layers.append(
            alt.Chart(reached)
            .mark_point(shape="triangle-down", size=120, filled=True, color=GREEN)
            .encode(
                x="log10_k:Q",
                y="y:Q",
                tooltip=[
                    alt.Tooltip("text:N", title=""),
                    alt.Tooltip("log10_k:Q", title="log₁₀ k"),
                ],
            )
        )
    for at, text in stop_marks:
        layers.append(rule_layer(at, text, axis="x", color=PURPLE))
    title = titled(
        f"The gradient is {gradient_text}, the value is {value_text}",
        f"Each step lowers f by η·c² = {drop_text}: descent needs {steps_text} steps.",
    )
    return finish(alt.layer(*layers).properties(title=title), height=HEADLINE_HEIGHT)


# ---------------------------------------------------------------- gradient norms


def gradient_norm_chart(
    frame: pd.DataFrame, bound_label: str | None, title: alt.TitleParams
) -> alt.LayerChart:
    """‖∇F(p_k)‖ and its running minimum against k on a log scale, with MATH.md C's bound
    (column ``bound``) where the theorem applies; exact zeros get ticks, never a log."""
    columns = {"gradient_norm": "‖∇F(p_k)‖", "best_gradient_norm": "min over i ≤ k"}
    if bound_label is not None:
        columns["bound"] = bound_label
    long = frame.melt(id_vars="k", value_vars=list(columns), var_name="series", value_name="norm")
    long["series"] = long["series"].map(columns)
    positive = long[(long["norm"] > 0) & np.isfinite(long["norm"])]
    zeros = long[long["norm"] == 0]
    names = list(columns.values())
    lines = (
        alt.Chart(positive)
        .mark_line(strokeWidth=2)
        .encode(
            x=alt.X("k:Q", title="iteration k"),
            y=alt.Y(
                "norm:Q",
                scale=alt.Scale(type="log"),
                title="gradient norm ‖∇F‖",
                axis=alt.Axis(format="~e"),
            ),
            color=alt.Color(
                "series:N",
                scale=color_scale(names),
                title=None,
                legend=alt.Legend(orient="bottom", columns=1, labelLimit=400),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=names, range=[[1, 0], [4, 2], [6, 3]][: len(names)]),
                title=None,
                legend=alt.Legend(orient="bottom", columns=1, labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("k:Q"),
                alt.Tooltip("series:N"),
                alt.Tooltip("norm:Q", format=".3e"),
            ],
        )
    )
    layers: list[alt.Chart] = [lines]
    if len(zeros):
        layers.append(
            alt.Chart(zeros.assign(text="exactly 0"))
            .mark_tick(color=VERMILION, thickness=2)
            .encode(x="k:Q", tooltip=["k:Q", "text:N"])
        )
    return finish(alt.layer(*layers).properties(title=title))


# ---------------------------------------------------------------- the deep chain

QUANTITY_SYMBOLS = {"weight": "dF/dw_k", "backprop": "dF/do_k"}


def chain_frames(
    layers: np.ndarray,
    exact_log10: np.ndarray,
    dtype_values: dict[str, np.ndarray],
    guides: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The chain's data: a wide table for the CSV, a long table of log₁₀|value| for the lines
    (finite, nonzero values only) and the runs of layers where a dtype gave exactly 0 or ±inf.

    ``guides`` are further log₁₀ series (bound, weight product, derivative product)."""
    wide = pd.DataFrame({"layer": layers, "log10_abs_exact": exact_log10})
    with np.errstate(divide="ignore"):
        for name, values in dtype_values.items():
            wide[name] = values
            wide[f"log10_abs_{name}"] = np.log10(np.abs(values))
    for name, values in guides.items():
        wide[name] = values
    keep = [np.flatnonzero(np.isfinite(exact_log10[1:]) != np.isfinite(exact_log10[:-1]))]
    for values in dtype_values.values():
        keep.append(state_changes((values == 0) | ~np.isfinite(values)))
    rows = plot_indices(len(layers), np.concatenate(keep) if keep else None)
    series = {"exact": exact_log10, **guides}
    series.update({name: wide[f"log10_abs_{name}"].to_numpy() for name in dtype_values})
    parts = []
    for name, values in series.items():
        picked = values[rows]
        finite = np.isfinite(picked)
        parts.append(
            pd.DataFrame(
                {
                    "layer": layers[rows][finite],
                    "log10_abs": np.round(picked[finite], 3),
                    "series": name,
                }
            )
        )
    lines = pd.concat(parts, ignore_index=True)
    bands = []
    for name, values in dtype_values.items():
        for kind, mask in (
            ("exactly 0 (underflow)", values == 0),
            ("±inf (overflow)", np.isinf(values)),
        ):
            for start, stop in runs(mask):
                bands.append(
                    {
                        "dtype": name,
                        "kind": kind,
                        "from_layer": float(layers[start]) - 0.5,
                        "to_layer": float(layers[stop]) + 0.5,
                        "layers": f"{layers[start]}–{layers[stop]}",
                    }
                )
    band_columns = ["dtype", "kind", "from_layer", "to_layer", "layers"]
    return wide, lines, pd.DataFrame(bands, columns=band_columns)


def chain_chart(
    lines: pd.DataFrame,
    bands: pd.DataFrame,
    *,
    depth: int,
    quantity: str,
    title: alt.TitleParams,
    guide_labels: dict[str, str],
) -> dict:
    """log₁₀|gradient| against layer for the exact value and each dtype, with guides; below the
    lowest value, one band per dtype marks the layers where it computed exactly 0 or ±inf.

    Written as a Vega-Lite spec directly rather than through Altair: this chart is rebuilt on
    every move of the depth slider, and building it with Altair took most of that rerun. The
    tests validate it against the Vega-Lite schema like every other chart."""
    symbol = QUANTITY_SYMBOLS[quantity]
    labels = {"exact": f"exact {symbol}", **{name: name for name in DTYPES}, **guide_labels}
    present = set(lines["series"])
    keys = [key for key in ("exact", *DTYPES, *guide_labels) if key in present]
    style = {
        "exact": (BLACK, [1, 0]),
        "float16": (PURPLE, [1, 0]),
        "float32": (ORANGE, [1, 0]),
        "float64": (BLUE, [1, 0]),
    }
    guide_styles = [(VERMILION, [6, 3]), (GREEN, [2, 2]), (SKY, [2, 2])]
    for key, guide_style in zip(guide_labels, guide_styles, strict=False):
        style[key] = guide_style
    # Short codes in the rows keep the spec small; the legend and tooltip spell them out.
    codes = {key: f"s{i}" for i, key in enumerate(keys)}
    label_expr = (
        " : ".join(f"datum.label == {codes[k]!r} ? {labels[k]!r}" for k in keys) + " : datum.label"
    )
    legend = {
        "title": None,
        "orient": "bottom",
        "columns": 3,
        "labelLimit": 150,
        "labelExpr": label_expr,
    }
    low = float(lines["log10_abs"].min()) if len(lines) else -1.0
    high = float(lines["log10_abs"].max()) if len(lines) else 1.0
    span = max(high - low, 1.0)
    row = span * 0.07
    lanes = {name: low - row * (1.5 + 1.2 * i) for i, name in enumerate(reversed(DTYPES))}
    x_scale = {"domain": [0.5, depth + 0.5], "nice": False}
    y_scale = {"domain": [low - row * (1.5 + 1.2 * len(DTYPES)), high + row * 0.5], "nice": False}
    domain = list(codes.values())
    curve_rows = [
        {"layer": int(layer), "log10_abs": float(value), "series": codes[series]}
        for layer, value, series in zip(
            lines["layer"], lines["log10_abs"], lines["series"], strict=True
        )
    ]
    curves = {
        "data": {"values": curve_rows},
        "transform": [
            {"calculate": label_expr.replace("datum.label", "datum.series"), "as": "name"}
        ],
        "mark": {"type": "line", "clip": True, "strokeWidth": 2},
        "encoding": {
            "x": {
                "field": "layer",
                "type": "quantitative",
                "scale": x_scale,
                "title": "layer k (input → output)",
            },
            "y": {
                "field": "log10_abs",
                "type": "quantitative",
                "scale": y_scale,
                "title": f"|{symbol}| (log₁₀)",
                "axis": {"values": nice_ticks(low, high)},
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "legend": legend,
                "scale": {"domain": domain, "range": [style[k][0] for k in keys]},
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "legend": None,  # the colour legend names the series
                "scale": {"domain": domain, "range": [style[k][1] for k in keys]},
            },
            "tooltip": [
                {"field": "name", "type": "nominal", "title": "series"},
                {"field": "layer", "type": "quantitative", "title": "layer k"},
                {
                    "field": "log10_abs",
                    "type": "quantitative",
                    "title": "log₁₀|value|",
                    "format": ".4f",
                },
            ],
        },
    }
    lane_labels = {
        "data": {
            "values": [{"dtype": n, "y": y, "x": 0.5 + depth * 0.005} for n, y in lanes.items()]
        },
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "middle",
            "color": "#555555",
            "dx": 2,
            "fontSize": 10,
        },
        "encoding": {
            "x": {"field": "x", "type": "quantitative"},
            "y": {"field": "y", "type": "quantitative"},
            "text": {"field": "dtype", "type": "nominal"},
        },
    }
    layers = [curves, lane_labels]
    if len(bands):
        band_rows = [
            {
                **band,
                "y": lanes[band["dtype"]] - row * 0.45,
                "y2": lanes[band["dtype"]] + row * 0.45,
            }
            for band in bands.to_dict("records")
        ]
        layers.append(
            {
                "data": {"values": band_rows},
                "mark": {"type": "rect", "opacity": 0.55},
                "encoding": {
                    "x": {"field": "from_layer", "type": "quantitative", "scale": x_scale},
                    "x2": {"field": "to_layer"},
                    "y": {"field": "y", "type": "quantitative"},
                    "y2": {"field": "y2"},
                    "fill": {
                        "field": "kind",
                        "type": "nominal",
                        "scale": {
                            "domain": ["exactly 0 (underflow)", "±inf (overflow)"],
                            "range": [SKY, VERMILION],
                        },
                        "legend": {"title": None, "orient": "top", "direction": "horizontal"},
                    },
                    "tooltip": [
                        {"field": "dtype", "type": "nominal"},
                        {"field": "kind", "type": "nominal", "title": "value"},
                        {"field": "layers", "type": "nominal", "title": "layers"},
                    ],
                },
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title.to_dict(),
        "height": HEADLINE_HEIGHT,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "resolve": {"scale": {"color": "independent"}},
        "layer": layers,
    }
