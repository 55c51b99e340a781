"""Streamlit's floor for a chart panel: one slider beside one Vega-Lite line chart.

Seven series of 600 points each, recomputed for every slider value and drawn from an inline
Vega-Lite spec, as the page draws its panels; the title names the value, so a benchmark sees when
the chart shows the new one. Served with the same Streamlit and ``.streamlit/config.toml`` as the
page by ``bench/browser_latency.py``: a chart panel cannot beat this.
"""

import numpy as np
import streamlit as st

SERIES, POINTS = 7, 600

depth = st.sidebar.slider("Depth L (layers)", 2, 10_000, 600, key="depth", help="Any integer.")
x = np.arange(1, POINTS + 1)
rows = [
    {"x": int(i), "y": float(v), "series": f"series {k + 1}"}
    for k in range(SERIES)
    for i, v in zip(x, np.sin(x * (k + 1) / depth) * np.exp(-x / depth), strict=True)
]
spec = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "title": f"depth = {depth}",
    "data": {"values": rows},
    "mark": {"type": "line", "strokeWidth": 2},
    "encoding": {
        "x": {"field": "x", "type": "quantitative", "title": "x"},
        "y": {"field": "y", "type": "quantitative", "title": "value"},
        "color": {"field": "series", "type": "nominal"},
    },
    "height": 250,
    "autosize": {"type": "fit-x", "contains": "padding"},
}
st.vega_lite_chart(spec=spec, width="stretch")
