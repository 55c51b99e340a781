"""What makes the page hard to read, found in the browser: clipped text, horizontal scrolling,
chart text below the smallest readable size, surfaces that lost their square aspect.

Each check is one JavaScript function run in the page; each returns a list of problems as short
sentences that name the element (its test id, key or text), so a failure reads as a bug report.
"""

from __future__ import annotations

from typing import Any

MIN_CHART_FONT_PX = 12.0
"""Smallest chart text a projector or a phone shows readably (CSS pixels as drawn)."""
SVG_TEXT_SLACK_PX = 3.0
"""How far a chart text's box may reach beyond its chart before it counts as cut off: the box
of a glyph run (a rotated axis title's above all) is wider than its ink."""
SQUARE_TOL = 0.02
"""A surface plot is square when its width and height differ by at most this share."""

# Where an element is, in words: the nearest test id and key (st-key-...) and the start of its
# text.
_WHERE = """
const where = el => {
  const keyed = el.closest("[class*='st-key-']");
  const key = keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')) : '';
  const test = el.closest('[data-testid]')?.dataset.testid ?? el.tagName;
  const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  return `${test}${key ? ' in .' + key : ''}: "${text}"`;
};
"""

# Text cut off by its box: an element that clips (overflow hidden/clip, or an ellipsis) whose
# text is laid out beyond its padding box (sideways, or below it under a line clamp); chart text
# beyond its chart's box by more than ``slack`` px (a glyph box is wider than its ink); visible
# text ending in "…" (an ellipsis the page or Vega added), inside SVG too; the page, or the
# main area, scrolling sideways.
CLIPPED_JS = (
    "slack => {"
    + _WHERE
    + """
  const problems = [];
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) problems.push(`the page scrolls sideways: ${page} px wide in ${width} px`);
  for (const id of ['stMain', 'stAppViewContainer', 'stMainBlockContainer']) {
    const box = document.querySelector(`[data-testid='${id}']`);
    if (box && box.scrollWidth > box.clientWidth + 1)
      problems.push(`${id} is ${box.scrollWidth} px wide in ${box.clientWidth} px`);
  }
  // Shown: rendered, not transparent, and not wholly off the screen sideways (a collapsed
  // sidebar is moved out to the left); icons are ligatures of an icon font, not text.
  const shown = el => {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
    if (el.closest("[data-testid='stIconMaterial']")) return false;
    const r = el.getBoundingClientRect();
    return r.right > 0 && r.left < width;
  };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || !shown(el)) continue;
    const style = getComputedStyle(el);
    const clips = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (!clips || el.clientWidth <= 2 || style.clipPath !== 'none') continue;  // visually hidden
    const box = el.getBoundingClientRect();
    const left = box.left + el.clientLeft, right = left + el.clientWidth;
    const top = box.top + el.clientTop, bottom = top + el.clientHeight;
    // Below the fold is not cut off (an inner box scrolls): vertically only a line clamp cuts.
    const yClips = style.webkitLineClamp && style.webkitLineClamp !== 'none';
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || node.parentElement.closest('svg')) continue;
      if (!shown(node.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const past = Math.max(0, ...rects.map(r => Math.max(r.right - right, left - r.left,
        yClips ? Math.max(r.bottom - bottom, top - r.top) : 0)));
      if (past > 1) {
        const by = el.dataset.testid ?? el.tagName.toLowerCase();
        problems.push(`clipped by ${Math.round(past)} px (in ${by}): ${where(node.parentElement)}`);
        break;
      }
    }
  }
  for (const chart of document.querySelectorAll("[data-testid='stVegaLiteChart']")) {
    const box = chart.getBoundingClientRect();
    const label = (chart.getAttribute('aria-label') || '').slice(0, 50);
    const svg = chart.querySelector('svg');
    if (svg && svg.getBoundingClientRect().width > box.width + 1)
      problems.push(`chart drawn ${Math.round(svg.getBoundingClientRect().width)} px wide in `
                    + `its ${Math.round(box.width)} px box: "${label}"`);
    for (const t of chart.querySelectorAll('svg text')) {
      const r = t.getBoundingClientRect();
      const out = Math.max(r.right - box.right, box.left - r.left);
      if (r.width > 0 && t.textContent.trim() && out > slack)
        problems.push(`chart text cut off by ${Math.round(out)} px: `
                      + `"${t.textContent.trim().slice(0, 40)}" in "${label}"`);
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (node.textContent.trim().endsWith('…') && parent && shown(parent))
      problems.push(`ends in an ellipsis: ${where(parent)}`);
  }
  return [...new Set(problems)];
}"""
)

# Chart text drawn smaller than ``min`` CSS pixels: Vega's font size times the SVG's scale on
# the page (a chart wider than its column is shrunk to fit).
SMALL_CHART_TEXT_JS = """min => {
  const problems = [];
  for (const chart of document.querySelectorAll("[data-testid='stVegaLiteChart']")) {
    const svg = chart.querySelector('svg');
    if (!svg) continue;
    const box = svg.viewBox.baseVal;
    const scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
    for (const t of svg.querySelectorAll('text')) {
      const size = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (t.textContent.trim() && size < min - 0.01)
        problems.push(`chart text "${t.textContent.trim().slice(0, 40)}" drawn at `
                      + `${size.toFixed(1)} px in "${(chart.getAttribute('aria-label') || '')
                      .slice(0, 50)}"`);
    }
  }
  return [...new Set(problems)];
}"""

# Each chart of the main area: its plot area (the root group's background, in SVG units, times
# the SVG's scale), the SVG's drawn width and the chart box's width.
CHART_BOXES_JS = """() => [...document.querySelectorAll(
    "[data-testid='stMain'] [data-testid='stVegaLiteChart']")].map(chart => {
  const svg = chart.querySelector('svg');
  const plot = svg?.querySelector('.role-frame.root path.background')?.getBBox();
  const box = svg?.viewBox.baseVal;
  const scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
  return {label: (chart.getAttribute('aria-label') || '').slice(0, 60),
          plot: plot ? [plot.width * scale, plot.height * scale] : null,
          svg: svg ? svg.getBoundingClientRect().width : null,
          box: chart.getBoundingClientRect().width};
})"""


def text_problems(page: Any) -> list[str]:
    """Clipped text, sideways scrolling and too-small chart text on the page as it is now."""
    return page.evaluate(CLIPPED_JS, SVG_TEXT_SLACK_PX) + page.evaluate(
        SMALL_CHART_TEXT_JS, MIN_CHART_FONT_PX
    )


def aspect_problems(page: Any, charts: list[str], square: list[str]) -> list[str]:
    """Charts named in ``square`` whose plot is not square; ``charts`` names the main area's
    charts in page order."""
    boxes = page.evaluate(CHART_BOXES_JS)
    if len(boxes) != len(charts):
        return [f"{len(boxes)} charts drawn, {len(charts)} expected: {charts}"]
    found = []
    for name, box in zip(charts, boxes, strict=True):
        if name not in square:
            continue
        if box["plot"] is None:
            found.append(f"{name}: no plot area found")
            continue
        width, height = box["plot"]
        if abs(width - height) > SQUARE_TOL * max(width, height):
            found.append(f"{name}: plot {width:.0f} x {height:.0f} px, not square")
    return found
