"""Stopping rules on their own: validation, and each rule exactly at its threshold (``<=``)."""

import math

import numpy as np
import pytest

from vgcore.stopping import (
    ALL_HELD,
    StoppingRules,
    rules_holding,
    stop_reason,
)

TINY = np.finfo(np.float64).tiny


def below(value: float) -> float:
    """The float64 just below ``value``: the smallest miss of an inclusive threshold."""
    return float(np.nextafter(value, -math.inf))


def test_defaults_and_enabled():
    """By default only stagnation (and max_iter=1000) are on; enabled lists RULE_NAMES order."""
    rules = StoppingRules()
    assert rules.enabled == ("stagnation",)
    assert rules.max_iter == 1000
    assert rules.combine == "any"
    rules = StoppingRules(frtol=0.1, eps=0, stagnation=False)
    assert rules.enabled == ("eps", "frtol")
    assert isinstance(rules.eps, float)


@pytest.mark.parametrize("field", ["eps", "gatol", "gttol", "fatol", "frtol"])
@pytest.mark.parametrize("bad", [-1e-300, -1.0, math.nan, math.inf, "0.1", True])
def test_bad_thresholds(field, bad):
    """A threshold must be None or a finite number >= 0; the error names the field."""
    with pytest.raises(ValueError, match=field):
        StoppingRules(**{field: bad})


@pytest.mark.parametrize("bad", [0, -1, 1_000_001, 2.0, True, None])
def test_bad_max_iter(bad):
    """max_iter is an integer from 1 to 1_000_000."""
    with pytest.raises(ValueError, match="max_iter"):
        StoppingRules(max_iter=bad)


def test_max_iter_limits_accepted():
    """Both ends of the max_iter range are allowed."""
    assert StoppingRules(max_iter=1).max_iter == 1
    assert StoppingRules(max_iter=1_000_000).max_iter == 1_000_000


@pytest.mark.parametrize("bad", ["ANY", "both", "", None, 1])
def test_bad_combine(bad):
    """combine is "any" or "all"."""
    with pytest.raises(ValueError, match="combine"):
        StoppingRules(combine=bad)


@pytest.mark.parametrize("bad", [1, 0, "yes", None])
def test_bad_stagnation(bad):
    """stagnation is a bool, not a truthy value."""
    with pytest.raises(ValueError, match="stagnation"):
        StoppingRules(stagnation=bad)


def test_frozen():
    """Rules cannot be changed after validation."""
    rules = StoppingRules(eps=0.1)
    with pytest.raises(AttributeError):
        rules.eps = -1.0  # type: ignore[misc]


# --- each rule exactly at and just past its threshold ------------------------------------


@pytest.mark.parametrize("threshold", [0.375, 1e-300, 0.0])
def test_eps_inclusive(threshold):
    """eps holds for ||Δx|| == eps and not for the next float above."""
    rules = StoppingRules(eps=threshold, stagnation=False)
    assert rules_holding(rules, 1, 1.0, 1.0, threshold, 2.0, 1.0) == ("eps",)
    above = float(np.nextafter(threshold, math.inf))
    assert rules_holding(rules, 1, 1.0, 1.0, above, 2.0, 1.0) == ()


def test_gatol_inclusive_and_at_k0():
    """gatol looks at the gradient at x_k before stepping, so it can hold at k = 0."""
    rules = StoppingRules(gatol=0.625, stagnation=False)
    assert rules_holding(rules, 0, 0.625, 0.625) == ("gatol",)
    assert rules_holding(rules, 0, float(np.nextafter(0.625, 1.0)), 1.0) == ()


def test_gttol_ratio():
    """gttol compares ||g_k|| / ||g_0||: at k = 0 the ratio is 1; 0/0 counts as 0."""
    rules = StoppingRules(gttol=0.25, stagnation=False)
    assert rules_holding(rules, 3, 0.5, 2.0, 1.0, 1.0, 0.5) == ("gttol",)
    assert rules_holding(rules, 3, float(np.nextafter(0.5, 1.0)), 2.0, 1.0, 1.0, 0.5) == ()
    assert rules_holding(rules, 0, 2.0, 2.0) == ()
    assert rules_holding(StoppingRules(gttol=1.0, stagnation=False), 0, 2.0, 2.0) == ("gttol",)
    assert rules_holding(StoppingRules(gttol=0.0), 0, 0.0, 0.0) == ("gttol",)
    # g_0 = 0 but g_k > 0: the ratio is +inf and never holds.
    assert rules_holding(StoppingRules(gttol=1e300), 2, 1e-300, 0.0, 1.0, 1.0, 0.5) == ()


def test_gttol_huge_ratio_no_warning():
    """A ratio beyond float64 (1e300 / 1e-300) is inf in Python floats: no warning, no hold."""
    rules = StoppingRules(gttol=1e300, stagnation=False)
    assert rules_holding(rules, 1, 1e300, 1e-300, 1.0, 1.0, 0.5) == ()


def test_fatol_inclusive():
    """fatol: |F_k - F_{k-1}| <= fatol, exact binary values."""
    rules = StoppingRules(fatol=0.09375, stagnation=False)
    assert rules_holding(rules, 2, 1.0, 1.0, 1.0, 0.125, 0.03125) == ("fatol",)
    assert (
        rules_holding(StoppingRules(fatol=below(0.09375)), 2, 1.0, 1.0, 1.0, 0.125, 0.03125) == ()
    )


