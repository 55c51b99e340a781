"""Deliberate breaks of the lab's playback claims (``claims.mutation.Mutation``), each caught by
``tests/claims/test_claims_cursor.py``."""

from __future__ import annotations

from claims.mutation import Mutation

TEST = "tests/claims/test_claims_cursor.py::test_a_cursor_shows_exactly_its_moment_and_says_so"
MUTATIONS: list[Mutation] = [
    Mutation(
        "cursor: a view not past the rules' stop shows the steps after it",
        "vgapp/lab/cursor.py",
        "    if not cursor.past_stop and rule_stopped(snap):",
        "    if False:",
        TEST,
    ),
    Mutation(
        "cursor: the pause line drawn at the rules' stop and at the end too",
        "vgapp/lab/view.py",
        "    if paused_at is None or not snap.recorded or snap.status != PAUSED:",
        "    if paused_at is None or not snap.recorded:",
        TEST,
    ),
    Mutation(
        "cursor: a paused view shows one step more than its cursor",
        "vgapp/lab/cursor.py",
        "        last = min(last, held)",
        "        last = min(last, held + 1)",
        TEST,
    ),
    Mutation(
        "cursor: the stop shown before the view reaches it",
        "vgapp/lab/cursor.py",
        "    stop_shown = stop is not None and stop <= last",
        "    stop_shown = stop is not None",
        TEST,
    ),
]
