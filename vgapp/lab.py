"""The training lab (issue #5): does the vanishing gradient happen in a real network, during
training, and what fixes it? Controls, lessons and the view, without Streamlit.

A run trains a multilayer perceptron (``vgcore.mlp``) on a seeded built-in dataset with the
core's ``gradient_descent`` and stopping rules, ``run_past_stop=True``: the trace goes on to the
step budget, so the first step at which every enabled rule holds is known, and "stopped by X at
step k" is where the loop *would* have stopped. The loss shown is F/n, the mean over the n = 256
samples of the summed loss F that the core minimises (binary cross-entropy in nats for the
classification sets, squared error for the regression); thresholds on F, its change and its
gradient apply to the sum F. A comparison run trains the same data, depth, width, step size,
budget and rules with one remedy changed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vgapp import lab_charts, workers
from vgapp.charts import titled
from vgapp.controls import ACTIVATION_LABELS, BOOL, CHOICE, DTYPE_OPTIONS, FLOAT, INT, Control
from vgapp.formatting import sci, superscript
from vgapp.lessons import Lesson
from vgapp.views import Metric
from vgcore._validate import check_choice, check_int, check_real
from vgcore.activations import sigmoid
from vgcore.datasets import DATASETS, LABELS, Dataset, make_dataset
from vgcore.descent import DescentResult, gradient_descent
from vgcore.mlp import (
    Objective,
    flatten_params,
    init_mlp,
    mlp_objective,
    mlp_predict,
    unflatten_params,
)
from vgcore.stopping import StoppingRules

LAB_SAMPLES = 256
"""Samples in every built-in dataset of the lab (n in F/n)."""
LAB_NOISE = 0.1
"""Standard deviation of the data noise, in the units of the data."""
REMEDY_LOSS_SCALE = 1024.0
"""Loss scale of the "loss scale" remedy: 2^10 rescues float16 gradients down to about
6e-8 / 2^10 per entry without overflowing the summed weight gradients of a 256-sample batch."""
BOUNDARY_GRID = 24
CURVE_POINTS = 200

OFF = "off"
THRESHOLD_OPTIONS: tuple[str, ...] = (
    OFF,
    "1e-12",
    "1e-10",
    "1e-8",
    "1e-6",
    "1e-5",
    "1e-4",
    "1e-3",
    "1e-2",
    "1e-1",
)
ETA_OPTIONS: tuple[str, ...] = (
    "1e-5",
    "3e-5",
    "1e-4",
    "3e-4",
    "1e-3",
    "3e-3",
    "1e-2",
    "3e-2",
    "1e-1",
)
LOSS_SCALE_OPTIONS: tuple[str, ...] = ("1", "16", "256", "1024", "4096", "16384", "65536")
INIT_LABELS = {
    "standard": "standard U[±1/√n_in]",
    "xavier": "Xavier (normalized)",
    "he": "He N(0, 2/n_in)",
    "custom": "custom N(0, s²)",
}
INIT_SHORT = {"standard": "standard", "xavier": "Xavier", "he": "He", "custom": "custom"}
REMEDIES = {
    "relu_he": "ReLU + He",
    "tanh_xavier": "tanh + Xavier",
    "float32": "float32 instead of float16",
    "loss_scale": f"loss scale 2{superscript(10)} (float16)",
}
RULE_PHRASES = {
    "eps": "the parameter-change rule",
    "gatol": "the gradient-norm rule",
    "gttol": "the relative-gradient rule",
    "fatol": "the loss-change rule",
    "frtol": "the relative loss-change rule",
    "stagnation": "stagnation (no weight changed)",
    "max_iter": "the step limit",
    "non_finite": "overflow (loss or gradient not finite)",
    "all": "all enabled rules at once",
}
RULE_SHORT = {
    "eps": "‖Δx‖ ≤ ε",
    "gatol": "‖∇F‖ ≤ tol",
    "gttol": "‖∇F‖/‖∇F₀‖ ≤ tol",
    "fatol": "|ΔF| ≤ tol",
    "frtol": "|ΔF| ≤ tol·|F|",
    "stagnation": "stagnation",
    "non_finite": "overflow",
}


def _number_label(text: str) -> str:
    """``"1e-4"`` as ``10⁻⁴``, ``"3e-3"`` as ``3·10⁻³``; ``"off"`` and plain integers unchanged."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10{superscript(int(exponent))}"
    return power if mantissa == "1" else f"{mantissa}·{power}"


def _power_of_two_label(text: str) -> str:
    value = int(text)
    return "1 (off)" if value == 1 else f"2{superscript(value.bit_length() - 1)} = {value:,}"


