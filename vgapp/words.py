"""The page's words for the core's keys: activations, initialisations, stop reasons and the
second-order verdicts. vgcore returns keys and numbers; every page module looks their wording
up here, so a new key needs one row here and no other wording table."""

from __future__ import annotations

from dataclasses import dataclass

from vgcore.stopping import ALL_HELD


@dataclass(frozen=True)
class ActivationWords:
    """How the page names one activation (a key of ``vgcore.activations.ACTIVATIONS``)."""

    label: str
    """In controls and sentences: ``"leaky ReLU"``."""
    derivative: str
    """The chain's symbol for act′ (``"σ′"``; ``"act′"`` where the chain writes no name)."""
    formula: str
    """The chain's layer ``oᵢ`` in words: ``"σ(wᵢ·oᵢ₋₁)"``."""
    chain_caption: str
    """What act′ does to the chain's gradient, one sentence in plain words."""
    saturation_axis: str
    """The lab's saturation chart axis: what a saturated unit-sample is."""
    saturated: str
    """The lab's adjective for a saturated unit-sample: ``"saturated"``, ``"inactive"``."""


ACTIVATION_WORDS: dict[str, ActivationWords] = {
    "sigmoid": ActivationWords(
        "sigmoid",
        "σ′",
        "σ(wᵢ·oᵢ₋₁)",
        "σ′ ≤ 1/4, so every layer with |wᵢ| ≤ 1 shrinks the gradient at least 4×.",
        "share of unit-samples with σ′(z) < 1% of ¼",
        "saturated",
    ),
    "tanh": ActivationWords(
        "tanh",
        "tanh′",
        "tanh(wᵢ·oᵢ₋₁)",
        "tanh′ ≤ 1, so with |wᵢ| ≤ 1 no layer makes the gradient grow, and every layer whose "
        "input zᵢ is away from 0 shrinks it.",
        "share of unit-samples with tanh′(z) < 1% of 1",
        "saturated",
    ),
    "relu": ActivationWords(
        "ReLU",
        "ReLU′",
        "ReLU(wᵢ·oᵢ₋₁)",
        "ReLU′ is 1 or 0, so the gradient is the product of the weights while every unit is "
        "active, and exactly 0 once one unit is dead (its input is 0 or less): a zero "
        "gradient, not a vanishing one.",
        "share of unit-samples with ReLU′(z) = 0 (inactive)",
        "inactive",
    ),
    "leaky_relu": ActivationWords(
        "leaky ReLU",
        "act′",
        "leaky ReLU(wᵢ·oᵢ₋₁)",
        "leaky ReLU′ is 1 or 0.01, so each inactive unit (input 0 or less) divides the "
        "gradient by 100.",
        "share of unit-samples on the 0.01 slope",
        "on the 0.01 slope",
    ),
}
"""The activations the page offers, in the order of its controls."""

ACTIVATION_LABELS: dict[str, str] = {key: words.label for key, words in ACTIVATION_WORDS.items()}
SATURATION_AXIS: dict[str, str] = {
    key: words.saturation_axis for key, words in ACTIVATION_WORDS.items()
}
SATURATED_WORD: dict[str, str] = {key: words.saturated for key, words in ACTIVATION_WORDS.items()}

INIT_LABELS: dict[str, str] = {
    "standard": "standard U[±1/√n_in]",
    "xavier": "Xavier (normalized)",
    "he": "He N(0, 2/n_in)",
    "custom": "custom N(0, s²)",
}
"""The initialisation schemes (``vgcore.mlp_params.INIT_SCHEMES``) in the lab's control."""
INIT_SHORT: dict[str, str] = {
    "standard": "standard",
    "xavier": "Xavier",
    "he": "He",
    "custom": "custom",
}
"""The same schemes in a run's one-line description."""


@dataclass(frozen=True)
class RuleText:
    """How the page names one stop reason (a key of ``RULE_TEXT``)."""

    symbol: str
    """Short, for chart legends and table cells: ``"‖Δx‖ ≤ ε"``, ``"step limit"``."""
    phrase: str
    """A noun phrase that reads after "stopped by": ``"the parameter-change rule"``."""
    help: str
    """One sentence stating the test exactly, as ``vgcore.stopping`` implements it."""


