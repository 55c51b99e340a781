"""Claims of the descent panel ("Gradient descent finds stationary points"), each checked against
an oracle written here: a literal gradient-descent loop in float64 on hand-coded gradients (the
page's stopping rules restated: ‖∇F‖ ≤ 10⁻¹⁰, no change, overflow, the step limit), explicit
cycle detection on its iterates (a dictionary of visited points), the step compared with 2/L and
1/L exactly in rationals (L² by hand, checked against eigvalsh over the plotted square), the kind
of the point reached by hand (and by exact classification for the surface with every kind of
point). Nothing here calls vgcore.descent, vgcore.curvature or the view's helpers for an expected
value."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from claims.edges import control_values
from vgapp.page import LESSONS, PANELS, lesson_values

PANEL = PANELS["descent"]
CONTROLS = {c.key: c for c in PANEL.controls}
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
GATOL = 1e-10
SQUARE = 2.0
"""Every surface is plotted on [−2, 2]², the sliders' range."""

# ---------------------------------------------------------------- the functions, by hand
# F and ∇F of each surface at numpy float64 scalars, written out (same operations as the maths).


def f_and_grad(surface: str, x: np.float64, y: np.float64) -> tuple[float, np.ndarray]:
    if surface == "two_weight_net":
        r = 1 - x * y
        return float(r**2), np.array([-2 * y * r, -2 * x * r])
    if surface == "bowl":
        return float(x * x + y * y), np.array([2 * x, 2 * y])
    if surface == "saddle":
        return float(x * x - y * y), np.array([2 * x, -2 * y])
    if surface == "quartic":
        return float(x**4 + y**4), np.array([4 * x**3, 4 * y**3])
    if surface == "cubic":
        return float(x**3 + 0 * y), np.array([3 * x * x, 0 * y])
    if surface == "monkey":
        return float(x**3 - 3 * x * y * y), np.array([3 * x * x - 3 * y * y, -6 * x * y])
    if surface == "every_kind":
        value = x**5 / 5 - x**3 / 3 + y**3 / 3 - y
        return float(value), np.array([x**4 - x * x, y * y - 1])
    raise KeyError(surface)


def hessian(surface: str, x: float, y: float) -> np.ndarray:
    """The Hessian by hand, for L."""
    return np.array(
        {
            "two_weight_net": [[2 * y * y, 4 * x * y - 2], [4 * x * y - 2, 2 * x * x]],
            "bowl": [[2, 0], [0, 2]],
            "saddle": [[2, 0], [0, -2]],
            "quartic": [[12 * x * x, 0], [0, 12 * y * y]],
            "cubic": [[6 * x, 0], [0, 0]],
            "monkey": [[6 * x, -6 * y], [-6 * y, -6 * x]],
            "every_kind": [[4 * x**3 - 2 * x, 0], [0, 2 * y]],
        }[surface],
        dtype=float,
    )


L_SQUARED = {
    "two_weight_net": Fraction(676),  # 26 at (2, −2)
    "bowl": Fraction(4),
    "saddle": Fraction(4),
    "quartic": Fraction(48**2),  # 12·2²
    "cubic": Fraction(144),  # 6·2
    "monkey": Fraction(288),  # 6·|(2, 2)|
    "every_kind": Fraction(784),  # 4·8 − 4
}
"""L², L the largest spectral norm of the Hessian on [−2, 2]² (by hand; checked below)."""
INFIMUM = {"two_weight_net": 0.0, "bowl": 0.0, "quartic": 0.0}
"""inf F over the plane; the other surfaces are unbounded below."""
SURFACES = tuple(L_SQUARED)


def compare(eta: float, numerator: int, surface: str) -> int:
    """Sign of η − c/L, exactly: η² L² against c²."""
    square = Fraction(eta) ** 2 * L_SQUARED[surface]
    return (square > numerator**2) - (square < numerator**2)


# ---------------------------------------------------------------- the literal loop