def _threshold_control(key: str, label: str, help_text: str, default: str = OFF) -> Control:
    return Control(
        key,
        label,
        CHOICE,
        default,
        help_text,
        options=THRESHOLD_OPTIONS,
        option_labels={option: _number_label(option) for option in THRESHOLD_OPTIONS},
        widget="select_slider",
    )


LAB_CONTROLS: tuple[Control, ...] = (
    Control(
        "lab_dataset",
        "Dataset (256 samples)",
        CHOICE,
        "moons",
        "Generated in code from the seed. The four 2-D sets are classification (cross-entropy "
        "loss); the 1-D set is regression (squared error).",
        options=DATASETS,
        option_labels=LABELS,
        widget="select",
    ),
    Control(
        "lab_depth",
        "Hidden layers",
        INT,
        6,
        "Number of hidden layers between the input and the linear output layer.",
        1,
        20,
        1,
    ),
    Control(
        "lab_width",
        "Width (units per hidden layer)",
        INT,
        32,
        "Units in every hidden layer.",
        2,
        128,
        1,
    ),
    Control(
        "lab_activation",
        "Activation",
        CHOICE,
        "sigmoid",
        "σ' ≤ 1/4 shrinks the back-propagated gradient at every layer; tanh' ≤ 1; ReLU passes "
        "it on unchanged or not at all; leaky ReLU keeps a slope of 0.01.",
        options=tuple(ACTIVATION_LABELS),
        option_labels=ACTIVATION_LABELS,
        widget="select",
    ),
    Control(
        "lab_init",
        "Initialisation",
        CHOICE,
        "standard",
        "Weights at step 0 (biases 0). Standard U[±1/√n_in] is what Glorot & Bengio (2010) "
        "found to shrink the gradients toward the input; Xavier keeps their variance; He suits "
        "ReLU; custom draws N(0, s²) with the scale s below.",
        options=tuple(INIT_LABELS),
        option_labels=INIT_LABELS,
        widget="select",
    ),
    Control(
        "lab_init_scale",
        "Custom initialisation: standard deviation s",
        FLOAT,
        1.0,
        "Only for the custom initialisation: every weight is drawn from N(0, s²).",
        0.01,
        10.0,
        0.01,
        widget="number",
        format="%.2f",
    ),
    Control(
        "lab_step_rule",
        "Step size rule",
        CHOICE,
        "constant",
        "A constant step η, or Armijo backtracking from η (halving until F drops enough).",
        options=("constant", "armijo"),
        option_labels={"constant": "constant η", "armijo": "Armijo backtracking"},
        widget="segmented",
    ),
    Control(
        "lab_eta",
        "Step size η (on the summed loss F)",
        CHOICE,
        "1e-3",
        "x ← x − η·∇F with F the SUM over the 256 samples, so η = 10⁻³ is a step of 0.256 on "
        "the mean loss.",
        options=ETA_OPTIONS,
        option_labels={option: _number_label(option) for option in ETA_OPTIONS},
        widget="select_slider",
    ),
    Control(
        "lab_steps",
        "Maximum steps",
        INT,
        2000,
        "The step budget (the maximum-steps rule). The trace always runs to it, so the page can "
        "show where every other rule would have stopped the run.",
        10,
        5000,
        10,
    ),
    Control(
        "lab_dtype",
        "Precision",
        CHOICE,
        "float32",
        "The floating-point format of the weights, the forward and the backward pass. float16 "
        "flushes gradients below 6·10⁻⁸ to exactly zero.",
        options=DTYPE_OPTIONS,
        widget="segmented",
    ),
    Control(
        "lab_loss_scale",
        "Loss scale (float16)",
        CHOICE,
        "1",
        "Backpropagate loss_scale·F and divide the gradients by loss_scale afterwards (mixed "
        "precision): small gradients survive float16; too large a scale overflows to ∞.",
        options=LOSS_SCALE_OPTIONS,
        option_labels={option: _power_of_two_label(option) for option in LOSS_SCALE_OPTIONS},
        widget="select_slider",
    ),
    _threshold_control(
        "lab_eps",
        "Stop when the parameters change by ‖x_{k+1} − x_k‖ ≤ ε",
        "The student's rule: stop when a step barely moves the weights (2-norm over all "
        "weights and biases). A vanishing gradient makes the steps small far from any optimum.",
        default="1e-4",
    ),
    _threshold_control(
        "lab_gatol",
        "Stop when the gradient norm ‖∇F‖ ≤",
        "Stop when the gradient of the summed loss F is this small.",
    ),
    _threshold_control(
        "lab_gttol",
        "Stop when the relative gradient ‖∇F‖ / ‖∇F₀‖ ≤",
        "Stop when the gradient has shrunk by this factor since step 0.",
    ),
    _threshold_control(
        "lab_fatol",
        "Stop when the loss change |F_k − F_{k−1}| ≤",
        "On the summed loss F (256 × the mean loss shown).",
    ),
    _threshold_control(
        "lab_frtol",
        "Stop when the relative loss change |ΔF| / |F| ≤",
        "Stop when a step lowers F by less than this fraction of F.",
    ),
    Control(
        "lab_stagnation",
        "Stop on stagnation (no weight changed)",
        BOOL,
        True,
        "Stop when x_{k+1} == x_k exactly: every update was lost in floating point.",
        widget="toggle",
    ),
    Control(
        "lab_combine",
        "Stop when",
        CHOICE,
        "any",
        "Stop at the first step where any enabled rule holds, or where all of them hold at "
        "once. The step limit always stops.",
        options=("any", "all"),
        option_labels={"any": "any rule holds", "all": "all rules hold"},
        widget="segmented",
    ),
    Control(
        "lab_seed",
        "Seed (data and initial weights)",
        INT,
        0,
        "The same seed gives the same data, the same initial weights and the same run.",
        0,
        10_000,
        1,
        widget="number",
    ),
    Control(
        "lab_remedy",
        "Comparison run: remedy",
        CHOICE,
        "relu_he",
        "Trained beside your run on the same data, depth, width, step size, budget and rules, "
        "with this one change.",
        options=tuple(REMEDIES),
        option_labels=REMEDIES,
        widget="select",
    ),
)
LAB_KEYS: tuple[str, ...] = tuple(control.key for control in LAB_CONTROLS)
_LAB = {control.key: control for control in LAB_CONTROLS}

