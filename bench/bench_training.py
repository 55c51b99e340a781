"""Speed of the training engine (``vgapp.lab.training``): first picture, the rules' stop, the whole
budget with both runs at once, the server's cost of polling, and the workers' priority.

For the default lab setting (6 x 32, 2,000 steps, float32) and the largest (20 x 128, 5,000
steps) in each dtype, your run and its comparison (remedy ReLU + He) viewed together by one
session on an engine whose workers are warm:

* first snapshot: from ``view()`` until both snapshots have step 0, and step 3 (a loss curve
  and a heatmap of a few steps: the first picture). Baseline, same run: the same first 4 steps
  trained in this process (data, initial weights, 4 descent steps of each run, one after the
  other);
* the rules' stop (the default: each run trains until its rules stop it and waits);
* the whole budget, both runs at once (another seed, "continue" on both from the start), in
  wall time and in the CPU time the workers spent (the figure that survives a machine shared
  with other work). Baseline, same run: each run alone,
  in this process with one BLAS thread (the largest: ``--baseline-steps`` steps, extrapolated to
  the steps the run actually takes, since every step costs the same);
* polling: one ``view()`` of the two specs while they train, against what a ``st.cache_data``
  hit would cost for the same two snapshots (a pickle round trip);
* where a step goes: a step of the largest run here against its BLAS products alone (CPU
  time), and the float16 conversions of the parameter vector;
* a classroom: 30 sessions polling the same largest pair (trainings started, ``view()``
  latency), then all leave: until every training process is gone;
* priority: a fixed slice of page-like work (a chart's JSON and some numpy), timed while two
  largest float32 runs train at niceness 0 and at niceness 10, against the same work with
  nothing training.

This machine is shared and noisy: compare the ratios, and read the load printed with them.

    python -m bench.bench_training [--quick] [--dtypes float16,float32,float64]
        [--baseline-steps 200] [--repeats 5] [--niceness 10] [--skip-priority]
        [--sections default,first,stop,budget,floor,classroom]

``--quick`` skips the whole-budget runs of the largest setting (minutes each).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import os
import pickle
import statistics
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from vgapp.lab.controls import LAB_CONTROLS
from vgapp.lab.runs import (
    RunSpec,
    initial_parameters,
    lab_data,
    remedy_spec,
    run_objective,
    spec_from_controls,
    train,
)
from vgapp.lab.training.engine import TrainingEngine
from vgcore.descent import gradient_descent
from vgcore.stopping import StoppingRules

DEFAULTS = {control.key: control.default for control in LAB_CONTROLS}
LARGEST = {**DEFAULTS, "lab_depth": 20, "lab_width": 128, "lab_steps": 5000}
POLL_S = 0.002
TIMEOUT_S = 1200.0
SESSION = "bench"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def pair(values: dict) -> tuple[RunSpec, RunSpec]:
    spec = spec_from_controls(values)
    return spec, remedy_spec(spec, values["lab_remedy"])


def wait(engine: TrainingEngine, specs, done: Callable, progress: bool = False) -> tuple:
    start = time.perf_counter()
    shown = -1
    while True:
        snapshots = engine.view(SESSION, specs)
        if done(snapshots):
            return snapshots
        if progress:
            tenth = int(10 * sum(s.step for s in snapshots) / sum(s.budget for s in snapshots))
            if tenth != shown:
                shown = tenth
                steps = ", ".join(f"{s.status} {s.step:,}" for s in snapshots)
                print(f"      {time.perf_counter() - start:6.1f} s: {steps}", file=sys.stderr)
        if time.perf_counter() - start > TIMEOUT_S:
            raise SystemExit(f"timed out: {[s.status for s in snapshots]}")
        time.sleep(POLL_S)


def settled(snapshots) -> bool:
    return all(s.done for s in snapshots)


def warm(engine: TrainingEngine) -> None:
    engine.view(SESSION, ())
    deadline = time.monotonic() + 60
    while engine.stats().warm < engine.max_running and time.monotonic() < deadline:
        time.sleep(0.01)


def first_steps_here(specs: tuple[RunSpec, ...], steps: int) -> float:
    """Baseline: data, initial weights and ``steps`` descent steps of each run, here (one BLAS
    thread, as the workers)."""
    start = time.perf_counter()
    with threadpool_limits(1, user_api="blas"):
        return _first_steps(specs, steps, start)


def _first_steps(specs: tuple[RunSpec, ...], steps: int, start: float) -> float:
    for spec in specs:
        data = lab_data(spec.dataset, spec.seed)
        gradient_descent(
            run_objective(spec, data),
            initial_parameters(spec, data.X.shape[1]),
            step=spec.step_rule,
            eta=spec.eta,
            rules=StoppingRules(max_iter=steps, stagnation=False),
            dtype=spec.dtype,
        )
    return time.perf_counter() - start


def first_snapshot(engine: TrainingEngine, values: dict, repeats: int) -> None:
    """Median time to step 0 and to step 3 of both runs, fresh seeds, warm workers."""
    to0, to3, here = [], [], []
    for i in range(repeats):
        specs = pair({**values, "lab_seed": 1000 + i})
        warm(engine)
        start = time.perf_counter()
        wait(engine, specs, lambda s: all(x.step >= 0 for x in s))
        to0.append(time.perf_counter() - start)
        wait(engine, specs, lambda s: all(x.step >= 3 or x.done for x in s))
        to3.append(time.perf_counter() - start)
        engine.view(SESSION, ())  # leave them: cancelled, workers freed
        here.append(first_steps_here(specs, 3))
    t0, t3, base = (statistics.median(v) * 1e3 for v in (to0, to3, here))
    print(
        f"    first snapshot, medians of {repeats}: step 0 after {t0:6.1f} ms, step 3 after "
        f"{t3:6.1f} ms (target: about 1.3 x 200-250 ms)"
    )
    print(
        f"      baseline, the same 4 steps of both runs here: {base:6.1f} ms; ratio {t3 / base:.2f}"
    )


def to_the_stop(engine: TrainingEngine, specs) -> tuple:
    start = time.perf_counter()
    snapshots = wait(engine, specs, settled)
    seconds = time.perf_counter() - start
    ends = "; ".join(
        f"{s.spec.activation}: {s.status} at step {s.step:,} ({s.stopped_by})" for s in snapshots
    )
    print(f"    to the rules' stop (the default): {seconds:7.2f} s   {ends}")
    return snapshots


def whole_budget(engine: TrainingEngine, specs, progress: bool) -> tuple[float, tuple]:
    """Fresh specs, "continue" on both at once: the whole budget from step 0."""
    warm(engine)
    start = time.perf_counter()
    engine.view(SESSION, specs)
    for spec in specs:
        engine.continue_past_stop(spec)
    snapshots = wait(engine, specs, settled, progress)
    return time.perf_counter() - start, snapshots


def alone_here(spec: RunSpec, steps: int | None) -> tuple[float, float]:
    """Wall and CPU seconds per step of ``spec`` trained alone here (one BLAS thread)."""
    if steps is not None:
        spec = spec_from_controls_like(spec, steps)
    data = lab_data(spec.dataset, spec.seed)
    with threadpool_limits(1, user_api="blas"):
        start, cpu = time.perf_counter(), time.process_time()
        run = train(spec, data, "")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return seconds / run.recorded, cpu / run.recorded


def spec_from_controls_like(spec: RunSpec, steps: int) -> RunSpec:
    return dataclasses.replace(spec, rules=dataclasses.replace(spec.rules, max_iter=steps))


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (Linux /proc)."""
    seconds = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def budget_case(engine: TrainingEngine, specs, baseline_steps: int | None, progress: bool) -> None:
    """Wall time of the whole budget, and the CPU time the workers spent on it: on a machine
    shared with other work, CPU time per step is the figure that compares with the baseline
    (on an idle 2-core machine the wall time is the longer run's CPU time)."""
    warm(engine)
    before = cpu_seconds(process.pid for process in engine.worker_processes())
    seconds, snapshots = whole_budget(engine, specs, progress)
    after = cpu_seconds([*before, *(process.pid for process in engine.worker_processes())])
    cpu = sum(after[pid] - before.get(pid, 0.0) for pid in after)  # a new worker: since start
    ends = "; ".join(
        f"{s.spec.activation}: {s.status} at step {s.step:,}"
        + (f" ({s.stopped_by})" if s.stopped_by == "non_finite" else "")
        for s in snapshots
    )
    print(f"    the whole budget, both runs at once: {seconds:7.2f} s   target < 60 s   {ends}")
    per_step, cpu_per_step = zip(*(alone_here(spec, baseline_steps) for spec in specs), strict=True)
    alone = [rate * s.recorded for rate, s in zip(per_step, snapshots, strict=True)]
    alone_cpu = [rate * s.recorded for rate, s in zip(cpu_per_step, snapshots, strict=True)]
    how = "" if baseline_steps is None else f" ({baseline_steps} steps, extrapolated)"
    print(
        f"      baseline, each alone here{how}: "
        + ", ".join(
            f"{a:.2f} s ({r * 1e3:.1f} ms/step)" for a, r in zip(alone, per_step, strict=True)
        )
        + f"; ratio to their sum {seconds / sum(alone):.2f}, "
        f"to the longer {seconds / max(alone):.2f}"
    )
    print(
        f"      CPU time: the workers {cpu:.1f} s for both runs; "
        f"the baseline {sum(alone_cpu):.1f} s"
        f" ({', '.join(f'{c:.1f}' for c in alone_cpu)}); ratio {cpu / sum(alone_cpu):.2f}. "
        f"Idle-machine estimate of the wall time: the longer run's CPU, {max(alone_cpu):.0f} s"
    )


