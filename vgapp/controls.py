"""Controls as plain data, and the shared link's parameters read without Streamlit.

Three kinds of control, one type each: ``Number`` (a slider or a number box), ``Choice`` (one of
a few options) and ``Toggle``. A control's ``key`` names its widget, its URL parameter and the
view's keyword argument, so the page, the tests and the browser helpers share one mapping.
A panel may also hold ``Starts``, a list of points set by its own buttons (not a sidebar
widget), read from and written to the link the same way.

Everything a visitor can type into a URL goes through ``read_query`` before any widget or view
sees it: a value the page cannot use is named in a notice and replaced by the default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

NumberWidget = Literal["slider", "number"]
ChoiceWidget = Literal["select", "segmented", "select_slider", "pills"]

_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
MAX_NUMBER_TEXT = 40
"""Longest number text accepted from a URL (longer is refused before parsing)."""


@dataclass(frozen=True)
class When:
    """A control applies only while control ``key`` holds one of ``values`` (otherwise it is
    shown disabled and its value does not reach the view)."""

    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Number:
    """A number in ``[low, high]`` on a grid of ``step`` (an integer when ``integer``)."""

    key: str
    label: str
    default: float
    low: float
    high: float
    step: float
    help: str
    integer: bool = False
    widget: NumberWidget = "slider"
    format: str | None = None
    when: When | None = None

    def parse(self, text: str) -> int | float:
        """The value a URL text stands for; ValueError naming the key and the allowed range."""
        text = text.strip()
        kind = "an integer" if self.integer else "a number"
        if len(text) > MAX_NUMBER_TEXT:
            raise ValueError(f"{self.key} is too long to be {kind}")
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{self.key} must be {kind} from {self.range_text()}")
        try:
            exact = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise ValueError(f"{self.key} must be {kind}") from None
        number = float(exact)  # correctly rounded; beyond float range it is ±inf
        if not self.low <= number <= self.high:
            raise ValueError(f"{self.key} must lie from {self.range_text()}")
        if self.integer:
            if exact != exact.to_integral_value():
                raise ValueError(f"{self.key} must be a whole number from {self.range_text()}")
            return int(exact)
        return self.canonical(number)

    def canonical(self, value: float) -> int | float:
        """``value`` as the page holds it: an int; a float on the slider's grid rounded to the
        step's decimals (a browser slider reports 0.6000000000000001 for 0.6); a typed number
        rounded to the decimals its box shows (``%.2f``: a link's 1.055 would be shown as 1.05
        and computed as 1.055), any other typed number as it is."""
        if self.integer:
            return round(value)
        if self.widget == "slider":
            steps = round((value - self.low) / self.step)
            value = self.low + steps * self.step
            return round(value, _decimals(self.step))
        shown = _FIXED.fullmatch(self.format or "")
        if not shown:
            return float(value)
        return min(max(round(value, int(shown[1])), self.low), self.high)

    def url_text(self, value: int | float) -> str:
        return str(int(value)) if self.integer else repr(float(value))

    def check(self, value: Any) -> None:
        """ValueError unless ``value`` is a finite number in range (an int if ``integer``)."""
        number_types = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, number_types):
            kind = "an integer" if self.integer else "a number"
            raise ValueError(f"{self.key} must be {kind}; got {value!r}")
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValueError(f"{self.key} must lie from {self.range_text()}; got {value!r}")

    def range_text(self) -> str:
        return f"{self.low:g} to {self.high:g}"

    def value_text(self, value: Any) -> str:
        return f"{value:g}"


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (keys), shown by ``labels``."""

    key: str
    label: str
    default: str
    options: tuple[str, ...]
    help: str
    labels: Mapping[str, str] = field(default_factory=dict)
    widget: ChoiceWidget = "select"
    when: When | None = None

    def label_of(self, option: str) -> str:
        """The display text of an option."""
        return self.labels.get(option, option)

    def parse(self, text: str) -> str:
        """The option a URL text names, by key or by its label; ValueError otherwise."""
        text = text.strip()
        if text in self.options:
            return text
        by_label = {self.label_of(option): option for option in self.options}
        if text in by_label:
            return by_label[text]
        raise ValueError(f"{self.key} must be one of {', '.join(self.options)}")

    def canonical(self, value: str) -> str:
        return value

    def url_text(self, value: str) -> str:
        return value

    def check(self, value: Any) -> None:
        if value not in self.options:
            raise ValueError(f"{self.key} must be one of {', '.join(self.options)}; got {value!r}")

    def value_text(self, value: Any) -> str:
        return self.label_of(value)


