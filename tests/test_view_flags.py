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
    """Projector mode from the link: its toggle on; then a lesson, "Next" and the reset each
    leave it on and in the URL, beside the lesson and its section."""
    app = run_app({"projector": "1"})
    assert set(VIEW_FLAGS) == {"projector"}
    [toggle] = [t for t in app.toggle if t.key == "projector"]
    assert toggle.value is True
    lesson = "saddle"
    [pills] = [w for w in app.button_group if w.key == "lesson"]
    pills.set_value(lesson).run()
    assert app.session_state["projector"] is True
    section = LESSONS[lesson].section
    assert url(app)["projector"] == "1"
    assert url(app)["lesson"] == lesson
    assert app.session_state["gd_x0"] == lesson_values(lesson)["gd_x0"]
    [following] = [b for b in app.button if b.key == f"next_{section}"]
    following.click().run()
    assert app.session_state["projector"] is True
    assert url(app)["projector"] == "1"
    [reset] = [b for b in app.sidebar.button if "Reset" in b.label]
    reset.click().run()
    assert not app.exception
    assert app.session_state["projector"] is True
    assert url(app) == {"section": app.session_state["section"], "projector": "1"}


def test_the_toggle_writes_and_clears_the_flag():
    app = run_app({})
    [toggle] = [t for t in app.toggle if t.key == "projector"]
    toggle.set_value(True).run()
    assert url(app) == {"projector": "1"}
    [toggle] = [t for t in app.toggle if t.key == "projector"]
    toggle.set_value(False).run()
    assert url(app) == {}
