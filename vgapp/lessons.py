"""Lesson presets in the order of the argument; each sets every control of its panels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vgapp.controls import CHOICE, Control, defaults


@dataclass(frozen=True)
class Lesson:
    """A preset: the panels it resets to their defaults, then the values it names."""

    key: str
    label: str
    note: str
    panels: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)

    def control_values(self) -> dict[str, Any]:
        """Every control value this lesson sets."""
        merged: dict[str, Any] = {}
        for panel in self.panels:
            merged.update(defaults(panel))
        merged.update(self.values)
        return merged


LESSONS: dict[str, Lesson] = {
    lesson.key: lesson
    for lesson in (
        Lesson(
            "source",
            "The source's example",
            "c = 10⁻⁹⁰ and p = 10⁹⁹⁹⁹ as in the answer; a 600-layer sigmoid chain with w = 1.",
            ("counterexample", "chain"),
        ),
        Lesson(
            "saturated",
            "Saturated sigmoid",
            "w = 8 drives every sigmoid into its flat tail: σ'(z) ≈ 3·10⁻⁴ per layer.",
            ("chain",),
            {"w": 8.0, "depth": 60},
        ),
        Lesson(
            "exploding",
            "Exploding gradients (|w| = 8)",
            "w = −8 keeps z near −1.5 where |w|·σ'(z) ≈ 1.2 > 1: the product grows layer by layer.",
            ("chain",),
            {"w": -8.0, "depth": 600},
        ),
        Lesson(
            "relu",
            "ReLU instead of sigmoid",
            "ReLU's derivative is 1 or 0: no shrinking factor, but a negative weight kills the "
            "unit and the gradient below it is exactly zero.",
            ("chain",),
            {"activation": "relu", "w_mode": "random", "w_mean": 1.0, "w_spread": 0.5},
        ),
        Lesson(
            "float16",
            "float16 flushes to zero",
            "With w = 1 the sigmoid chain's dF/dw₁ is exactly 0 in float16 from 13 layers on; an "
            "update of 10⁻⁴ is lost on a float16 weight of 1.",
            ("chain", "precision"),
            {"depth": 80, "fp_dtype": "float16", "fp_grad_exp": -3, "fp_eta": 0.1},
        ),
        Lesson(
            "saddle",
            "Stuck at a saddle",
            "Gradient descent on (1 − ab)² from a start with a = −b slides into the saddle at the "
            "origin and stops there: zero gradient, no minimum.",
            ("curvature", "descent"),
            {"gd_x0": 0.6, "gd_y0": -0.6},
        ),
    )
}

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
