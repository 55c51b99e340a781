"""Charts as files for a lecture deck: SVG and PNG rendered on the server, offline.

vl-convert renders a Vega-Lite spec with its own bundled Vega (no browser, no network), so a
teacher gets the chart the page shows, at a size made for slides (Streamlit draws Vega-Lite
without Vega's export menu). Rendering happens only when a download is asked for.
"""

from __future__ import annotations

import copy
from typing import Any

SLIDE_WIDTH = 960
"""Width of an exported chart in CSS pixels (the PNG doubles it)."""
SLIDE_SCALE = 1.6
"""Exported plots are this much taller than on the page (a slide is wider and taller)."""
PNG_SCALE = 2
VEGA_LITE_VERSION = "6.4"


def slide_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` sized for a slide: a fixed width, a taller plot (square plots stay square)."""
    sized = copy.deepcopy(spec)
    height = int(sized.get("height", 250) * SLIDE_SCALE)
    sized["height"] = height
    sized["width"] = height if sized.get("autosize", {}).get("type") == "pad" else SLIDE_WIDTH
    sized["autosize"] = (
        {"type": "fit", "contains": "padding"}
        if "width" in spec
        else sized.get("autosize", {"type": "fit-x", "contains": "padding"})
    )
    sized["background"] = "white"
    return sized


def svg(spec: dict[str, Any]) -> str:
    """The chart as an SVG document, sized for a slide."""
    import vl_convert  # imported on first use: the page does not need it to draw

    return str(vl_convert.vegalite_to_svg(slide_spec(spec), vl_version=VEGA_LITE_VERSION))


def png(spec: dict[str, Any]) -> bytes:
    """The chart as a PNG image, sized for a slide at twice its pixel size."""
    import vl_convert

    return bytes(
        vl_convert.vegalite_to_png(slide_spec(spec), vl_version=VEGA_LITE_VERSION, scale=PNG_SCALE)
    )
