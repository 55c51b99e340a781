"""Vanishing Gradient Explorer: the Streamlit page (the only module that imports Streamlit).

The page is drawn from the registry ``vgapp.page``: one tab per section of the argument, the
open section's controls in the sidebar, each panel a fragment (a move of one of its controls
redraws that panel alone), each view memoised and drawn from its blocks (``vgapp.blocks``).

The URL is the page's own: every control's non-default value, the open section and the lesson
are written to it after each run, so a copied link restores the exact view. Streamlit's
``bind="query-params"`` cannot do this here: it drops a widget's parameter as soon as the widget
is not drawn (a closed section), and its parser meets a visitor's text before the page can check
it. So the page reads the link itself (``vgapp.page.read_url``) before any widget exists.

Served by ``streamlit run app.py``: the file ends in an ``st.App``, which Streamlit finds by
reading the file; it imports the file once as a module when the server starts (so the first
visitor does not wait for pandas and ``vgapp`` to load) and runs it as ``__main__`` for every
visitor's run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import streamlit as st

from vgapp.lab.training import engine as training


def start_lab_processes() -> None:
    """A link that opens the lab starts the training processes at once, while the page's other
    modules load: a process takes about half a second to start, and this is ~0.3 s sooner than
    the lab's first view. Only for such a link, and only when none is running: a visitor of
    another section never starts one (idle processes exit when no lab is watched)."""
    link = st.query_params
    if link.get("section") != "lab" and not str(link.get("lesson", "")).startswith("lab_"):
        return
    engine = training.default_engine()
    if not engine.stats().workers:
        engine.view(str(st.session_state.setdefault("lab_session", uuid.uuid4().hex)), ())


if __name__ == "__main__":  # a visitor's run (Streamlit runs the page as __main__)
    start_lab_processes()

import pandas as pd  # noqa: E402 (after the processes are started: see above)

from vgapp import figures, page  # noqa: E402
from vgapp.blocks import Block, Chart, Columns, Metrics, PanelView, Table, Text  # noqa: E402
from vgapp.controls import Choice, Control, Number, applies, query_of  # noqa: E402
from vgapp.lab import panel as lab_panel  # noqa: E402
from vgapp.layout import Panel, Section  # noqa: E402

VIEW_CACHE_ENTRIES = 256
SECTION_LABELS = {section.key: section.label for section in page.SECTIONS}
LAB_FRAGMENT = "lab"
"""The lab's fragment, by key (a transport button reruns it)."""
LAB_DRAWN = "lab_drawn"
"""Session key: the snapshots the runs' fragment drew, handed to the runs' columns."""
LAB_CHART_GROUP = next(
    caption for caption, keys in lab_panel.GROUPS if lab_panel.LAB_CHART.key in keys
)
"""The lab's group of controls that only choose what is drawn (the runs' fragment draws it)."""


# ---------------------------------------------------------------- state and URL


def control_value(control: Control) -> Any:
    """A control's current value: its widget's, else its default (before the widget exists)."""
    raw = st.session_state.get(control.key, control.default)
    return control.canonical(raw) if raw is not None else control.default


def current_values() -> dict[str, Any]:
    return {key: control_value(control) for key, control in page.CONTROLS.items()}


def raw_query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def read_link() -> None:
    """Apply the URL when it is new to this session (its first run, or the visitor changed it):
    checked values set the controls, the rest are named in a notice and dropped."""
    state = st.session_state
    raw = raw_query()
    if state.get("url_seen") == raw:
        return
    values, section, lesson, notices = page.read_url(raw)
    for key, control in page.CONTROLS.items():
        state[key] = values.get(key, control.default)
    forget_folds()
    state["section"] = section or page.SECTION_KEYS[0]
    state["lesson"] = lesson
    state["url_notices"] = notices
    state["url_seen"] = raw


