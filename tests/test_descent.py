"""Gradient descent: closed forms on quadratics and f_c, each stopping rule at its threshold,
Armijo, lost updates per dtype, non-finite values, traces, and every ValueError path."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgcore.descent import (
    ETA_MAX,
    TRACE_LIMIT,
    descent_rate_bound,
    gradient_descent,
    quadratic,
    running_min,
)
from vgcore.stopping import ALL_HELD, StoppingRules

CLOSED_FORM_RTOL = 1e-12  # float64 iterates vs (1 - eta d)^k x0: a few ulps per step
BOUND_SLACK = 1e-12  # relative slack when checking an inequality computed in float64
MONOTONE_RTOL = 1e-12  # allowance for summation order in the loss of a descending quadratic


def below(value: float) -> float:
    """The float64 just below ``value``: the smallest miss of an inclusive threshold."""
    return float(np.nextafter(value, -math.inf))


def f_c(c: float):
    """MATH.md B: f_c(x) = max(0, c x), derivative c for x > 0 and 0 for x <= 0."""

    def objective(x):
        value = float(np.asarray(x, dtype=np.float64).reshape(-1)[0])
        return max(0.0, c * value), np.array([c if value > 0 else 0.0])

    return objective


def linear(a):
    """F(x) = a . x, a constant gradient."""
    a = np.asarray(a, dtype=np.float64)

    def objective(x):
        return float(np.dot(a, np.asarray(x, dtype=np.float64))), a.copy()

    return objective


def two_weight_net(ab):
    """MATH.md A: F(a, b) = (1 - a b)^2 with its gradient."""
    a, b = (float(v) for v in ab)
    r = 1.0 - a * b
    return r * r, np.array([-2.0 * b * r, -2.0 * a * r])


# --- closed forms -----------------------------------------------------------------------


def test_quadratic_iterates_match_closed_form():
    """x_k = (1 - eta d)^k x0 on F = 1/2 x^T diag(d) x, with loss, norms and steps to match."""
    d = np.array([0.5, 1.0, 3.0])
    x0 = np.array([1.0, -2.0, 0.5])
    eta = 0.3
    rules = StoppingRules(stagnation=False, max_iter=50)
    result = gradient_descent(quadratic(d), x0, eta=eta, rules=rules, record_path=True)
    k = np.arange(51)[:, None]
    expected = (1.0 - eta * d) ** k * x0
    np.testing.assert_allclose(result.path, expected, rtol=CLOSED_FORM_RTOL, atol=0)
    np.testing.assert_allclose(result.x, expected[-1], rtol=CLOSED_FORM_RTOL, atol=0)
    np.testing.assert_allclose(
        result.loss, 0.5 * (d * expected**2).sum(axis=1), rtol=CLOSED_FORM_RTOL
    )
    np.testing.assert_allclose(
        result.grad_norm, np.sqrt(((d * expected) ** 2).sum(axis=1)), rtol=CLOSED_FORM_RTOL
    )
    np.testing.assert_allclose(
        result.param_norm, np.sqrt((expected**2).sum(axis=1)), rtol=CLOSED_FORM_RTOL
    )
    np.testing.assert_allclose(result.step_norm, eta * result.grad_norm[:-1], rtol=CLOSED_FORM_RTOL)
    assert np.all(result.step_size == eta)
    assert np.all(np.diff(result.loss) < 0)
    assert (result.stopped_by, result.stop_iter, result.n_steps) == ("max_iter", 50, 50)
    assert result.n_evaluations == 51
    assert result.dtype == "float64"
    assert result.extras == {}


@pytest.mark.parametrize(
    ("d", "seed"), [([1.0, 4.0], 0), ([0.1, 2.0, 10.0], 1), ([3.0] * 5 + [0.01], 2)]
)
def test_rate_bound_on_quadratics(d, seed):
    """MATH.md C for eta = 1/L: min_{i<=k} ||g_i|| <= sqrt(2 L (F_0 - 0) / (k + 1))."""
    d = np.asarray(d)
    lipschitz = float(d.max())
    x0 = np.random.default_rng(seed).uniform(-5, 5, size=d.size)
    rules = StoppingRules(stagnation=False, max_iter=400)
    result = gradient_descent(quadratic(d), x0, eta=1.0 / lipschitz, rules=rules)
    bound = descent_rate_bound(result.loss[0], 0.0, lipschitz, np.arange(401))
    assert np.all(running_min(result.grad_norm) <= bound * (1 + BOUND_SLACK))


def test_rate_bound_on_two_weight_net():
    """The same bound on (1 - a b)^2 from a generic start, with L bounding the Hessian on a box
    |a|, |b| <= R that the path never leaves (Frobenius norm of [[2b², 4ab-2], [4ab-2, 2a²]])."""
    box = 2.0
    lipschitz = math.sqrt(8 * box**4 + 2 * (4 * box**2 + 2) ** 2)
    rules = StoppingRules(stagnation=False, max_iter=3000)
    result = gradient_descent(
        two_weight_net, [0.3, -0.8], eta=1.0 / lipschitz, rules=rules, record_path=True
    )
    assert np.abs(result.path).max() <= box
    bound = descent_rate_bound(result.loss[0], 0.0, lipschitz, np.arange(3001))
    assert np.all(running_min(result.grad_norm) <= bound * (1 + BOUND_SLACK))
    assert np.all(np.diff(result.loss) <= 0)
    a, b = result.x
    assert abs(1.0 - a * b) < 1e-6  # it reached the valley of global minima a b = 1


def test_descent_rate_bound_values():
    """descent_rate_bound equals the formula in exact arithmetic (decimal check via Fraction)."""
    k = np.array([0, 1, 9, 99])
    got = descent_rate_bound(3.0, -1.0, 2.0, k)
    for value, kk in zip(got, k, strict=True):
        exact = Fraction(2 * 2 * 4, int(kk) + 1)
        assert math.isclose(value * value, float(exact), rel_tol=1e-15)
    assert descent_rate_bound(1.0, 1.0, 5.0, 3)[()] == 0.0


def test_running_min_values():
    """running_min is the prefix minimum (exact: no arithmetic involved)."""
    a = [3.0, 5.0, 1.0, 2.0, 0.5, 7.0]
    assert running_min(a).tolist() == [3.0, 3.0, 1.0, 1.0, 0.5, 0.5]
    assert running_min([]).size == 0


# --- f_c: small gradient far from the minimum (MATH.md B) -------------------------------


def test_fc_steps_to_reach_minimum():
    """With no threshold rule, x_k = p - k eta c reaches x <= 0 after ceil(p / (eta c)) steps,
    the loss drops by eta c^2 per step, and then stagnation stops one step later."""
    c, p, eta = 1e-3, 2.3456, 1.0
    steps = math.ceil(Fraction(p) / (Fraction(eta) * Fraction(c)))
    assert steps == 2346
    rules = StoppingRules(max_iter=5000)
    result = gradient_descent(f_c(c), p, eta=eta, rules=rules, record_path=True)
    assert result.path.shape == (result.n_steps + 1,)
    first_nonpositive = int(np.argmax(result.path <= 0))
    assert first_nonpositive == steps
    np.testing.assert_allclose(-np.diff(result.loss[:steps]), eta * c * c, rtol=1e-9)
    assert (result.stopped_by, result.stop_iter) == ("stagnation", steps + 1)
    assert result.loss[-1] == 0.0


def test_fc_parameter_change_rule_stops_far_from_minimum():
    """eps >= eta c fires at step 1 while F is still about c p."""
    c, p, eta = 1e-3, 1e3, 1.0
    result = gradient_descent(f_c(c), p, eta=eta, rules=StoppingRules(eps=eta * c))
    assert (result.stopped_by, result.stop_iter) == ("eps", 1)
    # The applied change is fl(p - eta c) - p, within an ulp of p of eta c (here just below).
    assert abs(result.step_norm[0] - eta * c) <= np.spacing(p)
    assert math.isclose(result.loss[-1], c * (p - eta * c), rel_tol=1e-15)
    assert result.loss[-1] > 0.99


def test_fc_gradient_rule_stops_before_any_step():
    """gatol >= c fires at k = 0: no step taken, F = c p."""
    c, p = 1e-3, 1e3
    result = gradient_descent(f_c(c), p, eta=1.0, rules=StoppingRules(gatol=c))
    assert (result.stopped_by, result.stop_iter, result.n_steps) == ("gatol", 0, 0)
    assert result.loss.tolist() == [c * p]
    assert result.x == p


# --- each rule in the loop, at and just past its threshold -------------------------------


@pytest.mark.parametrize(
    ("eps", "expected"), [(0.125, ("eps", 1)), (below(0.125), ("max_iter", 6))]
)
def test_eps_at_threshold(eps, expected):
    """f_c with c = 0.5, eta = 0.25 moves exactly 0.125 per step."""
    rules = StoppingRules(eps=eps, max_iter=6)
    result = gradient_descent(f_c(0.5), 8.0, eta=0.25, rules=rules)
    assert (result.stopped_by, result.stop_iter) == expected
    assert np.all(result.step_norm == 0.125)


@pytest.mark.parametrize(
    ("gatol", "expected"), [(0.625, ("gatol", 0)), (below(0.625), ("max_iter", 4))]
)
def test_gatol_at_threshold(gatol, expected):
    """Constant gradient (3/8, 1/2) has norm exactly 5/8."""
    rules = StoppingRules(gatol=gatol, max_iter=4)
    result = gradient_descent(linear([0.375, 0.5]), [1.0, 1.0], eta=0.5, rules=rules)
    assert (result.stopped_by, result.stop_iter) == expected
    assert np.all(result.grad_norm == 0.625)


@pytest.mark.parametrize(
    ("gttol", "expected"), [(1.0, 0), (0.25, 2), (below(0.25), 3), (2.0**-10, 10)]
)
def test_gttol_at_threshold(gttol, expected):
    """F = x^2/2, eta = 1/2: ||g_k|| / ||g_0|| = 2^-k exactly."""
    rules = StoppingRules(gttol=gttol, max_iter=20)
    result = gradient_descent(quadratic([1.0]), 1.0, eta=0.5, rules=rules)
    assert (result.stopped_by, result.stop_iter) == ("gttol", expected)
    assert result.grad_norm.tolist() == [2.0**-k for k in range(expected + 1)]


@pytest.mark.parametrize(("fatol", "expected"), [(3 / 32, 2), (below(3 / 32), 3)])
def test_fatol_at_threshold(fatol, expected):
    """F = x^2/2, eta = 1/2: F_k = 4^-k / 2 and |F_k - F_{k-1}| = 1.5 * 4^-k exactly."""
    rules = StoppingRules(fatol=fatol, max_iter=20)
    result = gradient_descent(quadratic([1.0]), 1.0, eta=0.5, rules=rules)
    assert (result.stopped_by, result.stop_iter) == ("fatol", expected)
    assert result.loss.tolist() == [0.5 * 4.0**-k for k in range(expected + 1)]


@pytest.mark.parametrize(
    ("frtol", "expected"), [(1 / 16, ("frtol", 1)), (below(1 / 16), ("max_iter", 8))]
)
def test_frtol_at_threshold(frtol, expected):
    """f_c, c = 1/2, eta = 1 from 8: F drops 1/4 from F_0 = 4, relative change 1/16 at step 1
    and growing after it."""
    rules = StoppingRules(frtol=frtol, max_iter=8)
    result = gradient_descent(f_c(0.5), 8.0, eta=1.0, rules=rules)
    assert (result.stopped_by, result.stop_iter) == expected


def test_frtol_zero_loss_uses_tiny():
    """From F = 0 at a minimum the relative change 0 <= frtol * tiny holds at step 1."""
    rules = StoppingRules(frtol=0.0, stagnation=False)
    result = gradient_descent(quadratic([1.0, 2.0]), [0.0, 0.0], rules=rules)
    assert (result.stopped_by, result.stop_iter) == ("frtol", 1)


def test_stagnation_float64_tiny_gradient():
    """x = 1, g = 1e-17, eta = 1: 1 - 1e-17 == 1 in float64, so stagnation fires at step 1
    (while a gradient rule at 1e-18 does not)."""
    rules = StoppingRules(gatol=1e-18)
    result = gradient_descent(linear([1e-17]), [1.0], eta=1.0, rules=rules)
    assert (result.stopped_by, result.stop_iter) == ("stagnation", 1)
    assert result.x.tolist() == [1.0]
    assert result.step_norm.tolist() == [0.0]
    assert result.step_size.tolist() == [1.0]
    assert result.first_fired == {
        "gatol": None,
        "stagnation": 1,
        "max_iter": None,
        "non_finite": None,
    }


@pytest.mark.parametrize(
    ("g", "lost"),
    [
        (1e-4, True),
        (2.0**-12, True),  # exactly half an ulp below 1: the tie goes to the even 1.0
        (2.0**-12 + 2.0**-22, False),  # the next float16 above: rounds to 1 - 2^-11
    ],
)
def test_stagnation_float16_at_half_ulp(g, lost):
    """In float16 1 - g == 1 exactly when g <= ulp/2 = 2^-12 below 1 (round half to even)."""
    rules = StoppingRules(max_iter=3)
    result = gradient_descent(linear([g]), [1.0], eta=1.0, dtype="float16", rules=rules)
    if lost:
        assert (result.stopped_by, result.stop_iter) == ("stagnation", 1)
        assert result.x.tolist() == [1.0]
    else:
        assert result.stopped_by == "max_iter"
        assert result.x[0] < 1.0
        assert result.step_norm[0] == 2.0**-11


def test_max_iter_exact():
    """max_iter fires at k = max_iter: that many steps and max_iter + 1 trace points."""
    rules = StoppingRules(max_iter=7)
    result = gradient_descent(quadratic([1.0]), 1.0, eta=0.1, rules=rules)
    assert (result.stopped_by, result.stop_iter, result.n_steps) == ("max_iter", 7, 7)
    assert result.loss.shape == result.grad_norm.shape == result.param_norm.shape == (8,)
    assert result.first_fired == {"stagnation": None, "max_iter": 7, "non_finite": None}


def test_combine_any_vs_all():
    """f_c: gatol >= c holds from k = 0, eps >= eta c from k = 1. "any" stops at 0 by gatol;
    "all" at 1 with both; with stagnation on too, "all" waits for it (never, until max_iter)."""
    c, eta = 2.0**-10, 1.0  # binary: every step is exactly eta c (1e-3 would round)
    kwargs = {"eps": eta * c, "gatol": c, "max_iter": 10}
    any_rule = gradient_descent(f_c(c), 5.0, eta=eta, rules=StoppingRules(**kwargs))
    assert (any_rule.stopped_by, any_rule.stop_iter) == ("gatol", 0)
    rules = StoppingRules(**kwargs, stagnation=False, combine="all")
    all_rules = gradient_descent(f_c(c), 5.0, eta=eta, rules=rules)
    assert (all_rules.stopped_by, all_rules.stop_iter) == (ALL_HELD, 1)
    assert all_rules.first_fired == {"eps": 1, "gatol": 0, "max_iter": None, "non_finite": None}
    waiting = gradient_descent(f_c(c), 5.0, eta=eta, rules=StoppingRules(**kwargs, combine="all"))
    assert (waiting.stopped_by, waiting.stop_iter) == ("max_iter", 10)


def test_combine_all_with_nothing_enabled_runs_to_max_iter():
    """ "all" of no rule never fires: only max_iter stops."""
    rules = StoppingRules(stagnation=False, combine="all", max_iter=5)
    result = gradient_descent(quadratic([1.0]), 0.0, rules=rules)
    assert (result.stopped_by, result.stop_iter) == ("max_iter", 5)


# --- run_past_stop ------------------------------------------------------------------------


def _fire_times_rules(**extra):
    # F = x^2/2, eta = 1/2 from 1: ||Δx_k|| = 2^-k, ||g_k|| = 2^-k, ΔF_k = 1.5 * 4^-k.
    return StoppingRules(eps=2.0**-5, gatol=2.0**-10, gttol=2.0**-7, fatol=1.5 * 4.0**-3, **extra)


def test_run_past_stop_records_every_rule():
    """Every rule's first k is recorded; stopped_by is the earliest one; trace to max_iter."""
    rules = _fire_times_rules(max_iter=20)
    result = gradient_descent(quadratic([1.0]), 1.0, eta=0.5, rules=rules, run_past_stop=True)
    assert result.first_fired == {
        "eps": 5,
        "gatol": 10,
        "gttol": 7,
        "fatol": 3,
        "stagnation": None,
        "max_iter": 20,
        "non_finite": None,
    }
    fired = {name: k for name, k in result.first_fired.items() if k is not None}
    assert result.stopped_by == min(fired, key=fired.get) == "fatol"
    assert result.stop_iter == 3
    assert result.n_steps == 20
    assert result.loss.tolist() == [0.5 * 4.0**-k for k in range(21)]
    # x_k = 2^-k exactly: x_stop is the iterate at the stop, x the last one.
    assert (result.x_stop.item(), result.x.item()) == (2.0**-3, 2.0**-20)


