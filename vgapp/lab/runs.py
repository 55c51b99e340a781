"""One training run of the lab, without pandas or Altair (a worker process imports only this).

A run trains a multilayer perceptron (``vgcore.mlp``) on a seeded built-in dataset with the
core's ``gradient_descent`` and stopping rules, ``run_past_stop=True``: the trace goes on to the
step budget, so the first step at which every enabled rule holds is known, and "stopped by X at
step k" is where the loop *would* have stopped. Thresholds on F, its change and its gradient
apply to the summed loss F that the core minimises (binary cross-entropy in nats for the
classification sets, squared error for the regression). A comparison run trains the same data,
depth, width, step size, budget and rules with one remedy changed (``remedy_spec``); the remedies
that change the network also backtrack from that step size (``REMEDY_STEP_RULE``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from vgapp.lab.controls import (
    LAB_CONTROLS,
    LAB_DEFAULTS,
    LAB_KEYS,
    LAB_SAMPLES,
    OFF,
    REMEDIES,
    REMEDY_LOSS_SCALE,
    REMEDY_STEP_RULE,
)
from vgapp.lab.training.interfaces import Observer, Recipe
from vgapp.lab.training.trace import FIGURES
from vgapp.words import ACTIVATION_LABELS, INIT_SHORT
from vgcore.datasets import Dataset, make_dataset
from vgcore.descent import DescentResult, DescentStep, gradient_descent
from vgcore.mixed_precision import mixed_precision_descent, mixed_precision_objective
from vgcore.mlp import Objective, flatten_params, init_mlp, mlp_objective
from vgcore.stopping import StoppingRules
from vgcore.validate import check_choice, check_int

LAB_NOISE = 0.1
"""Standard deviation of the data noise, in the units of the data."""

_LAB = {control.key: control for control in LAB_CONTROLS}
MAX_STEPS = 5000
"""The step control's maximum."""
STEP_WORK_LIMIT = 2000 * 20 * 128**2
"""The lab caps a run's budget so that steps x depth x width² x the costlier run's
``DTYPE_STEP_COST`` stays within this: 2,000 steps of the largest network (20 x 128) in float32,
about 1,100 in float16 or float64, so that no run keeps a classroom waiting (README, figures
behind the constants)."""
DTYPE_STEP_COST = {"float32": 1.0, "float16": 1.75, "float64": 1.95}
"""A training step's time relative to float32 for the largest network, on one BLAS thread
(float16 is computed in float32 and rounded after every operation)."""


def _remedy_dtype(dtype: str, remedy: str) -> str:
    return "float32" if remedy == "float32" else "float16" if remedy == "mixed" else dtype


def budget_cap(depth: int, width: int, dtype: str, remedy: str) -> int:
    """The most steps the lab trains a ``depth`` x ``width`` network in ``dtype`` beside
    ``remedy`` (a multiple of 10, between 10 and the step control's maximum)."""
    cost = max(DTYPE_STEP_COST[dtype], DTYPE_STEP_COST[_remedy_dtype(dtype, remedy)])
    steps = int(STEP_WORK_LIMIT / (depth * width**2 * cost)) // 10 * 10
    return max(10, min(MAX_STEPS, steps))


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
    mixed: bool = False
    """Mixed precision (``vgcore.mixed_precision``): float16 forward and backward on a float16
    copy of float32 master weights, the loss in float32, a dynamic loss scale."""

    @property
    def budget(self) -> int:
        """The step limit ``rules.max_iter``."""
        return self.rules.max_iter

    def sizes(self, n_inputs: int) -> tuple[int, ...]:
        """Layer widths [n_in, h, ..., h, 1]."""
        return (n_inputs, *([self.width] * self.depth), 1)

    def describe(self) -> str:
        """``"sigmoid network (standard init, float32)"``; Armijo steps are named."""
        scale = f", loss scale {self.loss_scale:g}" if self.loss_scale != 1 else ""
        scale += ", Armijo steps" if self.step_rule == "armijo" else ""
        init = INIT_SHORT[self.init] + (
            f" s = {self.init_scale:g}" if self.init == "custom" else ""
        )
        precision = "mixed precision" if self.mixed else self.dtype
        network = ACTIVATION_LABELS[self.activation]
        return f"{network} network ({init} init, {precision}{scale})"


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


