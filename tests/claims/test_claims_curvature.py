"""Claims of the Hessian panel ("A zero gradient is not an optimum"), each checked against an
oracle written here: the functions, gradients and Hessians hand-coded in exact rationals
(``fractions.Fraction``) at the decimal point the slider holds; the second-order verdict from
the exact trace and determinant of the 2 × 2 Hessian (closed forms, no tolerance); eigenvalues
from ``numpy.linalg.eigvalsh`` on the hand-coded Hessian; the true nature of undecided points from
the known infimum (a global minimum) or from F sampled exactly on both sides of the point.
Nothing here calls vgcore.curvature for an expected value."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from claims.edges import control_values
from vgapp.page import LESSONS, PANELS, lesson_values

PANEL = PANELS["curvature"]
CONTROLS = {c.key: c for c in PANEL.controls}
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
Q = Fraction

# ---------------------------------------------------------------- the functions, by hand


def two_weight_net(a, b):
    r = 1 - a * b
    return r * r, (-2 * b * r, -2 * a * r), ((2 * b * b, 4 * a * b - 2), (4 * a * b - 2, 2 * a * a))


def bowl(x, y):
    return x * x + y * y, (2 * x, 2 * y), ((2, 0), (0, 2))


def saddle(x, y):
    return x * x - y * y, (2 * x, -2 * y), ((2, 0), (0, -2))


def quartic(x, y):
    return x**4 + y**4, (4 * x**3, 4 * y**3), ((12 * x * x, 0), (0, 12 * y * y))


def cubic(x, y):
    return x**3, (3 * x * x, 0), ((6 * x, 0), (0, 0))


def monkey(x, y):
    return (
        x**3 - 3 * x * y * y,
        (3 * x * x - 3 * y * y, -6 * x * y),
        ((6 * x, -6 * y), (-6 * y, -6 * x)),
    )


def every_kind(x, y):
    return (
        Q(x) ** 5 / 5 - Q(x) ** 3 / 3 + Q(y) ** 3 / 3 - y,
        (x**4 - x * x, y * y - 1),
        ((4 * x**3 - 2 * x, 0), (0, 2 * y)),
    )


FUNCTIONS = {
    "two_weight_net": two_weight_net,
    "bowl": bowl,
    "saddle": saddle,
    "quartic": quartic,
    "cubic": cubic,
    "monkey": monkey,
    "every_kind": every_kind,
}
INFIMUM = {"two_weight_net": Q(0), "bowl": Q(0), "quartic": Q(0)}
"""inf F over the plane, by hand: (1 − ab)² ≥ 0, x² + y² ≥ 0, x⁴ + y⁴ ≥ 0; the others are
unbounded below (x² − y², x³, x³ − 3xy², x⁵/5 − ...: let one coordinate run to −∞)."""
STATIONARY_GRID = [
    (0.0, 0.0), (1.0, 1.0), (-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (0.0, 1.0), (0.0, -1.0),
    (0.5, 2.0), (2.0, 0.5), (-0.5, -2.0), (-2.0, -0.5), (0.8, 1.25), (1.25, 0.8),
    (-0.8, -1.25), (-1.25, -0.8), (0.0, 0.5), (0.0, -2.0), (0.0, 2.0),
]  # fmt: skip
"""Points on the sliders' grid where some function is stationary (the valley ab = 1 of
(1 − ab)² meets the grid at 10 points; x³'s line x = 0 everywhere)."""


def decimal(value: float) -> Fraction:
    """The decimal number the slider holds (its shortest repr), exactly."""
    return Fraction(repr(float(value)))