def test_without_run_past_stop_only_the_stopping_rule_fired():
    """Without run_past_stop the trace ends at the stop; later rules stay None."""
    result = gradient_descent(quadratic([1.0]), 1.0, eta=0.5, rules=_fire_times_rules())
    assert result.first_fired == {
        "eps": None,
        "gatol": None,
        "gttol": None,
        "fatol": 3,
        "stagnation": None,
        "max_iter": None,
        "non_finite": None,
    }
    assert result.n_steps == 3


def test_run_past_stop_combine_all():
    """ "all" with the same rules stops where the last of them (gatol, k = 10) holds."""
    rules = _fire_times_rules(stagnation=False, combine="all", max_iter=20)
    result = gradient_descent(quadratic([1.0]), 1.0, eta=0.5, rules=rules, run_past_stop=True)
    assert (result.stopped_by, result.stop_iter) == (ALL_HELD, 10)
    assert result.first_fired["gatol"] == 10
    assert result.first_fired["fatol"] == 3


# --- Armijo -------------------------------------------------------------------------------


def test_armijo_inequality_from_trace():
    """With eta far above 2/L every accepted t = eta 2^-j satisfies Armijo's inequality,
    the loss decreases strictly, and the run converges."""
    c1 = 1e-4
    rules = StoppingRules(gatol=1e-10, max_iter=500)
    result = gradient_descent(
        quadratic([1.0, 10.0]), [1.0, 1.0], step="armijo", eta=1.0, armijo_c1=c1, rules=rules
    )
    assert result.stopped_by == "gatol"
    loss, g, t = result.loss, result.grad_norm, result.step_size
    for k in range(result.n_steps):
        # The very expression the loop evaluates, on the same float64 values.
        assert loss[k + 1] <= loss[k] - c1 * t[k] * g[k] * g[k]
    assert np.all(np.diff(loss) < 0)
    assert t[0] < 1.0
    exponents = -np.log2(t)
    np.testing.assert_array_equal(exponents, np.round(exponents))  # t = 2^-j exactly
    assert result.n_evaluations > result.n_steps + 1  # some trials were refused