def write_link() -> None:
    """Put the page's state into the URL: every non-default value, the section, the lesson."""
    state = st.session_state
    query = query_of(current_values(), tuple(page.CONTROLS.values()))
    section = state.get("section") or page.SECTION_KEYS[0]
    if section != page.SECTION_KEYS[0]:
        query["section"] = section
    if state.get("lesson"):
        query["lesson"] = state["lesson"]
    wanted = {key: [value] for key, value in query.items()}
    if wanted != raw_query():
        st.query_params.from_dict(query)
    state["url_seen"] = wanted


def apply_lesson() -> None:
    """Callback of the lesson pills: open the lesson's section and set its controls."""
    state = st.session_state
    lesson = state.get("lesson")
    if lesson in page.LESSONS:
        state.update(page.lesson_values(lesson))
        state["section"] = page.LESSONS[lesson].section
        forget_folds()


def leave_lesson() -> None:
    """Callback of every control: a changed control no longer shows the lesson's view."""
    if st.session_state.get("lesson"):
        st.session_state["lesson"] = None
        st.session_state["lesson_left"] = True


def rerun_if_lesson_left() -> None:
    """After a panel's control left the lesson, rerun the page: the lesson pills (outside the
    panel's fragment) must show that it was left."""
    if st.session_state.pop("lesson_left", False):
        st.rerun()


def reset_controls() -> None:
    """Callback of the reset button: every control back to its default, no lesson."""
    st.session_state.update(page.defaults())
    st.session_state["lesson"] = None
    forget_folds()


def forget_folds() -> None:
    """The controls were set from outside (a lesson, a link, the reset): each fold opens again
    by what it holds (``Panel.starts_open``) when next drawn."""
    for key in page.FOLD_KEYS:
        st.session_state.pop(key, None)


def open_section(key: str) -> None:
    st.session_state["section"] = key


# ---------------------------------------------------------------- controls


def draw_control(control: Control, values: dict[str, Any]) -> Any:
    """Draw one control (its value lives in the session state under its key, kept while its
    section is closed) and return its value."""
    state = st.session_state
    if state.get(control.key) is None:
        state[control.key] = control.default
    key, label, help_text = control.key, control.label, control.help
    disabled = not applies(control, values)
    keep: Literal["page"] = "page"  # the value survives while the control is not drawn
    value: Any
    if isinstance(control, Number):
        kind: Callable[[float], float] = int if control.integer else float
        low, high, step = kind(control.low), kind(control.high), kind(control.step)
        if control.widget == "slider":
            value = st.slider(label, low, high, step=step, format=control.format, key=key,
                              help=help_text, on_change=leave_lesson, disabled=disabled,
                              persist_state=keep)  # fmt: skip
        else:
            value = st.number_input(label, low, high, step=step, format=control.format, key=key,
                                    help=help_text, on_change=leave_lesson, disabled=disabled,
                                    persist_state=keep)  # fmt: skip
    elif isinstance(control, Choice):
        options, labels = control.options, control.label_of
        if control.widget == "segmented":
            value = st.segmented_control(label, options, format_func=labels, key=key,
                                         required=True, help=help_text, on_change=leave_lesson,
                                         disabled=disabled, persist_state=keep)  # fmt: skip
        elif control.widget == "select_slider":
            value = st.select_slider(label, options, format_func=labels, key=key, help=help_text,
                                     on_change=leave_lesson, disabled=disabled,
                                     persist_state=keep)  # fmt: skip
        else:
            value = st.selectbox(label, options, format_func=labels, key=key, help=help_text,
                                 on_change=leave_lesson, disabled=disabled,
                                 persist_state=keep)  # fmt: skip
    else:
        value = st.toggle(label, key=key, help=help_text, on_change=leave_lesson,
                          disabled=disabled, persist_state=keep)  # fmt: skip
    value = control.canonical(value)
    values[key] = value
    return value


