"""The class link on the page: the students' banner (with "Show everything" and the way back)
and the teacher's builder in the sidebar, which writes a link that shows only the sections and
controls chosen (``vgapp.classview``: presentation, not access control)."""

from __future__ import annotations

import streamlit as st

from vgapp import page
from vgapp.classview import (
    CLASS_KEYS,
    EVERYTHING,
    banner,
    class_link,
    make_view,
    shown_sections,
)
from vgui.state import CLASS_VIEW, CLASS_VIEW_LEFT, class_view, page_query

FLAG_LABELS = {
    "projector": "Projector mode (larger type, the sidebar collapsed)",
    "predict": "Predict first (a question before the chain, the Hessian and the floating point)",
}
"""The builder's checkbox of each view flag (``page.VIEW_FLAGS``); a flag without one here is
offered by its key."""
BUILDER_FOLD = "class_link_fold"
"""Session key of the builder's fold (whether it is open)."""
LESSON_SECTIONS = {key: lesson.section for key, lesson in page.LESSONS.items()}
SECTION_LABELS = {section.key: section.label for section in page.SECTIONS}
CONTROL_LABELS = {
    control.key: f"{control.label} ({section.label})"
    for section in page.SECTIONS
    for control in section.controls
}


def show_everything() -> None:
    """Callback of "Show everything": every section and control, for this visit only (the URL
    drops the class view; the teacher's link is unchanged, and the session may go back)."""
    st.session_state[CLASS_VIEW_LEFT] = class_view()
    st.session_state[CLASS_VIEW] = EVERYTHING


def back_to_class_view() -> None:
    """Callback of "Back to the class view": the view left, on a section and lesson it shows."""
    state = st.session_state
    view = state.pop(CLASS_VIEW_LEFT, None)
    if view is None:
        return
    state[CLASS_VIEW] = view
    if not view.shows_section(state.get("section") or ""):
        state["section"] = shown_sections(view, page.SECTIONS)[0].key
    lesson = page.LESSONS.get(state.get("lesson") or "")
    if lesson is not None and not view.shows_section(lesson.section):
        state["lesson"] = None


def draw_banner() -> None:
    """On a class link, one line naming what it hides and the button that shows everything;
    after that, the way back."""
    view = class_view()
    if view.on:
        with st.container(key="class_banner"):
            st.info(banner(view, page.SECTIONS), icon=":material/school:")
            st.button(
                "Show everything",
                on_click=show_everything,
                icon=":material/visibility:",
                help="Every section and control, for this visit; the link you were given "
                "still opens the class view.",
                key="class_show_everything",
            )
    elif st.session_state.get(CLASS_VIEW_LEFT) is not None:
        st.button(
            "Back to the class view",
            on_click=back_to_class_view,
            icon=":material/visibility_off:",
            type="tertiary",
            key="class_back",
        )


def draw_builder() -> None:
    """The teacher's class-link builder, folded at the foot of the sidebar (not drawn while a
    class view is on: the students' page stays plain)."""
    if class_view().on:
        return
    fold = st.sidebar.expander(
        "Class link: choose what students see",
        icon=":material/share:",
        key=BUILDER_FOLD,
        on_change="rerun",
    )
    if fold.open:  # closed, it draws nothing (the page's first render stays as light)
        with fold:
            builder_fragment()


@st.fragment
def builder_fragment() -> None:
    """The builder's choices and the link they make; a change reruns this fragment alone."""
    start = st.session_state.get(CLASS_VIEW_LEFT) or EVERYTHING
    st.caption(
        "A link that shows only what you choose. It hides, it does not lock: a student can "
        "still show everything."
    )
    sections = st.multiselect(
        "Sections students see",
        page.SECTION_KEYS,
        default=[key for key in page.SECTION_KEYS if start.shows_section(key)],
        format_func=SECTION_LABELS.__getitem__,
        key="class_link_sections",
    )
    if not sections:
        st.caption("No section chosen: the link shows every section.")
    chosen = sections or list(page.SECTION_KEYS)
    offered = [c.key for key in chosen for c in page.SECTION_BY_KEY[key].controls]
    controls = st.multiselect(
        "Controls students see",
        offered,
        default=[key for key in offered if start.shows_control(key)],
        format_func=CONTROL_LABELS.__getitem__,
        key="class_link_controls_" + "_".join(chosen),
        help="A hidden control still applies: its value is the one in the link.",
    )
    flags = [
        flag
        for flag in page.VIEW_FLAGS
        if st.checkbox(
            FLAG_LABELS.get(flag, flag),
            value=bool(st.session_state.get(flag)),
            key=f"class_link_flag_{flag}",
        )
    ]
    settings = st.checkbox(
        "Start from this page's settings",
        value=True,
        key="class_link_settings",
        help="The open section, the lesson and every value you changed go into the link.",
    )
    view = make_view(chosen, controls, page.SECTIONS)
    dropped = (*page.VIEW_FLAGS, *CLASS_KEYS, *page.CURSOR_KEYS)
    query = class_link(page_query() if settings else {}, view, flags, LESSON_SECTIONS, dropped)
    base = st.context.url
    st.code((base.rstrip("/") + "/" if base else "") + query, language=None, wrap_lines=True)
    if view.on:
        st.caption(f"Students will read: “{banner(view, page.SECTIONS)}”")