def test_armijo_warm_start_searches_from_twice_the_last_step():
    """``armijo_start="previous"``: each accepted t is the first of min(eta, 2 t_prev), its
    halvings, ... that passes Armijo's test (recomputed here from the trace), and it takes
    fewer evaluations than searching from eta every step, to the same kind of stop."""
    c1, eta = 1e-4, 1.0
    objective = quadratic([1.0, 10.0])
    rules = StoppingRules(gatol=1e-10, max_iter=500)
    warm = gradient_descent(objective, [1.0, 1.0], step="armijo", eta=eta, armijo_c1=c1,
                            rules=rules, armijo_start="previous", record_path=True)  # fmt: skip
    cold = gradient_descent(
        objective, [1.0, 1.0], step="armijo", eta=eta, armijo_c1=c1, rules=rules
    )
    assert warm.stopped_by == cold.stopped_by == "gatol"
    assert warm.n_evaluations < cold.n_evaluations
    previous = 0.0
    for k in range(warm.n_steps):
        x, loss, g = warm.path[k], warm.loss[k], warm.grad_norm[k]
        trial = min(eta, 2 * previous) if previous else eta
        while objective(x - trial * objective(x)[1])[0] > loss - c1 * trial * g * g:
            trial /= 2
        assert warm.step_size[k] == trial, k
        previous = trial


