"""The page under Streamlit's AppTest: one section open at a time, its controls in the sidebar,
the values shown are the ones the views compute from the core, lessons open their section, and
no value is lost when moving between sections or through a copied link."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from discovered import STILL_SECTIONS, enabling, other_value, settings_to_try
from streamlit.testing.v1 import AppTest

from pagetools.expect import LIVE_PANELS
from vgapp.blocks import Fold, Text
from vgapp.lab.run_charts import LAB_CHART
from vgapp.lab.training import engine as training
from vgapp.lab.view import REMEDY, YOURS
from vgapp.page import (
    CONTROLS,
    LESSONS,
    PANELS,
    SECTION_BY_KEY,
    SECTION_KEYS,
    SECTIONS,
    defaults,
    lesson_values,
    next_section,
)

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NOTICE = "Some settings in this link could not be used"
WIDGET_KINDS = ("slider", "number_input", "selectbox", "button_group", "select_slider", "toggle")


def run_app(query: dict[str, str | list[str]] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=300)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def url(app: AppTest) -> dict[str, str]:
    """The address bar's parameters as the page last wrote them (one value each)."""
    return {key: str(value) for key, value in app.query_params.items()}


def widget(app: AppTest, key: str):
    """The widget with this key, whatever its kind."""
    for kind in WIDGET_KINDS:
        found = [w for w in getattr(app, kind) if w.key == key]
        if found:
            return found[0]
    raise LookupError(key)


def open_section(app: AppTest, key: str) -> None:
    widget(app, "section").set_value(key).run()
    assert not app.exception, [e.value for e in app.exception]


def closed_fold_keys(app: AppTest, section: str) -> set[str]:
    """The controls of the section's closed folds (not drawn: ``Panel.folds``)."""
    return {
        key
        for panel in SECTION_BY_KEY[section].panels
        for caption, _ in panel.folds
        if not app.session_state[panel.fold_key(caption)]
        for key in dict(panel.groups)[caption]
    }


def in_section(values: dict[str, Any], section: str) -> dict[str, Any]:
    return {c.key: values[c.key] for c in SECTION_BY_KEY[section].controls}


def values_of(app: AppTest, section: str) -> dict[str, Any]:
    """The values the open section's controls hold: their widgets' (in the sidebar), or the
    session's for the controls of a closed fold."""
    closed = closed_fold_keys(app, section)
    return {
        c.key: app.session_state[c.key] if c.key in closed else widget(app, c.key).value
        for c in SECTION_BY_KEY[section].controls
    }


def expected_views(values: dict[str, Any], section: str) -> list[Any]:
    """The section's panel views, computed by the views (which call vgcore), called as the
    registry says: by keyword, with the control keys (a live panel's view reads the runs'
    current snapshots from the server's training engine)."""
    found = []
    for panel in SECTION_BY_KEY[section].every_panel:
        arguments = panel.arguments({**defaults(), **values})
        if panel.key in LIVE_PANELS:
            found.append(panel.view(viewer=current_snapshots, **arguments))
        else:
            found.append(panel.view(**arguments))
    return found


def expected_metrics(values: dict[str, Any], section: str) -> list[tuple[str, str]]:
    """What the section must show: its views' metrics."""
    return [(m.label, m.value) for view in expected_views(values, section) for m in view.metrics]


def current_snapshots(specs):
    engine = training.default_engine()
    return tuple(engine.snapshot(spec) for spec in specs)


def run_lab_until_stopped(app: AppTest, timeout_s: float = 120.0) -> None:
    """Rerun the page (as its polling fragment would) until both runs wait at their stop."""
    deadline = time.monotonic() + timeout_s
    while True:
        statuses = [m.value for m in app.metric if m.label.startswith((YOURS, REMEDY))]
        if statuses and all(not s.startswith(("step", "starting", "waiting")) for s in statuses):
            return
        assert time.monotonic() < deadline, statuses
        time.sleep(0.2)
        app.run()
        assert not app.exception, [e.value for e in app.exception]


def shown_metrics(app: AppTest) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in app.metric]


