"""The view's flags in a link (``projector``): read and checked like every parameter
(``vgapp.page.read_view``, named in ``read_url``'s notices), and kept by the page under AppTest
through a lesson, "Next" and "Reset all controls", which set only the argument's controls."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_app import run_app, url

from vgapp.page import LESSONS, VIEW_FLAGS, lesson_values, read_url, read_view


@pytest.mark.parametrize(("texts", "on"), [(["1"], True), (["0"], False), ([" 1 "], True)])
def test_a_flag_reads_1_as_on_and_0_as_off_silently(texts, on):
    assert read_view({"projector": texts}) == ({"projector": on}, [])
    assert read_url({"projector": texts, "depth": ["50"]}) == ({"depth": 50}, None, None, [])


def test_a_flag_left_out_is_off_and_not_set():
    assert read_view({"depth": ["50"]}) == ({}, [])


@given(st.lists(st.text(max_size=30), min_size=1, max_size=3))
def test_any_other_text_is_named_in_one_notice_and_ignored(texts):
    """Anything but one of "1" and "0" (repeated alike) is refused: one notice, without
    markup, and the flag is not set; read_url names it too, and keeps the other parameters."""
    if len({text.strip() for text in texts}) == 1 and texts[0].strip() in ("0", "1"):
        return
    flags, notices = read_view({"projector": texts})
    assert flags == {}
    assert len(notices) == 1
    assert notices[0].startswith("projector “")
    assert not set(notices[0]) & set("<>*[]`")
    values, _, _, url_notices = read_url({"projector": texts, "depth": ["50"]})
    assert values == {"depth": 50}
    assert url_notices == notices


def test_a_lesson_next_and_reset_keep_the_view_flags():
    """Every view flag from the link (projector mode, predict first): its toggle on; then a
    lesson, "Next" and the reset each leave it on and in the URL, beside the lesson and its
    section."""
    on = {flag: "1" for flag in VIEW_FLAGS}
    app = run_app(on)
    assert {"projector", "predict"} <= set(VIEW_FLAGS)
    for flag in VIEW_FLAGS:
        [toggle] = [t for t in app.toggle if t.key == flag]
        assert toggle.value is True
    lesson = "saddle"
    [pills] = [w for w in app.button_group if w.key == "lesson"]
    pills.set_value(lesson).run()
    assert all(app.session_state[flag] is True for flag in VIEW_FLAGS)
    section = LESSONS[lesson].section
    assert on.items() <= url(app).items()
    assert url(app)["lesson"] == lesson
    assert app.session_state["gd_x0"] == lesson_values(lesson)["gd_x0"]
    [following] = [b for b in app.button if b.key == f"next_{section}"]
    following.click().run()
    assert all(app.session_state[flag] is True for flag in VIEW_FLAGS)
    assert on.items() <= url(app).items()
    [reset] = [b for b in app.sidebar.button if "Reset" in b.label]
    reset.click().run()
    assert not app.exception
    assert all(app.session_state[flag] is True for flag in VIEW_FLAGS)
    assert url(app) == {"section": app.session_state["section"], **on}


@pytest.mark.parametrize("flag", VIEW_FLAGS)
def test_the_toggle_writes_and_clears_the_flag(flag):
    """Each flag is off by default; its toggle writes it into the link and clears it."""
    app = run_app({})
    [toggle] = [t for t in app.toggle if t.key == flag]
    assert toggle.value is False
    toggle.set_value(True).run()
    assert url(app) == {flag: "1"}
    [toggle] = [t for t in app.toggle if t.key == flag]
    toggle.set_value(False).run()
    assert url(app) == {}
