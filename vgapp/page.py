"""The page's registry: its sentences, its sections in the order of the argument, their panels
and controls, and the lessons. ``app.py`` loops over ``SECTIONS``; the tests and the browser
helpers read the same registry, so there is one mapping from controls to views.
"""

from __future__ import annotations

from typing import Any

from vgapp.classview import CLASS_KEYS, read_class
from vgapp.controls import Control, Setting, Starts, read_query, shown
from vgapp.lab import panel as lab
from vgapp.lab.controls import LAB_LESSONS
from vgapp.lab.cursor import AT_KEY, PAST_KEY
from vgapp.layout import Lesson, Panel, Section
from vgapp.panels import (
    chain,
    chain_walk,
    counterexample,
    curvature,
    descent_race,
    precision,
    stopped,
)

TITLE = "Vanishing Gradient Explorer"
QUESTION = (
    "If the gradient vanishes (0 < ‖∇F(p)‖ ≤ c for a small c: small, not zero), isn't that the "
    "zero gradient of the optimum, so gradient descent may stop?"
)
ANSWER = (
    "No. A zero gradient only says the ground is flat: it may be a saddle. A small one says "
    "nothing about how far the minimum is. On a computer it also does harm: small steps crawl, "
    "and a step too small for the weight's precision is lost (w minus the step rounds back to "
    "w)."
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
        "A zero gradient only says the point is stationary: flat in every direction. Move the "
        "point: the Hessian, the table of second derivatives (how the slope itself changes), "
        "tells a minimum from a maximum or a saddle by the signs of its eigenvalues, the "
        "curvatures along its two main directions, when they can.",
        (curvature.PANEL,),
    ),
    Section(
        "descent",
        "② Descent finds stationary points",
        "Step 2 of the argument (the source's analytical answer to question 2)",
        "Gradient descent converges to a stationary point, whatever its kind: on (1 − ab)², "
        "started on the line a = −b near the origin, it settles on the saddle there.",
        (descent_race.PANEL,),
    ),
    Section(
        "floating_point",
        "③ Floating point",
        "Step 3 of the argument (the source's numerical answer, points 1 and 2)",
        "A computer stores a weight w with a fixed number of binary digits, so there is a gap "
        "between w and the next number it can store. An update smaller than half that gap is "
        "lost (w − η·g rounds back to w), and one just above it crawls.",
        (precision.PANEL,),
    ),
    Section(
        "lab",
        "④ Training lab",
        "Step 4: the source's point 3 in a real network, while it trains",
        "A small network learns while you watch: which layers' gradients vanish, where the "
        "stopping rules stop it, and what a remedy changes.",
        (lab.PANEL,),
    ),
)
SECTION_KEYS: tuple[str, ...] = tuple(section.key for section in SECTIONS)
SECTION_BY_KEY: dict[str, Section] = {section.key: section for section in SECTIONS}
PANELS: dict[str, Panel] = {panel.key: panel for s in SECTIONS for panel in s.every_panel}
INLINE_CONTROLS: tuple[Control, ...] = (chain_walk.WALK_LAYER,)
"""Controls drawn in a panel, not in the sidebar (the chain's walk cursor): in the link, checked,
reset and set by lessons like every other, but no view's argument."""
CONTROLS: dict[str, Control] = {
    **{c.key: c for panel in PANELS.values() for c in panel.controls},
    **{c.key: c for c in INLINE_CONTROLS},
}
EXTRAS: dict[str, Starts] = {e.key: e for panel in PANELS.values() for e in panel.extras}
SETTINGS: dict[str, Setting] = {**CONTROLS, **EXTRAS}
"""Everything a link sets and the page writes back: the controls and the panels' extras."""
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
            "The source's numbers: the slope c = 10⁻⁹⁰ and the start p = 10⁹⁹⁹⁹, and a chain of "
            "600 sigmoid layers with every weight w = 1.",
            "answer",
        ),
        Lesson(
            "saturated",
            "Saturated sigmoid",
            "w = 8 pushes every sigmoid into its flat tail, where its slope σ′ is almost 0 (the "
            "unit is saturated), so the gradient vanishes much faster.",
            "answer",
            {"w": 8.0, "depth": 60},
            more="z ≈ 8 and σ′(8) ≈ 3·10⁻⁴ at almost every layer (σ′(64) ≈ 10⁻²⁸ at the second).",
        ),
        Lesson(
            "exploding",
            "Exploding (w = 8)",
            "With ReLU and w = 8 every layer multiplies the gradient by 8 on its way back, so it "
            "grows toward the input until it is too large to store and becomes ∞ (it "
            "overflows): in float16 within a few layers, in float32 within a few dozen.",
            "answer",
            {"activation": "relu", "w": 8.0, "depth": 100, "quantity": "backprop"},
            more="Each layer's factor is |w|·ReLU′ = 8 > 1, so dF/do_k = 8ᴸ⁻ᵏ. (With the "
            "sigmoid, w = 8 saturates instead: see the previous lesson.)",
        ),
        Lesson(
            "relu",
            "ReLU chain",
            "With ReLU and w = 1 the gradient is exactly 1 at every layer, in every precision: "
            "nothing vanishes. But a unit whose input is 0 or less is dead: its slope is 0, and "
            "the gradient is exactly 0 below it: a zero gradient, not a vanishing one.",
            "answer",
            {"activation": "relu", "w": 1.0},
            more="ReLU′ is 1 where z > 0 and 0 where z ≤ 0. Try random weights with a larger "
            "spread to see a dead unit.",
        ),
        Lesson(
            "float16",
            "float16 gives 0",
            "With w = 1 the sigmoid chain's dF/dw₁ is exactly 0 in float16 from 13 layers on, "
            "in float32 from 71: too small to store, it underflows to 0. The depth axis shows "
            "where.",
            "answer",
            {"depth": 80},
        ),
        Lesson(
            "monkey",
            "① A flat saddle",
            "At the origin of the monkey saddle x³ − 3xy² the gradient and all second "
            "derivatives are 0: the second-order test says nothing, yet the point is neither a "
            "minimum nor a maximum.",
            "hessian",
            {"surface": "monkey"},
        ),
        Lesson(
            "saddle",
            "② Stuck at a saddle",
            "Gradient descent on (1 − ab)² from a start with a = −b slides into the saddle at the "
            "origin and stops there, because the gradient is (almost) 0: not a minimum.",
            "descent",
            {"gd_x0": 0.6, "gd_y0": -0.6},
            more="It stops by the rule ‖∇F‖ ≤ 10⁻¹⁰.",
        ),
        Lesson(
            "race",
            "② Starts either side of a saddle",
            "Three starts race on (1 − ab)²: the two just either side of the line a = −b end at "
            "two different minima, one near (1, 1) and one near (−1, −1); the one on the line "
            "slides into the saddle at the origin and stops there.",
            "descent",
            {"gd_x0": 0.6, "gd_y0": -0.6, "gd_race": ((0.6, -0.55), (0.6, -0.6), (0.55, -0.6))},
            more="Each run stops by the rule ‖∇F‖ ≤ 10⁻¹⁰. At the minima the second-order test "
            "is inconclusive (they form the valley ab = 1, so the Hessian has a zero "
            "eigenvalue); at the saddle its eigenvalues are 2 and −2.",
        ),
        Lesson(
            "lost_update",
            "③ A lost update",
            "An update of 10⁻⁴ is lost on a float16 weight of 1: the step is smaller than half "
            "the gap between 1 and the float16 number below it, so 1 − 10⁻⁴ rounds back to 1.",
            "floating_point",
            {"fp_dtype": "float16", "fp_grad_exp": -3, "fp_eta": 0.1},
            more="That gap is 2⁻¹¹, so every step smaller than half of it, 2.44·10⁻⁴, rounds "
            "back to w.",
        ),
        *LAB_LESSONS,
    )
}
LESSON_KEYS: tuple[str, ...] = tuple(LESSONS)


