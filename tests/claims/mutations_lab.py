"""Deliberate breaks of the lab's claims (``claims.mutation.Mutation``), one per rule an oracle
of ``tests/claims/test_claims_lab.py`` covers; each was applied in a scratch copy and caught by
the test named in ``tests``."""

from __future__ import annotations

from claims.mutation import Mutation

FILE = "tests/claims/test_claims_lab.py"
MUTATIONS: list[Mutation] = [
    Mutation(
        "heatmap zero cause from the activation alone (item 4)",
        "vgapp/lab/findings.py",
        "        elif wide.backprop_norms[layer] > 0:\n",
        "        elif spec.activation != 'relu':\n",
        f"{FILE}::test_heatmap_zero_causes_hold_where_zeros_appear",
    ),
    Mutation(
        "a dead layer counted only at the layer itself, not above it (item 4)",
        "vgcore/mlp.py",
        "blocked = dead_rows[layer] if blocked is None else blocked | dead_rows[layer]",
        "blocked = dead_rows[layer]",
        f"{FILE}::test_heatmap_zero_causes_hold_where_zeros_appear",
    ),
    Mutation(
        "'no unit saturates' below 1% again (item 5)",
        "vgapp/lab/findings.py",
        "    if top == 0:\n        head =",
        "    if top < SATURATION_SHOWN:\n        head =",
        f"{FILE}::test_saturation_sentences_hold_at_every_share",
    ),
    Mutation(
        "shares rounded to whole percents (item 5)",
        "vgapp/lab/findings.py",
        '    if value < 1:\n        return f"{value:.{digits}g}%"',
        '    if value < 1:\n        return f"{value:.0f}%"',
        f"{FILE}::test_saturation_sentences_hold_at_every_share",
    ),
    Mutation(
        "the weights' factor swapped for σ′'s (item 7)",
        "vgapp/lab/findings.py",
        "return norms[1:] / norms[:-1], norms[1:] / upstream, upstream / norms[:-1]",
        "return norms[1:] / norms[:-1], upstream / norms[:-1], norms[1:] / upstream",
        f"{FILE}::test_saturation_sentences_hold_at_every_share",
    ),
    Mutation(
        "a float64 gradient below 10⁻¹⁵⁰ taken for 0, as a squaring norm does (item 4)",
        "vgapp/lab/findings.py",
        "        elif wide.backprop_norms[layer] > 0:\n",
        "        elif wide.backprop_norms[layer] > 1e-150:\n",
        f"{FILE}::test_lab_sentences_hold_for_drawn_runs",
    ),
    Mutation(
        "a tanh or sigmoid layer with act′ = 0 called a dead ReLU (item 4)",
        "vgapp/lab/findings.py",
        'dead_relu = spec.activation == "relu"',
        "dead_relu = True",
        f"{FILE}::test_lab_sentences_hold_for_drawn_runs",
    ),
    Mutation(
        "the factors measured in the run's dtype again (item 7)",
        "vgapp/lab/findings.py",
        "passed = mlp_forward_backward(\n        params, data.X, data.y, spec.activation, "
        'loss_of(data), dtype="float64"',
        "passed = mlp_forward_backward(\n        params, data.X, data.y, spec.activation, "
        "loss_of(data), dtype=spec.dtype",
        f"{FILE}::test_saturation_sentences_hold_at_every_share",
    ),
    Mutation(
        "the float64 recomputation not said for a float16 run (item 7)",
        "vgapp/lab/findings.py",
        '    where = "" if dtype == "float64" else',
        '    where = "" if dtype != "" else',
        f"{FILE}::test_saturation_sentences_hold_at_every_share",
    ),
    Mutation(
        "fold rounded to a power of ten (item 8)",
        "vgapp/lab/findings.py",
        '    return f"≈ {text}-fold" if "×" in text else f"{text}-fold"',
        '    return f"{ratio:.0f}-fold"',
        f"{FILE}::test_lab_sentences_hold_for_drawn_runs",
    ),
    Mutation(
        "the continuation forgets the stop (item 6)",
        "vgapp/lab/view.py",
        '    if run.rule_stopped:\n        text = f"{stop_phrase(run)}',
        '    if run.rule_stopped and not snap.continued:\n        text = f"{stop_phrase(run)}',
        f"{FILE}::test_deep_sigmoid_lesson_says_each_runs_stop_and_continuation",
    ),
    Mutation(
        "the loss title pairs the budget with the loss at the stop (item 6)",
        "vgapp/lab/view.py",
        'f"{loss_text(run.loss_now)} at step {run.snapshot.step:,}"',
        'f"{loss_text(run.loss_at_stop)} at step {run.snapshot.step:,}"',
        f"{FILE}::test_lab_sentences_hold_for_drawn_runs",
    ),
    Mutation(
        "float16 flush stated without the tie (item 12)",
        "vgapp/lab/controls.py",
        "float16 a value at or below 2.98·10⁻⁸",
        "float16 a value below 2.98·10⁻⁸",
        f"{FILE}::test_float16_help_states_the_flush_and_the_sticking_range_exactly",
    ),
    Mutation(
        "a remedy's setting changes: the lesson's words must follow (item 6)",
        "vgapp/lab/runs.py",
        'activation="relu", init="he", step_rule=REMEDY_STEP_RULE',
        'activation="leaky_relu", init="he", step_rule=REMEDY_STEP_RULE',
        f"{FILE}::test_deep_sigmoid_lesson_says_each_runs_stop_and_continuation",
    ),
    Mutation(
        "the overflow's label names the first non-finite step, not the last finite one",
        "vgapp/lab/overflow.py",
        'return f"overflow after step {run.snapshot.recorded - 1:,}"',
        'return f"overflow after step {run.snapshot.recorded:,}"',
        f"{FILE}::test_lab_sentences_hold_for_drawn_runs",
    ),
    Mutation(
        "an overflowed run takes the loss axis over again",
        "vgapp/lab/overflow.py",
        "kept = [_largest(run) for run in runs if not overflowed(run)]",
        "kept = [_largest(run) for run in runs]",
        f"{FILE}::test_lab_sentences_hold_for_drawn_runs",
    ),
    Mutation(
        "a lesson's step size changes: the words must follow (items 6, 7)",
        "vgapp/lab/controls.py",
        '"lab_eta": "3e-3",',
        '"lab_eta": "1e-2",',
        f"{FILE}::test_deep_sigmoid_lesson_says_each_runs_stop_and_continuation",
    ),
    Mutation(
        "σ(s) threshold of the correctly rounded σ mistyped (item 9)",
        "vgapp/lab/controls.py",
        "s ≥ ln 4095 ≈ 8.32",
        "s ≥ ln 4095 ≈ 7.62",
        f"{FILE}::test_float16_lesson_names_the_formula_threshold_and_the_falling_loss",
    ),
]
