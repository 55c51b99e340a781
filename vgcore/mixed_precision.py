# Over 450 lines: schedule, scaler, objective and breakdown share one float16/float32 contract.
"""Mixed-precision training as practitioners run it (Micikevicius et al. 2018, "Mixed Precision
Training"; PyTorch AMP's ``GradScaler``), on the honest float16 arithmetic of ``vgcore.mlp``.

Four parts, each rescuing something different (``precision_breakdown`` counts each):

(a) **Loss scale.** The backward pass starts from ``S * dF/dout`` (S = the loss scale), so every
    back-propagated float16 value is S times larger: a value below half float16's smallest
    subnormal (2^-25 ≈ 2.98e-8) rounds to exactly 0, and S lifts the small gradients of the
    lower layers above that line. The float16 gradients of ``S * F`` are converted to float32
    and divided by S there, never rounded back to float16.
(b) **float32 master weights.** The descent runs in float32 on master weights; each evaluation
    rounds them to a float16 copy for the forward and backward pass. An update smaller than half
    a float16 ulp of its weight (2^-12 ≈ 2.4e-4 at |w| = 0.5) is lost on a float16 weight but
    changes the float32 master weight, and such updates add up until the float16 copy moves.
(c) **Dynamic scale.** Too large an S overflows float16 (65504): a non-finite gradient multiplies
    S by ``backoff_factor`` and the evaluation is repeated at the same point; after
    ``growth_interval`` consecutive finite evaluations S is multiplied by ``growth_factor``.
(d) **float32 loss** (``loss_dtype="float32"``; off by default). ``torch.autocast`` computes the
    loss from the float16 logits in float32. In float16 the output error ``sigma(s) - 1`` of a
    sample of class 1 is exactly 0 once ``sigma(s)`` rounds to 1 (s >= 11 ln 2 ≈ 7.62; it is
    already off by up to 2^-12 ≈ 2.4e-4 before that): a confident sample stops contributing to
    every layer's gradient, whatever S. In float32 the cancellation comes at s >= 24 ln 2 ≈
    16.64; S times the float32 error is rounded once to float16 for the backward pass, so the
    scale still matters for errors below 2^-25 (a class-0 sample with s < -17.3).

Use: ``objective = mixed_precision_objective(sizes, X, y, ..., loss_dtype="float32")`` and
``mixed_precision_descent(objective, x0, eta=..., rules=...)`` (``gradient_descent`` in float32
with a fresh scale state); the result is the usual ``DescentResult`` with, per step, the extras
``"loss_scale"`` (the S of the returned gradient), ``"skipped"`` (overflowed evaluations
repeated at a smaller S) and ``"zero_share"`` (per layer, the share of gradient entries that are
exactly 0), next to the figures of ``mlp_objective``.

What differs from ``torch.amp.GradScaler``:

- **Retry instead of a skipped iteration.** GradScaler skips ``optimizer.step()`` on overflow and
  the next iteration evaluates the same weights at the smaller scale (on a new batch). Here the
  objective repeats the evaluation at once: the descent loop sees one finite evaluation per
  step, with the skipped evaluations counted in ``"skipped"``. With full-batch gradient descent
  (the same data at every step) the weights that follow are the same as GradScaler's; only the
  step numbering differs (k counts applied updates, not iterations).
- **Bounds.** S stays within ``[min_scale, max_scale]`` (defaults 1 and 2^24; GradScaler has no
  bounds). An overflow at ``min_scale`` is returned as it is (the descent stops with
  ``"non_finite"``): float16 overflows there however the loss is scaled. Growth stops at
  ``max_scale``, which only a gradient that is exactly 0 everywhere could reach.
- **An overflowing loss.** A non-finite loss means the forward pass itself overflowed, which no
  scale changes: it is returned at once (no retry, S unchanged) and the descent stops.
- **Evaluations, not iterations.** The growth interval counts finite evaluations. With the
  constant step rule that is one per step; an Armijo step evaluates once per trial; a step that
  does not move x reuses the previous evaluation and counts nothing.
- **Sums, not means.** F is the sum over the samples (MATH.md, Setting), so gradients are larger
  than with a mean loss by the batch size: the default S = 2^16 usually overflows the summed
  weight gradients at the first step and backs off (2^12 after 4 skipped evaluations for the
  lab's 10 x 16 sigmoid network on 256 samples), and float16 flushes only gradients that have
  vanished by about 10^-7 relative to the output's.

Statefulness. The scale and its growth count live in the objective (``objective.scaler``). Each
call of ``mixed_precision_objective`` starts a fresh state; ``mixed_precision_descent`` resets it
before it runs, so one objective serves several runs. Passing the same objective to
``gradient_descent`` twice without ``objective.reset()`` continues the first run's scale.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from vgcore.descent import DescentResult, gradient_descent
from vgcore.mlp import Objective, mlp_objective
from vgcore.validate import as_finite_array, check_real

DEFAULT_INIT_SCALE = 2.0**16
DEFAULT_GROWTH_FACTOR = 2.0
DEFAULT_BACKOFF_FACTOR = 0.5
DEFAULT_GROWTH_INTERVAL = 2000
"""GradScaler's defaults."""
DEFAULT_MIN_SCALE = 1.0
DEFAULT_MAX_SCALE = 2.0**24
"""Our bounds (GradScaler has none): S = 2^24 already lifts float16's smallest subnormal, 2^-24,
to 1."""
MAX_GROWTH_INTERVAL = 10**9
MASTER_DTYPE = np.dtype(np.float32)
"""The dtype of the master weights and of the descent."""

