"""What each panel shows, computed from ``vgcore`` (no Streamlit): texts, tables and chart data.

``app.py`` memoises these functions on their plain arguments and only draws their results, so
everything displayed can be tested here against the core.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from vgapp import charts
from vgapp.formatting import caret_to_superscript, sci, sci_from_log10
from vgcore.activations import ACTIVATIONS
from vgcore.chain import ChainReport, chain_report, make_weights
from vgcore.counterexample import (
    CounterexampleReport,
    analyse_counterexample,
    gd_value_trace,
    log10_exact,
)
from vgcore.counterexample import sci as exact_sci
from vgcore.curvature import (
    COORDINATE_LIMIT,
    EXAMPLES,
    PointReport,
    describe_point,
    example_objective,
    gradient_field,
    grid_values,
)
from vgcore.descent import DescentResult, descent_rate_bound, gradient_descent, running_min
from vgcore.precision import float_facts, lost_update_curve, lost_update_threshold, update_is_lost
from vgcore.stopping import RULE_LABELS, StoppingRules

DTYPE_NAMES = ("float16", "float32", "float64")
RULE_NAMES = {
    "eps": "parameter change ≤ ε",
    "gatol": "gradient ≤ threshold",
    "fatol": "value change ≤ 0",
}


def exact_text(value: Fraction | int, digits: int = 3) -> str:
    """An exact number (Fraction or int of any size) in scientific notation for the page; a
    mantissa that is exact is written without trailing zeros (``10⁹⁹⁰⁹``, ``2.5 × 10⁻⁹⁰``)."""
    text = exact_sci(value, digits)
    mantissa, sep, exponent = text.partition(" × 10^")
    if sep:
        trimmed = mantissa.rstrip("0").rstrip(".")
        if Fraction(trimmed.replace("−", "-")) * Fraction(10) ** int(exponent) == value:
            text = f"10^{exponent}" if trimmed == "1" else f"{trimmed} × 10^{exponent}"
    return caret_to_superscript(text)


def decimal_string(mantissa: float, exponent: int) -> str:
    """``mantissa × 10^exponent`` as an exact decimal string (``"1.00e-90"``)."""
    return f"{mantissa:.2f}e{exponent}"


@dataclass(frozen=True)
class Metric:
    """One figure on the page: label, value text and the help shown on hover."""

    label: str
    value: str
    help: str


@dataclass(frozen=True)
class CounterexampleView:
    report: CounterexampleReport
    metrics: tuple[Metric, ...]
    outcomes: pd.DataFrame
    floats: pd.DataFrame
    frame: pd.DataFrame
    chart: dict  # Vega-Lite spec, built once per set of controls
    alt_text: str
    source_numbers: bool


def counterexample_view(
    c_mant: float, c_exp: int, p_mant: float, p_exp: int, eta_exp: int, eps_exp: int, gatol_exp: int
) -> CounterexampleView:
    """The panel "small gradient, far from the optimum" for f_c(x) = max(0, c x) from p."""
    report = analyse_counterexample(
        c=decimal_string(c_mant, c_exp),
        p=decimal_string(p_mant, p_exp),
        eta=f"1e{eta_exp}",
        eps=f"1e{eps_exp}",
        gatol=f"1e{gatol_exp}",
    )
    steps = report.steps_to_minimum
    metrics = (
        Metric("f(p)", exact_text(report.value), "f(p) = c·p: the value at the start p."),
        Metric(
            "f′(p) = c",
            exact_text(report.derivative),
            "The gradient at p: the slope c itself, however far p is from the minimum.",
        ),
        Metric(
            "distance to min",
            exact_text(report.distance_to_minimiser),
            "Distance from p to the minimiser set x ≤ 0: how far gradient descent has to go.",
        ),
        Metric(
            "steps needed",
            exact_text(steps),
            "Steps gradient descent needs to reach x ≤ 0: ceil(p / (η·c)), since every step "
            "moves x by η·c and lowers f by η·c².",
        ),
    )
    outcomes = pd.DataFrame(
        {
            "rule": [RULE_NAMES.get(o.rule, o.rule) for o in report.outcomes],
            "fires at step": [
                "never before the minimum" if o.fires_at_step is None else str(o.fires_at_step)
                for o in report.outcomes
            ],
            "value above the minimum there": [exact_text(o.value_at_stop) for o in report.outcomes],
        }
    )
    floats = pd.DataFrame(
        {
            "precision": [view.dtype for view in report.floats],
            "c": [sci(view.c_in_dtype) for view in report.floats],
            "p": [sci(view.p_in_dtype) for view in report.floats],
            "f(p)": [_float_value_text(view.value_in_dtype) for view in report.floats],
            "what happens": [view.verdict for view in report.floats],
        }
    )
    ks = charts.counterexample_steps(steps)
    values = gd_value_trace(report, ks)
    frame = pd.DataFrame(
        {
            "step k": [exact_sci(k, 6, plain=True) for k in ks],
            "log10_k": [log10_exact(k) if k > 0 else -math.inf for k in ks],
            "f(x_k)": [exact_sci(v, 6, plain=True) for v in values],
            "log10_value": [log10_exact(v) for v in values],
        }
    )
    plotted = frame[frame["log10_k"] > -math.inf]
    plotted = plotted.assign(reached_minimum=np.isneginf(plotted["log10_value"]))
    stop_marks = [
        (0.0, f"{RULE_NAMES[o.rule]} stops here (step 1)")
        for o in report.outcomes
        if o.fires_at_step == 1 and o.rule == "eps"
    ]
    chart = charts.counterexample_chart(
        plotted,
        log10_float64_max=math.log10(float_facts("float64").largest),
        stop_marks=stop_marks,
        steps_text=exact_text(steps),
        value_text=exact_text(report.value),
        gradient_text=exact_text(report.derivative),
        drop_text=exact_text(report.value_drop_per_step),
    )
    source = (c_mant, c_exp, p_mant, p_exp) == (1.0, -90, 1.0, 9999)
    alt_text = (
        f"Gradient descent on max(0, c·x) from p = {exact_text(report.p)}: each step lowers f "
        f"by only η·c² = {exact_text(report.value_drop_per_step)}, so it takes "
        f"{exact_text(steps)} steps to reach the minimum; on the log-k axis f is flat until "
        "the last decade."
    )
    return CounterexampleView(
        report, metrics, outcomes, floats, frame, charts.to_spec(chart), alt_text, source
    )


def _float_value_text(value: float) -> str:
    if math.isnan(value):
        return "undefined: 0 × ∞"
    return sci(value)


@dataclass(frozen=True)
class PrecisionView:
    delta: float
    rows: pd.DataFrame
    lost: bool
    frame: pd.DataFrame
    chart: dict  # Vega-Lite spec, built once per set of controls


def precision_view(w: float, eta: float, grad_exp: int, dtype: str) -> PrecisionView:
    """The panel "floating point eats small updates": is w − η·g == w in each precision?

    The update ``−η·g`` (g > 0) moves ``w`` toward −∞: toward zero for ``w > 0``, so the gap
    that matters is the one below ``|w|`` (a quarter ulp at powers of two)."""
    delta = -eta * 10.0**grad_exp
    rows = []
    for name in DTYPE_NAMES:
        with np.errstate(over="ignore"):
            stored = np.array(w, name)
        if not np.isfinite(stored):
            rows.append(
                {
                    "precision": name,
                    "stored w": "overflows to ∞",
                    "lost if |η·g| <": "—",
                    "update lost?": "—",
                }
            )
            continue
        rows.append(
            {
                "precision": name,
                "stored w": sci(float(stored)),
                "lost if |η·g| <": sci(lost_update_threshold(w, name, direction=-1)),
                "update lost?": "yes: lost" if update_is_lost(w, delta, name) else "no",
            }
        )
    table = pd.DataFrame(rows)
    lost = bool((table.set_index("precision").loc[dtype, "update lost?"]) == "yes: lost")
    toward_zero = w > 0
    curves = {
        name: lost_update_curve(name, -8.0, 6.0, 120, toward_zero=toward_zero)
        for name in DTYPE_NAMES
    }
    frame = charts.lost_update_frame(curves)
    point = (abs(w), abs(delta), lost) if w != 0 else None
    chart = charts.lost_update_chart(curves, point, dtype)
    return PrecisionView(delta, table, lost, frame, charts.to_spec(chart))


@dataclass(frozen=True)
class CurvatureView:
    point: PointReport
    metrics: tuple[Metric, ...]
    chart: dict  # Vega-Lite spec, built once per set of controls
    frame: pd.DataFrame


def _surface_layers(surface: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    xs, ys, values = grid_values(surface, 33)
    return charts.surface_frame(xs, ys, values), charts.field_frame(*gradient_field(surface, 13))


def curvature_view(surface: str, x: float, y: float) -> CurvatureView:
    """The panel "a zero gradient is not an optimum": gradient, Hessian and verdict at a point."""
    example = EXAMPLES[surface]
    point = describe_point(surface, x, y)
    eigenvalues = ", ".join(f"{e:+.3g}".replace("-", "−") for e in point.eigenvalues)
    metrics = (
        Metric("F at the point", sci(point.value), example.formula),
        Metric("‖∇F‖", sci(point.gradient_norm), "Zero at a stationary point."),
        Metric("Hessian eigenvalues", eigenvalues, "Their signs decide the second-order test."),
        Metric("verdict", point.classification, point.explanation),
    )
    surface_frame, field = _surface_layers(surface)
    chart = charts.surface_chart(
        surface_frame,
        field,
        formula=example.formula,
        title=charts.titled(
            f"At ({x:g}, {y:g}): {point.classification}",
            "Arrows point downhill (−∇F); the ◆ is the point you move.",
        ),
        point=(x, y),
    )
    return CurvatureView(point, metrics, charts.to_spec(chart), surface_frame)


@dataclass(frozen=True)
class DescentView:
    result: DescentResult
    verdict: str
    explanation: str
    metrics: tuple[Metric, ...]
    path_chart: dict
    norm_chart: dict
    frame: pd.DataFrame


DESCENT_GATOL = 1e-10
STOP_TEXT = {
    "gatol": "‖∇F‖ ≤ 10⁻¹⁰",
    "max_iter": "the iteration limit",
    "non_finite": "overflow (∞)",
    "stagnation": "no change in floating point",
}


def descent_view(
    surface: str, x0: float, y0: float, rule: str, eta: float, iterations: int
) -> DescentView:
    """The panel "gradient descent finds stationary points": the path and its gradient norms."""
    example = EXAMPLES[surface]
    result = gradient_descent(
        example_objective(surface),
        np.array([x0, y0]),
        step=rule,
        eta=eta,
        rules=StoppingRules(gatol=DESCENT_GATOL, max_iter=iterations),
        record_path=True,
    )
    end_x, end_y = (float(v) for v in result.x)
    xmin, xmax, ymin, ymax = example.domain
    lipschitz = example.lipschitz_hint
    too_long = rule == "constant" and lipschitz is not None and eta > 2 / lipschitz
    if result.stopped_by == "non_finite" or max(abs(end_x), abs(end_y)) > COORDINATE_LIMIT:
        verdict = "diverged"
        reason = (
            "F is unbounded below"
            if example.infimum is None
            else ("the step η exceeds 2/L" if too_long else "the steps grew without bound")
        )
        explanation = f"the iterates grew without bound (last point ({end_x:.3g}, {end_y:.3g})): "
        explanation += reason
    else:
        end = describe_point(surface, end_x, end_y, grad_atol=1e-6)
        verdict, explanation = end.classification, end.explanation
        if not (xmin <= end_x <= xmax and ymin <= end_y <= ymax):
            explanation += " (outside the plotted square)"
    steps = np.arange(result.grad_norm.size)
    frame = pd.DataFrame(
        {
            "k": steps,
            "x": result.path[:, 0],
            "y": result.path[:, 1],
            "F": result.loss,
            "gradient_norm": result.grad_norm,
            "best_gradient_norm": running_min(result.grad_norm),
        }
    )
    inside = bool(
        np.all((result.path[:, 0] >= xmin) & (result.path[:, 0] <= xmax))
        and np.all((result.path[:, 1] >= ymin) & (result.path[:, 1] <= ymax))
    )
    # MATH.md C: with a constant step eta <= 1/L (L: the gradient's Lipschitz constant on the
    # square the path stays in) min_{i<=k} ||grad F(p_i)|| <= sqrt(2 (F_0 - F_inf) / (eta (k+1))),
    # which is sqrt(2 L (F_0 - F_inf) / (k+1)) at eta = 1/L.
    bound_label = None
    if example.infimum is None:
        bound_note = "F is unbounded below, so the convergence theorem does not apply."
    elif not inside:
        bound_note = "The path left the square where L is known, so no bound is drawn."
    elif rule != "constant" or eta > 1 / lipschitz:
        bound_note = f"The rate bound needs a constant step η ≤ 1/L = {1 / lipschitz:.3g}; " + (
            "this run uses Armijo steps." if rule != "constant" else f"here η = {eta:g}."
        )
    else:
        frame["bound"] = descent_rate_bound(float(result.loss[0]), example.infimum, 1 / eta, steps)
        bound_label = f"bound √(2(F₀−F*)/(η(k+1))), valid for η ≤ 1/L = {1 / lipschitz:.3g}"
        bound_note = "The dashed line is the theorem's bound on min ‖∇F(pᵢ)‖ over i ≤ k."
    surface_frame, field = _surface_layers(surface)
    where = f"({end_x:.3g}, {end_y:.3g})"
    stop_text = STOP_TEXT.get(result.stopped_by, result.stopped_by)
    path_chart = charts.surface_chart(
        surface_frame,
        field,
        formula=example.formula,
        title=charts.titled(
            f"Descent stops at {where}: {verdict}",
            f"{result.n_steps} steps from ({x0:g}, {y0:g}); stopped by {stop_text}.",
        ),
        path=result.path,
    )
    final = float(result.grad_norm[-1])
    if verdict == "diverged":
        headline = "The iterates diverge: there is no stationary point to converge to here"
    elif final <= DESCENT_GATOL:
        headline = "‖∇F‖ → 0: a stationary point, whatever its kind"
    else:
        headline = f"‖∇F‖ = {sci(final)} after {result.n_steps} steps: not yet stationary"
    norm_chart = charts.gradient_norm_chart(frame, bound_label, charts.titled(headline, bound_note))
    metrics = (
        Metric("steps", f"{result.n_steps}", "Gradient-descent steps taken."),
        Metric("stopped by", stop_text, RULE_LABELS.get(result.stopped_by, "")),
        Metric("‖∇F‖ at the end", sci(final), "The gradient norm where the run stopped."),
        Metric("end point", verdict, explanation),
    )
    return DescentView(
        result,
        verdict,
        explanation,
        metrics,
        charts.to_spec(path_chart),
        charts.to_spec(norm_chart),
        frame,
    )


@dataclass(frozen=True)
class ChainView:
    report: ChainReport
    metrics: tuple[Metric, ...]
    frame: pd.DataFrame
    chart: dict  # Vega-Lite spec, built once per set of controls
    alt_text: str


def chain_arguments(values: Mapping[str, Any]) -> tuple:
    """``chain_view``'s arguments from the control values, with the weight controls that do not
    apply set to None (so that the memo does not recompute when only those change)."""
    constant = values["w_mode"] == "constant"
    return (
        values["depth"],
        values["activation"],
        values["w_mode"],
        values["w"] if constant else None,
        None if constant else values["w_mean"],
        None if constant else values["w_spread"],
        None if constant else values["seed"],
        values["quantity"],
    )


def chain_weights(
    depth: int, w_mode: str, w: float, w_mean: float, w_spread: float, seed: int
) -> np.ndarray:
    """The chain's weights from the controls: all equal ``w``, or normal(mean, spread)."""
    if w_mode == "constant":
        return make_weights(depth, "constant", w=w)
    return make_weights(depth, "normal", mean=w_mean, spread=w_spread, seed=seed)


