"""The training lab drawn live: the transport buttons, the runs as they train (a fragment
redrawn by a timer while they train) and the runs' columns with the chart choice."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.runtime_util import MESSAGE_FLUSH_INTERVAL_SECS

from vgapp import page
from vgapp.blocks import Columns
from vgapp.lab import cursor as lab_cursor
from vgapp.lab import panel as lab_panel
from vgapp.lab.cursor import Cursor, at_all, rule_stopped
from vgapp.lab.run_charts import LAB_CHART
from vgapp.lab.runs import RunSpec
from vgapp.lab.training import engine as training
from vgapp.lab.view import continue_label
from vgapp.layout import Panel
from vgserve.guard import GuardSettings, address_of
from vgui.blocks import draw_blocks, draw_downloads
from vgui.state import (
    LAB_CURSOR,
    current_values,
    lab_cursor_of,
    rerun_if_lesson_left,
    write_link,
)
from vgui.widgets import draw_controls

LAB_FRAGMENT = "lab"
"""The lab's fragment, by key."""
LAB_DRAWN = "lab_drawn"
"""Session key: the snapshots the runs' fragment drew, handed to the runs' columns."""
LAB_CHART_GROUP = next(caption for caption, keys in lab_panel.GROUPS if LAB_CHART.key in keys)
"""The lab's group of controls that only choose what is drawn (the runs' fragment draws it)."""

TRUSTED_PROXIES = GuardSettings.from_environment().trusted_proxies
"""The proxies whose ``X-Forwarded-For`` is believed (``VG_TRUSTED_PROXIES``, as the guard)."""
LAB_POLL_S = 0.3
"""How often the lab redraws while a small network trains."""
LAB_POLL_PER_UNIT_S = 0.5 / 512
"""Seconds between redraws per hidden unit (depth x width) of the larger network: 0.5 s at
512 units, 2.5 s at 20 x 128; a redraw's cost grows with the network (its heatmap and fit), and
redraws must leave the niced training processes their cores (README, "Figures behind the
constants")."""
LAB_POLL_MAX_S = 3.0
"""The longest wait between live redraws, however large the network."""
FIRST_PICTURE_S = 0.2
"""After a change, how long the lab waits for the first steps before it draws (so the first
picture already shows a loss and a heatmap)."""
FIRST_PICTURE_STARTING_S = 0.6
"""The same wait on a fresh server's first visit, while the training processes start (they
send their first steps ~0.4 s after the page's run starts them): the first run then carries the
first picture, and the browser does not lay the lab out twice."""
AFTER_ACTION_S = 2.0
"""After a button, the lab polls at least this long (the runs take a moment to react)."""
FLUSH_BEFORE_RERUN_S = 4 * MESSAGE_FLUSH_INTERVAL_SECS
"""How long the runs' fragment lets the server send what it drew before it reruns the page to
start or stop the timer: a page run that starts drops every message not yet sent
(``ForwardMsgQueue.clear``), so the picture the click asked for then waited for the whole
page's rerun (Streamlit's ``st.switch_page`` sleeps twice the flush interval for the same
reason)."""
"""After a button, the lab polls at least this long (the runs take a moment to react)."""


@st.cache_resource
def lab_engine() -> training.TrainingEngine:
    """The server's one training engine (shared by every session)."""
    return training.default_engine()


def lab_session() -> str:
    """This session's id for the engine (its heartbeat and its watched runs)."""
    return str(st.session_state.setdefault("lab_session", uuid.uuid4().hex))


Specs = tuple[RunSpec, ...]
Snapshots = tuple[training.Snapshot[RunSpec], ...]

LAB_SHOWN = "lab_shown"
"""Session key: the runs as this session last saw them (what a pause freezes)."""
KEYS = {"pause": "K", "play": "K", "step": "L", "stop": "J"}
"""Keyboard shortcuts of the transport, as a video player's: K play/pause, L ten steps on,
J the rules' stop."""


def lab_active(snapshots: Snapshots) -> bool:
    return any(s.status in (training.QUEUED, training.RUNNING) for s in snapshots)


Move = Callable[[Snapshots, Cursor], Cursor]


