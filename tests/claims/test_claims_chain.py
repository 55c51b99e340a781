"""Claims of the chain panel, each checked against an oracle written here: the exact gradient
by mpmath (80-bit forward pass, the product itself: mpmath's exponent never underflows), the
per-dtype zero depths and values by a literal layer loop with numpy scalars in the dtype (each
prefix chain run from its own top, as its own backward pass), and the sticking rule of the
smallest subnormal by multiplying it in each dtype. Nothing here calls vgcore.chain."""

from __future__ import annotations

import json
import math
import re

import mpmath
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims.edges import DTYPES, control_values
from vgapp.page import LESSONS, PANELS, lesson_values
from vgapp.panels.chain_chart import merged_label

PANEL = PANELS["chain"]
CONTROLS = {c.key: c for c in PANEL.controls}
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU"}
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
MP = mpmath.mp.clone()
MP.prec = 80


def weights_of(v: dict) -> np.ndarray:
    """The weights from the controls, written here: all w, or mean + spread·N(0, 1)."""
    if v["w_mode"] == "constant":
        return np.full(v["depth"], float(v["w"]))
    draws = np.random.default_rng(v["seed"]).standard_normal(v["depth"])
    return v["w_mean"] + v["w_spread"] * draws


# ---------------------------------------------------------------- exact (mpmath)


def exact_layer(z: mpmath.mpf, activation: str) -> tuple[mpmath.mpf, mpmath.mpf]:
    """act(z) and act′(z) exactly (80 bits)."""
    if activation == "sigmoid":
        e = MP.exp(-abs(z))
        o = 1 / (1 + e) if z >= 0 else e / (1 + e)
        return o, e / (1 + e) ** 2  # σ(1 − σ) without the cancellation of 1 − σ
    if activation == "tanh":
        e = MP.exp(-2 * abs(z))
        return MP.tanh(z), 4 * e / (1 + e) ** 2  # 1 − tanh² without the cancellation
    if activation == "relu":
        return (z, MP.mpf(1)) if z > 0 else (MP.mpf(0), MP.mpf(0))
    return (z, MP.mpf(1)) if z > 0 else (MP.mpf("0.01") * z, MP.mpf("0.01"))


def exact_chain(w: np.ndarray, activation: str) -> tuple[mpmath.mpf, int | None, list[str]]:
    """|dF/dw₁| of the whole chain exactly (80 bits), the first layer (2..L) whose factor
    wᵢ·act′(zᵢ) is exactly 0, and that layer's cause ("weight" or "dead")."""
    o = MP.mpf(float(w[0]))
    product = MP.mpf(1)
    first_zero, cause = None, []
    for i in range(1, w.size):
        wi = MP.mpf(float(w[i]))
        o, d = exact_layer(wi * o, activation)
        factor = wi * d
        if factor == 0 and first_zero is None:
            first_zero, cause = i + 1, ["weight" if wi == 0 else "dead"]
        product *= abs(factor)
    return product, first_zero, cause


def exact_zero_at(w: np.ndarray, activation: str, depth: int) -> bool:
    """Whether the exact dF/dw₁ of the depth-d prefix is 0: a zero weight among w₂..w_d, or a
    ReLU unit with z ≤ 0 (its sign is a product of signs, exact)."""
    if np.any(w[1:depth] == 0):
        return True
    if activation != "relu":
        return False
    sign = np.sign(w[0])
    for i in range(1, depth):
        z = np.sign(w[i]) * sign
        if z <= 0:
            return True
        sign = z
    return False


# ---------------------------------------------------------------- literal dtype loops


