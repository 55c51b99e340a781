"""What the lab's runs show, in sentences tested against the figures beside them: exact zeros
of the back-propagated gradient and their cause (recomputed in float64), the saturation of the
units, and at step 0 the two factors of the gradient's shrink from one layer to the next."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from vgapp.formatting import sci
from vgapp.lab import charts
from vgapp.lab.runs import RunSpec, initial_parameters, loss_of
from vgapp.lab.runview import CACHED_SETTINGS, RunView, data_of
from vgapp.words import SATURATED_WORD
from vgcore.mlp import mlp_forward_backward, unflatten_params

SATURATION_SHOWN = 0.01
"""A saturation chart is drawn only where some layer reaches this share at some step; else a
sentence says that no unit saturates (an empty chart teaches nothing)."""


def two_digits(value: float) -> str:
    """A positive factor to 2 significant digits: ``0.48``, ``4.0``, ``12``, ``250``,
    ``2.5 × 10³`` from 1,000 on."""
    rounded_value = float(f"{value:.1e}")
    if rounded_value >= 1000:  # 996.4 rounds to 1.0 × 10³, not "1,000"
        return sci(rounded_value, 2)
    if rounded_value >= 100:
        return f"{rounded_value:,.0f}"
    exponent = math.floor(math.log10(rounded_value))
    return f"{value:.{max(0, 1 - exponent)}f}"


def fold(ratio: float) -> str:
    """``"8.8-fold"``, ``"≈ 2.5 × 10³-fold"`` (2 significant digits)."""
    text = two_digits(ratio)
    return f"≈ {text}-fold" if "×" in text else f"{text}-fold"


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


def overflow_words(run: RunView) -> str | None:
    """``"Overflowed after step 8"`` for a run whose loss or gradient became non-finite, also
    past a rule's stop (the step is its last finite one; ``"at step 0"`` when none was), else
    None."""
    snap = run.snapshot
    if snap.first_fired.get("non_finite") is None:
        return None
    if snap.recorded == 0:
        return "Overflowed at step 0"
    return f"Overflowed after step {snap.recorded - 1:,}"


def with_overflow(run: RunView, finding: str) -> str:
    """``finding`` led by the overflow, for a run that overflowed: a chart's title never reads
    as the state of a run that did not end in one."""
    overflow = overflow_words(run)
    if overflow is None:
        return finding
    return f"{overflow} (loss or gradient not finite); before it: {finding[0].lower()}{finding[1:]}"


def heatmap_finding(run: RunView, causes: dict[int, list[str | None]] | None = None) -> str:
    """The heatmap's title: the finding at step 0 (exact zeros with their recomputed cause),
    led by the overflow where the run overflowed (``with_overflow``)."""
    norms = run.snapshot.backprop_norms
    if not norms.size:
        overflow = overflow_words(run)
        return f"{overflow}: no gradient recorded" if overflow else "No gradient recorded yet"
    return with_overflow(run, _step0_finding(run, norms, causes))


def _step0_finding(
    run: RunView, norms: np.ndarray, causes: dict[int, list[str | None]] | None
) -> str:
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
        overflow = overflow_words(run)
        return (f"{overflow}: no step recorded" if overflow else "No step recorded yet"), False
    shows = bool(saturation.max() >= SATURATION_SHOWN)
    at_stop = run.rule_stopped and not run.snapshot.continued
    at = run.snapshot.stop_step if at_stop else run.snapshot.step
    row = saturation[min(int(at or 0), saturation.shape[0] - 1)]
    worst = int(np.argmax(row)) + 1
    when = "At the stop" if at_stop else f"At step {run.snapshot.step:,}"
    word = SATURATED_WORD[activation]
    if not shows:
        return with_overflow(run, most_saturated(run)[0]), False
    found = f"{when}, layer {worst} has {percent(row[worst - 1])} {word} unit-samples"
    return with_overflow(run, found), shows


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


def no_saturation_text(run: RunView) -> tuple[str, str | None]:
    """The sentence shown instead of a saturation chart that would show nothing (every share
    under ``SATURATION_SHOWN``): the measured largest share; and, as its detail, for the
    sigmoid what shrinks the gradient instead (``shrink_text``; None otherwise)."""
    words, top = most_saturated(run)
    derivative = {"sigmoid": "σ′", "tanh": "tanh′"}.get(run.spec.activation, "act′")
    if top == 0:
        head = f"No unit saturates in this run ({derivative} stays at or above 1% of its peak)"
    else:
        head = f"{words}: under {SATURATION_SHOWN:.0%}"
    text = with_overflow(run, f"{head}, so no saturation chart.")
    return text, shrink_text(run) if run.spec.activation == "sigmoid" else None


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
