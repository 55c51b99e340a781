"""Reading the page as a person sees it, and what it should show according to ``vgapp.views``.

Expected texts always come from the same pure functions the app draws (``vgapp.views``), called
with the control values, never from literals copied out of a run.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vgapp import lab, views
from vgapp.controls import BOOL, CHOICE, FLOAT, INT, Control
from vgapp.lab_controls import LAB_KEYS
from vgapp.page import CONTROLS, LESSON_CONTROL, LESSONS, PANELS, defaults, lesson_values

from .harness import PAGE_TIMEOUT_MS, VIEWPORT, open_app, wait_for_run

HEADLINE_PANELS = ("counterexample", "chain")
METRIC_PANELS = ("counterexample", "chain", "curvature", "descent", "lab")
DOWNLOADS = (
    "counterexample",
    "chain",
    "surface",
    "descent_path",
    "descent_gradient_norms",
    "lost_updates",
    "lab_loss",
    *(
        f"lab_{part}_{run}"
        for run in ("yours", "remedy")
        for part in ("gradient_norms", "saturation", "fit")
    ),
)

DROPDOWN_TIMEOUT_MS = 2_000
# A value read back from a slider is the JavaScript number the browser holds for it.
SLIDER_REL_TOL = 1e-12

# Uncaught errors (e.g. a chart spec Vega cannot parse), visible to the page's own waits.
RECORD_ERRORS_JS = """
window.__vgErrors = [];
window.addEventListener('error', e => window.__vgErrors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__vgErrors.push(String(e.reason)));
"""

# ----------------------------------------------------------------------------- expectations

_VIEWS: dict[tuple, Any] = {}


def _view(function: Any, *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, memoised here (the lab trains networks)."""
    key = (function.__module__, function.__name__, args, tuple(sorted(kwargs.items())))
    if key not in _VIEWS:
        _VIEWS[key] = function(*args, **kwargs)
    return _VIEWS[key]


def expected_views(values: dict[str, Any], panels: Any = None) -> dict[str, Any]:
    """Each panel's view (or only those of ``panels``) for these control values, called as the
    page calls it."""
    v = values
    calls = {
        "counterexample": lambda: _view(
            views.counterexample_view, *(v[c.key] for c in PANELS["counterexample"])
        ),
        "chain": lambda: _view(views.chain_view, *views.chain_arguments(v)),
        "curvature": lambda: _view(views.curvature_view, v["surface"], v["pt_x"], v["pt_y"]),
        "descent": lambda: _view(
            views.descent_view,
            v["surface"],
            v["gd_x0"],
            v["gd_y0"],
            v["gd_rule"],
            v["gd_eta"],
            v["gd_iters"],
        ),
        "precision": lambda: _view(
            views.precision_view, v["fp_w"], v["fp_eta"], v["fp_grad_exp"], v["fp_dtype"]
        ),
        "lab": lambda: _view(lab.lab_view, **{key: v[key] for key in LAB_KEYS}),
    }
    return {name: call() for name, call in calls.items() if panels is None or name in panels}


def expected_metrics(
    values: dict[str, Any], panels: tuple[str, ...] = METRIC_PANELS
) -> dict[str, list[tuple[str, str]]]:
    """``{panel: [(label, value text), ...]}`` in page order, for panels with metrics."""
    found = expected_views(values, panels)
    shown = {name: list(view.metrics) for name, view in found.items() if name != "lab"}
    if "lab" in found:
        runs = [found["lab"].main] + ([] if found["lab"].same_run else [found["lab"].comparison])
        shown["lab"] = [metric for run in runs for metric in run.metrics]
    return {name: [(m.label, m.value) for m in metrics] for name, metrics in shown.items()}


