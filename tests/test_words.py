"""The page's words table: every key the core can return has its wording, and the sentences
built from the core's facts read as before the wording left the core."""

import pytest

from vgapp.panels.counterexample import float_verdict
from vgapp.panels.curvature import explain_point
from vgapp.panels.descent import stationary_text
from vgapp.words import (
    ACTIVATION_WORDS,
    DATASET_LABELS,
    LINE_TEXT,
    RULE_TEXT,
    SURFACE_FORMULAS,
    SURFACE_LABELS,
    VERDICT_TEXT,
)
from vgcore.activations import ACTIVATIONS
from vgcore.counterexample import analyse_counterexample
from vgcore.curvature import EXAMPLES, LINES, describe_point, nearest_stationary
from vgcore.datasets import DATASETS
from vgcore.descent import gradient_descent, quadratic
from vgcore.stopping import ALL_HELD, RULE_NAMES, StoppingRules

REASON_RUNS = {
    # stop reason: (x0, eta, rules) of gradient descent on F(x) = x^2 / 2 from x0 (gradient x)
    "eps": (1.0, 0.5, StoppingRules(eps=0.5, stagnation=False)),  # |Δx| = 0.5 at k = 1
    "gatol": (1.0, 0.5, StoppingRules(gatol=1.0, stagnation=False)),  # |g_0| = 1
    "gttol": (1.0, 0.5, StoppingRules(gttol=0.5, stagnation=False)),  # g_1 / g_0 = 0.5
    "fatol": (1.0, 0.5, StoppingRules(fatol=0.375, stagnation=False)),  # 0.5 -> 0.125
    "frtol": (1.0, 0.5, StoppingRules(frtol=0.75, stagnation=False)),  # 0.375 / 0.5
    "stagnation": (1.0, 1e-20, StoppingRules()),  # 1 - 1e-20 rounds back to 1
    "max_iter": (1.0, 0.5, StoppingRules(max_iter=3, stagnation=False)),
    "non_finite": (1e200, 0.5, StoppingRules()),  # F(x0) = 5e399 overflows
    ALL_HELD: (1.0, 0.5, StoppingRules(eps=0.5, fatol=0.375, stagnation=False, combine="all")),
}


@pytest.mark.parametrize("reason", [*RULE_NAMES, ALL_HELD])
def test_every_stop_reason_of_the_loop_has_its_text(reason):
    """Each reason gradient descent can report is a key of RULE_TEXT, with its own texts."""
    x0, eta, rules = REASON_RUNS[reason]
    result = gradient_descent(quadratic([1.0]), x0, eta=eta, rules=rules)
    assert result.stopped_by == reason
    assert set(RULE_TEXT) == {*RULE_NAMES, ALL_HELD}
    others = [text for key, text in RULE_TEXT.items() if key != reason]
    mine = RULE_TEXT[reason]
    assert mine.symbol not in {text.symbol for text in others}
    assert mine.phrase not in {text.phrase for text in others}
    assert mine.help not in {text.help for text in others}


def test_every_activation_offered_is_a_core_activation():
    assert set(ACTIVATION_WORDS) <= set(ACTIVATIONS)


def test_every_surface_and_dataset_of_the_core_has_its_words():
    assert list(SURFACE_LABELS) == list(SURFACE_FORMULAS) == list(EXAMPLES)
    assert list(DATASET_LABELS) == list(DATASETS)


def test_every_verdict_and_line_of_the_core_has_its_words():
    assert set(VERDICT_TEXT) == {"minimum", "maximum", "saddle", "inconclusive"}
    assert set(LINE_TEXT) == {key for _, key in LINES}


def test_saddle_explanation_at_the_origin_per_math_md():
    assert explain_point(describe_point("two_weight_net", 0.0, 0.0)) == (
        "the gradient is zero but the Hessian has eigenvalues −2 and +2 of both signs: a saddle, "
        "neither a minimum nor a maximum"
    )


def test_explanations_of_a_point_that_is_not_stationary_and_of_a_minimum():
    assert explain_point(describe_point("bowl", 1.0, -1.0)).startswith(
        "the gradient norm is 2.83, not 0"
    )
    assert "both positive" in explain_point(describe_point("bowl", 0.0, 0.0))
    assert explain_point(describe_point("bowl", 1e-12, 0.0)).startswith(
        "the gradient is zero to rounding (‖∇F‖ = 2.00 × 10⁻¹² ≤ 1.00 × 10⁻⁹)"
    )


def test_explanations_name_the_true_nature_of_an_undecided_point():
    assert explain_point(describe_point("quartic", 0.0, 0.0)).endswith(
        "(in fact a minimum: F = 0 here, the least value F takes anywhere)"
    )
    for key, x, y in [("cubic", 0.0, 0.0), ("cubic", 0.0, -1.5), ("monkey", 0.0, 0.0)]:
        assert "(in fact not an extremum: along the first coordinate" in explain_point(
            describe_point(key, x, y)
        )
    for a, b in [(1.0, 1.0), (0.5, 2.0), (-2.0, -0.5)]:
        text = explain_point(describe_point("two_weight_net", a, b))
        assert "(in fact a minimum: F = 0 here" in text
        assert "eigenvalues 0 and +" in text


@pytest.mark.parametrize(
    ("key", "x", "y", "words"),
    [
        ("two_weight_net", 1.0, 1.1, "the valley ab = 1 of global minima"),
        ("two_weight_net", 0.01, 0.0, "the saddle at the origin"),
        ("cubic", 0.1, 0.3, "the line x = 0 of inflection points"),
        ("every_kind", -0.9, 1.0, "the saddle at (−1, 1)"),
        ("every_kind", 0.1, -0.9, "the flat point at (0, −1)"),
        ("monkey", 0.1, 0.0, "the monkey saddle at the origin"),
        ("quartic", 0.0, 0.2, "the flat minimum at the origin"),
    ],
)
def test_stationary_sets_in_words(key, x, y, words):
    assert stationary_text(key, nearest_stationary(key, x, y)) == words


def test_float_verdicts_of_the_counterexample():
    views = {v.dtype: v for v in analyse_counterexample().floats}
    assert float_verdict(views["float64"]).startswith("First p overflows to ∞")
    for name in ("float32", "float16"):
        verdict = float_verdict(views[name])
        assert verdict.startswith("First c underflows to 0 and p overflows to ∞ when stored; ")
        assert "f(p) = c·p = 0·∞ is NaN" in verdict
    finite = {v.dtype: v for v in analyse_counterexample("0.5", "3", "1").floats}["float64"]
    assert float_verdict(finite) == (
        "Nothing goes wrong: every value is finite and the step changes p"
    )
