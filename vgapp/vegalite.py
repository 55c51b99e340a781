"""The one way the project builds a chart: Vega-Lite v6 specs written as plain dicts.

Every chart is a layered spec with its rows inlined per layer (``layer`` + ``chart``), so a
memoised view sends JSON without Altair or Arrow on each rerun. Colours are Okabe–Ito
darkened to 3:1 against white (``BLACK`` ... ``PURPLE`` below); text is at least 12 px and
titles 15 px, readable on a projector. Log axes only ever receive positive finite values, and
their labels are powers of ten written with superscripts (10⁻³⁰⁰), as everywhere on the page.
The tests validate every spec against the Vega-Lite schema.
"""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import numpy as np
import pandas as pd

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
Q, N, ORD = "quantitative", "nominal", "ordinal"  # Vega-Lite field types

BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILION, PURPLE = (
    "#000000",
    "#B87F00",  # Okabe–Ito orange #E69F00 darkened: 3.5:1 on white (the original 2.3:1)
    "#4692BD",  # sky blue #56B4E9 darkened: 3.4:1 (2.3:1)
    "#009E73",  # 3.4:1
    "#958D29",  # yellow #F0E442 darkened to olive: 3.4:1 (1.3:1)
    "#0072B2",  # 5.2:1
    "#D55E00",  # 3.9:1
    "#C0729D",  # reddish purple #CC79A7 darkened a little: 3.4:1 (3.06:1)
)
"""Okabe–Ito's eight colours (Okabe and Ito 2008, chosen to stay apart under the common
colour-vision deficiencies), with the three light ones and the purple darkened by scaling their
RGB channels (same hue and saturation) until they reach 3:1 against the white background, the
WCAG 2.2 non-text contrast (1.4.11) for marks that carry meaning: a line, a band or a point
must stand out from the page as much as large text. Scaling keeps the hues that separate the
palette for colour-blind readers; it only narrows the lightness differences, so series that
share a chart also differ by dash or shape where they could be confused (blue and sky blue).
Colours are never used for text: a label is written in ``TEXT_COLOR`` beside its mark."""
MIN_MARK_CONTRAST = 3.0
"""WCAG 2.2, 1.4.11: a mark that carries meaning against the white chart background."""
TEXT_MIN_CONTRAST = 4.5
"""WCAG 2.2, 1.4.3: chart text (12-15 px) against the white chart background."""
PALETTE = (BLACK, BLUE, ORANGE, PURPLE, GREEN, VERMILION, SKY, YELLOW)
SERIES_COLORS = {"exact": BLACK, "float64": BLUE, "float32": ORANGE, "float16": PURPLE}
CHART_HEIGHT = 250
HEADLINE_HEIGHT = 150
MAX_POINTS = 300
FONT_SIZE = 12
"""Smallest chart text in CSS pixels (axis labels, legends, notes): readable on a projector."""

TEXT_COLOR = "#31333F"
"""Chart text in the page's own text colour, 12.6:1 on white (WCAG AA asks 4.5:1; Streamlit's
chart theme greys axis labels to #808495, 3.7:1, which a washed-out projector loses first)."""

TITLE_LIMIT = 4000
"""A title's limit in pixels (set on each title: Vega-Lite does not pass a configured one on):
wider than any screen, so Vega never cuts a title line with "…" (it did, by a limit computed
when the chart was first drawn narrower); ``title`` breaks the lines to fit instead, and
tests/browser/test_chart_layout.py checks that none passes the chart's edge."""

CONFIG: dict[str, Any] = {
    "view": {"continuousWidth": 300, "continuousHeight": 300},
    "axis": {
        "labelFontSize": FONT_SIZE,
        "titleFontSize": 13,
        "labelOverlap": True,
        "labelFlush": True,  # the first and last tick labels stay inside the plot's width
        "labelColor": TEXT_COLOR,
        "titleColor": TEXT_COLOR,
    },
    "legend": {
        "labelFontSize": FONT_SIZE,
        "titleFontSize": FONT_SIZE,
        "labelLimit": 320,
        "labelColor": TEXT_COLOR,
        "titleColor": TEXT_COLOR,
    },
    "title": {
        "fontSize": 14,
        "subtitleFontSize": FONT_SIZE,
        "anchor": "start",
        "color": TEXT_COLOR,
        "subtitleColor": TEXT_COLOR,
    },
    "text": {"fontSize": FONT_SIZE},
}

_SUPERSCRIPT_EXPR = "''+{}"
for _digit, _sup in zip("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻", strict=True):
    _SUPERSCRIPT_EXPR = f"replace({_SUPERSCRIPT_EXPR}, regexp('{_digit}', 'g'), '{_sup}')"


def superscript_expr(expression: str) -> str:
    """A Vega expression writing the integer ``expression`` with superscript digits."""
    return _SUPERSCRIPT_EXPR.format(f"format({expression}, 'd')")


def power_axis(**properties: Any) -> dict[str, Any]:
    """Axis of a linear scale that holds log₁₀ of a quantity: integer ticks shown as 10ᵏ."""
    return {
        "tickMinStep": 1,
        "labelExpr": f"'10' + {superscript_expr('datum.value')}",
        **properties,
    }


