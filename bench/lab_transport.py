"""The lab's playback buttons timed in the served page (``bench.lab_in_page --transport N``).

Each click is a real mouse click on the button (``.first`` of the two Streamlit draws), timed
from just before the click until the page shows what it must (polled every frame): the
**interaction**. The page's WebSocket frames are timed too, recorded in the page (``WIRE_JS``): the
**script** is from the click to the server's first ``script_finished`` after the frame that
carries the button's trigger (the rerun the click asked for), the server's side alone.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

SLOW = {
    "lab_depth": 8,
    "lab_width": 48,
    "lab_eta": "1e-3",
    "lab_steps": 5000,
    "lab_eps": "off",
}
"""A setting that trains for ~20 s on this machine: long enough to pause it while it trains."""
STOPS = {"lab_steps": 3000}
"""The default lab with 3,000 steps: the rules stop both runs (yours at step 3, the remedy's
later), well inside the budget."""
STAND_STILL_MS = 2000
"""After a pause is shown, how long the statuses and the loss chart must stand still."""
WATCHED_MS = 4000
"""How long the paused picture is watched in all: past the lab's polling after a button
(``vgui.lab.AFTER_ACTION_S``) and the page's rerun that ends it, where a pause once got lost."""
TIMEOUT_MS = 60_000
AT_STOP = "^stopped by .* at step [\\d,]+$"
PAST_STOP = "; continued: step [\\d,]+ of [\\d,]+, paused$"
AT_BUDGET = "(continued to step [\\d,]+( \\(the budget\\))?|ran all [\\d,]+ steps)$"
"""The statuses (regular expressions) at the rules' stop, ten steps past it and at the budget."""
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)

STATUSES = """() => [...document.querySelectorAll(
    ".st-key-panel-lab [data-testid='stMetric']")].filter(m => { const label = m.querySelector(
      "[data-testid='stMetricLabel']")?.textContent.trim() || '';
      return label === 'your run' || label.startsWith('remedy'); })
    .map(m => m.querySelector("[data-testid='stMetricValue']")?.textContent.trim() || '')"""
"""The runs' statuses as shown (yours first): the same metrics as ``lab_in_page.STATUS_JS``."""
PICTURE = (
    "() => JSON.stringify([("
    + STATUSES
    + ")(), document.querySelector(\".st-key-panel-lab [data-testid='stVegaLiteChart'] svg\")"
    "?.outerHTML || ''])"
)
"""What a paused view must keep still: the statuses and the loss chart's SVG (the lab's first
chart)."""
SHOWN_JS = (
    "([pattern, count]) => { const s = ("
    + STATUSES
    + ")(); const re = new RegExp(pattern); if (s.length !== count || !s.every(x => re.test(x)))"
    " return false; window.__labShown = {t: performance.now(), picture: ("
    + PICTURE
    + ")()}; return true; }"
)
"""True once every run's status matches ``pattern``; notes when, and the picture then."""
STANDS_STILL_JS = (
    "async ms => { const shown = window.__labShown; let last = shown.picture; const changes = [];"
    " while (performance.now() - shown.t < ms) { await new Promise(r => requestAnimationFrame(r));"
    " const now = ("
    + PICTURE
    + ")(); if (now !== last) { changes.push(performance.now() - shown.t); last = now; } }"
    " return changes; }"
)
"""Milliseconds after the pause was shown at which the picture changed, over ``ms``."""
ENABLED_JS = """name => { const b = document.querySelector(`.st-key-lab_${name} button`);
  return b && !b.disabled; }"""


WIRE_JS = """(() => {
  const frames = (window.__wire = []);
  const bytes = data => data instanceof ArrayBuffer ? Array.from(new Uint8Array(data))
    : ArrayBuffer.isView(data) ? Array.from(new Uint8Array(data.buffer, data.byteOffset,
      data.byteLength)) : null;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const sent = bytes(data);
    if (sent) frames.push([performance.timeOrigin + performance.now(), 1, sent]);
    return send.call(this, data);
  };
  window.WebSocket = class extends WebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", event => {
        const data = event.data;
        if (data instanceof ArrayBuffer && data.byteLength <= %d)
          frames.push([performance.timeOrigin + performance.now(), 0, bytes(data)]);
      });
    }
  };
})()"""
"""Recorded in the page itself (an init script): each frame the page sends, and each small frame
it receives (a ``script_finished`` is under 100 bytes), on the page's clock (``timeOrigin +
now()``, which runs on across a navigation); read back after each click. A Playwright listener on
every frame relayed the live redraws' ~400 KB/s to Python: on 2 cores that took the CPU the page
and the server need and delayed the click and its answer (one pause measured 0.60 s median with
it, 0.16 s without; on the page's own clock, pointerdown to "paused", 0.33 s and 0.15 s)."""
SMALL_FRAME = 512
"""The largest received frame recorded, in bytes: more than a ``script_finished``, less than
any chart."""


