"""The training lab's view, composed from the runs' snapshots (``vgapp.lab.training``) while they
train: the verdict, the loss of both runs, and per run its metrics and one chart of three (the
per-layer gradient heatmap, the saturation or the fit), all of it growing with the runs.

The loss shown is F/n, the mean over the n = 256 samples of the summed loss F that the core
minimises (binary cross-entropy in nats for the classification sets, squared error for the
regression); thresholds on F, its change and its gradient apply to the sum F. A run trains until
its stopping rules stop it and waits there; continued, it trains on to the budget, and the page
shows what the stop cost: the gap between the loss at the stop and the loss reached.

One idea despite its length (~490 lines): the lab's view of a pair of runs. Its sentences (the
verdict, the status, the gap, the heatmap's and the saturation's findings) and the metrics and
charts they describe read the same ``RunView``; the sentences are tested against the figures
beside them, so they stay in the module that computes those figures. The charts themselves are
built in ``vgapp.lab.charts``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from vgapp.blocks import Block, Chart, Columns, Metric, Metrics, PanelView, Text
from vgapp.formatting import sci
from vgapp.lab import charts
from vgapp.lab.controls import LAB_SAMPLES, REMEDIES, RUN_CHARTS
from vgapp.lab.runs import RunSpec, initial_parameters, lab_data, loss_of
from vgapp.lab.training.jobs import CANCELLED, FAILED, FINISHED, PAUSED, QUEUED, RUNNING, Snapshot
from vgapp.vegalite import title as titled
from vgapp.words import ACTIVATION_LABELS, RULE_TEXT, SATURATED_WORD, SATURATION_AXIS
from vgcore.activations import sigmoid
from vgcore.datasets import Dataset
from vgcore.mlp import mlp_forward_backward, mlp_predict, unflatten_params

BOUNDARY_GRID = 24
CURVE_POINTS = 200
SATURATION_SHOWN = 0.01
"""A saturation chart is drawn only where some layer reaches this share at some step; else a
sentence says that no unit saturates (an empty chart teaches nothing)."""
YOURS, REMEDY = "your run", "remedy"
RUN_COLUMN_WIDTH = 440
"""Width in CSS pixels of each run's column (its metrics and its chart): the two side by side
on a 1366 or 1440 px screen (the lab is 906 and 980 px wide there), one under the other where
the page is narrower (a projector at 150% zoom, a phone), where a status such as "stopped by
the parameter-change rule" needs the width."""

CACHED_SETTINGS = 64
"""Lab settings whose data and step-0 factors stay memoised (each a few kB to a MB)."""


@lru_cache(maxsize=CACHED_SETTINGS)
def data_of(dataset: str, seed: int) -> Dataset:
    """The lab's data for a run (seeded; the same for every session; the latest
    ``CACHED_SETTINGS`` kept: the seed comes from a link, so the cache must be bounded)."""
    return lab_data(dataset, seed)


def loss_text(value: float | None) -> str:
    """A mean loss for the page: 3 significant digits, tiny values in scientific notation."""
    if value is None or not math.isfinite(value):
        return "not finite"
    if value == 0 or 1e-3 <= value < 1e4:
        return f"{value:.3g}"
    return sci(value)


@dataclass(frozen=True)
class RunView:
    """One run as the page reads its snapshot."""

    snapshot: Snapshot
    label: str

    @property
    def spec(self) -> RunSpec:
        return self.snapshot.spec

    @property
    def loss_mean(self) -> np.ndarray:
        return self.snapshot.loss / LAB_SAMPLES

    @property
    def stopped(self) -> bool:
        return self.snapshot.stopped_by is not None and self.snapshot.stop_step is not None

    @property
    def rule_stopped(self) -> bool:
        """Stopped by a stopping rule (not by the step limit or an overflow)."""
        return self.stopped and self.snapshot.stopped_by not in ("max_iter", "non_finite")

    @property
    def loss_at_stop(self) -> float | None:
        if not self.stopped or self.snapshot.stop_loss is None:
            return None
        return self.snapshot.stop_loss / LAB_SAMPLES

    @property
    def loss_now(self) -> float | None:
        return float(self.loss_mean[-1]) if self.snapshot.recorded else None

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.spec.sizes(data_of(self.spec.dataset, self.spec.seed).X.shape[1])