def literal_descent(surface, x0, y0, rule, eta, iters) -> dict:
    """Gradient descent as the page states it, in float64, with its stops; the iterates kept."""
    x = np.array([x0, y0], dtype=np.float64)
    loss, g = f_and_grad(surface, x[0], x[1])
    path, losses, norms = [x], [loss], []
    stop, k, last_t = None, 0, None
    with np.errstate(all="ignore"):
        while True:
            norm = math.hypot(float(g[0]), float(g[1]))
            if not (math.isfinite(loss) and math.isfinite(norm)):
                stop = "non_finite"
                path, losses = path[:-1], losses[:-1]
                break
            norms.append(norm)
            if norm <= GATOL:
                stop = "gatol"
                break
            if k > 0 and np.array_equal(path[-1], path[-2]):
                stop = "stagnation"
                break
            if k == iters:
                stop = "max_iter"
                break
            if rule == "constant":
                new, t = x - g * np.float64(eta), eta
                new_loss, new_g = None, None
            else:
                new, t, new_loss, new_g = x, 0.0, loss, g
                trial = eta
                for _ in range(61):
                    candidate = x - np.float64(trial) * g
                    if np.all(np.isfinite(candidate)):
                        value, grad = f_and_grad(surface, candidate[0], candidate[1])
                        if value <= loss - 1e-4 * trial * norm * norm:
                            new, t, new_loss, new_g = candidate, trial, value, grad
                            break
                    trial *= 0.5
            step = new - x
            if not (math.isfinite(math.hypot(*step)) and math.isfinite(math.hypot(*new))):
                stop = "non_finite"
                break
            if new_loss is None:
                new_loss, new_g = f_and_grad(surface, new[0], new[1])
            x, loss, g, last_t = new, new_loss, new_g, t
            path.append(x)
            losses.append(loss)
            k += 1
    cycle = None
    seen: dict[tuple[float, float], int] = {}
    for i, point in enumerate(path):
        key = (float(point[0]) + 0.0, float(point[1]) + 0.0)
        if key in seen:
            cycle = (seen[key], i - seen[key])
            break
        seen[key] = i
    return {
        "path": np.array(path),
        "losses": losses,
        "final": norms[len(path) - 1] if stop != "non_finite" or path else math.inf,
        "stop": stop,
        "steps": len(path) - 1,
        "cycle": cycle,
        "last_t": last_t,
    }


def kind_reached(surface: str, x: float, y: float) -> str:
    """The kind of stationary point at which a run with ‖∇F‖ ≤ 10⁻¹⁰ ends, by hand."""
    if surface == "two_weight_net":
        return "saddle" if math.hypot(x, y) < 1e-3 else "minimum"
    if surface == "every_kind":
        px, py = round(x), round(y)
        assert math.hypot(x - px, y - py) < 1e-3
        if px == 0:
            return "inflection"  # x⁵/5 − x³/3 starts with −x³/3: no extremum
        h11, h22 = 4 * px**3 - 2 * px, 2 * py  # diagonal Hessian, exact at integers
        if h11 > 0 and h22 > 0:
            return "minimum"
        return "maximum" if h11 < 0 and h22 < 0 else "saddle"
    return {"bowl": "minimum", "quartic": "minimum", "saddle": "saddle", "monkey": "saddle",
            "cubic": "inflection"}[surface]  # fmt: skip


def hyperbola_distance(x: float, y: float) -> float:
    """Distance to ab = 1 by brute force: a log grid over both branches, then refinement."""
    best, where = math.inf, 1.0
    for t in np.concatenate([np.geomspace(1e-4, 1e4, 20001), -np.geomspace(1e-4, 1e4, 20001)]):
        d = math.hypot(t - x, 1 / t - y)
        if d < best:
            best, where = d, float(t)
    low, high = where * 0.999, where * 1.001
    for _ in range(200):
        m1, m2 = low + (high - low) / 3, high - (high - low) / 3
        if math.hypot(m1 - x, 1 / m1 - y) < math.hypot(m2 - x, 1 / m2 - y):
            high = m2
        else:
            low = m1
    return min(best, math.hypot(low - x, 1 / low - y))


# ---------------------------------------------------------------- reading the page


def parse(text: str) -> float:
    """A number as the page writes it ("4.94 × 10⁻⁷", "−0.6", "1,950", "0 (exactly)")."""
    text = text.strip().replace("−", "-").replace(",", "")
    if text.startswith("0 (exactly)"):
        return 0.0
    match = re.fullmatch(r"(-?[\d.]+)(?: × 10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+))?", text)
    assert match, text
    mantissa, power = match.groups()
    return float(mantissa) * (10.0 ** int(power.translate(_SUP)) if power else 1.0)


