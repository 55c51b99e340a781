"""Step 3 of the argument: gradient descent converges to stationary points (MATH.md C).

The path on a built-in function and its gradient norms against MATH.md C's rate bound. A point
is named only when the run is stationary to the precision it reached (‖∇F‖ ≤ 10⁻¹⁰), and then
by the exact stationary set it reached (``vgcore.curvature.nearest_stationary``), never by a
Hessian test at a point that is merely close to one.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Chart, Columns, Metric, Metrics, PanelView, Text
from vgapp.controls import Choice, Number
from vgapp.formatting import num, sci
from vgapp.layout import Panel
from vgapp.panels.surface import surface_chart, surface_control
from vgcore.curvature import (
    COORDINATE_LIMIT,
    EXAMPLES,
    example_objective,
    nearest_stationary,
)
from vgcore.descent import DescentResult, descent_rate_bound, gradient_descent, running_min
from vgcore.stopping import RULE_TEXT, StoppingRules

CONTROLS = (
    surface_control("gd_surface", "The function gradient descent minimises."),
    Number(
        "gd_x0", "Start: first coordinate", 0.6, -2.0, 2.0, 0.05,
        "Where gradient descent starts. On (1 − ab)², a start with a = −b goes to the saddle "
        "(for a small step such as η = 0.035).",
    ),
    Number("gd_y0", "Start: second coordinate", -0.6, -2.0, 2.0, 0.05,
           "Where gradient descent starts."),
    Choice(
        "gd_rule", "Step size rule", "constant", ("constant", "armijo"),
        "A constant step η, or Armijo backtracking: start from η and halve it until F drops "
        "by at least a fixed share of what the gradient promises.",
        labels={"constant": "constant η", "armijo": "Armijo backtracking"},
        widget="segmented",
    ),
    Number(
        "gd_eta", "Step size η", 0.035, 0.001, 2.0, 0.001,
        "Constant step, or the first trial step of Armijo backtracking.",
        widget="number", format="%.3f",
    ),
    Number("gd_iters", "Iterations", 500, 1, 5000, 1,
           "Maximum number of gradient-descent steps.", integer=True),
)  # fmt: skip

DESCENT_GATOL = 1e-10
NORM_POINTS = 150
"""Iterations drawn per series (the CSV keeps every one): the chart is re-sent on every move."""
THEOREM = (
    "If F is bounded below and its gradient L-Lipschitz (it changes by at most L times the "
    "distance moved: L bounds the curvature), gradient descent with a constant step "
    "0 < η < 2/L, or Armijo steps, makes ‖∇F‖ → 0: every limit point is stationary, a "
    "minimum, a saddle or even a maximum. The method cannot tell them apart."
)
BACKPROP_CORRECTION = (
    "A correction to the source: it says performing backpropagation *is* gradient descent. "
    "Backpropagation computes the gradient ∇F (the chain rule, layer by layer); gradient "
    "descent is what then uses it, x ← x − η·∇F."
)


def classify_end(surface: str, result: DescentResult, rule: str, eta: float) -> tuple[str, str]:
    """The end of the run as (verdict, explanation): "diverged" with its cause, the exact
    stationary set it reached when ‖∇F‖ ≤ 10⁻¹⁰, or "not yet stationary"."""
    example = EXAMPLES[surface]
    end_x, end_y = (float(v) for v in result.x)
    final = float(result.grad_norm[-1]) if result.grad_norm.size else math.inf
    if (
        result.stopped_by == "non_finite"
        or not math.isfinite(final)
        or max(abs(end_x), abs(end_y)) > COORDINATE_LIMIT
    ):
        return "diverged", divergence_cause(surface, result, rule, eta)
    reached = nearest_stationary(surface, end_x, end_y)
    if final <= DESCENT_GATOL:
        kind = {"minimum": "a minimum", "saddle": "a saddle", "inflection": "an inflection"}
        verdict = {"minimum": "minimum", "saddle": "saddle", "inflection": "inflection"}[
            reached.kind
        ]
        text = f"stationary to ‖∇F‖ ≤ 10⁻¹⁰ at {reached.description}: {kind[reached.kind]}"
        if reached.kind != "minimum":
            text += ", not a minimum, yet the gradient is zero"
        if example.key == "two_weight_net" and reached.kind == "minimum":
            text += " (none strict: the Hessian there is singular, so the test alone says nothing)"
        return verdict, text
    near = (
        f"; it is {sci(reached.distance)} from {reached.description}"
        if reached.distance < 0.1
        else ""
    )
    return "not yet stationary", f"‖∇F‖ = {sci(final)} after {result.n_steps} steps{near}"


def divergence_cause(surface: str, result: DescentResult, rule: str, eta: float) -> str:
    """Why the iterates grew without bound, read off the run: F fell without bound (F is
    unbounded below), or F grew (the step is too long for the curvature)."""
    example = EXAMPLES[surface]
    finite = result.loss[np.isfinite(result.loss)]
    fell = finite.size > 1 and finite[-1] < finite[0]
    if fell and example.infimum is None:
        return "F is unbounded below: the iterates run downhill forever"
    lipschitz = example.lipschitz_hint
    if rule == "constant" and lipschitz is not None and eta > 2 / lipschitz:
        return (
            f"the step η = {eta:g} exceeds 2/L = {2 / lipschitz:.3g} (L = {lipschitz:.3g} bounds "
            "the curvature on the plotted square): each step overshoots and F grows, although "
            + ("a minimum exists" if example.infimum is not None else "F has no minimum")
        )
    return f"F grew: the step η = {eta:g} is too long for the curvature where the iterates went"


def view(
    *,
    gd_surface: str,
    gd_x0: float,
    gd_y0: float,
    gd_rule: str,
    gd_eta: float,
    gd_iters: int,
) -> PanelView:
    """Gradient descent from (gd_x0, gd_y0): the path, the gradient norms and the rate bound."""
    example = EXAMPLES[gd_surface]
    result = gradient_descent(
        example_objective(gd_surface),
        np.array([gd_x0, gd_y0]),
        step=gd_rule,
        eta=gd_eta,
        rules=StoppingRules(gatol=DESCENT_GATOL, max_iter=gd_iters),
        record_path=True,
    )
    verdict, explanation = classify_end(gd_surface, result, gd_rule, gd_eta)
    xmin, xmax, ymin, ymax = example.domain
    steps = np.arange(result.grad_norm.size)
    path = result.path if result.path is not None else np.empty((0, 2))  # recorded: never None
    frame = pd.DataFrame(
        {
            "k": steps,
            "x": path[: steps.size, 0],
            "y": path[: steps.size, 1],
            "F": result.loss,
            "gradient_norm": result.grad_norm,
            "best_gradient_norm_so_far": running_min(result.grad_norm),
        }
    )
    inside = bool(
        np.all((path[:, 0] >= xmin) & (path[:, 0] <= xmax))
        and np.all((path[:, 1] >= ymin) & (path[:, 1] <= ymax))
    )
    lipschitz = example.lipschitz_hint
    bound_label = None
    if example.infimum is None or lipschitz is None:
        bound_note = "F is unbounded below, so the convergence theorem does not apply."
    elif not inside:
        bound_note = "The path left the square where L is known, so no bound is drawn."
    elif gd_rule != "constant" or gd_eta > 1 / lipschitz:
        bound_note = f"The rate bound needs a constant step η ≤ 1/L = {1 / lipschitz:.3g}; " + (
            "this run uses Armijo steps." if gd_rule != "constant" else f"here η = {gd_eta:g}."
        )
    else:
        # MATH.md C: with a constant step eta <= 1/L, min_{i<=k} ||grad F(p_i)|| <=
        # sqrt(2 (F_0 - F_inf) / (eta (k+1))), which is the stated bound at eta = 1/L.
        frame["rate_bound"] = descent_rate_bound(
            float(result.loss[0]), example.infimum, 1 / gd_eta, steps
        )
        bound_label = "theorem's bound"
        bound_note = (
            "Dashed: the theorem's bound √(2(F₀−F*)/(η(k+1))) on min ‖∇F(pᵢ)‖ over i ≤ k, "
            f"valid for η ≤ 1/L = {1 / lipschitz:.3g}."
        )
    end_x, end_y = (float(v) for v in result.x)
    where = f"({num(end_x)}, {num(end_y)})"
    rule = RULE_TEXT[result.stopped_by]
    stop_text = "‖∇F‖ ≤ 10⁻¹⁰" if result.stopped_by == "gatol" else rule.symbol
    path_spec = surface_chart(
        gd_surface,
        example.formula,
        title=vl.title(
            f"Descent ends at {where}: {verdict}",
            f"{result.n_steps} steps from ({num(gd_x0)}, {num(gd_y0)}); stopped by {stop_text}.",
        ),
        path=path,
    )
    final = float(result.grad_norm[-1])
    if verdict == "diverged":
        headline = "The iterates diverge: " + explanation.split(":")[0]
    elif verdict == "not yet stationary":
        headline = f"‖∇F‖ = {sci(final)} after {result.n_steps} steps: not yet stationary"
    else:
        headline = f"‖∇F‖ → 0 at a {verdict}: stationary, whatever its kind"
    norm_spec = norm_chart(frame, bound_label, vl.title(headline, bound_note))
    metrics = (
        Metric("steps", f"{result.n_steps}", "Gradient-descent steps taken."),
        Metric("stopped by", stop_text, rule.help),
        Metric("‖∇F‖ at the end", sci(final), "The gradient norm where the run stopped."),
        Metric("end point", verdict, explanation),
    )
    path_chart = Chart(
        "descent_path",
        path_spec,
        f"Descent ends at {where}: {explanation}.",
        frame[["k", "x", "y", "F"]],
    )
    columns = ["k", "gradient_norm", "best_gradient_norm_so_far"]
    if "rate_bound" in frame:
        columns.append("rate_bound")
    norms = Chart(
        "descent_gradient_norms",
        norm_spec,
        "Gradient norm against iteration on a log scale, with the O(1/√k) bound of the "
        "convergence theorem where it applies.",
        frame[columns],
    )
    blocks = (
        Text(THEOREM),
        Columns(((path_chart,), (norms,))),
        Metrics(metrics),
        Text(BACKPROP_CORRECTION, "correction"),
    )
    return PanelView(blocks, facts={"result": result, "verdict": verdict})


def norm_chart(frame: pd.DataFrame, bound_label: str | None, title: dict) -> dict:
    """‖∇F(p_k)‖ and its running minimum against k on a log scale, with MATH.md C's bound
    (column ``rate_bound``) where the theorem applies; exact zeros get ticks, never a log."""
    columns = {"gradient_norm": "‖∇F(p_k)‖", "best_gradient_norm_so_far": "min over i ≤ k"}
    if bound_label is not None:
        columns["rate_bound"] = bound_label
    names = list(columns.values())
    index = vl.plot_indices(len(frame), max_points=NORM_POINTS)
    k = frame["k"].to_numpy()[index]
    rows, zeros = [], []
    for column, name in columns.items():
        values = frame[column].to_numpy()[index]
        positive = (values > 0) & np.isfinite(values)
        rows += vl.rows(k=k[positive], norm=vl.rounded(values[positive], 4), series=name)
        zeros += vl.rows(k=k[values == 0], text="exactly 0")
    dashes = [[1, 0], [4, 2], [6, 3]][: len(names)]
    legend = {
        "orient": "bottom",
        "columns": {"expr": "width < 300 ? 1 : 3"},
        "labelLimit": 160,
        "title": None,
    }
    layers = [
        vl.layer(
            rows,
            {"type": "line", "strokeWidth": 2},
            x=vl.field("k", vl.Q, title="iteration k"),
            y=vl.field(
                "norm", vl.Q, scale={"type": "log"}, title="gradient norm ‖∇F‖", axis=vl.log_axis()
            ),
            color=vl.field("series", vl.N, scale=vl.color_scale(names), legend=legend),
            strokeDash=vl.field(
                "series", vl.N, scale={"domain": names, "range": dashes}, legend=legend
            ),
            tooltip=[
                vl.field("k", vl.Q),
                vl.field("series", vl.N),
                vl.field("norm", vl.Q, format=".3e"),
            ],
        )
    ]
    if zeros:
        layers.append(
            vl.layer(
                zeros,
                {"type": "tick", "color": vl.VERMILION, "thickness": 2},
                x=vl.field("k", vl.Q),
                tooltip=[vl.field("k", vl.Q), vl.field("text", vl.N, title="")],
            )
        )
    return vl.chart(layers, title=title)


PANEL = Panel("descent", "Gradient descent finds stationary points", CONTROLS, view)