LAB_LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "lab_deep_sigmoid",
        "Deep sigmoid stops early",
        "8 sigmoid layers with the standard initialisation: each layer shrinks the "
        "back-propagated gradient six- to eightfold, the steps become tiny, and the "
        "parameter-change rule stops the run while the loss is still ln 2 ≈ 0.69, a coin "
        "flip. ReLU + He, same budget and rules, fits the data.",
        ("lab",),
        {
            "lab_depth": 8,
            "lab_activation": "sigmoid",
            "lab_init": "standard",
            "lab_dtype": "float32",
            "lab_eps": "1e-4",
            "lab_remedy": "relu_he",
        },
    ),
    Lesson(
        "lab_float16",
        "float16 flushes gradients to zero",
        "10 sigmoid layers in float16: the back-propagated gradient of the lowest layers falls "
        "below float16's smallest subnormal, 6·10⁻⁸, and is exactly 0. The comparison scales "
        "the loss by 2¹⁰ before backpropagating and unscales in float32: no layer is zero.",
        ("lab",),
        {
            "lab_depth": 10,
            "lab_width": 16,
            "lab_activation": "sigmoid",
            "lab_init": "standard",
            "lab_dtype": "float16",
            "lab_loss_scale": "1",
            "lab_steps": 200,
            "lab_remedy": "loss_scale",
        },
    ),
)


# ---------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one training run (the data come from ``dataset`` and
    ``seed``)."""

    dataset: str
    depth: int
    width: int
    activation: str
    init: str
    init_scale: float
    step_rule: str
    eta: float
    dtype: str
    loss_scale: float
    rules: StoppingRules
    seed: int

    def sizes(self, n_inputs: int) -> tuple[int, ...]:
        """Layer widths [n_in, h, ..., h, 1]."""
        return (n_inputs, *([self.width] * self.depth), 1)

    def describe(self) -> str:
        """``"sigmoid network (standard init, float32)"``."""
        scale = f", loss scale {self.loss_scale:g}" if self.loss_scale != 1 else ""
        init = INIT_SHORT[self.init] + (
            f" s = {self.init_scale:g}" if self.init == "custom" else ""
        )
        return f"{ACTIVATION_LABELS[self.activation]} network ({init} init, {self.dtype}{scale})"


@dataclass(frozen=True)
class LabRun:
    """One run's trace and the parameters where the rules stopped it.

    ``stop_step`` is the k of ``x_stop``: the step at which the stop reason held, or for an
    overflow the last step with finite values. ``recorded`` is the number of finite steps in the
    trace (0 when the loss overflowed at step 0)."""

    spec: RunSpec
    label: str
    sizes: tuple[int, ...]
    loss: str
    result: DescentResult
    x0: np.ndarray
    x_stop: np.ndarray
    stop_step: int

    @property
    def recorded(self) -> int:
        return int(self.result.loss.size)

    @property
    def loss_mean(self) -> np.ndarray:
        """F_k / n for the recorded steps."""
        return self.result.loss / LAB_SAMPLES

    @property
    def loss_at_stop(self) -> float | None:
        """F/n at ``stop_step``; None when no finite loss was recorded."""
        return float(self.loss_mean[self.stop_step]) if self.recorded else None

    def figure(self, name: str, columns: int) -> np.ndarray:
        """A per-step figure from the objective's extras, (recorded, columns) float64."""
        return self.result.extras.get(name, np.empty((0, columns)))


