"""Claims of the page's own words (vgapp/page.py): the answer, the section introductions and
the lessons' notes of the first four sections. Each figure a note states is recomputed here by
an oracle that shares no code with the page (numpy scalars in the dtype, math, fractions), and
the words must contain the oracle's figure: a change of a lesson's settings that moves a figure
fails here until the words follow.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from claims.edges import control_values
from vgapp.classview import banner, read_class
from vgapp.page import ANSWER, CONTROLS, LESSONS, SECTION_BY_KEY, SECTIONS, lesson_values, read_url


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


def sigmoid_prime(t: float) -> float:
    s = sigmoid(t)
    return s * (1 - s) if abs(t) < 30 else math.exp(-abs(t))  # 1 − σ loses every digit there


def chain_gradient_in(dtype: str, depth: int, w: float) -> float:
    """dF/dw₁ of the source's chain with every w_i = w, forward and backward as a literal loop
    on numpy scalars of ``dtype`` (σ(t) = 1/(1 + e^(−t)) there, σ′ = σ(1 − σ))."""
    kind = np.dtype(dtype).type
    one, weight = kind(1), kind(w)
    with np.errstate(all="ignore"):
        outputs = [weight]
        for _ in range(2, depth + 1):
            outputs.append(one / (one + np.exp(-(weight * outputs[-1]))))
        gradient = one
        for i in range(depth - 1, 0, -1):  # layers L..2: z_i = w·o_{i−1}
            s = outputs[i]
            gradient = gradient * weight * (s * (one - s))
    return float(gradient)


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def one_digit(x: float) -> str:
    """``x`` to one significant digit as the notes write it: ``3·10⁻⁴``."""
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}·10{str(int(exponent)).translate(SUPERSCRIPT)}"


def power_of_ten(x: float) -> str:
    """``x`` as the nearest power of ten: ``10⁻²⁸``."""
    return "10" + str(round(math.log10(x))).translate(SUPERSCRIPT)


def first_zero_depth(dtype: str, w: float, up_to: int = 2000) -> int | None:
    for depth in range(2, up_to + 1):
        if chain_gradient_in(dtype, depth, w) == 0:
            return depth
    return None


def test_the_answer_states_the_lost_update_rule_truly():
    """ "a step too small for the weight's precision is lost (w minus the step rounds back to
    w)": every float16 weight of a sample, with a step just below half the gap to the next
    float16 number toward zero, rounds back to w; and one such step exists for every weight
    (the gap is never 0)."""
    assert "a step too small for the weight's precision is lost" in ANSWER
    assert "(w minus the step rounds back to w)" in ANSWER
    for w in np.float16([0.1, 1, 1.5, 3, 1000, 65504]):
        below = np.nextafter(w, np.float16(0))
        half = (Fraction(float(w)) - Fraction(float(below))) / 2
        update = np.float16(float(half) * (1 - 2**-8))
        assert update > 0
        assert w - update == w


def test_the_floating_point_intro_states_the_lost_update_rule_truly():
    """ "there is a gap between w and the next number it can store. An update smaller than half
    that gap is lost (w − η·g rounds back to w)": in each precision, for weights of both signs
    and several sizes, an update just below half the gap toward zero is lost, one just above
    it is not."""
    intro = SECTION_BY_KEY["floating_point"].intro
    assert "An update smaller than half that gap is lost (w − η·g rounds back to w)" in intro
    for dtype in ("float16", "float32", "float64"):
        kind = np.dtype(dtype).type
        for value in (0.1, 1.0, 1.5, 3.0, 1000.0, -2.5):
            w = kind(value)
            toward_zero = np.nextafter(w, kind(0))
            half = abs(Fraction(float(w)) - Fraction(float(toward_zero))) / 2
            sign = 1 if w > 0 else -1
            below, above = (kind(sign * float(half) * f) for f in (1 - 2**-6, 1 + 2**-6))
            assert w - below == w
            assert w - above != w


def test_the_float16_lesson_states_each_precisions_first_zero_depth():
    values = lesson_values("float16")
    note = LESSONS["float16"].words
    for dtype, words in (
        ("float16", "in float16 from {} layers on"),
        ("float32", "float32 from {}"),
    ):
        depth = first_zero_depth(dtype, values["w"])
        assert depth is not None
        assert words.format(depth) in note
        # "from D layers on": every deeper chain up to the lesson's depth is exactly 0 too
        assert all(chain_gradient_in(dtype, d, values["w"]) == 0 for d in range(depth, 81))


def test_the_saturated_lesson_states_its_sigmoid_slopes():
    values = lesson_values("saturated")
    note = LESSONS["saturated"].words
    w = values["w"]
    assert f"w = {w:g}" in note
    # z = w·o_{i−1} ≈ w from the third layer on (o ≈ 1), and z₂ = w·o₁ = w² at the second
    assert f"σ′({w:g}) ≈ {one_digit(sigmoid_prime(w))}" in note
    assert f"σ′({w * w:g}) ≈ {power_of_ten(sigmoid_prime(w * w))}" in note
    o = w
    for _ in range(2, values["depth"] + 1):
        o = sigmoid(w * o)
    assert abs(w * o - w) < 1e-2


def test_the_exploding_lesson_overflows_where_it_says():
    values = lesson_values("exploding")
    note = LESSONS["exploding"].words
    assert f"|w|·ReLU′ = {values['w']:g} > 1" in note
    for dtype, words, low, high in (
        ("float16", "float16 within a few layers", 1, 9),
        ("float32", "float32 within a few dozen", 20, 60),
    ):
        kind = np.dtype(dtype).type
        product, layers = kind(1), 0
        with np.errstate(over="ignore"):
            while math.isfinite(float(product)):
                product = product * kind(values["w"])
                layers += 1
        assert words in note
        assert low <= layers <= high < values["depth"]


def test_the_relu_lesson_gradient_is_exactly_one_in_every_precision():
    values = lesson_values("relu")
    for dtype in ("float16", "float32", "float64"):
        kind = np.dtype(dtype).type
        o, gradient = kind(values["w"]), kind(1)
        for _ in range(2, values["depth"] + 1):
            z = kind(values["w"]) * o
            gradient = gradient * kind(values["w"]) * kind(z > 0)
            o = max(z, kind(0))
        assert gradient == 1


def test_the_monkey_lesson_point_is_flat_and_no_extremum():
    def f(x: Fraction, y: Fraction) -> Fraction:
        return x**3 - 3 * x * y**2

    # F is a cubic form: F(t·d) = t³·F(d), so its gradient and Hessian vanish at the origin,
    # and along d = (1, 0) it takes both signs arbitrarily near: no extremum
    for d in ((1, 0), (1, 1), (2, -3)):
        x, y = (Fraction(v) for v in d)
        for t in (Fraction(1, 10), Fraction(-1, 1000)):
            assert f(t * x, t * y) == t**3 * f(x, y)
    h = Fraction(1, 10**6)
    assert f(h, Fraction(0)) > 0 > f(-h, Fraction(0))
    assert lesson_values("monkey")["surface"] == "monkey"
    assert "x³ − 3xy²" in LESSONS["monkey"].words


def test_the_lost_update_lesson_figures():
    values = lesson_values("lost_update")
    note = LESSONS["lost_update"].words
    w = np.float16(values["fp_w"])
    update = values["fp_eta"] * 10.0 ** values["fp_grad_exp"]
    gap_below = Fraction(float(w)) - Fraction(float(np.nextafter(w, np.float16(0))))
    assert gap_below == Fraction(1, 2**11)
    assert "2⁻¹¹" in note
    mantissa, exponent = f"{float(gap_below / 2):.2e}".split("e")
    assert f"{mantissa}·10{str(int(exponent)).translate(SUPERSCRIPT)}" in note
    assert f"An update of {power_of_ten(update)}" in note
    assert w - np.float16(update) == w


def test_the_descent_intro_start_on_a_equals_minus_b_settles_on_the_saddle():
    """ "on (1 − ab)², started on the line a = −b near the origin, it settles on the saddle
    there": at the panel's default step, from every start on that line the sliders reach (all
    80 of them, within the lesson's budget)."""
    assert "a = −b" in SECTION_BY_KEY["descent"].intro
    values = lesson_values("saddle")
    eta, iterations = values["gd_eta"], values["gd_iters"]
    start = CONTROLS["gd_x0"]
    grid = round((start.high - start.low) / start.step)
    for i in range(grid + 1):
        a = start.canonical(start.low + i * start.step)
        if a == 0:
            continue
        x, y = a, -a
        for _ in range(iterations):  # a literal loop over the lesson's budget
            r = 1 - x * y
            x, y = x + eta * 2 * y * r, y + eta * 2 * x * r
        assert math.hypot(x, y) < 1e-6, (a, x, y)