def test_frtol_inclusive_and_tiny_guard():
    """frtol: |ΔF| <= frtol * max(|F_{k-1}|, tiny); the guard makes 0 -> 0 hold."""
    rules = StoppingRules(frtol=0.125, stagnation=False)
    assert rules_holding(rules, 9, 1.0, 1.0, 0.5, 2.0, 1.75) == ("frtol",)
    assert rules_holding(rules, 9, 1.0, 1.0, 0.5, -2.0, -1.75) == ("frtol",)
    assert rules_holding(StoppingRules(frtol=below(0.125)), 9, 1.0, 1.0, 0.5, 2.0, 1.75) == ()
    assert rules_holding(
        StoppingRules(frtol=0.0, stagnation=False), 1, 0.0, 0.0, 0.0, 0.0, 0.0
    ) == ("frtol",)
    # From F = 0 a change of exactly frtol * tiny holds, one more ulp does not.
    assert rules_holding(StoppingRules(frtol=1.0), 1, 1.0, 1.0, 1.0, 0.0, TINY) == ("frtol",)
    bigger = float(np.nextafter(TINY, 1.0))
    assert rules_holding(StoppingRules(frtol=1.0), 1, 1.0, 1.0, 1.0, 0.0, bigger) == ()


def test_stagnation_only_on_exact_zero_change():
    """stagnation holds when no parameter moved at all (step norm exactly 0)."""
    rules = StoppingRules()
    assert rules_holding(rules, 1, 1.0, 1.0, 0.0, 1.0, 1.0) == ("stagnation",)
    assert rules_holding(rules, 1, 1.0, 1.0, 5e-324, 1.0, 1.0) == ()
    assert rules_holding(StoppingRules(stagnation=False), 1, 1.0, 1.0, 0.0, 1.0, 1.0) == ()


def test_change_rules_never_at_k0():
    """eps, fatol, frtol and stagnation need a step: nothing holds at k = 0 except gradients."""
    rules = StoppingRules(eps=1e300, fatol=1e300, frtol=1e300, stagnation=True)
    assert rules_holding(rules, 0, 1.0, 1.0) == ()


def test_max_iter_at_k():
    """max_iter holds at k = max_iter, and is listed after the threshold rules."""
    rules = StoppingRules(max_iter=5, eps=1.0)
    assert rules_holding(rules, 4, 1.0, 1.0, 2.0, 1.0, 0.0) == ()
    assert rules_holding(rules, 5, 1.0, 1.0, 2.0, 1.0, 0.0) == ("max_iter",)
    assert rules_holding(rules, 5, 1.0, 1.0, 0.5, 1.0, 0.0) == ("eps", "max_iter")


def test_all_rules_in_order():
    """Several rules holding at once come back in RULE_NAMES order."""
    rules = StoppingRules(eps=1, gatol=1, gttol=1, fatol=1, frtol=1, max_iter=3)
    held = rules_holding(rules, 3, 0.5, 0.5, 0.0, 1.0, 1.0)
    assert held == ("eps", "gatol", "gttol", "fatol", "frtol", "stagnation", "max_iter")


# --- combining --------------------------------------------------------------------------


def test_stop_reason_any():
    """ "any": the first held rule in RULE_NAMES order; nothing held: None."""
    rules = StoppingRules(eps=1.0, gatol=1.0)
    assert stop_reason(rules, ("gatol", "eps")) == "eps"
    assert stop_reason(rules, ()) is None
    assert stop_reason(rules, ("max_iter",)) == "max_iter"


def test_stop_reason_all():
    """ "all": every enabled rule (stagnation included when on) must hold; max_iter always stops."""
    rules = StoppingRules(eps=1.0, gatol=1.0, stagnation=False, combine="all")
    assert stop_reason(rules, ("gatol",)) is None
    assert stop_reason(rules, ("eps", "gatol")) == ALL_HELD
    assert stop_reason(rules, ("gatol", "max_iter")) == "max_iter"
    with_stagnation = StoppingRules(eps=1.0, gatol=1.0, combine="all")
    assert stop_reason(with_stagnation, ("eps", "gatol")) is None
    # Nothing enabled besides max_iter: "all" of nothing never stops by itself.
    nothing = StoppingRules(stagnation=False, combine="all")
    assert stop_reason(nothing, ()) is None
    assert stop_reason(nothing, ("max_iter",)) == "max_iter"


# --- argument checks of the helpers -----------------------------------------------------


def test_rules_holding_validation():
    """rules_holding names the bad argument."""
    rules = StoppingRules()
    with pytest.raises(ValueError, match="rules"):
        rules_holding("rules", 0, 1.0, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must"):
        rules_holding(rules, -1, 1.0, 1.0)
    with pytest.raises(ValueError, match="grad_norm "):
        rules_holding(rules, 0, -1.0, 1.0)
    with pytest.raises(ValueError, match="grad_norm0"):
        rules_holding(rules, 0, 1.0, math.nan)
    with pytest.raises(ValueError, match="None at k = 0"):
        rules_holding(rules, 0, 1.0, 1.0, 0.5, 1.0, 1.0)
    with pytest.raises(ValueError, match="required for k >= 1"):
        rules_holding(rules, 1, 1.0, 1.0)
    with pytest.raises(ValueError, match="step_norm"):
        rules_holding(rules, 1, 1.0, 1.0, -0.5, 1.0, 1.0)
    with pytest.raises(ValueError, match="loss_prev"):
        rules_holding(rules, 1, 1.0, 1.0, 0.5, math.inf, 1.0)
    with pytest.raises(ValueError, match="loss must"):
        rules_holding(rules, 1, 1.0, 1.0, 0.5, 1.0, math.nan)


def test_stop_reason_validation():
    """stop_reason refuses unknown rule names and non-rules."""
    with pytest.raises(ValueError, match="held"):
        stop_reason(StoppingRules(), ("tol",))
    with pytest.raises(ValueError, match="rules"):
        stop_reason(None, ())  # type: ignore[arg-type]