def log_axis(**properties: Any) -> dict[str, Any]:
    """Axis of a log scale: labels only at exact powers of ten, written 10ᵏ."""
    exponent = "round(log(datum.value) / LN10)"
    is_power = f"abs(datum.value / pow(10, {exponent}) - 1) < 1e-6"
    return {
        "labelExpr": f"{is_power} ? '10' + {superscript_expr(exponent)} : ''",
        **properties,
    }


def log_key(low: float, high: float, most: int = 4) -> dict[str, Any]:
    """Legend properties of a log colour scale over ``[low, high]`` (positive): labels at
    powers of ten inside it (at most ``most``, at exponents a multiple of 1, 2, 5, 10, ...), or,
    when it holds fewer than two, at its two ends written m × 10ᵏ: a key always has numbers."""
    first, last = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    needed = (last - first + 1) / most
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if s >= needed)
    powers = [float(10.0**k) for k in range(first, last + 1) if k % step == 0]
    values = powers if len(powers) >= 2 else [low, high]
    exponent = "floor(log(datum.value) / LN10 + 1e-9)"
    mantissa = f"format(datum.value / pow(10, {exponent}), '.2~f')"
    written = f"({mantissa} == '1' ? '' : {mantissa} + ' × ') + '10' + {superscript_expr(exponent)}"
    return {"values": values, "labelExpr": written, "labelOverlap": True}


TITLE_LINE = 28
"""Longest title line in characters (14 px, Source Sans at weight 600, up to 8.2 px a character
with superscripts, × and capitals): a chart beside another at 150 % zoom of 1440x900 is 234 px
wide. Fixed, not chosen from the chart's width in the browser: a title whose line count changes
when the chart is resized (a folded sidebar) is laid out by Vega where the old one was, and its
first line is cut at the top (seen in Chromium at 150 %; tests/browser/test_chart_layout.py)."""
WIDE_TITLE_LINE = 40
"""The same for a chart across the page (the lab's loss: 358 px on a 390 px phone)."""
SUBTITLE_LINE = 36
"""Longest subtitle line in characters (12 px): broken for the narrowest chart, a headline
chart at 150 % zoom of 1440x900 or on a 390 px phone (about 230 px)."""


def title(text: str, subtitle: str | None = None, *, wide: bool = False) -> dict[str, Any]:
    """A chart title that states the finding, broken into lines that fit the narrowest chart
    (``TITLE_LINE``; ``WIDE_TITLE_LINE`` for a ``wide`` chart across the page), with an
    optional subtitle; the plain text becomes the chart's description (``chart``)."""
    spec: dict[str, Any] = {
        "text": _lines(text, WIDE_TITLE_LINE if wide else TITLE_LINE),
        "anchor": "start",
        "limit": TITLE_LIMIT,
    }
    if subtitle:
        spec["subtitle"] = _lines(subtitle, SUBTITLE_LINE)
    spec[_PLAIN] = f"{text}. {subtitle}" if subtitle else text
    return spec


_PLAIN = "_plain"
"""The key under which ``title`` hands the plain text to ``chart`` (never sent)."""


def text_lines(text: str, width: int) -> str:
    """``text`` as a Vega expression literal broken into lines of at most ``width``
    characters (an array of lines: Vega draws each on its own line, in a title, a text mark or
    a legend label)."""
    return json.dumps(_lines(text, width), ensure_ascii=False)


def _lines(text: str, width: int) -> str | list[str]:
    lines = textwrap.wrap(text, width, break_on_hyphens=False)
    return lines[0] if len(lines) == 1 else lines


PLACE_ONLY = "_"
"""A field whose name starts with this only places a mark (a lane, a label's row, a cell's
edge) and holds no value of the data: a tooltip need not show it. Every other x or y field of
a layer with a tooltip is in its tooltip (every tooltip gives the point's coordinates)."""


def field(name: str, kind: str, **properties: Any) -> dict[str, Any]:
    """An encoding (or tooltip entry) of field ``name`` with type ``kind`` (Q, N or O)."""
    return {"field": name, "type": kind, **properties}


