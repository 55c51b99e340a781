"""Every panel's sentences checked against the core's numbers over a grid of settings a visitor
can reach: the words are recomputed from vgcore here, never compared with copies of themselves.
"""

from __future__ import annotations

import itertools
import math

import pytest

from vgapp.page import PANELS
from vgcore.chain import chain_gradient, chain_log10_abs_gradient, make_weights, underflow_depth
from vgcore.counterexample import analyse_counterexample
from vgcore.curvature import EXAMPLES, classify_stationary_point, describe_point
from vgcore.precision import DTYPES, update_is_lost


def view(panel: str, **changes):
    values = {**PANELS[panel].defaults(), **changes}
    return PANELS[panel].view(**PANELS[panel].arguments(values))


def subtitle(spec: dict) -> str:
    return spec["description"]


@pytest.mark.parametrize(
    ("c_exp", "p_exp", "eta_exp"),
    [(-90, 9999, 0), (0, 0, 6), (0, 0, 0), (-1, 0, 1), (-3, 2, 6), (-300, 0, -6), (0, 1, 0)],
)
def test_counterexample_step_sentences_follow_the_exact_step_count(c_exp, p_exp, eta_exp):
    """ "lowers f by η·c² … needs N steps" only when more than one step is needed; one step is
    said to jump past the minimum."""
    result = view("counterexample", c_exp=c_exp, p_exp=p_exp, eta_exp=eta_exp)
    report = analyse_counterexample(f"1e{c_exp}", f"1e{p_exp}", f"1e{eta_exp}")
    text = subtitle(result.chart("counterexample").spec)
    if report.steps_to_minimum == 1:
        assert "One step" in text
        assert "lowers f" not in text
    else:
        assert "lowers f by η·c²" in text
        assert "One step" not in text


CHAIN_GRID = list(
    itertools.product(
        ["sigmoid", "tanh", "relu", "leaky_relu"], [-2.0, -0.5, 0.5, 0.9, 1.0, 2.0, 8.0], [40, 600]
    )
)


@pytest.mark.parametrize(("activation", "w", "depth"), CHAIN_GRID)
def test_chain_sentences_follow_the_cores_numbers(activation, w, depth):
    """The headline's word (vanishing, exploding, exactly 0), each precision's first zero depth
    and its cause, and the far-from-exact flag, against the core computed here."""
    result = view("chain", activation=activation, w=w, depth=depth)
    weights = make_weights(depth, "constant", w=w)
    exact = float(chain_log10_abs_gradient(weights, activation)[0])
    headline = result.facts["headline"]
    if exact == -math.inf:
        assert headline.startswith("dF/dw₁ = 0 exactly")
    elif depth == 2:
        assert "no trend yet" in headline
    else:
        # the word describes a trend with depth: the mean factor per layer, and a 10-fold change
        per_layer = 10 ** (exact / (depth - 1))
        assert ("vanishing" in headline) == (per_layer <= 0.9 and exact <= -1)
        assert ("exploding" in headline) == (per_layer >= 1 / 0.9 and exact >= 1)
    zeros = result.facts["zeros"]
    for name in DTYPES:
        depth_zero = underflow_depth(weights, activation, name)
        assert (name in zeros) == (depth_zero is not None)
        if depth_zero is not None:
            assert zeros[name].depth == depth_zero
            prefix = float(chain_log10_abs_gradient(weights[:depth_zero], activation)[0])
            assert zeros[name].underflow == math.isfinite(prefix)
        value = abs(float(chain_gradient(weights, activation, name)[0]))
        flagged = name in result.facts["far"]
        far = value > 0 and math.isfinite(value) and math.isfinite(exact)
        assert flagged == (far and abs(math.log10(value) - exact) >= 1)


@pytest.mark.parametrize(("w", "grad_exp", "eta"), list(itertools.product(
    [1.0, -1.0, 1000.0, 1e-3, 0.0], [-20, -16, -8, -4, -1], [0.1, 1.0])))  # fmt: skip
def test_lost_and_applied_follow_update_is_lost(w, grad_exp, eta):
    for dtype in DTYPES:
        result = view("precision", fp_w=w, fp_grad_exp=grad_exp, fp_eta=eta, fp_dtype=dtype)
        metrics = {m.label: m.value for m in result.metrics}
        lost = update_is_lost(w, -eta * 10.0**grad_exp, dtype)
        assert metrics[f"in {dtype}"] == ("lost" if lost else "applied")
        assert ("steps to move w by 1 %" in metrics) == (not lost and w != 0)


@pytest.mark.parametrize("surface", list(EXAMPLES))
@pytest.mark.parametrize(("x", "y"), [(0.0, 0.0), (0.5, 0.0), (1.0, 1.0), (0.0, 0.5), (-1.0, 1.0)])
def test_the_hessian_verdict_is_the_second_order_test_where_the_gradient_is_zero(surface, x, y):
    result = view("curvature", surface=surface, pt_x=x, pt_y=y)
    verdict = {m.label: m.value for m in result.metrics}["verdict"]
    point = describe_point(surface, x, y)
    if point.gradient_norm == 0:
        assert verdict == classify_stationary_point(point.hessian)
    else:
        assert verdict == "not stationary"
