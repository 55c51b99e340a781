"""The page under Streamlit's AppTest: the values shown are the ones the core computes, every
lesson and every control setting runs, and shared URLs open the state they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from vgapp import lab, views
from vgapp.controls import BOOL, CHOICE
from vgapp.lab_controls import LAB_KEYS
from vgapp.page import CONTROLS, LESSONS, PANELS, defaults, lesson_values

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CHARTS_ON_PAGE = 13  # six for the argument, seven for the training lab (loss + 3 per run)
NOTICE = "Some settings in this link could not be used"


def run_app(query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=300)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def widget(app: AppTest, key: str):
    """The widget bound to control ``key``, whatever its kind."""
    for kind in ("slider", "number_input", "selectbox", "button_group", "select_slider", "toggle"):
        found = [w for w in getattr(app, kind) if w.key == key]
        if found:
            return found[0]
    raise LookupError(key)


def control_values(app: AppTest) -> dict[str, Any]:
    return {key: widget(app, key).value for key in CONTROLS}


def shown_metrics(app: AppTest) -> list[tuple[str, str]]:
    """Every metric on the page, in page order."""
    return [(metric.label, metric.value) for metric in app.metric]


def expected_metrics(values: dict[str, Any], *, with_lab: bool = False) -> list[tuple[str, str]]:
    """What the page must show for these control values, computed by the views (which call
    ``vgcore``) independently of the page."""
    panels = [
        views.counterexample_view(*(values[c.key] for c in PANELS["counterexample"])),
        views.chain_view(*views.chain_arguments(values)),
        views.curvature_view(values["surface"], values["pt_x"], values["pt_y"]),
        views.descent_view(
            values["surface"],
            values["gd_x0"],
            values["gd_y0"],
            values["gd_rule"],
            values["gd_eta"],
            values["gd_iters"],
        ),
    ]
    expected = [(m.label, m.value) for panel in panels for m in panel.metrics]
    if with_lab:
        view = lab.lab_view(**{key: values[key] for key in LAB_KEYS})
        runs = [view.main] if view.same_run else [view.main, view.comparison]
        expected += [(m.label, m.value) for run in runs for m in run.metrics]
    return expected


def assert_page_shows(app: AppTest, values: dict[str, Any], *, with_lab: bool = False) -> None:
    """The page's metrics, in order, are exactly the ones the views compute from the core."""
    expected = expected_metrics(values, with_lab=with_lab)
    shown = shown_metrics(app)
    assert shown[: len(expected)] == expected
    if with_lab:
        assert len(shown) == len(expected)


def test_default_page_shows_the_cores_values():
    """No exception, every chart drawn, and each metric equals what vgcore computes."""
    app = run_app()
    assert control_values(app) == defaults()
    assert len(app.get("vega_lite_chart")) == CHARTS_ON_PAGE
    assert_page_shows(app, defaults(), with_lab=True)
    assert not app.warning


def test_source_numbers_and_the_correction_are_on_the_default_page():
    app = run_app()
    shown = dict(shown_metrics(app)[:4])
    assert shown["f(p)"] == "10⁹⁹⁰⁹"
    assert shown["f′(p) = c"] == "10⁻⁹⁰"
    assert any("10⁻⁹⁹" in info.value and "10⁻⁹⁰" in info.value for info in app.info)


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_each_lesson_sets_its_controls_and_the_metrics_follow(lesson):
    app = run_app()
    widget(app, "lesson").set_value(lesson).run()
    assert not app.exception
    values = control_values(app)
    for key, value in lesson_values(lesson).items():
        assert values[key] == value, key
    assert_page_shows(app, values, with_lab=lesson.startswith("lab_"))
    assert LESSONS[lesson].note in [caption.value for caption in app.caption]


def test_changing_a_control_leaves_the_lesson():
    app = run_app()
    widget(app, "depth").set_value(40).run()
    assert widget(app, "lesson").value is None
    assert_page_shows(app, control_values(app))


def settings_to_try(panels: tuple[str, ...], *, choices: bool = True) -> list[tuple[str, Any]]:
    """Every option of every choice control and both ends of every numeric one."""
    settings = []
    for key, control in ((c.key, c) for p in panels for c in PANELS[p]):
        if control.kind in (CHOICE, BOOL) and not choices:
            continue
        if control.kind == CHOICE:
            settings += [(key, option) for option in control.options]
        elif control.kind == BOOL:
            settings += [(key, not control.default), (key, control.default)]
        else:
            settings += [(key, control.low), (key, control.high)]
    return settings


