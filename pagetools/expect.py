"""What the page must show for given control values, computed from the registry.

Everything here comes from ``vgapp.page`` and the panels' views, called exactly as the page
calls them (``PANELS[p].view(**PANELS[p].arguments(values))``), never from literals copied out
of a run. No Streamlit, no browser: tests and benchmarks import this freely.

A panel's *signature* is what a visitor reads to recognise it: its heading, its metrics
(label, value) in page order and the title lines of each of its charts (title, then subtitle).
``pagetools.driver.SIGNATURE_JS`` reads the same structure from the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vgapp.blocks import PanelView
from vgapp.controls import Choice, Control, Number, Toggle, query_of
from vgapp.page import (
    CONTROLS,
    PANELS,
    SECTION_BY_KEY,
    SECTION_KEYS,
    SECTION_OF_PANEL,
    SETTINGS,
    defaults,
)

Signature = dict[str, Any]
"""``{"heading": str | None, "metrics": [[label, value], ...], "titles": [[line, ...], ...]}``"""

VIEW_MEMO = 128


def full(values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every control's value: the defaults, then ``values``."""
    return {**defaults(), **(values or {})}


@lru_cache(maxsize=VIEW_MEMO)
def _view(panel: str, arguments: tuple[tuple[str, Any], ...]) -> PanelView:
    return PANELS[panel].view(**dict(arguments))


LIVE_PANELS = tuple(key for key, panel in PANELS.items() if panel.live)
"""Panels drawn from runs that train while the page shows them (``Panel.live``): what they show
depends on how far the training has got, so their expectations are structural (see
``signature``)."""


def view_of(panel: str, values: Mapping[str, Any] | None = None) -> PanelView:
    """The panel's view for these values (the rest at their defaults), memoised here (not for
    a live panel, whose view depends on its runs' progress)."""
    if panel in LIVE_PANELS:
        raise ValueError(f"the {panel} panel is live: its view depends on its runs' progress")
    arguments = PANELS[panel].arguments(full(values))
    return _view(panel, tuple(sorted(arguments.items())))


def title_text(spec: Mapping[str, Any]) -> str:
    """A chart's title and subtitle as plain words (the page breaks the title into lines that fit
    the chart's width, so lines are not compared): the spec's description, normalised."""
    return normalised_title(str(spec.get("description", "")))


def normalised_title(text: str) -> str:
    """Words separated by single spaces, without the full stop that joins title and subtitle."""
    return " ".join(text.replace(". ", " ").split())


def signature_of(view: PanelView, heading: str | None) -> Signature:
    return {
        "heading": heading,
        "metrics": [[m.label, m.value] for m in view.metrics],
        "titles": [title_text(chart.spec) for chart in view.charts],
    }


def signature(panel: str, values: Mapping[str, Any] | None = None) -> Signature | None:
    """What the panel shows for these values: heading, metrics, chart titles (None for a live
    panel: any signature will do)."""
    if panel in LIVE_PANELS:
        return None
    view = view_of(panel, values)
    return signature_of(view, view.heading or PANELS[panel].title or None)  # None: no heading


def panel_of(control: str) -> str:
    """The panel whose view takes this control."""
    for key, panel in PANELS.items():
        if any(c.key == control for c in panel.controls):
            return key
    raise KeyError(control)


def section_of(control: str) -> str:
    return SECTION_OF_PANEL[panel_of(control)]


def chart_names(section: str, values: Mapping[str, Any] | None = None) -> list[str] | None:
    """The charts a section draws, in page order (None for a section with a live panel)."""
    panels = SECTION_BY_KEY[section].every_panel
    if any(p.key in LIVE_PANELS for p in panels):
        return None
    return [c.name for p in panels for c in view_of(p.key, values).charts]


def square_charts(section: str, values: Mapping[str, Any] | None = None) -> list[str]:
    """The section's charts whose plot keeps its aspect (width = height: the 2-D surfaces)."""
    if any(p.key in LIVE_PANELS for p in SECTION_BY_KEY[section].every_panel):
        return []
    return [
        chart.name
        for p in SECTION_BY_KEY[section].every_panel
        for chart in view_of(p.key, values).charts
        if chart.spec.get("width") is not None
        and chart.spec.get("width") == chart.spec.get("height")
    ]


def query(
    values: Mapping[str, Any] | None = None, section: str | None = None, lesson: str | None = None
) -> dict[str, str]:
    """The URL parameters the page writes for this state: every non-default control value, the
    section unless it is the first, the lesson if any."""
    found = query_of(full(values), tuple(SETTINGS.values()))
    if section and section != SECTION_KEYS[0]:
        found["section"] = section
    if lesson:
        found["lesson"] = lesson
    return found


def query_in(url: str) -> dict[str, str | list[str]]:
    """A URL's (or ``location.search``'s) parameters, one value or a list when repeated."""
    parsed = parse_qs(urlsplit(url).query if "://" in url else url.lstrip("?"), True)
    return {key: found[0] if len(found) == 1 else found for key, found in parsed.items()}


def shown_value(control: Control, shown: Any) -> Any:
    """A widget's shown value (as ``driver.READ_CONTROLS_JS`` reads it) in the control's terms:
    a number, an option key, a flag."""
    if shown is None:
        raise AssertionError(f"no widget shown for {control.key!r}")
    if isinstance(control, Number):
        return control.canonical(float(shown))
    if isinstance(control, Toggle):
        return bool(shown)
    return option_of(control, str(shown))


def option_of(control: Choice, label: str) -> str:
    """The option key whose label is ``label``."""
    for option in control.options:
        if control.label_of(option) == label.strip():
            return option
    raise AssertionError(f"{control.key} shows {label!r}, none of its options' labels")


def same_value(control: Control, shown: Any, expected: Any) -> bool:
    """Whether a widget's value (in the control's terms) is the expected one: a number box to
    half its step (it shows ``format % value``), everything else exactly (sliders are put on
    their grid by ``canonical``)."""
    if isinstance(control, Number) and control.widget == "number":
        return abs(shown - expected) <= control.step / 2
    return shown == expected


def stepped(control: str, value: Any, steps: int) -> Any:
    """A slider's value after ``steps`` arrow-key steps (clamped to its range)."""
    number = CONTROLS[control]
    assert isinstance(number, Number), control
    moved = min(max(value + steps * number.step, number.low), number.high)
    return number.canonical(moved)