def lab_data(name: str, seed: int) -> Dataset:
    """The lab's dataset: ``LAB_SAMPLES`` samples with noise ``LAB_NOISE`` from the seed's first
    child stream (the initial weights use the second)."""
    data_seed, _ = np.random.SeedSequence(check_int(seed, "seed", low=0)).spawn(2)
    return make_dataset(name, LAB_SAMPLES, LAB_NOISE, seed=np.random.default_rng(data_seed))


def initial_parameters(spec: RunSpec, n_inputs: int) -> np.ndarray:
    """Flat initial weights of ``spec`` (the seed's second child stream), in its dtype."""
    _, init_seed = np.random.SeedSequence(spec.seed).spawn(2)
    scale = spec.init_scale if spec.init == "custom" else 1.0
    params = init_mlp(
        spec.sizes(n_inputs),
        spec.init,
        np.random.default_rng(init_seed),
        scale=scale,
        dtype=spec.dtype,
    )
    return flatten_params(params)


def loss_of(data: Dataset) -> str:
    """Binary cross-entropy on the logits for classification, squared error for regression."""
    return "bce" if data.task == "classification" else "mse"


LAB_FIGURES = ("backprop_norms", "saturation")
"""The per-layer figures the lab draws at every step (the heatmap and saturation charts)."""


def run_objective(spec: RunSpec, data: Dataset) -> Objective:
    """The core's ``mlp_objective`` for ``spec`` on ``data``, returning ``LAB_FIGURES``."""
    return mlp_objective(
        spec.sizes(data.X.shape[1]),
        data.X,
        data.y,
        spec.activation,
        loss_of(data),
        dtype=spec.dtype,
        loss_scale=spec.loss_scale,
        figures=LAB_FIGURES,
    )


def train(
    spec: RunSpec,
    data: Dataset,
    label: str,
    progress: Callable[[int, int], None] | None = None,
) -> LabRun:
    """Train ``spec`` with the core's gradient descent to the step budget (``run_past_stop``),
    keeping the parameters where the rules stopped it."""
    x0 = initial_parameters(spec, data.X.shape[1])
    result = gradient_descent(
        run_objective(spec, data),
        x0,
        step=spec.step_rule,
        eta=spec.eta,
        rules=spec.rules,
        dtype=spec.dtype,
        run_past_stop=True,
        progress=progress,
    )
    last = max(result.loss.size - 1, 0)
    stop_step = last if result.stopped_by == "non_finite" else min(result.stop_iter, last)
    return LabRun(
        spec,
        label,
        spec.sizes(data.X.shape[1]),
        loss_of(data),
        result,
        x0,
        result.x_stop,
        stop_step,
    )


# ---------------------------------------------------------------- the view


@dataclass(frozen=True)
class RunPanel:
    """What the page shows of one run: metrics and three charts with their CSV frames."""

    run: LabRun
    metrics: tuple[Metric, ...]
    heatmap_frame: pd.DataFrame
    heatmap_chart: dict  # Vega-Lite specs, built once per set of controls
    heatmap_text: str
    saturation_frame: pd.DataFrame
    saturation_chart: dict
    saturation_text: str
    fit_frame: pd.DataFrame
    fit_chart: dict
    fit_text: str


@dataclass(frozen=True)
class LabView:
    """The lab's section: the verdict, the loss chart of both runs and a panel per run."""

    verdict: str
    loss_frame: pd.DataFrame
    markers: pd.DataFrame
    loss_chart: dict  # Vega-Lite spec
    main: RunPanel
    comparison: RunPanel
    same_run: bool
    """True when the remedy changes nothing (e.g. float32 on a float32 run)."""


Progress = Callable[[float, str], None]


