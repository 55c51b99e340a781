"""Each session's own cursor on a shared run (``vgapp.lab.cursor`` and the engine's demands):
a setting trains once for everyone, a session's pause, steps and stop-or-budget move only its
own view, the engine trains only as far as some session needs, and a link's cursor is checked
against the budget. Expected traces come from an in-process run (``vgapp.lab.runs.train``)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_training import STOP_STEP, reference, spec_of, wait_for

from vgapp.lab import cursor as lab_cursor
from vgapp.lab.cursor import LIVE, Cursor, at_cursor, read_cursor
from vgapp.lab.training.engine import (
    FINISHED,
    PAUSED,
    QUEUED,
    RUNNING,
    WAITING,
    Demand,
    TrainingEngine,
)

BUDGET = 50


@pytest.fixture
def engine():
    engine = TrainingEngine(backend="process", watcher_timeout_s=30.0, idle_exit_s=30.0)
    yield engine
    engine.close()


def watch(engine, session, spec, cursor: Cursor):
    """This session's view of ``spec`` at ``cursor`` (the engine told its demand)."""
    (snap,) = engine.view(session, (spec,), demands=cursor.demands(1))
    return snap, at_cursor(snap, cursor)


def until(engine, session, spec, cursor, done, what):
    seen = []

    def poll():
        seen.append(watch(engine, session, spec, cursor))
        return done(*seen[-1])

    wait_for(poll, what)
    return seen[-1]


def test_a_paused_session_keeps_its_view_while_another_plays_on(engine):
    spec = spec_of(lab_eps="off")
    expected = reference(spec).result
    paused = Cursor(at=(5,))
    _, mine = until(engine, "a", spec, paused, lambda s, v: v.status == PAUSED, "a paused at 5")
    _snap, theirs = until(
        engine, "b", spec, LIVE, lambda s, v: v.status == FINISHED, "b played to the budget"
    )
    _, mine_again = watch(engine, "a", spec, paused)
    assert mine_again.step == mine.step == 5
    assert mine_again.status == PAUSED
    assert np.array_equal(mine_again.loss, expected.loss[:6])
    assert theirs.step == BUDGET
    assert np.array_equal(theirs.loss, expected.loss)
    assert engine.stats().trainings_started == 1


def test_alone_a_pause_holds_the_training_and_play_trains_on(engine):
    spec = spec_of(lab_eps="off", lab_steps=5000, lab_depth=4, lab_width=32)
    snap, view = until(engine, "a", spec, LIVE, lambda s, v: v.step >= 20, "twenty steps")
    paused = lab_cursor.pause([view], LIVE)
    snap, view = until(
        engine, "a", spec, paused, lambda s, v: s.status == PAUSED, "the training held"
    )
    assert (view.step,) == paused.at
    assert view.status == PAUSED
    held_at = snap.step
    time.sleep(0.3)
    (later,) = engine.view("a", (spec,), demands=paused.demands(1))
    assert later.step == held_at  # nobody needs more: nothing trains
    snap, view = until(
        engine, "a", spec, lab_cursor.play(paused), lambda s, v: v.step > held_at + 5, "play"
    )
    assert view.status in (RUNNING, FINISHED)


def test_a_session_not_past_the_stop_stays_there_when_another_continues(engine):
    spec = spec_of(lab_eps="1e-2")  # the parameter-change rule stops it at step 10
    expected = reference(spec).result
    _, mine = until(engine, "a", spec, LIVE, lambda s, v: v.status == WAITING, "a at the stop")
    assert mine.step == mine.stop_step == STOP_STEP
    past = lab_cursor.to_budget()
    _, theirs = until(engine, "b", spec, past, lambda s, v: v.status == FINISHED, "b on")
    _, mine = watch(engine, "a", spec, LIVE)
    assert mine.status == WAITING
    assert mine.step == STOP_STEP
    assert not mine.continued
    assert theirs.step == BUDGET
    assert theirs.continued
    assert np.array_equal(theirs.loss, expected.loss)
    back = lab_cursor.back_to_stop([STOP_STEP], [theirs])
    _, theirs = watch(engine, "b", spec, back)
    assert theirs.step == STOP_STEP
    assert theirs.status == WAITING
    assert not theirs.continued


def test_ten_steps_stop_at_the_rules_stop_then_go_past_it(engine):
    spec = spec_of(lab_eps="1e-2")
    cursor = Cursor(at=(0,))
    _, view = until(engine, "a", spec, cursor, lambda s, v: v.status == PAUSED, "step 0")
    cursor = lab_cursor.step_on([view], cursor, BUDGET)
    _, view = until(engine, "a", spec, cursor, lambda s, v: v.status == WAITING, "the stop")
    assert view.step == STOP_STEP  # 10 steps from 0 reach the stop at 10 and wait there
    cursor = lab_cursor.step_on([view], cursor, BUDGET)
    assert cursor == Cursor(at=(STOP_STEP + 10,), past_stop=True)
    _, view = until(engine, "a", spec, cursor, lambda s, v: v.status == PAUSED, "past it")
    assert view.step == STOP_STEP + 10
    assert view.continued


