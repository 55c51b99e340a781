"""The whole page's registry: every panel's controls and every lesson, in page order.

``vgapp.controls`` and ``vgapp.lessons`` hold the argument's panels; ``vgapp.lab_controls``
builds on both for the training lab, so the complete lists are assembled here, where all three
are imported.
"""

from __future__ import annotations

from typing import Any

from vgapp import controls, lessons
from vgapp.controls import CHOICE, Control
from vgapp.lab_controls import LAB_CONTROLS, LAB_LESSONS
from vgapp.lessons import Lesson

PANELS: dict[str, tuple[Control, ...]] = {**controls.PANELS, "lab": LAB_CONTROLS}
PANEL_TITLES: dict[str, str] = {
    "counterexample": "Small gradient, far from the optimum",
    "chain": "The deep sigmoid chain",
    "curvature": "A zero gradient is not an optimum",
    "descent": "Gradient descent finds stationary points",
    "precision": "Floating point eats small updates",
    "lab": "Training lab: does it happen in a real network?",
}
CONTROLS: dict[str, Control] = {c.key: c for panel in PANELS.values() for c in panel}
LESSONS: dict[str, Lesson] = {**lessons.LESSONS, **{lesson.key: lesson for lesson in LAB_LESSONS}}
LESSON_KEYS: tuple[str, ...] = tuple(LESSONS)
LESSON_CONTROL = Control(
    "lesson",
    "Lesson",
    CHOICE,
    LESSON_KEYS[0],
    "Presets in the order of the argument; each sets every control of the panels it is about.",
    options=LESSON_KEYS,
    option_labels={key: lesson.label for key, lesson in LESSONS.items()},
)


def defaults(panel: str | None = None) -> dict[str, Any]:
    """Default values of one panel's controls, or of every control on the page."""
    chosen = PANELS[panel] if panel else tuple(CONTROLS.values())
    return {control.key: control.default for control in chosen}


def lesson_values(key: str) -> dict[str, Any]:
    """Every control value a lesson sets: its panels' defaults, then the values it names."""
    lesson = LESSONS[key]
    merged: dict[str, Any] = {}
    for panel in lesson.panels:
        merged.update(defaults(panel))
    merged.update(lesson.values)
    return merged
