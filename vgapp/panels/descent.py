"""Step 2 of the argument: gradient descent converges to stationary points (MATH.md C).

The path on a built-in function and its gradient norms against MATH.md C's rate bound. A point
is named only when the run is stationary to the precision it reached (‖∇F‖ ≤ 10⁻¹⁰), and then
by the exact stationary set it reached (``vgcore.curvature.nearest_stationary``), never by a
Hessian test at a point that is merely close to one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vgapp import vegalite as vl
from vgapp.blocks import Chart, Columns, Fold, Metric, Metrics, PanelView, Text
from vgapp.controls import Choice, Number
from vgapp.formatting import article, count, num, sci
from vgapp.layout import Panel
from vgapp.panels.descent_chart import norm_chart
from vgapp.panels.surface import surface_chart, surface_control
from vgapp.words import ORIGIN_TEXT, PLACE_TEXT, POINT_TEXT, RULE_TEXT, SURFACE_FORMULAS
from vgcore.curvature import (
    COORDINATE_LIMIT,
    EXAMPLES,
    StationarySet,
    example_objective,
    nearest_stationary,
    step_versus_limit,
)
from vgcore.descent import (
    Cycle,
    DescentResult,
    descent_rate_bound,
    find_cycle,
    gradient_descent,
    running_min,
)
from vgcore.stopping import StoppingRules

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
THEOREM = (
    "If F is bounded below and its gradient L-Lipschitz (it changes by at most L times the "
    "distance moved: L bounds the curvature), gradient descent with a constant step "
    "0 < η < 2/L, or Armijo steps, makes ‖∇F‖ → 0: every limit point is stationary, a "
    "minimum, a saddle or even a maximum. The method cannot tell them apart. The bound "
    "η < 2/L is strict: on x² + y² (L = 2) the step η = 1 sends (x, y) to (−x, −y), so from "
    "any start but the origin the iterates oscillate forever."
)
BACKPROP_CORRECTION = (
    "A correction to the source: it says performing backpropagation *is* gradient descent. "
    "Backpropagation computes the gradient ∇F (the chain rule, layer by layer); gradient "
    "descent is what then uses it, x ← x − η·∇F."
)
EPSILON_CORRECTION = (
    "A correction to the source: it says the algorithm converges to some point if "
    "‖∇F(p)‖ ≤ ε, machine epsilon. What rounding loses is the update η·∇F, not the gradient: "
    "a coordinate xᵢ stays put when |η·∂F/∂xᵢ| is below half the gap from xᵢ to the next "
    "float (about ε·|xᵢ|/2), which depends on η and on |xᵢ|, not on ‖∇F‖ alone. And a point "
    "where every update is lost need not be stationary, let alone a minimum."
)
KIND_TEXT = {
    "minimum": "a minimum",
    "maximum": "a maximum, not a minimum",
    "saddle": "a saddle, not a minimum",
    "inflection": "an inflection point, not an extremum",
}


def stationary_text(surface: str, reached: StationarySet) -> str:
    """The stationary set ``reached`` of the example ``surface`` in words."""
    if reached.place in PLACE_TEXT:
        return PLACE_TEXT[reached.place]
    if reached.point is None:
        return f"{ORIGIN_TEXT[surface]} at the origin"
    sx, sy = reached.point
    return f"{POINT_TEXT[reached.kind]} at " + f"({sx:g}, {sy:g})".replace("-", "−")


def _digits_apart(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` with the fewest significant digits (at least 3) that tell them apart."""
    for digits in range(3, 18):
        left, right = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if left != right:
            return left, right
    return left, right


def step_relation(surface: str, eta: float, numerator: int) -> tuple[int, str]:
    """η against c/L, decided exactly: (sign of η − c/L, the sentence that says it)."""
    sign, limit, gap = step_versus_limit(surface, eta, numerator)
    name = f"{numerator}/L"
    if sign == 0:
        return 0, f"η = {name} = {limit:g} exactly"
    left, right = _digits_apart(eta, limit)
    word = "exceeds" if sign > 0 else "is below"
    text = f"η = {left} {word} {name} = {right}"
    if left == right:  # the float η and the float c/L coincide; the exact c/L does not
        text += f" (by {sci(abs(gap))})"
    return sign, text