def shown_as(shown: float, true: float) -> bool:
    if true == 0:
        return shown == 0
    return abs(shown - true) <= abs(true) * 5.001e-3 + 1e-300


def steps_text(n: int) -> str:
    return f"{n:,} step" + ("" if n == 1 else "s")


def view(values: dict):
    return PANEL.view(**PANEL.arguments({**PANEL.defaults(), **values}))


def all_text(result) -> list[str]:
    texts = [block.text for block in result.texts]
    for metric in result.metrics:
        texts += [metric.label, metric.value, metric.help]
    for chart in result.charts:
        texts += [chart.alt, chart.spec.get("description", "")]
    return texts


GRAMMAR = [
    (re.compile(r"\b1 (steps|points)\b"), "a plural after 1"),
    (re.compile(r"(?<![\w,.])(?:0|[2-9]|\d{2,}|\d{1,3}(?:,\d{3})+) (step|point)\b(?!s)"),
     "a singular after n ≠ 1"),
    (re.compile(r"\ba (?=[aeiou])", re.IGNORECASE), "'a' before a vowel"),
    (re.compile(r"\ban (?=[b-df-hj-np-tv-z])", re.IGNORECASE), "'an' before a consonant"),
    (re.compile(r"(?<![\w.])-\d|−0(?![.\d])"), "a hyphen minus or −0"),
]  # fmt: skip


def check_grammar(texts: list[str]) -> None:
    for text in texts:
        for pattern, what in GRAMMAR:
            assert not pattern.search(text), f"{what}: {text!r}"


# ---------------------------------------------------------------- strategies


def step_limits(surface: str) -> list[float]:
    """2/L and 1/L as floats, with their float neighbours (η = 2/L exactly where it is one)."""
    out = []
    for c in (1, 2):
        value = c / math.sqrt(float(L_SQUARED[surface]))
        out += [value, math.nextafter(value, 0), math.nextafter(value, 3)]
    return [v for v in out if 0.001 <= v <= 2.0]


CYCLING = [("bowl", 1.0, None), ("saddle", 1.0, 0.0), ("quartic", 2.0, 0.5), ("quartic", 2.0, 0.0)]
"""Settings where the float iteration falls into a cycle: (surface, η, |a start coordinate|)."""


@st.composite
def panel_settings(draw: st.DrawFn) -> dict:
    if draw(st.integers(0, 4)) == 0:  # one draw in five near a cycle
        surface, eta, magnitude = draw(st.sampled_from(CYCLING))
        start = control_values(CONTROLS["gd_x0"])
        if magnitude is not None:
            start = st.sampled_from([magnitude, -magnitude, 0.0])
        return {
            "gd_surface": surface,
            "gd_x0": draw(start if surface != "saddle" else control_values(CONTROLS["gd_x0"])),
            "gd_y0": draw(start),
            "gd_rule": "constant",
            "gd_eta": eta,
            "gd_iters": draw(st.integers(1, 300)),
        }
    surface = draw(control_values(CONTROLS["gd_surface"]))
    eta = draw(
        st.one_of(
            control_values(CONTROLS["gd_eta"], [1.0, 0.5, 2 / 26, 1 / 26, 1 / 14]),
            st.sampled_from(step_limits(surface)),
        )
    )
    return {
        "gd_surface": surface,
        "gd_x0": draw(control_values(CONTROLS["gd_x0"], [0.5, -0.5, 0.6, -0.6])),
        "gd_y0": draw(control_values(CONTROLS["gd_y0"], [0.5, -0.5, 0.6, -0.6])),
        "gd_rule": draw(control_values(CONTROLS["gd_rule"])),
        "gd_eta": eta,
        "gd_iters": draw(
            st.one_of(st.integers(1, 400), control_values(CONTROLS["gd_iters"], [2, 100, 500]))
        ),
    }


