"""Reading and driving the page in Chromium, as a visitor would (Playwright's sync API).

What the page *should* show comes from ``pagetools.expect`` (the registry and the views); this
module only reads what it *does* show, in the same terms: a panel's signature (heading, metrics,
chart titles), each widget's value as a control value, the address bar's parameters.

Readiness is always read from the page: the ``stApp`` element's run state, no stale or loading
element, every chart drawn, the expected content shown, and (for "idle") no WebSocket traffic
for a short quiet period, timed by the page's own clock. The only fixed waits are the spacing
of deliberate key bursts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pagetools import expect
from pagetools.harness import PAGE_TIMEOUT_MS, VIEWPORT, StreamlitServer, wait_for_run
from vgapp.controls import Choice, Control, Number, Toggle
from vgapp.page import CONTROLS, FOLD_OF_CONTROL, LESSONS, SECTION_BY_KEY

NOTICE = "Some settings in this link could not be used"
QUIET_MS = 600
"""The page counts as idle once its WebSocket has been silent (nothing sent or received) this
long after the last key press, with no run in progress and everything drawn."""
DROPDOWN_TIMEOUT_MS = 3_000

# Installed before the page's own scripts. Counts WebSocket messages and bytes since the last key
# press (first and last message time), the last message sent, the last time anything inside a
# chart changed, when each chart was first drawn (``data-vg-first-draw``), and uncaught errors.
INSTRUMENT_JS = """
(() => {
  const vg = window.__vg = {t0: 0, bytes: 0, messages: 0, firstMsg: null, lastMsg: null,
                            lastSend: 0, chartChange: -1, errors: []};
  window.addEventListener('error', e => vg.errors.push(String(e.message)));
  window.addEventListener('unhandledrejection', e => vg.errors.push(String(e.reason)));
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', e => {
        const now = performance.now();
        vg.bytes += e.data.byteLength ?? e.data.size ?? e.data.length ?? 0;
        vg.messages += 1;
        if (vg.firstMsg === null) vg.firstMsg = now;
        vg.lastMsg = now;
      });
    }
    send(data) { vg.lastSend = performance.now(); return super.send(data); }
  };
  document.addEventListener('keydown', () => Object.assign(vg, {
    t0: performance.now(), bytes: 0, messages: 0, firstMsg: null, lastMsg: null}), true);
  new MutationObserver(records => {
    const seen = new Set();
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const chart = el && el.closest("[data-testid='stVegaLiteChart']");
      if (!chart || seen.has(chart)) continue;
      seen.add(chart);
      vg.chartChange = performance.now();
      if (!chart.dataset.vgFirstDraw && chart.querySelector('svg, canvas'))
        chart.dataset.vgFirstDraw = String(Math.round(vg.chartChange));
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""

# A function body reading the signature of the element ``root`` (``pagetools.expect``): the
# first heading, the metrics and each chart's title lines (one <tspan> per line in Vega's SVG).
_SIGNATURE_BODY = r"""
  const text = (m, id) => m.querySelector(`[data-testid='${id}']`)?.textContent.trim() ?? null;
  const heading = root.querySelector('h1, h2, h3, h4, h5, h6');
  const lines = chart => [...chart.querySelectorAll('.role-title text')].flatMap(t => {
    const spans = [...t.querySelectorAll('tspan')];
    return spans.length ? spans.map(s => s.textContent) : [t.textContent];
  }).join(' ').replaceAll('. ', ' ').split(/\s+/).filter(w => w).join(' ');
  return {
    heading: heading ? (heading.querySelector('[data-heading-text]') ?? heading).textContent.trim()
                     : null,
    metrics: [...root.querySelectorAll("[data-testid='stMetric']")]
      .map(m => [text(m, 'stMetricLabel'), text(m, 'stMetricValue')]),
    titles: [...root.querySelectorAll("[data-testid='stVegaLiteChart']")].map(lines),
  };
"""
SIGNATURE_JS = (
    "scope => { const root = document.querySelector(scope); if (!root) return null;"
    + _SIGNATURE_BODY
    + "}"
)

# True while a run is in progress, something is stale or loading, or a chart is not drawn yet
# (unless a page error says it never will be).
_BUSY = """
  const app = document.querySelector("[data-testid='stApp']");
  const busy = !app || app.getAttribute('data-test-script-state') !== 'notRunning'
    || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
    || document.querySelector("[data-stale='true'], [data-testid='stSkeleton']")
    || ([...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
          .some(c => !c.querySelector('svg, canvas')) && !(window.__vg?.errors.length));
"""

# Polled once per animation frame (or interval): the timings once the run has finished, nothing
# is stale or loading, every chart is drawn, ``scope`` shows the ``expected`` signature (any,
# when null) and, when ``changed``, a chart inside ``scope`` was redrawn after the key press.
DRAWN_JS = (
    """({scope, expected, changed}) => {
  const vg = window.__vg;"""
    + _BUSY
    + """
  if (busy) return false;
  const root = document.querySelector(scope);
  if (!root) return false;
  if (expected !== null) {
    const shown = (root => {"""
    + _SIGNATURE_BODY
    + """})(root);
    if (JSON.stringify(shown) !== JSON.stringify(expected)) return false;
  }
  if (changed && root.querySelector("[data-testid='stVegaLiteChart']") && !(vg.chartChange > vg.t0))
    return false;
  return {now: performance.now(), t0: vg.t0, bytes: vg.bytes, messages: vg.messages,
          firstMsg: vg.firstMsg, lastMsg: vg.lastMsg, errors: vg.errors.slice(0, 3)};
}"""
)

# Idle: nothing in progress, everything drawn, and the WebSocket silent for ``quiet`` ms since
# the last message in either direction and the last key press.
IDLE_JS = (
    "quiet => {"
    + _BUSY
    + """
  if (busy) return false;
  const vg = window.__vg;
  return performance.now() - Math.max(vg.lastMsg ?? 0, vg.lastSend, vg.t0) >= quiet;
}"""
)

CLOSED_FOLDS_JS = """folds => folds.filter(fold => {
    const details = document.querySelector(`[data-testid='stSidebar'] .st-key-${fold} details`);
    return details && !details.open;
})"""

READ_CONTROLS_JS = """specs => Object.fromEntries(specs.map(([key, widget]) => {
    const box = document.querySelector(`[data-testid='stSidebar'] .st-key-${key}`);
    const one = selector => box && box.querySelector(selector);
    let value = null;
    if (widget === 'slider') value = one("input[type='range']")?.value;
    else if (widget === 'select_slider')
        value = one("input[type='range']")?.getAttribute('aria-valuetext');
    else if (widget === 'number') value = one("input[type='number']")?.value;
    else if (widget === 'select') value = one("input[role='combobox']")?.value;
    else if (widget === 'segmented')
        value = one("button[aria-checked='true']")?.textContent.trim();
    else if (widget === 'toggle') value = one("input[type='checkbox']")?.checked;
    return [key, value ?? null];
}))"""


def widget_kind(control: Control) -> str:
    """How the page draws a control: slider, number, select, segmented, select_slider, toggle."""
    if isinstance(control, Toggle):
        return "toggle"
    if isinstance(control, Number):
        return control.widget
    assert isinstance(control, Choice)
    return control.widget if control.widget in ("segmented", "select_slider") else "select"


def panel_scope(panel: str) -> str:
    return f".st-key-panel-{panel}"


@dataclass
class AppPage:
    """One browser session of a served script, with what it logged and what it tried to fetch
    (every request not to the local server is recorded and aborted)."""

    page: Any
    server: StreamlitServer
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("websocket", self._on_websocket)
        self.page.context.route("**/*", self._route)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_websocket(self, socket: Any) -> None:
        if not self.server.is_local(socket.url):
            self.blocked.append(socket.url)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if self.server.is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def close(self) -> None:
        self.page.context.close()

    # ------------------------------------------------------------------ loading and waiting

    def open(self, query: str | Mapping[str, Any] = "") -> None:
        """Load the page (a query string without ``?``, or parameters) and wait until drawn."""
        if not isinstance(query, str):
            from urllib.parse import urlencode

            query = urlencode(query, doseq=True)
        self.page.goto(self.server.url + (f"?{query}" if query else ""))
        self.settle()

    def settle(self, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
        """Wait until no run is in progress, nothing is stale or loading and every chart is
        drawn (or a page error says one never will be)."""
        wait_for_run(self.page, timeout_ms)
        self.page.wait_for_function(
            "() => {" + _BUSY + "return !busy; }", timeout=timeout_ms, polling="raf"
        )

    def wait_idle(self, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
        """Wait until the page is settled and its WebSocket has been silent for QUIET_MS."""
        self.page.wait_for_function(IDLE_JS, arg=QUIET_MS, timeout=timeout_ms, polling=100)

    def wait_drawn(
        self,
        scope: str,
        expected: Mapping[str, Any] | None,
        *,
        changed: bool = False,
        polling: Any = "raf",
        timeout_ms: int = PAGE_TIMEOUT_MS,
    ) -> dict:
        """Wait until ``scope`` shows ``expected`` and everything is drawn; the page's timings
        (``DRAWN_JS``)."""
        arg = {"scope": scope, "expected": expected, "changed": changed}
        handle = self.page.wait_for_function(DRAWN_JS, arg=arg, polling=polling, timeout=timeout_ms)
        return handle.json_value()

    def wait_for_panel(self, panel: str, values: Mapping[str, Any] | None = None) -> None:
        """Wait until the panel shows what its view computes for ``values``."""
        expected = expect.signature(panel, values)
        try:
            self.wait_drawn(panel_scope(panel), expected)
        except Exception as error:  # say what was shown instead of a bare timeout
            raise AssertionError(
                f"panel {panel} never showed {expected}; it shows {self.signature(panel)}"
            ) from error

    def wait_until(self, condition: Callable[[], bool], what: str, timeout_s: float = 30.0):
        """Poll ``condition()`` (read from the page) until it holds."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.page.wait_for_timeout(50)  # polling interval, not a readiness guess

    # ------------------------------------------------------------------ reading

    def panel(self, key: str) -> Any:
        return self.page.locator(panel_scope(key))

    def signature(self, panel: str) -> dict | None:
        return self.page.evaluate(SIGNATURE_JS, panel_scope(panel))

    def control(self, key: str) -> Any:
        return self.page.locator(f"[data-testid='stSidebar'] .st-key-{key}")

    def control_values(self, keys: Any) -> dict[str, Any]:
        """The values the sidebar widgets show, in the controls' own terms, read in one pass."""
        keys = list(keys)
        raw = self.page.evaluate(
            READ_CONTROLS_JS, [[key, widget_kind(CONTROLS[key])] for key in keys]
        )
        return {key: expect.shown_value(CONTROLS[key], raw[key]) for key in keys}

    def folded(self) -> set[str]:
        """The controls not drawn because their fold (``Panel.folds``) is closed."""
        closed = set(self.page.evaluate(CLOSED_FOLDS_JS, sorted(set(FOLD_OF_CONTROL.values()))))
        return {key for key, fold in FOLD_OF_CONTROL.items() if fold in closed}

    def control_value(self, key: str) -> Any:
        return self.control_values([key])[key]

    def url(self) -> dict[str, str | list[str]]:
        """The address bar's parameters."""
        return expect.query_in(self.page.evaluate("() => location.search"))

    def section(self) -> str:
        """The open section (the checked button of the section control)."""
        label = self.page.locator(".st-key-section button[aria-checked='true']").inner_text()
        return next(s.key for s in SECTION_BY_KEY.values() if s.label == label.strip())

    def sidebar_open(self) -> bool:
        """Whether the sidebar is expanded (Streamlit's ``data-collapsed``)."""
        return self.page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false"

    def projector(self) -> bool:
        """Whether the projector toggle (at the title's right) is on."""
        return bool(self.page.locator(".st-key-projector input[type='checkbox']").is_checked())

    def url_notice(self) -> str | None:
        """The text of the "Some settings in this link could not be used" warning, if shown."""
        texts = self.page.locator("[data-testid='stAlertContentWarning']").all_text_contents()
        found = [t for t in texts if NOTICE in t]
        return found[0] if found else None

    # ------------------------------------------------------------------ acting

    def open_section(self, key: str) -> None:
        """Click the section's button; wait until its controls and panels are drawn."""
        section = SECTION_BY_KEY[key]
        self.page.locator(".st-key-section").get_by_role("radio", name=section.label).click()
        self.page.get_by_test_id("stSidebar").get_by_text(
            f"Controls: {section.label}", exact=True
        ).wait_for()
        for panel in section.every_panel:
            self.panel(panel.key).wait_for()
        self.settle()

    def choose_lesson(self, key: str) -> None:
        """Click a lesson's pill, in its fold when folded (projector mode: a popover in the
        title's row, opened first)."""
        label = re.compile(f"^{re.escape(LESSONS[key].label)}$")
        pill = self.page.locator(".st-key-lesson button").filter(has_text=label)
        fold = self.page.locator(".st-key-lessons_fold")
        if fold.count() and not pill.is_visible():
            fold.get_by_role("button").first.click()
        pill.click()

    def switch_projector(self) -> None:
        """Click the projector toggle and wait until the page was drawn in the other mode."""
        was = self.projector()
        self.page.locator(".st-key-projector label").first.click()
        self.wait_until(lambda: self.projector() != was, "the projector toggle")
        self.settle()

    def reveal(self, key: str) -> Any:
        """A control's box in the sidebar; a control in a closed fold (``Panel.folds``) is
        drawn first, by a click on its fold as a visitor would."""
        box = self.control(key)
        fold = FOLD_OF_CONTROL.get(key)
        if fold is not None and box.count() == 0:
            self.page.locator(f"[data-testid='stSidebar'] .st-key-{fold} summary").click()
            box.wait_for()
            self.settle()
        return box

    def press(self, key: str, button: str = "ArrowRight") -> None:
        """Focus a slider's thumb in the sidebar and press one key."""
        thumb = self.reveal(key).locator("input[type='range']")
        thumb.focus()
        thumb.press(button)

    def burst(self, key: str, presses: int, gap_ms: float, button: str = "ArrowRight") -> None:
        """``presses`` key presses on a slider, ``gap_ms`` apart: the deliberate spacing of a
        visitor holding the key, not a wait for readiness."""
        thumb = self.reveal(key).locator("input[type='range']")
        thumb.focus()
        for i in range(presses):
            if i:
                self.page.wait_for_timeout(gap_ms)
            self.page.keyboard.press(button)

    def choose(self, key: str, value: Any) -> None:
        """Set a control as a visitor would: a select's option, a segmented button, a toggle's
        state, a number typed into its box (then Enter); a slider by Home then ArrowRight."""
        control = CONTROLS[key]
        kind = widget_kind(control)
        box = self.reveal(key)
        if kind == "select":
            self.open_dropdown(key)
            self.page.get_by_role("option", name=control.label_of(value), exact=True).click()
        elif kind == "segmented":
            box.get_by_role("radio", name=control.label_of(value), exact=True).click()
        elif kind == "toggle":
            if self.control_value(key) != value:
                box.locator("label").first.click()
        elif kind == "number":
            field_ = box.locator("input[type='number']")
            field_.fill(str(value))
            field_.press("Enter")
        else:
            raise ValueError(f"use press() or burst() for the {kind} {key!r}")

    def open_dropdown(self, key: str, attempts: int = 3) -> None:
        """Open a selectbox's list. A click sometimes lands before the box reacts (seen with
        Chromium 150), so click again when nothing opened."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        combo = self.control(key).locator("input[role='combobox']")
        for _ in range(attempts):
            combo.click()
            try:
                self.page.get_by_role("option").first.wait_for(timeout=DROPDOWN_TIMEOUT_MS)
                return
            except PlaywrightTimeoutError:
                continue
        raise AssertionError(f"the {key} list did not open")


def new_app_page(
    browser: Any,
    server: StreamlitServer,
    *,
    viewport: Mapping[str, int] = VIEWPORT,
    device_scale_factor: float = 1.0,
    **options: Any,
) -> AppPage:
    """A fresh browser context (a new Streamlit session), instrumented, offline but for the
    server, recording console errors, uncaught page errors and blocked requests."""
    context = browser.new_context(
        viewport=dict(viewport),
        device_scale_factor=device_scale_factor,
        locale="en-US",
        **options,
    )
    context.add_init_script(INSTRUMENT_JS)
    return AppPage(context.new_page(), server)
