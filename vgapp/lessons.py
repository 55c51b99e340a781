"""Lesson presets in the order of the argument; each sets every control of its panels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Lesson:
    """A preset: the panels it resets to their defaults, then the values it names
    (``vgapp.page.lesson_values`` merges the two)."""

    key: str
    label: str
    note: str
    panels: tuple[str, ...]
    values: dict[str, Any] = field(default_factory=dict)


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
            "w = 8 drives the sigmoids into their flat tail: z ≈ 8 and σ′(8) ≈ 3·10⁻⁴ at almost "
            "every layer (σ′(64) ≈ 10⁻²⁸ at the second), so the gradient vanishes much faster.",
            ("chain",),
            {"w": 8.0, "depth": 60},
        ),
        Lesson(
            "exploding",
            "Exploding gradients (w = 8)",
            "With ReLU and w = 8 every layer multiplies the back-propagated gradient by "
            "|w|·relu′ = 8 > 1: dF/do_k = 8^(L−k) grows toward the input and overflows float16 "
            "within a few layers, float32 within a few dozen. (With the sigmoid, w = 8 "
            "saturates instead: see the previous lesson.)",
            ("chain",),
            {"activation": "relu", "w": 8.0, "depth": 100, "quantity": "backprop"},
        ),
        Lesson(
            "relu",
            "ReLU instead of sigmoid",
            "ReLU's derivative is 1 for z > 0: with w = 1 the gradient is exactly 1 at every "
            "layer, in every precision. A negative weight, though, kills the unit: its "
            "derivative is exactly 0 (try random weights with a larger spread).",
            ("chain",),
            {"activation": "relu", "w": 1.0},
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
