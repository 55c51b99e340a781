"""The page's controls as plain data: key (= URL parameter), kind, range, default, help.

``app.py`` draws a widget for each control and binds it to the URL; this module also parses
raw URL values independently of Streamlit, so the page can tell a visitor which parameters of a
shared link it ignored and why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INT = "int"
FLOAT = "float"
CHOICE = "choice"
BOOL = "bool"


@dataclass(frozen=True)
class Control:
    """One sidebar control; ``key`` is also its URL query parameter."""

    key: str
    label: str
    kind: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple[str, ...] = ()
    option_labels: Mapping[str, str] = field(default_factory=dict)
    widget: str = "slider"  # slider | number | select | select_slider | segmented | toggle
    format: str | None = None

    def label_of(self, option: str) -> str:
        """The display text of a choice option."""
        return self.option_labels.get(option, option)

    def parse(self, raw: str) -> Any:
        """The value a URL string stands for; ValueError when it is unparsable or out of range."""
        text = raw.strip()
        if self.kind == CHOICE:
            # Streamlit writes a choice into the URL by its label; a hand-written link may use
            # the key. Both name the same option.
            by_label = {self.label_of(option): option for option in self.options}
            if text in self.options:
                return text
            if text in by_label:
                return by_label[text]
            raise ValueError(f"{self.key} must be one of {', '.join(self.options)}")
        if self.kind == BOOL:
            if text.lower() not in ("true", "false"):
                raise ValueError(f"{self.key} must be true or false")
            return text.lower() == "true"
        if len(text) > 40:
            raise ValueError(f"{self.key} is too long to be a number")
        try:
            number = int(text) if self.kind == INT else float(text)
        except ValueError:
            kind = "an integer" if self.kind == INT else "a number"
            raise ValueError(f"{self.key} must be {kind}") from None
        if not math.isfinite(number) or not (self.low <= number <= self.high):
            raise ValueError(f"{self.key} must lie between {self.low:g} and {self.high:g}")
        return number


ACTIVATION_LABELS = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
}
DTYPE_OPTIONS = ("float16", "float32", "float64")

COUNTEREXAMPLE_CONTROLS = (
    Control(
        "c_mant",
        "Slope c: mantissa",
        FLOAT,
        1.0,
        "c = mantissa × 10^exponent. The source uses c = 1e-90.",
        1.0,
        9.99,
        0.01,
        widget="number",
        format="%.2f",
    ),
    Control(
        "c_exp",
        "Slope c: exponent (power of ten)",
        INT,
        -90,
        "The slope c of f_c(x) = max(0, c·x) is also its gradient for every x > 0.",
        -300,
        0,
        1,
    ),
    Control(
        "p_mant",
        "Start p: mantissa",
        FLOAT,
        1.0,
        "p = mantissa × 10^exponent. The source uses p = 1e9999, beyond float64's 1.8e308.",
        1.0,
        9.99,
        0.01,
        widget="number",
        format="%.2f",
    ),
    Control(
        "p_exp",
        "Start p: exponent (power of ten)",
        INT,
        9999,
        "How far the start lies from the minimiser set x ≤ 0.",
        0,
        9999,
        1,
    ),
    Control(
        "eta_exp",
        "Step size η = 10^k: k",
        INT,
        0,
        "Gradient descent x ← x − η·c; every step lowers f by η·c².",
        -6,
        6,
        1,
    ),
    Control(
        "eps_exp",
        "Parameter-change threshold ε = 10^k: k",
        INT,
        -8,
        "The student's rule: stop when |x_{k+1} − x_k| ≤ ε.",
        -300,
        0,
        1,
    ),
    Control(
        "gatol_exp",
        "Gradient threshold = 10^k: k",
        INT,
        -6,
        "Stop when |f'(x)| ≤ this threshold.",
        -300,
        0,
        1,
    ),
)

CHAIN_CONTROLS = (
    Control(
        "depth",
        "Depth L (layers)",
        INT,
        600,
        "Number of single-neuron layers in o_i = act(w_i·o_{i−1}), o_1 = w_1.",
        2,
        10_000,
        1,
    ),
    Control(
        "activation",
        "Activation",
        CHOICE,
        "sigmoid",
        "|w|·σ′ ≤ |w|/4 shrinks the gradient every layer when |w| < 4; tanh′ ≤ 1; "
        "ReLU's derivative is 0 or 1.",
        options=tuple(ACTIVATION_LABELS),
        option_labels=ACTIVATION_LABELS,
        widget="select",
    ),
    Control(
        "w_mode",
        "Weights",
        CHOICE,
        "constant",
        "All weights equal to w, or drawn from a normal distribution.",
        options=("constant", "random"),
        option_labels={"constant": "all equal w", "random": "random normal"},
        widget="segmented",
    ),
    Control(
        "w",
        "Weight w (all layers)",
        FLOAT,
        1.0,
        "|w|·σ'(z) > 1 makes the product grow instead: exploding gradients.",
        -10.0,
        10.0,
        0.1,
    ),
    Control(
        "w_mean",
        "Random weights: mean",
        FLOAT,
        1.0,
        "Mean of the normal distribution of the weights.",
        -10.0,
        10.0,
        0.1,
    ),
    Control(
        "w_spread",
        "Random weights: standard deviation",
        FLOAT,
        0.5,
        "Spread of the normal distribution of the weights.",
        0.0,
        5.0,
        0.1,
    ),
    Control(
        "seed",
        "Random weights: seed",
        INT,
        0,
        "The same seed gives the same weights.",
        0,
        10_000,
        1,
        widget="number",
    ),
    Control(
        "quantity",
        "Plotted quantity",
        CHOICE,
        "weight",
        "Weight gradient dF/dw_k, or the back-propagated gradient dF/do_k at each layer's output.",
        options=("weight", "backprop"),
        option_labels={"weight": "dF/dw_k", "backprop": "dF/do_k"},
        widget="segmented",
    ),
)

SURFACE_LABELS = {
    "two_weight_net": "(1 − ab)²: a two-weight network",
    "bowl": "x² + y²: a bowl",
    "saddle": "x² − y²: a saddle",
    "quartic": "x⁴ + y⁴: flat minimum",
    "cubic": "x³: flat, no extremum",
    "monkey": "x³ − 3xy²: monkey saddle",
}

CURVATURE_CONTROLS = (
    Control(
        "surface",
        "Function",
        CHOICE,
        "two_weight_net",
        "A built-in function of two parameters with a stationary point at the origin.",
        options=tuple(SURFACE_LABELS),
        option_labels=SURFACE_LABELS,
        widget="select",
    ),
    Control(
        "pt_x",
        "Point: first coordinate",
        FLOAT,
        0.0,
        "Move the point; at the origin the gradient is zero for every built-in function.",
        -2.0,
        2.0,
        0.05,
    ),
    Control(
        "pt_y",
        "Point: second coordinate",
        FLOAT,
        0.0,
        "Move the point; at the origin the gradient is zero for every built-in function.",
        -2.0,
        2.0,
        0.05,
    ),
)

DESCENT_CONTROLS = (
    Control(
        "gd_x0",
        "Start: first coordinate",
        FLOAT,
        0.6,
        "Where gradient descent starts. On (1 − ab)², a start with a = −b goes to the saddle "
        "(for a small step such as η = 0.035).",
        -2.0,
        2.0,
        0.05,
    ),
    Control(
        "gd_y0",
        "Start: second coordinate",
        FLOAT,
        -0.6,
        "Where gradient descent starts.",
        -2.0,
        2.0,
        0.05,
    ),
    Control(
        "gd_rule",
        "Step size rule",
        CHOICE,
        "constant",
        "A constant step η, or Armijo backtracking from η.",
        options=("constant", "armijo"),
        option_labels={"constant": "constant η", "armijo": "Armijo backtracking"},
        widget="segmented",
    ),
    Control(
        "gd_eta",
        "Step size η",
        FLOAT,
        0.035,
        "Constant step, or the first trial step of Armijo backtracking.",
        0.001,
        2.0,
        0.001,
        widget="number",
        format="%.3f",
    ),
    Control(
        "gd_iters",
        "Iterations",
        INT,
        500,
        "Maximum number of gradient-descent steps.",
        1,
        5000,
        1,
    ),
)

PRECISION_CONTROLS = (
    Control(
        "fp_w",
        "Weight w",
        FLOAT,
        1.0,
        "The stored parameter. The smallest update that still counts grows with |w|.",
        -1e6,
        1e6,
        0.1,
        widget="number",
        format="%g",
    ),
    Control(
        "fp_eta",
        "Step size η",
        FLOAT,
        0.1,
        "The update is η·g.",
        0.0001,
        10.0,
        0.0001,
        widget="number",
        format="%g",
    ),
    Control(
        "fp_grad_exp",
        "Gradient g = 10^k: k",
        INT,
        -16,
        "The size of the gradient, as a power of ten.",
        -60,
        5,
        1,
    ),
    Control(
        "fp_dtype",
        "Precision",
        CHOICE,
        "float64",
        "The floating-point format the weight is stored and updated in.",
        options=DTYPE_OPTIONS,
        widget="segmented",
    ),
)

PANELS: dict[str, tuple[Control, ...]] = {
    "counterexample": COUNTEREXAMPLE_CONTROLS,
    "chain": CHAIN_CONTROLS,
    "curvature": CURVATURE_CONTROLS,
    "descent": DESCENT_CONTROLS,
    "precision": PRECISION_CONTROLS,
}


def shown(raw: str, limit: int = 24) -> str:
    """A URL value made safe to quote in a notice: printable, short, no markdown."""
    text = "".join(ch for ch in raw if ch.isalnum() or ch in "+-.e ")
    return text if len(text) <= limit else text[:limit] + "…"


def check_query_params(
    raw: Mapping[str, str], controls: Mapping[str, Control]
) -> tuple[dict[str, Any], list[str]]:
    """Split a URL's parameters into accepted values and notices for the ignored ones."""
    accepted: dict[str, Any] = {}
    notices: list[str] = []
    for key, value in raw.items():
        control = controls.get(key)
        if control is None:
            notices.append(f"unknown parameter “{shown(key)}” ignored")
            continue
        try:
            accepted[key] = control.parse(str(value))
        except ValueError as error:
            notices.append(
                f"“{shown(str(value))}” is not valid for {control.label} ({error}); "
                f"using the default {control.default}"
            )
    return accepted, notices
