"""Predict, then see (``vgui.predict``) under AppTest: off by default; with ``predict=1`` each
panel with a question asks it and covers what gives the answer away (the answer section's
picture and the counterexample stay), an answer reveals the panel with the page's verdict (the
expected one computed here by the claims' oracles), a changed setting asks again, and "Check"
without an answer says so."""

from __future__ import annotations

import numpy as np
from claims import test_claims_chain as chain
from claims import test_claims_curvature as hessian
from test_app import open_section, run_app, url, widget

from vgapp.page import PANELS, read_view
from vgapp.predict import COVER

CHECK = "Check"


def answer_input(app, panel: str):
    """The question's input (its key holds the panel and the setting)."""
    [found] = [
        w for w in [*app.number_input, *app.radio] if (w.key or "").startswith(f"predict_{panel}_")
    ]
    return found


def check(app) -> None:
    [button] = [b for b in app.button if b.label == CHECK]
    button.click().run()
    assert not app.exception, [e.value for e in app.exception]


def chart_count(app) -> int:
    return len(app.get("vega_lite_chart"))


def float32_first_zero(values: dict) -> int | None:
    v = {**PANELS["chain"].defaults(), **values}
    wd, a = chain.dtype_forward(chain.weights_of(v), v["activation"], "float32")
    return chain.first_zero_depth(wd, a)


def test_off_by_default_nothing_is_asked_or_covered() -> None:
    app = run_app({})
    assert widget(app, "predict").value is False
    assert not [w for w in app.number_input if (w.key or "").startswith("predict_")]
    assert chart_count(app) == 3  # the picture, the counterexample, the chain
    assert COVER not in [i.value for i in app.info]


def test_the_chain_is_covered_until_answered_then_a_new_setting_asks_again() -> None:
    """The picture and the counterexample are drawn; the chain's chart is not until the depth
    is answered; the reveal states the oracle's depth; a new depth asks anew."""
    app = run_app({"predict": "1"})
    assert chart_count(app) == 2
    assert COVER in [i.value for i in app.info]
    truth = float32_first_zero({})
    assert truth is not None
    answer_input(app, "chain").set_value(truth - 1)
    check(app)
    assert chart_count(app) == 3
    [said] = [i.value for i in app.info if i.value.startswith("You said")]
    assert said.startswith(f"You said L = {truth - 1}; the page computes L = {truth}: ")
    widget(app, "depth").set_value(truth - 1).run()  # float32 is not 0 up to there
    assert chart_count(app) == 2
    assert float32_first_zero({"depth": truth - 1}) is None
    [never] = [b for b in app.button if b.label.startswith("Answer: never")]
    never.click().run()
    [said] = [s.value for s in app.success]
    assert said.startswith(f"Right. You said never, up to L = {truth - 1}; ")
    assert url(app)["predict"] == "1"


def test_check_without_an_answer_says_so_and_keeps_the_cover() -> None:
    app = run_app({"predict": "1"})
    check(app)
    assert any("Choose or type an answer first" in w.value for w in app.warning)
    assert chart_count(app) == 2


def test_the_hessian_reveals_the_exact_verdict() -> None:
    """On the default surface and point the oracle's verdict is chosen: "Right", and the
    verdict metric is shown again."""
    app = run_app({"predict": "1", "section": "hessian"})
    values = {c.key: widget(app, c.key).value for c in PANELS["curvature"].controls}
    truth = hessian.oracle(values["surface"], values["pt_x"], values["pt_y"])["verdict"]
    assert "verdict" not in [m.label for m in app.metric]
    answer_input(app, "curvature").set_value(truth)
    check(app)
    [said] = [s.value for s in app.success]
    assert said.startswith("Right. You said ")
    assert [m.value for m in app.metric if m.label == "verdict"] == [truth]


def test_the_floating_point_question_reveals_the_lost_update() -> None:
    """The lesson "A lost update": numpy says 1 − 10⁻⁴ == 1 in float16; answering "changes"
    reveals that it is lost."""
    app = run_app({"predict": "1", "lesson": "lost_update"})
    lost = np.float16(1.0) - np.float16(0.1 * 10.0**-3) == np.float16(1.0)
    assert lost
    answer_input(app, "precision").set_value("changes")
    check(app)
    [said] = [i.value for i in app.info if i.value.startswith("You said")]
    assert said.startswith("You said yes, w changes; the page computes w − η·g == w")
    open_section(app, "answer")
    assert chart_count(app) == 2  # the chain's question is still open


def test_a_predict_value_other_than_1_or_0_is_refused() -> None:
    flags, notices = read_view({"predict": ["yes"]})
    assert flags == {}
    assert notices == ["predict “yes” ignored (1 or 0)"]