def lab_view(
    *,
    lab_dataset: str,
    lab_depth: int,
    lab_width: int,
    lab_activation: str,
    lab_init: str,
    lab_init_scale: float,
    lab_step_rule: str,
    lab_eta: str,
    lab_steps: int,
    lab_dtype: str,
    lab_loss_scale: str,
    lab_eps: str,
    lab_gatol: str,
    lab_gttol: str,
    lab_fatol: str,
    lab_frtol: str,
    lab_stagnation: bool,
    lab_combine: str,
    lab_seed: int,
    lab_remedy: str,
    _progress: Progress | None = None,
) -> LabView:
    """Train the student's network here and the remedy beside it, at the same time in a worker
    process (``vgapp.workers``); the verdict, charts and metrics.

    ``_progress(fraction, text)`` is called about every 1% of each run's steps with the share
    of both runs done, in [0, 1], and once with 1 when the charts are drawn (underscored: it is
    not part of a memo key)."""
    values = {key: value for key, value in locals().items() if key in _LAB}
    if _progress is not None and not callable(_progress):
        raise ValueError(f"_progress must be callable or None; got {_progress!r}")
    spec = spec_from_controls(values)
    remedy = remedy_spec(spec, lab_remedy)
    data = lab_data(lab_dataset, lab_seed)
    same = remedy == spec
    label = "remedy: " + REMEDIES[lab_remedy]
    if same:
        main = train(spec, data, "your run", _Reporter(_progress, (spec,)).report(0))
        comparison = dataclasses.replace(main, label=label)
    else:
        reporter = _Reporter(_progress, (spec, remedy))
        main, comparison = workers.beside(
            lambda poll: train(spec, data, "your run", reporter.report(0, poll)),
            train_remote,
            (remedy, label),
            reporter.report(1),
        )
    if _progress is not None:
        _progress(1.0, "Training done: drawing the charts")
    return _compose(main, comparison, data, lab_remedy, same)


def _check_value(control: Control, value: Any) -> None:
    """ValueError naming the control's key and its allowed values or range."""
    if control.kind == CHOICE:
        check_choice(value, control.options, control.key)
    elif control.kind == BOOL:
        if not isinstance(value, bool):
            raise ValueError(f"{control.key} must be True or False; got {value!r}")
    elif control.kind == INT:
        check_int(value, control.key, low=int(control.low), high=int(control.high))
    else:
        check_real(value, control.key, low=control.low, high=control.high)


def _threshold(text: str) -> float | None:
    return None if text == OFF else float(text)


def spec_from_controls(values: Mapping[str, Any]) -> RunSpec:
    """The student's run from the control values by key, each checked against its control."""
    missing = [key for key in LAB_KEYS if key not in values]
    if missing:
        raise ValueError(f"values must give every lab control; missing {', '.join(missing)}")
    for key in LAB_KEYS:
        _check_value(_LAB[key], values[key])
    rules = StoppingRules(
        eps=_threshold(values["lab_eps"]),
        gatol=_threshold(values["lab_gatol"]),
        gttol=_threshold(values["lab_gttol"]),
        fatol=_threshold(values["lab_fatol"]),
        frtol=_threshold(values["lab_frtol"]),
        stagnation=values["lab_stagnation"],
        max_iter=values["lab_steps"],
        combine=values["lab_combine"],
    )
    return RunSpec(
        dataset=values["lab_dataset"],
        depth=values["lab_depth"],
        width=values["lab_width"],
        activation=values["lab_activation"],
        init=values["lab_init"],
        init_scale=float(values["lab_init_scale"]),
        step_rule=values["lab_step_rule"],
        eta=float(values["lab_eta"]),
        dtype=values["lab_dtype"],
        loss_scale=float(values["lab_loss_scale"]),
        rules=rules,
        seed=values["lab_seed"],
    )


def remedy_spec(spec: RunSpec, remedy: str) -> RunSpec:
    """``spec`` with the remedy applied and everything else kept."""
    check_choice(remedy, REMEDIES, "remedy")
    if remedy == "relu_he":
        return dataclasses.replace(spec, activation="relu", init="he")
    if remedy == "tanh_xavier":
        return dataclasses.replace(spec, activation="tanh", init="xavier")
    if remedy == "float32":
        return dataclasses.replace(spec, dtype="float32")
    return dataclasses.replace(spec, loss_scale=REMEDY_LOSS_SCALE)


class _Reporter:
    """The page's progress bar for runs trained at the same time: the share of all their steps
    done, and each run's step count."""

    def __init__(self, progress: Progress | None, specs: tuple[RunSpec, ...]) -> None:
        self.progress = progress
        self.specs = specs
        self.done = [0] * len(specs)

    def report(
        self, index: int, poll: Callable[[], None] | None = None
    ) -> Callable[[int, int], None] | None:
        """The core's ``progress(k, max_iter)`` for run ``index``; ``poll`` is called first."""
        if self.progress is None and poll is None:
            return None

        def report(k: int, total: int) -> None:
            if poll is not None:
                poll()
            self.done[index] = k
            if self.progress is not None:
                self._show(total)

        return report

    def _show(self, total: int) -> None:
        names = ("your run", "the comparison")
        counts = "; ".join(
            f"{names[i]} ({spec.describe()}): step {self.done[i]:,} of {total:,}"
            for i, spec in enumerate(self.specs)
        )
        self.progress(min(1.0, sum(self.done) / (total * len(self.specs))), f"Training {counts}")