def test_armijo_start_must_be_a_known_choice():
    with pytest.raises(ValueError, match="armijo_start"):
        gradient_descent(quadratic([1.0]), [1.0], step="armijo", armijo_start="last")


def test_armijo_no_decrease_takes_no_step():
    """At the minimum of (x - 1)^2 with a noisy gradient no t decreases F: t = 0, stagnation,
    and the 61 trials are not repeated on later steps."""

    def noisy(x):
        r = float(x[0]) - 1.0
        return r * r, np.array([2.0 * r + 1e-3])

    rules = StoppingRules(max_iter=5)
    result = gradient_descent(noisy, [1.0], step="armijo", eta=1.0, rules=rules)
    assert (result.stopped_by, result.stop_iter) == ("stagnation", 1)
    assert result.step_size.tolist() == [0.0]
    assert result.x.tolist() == [1.0]
    assert result.n_evaluations == 1 + 61
    past = gradient_descent(noisy, [1.0], step="armijo", eta=1.0, rules=rules, run_past_stop=True)
    assert past.n_steps == 5
    assert past.n_evaluations == 1 + 61
    assert past.step_size.tolist() == [0.0] * 5


def test_armijo_refuses_overflowing_trial():
    """float16: a trial overflowing to inf is refused, a smaller t is accepted."""
    rules = StoppingRules(max_iter=3, stagnation=False)
    result = gradient_descent(
        quadratic([1.0]), [200.0], step="armijo", eta=1000.0, dtype="float16", rules=rules
    )
    assert result.stopped_by == "max_iter"
    assert np.all(np.isfinite(result.loss))
    assert np.all(result.step_size <= 1000.0 * 2.0**-9)  # the first t that decreases F
    assert np.all(np.diff(result.loss) < 0)


# --- dtypes and lost updates -------------------------------------------------------------


@pytest.mark.parametrize(("dtype", "eta"), [("float16", 1e-4), ("float32", 1e-8)])
def test_low_precision_loses_updates(dtype, eta):
    """F = x^2/2 at x = 1 with a step below half an ulp: stagnation in the low precision,
    steady progress x_k = (1 - eta)^k in float64."""
    rules = StoppingRules(max_iter=20)
    low = gradient_descent(quadratic([1.0]), [1.0], eta=eta, dtype=dtype, rules=rules)
    assert (low.stopped_by, low.stop_iter) == ("stagnation", 1)
    assert low.x.dtype == np.dtype(dtype)
    assert low.x.tolist() == [1.0]
    high = gradient_descent(quadratic([1.0]), [1.0], eta=eta, dtype="float64", rules=rules)
    assert high.stopped_by == "max_iter"
    np.testing.assert_allclose(high.x, (1.0 - eta) ** 20, rtol=CLOSED_FORM_RTOL)


