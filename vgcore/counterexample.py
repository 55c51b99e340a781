"""The exact counterexample ``f_c(x) = max(0, c x)``, ``c > 0`` (MATH.md B): a gradient as small
as you like, arbitrarily far from the minimum.

Everything is computed in exact rational arithmetic (``fractions.Fraction``, with the tools of
``vgcore.exact``, whose public names are re-exported here), because the source's numbers
(``p = 10^9999``, ``f_c(p) = 10^9909``) do not fit in any float; the float views show what
float16/32/64 make of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

import numpy as np

from vgcore.exact import (
    MAX_EXPONENT,
    Scientific,
    floor_log2,
    log10_exact,
    log10_float,
    parse_exact,
    round_scaled,
    sci,
    scientific,
)
from vgcore.precision import DTYPES
from vgcore.validate import check_int

MAX_TRACE_POINTS = 10_000


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class StoppingOutcome:
    """What one stopping rule does on gradient descent from ``p``.

    ``fires_at_step`` is the step at which the rule first fires when that is 0 (before any
    step) or 1 (after the first step). A rule that has not fired by step 1 cannot fire before
    the minimiser set ``x <= 0`` is reached, since every step until then measures the same;
    ``None`` then means "fires only at or past the minimum" (``value_at_stop`` is 0)."""

    rule: str
    threshold: Fraction
    fires_at_step: int | None
    value_at_stop: Fraction
    distance_at_stop: Fraction
    quantity: Fraction
    """What the rule compares with its threshold: at the step where it fires, else at step 1
    (the same at every step until the minimiser set is entered)."""


@dataclass(frozen=True)
class FloatEvent:
    """One thing that goes wrong in a dtype's computation; the page words it from ``kind``.

    ``kind``: ``"stored_underflow"``/``"stored_overflow"`` (storing ``quantity``: c, p or eta);
    for the products ``quantity`` = ``"f"`` (f(p) = c·p) and ``"step"`` (η·f′(p)):
    ``"nan"`` (0·∞), ``"overflow"``/``"underflow"`` (of finite nonzero factors), ``"infinite"``
    (a factor already ∞); ``"zero_value"`` (f(p) = 0·p = 0); ``"zero_derivative"`` (f′(p) = 0,
    ``quantity`` c or p stored as 0); ``"x1_inf_minus_inf"``, ``"x1_nan"``; the update lost by
    ``"lost_zero_step"``, ``"lost_at_infinity"`` or ``"lost_rounding"``; ``"x1_infinite"``."""

    kind: str
    quantity: str = ""
    sign: int = 0  # the sign of an infinity
    factors: tuple[str, str] = ("", "")
    """A product's factors as stored: ``"inf"``, ``"-inf"``, ``"zero"`` or ``""`` (finite, not
    0)."""


@dataclass(frozen=True)
class FloatView:
    """What ``dtype`` makes of the counterexample (values rounded to ``dtype``, arithmetic in
    ``dtype``, all returned as Python floats/bools)."""

    dtype: str
    c_in_dtype: float
    p_in_dtype: float
    value_in_dtype: float  # max(0, c p) in dtype: may be inf, 0.0 or NaN (0 × inf), see events
    derivative_in_dtype: float
    update_lost: bool  # the exact step is nonzero, yet p - eta f'(p) == p in dtype
    eta_in_dtype: float = float("nan")
    step_in_dtype: float = float("nan")
    """eta f'(p) in dtype: may be inf, 0.0 or NaN (inf × 0)"""
    x1_in_dtype: float = float("nan")
    """p - eta f'(p) in dtype: may be ±inf or NaN (inf - inf)"""
    events: tuple[FloatEvent, ...] = ()
    """What goes wrong, in the order of the computation (empty: nothing does)."""


@dataclass(frozen=True)
class CounterexampleReport:
    """Exact facts about ``f_c`` at ``p`` and about gradient descent started there.
    ``value_drop_per_step = eta c^2`` holds while ``x_k > 0``; the last step may drop less."""

    c: Fraction
    p: Fraction
    eta: Fraction
    value: Fraction
    derivative: Fraction
    distance_to_minimiser: Fraction
    value_above_minimum: Fraction
    steps_to_minimum: int
    value_drop_per_step: Fraction
    outcomes: tuple[StoppingOutcome, ...]
    floats: tuple[FloatView, ...]


def _f(c: Fraction, x: Fraction) -> Fraction:
    return c * x if x > 0 else Fraction(0)


def _derivative(c: Fraction, x: Fraction) -> Fraction:
    # At the kink x = 0 we take the left derivative 0 (ReLU convention; 0 lies in the
    # subdifferential [0, c], so x = 0 is a fixed point of gradient descent, as a minimiser).
    return c if x > 0 else Fraction(0)


