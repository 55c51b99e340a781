"""Claims of the lab's playback, each session's own cursor on the shared runs: what a paused,
stepped, stopped or continued view shows, against an oracle that reads the engine's trace
directly (no code of ``vgapp.lab.cursor``).

For runs trained to their budget, hypothesis draws a cursor (playing, or held at any step of
each run; past the rules' stop or not) and checks: each run's shown trace is the engine's trace
up to the step the oracle computes (the cursor, the rules' stop unless past it, what is
recorded); each run's status says what that step is ("paused", the rules' stop, the budget);
the verdict and the loss chart's key hold for the view (``check_verdict``, ``check_loss_key``:
the solid line where you paused, iff you paused before your run's stop and end).
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from claims.test_claims_lab import (
    DEFAULTS,
    PROPERTY,
    check_loss_key,
    check_verdict,
    engine,  # noqa: F401 (the module's trained-runs fixture)
    settings_strategy,
    trained,
)
from vgapp.blocks import Columns, Metrics
from vgapp.lab import panel as lab_panel
from vgapp.lab.cursor import Cursor, at_all
from vgapp.lab.view import YOURS


def shown_until(snapshot, at: int | None, past_stop: bool) -> int:
    """The oracle: the last step a view shows, from the engine snapshot's own fields."""
    last = snapshot.recorded - 1
    if at is not None:
        last = min(last, at)
    rule = snapshot.stopped_by not in (None, "max_iter", "non_finite")
    if rule and not past_stop and snapshot.stop_step is not None:
        last = min(last, snapshot.stop_step)
    return last


def status_words(view) -> list[str]:
    """Each run's status metric, as the page shows it (yours first)."""
    [runs] = [b for b in view.blocks if isinstance(b, Columns)]
    words = []
    for column in runs.columns:
        for block in column:
            if isinstance(block, Metrics) and block.items[0].label.startswith((YOURS, "remedy")):
                words.append(block.items[0].help)
                break
    return words


CURSORS = st.one_of(
    st.none(),
    st.tuples(st.integers(0, 60), st.integers(0, 60)),
)


@example(  # found: the remedy paused exactly on its stop after going past it
    values={**DEFAULTS, "lab_dataset": "xor", "lab_depth": 3, "lab_width": 8, "lab_steps": 10,
            "lab_dtype": "float16", "lab_eps": "1e-1", "lab_remedy": "tanh_xavier",
            "lab_chart": "gradients"},
    at=(0, 2),
    past_stop=True,
)  # fmt: skip
@given(
    values=settings_strategy(lab_steps=st.sampled_from([10, 30, 50])),
    at=CURSORS,
    past_stop=st.booleans(),
)
@PROPERTY
def test_a_cursor_shows_exactly_its_moment_and_says_so(engine, values, at, past_stop):  # noqa: F811
    snapshots, _, specs = trained(engine, values, to_budget=True)
    at = None if at is None else tuple(min(step, snapshots[0].budget) for step in at)
    cursor = Cursor(at=at[: len(specs)] if at else None, past_stop=past_stop)
    views = at_all(snapshots, cursor)
    _, _, remedy = lab_panel.specs(values)
    view = lab_panel.compose(views, remedy, lab_panel.chart_of(values), None, cursor)
    paused_yours = False
    for run, (snapshot, shown) in enumerate(zip(snapshots, views, strict=True)):
        held = None if cursor.at is None else cursor.at[min(run, len(cursor.at) - 1)]
        last = shown_until(snapshot, held, past_stop)
        assert shown.step == last
        assert np.array_equal(shown.loss, snapshot.loss[: last + 1], equal_nan=True)
        rule = snapshot.stopped_by not in (None, "max_iter", "non_finite")
        at_stop = rule and not past_stop and last == snapshot.stop_step
        at_end = last == snapshot.recorded - 1 and (not rule or past_stop)
        paused = held is not None and last == held and not at_stop and not at_end
        words = status_words(view)[run] if snapshot.recorded else ""
        if at_stop:
            assert "stopped by" in words
            assert "continued" not in words
        elif paused and rule and last == snapshot.stop_step:  # past the stop, back on it
            assert words.endswith(f"at step {last:,}; paused there.")
        elif paused:
            assert words.endswith(f"step {last:,} of {snapshot.budget:,}, paused.")
        if rule and snapshot.stop_step is not None and last < snapshot.stop_step:
            assert "stopped by" not in words
        if run == 0:
            paused_yours = paused
    check_verdict(view, views)
    check_loss_key(view, views, paused=paused_yours)
