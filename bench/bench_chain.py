"""Speed of ``vgcore.chain.chain_report`` on a 10,000-layer sigmoid chain (all three dtypes plus
the log domain) against a bare Python float loop that computes only the forward sigmoid values
of the same chain, measured in the same run.

Targets: chain_report under 50 ms and within 8x of the bare loop. Figures are medians over
repeats, the two timed in alternation so that they share the machine's noise; the first
(cold) call is reported separately, since it also builds the float16 look-up tables once per
process. Per-part times come from the module's private steps, run as chain_report runs them.

Run: ``python -m bench.bench_chain``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import numpy as np

from vgcore import chain
from vgcore.activations import get_activation

DEPTH = 10_000
REPEATS = 41
TARGET_MS = 50.0
TARGET_RATIO = 8.0


def bare_loop(weights: list[float]) -> float:
    o = weights[0]
    for wi in weights[1:]:
        o = 1 / (1 + math.exp(-wi * o))
    return o


def seconds(f: Callable[[], object]) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def median_ms(f: Callable[[], object], repeats: int = REPEATS) -> float:
    return 1e3 * statistics.median(seconds(f) for _ in range(repeats))


def parts(w: np.ndarray) -> dict[str, float]:
    """Median time of each step of chain_report, each fed as chain_report feeds it."""
    act = get_activation("sigmoid")
    float64 = chain.dtype_pass(w, act, np.dtype("float64"))
    float32 = chain.dtype_pass(w, act, np.dtype("float32"), float64.outputs)
    float16 = chain.dtype_pass(w, act, np.dtype("float16"), float32.outputs)
    return {
        "float64 pass (Python guess + checks)": median_ms(
            lambda: chain.dtype_pass(w, act, np.dtype("float64"))
        ),
        "  of which the Python guess loop": median_ms(lambda: chain.python_forward(w, "sigmoid")),
        "float32 pass": median_ms(
            lambda: chain.dtype_pass(w, act, np.dtype("float32"), float64.outputs)
        ),
        "float16 pass": median_ms(
            lambda: chain.dtype_pass(w, act, np.dtype("float16"), float32.outputs)
        ),
        "log domain": median_ms(lambda: chain.log_pass(w, act, float64)),
        "underflow depth float64": median_ms(lambda: chain.search_underflow_depth(float64)),
        "underflow depth float32": median_ms(lambda: chain.search_underflow_depth(float32)),
        "underflow depth float16": median_ms(lambda: chain.search_underflow_depth(float16)),
    }


def main() -> None:
    cases = {
        "constant w = 1": chain.make_weights(DEPTH, "constant", w=1.0),
        "normal(0, 1), seed 0": chain.make_weights(DEPTH, "normal", mean=0.0, spread=1.0, seed=0),
    }
    cold = seconds(lambda: chain.chain_report(cases["constant w = 1"]))
    print(f"sigmoid chain, depth {DEPTH:,}; medians of {REPEATS} alternated repeats")
    print(f"first call in this process (builds the float16 tables): {1e3 * cold:.2f} ms\n")
    for label, w in cases.items():
        as_list = w.tolist()
        bare, report = [], []
        for _ in range(REPEATS):
            bare.append(seconds(lambda: bare_loop(as_list)))  # noqa: B023
            report.append(seconds(lambda: chain.chain_report(w)))  # noqa: B023
        bare_ms, report_ms = 1e3 * statistics.median(bare), 1e3 * statistics.median(report)
        ratio = report_ms / bare_ms
        result = chain.chain_report(w)
        print(f"== {label}")
        print(f"  bare Python forward loop      {bare_ms:8.3f} ms")
        print(f"  chain_report                  {report_ms:8.3f} ms")
        print(
            f"  ratio                         {ratio:8.2f}x  "
            f"(target < {TARGET_RATIO:g}x: {'met' if ratio < TARGET_RATIO else 'MISSED'}; "
            f"< {TARGET_MS:g} ms: {'met' if report_ms < TARGET_MS else 'MISSED'})"
        )
        print(f"  underflow depths              {result.underflow_depths}")
        for part, ms in parts(w).items():
            print(f"  {part:<36}{ms:8.3f} ms")
        print()


if __name__ == "__main__":
    main()
