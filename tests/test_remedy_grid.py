"""The lab's ReLU + He and tanh + Xavier remedies do not overflow at the default step size in
float32 over their first 200 steps, at the corners of the depth x width grid and at the settings
where a constant step did (``python -m bench.remedy_grid`` runs the whole grid): each run is the
lab's own (``remedy_spec``, ``train_observed``) with every stopping rule off."""

from __future__ import annotations

import numpy as np
import pytest

from vgapp.lab.controls import LAB_DEFAULTS, LAB_SAMPLES, OFF
from vgapp.lab.runs import remedy_spec, spec_from_controls, train_observed

STEPS = 200
SETTINGS = [
    *[("regression_1d", depth, width, 0) for depth in (2, 20) for width in (8, 128)],
    ("moons", 20, 128, 0),
    *[("moons", 10, 64, seed) for seed in (0, 1, 2)],
    *[("regression_1d", 10, 64, seed) for seed in (0, 1, 2)],
    ("xor", 15, 16, 0),  # the curvature grows 30-fold in 9 steps as it leaves the plateau
    ("xor", 15, 16, 2),
]
"""(data set, depth, width, seed): the grid's corners, and settings where a constant step of
η = 3·10⁻³ overflowed within 2 to 17 steps (10 × 64, every regression setting of tanh +
Xavier, two deep narrow xor networks)."""


@pytest.mark.parametrize("remedy", ["relu_he", "tanh_xavier"])
@pytest.mark.parametrize(("dataset", "depth", "width", "seed"), SETTINGS)
def test_remedy_trains_200_steps_without_overflow(remedy, dataset, depth, width, seed):
    values = {
        **LAB_DEFAULTS,
        "lab_dataset": dataset,
        "lab_depth": depth,
        "lab_width": width,
        "lab_seed": seed,
        "lab_steps": STEPS,
        "lab_eps": OFF,
        "lab_stagnation": False,
    }
    spec = remedy_spec(spec_from_controls(values), remedy)
    assert (spec.eta, spec.dtype) == (3e-3, "float32")
    run = train_observed(spec, lambda step: None)
    loss = run.result.loss
    assert run.result.stopped_by == "max_iter"
    assert loss.size == STEPS + 1
    assert np.isfinite(loss).all()
    assert np.isfinite(run.result.grad_norm).all()
    assert loss.max() == loss[0]  # backtracking never raises F
    assert loss[-1] / LAB_SAMPLES < loss[0] / LAB_SAMPLES