def test_a_link_cursor_trains_only_as_far_as_it_needs(engine):
    spec = spec_of(lab_eps="off")
    expected = reference(spec).result
    cursor = Cursor(at=(20,))
    snap, view = until(engine, "a", spec, cursor, lambda s, v: s.status == PAUSED, "held")
    assert view.step == 20
    assert view.status == PAUSED
    assert snap.step <= 21  # the worker holds at the first step past what was asked
    assert np.array_equal(view.loss, expected.loss[:21])
    assert view.x_now_step is None or view.x_now_step <= 20


def test_a_view_before_the_stop_does_not_show_it(engine):
    spec = spec_of(lab_eps="1e-2")
    until(engine, "b", spec, lab_cursor.to_budget(), lambda s, v: v.status == FINISHED, "done")
    _, view = watch(engine, "a", spec, Cursor(at=(STOP_STEP - 1,)))
    assert view.stopped_by is None
    assert view.stop_step is None
    assert view.x_stop is None
    assert all(step is None or step < STOP_STEP for step in view.first_fired.values())
    assert view.status == PAUSED


def test_demands_must_be_one_per_spec(engine):
    spec = spec_of()
    with pytest.raises(ValueError, match="demands"):
        engine.view("a", (spec,), demands=(Demand(), Demand()))
    with pytest.raises(ValueError, match="demands"):
        engine.view("a", (spec,), demands=("live",))


def test_queued_views_say_queued():
    engine = TrainingEngine(backend="thread", max_running=1, watcher_timeout_s=30.0)
    try:
        specs = (spec_of(lab_eps="off", lab_seed=1), spec_of(lab_eps="off", lab_seed=2))
        snaps = engine.view("a", specs, demands=LIVE.demands(2))
        views = lab_cursor.at_all(snaps, LIVE)
        assert QUEUED in [v.status for v in views]
    finally:
        engine.close()


# ----------------------------------------------------------------------------- the link

TEXTS = st.one_of(
    st.text(max_size=12),
    st.integers(-10, 10**8).map(str),
    st.sampled_from(["", " 7 ", "+3", "1e3", "٣", "²", "0x10", "50", "51", "0"]),
)


@given(
    at=st.lists(st.one_of(TEXTS, st.tuples(TEXTS, TEXTS).map(",".join)), max_size=3),
    past=st.lists(TEXTS, max_size=2),
    runs=st.sampled_from([1, 2]),
)
def test_a_links_cursor_is_checked_against_the_budget(at, past, runs):
    cursor, notices = read_cursor({"lab_at": at, "lab_past": past}, BUDGET, runs)
    texts = list(dict.fromkeys(text.strip() for text in at))
    parts = texts[0].split(",") if len(texts) == 1 else []
    valid = len(parts) == runs and all(
        part.isascii() and part.isdigit() and len(part) <= 7 and int(part) <= BUDGET
        for part in parts
    )
    assert cursor.at == (tuple(int(part) for part in parts) if valid else None)
    assert (any("lab_at" in n for n in notices)) == (bool(texts) and not valid)
    flags = list(dict.fromkeys(text.strip() for text in past))
    assert cursor.past_stop == (flags == ["1"])
    assert (any("lab_past" in n for n in notices)) == (bool(flags) and flags not in (["0"], ["1"]))


def test_a_cursor_goes_into_the_link_and_back():
    cursors = (
        LIVE,
        Cursor(at=(0, 7)),
        Cursor(at=(BUDGET, 3), past_stop=True),
        lab_cursor.to_budget(),
    )
    for cursor in cursors:
        query = {key: [value] for key, value in lab_cursor.cursor_query(cursor).items()}
        assert read_cursor(query, BUDGET, 2) == (cursor, [])


def test_a_queued_run_whose_pause_is_already_recorded_leaves_the_queue():
    """A run viewed again after its watchers left is queued behind another; a pause within the
    steps it has takes it out of the queue (it would retrain from step 0 only to hold)."""
    engine = TrainingEngine(backend="thread", max_running=1, watcher_timeout_s=30.0)
    try:
        first = spec_of(lab_eps="off", lab_seed=5, lab_steps=5000, lab_depth=4, lab_width=32)
        other = spec_of(lab_eps="off", lab_seed=6, lab_steps=5000, lab_depth=4, lab_width=32)
        until(engine, "a", first, LIVE, lambda s, v: v.step >= 5, "five steps")
        engine.view("a", (other,), demands=LIVE.demands(1))  # the first one is abandoned
        wait_for(
            lambda: engine.view("a", (other,), demands=LIVE.demands(1))[0].status == RUNNING,
            "the other run training",
        )
        snap, _ = watch(engine, "b", first, LIVE)
        assert snap.status == QUEUED
        started = engine.stats().trainings_started
        snap, view = watch(engine, "b", first, Cursor(at=(3,)))
        assert snap.status == PAUSED
        assert snap.queue_position is None
        assert view.status == PAUSED
        assert view.step == 3
        engine.view("a", (), demands=())  # the other run is left: its slot frees
        time.sleep(0.3)
        watch(engine, "b", first, Cursor(at=(3,)))
        assert engine.stats().trainings_started == started
    finally:
        engine.close()
