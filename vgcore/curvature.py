"""A zero gradient is not an optimum (MATH.md A): two-variable examples with exact gradients and
Hessians, and the second-order test. (The tests check the derivatives against complex steps and
``vgcore.gradcheck``'s central differences.)

Second-order test at a stationary point: a positive definite Hessian is *sufficient* for a
strict local minimum, positive *semi*definite is *necessary*; indefinite means a saddle; a
singular semidefinite Hessian decides nothing (``x^4`` has a minimum, ``x^3`` none). Where it
decides nothing, ``describe_point`` adds what a computed check shows: F at the point equals the
function's infimum (a global minimum), or F changes sign along a line through it (no extremum).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import numpy as np

from vgcore.validate import as_finite_array, check_choice, check_int, check_real

COORDINATE_LIMIT = 1e6  # |x|, |y| accepted by describe_point: keeps x^4 and friends finite
DEFAULT_GRADIENT_ATOL = 1e-9


@dataclass(frozen=True)
class Example2D:
    """A polynomial of two variables (total degree at most ``POLY_DEGREE``) with its exact
    derivatives, known stationary points (with their true nature: "minimum", "maximum",
    "saddle" or "inflection", which the second-order test may fail to decide) and a plot
    domain, the square the page's sliders cover.

    ``lipschitz_squared`` is L², L the gradient's Lipschitz constant on ``domain``: the largest
    spectral norm of the Hessian there (attained; see each example), kept as an exact rational
    so that a step can be compared with 2/L exactly; ``lipschitz_hint`` is L as a float."""

    key: str
    f: Callable[[Any, Any], Any]
    grad: Callable[[Any, Any], np.ndarray]
    hessian: Callable[[Any, Any], np.ndarray]
    stationary_points: tuple[tuple[float, float, str], ...]
    domain: tuple[float, float, float, float]
    lipschitz_squared: Fraction
    infimum: float | None = None  # inf F over the plane (None: unbounded below)

    @property
    def lipschitz_hint(self) -> float:
        """L = sqrt(``lipschitz_squared``) as a float (correctly rounded)."""
        return float(_sqrt_decimal(self.lipschitz_squared))


# The lambdas are plain arithmetic, so they also work on arrays (gradient_field) and on
# complex numbers (the complex-step checks in the tests).
EXAMPLES: dict[str, Example2D] = {
    "two_weight_net": Example2D(
        key="two_weight_net",
        f=lambda a, b: (1 - a * b) ** 2,
        grad=lambda a, b: np.array([-2 * b * (1 - a * b), -2 * a * (1 - a * b)]),
        hessian=lambda a, b: np.array([[2 * b * b, 4 * a * b - 2], [4 * a * b - 2, 2 * a * a]]),
        # Every point with a·b = 1 is a global minimum; (1, 1) represents that line.
        stationary_points=((0.0, 0.0, "saddle"), (1.0, 1.0, "minimum")),
        domain=(-2.0, 2.0, -2.0, 2.0),
        # Spectral norm a² + b² + sqrt((b² − a²)² + (4ab − 2)²): at most 8 + 18 on the square,
        # attained at (2, −2) (eigenvalues 26 and −10).
        lipschitz_squared=Fraction(26**2),
        infimum=0.0,
    ),
    "bowl": Example2D(
        key="bowl",
        f=lambda x, y: x * x + y * y,
        grad=lambda x, y: np.array([2 * x, 2 * y]),
        hessian=lambda x, y: np.array([[2 + 0 * x, 0 * x], [0 * y, 2 + 0 * y]]),
        stationary_points=((0.0, 0.0, "minimum"),),
        domain=(-2.0, 2.0, -2.0, 2.0),
        lipschitz_squared=Fraction(4),  # the Hessian is 2·I everywhere
        infimum=0.0,
    ),
    "saddle": Example2D(
        key="saddle",
        f=lambda x, y: x * x - y * y,
        grad=lambda x, y: np.array([2 * x, -2 * y]),
        hessian=lambda x, y: np.array([[2 + 0 * x, 0 * x], [0 * y, -2 + 0 * y]]),
        stationary_points=((0.0, 0.0, "saddle"),),
        domain=(-2.0, 2.0, -2.0, 2.0),
        lipschitz_squared=Fraction(4),  # Hessian diag(2, −2) everywhere
    ),
    "quartic": Example2D(
        key="quartic",
        f=lambda x, y: x**4 + y**4,
        grad=lambda x, y: np.array([4 * x**3, 4 * y**3]),
        hessian=lambda x, y: np.array([[12 * x * x, 0 * x], [0 * y, 12 * y * y]]),
        stationary_points=((0.0, 0.0, "minimum"),),
        domain=(-2.0, 2.0, -2.0, 2.0),
        lipschitz_squared=Fraction(48**2),  # diag(12x², 12y²) with |x|, |y| <= 2
        infimum=0.0,
    ),
    "cubic": Example2D(
        key="cubic",
        f=lambda x, y: x**3 + 0 * y,
        grad=lambda x, y: np.array([3 * x * x, 0 * y]),
        hessian=lambda x, y: np.array([[6 * x, 0 * x], [0 * y, 0 * y]]),
        # Every (0, y) is stationary and none is an extremum.
        stationary_points=((0.0, 0.0, "inflection"),),
        domain=(-2.0, 2.0, -2.0, 2.0),
        lipschitz_squared=Fraction(12**2),  # diag(6x, 0) with |x| <= 2
    ),
    "monkey": Example2D(
        key="monkey",
        f=lambda x, y: x**3 - 3 * x * y * y,
        grad=lambda x, y: np.array([3 * x * x - 3 * y * y, -6 * x * y]),
        hessian=lambda x, y: np.array([[6 * x, -6 * y], [-6 * y, -6 * x]]),
        stationary_points=((0.0, 0.0, "saddle"),),
        domain=(-2.0, 2.0, -2.0, 2.0),
        # Eigenvalues ±6·sqrt(x² + y²): largest at a corner, L = 6·sqrt(8), L² = 288.
        lipschitz_squared=Fraction(288),
    ),
    "every_kind": Example2D(
        key="every_kind",
        f=lambda x, y: x**5 / 5 - x**3 / 3 + y**3 / 3 - y,
        grad=lambda x, y: np.array([x**4 - x * x, y * y - 1]),
        hessian=lambda x, y: np.array([[4 * x**3 - 2 * x, 0 * x], [0 * y, 2 * y]]),
        # ∂F/∂x = x²(x² − 1), ∂F/∂y = y² − 1: x in {−1, 0, 1}, y in {−1, 1}. Hessian
        # diag(4x³ − 2x, 2y): diag(2, 2) at (1, 1), diag(−2, −2) at (−1, −1), mixed signs at
        # (1, −1) and (−1, 1), singular at (0, ±1), where x⁵/5 − x³/3 has a flat inflection.
        stationary_points=(
            (1.0, 1.0, "minimum"),
            (-1.0, -1.0, "maximum"),
            (1.0, -1.0, "saddle"),
            (-1.0, 1.0, "saddle"),
            (0.0, 1.0, "inflection"),
            (0.0, -1.0, "inflection"),
        ),
        domain=(-2.0, 2.0, -2.0, 2.0),
        # diag(4x³ − 2x, 2y): |4x³ − 2x| <= 28 at x = ±2, |2y| <= 4.
        lipschitz_squared=Fraction(28**2),
    ),
}
POLY_DEGREE = 6
"""Every example is a polynomial of total degree at most this (the exact line checks rely on it)."""


def _example(example_key: Any) -> Example2D:
    return EXAMPLES[check_choice(example_key, EXAMPLES, "example_key")]


_DIGITS = 60
"""Decimal digits for L and c/L: a float step differs from c/L by far more than 10⁻⁶⁰·c/L."""


def _sqrt_decimal(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = _DIGITS
        return (Decimal(value.numerator) / Decimal(value.denominator)).sqrt()


def step_versus_limit(example_key: str, eta: float, numerator: int) -> tuple[int, float, float]:
    """How a step ``eta`` > 0 compares with ``numerator``/L (L the example's Lipschitz constant
    on its domain): ``(sign, limit, gap)`` with ``sign`` = −1, 0 or +1 as eta <, =, > c/L,
    decided exactly (eta² L² against c², in rationals), ``limit`` = c/L and ``gap`` = eta − c/L
    as floats (the gap from 60-digit decimals, so it is right even where the floats tie)."""
    example = _example(example_key)
    step = check_real(eta, "eta", low=0.0, low_open=True)
    c = check_int(numerator, "numerator", low=1, high=1000)
    square = Fraction(step) ** 2 * example.lipschitz_squared
    sign = (square > c * c) - (square < c * c)
    with localcontext() as context:
        context.prec = _DIGITS
        limit = Decimal(c) / _sqrt_decimal(example.lipschitz_squared)
        gap = Decimal(step) - limit
    return sign, float(limit), 0.0 if sign == 0 else float(gap)


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
    grad_atol: float  # the gradient norm up to which the point counts as stationary
    in_fact: str | None = None
    """Where the test says nothing, what a computed check shows: ``"minimum"`` (F equals the
    example's infimum), ``"no_extremum"`` (F changes sign along ``sign_change_line``) or None."""
    sign_change_line: str | None = None  # a key of LINES, with in_fact == "no_extremum"


LINES: tuple[tuple[tuple[int, int], str], ...] = (
    ((1, 0), "first"),
    ((0, 1), "second"),
    ((1, 1), "diagonal"),
    ((1, -1), "other_diagonal"),
)
"""The lines through a point that ``describe_point`` tries: (direction, key)."""
EIGEN_RTOL = 1e-9
"""An eigenvalue within this share of the largest one (in size) is rounding noise of a singular
Hessian: classified as zero and shown as 0 (the same tolerance as the second-order test)."""


def _lowest_order(values: list[Fraction]) -> int | None:
    """The degree of the lowest nonzero term of a polynomial phi with phi(0) = 0 and degree at
    most ``len(values)``, from its exact values at t = 1, 2, ...: the Vandermonde system
    solved in rationals (None for phi = 0)."""
    n = len(values)
    rows = [[Fraction(t) ** j for j in range(1, n + 1)] + [values[t - 1]] for t in range(1, n + 1)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    coefficients = [rows[j][n] / rows[j][j] for j in range(n)]
    return next((j + 1 for j, c in enumerate(coefficients) if c != 0), None)


def _sign_change_line(example: Example2D, x: float, y: float) -> str | None:
    """A line through (x, y) along which F − F(x, y) starts with a term of odd degree, so it
    takes both signs arbitrarily close to the point (computed exactly in rationals), or None."""
    px, py = Fraction(x), Fraction(y)
    centre = Fraction(example.f(px, py))
    for (dx, dy), name in LINES:
        values = [
            Fraction(example.f(px + t * dx, py + t * dy)) - centre
            for t in range(1, POLY_DEGREE + 1)
        ]
        order = _lowest_order(values)
        if order is not None and order % 2 == 1:
            return name
    return None


def _true_nature(
    example: Example2D, x: float, y: float, value: float
) -> tuple[str | None, str | None]:
    """What the second-order test could not say at a stationary point with a singular
    Hessian, from a computed check: ``(in_fact, line)`` as in ``PointReport``."""
    if example.infimum is not None and value == example.infimum:
        return "minimum", None
    line = _sign_change_line(example, x, y)
    if line is not None:
        return "no_extremum", line
    return None, None


def describe_point(
    example_key: str, x: float, y: float, *, grad_atol: float = DEFAULT_GRADIENT_ATOL
) -> PointReport:
    """Everything the page shows about ``(x, y)``: ``F``, ``grad F``, ``||grad F||``, the Hessian
    and its eigenvalues, the second-order verdict if ``||grad F|| <= grad_atol`` (numerically
    stationary) else ``"not stationary"``, and where the test says nothing what a computed check
    shows (``PointReport.in_fact``); the page words it. ``|x|, |y| <= 1e6``."""
    example = _example(example_key)
    limit = COORDINATE_LIMIT
    px = check_real(x, "x", low=-limit, high=limit)
    py = check_real(y, "y", low=-limit, high=limit)
    atol = check_real(grad_atol, "grad_atol", low=0.0)
    value = float(example.f(np.float64(px), np.float64(py)))
    gradient = np.asarray(example.grad(px, py), dtype=np.float64)
    hessian = np.asarray(example.hessian(px, py), dtype=np.float64)
    eigenvalues = np.linalg.eigvalsh(hessian)
    scale = float(np.max(np.abs(eigenvalues)))
    eigenvalues[np.abs(eigenvalues) <= EIGEN_RTOL * scale] = 0.0
    norm = float(np.linalg.norm(gradient))
    in_fact: str | None = None
    line: str | None = None
    if norm <= atol:
        classification = classify_stationary_point(hessian, rtol=EIGEN_RTOL)
        if classification == "inconclusive":
            in_fact, line = _true_nature(example, px, py, value)
    else:
        classification = "not stationary"
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
        grad_atol=atol,
        in_fact=in_fact,
        sign_change_line=line,
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

    kind: str  # "minimum", "maximum", "saddle" or "inflection"
    place: str
    """``"valley"`` (the hyperbola ab = 1), ``"line"`` (x = 0), ``"origin"`` or ``"point"``."""
    distance: float  # Euclidean distance from the queried point
    point: tuple[float, float] | None = None  # the stationary point, for place "point"


def _distance_to_hyperbola(x: float, y: float) -> float:
    """Distance from (x, y) to the hyperbola ab = 1: the nearest point (t, 1/t) has
    t⁴ − x t³ + y t − 1 = 0 (the derivative of the squared distance times t³/2); every real
    root (polished by Newton steps) is a candidate, the nearest one wins."""
    best = math.inf
    for root in np.roots([1.0, -x, 0.0, y, -1.0]):
        t = float(root.real)
        for _ in range(3):
            slope = 4 * t**3 - 3 * x * t * t + y
            if slope == 0:
                break
            t -= (t**4 - x * t**3 + y * t - 1) / slope
        if t != 0 and math.isfinite(t):
            best = min(best, math.hypot(t - x, 1 / t - y))
    return best


def nearest_stationary(example_key: str, x: float, y: float) -> StationarySet:
    """The exact stationary set of a built-in example nearest to ``(x, y)`` (Euclidean
    distance) and its nature.

    (1 − ab)²: the saddle at the origin, or the valley ``ab = 1`` of global minima, none of them
    strict; x³: the line x = 0 of inflection points; the example with every kind of point: its
    six stationary points; every other example has only the origin."""
    example = _example(example_key)
    px = check_real(x, "x", low=-COORDINATE_LIMIT, high=COORDINATE_LIMIT)
    py = check_real(y, "y", low=-COORDINATE_LIMIT, high=COORDINATE_LIMIT)
    origin = math.hypot(px, py)
    if example.key == "two_weight_net":
        valley = _distance_to_hyperbola(px, py)
        if valley < origin:
            return StationarySet("minimum", "valley", valley)
        return StationarySet("saddle", "origin", origin)
    if example.key == "cubic":
        return StationarySet("inflection", "line", abs(px))
    if example.key == "every_kind":
        sx, sy, kind = min(
            example.stationary_points, key=lambda p: math.hypot(px - p[0], py - p[1])
        )
        return StationarySet(kind, "point", math.hypot(px - sx, py - sy), (sx, sy))
    return StationarySet(example.stationary_points[0][2], "origin", origin)
