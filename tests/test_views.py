"""Chart builders and panel views: the data they send to the browser matches the core, log
scales never receive zeros or infinities, and every spec is valid Vega-Lite."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from altair.vegalite.v6.schema.core import TopLevelSpec
from hypothesis import given, settings
from hypothesis import strategies as st

from vgapp import charts, views
from vgapp.page import defaults
from vgcore.chain import chain_gradient, chain_report, make_weights
from vgcore.counterexample import analyse_counterexample, gd_value_trace, log10_exact
from vgcore.curvature import describe_point
from vgcore.descent import gradient_descent, running_min
from vgcore.precision import update_is_lost
from vgcore.stopping import StoppingRules

D = defaults()


def unit_views(spec: dict) -> list[dict]:
    """Every unit view (a layer with a mark) of a spec."""
    children = [c for key in ("layer", "vconcat", "hconcat") for c in spec.get(key, [])]
    if not children:
        return [spec]
    return [unit for child in children for unit in unit_views(child)]


def assert_browser_ready(spec: dict) -> None:
    """Strict JSON (no NaN/inf anywhere), data inlined per layer, log scales fed positives."""
    json.dumps(spec, allow_nan=False)
    assert "datasets" not in spec and "data" not in spec
    for unit in unit_views(spec):
        rows = unit["data"]["values"]
        for channel in ("x", "y"):
            encoding = unit.get("encoding", {}).get(channel, {})
            if encoding.get("scale", {}).get("type") == "log":
                values = [row[encoding["field"]] for row in rows]
                assert all(v is not None and v > 0 for v in values), channel


def all_views() -> dict[str, dict]:
    chain = views.chain_view(600, "sigmoid", "constant", 1.0, None, None, None, "weight")
    descent = views.descent_view("two_weight_net", 0.6, -0.6, "constant", 0.1, 200)
    return {
        "counterexample": views.counterexample_view(1.0, -90, 1.0, 9999, 0, -8, -6).chart,
        "chain": chain.chart,
        "surface": views.curvature_view("two_weight_net", 0.0, 0.0).chart,
        "descent_path": descent.path_chart,
        "descent_norms": descent.norm_chart,
        "precision": views.precision_view(1.0, 0.1, -16, "float64").chart,
    }


@pytest.mark.parametrize("name", list(all_views()))
def test_every_spec_is_valid_vega_lite_and_browser_ready(name):
    spec = all_views()[name]
    assert_browser_ready(spec)
    TopLevelSpec.validate(spec)  # the inlined spec the page sends is valid Vega-Lite
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert spec.get("title", {}).get("text"), "every chart states its finding in a title"


def test_builders_pass_altair_schema_validation():
    """The page skips validation for speed; here every builder's chart is validated."""
    chain = chain_report(make_weights(50), "sigmoid")
    layers = np.arange(1, 51)
    _, lines, bands = charts.chain_frames(
        layers, chain.log10_abs_gradient, dict(chain.gradients), {}
    )
    spec = charts.chain_chart(
        lines, bands, depth=50, quantity="weight", title=charts.titled("t"), guide_labels={}
    )
    TopLevelSpec.validate(spec)  # written as a dict, not through Altair: validate it here
    assert_browser_ready(spec)


def test_counterexample_frame_is_the_exact_trace():
    view = views.counterexample_view(1.0, -90, 1.0, 9999, 0, -8, -6)
    report = analyse_counterexample("1e-90", "1e9999", "1", "1e-8", "1e-6")
    assert view.report.steps_to_minimum == report.steps_to_minimum == 10**10089
    ks = charts.counterexample_steps(report.steps_to_minimum)
    assert ks == sorted(ks) and ks[-1] == report.steps_to_minimum and ks[0] == 1
    expected = [log10_exact(v) for v in gd_value_trace(report, ks)]
    assert view.frame["log10_value"].tolist() == expected
    assert expected[0] == pytest.approx(9909.0, abs=1e-12)
    assert expected[-1] == -math.inf  # the minimum: marked, never plotted on the value axis
    spec_values = [
        r["log10_value"]
        for u in unit_views(view.chart)
        for r in u["data"]["values"]
        if "log10_value" in r
    ]
    assert all(math.isfinite(v) for v in spec_values)


