"""The training lab's view, composed from the runs' snapshots (``vgapp.lab.training``) while they
train: the verdict, the loss of both runs, and per run its metrics and one chart of three (the
per-layer gradient heatmap, the saturation or the fit), all of it growing with the runs.

The loss shown is F/n, the mean over the n = 256 samples of the summed loss F that the core
minimises (binary cross-entropy in nats for the classification sets, squared error for the
regression); thresholds on F, its change and its gradient apply to the sum F. A run trains until
its stopping rules stop it and waits there; continued, it trains on to the budget, and the page
shows what the stop cost: the gap between the loss at the stop and the loss reached.

The runs' findings are in ``vgapp.lab.findings``, their fit in ``vgapp.lab.fit``, the charts in
``vgapp.lab.charts``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from vgapp.blocks import Block, Chart, Columns, Metric, Metrics, PanelView, Text
from vgapp.formatting import sci
from vgapp.lab import charts
from vgapp.lab.controls import LAB_SAMPLES, REMEDIES
from vgapp.lab.findings import (
    layer_list,
    zero_layers,
)
from vgapp.lab.overflow import loss_domain, overflow_layers, overflow_note
from vgapp.lab.run_charts import RUN_CHARTS, chart_blocks
from vgapp.lab.runs import RunSpec
from vgapp.lab.runview import RunView, loss_text
from vgapp.lab.training.jobs import (
    CANCELLED,
    FAILED,
    FINISHED,
    PAUSED,
    QUEUED,
    RUNNING,
    WAITING,
    Snapshot,
)
from vgapp.vegalite import title as titled
from vgapp.words import ACTIVATION_LABELS, RULE_TEXT

YOURS, REMEDY = "your run", "remedy"


RUN_COLUMN_WIDTH = 440
"""Width in CSS pixels of each run's column (its metrics and its chart): the two side by side
on a 1366 or 1440 px screen (the lab is 906 and 980 px wide there), one under the other where
the page is narrower (a projector at 150% zoom, a phone), where a status such as "stopped by
the parameter-change rule" needs the width."""


def status_text(run: RunView) -> str:
    """Where the run is: ``"step 120 of 2,000, training"``, ``"stopped by ... at step 168"``,
    and for a run continued past the rules' stop both: ``"stopped by ... at step 3; continued
    to step 3,000 (the budget)"``."""
    snap = run.snapshot
    if snap.status == QUEUED and snap.over_share:
        return "waiting (your other tabs hold your share of the training slots)"
    if snap.status == QUEUED and snap.queue_position is None:
        return "waiting for a free training slot"
    if snap.status == QUEUED:
        return f"waiting for a free training slot (position {snap.queue_position} in the queue)"
    if snap.status == FAILED:
        return "failed: " + (snap.error or "unknown error").strip().splitlines()[-1]
    if snap.stopped_by == "non_finite":
        if snap.recorded == 0:
            return "overflowed at step 0 (loss or gradient not finite)"
        return f"overflowed after step {snap.stop_step:,} (loss or gradient not finite)"
    if snap.recorded == 0:
        return "starting"
    where = f"step {snap.step:,} of {snap.budget:,}"
    state = {RUNNING: "training", PAUSED: "paused", CANCELLED: "stopped by you"}.get(
        snap.status, snap.status
    )
    if run.rule_stopped:
        stop = f"{stop_phrase(run)} at step {snap.stop_step:,}"
        if not snap.continued:  # paused exactly at the stop after going past it: say so
            return f"{stop}; paused there" if snap.status == PAUSED else stop
        if snap.status == FINISHED:
            return f"{stop}; continued to step {snap.step:,} (the budget)"
        return f"{stop}; continued: {where}, {state}"
    if snap.status == FINISHED:
        return f"ran all {snap.budget:,} steps"
    return f"{where}, {state}"


def stop_phrase(run: RunView) -> str:
    """``"stopped by the parameter-change rule"``."""
    return f"stopped by {RULE_TEXT[run.snapshot.stopped_by or 'max_iter'].phrase}"


def time_left(snap: Snapshot[RunSpec]) -> float | None:
    """The one estimate of a run's time to its budget, in seconds, at the speed measured so
    far (None until measured, and once the run is done): the run's metric and the Continue
    button both show it, through ``time_text``."""
    if snap.status == FINISHED or snap.seconds_left is None:
        return None
    return float(snap.seconds_left)


