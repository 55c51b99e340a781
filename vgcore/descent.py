# Over 450 lines: one loop whose state its update, norms and trace share.
"""Gradient descent ``x_{k+1} = x_k - t_k g_k`` held in float16, float32 or float64, with the
stopping rules of ``vgcore.stopping`` and a full trace (MATH.md B, C, D.1-D.2).

One loop serves scalars, vectors and flattened network parameters. The iterate lives in the
working dtype and the update is computed there (``t`` and ``g`` are cast to it first), so an
update below half an ulp of x is lost exactly as that precision loses it. Reported norms are
2-norms computed in float64 from those values, with rescaling so that tiny gradients do not
underflow to 0. The objective is assumed deterministic: when an update leaves x unchanged,
F(x) and g are reused instead of being evaluated again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

import numpy as np

from vgcore._half import round_half
from vgcore._norm import norm2
from vgcore.precision import as_float_dtype
from vgcore.stopping import StoppingRules, held_rules, reason_for
from vgcore.validate import as_finite_array, check_choice, check_int, check_real

Objective = Callable[
    [np.ndarray],
    tuple[float, np.ndarray] | tuple[float, np.ndarray, dict[str, np.ndarray | float]],
]

STEP_RULES: tuple[str, ...] = ("constant", "armijo")
ARMIJO_STARTS: tuple[str, ...] = ("eta", "previous")
"""Where each Armijo search starts: at eta, or at the last step taken times 1/shrink."""
ETA_MAX = 1e6
TRACE_LIMIT = 20_000_000
"""Largest number of float entries preallocated for ``path`` or for all ``extras`` together."""


@dataclass(frozen=True)
class DescentResult:
    """Trace of one descent run; k = 0..n with n = number of steps taken."""

    x: np.ndarray
    """Final iterate x_n, in the working dtype and the shape of x0."""
    loss: np.ndarray
    """F(x_k), k = 0..n, as float64."""
    grad_norm: np.ndarray
    """||g_k||_2, k = 0..n."""
    step_norm: np.ndarray
    """||x_{k+1} - x_k||_2 as applied in the working dtype, k = 0..n-1."""
    step_size: np.ndarray
    """t_k (eta, or the accepted Armijo step, 0 when none was accepted), k = 0..n-1."""
    param_norm: np.ndarray
    """||x_k||_2, k = 0..n."""
    path: np.ndarray | None
    """Rows x_k, k = 0..n, in the working dtype; only with ``record_path=True``."""
    extras: dict[str, np.ndarray]
    """The objective's third return value, stacked over k = 0..n (float64)."""
    stopped_by: str
    """The rule that stopped the loop: a name from ``RULE_NAMES`` or ``"all"``."""
    stop_iter: int
    """The k at which the loop stopped (would have stopped, with ``run_past_stop``). For
    ``"non_finite"`` it is the first k whose values were not finite; the trace ends at k - 1."""
    first_fired: dict[str, int | None]
    """For each enabled rule, ``max_iter`` and ``non_finite``: the first k at which it held."""
    dtype: str
    n_evaluations: int
    """Number of objective calls (Armijo trials included)."""
    x_stop: np.ndarray
    """The iterate where the rules stopped the loop, x_j with j = min(stop_iter, n): equal to
    ``x`` unless ``run_past_stop`` went on past the stop; for ``"non_finite"`` the last finite
    iterate."""

    @property
    def n_steps(self) -> int:
        """Number of steps n recorded in the trace."""
        return int(self.step_size.size)


@dataclass(frozen=True, slots=True)
class DescentStep:
    """What ``observer`` sees of iterate k, right after it is recorded and the rules checked.

    Valid during the call only: ``x`` is the loop's own (read-only) iterate, ``first_fired`` a
    live read-only view, ``extras`` the objective's return value. Raising from the observer
    abandons the run (the exception propagates out of ``gradient_descent``)."""

    k: int
    loss: float
    grad_norm: float
    param_norm: float
    step_norm: float | None
    """||x_k - x_{k-1}|| (None at k = 0)."""
    step_size: float
    """t_{k-1} (0.0 at k = 0)."""
    extras: Mapping[str, Any] | None
    x: np.ndarray
    stopped_by: str | None
    """The stop reason once the rules have stopped the run (at ``stop_iter``), else None."""
    stop_iter: int
    first_fired: Mapping[str, int | None]


