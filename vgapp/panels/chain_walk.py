"""The chain's backward pass walked layer by layer, under the chain panel (in a fold of its own).

A layer cursor goes back from the output, layer L, to the input, layer 1; at each layer the
walk shows the factor ``w_k·act′(z_k)`` and the running product ``Π_{i=k..L} w_i·act′(z_i)``
(``dF/do_{k−1}``; ``dF/dw₁`` at layer 1) in float16, float32 and float64 next to the exact
value, and the layer where each precision first gives exactly 0 (``vgcore.chain_walk``, read off
the chain panel's own report). Its cursor is one control, ``walk_layer``, in the link like the
others; the drawing layer draws it in the fold, not in the sidebar.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vgapp.blocks import Block, PanelView, Table, Text
from vgapp.controls import Number
from vgapp.formatting import sci, sci_from_log10
from vgapp.panels.chain import MAX_DEPTH_SAMPLES, sampled_depths
from vgapp.words import ACTIVATION_WORDS
from vgcore.chain import MAX_DEPTH, ChainReport
from vgcore.chain_walk import BackwardWalk, backward_walk
from vgcore.precision import DTYPES

TOP = 10_000
"""The cursor's default: as high as a chain of the page goes (its largest depth), i.e. the top
layer L of every chain; a link holds ``walk_layer`` only once the cursor has left the top."""
WALK_LAYER = Number(
    "walk_layer", "Layer k (walking back from L to 1)", TOP, 1, TOP, 1,
    "The layer the backward pass has reached: its factor wₖ·act′(zₖ) and the product of the "
    "factors from the top layer L down to k. Above L it shows layer L.",
    integer=True,
)  # fmt: skip
FOLD = "Walk the backward pass, layer by layer"
FOLD_KEY = "fold_chain_walk"
"""The fold's session key: closed by default (a closed fold computes nothing); a link or a
lesson that sets the cursor opens it."""
TICK_S = 0.8
"""Seconds between two layers while the walk plays."""
assert TOP <= MAX_DEPTH


def shown_layer(requested: int, depth: int) -> int:
    """The layer the cursor shows: the requested one, at most the top layer L."""
    return min(requested, depth)


def stored_layer(layer: int, depth: int) -> int:
    """What the control holds for a cursor on ``layer``: the default at the top (so a change of
    L keeps a cursor at the top there), the layer otherwise."""
    return TOP if layer >= depth else layer


def walk_layers(depth: int, first_zero: dict[str, int | None]) -> list[int]:
    """The layers the cursor stops at, from L down to 1: every layer of a chain of up to a few
    hundred; beyond, the chain chart's sample of prefix depths d (``sampled_depths``) mirrored
    onto the walk (layer L + 2 − d: d − 1 layers walked, dense near the top where the walk
    starts), with layer 1, and each precision's first zero layer and the layer above it."""
    if depth <= 2 * MAX_DEPTH_SAMPLES:
        return list(range(depth, 0, -1))
    layers = {int(depth + 2 - d) for d in sampled_depths(depth)} | {1}
    for layer in first_zero.values():
        if layer is not None:
            layers |= {layer, min(layer + 1, depth)}
    return sorted(layers, reverse=True)


FACTOR_DIGITS = 4
"""Significant digits of a factor: float16 holds about 3.3, so its rounding shows."""


def signed_from_log10(sign: int, log10_value: float, digits: int = 3) -> str:
    """An exact value given by its sign and log10|value|, as the dtype values are written."""
    if sign == 0 or log10_value == -math.inf:
        return "0 (exactly)"
    if -300 < log10_value < 300:
        return sci(sign * 10.0**log10_value, digits)
    return ("−" if sign < 0 else "") + sci_from_log10(log10_value, digits)