def draw_controls(
    panel: Panel, box: Any, values: dict[str, Any], groups: Callable[[str], bool] | None = None
) -> None:
    """A panel's controls in its sidebar box, by group (each group under its caption, or in a
    fold: ``Panel.folds``); only the groups whose caption ``groups`` accepts (default: all).
    A fold draws its controls only while open; opening it reruns the panel's fragment."""
    folds = dict(panel.folds)
    for caption, controls in panel.grouped():
        if groups is not None and not groups(caption):
            continue
        where = box
        if caption in folds:
            key = panel.fold_key(caption)
            if key not in st.session_state:
                st.session_state[key] = panel.starts_open(caption, values)
            where = box.expander(caption, expanded=folds[caption], key=key, on_change="rerun")
            if not where.open:
                continue
        elif caption:
            box.caption(f"**{caption}**")
        with where:
            for control in controls:
                draw_control(control, values)


# ---------------------------------------------------------------- views


@st.cache_resource(max_entries=VIEW_CACHE_ENTRIES, show_spinner=False)
def cached_view(panel: str, arguments: tuple[tuple[str, Any], ...]) -> PanelView:
    """A panel's view, memoised on its arguments and shared by all sessions (views are
    read-only: held, not copied, on each hit)."""
    return page.PANELS[panel].view(**dict(arguments))


def view_of(panel: Panel, values: dict[str, Any]) -> PanelView:
    return cached_view(panel.key, tuple(sorted(panel.arguments(values).items())))


# ---------------------------------------------------------------- drawing


def draw_blocks(blocks: tuple[Block, ...]) -> None:
    for block in blocks:
        draw_block(block)


def draw_block(block: Block) -> None:
    if isinstance(block, Metrics):
        # Each metric as wide as its text, wrapping onto a new row where the panel is narrow
        # (a column per metric would cut long labels and values on a projector or a phone).
        with st.container(horizontal=True, wrap=True, gap="medium"):
            for metric in block.items:
                st.metric(metric.label, metric.value, help=metric.help, width="content")
    elif isinstance(block, Chart):
        draw_chart(block)
    elif isinstance(block, Table):
        st.markdown(table_markdown(block))
    elif isinstance(block, Text):
        if block.kind == "caption":
            st.caption(block.text)
        elif block.kind == "info":
            st.info(block.text)
        elif block.kind == "correction":
            st.info(block.text, icon=":material/edit_note:")
        elif block.kind == "warning":
            st.warning(block.text)
        else:
            st.markdown(block.text)
    elif isinstance(block, Columns) and block.flow is not None:
        with st.container(horizontal=True, wrap=True, gap="medium"):
            for blocks in block.columns:
                with st.container(width=block.flow):
                    draw_blocks(blocks)
    elif isinstance(block, Columns):
        widths = list(block.widths) or len(block.columns)
        for column, blocks in zip(st.columns(widths, gap="medium"), block.columns, strict=True):
            with column:
                draw_blocks(blocks)


def table_markdown(table: Table) -> str:
    """A small table as a list, one row per item: the first cell in bold, then each other
    cell after its column's name (it wraps in a narrow column, where a grid would cut it)."""
    frame = table.frame
    lines = [f"**{table.title}**", ""] if table.title else []
    first, *rest = frame.columns
    for _, row in frame.iterrows():
        cells = "; ".join(f"{name}: {row[name]}" for name in rest)
        lines.append(f"- **{row[first]}**: {cells}")
    return "\n".join(lines)


def draw_chart(chart: Chart) -> None:
    """A Vega-Lite chart with its text alternative (for screen readers, and as a caption).
    The alternative replaces the spec's description, which is left out: with both, Streamlit
    logs a warning with a stack trace on every draw."""
    spec = {key: value for key, value in chart.spec.items() if key != "description"}
    st.vega_lite_chart(spec=spec, width="stretch" if chart.stretch else "content", alt=chart.alt)
    if chart.caption:
        st.caption(chart.alt)


def csv_text(frame: pd.DataFrame) -> str:
    return str(frame.to_csv(index=False))


