"""A class link: the sections and the controls a teacher's link shows, read and written without
Streamlit. Presentation only: a hidden control keeps the value the link or a lesson set, and a
visitor can ask to see everything.

Two URL parameters, each a comma-separated list of registry keys in any order:
``show=hessian,descent`` (the sections shown) and ``controls=pt_x,gd_x0`` (the controls shown,
``none`` for none). Every name is checked: an unknown one is named in a notice and dropped; a
list that names nothing usable falls back to showing everything, with a notice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from vgapp.controls import shown
from vgapp.layout import Section

SHOW = "show"
"""URL parameter: the sections the link shows."""
CONTROLS = "controls"
"""URL parameter: the controls the link shows (``none``: no control)."""
CLASS_KEYS = (SHOW, CONTROLS)
NONE = "none"
NAMED_AT_MOST = 3
"""Unknown names quoted in one notice (the rest counted)."""


@dataclass(frozen=True)
class ClassView:
    """What a class link shows: the section keys and the control keys, in the registry's order;
    None shows every one."""

    sections: tuple[str, ...] | None = None
    controls: tuple[str, ...] | None = None

    @property
    def on(self) -> bool:
        """Whether the link hides anything."""
        return self.sections is not None or self.controls is not None

    def shows_section(self, key: str) -> bool:
        return self.sections is None or key in self.sections

    def shows_control(self, key: str) -> bool:
        return self.controls is None or key in self.controls

    def query(self) -> dict[str, str]:
        """The URL parameters of this view (none when it hides nothing)."""
        query = {}
        if self.sections is not None:
            query[SHOW] = ",".join(self.sections)
        if self.controls is not None:
            query[CONTROLS] = ",".join(self.controls) or NONE
        return query


EVERYTHING = ClassView()


def shown_sections(view: ClassView, sections: Sequence[Section]) -> tuple[Section, ...]:
    """The sections the view shows, in the argument's order (never none)."""
    return tuple(s for s in sections if view.shows_section(s.key)) or tuple(sections)


def next_shown(view: ClassView, key: str, sections: Sequence[Section]) -> Section | None:
    """The shown section after ``key`` in the argument, or None after the last shown."""
    keys = [s.key for s in sections]
    after = sections[keys.index(key) + 1 :]
    return next((s for s in after if view.shows_section(s.key)), None)


def make_view(
    section_keys: Sequence[str] | None,
    control_keys: Sequence[str] | None,
    sections: Sequence[Section],
) -> ClassView:
    """The view showing these sections and controls, in its one written form: registry order,
    None where everything is shown, only the controls of the sections shown."""
    chosen = None
    if section_keys is not None:
        chosen = tuple(s.key for s in sections if s.key in section_keys) or None
        if chosen is not None and len(chosen) == len(sections):
            chosen = None
    within = [c.key for s in sections if chosen is None or s.key in chosen for c in s.controls]
    kept = None
    if control_keys is not None:
        kept = tuple(key for key in within if key in control_keys)
        if len(kept) == len(within):
            kept = None
    return ClassView(chosen, kept)


def _names(
    raw: Mapping[str, Sequence[str]], key: str, known: Sequence[str], what: str
) -> tuple[list[str] | None, list[str]]:
    """One list parameter checked: (the known names it gives, or None for everything; notices)."""
    given = list(dict.fromkeys(text.strip() for text in raw.get(key, [])))
    if not given:
        return None, []
    if len(given) > 1:
        return None, [f"{key} was given {len(given)} different lists; every {what} is shown"]
    names = list(dict.fromkeys(n.strip().lower() for n in given[0].split(",") if n.strip()))
    if key == CONTROLS and names == [NONE]:
        return [], []
    unknown = [name for name in names if name not in known]
    notices = []
    if unknown:
        quoted = ", ".join(f"“{shown(name)}”" for name in unknown[:NAMED_AT_MOST])
        more = len(unknown) - NAMED_AT_MOST
        extra = f" and {more} more" if more > 0 else ""
        notices.append(f"{key}: unknown {what} {quoted}{extra} ignored")
    found = [name for name in names if name in known]
    if not found:
        notices.append(f"{key} names no {what} of this page; every {what} is shown")
        return None, notices
    return found, notices


def read_class(
    raw: Mapping[str, Sequence[str]], sections: Sequence[Section]
) -> tuple[ClassView, list[str]]:
    """A link's ``show`` and ``controls`` checked: (the view, notices naming what was refused)."""
    section_keys = [s.key for s in sections]
    control_keys = [c.key for s in sections for c in s.controls]
    chosen, notices = _names(raw, SHOW, section_keys, "section")
    kept, refused = _names(raw, CONTROLS, control_keys, "control")
    return make_view(chosen, kept, sections), notices + refused


def hidden_controls(view: ClassView, sections: Sequence[Section]) -> int:
    """How many controls of the shown sections the view hides."""
    return sum(
        not view.shows_control(c.key)
        for s in sections
        if view.shows_section(s.key)
        for c in s.controls
    )


def _listed(texts: Sequence[str]) -> str:
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def banner(view: ClassView, sections: Sequence[Section]) -> str:
    """The class view's one line: which sections it hides (by label) and how many controls."""
    labels = [f"“{s.label}”" for s in sections if not view.shows_section(s.key)]
    count = hidden_controls(view, sections)
    parts = []
    if labels:
        parts.append(("the section " if len(labels) == 1 else "the sections ") + _listed(labels))
    if count:
        parts.append(f"{count} control{'s' if count > 1 else ''}")
    hides = ", and ".join(parts) if parts else "nothing"
    still = " Hidden controls still apply." if count else ""
    return f"A class view: this link hides {hides}.{still}"


def class_link(
    settings: Mapping[str, str],
    view: ClassView,
    flags: Sequence[str],
    lesson_sections: Mapping[str, str],
    dropped: Sequence[str],
) -> str:
    """The query string (``?…``) of a class link: the page's ``settings`` (its own URL
    parameters) without the keys in ``dropped`` and without a section or lesson the view hides,
    then the view's parameters and each of ``flags`` on."""
    query = {key: value for key, value in settings.items() if key not in dropped}
    if "section" in query and not view.shows_section(query["section"]):
        del query["section"]
    lesson = query.get("lesson")
    if lesson is not None and not view.shows_section(lesson_sections.get(lesson, "")):
        del query["lesson"]
    query.update(view.query())
    query.update({flag: "1" for flag in flags})
    return "?" + urlencode(query, safe=",") if query else ""