def test_update_is_computed_in_working_dtype():
    """x_1 = x_0 - t g with x, t and g rounded to float16 and the arithmetic done in float16;
    step_norm is the change actually applied."""
    rules = StoppingRules(max_iter=4)
    result = gradient_descent(
        quadratic([1.0, 3.0]), [0.3, -0.7], eta=0.1, dtype="float16", rules=rules, record_path=True
    )
    assert result.path.dtype == np.float16
    x = np.array([0.3, -0.7], dtype=np.float16)
    for k in range(1, 5):
        g = (np.array([1.0, 3.0]) * x.astype(np.float64)).astype(np.float16)
        x = x - np.float16(0.1) * g
        np.testing.assert_array_equal(result.path[k], x)  # exactness is the point: same ops
    applied = np.linalg.norm(np.diff(result.path.astype(np.float64), axis=0), axis=1)
    np.testing.assert_allclose(result.step_norm, applied, rtol=1e-15)
    assert np.all(result.step_size == float(np.float16(0.1)))


def test_tiny_gradient_norm_does_not_underflow():
    """||g|| of 1e-170 entries (squares underflow in float64) is still 1e-170 * sqrt(n)."""
    g = np.full(40, 1e-170)
    rules = StoppingRules(max_iter=1)
    result = gradient_descent(linear(g), np.ones(40), eta=1.0, rules=rules)
    np.testing.assert_allclose(result.grad_norm, 1e-170 * math.sqrt(40), rtol=1e-14)
    assert result.stopped_by == "stagnation"


def test_large_vector_norms_match_numpy():
    """The dot-product path (n > 16) agrees with np.linalg.norm."""
    rng = np.random.default_rng(3)
    d = rng.uniform(0.5, 2.0, size=1000)
    x0 = rng.normal(size=1000)
    result = gradient_descent(
        quadratic(d), x0, eta=0.2, rules=StoppingRules(max_iter=3), record_path=True
    )
    np.testing.assert_allclose(
        result.grad_norm, np.linalg.norm(d * result.path, axis=1), rtol=1e-13
    )
    np.testing.assert_allclose(result.param_norm, np.linalg.norm(result.path, axis=1), rtol=1e-13)


# --- non-finite values ------------------------------------------------------------------


def test_non_finite_loss_truncates_trace():
    """An objective returning inf at k = 3 stops there; the trace keeps k = 0..2, no NaN/inf."""
    calls = []

    def blows_up(x):
        calls.append(1)
        loss, grad = quadratic([1.0])(x)
        return (math.inf if len(calls) == 4 else loss), grad

    result = gradient_descent(blows_up, [1.0], eta=0.5, record_path=True)
    assert (result.stopped_by, result.stop_iter) == ("non_finite", 3)
    assert result.loss.tolist() == [0.5, 0.125, 0.03125]
    assert result.step_norm.size == result.step_size.size == 2
    assert result.x.tolist() == result.path[-1].tolist() == [0.25]
    assert result.first_fired["non_finite"] == 3


def test_nan_gradient_at_start():
    """NaN at x0: stop at k = 0 with an empty trace and x = x0."""
    result = gradient_descent(lambda x: (1.0, np.array([math.nan])), [2.0])
    assert (result.stopped_by, result.stop_iter, result.n_steps) == ("non_finite", 0, 0)
    assert result.loss.size == result.grad_norm.size == 0
    assert result.x.tolist() == [2.0]


def test_float16_divergence_overflows_to_non_finite():
    """eta = 3 on x^2/2 doubles |x| each step; in float16 the update 3 * 32768 overflows at
    k = 16 (largest float16 65504): stop with non_finite, trace finite up to x_15 = -32768."""
    result = gradient_descent(
        quadratic([1.0]), [1.0], eta=3.0, dtype="float16", rules=StoppingRules(max_iter=100)
    )
    assert (result.stopped_by, result.stop_iter) == ("non_finite", 16)
    assert result.x.tolist() == [(-2.0) ** 15]
    assert result.loss.size == 16
    for trace in (result.loss, result.grad_norm, result.step_norm, result.param_norm):
        assert np.all(np.isfinite(trace))


def test_float64_divergence_overflowing_loss():
    """eta = 3 in float64: x_k = (-2)^k; at k = 512 the loss x^2/2 needs x^2 = 2^1024 > max:
    the objective's inf stops the loop there, with no numpy warning escaping."""
    rules = StoppingRules(max_iter=2000)
    result = gradient_descent(quadratic([1.0]), [1.0], eta=3.0, rules=rules)
    assert (result.stopped_by, result.stop_iter) == ("non_finite", 512)
    assert result.x.tolist() == [(-2.0) ** 511]
    assert result.loss[-1] == 2.0**1021
    assert np.all(np.isfinite(result.grad_norm))


def test_run_past_stop_keeps_earlier_reason_at_non_finite():
    """A rule that fired first stays stopped_by; non_finite is recorded where it happened."""
    rules = StoppingRules(gatol=10.0, max_iter=100)
    result = gradient_descent(
        quadratic([1.0]), [1.0], eta=3.0, dtype="float16", rules=rules, run_past_stop=True
    )
    assert (result.stopped_by, result.stop_iter) == ("gatol", 0)
    assert result.first_fired["non_finite"] == 16
    assert result.n_steps == 15
    assert result.x_stop.tolist() == [1.0]  # x_0, where gatol held