def assert_section_shows(app: AppTest, section: str) -> None:
    """The open section is ``section``, its controls (only its) are in the sidebar and its
    metrics are exactly what the views compute from the widgets' values."""
    assert widget(app, "section").value == section
    drawn = {w.key for kind in WIDGET_KINDS for w in getattr(app.sidebar, kind)}
    closed = closed_fold_keys(app, section)
    assert drawn == {c.key for c in SECTION_BY_KEY[section].controls} - closed
    assert shown_metrics(app) == expected_metrics(values_of(app, section), section)


def test_the_default_page_opens_on_the_answer():
    """The question, the answer, its picture and the two headline panels; no other section is
    computed."""
    app = run_app()
    assert_section_shows(app, "answer")
    assert len(app.get("vega_lite_chart")) == len(SECTION_BY_KEY["answer"].every_panel) == 3
    assert not app.warning
    shown = dict(shown_metrics(app))
    assert shown["f(p)"] == "10⁹⁹⁰⁹"
    assert shown["f′(p) = c"] == "10⁻⁹⁰"
    assert any("10⁻⁹⁹" in info.value and "10⁻⁹⁰" in info.value for info in app.info)
    assert url(app) == {}


@pytest.mark.parametrize("section", [key for key in STILL_SECTIONS if key != SECTION_KEYS[0]])
def test_each_section_opens_alone_with_its_controls(section):
    app = run_app({"section": section})
    assert_section_shows(app, section)
    panels = SECTION_BY_KEY[section].every_panel
    charts = sum(len(p.view(**p.arguments(defaults())).charts) for p in panels)
    assert len(app.get("vega_lite_chart")) == charts


def test_the_lab_trains_live_and_shows_the_engines_runs():
    """The lab opens with its transport buttons, trains both runs to their stop while the page
    polls, and then shows exactly what the view composes from the engine's snapshots."""
    app = run_app({"section": "lab"})
    labels = [b.label for b in app.button]
    assert "Pause" in labels
    assert any(label.startswith("Continue to the budget") for label in labels)
    run_lab_until_stopped(app)
    assert_section_shows(app, "lab")
    assert len(app.get("vega_lite_chart")) == 3  # the loss, and each run's chosen chart
    statuses = lab_statuses(app)
    for chart in LAB_CHART.options:  # every chart a run can show (RUN_CHARTS), none retrains
        widget(app, LAB_CHART.key).set_value(chart).run()
        assert_section_shows(app, "lab")
        views = expected_views(values_of(app, "lab"), "lab")
        assert len(app.get("vega_lite_chart")) == sum(len(view.charts) for view in views)
        assert lab_statuses(app) == statuses, chart


def lab_statuses(app: AppTest) -> list[str]:
    return [m.value for m in app.metric if m.label.startswith((YOURS, REMEDY))]


def lab_button(app: AppTest, key: str) -> Any:
    [button] = [b for b in app.button if b.key == key]
    return button


def test_pause_freezes_this_view_and_play_follows_the_runs_again():
    """Your run waits at its rules' stop while the remedy trains: Pause freezes this session's
    view at once (the remedy shown paused at the step drawn), Play follows the runs again, and
    your run stays at its stop (only "continue to the budget" passes it)."""
    slow = {"lab_depth": "6", "lab_width": "32", "lab_eta": "1e-3", "lab_eps": "1e-4"}
    app = run_app({"section": "lab", "lab_steps": "5000", **slow})
    deadline = time.monotonic() + 60
    while True:  # yours stops at step 8; the remedy takes ~2,300 steps
        yours, remedy = lab_statuses(app)
        if yours.startswith("stopped by") and remedy.endswith("training"):
            break
        assert time.monotonic() < deadline, (yours, remedy)
        app.run()
    shown = remedy
    pause = lab_button(app, "lab_pause")
    assert pause.label == "Pause"
    pause.click().run()
    frozen = lab_statuses(app)
    assert frozen[1].endswith("paused"), frozen
    assert frozen[1].split(",")[0] == shown.split(",")[0]  # the step it showed, held there
    time.sleep(0.5)
    app.run()
    assert lab_statuses(app) == frozen  # nothing moves in a paused view
    play = lab_button(app, "lab_play")
    assert play.label == "Play"
    assert not play.disabled
    play.click().run()
    run_lab_until_stopped(app)
    yours, remedy = lab_statuses(app)
    assert yours == "stopped by the parameter-change rule at step 8"
    assert remedy.startswith(("stopped by", "ran all")), remedy
    assert lab_button(app, "lab_pause").disabled