def time_text(seconds: float) -> str:
    """An estimate as the page prints it: ``"≈ 19 s"``, ``"≈ 1,140 s"``, ``"< 1 s"``."""
    return "< 1 s" if seconds < 0.5 else f"≈ {seconds:,.0f} s"


def continue_label(snapshots: Sequence[Snapshot[RunSpec]]) -> str:
    """The Continue button's label: with the time the runs waiting at their stop will take to
    their budget (the longer one's, the same figure as its "time to the budget" metric)."""
    waiting = [time_left(s) for s in snapshots if s.status == WAITING]
    known = [seconds for seconds in waiting if seconds is not None]
    if not known:
        return "Continue to the budget"
    return f"Continue to the budget ({time_text(max(known))})"


def loss_subtitle(*, dots: bool, lines: int, paused: bool = False) -> str:
    """The loss chart's key, naming only what it draws: the dots where the rules first held,
    the dashed line where the rules stopped your run and, once continued, the one where it
    got; the solid line where you paused."""
    said = ["Mean loss per sample (F/n)."]
    if dots:
        said.append("Dots: where each stopping rule first held.")
    if lines == 1:
        said.append("Dashed line: where the rules stopped your run.")
    elif lines > 1:
        said.append(
            "Dashed lines: where the rules stopped your run, and where it got when continued."
        )
    if paused:
        said.append("Solid line: where you paused.")
    return " ".join(said)


def pause_mark(
    you: RunView, other: RunView | None, paused_at: int | None
) -> tuple[int, float, str] | None:
    """Where you paused, as the loss chart marks it: (step, loss, label), the label naming the
    remedy's step where it differs; None while playing, before any step, and where the view
    rests on the rules' stop (marked as that) or at the end."""
    snap = you.snapshot
    if paused_at is None or not snap.recorded or snap.status != PAUSED:
        return None
    loss = float(you.loss_mean[snap.step])
    text = f"you paused at step {snap.step:,}"
    if other is not None and other.snapshot.recorded and other.snapshot.step != snap.step:
        text += f" (the remedy at {other.snapshot.step:,})"
    return snap.step, loss, text


def run_summary(run: RunView) -> str:
    """A run's status with its loss: at the rules' stop, then (once continued) where the
    continuation got, each with its own step."""
    snap = run.snapshot
    if run.rule_stopped:
        text = f"{stop_phrase(run)} at step {snap.stop_step:,}, loss {loss_text(run.loss_at_stop)}"
        if snap.continued:
            ended = " (the budget)" if snap.status == FINISHED else ""
            text += (
                f"; continued to step {snap.step:,}{ended}: {loss_text(run.loss_now)} "
                f"({gap_text(run)})"
            )
        return text
    text = status_text(run)
    if snap.recorded:
        text += f", loss {loss_text(run.loss_now)}"
    return text


def verdict(mine: RunView, theirs: RunView | None, remedy: str) -> str:
    """The section's one-line finding, true at every moment of the runs: each run's stop and
    its continuation said separately."""
    text = f"Your {mine.spec.describe()}: {run_summary(mine)}"
    if theirs is None:
        return text + f". The remedy ({REMEDIES[remedy]}) changes nothing for this run."
    other = f"{remedy_name(mine, theirs, remedy)}: {run_summary(theirs)}"
    return f"{text}. {other[0].upper()}{other[1:]}."


def remedy_name(mine: RunView, theirs: RunView, remedy: str) -> str:
    """``"ReLU + He"``, with ``" (Armijo steps)"`` where its step rule is not yours."""
    steps = " (Armijo steps)" if theirs.spec.step_rule != mine.spec.step_rule else ""
    return REMEDIES[remedy] + steps


def gap_text(run: RunView) -> str:
    """What stopping cost: ``"10× lower than at the stop"``, or that it did not help."""
    at_stop, now = run.loss_at_stop, run.loss_now
    if at_stop is None or now is None or not (math.isfinite(at_stop) and math.isfinite(now)):
        return "no finite comparison"
    if now <= 0:
        return "down to exactly 0"
    ratio = at_stop / now
    if ratio >= 1.5:
        return f"{times(ratio)}× lower than at the stop"
    if ratio <= 1 / 1.5:
        return f"{times(1 / ratio)}× higher than at the stop: stopping cost nothing"
    return "within a factor 1.5 of the loss at the stop: stopping cost little"


