"""Claims of the lab's transport buttons and its waiting notices, against oracles that read
the engine's snapshots and the engine's own bookkeeping (no code of ``vgapp.lab.cursor``'s
moves or of the page's notices):

* "Pause: your view stands still": the paused view shows exactly the steps that were drawn;
* "+10 steps … at the rules' stop, past it": each run ten steps on from where it was drawn
  (up to what the trace holds and the budget), past its stop when one was shown;
* "Each run at the step where its stopping rules stopped it … (a run they have not stopped
  stays where it is shown)";
* the waiting notice names the share the engine enforces, and appears only while a run of
  this visitor is held back by it.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from claims.test_claims_lab import (
    PROPERTY,
    engine,  # noqa: F401 (the module's trained-runs fixture)
    settings_strategy,
    trained,
)
from vgapp.lab.controls import LAB_DEFAULTS
from vgapp.lab.cursor import Cursor, at_all, back_to_stop, pause, step_on
from vgapp.lab.runs import spec_from_controls
from vgapp.lab.training.engine import TrainingEngine
from vgapp.lab.training.jobs import QUEUED, RUNNING
from vgui.lab import lab_notice

STEP_BY = 10


def is_rule(snapshot) -> bool:
    return snapshot.stopped_by not in (None, "max_iter", "non_finite")


@given(
    values=settings_strategy(lab_steps=st.sampled_from([10, 30, 50])),
    at=st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(0, 60))),
    past_stop=st.booleans(),
)
@PROPERTY
def test_each_button_moves_each_run_where_its_help_says(engine, values, at, past_stop):  # noqa: F811
    snapshots, _, specs = trained(engine, values, to_budget=True)
    drawn = at_all(snapshots, Cursor(at=at[: len(specs)] if at else None, past_stop=past_stop))
    shown = [view.step for view in drawn]

    frozen = at_all(snapshots, pause(drawn, Cursor(past_stop=past_stop)))
    assert [view.step for view in frozen] == shown

    stepped = step_on(drawn, Cursor(past_stop=past_stop), snapshots[0].budget)
    past = past_stop or any(view.status == "waiting" for view in drawn)
    for snapshot, view, step in zip(snapshots, at_all(snapshots, stepped), shown, strict=True):
        expected = min(max(step, 0) + STEP_BY, snapshot.budget, snapshot.recorded - 1)
        if is_rule(snapshot) and not past:
            expected = min(expected, snapshot.stop_step)
        assert view.step == expected

    stops = [s.stop_step if is_rule(s) else None for s in snapshots]
    back = at_all(snapshots, back_to_stop(stops, drawn))
    for snapshot, view, step in zip(snapshots, back, shown, strict=True):
        held = min(max(step, 0), snapshot.recorded - 1)  # -1: nothing recorded (overflow at 0)
        assert view.step == (snapshot.stop_step if is_rule(snapshot) else held)


def test_the_waiting_notice_names_the_share_the_engine_enforces():
    share = 2
    shared = TrainingEngine(backend="thread", max_running=1, max_per_visitor=share)
    heavy = [
        spec_from_controls(
            {
                **LAB_DEFAULTS,
                "lab_depth": 8,
                "lab_width": 64,
                "lab_steps": 5000,
                "lab_eps": "off",
                "lab_seed": seed,
            }
        )
        for seed in range(3)
    ]
    try:
        first = shared.view("tab1", heavy[:share], visitor="10.0.0.1")
        said = lab_notice(first, shared.max_per_visitor, 1)
        assert said is None or "you already have" not in said[0]  # queued, not held back
        (held,) = shared.view("tab2", heavy[share:], visitor="10.0.0.1")
        mine = shared.view("tab1", heavy[:share], visitor="10.0.0.1")
        counted = sum(1 for s in mine if s.status in (QUEUED, RUNNING))
        assert counted == share  # this visitor's runs, as the engine counts them
        said = lab_notice((held,), shared.max_per_visitor, 1)
        assert said is not None
        assert f"you already have {counted} trainings running" in said[0]
        shared.leave("tab1")
        (started,) = shared.view("tab2", heavy[share:], visitor="10.0.0.1")
        said = lab_notice((started,), shared.max_per_visitor, 1)
        assert said is None or "you already have" not in said[0]
    finally:
        shared.close()