DOWNLOADS: tuple[tuple[str, Callable[[Chart], Callable[[], str | bytes]], str, str], ...] = (
    ("CSV data", lambda c: partial(csv_text, c.frame), "csv", "text/csv"),
    ("SVG figure", lambda c: partial(figures.svg, c.spec), "svg", "image/svg+xml"),
    ("PNG figure", lambda c: partial(figures.png, c.spec), "png", "image/png"),
)  # fmt: skip
"""Per chart: label, the data (made only when the button is clicked), extension, MIME type."""


def draw_downloads(panel: str, charts: tuple[Chart, ...]) -> None:
    """Under a panel, one menu with each chart's data (CSV) and figure for slides (SVG, PNG,
    rendered on the server only when asked for). The menu is filled only while it is open (its
    opening reruns the panel's fragment): a move of a control then sends five elements per
    chart fewer."""
    if not charts:
        return
    menu = st.popover(
        "Data and figures", icon=":material/download:", key=f"downloads_{panel}", on_change="rerun"
    )
    if not menu.open:
        return
    with menu:
        for chart in charts:
            st.caption(chart.name)
            with st.container(horizontal=True, gap="small"):
                for label, data, extension, mime in DOWNLOADS:
                    st.download_button(
                        label,
                        data(chart),
                        file_name=f"{chart.name}.{extension}",
                        mime=mime,
                        key=f"{extension}_{chart.name}",
                        on_click="ignore",
                    )


@st.fragment
def draw_panel(key: str, box: Any) -> None:
    """One panel: its controls (into its sidebar box) and its view. A move of one of its
    controls reruns this fragment alone."""
    panel = page.PANELS[key]
    values = current_values()
    draw_controls(panel, box, values)
    result = view_of(panel, values)
    with st.container(key=f"panel-{key}"):
        st.markdown(f"#### {result.heading or panel.title}")
        draw_blocks(result.blocks)
        draw_downloads(key, result.charts)
    rerun_if_lesson_left()
    write_link()


# ---------------------------------------------------------------- the training lab

LAB_POLL_S = 0.3
"""How often the lab redraws while a small network trains."""
LAB_POLL_PER_UNIT_S = 0.5 / 512
"""Seconds between redraws per hidden unit (depth x width) of the larger network: 0.5 s at
512 units, 2.5 s at 20 x 128. A redraw's cost grows with the network (its heatmap and fit):
0.03-0.4 s of server time for 6 x 32, 0.5-2 s for 20 x 128 when each run drew three charts
(measured on this machine), with the browser's drawing on top; redrawn every 0.5 s, the largest
setting then left its niced training processes about a tenth of a core each."""
LAB_POLL_MAX_S = 3.0
"""The longest wait between live redraws, however large the network."""
FIRST_PICTURE_S = 0.2
"""After a change, how long the lab waits for the first steps before it draws (so the first
picture already shows a loss and a heatmap)."""
FIRST_PICTURE_STARTING_S = 0.6
"""The same wait on a fresh server's first visit, while the training processes start (they are
started when the page's run starts, and send their first steps ~0.4 s later): the first run then
carries the first picture, and the browser does not lay the lab out twice: a fresh server's
default lab was done ~0.1 s sooner (fresh-server loads of the page with and without the wait
alternated in one run, eight each, lab_in_page's readiness test: medians 3.12 and 3.23 s)."""
AFTER_ACTION_S = 2.0
"""After a button, the lab polls at least this long (the runs take a moment to react)."""


@st.cache_resource
def lab_engine() -> training.TrainingEngine:
    """The server's one training engine (shared by every session)."""
    return training.default_engine()


def lab_session() -> str:
    """This session's id for the engine (its heartbeat and its watched runs)."""
    return str(st.session_state.setdefault("lab_session", uuid.uuid4().hex))