RULE_TEXT: dict[str, RuleText] = {
    "eps": RuleText(
        "‖Δx‖ ≤ ε",
        "the parameter-change rule",
        "Stops at step k ≥ 1 when ‖x_k − x_{k−1}‖₂ ≤ ε, the change actually applied to all "
        "the parameters in the working precision.",
    ),
    "gatol": RuleText(
        "‖∇F‖ ≤ tol",
        "the gradient-norm rule",
        "Stops at step k ≥ 0 when ‖∇F(x_k)‖₂ ≤ tol, checked at x_k before the step from it, so "
        "it can stop before the first step.",
    ),
    "gttol": RuleText(
        "‖∇F‖/‖∇F₀‖ ≤ tol",
        "the relative-gradient rule",
        "Stops at step k ≥ 0 when ‖∇F(x_k)‖₂ / ‖∇F(x_0)‖₂ ≤ tol, the ratio taken as 0 when "
        "∇F(x_k) = 0 and as ∞ when ∇F(x_0) = 0 ≠ ∇F(x_k).",
    ),
    "fatol": RuleText(
        "|ΔF| ≤ tol",
        "the loss-change rule",
        "Stops at step k ≥ 1 when |F(x_k) − F(x_{k−1})| ≤ tol.",
    ),
    "frtol": RuleText(
        "|ΔF| ≤ tol·|F_{k−1}|",
        "the relative loss-change rule",
        "Stops at step k ≥ 1 when |F(x_k) − F(x_{k−1})| ≤ tol · max(|F(x_{k−1})|, 2.2 × 10⁻³⁰⁸): "
        "relative to the previous loss, with the smallest normal float64 standing in for a "
        "previous loss of 0.",
    ),
    "stagnation": RuleText(
        "stagnation",
        "stagnation (no weight changed)",
        "Stops at step k ≥ 1 when x_k == x_{k−1} exactly: the step changed no parameter, "
        "because every update t·g_i was lost in floating point (below half the gap from x_i "
        "to the next float), "
        "because the gradient is exactly zero, or because backtracking accepted no step.",
    ),
    "max_iter": RuleText(
        "step limit",
        "the step limit",
        "Stops at step k = max_iter, when that many steps have been taken; always on.",
    ),
    "non_finite": RuleText(
        "overflow",
        "overflow (loss or gradient not finite)",
        "Stops at the first k where the loss, the gradient, the iterate or one of their norms "
        "is ∞ or NaN; the trace ends at the last finite iterate.",
    ),
    ALL_HELD: RuleText(
        "all rules at once",
        "all enabled rules at once",
        'With combine = "all": stops at the first k where every enabled rule other than the '
        "step limit holds at the same iterate.",
    ),
}
"""Every stop reason of ``vgcore.stopping``: the keys of ``RULE_NAMES`` and ``ALL_HELD``."""

VERDICT_TEXT: dict[str, str] = {
    "minimum": "the Hessian's eigenvalues {eig} are both positive: a strict local minimum",
    "maximum": "the Hessian's eigenvalues {eig} are both negative: a strict local maximum",
    "saddle": "the Hessian has eigenvalues {eig} of both signs: a saddle, neither a minimum nor "
    "a maximum",
    "inconclusive": "the Hessian is singular and semidefinite (eigenvalues {eig}: at least one "
    "is 0, a flat direction, and none has the opposite sign): the second-order test says "
    "nothing",
}
"""The second-order verdicts of ``vgcore.curvature.classify_stationary_point``; ``{eig}``
stands for the eigenvalues."""

LINE_TEXT: dict[str, str] = {
    "first": "along the first coordinate",
    "second": "along the second coordinate",
    "diagonal": "along the diagonal",
    "other_diagonal": "along the other diagonal",
}
"""The lines of ``vgcore.curvature.LINES`` along which F changes sign."""