def test_a_links_moment_holds_with_a_control_that_does_not_apply():
    """A link at a pause, carrying a value of a control that does not apply (a custom scale
    with the standard initialisation), opens at that moment and writes it back: the cursor is
    keyed by the runs as the lab reads them (the inactive control at its default)."""
    app = run_app({"section": "lab", "lab_init_scale": "2", "lab_at": "2,5"})
    deadline = time.monotonic() + 60
    while lab_statuses(app) != ["step 2 of 3,000, paused", "step 5 of 3,000, paused"]:
        assert time.monotonic() < deadline, lab_statuses(app)
        time.sleep(0.1)
        app.run()
    assert url(app).get("lab_at") == "2,5"


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_each_lesson_opens_its_section_and_sets_its_controls(lesson):
    app = run_app()
    widget(app, "lesson").set_value(lesson).run()
    assert not app.exception
    section = LESSONS[lesson].section
    if section == "lab":
        run_lab_until_stopped(app)
    assert_section_shows(app, section)
    assert values_of(app, section) == in_section(lesson_values(lesson), section)
    assert LESSONS[lesson].note in [caption.value for caption in app.caption]
    assert url(app)["lesson"] == lesson


@pytest.mark.parametrize("panel", [p for p in PANELS.values() if p.lesson is not None],
                         ids=lambda p: p.key)  # fmt: skip
def test_a_panels_lesson_button_opens_its_lesson_as_its_pill_does(panel):
    """A panel's "See it train" button (``Panel.lesson``) opens its lesson exactly as a click
    on the lesson's pill: its section, its controls, its note and its link."""
    app = run_app()
    app.button(key=f"lesson_{panel.key}").click().run()
    assert not app.exception, [e.value for e in app.exception]
    section = LESSONS[panel.lesson].section
    assert widget(app, "lesson").value == panel.lesson
    if section == "lab":
        run_lab_until_stopped(app)
    assert_section_shows(app, section)
    assert values_of(app, section) == in_section(lesson_values(panel.lesson), section)
    assert LESSONS[panel.lesson].note in [caption.value for caption in app.caption]
    assert url(app)["lesson"] == panel.lesson


def open_folds(app: AppTest) -> dict[str, bool]:
    panel = PANELS["lab"]
    return {caption: app.session_state[panel.fold_key(caption)] for caption, _ in panel.folds}


def test_the_labs_closed_folds_draw_nothing_until_opened():
    """The lab opens with the network and the remedy unfolded, training and the stopping rules
    folded (their controls not drawn, at their defaults); opened, a fold draws its controls."""
    app = run_app({"section": "lab"})
    assert open_folds(app) == dict(PANELS["lab"].folds)
    assert closed_fold_keys(app, "lab") == {"lab_step_rule", "lab_eta", "lab_steps", "lab_dtype",
        "lab_loss_scale", "lab_eps", "lab_gatol", "lab_gttol", "lab_fatol", "lab_frtol",
        "lab_stagnation", "lab_combine"}  # fmt: skip
    assert_section_shows(app, "lab")
    app.session_state[PANELS["lab"].fold_key("Training")] = True  # a click on the fold
    app.run()
    assert widget(app, "lab_dtype").value == "float32"
    assert_section_shows(app, "lab")


@pytest.mark.parametrize(
    "how", [{"lesson": "lab_float16"}, {"section": "lab", "lab_dtype": "float16", "lab_eps": "off"}]
)
def test_a_fold_holding_a_value_set_by_a_lesson_or_a_link_opens(how):
    """A lesson or a link that sets a control in a folded group shows it: the fold opens."""
    app = run_app(how)
    assert open_folds(app) == {
        "The data and the network": True,
        "Training": True,
        "The stopping rules": True,
        "The comparison run": True,
    }
    assert widget(app, "lab_dtype").value == "float16"
    assert widget(app, "lab_eps").value == "off"


