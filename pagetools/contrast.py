"""Text contrast as the browser draws it (WCAG 2.2, success criterion 1.4.3): every visible text
node of the page and every SVG chart text, its computed colour composited over the background
it is drawn on, against 4.5:1 (3:1 for large text: 24 px, or 18.66 px bold). Text of a
disabled control is exempt, as WCAG exempts it.

Chart marks as the browser draws them (1.4.11, non-text contrast): the stroke and fill of every
line, rule and point of a chart and of its legend's symbols, with their opacities, composited
over the chart's white, against 3:1. White (an outline, a rule drawn over a heatmap) and the
cells of a heatmap or a band (rect marks: their colours stand against each other, checked from
the spec in tests/test_chart_marks.py) are left out.

``text_contrasts`` returns one record per distinct (text colour, background, size) with an
example of its text, so a failure reads as a bug report and the lowest ratios can be listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NORMAL_MIN = 4.5
LARGE_MIN = 3.0

# For every element with its own visible text: its colour (fill for SVG text) with the product
# of its ancestors' opacities, and the background found by compositing the ancestors' background
# colours from the root down (a translucent background over the one beneath it). A chart's SVG
# text sits on the chart's own background (the nearest non-transparent ancestor, the page's
# white). Elements inside a disabled control are skipped.
CONTRASTS_JS = """
() => {
  const parse = c => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, base) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + base[i] * (1 - a)).concat([1]);
  };
  // An ancestor's background counts only where the text is drawn on it (a slider's value label
  // is a child of the thumb but drawn above it, on the page).
  const background = el => {
    const chain = [];
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const b = e.getBoundingClientRect();
      if (e === el || (x >= b.left && x <= b.right && y >= b.top && y <= b.bottom)) chain.push(e);
    }
    let bg = [255, 255, 255, 1];
    for (const e of chain.reverse()) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) bg = over(c, bg);
    }
    return bg;
  };
  const opacity = el => {
    let o = 1;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      o *= Number(getComputedStyle(e).opacity);
    }
    return o;
  };
  const disabled = el => !!el.closest(
    '[disabled], [aria-disabled="true"], [data-disabled="true"], .stButton button:disabled'
  ) || !!el.closest('label')?.closest('[data-testid]')?.querySelector('input:disabled');
  const width = window.innerWidth;
  const found = new Map();
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    if (el.closest("[data-testid='stIconMaterial']")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= 0 || r.left >= width) continue;
    if (disabled(el)) continue;
    const style = getComputedStyle(el);
    const inSvg = !!el.closest('svg');
    let color = parse(inSvg ? style.fill : style.color);
    if (!color) continue;
    const fillOpacity = inSvg ? Number(style.fillOpacity || 1) : 1;
    color = [color[0], color[1], color[2], color[3] * fillOpacity * opacity(el)];
    const bg = background(el);
    const drawn = over(color, bg);
    const size = parseFloat(style.fontSize);
    const weight = Number(style.fontWeight) || 400;
    const text = own.map(n => n.textContent).join(' ').trim().replace(/\\s+/g, ' ').slice(0, 50);
    const rgb = c => c.slice(0, 3).map(Math.round).join(',');
    const key = `${rgb(drawn)}|${rgb(bg)}|${size}|${weight}`;
    if (!found.has(key)) {
      const test = el.closest('[data-testid]')?.dataset.testid ?? el.tagName;
      found.set(key, {text, where: test, color: drawn.slice(0, 3), background: bg.slice(0, 3),
                      size, weight});
    }
  }
  return [...found.values()];
}
"""


MARK_MIN = 3.0

# For every line, rule and point mark of every chart and every legend symbol: its stroke and
# fill (when drawn) with the product of its own and its ancestors' opacities, over white.
MARKS_JS = """
() => {
  const parse = c => {
    const m = (c || '').match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const opacity = el => {
    let o = 1;
    for (let e = el; e && e.tagName !== 'svg'; e = e.parentElement) {
      o *= Number(getComputedStyle(e).opacity);
    }
    return o;
  };
  const found = new Map();
  const kinds = ['mark-line', 'mark-rule', 'mark-symbol'];
  for (const chart of document.querySelectorAll("[data-testid='stVegaLiteChart'] svg")) {
    const title = chart.querySelector('.role-title-text text')?.textContent.slice(0, 40) ?? '';
    const groups = [...chart.querySelectorAll('g.role-mark, g.role-legend-symbol')]
      .filter(g => g.classList.contains('role-legend-symbol')
                   || kinds.some(k => g.classList.contains(k)));
    for (const g of groups) {
      const kind = g.classList.contains('role-legend-symbol') ? 'legend symbol'
        : kinds.find(k => g.classList.contains(k)).slice(5);
      for (const el of g.querySelectorAll('path, line')) {
        const style = getComputedStyle(el);
        const o = opacity(el);
        const paints = [['stroke', style.stroke, Number(style.strokeOpacity),
                         parseFloat(style.strokeWidth) > 0],
                        ['fill', style.fill, Number(style.fillOpacity), true]];
        for (const [part, paint, partOpacity, drawn] of paints) {
          const c = parse(paint);
          if (!drawn || !c || c[3] === 0) continue;
          const a = c[3] * partOpacity * o;
          if (a === 0) continue;
          const rgb = [0, 1, 2].map(i => c[i] * a + 255 * (1 - a));
          if (rgb.every(v => v > 250)) continue;  // white
          const key = rgb.map(Math.round).join(',') + '|' + kind;
          if (!found.has(key)) found.set(key, {where: `${kind} ${part} in "${title}"`,
                                               color: rgb});
        }
      }
    }
  }
  return [...found.values()];
}
"""


@dataclass(frozen=True)
class MarkContrast:
    """One colour a chart mark is drawn in, where, and its ratio against white."""

    where: str
    color: tuple[int, ...]
    ratio: float

    def __str__(self) -> str:
        hex_ = "#" + "".join(f"{round(c):02X}" for c in self.color)
        return f"{self.ratio:.2f}:1 (needs {MARK_MIN}) {hex_}: {self.where}"


def mark_contrasts(page: Any) -> list[MarkContrast]:
    """Every colour a chart mark is drawn in with its contrast against white, lowest first."""
    found = [
        MarkContrast(r["where"], tuple(r["color"]), contrast_ratio(r["color"], (255, 255, 255)))
        for r in page.evaluate(MARKS_JS)
    ]
    return sorted(found, key=lambda c: c.ratio)


def luminance(rgb: tuple[float, ...] | list[float]) -> float:
    """Relative luminance of an sRGB colour given as 0-255 channels (WCAG 2.2)."""
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: tuple[float, ...] | list[float], b: tuple[float, ...] | list[float]) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter colour's luminance over the darker's."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True)
class TextContrast:
    """One kind of text on the page: an example, where it is, its ratio and the one it needs."""

    text: str
    where: str
    ratio: float
    size: float
    weight: int

    @property
    def large(self) -> bool:
        return self.size >= 24 or (self.size >= 18.66 and self.weight >= 700)

    @property
    def needed(self) -> float:
        return LARGE_MIN if self.large else NORMAL_MIN

    def __str__(self) -> str:
        return (
            f"{self.ratio:.2f}:1 (needs {self.needed}) {self.size:g} px in {self.where}: "
            f'"{self.text}"'
        )


def text_contrasts(page: Any) -> list[TextContrast]:
    """Every kind of visible text on the page with its contrast ratio, lowest first."""
    records = page.evaluate(CONTRASTS_JS)
    found = [
        TextContrast(
            r["text"],
            r["where"],
            contrast_ratio(r["color"], r["background"]),
            float(r["size"]),
            int(r["weight"]),
        )
        for r in records
    ]
    return sorted(found, key=lambda c: c.ratio)


def contrast_problems(page: Any) -> list[str]:
    """The kinds of text below the ratio they need."""
    return [str(c) for c in text_contrasts(page) if c.ratio < c.needed]
