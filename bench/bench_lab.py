"""Speed of the training lab (issue #5): the default view and the longest allowed run.

Targets (issue #5): the default run (6 hidden layers of 32, 2,000 steps, 256 samples) in under
1 s; the longest (20 hidden layers of 128, 5,000 steps) in under 60 s, with a progress bar. The
lab view trains TWO networks (yours, here, and the comparison, in a worker process at the same
time: ``vgapp.workers``) and builds the charts; the figures give the whole view, and your run
alone for the default.

Baseline, measured in the same run: the same number of bare ``mlp_objective`` calls as both runs
made, one after the other in this process (forward and backward pass at fixed weights; no
descent loop, no trace, no charts, BLAS threads as configured). A ratio below 1 is the two cores
working at once; above 1, the price of everything around the network arithmetic. Figures are
medians of interleaved repeats. The longest network is timed at 500 steps (100 for float16 and
float64) and extrapolated (every run goes to its budget, so the cost is linear in the steps);
float32 is then measured once at 5,000 steps (``--quick`` skips that).

Run from the repository root: ``python -m bench.bench_lab [--quick]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from vgapp.lab import lab_view
from vgapp.lab_controls import LAB_CONTROLS
from vgapp.lab_runs import lab_data, remedy_spec, run_objective, spec_from_controls, train
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


def longest_case(dtype: str, short_steps: int, full: bool) -> None:
    """The longest network in ``dtype``: the view at ``short_steps`` against the same number of
    bare objective calls, extrapolated to the budget, and (``full``) measured once at it."""
    values = {**LONGEST, "lab_dtype": dtype}
    steps = values["lab_steps"]
    short = {**values, "lab_steps": short_steps}
    print(f"longest ({values['lab_depth']} x {values['lab_width']}, {steps:,} steps, {dtype}):")
    view = lab_view(**short)
    baseline = bare_calls(short, evaluations(view))
    view_times, base_times = [], []
    for _ in range(SHORT_REPEATS):
        view_times.append(seconds(lambda: lab_view(**short)))
        base_times.append(seconds(baseline))
    view_s, base_s = statistics.median(view_times), statistics.median(base_times)
    scale = steps / short_steps  # every run goes to the budget (run_past_stop): linear in steps
    print(
        f"  {short_steps} steps, medians of {SHORT_REPEATS} interleaved: view {view_s:.2f} s, "
        f"baseline ({sum(evaluations(view)):,} bare calls, one after the other) {base_s:.2f} s, "
        f"ratio {view_s / base_s:.2f}"
    )
    print(
        f"  extrapolated to {steps:,} steps: whole view (both runs + charts) "
        f"{view_s * scale:.0f} s   target < 60 s"
    )
    if full:
        shown = [-1]

        def progress(fraction: float, text: str) -> None:
            tenth = int(fraction * 10)
            if tenth != shown[0]:
                shown[0] = tenth
                print(f"    {fraction:4.0%}  {text}", file=sys.stderr, flush=True)

        full_s = seconds(lambda: lab_view(**values, _progress=progress))
        print(f"  measured once, all {steps:,} steps: whole view {full_s:.0f} s   target < 60 s")


def main() -> None:
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset (one per core)")
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={threads}, {os.cpu_count()} cores")
    quick = "--quick" in sys.argv[1:]
    default_case()
    longest_case("float32", SHORT_STEPS, full=not quick)
    longest_case("float16", SHORT_STEPS // 5, full=False)
    longest_case("float64", SHORT_STEPS // 5, full=False)


if __name__ == "__main__":
    main()
