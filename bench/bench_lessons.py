"""The lab's two lessons (``vgapp.lab.controls.LAB_LESSONS``) over several seeds: each run the
page trains, and for the float16 lesson mixed precision's parts added one at a time, with the
stop, the loss there and at the budget, the accuracy, the zero and lost-update figures, the
saturation and the wall time of the whole run.

The data and initial weights are made as ``vgapp.lab.runs`` makes them (the seed's two child
streams), every run with vgcore alone, trained to the budget as the lab trains (``run_past_stop``).
Wall times are single runs on a shared machine (the 1-minute load average is printed with them).

Run: ``python -m bench.bench_lessons [--seeds 0,1,2,3,4] [--lesson lab_deep_sigmoid|lab_float16]``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np

from vgapp import page
from vgapp.lab.controls import LAB_LESSONS, LAB_SAMPLES, OFF, REMEDY_LOSS_SCALE
from vgapp.lab.runs import LAB_NOISE
from vgapp.lab.runview import loss_text
from vgcore.datasets import make_dataset
from vgcore.descent import DescentResult, gradient_descent
from vgcore.mixed_precision import (
    ScaleSchedule,
    mixed_precision_descent,
    mixed_precision_objective,
    precision_breakdown,
)
from vgcore.mlp import flatten_params, init_mlp, mlp_objective, mlp_predict, unflatten_params
from vgcore.stopping import StoppingRules

FIGURES = ("backprop_norms", "saturation", "backprop_zeros")
LOST_AT = 1000
"""The step at which the float16 run's lost updates are counted (as the lesson's note does)."""


def setting(key: str, seed: int):
    values = {**page.lesson_values(key), "lab_seed": seed}
    data_seed, init_seed = np.random.SeedSequence(seed).spawn(2)
    data = make_dataset(
        values["lab_dataset"], LAB_SAMPLES, LAB_NOISE, seed=np.random.default_rng(data_seed)
    )
    sizes = (data.X.shape[1], *[values["lab_width"]] * values["lab_depth"], 1)

    def start(init: str) -> np.ndarray:
        """The initial weights in the lesson's dtype (every run of a lesson starts there)."""
        rng = np.random.default_rng(init_seed)
        return flatten_params(init_mlp(sizes, init, rng, dtype=values["lab_dtype"]))

    eps = values["lab_eps"]
    rules = StoppingRules(
        eps=None if eps == OFF else float(eps),
        stagnation=values["lab_stagnation"],
        max_iter=values["lab_steps"],
    )
    return values, data, sizes, start, rules


Run = Callable[[], tuple[DescentResult, str, str]]


def runs(key: str, seed: int) -> dict[str, Run]:
    """Name -> a function training that run, returning (result, compute dtype, activation)."""
    values, data, sizes, start, rules = setting(key, seed)
    eta, dtype, activation = float(values["lab_eta"]), values["lab_dtype"], values["lab_activation"]

    def plain(act: str, init: str, work: str, scale: float = 1.0) -> Run:
        def train() -> tuple[DescentResult, str, str]:
            objective = mlp_objective(
                sizes, data.X, data.y, act, "bce", dtype=work, loss_scale=scale, figures=FIGURES
            )
            x0 = start(init)
            record = work == "float16"
            result = gradient_descent(
                objective, x0, eta=eta, rules=rules, dtype=work, run_past_stop=True,
                record_path=record,
            )  # fmt: skip
            return result, work, act

        return train

    def mixed(**options) -> Run:
        def train() -> tuple[DescentResult, str, str]:
            objective = mixed_precision_objective(
                sizes, data.X, data.y, activation, "bce", figures=FIGURES, **options
            )
            result = mixed_precision_descent(
                objective, start(values["lab_init"]), eta=eta, rules=rules, run_past_stop=True
            )
            return result, "float16", activation

        return train

    if key == "lab_deep_sigmoid":
        return {
            "your run (sigmoid, standard)": plain(activation, values["lab_init"], dtype),
            "remedy ReLU + He": plain("relu", "he", dtype),
        }
    constant = ScaleSchedule.constant(1.0)
    return {
        "your run (float16)": plain(activation, values["lab_init"], "float16"),
        "old remedy (S = 2^10, float16 weights)": plain(
            activation, values["lab_init"], "float16", REMEDY_LOSS_SCALE
        ),
        "+ float32 master weights (S = 1)": mixed(schedule=constant),
        "+ float32 loss (S = 1)": mixed(schedule=constant, loss_dtype="float32"),
        "+ dynamic scale = remedy 'mixed'": mixed(loss_dtype="float32"),
        "float32 (reference, same float16 start)": plain(activation, values["lab_init"], "float32"),
    }


def accuracy(flat: np.ndarray, sizes, data, activation: str, work: str) -> float:
    params = unflatten_params(np.ascontiguousarray(flat), sizes)
    logits = mlp_predict(params, data.X, activation, dtype=work).astype(np.float64).ravel()
    return float(np.mean((logits > 0) == (data.y == 1)))


def describe(
    key: str, seed: int, name: str, run: tuple[DescentResult, str, str], wall: float
) -> str:
    values, data, sizes, _, _ = setting(key, seed)
    result, work, activation = run
    if not result.loss.size:
        return f"  {name}: overflowed at step 0 ({wall:.2f} s)"
    stop = min(result.stop_iter, result.loss.size - 1)
    at_stop, at_end = result.loss[stop] / LAB_SAMPLES, result.loss[-1] / LAB_SAMPLES
    saturation = result.extras["saturation"]
    zeros = result.extras["backprop_zeros"][-1]
    text = (
        f"  {name}: stopped by {result.stopped_by} at step {stop}, loss there "
        f"{loss_text(at_stop)}, at the budget {loss_text(at_end)}; accuracy "
        f"{accuracy(result.x_stop, sizes, data, activation, work):.0%} at the stop, "
        f"{accuracy(result.x, sizes, data, activation, work):.0%} at the budget; "
        f"samples with output error exactly 0 at the budget {zeros[-1]:.0%}; saturation at the "
        f"stop max {saturation[stop].max():.1%}, over the run max {saturation.max():.1%}; "
        f"{wall:.2f} s"
    )
    if "loss_scale" in result.extras:
        text += (
            f"; S = {result.extras['loss_scale'][0]:g} after {int(result.extras['skipped'][0])} "
            f"backoffs at step 0, {result.extras['loss_scale'][-1]:g} at the end"
        )
    if result.path is not None and result.path.shape[0] > LOST_AT:
        point = result.path[LOST_AT].astype(np.float32)
        got = precision_breakdown(
            sizes, data.X, data.y, activation, "bce", flat=point,
            eta=float(values["lab_eta"]), loss_scale=1.0,
        )  # fmt: skip
        base = got.nonzero_scaled.sum()
        text += (
            f"; at step {LOST_AT}: updates lost on float16 weights "
            f"{got.lost_float16.sum() / base:.0%}, on float32 {got.lost_float32.sum() / base:.0%}"
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--lesson", choices=[lesson.key for lesson in LAB_LESSONS])
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    keys = [args.lesson] if args.lesson else [lesson.key for lesson in LAB_LESSONS]
    for key in keys:
        print(f"{key}: {page.LESSONS[key].values}")
        for seed in seeds:
            print(f" seed {seed} (load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores)")
            for name, train in runs(key, seed).items():
                start = time.perf_counter()
                run = train()
                wall = time.perf_counter() - start
                print(describe(key, seed, name, run, wall), flush=True)


if __name__ == "__main__":
    main()
