"""vgserve: what the page's server does before the script runs (ASGI middleware on the
``st.App`` that ``app.py`` ends in). No page wording, no numerics."""
