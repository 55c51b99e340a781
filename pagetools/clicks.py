"""Clicks on a clickable chart (the Hessian surface, the descent contours): where to click, as
fractions of the plot area read from the drawn chart, and the value a click there must set,
computed from the axis domain in the chart's spec and the control's grid in exact rationals."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from pagetools import expect
from vgapp.page import CONTROLS

TARGETS = {  # panel: (section, chart, x control, y control)
    "curvature": ("hessian", "hessian_surface", "pt_x", "pt_y"),
    "descent": ("descent", "descent_path", "gd_x0", "gd_y0"),
}
CLICKS = ((0.7, 0.3), (0.14, 0.86), (0.46, 0.54), (0.94, 0.06))
"""Where to click, as fractions of the plot's width and height from its top left: halfway
between the arrows of the 13 x 13 field (an arrow takes the click, not the surface)."""

# The plot area of the panel's first chart (Vega's root group background), in CSS pixels,
# scrolled into view first.
PLOT_JS = """panel => {
  const chart = document.querySelector(`.st-key-panel-${panel} [data-testid='stVegaLiteChart']`);
  chart.scrollIntoView({block: 'center'});
  const r = chart.querySelector('g.mark-group.role-frame.root path.background')
    .getBoundingClientRect();
  return {x: r.x, y: r.y, width: r.width, height: r.height};
}"""


def domain(panel: str) -> tuple[float, float]:
    """The square plot's axis domain, from the chart's spec (both axes share it)."""
    spec = expect.view_of(panel).chart(TARGETS[panel][1]).spec
    low, high = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [low, high]
    return low, high


def nearest(key: str, value: float) -> float:
    """The control's grid point nearest to ``value`` (exact rationals), within its range."""
    control = CONTROLS[key]
    low, step = Fraction(control.low), Fraction(str(control.step))
    k = round((min(max(Fraction(value), low), Fraction(control.high)) - low) / step)
    return float(low + k * step)


def data_at(panel: str, fractions: tuple[float, float]) -> tuple[float, float]:
    """The data point drawn at these fractions of the plot (y grows upwards)."""
    low, high = domain(panel)
    return low + fractions[0] * (high - low), high - fractions[1] * (high - low)


def expected(panel: str, fractions: tuple[float, float]) -> dict[str, float]:
    """The controls' values after a click at these fractions of the plot."""
    _, _, x_key, y_key = TARGETS[panel]
    u, v = data_at(panel, fractions)
    return {x_key: nearest(x_key, u), y_key: nearest(y_key, v)}


def plot_point(page: Any, panel: str, fractions: tuple[float, float]) -> tuple[float, float]:
    """The pixel at these fractions of the panel's chart's plot (scrolled into view)."""
    plot = page.evaluate(PLOT_JS, panel)
    return plot["x"] + fractions[0] * plot["width"], plot["y"] + fractions[1] * plot["height"]
