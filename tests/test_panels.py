"""The panels' views: the numbers and sentences they show agree with the core, every chart is
valid Vega-Lite that a browser can draw (strict JSON, log scales fed positives), and chart text
is readable (at least 12 px)."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from altair.vegalite.v6.schema.core import TopLevelSpec
from discovered import STILL_PANELS, enabling, settings_to_try
from hypothesis import given, settings
from hypothesis import strategies as st

from vgapp import vegalite as vl
from vgapp.formatting import exact_text, sci
from vgapp.page import LESSONS, PANELS, SECTION_OF_PANEL, lesson_values
from vgapp.panels import counterexample, curvature, descent, precision
from vgcore.chain import chain_gradient, make_weights
from vgcore.counterexample import analyse_counterexample, gd_value_trace, log10_exact
from vgcore.curvature import EXAMPLES, describe_point
from vgcore.descent import gradient_descent, running_min
from vgcore.precision import update_is_lost
from vgcore.stopping import StoppingRules


def defaults(panel: str) -> dict:
    return PANELS[panel].defaults()


def view(panel: str, **changes):
    values = {**defaults(panel), **changes}
    return PANELS[panel].view(**PANELS[panel].arguments(values))


def unit_views(spec: dict) -> list[dict]:
    """Every unit view (a layer with a mark) of a spec."""
    children = [c for key in ("layer", "vconcat", "hconcat") for c in spec.get(key, [])]
    if not children:
        return [spec]
    return [unit for child in children for unit in unit_views(child)]


def assert_browser_ready(spec: dict) -> None:
    """Strict JSON (no NaN/inf anywhere), data inlined per layer, log scales fed positives,
    every text at least 12 px, a title that states the finding."""
    json.dumps(spec, allow_nan=False)
    assert "datasets" not in spec
    assert "data" not in spec
    assert spec["description"]  # the title's finding, also what a screen reader reads
    assert spec["config"]["axis"]["labelFontSize"] >= vl.FONT_SIZE >= 12
    for unit in unit_views(spec):
        rows = unit["data"]["values"]
        mark = unit["mark"]
        if mark.get("type") == "text":
            assert mark.get("fontSize", vl.CONFIG["text"]["fontSize"]) >= 12
        for channel in ("x", "y"):
            encoding = unit.get("encoding", {}).get(channel, {})
            if encoding.get("scale", {}).get("type") == "log":
                values = [row[encoding["field"]] for row in rows]
                assert all(v is not None and v > 0 for v in values), channel


def settings_of(panel: str) -> list[tuple[str, dict]]:
    """What to draw a panel with, from the registry: its defaults, each lesson of its section,
    and every option and both ends of each of its controls, one at a time (with the control it
    depends on set so that it applies)."""
    section = SECTION_OF_PANEL[panel]
    lessons = [key for key, lesson in LESSONS.items() if lesson.section == section]
    return [
        ("defaults", {}),
        *((f"lesson {key}", lesson_values(key)) for key in lessons),
        *(
            (f"{key}={value}", {**enabling(key), key: value})
            for key, value in settings_to_try(PANELS[panel].controls)
        ),
    ]


def all_charts():
    """Every chart of every panel drawn from the controls alone, under each of its settings;
    a chart drawn alike under several settings counts once."""
    found = {}
    for panel in STILL_PANELS:
        for setting, values in settings_of(panel):
            for chart in view(panel, **values).charts:
                text = json.dumps(chart.spec, sort_keys=True, default=str)
                found.setdefault(text, pytest.param(chart, id=f"{chart.name}[{setting}]"))
    return list(found.values())


CHARTS = all_charts()


def test_every_still_panel_is_drawn():
    """The charts come from every panel that the controls alone draw (the live lab's from its
    runs: tests/test_lab.py), each of its charts at least once."""
    assert STILL_PANELS
    drawn = {param.values[0].name for param in CHARTS}
    for panel in STILL_PANELS:
        assert {c.name for c in view(panel).charts} <= drawn, panel


@pytest.mark.parametrize("chart", CHARTS)
def test_every_spec_is_valid_vega_lite_and_browser_ready(chart):
    TopLevelSpec.validate(chart.spec)
    assert_browser_ready(chart.spec)
    assert chart.spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert chart.alt
    assert len(chart.frame)


def test_titles_are_broken_into_lines_that_fit_a_phone():
    spec = vl.title("x " * 60, "y " * 80)
    assert all(len(line) <= vl.TITLE_LINE for line in spec["text"])
    assert all(len(line) <= vl.SUBTITLE_LINE for line in spec["subtitle"])


# ---------------------------------------------------------------- the counterexample


def test_counterexample_frame_is_the_exact_trace():
    result = view("counterexample")
    report = analyse_counterexample("1e-90", "1e9999", "1", "1e-8", "1e-6")
    assert result.facts["report"].steps_to_minimum == report.steps_to_minimum == 10**10089
    ks = counterexample.steps_to_plot(report.steps_to_minimum)
    assert ks == sorted(ks)
    assert ks[-1] == report.steps_to_minimum
    assert ks[0] == 1
    frame = result.chart("counterexample").frame
    expected = [log10_exact(v) for v in gd_value_trace(report, ks)]
    assert frame["log10_f_at_x_k"].tolist() == expected
    assert expected[0] == pytest.approx(9909.0, abs=1e-12)
    assert expected[-1] == -math.inf  # the minimum: marked, never plotted on the value axis
    plotted = [
        r["log10_f_at_x_k"]
        for u in unit_views(result.chart("counterexample").spec)
        for r in u["data"]["values"]
        if "log10_f_at_x_k" in r
    ]
    assert all(math.isfinite(v) for v in plotted)


@pytest.mark.parametrize("exponent", [0, 1, 2, 40, 10089])
@pytest.mark.parametrize("offset", [-1, 0, 7])
def test_steps_to_plot_spans_one_to_the_minimum(exponent, offset):
    """Powers of ten up to the largest below the step count, then the count itself."""
    steps = max(1, 10**exponent + offset)
    ks = counterexample.steps_to_plot(steps)
    assert ks[-1] == steps
    assert ks == sorted(set(ks))
    if steps > 1:
        assert ks[0] == 1
        assert all(0 < k < steps for k in ks[:-1])
        assert exponent > 40 or 10 ** (len(str(steps - 1)) - 1) in ks


def test_counterexample_metrics_are_exact_and_the_correction_only_for_the_source():
    result = view("counterexample", c_mant=2.5)
    metrics = {m.label: m.value for m in result.metrics}
    assert metrics["f′(p) = c"] == "2.5 × 10⁻⁹⁰"
    assert metrics["f(p)"] == "2.5 × 10⁹⁹⁰⁹"
    assert metrics["steps needed"] == "4 × 10¹⁰⁰⁸⁸"  # 1e9999 / 2.5e-90, exactly
    assert not any(t.kind == "correction" for t in result.texts)
    source = view("counterexample")
    assert any(t.kind == "correction" and "10⁻⁹⁹" in t.text for t in source.texts)


def test_one_step_is_not_described_as_many():
    """c = 1, p = 1, η = 10⁶: one step jumps past the minimum (it does not lower f by η·c²)."""
    result = view("counterexample", c_exp=0, p_exp=0, eta_exp=6)
    report = result.facts["report"]
    assert report.steps_to_minimum == 1
    title = result.chart("counterexample").spec["description"]
    assert "One step" in title
    assert "lowers f" not in title


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
    assert exact_text(value) == text


# ---------------------------------------------------------------- the chain


def lines_of(spec: dict) -> dict[str, list[tuple[float, float]]]:
    rows = [r for u in unit_views(spec) for r in u["data"]["values"] if "s" in r]
    found: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        found.setdefault(row["s"], []).append((row["x"], row["v"]))
    return found


def bands_in(spec: dict) -> list[dict]:
    return [r for u in unit_views(spec) for r in u["data"]["values"] if "kind" in r]


def test_the_depth_axis_shows_where_each_precision_first_gives_zero():
    """The title's depths (13, 71, 500 for w = 1) are where the bands start on the x axis, and
    each band value is what chain_gradient of that prefix gives."""
    result = view("chain")
    spec = result.chart("chain").spec
    assert "13 in float16, 71 in float32, 500 in float64" in spec["description"]
    starts = {b["dtype"]: b["_from"] + 0.5 for b in bands_in(spec)}
    assert starts == {"float16": 13, "float32": 71, "float64": 500}
    assert all(b["kind"] == "exactly 0: underflow" for b in bands_in(spec))
    weights = make_weights(600)
    frame = result.chart("chain").frame
    for depth in (12, 13, 70, 71, 499, 500, 600):
        row = frame[frame["depth_L"] == depth].iloc[0]
        for name in ("float16", "float32", "float64"):
            honest = float(chain_gradient(weights[:depth], "sigmoid", name)[0])
            assert row[f"value_in_{name}"] == honest


@pytest.mark.parametrize(
    ("activation", "w"), [("sigmoid", 1.0), ("sigmoid", -8.0), ("relu", 8.0), ("tanh", 0.5)]
)
def test_per_layer_bands_cover_exactly_the_zero_and_infinite_layers(activation, w):
    depth = 700
    result = view("chain", depth=depth, activation=activation, w=w, quantity="weight")
    weights = make_weights(depth, "constant", w=w)
    frame = result.chart("chain").frame
    for name in ("float16", "float32", "float64"):
        honest = chain_gradient(weights, activation, name).astype(np.float64)
        np.testing.assert_array_equal(frame[f"value_in_{name}"].to_numpy(), honest)
        covered = np.zeros(depth, dtype=bool)
        for band in (b for b in bands_in(result.chart("chain").spec) if b["dtype"] == name):
            layers = np.arange(math.ceil(band["_from"]), math.floor(band["_to"]) + 1)
            covered[layers - 1] = True
        np.testing.assert_array_equal(covered, (honest == 0) | np.isinf(honest))
    metrics = {m.label: m.value for m in result.metrics}
    g1 = float(chain_gradient(weights, activation, "float16")[0])
    assert metrics["in float16"].startswith(sci(g1))


def test_a_dead_unit_is_a_zero_gradient_not_underflow():
    """Random weights with negative ones under ReLU: the zeros are exact (MATH.md D3), and
    neither the bands nor the sentences call them underflow."""
    result = view("chain", activation="relu", w_mode="random", w_mean=0.0, w_spread=1.0, seed=1)
    spec = result.chart("chain").spec
    kinds = {b["kind"] for b in bands_in(spec)}
    assert kinds == {"exactly 0: zero weight or dead unit"}
    zeros = result.facts["zeros"]
    assert zeros
    assert all(not fact.underflow for fact in zeros.values())
    assert "not underflow" in spec["description"]
    assert result.facts["headline"].startswith("dF/dw₁ = 0 exactly")


def test_a_precision_stuck_far_from_the_exact_value_is_flagged():
    """tanh, w = 0.9, L = 600: the exact dF/dw₁ is about 6·10⁻²⁹ but float16 sticks at its
    smallest subnormal 5.96·10⁻⁸ (a per-layer factor above 1/2 rounds back up)."""
    result = view("chain", activation="tanh", w=0.9, depth=600)
    report = result.facts["report"]
    assert float(report.gradients["float16"][0]) == 2.0**-24
    assert 10 ** report.log10_abs_gradient[0] == pytest.approx(6.1e-29, rel=0.05)
    assert result.facts["far"]["float16"] == round(
        math.log10(2.0**-24) - report.log10_abs_gradient[0]
    )
    metric = {m.label: m for m in result.metrics}["in float16"]
    assert "⚠" in metric.value
    assert "orders of magnitude" in metric.help
    assert "float64" not in result.facts["far"]


def test_no_flag_when_every_precision_is_close():
    result = view("chain", depth=10)
    assert result.facts["far"] == {}


def test_chain_headline_and_correction_follow_the_activation():
    relu = view("chain", activation="relu")
    assert relu.heading == "The deep ReLU chain"
    assert not any(t.kind == "correction" for t in relu.texts)
    assert not any("σ′ ≤ 1/4" in t.text for t in relu.texts)
    sigmoid = view("chain")
    assert sigmoid.heading == "The deep sigmoid chain"
    assert any(t.kind == "correction" and "(0, 1/4]" in t.text for t in sigmoid.texts)


def test_chain_plot_is_downsampled_but_the_csv_keeps_every_layer():
    result = view("chain", depth=10_000, quantity="weight")
    for points in lines_of(result.chart("chain").spec).values():
        assert len(points) <= vl.MAX_POINTS + 20
    assert len(result.chart("chain").frame) == 10_000


def test_chain_guides_are_suffix_sums_over_the_layers_above():
    """Π|w_i| and the bound over i > k, checked against sums written here, also above a dead
    ReLU unit (where a prefix-difference shortcut would wrongly give -inf)."""
    weights = make_weights(300, "normal", mean=1.0, spread=1.0, seed=3)
    assert np.any(weights < 0)
    changes = {"depth": 300, "w_mode": "random", "w_mean": 1.0, "w_spread": 1.0, "seed": 3,
               "quantity": "backprop"}  # fmt: skip
    relu = view("chain", activation="relu", **changes).chart("chain").frame
    log_w = np.log10(np.abs(weights))
    above = np.array([log_w[k + 1 :].sum() for k in range(300)])
    np.testing.assert_allclose(relu["log10_weights_guide"], above, rtol=1e-10, atol=1e-10)
    sigmoid = view("chain", **changes).chart("chain").frame
    bound = above + np.arange(299, -1, -1) * math.log10(0.25)
    np.testing.assert_allclose(sigmoid["log10_bound_guide"], bound, rtol=1e-10, atol=1e-10)
    assert np.all(sigmoid["log10_abs_exact"] <= sigmoid["log10_bound_guide"] + 1e-9)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu"]),
    st.floats(min_value=-10, max_value=10),
    st.integers(min_value=2, max_value=3000),
    st.sampled_from(["first", "weight", "backprop"]),
)
def test_chain_view_is_browser_ready_for_any_constant_weight(activation, w, depth, quantity):
    result = view("chain", activation=activation, w=round(w, 1), depth=depth, quantity=quantity)
    assert_browser_ready(result.chart("chain").spec)


# ---------------------------------------------------------------- the Hessian


def test_curvature_metrics_follow_the_core_and_never_print_minus_zero():
    for surface in EXAMPLES:
        result = view("curvature", surface=surface)
        point = describe_point(surface, 0.0, 0.0)
        metrics = {m.label: m.value for m in result.metrics}
        assert metrics["verdict"] == point.classification
        assert "−0" not in metrics["Hessian eigenvalues"]
    assert curvature.eigen_text([-0.0, 2.0]) == "0 and +2"


def test_the_hessian_sentence_states_the_test_correctly():
    text = curvature.TEST_TEXT
    for phrase in ("F″(p) ≠ 0", "positive definite", "negative definite", "indefinite",
                   "singular and semidefinite"):  # fmt: skip
        assert phrase in text
    assert "**semi**definite" in curvature.CORRECTION


# ---------------------------------------------------------------- descent


def exact_limit(surface: str, x0: float, y0: float) -> str:
    """The kind of the stationary point a convergent run must reach, by hand: on (1 − ab)² the
    anti-diagonal a = −b is invariant and leads to the saddle; any other start to the valley."""
    if surface == "two_weight_net":
        return "saddle" if x0 == -y0 else "minimum"
    return {"bowl": "minimum", "quartic": "minimum"}[surface]


@pytest.mark.parametrize("surface", ["two_weight_net", "bowl", "quartic"])
@pytest.mark.parametrize(("x0", "y0"), [(0.6, -0.6), (2.0, 2.0), (0.5, 0.5), (-1.0, 0.3)])
@pytest.mark.parametrize("iterations", [100, 140, 500, 3000])
@pytest.mark.parametrize(("rule", "eta"), [("constant", 0.035), ("constant", 0.01),
                                           ("armijo", 0.5)])  # fmt: skip
def test_descent_verdicts_never_contradict_the_exact_limit(surface, x0, y0, iterations, rule, eta):
    """A verdict names a stationary point only when ‖∇F‖ ≤ 10⁻¹⁰, and then its exact kind;
    otherwise the run is "not yet stationary" (or diverged)."""
    result = view("descent", gd_surface=surface, gd_x0=x0, gd_y0=y0, gd_iters=iterations,
                  gd_rule=rule, gd_eta=eta)  # fmt: skip
    run = result.facts["result"]
    verdict = result.facts["verdict"]
    final = float(run.grad_norm[-1])
    if verdict == "diverged":
        assert run.stopped_by == "non_finite" or not np.all(np.isfinite(run.x))
    elif final <= descent.DESCENT_GATOL:
        assert verdict == exact_limit(surface, x0, y0)
    else:
        assert verdict == "not yet stationary"
    metric = {m.label: m for m in result.metrics}["end point"]
    assert metric.value == verdict
    if verdict == "minimum" and surface == "two_weight_net":
        assert "valley ab = 1" in metric.help
        assert "strict" not in metric.help.replace("none strict", "")


def test_the_global_minimum_is_not_called_a_saddle():
    """(1 − ab)² from (2, 2) for 100 iterations ends near (1, 1) with ‖∇F‖ ≈ 5·10⁻⁷: not yet
    stationary, near the valley of minima, never "a saddle"."""
    result = view("descent", gd_x0=2.0, gd_y0=2.0, gd_iters=100)
    verdict = result.facts["verdict"]
    assert verdict == "not yet stationary"
    metric = {m.label: m for m in result.metrics}["end point"]
    assert "valley ab = 1" in metric.help
    assert "saddle" not in metric.help


def test_divergence_names_its_cause():
    bowl = view("descent", gd_surface="bowl", gd_x0=1.0, gd_y0=1.0, gd_eta=1.5)
    assert bowl.facts["verdict"] == "diverged"
    help_text = {m.label: m for m in bowl.metrics}["end point"].help
    assert "exceeds 2/L = 1" in help_text
    assert "a minimum exists" in help_text
    assert EXAMPLES["bowl"].lipschitz_hint == 2.0
    saddle = view("descent", gd_surface="saddle", gd_x0=0.5, gd_y0=0.5, gd_eta=0.1, gd_iters=5000)
    assert saddle.facts["verdict"] == "diverged"
    assert "unbounded below" in {m.label: m for m in saddle.metrics}["end point"].help


def test_descent_norms_are_the_cores_and_the_bound_holds_where_drawn():
    """MATH.md C: for a constant step eta <= 1/L,
    min_{i<=k} ||grad F|| <= sqrt(2 (F0 - F*) / (eta (k + 1)))."""
    result = view("descent")  # (0.6, -0.6), eta = 0.035 <= 1/26
    frame = result.chart("descent_gradient_norms").frame

    def two_weight_net(x):
        residual = 1 - x[0] * x[1]
        return residual**2, np.array([-2 * x[1] * residual, -2 * x[0] * residual])

    reference = gradient_descent(
        two_weight_net,
        np.array([0.6, -0.6]),
        eta=0.035,
        rules=StoppingRules(gatol=descent.DESCENT_GATOL, max_iter=500),
    )
    np.testing.assert_allclose(frame["gradient_norm"], reference.grad_norm, rtol=1e-12)
    np.testing.assert_array_equal(
        frame["best_gradient_norm_so_far"], running_min(reference.grad_norm)
    )
    assert np.all(frame["best_gradient_norm_so_far"] <= frame["rate_bound"])
    k = frame["k"].to_numpy()
    f0 = (1 - 0.6 * -0.6) ** 2
    np.testing.assert_allclose(frame["rate_bound"], np.sqrt(2 * f0 / (0.035 * (k + 1))))
    armijo = view("descent", gd_rule="armijo").chart("descent_gradient_norms").frame
    assert "rate_bound" not in armijo


def test_the_saddle_lesson_ends_at_the_saddle():
    result = view("descent", **lesson_values("saddle"))
    assert result.facts["verdict"] == "saddle"
    np.testing.assert_allclose(result.facts["result"].x, [0.0, 0.0], atol=1e-9)


def test_the_two_downloads_of_the_descent_panel_differ():
    result = view("descent")
    path, norms = (result.chart(n).frame for n in ("descent_path", "descent_gradient_norms"))
    assert list(path.columns) != list(norms.columns)


# ---------------------------------------------------------------- floating point


def test_precision_rows_follow_update_is_lost():
    for dtype in ("float16", "float32", "float64"):
        result = view("precision", fp_grad_exp=-4, fp_dtype=dtype)
        step = 0.1 * 1e-4
        assert result.facts["lost"] == update_is_lost(1.0, -step, dtype)
        table = next(
            b for b in result.walk() if type(b).__name__ == "Table" and "stored w" in b.frame
        ).frame
        row = table.set_index("precision").loc[dtype]
        assert row["update lost?"] == ("yes: lost" if update_is_lost(1.0, -step, dtype) else "no")
        metrics = {m.label: m.value for m in result.metrics}
        assert metrics["the update η·g"] == sci(step)  # the size, never with a minus sign


def test_slow_updates_are_counted():
    """w = 1 moving down by η·g = 10⁻¹³ in float64: every step subtracts η·g rounded to the gap
    below 1 (2⁻⁵³), so the count is 0.01 over that rounded step, not over 10⁻¹³."""
    result = view("precision", fp_grad_exp=-12, fp_eta=0.1)  # applied in float64, but crawls
    metrics = {m.label: m.value for m in result.metrics}
    step = Fraction(0.1 * 1e-12)
    gap = Fraction(1, 2**53)
    applied = round(step / gap) * gap  # the exact change of one step below 1 (no tie here)
    assert metrics["steps to move w by 1 %"] == sci(math.ceil(Fraction(1, 100) / applied))


def test_precision_view_survives_overflowing_weights():
    """w = 10⁶ is +∞ in float16 (np.float16(1e6) overflows), and ∞ − η·g == ∞ says nothing:
    no verdict, no step count, and neither the chart nor its alt text calls the update
    "applied" or "lost"."""
    with np.errstate(over="ignore"):
        assert np.isinf(np.float16(1e6))
    result = view("precision", fp_w=1e6, fp_eta=10.0, fp_grad_exp=5, fp_dtype="float16")
    table = next(
        b for b in result.walk() if type(b).__name__ == "Table" and "stored w" in b.frame
    ).frame
    row = table.set_index("precision").loc["float16"]
    assert row["stored w"] == "+∞ (overflow)"
    assert row["update lost?"] == "— (w is +∞)"
    assert row["update lost when"] == "—"
    assert not result.facts["lost"]
    metrics = {m.label: m.value for m in result.metrics}
    assert metrics["in float16"] == "none: w is +∞"
    assert "steps to move w by 1 %" not in metrics
    chart = result.chart("lost_updates")
    for words in (chart.alt, chart.spec["description"]):
        assert "applied" not in words
        assert " is lost" not in words
        assert "+∞" in words
    assert any("no verdict" in t.text for t in result.texts)


def test_lost_update_axis_names_what_it_plots():
    down = precision.chart(view("precision").chart("lost_updates").frame, None, "float64", True)
    assert "half the gap below |w|" in json.dumps(down, ensure_ascii=False)


# ---------------------------------------------------------------- figures for slides


def test_figures_for_slides_are_rendered_offline_at_slide_size():
    """SVG and PNG of a page chart, rendered by vl-convert on the server: a slide-wide chart,
    a square surface stays square."""
    from vgapp import figures

    chain_spec = view("chain").chart("chain").spec
    svg = figures.svg(chain_spec)
    assert svg.lstrip().startswith("<svg")
    assert "depth L of the chain" in svg
    png = figures.png(chain_spec)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width >= figures.SLIDE_WIDTH * figures.PNG_SCALE * 0.9
    square = figures.slide_spec(view("curvature").chart("hessian_surface").spec)
    assert square["width"] == square["height"]
    assert chain_spec.get("width") is None  # the page's own spec is left untouched
