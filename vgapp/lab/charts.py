"""Charts of the training lab: pure functions from traces (numpy arrays) to frames and specs.

Each chart has a frame with every step (the CSV download) and chart data thinned to a few
hundred steps, so the JSON sent to the browser on every rerun stays small. Log scales only
ever receive positive finite values: exact zeros (underflow) and infinities (overflow) are
drawn in their own explicit colour with their own legend entry.

The charts are written as Vega-Lite v6 specs directly (plain dicts, every layer with its rows
inlined) rather than through Altair: all of them are rebuilt whenever a control changes, and
building and converting them with Altair took about 170 ms of the default view. The tests
validate every spec against the Vega-Lite schema.

The loss, the heatmaps and the saturation share the thinning of steps, the step axis (0, powers
of ten and the budget), the stop markers and the colours of zeros and overflow, so that they
line up when read side by side. The fit's charts are ``vgapp.lab.fit``'s, the saturation's
``vgapp.lab.saturation_chart``'s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.vegalite import BLACK, BLUE, CHART_HEIGHT, ORANGE, PURPLE, SKY, VERMILION, rounded

MAX_LOSS_POINTS = 300
MAX_HEATMAP_CELLS = 1000
MAX_HEATMAP_COLUMNS = 150
CHART_DIGITS = 4
"""Significant digits of the values in a chart's data (the CSV frames keep every digit)."""
ZERO_TEXT = "exactly 0"
"""A zero whose cause was not recomputed (the lab recomputes it at the steps whose parameters
it holds: 0, the stop and the latest)."""
INF_TEXT = "∞ (overflow)"
UNDERFLOW_TEXT = "exactly 0, not in float64: underflow"
"""Zero in the run's dtype, nonzero when the same step is recomputed in float64."""
DEAD_TEXT = "exactly 0: no active unit (dead ReLU), in float64 too"
"""Zero in float64 too, and for every sample some layer at or above it has no active unit
(a ReLU network: ReLU′(z) = 0 for z ≤ 0)."""
SATURATED_TEXT = "exactly 0: every unit saturated (act′ = 0), in float64 too"
"""The same for a sigmoid or tanh network: σ′ and tanh′ are never 0, but in float64 they
underflow to exactly 0 once |z| passes about 745 (σ′) or 372 (tanh′), as a diverging run
reaches."""
WIDE_ZERO_TEXT = "exactly 0 in float64 too, units active"
"""Zero in float64 too without a dead layer (an underflow or a rounding even in float64)."""
DEAD_COLOR = vl.YELLOW
STATE_COLORS = {
    ZERO_TEXT: PURPLE,
    UNDERFLOW_TEXT: VERMILION,
    DEAD_TEXT: DEAD_COLOR,
    SATURATED_TEXT: SKY,
    WIDE_ZERO_TEXT: ORANGE,
    INF_TEXT: BLACK,
}
MARKER = {"type": "point", "filled": True, "size": 110, "stroke": "white", "strokeWidth": 1,
          "opacity": 1}  # fmt: skip
"""Where a rule first holds: opaque (Vega-Lite draws points at 0.7, below 3:1 on white)."""
STEP_TITLE = "step k (symlog scale: linear up to 1, logarithmic beyond)"
SHORT_STEP_TITLE = "step k (symlog)"


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


def _value_state(values: np.ndarray, zero_text: str = ZERO_TEXT) -> np.ndarray:
    """Each norm's state: "finite" (positive and finite), ``zero_text`` or INF_TEXT (a norm is
    never negative)."""
    state = np.full(values.shape, "finite", dtype=object)
    state[values == 0] = zero_text
    state[np.isinf(values)] = INF_TEXT
    return state


def layer_names(n_layers: int) -> list[str]:
    """``layer 1`` (next to the input) ... ``layer L`` and ``output`` for the last layer."""
    return [f"layer {i}" for i in range(1, n_layers)] + ["output"]