@dataclass
class Wire:
    """The page's WebSocket frames that time a rerun: the triggers sent, the runs finished
    (seconds on the page's clock, ``performance.timeOrigin + now()``: ``now`` reads it)."""

    sent: list[tuple[float, str]] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.add_init_script(WIRE_JS % SMALL_FRAME)

    @staticmethod
    def now(page: Any) -> float:
        """The page's clock, in seconds (read just before a click: every frame the click
        causes comes later)."""
        return float(page.evaluate("() => performance.timeOrigin + performance.now()")) / 1e3

    def collect(self, page: Any) -> None:
        """Read the frames the page recorded since the last call."""
        for at_ms, outgoing, data in page.evaluate("() => window.__wire.splice(0)"):
            at = at_ms / 1e3
            if outgoing:
                self._sent(at, bytes(data))
            else:
                self._received(at, bytes(data))

    def _sent(self, at: float, payload: bytes) -> None:
        message = BackMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") != "rerun_script":
            return
        for widget in message.rerun_script.widget_states.widgets:
            if widget.WhichOneof("value") == "trigger_value" and widget.trigger_value:
                self.sent.append((at, widget.id.rsplit("-", 1)[-1]))

    def _received(self, at: float, payload: bytes) -> None:
        message = ForwardMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") == "script_finished" and message.script_finished in FINISHED:
            self.finished.append(at)

    def script(self, key: str, start: float) -> float | None:
        """Seconds from ``start`` (the click, on the page's clock) to the end of the run its
        trigger asked for."""
        sent = next((t for t, k in self.sent if k == key and t >= start), None)
        if sent is None:
            return None
        return next((t - start for t in self.finished if t >= sent), None)


@dataclass
class Click:
    """One click: its interaction and script seconds; a pause's changes after it was shown."""

    interaction: float
    script: float | None
    changes: int = 0
    later: int = 0
    triggers: int = 1


def statuses(page: Any) -> list[str]:
    return list(page.evaluate(STATUSES))


def click(page: Any, wire: Wire, name: str, shown: str) -> Click:
    """Click the button ``lab_<name>`` and wait until every status matches ``shown`` (a
    regular expression)."""
    page.wait_for_function(ENABLED_JS, arg=name, timeout=TIMEOUT_MS, polling="raf")
    count = len(statuses(page))
    box = page.locator(f".st-key-lab_{name} button").first.bounding_box()
    clicked = wire.now(page)
    start = time.perf_counter()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    try:
        page.wait_for_function(SHOWN_JS, arg=[shown, count], timeout=TIMEOUT_MS, polling="raf")
    except PlaywrightTimeout as error:
        wire.collect(page)
        sent = [k for t, k in wire.sent if t >= clicked]
        raise RuntimeError(
            f"lab_{name}: never showed {shown!r}; shows {statuses(page)}; triggers sent {sent}"
        ) from error
    interaction = time.perf_counter() - start
    wire.collect(page)
    sent = sum(1 for t, key in wire.sent if key == f"lab_{name}" and t >= clicked)
    return Click(interaction, wire.script(f"lab_{name}", clicked), triggers=sent)


def step_of(status: str) -> list[int]:
    """The step numbers a status names (``step 1,234 of 5,000`` gives [1234, 5000])."""
    return [int(n.replace(",", "")) for n in re.findall(r"[\d,]*\d", status)]


def open_lab(page: Any, url: str, values: dict[str, Any], ready: str) -> None:
    """Load the lab with ``values`` and wait until every run's status matches ``ready``."""
    from urllib.parse import urlencode

    page.goto(f"{url}?{urlencode({'section': 'lab', **values})}")
    page.wait_for_function(
        "pattern => { const s = (" + STATUSES + ")(); return s.length === 2 && "
        "s.every(x => new RegExp(pattern).test(x)); }",
        arg=ready,
        timeout=TIMEOUT_MS,
        polling=100,
    )


