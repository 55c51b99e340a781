"""The session's state and its URL: the controls' values, the open section, the lesson.

The URL is the page's own: every control's non-default value, the open section, the lesson and
the view flags (projector mode) are written to it after each run, so a copied link restores the
exact view. Streamlit's ``bind="query-params"`` cannot do this here: it drops a widget's
parameter as soon as the widget is not drawn (a closed section), and its parser meets a
visitor's text before the page can check it. So the page reads the link itself
(``vgapp.page.read_url``) before any widget exists.
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from vgapp import page
from vgapp.classview import EVERYTHING, ClassView, read_class, shown_sections
from vgapp.controls import Setting, query_of
from vgapp.lab import panel as lab_panel
from vgapp.lab.cursor import LIVE, Cursor, cursor_query, read_cursor
from vgapp.lab.runs import RunSpec
from vgapp.panels.chain_walk import FOLD_KEY as WALK_FOLD_KEY
from vgui.styles import COLLAPSE_ASKED

PROJECTOR = "projector"
"""The view flag (and its toggle's key) of projector mode."""
LAB_SECTION = lab_panel.PANEL.key
"""The section that holds the lab (its key is the lab panel's)."""
LAB_CURSOR = "lab_cursor"
"""Session key: (the lab runs' specs, this session's ``Cursor`` on them); a changed setting is
a new run, seen from its live edge."""
CLASS_VIEW = "class_view"
"""Session key: the class link's ``ClassView`` (what it shows), kept by lessons, "Next" and the
reset; set only by a new link and by "Show everything" (``vgui.classlink``)."""
CLASS_VIEW_LEFT = "class_view_left"
"""Session key: the class view this session left by "Show everything" (it may go back)."""


def lab_specs(values: dict[str, Any]) -> tuple[RunSpec, ...]:
    """The lab's runs for these control values (a control that does not apply takes its
    default, as the lab panel reads them): yours, and the remedy's where it differs."""
    mine, theirs, _ = lab_panel.specs(lab_panel.PANEL.arguments(values))
    return (mine,) if theirs is None else (mine, theirs)


def lab_cursor_of(specs: tuple[RunSpec, ...]) -> Cursor:
    """This session's cursor on these runs (``LIVE`` for runs it has not moved on)."""
    held = st.session_state.get(LAB_CURSOR)
    if held is None or held[0] != specs:
        return LIVE
    return held[1]  # type: ignore[no-any-return]


def control_value(control: Setting) -> Any:
    """A control's current value: its widget's, else its default (before the widget exists)."""
    raw = st.session_state.get(control.key, control.default)
    return control.canonical(raw) if raw is not None else control.default


def current_values() -> dict[str, Any]:
    return {key: control_value(control) for key, control in page.SETTINGS.items()}


def raw_query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def read_link() -> None:
    """Apply the URL when it is new to this session (its first run, or the visitor changed it):
    checked values set the controls, the rest are named in a notice and dropped."""
    state = st.session_state
    raw = raw_query()
    if state.get("url_seen") == raw:
        return
    values, section, lesson, notices = page.read_url(raw)
    for key, control in page.SETTINGS.items():
        state[key] = values.get(key, control.default)
    flags, _ = page.read_view(raw)  # read_url's notices name the refused flags
    for key in page.VIEW_FLAGS:
        state[key] = flags.get(key, False)
    if projector():
        state[COLLAPSE_ASKED] = uuid.uuid4().hex
    forget_folds()
    view = state[CLASS_VIEW] = read_class(raw, page.SECTIONS)[0]  # refusals: in read_url's
    state.pop(CLASS_VIEW_LEFT, None)
    state["section"] = section or shown_sections(view, page.SECTIONS)[0].key
    state["lesson"] = lesson
    specs = lab_specs(current_values())
    cursor, refused = read_cursor(raw, specs[0].budget, len(specs))
    state[LAB_CURSOR] = (specs, cursor)
    state["url_notices"] = notices + refused
    state["url_seen"] = raw


def write_link() -> None:
    """Put the page's state into the URL (``page_query``), when it changed."""
    query = page_query()
    wanted = {key: [value] for key, value in query.items()}
    if wanted != raw_query():
        st.query_params.from_dict(query)
    st.session_state["url_seen"] = wanted


def page_query() -> dict[str, str]:
    """The page's state as URL parameters: every non-default value, the section, the lesson,
    the view flags that are on, the class view, the lab's cursor."""
    state = st.session_state
    query = query_of(current_values(), tuple(page.SETTINGS.values()))
    section = state.get("section") or page.SECTION_KEYS[0]
    if section != page.SECTION_KEYS[0]:
        query["section"] = section
    if state.get("lesson"):
        query["lesson"] = state["lesson"]
    query.update({key: "1" for key in page.VIEW_FLAGS if state.get(key)})
    query.update(class_view().query())
    if section == LAB_SECTION:
        query.update(cursor_query(lab_cursor_of(lab_specs(current_values()))))
    return query


def apply_lesson() -> None:
    """Callback of the lesson pills: open the lesson's section and set its controls."""
    state = st.session_state
    lesson = state.get("lesson")
    if lesson in page.LESSONS:
        state.update(page.lesson_values(lesson))
        state["section"] = page.LESSONS[lesson].section
        forget_folds()


def class_view() -> ClassView:
    """What this session's class link shows (everything without one)."""
    view: ClassView = st.session_state.get(CLASS_VIEW) or EVERYTHING
    return view


def projector() -> bool:
    """Whether the page is in projector mode."""
    return bool(st.session_state.get(PROJECTOR, False))


def switch_projector() -> None:
    """Callback of the projector toggle: switched on, the sidebar collapses."""
    if projector():
        st.session_state[COLLAPSE_ASKED] = uuid.uuid4().hex


def leave_lesson() -> None:
    """Callback of every control: a changed control no longer shows the lesson's view."""
    if st.session_state.get("lesson"):
        st.session_state["lesson"] = None
        st.session_state["lesson_left"] = True


def rerun_if_lesson_left() -> None:
    """After a panel's control left the lesson, rerun the page: the lesson pills (outside the
    panel's fragment) must show that it was left."""
    if st.session_state.pop("lesson_left", False):
        st.rerun()


def reset_controls() -> None:
    """Callback of the reset button: every control back to its default, no lesson; in a class
    view only the controls it shows (the hidden ones keep what the link or a lesson set)."""
    view = class_view()
    st.session_state.update({k: v for k, v in page.defaults().items() if view.shows_control(k)})
    st.session_state["lesson"] = None
    forget_folds()


def forget_folds() -> None:
    """The controls were set from outside (a lesson, a link, the reset): each fold opens again
    by what it holds (``Panel.starts_open``) when next drawn."""
    for key in (*page.FOLD_KEYS, WALK_FOLD_KEY):
        st.session_state.pop(key, None)


def open_section(key: str) -> None:
    """Callback of "Next": open the section, and scroll to its top when the page is drawn."""
    st.session_state["section"] = key
    st.session_state["scroll_to_top"] = uuid.uuid4().hex


# Streamlit has no API to scroll the page: the browser keeps the scroll position of the section
# left, so "Next" opened the next section below its introduction. A script scrolls the main area
# to the top once.
SCROLL_TO_TOP_JS = """<script>
for (const id of ['stMain', 'stAppViewContainer']) {
  document.querySelector(`[data-testid='${id}']`)?.scrollTo({top: 0});
}
window.scrollTo({top: 0});
</script>"""


def scroll_to_top_if_asked() -> None:
    """After "Next", scroll the page to the top of the section it opened."""
    asked = st.session_state.pop("scroll_to_top", None)
    if asked:
        # A new key per "Next": React mounts a new element, and only a mounted script runs.
        with st.container(height=1, border=False, key=f"scroll_to_top_{asked}"):
            st.html(SCROLL_TO_TOP_JS, unsafe_allow_javascript=True)


def linked_section() -> str:
    """The section the URL opens (directly, through its lesson, or as a class link's first),
    before the page is drawn."""
    lesson = str(st.query_params.get("lesson", ""))
    if lesson in page.LESSONS:
        return page.LESSONS[lesson].section
    first = shown_sections(read_class(raw_query(), page.SECTIONS)[0], page.SECTIONS)[0]
    return str(st.query_params.get("section", first.key))