def test_counterexample_metrics_are_exact():
    view = views.counterexample_view(2.5, -90, 1.0, 9999, 0, -8, -6)
    metrics = {m.label: m.value for m in view.metrics}
    assert metrics["f′(p) = c"] == "2.5 × 10⁻⁹⁰"
    assert metrics["f(p)"] == "2.5 × 10⁹⁹⁰⁹"
    assert metrics["steps needed"] == "4 × 10¹⁰⁰⁸⁸"  # 1e9999 / 2.5e-90, exactly
    assert view.report.steps_to_minimum == 4 * 10**10088


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(10) ** 9909, "10⁹⁹⁰⁹"),
        (Fraction(1, 3), "3.33 × 10⁻¹"),
        (Fraction(25, 10) * Fraction(10) ** -90, "2.5 × 10⁻⁹⁰"),
        (Fraction(0), "0"),
    ],
)
def test_exact_text_trims_only_exact_mantissas(value, text):
    assert views.exact_text(value) == text


@given(st.integers(min_value=1, max_value=10**60))
def test_digit_count_without_strings(n):
    assert charts._digit_count(n) == len(str(n))


@pytest.mark.parametrize(
    ("activation", "w"), [("sigmoid", 1.0), ("sigmoid", -8.0), ("relu", 8.0), ("tanh", 0.5)]
)
def test_chain_frames_match_the_core(activation, w):
    depth = 700
    view = views.chain_view(depth, activation, "constant", w, None, None, None, "weight")
    weights = make_weights(depth, "constant", w=w)
    for name in ("float16", "float32", "float64"):
        honest = chain_gradient(weights, activation, name).astype(np.float64)
        np.testing.assert_array_equal(view.frame[name].to_numpy(), honest)
        # Every layer whose value is exactly 0 or inf lies in a band of that dtype, and no other.
        zero = honest == 0
        spec_bands = [
            r
            for u in unit_views(view.chart)
            for r in u["data"]["values"]
            if r.get("dtype") == name and "from_layer" in r
        ]
        covered = np.zeros(depth, dtype=bool)
        for band in spec_bands:
            layers = np.arange(math.ceil(band["from_layer"]), math.floor(band["to_layer"]) + 1)
            covered[layers - 1] = True
        np.testing.assert_array_equal(covered, zero | np.isinf(honest))
    metrics = {m.label: m.value for m in view.metrics}
    g1 = float(chain_gradient(weights, activation, "float16")[0])
    assert metrics["in float16"] == views.sci(g1)
    assert_browser_ready(view.chart)


def test_chain_plot_is_downsampled_but_keeps_the_transitions():
    view = views.chain_view(10_000, "sigmoid", "constant", 1.0, None, None, None, "weight")
    rows = [r for u in unit_views(view.chart) for r in u["data"]["values"] if "series" in r]
    per_series: dict[str, list[int]] = {}
    for row in rows:
        per_series.setdefault(row["series"], []).append(row["layer"])
    for layers in per_series.values():
        assert len(layers) <= charts.MAX_POINTS + 20
    assert len(view.frame) == 10_000  # the CSV keeps every layer
    zero_from = view.report.underflow_depths
    assert zero_from == {"float16": 13, "float32": 71, "float64": 500}


def test_precision_rows_follow_update_is_lost():
    for dtype in ("float16", "float32", "float64"):
        view = views.precision_view(1.0, 0.1, -4, dtype)
        delta = -0.1 * 1e-4
        assert view.lost == update_is_lost(1.0, delta, dtype)
        row = view.rows.set_index("precision").loc[dtype]
        assert row["update lost?"] == ("yes: lost" if update_is_lost(1.0, delta, dtype) else "no")
        assert_browser_ready(view.chart)


def test_precision_view_survives_overflowing_weights():
    view = views.precision_view(1e6, 10.0, 5, "float16")
    assert view.rows.set_index("precision").loc["float16"]["stored w"] == "overflows to ∞"
    assert not view.lost