def gradient_descent(
    objective: Objective,
    x0: Any,
    *,
    step: str = "constant",
    eta: float = 0.1,
    rules: StoppingRules | None = None,
    dtype: Any = "float64",
    armijo_c1: float = 1e-4,
    armijo_shrink: float = 0.5,
    armijo_max_halvings: int = 60,
    armijo_start: str = "eta",
    record_path: bool = False,
    run_past_stop: bool = False,
    progress: Callable[[int, int], None] | None = None,
    observer: Callable[[DescentStep], None] | None = None,
) -> DescentResult:
    """Minimise F by ``x_{k+1} = x_k - t_k grad F(x_k)`` until a stopping rule fires.

    ``step="constant"``: t_k = eta. ``step="armijo"``: t = eta, eta*s, eta*s^2, ... (s =
    ``armijo_shrink``, at most ``armijo_max_halvings`` reductions) until
    ``F(x - t g) <= F(x) - c1 t ||g||^2``; when none passes, t = 0 (no step).
    ``armijo_start="previous"`` starts each search from ``min(eta, t_prev / s)`` instead, t_prev
    the last step taken (eta at the first step and after a step of 0): about two evaluations
    per step where t settles far below eta, instead of one per halving. A non-finite loss,
    gradient or iterate stops the loop with ``"non_finite"``; the trace keeps only finite values.
    ``run_past_stop`` keeps iterating to ``max_iter`` to record ``first_fired`` for every rule.
    ``progress(k, max_iter)`` is called about every 1% of ``max_iter`` and once at the end.
    ``observer(DescentStep)`` is called at every recorded iterate (it may block, e.g. to pause
    the run, or raise to abandon it); it changes nothing in the arithmetic."""
    if not callable(objective):
        raise ValueError(f"objective must be callable; got {objective!r}")
    step = check_choice(step, STEP_RULES, "step")
    eta = check_real(eta, "eta", low=0.0, high=ETA_MAX, low_open=True)
    if rules is None:
        rules = StoppingRules()
    if not isinstance(rules, StoppingRules):
        raise ValueError(f"rules must be a StoppingRules; got {rules!r}")
    work = as_float_dtype(dtype)
    if eta > float(np.finfo(work).max):
        raise ValueError(f"eta must be at most {float(np.finfo(work).max):g} in {work.name}")
    armijo_c1 = check_real(armijo_c1, "armijo_c1", low=0.0, high=1.0, low_open=True, high_open=True)
    armijo_shrink = check_real(
        armijo_shrink, "armijo_shrink", low=0.0, high=1.0, low_open=True, high_open=True
    )
    armijo_max_halvings = check_int(armijo_max_halvings, "armijo_max_halvings", low=0, high=10_000)
    warm = check_choice(armijo_start, ARMIJO_STARTS, "armijo_start") == "previous"
    for flag, name in ((record_path, "record_path"), (run_past_stop, "run_past_stop")):
        if not isinstance(flag, bool):
            raise ValueError(f"{name} must be True or False; got {flag!r}")
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be callable or None; got {progress!r}")
    if observer is not None and not callable(observer):
        raise ValueError(f"observer must be callable or None; got {observer!r}")
    x0_64 = as_finite_array(x0, "x0")
    if x0_64.ndim > 1:
        raise ValueError(f"x0 must be a scalar or a 1-dimensional array; got shape {x0_64.shape}")
    shape = x0_64.shape
    with np.errstate(over="ignore"):  # overflow checked right below
        x = x0_64.reshape(-1).astype(work)
    if not np.all(np.isfinite(x)):
        limit = float(np.finfo(work).max)
        raise ValueError(f"x0 must be representable in {work.name}: |x0| <= {limit:g}")
    max_iter = rules.max_iter
    if record_path and (max_iter + 1) * x.size > TRACE_LIMIT:
        raise ValueError(
            f"record_path needs (max_iter + 1) * x0.size <= {TRACE_LIMIT}; "
            f"got {(max_iter + 1) * x.size}"
        )
    return _Loop(
        objective,
        x,
        shape,
        work,
        step,
        eta,
        rules,
        armijo_c1,
        armijo_shrink,
        armijo_max_halvings,
        record_path,
        run_past_stop,
        progress,
        observer,
        warm,
    ).run()