def oracle(surface: str, x: float, y: float) -> dict:
    """F, ∇F, the Hessian and the exact verdict at the slider's decimal point."""
    px, py = decimal(x), decimal(y)
    value, grad, hess = FUNCTIONS[surface](px, py)
    value = Q(value)
    grad = tuple(Q(g) for g in grad)
    (h11, h12), (h21, h22) = ((Q(v) for v in row) for row in hess)
    trace, det = h11 + h22, h11 * h22 - h12 * h21
    stationary = grad == (0, 0)
    if not stationary:
        verdict = "not stationary"
    elif det > 0:
        verdict = "minimum" if trace > 0 else "maximum"
    elif det < 0:
        verdict = "saddle"
    else:
        verdict = "inconclusive"  # singular: semidefinite (a 2 × 2 with det 0), incl. zero
    matrix = np.array([[float(h11), float(h12)], [float(h21), float(h22)]])
    eig = sorted(np.linalg.eigvalsh(matrix))
    if det == 0:  # one eigenvalue is exactly 0, the other the trace
        eig = sorted([0.0, float(trace)])
    note = None
    if verdict == "inconclusive":
        if surface in INFIMUM and value == INFIMUM[surface]:
            note = "minimum"
        elif changes_sign(surface, px, py, value):
            note = "not an extremum"
    return {
        "value": value,
        "grad_sq": grad[0] ** 2 + grad[1] ** 2,
        "verdict": verdict,
        "eig": eig,
        "note": note,
    }


def changes_sign(surface: str, px: Fraction, py: Fraction, centre: Fraction) -> bool:
    """F − F(p) takes both signs at exact points 10⁻⁴ and 10⁻⁸ away along an axis."""
    for t in (Q(1, 10**4), Q(1, 10**8)):
        for dx, dy in ((1, 0), (0, 1)):
            plus = Q(FUNCTIONS[surface](px + t * dx, py + t * dy)[0]) - centre
            minus = Q(FUNCTIONS[surface](px - t * dx, py - t * dy)[0]) - centre
            if plus * minus < 0:
                return True
    return False


# ---------------------------------------------------------------- reading the page


def parse(text: str) -> Fraction:
    """A number as the page writes it ("2.5 × 10⁻⁹⁰", "−0.0995", "0 (exactly)", "+2")."""
    text = text.strip().replace("−", "-").replace("+", "")
    if text.startswith("0 (exactly)"):
        return Q(0)
    match = re.fullmatch(r"(-?[\d.]+)(?: × 10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+))?", text)
    assert match, text
    mantissa, power = match.groups()
    return Q(mantissa) * (Q(10) ** int(power.translate(_SUP)) if power else 1)


def shown_as(shown: Fraction, true: Fraction | float) -> bool:
    """``shown`` is ``true`` to three significant digits (0 only for an exact 0)."""
    true = Q(true)
    if true == 0:
        return shown == 0
    return abs(shown - true) <= abs(true) * Q(5001, 10**6)


def view(values: dict):
    return PANEL.view(**PANEL.arguments({**PANEL.defaults(), **values}))


def all_text(result) -> list[str]:
    """Every word the panel shows: texts, metrics with their help, chart titles and alt texts."""
    texts = [block.text for block in result.texts]
    for metric in result.metrics:
        texts += [metric.label, metric.value, metric.help]
    for chart in result.charts:
        texts += [chart.alt, chart.spec.get("description", "")]
    return texts


GRAMMAR = [
    (re.compile(r"\b1 (steps|points)\b"), "a plural after 1"),
    (re.compile(r"(?<![\w,.])(?:[02-9]|\d{2,}) (step|point)\b(?!s)"), "a singular after n ≠ 1"),
    (re.compile(r"\ba (?=[aeiou])", re.IGNORECASE), "'a' before a vowel"),
    (re.compile(r"\ban (?=[b-df-hj-np-tv-z])", re.IGNORECASE), "'an' before a consonant"),
    (re.compile(r"(?<![\w.])-\d|−0(?![.\d])"), "a hyphen minus or −0"),
]


def check_grammar(texts: list[str]) -> None:
    for text in texts:
        for pattern, what in GRAMMAR:
            assert not pattern.search(text), f"{what}: {text!r}"


# ---------------------------------------------------------------- the property


