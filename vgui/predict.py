"""Predict, then see (``vgapp.predict``) drawn: while "Predict first" is on (``predict=1``),
a panel with a question asks it above its view and covers what gives the answer away, until the
student answers for the current setting; then the reveal compares the answer with the page's
own numbers. The answers live in this session's state only."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from vgapp.blocks import PanelView
from vgapp.predict import QUESTIONS, Asked, covered, reveal

PREDICT = "predict"
"""The view flag (and its toggle's key): ``vgapp.page.VIEW_FLAGS``."""
ANSWERS = "predict_answers"
"""Session key: panel -> (the setting it was answered for, the answer given)."""
UNANSWERED = "predict_unanswered"
"""Session key: panel -> the setting where "Check" was pressed with no answer chosen."""

Setting = tuple[tuple[str, Any], ...]


def predicting() -> bool:
    """Whether the page asks before it shows (the toggle, or ``predict=1`` in the link)."""
    return bool(st.session_state.get(PREDICT, False))


def ask(panel: str, view: PanelView, values: dict[str, Any]) -> PanelView:
    """Draw the panel's question (or, once answered for this setting, the reveal) and return
    the view to draw under it: covered until the question is answered."""
    question = QUESTIONS.get(panel)
    if question is None or not predicting():
        return view
    asked = question.ask(values, view.facts)
    if asked is None:  # no question for this setting (e.g. w is ∞ in the precision)
        return view
    setting = question.setting(values)
    given = st.session_state.get(ANSWERS, {}).get(panel)
    with st.container(border=True, key=f"predict_{panel}"):
        if given is not None and given[0] == setting:
            right, text = reveal(asked, given[1])
            icon = ":material/check_circle:" if right else ":material/lightbulb:"
            (st.success if right else st.info)(text, icon=icon)
            return view
        draw_form(panel, asked, setting)
    return covered(view, question.hides)


def draw_form(panel: str, asked: Asked, setting: Setting) -> None:
    """The question, its answer input and "Check" in a form (nothing reruns until it is
    submitted; Enter submits). Its widgets are keyed by the setting: a new setting asks anew."""
    key = f"predict_{panel}_" + hashlib.sha1(repr(setting).encode()).hexdigest()[:12]
    with st.form(key=f"{key}_form", border=False):
        st.markdown(f"**Predict first.** {asked.text}")
        labels = dict(asked.choices)
        if asked.numbers is not None:
            low, high = asked.numbers
            st.number_input(
                "Your answer: the depth L",
                min_value=low,
                max_value=high,
                value=None,
                step=1,
                key=f"{key}_answer",
                placeholder=f"a depth from {low:,} to {high:,}",
            )
        else:
            st.radio(
                "Your answer",
                [choice for choice, _ in asked.choices],
                index=None,
                format_func=labels.__getitem__,
                key=f"{key}_answer",
            )
        with st.container(horizontal=True, gap="small"):
            st.form_submit_button(
                "Check",
                on_click=record,
                args=(panel, setting, f"{key}_answer", None),
                type="primary",
                icon=":material/done:",
            )
            if asked.numbers is not None:  # the named answers beside a number: "never"
                for choice, label in asked.choices:
                    st.form_submit_button(
                        f"Answer: {label}",
                        on_click=record,
                        args=(panel, setting, f"{key}_answer", choice),
                    )
    if st.session_state.get(UNANSWERED, {}).get(panel) == setting:
        st.warning("Choose or type an answer first, then press Check.")


def record(panel: str, setting: Setting, answer_key: str, chosen: str | None) -> None:
    """Callback of the form's buttons: keep the answer for this setting (this session only)."""
    state = st.session_state
    given = chosen if chosen is not None else state.get(answer_key)
    unanswered = dict(state.get(UNANSWERED, {}))
    if given is None:
        unanswered[panel] = setting
    else:
        unanswered.pop(panel, None)
        value = int(given) if isinstance(given, int | float) else str(given)
        state[ANSWERS] = {**state.get(ANSWERS, {}), panel: (setting, value)}
    state[UNANSWERED] = unanswered
