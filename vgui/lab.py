"""The training lab drawn live: the transport buttons, the runs as they train (a fragment
redrawn by a timer while they train) and the runs' columns with the chart choice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st

from vgapp import page
from vgapp.blocks import Columns
from vgapp.lab import panel as lab_panel
from vgapp.lab.run_charts import LAB_CHART
from vgapp.lab.runs import RunSpec
from vgapp.lab.training import engine as training
from vgapp.lab.view import continue_label
from vgapp.layout import Panel
from vgui.blocks import draw_blocks, draw_downloads
from vgui.state import current_values, rerun_if_lesson_left, write_link
from vgui.widgets import draw_controls

LAB_FRAGMENT = "lab"
"""The lab's fragment, by key (a transport button reruns it)."""
LAB_DRAWN = "lab_drawn"
"""Session key: the snapshots the runs' fragment drew, handed to the runs' columns."""
LAB_CHART_GROUP = next(caption for caption, keys in lab_panel.GROUPS if LAB_CHART.key in keys)
"""The lab's group of controls that only choose what is drawn (the runs' fragment draws it)."""

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


@st.cache_resource
def lab_engine() -> training.TrainingEngine:
    """The server's one training engine (shared by every session)."""
    return training.default_engine()


def lab_session() -> str:
    """This session's id for the engine (its heartbeat and its watched runs)."""
    return str(st.session_state.setdefault("lab_session", uuid.uuid4().hex))


Specs = tuple[RunSpec, ...]
Snapshots = tuple[training.Snapshot[RunSpec], ...]


def lab_active(snapshots: Snapshots) -> bool:
    return any(s.status in (training.QUEUED, training.RUNNING) for s in snapshots)


def draw_transport(engine: training.TrainingEngine, snapshots: Snapshots) -> Any:
    """Play, pause, step, stop and continue for both runs at once, in one row that ends with a
    container for the lab's download menu (returned)."""
    specs = [s.spec for s in snapshots]
    active = lab_active(snapshots)
    waiting = any(s.status == training.WAITING for s in snapshots)
    # Play resumes what a pause, a stop or a failure left; a run waiting at its rules' stop
    # trains on only by "continue", which says what that costs.
    held = [s.spec for s in snapshots if s.status in training.RESUMABLE]
    actions: list[tuple[str, str, Callable[[RunSpec], object], list[RunSpec], bool]] = [
        ("Train", ":material/play_arrow:", engine.resume, held, not active and bool(held)),
        ("Pause", ":material/pause:", engine.pause, specs, active),
        ("10 steps", ":material/skip_next:", lambda spec: engine.step(spec, 10), specs, not active),
        ("Stop", ":material/stop:", engine.cancel, specs, active),
        (
            continue_label(snapshots),  # the same estimate as the runs' metric
            ":material/fast_forward:",
            engine.continue_past_stop,
            specs,
            waiting,
        ),
    ]
    with st.container(horizontal=True, gap="small"):
        for label, icon, act, acted_on, enabled in actions:
            st.button(
                label,
                icon=icon,
                disabled=not enabled,
                key=f"lab_{label.split()[0]}",
                on_click=lab_action,
                args=(act, acted_on),
            )
        return st.container()  # the download menu goes at the end of this row


def lab_action(act: Callable[[RunSpec], object], specs: list[RunSpec]) -> None:
    """A transport button: ``act`` on the runs it acts on, then poll a while (the runs take a
    moment to react): the lab's fragment reruns, which sets the live redraw's timer (the
    button's own fragment, the runs', cannot)."""
    for spec in specs:
        act(spec)
    st.session_state["lab_poll_until"] = time.monotonic() + AFTER_ACTION_S
    st.rerun(LAB_FRAGMENT)


def lab_polling(snapshots: Snapshots) -> bool:
    return lab_active(snapshots) or time.monotonic() < st.session_state.get("lab_poll_until", 0)


def lab_snapshots(specs: Specs) -> Snapshots:
    """The runs as they stand; right after a change, once their first steps are in (at most
    ``FIRST_PICTURE_S``, or ``FIRST_PICTURE_STARTING_S`` while the training processes start),
    so that the first picture already shows a loss and a heatmap."""
    engine = lab_engine()
    starting = engine.stats().ready == 0
    snapshots = engine.view(lab_session(), specs)
    deadline = time.monotonic() + (FIRST_PICTURE_STARTING_S if starting else FIRST_PICTURE_S)
    while lab_active(snapshots) and snapshots[0].recorded < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
        snapshots = engine.view(lab_session(), specs)
    return snapshots


