"""A panel's controls as Streamlit widgets in the sidebar, by group and fold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import streamlit as st

from vgapp.controls import Choice, Control, Number, applies
from vgapp.layout import Panel
from vgui.state import class_view, leave_lesson


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
    A fold draws its controls only while open; opening it reruns the panel's fragment. A control
    a class link hides is not drawn (its value still applies), nor a group left empty."""
    folds = dict(panel.folds)
    view = class_view()
    for caption, every in panel.grouped():
        controls = [control for control in every if view.shows_control(control.key)]
        if not controls or (groups is not None and not groups(caption)):
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
