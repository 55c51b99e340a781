"""Claims of the backward walk under the chain panel, each checked against an oracle written
here: every layer's factor wₖ·act′(zₖ) and running product Π_{i=k..L} wᵢ·act′(zᵢ) per dtype by
a literal layer loop on numpy scalars of the dtype (the chain claims' forward loop, then the
backward products g ← g·act′(zᵢ), g ← g·wᵢ, rounded at each product, 0·∞ = 0), the exact ones by
mpmath (80 bits: its exponent never underflows), and the first zero layer per dtype as the
highest layer whose literal product is 0. Nothing here calls vgcore.chain or vgcore.chain_walk
except to read what the page shows."""

from __future__ import annotations

import math
import re

import mpmath
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims.edges import DTYPES, control_values
from claims.test_claims_chain import (
    EDGES,
    LESSON_SETTINGS,
    MP,
    PANEL,
    dtype_forward,
    exact_layer,
    parse,
    weights_of,
)
from vgapp.blocks import Table, Text
from vgapp.page import CONTROLS
from vgapp.panels import chain_walk
from vgcore.chain_walk import backward_walk

WALK_LAYER = CONTROLS["walk_layer"]
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SYMBOLS = {"sigmoid": "σ′", "tanh": "tanh′", "relu": "ReLU′", "leaky_relu": "act′"}


# ---------------------------------------------------------------- oracles