def lipschitz_text(surface: str) -> str:
    return (
        f"L = {EXAMPLES[surface].lipschitz_hint:.3g}, the largest curvature on the plotted square"
    )


def path_inside(surface: str, path: np.ndarray) -> bool:
    """Whether every iterate lies in the example's plotted square (where L is known)."""
    xmin, xmax, ymin, ymax = EXAMPLES[surface].domain
    return bool(
        np.all((path[:, 0] >= xmin) & (path[:, 0] <= xmax))
        and np.all((path[:, 1] >= ymin) & (path[:, 1] <= ymax))
    )


@dataclass(frozen=True)
class Ending:
    """How a run ended, in the page's words."""

    verdict: str
    """The "end point" metric: diverged, minimum/maximum/saddle/inflection, oscillates, stuck
    or not yet stationary."""
    explanation: str
    headline: str
    cycle: Cycle | None = None
    cycle_reason: str = ""


def classify_end(surface: str, result: DescentResult, rule: str, eta: float) -> Ending:
    """The end of the run: "diverged" with its cause; the exact stationary set it reached
    when ‖∇F‖ ≤ 10⁻¹⁰; a cycle when an iterate repeats exactly (period 1: stuck); otherwise
    "not yet stationary"."""
    example = EXAMPLES[surface]
    end_x, end_y = (float(v) for v in result.x)
    final = float(result.grad_norm[-1]) if result.grad_norm.size else math.inf
    steps = count(result.n_steps, "step")
    if (
        result.stopped_by == "non_finite"
        or not math.isfinite(final)
        or max(abs(end_x), abs(end_y)) > COORDINATE_LIMIT
    ):
        short, cause = divergence_cause(surface, result, rule, eta)
        return Ending("diverged", cause, f"The iterates diverge: {short}")
    if final <= DESCENT_GATOL:
        reached = nearest_stationary(surface, end_x, end_y)
        kind = reached.kind
        where = stationary_text(surface, reached)
        text = f"stationary to ‖∇F‖ ≤ 10⁻¹⁰ at {where}: {KIND_TEXT[kind]}"
        if kind != "minimum":
            text += ", though the gradient is " + ("exactly 0" if final == 0 else "below 10⁻¹⁰")
        if example.key == "two_weight_net" and kind == "minimum":
            text += " (none strict: the Hessian there is singular, so the test alone says nothing)"
        headline = (
            f"‖∇F‖ ≤ 10⁻¹⁰ at {article(kind)} {kind} after {steps}: stationary, whatever its kind"
        )
        return Ending(kind, text, headline)
    path = result.path if result.path is not None else np.empty((0, 2))
    cycle = find_cycle(path)
    if cycle is not None and cycle.period == 1:
        if rule == "armijo" and result.step_size.size and result.step_size[-1] == 0:
            why = "Armijo backtracking accepted no step (no trial step lowered F enough)"
            short = "no Armijo step is accepted"
        else:
            why = (
                "every update η·∇F is lost in rounding (each coordinate's change is below half "
                "the gap to the next float)"
            )
            short = "every update is lost in rounding"
        text = f"stuck at step {cycle.start} with ‖∇F‖ = {point_text(final)}, not stationary: {why}"
        return Ending("stuck", text, f"Stuck after {steps} at ‖∇F‖ = {point_text(final)}: {short}")
    if cycle is not None:
        reason, short = cycle_reason(surface, rule, eta, path_inside(surface, path))
        back = cycle.start + cycle.period
        text = (
            f"the point of step {back} equals that of step {cycle.start} exactly, so the iterates "
            f"cycle through {count(cycle.period, 'point')} forever and never become stationary "
            f"(‖∇F‖ = {point_text(final)} at the last step): {reason}"
        )
        headline = (
            f"The iterates oscillate with period {cycle.period} from step {cycle.start}, "
            f"forever: {short}"
        )
        return Ending("oscillates", text, headline, cycle, reason)
    near = ""
    if result.n_steps:
        reached = nearest_stationary(surface, end_x, end_y)
        if reached.distance < 0.1:
            where = stationary_text(surface, reached)
            near = f"; it is {point_text(reached.distance)} from {where}"
    return Ending(
        "not yet stationary",
        f"‖∇F‖ = {point_text(final)} after {steps}{near}",
        f"‖∇F‖ = {point_text(final)} after {steps}: not yet stationary",
    )


