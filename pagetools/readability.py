"""What makes the page hard to read, found in the browser: clipped text, horizontal scrolling,
chart text below the smallest readable size, surfaces that lost their square aspect.

Each check is one JavaScript function run in the page; each returns a list of problems as short
sentences that name the element (its test id, key or text), so a failure reads as a bug report.
"""

from __future__ import annotations

MIN_CHART_FONT_PX = 12.0
"""Smallest chart text a projector or a phone shows readably (CSS pixels as drawn)."""
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
# text is laid out beyond its padding box; visible text ending in "…" (an ellipsis the page or
# Vega added), inside SVG too; the page, or the main area, scrolling sideways.
CLIPPED_JS = (
    "() => {"
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
  const shown = el => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || !shown(el)) continue;
    const style = getComputedStyle(el);
    const clips = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (!clips || el.clientWidth <= 2 || style.clipPath !== 'none') continue;  // visually hidden
    const box = el.getBoundingClientRect();
    const left = box.left + el.clientLeft, right = left + el.clientWidth;
    const top = box.top + el.clientTop, bottom = top + el.clientHeight;
    const yClips = ['hidden', 'clip'].includes(style.overflowY);
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || node.parentElement.closest('svg')) continue;
      if (!shown(node.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const cut = [...range.getClientRects()].some(r => r.width > 0 && (
        r.right > right + 1 || r.left < left - 1
        || (yClips && (r.bottom > bottom + 1 || r.top < top - 1))));
      if (cut) { problems.push(`clipped: ${where(node.parentElement)}`); break; }
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
      if (r.width > 0 && t.textContent.trim() && (r.right > box.right + 1 || r.left < box.left - 1))
        problems.push(`chart text cut off: "${t.textContent.trim().slice(0, 40)}" in "${label}"`);
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