def test_x_stop_is_the_iterate_where_the_rules_stopped():
    """x_stop of a run past its stop equals x of the same run stopped there, bit for bit;
    without run_past_stop (and at a non-finite stop) it is x itself."""
    target = quadratic([1.0, 3.0, 0.1])
    rules = StoppingRules(eps=1e-3, max_iter=400)
    past = gradient_descent(target, [1.0, -2.0, 5.0], eta=0.3, rules=rules, run_past_stop=True)
    stopped = gradient_descent(target, [1.0, -2.0, 5.0], eta=0.3, rules=rules)
    assert past.stopped_by == stopped.stopped_by == "eps"
    assert 0 < past.stop_iter == stopped.n_steps < past.n_steps == 400
    assert past.x_stop.tobytes() == stopped.x.tobytes() == stopped.x_stop.tobytes()
    assert past.x_stop.tobytes() != past.x.tobytes()
    diverged = gradient_descent(target, [1.0, 1.0, 1.0], eta=3.0, rules=rules)
    assert diverged.stopped_by == "non_finite"
    assert diverged.x_stop.tobytes() == diverged.x.tobytes()
    assert diverged.x_stop is not diverged.x


def test_x_stop_when_only_some_rules_held_before_an_overflow():
    """combine="all": fatol holds from the start of F = -x^2/2 (x doubles, F changes by less
    than 1e-3 at first) but gatol never does; the run overflows, and x_stop is the last finite
    iterate, not the one where fatol alone held."""
    rules = StoppingRules(fatol=1e-3, gatol=1e-9, stagnation=False, combine="all", max_iter=100)

    def falling(x):
        x64 = x.astype(np.float64)
        return -0.5 * float(x64 @ x64), -x

    result = gradient_descent(falling, [1e-3], eta=1.0, dtype="float16", rules=rules)
    assert result.stopped_by == "non_finite"
    assert result.first_fired["fatol"] == 1
    assert result.x_stop.tobytes() == result.x.tobytes()
    assert abs(result.x.item()) > 100


# --- extras, path shape, progress, read-only iterate ------------------------------------


def test_extras_are_stacked():
    """A per-iterate dict of arrays becomes arrays of shape (n + 1, ...)."""

    def with_layers(x):
        loss, grad = quadratic([1.0, 2.0, 4.0])(x)
        return loss, grad, {"layer_norms": np.abs(grad), "scale": float(np.sum(x))}

    rules = StoppingRules(max_iter=6)
    result = gradient_descent(with_layers, [1.0, 1.0, 1.0], eta=0.1, rules=rules, record_path=True)
    assert result.extras["layer_norms"].shape == (7, 3)
    assert result.extras["scale"].shape == (7,)
    np.testing.assert_allclose(
        result.extras["layer_norms"], np.abs(result.path * [1.0, 2.0, 4.0]), rtol=1e-15
    )
    np.testing.assert_allclose(result.extras["scale"], result.path.sum(axis=1), rtol=1e-15)


def test_extras_keys_must_not_change():
    """Changing the extras keys mid-run is a ValueError naming the keys."""
    calls = []

    def fickle(x):
        calls.append(1)
        key = "a" if len(calls) == 1 else "b"
        return 0.5 * float(x[0]) ** 2, np.array([float(x[0])]), {key: 1.0}

    with pytest.raises(ValueError, match="extras must keep the keys"):
        gradient_descent(fickle, [1.0])


def test_scalar_x0_keeps_its_shape():
    """A scalar x0 gives a 0-d x and a path of shape (n + 1,)."""
    result = gradient_descent(
        quadratic([1.0]), 2.0, eta=0.5, rules=StoppingRules(max_iter=3), record_path=True
    )
    assert result.x.shape == ()
    assert result.path.tolist() == [2.0, 1.0, 0.5, 0.25]


def test_iterate_is_read_only_for_the_objective():
    """The objective cannot change the iterate in place."""

    def vandal(x):
        x[0] = 0.0
        return 0.0, np.zeros(1)

    with pytest.raises(ValueError, match="read-only"):
        gradient_descent(vandal, [1.0])