def cycle_reason(surface: str, rule: str, eta: float, inside: bool) -> tuple[str, str]:
    """Why a run can cycle: (sentence, short form for the headline)."""
    if rule == "constant":
        sign, relation = step_relation(surface, eta, 2)
        if sign >= 0:
            return (
                f"{relation} ({lipschitz_text(surface)}), and the theorem needs η < 2/L",
                "η ≥ 2/L here",
            )
        if not inside:
            return (
                f"{relation}, but the iterates leave the plotted square, where L is known",
                "the iterates leave the square where L is known",
            )
        return (
            f"{relation}, so in exact arithmetic F would fall at every step: the cycle comes "
            "from rounding",
            "a cycle made by rounding",
        )
    return (
        "Armijo steps lower F at every accepted step in exact arithmetic: the cycle comes from "
        "rounding",
        "a cycle made by rounding",
    )


def divergence_cause(surface: str, result: DescentResult, rule: str, eta: float) -> tuple[str, str]:
    """Why the iterates grew without bound, read off the run, as (short, full): F fell and F is
    unbounded below; or F grew, with a step beyond 2/L or too long where the iterates went."""
    example = EXAMPLES[surface]
    finite = result.loss[np.isfinite(result.loss)]
    first, last = (float(finite[0]), float(finite[-1])) if finite.size else (math.nan, math.nan)
    change = f"from {sci(first)} to {sci(last)}"
    if last < first and example.infimum is None:
        return (
            "F is unbounded below",
            f"F is unbounded below and fell {change}: the iterates run downhill without end",
        )
    if last > first:
        sign, relation = step_relation(surface, eta, 2)
        if rule == "constant" and sign > 0:
            tail = ", although a minimum exists" if example.infimum is not None else ""
            return (
                "each step overshoots",
                f"{relation} ({lipschitz_text(surface)}): each step overshoots and F grew "
                f"{change}{tail}",
            )
        return (
            "F grew",
            f"F grew {change}: the step η = {eta:g} is too long for the curvature where the "
            "iterates went",
        )
    return (
        "the iterates ran off",
        f"the iterates left every bound (a coordinate beyond {COORDINATE_LIMIT:g}, or an "
        f"overflow) while F went {change}",
    )


