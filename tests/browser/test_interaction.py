"""Moving controls and choosing lessons in Chromium, as a person would."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import numpy as np
import pytest

from vgapp.page import LESSONS, lesson_values
from vgcore.chain import chain_log10_abs_gradient

from .helpers import (
    CONTROLS,
    AppPage,
    default_values,
    expected_metrics,
    lesson_walk,
    parse_log10,
    same_control_value,
)

pytestmark = pytest.mark.browser

# The page writes 3 significant digits: the shown mantissa is within half a unit of its last
# digit, a relative error of at most 0.005 / 1.00.
SHOWN_LOG10_TOL = math.log10(1 + 5e-3)


def sigmoid_prime(z: float) -> float:
    """σ'(z) = σ(z)(1 − σ(z)) in closed form."""
    s = 1.0 / (1.0 + math.exp(-z))
    return s * (1.0 - s)


def chain_metrics(values: dict) -> tuple[str, str, list[tuple[str, str]]]:
    """The chain panel's expected metrics, with the labels of the exact and float64 values."""
    shown = expected_metrics(values, ("chain",))["chain"]
    labels = [label for label, _ in shown]
    return labels[0], next(label for label in labels if label.endswith("float64")), shown


def test_depth_slider_moves_the_chain_gradient(app: AppPage) -> None:
    """ArrowRight on the depth slider shows dF/dw₁ for L + 1; Home shows it for L = 2."""
    app.open()
    values = default_values()
    assert app.control_value("depth") == values["depth"]
    thumb = app.control("depth").locator("input[type='range']")

    thumb.focus()
    thumb.press("ArrowRight")
    values["depth"] += 1
    exact, float64, chain = chain_metrics(values)
    app.wait_for_metric("chain", exact, dict(chain)[exact])
    assert app.metrics("chain") == chain
    assert app.control_value("depth") == values["depth"]
    assert f"depth={values['depth']}" in app.query().split("&")
    core = chain_log10_abs_gradient(np.full(values["depth"], values["w"]), values["activation"])
    assert abs(parse_log10(dict(chain)[exact]) - core[0]) <= SHOWN_LOG10_TOL

    thumb.press("Home")
    values["depth"] = int(CONTROLS["depth"].low)
    exact, float64, chain = chain_metrics(values)
    app.wait_for_metric("chain", exact, dict(chain)[exact])
    assert app.metrics("chain") == chain
    # L = 2, w = 1: dF/dw₁ = w₂·σ'(w₂·w₁) = σ'(1), and float64 shows it too.
    closed_form = math.log10(sigmoid_prime(1.0))
    shown = dict(app.metrics("chain"))
    assert abs(parse_log10(shown[exact]) - closed_form) <= SHOWN_LOG10_TOL
    assert abs(parse_log10(shown[float64]) - closed_form) <= SHOWN_LOG10_TOL
    assert app.console_errors == []


def test_each_lesson_sets_its_controls_and_metrics(app: AppPage) -> None:
    """Each lesson pill sets every control the lesson names and the metrics follow; nothing
    else moves. The page starts where every lesson in turn changes something."""
    start, order = lesson_walk()
    states = [{**default_values(), **start}]
    for key in order:
        states.append({**states[-1], **lesson_values(key)})
        assert states[-1] != states[-2], f"test set-up: lesson {key} would change nothing"
    with ThreadPoolExecutor(max_workers=1) as pool:  # the views train networks: meanwhile, click
        expected = [pool.submit(expected_metrics, state) for state in states[1:]]
        app.open(urlencode(start))
        assert app.controls_show(states[0])
        for key, state, metrics in zip(order, states[1:], expected, strict=True):
            check_lesson(app, key, state, metrics.result())
    assert app.page.get_by_test_id("stException").count() == 0
    assert app.console_errors == []


def check_lesson(app: AppPage, key: str, state: dict, metrics: dict) -> None:
    """Choose the lesson; every control shows ``state`` and the page shows ``metrics``."""
    app.page.locator(".st-key-lesson button", has_text=LESSONS[key].label).click()
    app.wait_until(lambda: app.controls_show(state), f"the controls of lesson {key}")
    app.settle()
    for name, shown in app.control_values().items():
        assert same_control_value(name, shown, state[name]), f"{key}: {name} shows {shown!r}"
    assert app.all_metrics() == metrics, f"after lesson {key}"
