"""The header and the open section: its introduction, each panel's controls in the sidebar and
its view on the page (a fragment per panel: a move of one of its controls redraws it alone),
and the way on to the next section."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import streamlit as st

from vgapp import page
from vgapp.blocks import PanelView
from vgapp.classview import next_shown
from vgapp.layout import Panel, Section
from vgapp.predict import TOGGLE_HELP
from vgui.blocks import draw_blocks, draw_downloads
from vgui.classlink import draw_banner, draw_builder
from vgui.lab import draw_lab
from vgui.predict import PREDICT, ask
from vgui.race import draw_extras
from vgui.state import (
    PROJECTOR,
    apply_lesson,
    class_view,
    current_values,
    open_section,
    projector,
    rerun_if_lesson_left,
    reset_controls,
    switch_projector,
    write_link,
)
from vgui.walk import draw_walk_fold
from vgui.widgets import draw_controls

VIEW_CACHE_ENTRIES = 256
WALKED_PANEL = "chain"
"""The panel with the backward walk's fold under its view (``vgui.walk``)."""


@st.cache_resource(max_entries=VIEW_CACHE_ENTRIES, show_spinner=False)
def cached_view(panel: str, arguments: tuple[tuple[str, Any], ...]) -> PanelView:
    """A panel's view, memoised on its arguments and shared by all sessions (views are
    read-only: held, not copied, on each hit)."""
    return page.PANELS[panel].view(**dict(arguments))


def view_of(panel: Panel, values: dict[str, Any]) -> PanelView:
    return cached_view(panel.key, tuple(sorted(panel.arguments(values).items())))


@st.fragment
def panel_fragment(key: str, box: Any) -> None:
    """One panel: its controls (into its sidebar box) and its view. A move of one of its
    controls reruns this fragment alone."""
    panel = page.PANELS[key]
    values = current_values()
    if panel.controls:
        draw_controls(panel, box, values)
    if panel.extras:
        draw_extras(panel, box, values)
    result = view_of(panel, values)
    with st.container(key=f"panel-{key}"):
        heading = result.heading or panel.title
        if heading:  # a lead picture's chart title is its heading
            st.markdown(f"#### {heading}")
        result = ask(key, result, values)  # predict first: its question, and what it covers
        draw_blocks(result.blocks)
        if key == WALKED_PANEL:
            draw_walk_fold(view_of)
        with st.container(horizontal=True, gap="small") if panel.lesson else nullcontext():
            draw_downloads(key, result.charts)
            if panel.lesson is not None:
                lesson_button(panel.key, panel.lesson)
    rerun_if_lesson_left()
    write_link()


def lesson_button(panel: str, lesson: str) -> None:
    """The button that opens a panel's lesson (``Panel.lesson``). It is drawn in the panel's
    fragment, so its click reruns the fragment alone: the page is then rerun to open the
    lesson's section. Not drawn when a class link hides that section."""
    if not class_view().shows_section(page.LESSONS[lesson].section):
        return
    clicked = st.button(
        "See it train",
        on_click=open_lesson,
        args=(lesson,),
        help=f"Opens the lesson “{page.LESSONS[lesson].label}”: the same run in the training lab.",
        icon=":material/play_arrow:",
        key=f"lesson_{panel}",
    )
    if clicked:
        st.rerun()


def draw_panel(panel: Panel, box: Any) -> None:
    """A panel drawn by its kind: a live panel (trainings in the background) by the lab's
    drawer, every other from its memoised view."""
    if panel.live:
        draw_lab(panel, box)
    else:
        panel_fragment(panel.key, box)


LEAD_COLUMNS = (0.5, 0.5)
"""The header's words and the open section's lead picture side by side, in equal columns: at
150 % zoom of 1440x900 with the sidebar open the picture's chart is then as wide as a headline
chart (about 234 px, for which chart titles break into lines of ``vl.TITLE_LINE``)."""


def draw_lead(panel: Panel) -> None:
    """A section's lead picture: its panel in a fragment of its own (it has no controls)."""
    panel_fragment(panel.key, None)


def open_lesson(key: str) -> None:
    """Callback of a panel's lesson button: choose the lesson, as a click on its pill does."""
    st.session_state["lesson"] = key
    apply_lesson()


