"""Chart text meets WCAG AA contrast (4.5:1) on the page's white background: the colours the
chart config sets for axis, legend and title text, computed by the WCAG formula."""

from __future__ import annotations

import pytest

from vgapp import vegalite as vl


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str = "#ffffff") -> float:
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_against_known_ratios():
    assert contrast("#000000") == pytest.approx(21.0)
    assert contrast("#808495") == pytest.approx(3.7, abs=0.05)  # Streamlit's chart grey


@pytest.mark.parametrize(
    ("part", "key"),
    [
        ("axis", "labelColor"),
        ("axis", "titleColor"),
        ("legend", "labelColor"),
        ("legend", "titleColor"),
        ("title", "color"),
        ("title", "subtitleColor"),
    ],
)
def test_chart_text_colours_meet_aa(part, key):
    assert contrast(vl.CONFIG[part][key]) >= 4.5


@pytest.mark.parametrize(
    "colour", ["#000000", "#31333F", "#666666", "#808495", "#0072B2", "#005A8C"]
)
def test_the_browser_checks_formula_agrees(colour):
    """``pagetools.contrast`` (the browser test's arithmetic) against this file's formula."""
    from pagetools.contrast import contrast_ratio

    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    assert contrast_ratio(rgb, [255, 255, 255]) == pytest.approx(contrast(colour))
    assert contrast_ratio([255, 255, 255], rgb) == pytest.approx(contrast(colour))


def test_the_theme_accent_and_faded_text_meet_aa():
    """The theme's accent on white, and Streamlit's faded text (the text colour at 60 %
    opacity, as captions draw it) on white, from .streamlit/config.toml."""
    import tomllib
    from pathlib import Path

    theme = tomllib.loads((Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text())
    text = theme["theme"]["textColor"]
    faded = "#" + "".join(
        f"{round(0.6 * int(text[i : i + 2], 16) + 0.4 * 255):02x}" for i in (1, 3, 5)
    )
    assert contrast(faded) >= 4.5
    assert contrast(theme["theme"]["primaryColor"]) >= 4.5