def train_remote(spec: RunSpec, label: str, *, progress: Callable[[int, int], None]) -> LabRun:
    """``train`` on the lab's data for ``spec`` (for a worker process: only ``spec`` travels)."""
    return train(spec, lab_data(spec.dataset, spec.seed), label, progress)


# ---------------------------------------------------------------- composing the view


def loss_text(value: float | None) -> str:
    """A mean loss for the page: 3 significant digits, tiny values in scientific notation."""
    if value is None:
        return "not finite"
    if value == 0 or 1e-3 <= value < 1e4:
        return f"{value:.3g}"
    return sci(value)


def outcome(run: LabRun) -> str:
    """How the run ended: ``"stopped by the parameter-change rule at step 8 with loss 0.693"``."""
    reason = run.result.stopped_by
    loss = loss_text(run.loss_at_stop)
    if reason == "non_finite":
        if run.recorded == 0:
            return "overflowed at step 0 (loss or gradient not finite)"
        return (
            f"overflowed after step {run.stop_step:,} (loss or gradient not finite; last loss "
            f"{loss})"
        )
    if reason == "max_iter":
        return f"ran all {run.stop_step:,} steps to loss {loss}"
    return f"stopped by {RULE_PHRASES[reason]} at step {run.stop_step:,} with loss {loss}"


def zero_layers(run: LabRun) -> list[int]:
    """Layers (1-based, output = depth + 1) whose ||dF/dz|| was exactly 0 at some step up to
    the stop."""
    norms = run.figure("backprop_norms", len(run.sizes) - 1)[: run.stop_step + 1]
    if not norms.size:
        return []
    return [int(i) + 1 for i in np.flatnonzero((norms == 0).any(axis=0))]


def _layer_list(layers: list[int]) -> str:
    if len(layers) > 1 and layers == list(range(layers[0], layers[-1] + 1)):
        return f"layers {layers[0]}–{layers[-1]}"
    return ("layer " if len(layers) == 1 else "layers ") + ", ".join(map(str, layers))


def verdict(main: LabRun, comparison: LabRun, remedy: str, same: bool) -> str:
    """The one-line comparison of the two runs."""
    text = f"Your {main.spec.describe()} {outcome(main)}"
    if same:
        return text + f"; the remedy ({REMEDIES[remedy]}) changes nothing for this run."
    reached = loss_text(comparison.loss_at_stop)
    reason = comparison.result.stopped_by
    if reason == "max_iter":
        tail = f"{REMEDIES[remedy]} reached {reached} in the same {comparison.stop_step:,} steps"
    else:
        tail = f"{REMEDIES[remedy]} {outcome(comparison)}"
    text += f"; {tail}"
    zeros, fixed = zero_layers(main), zero_layers(comparison)
    if zeros:
        text += f". In {main.spec.dtype} the gradient of {_layer_list(zeros)} was exactly 0" + (
            f" ({_layer_list(fixed)} with the remedy)" if fixed else ", never with the remedy"
        )
    return text + "."


def _compose(main: LabRun, comparison: LabRun, data: Dataset, remedy: str, same: bool) -> LabView:
    runs = (main, comparison) if not same else (main,)
    frame = lab_charts.loss_frame(
        {run.label: (run.result.loss, run.result.grad_norm, LAB_SAMPLES) for run in runs}
    )
    markers = _markers(runs)
    callout = None
    if main.recorded:
        callout = (
            main.stop_step,
            float(main.loss_at_stop),
            f"stop ({_short_reason(main)}) at step {main.stop_step:,}: loss "
            f"{loss_text(main.loss_at_stop)}",
        )
    keep = tuple(int(k) for k in markers["step"])
    title = titled(
        _loss_title(main, comparison, remedy, same),
        "Mean loss per sample F/n (log) against step (symlog). Dots: where each enabled rule "
        "first holds; the dashed line: where the rules stopped your run.",
    ).to_dict()
    chart = lab_charts.loss_chart(
        frame, markers, callout, names=[run.label for run in runs], title=title, keep_steps=keep
    )
    domain = lab_charts.positive_range(
        *(run.figure("backprop_norms", len(run.sizes) - 1) for run in (main, comparison))
    )
    return LabView(
        verdict=verdict(main, comparison, remedy, same),
        loss_frame=frame,
        markers=markers,
        loss_chart=chart,
        main=_panel(main, data, domain),
        comparison=_panel(comparison, data, domain),
        same_run=same,
    )


