"""Stopping rules for gradient descent (MATH.md B, C), checked at the iterates x_k, k = 0, 1, ...

Every rule compares with ``<=`` (inclusive) and is off when its threshold is ``None``:

- ``gatol``: ``||g_k|| <= gatol``; ``gttol``: ``||g_k|| / ||g_0|| <= gttol`` (the ratio is taken
  as 0 when ``g_k = 0`` and as +inf when ``g_0 = 0 != g_k``). These look at the gradient at x_k
  before any step from it, so they can fire at k = 0 (``gttol`` only if ``gttol >= 1``).
- ``eps``: ``||x_k - x_{k-1}||_2 <= eps`` (the change actually applied in the working dtype);
  ``fatol``: ``|F_k - F_{k-1}| <= fatol``; ``frtol``: ``|F_k - F_{k-1}| <= frtol * max(|F_{k-1}|,
  tiny)`` with ``tiny`` the smallest normal float64; ``stagnation``: ``x_k == x_{k-1}`` exactly
  (every update lost in floating point). These need a change, so they fire at k = 1 at the earliest.
- ``max_iter``: always on; holds at ``k = max_iter`` (that many steps taken).
- ``non_finite``: not a threshold; the loop reports it when the loss, the gradient, the iterate or
  one of their float64 norms is not finite at x_k.

``combine="any"`` stops at the first k where some enabled rule holds; ties at the same k go to
the first name in ``RULE_NAMES``. ``combine="all"`` stops at the first k where every enabled rule
other than ``max_iter`` holds at once (the stop reason is then ``"all"``; with no such rule
enabled only ``max_iter`` stops). ``stagnation`` is on by default and counts among the rules
``"all"`` waits for. ``max_iter`` always stops the loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vgcore.validate import check_choice, check_int, check_real

RULE_NAMES: tuple[str, ...] = (
    "eps",
    "gatol",
    "gttol",
    "fatol",
    "frtol",
    "stagnation",
    "max_iter",
    "non_finite",
)
ALL_HELD = "all"
"""Stop reason when ``combine="all"`` and every enabled rule held at the same iterate."""


THRESHOLD_RULES: tuple[str, ...] = ("eps", "gatol", "gttol", "fatol", "frtol")
MAX_ITER_LIMIT = 1_000_000
_TINY = 2.2250738585072014e-308  # smallest normal float64, guards frtol against F_{k-1} = 0


@dataclass(frozen=True)
class StoppingRules:
    """Which stopping rules are on and their thresholds (``None`` = off); see the module doc."""

    eps: float | None = None
    gatol: float | None = None
    gttol: float | None = None
    fatol: float | None = None
    frtol: float | None = None
    stagnation: bool = True
    max_iter: int = 1000
    combine: str = "any"

    def __post_init__(self) -> None:
        for name in THRESHOLD_RULES:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_real(value, name, low=0.0))
        if not isinstance(self.stagnation, bool):
            raise ValueError(f"stagnation must be True or False; got {self.stagnation!r}")
        object.__setattr__(
            self, "max_iter", check_int(self.max_iter, "max_iter", low=1, high=MAX_ITER_LIMIT)
        )
        check_choice(self.combine, ("any", "all"), "combine")

    @property
    def enabled(self) -> tuple[str, ...]:
        """The enabled rules other than ``max_iter`` (always on), in ``RULE_NAMES`` order."""
        on = [name for name in THRESHOLD_RULES if getattr(self, name) is not None]
        if self.stagnation:
            on.append("stagnation")
        return tuple(on)


def rules_holding(
    rules: StoppingRules,
    k: int,
    grad_norm: float,
    grad_norm0: float,
    step_norm: float | None = None,
    loss_prev: float | None = None,
    loss: float | None = None,
) -> tuple[str, ...]:
    """The enabled rules (and ``max_iter``) that hold at iterate k, in ``RULE_NAMES`` order.

    ``step_norm = ||x_k - x_{k-1}||``, ``loss_prev = F_{k-1}`` and ``loss = F_k`` are needed
    for k >= 1 and must be ``None`` at k = 0."""
    if not isinstance(rules, StoppingRules):
        raise ValueError(f"rules must be a StoppingRules; got {rules!r}")
    k = check_int(k, "k", low=0)
    grad_norm = check_real(grad_norm, "grad_norm", low=0.0)
    grad_norm0 = check_real(grad_norm0, "grad_norm0", low=0.0)
    change = (step_norm, loss_prev, loss)
    if k == 0 and any(v is not None for v in change):
        raise ValueError("step_norm, loss_prev and loss must be None at k = 0 (no step yet)")
    if k >= 1:
        if any(v is None for v in change):
            raise ValueError("step_norm, loss_prev and loss are required for k >= 1")
        step_norm = check_real(step_norm, "step_norm", low=0.0)
        loss_prev = check_real(loss_prev, "loss_prev")
        loss = check_real(loss, "loss")
    return held_rules(rules, k, grad_norm, grad_norm0, step_norm, loss_prev, loss)


def stop_reason(rules: StoppingRules, held: tuple[str, ...]) -> str | None:
    """Why the loop stops given the rules ``held`` at one iterate (``None``: it goes on).

    ``"any"``: the first held rule; ``"all"``: ``"all"`` when every enabled rule held, else
    ``"max_iter"`` if it held."""
    if not isinstance(rules, StoppingRules):
        raise ValueError(f"rules must be a StoppingRules; got {rules!r}")
    for name in held:
        check_choice(name, RULE_NAMES, "held")
    ordered = tuple(name for name in RULE_NAMES if name in held)
    return reason_for(rules, rules.enabled, ordered)


def held_rules(
    rules: StoppingRules,
    k: int,
    grad_norm: float,
    grad_norm0: float,
    step_norm: float | None,
    loss_prev: float | None,
    loss: float | None,
) -> tuple[str, ...]:
    """``rules_holding`` without the argument checks: the descent loop calls it once per step."""
    held: list[str] = []
    if step_norm is not None and rules.eps is not None and step_norm <= rules.eps:
        held.append("eps")
    if rules.gatol is not None and grad_norm <= rules.gatol:
        held.append("gatol")
    if rules.gttol is not None:
        if grad_norm0 > 0.0:
            ratio = grad_norm / grad_norm0
        else:
            ratio = 0.0 if grad_norm == 0.0 else math.inf
        if ratio <= rules.gttol:
            held.append("gttol")
    if step_norm is not None and loss is not None and loss_prev is not None:  # k >= 1
        change = abs(loss - loss_prev)
        if rules.fatol is not None and change <= rules.fatol:
            held.append("fatol")
        if rules.frtol is not None and change <= rules.frtol * max(abs(loss_prev), _TINY):
            held.append("frtol")
        if rules.stagnation and step_norm == 0.0:
            held.append("stagnation")
    if k >= rules.max_iter:
        held.append("max_iter")
    return tuple(held)


def reason_for(rules: StoppingRules, enabled: tuple[str, ...], held: tuple[str, ...]) -> str | None:
    """``stop_reason`` without the argument checks, given ``rules.enabled`` and the held rules."""
    if not held:
        return None
    if rules.combine == "any":
        return held[0]
    if enabled and all(name in held for name in enabled):
        return ALL_HELD
    return "max_iter" if "max_iter" in held else None