def step_x(
    with_title: bool = True, budget: int | None = None, short: bool = True
) -> dict[str, Any]:
    """The symlog step axis shared by the loss, heatmap and saturation charts; with a budget,
    it spans the whole budget, so a run in progress grows across a fixed axis."""
    scale: dict[str, Any] = {"type": "symlog"}
    axis: dict[str, Any] = {"tickCount": 4}
    if budget is not None:
        scale["domain"] = [0, max(budget, 1)]
        # 0, the powers of ten below the budget, and the budget (flush inside the plot)
        axis = {"values": [v for v in (0, 10, 100, 1000) if v < budget] + [budget]}
    x = vl.field("step", vl.Q, scale=scale, axis=axis)
    if with_title:
        x["title"] = SHORT_STEP_TITLE if short else STEP_TITLE
    return x


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
    callouts: list[tuple[int, float, str]],
    *,
    names: list[str],
    title: dict[str, Any],
    keep_steps: tuple[int, ...] = (),
    budget: int | None = None,
    pause: tuple[int, float, str] | None = None,
    y_domain: tuple[float, float] | None = None,
    overflow: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Mean loss per sample against step, log y (zeros as ticks at the bottom), with a marker
    where each enabled stopping rule first holds, callouts (dashed: where the rules stopped the
    run, and where it got when continued) and ``pause`` (solid: where you paused).

    ``names`` are the runs in legend order; ``markers`` has columns run, rule, step,
    loss_mean, text; each callout is ``(step, loss, text)``; ``title`` a Vega-Lite title.
    ``y_domain`` fixes the loss axis (what lies outside is clipped) and ``overflow`` adds the
    layers that mark an overflowed run (``vgapp.lab.overflow``)."""
    run = frame["run"].to_numpy()
    picked = [np.flatnonzero(run == name) for name in names]
    shown = np.concatenate(
        [rows[sample_steps(rows.size, MAX_LOSS_POINTS, keep_steps)] for rows in picked]
    )
    run, step = run[shown], frame["step"].to_numpy()[shown]
    loss = rounded(frame["loss_mean"].to_numpy()[shown], 5)
    positive = (loss > 0) & np.isfinite(loss)
    zeros = loss == 0

    def color() -> dict[str, Any]:
        scale = {"domain": list(names), "range": [VERMILION, BLUE][: len(names)]}
        return vl.field("run", vl.N, scale=scale, title=None, legend={"orient": "bottom"})

    def loss_tip() -> dict[str, Any]:
        return vl.field("loss_mean", vl.Q, title="loss F/n", format=".4g")

    layers = [
        vl.layer(
            vl.rows(run=run[positive], step=step[positive], loss_mean=loss[positive]),
            {"type": "line", "strokeWidth": 2},
            x=step_x(budget=budget, short=False),
            y=vl.field(
                "loss_mean",
                vl.Q,
                scale={"type": "log"},
                title="mean loss per sample F/n (log scale)",
                axis=vl.log_axis(),
            ),
            color=color(),
            tooltip=[vl.field("run", vl.N), vl.field("step", vl.Q), loss_tip()],
        )
    ]
    if zeros.any():
        layers.append(
            vl.layer(
                vl.rows(
                    run=run[zeros], step=step[zeros], loss_mean=loss[zeros], text="loss exactly 0"
                ),
                {"type": "tick", "thickness": 2, "color": BLACK},
                x=step_x(budget=budget, short=False),
                tooltip=[vl.field("run", vl.N), vl.field("step", vl.Q), vl.field("text", vl.N)],
            )
        )
    loss_at = markers["loss_mean"].to_numpy(dtype=float)
    marked = markers[(loss_at > 0) & np.isfinite(loss_at)]
    if len(marked):
        layers.append(
            vl.layer(
                vl.records(marked),
                MARKER,
                x=step_x(budget=budget, short=False),
                y=vl.field("loss_mean", vl.Q),
                color=color(),
                shape=vl.field("rule", vl.N, title="rule first holds", legend={"orient": "right"}),
                tooltip=[
                    vl.field("run", vl.N),
                    vl.field("text", vl.N, title="rule"),
                    vl.field("step", vl.Q),
                    loss_tip(),
                ],
            )
        )
    dashed: dict[str, Any] = {"color": VERMILION, "strokeDash": [4, 3]}
    marks = [(*callout, dashed) for callout in callouts]
    if pause is not None:
        marks.append((*pause, {"color": BLACK, "strokeWidth": 2}))
    for index, (at, loss_there, text, style) in enumerate(marks):
        spot = vl.rows(step=[at], loss_mean=[loss_there], text=[text])
        layers.append(
            vl.layer(spot, {"type": "rule", **style}, x=step_x(budget=budget, short=False))
        )
        if loss_there > 0 and math.isfinite(loss_there):
            layers.append(
                vl.layer(
                    spot,
                    {
                        "type": "text",
                        "align": "left" if index == 0 else "right",
                        "dx": 8 if index == 0 else -8,
                        "dy": -12 if index == 0 else 14,
                        "fontSize": 12,
                        "fontWeight": "bold",
                    },
                    x=step_x(budget=budget, short=False),
                    y=vl.field("loss_mean", vl.Q),
                    text=vl.field("text", vl.N),
                    color={"value": vl.TEXT_COLOR},  # dark text beside the vermilion mark
                )
            )
    if y_domain is not None:
        layers[0]["encoding"]["y"]["scale"]["domain"] = list(y_domain)
        for each in layers:
            each["mark"]["clip"] = True
    layers += overflow or []
    if not positive.any() and not zeros.any():
        layers = [vl.note("no finite loss was recorded: it overflowed at step 0")]
    return vl.chart(layers, title=title, height=CHART_HEIGHT - 100)


# ---------------------------------------------------------------- layer x step heatmap


def heatmap_frame(norms: np.ndarray) -> pd.DataFrame:
    """Every step's ||dF/dz_l||_F (rows: steps, columns: layers, output last)."""
    frame = pd.DataFrame(norms, columns=layer_names(norms.shape[1]))
    frame.insert(0, "step", np.arange(norms.shape[0]))
    return frame


