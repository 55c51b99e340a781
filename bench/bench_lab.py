"""Speed of the training lab (issue #5): the default view and the longest allowed run.

Targets (issue #5): the default run (6 hidden layers of 32, 2,000 steps, 256 samples) in under
1 s; the longest (20 hidden layers of 128, 5,000 steps) in under 60 s, with a progress bar. The
lab view trains TWO networks (yours and the comparison) and builds the charts; the figures below
give the whole view and your run alone.

Baseline, measured in the same run: the same number of bare ``mlp_objective`` calls (forward and
backward pass at fixed weights; no descent loop, no trace, no charts), so the ratio is the price
of everything around the core's network arithmetic. Figures are medians of interleaved repeats.
The longest network is timed at 500 steps and extrapolated (every run goes to its budget, so the
cost is linear in the steps), then measured once at 5,000 steps (minutes on a busy machine;
``--quick`` skips that). float16: one call of the longest network, extrapolated (numpy has no
BLAS kernel for float16 matrix products).

Threads: on a busy 2-core machine OpenBLAS's second thread is often descheduled and every
matrix product waits for it (measured: one 20 x 128 objective call 7.5 ms with one thread, 182 ms
with two, under a load average of 6); compare ``OPENBLAS_NUM_THREADS=1 python -m
bench.bench_lab``.

Run from the repository root: ``python -m bench.bench_lab``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from vgapp.lab import (
    LAB_CONTROLS,
    lab_data,
    lab_view,
    remedy_spec,
    run_objective,
    spec_from_controls,
    train,
)
from vgcore.mlp import flatten_params, init_mlp

DEFAULTS = {control.key: control.default for control in LAB_CONTROLS}
LONGEST = {**DEFAULTS, "lab_depth": 20, "lab_width": 128, "lab_steps": 5000}
REPEATS = 5
SHORT_STEPS = 500
SHORT_REPEATS = 3


def seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def bare_calls(values: dict, evaluations: tuple[int, int]) -> Callable[[], None]:
    """The baseline: as many objective calls as each run made, at the initial weights."""
    spec = spec_from_controls(values)
    data = lab_data(values["lab_dataset"], values["lab_seed"])
    pairs = []
    for run_spec, count in zip(
        (spec, remedy_spec(spec, values["lab_remedy"])), evaluations, strict=True
    ):
        sizes = run_spec.sizes(data.X.shape[1])
        x = flatten_params(init_mlp(sizes, run_spec.init, 0, dtype=run_spec.dtype))
        pairs.append((run_objective(run_spec, data), x, count))

    def call() -> None:
        for objective, x, count in pairs:
            for _ in range(count):
                objective(x)

    return call


def per_call_seconds(values: dict, index: int, calls: int = 10) -> float:
    """Median time of one bare objective call of run ``index`` (0: yours, 1: the remedy)."""
    spec = spec_from_controls(values)
    if index == 1:
        spec = remedy_spec(spec, values["lab_remedy"])
    data = lab_data(values["lab_dataset"], values["lab_seed"])
    objective = run_objective(spec, data)
    x = flatten_params(init_mlp(spec.sizes(data.X.shape[1]), spec.init, 0, dtype=spec.dtype))
    objective(x)
    return statistics.median(
        seconds(lambda: [objective(x) for _ in range(calls)]) / calls for _ in range(REPEATS)
    )


def evaluations(view) -> tuple[int, int]:
    comparison = 0 if view.same_run else view.comparison.run.result.n_evaluations
    return view.main.run.result.n_evaluations, comparison


def default_case() -> None:
    data = lab_data(DEFAULTS["lab_dataset"], DEFAULTS["lab_seed"])
    spec = spec_from_controls(DEFAULTS)
    view = lab_view(**DEFAULTS)  # warm-up, and the evaluation counts for the baseline
    baseline = bare_calls(DEFAULTS, evaluations(view))
    view_times, run_times, base_times = [], [], []
    for _ in range(REPEATS):
        view_times.append(seconds(lambda: lab_view(**DEFAULTS)))
        run_times.append(seconds(lambda: train(spec, data, "your run")))
        base_times.append(seconds(baseline))
    view_s, run_s, base_s = (statistics.median(t) for t in (view_times, run_times, base_times))
    print(
        f"default ({DEFAULTS['lab_depth']} x {DEFAULTS['lab_width']}, "
        f"{DEFAULTS['lab_steps']:,} steps, {DEFAULTS['lab_dtype']}, {spec.activation} vs "
        f"{DEFAULTS['lab_remedy']}), medians of {REPEATS}:"
    )
    print(f"  whole view (both runs + charts): {view_s:7.3f} s   target < 1 s")
    print(f"  your run alone:                  {run_s:7.3f} s")
    print(
        f"  baseline, {sum(evaluations(view)):,} bare objective calls: {base_s:7.3f} s   "
        f"ratio view / baseline {view_s / base_s:.2f}"
    )


def longest_case(full: bool) -> None:
    steps = LONGEST["lab_steps"]
    short = {**LONGEST, "lab_steps": SHORT_STEPS}
    print(
        f"longest ({LONGEST['lab_depth']} x {LONGEST['lab_width']}, {steps:,} steps, "
        f"{LONGEST['lab_dtype']}):"
    )
    view = lab_view(**short)
    baseline = bare_calls(short, evaluations(view))
    view_times, base_times = [], []
    for _ in range(SHORT_REPEATS):
        view_times.append(seconds(lambda: lab_view(**short)))
        base_times.append(seconds(baseline))
    view_s, base_s = statistics.median(view_times), statistics.median(base_times)
    scale = steps / SHORT_STEPS  # every run goes to the budget (run_past_stop): linear in steps
    print(
        f"  {SHORT_STEPS} steps, medians of {SHORT_REPEATS} interleaved: view {view_s:.2f} s, "
        f"baseline ({sum(evaluations(view)):,} bare calls) {base_s:.2f} s, ratio "
        f"{view_s / base_s:.2f}"
    )
    print(
        f"  extrapolated to {steps:,} steps: whole view (both runs + charts) "
        f"{view_s * scale:.0f} s, your run alone about {view_s * scale / 2:.0f} s   target < 60 s"
    )
    if full:
        shown = [-1]

        def progress(fraction: float, text: str) -> None:
            tenth = int(fraction * 10)
            if tenth != shown[0]:
                shown[0] = tenth
                print(f"    {fraction:4.0%}  {text}", file=sys.stderr, flush=True)

        full_s = seconds(lambda: lab_view(**LONGEST, _progress=progress))
        print(f"  measured once, all {steps:,} steps: whole view {full_s:.0f} s")
    float16 = {**LONGEST, "lab_dtype": "float16"}
    one = per_call_seconds(float16, 0, calls=1)
    print(
        f"  float16, one objective call of the same network: {one:.2f} s, so {steps:,} steps "
        f"would take about {one * steps / 60:.0f} min per run"
    )


def main() -> None:
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset (one per core)")
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={threads}, {os.cpu_count()} cores")
    default_case()
    longest_case(full="--quick" not in sys.argv[1:])


if __name__ == "__main__":
    main()
