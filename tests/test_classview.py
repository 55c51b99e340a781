"""The class link (``vgapp.classview``): ``show`` and ``controls`` read and checked like every URL
parameter (never a traceback, every refusal named, an empty result shows everything), written
in one form that reads back to itself; and under AppTest, the page shows only what the link
chooses, through a lesson, "Next" and "Reset all controls", until "Show everything"."""

from __future__ import annotations

from urllib.parse import parse_qs

from hypothesis import example, given
from hypothesis import strategies as st
from test_app import run_app, url, widget

from vgapp.classview import (
    CLASS_KEYS,
    EVERYTHING,
    ClassView,
    class_link,
    make_view,
    next_shown,
    read_class,
)
from vgapp.page import (
    CONTROLS,
    CURSOR_KEYS,
    LESSONS,
    SECTION_BY_KEY,
    SECTION_KEYS,
    SECTIONS,
    VIEW_FLAGS,
    read_url,
)

CONTROL_KEYS = [c.key for section in SECTIONS for c in section.controls]
"""The controls a class link can name: the sections' (not the walk's layer, drawn in its fold)."""
LESSON_SECTIONS = {key: lesson.section for key, lesson in LESSONS.items()}
MARKUP = set("<>*[]`")

names = st.one_of(
    st.sampled_from([*SECTION_KEYS, *CONTROL_KEYS, "none", "", " ", "NONE", "Hessian"]),
    st.text(max_size=12),
)
lists = st.lists(names, max_size=8).map(",".join)
views = st.builds(
    make_view,
    st.one_of(st.none(), st.lists(st.sampled_from(SECTION_KEYS), unique=True)),
    st.one_of(st.none(), st.lists(st.sampled_from(CONTROL_KEYS), unique=True)),
    st.just(SECTIONS),
)


def unknown_names(text: str, known: list[str]) -> list[str]:
    """The names of a list parameter this page does not know (an oracle: split by hand)."""
    parts = [part.strip().lower() for part in text.split(",")]
    return [part for part in parts if part and part not in known and part != "none"]


@given(st.lists(lists, max_size=3), st.lists(lists, max_size=3))
@example(["hessian,descent"], ["pt_x,gd_x0,bogus"])
@example([""], ["none"])
@example(["<script>,**x**"], ["pt_x", "pt_y"])
def test_any_text_is_read_without_a_traceback_and_every_refusal_is_named(show, controls):
    """Whatever the two parameters hold: a view of registry keys only, notices without markup,
    each unknown name quoted (up to three per parameter) and the rest counted."""
    raw = {"show": show, "controls": controls}
    view, notices = read_class(raw, SECTIONS)
    assert view.sections is None or (view.sections and set(view.sections) <= set(SECTION_KEYS))
    assert view.controls is None or set(view.controls) <= set(CONTROL_KEYS)
    assert all(not set(notice) & MARKUP for notice in notices)
    for key, texts, known in (("show", show, SECTION_KEYS), ("controls", controls, CONTROL_KEYS)):
        distinct = set(text.strip() for text in texts)
        if len(distinct) > 1:
            assert any(n.startswith(f"{key} was given {len(distinct)} different") for n in notices)
        elif len(distinct) == 1:
            unknown = unknown_names(texts[0], known)
            if unknown:
                assert any(n.startswith(f"{key}: unknown") for n in notices)
    # read_url names the same refusals, and nothing of them reaches the controls
    values, _, _, url_notices = read_url(raw)
    assert values == {}
    assert all(notice in url_notices for notice in notices)


def test_a_list_of_nothing_usable_shows_everything_with_a_notice():
    view, notices = read_class({"show": ["nowhere,, "], "controls": [""]}, SECTIONS)
    assert view == EVERYTHING
    assert notices == [
        "show: unknown section “nowhere” ignored",
        "show names no section of this page; every section is shown",
        "controls names no control of this page; every control is shown",
    ]


def test_more_than_three_unknown_names_are_counted():
    _, notices = read_class({"show": ["a,b,c,d,e,hessian"]}, SECTIONS)
    assert notices == ["show: unknown section “a”, “b”, “c” and 2 more ignored"]


def test_none_hides_every_control_and_everything_named_is_nothing_hidden():
    assert read_class({"controls": ["none"]}, SECTIONS) == (ClassView(None, ()), [])
    every = ",".join(reversed(SECTION_KEYS))
    assert read_class({"show": [every], "controls": [",".join(CONTROL_KEYS)]}, SECTIONS) == (
        EVERYTHING,
        [],
    )


@given(views)
def test_a_view_written_reads_back_to_itself_silently(view):
    """``ClassView.query`` is the one written form: read back, the same view, no notice; and
    the controls it keeps all belong to the sections it shows."""
    raw = {key: [value] for key, value in view.query().items()}
    assert read_class(raw, SECTIONS) == (view, [])
    assert view.on == bool(raw)
    shown = [s for s in SECTIONS if view.shows_section(s.key)]
    assert view.controls is None or set(view.controls) <= {c.key for s in shown for c in s.controls}


@given(views, st.sampled_from(SECTION_KEYS))
def test_next_goes_to_the_next_shown_section(view, key):
    following = next_shown(view, key, SECTIONS)
    later = SECTION_KEYS[SECTION_KEYS.index(key) + 1 :]
    expected = [k for k in later if view.sections is None or k in view.sections]
    assert (following.key if following else None) == (expected[0] if expected else None)


