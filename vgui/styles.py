"""The page's styles for a view: projector mode (larger type, the sidebar collapsed), the
controls as a bottom sheet on a phone, and metric values that wrap. Streamlit has no API for
any of them, so each is a small style or script, with its reason beside it and a browser test
(tests/browser/test_projector.py, test_phone_controls.py, test_readability.py)."""

from __future__ import annotations

import streamlit as st

# On a phone Streamlit lays the opened sidebar over the whole page, so the figure that a control
# moves is hidden while the control is moved (the lesson notes say "try ..."). On a screen
# narrower than Streamlit's sidebar breakpoint (768 px, where the sidebar starts to cover the
# page) the opened sidebar becomes a bottom sheet of 45 % of the screen's height: the page stays
# visible and scrollable above it, with room at its end to scroll the last figure above the
# sheet. The sidebar keeps its widgets, keys and URL bindings; only where it is drawn changes.
PHONE_CSS = """
@media (max-width: 767.98px) {
  section[data-testid='stSidebar'][data-collapsed='false'] {
    position: fixed !important; top: auto !important; bottom: 0; left: 0;
    width: 100vw !important; min-width: 100vw !important; max-width: 100vw !important;
    height: 45vh !important; transform: none !important;
    border-top: 1px solid #888; box-shadow: 0 -4px 16px rgba(0, 0, 0, 0.25);
  }
  section[data-testid='stSidebar'][data-collapsed='false'] [data-testid='stSidebarContent'] {
    height: 100% !important; overflow-y: auto;
  }
  section[data-testid='stSidebar'][data-collapsed='false'] [data-testid='stSidebarHeader'] {
    height: 2.5rem; margin-bottom: 0;
  }
  body:has(section[data-testid='stSidebar'][data-collapsed='false'])
    [data-testid='stMainBlockContainer'] { padding-bottom: 50vh; }
}
"""

# A metric's value is one line cut with an ellipsis in Streamlit; the lab's run status ("stopped
# by the parameter-change rule at step 524") is longer than a phone's column: let it wrap.
METRIC_CSS = """
[data-testid='stMetricValue'], [data-testid='stMetricValue'] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
"""

# Projector mode. Type size is set for the whole server only (theme.baseFontSize in
# config.toml), never per session: a style sets the root size, which every size and gap of
# Streamlit's layout follows (they are in rem), and gives the main area the screen's width.
# Streamlit's header band (3.75 rem, empty but for the sidebar's expand button) is made
# see-through, and the page starts in it, beside that button: the first screen at 150 % zoom
# must hold the question, the answer and the answer's first picture.
PROJECTOR_CSS = """
html { font-size: 18px !important; }
[data-testid='stMainBlockContainer'] {
  padding: 0.5rem 1.5rem 6rem 1.5rem !important; max-width: none !important;
}
[data-testid='stHeader'], [data-testid='stToolbar'] {
  background: transparent !important; pointer-events: none;
}
[data-testid='stHeader'] button { pointer-events: auto; }
.st-key-title_row { padding-left: 2.25rem; }
[data-testid='stMain'] [data-testid='stVerticalBlock'] { gap: 0.75rem; }
[data-testid='stMain'] [data-testid='stMarkdownContainer'] p { line-height: 1.45; }
[data-testid='stMain'] h4 { padding-top: 0.25rem !important; }
"""

# Streamlit's ``initial_sidebar_state`` acts on a rerun (its frontend re-reads it when it
# changes), but a visitor's own opening or closing of the sidebar, kept in the browser's
# localStorage, overrides it from then on. Projector mode collapses the sidebar: by the page
# config, and where the visitor's choice overrides it, by this script, once when the mode is
# switched on (the visitor may open the sidebar again afterwards).
COLLAPSE_SIDEBAR_JS = """<script>
requestAnimationFrame(() => requestAnimationFrame(() => {
  const sidebar = document.querySelector("[data-testid='stSidebar']");
  if (sidebar?.dataset.collapsed === 'false')
    document.querySelector("[data-testid='stSidebarCollapseButton'] button")?.click();
}));
</script>"""

COLLAPSE_ASKED = "collapse_sidebar"
"""Session key: a new id when projector mode is switched on (its script then runs once)."""


def apply_view(projector: bool) -> None:
    """The sidebar's starting state and the page's styles for this view (in every full run:
    a style the run does not draw is removed from the page)."""
    st.set_page_config(initial_sidebar_state="collapsed" if projector else "auto")
    st.html(f"<style>{METRIC_CSS}{PHONE_CSS}{PROJECTOR_CSS if projector else ''}</style>")


def collapse_sidebar_if_asked() -> None:
    """After projector mode was switched on, collapse the sidebar if it is still open."""
    asked = st.session_state.pop(COLLAPSE_ASKED, None)
    if asked:
        # A new key each time: React mounts a new element, and only a mounted script runs.
        with st.container(height=1, border=False, key=f"collapse_sidebar_{asked}"):
            st.html(COLLAPSE_SIDEBAR_JS, unsafe_allow_javascript=True)
