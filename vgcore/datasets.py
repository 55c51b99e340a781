"""Small seeded datasets made in code (no downloads) for training the MLP on the page.

Classification sets have 2-D inputs (so a decision boundary can be drawn) and labels y in {0, 1}
with ``n // 2`` samples of class 0 and ``n - n // 2`` of class 1; train them with ``"bce"``.
``regression_1d`` has a 1-D input and ``y = sin(3x) + noise``; train it with ``"mse"``.
``noise`` is the standard deviation of Gaussian noise added to the inputs (classification) or to
the target (regression), in the units of the data. Rows come in a seeded random order, and the
returned arrays are read-only (a cached dataset cannot be altered by a caller).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from vgcore.validate import check_choice, check_int, check_real

DATASETS: tuple[str, ...] = ("xor", "moons", "circles", "spirals", "regression_1d")
TASKS: tuple[str, ...] = ("classification", "regression")
MIN_SAMPLES = 4
MAX_SAMPLES = 100_000
MAX_NOISE = 10.0
CIRCLES_INNER_RADIUS = 0.5
"""Radius of the inner (class 1) circle; the outer (class 0) circle has radius 1."""


@dataclass(frozen=True)
class Dataset:
    """Inputs X (n, d) and targets y (n,); ``task`` says which loss fits."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str


def make_dataset(
    name: str,
    n_samples: int = 256,
    noise: float = 0.1,
    seed: int | np.random.Generator = 0,
) -> Dataset:
    """The dataset ``name`` (one of ``DATASETS``) with ``n_samples`` rows; same seed, same data."""
    name = check_choice(name, DATASETS, "name")
    n_samples = check_int(n_samples, "n_samples", low=MIN_SAMPLES, high=MAX_SAMPLES)
    noise = check_real(noise, "noise", low=0.0, high=MAX_NOISE)
    rng = seed if isinstance(seed, np.random.Generator) else _rng(seed)
    if name == "regression_1d":
        x = rng.uniform(-1.0, 1.0, size=n_samples)
        X = x.reshape(-1, 1)
        y = np.sin(3.0 * x) + rng.normal(0.0, noise, size=n_samples)
        task = "regression"
    else:
        n_one = n_samples - n_samples // 2
        y = np.concatenate([np.zeros(n_samples // 2), np.ones(n_one)])
        X = _CLEAN[name](y, rng) + rng.normal(0.0, noise, size=(n_samples, 2))
        order = rng.permutation(n_samples)
        X, y = X[order], y[order]
        task = "classification"
    X.flags.writeable = False
    y.flags.writeable = False
    return Dataset(name=name, X=X, y=y, task=task)


def _rng(seed: Any) -> np.random.Generator:
    return np.random.default_rng(check_int(seed, "seed", low=0))


def _xor(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Class 0 at the corners (1, 1) and (-1, -1), class 1 at (1, -1) and (-1, 1): y = sign mismatch.
    first = rng.choice([-1.0, 1.0], size=y.size)
    second = np.where(y == 1, -first, first)
    return np.column_stack([first, second])


def _moons(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Two interleaving half circles of radius 1 (the layout of scikit-learn's make_moons).
    angle = rng.uniform(0.0, math.pi, size=y.size)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)])
    return np.where((y == 1)[:, None], lower, upper)


def _circles(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    angle = rng.uniform(0.0, 2.0 * math.pi, size=y.size)
    radius = np.where(y == 1, CIRCLES_INNER_RADIUS, 1.0)
    return cast(np.ndarray, radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))


def _spirals(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Two arms r = t / (3 pi), angle t in [0, 3 pi]; class 1 is class 0 turned by pi.
    t = rng.uniform(0.25 * math.pi, 3.0 * math.pi, size=y.size)
    radius = t / (3.0 * math.pi)
    angle = t + math.pi * y
    return cast(np.ndarray, radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]))


_CLEAN = {"xor": _xor, "moons": _moons, "circles": _circles, "spirals": _spirals}
