"""The lab's former float16 lesson in four precisions: what each run gives and how long it trains
(the current lessons: ``bench/bench_lessons.py``).

Setting: two moons, 256 samples, 10 sigmoid layers of 16, standard initialisation, eta = 1e-3,
200 steps, the lab's rules (parameter change eps = 1e-4, stagnation), trained to the budget
(``run_past_stop``) as the lab trains. The data and the float16 initial weights are made as
``vgapp.lab.runs.lab_data`` and ``initial_parameters`` make them, from vgcore alone. Runs:

- float16: ``mlp_objective(dtype="float16")``, descent on float16 weights;
- old remedy: the same with ``loss_scale=1024`` (the lab's "loss scale 2^10");
- mixed: ``mixed_precision_objective`` (GradScaler's defaults) with ``mixed_precision_descent``
  (float16 compute, the scale unscaled in float32, float32 master weights);
- float32: ``mlp_objective(dtype="float32")`` on float32 weights.

Times are medians of interleaved repeats, per whole run (this machine is shared and noisy; the
load average is printed). Run: ``python -m bench.bench_mixed_precision``.
"""

from __future__ import annotations

import math
import os
import statistics
import time

import numpy as np

from vgcore.datasets import make_dataset
from vgcore.descent import gradient_descent
from vgcore.mixed_precision import mixed_precision_descent, mixed_precision_objective
from vgcore.mlp import flatten_params, init_mlp, mlp_objective, mlp_predict, unflatten_params
from vgcore.stopping import StoppingRules

SIZES = (2, *([16] * 10), 1)
ETA = 1e-3
RULES = StoppingRules(eps=1e-4, stagnation=True, max_iter=200)
FIGURES = ("backprop_norms", "saturation")
REPEATS = 5


def setup():
    data_seed, init_seed = np.random.SeedSequence(0).spawn(2)
    data = make_dataset("moons", 256, 0.1, seed=np.random.default_rng(data_seed))
    params = init_mlp(SIZES, "standard", np.random.default_rng(init_seed), dtype="float16")
    return data, flatten_params(params)


def runs(data, x0):
    def plain(dtype, loss_scale=1.0):
        objective = mlp_objective(
            SIZES, data.X, data.y, "sigmoid", "bce", dtype=dtype, loss_scale=loss_scale,
            figures=FIGURES,
        )  # fmt: skip
        return lambda: gradient_descent(
            objective, x0, eta=ETA, rules=RULES, dtype=dtype, run_past_stop=True
        )

    mixed = mixed_precision_objective(SIZES, data.X, data.y, "sigmoid", "bce", figures=FIGURES)
    return {
        "float16": plain("float16"),
        "old remedy (S = 2^10, float16 weights)": plain("float16", 1024.0),
        "mixed (scale + float32 master)": lambda: mixed_precision_descent(
            mixed, x0, eta=ETA, rules=RULES, run_past_stop=True
        ),
        "float32": plain("float32"),
    }


def describe(result, data, x0) -> str:
    stop = result.stop_iter
    norms = result.extras["backprop_norms"][: stop + 1]
    zero = [layer + 1 for layer in range(norms.shape[1]) if np.all(norms[:, layer] == 0)]
    compute = (
        "float32" if result.dtype == "float32" and "loss_scale" not in result.extras else "float16"
    )
    params = unflatten_params(np.ascontiguousarray(result.x_stop), SIZES)
    logits = mlp_predict(params, data.X, "sigmoid", dtype=compute).astype(np.float64).ravel()
    accuracy = float(np.mean((logits > 0) == (data.y > 0.5)))
    start = unflatten_params(np.ascontiguousarray(x0.astype(result.x.dtype)), SIZES)
    final = unflatten_params(np.ascontiguousarray(result.x), SIZES)
    frozen = [
        layer + 1
        for layer, ((w, b), (w0, b0)) in enumerate(zip(final, start, strict=True))
        if np.array_equal(w, w0) and np.array_equal(b, b0)
    ]
    extra = ""
    if "loss_scale" in result.extras:
        extra = (
            f", scale {result.extras['loss_scale'][stop]:g} after "
            f"{int(result.extras['skipped'].sum())} overflowed evaluations"
        )
    return (
        f"stopped by {result.stopped_by} at step {stop}, F/n = {result.loss[stop] / 256:.4f} "
        f"(ln 2 = {math.log(2):.4f}), accuracy {accuracy:.2f}, exactly-zero layers {zero or '-'}, "
        f"layers never changed {frozen or '-'}{extra}"
    )


def main() -> None:
    data, x0 = setup()
    cases = runs(data, x0)
    print(f"former lab float16 lesson, 10 x 16 sigmoid, 200 steps; medians of {REPEATS} runs; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in cases}
    results = {}
    for _ in range(REPEATS):
        for name, run in cases.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    for name, result in results.items():
        print(f"{name}: {statistics.median(times[name]):.2f} s; {describe(result, data, x0)}")


if __name__ == "__main__":
    main()