def defaults(section: str | None = None) -> dict[str, Any]:
    """Default values of one section's controls, or of every setting on the page (the panels'
    extras too: a lesson or the reset clears them)."""
    chosen = SECTION_BY_KEY[section].controls if section else tuple(SETTINGS.values())
    return {control.key: control.default for control in chosen}


def lesson_values(key: str) -> dict[str, Any]:
    """Every control value a lesson sets: every control's default, then the values it names (so
    that nothing an earlier lesson or move set carries over into this one's view)."""
    return {**defaults(), **LESSONS[key].values}


CURSOR_KEYS = (AT_KEY, PAST_KEY)
VIEW_FLAGS = ("projector", "predict")
"""URL parameters of the view, not of the argument: a lesson, "Reset all controls" and "Next"
keep them. Each is a flag, ``1`` in the link when on and left out when off: ``predict`` asks
the student a question before a panel shows its answer (``vgapp.predict``)."""
FLAG_TEXTS = {"1": True, "0": False}
PAGE_KEYS = ("section", "lesson", *VIEW_FLAGS, *CLASS_KEYS, *CURSOR_KEYS)
"""URL parameters of the page itself (not of a control): the lab's cursor is read against its
run's budget (``vgapp.lab.cursor.read_cursor``)."""


def read_view(raw: dict[str, list[str]]) -> tuple[dict[str, bool], list[str]]:
    """A link's view flags checked: (each flag it sets, notices). A flag takes ``1`` or ``0``;
    any other text, or two different texts, is named in a notice and ignored."""
    flags: dict[str, bool] = {}
    notices: list[str] = []
    for key in VIEW_FLAGS:
        given = list(dict.fromkeys(text.strip() for text in raw.get(key, [])))
        if len(given) == 1 and given[0] in FLAG_TEXTS:
            flags[key] = FLAG_TEXTS[given[0]]
        elif given:
            notices.append(f"{key} “{shown(given[0])}” ignored (1 or 0)")
    return flags, notices


def read_url(raw: dict[str, list[str]]) -> tuple[dict[str, Any], str | None, str | None, list[str]]:
    """A shared link's parameters checked: (control values, section, lesson, notices); the
    notices name the view flags and the class link's names refused too (``read_view`` and
    ``vgapp.classview.read_class`` read them).

    A lesson sets its section and its controls first; explicit parameters override them."""
    controls = {key: values for key, values in raw.items() if key not in PAGE_KEYS}
    values, notices = read_query(controls, SETTINGS)
    chosen: dict[str, str | None] = {}
    for key, options in (("lesson", LESSON_KEYS), ("section", SECTION_KEYS)):
        given = list(dict.fromkeys(text.strip() for text in raw.get(key, [])))
        chosen[key] = given[0] if len(given) == 1 and given[0] in options else None
        if given and chosen[key] is None:
            notices.append(f"unknown {key} “{shown(given[0])}” ignored")
    notices += read_view(raw)[1]
    lesson, section = chosen["lesson"], chosen["section"]
    # A class link (vgapp.classview): a lesson or section it hides is refused, named.
    view, refused = read_class(raw, SECTIONS)
    notices += refused
    if lesson is not None and not view.shows_section(LESSONS[lesson].section):
        notices.append(f"lesson “{lesson}” is in a section this class link hides")
        lesson = None
    if section is not None and not view.shows_section(section):
        notices.append(f"section “{section}” is hidden by this class link")
        section = None
    if lesson is not None:
        values = {**lesson_values(lesson), **values}
        section = section or LESSONS[lesson].section
    return values, section, lesson, notices
