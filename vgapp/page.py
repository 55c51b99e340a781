"""The page's registry: its sentences, its sections in the order of the argument, their panels
and controls, and the lessons. ``app.py`` loops over ``SECTIONS``; the tests and the browser
helpers read the same registry, so there is one mapping from controls to views.
"""

from __future__ import annotations

from typing import Any

from vgapp.controls import Control, read_query, shown
from vgapp.lab import panel as lab
from vgapp.lab.controls import LAB_LESSONS
from vgapp.layout import Lesson, Panel, Section
from vgapp.panels import chain, counterexample, curvature, descent, precision, stopped

TITLE = "Vanishing Gradient Explorer"
QUESTION = (
    "If the gradient vanishes (0 < ‖∇F(p)‖ ≤ c for a small c: small, not zero), isn't that the "
    "zero gradient of the optimum, so gradient descent may stop?"
)
ANSWER = (
    "No: a zero gradient only makes a point stationary (a saddle too), and a small one says "
    "nothing about how far the optimum is. Analytically that is harmless; numerically, small "
    "steps crawl, and a step below half the gap to w's neighbouring float is lost."
)

SECTIONS: tuple[Section, ...] = (
    Section(
        "answer",
        "The answer",
        "The answer at a glance",
        "",
        (counterexample.PANEL, chain.PANEL),
        side_by_side=True,
        lead=stopped.PANEL,
    ),
    Section(
        "hessian",
        "① Zero gradient ≠ optimum",
        "Step 1 of the argument (the source's question 1)",
        "A zero gradient only says the point is stationary. Move the point: the Hessian's "
        "eigenvalues decide what kind of stationary point it is, when they can.",
        (curvature.PANEL,),
    ),
    Section(
        "descent",
        "② Descent finds stationary points",
        "Step 2 of the argument (the source's analytical answer to question 2)",
        "Gradient descent converges to a stationary point, whatever its kind: on (1 − ab)², "
        "started on the line a = −b near the origin, it settles on the saddle there.",
        (descent.PANEL,),
    ),
    Section(
        "floating_point",
        "③ Floating point",
        "Step 3 of the argument (the source's numerical answer, points 1 and 2)",
        "In floating point a small gradient does harm: an update below half the gap between w "
        "and its neighbour is lost, and one just above it crawls.",
        (precision.PANEL,),
    ),
    Section(
        "lab",
        "④ Training lab",
        "Step 4: the source's point 3 in a real network, while it trains",
        "Which layers' gradients vanish, where the stopping rules stop, what a remedy changes.",
        (lab.PANEL,),
    ),
)
SECTION_KEYS: tuple[str, ...] = tuple(section.key for section in SECTIONS)
SECTION_BY_KEY: dict[str, Section] = {section.key: section for section in SECTIONS}
PANELS: dict[str, Panel] = {panel.key: panel for s in SECTIONS for panel in s.every_panel}
CONTROLS: dict[str, Control] = {c.key: c for panel in PANELS.values() for c in panel.controls}
SECTION_OF_PANEL: dict[str, str] = {p.key: s.key for s in SECTIONS for p in s.every_panel}
FOLD_KEYS: tuple[str, ...] = tuple(key for panel in PANELS.values() for key in panel.fold_keys())
"""Session-state keys of every fold on the page (forgotten when a lesson, a link or the reset
sets the controls, so that each fold opens again by what it holds)."""
FOLD_OF_CONTROL: dict[str, str] = {
    key: panel.fold_key(caption)
    for panel in PANELS.values()
    for caption, _ in panel.folds
    for key in dict(panel.groups)[caption]
}
"""The fold that holds a control, for the controls drawn in one."""


def next_section(key: str) -> Section | None:
    """The section after ``key`` in the argument, or None after the last."""
    index = SECTION_KEYS.index(key)
    return SECTIONS[index + 1] if index + 1 < len(SECTIONS) else None


LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in (
        Lesson(
            "source",
            "Start here: the source's example",
            "c = 10⁻⁹⁰ and p = 10⁹⁹⁹⁹ as in the answer; a 600-layer sigmoid chain with w = 1.",
            "answer",
        ),
        Lesson(
            "saturated",
            "Saturated sigmoid",
            "w = 8 drives the sigmoids into their flat tail: z ≈ 8 and σ′(8) ≈ 3·10⁻⁴ at almost "
            "every layer (σ′(64) ≈ 10⁻²⁸ at the second), so the gradient vanishes much faster.",
            "answer",
            {"w": 8.0, "depth": 60},
        ),
        Lesson(
            "exploding",
            "Exploding (w = 8)",
            "With ReLU and w = 8 every layer multiplies the back-propagated gradient by "
            "|w|·ReLU′ = 8 > 1: dF/do_k = 8^(L−k) grows toward the input and overflows float16 "
            "within a few layers, float32 within a few dozen. (With the sigmoid, w = 8 "
            "saturates instead: see the previous lesson.)",
            "answer",
            {"activation": "relu", "w": 8.0, "depth": 100, "quantity": "backprop"},
        ),
        Lesson(
            "relu",
            "ReLU chain",
            "ReLU′ is 1 where z > 0: with w = 1 the gradient is exactly 1 at every layer, in "
            "every precision. A unit with z ≤ 0 is dead: its derivative, and with it every "
            "gradient below it, is exactly 0: a zero gradient, not a vanishing one (try random "
            "weights with a larger spread).",
            "answer",
            {"activation": "relu", "w": 1.0},
        ),
        Lesson(
            "float16",
            "float16 gives 0",
            "With w = 1 the sigmoid chain's dF/dw₁ is exactly 0 in float16 from 13 layers on, "
            "in float32 from 71: the depth axis shows where.",
            "answer",
            {"depth": 80},
        ),
        Lesson(
            "monkey",
            "① A flat saddle",
            "At the origin of the monkey saddle x³ − 3xy² the gradient and the whole Hessian "
            "are 0: the second-order test says nothing, yet the point is no extremum.",
            "hessian",
            {"surface": "monkey"},
        ),
        Lesson(
            "saddle",
            "② Stuck at a saddle",
            "Gradient descent on (1 − ab)² from a start with a = −b slides into the saddle at the "
            "origin and stops there: ‖∇F‖ ≤ 10⁻¹⁰, no minimum.",
            "descent",
            {"gd_x0": 0.6, "gd_y0": -0.6},
        ),
        Lesson(
            "lost_update",
            "③ A lost update",
            "An update of 10⁻⁴ is lost on a float16 weight of 1: the gap below 1 is 2⁻¹¹, so "
            "every step smaller than half of it, 2.44·10⁻⁴, rounds back to w.",
            "floating_point",
            {"fp_dtype": "float16", "fp_grad_exp": -3, "fp_eta": 0.1},
        ),
        *LAB_LESSONS,
    )
}
LESSON_KEYS: tuple[str, ...] = tuple(LESSONS)


def defaults(section: str | None = None) -> dict[str, Any]:
    """Default values of one section's controls, or of every control on the page."""
    chosen = SECTION_BY_KEY[section].controls if section else tuple(CONTROLS.values())
    return {control.key: control.default for control in chosen}


def lesson_values(key: str) -> dict[str, Any]:
    """Every control value a lesson sets: every control's default, then the values it names (so
    that nothing an earlier lesson or move set carries over into this one's view)."""
    return {**defaults(), **LESSONS[key].values}


PAGE_KEYS = ("section", "lesson")
"""URL parameters of the page itself (not of a control)."""


def read_url(raw: dict[str, list[str]]) -> tuple[dict[str, Any], str | None, str | None, list[str]]:
    """A shared link's parameters checked: (control values, section, lesson, notices).

    A lesson sets its section and its controls first; explicit parameters override them."""
    controls = {key: values for key, values in raw.items() if key not in PAGE_KEYS}
    values, notices = read_query(controls, CONTROLS)
    chosen: dict[str, str | None] = {}
    for key, options in (("lesson", LESSON_KEYS), ("section", SECTION_KEYS)):
        given = list(dict.fromkeys(text.strip() for text in raw.get(key, [])))
        chosen[key] = given[0] if len(given) == 1 and given[0] in options else None
        if given and chosen[key] is None:
            notices.append(f"unknown {key} “{shown(given[0])}” ignored")
    lesson, section = chosen["lesson"], chosen["section"]
    if lesson is not None:
        values = {**lesson_values(lesson), **values}
        section = section or LESSONS[lesson].section
    return values, section, lesson, notices