def test_descent_view_reaches_the_saddle_from_the_anti_diagonal():
    view = views.descent_view("two_weight_net", 0.6, -0.6, "constant", 0.1, 500)
    assert view.verdict == "saddle"
    assert view.result.stopped_by == "gatol"
    np.testing.assert_allclose(view.result.x, [0.0, 0.0], atol=1e-9)

    def two_weight_net(x):
        residual = 1 - x[0] * x[1]
        return residual**2, np.array([-2 * x[1] * residual, -2 * x[0] * residual])

    reference = gradient_descent(
        two_weight_net,
        np.array([0.6, -0.6]),
        eta=0.1,
        rules=StoppingRules(gatol=views.DESCENT_GATOL, max_iter=500),
    )
    np.testing.assert_allclose(view.frame["gradient_norm"], reference.grad_norm, rtol=1e-12)
    np.testing.assert_array_equal(
        view.frame["best_gradient_norm"], running_min(reference.grad_norm)
    )
    assert "bound" not in view.frame  # eta = 0.1 > 1/L = 1/26: the theorem says nothing
    assert describe_point("two_weight_net", 0.0, 0.0).classification == "saddle"


def test_descent_rate_bound_is_drawn_only_where_the_theorem_applies_and_holds_there():
    """MATH.md C: for a constant step eta <= 1/L,
    min_{i<=k} ||grad F|| <= sqrt(2 (F0 - F*) / (eta (k + 1)))."""
    view = views.descent_view("two_weight_net", 0.6, -0.6, "constant", 0.035, 500)
    assert view.verdict == "saddle" and view.result.stopped_by == "gatol"
    assert np.all(view.frame["best_gradient_norm"] <= view.frame["bound"])
    f0 = (1 - 0.6 * -0.6) ** 2
    k = view.frame["k"].to_numpy()
    np.testing.assert_allclose(view.frame["bound"], np.sqrt(2 * f0 / (0.035 * (k + 1))))
    armijo = views.descent_view("two_weight_net", 0.6, -0.6, "armijo", 0.035, 500)
    assert "bound" not in armijo.frame


def test_descent_view_reports_divergence_instead_of_failing():
    view = views.descent_view("saddle", 0.5, 0.5, "constant", 2.0, 5000)
    assert view.verdict == "diverged"
    assert "unbounded below" in view.explanation
    assert "bound" not in view.frame  # F has no infimum: no rate bound drawn
    assert_browser_ready(view.norm_chart)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu"]),
    st.floats(min_value=-10, max_value=10),
    st.integers(min_value=2, max_value=3000),
)
def test_chain_view_is_browser_ready_for_any_constant_weight(activation, w, depth):
    view = views.chain_view(depth, activation, "constant", w, None, None, None, "backprop")
    assert_browser_ready(view.chart)


def test_chain_guides_are_suffix_sums_over_the_layers_above():
    """Π|w_i| and the bound over i > k, checked against sums written here, also above a dead
    ReLU unit (where a prefix-difference shortcut would wrongly give -inf)."""
    weights = make_weights(300, "normal", mean=1.0, spread=1.0, seed=3)
    assert np.any(weights < 0)
    view = views.chain_view(300, "relu", "random", None, 1.0, 1.0, 3, "backprop")
    log_w = np.log10(np.abs(weights))
    above = np.array([log_w[k + 1 :].sum() for k in range(300)])
    np.testing.assert_allclose(view.frame["log10_weight_product"], above, rtol=1e-10, atol=1e-10)
    assert np.all(np.isfinite(view.frame["log10_weight_product"]))
    sigmoid = views.chain_view(300, "sigmoid", "random", None, 1.0, 1.0, 3, "backprop")
    bound = above + np.arange(299, -1, -1) * math.log10(0.25)
    np.testing.assert_allclose(sigmoid.frame["log10_bound"], bound, rtol=1e-10, atol=1e-10)
    assert np.all(sigmoid.frame["log10_abs_exact"] <= sigmoid.frame["log10_bound"] + 1e-9)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_rounded_keeps_four_significant_digits(value):
    (cut,) = charts.rounded(np.array([value]))
    if value == 0:
        assert cut == 0
    else:
        assert abs(cut - value) <= 5.0001e-4 * abs(value)
