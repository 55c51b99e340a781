"""The backward walk under the chain panel: its core reads the chain panel's own report (the same
arrays, not a second pass), its cursor's stops and moves, and the page under AppTest: closed by
default it draws nothing; a link with ``walk_layer`` opens it there; the buttons move the
cursor and the link follows; a refused ``walk_layer`` is named in the link notice."""

from __future__ import annotations

import numpy as np
import pytest
from test_app import NOTICE, run_app, url, widget

from vgapp.panels import chain, chain_walk
from vgapp.panels.chain_walk import TOP, next_layer, shown_layer, stored_layer, walk_layers
from vgcore.chain import chain_report, make_weights
from vgcore.chain_walk import backward_walk
from vgcore.precision import DTYPES


def default_report():
    return chain.view(**chain.PANEL.arguments(chain.PANEL.defaults())).facts["report"]


def test_the_walk_reads_the_chain_panels_own_backward_products():
    """The running product at layer k ≥ 2 is the report's dF/do_{k−1} in each dtype (the
    chain panel's array, value for value), and at layer 1 its dF/dw₁."""
    report = default_report()
    walk = backward_walk(report)
    for name in DTYPES:
        assert np.array_equal(walk.products[name][1:], report.backprops[name][:-1])
        assert walk.products[name][0] == report.gradients[name][0]
        assert not walk.products[name].flags.writeable
    assert walk.first_zero == {"float16": 589, "float32": 531, "float64": 102}


def test_the_first_zero_layers_mirror_the_chains_first_zero_depths_for_equal_weights():
    """With every weight 1 the factors settle to one value, so the walk's zero layers count as
    many layers from the top as the chain's first zero depths count from layer 1 (13, 71, 500:
    MATH.md D3), to within a layer."""
    report = chain_report(make_weights(600, "constant", w=1.0), "sigmoid", np.arange(2, 601))
    walk = backward_walk(report)
    for name in DTYPES:
        walked = 600 - walk.first_zero[name] + 1  # layers walked, the zero one included
        assert abs(walked - (report.underflow_depths[name] - 1)) <= 1, name


@pytest.mark.parametrize("depth", [2, 3, 180, 181, 600, 10_000])
def test_the_cursor_stops_go_from_the_top_to_layer_one(depth):
    zeros = {"float16": min(depth, 13), "float32": None, "float64": 1}
    layers = walk_layers(depth, zeros)
    assert layers[0] == depth
    assert layers[-1] == 1
    assert layers == sorted(set(layers), reverse=True)
    if depth <= 180:
        assert layers == list(range(depth, 0, -1))
    assert {min(depth, 13), min(depth, 14), 1, 2} <= set(layers)
    for layer in layers:
        assert next_layer(layers, layer, 1) == (layer if layer == 1 else max(
            k for k in layers if k < layer))  # fmt: skip
        assert next_layer(layers, layer, -1) == (layer if layer == depth else min(
            k for k in layers if k > layer))  # fmt: skip


def test_the_top_is_the_default_and_any_layer_above_l_shows_l():
    assert stored_layer(600, 600) == TOP
    assert stored_layer(599, 600) == 599
    assert shown_layer(TOP, 600) == 600
    assert shown_layer(700, 600) == 600
    assert shown_layer(7, 600) == 7


def test_the_closed_walk_draws_nothing():
    """The default page: the fold is drawn closed under its label, and no walk widget exists."""
    app = run_app()
    assert chain_walk.FOLD in [e.label for e in app.expander]
    assert not [s for s in app.select_slider if (s.key or "").startswith("walk_layer_slider")]
    assert not [b for b in app.button if (b.key or "").startswith("walk_")]
    assert "walk_layer" not in url(app)


def test_a_link_with_a_layer_opens_the_walk_there_and_the_buttons_move_it():
    """``walk_layer=25`` on a 30-layer chain: the fold is open at 25; Down moves to 24, Up back
    to 25, Top to the default (left out of the link)."""
    app = run_app({"depth": "30", "walk_layer": "25"})
    [slider] = [s for s in app.select_slider if (s.key or "").startswith("walk_layer_slider")]
    assert slider.value == 25
    assert any(m.value.startswith("Layer 25 multiplies the gradient") for m in app.markdown)
    buttons = {b.key: b for b in app.button}
    buttons["walk_down"].click().run()
    assert app.session_state["walk_layer"] == 24
    assert url(app)["walk_layer"] == "24"
    {b.key: b for b in app.button}["walk_up"].click().run()
    assert app.session_state["walk_layer"] == 25
    {b.key: b for b in app.button}["walk_top"].click().run()
    assert app.session_state["walk_layer"] == TOP
    assert "walk_layer" not in url(app)


@pytest.mark.parametrize("raw", ["0", "10001", "2.5", "abc"])
def test_a_refused_layer_is_named_in_the_link_notice(raw):
    app = run_app({"walk_layer": raw})
    [notice] = [w.value for w in app.warning]
    assert notice.startswith(NOTICE)
    assert chain_walk.WALK_LAYER.label in notice
    assert app.session_state["walk_layer"] == TOP
    assert "walk_layer" not in url(app)


def test_a_lesson_puts_the_cursor_back_at_the_top():
    app = run_app({"depth": "30", "walk_layer": "25"})
    widget(app, "lesson").set_value("float16").run()
    assert app.session_state["walk_layer"] == TOP
    assert "walk_layer" not in url(app)