def transport(
    specs: Specs, engine_snaps: Snapshots, views: Snapshots, cursor: Cursor
) -> list[tuple[str, str, str, Move, bool, str]]:
    """The buttons of this session's playback: (name, label, icon, move, enabled, help)."""
    budget = specs[0].budget
    ends = [v.status in (training.FINISHED, training.FAILED) for v in views]
    stops = [s.stop_step if rule_stopped(s) else None for s in engine_snaps]
    failed = any(v.status in (training.FAILED, training.CANCELLED) for v in views)
    playing = cursor.playing and not failed  # a failed run is played again (retried) by Play
    can_play = failed or any(v.status == training.PAUSED for v in views)
    at_budget = playing and cursor.past_stop
    return [
        # Pause and Play are two buttons, one drawn at a time: a click the page sends twice
        # (seen in Chromium: two triggers for one click) then pauses twice, never pauses and
        # plays back (bench.lab_transport counts the triggers).
        (
            "pause",
            "Pause",
            ":material/pause:",
            lab_cursor.pause,
            lab_active(views),
            "Pause: your view stands still (the run trains on for anyone else watching it).",
        )
        if playing
        else (
            "play",
            "Play",
            ":material/play_arrow:",
            lambda v, c: lab_cursor.play(c),
            can_play,
            "Play: follow the runs as they train, from where you are.",
        ),
        (
            "step",
            f"+{lab_cursor.STEP_BY} steps",
            ":material/skip_next:",
            lambda v, c: lab_cursor.step_on(v, c, budget),
            not all(ends) and min(lab_cursor.shown_steps(views)) < budget,
            f"Show {lab_cursor.STEP_BY} more steps and pause there; at the rules' stop, past it.",
        ),
        (
            "stop",
            "The rules' stop",
            ":material/flag:",
            lambda v, c: lab_cursor.back_to_stop(stops, v),
            any(
                stop is not None and view.step != stop
                for stop, view in zip(stops, views, strict=True)
            ),
            "Each run at the step where its stopping rules stopped it, paused there (a run they "
            "have not stopped stays where it is shown).",
        ),
        (
            "budget",
            continue_label(engine_snaps),
            ":material/fast_forward:",
            lambda v, c: lab_cursor.to_budget(),
            not at_budget and not all(ends),
            "Past the rules' stop, on to the step budget: what the stop cost.",
        ),
    ]


def draw_transport(specs: Specs, engine_snaps: Snapshots, views: Snapshots) -> Any:
    """This session's playback buttons for both runs at once, in one row that ends with a
    container for the lab's download menu (returned)."""
    cursor = lab_cursor_of(specs)
    with st.container(horizontal=True, gap="small"):
        for name, label, icon, move, enabled, help_text in transport(
            specs, engine_snaps, views, cursor
        ):
            shortcut = KEYS.get(name)
            st.button(
                label,
                icon=icon,
                disabled=not enabled,
                key=f"lab_{name}",
                help=f"{help_text} Key: {shortcut}." if shortcut else help_text,
                shortcut=shortcut,
                on_click=lab_action,
                args=(specs, move),
            )
        return st.container()  # the download menu goes at the end of this row


def settled(snapshots: Snapshots, cursor: Cursor) -> bool:
    """Whether the engine's runs already hold everything ``cursor`` shows: each view paused
    at the step it is held at, at the rules' stop, or ended (nothing left to train for it)."""
    for run, view in enumerate(at_all(snapshots, cursor)):
        held = cursor.until(run)
        if view.status == training.PAUSED and held is not None and view.step >= held:
            continue
        if view.status not in (training.FINISHED, training.WAITING):
            return False
    return True


def lab_action(specs: Specs, move: Move) -> None:
    """A transport button: move this session's cursor from what it saw last; the button's own
    fragment, the runs', then draws it. When the runs must still train for it, that run waits
    for their first new steps and the lab polls a while (``draw_lab_runs`` starts the timer)."""
    shown = st.session_state.get(LAB_SHOWN)
    views: Snapshots = shown[1] if shown is not None and shown[0] == specs else ()
    if not views:  # nothing drawn for these runs in this session yet: as the engine has them
        views = lab_runs_now(specs, live=False)[1]
    cursor = move(views, lab_cursor_of(specs))
    st.session_state[LAB_CURSOR] = (specs, cursor)
    engine = lab_engine()
    resumed = False
    if cursor.playing or any(v.status in (training.FAILED, training.CANCELLED) for v in views):
        for spec in specs:
            with contextlib.suppress(KeyError):
                if engine.snapshot(spec).status in (training.FAILED, training.CANCELLED):
                    engine.resume(spec)
                    resumed = True
    try:
        snapshots = tuple(engine.snapshot(spec) for spec in specs)
    except KeyError:
        snapshots = ()
    if resumed or not snapshots or not settled(snapshots, cursor):
        st.session_state[LAB_WAIT_FROM] = (specs, lab_cursor.shown_steps(views))
        st.session_state["lab_poll_until"] = time.monotonic() + AFTER_ACTION_S