def literal_walk(w: np.ndarray, activation: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per layer k = 1..L (index k − 1): the factor wₖ·act′(zₖ) rounded once in the dtype (1
    at layer 1), and the backward pass's running product after layer k (P₁ = P₂)."""
    wd, a = dtype_forward(w, activation, name)
    kind = wd.dtype.type
    depth = w.size
    factors, products = np.ones(depth), np.ones(depth)
    g = kind(1)
    with np.errstate(all="ignore"):
        for i in range(depth, 1, -1):
            f = wd[i - 1] * a[i - 2]
            factors[i - 1] = 0.0 if f != f else float(f)
            for factor in (a[i - 2], wd[i - 1]):
                g = g * factor
                if g != g:
                    g = kind(0)
            products[i - 1] = float(g)
    products[0] = products[1]
    return factors, products


def first_zero(products: np.ndarray) -> int | None:
    """The first layer, walking back from L, whose product is 0."""
    for k in range(products.size, 0, -1):
        if products[k - 1] == 0:
            return k
    return None


def exact_walk(w: np.ndarray, activation: str) -> tuple[list, list]:
    """The exact factors and running products (mpmath, 80 bits), layer k at index k − 1."""
    o = MP.mpf(float(w[0]))
    factors = [MP.mpf(1)]
    for i in range(1, w.size):
        wi = MP.mpf(float(w[i]))
        o, d = exact_layer(wi * o, activation)
        factors.append(wi * d)
    products = [MP.mpf(0)] * w.size
    running = MP.mpf(1)
    for k in range(w.size, 1, -1):
        running *= factors[k - 1]
        products[k - 1] = running
    products[0] = products[1]
    return factors, products


def log10_of(x: mpmath.mpf) -> float:
    return -math.inf if x == 0 else float(MP.log10(abs(x)))


def near(text: str, value: float | mpmath.mpf, digits: int) -> bool:
    """``text`` (as the page writes numbers) is ``value`` to ``digits`` significant digits."""
    if value == 0:
        return text == "0 (exactly)"
    if isinstance(value, float) and math.isinf(value):
        return text == ("+∞ (overflow)" if value > 0 else "−∞ (overflow)")
    if text.startswith("−") != (value < 0):
        return False
    slack = math.log10(1 + 5.01 * 10.0 ** -(digits - 1) / 10)
    return abs(parse(text.lstrip("−")) - log10_of(value)) <= slack + 1e-12


# ---------------------------------------------------------------- strategies


@st.composite
def walk_settings(draw) -> dict:
    v = {key: draw(control_values(c)) for key, c in {c.key: c for c in PANEL.controls}.items()}
    v["depth"] = draw(st.one_of(st.integers(2, 60), st.integers(2, 2000), st.integers(2, 10_000)))
    v["walk_layer"] = draw(
        st.one_of(
            control_values(WALK_LAYER),
            st.integers(1, v["depth"]),
            st.sampled_from([v["depth"], v["depth"] + 1, max(v["depth"] - 1, 1)]),
        ).filter(lambda k: 1 <= k <= WALK_LAYER.high)
    )
    return v


WALK_EDGES = [
    {**edge, "walk_layer": layer}
    for edge in [*EDGES, *LESSON_SETTINGS]
    for layer in (1, 2, 13, 588, 589, edge.get("depth", 600), 10_000)
]


def given_walks(f):
    for edge in [*WALK_EDGES[::3], {"walk_layer": 601}, {"depth": 80, "walk_layer": 81}]:
        f = example({**PANEL.defaults(), "walk_layer": WALK_LAYER.default, **edge})(f)
    return settings(max_examples=80, deadline=None)(given(walk_settings())(f))


def chain_report_of(v: dict):
    return PANEL.view(**PANEL.arguments(v)).facts["report"]


# ---------------------------------------------------------------- properties


@given_walks
def test_the_walk_numbers_match_the_literal_loops_and_mpmath(values: dict) -> None:
    """At every layer: each dtype's factor and running product equal the literal loop's
    (as numbers: a zero's sign aside), its first zero layer is the loop's; the exact factor
    and product agree with mpmath to 10⁻⁸ in log₁₀ (relative to the size of the log), with
    the same sign and the same zeros."""
    v = {**PANEL.defaults(), **values}
    w = weights_of(v)
    walk = backward_walk(chain_report_of(v))
    for name in DTYPES:
        factors, products = literal_walk(w, v["activation"], name)
        assert np.array_equal(walk.factors[name], factors), name
        assert np.array_equal(walk.products[name], products), name
        assert walk.first_zero[name] == first_zero(products), name
    exact_factors, exact_products = exact_walk(w, v["activation"])
    for k in range(1, w.size + 1):
        for got_log, got_sign, true in (
            (walk.log10_abs_factor[k - 1], walk.factor_sign[k - 1], exact_factors[k - 1]),
            (walk.log10_abs_product[k - 1], walk.product_sign[k - 1], exact_products[k - 1]),
        ):
            assert got_sign == (1 if true > 0 else -1 if true < 0 else 0), k
            true_log = log10_of(true)
            if true == 0:
                assert got_log == -math.inf, k
            else:
                assert abs(got_log - true_log) <= 1e-8 * max(1.0, abs(true_log)), k


@given_walks
def test_walk_claims(values: dict) -> None:
    """The walk's words at the cursor's layer: the notice for a layer above L, the layer's
    sentence (its factor to 4 digits and the product of the factors walked to 3, exact), the
    table (each dtype's factor and product as the literal loop has them, the exact row by
    mpmath), the first zero layer of each dtype (the literal loop's), the exact zero (mpmath),
    and the layers the cursor stops at."""
    v = {**PANEL.defaults(), **values}
    w = weights_of(v)
    depth, requested = v["depth"], v["walk_layer"]
    result = chain_walk.view(chain_report_of(v), requested)
    layer = min(requested, depth)
    texts = [b for b in result.blocks if isinstance(b, Text)]
    notices = [t.text for t in texts if t.kind == "warning"]
    if requested > depth and requested != WALK_LAYER.default:
        assert notices == [
            f"Layer {requested} is above this chain's top layer L = {depth}: showing layer {depth}."
        ]
    else:
        assert notices == []
    assert result.facts["layer"] == layer
    exact_factors, exact_products = exact_walk(w, v["activation"])
    # the layer's sentence
    [sentence] = [t.text for t in texts if t.kind == "markdown"]
    symbol = SYMBOLS[v["activation"]]
    if layer == 1:
        found = re.fullmatch(
            r"Layer 1 is the input weight \(o₁ = w₁\): its factor is 1, so the running product "
            r"is dF/dw₁ = (.+)\.",
            sentence,
        )
        assert found, sentence
        assert near(found.group(1), exact_products[0], 3), sentence
    else:
        sub = str(layer).translate(_SUB)
        head = re.escape(f"Layer {layer} multiplies the gradient by w{sub}·{symbol}(z{sub}) = ")
        if layer == depth:
            found = re.fullmatch(
                head + r"(.+): the walk starts at the top layer, so that is the product so far\.",
                sentence,
            )
        else:
            found = re.fullmatch(
                head + rf"(.+); the product of the (\d+) factors from layer {depth} down to "
                rf"{layer} is (.+)\.",
                sentence,
            )
        assert found, sentence
        assert near(found.group(1), exact_factors[layer - 1], 4), sentence
        if layer < depth:
            assert int(found.group(2)) == depth - layer + 1
            assert near(found.group(3), exact_products[layer - 1], 3), sentence
    # the table: the exact row, then each dtype
    [table] = [b for b in result.blocks if isinstance(b, Table)]
    rows = {row[0]: (row[1], row[2]) for row in table.frame.itertuples(index=False)}
    assert list(rows) == ["exact", *(f"in {name}" for name in DTYPES)]
    assert near(rows["exact"][0], exact_factors[layer - 1], 4)
    assert near(rows["exact"][1], exact_products[layer - 1], 3)
    zeros = {}
    for name in DTYPES:
        factors, products = literal_walk(w, v["activation"], name)
        assert near(rows[f"in {name}"][0], factors[layer - 1], 4), (name, rows)
        assert near(rows[f"in {name}"][1], products[layer - 1], 3), (name, rows)
        zeros[name] = first_zero(products)
    # the first zero layers
    [caption] = [t.text for t in texts if t.kind == "caption"]
    reached = {name: k for name, k in zeros.items() if k is not None}
    if not reached:
        assert caption.startswith("Walking back, no precision gives exactly 0 on the way down")
    else:
        listed = re.findall(r"(float\d\d)(?: first gives exactly 0)? at layer (\d+)", caption)
        assert {name: int(k) for name, k in listed} == reached, caption
        never = [name for name in DTYPES if name not in reached]
        if never:
            assert f"{' and '.join(never)} never do" in caption, caption
        else:
            assert "never" not in caption
    exact_zero = [k for k in range(depth, 0, -1) if exact_products[k - 1] == 0]
    if exact_zero:
        assert f"The exact product is 0 too from layer {exact_zero[0]} down" in caption
    else:
        assert "exact product is 0" not in caption
    # the cursor's stops
    layers = result.facts["layers"]
    assert layers == sorted(set(layers), reverse=True)
    assert layers[0] == depth
    assert layers[-1] == 1
    if depth <= 180:
        assert layers == list(range(depth, 0, -1))
    else:
        assert len(layers) <= 2 * 90 + 1 + 2 * len(DTYPES)
    for k in reached.values():
        assert k in layers
        assert min(k + 1, depth) in layers
    for text in (sentence, caption):
        assert not re.search(r"(?<![\d.,])1 (layers|factors)\b", text), text