def first_zero_sentence(walk: BackwardWalk) -> str:
    """``Walking back, float16 first gives exactly 0 at layer 589, float32 at layer 531;
    float64 never does, down to layer 1.``"""
    zeros = {name: k for name, k in walk.first_zero.items() if k is not None}
    if not zeros:
        return "Walking back, no precision gives exactly 0 on the way down to layer 1."
    parts = [f"{name} at layer {k}" for name, k in zeros.items()]
    first, rest = parts[0], parts[1:]
    text = "Walking back, " + first.replace(" at ", " first gives exactly 0 at ", 1)
    if rest:
        text += ", " + ", ".join(rest)
    never = [name for name in DTYPES if name not in zeros]
    if never:
        text += f"; {' and '.join(never)} never {'does' if len(never) == 1 else 'do'}, "
        text += "down to layer 1"
    exact = walk.first_exact_zero()
    if exact is not None:
        text += (
            f". The exact product is 0 too from layer {exact} down: a zero weight or a dead unit"
        )
    return text + "."


def layer_sentence(walk: BackwardWalk, layer: int, symbol: str) -> str:
    """What the cursor's layer does, in exact values."""
    k = layer - 1
    product = signed_from_log10(int(walk.product_sign[k]), float(walk.log10_abs_product[k]))
    if layer == 1:
        return (
            f"Layer 1 is the input weight (o₁ = w₁): its factor is 1, so the running product "
            f"is dF/dw₁ = {product}."
        )
    factor = signed_from_log10(
        int(walk.factor_sign[k]), float(walk.log10_abs_factor[k]), FACTOR_DIGITS
    )
    walked = walk.depth - layer + 1
    multiplies = (
        f"Layer {layer} multiplies the gradient by w{_sub(layer)}·{symbol}(z{_sub(layer)}) = "
        f"{factor}"
    )
    if walked == 1:
        return f"{multiplies}: the walk starts at the top layer, so that is the product so far."
    return (
        f"{multiplies}; the product of the {walked} factors from layer {walk.depth} down to "
        f"{layer} is {product}."
    )


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(n: int) -> str:
    return str(n).translate(_SUBSCRIPTS)


def layer_table(walk: BackwardWalk, layer: int) -> pd.DataFrame:
    """One row per precision and the exact value: the factor and the running product."""
    k = layer - 1
    factor_name = "factor"  # the sentence above names it
    rows = [
        {
            "value": "exact",
            factor_name: signed_from_log10(
                int(walk.factor_sign[k]), float(walk.log10_abs_factor[k]), FACTOR_DIGITS
            ),
            "running product": signed_from_log10(
                int(walk.product_sign[k]), float(walk.log10_abs_product[k])
            ),
        }
    ]
    for name in DTYPES:
        rows.append(
            {
                "value": f"in {name}",
                factor_name: sci(float(walk.factors[name][k]), FACTOR_DIGITS),
                "running product": sci(float(walk.products[name][k])),
            }
        )
    return pd.DataFrame(rows)


def view(report: ChainReport, requested: int) -> PanelView:
    """The walk at the cursor's layer (``requested``, shown at most at L)."""
    walk = backward_walk(report)
    depth = report.depth
    layer = shown_layer(requested, depth)
    symbol = ACTIVATION_WORDS[report.activation].derivative
    blocks: list[Block] = []
    if requested > depth and requested != TOP:
        blocks.append(
            Text(
                f"Layer {requested} is above this chain's top layer L = {depth}: showing layer "
                f"{depth}.",
                "warning",
            )
        )
    blocks += [
        Text(layer_sentence(walk, layer, symbol)),
        Table(layer_table(walk, layer)),
        Text(first_zero_sentence(walk), "caption"),
    ]
    layers = walk_layers(depth, walk.first_zero)
    facts = {"walk": walk, "layer": layer, "layers": layers}
    return PanelView(tuple(blocks), facts=facts)


def next_layer(layers: list[int], layer: int, step: int) -> int:
    """The sampled layer after ``layer`` in the walk (``step`` 1: one further back, toward
    layer 1; -1: one back up toward L), or ``layer`` at either end."""
    ordered = np.asarray(layers)  # from L down to 1
    if step > 0:
        below = ordered[ordered < layer]
        return int(below[0]) if below.size else layer
    above = ordered[ordered > layer]
    return int(above[-1]) if above.size else layer
