"""Step 1 of the argument: a zero gradient is not an optimum (MATH.md A).

The gradient, the Hessian and the second-order verdict at a point the visitor moves, on the
built-in functions of two parameters; one of them (``every_kind``) has a maximum, a minimum,
saddles and points the test cannot decide, all on the sliders' grid.
"""

from __future__ import annotations

import numpy as np

from vgapp import vegalite as vl
from vgapp.blocks import Chart, Columns, Fold, Metric, Metrics, PanelView, Text
from vgapp.controls import Number
from vgapp.formatting import num, plain, sci, signed
from vgapp.layout import Panel
from vgapp.panels.surface import surface_chart, surface_control, surface_layers
from vgapp.words import LINE_TEXT, SURFACE_FORMULAS, VERDICT_TEXT
from vgcore.curvature import EXAMPLES, PointReport, describe_point

CONTROLS = (
    surface_control(
        "surface",
        "A built-in function of two parameters. x⁵/5 − x³/3 + y³/3 − y has every kind of "
        "stationary point: a maximum at (−1, −1), a minimum at (1, 1), saddles at (1, −1) and "
        "(−1, 1), and undecided points at (0, ±1).",
    ),
    Number(
        "pt_x", "Point: first coordinate", 0.0, -2.0, 2.0, 0.05,
        "Move the point (in steps of 0.05, which reach every stationary point listed).",
    ),
    Number(
        "pt_y", "Point: second coordinate", 0.0, -2.0, 2.0, 0.05,
        "Move the point (in steps of 0.05, which reach every stationary point listed).",
    ),
)  # fmt: skip

TEST_TEXT = (
    "In one variable: F′(p) = 0 and F″(p) ≠ 0 make p a strict local extremum, a minimum when "
    "F″(p) > 0 and a maximum when F″(p) < 0; F″(p) = 0 decides nothing (x⁴ has a minimum at 0, "
    "x³ none). In several, at a point with ∇F = 0 the Hessian decides: positive definite, a "
    "strict local minimum; negative definite, a strict local maximum; indefinite, a saddle; "
    "singular and semidefinite, the test says nothing."
)
PLAIN_TEST = (
    "Where the gradient is 0: if the surface curves up in every direction, the point is a "
    "minimum; down in every direction, a maximum; up in one and down in another, a saddle; "
    "and where it is flat in some direction the test can say nothing."
)
CORRECTION = (
    "A correction to the source: it says a local optimum has a *definite* Hessian. At a local "
    "minimum the Hessian need only be positive **semi**definite; positive definite is the "
    "sufficient condition, read backwards there. x⁴ has a minimum and x³ none, both with F″ = 0."
)


def eigen_text(values: np.ndarray) -> str:
    """Eigenvalues as ``+2 and −2`` (a zero is written 0, never −0)."""
    return " and ".join(
        "0" if v == 0 else ("+" if v > 0 else "") + (num(v) if abs(v) < 1e3 else sci(v))
        for v in (float(e) for e in values)
    )


def explain_point(point: PointReport) -> str:
    """The verdict at a point in one line (no capital, no full stop), from its facts."""
    eig = " and ".join(signed(float(e)) for e in point.eigenvalues)
    norm = point.gradient_norm
    if point.classification == "not stationary":
        return (
            f"the gradient norm is {plain(norm)}, not 0: not a stationary point, a gradient "
            f"step still moves it (Hessian eigenvalues {eig})"
        )
    zero = (
        "the gradient is zero"
        if norm == 0
        else f"the gradient is zero to rounding (‖∇F‖ = {plain(norm)} ≤ {plain(point.grad_atol)})"
    )
    joint = " but " if point.classification in ("saddle", "inconclusive") else " and "
    text = zero + joint + VERDICT_TEXT[point.classification].format(eig=eig)
    if point.in_fact == "minimum":
        infimum = EXAMPLES[point.example_key].infimum
        text += f" (in fact a minimum: F = {infimum:g} here, the least value F takes anywhere)"
    elif point.in_fact == "no_extremum" and point.sign_change_line is not None:
        line = LINE_TEXT[point.sign_change_line]
        text += (
            f" (in fact not an extremum: {line}, F is higher on one side and lower on the other)"
        )
    return text


def view(*, surface: str, pt_x: float, pt_y: float) -> PanelView:
    """Gradient, Hessian and the second-order verdict at (pt_x, pt_y)."""
    point = describe_point(surface, pt_x, pt_y)
    explanation = explain_point(point)
    metrics = (
        Metric("F at the point", sci(point.value), SURFACE_FORMULAS[surface]),
        Metric("‖∇F‖", sci(point.gradient_norm), "Zero at a stationary point."),
        Metric(
            "Hessian eigenvalues",
            eigen_text(point.eigenvalues),
            "The curvatures along the Hessian's two main directions: their signs decide the "
            "second-order test.",
        ),
        Metric("verdict", point.classification, explanation),
    )
    spec = surface_chart(
        surface,
        SURFACE_FORMULAS[surface],
        title=vl.title(
            f"At ({num(pt_x + 0.0)}, {num(pt_y + 0.0)}): {point.classification}",
            "Arrows point downhill (−∇F); the ◆ is the point you move.",
        ),
        point=(pt_x, pt_y),
    )
    cells, _ = surface_layers(surface)
    alt = explanation[:1].upper() + explanation[1:] + "."
    chart = Chart("hessian_surface", spec, alt, cells)
    right = (Metrics(metrics[:2]), Metrics(metrics[2:3]), Metrics(metrics[3:]))
    blocks = (
        Text(PLAIN_TEST),
        Fold("More: the second-order test, exactly", (Text(TEST_TEXT),)),
        Columns(((chart,), (*right, Text(CORRECTION, "correction"))), (1, 1)),
    )
    return PanelView(blocks, facts={"point": point})


PANEL = Panel("curvature", "A zero gradient is not an optimum", CONTROLS, view)
