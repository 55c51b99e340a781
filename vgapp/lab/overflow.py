"""A lab run that overflowed (its loss or gradient became non-finite): the sentence that says why
and what to change, and how the loss chart keeps it from taking the axis over.

A run that overflows first grows, often to 10¹⁰ and beyond, before its values leave the format;
on a log axis drawn to its largest loss the other run would be a flat line at the bottom. The
loss axis therefore ends ``OVERFLOW_HEADROOM`` times above the largest loss of the runs that did
not overflow (or, when every run did, above their step-0 losses); above it the lines are clipped,
and each overflowed run is marked by a labelled rule at its last finite step (MATH.md C: a
constant step above 2/L makes descent grow).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vgapp import vegalite as vl
from vgapp.formatting import sci
from vgapp.lab import charts
from vgapp.lab.controls import LAB_SAMPLES
from vgapp.lab.runview import RunView, loss_text

OVERFLOW_HEADROOM = 10.0
"""The loss axis reaches this factor above the largest loss it must show in full."""


def overflowed(run: RunView) -> bool:
    """Whether the run's loss or gradient became non-finite (also past a rule's stop)."""
    return run.snapshot.first_fired.get("non_finite") is not None


def _largest(run: RunView) -> float | None:
    loss = run.loss_mean
    shown = loss[(loss > 0) & np.isfinite(loss)]
    return float(shown.max()) if shown.size else None


def loss_domain(runs: list[RunView]) -> tuple[float, float] | None:
    """The loss axis [low, high] when some run overflowed (None otherwise, or with nothing
    positive to show): high is ``OVERFLOW_HEADROOM`` times the largest loss of the runs that did
    not overflow, or of the overflowed runs' step-0 losses when all did; low the smallest
    positive loss at or below high."""
    if not any(overflowed(run) for run in runs):
        return None
    kept = [_largest(run) for run in runs if not overflowed(run)]
    tops = [top for top in kept if top is not None]
    if not tops:
        tops = [float(run.loss_mean[0]) for run in runs if run.snapshot.recorded]
        tops = [top for top in tops if top > 0 and np.isfinite(top)]
    if not tops:
        return None
    high = max(tops) * OVERFLOW_HEADROOM
    values = np.concatenate([run.loss_mean for run in runs])
    below = values[(values > 0) & (values <= high)]
    return (float(below.min()) if below.size else high / OVERFLOW_HEADROOM, high)


def overflow_label(run: RunView) -> str:
    """``"overflow after step 8"`` (the run's last finite step)."""
    return f"overflow after step {run.snapshot.recorded - 1:,}"


def overflow_layers(runs: list[RunView], high: float, budget: int | None) -> list[dict[str, Any]]:
    """Per overflowed run with a finite step: a solid rule at its last finite step and, at the
    top of the axis (``high``), its label ``overflow_label``."""
    marked = [run for run in runs if overflowed(run) and run.snapshot.recorded]
    if not marked:
        return []
    data = vl.rows(
        step=[run.snapshot.recorded - 1 for run in marked],
        loss_mean=[high] * len(marked),
        text=[f"{run.label}: {overflow_label(run)}" for run in marked],
    )
    x = charts.step_x(budget=budget, short=False)
    tip = [vl.field("text", vl.N, title="")]
    # dotted: the solid line is where you paused, the dashed ones where the rules stopped
    dotted = {"type": "rule", "color": vl.BLACK, "strokeWidth": 2, "strokeDash": [1, 3]}
    rule = vl.layer(data, dotted, x=x, tooltip=tip)
    label = vl.layer(
        data,
        {"type": "text", "align": "right", "dx": -4, "dy": 10, "fontSize": 12},
        x=x,
        y=vl.field("loss_mean", vl.Q),
        text=vl.field("text", vl.N),
        color={"value": vl.TEXT_COLOR},
    )
    return [rule, label]


def overflow_note(run: RunView, who: str) -> str | None:
    """Why ``who`` (``"Your run"``, ``"The remedy"``) overflowed and what to change; None for a
    run that did not overflow. Said from the trace and the spec: the step, the format's largest
    number, whether F grew before it (constant steps above 2/L make it grow, MATH.md C), and
    the settings that would avoid it."""
    if not overflowed(run):
        return None
    spec, snap = run.spec, run.snapshot
    dtype = "float16" if spec.mixed else spec.dtype
    largest = f"the largest {dtype} number, {sci(float(np.finfo(dtype).max), 2)}"
    changes = []
    if snap.recorded == 0:
        said = [f"{who} overflowed at step 0, before any step: its loss or gradient at the "
                f"initial weights exceeds {largest}."]  # fmt: skip
    else:
        said = [f"{who} overflowed after step {snap.recorded - 1:,}: its loss or gradient "
                f"then exceeded {largest}."]  # fmt: skip
        first, top = float(run.loss_mean[0]), _largest(run)
        if spec.step_rule == "constant" and top is not None and top > first:
            said.append(
                f"Its mean loss grew from {loss_text(first)} to {loss_text(top)} before that: "
                f"a constant step η = {sci(spec.eta, 1)} above 2/L, L the largest curvature of "
                f"F (a sum over the {LAB_SAMPLES} samples), makes descent grow instead of "
                "descend."
            )
        if spec.step_rule == "constant":
            changes.append("a smaller η or Armijo backtracking")
    if spec.loss_scale != 1:
        changes.append("a smaller loss scale (or mixed precision, whose scale backs off)")
    if spec.init == "custom":
        changes.append("a smaller initial scale s")
    if dtype == "float16":
        changes.append("float32")
    if not changes:
        changes.append("a smaller η")
    said.append(f"To avoid it, choose {' or '.join(changes)}.")
    return " ".join(said)
