"""The chain's backward walk (``vgapp.panels.chain_walk``) drawn under the chain panel: a fold
that draws nothing until opened, then a fragment of its own (a step or a slider move redraws the
walk alone), with a timer only while it plays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from vgapp.blocks import PanelView
from vgapp.layout import Panel
from vgapp.panels import chain, chain_walk
from vgapp.panels.chain_walk import TICK_S, WALK_LAYER, next_layer, shown_layer, stored_layer
from vgui.blocks import draw_blocks
from vgui.state import current_values, write_link

ChainView = Callable[[Panel, dict[str, Any]], PanelView]
"""The chain panel's memoised view (``vgui.sections.view_of``)."""
WALK_FRAGMENT = "chain_walk"
"""The walk's fragment key (a button reruns it, which starts or stops the play timer)."""
PLAYING = "walk_playing"
"""Session key: whether the walk plays."""
BOX = "walk_box"
"""The walk's container key (``.st-key-walk_box`` in the page)."""
SLIDER = "walk_layer_slider"
"""The slider's widget key, with a number that changes whenever the page itself moves the
cursor (a button, a tick of the play): the page never writes into a widget the browser holds,
whose older value, sent back with the next run (a tick, a rerun), would read as a move. The
control's value (which may be the default, "the top") lives under ``walk_layer``."""
MOVES = "walk_moves"
"""Session key: how many times the page moved the cursor (the slider's key number)."""


def draw_walk_fold(view_of_chain: ChainView) -> None:
    """The fold under the chain panel; opened, the walk's fragment. ``view_of_chain`` gives
    the chain panel's (memoised) view for the current values."""
    state = st.session_state
    if chain_walk.FOLD_KEY not in state:  # a link or a lesson that sets the cursor opens it
        state[chain_walk.FOLD_KEY] = state.get(WALK_LAYER.key, WALK_LAYER.default) != (
            WALK_LAYER.default
        )
    fold = st.expander(chain_walk.FOLD, key=chain_walk.FOLD_KEY, on_change="rerun")
    if not fold.open:
        state[PLAYING] = False
        return
    with fold:
        st.fragment(walk_fragment, key=WALK_FRAGMENT)(view_of_chain)


def walk_fragment(view_of_chain: ChainView) -> None:
    """The walk: drawn at once, or by a fragment on a timer while it plays."""
    if st.session_state.get(PLAYING):
        st.fragment(draw_walk, run_every=TICK_S)(view_of_chain, True)
    else:
        draw_walk(view_of_chain, False)


def walk_of(view_of_chain: ChainView) -> tuple[PanelView, int]:
    values = current_values()
    chain_view = view_of_chain(chain.PANEL, values)
    report = chain_view.facts["report"]
    return chain_walk.view(report, values[WALK_LAYER.key]), report.depth


def draw_walk(view_of_chain: ChainView, playing: bool) -> None:
    """The cursor (buttons and slider) and the walk at its layer; while ``playing``, each run
    first moves the cursor one sampled layer further back (the last layer ends the play)."""
    state = st.session_state
    result, depth = walk_of(view_of_chain)
    layers, layer = result.facts["layers"], result.facts["layer"]
    if playing:
        following = next_layer(layers, layer, 1)
        state[WALK_LAYER.key] = stored_layer(following, depth)
        state[MOVES] = state.get(MOVES, 0) + 1
        if following == layer or following == 1:
            state[PLAYING] = False
        result, depth = walk_of(view_of_chain)
        layer = result.facts["layer"]
    with st.container(key=BOX):
        draw_buttons(depth, layers, layer, playing and bool(state.get(PLAYING)))
        slider = f"{SLIDER}_{state.get(MOVES, 0)}"
        label = WALK_LAYER.label
        if depth > len(layers):
            label += f": {len(layers)} of the {depth} layers"
        st.select_slider(
            label, sorted({*layers, layer}, reverse=True), value=layer, key=slider,
            on_change=slid, args=(depth, slider), help=WALK_LAYER.help,
        )  # fmt: skip
        draw_blocks(result.blocks)
    write_link()
    if playing and not state.get(PLAYING):  # the last layer: the timer stops with a full run
        st.rerun()


def draw_buttons(depth: int, layers: list[int], layer: int, playing: bool) -> None:
    """Top, up, play or pause, down: in one row."""
    with st.container(horizontal=True, gap="small", key="walk_buttons"):
        st.button(
            "Top", icon=":material/first_page:", key="walk_top", on_click=move,
            args=(depth, layers, None), disabled=layer == depth,
            help=f"Back to the top layer L = {depth}, where the walk starts.",
        )  # fmt: skip
        st.button(
            "Up", icon=":material/chevron_left:", key="walk_up", on_click=move,
            args=(depth, layers, -1), disabled=layer == depth,
            help="One sampled layer back up, toward L.",
        )  # fmt: skip
        if playing:
            st.button(
                "Pause", icon=":material/pause:", key="walk_pause", on_click=play, args=(False,),
                help="Stop the walk at this layer.",
            )  # fmt: skip
        else:
            st.button(
                "Play", icon=":material/play_arrow:", key="walk_play", on_click=play,
                args=(True, layer == 1, depth),
                help="Walk back one sampled layer at a time, down to layer 1.",
            )  # fmt: skip
        st.button(
            "Down", icon=":material/chevron_right:", key="walk_down", on_click=move,
            args=(depth, layers, 1), disabled=layer == 1,
            help="One sampled layer further back, toward layer 1.",
        )  # fmt: skip


def move(depth: int, layers: list[int], step: int | None) -> None:
    """A step button: one sampled layer down (1) or up (-1), or the top (None); it pauses."""
    state = st.session_state
    layer = shown_layer(state.get(WALK_LAYER.key, WALK_LAYER.default), depth)
    target = depth if step is None else next_layer(layers, layer, step)
    state[WALK_LAYER.key] = stored_layer(target, depth)
    state[MOVES] = state.get(MOVES, 0) + 1
    if state.get(PLAYING):
        play(False)


def slid(depth: int, slider: str) -> None:
    """The slider moved: the control follows; it pauses."""
    st.session_state[WALK_LAYER.key] = stored_layer(int(st.session_state[slider]), depth)
    if st.session_state.get(PLAYING):
        play(False)


def play(on: bool, restart: bool = False, depth: int = 0) -> None:
    """Play or pause; the walk's fragment reruns to start or stop its timer. Play at layer 1
    starts again from the top."""
    st.session_state[PLAYING] = on
    if restart:
        st.session_state[WALK_LAYER.key] = stored_layer(depth, depth)
        st.session_state[MOVES] = st.session_state.get(MOVES, 0) + 1
    st.rerun(WALK_FRAGMENT)
