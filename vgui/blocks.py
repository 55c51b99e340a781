"""A view's blocks drawn with Streamlit, and a panel's menu of data and figures."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from vgapp import figures
from vgapp.blocks import Block, Chart, Columns, Fold, Metrics, Pick, Table, Text
from vgui.state import leave_lesson


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
    elif isinstance(block, Pick):
        draw_pick(block)
    elif isinstance(block, Fold):
        with st.expander(block.label, expanded=False):
            draw_blocks(block.blocks)
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


INVISIBLE = "\u200b"
"""A zero-width space: Streamlit identifies a pill by its label's text, so equal labels ("0")
are told apart by a different number of these (invisible) after each."""


def draw_pick(block: Pick) -> None:
    """A ``Pick`` as pills (one button per option, keyboard reachable, wrapping): a click sets
    the control in a callback, before the panel's fragment reruns, and the pills clear again;
    a refused option's sentence is shown once, under the pills."""
    refused = st.session_state.pop(f"{block.key}_refused", None)
    st.pills(
        block.label,
        range(len(block.options)),
        format_func=lambda index: block.options[index].label + INVISIBLE * index,
        key=block.key,
        help=block.help or None,
        on_change=picked,
        args=(block,),
        wrap=True,
    )
    if refused:
        st.warning(refused, icon=":material/block:")


def picked(block: Pick) -> None:
    """Callback of a ``Pick``: the clicked option's value into its control, or its refusal
    into the session for the next draw."""
    state = st.session_state
    index = state.get(block.key)
    state[block.key] = None
    if index is None:
        return
    option = block.options[index]
    if option.value is None:
        state[f"{block.key}_refused"] = option.refusal
    else:
        state[block.control] = option.value
        leave_lesson()


def table_markdown(table: Table) -> str:
    """A small table as a list, one row per item: the first cell in bold, then each other
    cell after its column's name (it wraps in a narrow column, where a grid would cut it); a
    table of two columns, whose second is a sentence, without the name."""
    frame = table.frame
    lines = [f"**{table.title}**", ""] if table.title else []
    first, *rest = frame.columns
    for _, row in frame.iterrows():
        cells = "; ".join(
            f"{name}: {row[name]}" if len(rest) > 1 else str(row[name]) for name in rest
        )
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