def status_text(run: RunView) -> str:
    """Where the run is: ``"step 120 of 2,000, training"``, ``"stopped by ... at step 168"``,
    and for a run continued past the rules' stop both: ``"stopped by ... at step 3; continued
    to step 3,000 (the budget)"``."""
    snap = run.snapshot
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
        if not snap.continued:
            return stop
        if snap.status == FINISHED:
            return f"{stop}; continued to step {snap.step:,} (the budget)"
        return f"{stop}; continued: {where}, {state}"
    if snap.status == FINISHED:
        return f"ran all {snap.budget:,} steps"
    return f"{where}, {state}"


def stop_phrase(run: RunView) -> str:
    """``"stopped by the parameter-change rule"``."""
    return f"stopped by {RULE_TEXT[run.snapshot.stopped_by or 'max_iter'].phrase}"


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
    other = f"{REMEDIES[remedy]}: {run_summary(theirs)}"
    return f"{text}. {other[0].upper()}{other[1:]}."


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


def two_digits(value: float) -> str:
    """A positive factor to 2 significant digits: ``0.48``, ``4.0``, ``12``, ``250``,
    ``2.5 × 10³`` from 1,000 on."""
    if value >= 1000:
        return sci(value, 2)
    rounded_value = float(f"{value:.1e}")
    if rounded_value >= 100:
        return f"{rounded_value:,.0f}"
    exponent = math.floor(math.log10(rounded_value))
    return f"{value:.{max(0, 1 - exponent)}f}"


def fold(ratio: float) -> str:
    """``"8.8-fold"``, ``"≈ 2.5 × 10³-fold"`` (2 significant digits)."""
    text = two_digits(ratio)
    return f"≈ {text}-fold" if ratio >= 1000 else f"{text}-fold"


def percent(share: float) -> str:
    """A share as the page prints it: ``0%`` and ``100%`` only when exact, ``0.39%`` below
    1%, ``99.6%`` above 99%, whole percents between."""
    if share == 0 or share == 1:
        return f"{share:.0%}"
    value = share * 100
    digits = 2
    while value < 1 and float(f"{value:.{digits}g}") >= 1:
        digits += 1
    if value < 1:
        return f"{value:.{digits}g}%"
    digits = 0
    while float(f"{value:.{digits}f}") >= 100:
        digits += 1
    return f"{value:.{digits}f}%"


def zero_layers(run: RunView) -> list[int]:
    """Layers (1-based, output = depth + 1) whose ‖dF/dz‖ was exactly 0 at some step."""
    norms = run.snapshot.backprop_norms
    if not norms.size:
        return []
    return [int(i) + 1 for i in np.flatnonzero((norms == 0).any(axis=0))]


def layer_list(layers: list[int]) -> str:
    if len(layers) > 1 and layers == list(range(layers[0], layers[-1] + 1)):
        return f"layers {layers[0]}–{layers[-1]}"
    return ("layer " if len(layers) == 1 else "layers ") + ", ".join(map(str, layers))


CAUSE_WORDS = {
    charts.UNDERFLOW_TEXT: "underflow: not 0 in float64",
    charts.DEAD_TEXT: "no active unit, in float64 too",
    charts.SATURATED_TEXT: "every unit saturated, act′ = 0 in float64 too",
    charts.WIDE_ZERO_TEXT: "0 in float64 too, with active units",
}
"""The cause of an exact zero, as the heatmap's title names it."""
_CAUSES: dict[tuple[RunSpec, int], tuple[str | None, ...]] = {}
_CAUSES_ENTRIES = 256


def held_parameters(run: RunView) -> dict[int, np.ndarray]:
    """The parameters the page holds, by step: step 0 (made again from the seed), the rules'
    stop and the latest."""
    snap = run.snapshot
    held = {0: initial_parameters(run.spec, run.sizes[0])}
    if snap.x_stop is not None and snap.stop_step is not None:
        held[int(snap.stop_step)] = snap.x_stop
    if snap.x_now is not None and snap.x_now_step is not None:
        held[int(snap.x_now_step)] = snap.x_now
    return {k: x for k, x in held.items() if 0 <= k < snap.recorded}


def zero_causes(run: RunView) -> dict[int, list[str | None]]:
    """Per step whose parameters the page holds and whose ‖dF/dz‖ has an exact zero: per layer,
    the cause of the zero (None where the layer is not 0), from the same step recomputed in
    float64 (``causes_at``). Computed when a heatmap is drawn, memoised per run and step."""
    norms = run.snapshot.backprop_norms
    found = {}
    for step, flat in sorted(held_parameters(run).items()):
        row = norms[step]
        if not (row == 0).any():
            continue
        key = (run.spec, step)
        if key not in _CAUSES:
            if len(_CAUSES) >= _CAUSES_ENTRIES:
                _CAUSES.pop(next(iter(_CAUSES)))
            _CAUSES[key] = causes_at(run, flat, row)
        found[step] = list(_CAUSES[key])
    return found


