"""Tests for vgcore.datasets: shapes, exact label balance, the clean geometry at noise 0 (closed
forms), the noise level (sampling tolerance from n), determinism and every ValueError."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vgcore.datasets import (
    CIRCLES_INNER_RADIUS,
    DATASETS,
    MAX_NOISE,
    MAX_SAMPLES,
    MIN_SAMPLES,
    Dataset,
    make_dataset,
)
from vgcore.mlp import init_mlp, mlp_loss_and_grads

CLASSIFICATION = ("xor", "moons", "circles", "spirals")
GEOMETRY_ATOL = 1e-12  # a few ulps of the trigonometric construction
NOISE_SIGMAS = 5.0  # tolerance for sample moments, in standard errors


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("n_samples", [4, 101, 256])
def test_shapes_task_and_balance(name, n_samples):
    data = make_dataset(name, n_samples=n_samples, seed=3)
    assert isinstance(data, Dataset)
    assert data.name == name
    assert data.y.shape == (n_samples,)
    assert np.all(np.isfinite(data.X))
    assert np.all(np.isfinite(data.y))
    if name == "regression_1d":
        assert data.task == "regression"
        assert data.X.shape == (n_samples, 1)
    else:
        assert data.task == "classification"
        assert data.X.shape == (n_samples, 2)
        assert set(np.unique(data.y)) <= {0.0, 1.0}
        assert np.count_nonzero(data.y == 0) == n_samples // 2
        assert np.count_nonzero(data.y == 1) == n_samples - n_samples // 2


def test_clean_geometry_at_zero_noise():
    n = 400
    xor = make_dataset("xor", n, noise=0.0)
    assert np.all(np.abs(xor.X) == 1.0)  # exactly the corners
    np.testing.assert_array_equal(xor.y, (np.sign(xor.X[:, 0]) != np.sign(xor.X[:, 1])) * 1.0)

    moons = make_dataset("moons", n, noise=0.0)
    upper, lower = moons.X[moons.y == 0], moons.X[moons.y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=GEOMETRY_ATOL)
    assert np.all(upper[:, 1] >= 0)
    np.testing.assert_allclose(
        np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=GEOMETRY_ATOL
    )
    assert np.all(lower[:, 1] <= 0.5)

    circles = make_dataset("circles", n, noise=0.0)
    radius = np.hypot(*circles.X.T)
    np.testing.assert_allclose(radius[circles.y == 1], CIRCLES_INNER_RADIUS, atol=GEOMETRY_ATOL)
    np.testing.assert_allclose(radius[circles.y == 0], 1.0, atol=GEOMETRY_ATOL)

    spirals = make_dataset("spirals", n, noise=0.0)
    radius = np.hypot(*spirals.X.T)  # arm: r = t / (3 pi), angle = t + pi * y
    angle = np.arctan2(spirals.X[:, 1], spirals.X[:, 0])
    mismatch = np.angle(np.exp(1j * (angle - 3 * math.pi * radius - math.pi * spirals.y)))
    np.testing.assert_allclose(mismatch, 0.0, atol=1e-9)
    assert radius.min() >= 0.25 / 3 - GEOMETRY_ATOL
    assert radius.max() <= 1.0 + GEOMETRY_ATOL

    regression = make_dataset("regression_1d", n, noise=0.0)
    x = regression.X[:, 0]
    assert np.all(np.abs(x) <= 1.0)
    np.testing.assert_allclose(regression.y, np.sin(3 * x), rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", DATASETS)
def test_noise_is_gaussian_with_the_requested_deviation(name):
    """Same seed with and without noise: the difference is the noise itself (the draws are
    consumed the same way), with mean 0 and standard deviation ``noise``."""
    n, sigma = 4000, 0.2
    clean = make_dataset(name, n, noise=0.0, seed=9)
    noisy = make_dataset(name, n, noise=sigma, seed=9)
    if name == "regression_1d":
        np.testing.assert_array_equal(noisy.X, clean.X)
        difference = noisy.y - clean.y
    else:
        np.testing.assert_array_equal(noisy.y, clean.y)
        difference = (noisy.X - clean.X).ravel()
    size = difference.size
    assert abs(difference.mean()) < NOISE_SIGMAS * sigma / math.sqrt(size)
    # standard error of a normal sample's standard deviation: sigma / sqrt(2 n)
    assert difference.std() == pytest.approx(sigma, abs=NOISE_SIGMAS * sigma / math.sqrt(2 * size))


@pytest.mark.parametrize("name", DATASETS)
def test_deterministic_per_seed_and_read_only(name):
    first = make_dataset(name, 64, seed=5)
    again = make_dataset(name, 64, seed=np.random.default_rng(5))
    other = make_dataset(name, 64, seed=6)
    # the same seed gives the same draws: exactness is the point
    assert np.array_equal(first.X, again.X)
    assert np.array_equal(first.y, again.y)
    assert not np.array_equal(first.X, other.X)
    with pytest.raises(ValueError, match="read-only"):
        first.X[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        first.y[0] = 1.0


def test_classes_are_shuffled():
    y = make_dataset("moons", 200, seed=0).y
    assert 0 < np.count_nonzero(y[:100]) < 100  # not one block per class


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_sets_feed_a_bce_network(name):
    """A network whose output layer is zero predicts logit 0: F = n log 2 for any labels."""
    data = make_dataset(name, 50, seed=1)
    params = init_mlp([2, 8, 1], seed=0)
    params[-1] = (np.zeros_like(params[-1][0]), params[-1][1])
    total, _ = mlp_loss_and_grads(params, data.X, data.y, "tanh", "bce")
    assert total == pytest.approx(50 * math.log(2.0), rel=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "iris"}, "name"),
        ({"name": 3}, "name"),
        ({"n_samples": MIN_SAMPLES - 1}, "n_samples"),
        ({"n_samples": MAX_SAMPLES + 1}, "n_samples"),
        ({"n_samples": 10.5}, "n_samples"),
        ({"n_samples": True}, "n_samples"),
        ({"noise": -0.1}, "noise"),
        ({"noise": MAX_NOISE * 2}, "noise"),
        ({"noise": math.nan}, "noise"),
        ({"noise": "0.1"}, "noise"),
        ({"seed": -1}, "seed"),
        ({"seed": 0.5}, "seed"),
    ],
)
def test_bad_arguments(kwargs, match):
    arguments = {"name": "moons"} | kwargs
    with pytest.raises(ValueError, match=match):
        make_dataset(**arguments)