def times(ratio: float) -> str:
    """A factor of at least 1 to 3 significant digits: ``1.57``, ``157``, ``2,480``,
    ``1.57 × 10⁶``."""
    if ratio >= 1e6:
        return sci(ratio)
    rounded_ratio = float(f"{ratio:.3g}")
    return f"{rounded_ratio:,.0f}" if rounded_ratio >= 100 else f"{rounded_ratio:.3g}"


def run_blocks(
    run: RunView, name: str, domain: tuple[float, float] | None, chart: str
) -> tuple[Block, ...]:
    """One run's column: its status, its ``chart`` (a ``RUN_CHARTS`` key) and its metrics (the
    status alone on top, so that the two runs' charts line up)."""
    snap = run.snapshot
    status = Metric(
        run.label, status_text(run).split(" (")[0], f"{run.spec.describe()}: {status_text(run)}."
    )
    metrics = []
    if run.rule_stopped:
        metrics.append(
            Metric("loss at the stop", loss_text(run.loss_at_stop), "Mean loss F/n at the stop.")
        )
    metrics.append(Metric("loss now", loss_text(run.loss_now), "Mean loss F/n at the last step."))
    seconds = time_left(snap)
    if seconds is not None:
        metrics.append(
            Metric(
                "time to the budget",
                time_text(seconds),
                "At the speed this run has trained so far, on this machine (while it trains: "
                "at most this, since a stopping rule may stop it sooner). The “Continue to "
                "the budget” button shows the same estimate.",
            )
        )
    if not snap.recorded:
        return (Metrics((status,)), Metrics(tuple(metrics)))
    drawn, number = chart_blocks(run, name, domain, chart)
    if number is not None:
        metrics.append(number)
    zeros = zero_layers(run)
    metrics.append(
        Metric(
            "layers with ‖dF/dz‖ = 0",
            str(len(zeros)),
            "Layers whose back-propagated gradient was exactly zero at some step"
            + (f": {layer_list(zeros)}." if zeros else "."),
        )
    )
    return (Metrics((status,)), *drawn, Metrics(tuple(metrics)))


def loss_title(mine: RunView, theirs: RunView | None, remedy: str) -> str:
    size = f"{mine.spec.depth} × {mine.spec.width}"
    precision = "mixed" if mine.spec.mixed else mine.spec.dtype
    mine_name = f"{size} {ACTIVATION_LABELS[mine.spec.activation]} ({precision})"
    head = title_part(mine_name, mine)
    if theirs is None or not theirs.snapshot.recorded:
        return head
    return f"{head}; {title_part(remedy_name(mine, theirs, remedy), theirs)}"


def title_part(name: str, run: RunView) -> str:
    """One run in the loss chart's title: at its stop, and after it once continued."""
    if run.rule_stopped and run.snapshot.continued:
        stop = run.snapshot.stop_step or 0
        return (
            f"{name}: {loss_text(run.loss_at_stop)} at the stop (step {stop:,}), "
            f"{loss_text(run.loss_now)} at step {run.snapshot.step:,}"
        )
    if run.rule_stopped:
        stop = run.snapshot.stop_step or 0
        return f"{name} stopped at step {stop:,}: {loss_text(run.loss_at_stop)}"
    return f"{name}: {loss_text(run.loss_now)} at step {max(run.snapshot.step, 0):,}"


def markers_of(runs: list[RunView]) -> pd.DataFrame:
    """One row per run and enabled rule that held: where it first held, and the loss there."""
    rows = []
    for run in runs:
        snap = run.snapshot
        for rule, step in snap.first_fired.items():
            if step is None or rule == "max_iter" or not snap.recorded:
                continue
            at = min(step, snap.recorded - 1)  # an overflow is marked at the last finite step
            rows.append(
                {
                    "run": run.label,
                    "rule": RULE_TEXT[rule].symbol,
                    "step": at,
                    "loss_mean": float(run.loss_mean[at]),
                    "text": f"{RULE_TEXT[rule].phrase} first holds at step {step:,}",
                }
            )
    columns = {"run": str, "rule": str, "step": np.int64, "loss_mean": float, "text": str}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def overflow_notes(mine: RunView, theirs: RunView | None, remedy: str) -> list[Block]:
    """Under the loss: for each run that overflowed, why and what to change."""
    named = [(mine, "Your run")] + (
        [(theirs, f"The remedy ({REMEDIES[remedy]})")] if theirs else []
    )
    notes = [overflow_note(run, who) for run, who in named]
    return [Text(note, "warning") for note in notes if note is not None]


