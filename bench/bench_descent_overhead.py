"""Overhead of ``vgcore.descent.gradient_descent`` next to a bare numpy loop.

Objective: F(x) = 1/2 sum x_i^2 (``vgcore.descent.quadratic``), constant step, float64, no
threshold rule (the run always goes to max_iter). Baseline, measured in the same run: a plain
Python loop ``x -= eta * g; F, g = objective(x)`` with the same objective and step count. The
descent loop additionally computes three 2-norms per step (gradient, step, iterate), the
applied change x_{k+1} - x_k, the stopping rules and the trace. Figures are medians of
interleaved repeats (this machine is noisy).

Run: ``python -m bench.bench_descent_overhead``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from vgcore.descent import gradient_descent, quadratic
from vgcore.stopping import StoppingRules

CASES = ((2, 5000), (1_000, 2000), (100_000, 300))  # (dimension, steps per run)
REPEATS = 9
ETA = 1e-6  # small enough that no update is lost and x stays near 1


def bare_loop(objective, x0: np.ndarray, steps: int) -> float:
    """The baseline: the same updates with nothing recorded."""
    x = x0.copy()
    loss, grad = objective(x)
    for _ in range(steps):
        x -= ETA * grad
        loss, grad = objective(x)
    return loss


def per_step_us(function, *args, steps: int, **kwargs) -> float:
    """Wall time of one call ``function(*args, **kwargs)`` divided by its number of steps."""
    start = time.perf_counter()
    function(*args, **kwargs)
    return (time.perf_counter() - start) / steps * 1e6


def main() -> None:
    print(f"gradient_descent vs bare numpy loop, F = |x|^2/2, float64, medians of {REPEATS}")
    print(f"{'dim':>8} {'steps':>6} {'descent µs/step':>16} {'bare µs/step':>13} "
          f"{'overhead µs':>12} {'ratio':>6}")  # fmt: skip
    for dim, steps in CASES:
        objective = quadratic(np.ones(dim))
        x0 = np.ones(dim)
        rules = StoppingRules(stagnation=False, max_iter=steps)
        result = gradient_descent(objective, x0, eta=ETA, rules=rules)
        check = bare_loop(objective, x0, steps)
        assert result.n_steps == steps and np.isclose(result.loss[-1], check, rtol=1e-12)
        ours, bare = [], []
        for _ in range(REPEATS):  # interleaved so both see the same noise
            ours.append(
                per_step_us(gradient_descent, objective, x0, eta=ETA, rules=rules, steps=steps)
            )
            bare.append(per_step_us(bare_loop, objective, x0, steps, steps=steps))
        mine, base = statistics.median(ours), statistics.median(bare)
        print(f"{dim:>8} {steps:>6} {mine:>16.1f} {base:>13.1f} {mine - base:>12.1f} "
              f"{mine / base:>6.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