@dataclass(frozen=True)
class Toggle:
    """On or off."""

    key: str
    label: str
    default: bool
    help: str
    when: When | None = None

    def parse(self, text: str) -> bool:
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"{self.key} must be true or false")
        return lowered == "true"

    def canonical(self, value: bool) -> bool:
        return bool(value)

    def url_text(self, value: bool) -> str:
        return "true" if value else "false"

    def check(self, value: Any) -> None:
        if not isinstance(value, bool):
            raise ValueError(f"{self.key} must be True or False; got {value!r}")

    def value_text(self, value: Any) -> str:
        return "on" if value else "off"


Control = Number | Choice | Toggle


class PartlyRefused(ValueError):
    """A URL text of which only a part could be used: ``kept`` is that part's value."""

    def __init__(self, message: str, kept: Any) -> None:
        super().__init__(message)
        self.kept = kept


Point = tuple[float, float]
POINT_SEPARATOR, COORDINATE_SEPARATOR = "~", "_"
"""A list of points in a URL: ``0.6_-0.6~-0.6_0.6`` (both characters need no escaping)."""


@dataclass(frozen=True)
class Starts:
    """Up to ``most`` distinct points, each coordinate in ``[low, high]`` on a grid of ``step``,
    in the order they were added; the panel's buttons add the point held by the controls
    ``source`` (its two coordinates). Not a sidebar widget: ``vgui`` draws its buttons."""

    key: str
    label: str
    help: str
    source: tuple[str, str]
    low: float
    high: float
    step: float
    most: int = 5
    default: tuple[Point, ...] = ()
    when: When | None = None

    def parse(self, text: str) -> tuple[Point, ...]:
        """The points a URL text lists; a start off the grid or out of range, a repeated one
        and those past ``most`` are dropped and named (``PartlyRefused``); ValueError when
        none is left."""
        text = text.strip()
        if not text or len(text) > self.most * 2 * (MAX_NUMBER_TEXT + 1) * 2:
            raise ValueError(f"{self.key} must list up to {self.most} starts x_y, joined by ~")
        kept: list[Point] = []
        problems: list[str] = []
        for part in text.split(POINT_SEPARATOR):
            try:
                point = self.parse_point(part)
            except ValueError as error:
                problems.append(f"start “{shown(part.replace(COORDINATE_SEPARATOR, ' '))}” "
                                f"dropped ({error})")  # fmt: skip
                continue
            if point in kept:
                problems.append(f"the repeated start {self.value_text((point,))} dropped")
            elif len(kept) == self.most:
                problems.append(f"starts after the {self.most}th dropped (at most {self.most})")
                break
            else:
                kept.append(point)
        if not kept:
            raise ValueError("; ".join(problems))
        if problems:
            raise PartlyRefused("; ".join(problems), tuple(kept))
        return tuple(kept)

    def parse_point(self, text: str) -> Point:
        """One start ``x_y``: each coordinate a number in range on the grid."""
        parts = text.strip().split(COORDINATE_SEPARATOR)
        if len(parts) != 2:
            raise ValueError("a start is two numbers x_y")
        return (self.parse_coordinate(parts[0]), self.parse_coordinate(parts[1]))

    def parse_coordinate(self, text: str) -> float:
        allowed = f"each coordinate from {self.low:g} to {self.high:g} in steps of {self.step:g}"
        text = text.strip()
        if len(text) > MAX_NUMBER_TEXT or not _NUMBER.fullmatch(text):
            raise ValueError(allowed)
        exact = Decimal(text)
        low, step = Decimal(repr(self.low)), Decimal(repr(self.step))
        if not self.low <= float(exact) <= self.high or (exact - low) % step != 0:
            raise ValueError(allowed)
        return round(float(exact), _decimals(self.step)) + 0.0

    def canonical(self, value: Any) -> tuple[Point, ...]:
        """Points as the page holds them: a tuple of ``(x, y)`` on the grid (never −0)."""
        return tuple((self._on_grid(float(x)), self._on_grid(float(y))) for x, y in value)

    def _on_grid(self, value: float) -> float:
        steps = round((value - self.low) / self.step)
        return round(self.low + steps * self.step, _decimals(self.step)) + 0.0

    def url_text(self, value: tuple[Point, ...]) -> str:
        return POINT_SEPARATOR.join(f"{x!r}{COORDINATE_SEPARATOR}{y!r}" for x, y in value)

    def check(self, value: Any) -> None:
        """ValueError unless ``value`` is a tuple of at most ``most`` distinct points in range."""
        if not isinstance(value, tuple) or len(value) > self.most:
            raise ValueError(f"{self.key} must be a tuple of at most {self.most} points")
        for point in value:
            if not (isinstance(point, tuple) and len(point) == 2) or not all(
                isinstance(v, float) and math.isfinite(v) and self.low <= v <= self.high
                for v in point
            ):
                raise ValueError(f"{self.key}: {point!r} is not a point in range")
        if len(set(value)) != len(value):
            raise ValueError(f"{self.key} holds a point twice")

    def value_text(self, value: Any) -> str:
        if not value:
            return "none"
        return ", ".join(f"({x:g}, {y:g})" for x, y in value)