def analyse_counterexample(
    c: Any = "1e-90",
    p: Any = "1e9999",
    eta: Any = "1",
    eps: Any = "1e-8",
    gatol: Any = "1e-6",
    fatol: Any = "0",
) -> CounterexampleReport:
    """Exact value, derivative, distance to the minimiser set ``x <= 0``, steps of gradient
    descent ``x_{k+1} = x_k - eta f_c'(x_k)`` to reach it (``ceil(p / (eta c))``), and what
    the stopping rules "parameter change <= eps", "gradient <= gatol" and "value change <=
    fatol" do, for ``f_c(x) = max(0, c x)``.

    ``f_c`` has a kink at ``x = 0``; there the reported derivative is 0 (the left derivative,
    the ReLU convention), so ``p = 0`` is treated as the minimiser it is. Inputs are parsed
    by ``parse_exact``: ``c, eta > 0``; ``eps, gatol, fatol >= 0``; ``p`` any real."""
    c_exact = parse_exact(c, "c", low=0, low_open=True)
    p_exact = parse_exact(p, "p")
    eta_exact = parse_exact(eta, "eta", low=0, low_open=True)
    thresholds = {
        "eps": parse_exact(eps, "eps", low=0),
        "gatol": parse_exact(gatol, "gatol", low=0),
        "fatol": parse_exact(fatol, "fatol", low=0),
    }
    step = eta_exact * c_exact
    steps = -((-p_exact) // step) if p_exact > 0 else 0  # ceil(p / (eta c)), an exact int
    value = _f(c_exact, p_exact)
    return CounterexampleReport(
        c=c_exact,
        p=p_exact,
        eta=eta_exact,
        value=value,
        derivative=_derivative(c_exact, p_exact),
        distance_to_minimiser=max(Fraction(0), p_exact),
        value_above_minimum=value,
        steps_to_minimum=int(steps),
        value_drop_per_step=eta_exact * c_exact**2,
        outcomes=tuple(
            _outcome(rule, threshold, c_exact, p_exact, eta_exact, int(steps))
            for rule, threshold in thresholds.items()
        ),
        floats=tuple(_float_view(name, c_exact, p_exact, eta_exact) for name in DTYPES),
    )


def _rule_quantity(rule: str, c: Fraction, x_before: Fraction, x_after: Fraction) -> Fraction:
    """What ``rule`` compares with its threshold once the step ``x_before -> x_after`` is made."""
    if rule == "eps":
        return abs(x_before - x_after)
    if rule == "gatol":
        return _derivative(c, x_after)
    return _f(c, x_before) - _f(c, x_after)


def _outcome(
    rule: str, threshold: Fraction, c: Fraction, p: Fraction, eta: Fraction, steps: int
) -> StoppingOutcome:
    x1 = p - eta * _derivative(c, p)
    # Step 0: only the gradient can be checked before any step. Step 1: every rule. Later
    # steps repeat step 1's quantities until the minimiser set is entered.
    checks = [(1, p, x1)] if rule != "gatol" else [(0, p, p), (1, p, x1)]
    for step, x_before, x_stop in checks:
        quantity = _rule_quantity(rule, c, x_before, x_stop)
        if quantity <= threshold:
            distance = max(Fraction(0), x_stop)
            return StoppingOutcome(rule, threshold, step, _f(c, x_stop), distance, quantity)
    return StoppingOutcome(rule, threshold, None, Fraction(0), Fraction(0), quantity)


# ---------------------------------------------------------------- float views


def _round_to_dtype(x: Fraction, dtype: np.dtype) -> np.floating:
    """``x`` rounded to nearest even in ``dtype`` directly from the exact value (no double
    rounding through float64); ±inf beyond the overflow threshold."""
    if x == 0:
        return cast(np.floating, dtype.type(0))
    info = np.finfo(dtype)
    precision = int(info.nmant) + 1
    a = abs(x)
    exponent = max(floor_log2(a), int(info.minexp))
    significand = round_scaled(a, 2, precision - 1 - exponent)
    rounded = Fraction(significand) * Fraction(2) ** (exponent - precision + 1)
    if rounded > Fraction(float(info.max)):
        magnitude = dtype.type(np.inf)
    else:
        magnitude = dtype.type(float(rounded))  # exact: rounded is a value of dtype
    return cast(np.floating, magnitude if x > 0 else -magnitude)


def _stored(quantity: str, exact: Fraction, stored: np.floating) -> list[FloatEvent]:
    """What storing ``exact`` in the dtype did to it, if it went wrong: 0 or ±∞."""
    if exact != 0 and stored == 0:
        return [FloatEvent("stored_underflow", quantity)]
    if np.isinf(stored):
        return [FloatEvent("stored_overflow", quantity, 1 if stored > 0 else -1)]
    return []


def _factor(x: np.floating) -> str:
    """A stored factor of a product: ``"inf"``, ``"-inf"``, ``"zero"`` or ``""`` (finite, not 0)."""
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return "zero" if x == 0 else ""


def _product_event(
    quantity: str, x: np.floating, y: np.floating, result: np.floating
) -> list[FloatEvent]:
    """What the rounded product ``result = x·y`` is when it is not a finite nonzero number:
    0·∞ = NaN; an overflow or underflow of two finite nonzero factors (a new event); or the ∞
    or 0 that a factor already ∞ or 0 gives (a consequence)."""
    factors = (_factor(x), _factor(y))
    if np.isnan(result):
        return [FloatEvent("nan", quantity, factors=factors)]
    finite = bool(np.isfinite(x) and np.isfinite(y) and x != 0 and y != 0)
    if np.isinf(result):
        sign = 1 if result > 0 else -1
        return [FloatEvent("overflow" if finite else "infinite", quantity, sign, factors)]
    if result == 0 and finite:
        return [FloatEvent("underflow", quantity)]
    return []


def _float_view(name: str, c: Fraction, p: Fraction, eta: Fraction) -> FloatView:
    """One dtype's view, its events in the order of the computation: storing c, p and η, then
    f(p) = max(0, c·p), f′(p) = c (0 for p ≤ 0), the step η·f′(p) and x₁ = p − η·f′(p)."""
    dtype = np.dtype(name)
    c_d, p_d, eta_d = (_round_to_dtype(v, dtype) for v in (c, p, eta))
    zero = dtype.type(0)
    with np.errstate(all="ignore"):  # overflow to inf and 0 × inf = NaN are what we show
        product = c_d * p_d
        value_d = product if np.isnan(product) else np.maximum(zero, product)
        derivative_d = c_d if p_d > 0 else zero
        step_d = eta_d * derivative_d
        x1 = p_d - step_d
    exact_step = eta * _derivative(c, p)
    update_lost = bool(exact_step != 0 and x1 == p_d)
    events = [*_stored("c", c, c_d), *_stored("p", p, p_d), *_stored("eta", eta, eta_d)]
    events += _product_event("f", c_d, p_d, product)
    if c_d == 0 and c != 0 and p_d > 0 and np.isfinite(p_d):
        events.append(FloatEvent("zero_value"))
    if _derivative(c, p) != 0 and derivative_d == 0:
        events.append(FloatEvent("zero_derivative", "c" if c_d == 0 else "p"))
    events += _product_event("step", eta_d, derivative_d, step_d)
    if np.isnan(x1) and not np.isnan(step_d):
        events.append(FloatEvent("x1_inf_minus_inf"))
    elif np.isnan(x1):
        events.append(FloatEvent("x1_nan"))
    elif update_lost:
        if step_d == 0:
            events.append(FloatEvent("lost_zero_step"))
        elif np.isinf(p_d):
            events.append(FloatEvent("lost_at_infinity"))
        else:
            events.append(FloatEvent("lost_rounding"))
    elif np.isinf(x1) and not np.isinf(p_d):
        events.append(FloatEvent("x1_infinite", sign=-1 if x1 < 0 else 1))
    return FloatView(
        dtype=name,
        c_in_dtype=float(c_d),
        p_in_dtype=float(p_d),
        value_in_dtype=float(value_d),
        derivative_in_dtype=float(derivative_d),
        update_lost=update_lost,
        eta_in_dtype=float(eta_d),
        step_in_dtype=float(step_d),
        x1_in_dtype=float(x1),
        events=tuple(events),
    )


# ---------------------------------------------------------------- the trace


def gd_value_trace(report: CounterexampleReport, k: Iterable[Any]) -> list[Fraction]:
    """Exact ``f_c(x_k)`` with ``x_k = p - k eta c`` (clipped at the minimiser: once
    ``x_k <= 0`` the gradient is 0 and the value stays 0), for chart points at step counts
    ``k`` (non-negative integers of any size, e.g. ``10**j``; at most 10000 of them)."""
    if not isinstance(report, CounterexampleReport):
        raise ValueError(f"report must be a CounterexampleReport; got {type(report).__name__}")
    if isinstance(k, str | bytes) or not isinstance(k, Iterable):
        raise ValueError(f"k must be a list or array of non-negative integers; got {k!r}")
    steps = list(np.asarray(k, dtype=object).ravel()) if isinstance(k, np.ndarray) else list(k)
    if len(steps) > MAX_TRACE_POINTS:
        raise ValueError(f"k must have at most {MAX_TRACE_POINTS} entries; got {len(steps)}")
    counts = [check_int(step, "k", low=0) for step in steps]
    if report.p <= 0:  # the gradient is 0 on the minimiser set: gradient descent stays put
        return [Fraction(0)] * len(counts)
    return [_f(report.c, report.p - count * report.eta * report.c) for count in counts]


__all__ = [
    "MAX_EXPONENT",
    "MAX_TRACE_POINTS",
    "CounterexampleReport",
    "FloatEvent",
    "FloatView",
    "Scientific",
    "StoppingOutcome",
    "analyse_counterexample",
    "gd_value_trace",
    "log10_exact",
    "log10_float",
    "parse_exact",
    "sci",
    "scientific",
]