def _short_reason(run: LabRun) -> str:
    """``"‖Δx‖ ≤ ε"``, ``"step limit"``, ``"overflow"``, ``"all rules at once"``."""
    reason = run.result.stopped_by
    return {"max_iter": "step limit", "all": "all rules at once"}.get(reason) or RULE_SHORT[reason]


def _loss_title(main: LabRun, comparison: LabRun, remedy: str, same: bool) -> str:
    mine = f"{ACTIVATION_LABELS[main.spec.activation]} ({main.spec.dtype})"
    reason, loss = main.result.stopped_by, loss_text(main.loss_at_stop)
    if reason == "non_finite":
        stop = f"{mine} overflowed at step {main.stop_step:,}"
    elif reason == "max_iter":
        stop = f"{mine} ran all {main.stop_step:,} steps to loss {loss}"
    else:
        stop = f"{mine} stopped at step {main.stop_step:,} with loss {loss}"
    if same:
        return stop
    return f"{stop}; {REMEDIES[remedy]}: {loss_text(comparison.loss_at_stop)}"


def _markers(runs: tuple[LabRun, ...]) -> pd.DataFrame:
    """One row per run and enabled rule that held: where it first held, and the loss there."""
    rows = []
    for run in runs:
        for rule, step in run.result.first_fired.items():
            if step is None or rule == "max_iter" or not run.recorded:
                continue
            at = min(step, run.recorded - 1)  # an overflow is marked at the last finite step
            rows.append(
                {
                    "run": run.label,
                    "rule": RULE_SHORT[rule],
                    "step": at,
                    "loss_mean": float(run.loss_mean[at]),
                    "text": f"{RULE_PHRASES[rule]} first holds at step {step:,}",
                }
            )
    columns = {"run": str, "rule": str, "step": np.int64, "loss_mean": float, "text": str}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def _panel(run: LabRun, data: Dataset, domain: tuple[float, float] | None) -> RunPanel:
    n_layers = len(run.sizes) - 1
    who = f"{run.label}: {run.spec.describe()}"
    norms = run.figure("backprop_norms", n_layers)
    saturation = run.figure("saturation", n_layers - 1)
    stop = run.stop_step if run.recorded else None
    heat_title, heat_text = _heatmap_finding(run, norms)
    heatmap = lab_charts.gradient_heatmap(
        lab_charts.heatmap_data(norms, keep_steps=(run.stop_step,)),
        n_layers,
        title=titled(heat_title, who).to_dict(),
        domain=domain,
        stop_step=stop,
    )
    sat_title, sat_axis = _saturation_finding(run, saturation)
    saturation_chart = lab_charts.saturation_chart(
        saturation, title=titled(sat_title, who).to_dict(), y_title=sat_axis, stop_step=stop
    )
    fit_frame, fit_chart, fit_text, fit_metric = _fit(run, data)
    metrics = (
        Metric("stopped by", _short_reason(run), outcome(run)),
        Metric("at step", f"{run.stop_step:,}", "Where the rules stopped the run."),
        Metric(
            "loss there (F/n)",
            loss_text(run.loss_at_stop),
            "Mean loss per sample at the stop.",
        ),
        Metric(
            "loss after the whole budget",
            loss_text(float(run.loss_mean[-1]) if run.recorded else None),
            "Where the run would have got with every step of the budget.",
        ),
        fit_metric,
        Metric(
            "layers with ‖dF/dz‖ = 0",
            str(len(zero_layers(run))),
            "Layers whose back-propagated gradient was exactly zero at some step up to the stop.",
        ),
    )
    return RunPanel(
        run=run,
        metrics=metrics,
        heatmap_frame=lab_charts.heatmap_frame(norms),
        heatmap_chart=heatmap,
        heatmap_text=heat_text,
        saturation_frame=lab_charts.saturation_frame(saturation),
        saturation_chart=saturation_chart,
        saturation_text=f"{sat_title}. {sat_axis} of each hidden layer against step.",
        fit_frame=fit_frame,
        fit_chart=fit_chart,
        fit_text=fit_text,
    )


def _heatmap_finding(run: LabRun, norms: np.ndarray) -> tuple[str, str]:
    """The heatmap's title (the finding at step 0) and its text alternative."""
    if not norms.size:
        return "No gradient: it overflowed at step 0", "No finite step was recorded."
    first = norms[0]
    zeros = [i + 1 for i in np.flatnonzero(first == 0)]
    if zeros:
        title = f"{_layer_list(zeros).capitalize()}: gradient exactly 0 at step 0 (underflow)"
    elif np.isfinite(first).all() and first[0] > 0:
        ratio = first[-1] / first[0]
        if ratio >= 10:
            title = f"‖dF/dz‖ shrinks {_fold(ratio)} from the output down to layer 1"
        elif ratio <= 0.1:
            title = f"‖dF/dz‖ grows {_fold(1 / ratio)} from the output down to layer 1"
        else:
            title = "‖dF/dz‖ keeps its size from the output down to layer 1"
    else:
        title = "Some layers overflow at step 0"
    text = (
        f"{title}. Rows: layers (output on top); columns: steps; colour: the back-propagated "
        "gradient norm ‖dF/dz‖ on a log scale, exact zeros and ∞ in their own colours."
    )
    return title, text