class _Loop:
    """The descent loop's state; one instance per call of ``gradient_descent``."""

    def __init__(
        self,
        objective: Objective,
        x: np.ndarray,
        shape: tuple[int, ...],
        work: np.dtype,
        step: str,
        eta: float,
        rules: StoppingRules,
        c1: float,
        shrink: float,
        max_halvings: int,
        record_path: bool,
        run_past_stop: bool,
        progress: Callable[[int, int], None] | None,
        observer: Callable[[DescentStep], None] | None = None,
        warm: bool = False,
    ) -> None:
        self.objective = objective
        self.warm, self.t_prev = warm, 0.0
        self.observer = observer
        self.shape = shape
        self.work = work
        self.armijo = step == "armijo"
        self.eta = eta
        self.rules = rules
        self.c1, self.shrink, self.max_halvings = c1, shrink, max_halvings
        self.run_past_stop = run_past_stop
        self.progress = progress
        self.n_eval = 0
        x.flags.writeable = False  # the objective sees our iterate; it must not change it
        self.x0 = x
        m = rules.max_iter
        self.loss = np.empty(m + 1)
        self.grad_norm = np.empty(m + 1)
        self.param_norm = np.empty(m + 1)
        self.step_norm = np.empty(m)
        self.step_size = np.empty(m)
        self.path = np.empty((m + 1, x.size), dtype=work) if record_path else None
        self.extras: dict[str, np.ndarray] | None = None
        self.x_stop: np.ndarray | None = None
        self.is64 = work == np.float64
        # Scratch buffers reused every step (t*g and x_{k+1} - x_k); x_{k+1} itself is new.
        self.tg = np.empty(x.size, dtype=work)
        self.diff = np.empty(x.size)

    def _arg(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(self.shape) if len(self.shape) != 1 else x

    def _call(self, x: np.ndarray) -> tuple[float, np.ndarray, Mapping[str, Any] | None]:
        out = self.objective(self._arg(x))
        self.n_eval += 1
        if self.n_eval == 1:
            _check_output(out, x.size)
        grad = np.asarray(out[1], dtype=np.float64).reshape(-1)
        if grad.size != x.size:
            raise ValueError(f"objective returned a gradient of size {grad.size}; x has {x.size}")
        return float(out[0]), grad, (out[2] if len(out) == 3 else None)

    def _store_extras(self, k: int, extras: Mapping[str, Any] | None) -> None:
        if k == 0:
            if extras is None:
                return
            _check_extras(extras)
            m = self.rules.max_iter + 1
            total = m * sum(np.size(value) for value in extras.values())
            if total > TRACE_LIMIT:
                raise ValueError(
                    f"objective extras need {total} entries over max_iter + 1 steps; "
                    f"the limit is {TRACE_LIMIT}"
                )
            self.extras = {key: np.empty((m, *np.shape(value))) for key, value in extras.items()}
        if self.extras is None:
            return
        if extras is None or extras.keys() != self.extras.keys():
            raise ValueError(f"objective extras must keep the keys {sorted(self.extras)}")
        for key, value in extras.items():
            self.extras[key][k] = value

    def run(self) -> DescentResult:
        rules, work = self.rules, self.work
        max_iter = rules.max_iter
        enabled = rules.enabled
        first_fired: dict[str, int | None] = dict.fromkeys((*enabled, "max_iter", "non_finite"))
        fired = MappingProxyType(first_fired)  # what an observer sees
        stopped_by: str | None = None
        stop_iter = 0
        every = max(1, -(-max_iter // 100))
        reported = 0

        x = x_prev = self.x0
        x64 = x if self.is64 else x.astype(np.float64)
        grad_norm0 = 0.0
        with np.errstate(all="ignore"):
            param_norm = norm2(x64)
        loss, g64, extras = self._call(x)
        k = 0
        loss_prev: float | None = None
        step_norm: float | None = None
        t = 0.0
        t_work = work.type(self.eta)
        t_float = float(t_work)
        while True:
            # One errstate block per step around our own arithmetic (entering one costs about
            # as much as the rest of a 2-D step); overflow and NaN become "non_finite".
            with np.errstate(all="ignore"):
                grad_norm = norm2(g64)
                if not (math.isfinite(loss) and math.isfinite(grad_norm)):
                    first_fired["non_finite"] = k
                    if stopped_by is None:
                        stopped_by, stop_iter = "non_finite", k
                    x, k = x_prev, k - 1  # the trace (and x) end at the last finite values
                    break
                if k == 0:
                    grad_norm0 = grad_norm
                self._record(k, loss, grad_norm, param_norm, step_norm, t, x, extras)

                held = held_rules(rules, k, grad_norm, grad_norm0, step_norm, loss_prev, loss)
                if held:
                    for name in held:
                        if first_fired[name] is None:
                            first_fired[name] = k
                    if stopped_by is None:
                        stopped_by = reason_for(rules, enabled, held)  # None: not all rules yet
                        stop_iter = k
                        if stopped_by is not None:
                            self.x_stop = x  # iterates are never written to: no copy needed
                if self.observer is not None:
                    seen = (k, loss, grad_norm, param_norm, step_norm, t, extras, x)
                    self.observer(DescentStep(*seen, stopped_by, stop_iter, fired))
                if k == max_iter or (stopped_by is not None and not self.run_past_stop):
                    break

                moved = step_norm != 0.0
                if not moved:
                    # x did not move: the same x, g and t give the same (lost) update again.
                    x_new, x_new64 = x, x64
                elif not self.armijo:
                    x_new = self._update(x, g64, t_work)
                    x_new64, step_norm, param_norm = self._norms(x_new, x64)
                    t = t_float
            if moved and self.armijo:
                x_new, t, trial = self._armijo(x, g64, loss, grad_norm)
                with np.errstate(all="ignore"):
                    x_new64, step_norm, param_norm = self._norms(x_new, x64)
            assert step_norm is not None  # set by the step just taken (or kept from the last)
            if not (math.isfinite(step_norm) and math.isfinite(param_norm)):
                first_fired["non_finite"] = k + 1
                if stopped_by is None:
                    stopped_by, stop_iter = "non_finite", k + 1
                break
            loss_prev = loss
            if step_norm != 0.0:
                x_new.flags.writeable = False
                if self.armijo:
                    loss, g64, extras = trial
                else:
                    loss, g64, extras = self._call(x_new)
            x_prev, x, x64 = x, x_new, x_new64
            k += 1
            if self.progress is not None and k % every == 0:
                self.progress(k, max_iter)
                reported = k

        if self.progress is not None and reported != max(k, 0):
            self.progress(max(k, 0), max_iter)
        return self._result(x, k, stopped_by, stop_iter, first_fired)

    def _record(
        self,
        k: int,
        loss: float,
        grad_norm: float,
        param_norm: float,
        step_norm: float | None,
        t: float,
        x: np.ndarray,
        extras: Mapping[str, Any] | None,
    ) -> None:
        self.loss[k] = loss
        self.grad_norm[k] = grad_norm
        self.param_norm[k] = param_norm
        if k > 0:
            self.step_norm[k - 1] = step_norm
            self.step_size[k - 1] = t
        if self.path is not None:
            self.path[k] = x
        if extras is not None or self.extras is not None or k == 0:
            self._store_extras(k, extras)

    def _update(self, x: np.ndarray, g64: np.ndarray, t_work: np.floating) -> np.ndarray:
        """``x - t g`` in the working dtype: g rounded to it, the product rounded, the
        difference rounded (inside the caller's errstate)."""
        if self.work != np.float16:
            return cast(
                np.ndarray, x - np.multiply(g64.astype(self.work, copy=False), t_work, out=self.tg)
            )
        # numpy's float16 loops convert every element to float32 and back, slowly; the same
        # roundings done on float32 arrays (round_half) give the same numbers, several times
        # faster. A float32 copy of g is exact when g came from float32 (as MLP gradients do);
        # otherwise g is rounded to float16 directly, to keep a single rounding.
        g = g64.astype(np.float32)
        if np.array_equal(g, g64):
            round_half(g)
        else:
            g = g64.astype(np.float16).astype(np.float32)
        g *= np.float32(t_work)  # two float16 numbers: the float32 product is exact
        step = np.subtract(x, round_half(g), dtype=np.float32)
        return round_half(step).astype(np.float16)

    def _norms(self, x_new: np.ndarray, x64: np.ndarray) -> tuple[np.ndarray, float, float]:
        """x_new in float64, ||x_new - x|| and ||x_new|| (inside the caller's errstate)."""
        x_new64 = x_new if self.is64 else x_new.astype(np.float64)
        step_norm = norm2(np.subtract(x_new64, x64, out=self.diff))
        return x_new64, step_norm, norm2(x_new64)

    def _armijo(
        self, x: np.ndarray, g64: np.ndarray, loss: float, grad_norm: float
    ) -> tuple[np.ndarray, float, tuple[float, np.ndarray, Mapping[str, Any] | None]]:
        """Backtracking: the first t = eta * shrink^j with F(x - t g) <= F(x) - c1 t ||g||^2."""
        with np.errstate(all="ignore"):  # a float16 overflow gives inf: that trial is refused
            g_work = g64.astype(self.work)  # a copy: the objective may reuse its gradient buffer
        t = min(self.eta, self.t_prev / self.shrink) if self.warm and self.t_prev else self.eta
        for _ in range(self.max_halvings + 1):
            t_work = self.work.type(t)
            with np.errstate(all="ignore"):
                x_try = x - t_work * g_work
                finite = bool(np.isfinite(x_try).all())
            if finite:
                x_try.flags.writeable = False
                trial = self._call(x_try)
                # Same expression as documented (and checked from the trace by the tests).
                if trial[0] <= loss - self.c1 * float(t_work) * grad_norm * grad_norm:
                    self.t_prev = float(t_work)
                    return x_try, float(t_work), trial
            t *= self.shrink
        self.t_prev = 0.0
        return x, 0.0, (loss, g64, None)

    def _result(
        self,
        x: np.ndarray,
        n: int,
        stopped_by: str | None,
        stop_iter: int,
        first_fired: dict[str, int | None],
    ) -> DescentResult:
        assert stopped_by is not None  # the loop only ends through a rule
        size = n + 1
        extras = {key: value[:size].copy() for key, value in (self.extras or {}).items()}
        path = None if self.path is None else self.path[:size].reshape(size, *self.shape).copy()
        return DescentResult(
            x=np.array(x, dtype=self.work).reshape(self.shape),
            loss=self.loss[:size].copy(),
            grad_norm=self.grad_norm[:size].copy(),
            step_norm=self.step_norm[: max(n, 0)].copy(),
            step_size=self.step_size[: max(n, 0)].copy(),
            param_norm=self.param_norm[:size].copy(),
            path=path,
            extras=extras,
            stopped_by=stopped_by,
            stop_iter=stop_iter,
            first_fired=first_fired,
            dtype=self.work.name,
            n_evaluations=self.n_eval,
            x_stop=np.array(x if self.x_stop is None else self.x_stop).reshape(self.shape),
        )


def _check_output(out: Any, size: int) -> None:
    """The first objective call: (loss, grad) or (loss, grad, extras) with real values."""
    if not isinstance(out, tuple) or len(out) not in (2, 3):
        raise ValueError("objective must return (loss, grad) or (loss, grad, extras)")
    loss, grad = out[0], out[1]
    if np.ndim(loss) != 0 or np.asarray(loss).dtype.kind not in "fiu":
        raise ValueError(f"objective must return a real scalar loss; got {loss!r}")
    if np.asarray(grad).dtype.kind not in "fiu":
        raise ValueError("objective must return a real gradient array")
    if np.size(grad) != size:
        raise ValueError(f"objective returned a gradient of size {np.size(grad)}; x has {size}")
    if len(out) == 3 and not isinstance(out[2], Mapping):
        raise ValueError("objective's third return value (extras) must be a dict")


def _check_extras(extras: Mapping[str, Any]) -> None:
    for key, value in extras.items():
        if not isinstance(key, str) or np.asarray(value).dtype.kind not in "fiu":
            raise ValueError(f"objective extras must map names to real arrays; got {key!r}")


def quadratic(diag: Any) -> Objective:
    """F(x) = 1/2 sum_i d_i x_i^2 with gradient d * x, computed in float64 (d_i finite; x of
    d's size, any float dtype). A loss beyond the float64 range is returned as inf."""
    d = as_finite_array(diag, "diag", ndim=1)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        x64 = np.asarray(x, dtype=np.float64).reshape(-1)
        if x64.size != d.size:
            raise ValueError(f"x must have {d.size} element(s) like diag; got {x64.size}")
        grad = d * x64
        with np.errstate(over="ignore"):  # inf is the honest value; descent stops on it
            loss = 0.5 * float(np.dot(grad, x64))
        return loss, grad

    return objective


def descent_rate_bound(loss0: float, loss_inf: float, lipschitz: float, k: Any) -> np.ndarray:
    """MATH.md C: sqrt(2 L (F(p_0) - F_inf) / (k + 1)), the bound on min_{i<=k} ||grad F(p_i)||
    for eta = 1/L (same units as the gradient)."""
    loss0 = check_real(loss0, "loss0")
    loss_inf = check_real(loss_inf, "loss_inf", high=loss0)
    lipschitz = check_real(lipschitz, "lipschitz", low=0.0, low_open=True)
    ks = as_finite_array(k, "k", min_size=0)
    if ks.ndim > 1 or np.any(ks < 0):
        raise ValueError("k must be a scalar or 1-dimensional array of numbers >= 0")
    # sqrt(2 L) * sqrt(gap) instead of sqrt(2 L gap): the product alone could overflow.
    scale = math.sqrt(2.0 * lipschitz) * math.sqrt(loss0 - loss_inf)
    return scale / np.sqrt(ks + 1.0)


@dataclass(frozen=True)
class Cycle:
    """The iterates repeat: x_{start + period} == x_start exactly (every coordinate equal)."""

    start: int
    period: int


def find_cycle(path: Any) -> Cycle | None:
    """The first exact repeat in a recorded path (rows x_0, x_1, ...): the smallest k such that
    x_k equals an earlier x_j, as ``Cycle(j, k - j)``; None when no row repeats.

    For a deterministic map x -> x - t(x) grad F(x) (a constant step, or Armijo backtracking,
    which starts from the same trial step at every iterate), a repeat means the iterates cycle
    through the same ``period`` points forever. Rows are compared by value (0.0 == -0.0), through
    a dictionary of their bytes: one pass."""
    rows = np.asarray(path)
    if rows.ndim != 2 or rows.dtype.kind != "f":
        raise ValueError(f"path must be a 2-dimensional float array; got shape {rows.shape}")
    seen: dict[bytes, int] = {}
    for k, row in enumerate(rows + rows.dtype.type(0.0)):  # + 0.0 turns -0.0 into 0.0
        key = row.tobytes()
        if key in seen:
            return Cycle(seen[key], k - seen[key])
        seen[key] = k
    return None


def running_min(values: Any) -> np.ndarray:
    """m_k = min_{i<=k} a_i of a finite 1-D array (e.g. the gradient norms of a run)."""
    a = as_finite_array(values, "values", ndim=1, min_size=0)
    return np.minimum.accumulate(a)


__all__ = [
    "ETA_MAX",
    "STEP_RULES",
    "Cycle",
    "DescentResult",
    "DescentStep",
    "Objective",
    "descent_rate_bound",
    "find_cycle",
    "gradient_descent",
    "quadratic",
    "running_min",
]