def pauses(page: Any, wire: Wire, url: str, count: int) -> list[Click]:
    """``count`` pauses of the slow setting while it trains (each after a play and 100 steps
    of training; a new seed when a run has ended): until both statuses read "paused", then the
    picture watched for ``WATCHED_MS``; a change within ``STAND_STILL_MS`` moves the pause's
    end."""
    clicks: list[Click] = []
    seed = 0
    while len(clicks) < count:
        now = statuses(page)
        if len(now) != 2 or not all(s.endswith(("training", "paused")) for s in now):
            seed += 1
            open_lab(page, url, {**SLOW, "lab_seed": seed}, "training$")
        elif any(s.endswith("paused") for s in now):
            click(page, wire, "play", "training$")
        start = step_of(statuses(page)[0])[0]
        page.wait_for_function(
            "([s0]) => { const s = (" + STATUSES + ")(); return s.length === 2 && "
            "s.every(x => x.endsWith('training')) && parseInt(s[0].match(/step ([\\d,]+)/)[1]"
            ".replace(/,/g, '')) >= s0 + 100; }",
            arg=[start],
            timeout=TIMEOUT_MS,
            polling=100,
        )
        clicked = wire.now(page)
        done = click(page, wire, "pause", "paused$")
        watched = page.evaluate(STANDS_STILL_JS, WATCHED_MS)
        changes = [ms for ms in watched if ms <= STAND_STILL_MS]
        if changes:
            done.interaction += max(changes) / 1e3
        done.changes, done.later = len(changes), len(watched) - len(changes)
        wire.collect(page)
        done.triggers = sum(1 for t, key in wire.sent if key == "lab_pause" and t >= clicked)
        clicks.append(done)
    return clicks


def to_budget_computed(page: Any, wire: Wire, url: str, count: int) -> list[Click]:
    """ "Continue to the budget" on ``count`` fresh seeds of ``STOPS``, each at its rules' stop
    (nothing past it computed yet): until every run shows a step past its stop."""
    clicks = []
    for seed in range(100, 100 + count):
        open_lab(page, url, {**STOPS, "lab_seed": seed}, AT_STOP)
        clicks.append(click(page, wire, "budget", "; continued"))
    return clicks


def cycle(page: Any, wire: Wire, url: str, count: int) -> dict[str, list[Click]]:
    """On ``STOPS`` (seed 100) trained to the budget: ``count`` rounds of the rules' stop (until
    both show it), +10 steps (until both show ten steps past it, paused) and to the budget
    (until both show it): every step shown already exists."""
    open_lab(
        page,
        url,
        {**STOPS, "lab_seed": 100, "lab_past": 1},
        AT_BUDGET,
    )
    found: dict[str, list[Click]] = {"stop": [], "step": [], "budget": []}
    for _ in range(count):
        found["stop"].append(click(page, wire, "stop", AT_STOP))
        found["step"].append(click(page, wire, "step", PAST_STOP))
        found["budget"].append(click(page, wire, "budget", AT_BUDGET))
    return found


def measure(browser: Any, viewport: dict[str, int], url: str, count: int) -> dict[str, list[Click]]:
    """Every transport figure, ``count`` clicks of each kind; each series in a new visitor."""
    series: tuple[Callable[[Any, Wire], dict[str, list[Click]]], ...] = (
        lambda page, wire: {"pause": pauses(page, wire, url, count)},
        lambda page, wire: {"computed": to_budget_computed(page, wire, url, count)},
        lambda page, wire: cycle(page, wire, url, count),
    )
    found: dict[str, list[Click]] = {}
    for measured in series:
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        wire = Wire()
        wire.attach(page)
        try:
            found.update(measured(page, wire))
        finally:
            context.close()
    return found


ROWS = (
    ("pause", "pause while training"),
    ("step", "+10 steps (the steps exist)"),
    ("stop", "the rules' stop"),
    ("budget", "to the budget (the steps exist)"),
    ("computed", "to the budget (first steps computed)"),
)


def report(found: dict[str, list[Click]], floor: float, target: float) -> None:
    """Median and max seconds of each click, the script's, and the ratio to ``floor``."""
    print(f"  transport ({STOPS} for the stop and budget; {SLOW} for the pause), s:")
    print(f"    {'':38s} {'median':>7s} {'max':>7s} {'ratio':>6s}   script median / max")
    for key, name in ROWS:
        clicks = found.get(key, [])
        if not clicks:
            continue
        times = sorted(c.interaction for c in clicks)
        median = statistics.median(times)
        scripts = [c.script for c in clicks if c.script is not None]
        script = f"{statistics.median(scripts):.3f} / {max(scripts):.3f}" if scripts else "not seen"
        verdict = "PASS" if median / floor <= target else "MISS"
        print(
            f"    {name:38s} {median:7.3f} {times[-1]:7.3f} {median / floor:5.2f}x"
            f"   {script}   (<= {target}x): {verdict}"
        )
        print(f"      each: {', '.join(f'{c.interaction:.3f}' for c in clicks)}")
    pauses_seen = found.get("pause", [])
    if pauses_seen:
        changes = [c.changes for c in pauses_seen]
        later = [c.later for c in pauses_seen]
        print(
            f"    paused view stands still for {STAND_STILL_MS / 1e3:.0f} s after the pause is "
            f"shown: changes seen {changes} (expected 0 each); from then to "
            f"{WATCHED_MS / 1e3:.0f} s: {later}"
        )
    doubled = {key: [c.triggers for c in clicks] for key, clicks in found.items()}
    if any(n != 1 for counts in doubled.values() for n in counts):
        print(f"    button triggers the page sent per click (1 expected): {doubled}")