_SCALE_RANGE = (2.0**-64, 2.0**64)  # S * 65504 and 65504 / S stay normal float32 numbers
_OBJECTIVE_FIGURES = ("backprop_norms", "weight_grad_norms", "saturation")


def _check_in(
    value: Any, name: str, low: float, high: float, *, low_open: bool, high_open: bool
) -> float:
    """``value`` as a float in the interval; otherwise a ValueError naming the interval."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    message = f"{name} must be a finite number in {interval}; got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(message)
    number = float(value)
    if not (
        math.isfinite(number)
        and (low < number if low_open else low <= number)
        and (number < high if high_open else number <= high)
    ):
        raise ValueError(message)
    return number


@dataclass(frozen=True)
class ScaleSchedule:
    """How the loss scale S starts and changes (module docstring, part (c)).

    ``dynamic=False`` keeps S at ``init_scale`` (a constant scale): an overflow is then returned
    to the descent, which stops with ``"non_finite"``. Every value is checked on construction
    (ValueError naming the parameter and its allowed range)."""

    init_scale: float = DEFAULT_INIT_SCALE
    growth_factor: float = DEFAULT_GROWTH_FACTOR
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    growth_interval: int = DEFAULT_GROWTH_INTERVAL
    dynamic: bool = True
    min_scale: float = DEFAULT_MIN_SCALE
    max_scale: float = DEFAULT_MAX_SCALE

    def __post_init__(self) -> None:
        low, high = _SCALE_RANGE
        for name in ("min_scale", "max_scale"):
            value = _check_in(getattr(self, name), name, low, high, low_open=False, high_open=False)
            object.__setattr__(self, name, value)
        if self.max_scale < self.min_scale:
            raise ValueError(
                f"max_scale must be >= min_scale = {self.min_scale:g}; got {self.max_scale!r}"
            )
        init = _check_in(
            self.init_scale,
            "init_scale",
            self.min_scale,
            self.max_scale,
            low_open=False,
            high_open=False,
        )
        object.__setattr__(self, "init_scale", init)
        growth = _check_in(
            self.growth_factor, "growth_factor", 1.0, 2.0**16, low_open=True, high_open=False
        )
        object.__setattr__(self, "growth_factor", growth)
        backoff = _check_in(
            self.backoff_factor, "backoff_factor", 0.0, 1.0, low_open=True, high_open=True
        )
        object.__setattr__(self, "backoff_factor", backoff)
        interval = self.growth_interval
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int | np.integer)
            or not 1 <= interval <= MAX_GROWTH_INTERVAL
        ):
            raise ValueError(
                f"growth_interval must be an integer from 1 to {MAX_GROWTH_INTERVAL}; "
                f"got {interval!r}"
            )
        object.__setattr__(self, "growth_interval", int(interval))
        if not isinstance(self.dynamic, bool):
            raise ValueError(f"dynamic must be True or False; got {self.dynamic!r}")

    @classmethod
    def constant(cls, scale: float) -> ScaleSchedule:
        """A constant scale S (``dynamic=False``); S may be any number in [2^-64, 2^64]."""
        low, high = _SCALE_RANGE
        value = _check_in(scale, "scale", low, high, low_open=False, high_open=False)
        return cls(init_scale=value, dynamic=False, min_scale=value, max_scale=value)


class LossScaler:
    """The mutable state of a ``ScaleSchedule``: the current S, the finite evaluations since S
    last changed, and the totals of evaluations and overflows."""

    def __init__(self, schedule: ScaleSchedule) -> None:
        if not isinstance(schedule, ScaleSchedule):
            raise ValueError(f"schedule must be a ScaleSchedule; got {schedule!r}")
        self.schedule = schedule
        self.reset()

    def reset(self) -> None:
        """Back to the schedule's start: S = ``init_scale``, no evaluations counted."""
        self.scale = self.schedule.init_scale
        self.growth_tracker = 0
        self.n_evaluations = 0
        self.n_overflows = 0

    def update(self, finite: bool) -> bool:
        """Record one evaluation at the current S; True when it should be repeated at the new
        (smaller) S: it overflowed, the scale is dynamic and S was above ``min_scale``."""
        schedule = self.schedule
        self.n_evaluations += 1
        if finite:
            self.growth_tracker += 1
            if schedule.dynamic and self.growth_tracker >= schedule.growth_interval:
                self.scale = min(self.scale * schedule.growth_factor, schedule.max_scale)
                self.growth_tracker = 0
            return False
        self.n_overflows += 1
        self.growth_tracker = 0
        if not schedule.dynamic or self.scale <= schedule.min_scale:
            return False
        self.scale = max(self.scale * schedule.backoff_factor, schedule.min_scale)
        return True