def lab_notice(snapshots: Snapshots, share: int, running: int) -> tuple[str, str] | None:
    """The one line the lab says above its runs, with its icon: a restarted training, a run
    held back by this visitor's share, or the queue (None: nothing to say)."""
    restarted = [s for s in snapshots if s.notice]
    if restarted:
        return str(restarted[0].notice), ":material/restart_alt:"
    if any(s.status == training.QUEUED and s.over_share for s in snapshots):
        return (
            f"Waiting: you already have {share} trainings running in other tabs or windows of "
            "this browser's address. Close one, or wait until one is done.",
            ":material/hourglass_top:",
        )
    queued = [s for s in snapshots if s.status == training.QUEUED and s.queue_position]
    if queued:
        return (
            f"Waiting for a free training slot: position {queued[0].queue_position} in the "
            f"queue ({running} trainings run at once on this server).",
            ":material/hourglass_top:",
        )
    return None


def lab_visitor() -> str | None:
    """Who this session is, for the engine's fair share: the client's address (after the
    trusted proxies, as the guard reads it); None where Streamlit does not know it."""
    peer = st.context.ip_address
    if not isinstance(peer, str) or not peer:  # None locally; not a string under AppTest
        return None
    forwarded = [h for h in st.context.headers.get_all("X-Forwarded-For") if isinstance(h, str)]
    return address_of(peer, forwarded, TRUSTED_PROXIES)[:200]


def lab_polling(snapshots: Snapshots) -> bool:
    return lab_active(snapshots) or time.monotonic() < st.session_state.get("lab_poll_until", 0)


def watch(specs: Specs) -> tuple[Snapshots, Snapshots]:
    """The runs as the engine has them, and as this session's cursor shows them (the view is
    also this session's heartbeat and its demand on the runs)."""
    cursor = lab_cursor_of(specs)
    snapshots = lab_engine().view(
        lab_session(),
        specs,
        demands=cursor.demands(len(specs)),
        redraw_s=lab_poll_interval(specs),
        visitor=lab_visitor(),
    )
    return snapshots, at_all(snapshots, cursor)


LAB_WAIT_FROM = "lab_wait_from"
"""Session key: the steps shown when a button asked for steps still to compute (the runs'
first draw after it waits for steps past them)."""


def lab_snapshots(specs: Specs) -> tuple[Snapshots, Snapshots]:
    """The runs as this session sees them; right after a change, once their first steps are
    in (at most ``FIRST_PICTURE_S``, or ``FIRST_PICTURE_STARTING_S`` while the training
    processes start), so that the first picture already shows a loss and a heatmap; after a
    button that asked for steps still to compute, once each run shows steps past those shown
    then (at most ``FIRST_PICTURE_S``: the first progress in the button's own redraw)."""
    starting = lab_engine().stats().ready == 0
    asked = st.session_state.pop(LAB_WAIT_FROM, None)
    since = asked[1] if asked is not None and asked[0] == specs else None

    def first_steps(views: Snapshots) -> bool:
        if since is None:
            return views[0].recorded >= 2
        return all(v.step > s or not lab_active((v,)) for v, s in zip(views, since, strict=False))

    snapshots, views = watch(specs)
    deadline = time.monotonic() + (FIRST_PICTURE_STARTING_S if starting else FIRST_PICTURE_S)
    while lab_active(views) and not first_steps(views) and time.monotonic() < deadline:
        time.sleep(0.02)
        snapshots, views = watch(specs)
    return snapshots, views


def draw_runs(
    engine_snaps: Snapshots, snapshots: Snapshots, remedy: str, chart: str, steps: int
) -> None:
    """The transport buttons and the runs' loss as this session sees them (``engine_snaps``:
    as the engine has them; ``chart``: the chart each run shows, for the download menu;
    ``steps``: the budget asked for); the runs' columns are ``draw_run_columns``'."""
    engine = lab_engine()
    specs = tuple(s.spec for s in snapshots)
    downloads = draw_transport(specs, engine_snaps, snapshots)
    # Drawn in every run, empty unless there is something to say: a notice drawn only while
    # queued moved the runs' columns fragment below it, and the run that left the queue raised
    # StreamlitInvalidLayoutContextError until a full rerun (bench.replicas, 2 replicas).
    notice = st.empty()
    said = lab_notice(snapshots, engine.max_per_visitor, engine.stats().running)
    if said is not None:
        notice.info(said[0], icon=said[1])
    result = lab_panel.compose(snapshots, remedy, chart, steps, lab_cursor_of(specs))
    with downloads:
        draw_downloads(lab_panel.PANEL.key, result.charts)
    draw_blocks(tuple(block for block in result.blocks if not isinstance(block, Columns)))


