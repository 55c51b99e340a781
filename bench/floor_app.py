"""Streamlit's own floor for the speed budget: one slider, one metric, nothing else.

Served with the same Streamlit and the same ``.streamlit/config.toml`` as the page (from the
repository root) by ``bench/browser_latency.py``; ``bench/rerun_time.py`` runs it under AppTest.
"""

import streamlit as st

depth = st.slider("Depth L (layers)", 2, 10_000, 600, key="depth", help="Any integer.")
st.metric("twice the depth", f"{depth * 2}")
