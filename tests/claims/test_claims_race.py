"""Claims of the descent panel's race (up to five more starts, ``gd_race``): the table's rows
(where each start ended, the rule that stopped it, its end point, the second-order test there),
its title (how many starts ended each way), the chart's alt sentence and what the chart draws,
and the lesson "Starts either side of a saddle", each against an oracle written in the tests:
the literal float64 descent loop on hand-coded gradients of ``test_claims_descent`` and, for the
second-order test, ``numpy.linalg.eigvalsh`` on the hand-coded Hessian at a stationary point
found by hand (a point of the valley ab = 1 other than the one the view uses). Nothing here
calls vgcore or the view's helpers for an expected value."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from claims.edges import control_values
from claims.test_claims_descent import (
    CONTROLS,
    EDGES,
    LESSON_SETTINGS,
    PANEL,
    check_grammar,
    hessian,
    kind_reached,
    literal_descent,
    panel_settings,
    point,
    steps_text,
)
from vgapp.page import LESSONS, lesson_values

RACE = "gd_race"
STOP_WORD = {"gatol": "‖∇F‖ ≤ 10⁻¹⁰", "max_iter": "step limit", "stagnation": "stagnation",
             "non_finite": "overflow"}  # fmt: skip
COLOR_WORD = {"#000000": "black", "#0072B2": "blue", "#B87F00": "orange", "#C0729D": "purple",
              "#009E73": "green"}  # fmt: skip
"""The race's colours by hand (Okabe–Ito, as darkened in the project) and their names."""
SHAPE_WORD = {"circle": "circle", "square": "square", "triangle-up": "triangle", "cross": "cross",
              "diamond": "diamond"}  # fmt: skip
TEST_WORD = {"minimum": "minimum", "maximum": "maximum", "saddle": "saddle",
             "inconclusive": "inconclusive (a zero eigenvalue)"}  # fmt: skip
DID = {
    "minimum": ("ends at a minimum", "end at a minimum"),
    "maximum": ("ends at a maximum", "end at a maximum"),
    "saddle": ("ends at a saddle", "end at a saddle"),
    "inflection": ("ends at an inflection point", "end at an inflection point"),
    "diverged": ("diverges", "diverge"),
    "oscillates": ("oscillates", "oscillate"),
    "stuck": ("gets stuck", "get stuck"),
    "not yet stationary": ("is not yet stationary", "are not yet stationary"),
}


def ending_of(run: dict, surface: str) -> tuple[str, str]:
    """(outcome, the end-point words) of a literal run, by the rules the page states."""
    end = run["path"][-1]
    if run["stop"] == "non_finite" or max(abs(end[0]), abs(end[1])) > 1e6:
        return "diverged", "diverged"
    if run["final"] <= 1e-10:
        kind = kind_reached(surface, float(end[0]), float(end[1]))
        return kind, kind
    if run["cycle"] is not None and run["cycle"][1] >= 2:
        return "oscillates", f"oscillates, period {run['cycle'][1]}"
    if run["cycle"] is not None:
        return "stuck", "stuck"
    return "not yet stationary", "not yet stationary"


def stationary_point(surface: str, x: float, y: float) -> tuple[float, float]:
    """The exact stationary point a run ending at (x, y) with ‖∇F‖ ≤ 10⁻¹⁰ reached, by hand: on
    (1 − ab)² the origin or the valley point (x, 1/x) (not the view's (1, 1)); x³'s line at
    (0, y); the integer point of x⁵/5 − x³/3 + y³/3 − y; else the origin."""
    if surface == "two_weight_net":
        return (0.0, 0.0) if math.hypot(x, y) < 1e-3 else (x, 1 / x)
    if surface == "cubic":
        return 0.0, y
    if surface == "every_kind":
        return float(round(x)), float(round(y))
    return 0.0, 0.0