LAB_FIGURES = FIGURES
"""The per-layer figures the lab draws at every step (the training trace's figure columns:
the heatmap and saturation charts)."""


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
    *,
    observer: Callable[[DescentStep], None] | None = None,
) -> LabRun:
    """Train ``spec`` with the core's gradient descent to the step budget (``run_past_stop``),
    keeping the parameters where the rules stopped it. ``observer`` sees every step (the
    training engine's worker streams the trace from it, and pauses or abandons the run there)."""
    x0 = initial_parameters(spec, data.X.shape[1])
    how: dict[str, Any] = {
        "step": spec.step_rule,
        "eta": spec.eta,
        "rules": spec.rules,
        "run_past_stop": True,
        "armijo_start": "previous",
        "progress": progress,
        "observer": observer,
    }
    if spec.mixed:  # from the same float16 start; the master weights are its float32 copy
        objective = mixed_precision_objective(
            spec.sizes(data.X.shape[1]),
            data.X,
            data.y,
            spec.activation,
            loss_of(data),
            figures=LAB_FIGURES,
            loss_dtype="float32",
        )
        result = mixed_precision_descent(objective, x0, **how)
    else:
        result = gradient_descent(run_objective(spec, data), x0, dtype=spec.dtype, **how)
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


def train_observed(spec: RunSpec, observer: Observer) -> LabRun:
    """Train ``spec`` on its data to the budget, ``observer`` seeing every step (the training
    engine's workers)."""
    return train(spec, lab_data(spec.dataset, spec.seed), "", observer=observer)


def warm_up() -> None:
    """Train a tiny network once, so that every module and code path is loaded before the
    first real training (and glibc has served the kind of blocks it will)."""
    values = {**LAB_DEFAULTS, "lab_depth": 2, "lab_width": 4, "lab_steps": 10}
    train_observed(spec_from_controls(values), lambda step: None)


def _threshold(text: str) -> float | None:
    return None if text == OFF else float(text)


def spec_from_controls(values: Mapping[str, Any]) -> RunSpec:
    """The student's run from the control values by key, each checked against its control; its
    budget is the steps asked for, at most ``budget_cap``."""
    missing = [key for key in LAB_KEYS if key not in values]
    if missing:
        raise ValueError(f"values must give every lab control; missing {', '.join(missing)}")
    for key in LAB_KEYS:
        _LAB[key].check(values[key])
    rules = StoppingRules(
        eps=_threshold(values["lab_eps"]),
        gatol=_threshold(values["lab_gatol"]),
        gttol=_threshold(values["lab_gttol"]),
        fatol=_threshold(values["lab_fatol"]),
        frtol=_threshold(values["lab_frtol"]),
        stagnation=values["lab_stagnation"],
        max_iter=min(
            values["lab_steps"],
            budget_cap(
                values["lab_depth"], values["lab_width"], values["lab_dtype"], values["lab_remedy"]
            ),
        ),
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
    """``spec`` with the remedy applied and everything else kept, except that a remedy which
    changes the network (ReLU + He, tanh + Xavier) chooses its steps by ``REMEDY_STEP_RULE``."""
    check_choice(remedy, REMEDIES, "remedy")
    if remedy == "relu_he":
        return dataclasses.replace(spec, activation="relu", init="he", step_rule=REMEDY_STEP_RULE)
    if remedy == "tanh_xavier":
        return dataclasses.replace(
            spec, activation="tanh", init="xavier", step_rule=REMEDY_STEP_RULE
        )
    if remedy == "float32":
        return dataclasses.replace(spec, dtype="float32")
    if remedy == "mixed":
        return dataclasses.replace(spec, dtype="float16", loss_scale=1.0, mixed=True)
    return dataclasses.replace(spec, loss_scale=REMEDY_LOSS_SCALE)


ENGINE_RECIPE = Recipe(spec_type=RunSpec, train=train_observed, warm_up=warm_up)
"""What the training engine (``vgapp.lab.training``) trains: the lab's runs."""
