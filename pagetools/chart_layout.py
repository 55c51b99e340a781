"""The charts' text as the browser lays it out: no text cut by Vega (an ellipsis "…" at the end
of a title, legend entry or label), none overlapping another, none outside its chart's box.

Streamlit draws Vega-Lite here as SVG (``stVegaLiteChart`` holds an ``<svg>``; checked on this
machine), so every text is an SVG ``<text>`` element whose box the browser computes: the check
reads those boxes, not the spec. A label that Vega hides to avoid an overlap (``labelOverlap``
sets its opacity to 0) is not drawn and not counted.
"""

from __future__ import annotations

from typing import Any

TOUCH_PX = 3.0
"""Two text boxes overlap when they share more than this many pixels each way, and a text is
outside its chart when it passes the chart's edge by more: a glyph box is 2 px taller than the
letters of 12-14 px text, so lines set at their font size and a title at the top edge touch."""

# For every drawn chart: its title (first text line), and the problems of its visible texts:
# a text ending in "…", two texts whose boxes overlap, a text outside the chart's element.
LAYOUT_JS = """
touch => {
  const shown = el => {
    for (let e = el; e && e.tagName !== 'svg'; e = e.parentElement) {
      const o = e.getAttribute('opacity');
      if (o !== null && Number(o) === 0) return false;
      if (getComputedStyle(e).display === 'none' || getComputedStyle(e).visibility === 'hidden')
        return false;
    }
    return true;
  };
  const out = [];
  for (const chart of document.querySelectorAll("[data-testid='stVegaLiteChart']")) {
    const svg = chart.querySelector('svg');
    if (!svg) continue;
    const box = chart.getBoundingClientRect();
    if (box.width === 0) continue;
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && shown(t))
      .map(t => ({text: t.textContent.trim().replace(/\\s+/g, ' '),
                  role: (t.closest('[class*=role-]')?.getAttribute('class') ?? '')
                          .split(' ').find(c => c.startsWith('role-')) ?? '',
                  r: t.getBoundingClientRect()}));
    const problems = [];
    for (const t of texts) {
      if (t.text.endsWith('…')) problems.push(`cut: "${t.text}" (${t.role})`);
      const r = t.r;
      if (r.left < box.left - touch || r.right > box.right + touch
          || r.top < box.top - touch || r.bottom > box.bottom + touch)
        problems.push(`outside the chart: "${t.text}" (${t.role}) at `
                      + `${[r.left, r.top, r.right, r.bottom].map(Math.round)} in `
                      + `${[box.left, box.top, box.right, box.bottom].map(Math.round)}`);
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].r, b = texts[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > touch && h > touch)
          problems.push(`overlap: "${texts[i].text}" (${texts[i].role}) and `
                        + `"${texts[j].text}" (${texts[j].role})`);
      }
    }
    const title = svg.querySelector('.role-title-text text')?.textContent.trim() ?? '';
    out.push({title: title.slice(0, 60), width: Math.round(box.width), texts: texts.length,
              problems});
  }
  return out;
}
"""


def chart_layouts(page: Any) -> list[dict[str, Any]]:
    """Every drawn chart of the page: its title's first line, width, number of texts and the
    problems of its text layout."""
    return list(page.evaluate(LAYOUT_JS, TOUCH_PX))


def layout_problems(page: Any) -> list[str]:
    """Each problem, prefixed by its chart's title."""
    return [
        f"[{chart['title']} | {chart['width']} px] {problem}"
        for chart in chart_layouts(page)
        for problem in chart["problems"]
    ]