def chain_view(
    depth: int,
    activation: str,
    w_mode: str,
    w: float,
    w_mean: float,
    w_spread: float,
    seed: int,
    quantity: str,
) -> ChainView:
    """The panel "the deep sigmoid chain": |dF/dw_k| or |dF/do_k| per layer, exact and per dtype."""
    report = chain_report(chain_weights(depth, w_mode, w, w_mean, w_spread, seed), activation)
    split = report.decomposition
    exact = report.log10_abs_gradient if quantity == "weight" else report.log10_abs_backprop
    values = report.gradients if quantity == "weight" else report.backprops
    layers = np.arange(1, depth + 1)
    act_symbol = {"sigmoid": "σ′", "tanh": "tanh′", "relu": "relu′"}.get(activation, "act′")
    sharp_bound = ACTIVATIONS[activation].derivative_bound < 1
    guides = {
        "log10_bound": split.log10_suffix_bound,
        "log10_weight_product": split.log10_abs_weight_suffix,
        "log10_derivative_product": split.log10_derivative_suffix,
    }
    guide_labels = {
        "log10_bound": f"bound {_bound_text(report)}·Π|wᵢ| on |dF/do_k|",
        "log10_weight_product": "Π|wᵢ| (i > k)",
        "log10_derivative_product": f"Π {act_symbol}(zᵢ) (i > k)",
    }
    if not sharp_bound:  # with sup|act'| = 1 the bound is Π|w_i| itself: draw it once
        del guides["log10_bound"], guide_labels["log10_bound"]
    wide, lines, bands = charts.chain_frames(layers, exact, dict(values), guides)
    first = float(report.log10_abs_gradient[0])
    metrics = [
        Metric(
            "|dF/dw₁| exact",
            sci_from_log10(first),
            "Computed in log space, so it never underflows: Π w_i · Π act'(z_i) over layers 2..L.",
        )
    ]
    for name in DTYPE_NAMES:
        zero_from = report.underflow_depths[name]
        g1 = float(report.gradients[name][0])
        metrics.append(
            Metric(
                f"in {name}",
                sci(g1),
                f"The same gradient computed entirely in {name}. "
                + (
                    f"With these weights it is first exactly 0 at depth L = {zero_from}."
                    if zero_from is not None
                    else "It is not exactly 0 at any depth up to L."
                ),
            )
        )
    symbol = charts.QUANTITY_SYMBOLS[quantity]
    zero_text = ", ".join(
        f"{name} at L = {report.underflow_depths[name]}"
        for name in DTYPE_NAMES
        if report.underflow_depths[name] is not None
    )
    if first == -math.inf:
        headline = "dF/dw₁ = 0 exactly: a zero factor (zero weight or dead ReLU) cuts the chain"
    elif first < -1:
        headline = f"|dF/dw₁| = {sci_from_log10(first)}: vanishing"
    elif first > 1:
        headline = f"|dF/dw₁| = {sci_from_log10(first)}: exploding"
    else:
        headline = f"|dF/dw₁| = {sci_from_log10(first)} after {depth} layers"
    title = charts.titled(
        headline,
        f"dF/dw₁ is first exactly 0 in {zero_text}."
        if zero_text
        else "No precision flushes dF/dw₁ to 0 at any depth up to L.",
    )
    chart = charts.chain_chart(
        lines, bands, depth=depth, quantity=quantity, title=title, guide_labels=guide_labels
    )
    alt_text = (
        f"{symbol} per layer for a {depth}-layer {ACTIVATIONS[activation].label} chain: exact "
        "value and float16, "
        f"float32, float64; bands mark layers where a precision computed exactly 0 or overflowed. "
        + (f"dF/dw₁ is first exactly 0 in {zero_text}." if zero_text else "")
    )
    return ChainView(report, tuple(metrics), wide, chart, alt_text)


def _bound_text(report: ChainReport) -> str:
    bound = ACTIVATIONS[report.activation].derivative_bound
    return "4^−(L−k)" if bound == 0.25 else f"{bound:g}^(L−k)"
