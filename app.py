"""Vanishing Gradient Explorer: the page's shell.

Page config, the link read, the header, the section switcher and the open section; the drawing
is the Streamlit layer's (``vgui``), the page's content the registry's (``vgapp.page``).

Served by ``streamlit run app.py``: the file ends in an ``st.App``, which Streamlit finds by
reading the file; it imports the file once as a module when the server starts (so the first
visitor does not wait for pandas, ``vgapp`` and ``vgui`` to load) and runs it as ``__main__``
for every visitor's run.
"""

from __future__ import annotations

import streamlit as st

from vgapp import page
from vgapp.classview import shown_sections
from vgui import lab, sections, state, styles

SECTION_LABELS = {section.key: section.label for section in page.SECTIONS}


def main() -> None:
    st.set_page_config(page_title=page.TITLE, layout="wide")
    lab.start_processes(state.linked_section())
    state.read_link()
    styles.apply_view(state.projector())
    sections.draw_header()
    chosen = st.segmented_control(
        "Sections of the argument, one open at a time",
        [shown.key for shown in shown_sections(state.class_view(), page.SECTIONS)],
        format_func=SECTION_LABELS.__getitem__,
        key="section",
        required=True,
        wrap=True,
        width="stretch",
        label_visibility="collapsed",
    )
    sections.draw_section(page.SECTION_BY_KEY[chosen or page.SECTION_KEYS[0]])
    state.scroll_to_top_if_asked()
    styles.collapse_sidebar_if_asked()
    state.write_link()


if __name__ == "__main__":
    main()
else:
    # ``streamlit run app.py`` finds this App by reading the file, imports the file once as a
    # module when the server starts (which loads pandas, vgapp and vgui before the first
    # visitor) and serves the same file as the page. The guard runs before Streamlit's own
    # handlers on every request (vgserve.guard: message budget, refused developer messages,
    # metrics for loopback only, frame-ancestors). The lifespan trains the answer's picture
    # before the server accepts a connection (uvicorn runs it first), so no visitor waits.
    import asyncio
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from starlette.middleware import Middleware

    from vgapp.panels import stopped
    from vgserve.guard import Guard

    @asynccontextmanager
    async def lifespan(_: st.App) -> AsyncIterator[None]:
        """Before the server takes its first visitor, train the answer's picture (about half a
        second; in a thread, so that the server's event loop is free meanwhile)."""
        await asyncio.to_thread(stopped.picture_run)
        yield

    app = st.App(__file__, middleware=[Middleware(Guard)], lifespan=lifespan)