def second_order_words(surface: str, x: float, y: float) -> str:
    """The second-order test at the stationary point reached: signs of eigvalsh of the
    hand-coded Hessian, an eigenvalue within 10⁻⁹ of the largest counted as 0."""
    values = np.linalg.eigvalsh(hessian(surface, *stationary_point(surface, x, y)))
    scale = float(np.max(np.abs(values)))
    tol = 1e-9 * scale
    if scale == 0 or np.any(np.abs(values) <= tol):
        return TEST_WORD["inconclusive"]
    if np.all(values > 0):
        return TEST_WORD["minimum"]
    return TEST_WORD["maximum"] if np.all(values < 0) else TEST_WORD["saddle"]


def pair(x: float, y: float) -> str:
    return f"({point(x)}, {point(y)})"


@st.composite
def race_settings(draw: st.DrawFn) -> dict:
    """The panel's settings (as its own claims draw them) and up to five distinct starts, each
    coordinate over the start sliders' full range with their edges."""
    values = draw(panel_settings())
    coordinate = control_values(CONTROLS["gd_x0"], [0.5, -0.5, 0.55, -0.55, 0.6, -0.6])
    starts = draw(st.lists(st.tuples(coordinate, coordinate), min_size=0, max_size=5, unique=True))
    return {**values, RACE: tuple(starts)}


RACE_EDGES = [
    lesson_values("race"),
    {"gd_surface": "bowl", "gd_eta": 1.0, RACE: ((0.6, -0.6), (0.0, 0.0), (2.0, 2.0))},
    {
        "gd_surface": "every_kind",
        RACE: ((-1.0, -1.0), (0.0, 0.0), (0.5, -1.0), (-1.5, 0.5), (2.0, 2.0)),
    },
    {"gd_surface": "cubic", RACE: ((0.0, 0.5), (1.0, 0.5))},
    {"gd_surface": "saddle", "gd_eta": 2.0, RACE: ((0.5, 0.0), (0.0, 0.0))},
    {"gd_surface": "monkey", RACE: ((0.0, 0.0), (-2.0, -2.0))},
    {"gd_surface": "quartic", "gd_eta": 2.0, RACE: ((0.5, -0.5), (0.0, 0.0))},
    {"gd_surface": "two_weight_net", "gd_iters": 1, RACE: ((2.0, 2.0), (-2.0, 2.0))},
]


def with_examples(test):
    for values in [*RACE_EDGES, *({**v, RACE: ((0.6, -0.55),)} for v in LESSON_SETTINGS + EDGES)]:
        test = example(values)(test)
    return test


def view(values: dict):
    return PANEL.view(**PANEL.arguments({**PANEL.defaults(), **values}))