def expected_frames(values: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The data behind each chart, by the name of its download button (``download_<name>``)."""
    panels = expected_views(values)
    frames = {
        "counterexample": panels["counterexample"].frame,
        "chain": panels["chain"].frame,
        "surface": panels["curvature"].frame,
        "descent_path": panels["descent"].frame,
        "descent_gradient_norms": panels["descent"].frame,
        "lost_updates": panels["precision"].frame,
        "lab_loss": panels["lab"].loss_frame,
    }
    runs = {"yours": panels["lab"].main, "remedy": panels["lab"].comparison}
    for name, run in runs.items():
        if name == "remedy" and panels["lab"].same_run:
            continue
        frames[f"lab_gradient_norms_{name}"] = run.heatmap_frame
        frames[f"lab_saturation_{name}"] = run.saturation_frame
        frames[f"lab_fit_{name}"] = run.fit_frame
    return frames


def default_values() -> dict[str, Any]:
    return defaults()


def lesson_walk() -> tuple[dict[str, Any], list[str]]:
    """A start state (URL values) and an order of the lessons in which choosing each lesson
    changes at least one control. The preselected default lesson comes last (choosing a
    selected pill unselects it). Where a lesson would change nothing, one numeric control it
    sets, and no earlier lesson sets, starts one step above its lower bound (or at the upper
    bound, if that is the lesson's value)."""
    order = [key for key in LESSONS if key != LESSON_CONTROL.default] + [LESSON_CONTROL.default]
    start: dict[str, Any] = {}
    while True:
        state = {**defaults(), **start}
        for i, key in enumerate(order):
            wanted = {**state, **lesson_values(key)}
            if wanted != state:
                state = wanted
                continue
            earlier = {k for previous in order[:i] for k in lesson_values(previous)}
            free = [
                k
                for k in lesson_values(key)
                if CONTROLS[k].kind in (INT, FLOAT) and k not in earlier and k not in start
            ]
            if not free:
                raise AssertionError(f"no way to make lesson {key!r} change a control")
            control, value = CONTROLS[free[0]], lesson_values(key)[free[0]]
            # One step above the lower bound: Streamlit drops a URL value equal to its idea
            # of the widget's default, which is min_value when the page passes no value=.
            moved = control.low + control.step
            moved = moved if not math.isclose(moved, value) else control.high
            start[control.key] = int(moved) if control.kind == INT else round(moved, 12)
            break
        else:
            return start, order


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def parse_log10(text: str) -> float:
    """log₁₀ of the magnitude of a number as the page writes it (``3.50 × 10⁻³⁸⁹``,
    ``1.97 × 10⁻¹``, ``10⁻⁹⁰``, ``−0.5``), also far outside the float64 range."""
    text = text.replace("−", "-").strip()
    match = re.fullmatch(r"(?:[-+]?(\d+(?:\.\d+)?)(?: × )?)?(?:10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+))?", text)
    if not match or not any(match.groups()):
        raise ValueError(f"not a number as the page writes it: {text!r}")
    mantissa = float(match.group(1)) if match.group(1) else 1.0
    exponent = int(match.group(2).translate(_SUPERSCRIPTS)) if match.group(2) else 0
    return math.log10(mantissa) + exponent


# ----------------------------------------------------------------------------- the page


@dataclass
class AppPage:
    """One browser session of the app, with what it logged and what it tried to fetch."""

    page: Any
    server: Any
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("websocket", self._on_websocket)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_websocket(self, socket: Any) -> None:
        if not self.server.is_local(socket.url):
            self.blocked.append(socket.url)

    def route_offline(self, route: Any) -> None:
        """Let requests to the local server through; record and abort every other one."""
        url = route.request.url
        if self.server.is_local(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def open(self, query: str = "") -> None:
        open_app(self.page, self.server.url, query)
        self.settle()

    def settle(self) -> None:
        """Wait for the run to finish and for lazily loaded widgets and charts to be drawn.

        A chart that fails raises in the page instead of drawing: then stop waiting for charts
        (``undrawn_charts`` and ``page_errors`` tell what went wrong)."""
        wait_for_run(self.page)
        self.page.wait_for_function(
            """() => !document.querySelector("[data-testid='stSkeleton']")
                && (window.__vgErrors.length > 0
                    || [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
                        .every(chart => chart.querySelector('svg, canvas')))"""
        )

    def undrawn_charts(self) -> list[str]:
        """The text alternative (or position) of every chart with nothing drawn in it."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
                .map((chart, i) => chart.querySelector('svg, canvas') ? null
                     : (chart.getAttribute('aria-label') || `chart #${i + 1}`))
                .filter(Boolean)"""
        )

    def close(self) -> None:
        self.page.context.close()

    # ------------------------------------------------------------------ reading

    def panel(self, name: str) -> Any:
        return self.page.locator(f".st-key-panel-{name}")

    def metrics(self, panel: str) -> list[tuple[str, str]]:
        """``[(label, value), ...]`` of the metrics shown in one panel, in page order."""
        pairs = self.panel(panel).evaluate(
            """panel => [...panel.querySelectorAll("[data-testid='stMetric']")].map(m => [
                m.querySelector("[data-testid='stMetricLabel']").textContent.trim(),
                m.querySelector("[data-testid='stMetricValue']").textContent.trim()])"""
        )
        return [tuple(pair) for pair in pairs]

    def all_metrics(self) -> dict[str, list[tuple[str, str]]]:
        return {name: self.metrics(name) for name in METRIC_PANELS}

    def wait_for_metric(self, panel: str, label: str, value: str) -> None:
        """Wait until the panel's metric ``label`` shows ``value``, then for the run to end."""
        self.page.wait_for_function(
            """([panel, label, value]) => {
                const box = document.querySelector(`.st-key-panel-${panel}`);
                const text = (m, id) => m.querySelector(`[data-testid='${id}']`).textContent.trim();
                return box && [...box.querySelectorAll("[data-testid='stMetric']")].some(m =>
                    text(m, 'stMetricLabel') === label && text(m, 'stMetricValue') === value);
            }""",
            arg=[panel, label, value],
        )
        self.settle()

    def control(self, key: str) -> Any:
        return self.page.locator(f"[data-testid='stSidebar'] .st-key-{key}")

    def control_values(self, keys: Any = None) -> dict[str, Any]:
        """The values the sidebar widgets show, in the controls' own terms (option keys,
        numbers, flags), read in one pass over the page."""
        keys = list(CONTROLS if keys is None else keys)
        raw = self.page.evaluate(READ_CONTROLS_JS, [[key, CONTROLS[key].widget] for key in keys])
        return {key: _value_of(CONTROLS[key], raw[key]) for key in keys}

    def control_value(self, key: str) -> Any:
        return self.control_values([key])[key]

    def controls_show(self, values: dict[str, Any]) -> bool:
        """Whether every sidebar widget shows the given control value."""
        shown = self.control_values()
        return all(same_control_value(key, shown[key], values[key]) for key in CONTROLS)

    def open_dropdown(self, key: str, attempts: int = 3) -> None:
        """Open a selectbox's list with the keyboard. The first key press after the focus moves
        is sometimes swallowed (seen with Chromium 156), so press again when nothing opened."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        field = self.control(key).locator("input[role='combobox']")
        options = self.page.get_by_role("option")
        for _ in range(attempts):
            field.press("ArrowDown")
            try:
                options.first.wait_for(timeout=DROPDOWN_TIMEOUT_MS)
                return
            except PlaywrightTimeoutError:
                continue
        raise AssertionError(f"the {key} list did not open")

    def url_notice(self) -> str | None:
        """The text of the "Some settings in this link could not be used" warning, if shown."""
        texts = self.page.locator("[data-testid='stAlertContentWarning']").all_text_contents()
        found = [t for t in texts if "Some settings in this link could not be used" in t]
        return found[0] if found else None

    def wait_until(self, condition: Any, what: str, timeout_s: float = PAGE_TIMEOUT_MS / 1000):
        """Poll ``condition()`` (read from the page) until it holds."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.page.wait_for_timeout(50)  # polling interval, not a readiness guess

    def query(self) -> str:
        return self.page.evaluate("() => location.search.replace(/^\\?/, '')")


def new_app_page(browser: Any, server: Any) -> AppPage:
    """A fresh browser context (a new Streamlit session) at 1440x900, offline but for the
    server, recording console errors, uncaught page errors and blocked requests."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-US")
    context.add_init_script(RECORD_ERRORS_JS)
    app = AppPage(context.new_page(), server)
    context.route("**/*", app.route_offline)
    return app


def open_expanders(scope: Any) -> list[Any]:
    """Click every closed expander inside ``scope`` open (its content is rendered already);
    returns their summaries, to close them again."""
    details = scope.locator("details")
    closed = [
        i
        for i, is_open in enumerate(details.evaluate_all("els => els.map(e => e.open)"))
        if not is_open
    ]
    summaries = [details.nth(i).locator("> summary") for i in closed]
    for summary in summaries:
        summary.click()
    scope.locator("details:not([open])").first.wait_for(state="detached")
    return summaries


READ_CONTROLS_JS = """specs => Object.fromEntries(specs.map(([key, widget]) => {
    const box = document.querySelector(`[data-testid='stSidebar'] .st-key-${key}`);
    const one = selector => box && box.querySelector(selector);
    let value = null;
    if (widget === 'slider') value = one("input[type='range']")?.value;
    else if (widget === 'select_slider')
        value = one("input[type='range']")?.getAttribute('aria-valuetext');
    else if (widget === 'number') value = one("input[type='number']")?.value;
    else if (widget === 'select') value = one("input[role='combobox']")?.value;
    else if (widget === 'segmented') value = one("button[aria-checked='true']")?.textContent;
    else if (widget === 'toggle') value = one("input[type='checkbox']")?.checked;
    return [key, value ?? null];
}))"""


def _value_of(control: Control, raw: Any) -> Any:
    """A widget's shown value (as READ_CONTROLS_JS reads it) in the control's terms."""
    if raw is None:
        raise AssertionError(f"no {control.widget} widget shown for {control.key!r}")
    if control.widget in ("slider", "number"):
        return float(raw)
    if control.widget == "toggle":
        return bool(raw)
    return _option_of(control, raw)


def _option_of(control: Control, shown: str) -> str:
    """The option key whose label is ``shown`` (a CHOICE widget shows labels)."""
    assert control.kind == CHOICE
    for option in control.options:
        if control.label_of(option) == shown.strip():
            return option
    raise AssertionError(f"{control.key} shows {shown!r}, which is none of its options' labels")


def same_control_value(key: str, shown: Any, expected: Any) -> bool:
    """Whether a widget shows the expected value: options and flags exactly; a number input
    to its display step (it shows ``format % value``); a slider to SLIDER_REL_TOL."""
    control = CONTROLS[key]
    if control.kind in (CHOICE, BOOL):
        return shown == expected
    if control.widget == "number":
        return math.isclose(shown, expected, rel_tol=0, abs_tol=control.step / 2)
    return math.isclose(shown, expected, rel_tol=SLIDER_REL_TOL, abs_tol=SLIDER_REL_TOL)
