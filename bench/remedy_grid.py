"""Where the lab's comparison runs overflow: per remedy (ReLU + He, tanh + Xavier), the settings
whose loss, gradient or weights become non-finite within the first steps, at the lab's default
step size and precision (float32), over depths x widths x the five data sets x seeds.

Each run is the lab's own (``vgapp.lab.runs``: ``spec_from_controls`` on ``LAB_DEFAULTS`` with
the setting, ``remedy_spec``, ``train_observed``) with every stopping rule off, so it trains the
whole budget or stops on the first non-finite value.

    python -m bench.remedy_grid [--steps 200] [--seeds 0,1,2] [--remedies relu_he,tanh_xavier]
        [--depths 2,5,10,15,20] [--widths 8,16,32,64,128] [--datasets xor,moons,...]
"""

from __future__ import annotations

import argparse
import time

from threadpoolctl import threadpool_limits

from vgapp.lab.controls import LAB_DEFAULTS, OFF, REMEDIES
from vgapp.lab.runs import RunSpec, remedy_spec, spec_from_controls, train_observed
from vgcore.datasets import DATASETS


def grid_spec(dataset: str, depth: int, width: int, seed: int, steps: int, remedy: str) -> RunSpec:
    """The remedy run of the lab's defaults at this setting, with every stopping rule off."""
    values = {
        **LAB_DEFAULTS,
        "lab_dataset": dataset,
        "lab_depth": depth,
        "lab_width": width,
        "lab_seed": seed,
        "lab_steps": steps,
        "lab_eps": OFF,
        "lab_stagnation": False,
        "lab_remedy": remedy,
    }
    return remedy_spec(spec_from_controls(values), remedy)


def first_non_finite(spec: RunSpec) -> int | None:
    """The step at which the run's values first became non-finite (None: all finite)."""
    run = train_observed(spec, lambda step: None)
    if run.result.stopped_by != "non_finite":
        return None
    return int(run.result.first_fired["non_finite"] or 0)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--remedies", default="relu_he,tanh_xavier")
    parser.add_argument("--depths", default="2,5,10,15,20")
    parser.add_argument("--widths", default="8,16,32,64,128")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    seeds, depths, widths = _ints(args.seeds), _ints(args.depths), _ints(args.widths)
    datasets = args.datasets.split(",")
    print(
        f"eta {LAB_DEFAULTS['lab_eta']} (default), float32, {args.steps} steps, seeds {seeds}, "
        f"depths {depths} x widths {widths} x {len(datasets)} data sets"
    )
    with threadpool_limits(1):
        for remedy in args.remedies.split(","):
            start = time.perf_counter()
            bad: list[str] = []
            total = 0
            for dataset in datasets:
                for depth in depths:
                    for width in widths:
                        for seed in seeds:
                            total += 1
                            spec = grid_spec(dataset, depth, width, seed, args.steps, remedy)
                            step = first_non_finite(spec)
                            if step is not None:
                                bad.append(
                                    f"  {dataset} {depth} x {width} seed {seed}: non-finite at "
                                    f"step {step} (eta {spec.eta:g})"
                                )
            seconds = time.perf_counter() - start
            print(f"{REMEDIES[remedy]}: {len(bad)} of {total} settings overflow ({seconds:.0f} s)")
            print("\n".join(bad))


if __name__ == "__main__":
    main()