LESSON_SETTINGS = [
    {k: v for k, v in lesson_values(key).items() if k in CONTROLS}
    for key, lesson in LESSONS.items()
    if lesson.section == "descent"
]
EDGES = [
    {"gd_surface": "bowl", "gd_eta": 1.0},  # η = 2/L exactly: period 2
    {"gd_surface": "bowl", "gd_eta": 0.5, "gd_x0": 1.0, "gd_y0": -2.0},  # one step to 0
    {"gd_surface": "bowl", "gd_eta": math.nextafter(1.0, 2), "gd_iters": 5000},
    {"gd_surface": "bowl", "gd_eta": math.nextafter(1.0, 0), "gd_iters": 5000},
    {"gd_surface": "bowl", "gd_eta": 1.5, "gd_x0": 1.0, "gd_y0": 1.0},
    {"gd_surface": "quartic", "gd_eta": 2.0, "gd_x0": 0.5, "gd_y0": -0.5},  # x → −x
    {"gd_surface": "quartic", "gd_eta": 0.035, "gd_x0": 2.0, "gd_y0": 2.0},
    {"gd_surface": "two_weight_net", "gd_eta": 2 / 26},
    {"gd_surface": "two_weight_net", "gd_eta": 1 / 26, "gd_x0": 2.0, "gd_y0": 2.0},
    {"gd_surface": "two_weight_net", "gd_x0": 2.0, "gd_y0": 2.0, "gd_iters": 100},
    {"gd_surface": "two_weight_net", "gd_x0": 2.0, "gd_y0": 2.0, "gd_iters": 1},
    {"gd_surface": "two_weight_net", "gd_rule": "armijo", "gd_eta": 2.0},
    {"gd_surface": "every_kind", "gd_x0": -1.0, "gd_y0": -1.0},  # starts at the maximum
    {"gd_surface": "every_kind", "gd_x0": 0.0, "gd_y0": 0.0},  # to the flat point (0, 1)
    {"gd_surface": "every_kind", "gd_x0": 0.5, "gd_y0": -1.0},  # to the saddle (1, −1)
    {"gd_surface": "every_kind", "gd_x0": -1.5, "gd_y0": 0.5},  # F unbounded below
    {"gd_surface": "every_kind", "gd_eta": 1 / 14, "gd_x0": 2.0, "gd_y0": 2.0},
    {"gd_surface": "cubic", "gd_x0": 0.0, "gd_y0": 0.5},
    {"gd_surface": "cubic", "gd_x0": 1.0, "gd_y0": 0.5, "gd_iters": 1},
    {"gd_surface": "monkey", "gd_x0": 0.0, "gd_y0": 0.0},
    {"gd_surface": "saddle", "gd_eta": 0.1, "gd_x0": 0.5, "gd_y0": 0.5, "gd_iters": 5000},
    {"gd_surface": "saddle", "gd_eta": 1.0, "gd_x0": 0.5, "gd_y0": 0.0},  # period 2 on x
    {"gd_surface": "saddle", "gd_eta": 2.0, "gd_x0": 0.5, "gd_y0": 0.0},  # unbounded, F grows
]


def with_examples(test):
    for values in [*LESSON_SETTINGS, *EDGES]:
        test = example(values)(test)
    return test


# ---------------------------------------------------------------- the property