def causes_at(run: RunView, flat: np.ndarray, row: np.ndarray) -> tuple[str | None, ...]:
    """Why each layer's ‖dF/dz‖ in ``row`` is exactly 0 at the parameters ``flat``: the same
    pass in float64 (the run's weights, as its dtype holds them, widened exactly) gives a
    nonzero norm: underflow (or rounding) in the run's dtype; it gives 0 too and for every
    sample some hidden layer at or above has no active unit (act′ = 0 at every unit): a dead
    ReLU layer, or for the sigmoid and tanh (whose act′ is never 0 in exact arithmetic) units
    saturated so far that act′ underflows to 0 even in float64; it gives 0 with active units:
    a zero even in float64."""
    spec = run.spec
    data = data_of(spec.dataset, spec.seed)
    weights = np.asarray(flat).astype(spec.dtype).astype(np.float64)
    params = unflatten_params(np.ascontiguousarray(weights), run.sizes)
    wide = mlp_forward_backward(
        params, data.X, data.y, spec.activation, loss_of(data), dtype="float64"
    )
    causes: list[str | None] = []
    for layer, value in enumerate(row):
        if value != 0:
            causes.append(None)
        elif wide.backprop_norms[layer] > 0:
            causes.append(charts.UNDERFLOW_TEXT)
        elif layer < spec.depth and wide.dead_samples[layer] == 1:
            dead_relu = spec.activation == "relu"
            causes.append(charts.DEAD_TEXT if dead_relu else charts.SATURATED_TEXT)
        else:
            causes.append(charts.WIDE_ZERO_TEXT)
    return tuple(causes)


def heatmap_finding(run: RunView, causes: dict[int, list[str | None]] | None = None) -> str:
    """The heatmap's title: the finding at step 0 (exact zeros with their recomputed cause)."""
    norms = run.snapshot.backprop_norms
    if not norms.size:
        return "No gradient recorded yet"
    first = norms[0]
    if (first == 0).any():
        at_zero = (causes if causes is not None else zero_causes(run)).get(0)
        found = at_zero or [charts.ZERO_TEXT if v == 0 else None for v in first]
        parts = []
        for cause in dict.fromkeys(c for c in found if c is not None):
            layers = [i + 1 for i, c in enumerate(found) if c == cause]
            words = CAUSE_WORDS.get(cause, "cause not recomputed")
            parts.append(f"{layer_list(layers)}: exactly 0 at step 0 ({words})")
        text = "; ".join(parts)
        return text[0].upper() + text[1:]
    if np.isfinite(first).all():
        ratio = first[-1] / first[0]
        if ratio >= 1:
            return f"‖dF/dz‖ shrinks {fold(ratio)} from the output to layer 1 at step 0"
        return f"‖dF/dz‖ grows {fold(1 / ratio)} from the output to layer 1 at step 0"
    return "Some layers overflow at step 0"


def saturation_finding(run: RunView) -> tuple[str, bool]:
    """The saturation chart's title, and whether the chart shows anything (some layer at
    ``SATURATION_SHOWN`` or more at some step)."""
    saturation = run.snapshot.saturation
    activation = run.spec.activation
    if not saturation.size:
        return "No step recorded yet", False
    shows = bool(saturation.max() >= SATURATION_SHOWN)
    at_stop = run.rule_stopped and not run.snapshot.continued
    at = run.snapshot.stop_step if at_stop else run.snapshot.step
    row = saturation[min(int(at or 0), saturation.shape[0] - 1)]
    worst = int(np.argmax(row)) + 1
    when = "At the stop" if at_stop else f"At step {run.snapshot.step:,}"
    word = SATURATED_WORD[activation]
    if not shows:
        return most_saturated(run)[0], False
    return f"{when}, layer {worst} has {percent(row[worst - 1])} {word} unit-samples", shows


def most_saturated(run: RunView) -> tuple[str, float]:
    """The largest share of saturated unit-samples of any layer at any recorded step, in
    words (``"No unit saturates"`` only when that share is exactly 0), and the share."""
    saturation = run.snapshot.saturation
    top = float(saturation.max())
    if top == 0:
        return f"No unit is {SATURATED_WORD[run.spec.activation]} at any step", top
    step, layer = np.unravel_index(int(np.argmax(saturation)), saturation.shape)
    return (
        f"At most {percent(top)} of a layer's unit-samples are "
        f"{SATURATED_WORD[run.spec.activation]} (layer {layer + 1} at step {step:,})",
        top,
    )