def budget_note(spec: RunSpec, requested: int | None) -> str | None:
    """The sentence that says the budget was capped (None when it was not)."""
    budget = spec.rules.max_iter
    if requested is None or budget >= requested:
        return None
    return (
        f"The budget is capped at {budget:,} of the {requested:,} steps asked for: a step of a "
        f"{spec.depth} × {spec.width} network costs about depth × width² (float16 and float64 "
        "nearly twice float32), and the lab keeps a training to about a minute on a 2-core "
        "laptop."
    )


def lab_view(
    mine: Snapshot[RunSpec],
    theirs: Snapshot[RunSpec] | None,
    *,
    remedy: str,
    chart: str = "gradients",
    requested_steps: int | None = None,
    paused_at: int | None = None,
) -> PanelView:
    """The lab's blocks for the two runs as they stand (``theirs`` None when the remedy changes
    nothing for your run): the loss of both, then the runs side by side, each with its metrics
    and its ``chart`` (a ``RUN_CHARTS`` key); a note where the budget is below the
    ``requested_steps`` (capped); ``paused_at``: the step where you paused (marked)."""
    if chart not in RUN_CHARTS:
        raise ValueError(f"chart must be one of {', '.join(RUN_CHARTS)}, got {chart!r}")
    you = RunView(mine, YOURS)
    other = RunView(theirs, f"{REMEDY}: {REMEDIES[remedy]}") if theirs is not None else None
    runs = [you] + ([other] if other is not None else [])
    recorded = [run for run in runs if run.snapshot.recorded]
    blocks: list[Block] = []
    if not recorded:
        blocks.append(Text(f"**{verdict(you, other, remedy)}**"))
    else:
        frame = charts.loss_frame(
            {
                run.label: (run.snapshot.loss, run.snapshot.grad_norm, LAB_SAMPLES)
                for run in recorded
            }
        )
        markers = markers_of(recorded)
        pause = pause_mark(you, other, paused_at)
        callouts = []
        if you.rule_stopped and you.loss_at_stop is not None and you.snapshot.stop_step is not None:
            rule = RULE_TEXT[you.snapshot.stopped_by or "max_iter"].symbol
            callouts.append(
                (
                    you.snapshot.stop_step,
                    you.loss_at_stop,
                    f"stop ({rule}) at step {you.snapshot.stop_step:,}: "
                    f"{loss_text(you.loss_at_stop)}",
                )
            )
            if you.snapshot.continued and you.loss_now is not None and pause is None:
                callouts.append(
                    (you.snapshot.step, you.loss_now, f"continued: {loss_text(you.loss_now)}")
                )
        keep = tuple(int(k) for k in markers["step"])
        # the markers the chart draws: on its log axis, those at a positive finite loss (the
        # claims test holds the key and the drawn spec together)
        marked_loss = markers["loss_mean"].to_numpy(dtype=float)
        drawable = (marked_loss > 0) & np.isfinite(marked_loss)
        title = titled(
            loss_title(you, other, remedy),
            loss_subtitle(dots=bool(drawable.any()), lines=len(callouts), paused=pause is not None),
            wide=True,
        )
        y_domain = loss_domain(recorded)
        loss_spec = charts.loss_chart(
            frame,
            markers,
            callouts,
            names=[run.label for run in recorded],
            title=title,
            keep_steps=keep,
            budget=mine.budget,
            pause=pause,
            y_domain=y_domain,
            overflow=overflow_layers(recorded, y_domain[1], mine.budget) if y_domain else None,
        )
        blocks.append(
            Chart("lab_loss", loss_spec, verdict(you, other, remedy), frame, caption=False)
        )
    blocks += overflow_notes(you, other, remedy)
    capped = budget_note(mine.spec, requested_steps)
    if capped is not None:
        blocks.append(Text(capped, "caption"))
    domain = charts.positive_range(*(run.snapshot.backprop_norms for run in runs))
    yours = run_blocks(you, "yours", domain, chart)
    if other is not None:
        theirs_blocks = run_blocks(other, "remedy", domain, chart)
    else:
        note = f"The remedy ({REMEDIES[remedy]}) changes nothing for your run: pick another."
        theirs_blocks = (Text(note, "info"),)
    blocks.append(Columns((yours, theirs_blocks), flow=RUN_COLUMN_WIDTH))
    return PanelView(tuple(blocks), facts={"runs": runs})