def draw_run_columns(chart_box: Any, specs: Specs, remedy: str, steps: int) -> None:
    """The chart choice (into its sidebar box) and the runs' columns, each with that chart (a
    fragment inside the runs'): a move of the chart choice reruns this alone, since nothing
    retrains; the loss and the buttons above are not sent again."""
    values = current_values()
    draw_controls(lab_panel.PANEL, chart_box, values, lambda c: c == LAB_CHART_GROUP)
    rerun_if_lesson_left()
    # Within the runs' redraw, the snapshots it drew (its buttons must agree with the runs'
    # statuses); rerun alone (a chart choice), read again, without a heartbeat (the runs'
    # fragment keeps the heartbeat).
    snapshots = st.session_state.pop(LAB_DRAWN, None) or lab_runs_now(specs, live=False)[1]
    cursor = lab_cursor_of(specs)
    result = lab_panel.compose(snapshots, remedy, lab_panel.chart_of(values), steps, cursor)
    draw_blocks(tuple(block for block in result.blocks if isinstance(block, Columns)))
    write_link()


def lab_poll_interval(specs: Specs) -> float:
    """Seconds between live redraws of these runs: ``LAB_POLL_PER_UNIT_S`` per hidden unit,
    at least ``LAB_POLL_S`` and at most ``LAB_POLL_MAX_S``."""
    units = max(spec.depth * spec.width for spec in specs)
    return float(min(max(LAB_POLL_S, LAB_POLL_PER_UNIT_S * units), LAB_POLL_MAX_S))


def lab_runs_now(specs: Specs, live: bool) -> tuple[Snapshots, Snapshots]:
    """The runs as the engine has them and as this session sees them. While they train,
    through the engine's heartbeat; once they are done, read without one, so that a look at
    finished runs (a chart choice) never wakes the training processes (the heartbeat only when
    the engine no longer holds them)."""
    engine = lab_engine()
    if not live:
        try:
            snapshots = tuple(engine.snapshot(spec) for spec in specs)
        except KeyError:
            pass
        else:
            return snapshots, at_all(snapshots, lab_cursor_of(specs))
    return watch(specs)


def draw_lab_runs(chart_box: Any, specs: Specs, remedy: str, steps: int, live: bool) -> None:
    """The runs (a fragment inside the lab's, redrawn by a timer while ``live``): the buttons
    and the loss, then the runs' columns with the chart choice (a fragment of their own). When
    the runs start or stop training (a transport button, the end of the runs), a rerun of the
    lab's fragment (a button) or of the page (the end of the runs) starts or cancels the timer
    (a fragment cannot change its own ``run_every``): a run that finds the timer must start or
    stop draws first, then reruns the page (a pause, or the first steps a button asked for,
    show at once)."""
    if LAB_WAIT_FROM in st.session_state:  # a button asked for steps still to compute
        engine_snaps, snapshots = lab_snapshots(specs)
    else:
        engine_snaps, snapshots = lab_runs_now(specs, live)
    draw_runs(engine_snaps, snapshots, remedy, lab_panel.chart_of(current_values()), steps)
    st.session_state[LAB_DRAWN] = snapshots
    st.session_state[LAB_SHOWN] = (specs, snapshots)
    st.fragment(draw_run_columns)(chart_box, specs, remedy, steps)
    if lab_polling(snapshots) != live:  # drawn first (it shows at once), then the timer set
        time.sleep(FLUSH_BEFORE_RERUN_S)
        st.rerun()


def lab_fragment(panel: Panel, box: Any) -> None:
    """The lab panel (a fragment): its training controls, and the runs, live while they train.
    A training control reruns this fragment, which starts the live redraw at once; a transport
    button reruns the runs' fragment, the chart choice only the runs' columns."""
    values = current_values()
    with box:
        chart_box = st.container()  # the chart choice heads the lab's controls
    draw_controls(panel, box, values, lambda c: c != LAB_CHART_GROUP)
    arguments = panel.arguments(values)
    mine, theirs, remedy = lab_panel.specs(arguments)
    steps = lab_panel.requested_steps(arguments)
    specs = (mine,) if theirs is None else (mine, theirs)
    live = lab_polling(lab_snapshots(specs)[1])
    with st.container(key=f"panel-{panel.key}"):
        st.markdown(f"#### {panel.title}")
        every = lab_poll_interval(specs) if live else None
        st.fragment(draw_lab_runs, run_every=every)(chart_box, specs, remedy, steps, live)
    rerun_if_lesson_left()
    write_link()


def draw_lab(panel: Panel, box: Any) -> None:
    """The lab panel, as a fragment with its key."""
    st.fragment(lab_fragment, key=LAB_FRAGMENT)(panel, box)


def start_processes(section: str) -> None:
    """A link that opens a section with the lab starts the training processes at once, before
    the page is drawn: a process takes about half a second to start, and this is ~0.3 s sooner
    than the lab's first view. Only then, and only when none is running: a visitor of another
    section never starts one (idle processes exit when no lab is watched)."""
    opened = page.SECTION_BY_KEY.get(section)
    if opened is None or not any(panel.live for panel in opened.panels):
        return
    engine = training.default_engine()
    if not engine.stats().workers:
        engine.view(lab_session(), ())