def dtype_forward(w: np.ndarray, activation: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """wᵢ in the dtype and act′(zᵢ) (i = 2..L), by a layer loop on numpy scalars of the dtype,
    with the page's formulas (σ via e = exp(−|z|); σ′ = min(e/((1+e)(1+e)), 1/4); tanh′ =
    min(4e/((1+e)(1+e)), 1) with e = exp(−|z|)²; 0·∞ taken as 0)."""
    kind = np.dtype(name).type
    with np.errstate(over="ignore"):
        wd = w.astype(name)
    one, quarter = kind(1), kind(0.25)
    slope = kind(0.01)
    a = np.empty(w.size - 1, dtype=name)
    o = wd[0]
    with np.errstate(all="ignore"):
        for i in range(1, w.size):
            z = wd[i] * o
            if z != z:
                z = kind(0)
            if activation == "sigmoid":
                e = np.exp(-abs(z))
                o = one / (one + e) if z >= 0 else e / (one + e)
                a[i - 1] = min(e / ((one + e) * (one + e)), quarter)
            elif activation == "tanh":
                half = np.exp(-abs(z))
                e = half * half
                o = np.tanh(z)
                a[i - 1] = min(kind(4) * e / ((one + e) * (one + e)), one)
            elif activation == "relu":
                o = z if z > 0 else kind(0)
                a[i - 1] = one if z > 0 else kind(0)
            else:
                o = z if z > 0 else slope * z
                a[i - 1] = one if z > 0 else slope
    return wd, a


def prefix_values(wd: np.ndarray, a: np.ndarray, stop: int) -> np.ndarray:
    """dF/dw₁ of every prefix chain d = 2..stop, each from its own top: g = 1, then for
    i = d..2: g ← g·act′(zᵢ), g ← g·wᵢ, rounded in the dtype at each product (0·∞ = 0).
    All prefixes advance together, one layer at a time (an array product rounds each element
    as a scalar product does)."""
    depths = np.arange(2, stop + 1)
    g = np.ones(depths.size, dtype=wd.dtype)
    with np.errstate(all="ignore"):
        for i in range(stop, 1, -1):
            live = depths >= i
            for factor in (a[i - 2], wd[i - 1]):
                product = g[live] * factor
                product[np.isnan(product)] = 0
                g[live] = product
    return g


def first_zero_depth(wd: np.ndarray, a: np.ndarray) -> int | None:
    """The smallest d with a zero prefix value, searching blocks of growing size."""
    depth = wd.size
    done, size = 1, 64
    while done < depth:
        stop = min(depth, done + size)
        values = prefix_values(wd, a, stop)
        zero = np.flatnonzero(values[done - 1 :] == 0)
        if zero.size:
            return int(zero[0]) + done + 1
        done, size = stop, size * 4
    return None


def full_value(wd: np.ndarray, a: np.ndarray) -> float:
    g = wd.dtype.type(1)
    with np.errstate(all="ignore"):
        for i in range(wd.size, 1, -1):
            for factor in (a[i - 2], wd[i - 1]):
                g = g * factor
                if g != g:
                    g = wd.dtype.type(0)
    return float(g)


# ---------------------------------------------------------------- reading the page


def parse(text: str) -> float:
    """ "3.50 × 10⁻³⁸⁹" → log10 of it (a float; magnitudes beyond float range allowed)."""
    text = text.replace("−", "-").split(" ⚠")[0].strip()
    match = re.fullmatch(r"(-?[\d.]+)(?: × 10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+))?", text)
    assert match, text
    mantissa = float(match.group(1))
    power = int(match.group(2).translate(_SUP)) if match.group(2) else 0
    return math.log10(abs(mantissa)) + power


def near(shown_log10: float, true_log10: float, digits: int = 3) -> bool:
    """A 3-significant-digit figure of the value (relative 5·10⁻³, plus the log's slack)."""
    return abs(shown_log10 - true_log10) <= math.log10(1 + 5.01 * 10.0**-digits)


def view(v: dict):
    return PANEL.view(**PANEL.arguments(v))


LESSON_SETTINGS = [
    {k: val for k, val in lesson_values(key).items() if k in CONTROLS}
    for key, lesson in LESSONS.items()
    if lesson.section == "answer"
]
EDGES = [
    {},  # the source: sigmoid, w = 1, L = 600
    {"depth": 2, "w": 0.1},  # one layer: no trend word
    {"depth": 3, "w": 0.1},
    {"depth": 2, "w": -1.0, "activation": "relu"},
    {"depth": 600, "w": -1.0, "activation": "relu"},  # a dead unit at layer 3
    {"depth": 100, "w": 8.0, "activation": "relu"},
    {"depth": 600, "w": 0.9, "activation": "tanh"},  # float16 sticks at its subnormal
    {"depth": 600, "w": 1.0, "activation": "tanh"},  # polynomial shrink, no word
    {"depth": 166, "w": 0.9, "activation": "tanh"},  # float16 1.13 orders above: flagged
    {"depth": 30, "w": 0.9, "activation": "relu"},  # exactly ×0.9 per layer
    {"depth": 10_000, "w": 1.0, "activation": "relu"},  # the deepest, nothing underflows
    {"depth": 10_000, "w": 1.0},
    {"depth": 50, "w": 0.0},  # zero weights
    {"depth": 40, "w": 0.5, "activation": "leaky_relu"},
    {"depth": 300, "w": -2.0, "activation": "leaky_relu"},
    {"depth": 80, "w": 2.0, "activation": "tanh"},
    {"depth": 60, "w": 10.0},
    {"depth": 60, "w": -10.0, "activation": "relu"},
    {
        "depth": 300,
        "w_mode": "random",
        "w_mean": 0.0,
        "w_spread": 1.0,
        "seed": 1,
        "activation": "relu",
    },
    {"depth": 300, "w_mode": "random", "w_mean": 0.0, "w_spread": 0.0, "seed": 0},
    {"depth": 2, "w_mode": "random", "w_mean": 10.0, "w_spread": 5.0, "seed": 10_000},
    *LESSON_SETTINGS,
]


@st.composite
def chain_settings(draw) -> dict:
    v = {key: draw(control_values(c)) for key, c in CONTROLS.items()}
    # most depths below 2000 (the literal loops are quadratic in the first zero depth);
    # the full range, up to 10 000, is drawn too, and pinned by the explicit examples
    v["depth"] = draw(st.one_of(st.integers(2, 60), st.integers(2, 2000), st.integers(2, 10_000)))
    return v


def given_settings(f):
    for edge in EDGES:
        f = example({**PANEL.defaults(), **edge})(f)
    return settings(max_examples=200, deadline=None)(given(chain_settings())(f))


@given_settings
def test_chain_claims(values: dict) -> None:
    """The heading, the headline's value and word, the first zero depths and their causes, the
    metrics and the far-from-exact flag, against the oracles."""
    v = {**PANEL.defaults(), **values}
    result = view(v)
    w = weights_of(v)
    activation, depth = v["activation"], v["depth"]
    spec = result.chart("chain").spec
    headline = result.facts["headline"]
    subtitle = spec["description"].split(headline, 1)[1].lstrip(". ")
    assert result.heading == f"The deep {LABELS[activation]} chain"
    product, cut, cause = exact_chain(w, activation)
    # the headline: exact zero with its cause, or the value, its mean factor and the word
    if product == 0:
        assert headline.startswith(f"dF/dw₁ = 0 exactly at L = {depth}: "), (headline, cut)
        if cause == ["weight"]:
            assert f"the weight of layer {cut} is 0" in headline
        else:
            assert f"the ReLU unit of layer {cut} is dead" in headline
    else:
        true_log = float(MP.log10(product))
        shown = re.match(r"\|dF/dw₁\| = (.+?) at L = (\d+): ", headline)
        assert shown
        assert int(shown.group(2)) == depth
        assert near(parse(shown.group(1)), true_log)
        layers = depth - 1
        if layers == 1:
            assert "no trend yet" in headline
            assert "vanishing" not in headline
            assert "exploding" not in headline
        else:
            log_m = true_log / layers
            factor = re.search(
                r": (?:vanishing, |exploding, )?×(.+?) per layer on average over (\d[\d,]*) layers",
                headline,
            )
            assert factor
            assert int(factor.group(2).replace(",", "")) == layers
            assert near(parse(factor.group(1)), log_m)
            tie = 1e-9
            vanishing = log_m <= math.log10(0.9) and true_log <= -1
            exploding = log_m >= -math.log10(0.9) and true_log >= 1
            on_edge = min(abs(log_m - math.log10(0.9)), abs(log_m + math.log10(0.9)),
                          abs(abs(true_log) - 1)) < tie  # fmt: skip
            if not on_edge:
                assert ("vanishing" in headline) == vanishing, headline
                assert ("exploding" in headline) == exploding, headline
    # each precision: the first zero depth, its cause, the value and the far flag
    zeros_found = {}
    metrics = {m.label: m for m in result.metrics}
    for name in DTYPES:
        wd, a = dtype_forward(w, activation, name)
        zero_at = first_zero_depth(wd, a)
        value = full_value(wd, a)
        metric = metrics[f"in {name}"]
        if zero_at is None:
            assert "not exactly 0 at any depth" in metric.help
            assert f"{name}" not in subtitle.split(".")[0] or "No precision" in subtitle
        else:
            zeros_found[name] = (zero_at, exact_zero_at(w, activation, zero_at))
            assert f"first exactly 0 at depth L = {zero_at}." in metric.help
            assert f"{zero_at} in {name}" in subtitle
        if value == 0:
            assert metric.value.startswith("0 (exactly)")
        elif math.isinf(value):
            assert "∞" in metric.value
        else:
            assert near(parse(metric.value), math.log10(abs(value)))
        exact_log = float(MP.log10(product)) if product != 0 else -math.inf
        if value != 0 and math.isfinite(value) and product != 0:
            orders = math.log10(abs(value)) - exact_log
            if abs(abs(orders) - 1) > 1e-6:
                assert ("⚠" in metric.value) == (abs(orders) >= 1), (name, orders)
            if abs(orders) >= 1 + 1e-6 and abs(abs(orders) % 1 - 0.5) > 1e-6:
                side = "larger" if orders > 0 else "smaller"
                size = str(round(abs(orders))).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
                assert f"{name} is about 10{size} times {side} than the exact value" in subtitle
                if abs(value) == float(np.finfo(name).smallest_subnormal):
                    assert "It sits at the smallest subnormal s" in subtitle
        else:
            assert "⚠" not in metric.value
    if not zeros_found:
        assert subtitle.startswith(
            f"No precision gives dF/dw₁ = 0 at any depth up to L = {depth}"
        ), subtitle
    else:
        underflow = [n for n, (_, true_zero) in zeros_found.items() if not true_zero]
        true_zero = [n for n, (_, tz) in zeros_found.items() if tz]
        if not underflow:
            assert "the exact value is 0 too" in subtitle
            assert "not underflow" in subtitle
        elif true_zero:
            assert f"({', '.join(true_zero)}: the exact value is 0 there too)" in subtitle
        else:
            assert "exact value is 0" not in subtitle
    # words: number agreement and articles in every generated sentence
    texts = [headline, subtitle, result.chart("chain").alt, *(t.text for t in result.texts)]
    texts += [m.help for m in result.metrics]
    for text in texts:
        assert not re.search(r"(?<![\d.,])1 (layers|orders|steps)\b", text), text
        assert not re.search(r"\ba (8|11|18|[aeiouAEIOU])", text), text
        assert not re.search(r"\ban [^aeiouAEIOU8 ]", text), text


def test_a_product_at_the_smallest_subnormal_sticks_exactly_for_factors_between_half_and_3_half():
    """The far sentence's rule, by a literal multiplication in each dtype: s·f rounds back to s
    iff 1/2 < f < 3/2 (s/2 and 3s/2 are ties, rounded to the even 0 and 2s)."""
    for name in DTYPES:
        kind = np.dtype(name).type
        s = np.finfo(name).smallest_subnormal
        factors = {kind(x) for x in np.linspace(0.25, 2.0, 2001)}
        for edge in (0.5, 1.5, 1.0):
            e = kind(edge)
            factors |= {e, np.nextafter(e, kind(0)), np.nextafter(e, kind(2))}
        for f in factors:
            with np.errstate(under="ignore"):
                sticks = s * f == s
            assert sticks == (0.5 < float(f) < 1.5), (name, f)
    text = view({**PANEL.defaults(), "activation": "tanh", "w": 0.9}).chart("chain").spec
    assert "1/2 < f < 3/2" in text["description"]


def test_the_chain_captions_state_each_slope_truly() -> None:
    """The plain caption under the chain, per activation ("σ′ ≤ 1/4, so every layer with
    |wᵢ| ≤ 1 shrinks the gradient at least 4×", "tanh′ ≤ 1", "ReLU′ is 1 or 0 … dead (its input
    is 0 or less)", "leaky ReLU′ is 1 or 0.01 … (input 0 or less) divides the gradient by
    100"): each slope written out here with mpmath over a grid of z, kink included."""
    from vgapp.words import ACTIVATION_WORDS

    mpmath.mp.prec = 80
    grid = [mpmath.mpf(k) / 8 for k in range(-400, 401)]
    sigma = [mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2 for z in grid]
    assert max(sigma) == mpmath.mpf(1) / 4  # at z = 0
    assert all(0 < s <= mpmath.mpf(1) / 4 for s in sigma)
    assert all(abs(w) * s <= mpmath.mpf(1) / 4 for s in sigma for w in (-1, 0.5, 1))
    assert "σ′ ≤ 1/4, so every layer with |wᵢ| ≤ 1 shrinks the gradient at least 4×" in (
        ACTIVATION_WORDS["sigmoid"].chain_caption
    )
    assert all(0 < 1 / mpmath.cosh(z) ** 2 <= 1 for z in grid)  # tanh′ = sech², no cancellation
    assert "tanh′ ≤ 1, so with |wᵢ| ≤ 1 no layer makes the gradient grow" in (
        ACTIVATION_WORDS["tanh"].chain_caption
    )
    assert "exactly 0 once one unit is dead (its input is 0 or less)" in (
        ACTIVATION_WORDS["relu"].chain_caption
    )
    from vgcore.activations import ACTIVATIONS

    # the slope the core takes at and left of the kink, as the captions say
    for key, inside, outside in (("relu", 0.0, 1.0), ("leaky_relu", 0.01, 1.0)):
        slope = ACTIVATIONS[key].derivative
        z = np.array([-3.0, -1e-300, 0.0, 1e-300, 2.0])
        np.testing.assert_array_equal(slope(z), [inside, inside, inside, outside, outside])
    assert "each inactive unit (input 0 or less) divides the gradient by 100" in (
        ACTIVATION_WORDS["leaky_relu"].chain_caption
    )


def test_a_merged_legend_name_says_where_its_series_stops() -> None:
    """A series drawn under another is named with it ("exact = float64"); where it stops (0 or
    ±∞) while the other goes on, its name says so, computed from the values themselves: the
    saturated chain's float32 underflows from L = 9, the exploding chain's float16 overflows."""
    host = np.log10(np.geomspace(1.0, 1e-60, 7))
    with np.errstate(divide="ignore"):
        underflowed = np.log10(np.where(np.arange(7) < 4, 10.0**host, 0.0))
    assert merged_label("float32", host.copy(), host) == "float32"
    assert merged_label("float32", underflowed, host) == "float32 (until 0)"
    overflowed = np.where(np.arange(7) < 4, host, np.inf)
    assert merged_label("float16", overflowed, host) == "float16 (until ∞)"
    both = np.where(np.arange(7) < 3, host, np.where(np.arange(7) < 5, -np.inf, np.inf))
    assert merged_label("float16", both, host) == "float16 (until 0 or ∞)"
    # and on the page, where the lessons put them
    for lesson, dtype, end in (("saturated", "float32", "0"), ("exploding", "float16", "∞")):
        chain = PANELS["chain"]
        spec = chain.view(**chain.arguments(lesson_values(lesson))).charts[0].spec
        text = json.dumps(spec, ensure_ascii=False)
        assert f"{dtype}\u00a0(until\u00a0{end})" in text
