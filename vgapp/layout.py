"""The shape of the page: panels, the sections that hold them, and lessons.

A ``Panel`` is one view with its controls: the page draws its controls in the sidebar and its
blocks on the page, and a move of one of its controls redraws that panel alone. A ``Section``
is one step of the argument (one tab); a ``Lesson`` opens a section with its controls preset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vgapp.controls import Control, Starts, applies

if TYPE_CHECKING:  # the training worker imports this module: it must not load pandas
    from vgapp.blocks import PanelView


@dataclass(frozen=True)
class Panel:
    """One view and its controls; ``view`` is called by keyword with the control keys."""

    key: str
    title: str
    controls: tuple[Control, ...]
    view: Callable[..., PanelView]
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Captioned groups of control keys, in the sidebar's order (default: one group)."""
    folds: tuple[tuple[str, bool], ...] = ()
    """Groups drawn as folds, ``(caption, open by default)``: a closed fold draws none of its
    controls (a control costs the browser as much to draw whether it is moved or not), and a
    fold that holds a value other than its default starts open (``starts_open``)."""
    live: bool = False
    """Whether the view follows trainings that run in the background (the lab): the drawing
    layer then redraws it on a timer while they run, instead of drawing a memoised view."""
    lesson: str | None = None
    """A lesson that shows this panel's point at work (a button beside the panel opens it)."""
    extras: tuple[Starts, ...] = ()
    """Values the panel's own buttons set (not sidebar widgets): read from and written to the
    link like the controls, reset with them, and passed to the view by keyword."""

    def grouped(self) -> tuple[tuple[str, tuple[Control, ...]], ...]:
        """The controls by group: ``(caption, controls)``; one uncaptioned group by default."""
        if not self.groups:
            return (("", self.controls),)
        by_key = {c.key: c for c in self.controls}
        return tuple((name, tuple(by_key[k] for k in keys)) for name, keys in self.groups)

    def fold_key(self, caption: str) -> str:
        """The session-state key of a fold (whether it is open)."""
        return f"fold_{self.key}_" + re.sub(r"[^a-z0-9]+", "_", caption.lower()).strip("_")

    def fold_keys(self) -> tuple[str, ...]:
        return tuple(self.fold_key(caption) for caption, _ in self.folds)

    def starts_open(self, caption: str, values: Mapping[str, Any]) -> bool:
        """Whether a fold opens when drawn anew: open by default, or it holds a value other
        than its default (a lesson or a link that sets one shows it)."""
        if dict(self.folds)[caption]:
            return True
        keys = dict(self.groups)[caption]
        by_key = {c.key: c for c in self.controls}
        return any(values.get(key, by_key[key].default) != by_key[key].default for key in keys)

    def arguments(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The view's keyword arguments: each control's value, None where it does not apply
        (so that a memo does not recompute when only an inactive control changes)."""
        found = {c.key: values[c.key] if applies(c, values) else None for c in self.controls}
        return found | {e.key: values.get(e.key, e.default) for e in self.extras}

    def defaults(self) -> dict[str, Any]:
        return {c.key: c.default for c in (*self.controls, *self.extras)}


@dataclass(frozen=True)
class Section:
    """One step of the argument, shown as one tab: a title, one or two plain sentences, the
    panels, and the way on to the next section; ``lead``, a picture drawn beside the header
    while the section is open (the answer's)."""

    key: str
    label: str
    step: str
    intro: str
    panels: tuple[Panel, ...]
    side_by_side: bool = False
    lead: Panel | None = None

    @property
    def every_panel(self) -> tuple[Panel, ...]:
        """The lead (if any), then the panels: every panel the open section draws."""
        return (self.lead, *self.panels) if self.lead else self.panels

    @property
    def controls(self) -> tuple[Control, ...]:
        return tuple(c for panel in self.every_panel for c in panel.controls)


@dataclass(frozen=True)
class Lesson:
    """A preset: opens ``section`` with every control at its default, then ``values``. Its
    words come in two layers: ``note``, the plain sentence shown at once, and ``more``, the
    detail behind a fold."""

    key: str
    label: str
    note: str
    section: str
    values: dict[str, Any] = field(default_factory=dict)
    more: str = ""

    @property
    def words(self) -> str:
        """Both layers, as one text (what the claims tests check)."""
        return f"{self.note} {self.more}".strip()