def no_saturation_text(run: RunView) -> str:
    """The sentence shown instead of a saturation chart that would show nothing (every share
    under ``SATURATION_SHOWN``): the measured largest share, and for the sigmoid what shrinks
    the gradient instead (``shrink_text``)."""
    words, top = most_saturated(run)
    derivative = {"sigmoid": "σ′", "tanh": "tanh′"}.get(run.spec.activation, "act′")
    if top == 0:
        head = f"No unit saturates in this run ({derivative} stays at or above 1% of its peak)"
    else:
        head = f"{words}: under {SATURATION_SHOWN:.0%}"
    text = f"{head}, so no saturation chart."
    if run.spec.activation == "sigmoid":
        shrink = shrink_text(run)
        if shrink:
            text += " " + shrink
    return text


def shrink_text(run: RunView) -> str | None:
    """At step 0, per hidden layer, what the back-propagated gradient does from one layer to
    the one below, split in its two factors: the weights' (‖dF/dz_{l+1}‖ / ‖dF/da_l‖) and the
    activation's (‖dF/da_l‖ / ‖dF/dz_l‖; σ′ ≤ ¼ makes it at least 4). The figures are those of
    the run's step-0 weights in float64 (``layer_factors``), which the sentence says for a
    narrower dtype. None where a float64 norm is 0 or not finite."""
    factors = layer_factors(run)
    if factors is None:
        return None
    total, weights, derivative = factors
    dtype = run.spec.dtype
    where = "" if dtype == "float64" else f" (computed in float64 from this run's {dtype} weights)"
    return (
        f"At step 0{where}, from one layer to the next one down, ‖dF/dz‖ {change(total)}: σ′ ≤ ¼ "
        f"divides it by {span(derivative)} and the weights by {span(weights)}"
        + (" (a factor below 1 makes it grow)." if weights.min() < 1 else ".")
    )


def span(factors: np.ndarray) -> str:
    """``"4.1 to 4.2"`` (2 significant digits), or one figure where both ends print alike."""
    low, high = two_digits(float(factors.min())), two_digits(float(factors.max()))
    return low if low == high else f"{low} to {high}"


def change(factors: np.ndarray) -> str:
    """``"shrinks 5.5- to 8.8-fold"`` for division factors (above 1: shrinks)."""
    low, high = float(factors.min()), float(factors.max())
    if low >= 1:
        span = (
            two_digits(low)
            if two_digits(low) == two_digits(high)
            else (f"{two_digits(low)}- to {two_digits(high)}")
        )
        return f"shrinks {span}-fold"
    if high <= 1:
        return f"grows {change(1 / factors).removeprefix('shrinks ')}"
    return f"changes by a factor 1/{two_digits(low)} to 1/{two_digits(high)}"