@st.composite
def settings_of_the_panel(draw: st.DrawFn) -> dict:
    surface = draw(control_values(CONTROLS["surface"]))
    if draw(st.booleans()):
        x, y = draw(st.sampled_from(STATIONARY_GRID))
        return {"surface": surface, "pt_x": x, "pt_y": y}
    return {
        "surface": surface,
        "pt_x": draw(control_values(CONTROLS["pt_x"], [0.05, -0.05, 0.8, 1.25])),
        "pt_y": draw(control_values(CONTROLS["pt_y"], [0.05, -0.05, 0.8, 1.25])),
    }


LESSON_SETTINGS = [lesson_values(k) for k, lesson in LESSONS.items() if lesson.section == "hessian"]
EVERY_KIND = [{"surface": "every_kind", "pt_x": x, "pt_y": y} for x, y in STATIONARY_GRID[:7]]
VALLEY = [{"surface": "two_weight_net", "pt_x": x, "pt_y": y} for x, y in STATIONARY_GRID[7:15]]


def with_examples(test):
    for values in [*LESSON_SETTINGS, *EVERY_KIND, *VALLEY,
                   {"surface": "cubic", "pt_x": 0.0, "pt_y": -2.0},
                   {"surface": "quartic", "pt_x": -2.0, "pt_y": 2.0},
                   {"surface": "two_weight_net", "pt_x": -0.0, "pt_y": 0.05}]:  # fmt: skip
        test = example(values)(test)
    return test


@settings(max_examples=300, deadline=None)
@given(settings_of_the_panel())
@with_examples
def test_every_hessian_sentence_matches_its_oracle(values: dict) -> None:
    """The verdict word (metric, chart title), its sentence (metric help, alt text), the
    eigenvalues, F, ‖∇F‖ and the note on undecided points, against the exact oracle."""
    surface, x, y = values["surface"], values["pt_x"], values["pt_y"]
    truth = oracle(surface, x, y)
    result = view(values)
    metrics = {m.label: m for m in result.metrics}
    verdict = metrics["verdict"]
    event(f"{truth['verdict']} / note {truth['note']}")
    assert verdict.value == truth["verdict"]
    # the chart title: "At (x, y): verdict", coordinates as the slider holds them
    chart = result.chart("hessian_surface")
    title = chart.spec["description"]
    match = re.match(r"At \(([^,]+), ([^)]+)\): (.+?)\. Arrows", title)
    assert match, title
    assert parse(match[1]) == decimal(x)
    assert parse(match[2]) == decimal(y)
    assert match[3] == truth["verdict"]
    # the sentence, in the metric's help and (capitalised) as the chart's alt text
    sentence = verdict.help
    assert chart.alt == sentence[:1].upper() + sentence[1:] + "."
    assert "hessian" not in chart.alt  # the Hessian keeps its capital
    eig = [parse(v) for v in metrics["Hessian eigenvalues"].value.split(" and ")]
    assert all(shown_as(s, t) for s, t in zip(eig, truth["eig"], strict=True)), (eig, truth)
    assert f"(eigenvalues {metrics['Hessian eigenvalues'].value})" in sentence or (
        f"eigenvalues {metrics['Hessian eigenvalues'].value}" in sentence
    )
    expected_phrase = {
        "minimum": "the gradient is zero and the Hessian's eigenvalues",
        "maximum": "the gradient is zero and the Hessian's eigenvalues",
        "saddle": "the gradient is zero but the Hessian has eigenvalues",
        "inconclusive": "the gradient is zero but the Hessian is singular and semidefinite",
        "not stationary": "the gradient norm is ",
    }[truth["verdict"]]
    assert sentence.startswith(expected_phrase)
    ending = {
        "minimum": "are both positive: a strict local minimum",
        "maximum": "are both negative: a strict local maximum",
        "saddle": "of both signs: a saddle, neither a minimum nor a maximum",
        "inconclusive": "the second-order test says nothing",
        "not stationary": "not a stationary point",
    }[truth["verdict"]]
    assert ending in sentence
    if truth["verdict"] == "inconclusive":  # "at least one is 0 … none has the opposite sign"
        assert "at least one is 0, a flat direction, and none has the opposite sign" in sentence
        assert 0 in truth["eig"]
        assert min(truth["eig"]) >= 0 or max(truth["eig"]) <= 0
    if truth["verdict"] == "not stationary":
        norm = re.match(r"the gradient norm is ([^,]+), not 0", sentence)
        assert norm
        assert shown_as(parse(norm[1]), math.sqrt(truth["grad_sq"]))
    # the note on an undecided point: from the oracle's own check, never from a list
    assert ("(in fact a minimum" in sentence) == (truth["note"] == "minimum")
    assert ("(in fact not an extremum" in sentence) == (truth["note"] == "not an extremum")
    # the figures
    assert shown_as(parse(metrics["F at the point"].value), truth["value"])
    assert shown_as(parse(metrics["‖∇F‖"].value), math.sqrt(truth["grad_sq"]))
    check_grammar(all_text(result))