def heatmap_data(
    norms: np.ndarray,
    keep_steps: tuple[int, ...] = (),
    zero_text: str = ZERO_TEXT,
    causes: dict[int, list[str | None]] | None = None,
) -> pd.DataFrame:
    """The cells drawn: at most MAX_HEATMAP_CELLS, each column spans [step, next drawn step).

    ``causes[k][l]``: the state of an exactly zero cell of layer l + 1 at step k (its cause,
    recomputed there), drawn in place of ``zero_text``; the steps of ``causes`` are drawn."""
    n_steps, n_layers = norms.shape
    columns = max(2, min(MAX_HEATMAP_COLUMNS, MAX_HEATMAP_CELLS // max(n_layers, 1)))
    keep = tuple(keep_steps) + tuple(causes or ())
    steps = sample_steps(n_steps, columns, keep)
    ends = np.append(steps[1:], steps[-1] + 1) if steps.size else steps
    values = norms[steps].reshape(-1)  # (columns x layers), row-major
    state = _value_state(values, zero_text).reshape(steps.size, n_layers)
    for row, k in enumerate(steps.tolist()):
        for layer, cause in enumerate((causes or {}).get(k, ())):
            if cause is not None and norms[k, layer] == 0:
                state[row, layer] = cause
    return pd.DataFrame(
        {
            "step": np.repeat(steps, n_layers),
            "step_end": np.repeat(ends, n_layers),
            "layer": np.tile(np.arange(1, n_layers + 1), steps.size),
            "norm": rounded(values, CHART_DIGITS),
            "state": state.reshape(-1),
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
    title: dict[str, Any],
    domain: tuple[float, float] | None,
    stop_step: int | None = None,
    budget: int | None = None,
) -> dict[str, Any]:
    """Layer (output on top) x step heatmap of ||dF/dz||, log colour scale; zero and infinite
    cells in their own colours with their own legend."""

    y = vl.field(
        "layer",
        vl.ORD,
        sort="descending",
        title="layer (1 = next to the input)",
        axis={"labelExpr": f"datum.value == {n_layers} ? 'output' : datum.value"},
    )
    tooltip = [
        vl.field("step", vl.Q, title="from step"),
        vl.field("layer", vl.ORD),
        vl.field("norm", vl.Q, title="‖dF/dz‖", format=".3e"),
    ]

    def cells_layer(keep: np.ndarray, color: dict[str, Any], with_state: bool) -> dict[str, Any]:
        """The cells where ``keep``, coloured by ``color``; ``with_state`` adds the state
        column ("zero", "inf", ...) to the rows and the tooltip."""
        picked = {name: values[keep] for name, values in columns.items()}
        hover = tooltip
        if with_state:
            picked["state"] = cells["state"].to_numpy()[keep]
            hover = [*tooltip, vl.field("state", vl.N, title="value")]
        return vl.layer(
            vl.rows(**picked),
            {"type": "rect"},
            x=step_x(budget=budget),
            x2={"field": "step_end"},
            y=y,
            color=color,
            tooltip=hover,
        )

    finite = (cells["state"] == "finite").to_numpy()
    columns = {name: cells[name].to_numpy() for name in ("step", "step_end", "layer", "norm")}
    layers = []
    if finite.any() and domain is not None:
        low, high = domain
        high = max(high, low * 10)
        norm_colour = vl.field(
            "norm",
            vl.Q,
            scale={"type": "log", "scheme": "viridis", "domain": [low, high]},
            title="‖dF/dz‖ (log)",
            legend={
                **vl.log_key(low, high),
                "orient": "bottom",
                "direction": "horizontal",
                "gradientLength": 140,
            },
        )
        layers.append(cells_layer(finite, norm_colour, with_state=False))
    if not finite.all():
        special = ~finite
        present = set(cells["state"].to_numpy()[special])
        states = [state for state in STATE_COLORS if state in present] + sorted(
            present - set(STATE_COLORS)
        )
        state_colour = vl.field(
            "state",
            vl.N,
            scale={"domain": states, "range": [STATE_COLORS.get(s, DEAD_COLOR) for s in states]},
            title="not on the log scale",
            legend={"orient": "bottom", "direction": "vertical"},
        )
        layers.append(cells_layer(special, state_colour, with_state=True))
    if stop_step is not None:
        layers += _heatmap_stop(stop_step, budget)
    if not layers:
        layers.append(vl.note("no finite gradient was recorded"))
    return vl.chart(
        layers,
        title=title,
        height=max(CHART_HEIGHT - 130, 10 * n_layers),
        independent_colors=True,
    )


def stop_rule(step: int, budget: int | None = None, **mark: Any) -> dict[str, Any]:
    """A dashed vertical rule at ``step`` (white unless ``mark`` says otherwise)."""
    return vl.layer(
        vl.rows(step=[step], text=[f"the rules stopped the run at step {step}"]),
        {"type": "rule", "color": "white", "strokeDash": [4, 3], "strokeWidth": 2, **mark},
        x=step_x(with_title=False, budget=budget),
        tooltip=[vl.field("step", vl.Q), vl.field("text", vl.N, title="")],
    )


def _heatmap_stop(step: int, budget: int | None) -> list[dict[str, Any]]:
    """The stop on a heatmap: white dashes over a dark rule, seen on all of viridis."""
    under = stop_rule(step, budget, color=vl.TEXT_COLOR, strokeDash=[1, 0], strokeWidth=4)
    return [under, stop_rule(step, budget)]