@pytest.mark.parametrize(("max_iter", "expected_calls"), [(250, 84), (10, 10), (1000, 100)])
def test_progress_every_percent(max_iter, expected_calls):
    """progress(k, max_iter) comes every ceil(max_iter / 100) steps and once at the end."""
    seen = []
    gradient_descent(
        quadratic([1.0]),
        1.0,
        eta=1e-3,
        rules=StoppingRules(stagnation=False, max_iter=max_iter),
        progress=lambda k, m: seen.append((k, m)),
    )
    every = -(-max_iter // 100)
    assert len(seen) == expected_calls
    assert seen[-1] == (max_iter, max_iter)
    assert all(k % every == 0 or k == max_iter for k, _ in seen)
    assert [k for k, _ in seen] == sorted({k for k, _ in seen})


def test_progress_final_call_at_early_stop():
    """An early stop still reports its final k once."""
    seen = []
    gradient_descent(
        quadratic([1.0]),
        1.0,
        eta=0.5,
        rules=StoppingRules(gatol=0.2, max_iter=1000),
        progress=lambda k, m: seen.append((k, m)),
    )
    assert seen == [(3, 1000)]


def test_observer_sees_every_recorded_iterate_as_the_trace_records_it():
    """observer gets each k once, in order, with the trace's own values, the rules' stop as it
    becomes known, and changes nothing: the trace equals a run without it."""
    rules = StoppingRules(gatol=0.5, stagnation=False, max_iter=12)
    seen = []

    def observer(step):
        seen.append(
            (step.k, step.loss, step.grad_norm, step.param_norm, step.step_norm, step.step_size,
             step.x.copy(), step.stopped_by, step.stop_iter, dict(step.first_fired))
        )  # fmt: skip

    args = (quadratic([1.0, 3.0]), [1.0, -2.0])
    plain = gradient_descent(*args, eta=0.2, rules=rules, run_past_stop=True, record_path=True)
    watched = gradient_descent(
        *args, eta=0.2, rules=rules, run_past_stop=True, record_path=True, observer=observer
    )
    for name in ("loss", "grad_norm", "param_norm", "step_norm", "step_size", "path", "x"):
        assert np.array_equal(getattr(plain, name), getattr(watched, name)), name
    assert [row[0] for row in seen] == list(range(13))
    assert [row[1] for row in seen] == plain.loss.tolist()
    assert [row[2] for row in seen] == plain.grad_norm.tolist()
    assert [row[3] for row in seen] == plain.param_norm.tolist()
    assert [row[4] for row in seen] == [None, *plain.step_norm.tolist()]
    assert [row[5] for row in seen] == [0.0, *plain.step_size.tolist()]
    assert all(np.array_equal(row[6], x) for row, x in zip(seen, plain.path, strict=True))
    stop = plain.stop_iter
    assert plain.stopped_by == "gatol"
    assert 0 < stop < 12
    assert all(row[7] is None for row in seen[:stop])
    assert all(row[7] == "gatol" and row[8] == stop for row in seen[stop:])
    assert seen[-1][9] == plain.first_fired


def test_observer_raising_abandons_the_run():
    """An exception from the observer comes out of gradient_descent; a bad observer is refused."""

    class Abandon(Exception):
        pass

    def observer(step):
        if step.k == 3:
            raise Abandon

    with pytest.raises(Abandon):
        gradient_descent(quadratic([1.0]), 1.0, eta=0.1, observer=observer)
    with pytest.raises(ValueError, match="observer must be callable"):
        gradient_descent(quadratic([1.0]), 1.0, observer=3)


# --- hypothesis: monotone descent for eta < 2/L -----------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    d=st.lists(st.floats(1e-3, 1e3), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
    fraction=st.floats(0.01, 0.95),
)
def test_quadratic_descent_is_monotone(d, seed, fraction):
    """eta = fraction * 2/L: the loss and the gradient norm never increase (beyond summation
    rounding), and the gradient norm ends below where it started unless it was already 0."""
    d = np.asarray(d)
    x0 = np.random.default_rng(seed).uniform(-1e3, 1e3, size=d.size)
    eta = fraction * 2.0 / float(d.max())
    result = gradient_descent(quadratic(d), x0, eta=eta, rules=StoppingRules(max_iter=200))
    loss, g = result.loss, result.grad_norm
    assert np.all(loss[1:] <= loss[:-1] * (1 + MONOTONE_RTOL))
    assert np.all(g[1:] <= g[:-1] * (1 + MONOTONE_RTOL))
    assert g[-1] < g[0]


@pytest.mark.parametrize("gradient_dtype", [np.float32, np.float64])
def test_float16_steps_round_as_numpy_float16_arithmetic(gradient_dtype):
    """x_{k+1} = x_k - t g_k in float16, bit for bit as numpy's own float16 operations do it:
    g rounded to float16, the product rounded, the difference rounded (for float32 gradients,
    as the MLP returns, and float64 ones)."""
    scales = np.linspace(0.1, 3.0, 400)

    def bowl(x):
        x64 = x.astype(np.float64)
        return 0.5 * float(x64 @ (scales * x64)), (scales * x64).astype(gradient_dtype)

    x0 = np.random.default_rng(7).normal(0.0, 4.0, size=scales.size)
    eta = 0.0173
    rules = StoppingRules(stagnation=False, max_iter=30)
    result = gradient_descent(bowl, x0, eta=eta, dtype="float16", rules=rules, record_path=True)
    x = x0.astype(np.float16)
    for k in range(31):
        assert result.path[k].tobytes() == x.tobytes(), k
        gradient = bowl(x)[1].astype(np.float64).astype(np.float16)
        x = x - gradient * np.float16(eta)


# --- ValueError paths -------------------------------------------------------------------

OBJ = quadratic([1.0])


@pytest.mark.parametrize("eta", [0.0, -1.0, ETA_MAX * 1.5, math.nan, math.inf, "0.1", None])
def test_bad_eta(eta):
    """eta must be in (0, 1e6]."""
    with pytest.raises(ValueError, match="eta"):
        gradient_descent(OBJ, [1.0], eta=eta)


def test_eta_beyond_float16_is_refused_in_float16():
    """1e5 is a valid step in float32 but not a float16 number."""
    with pytest.raises(ValueError, match="eta must be at most 65504 in float16"):
        gradient_descent(OBJ, [1.0], eta=1e5, dtype="float16")
    rules = StoppingRules(max_iter=1)
    result = gradient_descent(OBJ, [0.0], eta=65504.0, dtype="float16", rules=rules)
    assert result.step_size.tolist() == [65504.0]  # the largest float16, accepted


def test_eta_upper_limit_accepted():
    """eta = 1e6 is allowed (the end of the range)."""
    result = gradient_descent(OBJ, [0.0], eta=ETA_MAX, rules=StoppingRules(max_iter=1))
    assert result.step_size.tolist() == [ETA_MAX]


@pytest.mark.parametrize("step", ["newton", "Armijo", "", None])
def test_bad_step(step):
    """step is "constant" or "armijo"."""
    with pytest.raises(ValueError, match="step"):
        gradient_descent(OBJ, [1.0], step=step)


@pytest.mark.parametrize("dtype", ["int32", "float128", "complex128", "half-ish", int])
def test_bad_dtype(dtype):
    """dtype is float16, float32 or float64."""
    with pytest.raises(ValueError, match="dtype"):
        gradient_descent(OBJ, [1.0], dtype=dtype)


def test_dtype_as_numpy_type():
    """A numpy dtype is accepted and reported by name."""
    result = gradient_descent(OBJ, [1.0], dtype=np.float32, rules=StoppingRules(max_iter=1))
    assert (result.dtype, result.x.dtype) == ("float32", np.float32)