@lru_cache(maxsize=CACHED_SETTINGS)
def _step0_factors(spec: RunSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    data = data_of(spec.dataset, spec.seed)
    sizes = spec.sizes(data.X.shape[1])
    weights = initial_parameters(spec, data.X.shape[1]).astype(np.float64)  # exact widening
    params = unflatten_params(weights, sizes)
    passed = mlp_forward_backward(
        params, data.X, data.y, spec.activation, loss_of(data), dtype="float64"
    )
    norms, upstream = passed.backprop_norms, passed.activation_grad_norms
    every = np.concatenate([norms, upstream])
    if not (np.isfinite(every).all() and (every > 0).all()):
        return None
    return norms[1:] / norms[:-1], norms[1:] / upstream, upstream / norms[:-1]


def layer_factors(run: RunView) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """At step 0, per hidden layer l (first to last): the shrink ‖dF/dz_{l+1}‖ / ‖dF/dz_l‖,
    the weights' factor ‖dF/dz_{l+1}‖ / ‖dF/da_l‖ and the activation's ‖dF/da_l‖ / ‖dF/dz_l‖
    (their product is the shrink); None where a norm is 0 or not finite.

    The pass runs in float64 on the run's step-0 weights as its dtype holds them (widened
    exactly): σ′ ≤ ¼ makes the activation's factor at least 4 only in exact arithmetic, and
    in float16 the small back-propagated values of a small initialisation are subnormal, where
    each rounding moves a norm by up to several percent (a measured "σ′ factor" of 3.8, a shrink
    of 230 for 206). float64 carries the same ratios to about 15 digits."""
    return _step0_factors(run.spec)


def fit_point(run: RunView) -> tuple[list, int, str] | None:
    """The parameters the fit shows, their step and where they are: at the stop (a run the
    rules stopped and nobody continued), else the latest; None before the first ones."""
    snap = run.snapshot
    if run.rule_stopped and snap.x_stop is not None and not snap.continued:
        flat, step, where = snap.x_stop, snap.stop_step, "where the rules stopped the run"
    elif snap.x_now is not None:
        flat, step, where = snap.x_now, snap.x_now_step, "the latest parameters"
    else:
        return None
    return unflatten_params(flat, run.sizes), int(step or 0), where


def fit_metric(run: RunView) -> Metric | None:
    """The training accuracy (classification) or the RMS error (regression) at the fit's
    parameters: the fit's number without its chart (the chart's grid of predictions is most
    of a redraw's time, and is drawn only when chosen)."""
    point = fit_point(run)
    return None if point is None else metric_at(run, *point)


def metric_at(run: RunView, params: list, step: int, where: str) -> Metric:
    """The fit's number for these parameters (``fit_point``)."""
    data = data_of(run.spec.dataset, run.spec.seed)
    context = f"at step {step:,}, {where}"
    if loss_of(data) == "bce":
        logits = predict(params, data.X, run.spec)
        accuracy = float(np.mean((logits > 0) == (data.y == 1)))
        return Metric("training accuracy", f"{accuracy:.0%}", f"Share of samples classified "
                      f"right, {context}.")  # fmt: skip
    rms = rms_at(run, step)
    return Metric("RMS error", loss_text(rms), f"√(F/n), {context}: the typical miss in y.")


def rms_at(run: RunView, step: int) -> float | None:
    """√(F/n) at ``step`` (None where the loss is not finite)."""
    loss_there = float(run.loss_mean[min(step, run.loss_mean.size - 1)])
    return math.sqrt(loss_there) if math.isfinite(loss_there) else None


def fit_of(run: RunView) -> tuple[pd.DataFrame, dict, str, Metric] | None:
    """The decision boundary (classification) or the fitted curve (regression) at the stop (or
    at the latest parameters while it trains), with the fit's number (``fit_metric``)."""
    point = fit_point(run)
    if point is None:
        return None
    params, step, where = point
    metric = metric_at(run, params, step, where)
    data = data_of(run.spec.dataset, run.spec.seed)
    context = f"at step {step:,}, {where}"
    if loss_of(data) == "bce":
        low, high = data.X.min(axis=0) - 0.3, data.X.max(axis=0) + 0.3
        xs = np.linspace(low[0], high[0], BOUNDARY_GRID)
        ys = np.linspace(low[1], high[1], BOUNDARY_GRID)
        grid = np.column_stack([a.ravel() for a in np.meshgrid(xs, ys)])
        with np.errstate(over="ignore"):
            logit_grid = predict(params, grid, run.spec)
            probability = sigmoid(logit_grid).reshape(BOUNDARY_GRID, BOUNDARY_GRID)
        cells = charts.boundary_frame(xs, ys, probability)
        points = pd.DataFrame({"x1": data.X[:, 0], "x2": data.X[:, 1], "class": data.y})
        title = f"{metric.value} of the points classified right"
        chart = charts.boundary_chart(cells, points, title=titled(title, f"At step {step:,}"))
        return cells, chart, f"{title}, {context}.", metric
    x = np.linspace(-1.1, 1.1, CURVE_POINTS)
    prediction = predict(params, x.reshape(-1, 1), run.spec)
    curve = charts.regression_frame(x, prediction, np.sin(3.0 * x))
    points = pd.DataFrame({"x": data.X[:, 0], "y": data.y})
    rms = rms_at(run, step)
    title = f"Root-mean-square error {rms:.3g}" if rms is not None else "No finite fit"
    chart = charts.regression_chart(curve, points, title=titled(title, f"At step {step:,}"))
    return curve, chart, f"{title}, {context}.", metric


def predict(params: list, X: np.ndarray, spec: RunSpec) -> np.ndarray:
    """The network output in float64 (inf where the run's dtype overflowed, NaN kept)."""
    out = mlp_predict(params, X, spec.activation, dtype=spec.dtype)
    return out.astype(np.float64).reshape(-1)


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
    if snap.seconds_left is not None and snap.status not in (FINISHED,):
        metrics.append(
            Metric(
                "time to the budget",
                f"≈ {snap.seconds_left:,.0f} s",
                "At the speed measured so far, on this machine.",
            )
        )
    if not snap.recorded:
        return (Metrics((status,)), Metrics(tuple(metrics)))
    fit = fit_of(run) if chart == "fit" else None
    number = fit[3] if fit is not None else fit_metric(run)
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
    return (Metrics((status,)), run_chart(run, name, domain, chart, fit), Metrics(tuple(metrics)))


def run_chart(
    run: RunView,
    name: str,
    domain: tuple[float, float] | None,
    chart: str,
    fit: tuple[pd.DataFrame, dict, str, Metric] | None,
) -> Block:
    """The run's one chart: the gradient heatmap, the saturation or the fit (or the sentence
    that says why there is nothing to draw)."""
    snap = run.snapshot
    stop = snap.stop_step if run.rule_stopped else None
    if chart == "saturation":
        sat_title, shows = saturation_finding(run)
        if not shows:
            return Text(no_saturation_text(run), "caption")
        axis = SATURATION_AXIS[run.spec.activation]
        return Chart(
            f"lab_saturation_{name}",
            charts.saturation_chart(
                snap.saturation,
                title=titled(sat_title),
                y_title=axis,
                stop_step=stop,
                budget=snap.budget,
            ),
            f"{sat_title}. {axis} of each hidden layer against step.",
            charts.saturation_frame(snap.saturation),
            caption=False,
        )
    if chart == "fit":
        if fit is None:
            return Text("No parameters yet: the fit shows after the first steps.", "caption")
        frame, spec, text, _ = fit
        return Chart(f"lab_fit_{name}", spec, text, frame, caption=False)
    norms = snap.backprop_norms
    causes = zero_causes(run)
    heat_title = heatmap_finding(run, causes)
    checked = ", ".join(f"{k:,}" for k in sorted(held_parameters(run)))
    return Chart(
        f"lab_gradient_norms_{name}",
        charts.gradient_heatmap(
            charts.heatmap_data(
                norms,
                keep_steps=(stop,) if stop is not None else (),
                causes=causes,
            ),
            norms.shape[1],
            title=titled(heat_title),
            domain=domain,
            stop_step=stop,
            budget=snap.budget,
        ),
        f"{heat_title}. Rows: layers (output on top); columns: steps; colour: the "
        "back-propagated gradient norm ‖dF/dz‖ on a log scale, exact zeros and ∞ in their "
        "own colours; the cause of an exact zero is recomputed in float64 at the steps whose "
        f"parameters the page holds (step {checked}).",
        charts.heatmap_frame(norms),
        caption=False,
    )


def loss_title(mine: RunView, theirs: RunView | None, remedy: str) -> str:
    size = f"{mine.spec.depth} × {mine.spec.width}"
    precision = "mixed" if mine.spec.mixed else mine.spec.dtype
    mine_name = f"{size} {ACTIVATION_LABELS[mine.spec.activation]} ({precision})"
    head = title_part(mine_name, mine)
    if theirs is None or not theirs.snapshot.recorded:
        return head
    return f"{head}; {title_part(REMEDIES[remedy], theirs)}"


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
    mine: Snapshot,
    theirs: Snapshot | None,
    *,
    remedy: str,
    chart: str = "gradients",
    requested_steps: int | None = None,
) -> PanelView:
    """The lab's blocks for the two runs as they stand (``theirs`` None when the remedy changes
    nothing for your run): the loss of both, then the runs side by side, each with its metrics
    and its ``chart`` (a ``RUN_CHARTS`` key); a note where the budget is below the
    ``requested_steps`` (capped)."""
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
            if you.snapshot.continued and you.loss_now is not None:
                callouts.append(
                    (you.snapshot.step, you.loss_now, f"continued: {loss_text(you.loss_now)}")
                )
        keep = tuple(int(k) for k in markers["step"])
        title = titled(
            loss_title(you, other, remedy),
            "Mean loss F/n. Dots: rules first holding; dashed: your stop.",
            wide=True,
        )
        loss_spec = charts.loss_chart(
            frame,
            markers,
            callouts,
            names=[run.label for run in recorded],
            title=title,
            keep_steps=keep,
            budget=mine.budget,
        )
        blocks.append(
            Chart("lab_loss", loss_spec, verdict(you, other, remedy), frame, caption=False)
        )
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