# The class link's banner (vgapp.classview.banner), against an oracle that reads the link's two
# parameters by hand: split on commas, keys of the registry, nothing of the view's code.

SECTION_NAMES = [section.key for section in SECTIONS]
LIST_NAMES = st.sampled_from([*SECTION_NAMES, *CONTROLS, "none", "nowhere", " Hessian "])


def oracle_hidden(show: str | None, controls: str | None) -> tuple[list[str], int]:
    """(labels of the sections the link hides, in the argument's order; how many controls of
    the sections it shows it hides), from the parameters' text alone."""
    named = [name.strip().lower() for name in (show or "").split(",")]
    shown = [key for key in SECTION_NAMES if key in named] or SECTION_NAMES
    kept = [name.strip().lower() for name in (controls or "").split(",")]
    every = [c.key for s in SECTIONS if s.key in shown for c in s.controls]
    if controls is not None and kept != ["none"] and not set(kept) & set(CONTROLS):
        kept = every  # nothing usable named: every control shown
    hidden = 0 if controls is None else sum(key not in kept for key in every)
    return [s.label for s in SECTIONS if s.key not in shown], hidden


@given(
    st.one_of(st.none(), st.lists(LIST_NAMES, max_size=6).map(",".join)),
    st.one_of(st.none(), st.lists(LIST_NAMES, max_size=10).map(",".join)),
)
@example("hessian,descent", "pt_x,gd_x0")
@example("answer", "none")
@example(None, "depth")
@example("lab,answer", None)
def test_the_class_banner_names_exactly_the_hidden_sections_and_counts_the_hidden_controls(
    show, controls
):
    """ "A class view: this link hides the sections “…” and “…”, and N controls. Hidden controls
    still apply.": every hidden section's label in the argument's order, no shown one's; N the
    hidden controls of the shown sections; no banner when nothing is hidden."""
    given = (("show", show), ("controls", controls))
    raw = {key: [text] for key, text in given if text is not None}
    view = read_class(raw, SECTIONS)[0]
    labels, count = oracle_hidden(show, controls)
    assert view.on == bool(labels or count)
    if not view.on:
        return
    text = banner(view, SECTIONS)
    assert text.startswith("A class view: this link hides ")
    quoted = re.findall(r"“([^”]*)”", text)
    assert quoted == labels
    if labels:
        assert ("the section " if len(labels) == 1 else "the sections ") in text
    counted = re.search(r"(\d+) controls?\.", text)
    assert (int(counted[1]) if counted else 0) == count
    if count:
        assert f"{count} control{'s' if count > 1 else ''}." in text
        assert text.endswith(" Hidden controls still apply.")


@given(
    st.lists(LIST_NAMES, max_size=6).map(",".join),
    st.lists(LIST_NAMES, max_size=10).map(",".join),
    st.sampled_from(list(CONTROLS)),
    st.data(),
)
def test_a_class_link_changes_no_value_of_the_controls_it_hides(show, controls, key, data):
    """ "Hidden controls still apply": the values a link sets are the same with or without its
    class view, whatever it hides, for a value drawn over the control's full range."""
    control = CONTROLS[key]
    value = data.draw(control_values(control))
    plain = {key: [control.url_text(value)]}
    assert (
        read_url({**plain, "show": [show], "controls": [controls]})[0]
        == read_url(plain)[0]
        == {key: control.canonical(value)}
    )