@settings(max_examples=250, deadline=None)
@given(panel_settings())
@with_examples
def test_every_descent_sentence_matches_the_literal_loop(values: dict) -> None:
    """The verdict (metric, chart title), the headline, the subtitle, the metrics, the cycle
    sentences, the divergence cause and the rate bound, against the literal loop."""
    values = {**PANEL.defaults(), **values}
    surface, rule, eta = values["gd_surface"], values["gd_rule"], values["gd_eta"]
    run = literal_descent(surface, values["gd_x0"], values["gd_y0"], rule, eta, values["gd_iters"])
    result = view(values)
    metrics = {m.label: m for m in result.metrics}
    headline = result.chart("descent_gradient_norms").spec["description"]
    path_chart = result.chart("descent_path")
    title = path_chart.spec["description"]
    end = run["path"][-1]
    n = run["steps"]
    # stopped by, steps, the final gradient norm
    stop_word = {"gatol": "‖∇F‖ ≤ 10⁻¹⁰", "max_iter": "step limit", "stagnation": "stagnation",
                 "non_finite": "overflow"}[run["stop"]]  # fmt: skip
    assert metrics["stopped by"].value == stop_word
    assert parse(metrics["steps"].value) == n
    assert f"{steps_text(n)} from (" in title
    assert f"stopped by {stop_word}." in title
    diverged = run["stop"] == "non_finite" or max(abs(end[0]), abs(end[1])) > 1e6
    cycle = run["cycle"]
    verdict = metrics["end point"]
    event(f"{verdict.value.split(',')[0]} / {rule}")
    if not diverged:
        assert shown_as(parse(metrics["‖∇F‖ at the end"].value), run["final"])
    if diverged:
        assert verdict.value == "diverged"
        assert headline.startswith("The iterates diverge: ")
        finite = [v for v in run["losses"] if math.isfinite(v)]
        fell, grew = finite[-1] < finite[0], finite[-1] > finite[0]
        unbounded = surface not in INFIMUM
        assert ("F is unbounded below and fell" in verdict.help) == (fell and unbounded)
        overshoot = grew and rule == "constant" and compare(eta, 2, surface) > 0
        assert ("exceeds 2/L" in verdict.help) == overshoot
        assert ("F grew" in verdict.help) == grew
    elif run["final"] <= GATOL:
        kind = kind_reached(surface, float(end[0]), float(end[1]))
        assert verdict.value == kind
        an = "an" if kind == "inflection" else "a"
        assert f"‖∇F‖ ≤ 10⁻¹⁰ at {an} {kind} after {steps_text(n)}: stationary" in headline
        assert title.startswith(f"Descent ends at ({point(end[0])}, {point(end[1])}): {kind}.")
        if run["final"] == 0 and kind != "minimum":
            assert "the gradient is exactly 0" in verdict.help
    elif cycle is not None and cycle[1] >= 2:
        start, period = cycle
        assert verdict.value == f"oscillates, period {period}"
        assert f"oscillate with period {period} from step {start}, forever" in headline
        cycles = f"Descent never settles: it cycles with period {period} from step {start}."
        assert title.startswith(cycles)
        every = f"From step {start} on, the iterates repeat exactly every {steps_text(period)}"
        assert every in title
        back = f"the point of step {start + period} equals that of step {start} exactly"
        assert back in verdict.help
        assert "not yet stationary" not in " ".join(all_text(result))
        beyond = rule == "constant" and compare(eta, 2, surface) >= 0
        assert ("η ≥ 2/L here" in headline) == beyond
        assert ("the theorem needs η < 2/L" in verdict.help) == beyond
        if beyond and compare(eta, 2, surface) == 0:
            assert "η = 2/L = " in verdict.help
            assert "exactly" in verdict.help
    elif cycle is not None:  # period 1: the iterate stays put with ‖∇F‖ > 10⁻¹⁰
        assert verdict.value == "stuck"
        assert headline.startswith(f"Stuck after {steps_text(n)}")
        armijo = rule == "armijo" and run["last_t"] == 0
        assert ("Armijo backtracking accepted no step" in verdict.help) == armijo
    else:
        assert verdict.value == "not yet stationary"
        assert f"after {steps_text(n)}: not yet stationary" in headline
        shown = re.search(r"‖∇F‖ = (.+?) after", headline)
        assert shown
        assert shown_as(parse(shown[1]), run["final"])
        if surface == "two_weight_net" and n > 0:
            x, y = float(end[0]), float(end[1])
            valley, origin = hyperbola_distance(x, y), math.hypot(x, y)
            distance = min(valley, origin)
            near = re.search(r"it is (.+?) from (the valley|the saddle)", verdict.help)
            if distance < 0.099:
                assert near
                assert abs(parse(near[1]) - distance) <= distance * 6e-3
                assert near[2] == ("the valley" if valley < origin else "the saddle")
            elif distance > 0.101:
                assert near is None
    # the rate bound: drawn exactly when its hypotheses hold, and then it holds
    inside = bool(np.all(np.abs(run["path"]) <= SQUARE))
    hypotheses = (
        surface in INFIMUM and rule == "constant" and compare(eta, 1, surface) <= 0 and inside
    )
    frame = result.chart("descent_gradient_norms").frame
    assert ("rate_bound" in frame) == hypotheses
    if hypotheses:
        k = np.arange(len(run["losses"]))
        bound = np.sqrt(2 * (run["losses"][0] - INFIMUM[surface]) / (eta * (k + 1)))
        best = np.minimum.accumulate(frame["gradient_norm"].to_numpy())
        assert np.all(best <= bound * (1 + 1e-9))
        assert "which holds for this run" in result.chart("descent_gradient_norms").alt
    else:
        assert "is not drawn" in result.chart("descent_gradient_norms").alt
    check_grammar(all_text(result))


