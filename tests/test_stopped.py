"""The answer's picture (``vgapp/panels/stopped.py`` and its chart builder): a valid Vega-Lite
spec with the marks and labels the page promises, the stop where the core's descent stopped, the
lab's own run behind it, and its place in the registry. The sentences' oracles are in
``tests/claims/test_claims_stopped.py``."""

from __future__ import annotations

import numpy as np
import pytest
from altair.vegalite.v6.schema.core import TopLevelSpec

from vgapp import page
from vgapp import vegalite as vl
from vgapp.lab.runs import lab_data, train
from vgapp.panels import stopped
from vgapp.panels.stopped_chart import COLORS, CONTINUED, LOSS_TITLE, STOPPED, chart


@pytest.fixture(scope="module")
def drawn():
    return page.PANELS["stopped"].view()


def units(spec: dict, mark: str) -> list[dict]:
    return [unit for unit in spec["layer"] if unit["mark"]["type"] == mark]


def test_the_picture_is_the_answer_sections_lead_and_in_the_registry():
    answer = page.SECTION_BY_KEY["answer"]
    assert answer.lead is stopped.PANEL
    assert answer.every_panel[0] is stopped.PANEL
    assert stopped.PANEL not in answer.panels  # the headline panels stay side by side
    assert page.PANELS["stopped"] is stopped.PANEL
    assert page.SECTION_OF_PANEL["stopped"] == "answer"
    assert stopped.PANEL.controls == ()
    assert stopped.PANEL.lesson in page.LESSONS


def test_the_run_is_the_lessons_as_the_lab_trains_it_memoised(drawn):
    """The picture's run is lesson ④'s, trained by the lab's own code to its budget; it is
    trained once per process."""
    spec = stopped.lesson_spec()
    assert spec == stopped.lesson_spec(page.PANELS["stopped"].lesson)
    run = stopped.picture_run()
    assert stopped.picture_run() is run
    again = train(spec, lab_data(spec.dataset, spec.seed), "")
    np.testing.assert_array_equal(run.result.loss, again.result.loss)
    picture = drawn.facts["picture"]
    np.testing.assert_array_equal(picture.loss, again.loss_mean)
    assert picture.stop == again.result.stop_iter == again.result.first_fired["eps"]
    assert picture.rule == "eps"
    assert picture.end == spec.budget


def test_spec_is_valid_vega_lite_with_the_promised_marks(drawn):
    """Schema-valid; the continuation a blue line, the run to the stop vermilion with dots (apart
    in colour and shape), the stop a dashed rule at the step the core stopped, dark labels."""
    figure = drawn.chart("stopped")
    spec = figure.spec
    TopLevelSpec.validate(spec)
    picture = drawn.facts["picture"]
    lines = units(spec, "line")
    assert [unit["mark"]["color"] for unit in lines] == [COLORS[CONTINUED], COLORS[STOPPED]]
    assert COLORS[CONTINUED] != COLORS[STOPPED]
    assert "point" in lines[1]["mark"]
    assert "point" not in lines[0]["mark"]
    stopped_rows, continued_rows = lines[1]["data"]["values"], lines[0]["data"]["values"]
    assert [row["step"] for row in stopped_rows] == list(range(picture.stop + 1))
    assert continued_rows[0]["step"] == picture.stop  # the continuation starts at the stop
    assert continued_rows[-1]["step"] == picture.end
    assert len(continued_rows) <= vl.MAX_POINTS + picture.stop + 2
    [rule] = units(spec, "rule")
    assert rule["data"]["values"] == [{"step": picture.stop}]
    assert rule["mark"]["strokeDash"]
    texts = units(spec, "text")
    assert {unit["mark"]["color"] for unit in texts} == {vl.TEXT_COLOR}
    stop_label, end_label = (unit["data"]["values"][0] for unit in texts)
    assert stop_label["step"] == picture.stop
    assert stop_label["text"].startswith("the rule stops here:\nstep ")
    assert end_label["text"].startswith("continued: ")
    assert end_label["step"] == picture.end
    assert end_label["loss"] == pytest.approx(picture.at_end)


def test_axes_tooltips_title_alt_and_data(drawn):
    """Loss on a log scale labelled with its units, step on a linear axis; tooltips with the
    step and the loss; the title states the finding; an alt text; the CSV holds every step."""
    figure = drawn.chart("stopped")
    spec = figure.spec
    for unit in units(spec, "line"):
        y = unit["encoding"]["y"]
        assert y["scale"]["type"] == "log"
        assert y["title"] == LOSS_TITLE
        assert "nats" in LOSS_TITLE
        assert unit["encoding"]["x"]["title"].endswith("step k")
        fields = [entry["field"] for entry in unit["encoding"]["tooltip"]]
        assert {"step", "loss"} <= set(fields)
    assert spec["description"].startswith("Stopped on a plateau at step ")
    assert "text" in spec["title"]
    assert figure.alt.startswith("Mean loss against step")
    frame = figure.frame
    picture = drawn.facts["picture"]
    assert frame["step_k"].tolist() == list(range(picture.end + 1))
    np.testing.assert_array_equal(frame["mean_loss_nats"].to_numpy(), picture.loss)
    assert (frame["part"] == "until the stop").sum() == picture.stop + 1
    assert [text.kind for text in drawn.texts] == ["caption"]


def test_the_title_wraps_for_a_narrow_column():
    """The title is broken into lines of at most ``vl.TITLE_LINE`` characters (the picture's
    chart is as narrow as a headline chart at 150 % zoom with the sidebar open), never one long
    cut line, and nothing of it is lost."""
    text = stopped.title_text(stopped.picture_of(stopped.picture_run()))
    drawn = stopped.view().charts[0].spec["title"]["text"]
    assert isinstance(drawn, list)
    assert len(drawn) > 1
    assert all(len(line) <= vl.TITLE_LINE for line in drawn)
    assert " ".join(drawn) == text


def test_the_chart_is_compact():
    """About 240 px tall with its title and axis: a plot of at most 110 px."""
    loss = np.geomspace(0.7, 0.004, 50)
    spec = chart(loss, stop=3, title=vl.title("t"), stop_label=["a:", "b"], end_label=["c", "d"])
    assert spec["height"] <= 110
    assert spec["layer"][1]["data"]["values"][-1]["step"] == 3