def bound_status(surface: str, rule: str, eta: float, inside: bool) -> tuple[bool, str]:
    """Whether MATH.md C's rate bound holds for this run, and the sentence that says so."""
    example = EXAMPLES[surface]
    if example.infimum is None:
        return False, "F is unbounded below, so the convergence theorem does not apply."
    if not inside:
        return (
            False,
            "Part of the path leaves the plotted square, the only region where L is known: no "
            "bound is drawn.",
        )
    if rule != "constant":
        limit = 1 / example.lipschitz_hint
        return (
            False,
            f"The rate bound needs a constant step η ≤ 1/L = {limit:.3g}; this run uses Armijo "
            "steps.",
        )
    sign, relation = step_relation(surface, eta, 1)
    if sign > 0:
        return False, f"The rate bound needs a constant step η ≤ 1/L; here {relation}."
    return True, (
        "Dashed: the theorem's bound √(2(F₀−F*)/(η(k+1))) on min ‖∇F(pᵢ)‖ over i ≤ k "
        f"(F* = {example.infimum:g}), valid for a constant step η ≤ 1/L; here "
        f"{relation.replace(' is below', ' ≤').replace(' exactly', '')}."
    )


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
    ending = classify_end(gd_surface, result, gd_rule, gd_eta)
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
    drawn, bound_note = bound_status(gd_surface, gd_rule, gd_eta, path_inside(gd_surface, path))
    bound_label = None
    if drawn:
        # MATH.md C: with a constant step eta <= 1/L, min_{i<=k} ||grad F(p_i)|| <=
        # sqrt(2 (F_0 - F_inf) / (eta (k+1))), which is the stated bound at eta = 1/L.
        assert example.infimum is not None
        frame["rate_bound"] = descent_rate_bound(
            float(result.loss[0]), example.infimum, 1 / gd_eta, steps
        )
        bound_label = "theorem's bound"
    end_x, end_y = (float(v) for v in result.x)
    where = f"({point_text(end_x)}, {point_text(end_y)})"
    rule = RULE_TEXT[result.stopped_by]
    stop_text = "‖∇F‖ ≤ 10⁻¹⁰" if result.stopped_by == "gatol" else rule.symbol
    subtitle = (
        f"{count(result.n_steps, 'step')} from ({point_text(gd_x0)}, {point_text(gd_y0)}); "
        f"stopped by {stop_text}."
    )
    cycle = ending.cycle
    if cycle is not None:
        title = (
            f"Descent never settles: it cycles with period {cycle.period} from step {cycle.start}"
        )
        subtitle += (
            f" From step {cycle.start} on, the iterates repeat exactly every "
            f"{count(cycle.period, 'step')}: {ending.cycle_reason}."
        )
        alt = f"Descent oscillates: {ending.explanation}."
        verdict_value = f"oscillates, period {cycle.period}"
    else:
        title = f"Descent ends at {where}: {ending.verdict}"
        alt = f"Descent ends at {where}: {ending.explanation}."
        verdict_value = ending.verdict
    path_spec = surface_chart(
        gd_surface, SURFACE_FORMULAS[gd_surface], title=vl.title(title, subtitle), path=path
    )
    final = float(result.grad_norm[-1])
    norm_spec = norm_chart(frame, bound_label, vl.title(ending.headline, bound_note))
    metrics = (
        Metric("steps", f"{result.n_steps:,}", "Gradient-descent steps taken."),
        Metric("stopped by", stop_text, rule.help),
        Metric("‖∇F‖ at the end", sci(final), "The gradient norm where the run stopped."),
        Metric("end point", verdict_value, ending.explanation),
    )
    path_chart = Chart("descent_path", path_spec, alt, frame[["k", "x", "y", "F"]])
    columns = ["k", "gradient_norm", "best_gradient_norm_so_far"]
    if drawn:
        columns.append("rate_bound")
        norm_alt = (
            "Gradient norm against iteration on a log scale, with the O(1/√k) bound of the "
            "convergence theorem, which holds for this run."
        )
    else:
        norm_alt = (
            "Gradient norm against iteration on a log scale; the O(1/√k) bound of the "
            f"convergence theorem is not drawn: {bound_note}"
        )
    norms = Chart("descent_gradient_norms", norm_spec, norm_alt, frame[columns])
    blocks = (
        Fold("More: the convergence theorem, exactly", (Text(THEOREM),)),
        Columns(((path_chart,), (norms,))),
        Metrics(metrics),
        Text(EPSILON_CORRECTION, "correction"),
        Text(BACKPROP_CORRECTION, "correction"),
    )
    return PanelView(blocks, facts={"result": result, "verdict": ending.verdict, "ending": ending})


def point_text(value: float) -> str:
    """A number for a sentence, three significant digits (never −0): plain in [10⁻³, 10³),
    else scientific (``num`` writes 2800 as "2.8e+03")."""
    value += 0.0
    return num(value) if value == 0 or 1e-3 <= abs(value) < 1e3 else sci(value)


PANEL = Panel("descent", "Gradient descent finds stationary points", CONTROLS, view)