def _layer_slices(sizes: tuple[int, ...]) -> list[slice]:
    """The slice of each layer's (W, b) in the flat layout of ``flatten_params``."""
    slices, start = [], 0
    for n_in, n_out in itertools.pairwise(sizes):
        stop = start + n_in * n_out + n_out
        slices.append(slice(start, stop))
        start = stop
    return slices


def _finite(array: np.ndarray) -> bool:
    """No inf or NaN in ``array``: one float64 sum, and the exact check only if it is not finite
    (inf - inf gives NaN there, with its warning silenced)."""
    with np.errstate(invalid="ignore", over="ignore"):
        total = float(np.add.reduce(array, axis=None, dtype=np.float64))
    return math.isfinite(total) or bool(np.isfinite(array).all())


class MixedPrecisionObjective:
    """``objective(flat) -> (F, gradient, extras)`` for ``gradient_descent`` in float32: F and
    the gradient computed in float16 (``dtype``) at the float16 copy of the float32 ``flat``,
    with the loss scale of ``scaler``; the gradient is float32, unscaled in float32.

    Build it with ``mixed_precision_objective``. Extras: the ``figures`` of ``mlp_objective``
    (norms divided by S, so they are the unscaled figures), ``"loss_scale"`` (S of this
    gradient), ``"skipped"`` (overflowed evaluations repeated in this call) and ``"zero_share"``
    (per layer, the share of the layer's weight and bias gradient entries that are exactly 0).
    """

    def __init__(
        self,
        make: Callable[[float], Objective],
        sizes: tuple[int, ...],
        schedule: ScaleSchedule,
    ) -> None:
        self._make = make
        self._by_scale: dict[float, Objective] = {}
        self.sizes = sizes
        self.slices = _layer_slices(sizes)
        self.scaler = LossScaler(schedule)

    def reset(self) -> None:
        """A fresh scale state (S = ``init_scale``, counts at 0); call it before a new run."""
        self.scaler.reset()

    def evaluate(
        self, flat: np.ndarray, scale: float
    ) -> tuple[float, np.ndarray, dict[str, np.ndarray | float]]:
        """One float16 evaluation at the given S, the state left alone (no retry)."""
        objective = self._by_scale.get(scale)
        if objective is None:
            objective = self._by_scale[scale] = self._make(scale)
        return objective(flat)

    def __call__(self, flat: np.ndarray) -> tuple[float, np.ndarray, dict[str, Any]]:
        scaler = self.scaler
        skipped = 0
        while True:
            scale = scaler.scale
            loss, grad, extras = self.evaluate(flat, scale)
            if not math.isfinite(loss):
                # The forward pass overflowed: no loss scale changes that (module docstring).
                scaler.n_evaluations += 1
                scaler.n_overflows += 1
                break
            if not scaler.update(_finite(grad)):
                break
            skipped += 1
        zero_share = np.array(
            [np.count_nonzero(grad[part] == 0) / (part.stop - part.start) for part in self.slices]
        )
        return (
            loss,
            grad,
            {**extras, "loss_scale": scale, "skipped": skipped, "zero_share": zero_share},
        )