def test_a_lesson_reopens_the_folds_by_what_they_hold():
    """In the lab with its folds as they start, the float16 lesson opens the folds of the
    values it sets; the reset closes them again."""
    app = run_app({"section": "lab"})
    assert not open_folds(app)["Training"]
    widget(app, "lesson").set_value("lab_float16").run()
    assert open_folds(app)["Training"]
    assert open_folds(app)["The stopping rules"]
    [reset] = [b for b in app.sidebar.button if "Reset" in b.label]
    reset.click().run()
    assert open_folds(app) == dict(PANELS["lab"].folds)


def test_exactly_the_lab_lessons_are_named_lab_():
    """The page starts the training processes for a link to a lesson whose key starts with
    "lab_" (before it knows the lessons: ``app.start_lab_processes``)."""
    for key, lesson in LESSONS.items():
        assert key.startswith("lab_") == (lesson.section == "lab"), key


def test_a_lesson_link_leaves_a_reshareable_address():
    """?lesson=saddle opens the lesson, and the address the page writes opens it again."""
    app = run_app({"lesson": "saddle"})
    assert_section_shows(app, "descent")
    written = url(app)
    again = run_app(written)
    assert values_of(again, "descent") == in_section(lesson_values("saddle"), "descent")
    assert widget(again, "lesson").value == "saddle"


def test_a_lesson_resets_what_an_earlier_lesson_set():
    """After a lesson of another section, the answer's controls are back at their defaults: the
    answer never shows a depth an earlier lesson chose (the lecturer's walk-through found depth
    80 after "③ A lost update")."""
    app = run_app()
    earlier = next(
        k
        for k, lesson in LESSONS.items()
        if lesson.section == "answer"
        and any(lesson.values.get(key, default) != default for key, default in defaults().items())
    )
    later = next(k for k, lesson in LESSONS.items() if lesson.section != "answer")
    widget(app, "lesson").set_value(earlier).run()
    widget(app, "lesson").set_value(later).run()
    assert not app.exception
    for control in SECTION_BY_KEY["answer"].controls:
        assert app.session_state[control.key] == control.default, control.key
    assert not {key for key in url(app) if key in CONTROLS and key not in LESSONS[later].values}


def test_moving_a_control_leaves_the_lesson():
    app = run_app({"lesson": "saturated"})
    widget(app, "depth").set_value(40).run()
    assert widget(app, "lesson").value is None
    assert "lesson" not in url(app)
    assert url(app)["depth"] == "40"
    assert_section_shows(app, "answer")


def one_move(section: str) -> tuple[str, Any]:
    """The section's first control that applies on its own, and a value other than its
    default."""
    control = next(c for c in SECTION_BY_KEY[section].controls if c.when is None)
    return control.key, other_value(control)


def test_values_survive_moving_between_sections_and_stay_in_the_url():
    """Every section's values are kept while another is open, in the widgets and in the URL
    (one move in each section whose panels the controls alone draw)."""
    moves = {section: one_move(section) for section in STILL_SECTIONS}
    app = run_app()
    for section, (key, value) in moves.items():
        if section != widget(app, "section").value:
            open_section(app, section)
        widget(app, key).set_value(value).run()
    for key, value in moves.values():
        assert url(app)[key] == CONTROLS[key].url_text(value)
    last = STILL_SECTIONS[-1]
    assert url(app).get("section") == (None if last == SECTION_KEYS[0] else last)
    for section, (key, value) in moves.items():
        open_section(app, section)
        assert widget(app, key).value == value
        assert_section_shows(app, section)
    reloaded = run_app(url(app))
    for section, (key, value) in moves.items():
        if section != widget(reloaded, "section").value:
            open_section(reloaded, section)
        assert widget(reloaded, key).value == value


def test_next_opens_the_following_section():
    app = run_app()
    for section in SECTIONS[:-1]:
        following = next_section(section.key)
        [button] = [b for b in app.button if b.key == f"next_{section.key}"]
        button.click().run()
        assert widget(app, "section").value == following.key


def test_reset_returns_every_control_to_its_default():
    app = run_app({"depth": "30", "pt_x": "1", "lesson": "relu"})
    [reset] = [b for b in app.sidebar.button if "Reset" in b.label]
    reset.click().run()
    assert values_of(app, "answer") == defaults("answer")
    open_section(app, "hessian")
    assert values_of(app, "hessian") == defaults("hessian")
    assert url(app) == {"section": "hessian"}


