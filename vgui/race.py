"""A panel's extras drawn with Streamlit: the buttons of a list of starts (``Starts``) under its
controls in the sidebar: add the sliders' start, remove one, clear them all."""

from __future__ import annotations

from typing import Any

import streamlit as st

from vgapp import page
from vgapp.controls import Starts
from vgapp.layout import Panel
from vgui.state import control_value, leave_lesson


def point_label(x: float, y: float) -> str:
    return f"({x:g}, {y:g})".replace("-", "−")


def held(control: Starts) -> tuple[tuple[float, float], ...]:
    value: tuple[tuple[float, float], ...] = control_value(control)
    return value


def add_start(control: Starts) -> None:
    """Callback: the start the sliders hold now (read at the click, not at the last draw)."""
    x_key, y_key = control.source
    start = (control_value(page.CONTROLS[x_key]), control_value(page.CONTROLS[y_key]))
    starts = held(control)
    if start not in starts and len(starts) < control.most:
        st.session_state[control.key] = control.canonical((*starts, start))
        leave_lesson()


def remove_start(control: Starts, index: int) -> None:
    starts = held(control)
    if index < len(starts):
        st.session_state[control.key] = starts[:index] + starts[index + 1 :]
        leave_lesson()


def clear_starts(control: Starts) -> None:
    st.session_state[control.key] = control.default
    leave_lesson()


def draw_starts(control: Starts, values: dict[str, Any]) -> None:
    """The race's buttons: add the sliders' start (not twice, at most ``most``), one button per
    start to remove it, and one to clear them all."""
    starts = values[control.key]
    x_key, y_key = control.source
    start = (values[x_key], values[y_key])
    st.caption(f"**{control.label}** ({len(starts)} of {control.most})")
    full, present = len(starts) >= control.most, start in starts
    reason = (
        f"The race holds {control.most} starts: remove one first."
        if full
        else "This start is in the race already: move the sliders (or click the chart) first."
        if present
        else control.help
    )
    st.button(
        f"Add this start {point_label(*start)} to the race",
        key=f"{control.key}_add",
        on_click=add_start,
        args=(control,),
        disabled=full or present,
        help=reason,
        icon=":material/add_location_alt:",
    )
    for index, (x, y) in enumerate(starts):
        st.button(
            f"Remove start {index + 1} {point_label(x, y)}",
            key=f"{control.key}_remove_{index}",
            on_click=remove_start,
            args=(control, index),
            help="Takes this start out of the race.",
            icon=":material/close:",
            type="tertiary",
        )
    if starts:
        st.button(
            "Clear the race",
            key=f"{control.key}_clear",
            on_click=clear_starts,
            args=(control,),
            help="Takes every start out of the race.",
            icon=":material/delete_sweep:",
            type="tertiary",
        )


def draw_extras(panel: Panel, box: Any, values: dict[str, Any]) -> None:
    """A panel's extras in its sidebar box, after its controls."""
    with box:
        for extra in panel.extras:
            draw_starts(extra, values)