def mixed_precision_objective(
    sizes: Sequence[int],
    X: Any,
    y: Any,
    activation: str = "sigmoid",
    loss: str = "mse",
    *,
    schedule: ScaleSchedule | None = None,
    dtype: str = "float16",
    figures: Sequence[str] = _OBJECTIVE_FIGURES,
    loss_dtype: str | None = None,
) -> MixedPrecisionObjective:
    """A fresh mixed-precision objective (module docstring) for float32 master weights ``flat``
    in the layout of ``flatten_params``; ``schedule`` defaults to GradScaler's dynamic scale.

    ``dtype`` is the compute dtype (float16 is the point; float32 and float64 serve as checks).
    ``loss_dtype="float32"`` computes the loss and the scaled output gradient in float32 as
    ``torch.autocast`` does (part (d)); None keeps them in ``dtype``. Arguments are checked
    here, by ``mlp_objective``; a master weight beyond float16's range (65504) is refused with
    ValueError when evaluated."""
    if schedule is None:
        schedule = ScaleSchedule()
    if not isinstance(schedule, ScaleSchedule):
        raise ValueError(f"schedule must be a ScaleSchedule or None; got {schedule!r}")

    def make(scale: float) -> Objective:
        return mlp_objective(
            sizes,
            X,
            y,
            activation,
            loss,
            dtype=dtype,
            loss_scale=scale,
            figures=figures,
            loss_dtype=loss_dtype,
        )

    make(schedule.init_scale)  # validates every argument now, not at the first step
    return MixedPrecisionObjective(make, tuple(int(n) for n in sizes), schedule)


def mixed_precision_descent(
    objective: MixedPrecisionObjective, x0: Any, **descent: Any
) -> DescentResult:
    """``gradient_descent(objective, x0, dtype="float32", **descent)`` after
    ``objective.reset()``: the float32 master weights start at ``x0`` rounded to float32 and
    the loss scale at its ``init_scale``. ``descent`` takes every other keyword of
    ``gradient_descent`` (step, eta, rules, run_past_stop, progress, ...)."""
    if not isinstance(objective, MixedPrecisionObjective):
        raise ValueError(
            f"objective must come from mixed_precision_objective; got {type(objective)}"
        )
    if "dtype" in descent:
        raise ValueError("dtype is float32 (the master weights) and cannot be chosen")
    objective.reset()
    return gradient_descent(objective, x0, dtype=MASTER_DTYPE, **descent)


# ----------------------------------------------------------------------------- what rescues what


@dataclass(frozen=True)
class PrecisionBreakdown:
    """At one point, per layer (first to output; each layer's W and b entries together):

    - ``zero_share_float16``: share of gradient entries exactly 0 in plain float16 (S = 1);
    - ``zero_share_scaled``: the same with the loss scale S (part (a));
    - ``flushed_by_rounding``: entries whose scaled-and-unscaled float32 gradient is nonzero but
      rounds to 0 in float16 (what descending on float16 weights does to it first);
    - ``lost_float16``: entries with a nonzero scaled gradient g whose step ``eta * g`` leaves
      the float16 weight unchanged (computed as the float16 descent does: g, eta and the product
      rounded to float16, the difference rounded), flushed entries included (part (b));
    - ``lost_float32``: the same step lost on the float32 master weight;
    - ``nonzero_scaled``: entries with a nonzero scaled gradient, the base of the two counts;
    - ``overflow``: the scaled gradient is not finite (counts are then taken as they come);
    - ``backprop_zeros_float16`` and ``backprop_zeros_scaled``: per layer, the share of the
      per-sample back-propagated entries dF/dz that are exactly 0 (``mlp_objective``'s figure
      ``"backprop_zeros"``), in plain float16 and in the scaled evaluation; the last entry is
      the share of samples whose output error is exactly 0 (part (d) rescues those).

    The scaled evaluation computes the loss in ``loss_dtype`` (part (d)); the plain one in
    float16.
    """

    loss_scale: float
    eta: float
    zero_share_float16: np.ndarray
    zero_share_scaled: np.ndarray
    flushed_by_rounding: np.ndarray
    lost_float16: np.ndarray
    lost_float32: np.ndarray
    nonzero_scaled: np.ndarray
    overflow: bool
    loss_dtype: str
    backprop_zeros_float16: np.ndarray
    backprop_zeros_scaled: np.ndarray