def draw_runs(snapshots: Snapshots, remedy: str, chart: str, steps: int) -> None:
    """The transport buttons and the runs' loss as they stand (``chart``: the chart each run
    shows, for the download menu; ``steps``: the budget asked for); the runs' columns are
    ``draw_run_columns``'."""
    engine = lab_engine()
    downloads = draw_transport(engine, snapshots)
    queued = [s for s in snapshots if s.status == training.QUEUED]
    # Drawn in every run, empty unless queued: a notice drawn only while queued moved the runs'
    # columns fragment below it, and the run that left the queue raised
    # StreamlitInvalidLayoutContextError until a full rerun (bench.replicas, 2 replicas).
    notice = st.empty()
    if queued:
        notice.info(
            f"Waiting for a free training slot: position {queued[0].queue_position} in the "
            f"queue ({engine.stats().running} trainings run at once on this server).",
            icon=":material/hourglass_top:",
        )
    result = lab_panel.compose(snapshots, remedy, chart, steps)
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
    snapshots = st.session_state.pop(LAB_DRAWN, None) or lab_runs_now(specs, live=False)
    result = lab_panel.compose(snapshots, remedy, lab_panel.chart_of(values), steps)
    draw_blocks(tuple(block for block in result.blocks if isinstance(block, Columns)))
    write_link()


def lab_poll_interval(specs: Specs) -> float:
    """Seconds between live redraws of these runs: ``LAB_POLL_PER_UNIT_S`` per hidden unit,
    at least ``LAB_POLL_S`` and at most ``LAB_POLL_MAX_S``."""
    units = max(spec.depth * spec.width for spec in specs)
    return float(min(max(LAB_POLL_S, LAB_POLL_PER_UNIT_S * units), LAB_POLL_MAX_S))


def lab_runs_now(specs: Specs, live: bool) -> Snapshots:
    """The runs as they stand. While they train, through the engine's heartbeat; once they are
    done, read without one, so that a look at finished runs (a chart choice) never wakes the
    training processes (the heartbeat only when the engine no longer holds them)."""
    engine = lab_engine()
    if not live:
        try:
            return tuple(engine.snapshot(spec) for spec in specs)
        except KeyError:
            pass
    return engine.view(lab_session(), specs)


def draw_lab_runs(chart_box: Any, specs: Specs, remedy: str, steps: int, live: bool) -> None:
    """The runs (a fragment inside the lab's, redrawn by a timer while ``live``): the buttons
    and the loss, then the runs' columns with the chart choice (a fragment of their own). When
    the runs start or stop training (a transport button, the end of the runs), a rerun of the
    lab's fragment (a button) or of the page (the end of the runs) starts or cancels the timer
    (a fragment cannot change its own ``run_every``); the run that finds the change draws
    nothing here, the next one does."""
    snapshots = lab_runs_now(specs, live)
    if lab_polling(snapshots) != live:
        st.rerun()
    draw_runs(snapshots, remedy, lab_panel.chart_of(current_values()), steps)
    st.session_state[LAB_DRAWN] = snapshots
    st.fragment(draw_run_columns)(chart_box, specs, remedy, steps)


def lab_fragment(panel: Panel, box: Any) -> None:
    """The lab panel (a fragment): its training controls, and the runs, live while they train.
    A training control or a transport button reruns this fragment, which starts the live
    redraw at once; the chart choice reruns only the runs' columns."""
    values = current_values()
    with box:
        chart_box = st.container()  # the chart choice heads the lab's controls
    draw_controls(panel, box, values, lambda c: c != LAB_CHART_GROUP)
    arguments = panel.arguments(values)
    mine, theirs, remedy = lab_panel.specs(arguments)
    steps = lab_panel.requested_steps(arguments)
    specs = (mine,) if theirs is None else (mine, theirs)
    live = lab_polling(lab_snapshots(specs))
    with st.container(key=f"panel-{panel.key}"):
        st.markdown(f"#### {panel.title}")
        every = lab_poll_interval(specs) if live else None
        st.fragment(draw_lab_runs, run_every=every)(chart_box, specs, remedy, steps, live)
    rerun_if_lesson_left()
    write_link()


def draw_lab(panel: Panel, box: Any) -> None:
    """The lab panel, as the fragment a transport button reruns by key."""
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