@pytest.mark.parametrize("field", ["eps", "gatol", "gttol", "fatol", "frtol"])
def test_negative_threshold(field):
    """Negative thresholds are refused when the rules are built."""
    with pytest.raises(ValueError, match=field):
        gradient_descent(OBJ, [1.0], rules=StoppingRules(**{field: -0.1}))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"max_iter": 0}, "max_iter"), ({"combine": "some"}, "combine")],
)
def test_bad_rules_fields(kwargs, name):
    """max_iter 0 and an unknown combine are refused."""
    with pytest.raises(ValueError, match=name):
        StoppingRules(**kwargs)


def test_rules_must_be_stopping_rules():
    """A dict is not a StoppingRules."""
    with pytest.raises(ValueError, match="rules"):
        gradient_descent(OBJ, [1.0], rules={"eps": 0.1})


@pytest.mark.parametrize(
    ("x0", "message"),
    [
        ([1.0, math.nan], "finite"),
        ([math.inf], "finite"),
        ([], "at least 1"),
        ([[1.0, 2.0]], "1-dimensional"),
        (["a"], "real numbers"),
        ([1e5], "representable in float16"),
    ],
)
def test_bad_x0(x0, message):
    """x0: finite, non-empty, scalar or 1-D, representable in the working dtype."""
    with pytest.raises(ValueError, match=message):
        gradient_descent(OBJ, x0, dtype="float16")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"armijo_c1": 0.0}, "armijo_c1"),
        ({"armijo_c1": 1.0}, "armijo_c1"),
        ({"armijo_shrink": 0.0}, "armijo_shrink"),
        ({"armijo_shrink": 1.0}, "armijo_shrink"),
        ({"armijo_max_halvings": -1}, "armijo_max_halvings"),
        ({"armijo_max_halvings": 2.5}, "armijo_max_halvings"),
        ({"record_path": 1}, "record_path"),
        ({"run_past_stop": "yes"}, "run_past_stop"),
        ({"progress": 3}, "progress"),
    ],
)
def test_bad_options(kwargs, name):
    """Armijo parameters, flags and the progress callback are checked."""
    with pytest.raises(ValueError, match=name):
        gradient_descent(OBJ, [1.0], **kwargs)


def test_record_path_too_large():
    """A path over TRACE_LIMIT entries is refused before allocating it."""
    n = TRACE_LIMIT // 1000 + 1
    with pytest.raises(ValueError, match="record_path"):
        gradient_descent(
            quadratic(np.ones(n)), np.ones(n), record_path=True, rules=StoppingRules(max_iter=999)
        )


def test_objective_not_callable():
    """The objective must be callable."""
    with pytest.raises(ValueError, match="objective"):
        gradient_descent("F", [1.0])


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        (lambda x: 1.0, "return \\(loss, grad\\)"),
        (lambda x: (1.0,), "return \\(loss, grad\\)"),
        (lambda x: (np.ones(2), np.ones(1)), "real scalar loss"),
        (lambda x: (1j, np.ones(1)), "real scalar loss"),
        (lambda x: (1.0, np.ones(1, dtype=complex)), "real gradient"),
        (lambda x: (1.0, np.ones(2)), "gradient of size 2"),
        (lambda x: (1.0, np.ones(1), [1.0]), "must be a dict"),
        (lambda x: (1.0, np.ones(1), {"a": "text"}), "extras must map"),
    ],
)
def test_bad_objective_output(objective, message):
    """A malformed return value is a ValueError, not a deep numpy error."""
    with pytest.raises(ValueError, match=message):
        gradient_descent(objective, [1.0])


def test_quadratic_validation():
    """quadratic: diag finite and 1-D; x must match its size."""
    with pytest.raises(ValueError, match="diag"):
        quadratic([1.0, math.nan])
    with pytest.raises(ValueError, match="diag"):
        quadratic([[1.0]])
    with pytest.raises(ValueError, match="must have 2 element"):
        quadratic([1.0, 2.0])(np.ones(3))


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((math.nan, 0.0, 1.0, 1), "loss0"),
        ((1.0, 2.0, 1.0, 1), "loss_inf"),
        ((1.0, 0.0, 0.0, 1), "lipschitz"),
        ((1.0, 0.0, -1.0, 1), "lipschitz"),
        ((1.0, 0.0, 1.0, [-1]), "k must"),
        ((1.0, 0.0, 1.0, [[1]]), "k must"),
        ((1.0, 0.0, 1.0, [math.inf]), "k must"),
    ],
)
def test_descent_rate_bound_validation(args, name):
    """descent_rate_bound: finite losses with F_inf <= F_0, L > 0, k >= 0."""
    with pytest.raises(ValueError, match=name):
        descent_rate_bound(*args)


@pytest.mark.parametrize("values", [[1.0, math.nan], [[1.0]], "abc"])
def test_running_min_validation(values):
    """running_min takes a finite 1-D array."""
    with pytest.raises(ValueError, match="values"):
        running_min(values)


def test_find_cycle_reports_the_first_exact_repeat() -> None:
    from vgcore.descent import Cycle, find_cycle

    assert find_cycle(np.array([[1.0, 2.0], [3.0, 4.0], [-0.0, 4.0], [3.0, 4.0]])) == Cycle(1, 2)
    assert find_cycle(np.array([[0.0, 1.0], [-0.0, 1.0]])) == Cycle(0, 1)  # 0 == −0
    assert find_cycle(np.array([[1.0, 2.0], [1.0, 2.5]])) is None
    assert find_cycle(np.empty((0, 2))) is None
    bowl = gradient_descent(quadratic([2.0, 2.0]), [0.6, -0.6], eta=1.0, record_path=True)
    assert find_cycle(bowl.path) == Cycle(0, 2)  # eta = 2/L: x -> -x
    with pytest.raises(ValueError, match="path"):
        find_cycle(np.array([1.0, 2.0]))