def rows(**columns: Any) -> list[dict[str, Any]]:
    """Inline data rows from equal-length columns (arrays, Series or lists; a string or a number
    is repeated on every row), as JSON-ready values: Python numbers and strings, None where a
    float is not finite (strict JSON has no NaN or ∞)."""
    n = next((len(values) for values in columns.values() if not _is_scalar(values)), 1)
    lists = []
    for values in columns.values():
        if _is_scalar(values):
            lists.append([float(values) if isinstance(values, float) else values] * n)
            continue
        array = np.asarray(values)
        listed = array.tolist()
        if array.dtype.kind == "f":
            for i in np.flatnonzero(~np.isfinite(array)):
                listed[i] = None
        lists.append(listed)
    return [dict(zip(columns, row, strict=True)) for row in zip(*lists, strict=True)]


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as inline data (see ``rows``)."""
    return rows(**{str(name): frame[name].to_numpy() for name in frame.columns})


def layer(data: list[dict[str, Any]], mark: dict[str, Any], **encoding: Any) -> dict[str, Any]:
    """A unit view with its rows inlined."""
    return {"data": {"values": data}, "mark": mark, "encoding": encoding}


def chart(
    layers: list[dict[str, Any]],
    *,
    title: dict[str, Any],
    height: int = CHART_HEIGHT,
    independent_colors: bool = False,
    square: bool = False,
) -> dict[str, Any]:
    """The top-level layered spec: fixed plot height, width fitted to the column (title and
    legends outside the plot). ``square`` keeps the plot's aspect: width = height (the 2-D
    surfaces, whose axes share their units)."""
    title = dict(title)
    description = title.pop(_PLAIN, None)
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "config": CONFIG,
        "title": title,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding", "resize": True},
        "layer": layers,
    }
    if description:
        spec["description"] = description  # the plain title (on the page, alt replaces it)
    if square:
        spec["width"] = height
        spec["autosize"] = {"type": "pad", "resize": True}
    if independent_colors:
        spec["resolve"] = {"scale": {"color": "independent"}}
    return spec


def color_scale(names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """A fixed colour per series name, from the Okabe–Ito palette."""
    colors = [SERIES_COLORS.get(name) or PALETTE[i % len(PALETTE)] for i, name in enumerate(names)]
    return {"domain": list(names), "range": colors}


def reference_line(
    value: float,
    lines: tuple[str, ...],
    *,
    axis: str = "y",
    color: str = VERMILION,
    across: float = 0.0,
    below: bool = False,
) -> list[dict[str, Any]]:
    """A dashed, labelled reference line at ``value`` on the given axis (two layers): the line in
    ``color``, its label (``lines``, one under the other) in the page's text colour beside it
    (Okabe–Ito colours as text fall below 4.5:1 on white), ``across`` pixels from the plot's
    left edge (a line of the y axis) or top edge (of the x axis), above the line or ``below``."""
    data = rows(_at=[value], text=[" ".join(lines)])
    position = {axis: field("_at", Q)}
    line = layer(
        data,
        {"type": "rule", "color": color, "strokeDash": [4, 3]},
        **position,
        tooltip=[field("text", N, title="")],
    )
    other = "x" if axis == "y" else "y"
    shift = {"dx": 4, "dy": 3 if below else -3} if axis == "y" else {"dx": 4}
    label = layer(
        data,
        {"type": "text", "align": "left", "color": TEXT_COLOR,
         "baseline": "top" if below or axis == "x" else "bottom", **shift},
        **position,
        **{other: {"value": across}},
        text={"value": list(lines)},
    )  # fmt: skip
    return [line, label]


def note(text: str) -> dict[str, Any]:
    """A layer that only says ``text`` (a chart with nothing to plot says why)."""
    return layer(rows(text=[text]), {"type": "text", "fontSize": 13}, text=field("text", N))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 × 10^k, at least 1) covering ``[low, high]``."""
    span = max(high - low, 1e-12)
    raw = span / count
    base = 10 ** np.floor(np.log10(raw))
    step = max(1.0, next(m * base for m in (1, 2, 5, 10) if m * base >= raw))
    first = np.ceil(low / step) * step
    return [float(v) for v in np.arange(first, high + step * 1e-9, step)]


def rounded(values: np.ndarray, significant: int = 4) -> np.ndarray:
    """Values cut to ``significant`` digits for the browser (shorter JSON); the CSV keeps all.
    Zeros and non-finite values pass unchanged."""
    a = np.array(values, dtype=float)
    shift = np.zeros_like(a)
    chosen = np.isfinite(a) & (a != 0)
    shift[chosen] = significant - 1 - np.floor(np.log10(np.abs(a[chosen])))
    # Multiply or divide by an exact power of ten, never by an inexact 10**-k.
    up = chosen & (shift >= 0) & (shift < 300)
    down = chosen & (shift < 0)
    a[up] = np.round(a[up] * 10.0 ** shift[up]) / 10.0 ** shift[up]
    a[down] = np.round(a[down] / 10.0 ** -shift[down]) * 10.0 ** -shift[down]
    return a


def plot_indices(
    n: int, keep: np.ndarray | None = None, max_points: int = MAX_POINTS
) -> np.ndarray:
    """At most about ``max_points`` evenly spread indices of ``range(n)``, always with the first,
    the last and the indices in ``keep`` (where a series changes state, e.g. underflows)."""
    if n <= max_points:
        return np.arange(n)
    chosen = np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
    if keep is not None and keep.size:
        chosen = np.union1d(chosen, np.clip(keep, 0, n - 1))
    return chosen


def state_changes(mask: np.ndarray) -> np.ndarray:
    """Indices on both sides of every change of a boolean mask."""
    change = np.flatnonzero(mask[1:] != mask[:-1])
    return np.unique(np.concatenate([change, change + 1]))


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(start, stop)`` index pairs (inclusive) of the runs of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]