def polling(engine: TrainingEngine, specs, count: int = 2000) -> None:
    engine.view(SESSION, specs)
    start = time.perf_counter()
    for _ in range(count):
        snapshots = engine.view(SESSION, specs)
    poll = (time.perf_counter() - start) / count
    start = time.perf_counter()
    for _ in range(200):
        pickle.loads(pickle.dumps(snapshots))
    cached = (time.perf_counter() - start) / 200
    print(
        f"    polling view() of both runs while they train: {poll * 1e6:7.1f} us; baseline, a "
        f"cache_data-style pickle round trip of the same snapshots: {cached * 1e6:7.1f} us; "
        f"ratio {poll / cached:.3f}"
    )


def classroom(students: int = 30, seconds: float = 5.0, hz: float = 4.0) -> None:
    """``students`` sessions (threads) poll the largest float32 pair ``hz`` times a second, as
    30 students who opened the teacher's link; then all leave: until every process is gone."""
    engine = TrainingEngine()
    specs = pair({**LARGEST, "lab_seed": 5})
    latencies: list[float] = []
    cpu0 = time.process_time()

    def student(i: int) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            engine.view(f"student-{i}", specs)
            latencies.append(time.perf_counter() - start)
            time.sleep(1 / hz)

    try:
        warm(engine)
        threads = [threading.Thread(target=student, args=(i,)) for i in range(students)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu = time.process_time() - cpu0
        stats = engine.stats()
        processes = engine.worker_processes()
        print(
            f"    {students} sessions polling the same two runs {hz:g} x/s for {seconds:g} s: "
            f"{stats.trainings_started} trainings started; view() median "
            f"{statistics.median(latencies) * 1e6:.0f} us, p95 "
            f"{np.percentile(latencies, 95) * 1e6:.0f} us; this process's CPU "
            f"{cpu / seconds:.0%} of a core (polling threads included)"
        )
        left = time.perf_counter()  # nobody polls from here on
        while any(p.poll() is None for p in processes):
            time.sleep(0.05)
        print(
            f"    all {len(processes)} training processes gone {time.perf_counter() - left:.1f} s "
            f"after the last poll (watcher timeout {engine.watcher_timeout_s:g} s, idle exit "
            f"{engine.idle_exit_s:g} s; the target is within 10 s)"
        )
    finally:
        engine.close()


def blas_floor(dtype: str) -> float:
    """CPU seconds per step of the BLAS products alone of the largest network (20 x 128,
    batch 256, one thread): the forward product, the weight gradient and the back-propagated
    gradient of every layer (float16 runs them in float32)."""
    carrier = np.float32 if dtype == "float16" else np.dtype(dtype).type
    rng = np.random.default_rng(0)
    widths = [2, *([128] * 20), 1]
    weights = [rng.standard_normal((a, b)).astype(carrier) for a, b in itertools.pairwise(widths)]
    inputs = [rng.standard_normal((256, a)).astype(carrier) for a in widths[:-1]]
    deltas = [rng.standard_normal((256, b)).astype(carrier) for b in widths[1:]]

    def step() -> None:
        for a, w, d in zip(inputs, weights, deltas, strict=True):
            a @ w
            a.T @ d
            d @ w.T

    with threadpool_limits(1, user_api="blas"):
        step()
        best = math.inf
        for _ in range(5):
            start = time.process_time()
            for _ in range(10):
                step()
            best = min(best, (time.process_time() - start) / 10)
    return best


def where_the_time_goes(dtypes: list[str]) -> None:
    """Per dtype: a step of your largest run alone here (CPU time) against its BLAS floor; for
    float16, the share of converting the 314,241-parameter iterate between dtypes."""
    for dtype in dtypes:
        spec = spec_from_controls({**LARGEST, "lab_dtype": dtype, "lab_steps": 40})
        _, cpu = alone_here(spec, None)
        floor = blas_floor(dtype)
        print(
            f"    {dtype}: a step of your run {cpu * 1e3:6.1f} ms CPU; its BLAS products alone "
            f"{floor * 1e3:5.1f} ms ({floor / cpu:.0%}); x 5,000 steps: {cpu * 5000:4.0f} s, "
            f"the BLAS floor {floor * 5000:4.0f} s"
        )
        if dtype == "float16":
            spent = float16_conversions(initial_parameters(spec, 2))
            print(
                f"      float16 <-> float32/64 conversions of the iterate: {spent * 1e3:.1f} ms "
                f"per step ({spent / cpu:.0%}); numpy {np.__version__} converts float16 "
                f"element by element here"
            )


def float16_conversions(x: np.ndarray) -> float:
    """CPU seconds of the conversions a float16 step makes of the parameter vector ``x``."""
    x32 = x.astype(np.float32)
    conversions = [
        lambda: np.add.reduce(x, dtype=np.float64),  # mlp._all_finite
        lambda: x.astype(np.float32),  # mlp._forward_backward's parameter cast
        lambda: x.astype(np.float32),  # descent._update: x - t g
        lambda: x32.astype(np.float16),  # descent._update: the new iterate
        lambda: x.astype(np.float64),  # descent._norms
    ]
    start = time.process_time()
    for _ in range(20):
        for convert in conversions:
            convert()
    return (time.process_time() - start) / 20


def page_work() -> float:
    """Some page-like work: a 7 x 600 chart's JSON and a little numpy; its seconds."""
    start = time.perf_counter()
    rows = [
        {"step": k, "run": f"r{r}", "value": float(np.sin(k) + r)}
        for r in range(7)
        for k in range(600)
    ]
    json.dumps({"data": {"values": rows}})
    values = np.random.default_rng(0).standard_normal((256, 64))
    for _ in range(20):
        values = np.tanh(values @ values.T[:, :64])
    return time.perf_counter() - start


def priority(repeats: int, rounds: int = 2) -> None:
    """Page-like work alone, and while two largest float32 runs train at niceness 0 and 10
    (interleaved rounds, since the machine's other load drifts); the trainings' speed."""
    # Two sigmoid runs that train on (the rules off): the ReLU comparison would overflow.
    values = {**LARGEST, "lab_eps": "off", "lab_stagnation": False}
    times: dict[str, list[float]] = {}
    speed: dict[str, list[float]] = {}
    for round_ in range(rounds):
        times.setdefault("nothing training", []).extend(page_work() for _ in range(repeats))
        for niceness in (0, 10):
            seeds = (77 + 2 * round_, 78 + 2 * round_)
            specs = tuple(spec_from_controls({**values, "lab_seed": seed}) for seed in seeds)
            engine = TrainingEngine(niceness=niceness)
            name = f"two trainings at niceness {niceness}"
            try:
                warm(engine)
                engine.view(SESSION, specs)
                for spec in specs:
                    engine.continue_past_stop(spec)
                before = wait(engine, specs, lambda s: all(x.step >= 5 or x.done for x in s))
                start = time.perf_counter()
                for _ in range(repeats):
                    engine.view(SESSION, specs)
                    times.setdefault(name, []).append(page_work())
                after = engine.view(SESSION, specs)
                steps = sum(a.step - b.step for a, b in zip(after, before, strict=True))
                speed.setdefault(name, []).append(steps / (time.perf_counter() - start))
            finally:
                engine.close()
    base = statistics.median(times["nothing training"])
    for name, samples in times.items():
        median, p90 = statistics.median(samples), float(np.percentile(samples, 90))
        trained = (
            f"; trainings {statistics.mean(speed[name]):5.1f} steps/s" if name in speed else ""
        )
        print(
            f"    page work with {name:29s}: median {median * 1e3:7.1f} ms, "
            f"p90 {p90 * 1e3:7.1f} ms; ratio to nothing training {median / base:.2f}{trained}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dtypes", default="float16,float32,float64")
    parser.add_argument("--baseline-steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-priority", action="store_true")
    parser.add_argument(
        "--sections",
        default="default,first,stop,budget,floor,classroom",
        help="which parts to run for the largest setting (and the default, the classroom)",
    )
    parser.add_argument(
        "--niceness",
        type=int,
        default=10,
        help="the engine's worker niceness (10, its default; 0 to compare with the baseline, "
        "which runs at this process's priority, on a machine shared with other work)",
    )
    args = parser.parse_args()
    print(f"numpy {np.__version__}; {load()}; server RSS {rss_mb():.0f} MB")
    engine = TrainingEngine(niceness=args.niceness)
    try:
        warm(engine)
        print(
            f"engine: {engine.backend} backend, {engine.max_running} trainings at once, "
            f"workers at niceness {engine.niceness}"
        )
        sections = set(args.sections.split(","))
        specs = pair(DEFAULTS)
        if "default" in sections:
            print(
                f"default ({DEFAULTS['lab_depth']} x {DEFAULTS['lab_width']}, "
                f"{DEFAULTS['lab_steps']:,} steps, {DEFAULTS['lab_dtype']}, sigmoid vs relu_he):"
            )
            first_snapshot(engine, DEFAULTS, args.repeats)
            to_the_stop(engine, specs)
            polling(engine, specs)
            budget_case(engine, pair({**DEFAULTS, "lab_seed": 1}), None, progress=False)
        for dtype in args.dtypes.split(","):
            values = {**LARGEST, "lab_dtype": dtype}
            specs = pair(values)
            print(f"largest (20 x 128, 5,000 steps, {dtype}); {load()}:")
            if "first" in sections:
                first_snapshot(engine, values, max(1, args.repeats // 2))
            if "stop" in sections:
                to_the_stop(engine, specs)
                polling(engine, specs, count=500)
            if "budget" in sections and not args.quick:
                fresh = pair({**values, "lab_seed": 1})
                budget_case(engine, fresh, args.baseline_steps, progress=True)
        stats = engine.stats()
        print(
            f"engine after the runs: {stats.jobs} jobs memoised, {stats.memo_bytes / 2**20:.1f} MB"
            f" of traces and parameters; server RSS {rss_mb():.0f} MB"
        )
    finally:
        engine.close()
    if "floor" in sections:
        print(f"where a step of the largest run goes; {load()}:")
        where_the_time_goes(args.dtypes.split(","))
    if "classroom" in sections:
        print(f"a classroom; {load()}:")
        classroom()
    if not args.skip_priority:
        print(f"priority of the training processes; {load()}:")
        priority(max(10, args.repeats * 4))
    print(f"done; {load()}")


if __name__ == "__main__":
    main()
