"""A zero gradient is not an optimum (MATH.md A): two-variable examples with exact gradients and
Hessians, and the second-order test. (The tests check the derivatives against complex steps and
``vgcore.gradcheck``'s central differences.)

Second-order test at a stationary point: a positive definite Hessian is *sufficient* for a
strict local minimum, positive *semi*definite is *necessary*; indefinite means a saddle; a
singular semidefinite Hessian decides nothing (``x^4`` has a minimum, ``x^3`` none).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vgcore._validate import as_finite_array, check_choice, check_int, check_real

COORDINATE_LIMIT = 1e6  # |x|, |y| accepted by describe_point: keeps x^4 and friends finite
DEFAULT_GRADIENT_ATOL = 1e-9


@dataclass(frozen=True)
class Example2D:
    """A function of two variables with its exact derivatives, known stationary points (with
    their true nature: "minimum", "saddle" or "inflection", which the second-order test may
    fail to decide) and a plot domain.

    ``lipschitz_hint`` bounds the gradient's Lipschitz constant on ``domain``: the largest
    spectral norm of the Hessian there (exact where a closed form exists, otherwise a
    Gershgorin row-sum bound; see each example)."""

    key: str
    label: str
    formula: str
    f: Callable[[Any, Any], Any]
    grad: Callable[[Any, Any], np.ndarray]
    hessian: Callable[[Any, Any], np.ndarray]
    stationary_points: tuple[tuple[float, float, str], ...]
    domain: tuple[float, float, float, float]
    lipschitz_hint: float | None
    infimum: float | None = None  # inf F over the plane (None: unbounded below)


# The lambdas are plain arithmetic, so they also work on arrays (gradient_field) and on
# complex numbers (the complex-step checks in the tests).
EXAMPLES: dict[str, Example2D] = {
    "two_weight_net": Example2D(
        key="two_weight_net",
        label="(1 − ab)²: two-weight network",
        formula="F(a, b) = (1 − a·b)²",
        f=lambda a, b: (1 - a * b) ** 2,
        grad=lambda a, b: np.array([-2 * b * (1 - a * b), -2 * a * (1 - a * b)]),
        hessian=lambda a, b: np.array([[2 * b * b, 4 * a * b - 2], [4 * a * b - 2, 2 * a * a]]),
        # Every point with a·b = 1 is a global minimum; (1, 1) represents that line.
        stationary_points=((0.0, 0.0, "saddle"), (1.0, 1.0, "minimum")),
        domain=(-2.0, 2.0, -2.0, 2.0),
        # Gershgorin on |a|, |b| <= 2: max row sum 2·b² + |4ab − 2| <= 8 + 16 + 2.
        lipschitz_hint=26.0,
        infimum=0.0,
    ),
    "bowl": Example2D(
        key="bowl",
        label="x² + y²: bowl",
        formula="F(x, y) = x² + y²",
        f=lambda x, y: x * x + y * y,
        grad=lambda x, y: np.array([2 * x, 2 * y]),
        hessian=lambda x, y: np.array([[2 + 0 * x, 0 * x], [0 * y, 2 + 0 * y]]),
        stationary_points=((0.0, 0.0, "minimum"),),
        domain=(-2.0, 2.0, -2.0, 2.0),
        lipschitz_hint=2.0,  # the Hessian is 2·I everywhere
        infimum=0.0,
    ),
    "saddle": Example2D(
        key="saddle",
        label="x² − y²: saddle",
        formula="F(x, y) = x² − y²",
        f=lambda x, y: x * x - y * y,
        grad=lambda x, y: np.array([2 * x, -2 * y]),
        hessian=lambda x, y: np.array([[2 + 0 * x, 0 * x], [0 * y, -2 + 0 * y]]),
        stationary_points=((0.0, 0.0, "saddle"),),
        domain=(-2.0, 2.0, -2.0, 2.0),
        lipschitz_hint=2.0,  # Hessian diag(2, −2) everywhere
    ),
    "quartic": Example2D(
        key="quartic",
        label="x⁴ + y⁴: flat minimum",
        formula="F(x, y) = x⁴ + y⁴",
        f=lambda x, y: x**4 + y**4,
        grad=lambda x, y: np.array([4 * x**3, 4 * y**3]),
        hessian=lambda x, y: np.array([[12 * x * x, 0 * x], [0 * y, 12 * y * y]]),
        stationary_points=((0.0, 0.0, "minimum"),),
        domain=(-1.5, 1.5, -1.5, 1.5),
        lipschitz_hint=27.0,  # diag(12x², 12y²) with |x|, |y| <= 1.5
        infimum=0.0,
    ),
    "cubic": Example2D(
        key="cubic",
        label="x³: inflection (y ignored)",
        formula="F(x, y) = x³",
        f=lambda x, y: x**3 + 0 * y,
        grad=lambda x, y: np.array([3 * x * x, 0 * y]),
        hessian=lambda x, y: np.array([[6 * x, 0 * x], [0 * y, 0 * y]]),
        # Every (0, y) is stationary and none is an extremum.
        stationary_points=((0.0, 0.0, "inflection"),),
        domain=(-1.5, 1.5, -1.5, 1.5),
        lipschitz_hint=9.0,  # diag(6x, 0) with |x| <= 1.5
    ),
    "monkey": Example2D(
        key="monkey",
        label="x³ − 3xy²: monkey saddle",
        formula="F(x, y) = x³ − 3·x·y²",
        f=lambda x, y: x**3 - 3 * x * y * y,
        grad=lambda x, y: np.array([3 * x * x - 3 * y * y, -6 * x * y]),
        hessian=lambda x, y: np.array([[6 * x, -6 * y], [-6 * y, -6 * x]]),
        stationary_points=((0.0, 0.0, "saddle"),),
        domain=(-1.5, 1.5, -1.5, 1.5),
        # Eigenvalues ±6·sqrt(x² + y²): largest at a corner of the square.
        lipschitz_hint=6.0 * math.hypot(1.5, 1.5),
    ),
}


def _example(example_key: Any) -> Example2D:
    return EXAMPLES[check_choice(example_key, EXAMPLES, "example_key")]


# ---------------------------------------------------------------- second-order test


def classify_stationary_point(hessian: Any, *, rtol: float = 1e-9) -> str:
    """The second-order test on a (symmetrised) n × n Hessian: ``"minimum"`` if every
    eigenvalue exceeds ``tol = rtol · max|eigenvalue|``, ``"maximum"`` if every one is below
    ``-tol``, ``"saddle"`` if some are above ``tol`` and some below ``-tol``, otherwise
    ``"inconclusive"`` (singular semidefinite, including the zero matrix)."""
    matrix = as_finite_array(hessian, "hessian", ndim=2)
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"hessian must be square; got shape {matrix.shape}")
    relative = check_real(rtol, "rtol", low=0.0, high=1.0, high_open=True)
    # Halve before adding so that entries near the float64 limit cannot overflow.
    eigenvalues = np.linalg.eigvalsh(0.5 * matrix + 0.5 * matrix.T)
    scale = float(np.max(np.abs(eigenvalues)))
    if scale == 0.0:
        return "inconclusive"
    tol = relative * scale
    positive, negative = eigenvalues > tol, eigenvalues < -tol
    if positive.all():
        return "minimum"
    if negative.all():
        return "maximum"
    if positive.any() and negative.any():
        return "saddle"
    return "inconclusive"


@dataclass(frozen=True)
class PointReport:
    """Value, gradient, Hessian and the second-order verdict at one point of an example."""

    example_key: str
    x: float
    y: float
    value: float
    gradient: np.ndarray
    gradient_norm: float
    hessian: np.ndarray
    eigenvalues: np.ndarray
    classification: str  # classify_stationary_point's verdict, or "not stationary"
    explanation: str


def _signed(value: float) -> str:
    """``+2``, ``−2``, ``0`` with a typographic minus, three significant digits."""
    if value == 0:
        return "0"
    return f"{value:+.3g}".replace("-", "−")


_VERDICT_TEXT = {
    "minimum": "gradient is zero and the Hessian's eigenvalues {eig} are all positive: "
    "a strict local minimum",
    "maximum": "gradient is zero and the Hessian's eigenvalues {eig} are all negative: "
    "a strict local maximum",
    "saddle": "gradient is zero but the Hessian has eigenvalues {eig}: a saddle, not a minimum",
    "inconclusive": "gradient is zero but the Hessian is singular (eigenvalues {eig}): "
    "the second-order test says nothing",
}


_TRUE_KIND_TEXT = {
    "minimum": "a minimum",
    "maximum": "a maximum",
    "saddle": "a saddle, not an extremum",
    "inflection": "an inflection point, not an extremum",
}


def describe_point(
    example_key: str, x: float, y: float, *, grad_atol: float = DEFAULT_GRADIENT_ATOL
) -> PointReport:
    """Everything the page shows about ``(x, y)``: ``F``, ``grad F``, ``||grad F||``, the Hessian
    and its eigenvalues, the second-order verdict if ``||grad F|| <= grad_atol`` (numerically
    stationary) else ``"not stationary"``, and a one-line explanation. ``|x|, |y| <= 1e6``."""
    example = _example(example_key)
    limit = COORDINATE_LIMIT
    px = check_real(x, "x", low=-limit, high=limit)
    py = check_real(y, "y", low=-limit, high=limit)
    atol = check_real(grad_atol, "grad_atol", low=0.0)
    value = float(example.f(np.float64(px), np.float64(py)))
    gradient = np.asarray(example.grad(px, py), dtype=np.float64)
    hessian = np.asarray(example.hessian(px, py), dtype=np.float64)
    eigenvalues = np.linalg.eigvalsh(hessian)
    norm = float(np.linalg.norm(gradient))
    eig_text = " and ".join(_signed(float(e)) for e in eigenvalues)
    if norm <= atol:
        classification = classify_stationary_point(hessian)
        explanation = _VERDICT_TEXT[classification].format(eig=eig_text)
        known = [kind for (sx, sy, kind) in example.stationary_points if (sx, sy) == (px, py)]
        if classification == "inconclusive" and known:
            explanation += f" (in fact this point is {_TRUE_KIND_TEXT[known[0]]})"
    else:
        classification = "not stationary"
        explanation = (
            f"gradient norm {norm:.3g} ≠ 0: not a stationary point, a gradient step still "
            f"moves it (Hessian eigenvalues {eig_text})"
        )
    return PointReport(
        example_key=example.key,
        x=px,
        y=py,
        value=value,
        gradient=gradient,
        gradient_norm=norm,
        hessian=hessian,
        eigenvalues=eigenvalues,
        classification=classification,
        explanation=explanation,
    )


# ---------------------------------------------------------------- plot data


def grid_values(example_key: str, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(xs, ys, Z)`` on the example's domain with ``Z[i, j] = F(xs[j], ys[i])`` (rows follow
    y, as contour/heatmap plots expect); ``2 <= n <= 1000``."""
    example = _example(example_key)
    count = check_int(n, "n", low=2, high=1000)
    xmin, xmax, ymin, ymax = example.domain
    xs = np.linspace(xmin, xmax, count)
    ys = np.linspace(ymin, ymax, count)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return xs, ys, np.asarray(example.f(grid_x, grid_y), dtype=np.float64)