def _fold(ratio: float) -> str:
    exponent = math.floor(math.log10(ratio))
    return f"{ratio:,.0f}-fold" if exponent < 3 else f"10{superscript(exponent)}-fold"


def _saturation_finding(run: LabRun, saturation: np.ndarray) -> tuple[str, str]:
    """The saturation chart's title and its y-axis title, per activation."""
    activation = run.spec.activation
    axis = {
        "sigmoid": "share of unit-samples with σ′(z) < 1% of ¼",
        "tanh": "share of unit-samples with tanh′(z) < 1% of 1",
        "relu": "share of unit-samples with ReLU′(z) = 0 (inactive)",
        "leaky_relu": "share of unit-samples on the 0.01 slope",
    }[activation]
    if not saturation.size:
        return "No finite step recorded", axis
    at_stop = saturation[min(run.stop_step, saturation.shape[0] - 1)]
    top, worst = at_stop[-1], int(np.argmax(at_stop)) + 1
    if activation in ("relu", "leaky_relu"):
        title = f"At the stop, layer {worst} has {at_stop[worst - 1]:.0%} inactive unit-samples"
    elif at_stop.max() < 0.01:
        title = (
            "No layer saturates, yet the gradient shrinks: σ′ ≤ ¼ at every layer"
            if activation == "sigmoid"
            else "No layer saturates"
        )
    else:
        title = (
            f"At the stop the top hidden layer is {top:.0%} saturated"
            if worst == saturation.shape[1]
            else f"At the stop layer {worst} is {at_stop[worst - 1]:.0%} saturated"
        )
    return title, axis


def _fit(run: LabRun, data: Dataset) -> tuple[pd.DataFrame, dict, str, Metric]:
    """The decision boundary (classification) or the fitted curve (regression) at the stop."""
    params = unflatten_params(run.x_stop, run.sizes)
    where = f"parameters at step {run.stop_step:,}, where the rules stopped the run"
    if run.loss == "bce":
        logits = _predict(params, data.X, run)
        accuracy = float(np.mean((logits > 0) == (data.y == 1)))
        low, high = data.X.min(axis=0) - 0.3, data.X.max(axis=0) + 0.3
        xs = np.linspace(low[0], high[0], BOUNDARY_GRID)
        ys = np.linspace(low[1], high[1], BOUNDARY_GRID)
        grid = np.column_stack([a.ravel() for a in np.meshgrid(xs, ys)])
        probability = sigmoid(_predict(params, grid, run)).reshape(BOUNDARY_GRID, BOUNDARY_GRID)
        cells = lab_charts.boundary_frame(xs, ys, probability)
        points = pd.DataFrame({"x1": data.X[:, 0], "x2": data.X[:, 1], "class": data.y})
        title = f"At the stop: {accuracy:.0%} of the training points on the right side"
        chart = lab_charts.boundary_chart(cells, points, title=titled(title, where).to_dict())
        metric = Metric(
            "training accuracy there", f"{accuracy:.0%}", "Share of samples classified right."
        )
        return cells, chart, f"{title}; {where}.", metric
    x = np.linspace(-1.1, 1.1, CURVE_POINTS)
    prediction = _predict(params, x.reshape(-1, 1), run)
    curve = lab_charts.regression_frame(x, prediction, np.sin(3.0 * x))
    points = pd.DataFrame({"x": data.X[:, 0], "y": data.y})
    rms = math.sqrt(run.loss_at_stop) if run.loss_at_stop is not None else None
    title = (
        f"At the stop: root-mean-square error {rms:.3g}"
        if rms is not None
        else "At the stop: no finite fit"
    )
    chart = lab_charts.regression_chart(curve, points, title=titled(title, where).to_dict())
    metric = Metric("RMS error there", loss_text(rms), "√(F/n): the typical miss in units of y.")
    return curve, chart, f"{title}; {where}.", metric


def _predict(params: list, X: np.ndarray, run: LabRun) -> np.ndarray:
    """The network output in float64 (inf where the run's dtype overflowed, NaN kept)."""
    out = mlp_predict(params, X, run.spec.activation, dtype=run.spec.dtype)
    return out.astype(np.float64).reshape(-1)