Setting = Control | Starts
"""Everything a link sets: a control, or a panel's list of starts."""


_FIXED = re.compile(r"%\.(\d+)f")
"""A number box's fixed-point format (``%.2f``): the decimals it shows."""


def _decimals(step: float) -> int:
    """Decimal places of a grid step (0.05 -> 2, 1 -> 0)."""
    text = repr(float(step))
    if "e-" in text:
        mantissa, exponent = text.split("e-")
        return int(exponent) + max(0, len(mantissa.partition(".")[2].rstrip("0")))
    return len(text.partition(".")[2].rstrip("0"))


def applies(control: Control, values: Mapping[str, Any]) -> bool:
    """Whether ``control`` applies given the other controls' ``values``."""
    return control.when is None or values.get(control.when.key) in control.when.values


def shown(raw: str, limit: int = 24) -> str:
    """A URL text made safe to quote in a notice: printable, short, no markdown."""
    text = "".join(ch for ch in raw if (ch.isascii() and ch.isalnum()) or ch in "+-. ")
    return text if len(text) <= limit else text[:limit] + "…"


def read_query(
    raw: Mapping[str, Sequence[str]], controls: Mapping[str, Setting]
) -> tuple[dict[str, Any], list[str]]:
    """Split a URL's parameters (each key with all its values) into accepted values and
    notices naming what was refused and why; nothing else is ever read from the URL."""
    accepted: dict[str, Any] = {}
    notices: list[str] = []
    for key, values in raw.items():
        control = controls.get(key)
        if control is None:
            notices.append(f"unknown parameter “{shown(key)}” ignored")
            continue
        distinct = list(dict.fromkeys(values))
        if len(distinct) != 1:
            notices.append(
                f"{control.label} was given {len(values)} different values; "
                f"using the default {control.value_text(control.default)}"
            )
            continue
        try:
            accepted[key] = control.parse(distinct[0])
        except PartlyRefused as error:
            accepted[key] = error.kept
            notices.append(f"{control.label}: {error}")
        except ValueError as error:
            notices.append(
                f"“{shown(distinct[0])}” is not valid for {control.label} ({error}); "
                f"using the default {control.value_text(control.default)}"
            )
    return accepted, notices


def query_of(values: Mapping[str, Any], controls: Sequence[Setting]) -> dict[str, str]:
    """The URL parameters for ``values``: every control whose value is not its default."""
    return {
        c.key: c.url_text(values[c.key])
        for c in controls
        if c.key in values and values[c.key] != c.default
    }