def gradient_field(
    example_key: str, n: int = 15
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X, Y, U, V)``: an ``n × n`` meshgrid of the domain and the exact gradient
    ``(U, V) = grad F(X, Y)`` there, for arrows; ``2 <= n <= 200``."""
    example = _example(example_key)
    count = check_int(n, "n", low=2, high=200)
    xmin, xmax, ymin, ymax = example.domain
    grid_x, grid_y = np.meshgrid(np.linspace(xmin, xmax, count), np.linspace(ymin, ymax, count))
    u, v = example.grad(grid_x, grid_y)
    return grid_x, grid_y, np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)


def example_objective(example_key: str) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """``x -> (F(x), grad F(x))`` of a built-in example, for ``vgcore.descent.gradient_descent``
    (evaluated in the dtype of ``x``). A diverging run overflows to inf, which the descent loop
    reports as ``non_finite``; the overflow itself is expected and silenced."""
    example = _example(example_key)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(over="ignore", invalid="ignore"):
            value = float(example.f(x[0], x[1]))
            gradient = np.asarray(example.grad(x[0], x[1]), dtype=x.dtype)
        return value, gradient

    return objective


@dataclass(frozen=True)
class StationarySet:
    """A set of stationary points of a built-in example, with its exact nature."""

    kind: str  # "minimum", "saddle" or "inflection" (none of which is decided by a Hessian alone)
    description: str
    distance: float  # from the queried point (first-order distance for a curve)


def _distance_to_origin(x: float, y: float) -> float:
    return math.hypot(x, y)


def nearest_stationary(example_key: str, x: float, y: float) -> StationarySet:
    """The exact stationary set of a built-in example nearest to ``(x, y)`` and its nature.

    (1 − ab)²: the saddle at the origin, or the valley ``ab = 1`` of global minima, none of them
    strict (distance |ab − 1| / ‖(b, a)‖, to first order); x³: the line x = 0 of inflection
    points; every other example has only the origin."""
    example = _example(example_key)
    px = check_real(x, "x", low=-COORDINATE_LIMIT, high=COORDINATE_LIMIT)
    py = check_real(y, "y", low=-COORDINATE_LIMIT, high=COORDINATE_LIMIT)
    origin = _distance_to_origin(px, py)
    if example.key == "two_weight_net":
        scale = math.hypot(px, py)
        valley = abs(px * py - 1.0) / scale if scale > 0 else math.inf
        if valley < origin:
            return StationarySet("minimum", "the valley ab = 1 of global minima", valley)
        return StationarySet("saddle", "the saddle at the origin", origin)
    if example.key == "cubic":
        return StationarySet("inflection", "the line x = 0 of inflection points", abs(px))
    kind = example.stationary_points[0][2]
    names = {"bowl": "the minimum", "quartic": "the flat minimum", "saddle": "the saddle",
             "monkey": "the monkey saddle"}  # fmt: skip
    return StationarySet(kind, f"{names[example.key]} at the origin", origin)