@pytest.mark.parametrize("section", STILL_SECTIONS)
def test_every_option_and_every_extreme_runs(section):
    """One session walks through all settings of a section (its folds opened); no error, no
    NaN shown."""
    app = run_app({"section": section})
    for panel in SECTION_BY_KEY[section].panels:
        for key in panel.fold_keys():
            app.session_state[key] = True
    app.run()
    for key, value in settings_to_try(SECTION_BY_KEY[section].controls):
        control = CONTROLS[key]
        for other, enabled in enabling(key).items():
            widget(app, other).set_value(enabled).run()
        widget(app, key).set_value(value).run()
        assert not app.exception, (key, value, [e.value for e in app.exception])
        assert widget(app, key).value == value
        text = " ".join(m.value for m in app.metric)
        assert "nan" not in text.lower(), (key, value)
        assert_section_shows(app, section)
        widget(app, key).set_value(control.default).run()


def test_url_parameters_open_that_state():
    query = {"depth": "50", "activation": "tanh", "w": "0.5", "c_exp": "-20"}
    app = run_app(query)
    assert values_of(app, "answer") == {**defaults("answer"), "depth": 50, "activation": "tanh",
                                        "w": 0.5, "c_exp": -20}  # fmt: skip
    assert not app.warning
    assert_section_shows(app, "answer")
    assert url(app) == query


HOSTILE = {
    "empty": "",
    "blank": "  ",
    "not a number": "abc",
    "nan": "NaN",
    "infinity": "-Infinity",
    "huge": "9" * 400,
    "overflow": "1e309",
    "markup": "<script>alert(1)</script>",
    "unicode digits": "١٢",
}


@pytest.mark.parametrize("raw", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_values_for_every_key_give_defaults_a_notice_and_keep_the_rest(raw):
    """Every control key at once with a value the page cannot use (plus the key repeated with
    two values, and an unknown key): no exception, one notice naming each, the URL cleaned."""
    query: dict[str, str | list[str]] = dict.fromkeys(CONTROLS, raw)
    query["zz"] = "1"
    app = run_app(query)
    assert_section_shows(app, "answer")
    assert values_of(app, "answer") == defaults("answer")
    [notice] = [w.value for w in app.warning]
    assert notice.startswith(NOTICE)
    for control in CONTROLS.values():
        assert control.label in notice
    assert "unknown parameter “zz”" in notice
    assert "<script>" not in notice
    assert url(app) == {}


def test_a_repeated_key_and_an_unknown_section_are_refused_the_rest_kept():
    app = run_app({"depth": ["20", "30"], "w": "0.5", "section": "nowhere"})
    values = values_of(app, "answer")
    assert values["depth"] == 600
    assert values["w"] == 0.5
    [notice] = [w.value for w in app.warning]
    assert "2 different values" in notice
    assert "unknown section" in notice
    assert url(app)["w"] == "0.5"
    assert "depth" not in url(app)


def test_all_panels_are_reachable():
    """Every panel of the registry belongs to exactly one section."""
    owners = [s.key for s in SECTIONS for p in s.every_panel]
    assert sorted(p for s in SECTIONS for p in (x.key for x in s.every_panel)) == sorted(PANELS)
    assert len(owners) == len(PANELS)


def test_every_fold_of_the_views_is_drawn_closed_under_its_label_with_its_detail():
    """Words in two layers: each ``Fold`` of the default section's views is an expander with its
    label, and the detail it holds is drawn inside it (not beside it)."""
    app = run_app()
    assert not app.exception
    folds = [
        block
        for panel in SECTION_BY_KEY[SECTION_KEYS[0]].panels
        for block in panel.view(**panel.arguments(defaults())).walk()
        if isinstance(block, Fold)
    ]
    assert folds
    drawn = {expander.label: expander for expander in app.expander}
    for fold in folds:
        assert fold.label in drawn
        inside = [c.value for c in drawn[fold.label].caption] + [
            m.value for m in drawn[fold.label].markdown
        ]
        for block in fold.blocks:
            if isinstance(block, Text):
                assert block.text in inside
