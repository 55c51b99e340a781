"""The lab's claims on a wider sample than the test suite: ``python -m bench.claims_lab``.

Trains 23 settings in the lab's engine (thread backend), from tiny networks to the largest the
lab allows (20 × 128 at its 2,000-step float32 cap), with every remedy, activation, dtype and
chart, and both lessons at their real size; for each, every template the page shows is checked
against the oracles of ``tests/claims/test_claims_lab.py`` (a plain float64 pass, counted active
units, fractions). Prints each setting, each template checked and whether it held, and the wall
time; exits with status 1 if any claim failed. A check, not a timing: no baseline to compare.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    # one BLAS thread, as the lab's worker processes have: the in-process (thread) engine
    # otherwise spends 20x longer per step on a loaded 2-core machine (1.1 s against 0.05 s
    # for 20 x 128, measured)
    os.environ.setdefault(_name, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from claims import test_claims_lab as claims  # noqa: E402

from vgapp import page  # noqa: E402
from vgapp.blocks import Columns  # noqa: E402
from vgapp.lab import panel as lab_panel  # noqa: E402
from vgapp.lab.training.engine import TrainingEngine  # noqa: E402

DEFAULTS = claims.DEFAULTS
SETTINGS: list[tuple[str, dict]] = [
    ("default", {}),
    ("largest, float32 (20 × 128, 2,000 steps)",
     {"lab_depth": 20, "lab_width": 128, "lab_steps": 2000, "lab_eps": "off"}),
    ("largest, float16, saturation",
     {"lab_depth": 20, "lab_width": 128, "lab_steps": 200, "lab_dtype": "float16",
      "lab_chart": "saturation", "lab_remedy": "mixed"}),
    ("deep ReLU, float16, small init (item 4)",
     {"lab_depth": 12, "lab_width": 32, "lab_activation": "relu", "lab_init": "custom",
      "lab_init_scale": 0.01, "lab_dtype": "float16", "lab_steps": 100}),
    ("dead ReLU, width 2, float64",
     {"lab_depth": 12, "lab_width": 2, "lab_activation": "relu", "lab_init": "he",
      "lab_dtype": "float64", "lab_steps": 50, "lab_remedy": "tanh_xavier"}),
    ("deep sigmoid, float16, underflow",
     {"lab_depth": 20, "lab_width": 16, "lab_dtype": "float16", "lab_steps": 200}),
    ("sigmoid s = 0.9: under 1% saturated (item 5)",
     {"lab_activation": "sigmoid", "lab_init": "custom", "lab_init_scale": 0.9,
      "lab_depth": 2, "lab_width": 8, "lab_steps": 200, "lab_chart": "saturation"}),
    ("sigmoid s = 10: saturated",
     {"lab_init": "custom", "lab_init_scale": 10.0, "lab_chart": "saturation",
      "lab_steps": 300}),
    ("tanh Xavier, saturation",
     {"lab_activation": "tanh", "lab_init": "xavier", "lab_chart": "saturation"}),
    ("leaky ReLU, float16, loss scale 2¹⁶",
     {"lab_activation": "leaky_relu", "lab_init": "he", "lab_dtype": "float16",
      "lab_loss_scale": "65536", "lab_steps": 200}),
    ("regression, Armijo, fit",
     {"lab_dataset": "regression_1d", "lab_step_rule": "armijo", "lab_chart": "fit"}),
    ("all rules, combine all",
     {"lab_eps": "1e-3", "lab_gatol": "1e-2", "lab_fatol": "1e-4", "lab_frtol": "1e-6",
      "lab_combine": "all", "lab_steps": 500}),
    ("gradient rule stops, float64",
     {"lab_dtype": "float64", "lab_gttol": "1e-1", "lab_steps": 800}),
    *[
        (f"remedy {remedy}, float16, sigmoid",
         {"lab_remedy": remedy, "lab_dtype": "float16", "lab_steps": 300, "lab_eps": "1e-3"})
        for remedy in ("relu_he", "tanh_xavier", "float32", "loss_scale", "mixed")
    ],
    ("wide shallow, η = 0.1",
     {"lab_depth": 1, "lab_width": 128, "lab_eta": "1e-1", "lab_steps": 300}),
    ("seed 10,000, circles",
     {"lab_dataset": "circles", "lab_seed": 10_000, "lab_steps": 300}),
    ("custom s = 0.01, float32, sigmoid",
     {"lab_init": "custom", "lab_init_scale": 0.01, "lab_depth": 10, "lab_steps": 200}),
    ("lesson: deep sigmoid", page.lesson_values("lab_deep_sigmoid")),
    ("lesson: float16", page.lesson_values("lab_float16")),
]  # fmt: skip


def checks(values: dict, engine: TrainingEngine) -> list[tuple[str, bool, str]]:
    """Every template of the view of ``values``' runs (continued to the budget), checked."""
    snapshots, view, specs = claims.trained(
        engine, {**DEFAULTS, **values}, to_budget=True, timeout_s=3600.0
    )
    results: list[tuple[str, bool, str]] = []

    def run(name: str, check, *args) -> None:
        try:
            check(*args)
            results.append((name, True, ""))
        except AssertionError as error:
            results.append((name, False, str(error)[:300]))

    run("verdict and loss title: each run's stop and continuation", claims.check_verdict,
        view, snapshots)  # fmt: skip
    [columns] = [b for b in view.blocks if isinstance(b, Columns)]
    chart = lab_panel.chart_of({**DEFAULTS, **values})
    for index, (snapshot, spec) in enumerate(zip(snapshots, specs, strict=True)):
        name = ("yours", "remedy")[index]
        if not snapshot.recorded:
            continue
        if chart == "gradients":
            run(f"heatmap zero causes and title ({name})", claims.check_heatmap, view, snapshot,
                spec, name)  # fmt: skip
        elif chart == "saturation" and spec.activation in ("sigmoid", "tanh"):
            run(f"saturation caption or title ({name})", claims.check_saturation, view,
                snapshot, spec, name, columns.columns[index])  # fmt: skip
    return results


def main() -> int:
    started = time.perf_counter()
    engine = TrainingEngine(backend="thread", max_running=2, watcher_timeout_s=600.0)
    failed = 0
    try:
        for title, values in SETTINGS:
            began = time.perf_counter()
            results = checks(values, engine)
            print(f"{title} ({time.perf_counter() - began:.1f} s)")
            for name, held, why in results:
                print(f"  {'held' if held else 'FAILED'}: {name}" + (f": {why}" if why else ""))
                failed += not held
    finally:
        engine.close()
    print(f"{len(SETTINGS)} settings, {failed} failed claims, "
          f"wall time {time.perf_counter() - started:.1f} s")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
