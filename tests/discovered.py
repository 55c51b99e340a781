"""What the tests try, discovered from the page's registry (``vgapp.page``) and the controls
themselves: a new panel, section or option is tested without editing a list here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pagetools.expect import LIVE_PANELS
from vgapp.controls import Choice, Control, Number, Toggle
from vgapp.page import CONTROLS, PANELS, SECTIONS

STILL_PANELS: tuple[str, ...] = tuple(key for key in PANELS if key not in LIVE_PANELS)
"""Panels whose view is a function of the controls alone (not of runs training meanwhile)."""
STILL_SECTIONS: tuple[str, ...] = tuple(
    s.key for s in SECTIONS if all(p.key not in LIVE_PANELS for p in s.every_panel)
)
assert set(LIVE_PANELS) <= set(PANELS), f"LIVE_PANELS names unknown panels: {LIVE_PANELS}"


def settings_to_try(controls: tuple[Control, ...]) -> list[tuple[str, Any]]:
    """Every option of every choice, both ends of every number, both states of every toggle."""
    found: list[tuple[str, Any]] = []
    for control in controls:
        if isinstance(control, Choice):
            found += [(control.key, option) for option in control.options]
        elif isinstance(control, Toggle):
            found += [(control.key, not control.default), (control.key, control.default)]
        elif isinstance(control, Number):
            kind = int if control.integer else float
            found += [(control.key, kind(control.low)), (control.key, kind(control.high))]
    return found


def enabling(key: str) -> dict[str, Any]:
    """The value of the control that ``key`` depends on (``When``) that makes it apply."""
    when = CONTROLS[key].when
    return {} if when is None else {when.key: when.values[0]}


def other_value(control: Control) -> Any:
    """A value other than the default: a choice's first other option, a toggle flipped, a
    number one step up (down at the top of its range)."""
    if isinstance(control, Choice):
        return next(option for option in control.options if option != control.default)
    if isinstance(control, Toggle):
        return not control.default
    default, step = Decimal(repr(control.default)), Decimal(repr(control.step))
    up = default + step  # in decimal: 0.035 + 0.001 is 0.036, not 0.036000000000000004
    return control.canonical(float(up if up <= Decimal(repr(control.high)) else default - step))