PLACE_TEXT: dict[str, str] = {
    "valley": "the valley ab = 1 of global minima",
    "line": "the line x = 0 of inflection points",
}
"""The stationary sets of ``vgcore.curvature.nearest_stationary`` that are not one point."""
ORIGIN_TEXT: dict[str, str] = {
    "two_weight_net": "the saddle",
    "bowl": "the minimum",
    "quartic": "the flat minimum",
    "saddle": "the saddle",
    "monkey": "the monkey saddle",
}
"""What the stationary point at the origin of each example is called."""
POINT_TEXT: dict[str, str] = {
    "minimum": "the local minimum",
    "maximum": "the local maximum",
    "saddle": "the saddle",
    "inflection": "the flat point",
}
"""A stationary point away from the origin (the example with every kind), by its kind."""

QUANTITY_SYMBOL: dict[str, str] = {
    "c": "c",
    "p": "p",
    "eta": "η",
    "f": "f(p) = c·p",
    "step": "η·f′(p)",
}
"""The counterexample's quantities (``vgcore.counterexample.FloatEvent.quantity``) as written."""
PRODUCT_FACTORS: dict[str, tuple[str, str]] = {"f": ("c", "p"), "step": ("η", "c")}
"""The factors of the counterexample's products, as written."""
FACTOR_TEXT: dict[str, str] = {"inf": "∞", "-inf": "−∞", "zero": "0"}
"""A factor that is ∞, −∞ or 0, as written in place of its symbol."""
FLOAT_EVENT_TEXT: dict[str, str] = {
    "stored_underflow": "{what} underflows to 0",
    "stored_overflow": "{what} overflows to {sign}",
    "nan": "{what} = {written} is NaN",
    "overflow": "{what} overflows to {sign}",
    "infinite": "{what} = {written} = {sign}",
    "underflow": "{what} underflows to 0",
    "zero_value": "f(p) = c·p = 0·p = 0",
    "zero_derivative": "f′(p) is exactly 0 ({what} is stored as 0): the vanishing gradient "
    "became a zero gradient",
    "x1_inf_minus_inf": "x₁ = p − η·f′(p) = ∞ − ∞ is NaN",
    "x1_nan": "x₁ = p − η·f′(p) is NaN",
    "lost_zero_step": "the update is lost: η·f′(p) is 0, so x₁ = p",
    "lost_at_infinity": "the update is lost: ∞ − η·f′(p) is still ∞",
    "lost_rounding": "the update is lost: p − η·f′(p) rounds back to p",
    "x1_infinite": "x₁ = p − η·f′(p) = {sign}",
}
"""Every kind of ``vgcore.counterexample.FloatEvent``: ``{what}`` is the quantity, ``{written}``
the product with ∞ or 0 in place of such a factor, ``{sign}`` the infinity."""
NOTHING_WRONG = "Nothing goes wrong: every value is finite and the step changes p"

SURFACE_LABELS = {
    "two_weight_net": "(1 − ab)²: a two-weight network",
    "bowl": "x² + y²: a bowl",
    "saddle": "x² − y²: a saddle",
    "quartic": "x⁴ + y⁴: flat minimum",
    "cubic": "x³: flat, no extremum",
    "monkey": "x³ − 3xy²: monkey saddle",
    "every_kind": "x⁵/5 − x³/3 + y³/3 − y: every kind of point",
}
"""The built-in functions of two parameters (``vgcore.curvature.EXAMPLES``) in the function
control."""
SURFACE_FORMULAS: dict[str, str] = {
    "two_weight_net": "F(a, b) = (1 − a·b)²",
    "bowl": "F(x, y) = x² + y²",
    "saddle": "F(x, y) = x² − y²",
    "quartic": "F(x, y) = x⁴ + y⁴",
    "cubic": "F(x, y) = x³",
    "monkey": "F(x, y) = x³ − 3·x·y²",
    "every_kind": "F(x, y) = x⁵/5 − x³/3 + y³/3 − y",
}
"""The same functions written out, for the point's value and the chart."""

DATASET_LABELS: dict[str, str] = {
    "xor": "XOR (four Gaussian blobs)",
    "moons": "two moons",
    "circles": "two circles",
    "spirals": "two spirals",
    "regression_1d": "regression: y = sin(3x) + noise",
}
"""The lab's datasets (``vgcore.datasets.DATASETS``) in its dataset control."""