@given(
    views,
    st.sets(st.sampled_from(VIEW_FLAGS)),
    st.sampled_from(SECTION_KEYS),
    st.one_of(st.none(), st.sampled_from(list(LESSONS))),
)
def test_a_built_link_opens_silently_on_what_it_shows(view, flags, section, lesson):
    """The builder's link, from any settings: read by the page without a notice, with the
    chosen view, the flags on, and an open section the view shows."""
    settings = {"section": section, "depth": "50", "projector": "1", "show": "lab"}
    if lesson:
        settings["lesson"] = lesson
    dropped = (*VIEW_FLAGS, *CLASS_KEYS, *CURSOR_KEYS)
    query = class_link(settings, view, sorted(flags), LESSON_SECTIONS, dropped)
    raw = parse_qs(query.lstrip("?"), keep_blank_values=True)
    values, opened, chosen, notices = read_url(raw)
    assert notices == []
    assert values["depth"] == 50
    assert read_class(raw, SECTIONS)[0] == view
    assert {key for key in VIEW_FLAGS if raw.get(key) == ["1"]} == flags
    assert opened is None or view.shows_section(opened)
    assert chosen is None or view.shows_section(LESSONS[chosen].section)


def test_a_link_to_a_hidden_section_or_lesson_is_refused_and_named():
    values, section, lesson, notices = read_url(
        {"show": ["descent"], "section": ["hessian"], "lesson": ["monkey"], "gd_x0": ["0.5"]}
    )
    assert (values, section, lesson) == ({"gd_x0": 0.5}, None, None)
    assert notices == [
        "lesson “monkey” is in a section this class link hides",
        "section “hessian” is hidden by this class link",
    ]


def sidebar_keys(app) -> set[str]:
    kinds = ("slider", "number_input", "selectbox", "button_group", "select_slider", "toggle")
    return {w.key for kind in kinds for w in getattr(app.sidebar, kind) if w.key in CONTROLS}


def test_the_page_keeps_the_class_view_through_a_lesson_next_and_reset():
    """A class link: only its sections in the switcher and its controls in the sidebar, the
    hidden control's value applied; the reset sets only the controls shown (the hidden one
    keeps the link's value); a lesson and "Next" keep the view; "Show everything" drops it,
    and the way back restores it."""
    link = {"show": "hessian,descent", "controls": "pt_x,gd_x0"}
    app = run_app({**link, "pt_y": "0.25"})
    [switch] = [w for w in app.button_group if w.key == "section"]
    assert list(switch.options) == [SECTION_BY_KEY[k].label for k in ("hessian", "descent")]
    assert sidebar_keys(app) == {"pt_x"}
    assert app.session_state["pt_y"] == 0.25
    widget(app, "pt_x").set_value(0.5).run()
    [reset] = [b for b in app.sidebar.button if "Reset" in b.label]
    reset.click().run()
    assert not app.exception
    assert app.session_state["pt_x"] == CONTROLS["pt_x"].default
    assert app.session_state["pt_y"] == 0.25
    assert url(app) == {"pt_y": "0.25", "section": "hessian", **link}
    [pills] = [w for w in app.button_group if w.key == "lesson"]
    shown_lessons = [k for k, lesson in LESSONS.items() if lesson.section in ("hessian", "descent")]
    assert set(pills.options) == {LESSONS[k].label for k in shown_lessons}
    pills.set_value("saddle").run()
    assert url(app)["show"] == "hessian,descent"
    assert url(app)["lesson"] == "saddle"
    assert sidebar_keys(app) == {"gd_x0"}
    assert not [b for b in app.button if b.key == "next_descent"]  # the last section shown
    app.session_state["section"] = "hessian"
    app.run()
    [following] = [b for b in app.button if b.key == "next_hessian"]
    following.click().run()
    assert app.session_state["section"] == "descent"
    assert url(app)["controls"] == link["controls"]
    [everything] = [b for b in app.button if b.key == "class_show_everything"]
    everything.click().run()
    assert "show" not in url(app)
    assert "controls" not in url(app)
    assert sidebar_keys(app) == {c.key for c in SECTIONS[2].controls}
    [back] = [b for b in app.button if b.key == "class_back"]
    back.click().run()
    assert url(app)["show"] == "hessian,descent"
    assert sidebar_keys(app) == {"gd_x0"}


def test_the_builder_writes_the_link_it_was_asked_for():
    """The teacher's fold: two sections, one control, projector mode, from the page's own
    settings; the link it shows opens that class view with those settings, silently."""
    app = run_app({"depth": "50"})
    assert not app.sidebar.multiselect  # the fold is closed: nothing of it drawn
    app.session_state["class_link_fold"] = True
    app.run()
    [sections] = [w for w in app.sidebar.multiselect if w.key == "class_link_sections"]
    sections.set_value(["hessian", "descent"]).run()
    [controls] = [w for w in app.sidebar.multiselect if w.key.startswith("class_link_controls")]
    assert list(controls.value) == [
        "surface",
        "pt_x",
        "pt_y",
        *[c.key for c in SECTIONS[2].controls],
    ]
    controls.set_value(["pt_x"]).run()
    [flag] = [w for w in app.sidebar.checkbox if w.key == "class_link_flag_projector"]
    flag.check().run()
    [code] = app.sidebar.code
    assert code.value == "?depth=50&show=hessian,descent&controls=pt_x&projector=1"
    opened = run_app({key: values[0] for key, values in parse_qs(code.value[1:]).items()})
    assert not opened.warning
    assert opened.session_state["depth"] == 50
    assert opened.session_state["projector"] is True
    assert sidebar_keys(opened) == {"pt_x"}
    assert not opened.sidebar.multiselect  # the builder is not drawn in a class view