Snapshots = tuple[training.Snapshot, ...]


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
    left = max((s.seconds_left or 0.0) for s in snapshots)
    actions: list[tuple[str, str, Callable[[Any], Any], list[Any], bool]] = [
        ("Train", ":material/play_arrow:", engine.resume, held, not active and bool(held)),
        ("Pause", ":material/pause:", engine.pause, specs, active),
        ("10 steps", ":material/skip_next:", lambda spec: engine.step(spec, 10), specs, not active),
        ("Stop", ":material/stop:", engine.cancel, specs, active),
        (
            f"Continue to the budget (≈ {left:,.0f} s)" if left else "Continue to the budget",
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


def lab_action(act: Callable[[Any], Any], specs: list[Any]) -> None:
    """A transport button: ``act`` on the runs it acts on, then poll a while (the runs take a
    moment to react): the lab's fragment reruns, which sets the live redraw's timer (the
    button's own fragment, the runs', cannot)."""
    for spec in specs:
        act(spec)
    st.session_state["lab_poll_until"] = time.monotonic() + AFTER_ACTION_S
    st.rerun(LAB_FRAGMENT)


def lab_polling(snapshots: Snapshots) -> bool:
    return lab_active(snapshots) or time.monotonic() < st.session_state.get("lab_poll_until", 0)


def lab_snapshots(specs: tuple[Any, ...]) -> Snapshots:
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
        draw_downloads("lab", result.charts)
    draw_blocks(tuple(block for block in result.blocks if not isinstance(block, Columns)))


def draw_run_columns(chart_box: Any, specs: tuple[Any, ...], remedy: str, steps: int) -> None:
    """The chart choice (into its sidebar box) and the runs' columns, each with that chart (a
    fragment inside the runs'): a move of the chart choice reruns this alone, since nothing
    retrains; the loss and the buttons above are not sent again (a chart choice sent 37
    messages, now 28: bench.browser_latency)."""
    values = current_values()
    draw_controls(page.PANELS["lab"], chart_box, values, lambda c: c == LAB_CHART_GROUP)
    rerun_if_lesson_left()
    # Within the runs' redraw, the snapshots it drew (its buttons must agree with the runs'
    # statuses); rerun alone (a chart choice), read again, without a heartbeat (the runs'
    # fragment keeps the heartbeat).
    snapshots = st.session_state.pop(LAB_DRAWN, None) or lab_runs_now(specs, live=False)
    result = lab_panel.compose(snapshots, remedy, lab_panel.chart_of(values), steps)
    draw_blocks(tuple(block for block in result.blocks if isinstance(block, Columns)))
    write_link()


def lab_poll_interval(specs: tuple[Any, ...]) -> float:
    """Seconds between live redraws of these runs: ``LAB_POLL_PER_UNIT_S`` per hidden unit,
    at least ``LAB_POLL_S`` and at most ``LAB_POLL_MAX_S``."""
    units = max(spec.depth * spec.width for spec in specs)
    return min(max(LAB_POLL_S, LAB_POLL_PER_UNIT_S * units), LAB_POLL_MAX_S)


def lab_runs_now(specs: tuple[Any, ...], live: bool) -> Snapshots:
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


def draw_lab_runs(
    chart_box: Any, specs: tuple[Any, ...], remedy: str, steps: int, live: bool
) -> None:
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


def draw_lab(box: Any) -> None:
    """The lab panel (a fragment): its training controls, and the runs, live while they train.
    A training control or a transport button reruns this fragment, which starts the live
    redraw at once; the chart choice reruns only the runs' columns."""
    panel = page.PANELS["lab"]
    values = current_values()
    with box:
        chart_box = st.container()  # the chart choice heads the lab's controls
    draw_controls(panel, box, values, lambda c: c != LAB_CHART_GROUP)
    arguments = panel.arguments(values)
    mine, theirs, remedy = lab_panel.specs(arguments)
    steps = lab_panel.requested_steps(arguments)
    specs = (mine,) if theirs is None else (mine, theirs)
    live = lab_polling(lab_snapshots(specs))
    with st.container(key="panel-lab"):
        st.markdown(f"#### {panel.title}")
        every = lab_poll_interval(specs) if live else None
        st.fragment(draw_lab_runs, run_every=every)(chart_box, specs, remedy, steps, live)
    rerun_if_lesson_left()
    write_link()


def draw_header() -> None:
    """Title, the student's question, the one-line answer and the lessons."""
    st.markdown(f"#### {page.TITLE}")
    if st.session_state.get("section", page.SECTION_KEYS[0]) == page.SECTION_KEYS[0]:
        st.markdown(f"**{page.QUESTION}** {page.ANSWER}")
    else:  # the answer section states the answer; the others recall the question
        st.markdown(f"**{page.QUESTION}**")
    st.pills(
        "Lessons: presets in the order of the argument (one click opens its section)",
        page.LESSON_KEYS,
        format_func=lambda key: page.LESSONS[key].label,
        key="lesson",
        on_change=apply_lesson,
        wrap=True,
    )
    lesson = st.session_state.get("lesson")
    if lesson in page.LESSONS:
        st.caption(page.LESSONS[lesson].note)
    notices = st.session_state.get("url_notices") or []
    if notices:
        st.warning(
            "Some settings in this link could not be used: " + "; ".join(notices) + ".",
            icon=":material/link_off:",
        )


def sidebar_box(panel: Panel) -> Any:
    """Where a panel's controls go in the sidebar: under its title, in a fold of its own unless
    it has folds (Streamlit does not nest them)."""
    if not panel.folds:
        return st.sidebar.expander(panel.title, expanded=True)
    box = st.sidebar.container()
    box.markdown(f"**{panel.title}**")
    return box


def draw_section(section: Section) -> None:
    """The open section: its step of the argument, its panels and the way on."""
    if section.intro:
        st.markdown(f"*{section.step}.* {section.intro}")
    with st.sidebar:
        st.markdown(f"**Controls: {section.label}**")
        st.button(
            "Reset all controls",
            on_click=reset_controls,
            icon=":material/restart_alt:",
            help="Every control of every section back to its default.",
            type="tertiary",
        )
    boxes = [sidebar_box(panel) for panel in section.panels]
    if section.key == "lab":
        st.fragment(draw_lab, key=LAB_FRAGMENT)(boxes[0])
    elif section.side_by_side:
        for column, panel, box in zip(
            st.columns(len(section.panels), gap="medium"), section.panels, boxes, strict=True
        ):
            with column:
                draw_panel(panel.key, box)
    else:
        for panel, box in zip(section.panels, boxes, strict=True):
            draw_panel(panel.key, box)
    following = page.next_section(section.key)
    if following is not None:
        st.button(
            f"Next: {following.label}",
            on_click=open_section,
            args=(following.key,),
            icon=":material/arrow_forward:",
            key=f"next_{section.key}",
        )


def main() -> None:
    st.set_page_config(page_title=page.TITLE, layout="wide")
    read_link()
    draw_header()
    chosen = st.segmented_control(
        "Sections of the argument, one open at a time",
        page.SECTION_KEYS,
        format_func=SECTION_LABELS.__getitem__,
        key="section",
        required=True,
        wrap=True,
        width="stretch",
        label_visibility="collapsed",
    )
    draw_section(page.SECTION_BY_KEY[chosen or page.SECTION_KEYS[0]])
    write_link()


if __name__ == "__main__":
    main()
else:
    # ``streamlit run app.py`` finds this App by reading the file, imports the file once as a
    # module when the server starts (which loads pandas and vgapp before the first visitor: a
    # fresh server's first run took ~0.27 s of server time instead of ~1.05 s, traced
    # 2026-12-02) and serves the same file as the page. The guard runs before Streamlit's own
    # handlers on every request (vgserve.guard: message budget, refused developer messages,
    # metrics for loopback only, frame-ancestors).
    from starlette.middleware import Middleware

    from vgserve.guard import Guard

    app = st.App(__file__, middleware=[Middleware(Guard)])