def test_every_verdict_of_the_second_order_test_is_reachable() -> None:
    """The four verdicts (and "negative definite: a maximum") on the sliders' grid, by the
    oracle, and the page says each."""
    seen = {}
    for x, y in STATIONARY_GRID[1:7]:
        truth = oracle("every_kind", x, y)["verdict"]
        metrics = {
            m.label: m for m in view({"surface": "every_kind", "pt_x": x, "pt_y": y}).metrics
        }
        assert metrics["verdict"].value == truth
        seen[truth] = metrics["verdict"].help
    assert set(seen) == {"minimum", "maximum", "saddle", "inconclusive"}
    assert seen["maximum"].endswith("both negative: a strict local maximum")
    # the surface's help names the points: check each against the oracle
    help_text = CONTROLS["surface"].help
    named = [
        ("a maximum at (−1, −1)", "maximum", [(-1, -1)]),
        ("a minimum at (1, 1)", "minimum", [(1, 1)]),
        ("saddles at (1, −1) and (−1, 1)", "saddle", [(1, -1), (-1, 1)]),
        ("undecided points at (0, ±1)", "inconclusive", [(0, 1), (0, -1)]),
    ]
    for words, kind, points in named:
        assert words in help_text
        for x, y in points:
            assert oracle("every_kind", x, y)["verdict"] == kind


def test_the_test_is_stated_correctly() -> None:
    """Semidefinite necessary, definite sufficient, singular semidefinite inconclusive."""
    from vgapp.panels import curvature

    text = curvature.TEST_TEXT
    assert "positive definite, a strict local minimum" in text
    assert "negative definite, a strict local maximum" in text
    assert "indefinite, a saddle" in text
    assert "singular and semidefinite, the test says nothing" in text
    assert "F″(p) = 0 decides nothing" in text
    assert "need only be positive **semi**definite" in curvature.CORRECTION
    assert "sufficient condition" in curvature.CORRECTION
    # the plain layer: each reading of the curvatures, by the oracle's verdict at a point of
    # that kind (the bowl's minimum, the negative-definite maximum, the saddle, the monkey)
    plain = curvature.PLAIN_TEST
    for words, surface, x, y, kind in (
        ("up in every direction, the point is a minimum", "bowl", 0, 0, "minimum"),
        ("down in every direction, a maximum", "every_kind", -1, -1, "maximum"),
        ("up in one and down in another, a saddle", "saddle", 0, 0, "saddle"),
        ("flat in some direction the test can say nothing", "monkey", 0, 0, "inconclusive"),
    ):
        assert words in plain
        assert oracle(surface, x, y)["verdict"] == kind
    # the examples the texts cite, by the oracle: x⁴ has a minimum at 0, x³ none, F″ = 0 both
    assert changes_sign("cubic", Q(0), Q(0), Q(0))
    assert not changes_sign("quartic", Q(0), Q(0), Q(0))