def point(value: float) -> str:
    """A coordinate to three significant digits as a sentence writes it (oracle formatting)."""
    value = float(value) + 0.0
    if value == 0 or 1e-3 <= abs(value) < 1e3:
        return f"{value:.3g}".replace("-", "−")
    mantissa, exponent = f"{value:.2e}".split("e")
    power = str(int(exponent)).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    return f"{mantissa} × 10{power}".replace("-", "−")


def test_lipschitz_constants_are_the_largest_curvature_on_the_square() -> None:
    """The L the page prints for each surface is max ‖∇²F‖₂ over [−2, 2]² (eigvalsh on the
    hand-coded Hessian over a grid that holds the corners), and η = 2/L is a float example."""
    grid = np.linspace(-SQUARE, SQUARE, 81)
    for surface in SURFACES:
        worst = max(
            float(np.max(np.abs(np.linalg.eigvalsh(hessian(surface, x, y)))))
            for x in grid
            for y in grid
        )
        assert math.isclose(worst**2, float(L_SQUARED[surface]), rel_tol=1e-12)
        for eta in (2.0, 2 / math.sqrt(float(L_SQUARED[surface]))):
            run = view({"gd_surface": surface, "gd_eta": eta, "gd_x0": 2.0, "gd_y0": -2.0})
            text = " ".join(all_text(run))
            for shown in re.findall(r"\bL = (\d+(?:\.\d+)?), the largest curvature", text):
                assert shown_as(float(shown), worst)
            for c, shown in re.findall(r"\b([12])/L = (\d+(?:\.\d+)?)", text):
                assert shown_as(float(shown), int(c) / worst)


def test_the_theorem_and_its_example_at_eta_2_over_l() -> None:
    """η < 2/L strictly in the theorem, and its example: x² + y² with η = 1 oscillates."""
    from vgapp.panels import descent

    assert "0 < η < 2/L" in descent.THEOREM
    assert "η ≤ 2/L" not in descent.THEOREM
    assert "(L = 2) the step η = 1 sends (x, y) to (−x, −y)" in descent.THEOREM
    assert compare(1.0, 2, "bowl") == 0
    for x0, y0 in [(0.6, -0.6), (2.0, 0.05), (-1.35, 0.0)]:
        run = literal_descent("bowl", x0, y0, "constant", 1.0, 50)
        assert run["cycle"] == (0, 2)
    assert literal_descent("bowl", 0.0, 0.0, "constant", 1.0, 50)["stop"] == "gatol"


def test_the_epsilon_correction_says_the_update_is_lost_not_the_gradient() -> None:
    """The seed says: converges if ‖∇F(p)‖ ≤ ε. Float64 arithmetic shows that the gradient is
    not what decides: on x = 1000 an update with g = 10⁻¹⁴ > ε is lost, on x = 10⁻³ one with
    g = 10⁻¹⁷ < ε counts."""
    texts = " ".join(t.text for t in view({}).texts)
    assert "‖∇F(p)‖ ≤ ε" in texts
    assert "What rounding loses is the update η·∇F, not the gradient" in texts
    eps = np.finfo(np.float64).eps
    w, g, eta = np.float64(1000.0), np.float64(1e-14), np.float64(0.1)
    assert g > eps
    assert w - eta * g == w
    w, g = np.float64(1e-3), np.float64(1e-17)
    assert g < eps
    assert w - np.float64(1.0) * g != w


def test_the_saddle_lesson_says_what_the_loop_does() -> None:
    """ "From a start with a = −b [descent] slides into the saddle at the origin and stops
    there: ‖∇F‖ ≤ 10⁻¹⁰, no minimum": the literal loop from the lesson's start, and from every
    start with a = −b on the grid, ends by the gradient rule at the origin."""
    text = LESSONS["saddle"].words
    assert "‖∇F‖ ≤ 10⁻¹⁰" in text
    assert "zero gradient" not in text
    values = {**PANEL.defaults(), **lesson_values("saddle")}
    grid = [round(-2 + 0.05 * i, 2) for i in range(81)]
    for a in [values["gd_x0"], *grid]:
        run = literal_descent("two_weight_net", a, -a, "constant", values["gd_eta"], 5000)
        assert run["stop"] == "gatol"
        assert kind_reached("two_weight_net", *map(float, run["path"][-1])) == "saddle"
