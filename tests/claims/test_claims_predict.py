"""Claims of "Predict, then see" (``vgapp.predict``): each question's answer, its reveal and
what it covers, checked against oracles that never read the view's answer: the chain's first
zero depth in float32 by a literal layer loop on numpy scalars (each prefix from its own top),
its exact value by mpmath; the Hessian's verdict from the exact trace and determinant of the
hand-coded Hessian (eigenvalues by ``eigvalsh``); the lost update by numpy scalar arithmetic in
the dtype. The settings are drawn over every control's full range with the edge strategies,
and with each panel's explicit edges (the oracles are the panels' own claims oracles)."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from claims import test_claims_chain as chain
from claims import test_claims_curvature as hessian
from claims import test_claims_precision as precision
from vgapp.blocks import Chart, Metrics, PanelView, Table, Text
from vgapp.page import PANELS, SECTION_BY_KEY, SECTION_OF_PANEL
from vgapp.predict import COVER, NEVER, QUESTIONS, TOGGLE_HELP, Asked, covered, reveal

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
DEAD = "the ReLU unit of layer {} is dead (z ≤ 0)"


def asked_of(panel: str, values: dict) -> tuple[Asked | None, PanelView]:
    spec = PANELS[panel]
    values = {**spec.defaults(), **values}
    view = spec.view(**spec.arguments(values))
    return QUESTIONS[panel].ask(values, view.facts), view


def check_reveals(asked: Asked) -> None:
    """The page's own answer is called right; every other is not, and the reveal names both."""
    right, text = reveal(asked, asked.answer)
    assert right
    label = dict(asked.choices).get(asked.answer) if isinstance(asked.answer, str) else None
    label = label or f"L = {asked.answer:,}"
    assert text == f"Right. You said {label}; the page computes {asked.shown}: " + asked.reason
    others: list[str | int] = [c for c, _ in asked.choices if c != asked.answer]
    if asked.numbers is not None:
        low, high = asked.numbers
        others += [n for n in (low, high, (low + high) // 2) if n != asked.answer]
    assert others
    for other in others:
        right, text = reveal(asked, other)
        assert not right
        said = f"L = {other:,}" if isinstance(other, int) else dict(asked.choices)[other]
        assert text.startswith(f"You said {said}; the page computes {asked.shown}: ")


def words(view: PanelView) -> list[str]:
    """Every word a view shows: texts, metrics, tables, chart titles and alt texts."""
    found = [t.text for t in view.texts]
    for metric in view.metrics:
        found += [metric.label, metric.value, metric.help]
    for chart in view.charts:
        found += [chart.alt, chart.spec.get("description", ""), str(chart.spec.get("title"))]
    found += [str(b.frame.to_dict()) for b in view.walk() if isinstance(b, Table)]
    return found


def check_notices(view: PanelView) -> None:
    """One notice where a run of blocks was hidden, never two in a row."""
    texts = [b for b in view.walk() if isinstance(b, Text)]
    assert any(t.text == COVER for t in texts)


# ---------------------------------------------------------------- the chain


@settings(max_examples=120, deadline=None)
@given(chain.chain_settings())
@example({})
@example({"depth": 60, "w": 0.0})  # a zero weight: a true zero at L = 2
@example({"depth": 600, "w": -1.0, "activation": "relu"})  # a dead unit at layer 3
@example({"depth": 70})  # one layer short of float32's first zero: never, up to L = 70
@example({"depth": 71})  # exactly there
@example({"depth": 10_000, "w": 1.0, "activation": "relu"})  # never, at the deepest
@example({"depth": 100, "w": 8.0, "activation": "relu"})  # exploding: ∞, never 0
@example({"depth": 300, "w_mode": "random", "w_mean": 0.0, "w_spread": 1.0, "seed": 1})
def test_the_chain_question_answers_by_the_float32_loop(values: dict) -> None:
    """The answer is float32's first zero depth by the literal loop (or "never, up to L"),
    its reason says underflow (with the exact value by mpmath) or the exact zero's cause; the
    covered view holds no chart and no per-precision metric."""
    v = {**PANELS["chain"].defaults(), **values}
    asked, view = asked_of("chain", v)
    assert asked is not None
    depth, activation = v["depth"], v["activation"]
    w = chain.weights_of(v)
    wd, a = chain.dtype_forward(w, activation, "float32")
    zero_at = chain.first_zero_depth(wd, a)
    assert asked.numbers == (2, depth)
    assert f"from 2 to {depth:,}" in asked.text
    assert asked.choices == ((NEVER, f"never, up to L = {depth:,}"),)
    if v["w_mode"] == "constant":  # the weight as the question states it (3 digits)
        stated = re.search(r"with every weight w = (\S+)\?", asked.text)
        assert stated, asked.text
        assert abs(float(stated[1].replace("−", "-")) - v["w"]) <= 5e-3 * max(abs(v["w"]), 1)
    else:
        assert f", seed {v['seed']}?" in asked.text
    if zero_at is None:
        assert asked.answer == NEVER
        value = chain.full_value(wd, a)
        said = re.search(r"at L = [\d,]+ it computes (.+)\)\.$", asked.reason)
        assert said, asked.reason
        if math.isinf(value):
            assert "∞" in said[1]
        else:
            assert value != 0
            assert chain.near(chain.parse(said[1]), math.log10(abs(value)))
    else:
        assert asked.answer == zero_at
        assert asked.shown == f"L = {zero_at:,}"
        product, cut, cause = chain.exact_chain(w[:zero_at], activation)
        if product == 0:  # a true zero: the cut is at this depth (float32 is 0 wherever exact is)
            assert cut == zero_at
            cause_text = (
                f"the weight of layer {cut} is 0" if cause == ["weight"] else DEAD.format(cut)
            )
            assert (
                asked.reason == f"the exact value is 0 there too: {cause_text} (a zero gradient)."
            )
        else:
            assert "underflows to 0" in asked.reason
            exact = re.match(r"there the exact value is (.+?), not 0", asked.reason)
            assert exact, asked.reason
            assert chain.near(chain.parse(exact[1]), float(chain.MP.log10(product)))
            mantissa, power = f"{float(np.finfo(np.float32).smallest_subnormal):.2e}".split("e")
            smallest = f"{mantissa} × 10" + str(int(power)).translate(SUPERSCRIPT)
            assert f"(its smallest positive number is {smallest})." in asked.reason
            if zero_at > 2:
                assert chain.prefix_values(wd, a, zero_at - 1)[-1] != 0
                assert f"At L = {zero_at - 1:,} float32 still gives a nonzero value." in (
                    asked.reason
                )
    check_reveals(asked)
    hidden = covered(view, QUESTIONS["chain"].hides)
    assert not hidden.charts
    assert [m.label for m in hidden.metrics] == ["|dF/dw₁| exact"]
    assert not any("first exactly 0" in text for text in words(hidden))
    check_notices(hidden)


# ---------------------------------------------------------------- the Hessian

HESSIAN_CHOICES = {
    "minimum": "a minimum",
    "maximum": "a maximum",
    "saddle": "a saddle",
    "inconclusive": "the test cannot tell",
    "not stationary": "not a stationary point",
}


@settings(max_examples=200, deadline=None)
@given(hessian.settings_of_the_panel())
@hessian.with_examples
def test_the_hessian_question_answers_by_the_exact_test(values: dict) -> None:
    """The answer is the exact second-order verdict (trace and determinant of the hand-coded
    Hessian at the slider's decimal point); its reason names it; covered, the chart keeps the
    surface but its title and alt text no verdict, and only F is shown."""
    truth = hessian.oracle(values["surface"], values["pt_x"], values["pt_y"])
    asked, view = asked_of("curvature", values)
    assert asked is not None
    assert asked.answer == truth["verdict"]
    assert asked.shown == HESSIAN_CHOICES[truth["verdict"]]
    assert dict(asked.choices) == HESSIAN_CHOICES
    point = re.search(r"the point \(([^,]+), ([^)]+)\) of ", asked.text)
    assert point, asked.text
    assert hessian.parse(point[1]) == hessian.decimal(values["pt_x"])
    assert hessian.parse(point[2]) == hessian.decimal(values["pt_y"])
    ending = {
        "minimum": "a strict local minimum",
        "maximum": "a strict local maximum",
        "saddle": "a saddle, neither a minimum nor a maximum",
        "inconclusive": "the second-order test says nothing",
        "not stationary": "not a stationary point",
    }[truth["verdict"]]
    assert ending in asked.reason
    shown_eig = re.search(
        r"eigenvalues (.+?)(?: of both signs|: at least| are both|\))", asked.reason
    )
    assert shown_eig, asked.reason
    eig = [hessian.parse(e) for e in shown_eig[1].split(" and ")]
    assert all(hessian.shown_as(s, t) for s, t in zip(eig, truth["eig"], strict=True))
    check_reveals(asked)
    hidden = covered(view, QUESTIONS["curvature"].hides)
    [chart] = hidden.charts
    said = " ".join([chart.alt, chart.spec["description"], str(chart.spec["title"])])
    for word in ("minimum", "maximum", "saddle", "inconclusive", "stationary", "eigen"):
        assert word not in said, said
    original = view.chart("hessian_surface")
    assert chart.spec["layer"] is original.spec["layer"]  # the surface itself stays
    assert [m.label for m in hidden.metrics] == ["F at the point"]
    check_notices(hidden)


# ---------------------------------------------------------------- floating point


def lost_by_numpy(values: dict) -> tuple[str | None, np.floating, np.floating, np.floating]:
    """``w − η·g`` in the dtype on numpy scalars: "changes", "lost", or None where w is ±∞."""
    kind = np.dtype(values["fp_dtype"]).type
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        w = kind(values["fp_w"])
        u = kind(values["fp_eta"] * 10.0 ** values["fp_grad_exp"])
        result = w - u
    if not np.isfinite(w):
        return None, w, u, result
    return ("lost" if result == w else "changes"), w, u, result


@settings(max_examples=250, deadline=None)
@precision.edge_examples
@given(precision.EVERY)
def test_the_floating_point_question_answers_by_numpy_in_the_dtype(values: dict) -> None:
    """The answer is whether ``w − η·g == w`` on numpy scalars of the dtype (no question where
    w is ±∞ there); the reason's stored w, η·g, result and rule agree with that arithmetic;
    covered, only the update's size is shown."""
    truth, w, u, result = lost_by_numpy(values)
    asked, view = asked_of("precision", values)
    dtype = values["fp_dtype"]
    if truth is None:
        assert asked is None
        return
    assert asked is not None
    assert asked.answer == truth
    asked_w = re.search(r"for w = (.+) and η·g = (.+)\?$", asked.text)
    assert asked_w, asked.text
    assert precision.number(asked_w[1]) == Fraction(Decimal(repr(float(values["fp_w"]))))
    step = Fraction(values["fp_eta"] * 10.0 ** values["fp_grad_exp"])
    assert abs(precision.number(asked_w[2]) - step) <= step * Fraction(5001, 10**6)
    assert f"differ from w in {dtype}, " in asked.text
    reason = asked.reason
    if u == 0:
        assert truth == "lost"
        assert reason.endswith(f"rounds to 0 in {dtype}, so w − η·g is w itself.")
    else:
        stored = re.match(r"w is stored as (.+?), η·g as ", reason)
        assert stored, reason
        assert precision.names(stored[1], precision.rne(precision.Fraction(float(w)), dtype), dtype)
        if not np.isfinite(u) or not np.isfinite(result):
            assert truth == "changes"
            assert "it destroys w" in reason
            assert "w − η·g is −∞" in reason
        else:
            rule = re.search(r"update with η·g (≤|<) (2[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+) ", reason)
            assert rule, reason
            bound = precision.number(rule[2])
            size = precision.Fraction(float(u))
            under = size <= bound if rule[1] == "≤" else size < bound
            assert under == (truth == "lost"), (reason, size, bound)
            if truth == "changes":
                after = re.search(r"w − η·g = (.+?): only", reason)
                assert after, reason
                exact = precision.Fraction(float(result))
                assert precision.names(after[1], exact, dtype)
            else:
                assert "rounds back to w" in reason
    check_reveals(asked)
    hidden = covered(view, QUESTIONS["precision"].hides)
    assert not hidden.charts
    assert not any(isinstance(b, Table) for b in hidden.walk())
    assert not any(isinstance(b, Text) and b.kind == "warning" for b in hidden.walk())
    assert [m.label for m in hidden.metrics] == ["the update η·g"]
    check_notices(hidden)


# ---------------------------------------------------------------- keys and covers


@settings(max_examples=30, deadline=None)
@given(chain.chain_settings(), st.sampled_from(["first", "weight", "backprop"]))
def test_a_question_is_keyed_by_every_control_that_decides_it(values: dict, quantity) -> None:
    """Every control of the three panels keys its question, except the chain's plotted
    quantity, which changes neither the question nor its answer."""
    for panel, question in QUESTIONS.items():
        keys = {c.key for c in PANELS[panel].controls} - {"quantity"}
        assert set(question.keys) == keys, panel
    v = {**PANELS["chain"].defaults(), **values}
    one, _ = asked_of("chain", v)
    other, _ = asked_of("chain", {**v, "quantity": quantity})
    assert one == other


def test_covering_keeps_every_block_that_does_not_give_the_answer_away() -> None:
    """A kept block is kept as it was; a hidden run becomes one notice; every block kind
    other than those a question names passes through."""
    view = PANELS["chain"].view(**PANELS["chain"].arguments(PANELS["chain"].defaults()))
    hidden = covered(view, QUESTIONS["chain"].hides)
    kept = [b for b in view.blocks if not isinstance(b, Chart | Metrics)]
    assert all(any(b == h for h in hidden.blocks) for b in kept)
    assert hidden.blocks[0] == Text(COVER, "info")
    assert hidden.facts is view.facts


def test_the_toggle_help_names_the_panels_that_ask() -> None:
    """ "The deep chain, the Hessian and the floating-point sections each ask you a question":
    exactly those panels have a question, each in the section named."""
    assert set(QUESTIONS) == {"chain", "curvature", "precision"}
    assert {SECTION_OF_PANEL[p] for p in QUESTIONS} == {"answer", "hessian", "floating_point"}
    assert PANELS["chain"].title == "The deep chain"
    assert "Hessian" in SECTION_BY_KEY["hessian"].intro
    assert SECTION_BY_KEY["floating_point"].label.endswith("Floating point")
    assert TOGGLE_HELP.startswith(
        "The deep chain, the Hessian and the floating-point sections each ask you a question"
    )