# Controls shown disabled until another control makes them apply (a visitor must switch first).
ENABLED_BY = {
    "w": ("w_mode", "constant"),
    "w_mean": ("w_mode", "random"),
    "w_spread": ("w_mode", "random"),
    "seed": ("w_mode", "random"),
    "lab_init_scale": ("lab_init", "custom"),
    "lab_loss_scale": ("lab_dtype", "float16"),
}
ARGUMENT_PANELS = ("counterexample", "chain", "curvature", "descent", "precision")


@pytest.mark.parametrize(
    ("panels", "start", "choices"),
    [
        (ARGUMENT_PANELS, {}, True),
        # The lab's numeric extremes with a short budget: every lab choice option is run by
        # tests/test_lab.py on the view itself, and the longest run is timed in bench/bench_lab.py.
        (("lab",), {"lab_steps": "10"}, False),
    ],
    ids=["argument", "lab"],
)
def test_every_option_and_every_slider_extreme_runs(panels, start, choices):
    """One session walks through all settings; each rerun shows every chart and no error."""
    app = run_app(start)
    for key, value in settings_to_try(panels, choices=choices):
        if key == "lab_steps" and value == CONTROLS[key].high:
            continue
        if key in ENABLED_BY:
            switch, on = ENABLED_BY[key]
            widget(app, switch).set_value(on).run()
        widget(app, key).set_value(value).run()
        assert not app.exception, (key, value, [e.value for e in app.exception])
        assert widget(app, key).value == value
        assert len(app.get("vega_lite_chart")) == CHARTS_ON_PAGE, (key, value)
        text = " ".join(m.value for m in app.metric)
        assert "nan" not in text.lower(), (key, value)
        widget(app, key).set_value(start_value(key, start)).run()


def start_value(key: str, start: dict[str, str]) -> Any:
    return CONTROLS[key].parse(start[key]) if key in start else CONTROLS[key].default


def test_url_parameters_open_that_state():
    query = {"depth": "50", "activation": "tanh", "w": "0.5", "c_exp": "-20", "fp_dtype": "float16"}
    app = run_app(query)
    values = control_values(app)
    assert (values["depth"], values["activation"], values["w"]) == (50, "tanh", 0.5)
    assert (values["c_exp"], values["fp_dtype"]) == (-20, "float16")
    assert not app.warning
    assert_page_shows(app, values)


def test_urls_as_streamlit_writes_them_and_minimum_values_round_trip():
    """Choices by label (as the URL binding writes them), by key (hand-written links), and
    values equal to a control's minimum all open exactly that state."""
    query = {"activation": "ReLU", "w_mode": "random", "quantity": "dF/do_k", "depth": "2"}
    app = run_app({**query, "c_exp": "-300", "gd_eta": "0.001"})
    values = control_values(app)
    assert (values["activation"], values["w_mode"], values["quantity"]) == (
        "relu",
        "random",
        "backprop",
    )
    assert (values["depth"], values["c_exp"], values["gd_eta"]) == (2, -300, 0.001)
    assert not app.warning
    assert_page_shows(app, values)


def test_a_lesson_in_the_url_applies_under_explicit_parameters():
    app = run_app({"lesson": "saturated", "depth": "30"})
    values = control_values(app)
    assert values["w"] == LESSONS["saturated"].values["w"]
    assert values["depth"] == 30


@pytest.mark.parametrize(
    "raw",
    ["nan", "1e309", "-1", "abc", "9" * 400, "<script>alert(1)</script>", "inf", ""],
)
def test_hostile_url_values_give_defaults_and_a_notice(raw):
    keys = ("depth", "c_exp", "activation", "fp_w")
    app = run_app(dict.fromkeys(keys, raw))
    values = control_values(app)
    # -1 is a valid c_exp and fp_w; every other value must fall back to the default.
    valid = {"c_exp": -1, "fp_w": -1.0} if raw == "-1" else {}
    for key in keys:
        assert values[key] == valid.get(key, CONTROLS[key].default), key
    notices = [w.value for w in app.warning]
    assert len(notices) == 1 and notices[0].startswith(NOTICE)
    assert "<script>" not in notices[0]
    assert len(app.get("vega_lite_chart")) == CHARTS_ON_PAGE


def test_unknown_url_parameters_are_named_in_the_notice():
    app = run_app({"zz": "1", "depth": "20"})
    assert widget(app, "depth").value == 20
    assert "unknown parameter “zz”" in app.warning[0].value