def draw_header() -> None:
    """Title and the projector switch, the student's question, the one-line answer, the open
    section's lead picture and the lessons. In the normal view the picture stands in a column
    right of the question, the answer and the lessons; in projector mode the parts stack, the
    picture right after the answer, and the lessons fold into the title's row (the first screen
    at 150 % zoom must show the answer's picture)."""
    folded = draw_title(projector())
    section = page.SECTION_BY_KEY[st.session_state.get("section") or page.SECTION_KEYS[0]]
    lead = section.lead
    words, picture = (
        st.columns(LEAD_COLUMNS, gap="medium")
        if lead is not None and folded is None
        else (st.container(), None)
    )
    with words:
        if section.key == page.SECTION_KEYS[0]:
            st.markdown(f"**{page.QUESTION}** {page.ANSWER}")
        else:  # the answer section states the answer; the others recall the question
            st.markdown(f"**{page.QUESTION}**")
        if lead is not None and picture is None:
            draw_lead(lead)
        draw_lessons(st.container() if folded is None else folded)
    if lead is not None and picture is not None:
        with picture:
            draw_lead(lead)
    notices = st.session_state.get("url_notices") or []
    if notices:
        st.warning(
            "Some settings in this link could not be used: " + "; ".join(notices) + ".",
            icon=":material/link_off:",
        )
    draw_banner()


def draw_title(fold_lessons: bool) -> Any:
    """The page's title with the projector switch at its right (in the main area: projector
    mode collapses the sidebar) and, when ``fold_lessons``, the lessons' fold between them
    (returned; None otherwise)."""
    chosen = page.LESSONS.get(st.session_state.get("lesson") or "")
    with st.container(horizontal=True, vertical_alignment="center", key="title_row"):
        st.markdown(f"#### {page.TITLE}")
        fold = (
            st.popover(
                f"Lesson: {chosen.label}" if chosen else "Lessons",
                icon=":material/school:",
                key="lessons_fold",
            )
            if fold_lessons
            else None
        )
        st.toggle(
            ":material/slideshow: Projector",
            key=PROJECTOR,
            on_change=switch_projector,
            help="For a projector or a zoomed screen: larger type, the sidebar collapsed, one "
            "panel per row, the lessons in a fold. Kept in the link, and by the lessons, "
            '"Next" and "Reset all controls".',
            width="content",
        )
        st.toggle(
            ":material/quiz: Predict first",
            key=PREDICT,
            help=TOGGLE_HELP,
            width="content",
        )
    return fold


def draw_lessons(where: Any) -> None:
    """The lesson pills and the chosen lesson's note, in ``where`` (under the answer, or the
    lessons' fold in projector mode); a class link shows only its sections' lessons."""
    chosen = page.LESSONS.get(st.session_state.get("lesson") or "")
    view = class_view()
    with where:
        st.pills(
            "Lessons: presets in the order of the argument (one click opens its section)",
            [key for key in page.LESSON_KEYS if view.shows_section(page.LESSONS[key].section)],
            format_func=lambda key: page.LESSONS[key].label,
            key="lesson",
            on_change=apply_lesson,
            wrap=True,
        )
        if chosen is not None:
            st.caption(chosen.note)
            if chosen.more:  # the detail behind a fold (words in two layers)
                with st.expander("More about this lesson"):
                    st.caption(chosen.more)


def sidebar_box(panel: Panel) -> Any:
    """Where a panel's controls go in the sidebar: under its title, in a fold of its own unless
    it has folds (Streamlit does not nest them); an empty container when a class link hides
    all its controls."""
    if not any(class_view().shows_control(c.key) for c in panel.controls):
        return st.sidebar.container()
    if not panel.folds:
        return st.sidebar.expander(panel.title, expanded=True)
    box = st.sidebar.container()
    box.markdown(f"**{panel.title}**")
    return box


def draw_section(section: Section) -> None:
    """The open section: its step of the argument, its panels and the way on."""
    if section.intro:
        st.markdown(f"*{section.step}.* {section.intro}")
    view = class_view()
    if any(view.shows_control(c.key) for c in section.controls):  # a class link may hide all
        with st.sidebar:
            st.markdown(f"**Controls: {section.label}**")
            st.button(
                "Reset all controls",
                on_click=reset_controls,
                icon=":material/restart_alt:",
                help="Every control you can see back to its default; hidden ones keep the link's."
                if view.on
                else "Every control of every section back to its default.",
                type="tertiary",
            )
    boxes = [sidebar_box(panel) for panel in section.panels]
    if section.side_by_side and not projector():  # projector mode: one panel per row
        for column, panel, box in zip(
            st.columns(len(section.panels), gap="medium"), section.panels, boxes, strict=True
        ):
            with column:
                draw_panel(panel, box)
    else:
        for panel, box in zip(section.panels, boxes, strict=True):
            draw_panel(panel, box)
    draw_builder()
    following = next_shown(view, section.key, page.SECTIONS)
    if following is not None:
        st.button(
            f"Next: {following.label}",
            on_click=open_section,
            args=(following.key,),
            icon=":material/arrow_forward:",
            key=f"next_{section.key}",
        )