@settings(max_examples=150, deadline=None)
@given(race_settings())
@with_examples
def test_every_race_sentence_matches_the_literal_loop(values: dict) -> None:
    """Each race row (start, colour and shape, where it ended, what stopped it, the end point,
    the second-order test), the table's title, the alt sentence and the drawn end markers,
    against the literal loop from each start."""
    values = {**PANEL.defaults(), **values}
    surface, rule, eta = values["gd_surface"], values["gd_rule"], values["gd_eta"]
    starts = values[RACE]
    result = view(values)
    chart = result.chart("descent_path")
    tables = [b for b in result.walk() if type(b).__name__ == "Table"]
    if not starts:
        assert tables == []
        assert "Also drawn" not in chart.alt
        return
    [table] = tables
    rows = table.frame.to_dict("records")
    assert len(rows) == len(starts)
    layers = chart.spec["layer"]
    [ends] = [layer for layer in layers if "shape" in layer["encoding"]]
    colors = ends["encoding"]["fill"]["scale"]
    shapes = ends["encoding"]["shape"]["scale"]
    outcomes: dict[str, int] = {}
    for i, ((x0, y0), row) in enumerate(zip(starts, rows, strict=True)):
        run = literal_descent(surface, x0, y0, rule, eta, values["gd_iters"])
        end = run["path"][-1]
        name = f"{i + 1}: {pair(x0, y0)}"
        color, shape = colors["range"][colors["domain"].index(name)], shapes["range"][i]
        assert shapes["domain"][i] == name
        assert row["start"] == f"{name} ({COLOR_WORD[color]} {SHAPE_WORD[shape]})"
        assert row["stopped by"] == f"{STOP_WORD[run['stop']]} after {steps_text(run['steps'])}"
        assert row["ends at"] == pair(float(end[0]), float(end[1]))
        outcome, words = ending_of(run, surface)
        assert row["end point"] == words
        stationary = outcome in ("minimum", "maximum", "saddle", "inflection")
        expected = (
            second_order_words(surface, float(end[0]), float(end[1]))
            if stationary
            else "not stationary"
        )
        assert row["second-order test"] == expected
        event(f"race: {outcome} / {expected}")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        [marker] = [r for r in ends["data"]["values"] if r["start"] == name]
        for shown, true in ((marker["x"], end[0]), (marker["y"], end[1])):
            assert math.isclose(shown, float(true), rel_tol=1e-3, abs_tol=1e-300)
    assert len(set(colors["range"])) == len(starts)  # each start its own colour
    assert "#D55E00" not in colors["range"]  # vermilion stays the sliders' start
    noun = "start" if len(starts) == 1 else "starts"
    parts = [f"{n} {DID[key][0 if n == 1 else 1]}" for key, n in outcomes.items()]
    assert table.title == f"Race of {len(starts)} {noun}: " + ", ".join(parts)
    assert chart.alt.endswith(
        f"Also drawn: the race's {len(starts)} {noun}, each in its own colour and shape, "
        "listed under the chart."
    )
    sliders = [i for i, layer in enumerate(layers) if layer["mark"].get("color") == "#D55E00"]
    assert sliders
    assert sliders[-1] > layers.index(ends)
    check_grammar([table.title, chart.alt, *(str(v) for row in rows for v in row.values())])


def test_the_race_lesson_says_what_the_loop_does() -> None:
    """ "the two just either side of the line a = −b end at two different minima, one near
    (1, 1) and one near (−1, −1); the one on the line slides into the saddle at the origin and
    stops there", "each run stops by the rule ‖∇F‖ ≤ 10⁻¹⁰", the test inconclusive at the
    minima and the saddle's eigenvalues 2 and −2: the literal loop from the lesson's starts and
    eigvalsh on the hand-coded Hessian."""
    lesson = LESSONS["race"]
    assert lesson.values["gd_x0"] + lesson.values["gd_y0"] == 0  # the sliders' start on the line
    text = lesson.words
    assert "two different minima, one near (1, 1) and one near (−1, −1)" in text
    assert "slides into the saddle at the origin" in text
    values = {**PANEL.defaults(), **lesson_values("race")}
    ends = {}
    for a, b in values[RACE]:
        run = literal_descent("two_weight_net", a, b, "constant", values["gd_eta"], 500)
        assert run["stop"] == "gatol"
        side = round(a + b, 10)
        ends[(side > 0) - (side < 0)] = run["path"][-1]
    assert set(ends) == {-1, 0, 1}  # one on each side of a = −b, one on it
    assert np.allclose(ends[1], (1, 1), atol=0.05)
    assert np.allclose(ends[-1], (-1, -1), atol=0.05)
    for side in (1, -1):
        x, y = map(float, ends[side])
        assert abs(1 - x * y) * math.hypot(x, y) * 2 <= 1e-10  # on the valley ab = 1: minima
    assert math.hypot(*ends[0]) < 1e-9  # the saddle at the origin
    assert sorted(np.linalg.eigvalsh(hessian("two_weight_net", 0.0, 0.0))) == [-2.0, 2.0]
    assert "its eigenvalues are 2 and −2" in text
    valley = np.linalg.eigvalsh(hessian("two_weight_net", float(ends[1][0]), 1 / ends[1][0]))
    assert abs(valley[0]) <= 1e-9 * abs(valley[1])
    assert "the second-order test is inconclusive" in text