def precision_breakdown(
    sizes: Sequence[int],
    X: Any,
    y: Any,
    activation: str = "sigmoid",
    loss: str = "mse",
    *,
    flat: Any,
    eta: float,
    loss_scale: float,
    loss_dtype: str | None = None,
) -> PrecisionBreakdown:
    """What each part of mixed precision rescues at the master weights ``flat`` (module
    docstring): two float16 evaluations, plain (S = 1, the loss in float16) and mixed
    (S = ``loss_scale``, the loss in ``loss_dtype``, default float16), and the step
    ``eta * g`` applied to the float16 copy and to the float32 master weights."""
    eta = check_real(eta, "eta", low=0.0, low_open=True)
    master = as_finite_array(flat, "flat", ndim=1, dtype=MASTER_DTYPE)
    slices = _layer_slices(tuple(int(n) for n in sizes))

    def gradient(scale: float, wide: str | None) -> tuple[np.ndarray, np.ndarray]:
        objective = mlp_objective(
            sizes,
            X,
            y,
            activation,
            loss,
            dtype="float16",
            loss_scale=scale,
            figures=("backprop_zeros",),
            loss_dtype=wide,
        )
        _, grad, extras = objective(master)
        return grad, np.asarray(extras["backprop_zeros"])

    (plain, plain_zeros), (scaled, scaled_zeros) = (
        gradient(1.0, None),
        gradient(loss_scale, loss_dtype),
    )
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        half_weights = master.astype(np.float16)
        half_grad = scaled.astype(np.float16)
        t16 = np.float16(eta)
        moved16 = half_weights - t16 * half_grad
        t32 = np.float32(eta)
        moved32 = master - t32 * scaled
    nonzero = scaled != 0

    def per_layer(mask: np.ndarray) -> np.ndarray:
        return np.array([np.count_nonzero(mask[part]) for part in slices])

    def share(mask: np.ndarray) -> np.ndarray:
        return cast(
            np.ndarray, per_layer(mask) / np.array([part.stop - part.start for part in slices])
        )

    return PrecisionBreakdown(
        loss_scale=float(loss_scale),
        eta=eta,
        zero_share_float16=share(plain == 0),
        zero_share_scaled=share(scaled == 0),
        flushed_by_rounding=per_layer(nonzero & (half_grad == 0)),
        lost_float16=per_layer(nonzero & (moved16 == half_weights)),
        lost_float32=per_layer(nonzero & (moved32 == master)),
        nonzero_scaled=per_layer(nonzero),
        overflow=not _finite(scaled),
        loss_dtype="float16" if loss_dtype is None else np.dtype(loss_dtype).name,
        backprop_zeros_float16=plain_zeros,
        backprop_zeros_scaled=scaled_zeros,
    )


__all__ = [
    "DEFAULT_BACKOFF_FACTOR",
    "DEFAULT_GROWTH_FACTOR",
    "DEFAULT_GROWTH_INTERVAL",
    "DEFAULT_INIT_SCALE",
    "DEFAULT_MAX_SCALE",
    "DEFAULT_MIN_SCALE",
    "LossScaler",
    "MixedPrecisionObjective",
    "PrecisionBreakdown",
    "ScaleSchedule",
    "mixed_precision_descent",
    "mixed_precision_objective",
    "precision_breakdown",
]
