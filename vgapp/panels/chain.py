"""Headline panel, right: the source's deep chain and its gradient, exact and per precision.

``o_1 = w_1``, ``o_i = act(w_i·o_{i−1})``, ``F = o_L``; ``dF/dw₁ = Π w_i · Π act′(z_i)`` over
``i = 2..L`` (MATH.md D3). The default chart plots |dF/dw₁| against the depth L of the chain,
so the depths where float16, float32 and float64 first give exactly 0 sit on its x axis; the
other two quantities are per layer k of the L-layer chain. Zeros are told apart: a precision's
underflow (the exact value is not 0) from a true zero (a zero weight or a dead ReLU unit, for
which 0 is the exact answer and no vanishing gradient: MATH.md D3).

The chart, drawn from the same series, is ``vgapp.panels.chain_chart``'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgapp import vegalite as vl
from vgapp.blocks import Block, Chart, Fold, Metric, Metrics, PanelView, Text
from vgapp.controls import Choice, Number, When
from vgapp.formatting import count, sci, sci_from_log10, superscript
from vgapp.layout import Panel
from vgapp.panels.chain_chart import Series, chain_frame, chart
from vgapp.words import ACTIVATION_LABELS, ACTIVATION_WORDS
from vgcore.activations import ACTIVATIONS
from vgcore.chain import ChainReport, chain_report, make_weights
from vgcore.precision import DTYPES, float_facts

QUANTITY_LABELS = {
    "first": "dF/dw₁ against depth L",
    "weight": "dF/dw_k per layer k",
    "backprop": "dF/do_k per layer k",
}
CONTROLS = (
    Number(
        "depth", "Depth L (layers)", 600, 2, 10_000, 1,
        "Number of single-neuron layers in oᵢ = act(wᵢ·oᵢ₋₁), o₁ = w₁.",
        integer=True,
    ),
    Choice(
        "activation", "Activation", "sigmoid", tuple(ACTIVATION_LABELS),
        "σ′ ≤ 1/4, so with |w| ≤ 1 each sigmoid layer shrinks the gradient at least 4×; "
        "tanh′ ≤ 1; ReLU′ is 0 or 1; leaky ReLU′ is 1 or 0.01.",
        labels=ACTIVATION_LABELS,
    ),
    Choice(
        "w_mode", "Weights", "constant", ("constant", "random"),
        "All weights equal to w, or drawn from a normal distribution.",
        labels={"constant": "all equal w", "random": "random normal"},
        widget="segmented",
    ),
    Number(
        "w", "Weight w (all layers)", 1.0, -10.0, 10.0, 0.1,
        "|w|·act′(z) > 1 at every layer makes the product grow instead: exploding gradients.",
        when=When("w_mode", ("constant",)),
    ),
    Number(
        "w_mean", "Random weights: mean", 1.0, -10.0, 10.0, 0.1,
        "Mean of the normal distribution of the weights.",
        when=When("w_mode", ("random",)),
    ),
    Number(
        "w_spread", "Random weights: standard deviation", 0.5, 0.0, 5.0, 0.1,
        "Spread of the normal distribution of the weights.",
        when=When("w_mode", ("random",)),
    ),
    Number(
        "seed", "Random weights: seed", 0, 0, 10_000, 1,
        "The same seed gives the same weights.",
        integer=True, widget="number", when=When("w_mode", ("random",)),
    ),
    Choice(
        "quantity", "Plotted quantity", "first", tuple(QUANTITY_LABELS),
        "dF/dw₁ of a chain of each depth up to L (the source's formula), or, per layer k of "
        "the L-layer chain, the weight gradient dF/dw_k or the back-propagated dF/do_k.",
        labels=QUANTITY_LABELS,
    ),
)  # fmt: skip

CORRECTION = (
    "A correction to the source: it puts σ′ in [0, 1]. The sharp range is (0, 1/4]: σ′ is never "
    "0, and at most 1/4 (at z = 0), hence |dF/dw₁| ≤ (1/4)ᴸ⁻¹·Π|wᵢ| over i = 2..L."
)
MAX_DEPTH_SAMPLES = 90
"""Prefix depths sampled each way (linear and geometric) when L is larger than this."""
ORDERS_OFF = 1.0
"""A precision's result is flagged when it is this many orders of magnitude (or more) away
from the exact value (e.g. stuck at its smallest subnormal)."""


def chain_weights(
    depth: int, w_mode: str, w: float | None, w_mean: float | None, w_spread: float | None,
    seed: int | None,
) -> np.ndarray:  # fmt: skip
    """The chain's weights from the controls: all equal ``w``, or normal(mean, spread); the
    controls of the other mode are None (they do not apply)."""
    if w_mode == "constant":
        if w is None:
            raise ValueError("w must be a number when w_mode is constant")
        return make_weights(depth, "constant", w=w)
    if w_mean is None or w_spread is None or seed is None:
        raise ValueError("w_mean, w_spread and seed must be given when w_mode is random")
    return make_weights(depth, "normal", mean=w_mean, spread=w_spread, seed=seed)


def sampled_depths(depth: int) -> np.ndarray:
    """Every prefix depth 2..L up to a few hundred layers; beyond, a linear and a geometric
    sample (``chain_report`` adds both sides of each precision's first zero)."""
    if depth <= 2 * MAX_DEPTH_SAMPLES:
        return np.arange(2, depth + 1)
    linear = np.linspace(2, depth, MAX_DEPTH_SAMPLES)
    geometric = np.geomspace(2, depth, MAX_DEPTH_SAMPLES)
    return np.unique(np.concatenate([linear, geometric]).round().astype(np.int64))


def series_of(report: ChainReport, quantity: str) -> Series:
    """The chart's data for ``quantity`` ("first", "weight" or "backprop")."""
    split = report.decomposition
    if quantity == "first":
        d = report.prefix_depths
        index = d - 2
        return Series(
            x=d,
            x_title="depth L of the chain (layers)",
            symbol="dF/dw₁",
            exact=split.log10_abs_weight_product[index] + split.log10_derivative_product[index],
            dtypes=dict(report.prefix_gradients),
            guides={
                "bound": split.log10_bound[index],
                "weights": split.log10_abs_weight_product[index],
                "derivatives": split.log10_derivative_product[index],
            },
        )
    weight = quantity == "weight"
    return Series(
        x=np.arange(1, report.depth + 1),
        x_title=f"layer k of the {report.depth}-layer chain (input → output)",
        symbol="dF/dw_k" if weight else "dF/do_k",
        exact=report.log10_abs_gradient if weight else report.log10_abs_backprop,
        dtypes=dict(report.gradients if weight else report.backprops),
        guides={
            "bound": split.log10_suffix_bound,
            "weights": split.log10_abs_weight_suffix,
            "derivatives": split.log10_derivative_suffix,
        },
    )


def view(
    *,
    depth: int,
    activation: str,
    w_mode: str,
    w: float | None,
    w_mean: float | None,
    w_spread: float | None,
    seed: int | None,
    quantity: str,
) -> PanelView:
    """|dF/dw₁| (or a per-layer gradient) of the chain, exact and in float16/32/64."""
    weights = chain_weights(depth, w_mode, w, w_mean, w_spread, seed)
    report = chain_report(weights, activation, sampled_depths(depth))
    series = series_of(report, quantity)
    exact_first = float(report.log10_abs_gradient[0])
    act = ACTIVATIONS[activation]
    words = ACTIVATION_WORDS[activation]
    symbol = words.derivative
    guide_labels = {"bound": "bound", "weights": "Π|wᵢ|", "derivatives": f"Π {symbol}"}
    if act.derivative_bound != 0.25:  # sup|act'| = 1: the bound is Π|w_i| itself, drawn once
        del series.guides["bound"], guide_labels["bound"]
    zero_facts = zero_causes(report)
    far = far_off(report)
    headline = headline_of(exact_first, depth, symbol, zero_cut(report))
    subtitle = zeros_sentence(zero_facts, depth)
    if far:
        values = {name: float(report.gradients[name][0]) for name in far}
        subtitle += " " + far_sentence(far, values)
    spec = chart(series, guide_labels, title=vl.title(headline, subtitle))
    frame = chain_frame(series)
    metrics = [
        Metric(
            "|dF/dw₁| exact",
            sci_from_log10(exact_first),
            "Computed in log space, so it never underflows: Π wᵢ · Π act′(zᵢ) over layers 2..L. "
            "The title calls it vanishing when, over at least two layers, the factor per layer "
            "|wᵢ|·act′(zᵢ) is at most 0.9 on average (geometric mean) and the product has "
            "fallen at least 10-fold; exploding when the mean factor is at least 1/0.9 and the "
            "product has grown at least 10-fold.",
        )
    ]
    for name in DTYPES:
        value = float(report.gradients[name][0])
        zero_at = report.underflow_depths[name]
        note = (
            f"With these weights it is first exactly 0 at depth L = {zero_at}."
            if zero_at is not None
            else "It is not exactly 0 at any depth up to L."
        )
        if name in far:
            side = "above" if far[name] > 0 else "below"
            note += (
                f" It is about {count(abs(far[name]), 'order')} of magnitude {side} the exact "
                "value."
            )
        metrics.append(
            Metric(
                f"in {name}",
                sci(value) + (" ⚠" if name in far else ""),
                f"The same gradient computed entirely in {name}. {note}",
            )
        )
    over = " over the layers above k" if quantity != "first" else ""
    guides = f"dotted: the two factors Π|wᵢ| and Π {symbol}(zᵢ){over}"
    if act.derivative_bound == 0.25:
        power = "(1/4)ᴸ⁻¹" if quantity == "first" else "(1/4)ᴸ⁻ᵏ"
        guides = f"dashed: the bound Π|wᵢ|·{power}; " + guides
    plain = (
        f"On its way back each layer multiplies the gradient by its weight times the slope "
        f"{symbol}: {words.chain_caption}"
    )
    caption = (
        f"oᵢ = {words.formula}, so dF/dw₁ = Π wᵢ · Π {symbol}(zᵢ) over "
        f"i = 2..L. Chart guides, {guides}."
    )
    alt = (
        f"|{series.symbol}| for the {depth}-layer {words.label} chain: the exact value and "
        f"float16, float32, float64; bands mark where a precision computed exactly 0 or ∞. "
        f"{subtitle}"
    )
    blocks: list[Block] = [
        Chart("chain", spec, alt, frame, caption=False),
        Metrics(tuple(metrics)),
        Text(plain, "caption"),
        Fold("More: the formula and the chart's guides", (Text(caption, "caption"),)),
    ]
    if activation == "sigmoid":
        blocks.append(Text(CORRECTION, "correction"))
    heading = f"The deep {words.label} chain"
    facts = {"report": report, "zeros": zero_facts, "far": far, "headline": headline}
    return PanelView(tuple(blocks), facts=facts, heading=heading)


VANISHING_FACTOR = 0.9
"""The word "vanishing" needs a shrink per layer: the geometric mean of |wᵢ|·act′(zᵢ) over the
L − 1 layers at most this (a shrink of at least 10 % per layer), at least two layers (a trend
with depth, not one factor), and a product fallen at least ``TREND_ORDERS`` orders of
magnitude. "exploding" is the mirror image (a mean factor of at least 1/0.9, grown as much)."""
TREND_ORDERS = 1.0


def mean_factor_text(factor: float) -> str:
    """The geometric-mean factor per layer with three significant digits (``0.900``)."""
    return f"{factor:#.3g}" if 1e-3 <= factor < 1e4 else sci(factor)


def trend_of(exact_log10: float, depth: int) -> str | None:
    """ "vanishing", "exploding" or None, from the geometric-mean factor per layer
    ``m = |dF/dw₁|^(1/(L−1))`` and the depth (see ``VANISHING_FACTOR``)."""
    layers = depth - 1
    if layers < 2 or not math.isfinite(exact_log10):
        return None
    log_factor = exact_log10 / layers
    slack = 1e-12  # the slider's 0.9 is the double 0.9000000000000000222: it counts as 0.9
    if log_factor <= math.log10(VANISHING_FACTOR) + slack and exact_log10 <= -TREND_ORDERS:
        return "vanishing"
    if log_factor >= -math.log10(VANISHING_FACTOR) - slack and exact_log10 >= TREND_ORDERS:
        return "exploding"
    return None


def headline_of(exact_log10: float, depth: int, symbol: str = "act′", cut: str = "") -> str:
    """The chart's title: the size of dF/dw₁, its mean factor per layer and, where the factor
    and the depth make it a trend, the word for it (``trend_of``). ``cut`` says which layer
    makes an exact zero (``zero_cut``)."""
    if exact_log10 == -math.inf:
        cause = cut or "a factor wᵢ·act′(zᵢ) is 0"
        return f"dF/dw₁ = 0 exactly at L = {depth}: {cause} (a zero gradient, not a vanishing one)"
    value = sci_from_log10(exact_log10)
    layers = depth - 1
    if layers == 1:
        return f"|dF/dw₁| = {value} at L = 2: one layer's factor |w₂|·{symbol}(z₂), no trend yet"
    factor = mean_factor_text(10 ** (exact_log10 / layers))
    per = f"×{factor} per layer on average over {count(layers, 'layer')}"
    word = trend_of(exact_log10, depth)
    return f"|dF/dw₁| = {value} at L = {depth}: " + (f"{word}, {per}" if word else per)


def zero_cut(report: ChainReport) -> str:
    """The lowest layer whose factor wᵢ·act′(zᵢ) is exactly 0 (a zero weight, or a dead ReLU
    unit), as a phrase; "" if none."""
    factors = report.decomposition.log10_layer_factor
    zero = np.flatnonzero(factors == -math.inf)
    if not zero.size:
        return ""
    layer = int(zero[0]) + 2
    if report.weights[layer - 1] == 0:
        return f"the weight of layer {layer} is 0"
    return f"the ReLU unit of layer {layer} is dead (z ≤ 0)"


@dataclass(frozen=True)
class ZeroFact:
    """Where a precision first gives dF/dw₁ = 0 exactly, and why."""

    dtype: str
    depth: int
    underflow: bool
    """True: the exact value is not 0 (the precision underflowed); False: it is 0 exactly."""


def zero_causes(report: ChainReport) -> dict[str, ZeroFact]:
    """Each precision's first zero depth, told apart by the exact (log-domain) prefix value."""
    split = report.decomposition
    found = {}
    for name, depth in report.underflow_depths.items():
        if depth is None:
            continue
        exact = (
            split.log10_abs_weight_product[depth - 2] + split.log10_derivative_product[depth - 2]
        )
        found[name] = ZeroFact(name, depth, underflow=bool(np.isfinite(exact)))
    return found


def zeros_sentence(zeros: dict[str, ZeroFact], depth: int) -> str:
    """``dF/dw₁ is first exactly 0 at L = 13 in float16, 71 in float32, 500 in float64.``"""
    if not zeros:
        return f"No precision gives dF/dw₁ = 0 at any depth up to L = {depth}."
    parts = [f"{fact.depth} in {fact.dtype}" for fact in zeros.values()]
    text = f"dF/dw₁ is first exactly 0 at L = {', '.join(parts)}"
    if all(not fact.underflow for fact in zeros.values()):
        return text + ": the exact value is 0 too (a zero weight or a dead unit), not underflow."
    if any(not fact.underflow for fact in zeros.values()):
        true_zero = [f.dtype for f in zeros.values() if not f.underflow]
        return text + f" ({', '.join(true_zero)}: the exact value is 0 there too)."
    return text + "."


def far_off(report: ChainReport) -> dict[str, int]:
    """dtype -> orders of magnitude (rounded) between its nonzero finite dF/dw₁ and the exact
    value, where that is at least ``ORDERS_OFF``."""
    exact = float(report.log10_abs_gradient[0])
    found = {}
    for name in DTYPES:
        value = abs(float(report.gradients[name][0]))
        if value == 0 or not math.isfinite(value) or not math.isfinite(exact):
            continue
        orders = math.log10(value) - exact
        if abs(orders) >= ORDERS_OFF:
            found[name] = round(orders)
    return found


def far_sentence(far: dict[str, int], values: dict[str, float] | None = None) -> str:
    """How far each flagged precision's nonzero result is from the exact one; where it sits at
    its smallest subnormal s, why: s·f rounds back to s for every factor 1/2 < f < 3/2 (the
    product s·f lies within half a gap of s; s/2 and 3s/2 are ties, rounded to the even 0 and
    2s), so a product whose factors stay in that range stops shrinking there."""
    values = values or {}
    parts, stuck = [], []
    for name, orders in far.items():
        size = f"10{superscript(abs(orders))}"
        direction = "larger" if orders > 0 else "smaller"
        parts.append(f"{name} is about {size} times {direction} than the exact value")
        if abs(values.get(name, 0.0)) == float_facts(name).smallest_subnormal:
            stuck.append(name)
    text = f"⚠ {'; '.join(parts)}."
    if stuck:
        where = ", ".join(
            f"{sci(float_facts(name).smallest_subnormal, 3)} in {name}" for name in stuck
        )
        text += (
            f" It sits at the smallest subnormal s ({where}): s·f rounds back to s for every "
            "factor f with 1/2 < f < 3/2, so a product whose factors stay there stops shrinking."
        )
    return text


GROUPS = (
    ("The chain", ("depth", "activation", "w", "quantity")),
    ("Random weights", ("w_mode", "w_mean", "w_spread", "seed")),
)
FOLDS = ((GROUPS[0][0], True), (GROUPS[1][0], False))
"""Random weights folded (the source's chain has one weight, w): the first screen draws the
chain's four controls."""
PANEL = Panel("chain", "The deep chain", CONTROLS, view, GROUPS, FOLDS)
